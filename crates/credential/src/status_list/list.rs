//! The bitstring itself: entries, their bits, and the `encodedList` form.
//!
//! Encoding (Bitstring Status List v1.0, §4.1 "Bitstring Generation
//! Algorithm"): the bitstring, index 0 being the left-most (most significant)
//! bit of byte 0, GZIP-compressed, then multibase base64url without padding
//! (a `u` prefix). Decoding (§4.2 "Bitstring Expansion Algorithm") reverses the
//! steps, with the decompressed size capped so that a zip bomb is an error.
//! See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-encoding>

use std::fmt;
use std::io::{Read as _, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::StatusError;

/// Why a status list exists: what a set bit means.
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslist>
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StatusPurpose {
    /// A set bit revokes the credential, permanently.
    Revocation,
    /// A set bit suspends the credential; clearing it reinstates it.
    Suspension,
}

impl StatusPurpose {
    /// The `statusPurpose` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }

    /// What a set bit makes the credential: `revoked` or `suspended`.
    pub fn set_state(self) -> &'static str {
        match self {
            Self::Revocation => "revoked",
            Self::Suspension => "suspended",
        }
    }
}

impl fmt::Display for StatusPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StatusPurpose {
    type Err = StatusError;

    /// `revocation` or `suspension`; `message`, `refresh` and anything else
    /// are [`StatusError::UnsupportedPurpose`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "revocation" => Ok(Self::Revocation),
            "suspension" => Ok(Self::Suspension),
            other => Err(StatusError::UnsupportedPurpose(other.to_owned())),
        }
    }
}

/// A bitstring of status entries of one bit each (`statusSize` 1).
///
/// Serializes as its `encodedList` string.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl fmt::Debug for StatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = self.bytes.iter().map(|b| b.count_ones() as usize).sum::<usize>();
        write!(f, "StatusList({} entries, {set} set)", self.len())
    }
}

impl StatusList {
    /// The spec's minimum length, for herd privacy: 131,072 entries (16 KiB).
    /// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-generation-algorithm>
    pub const MIN_ENTRIES: usize = 131_072;

    /// The default cap on the decompressed size when decoding: 16 MiB, that
    /// is 134,217,728 entries.
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// A list of `entries` clear bits. `entries` is rounded up to whole bytes
    /// and must be at least [`Self::MIN_ENTRIES`].
    pub fn new(entries: usize) -> Result<Self, StatusError> {
        if entries < Self::MIN_ENTRIES {
            return Err(StatusError::TooShort { entries, minimum: Self::MIN_ENTRIES });
        }
        Ok(Self { bytes: vec![0; entries.div_ceil(8)] })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether the list has no entries (never, for a list built here).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn position(&self, index: usize) -> Result<(usize, u8), StatusError> {
        if index >= self.len() {
            return Err(StatusError::IndexOutOfRange { index, entries: self.len() });
        }
        // Index 0 is the left-most (most significant) bit of byte 0.
        Ok((index / 8, 0x80 >> (index % 8)))
    }

    /// Whether the bit at `index` is set.
    pub fn get(&self, index: usize) -> Result<bool, StatusError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    /// Sets (`true`) or clears (`false`) the bit at `index`.
    pub fn set(&mut self, index: usize, value: bool) -> Result<(), StatusError> {
        let (byte, mask) = self.position(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// The indexes of the set bits, in order.
    pub fn set_indexes(&self) -> impl Iterator<Item = usize> + '_ {
        self.bytes.iter().enumerate().flat_map(|(i, byte)| {
            (0..8).filter(move |bit| byte & (0x80 >> bit) != 0).map(move |bit| i * 8 + bit)
        })
    }

    /// The `encodedList` value: GZIP, then multibase base64url without padding.
    pub fn encode(&self) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&self.bytes).expect("writing to a Vec cannot fail");
        let compressed = gz.finish().expect("writing to a Vec cannot fail");
        multibase::encode(multibase::Base::Base64Url, compressed)
    }

    /// Decodes an `encodedList`, decompressing at most
    /// [`Self::DEFAULT_MAX_BYTES`].
    pub fn decode(encoded: &str) -> Result<Self, StatusError> {
        Self::decode_with_limit(encoded, Self::DEFAULT_MAX_BYTES)
    }

    /// Decodes an `encodedList`, decompressing at most `max_bytes`.
    pub fn decode_with_limit(encoded: &str, max_bytes: usize) -> Result<Self, StatusError> {
        let compressed = match multibase::decode(encoded) {
            Ok((multibase::Base::Base64Url, bytes)) => bytes,
            _ => return Err(StatusError::NotMultibase),
        };
        let mut bytes = Vec::new();
        let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX).saturating_add(1);
        flate2::read::GzDecoder::new(compressed.as_slice())
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusError::NotGzip)?;
        if bytes.len() > max_bytes {
            return Err(StatusError::TooLarge { limit: max_bytes });
        }
        if bytes.len() * 8 < Self::MIN_ENTRIES {
            return Err(StatusError::TooShort { entries: bytes.len() * 8, minimum: Self::MIN_ENTRIES });
        }
        Ok(Self { bytes })
    }
}

impl Serialize for StatusList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for StatusList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let encoded = String::deserialize(deserializer)?;
        Self::decode(&encoded).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn index_zero_is_the_most_significant_bit_of_byte_zero() {
        let mut list = StatusList::new(StatusList::MIN_ENTRIES).unwrap();
        list.set(0, true).unwrap();
        list.set(9, true).unwrap();
        assert_eq!(list.bytes[0], 0x80);
        assert_eq!(list.bytes[1], 0x40);
        assert_eq!(list.set_indexes().collect::<Vec<_>>(), [0, 9]);
        list.set(0, false).unwrap();
        assert!(!list.get(0).unwrap());
        assert!(list.get(StatusList::MIN_ENTRIES).is_err());
    }

    #[test]
    fn a_short_list_is_refused() {
        assert!(matches!(StatusList::new(1024), Err(StatusError::TooShort { .. })));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&[0; 16]).unwrap();
        let short = multibase::encode(multibase::Base::Base64Url, gz.finish().unwrap());
        assert!(matches!(StatusList::decode(&short), Err(StatusError::TooShort { entries: 128, .. })));
    }

    #[test]
    fn other_encodings_are_refused() {
        let list = StatusList::new(StatusList::MIN_ENTRIES).unwrap().encode();
        let base58 = multibase::encode(multibase::Base::Base58Btc, b"x");
        assert_eq!(StatusList::decode(&base58), Err(StatusError::NotMultibase));
        assert_eq!(StatusList::decode(&list[1..]), Err(StatusError::NotMultibase));
        let not_gzip = multibase::encode(multibase::Base::Base64Url, [0u8; 64]);
        assert_eq!(StatusList::decode(&not_gzip), Err(StatusError::NotGzip));
    }
}
