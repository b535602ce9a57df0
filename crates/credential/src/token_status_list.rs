//! IETF Token Status List (JWT form): the status of SD-JWT VCs.
//!
//! A list of entries of 1, 2, 4 or 8 bits (`bits`), index 0 in the least
//! significant bits of byte 0, compressed with ZLIB (DEFLATE) and written
//! base64url as `lst`; status 0 is VALID, 1 INVALID (revoked), 2 SUSPENDED.
//! The issuer signs it as a Status List Token (a JWS with `typ`
//! `statuslist+jwt`: `sub` the list's URI, `iat`, optional `exp` and `ttl`,
//! `status_list`), with a key of its DID; a referenced token names its entry
//! as `"status": {"status_list": {"idx": …, "uri": …}}` (set by
//! [`crate::sd_jwt_vc::IssueOptions::status`]). [`check`] judges an entry
//! against a fetched token: the `kid` a DID URL of the credential's issuer
//! (checked before anything is resolved), the signature, `sub`, `exp`, then
//! the entry. Decompression is capped ([`TokenStatusList::DEFAULT_MAX_BYTES`]).
//! Index allocation reuses the Bitstring list's random allocator
//! ([`crate::status_list::IndexAllocator`]).
//! See: <https://datatracker.ietf.org/doc/draft-ietf-oauth-status-list/>

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::did::{MethodResolver, ProofPurpose};
use crate::error::{Error, StatusError};
use crate::identifier::DidUrl;
use crate::jose::{self, CompactJws};
use crate::key::SecretKey;
use crate::report::{Check, CheckKind, Outcome};

/// Media type (`typ`) of a Status List Token.
pub const STATUSLIST_JWT: &str = "statuslist+jwt";

/// The status of one referenced token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenStatus {
    /// 0: valid.
    Valid,
    /// 1: invalid (revoked for good).
    Invalid,
    /// 2: suspended.
    Suspended,
    /// Another value (3 is application-specific; larger ones are reserved).
    Other(u8),
}

impl TokenStatus {
    fn value(self) -> u8 {
        match self {
            Self::Valid => 0,
            Self::Invalid => 1,
            Self::Suspended => 2,
            Self::Other(v) => v,
        }
    }

    fn of(value: u8) -> Self {
        match value {
            0 => Self::Valid,
            1 => Self::Invalid,
            2 => Self::Suspended,
            v => Self::Other(v),
        }
    }
}

/// A status list of `bits`-bit entries.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenStatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for TokenStatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenStatusList({} entries of {} bits)", self.len(), self.bits)
    }
}

impl TokenStatusList {
    /// The cap on the decompressed size when decoding: 16 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// A list of `entries` (rounded up to whole bytes) of `bits` bits, all VALID.
    pub fn new(entries: usize, bits: u8) -> Result<Self, StatusError> {
        if !matches!(bits, 1 | 2 | 4 | 8) {
            return Err(StatusError::UnsupportedBits(bits.into()));
        }
        let bytes = entries.saturating_mul(bits.into()).div_ceil(8);
        if bytes > Self::DEFAULT_MAX_BYTES {
            return Err(StatusError::TooLarge { limit: Self::DEFAULT_MAX_BYTES });
        }
        Ok(Self { bits, bytes: vec![0; bytes] })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / usize::from(self.bits)
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bits an entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    fn position(&self, index: usize) -> Result<(usize, u32, u8), StatusError> {
        if index >= self.len() {
            return Err(StatusError::IndexOutOfRange { index, entries: self.len() });
        }
        let bit = index * usize::from(self.bits);
        let mask = u8::MAX >> (8 - u32::from(self.bits));
        Ok((bit / 8, (bit % 8) as u32, mask))
    }

    /// The status at `index`.
    pub fn get(&self, index: usize) -> Result<TokenStatus, StatusError> {
        let (byte, shift, mask) = self.position(index)?;
        Ok(TokenStatus::of((self.bytes[byte] >> shift) & mask))
    }

    /// Sets the status at `index`. INVALID is final (revocation cannot be
    /// undone); a status that does not fit in `bits` is refused.
    pub fn set(&mut self, index: usize, status: TokenStatus) -> Result<(), StatusError> {
        let (byte, shift, mask) = self.position(index)?;
        let value = status.value();
        if value > mask {
            return Err(StatusError::UnsupportedBits(self.bits.into()));
        }
        if self.get(index)? == TokenStatus::Invalid && status != TokenStatus::Invalid {
            return Err(StatusError::RevocationIsFinal(index));
        }
        self.bytes[byte] = (self.bytes[byte] & !(mask << shift)) | (value << shift);
        Ok(())
    }

    /// The `status_list` claim: `{"bits": …, "lst": …}`.
    pub fn to_claim(&self) -> Value {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let compressed = z.write_all(&self.bytes).and_then(|()| z.finish()).unwrap_or_default();
        json!({ "bits": self.bits, "lst": B64URL.encode(compressed) })
    }

    /// Reads a `status_list` claim, decompressing at most `max_bytes`.
    pub fn from_claim(claim: &Value, max_bytes: usize) -> Result<Self, StatusError> {
        let bits =
            claim.get("bits").and_then(Value::as_u64).ok_or(StatusError::MalformedTokenList("no `bits`"))?;
        let bits = u8::try_from(bits)
            .ok()
            .filter(|b| matches!(b, 1 | 2 | 4 | 8))
            .ok_or(StatusError::UnsupportedBits(bits))?;
        let lst =
            claim.get("lst").and_then(Value::as_str).ok_or(StatusError::MalformedTokenList("no `lst`"))?;
        let compressed = B64URL.decode(lst).map_err(|_| StatusError::NotBase64url)?;
        let mut bytes = Vec::new();
        let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX).saturating_add(1);
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusError::NotZlib)?;
        if bytes.len() > max_bytes {
            return Err(StatusError::TooLarge { limit: max_bytes });
        }
        Ok(Self { bits, bytes })
    }

    /// The Status List Token of this list at `uri` (its `sub`), signed with
    /// `key`, the method `kid` of the issuer's DID (`iss`).
    pub fn sign(
        &self,
        uri: &str,
        key: &SecretKey,
        kid: &DidUrl,
        issued_at: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    ) -> String {
        let header =
            json!({ "alg": key.key_type().jose_alg(), "kid": kid.to_string(), "typ": STATUSLIST_JWT });
        let mut payload = json!({
            "iss": kid.did.as_str(),
            "sub": uri,
            "iat": issued_at.timestamp(),
            "status_list": self.to_claim(),
        });
        if let Some(exp) = expires {
            payload["exp"] = json!(exp.timestamp());
        }
        jose::sign_compact(&header, &payload, key)
    }
}

/// Serializes as its `status_list` claim (`{"bits": …, "lst": …}`).
impl serde::Serialize for TokenStatusList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_claim().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for TokenStatusList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let claim = Value::deserialize(deserializer)?;
        Self::from_claim(&claim, Self::DEFAULT_MAX_BYTES).map_err(serde::de::Error::custom)
    }
}

/// The `status.status_list` entry of a referenced token: its `uri` and `idx`.
pub fn entry_of(token_claims: &Value) -> Option<Result<(String, usize), StatusError>> {
    let entry = token_claims.get("status")?.get("status_list")?;
    let uri = entry.get("uri").and_then(Value::as_str);
    let idx = entry.get("idx").and_then(Value::as_u64).and_then(|i| usize::try_from(i).ok());
    Some(match (uri, idx) {
        (Some(uri), Some(idx)) => Ok((uri.to_owned(), idx)),
        _ => Err(StatusError::MalformedTokenList(
            "`status.status_list` needs a string `uri` and an integer `idx`",
        )),
    })
}

/// Judges the entry `idx` of the list at `uri`, for a credential of
/// `issuer`, against the fetched Status List Token `token`: the
/// `status-list-issuer`, `status-list`, `status-list-freshness` and `status`
/// checks. `Err` only when the issuer's key could not be resolved.
pub async fn check<R: MethodResolver + ?Sized>(
    token: &str,
    resolver: &R,
    uri: &str,
    idx: usize,
    issuer: &str,
    now: DateTime<Utc>,
    skew_seconds: i64,
) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    let jws = match CompactJws::parse(token) {
        Ok(jws) => jws,
        Err(e) => {
            return Ok(vec![Check::failed(CheckKind::StatusList, format!("{uri}: not a compact JWS: {e}"))]);
        }
    };
    // The list must be signed by the credential's issuer: a `kid` of
    // another DID is not resolved at all.
    let kid = jws.kid().map(|k| DidUrl::parse(&k));
    match kid {
        Some(Ok(url)) if url.did.as_str() == issuer => {
            checks.push(Check::passed(
                CheckKind::StatusListIssuer,
                format!("signed with {url}, a key of {issuer}"),
            ));
        }
        _ => {
            checks.push(Check::failed(
                CheckKind::StatusListIssuer,
                format!("{uri}: the status list token is not signed with a key of the issuer {issuer}"),
            ));
            return Ok(checks);
        }
    }
    let signed = jose::verify_typed(&jws, resolver, ProofPurpose::AssertionMethod, &[STATUSLIST_JWT]).await?;
    if let Some(failed) = signed.iter().find(|c| c.outcome == Outcome::Failed) {
        checks.push(Check::failed(CheckKind::StatusList, format!("{uri}: {}", failed.detail)));
        return Ok(checks);
    }
    if jws.payload.get("sub").and_then(Value::as_str) != Some(uri) {
        checks.push(Check::failed(CheckKind::StatusList, format!("the token's `sub` is not {uri}")));
        return Ok(checks);
    }
    let skew = chrono::Duration::seconds(skew_seconds);
    let exp = jws.payload.get("exp").and_then(Value::as_i64).and_then(|s| DateTime::from_timestamp(s, 0));
    checks.push(match exp {
        Some(exp) if exp < now - skew => {
            Check::failed(CheckKind::StatusListFreshness, format!("expired at {exp}"))
        }
        Some(exp) => Check::passed(CheckKind::StatusListFreshness, format!("valid until {exp}")),
        None => Check::not_applicable(CheckKind::StatusListFreshness, "the status list token has no `exp`"),
    });
    let list = jws
        .payload
        .get("status_list")
        .ok_or(StatusError::MalformedTokenList("no `status_list`"))
        .and_then(|claim| TokenStatusList::from_claim(claim, TokenStatusList::DEFAULT_MAX_BYTES));
    let list = match list {
        Ok(list) => list,
        Err(e) => {
            checks.push(Check::failed(CheckKind::StatusList, format!("{uri}: {e}")));
            return Ok(checks);
        }
    };
    checks.push(Check::passed(
        CheckKind::StatusList,
        format!("{uri}: {} entries of {} bits", list.len(), list.bits()),
    ));
    checks.push(match list.get(idx) {
        Ok(TokenStatus::Valid) => Check::passed(CheckKind::Status, format!("valid (index {idx} of {uri})")),
        Ok(TokenStatus::Invalid) => {
            Check::failed(CheckKind::Status, format!("revoked (index {idx} of {uri})"))
        }
        Ok(TokenStatus::Suspended) => {
            Check::failed(CheckKind::Status, format!("suspended (index {idx} of {uri})"))
        }
        Ok(TokenStatus::Other(v)) => {
            Check::failed(CheckKind::Status, format!("status {v:#04x} (index {idx} of {uri}): not valid"))
        }
        Err(e) => Check::failed(CheckKind::Status, e.to_string()),
    });
    Ok(checks)
}
