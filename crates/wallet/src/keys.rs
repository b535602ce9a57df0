//! The key hierarchy.
//!
//! - **Wallet Root Secret** (WRS, 32 random bytes, hot, wrapped at rest):
//!   record keys, the store MAC key, the backup identity and every signing
//!   key derive from it with HKDF-SHA256, so the WRS alone rebuilds them.
//! - **Rotation Root Secret** (RRS, 32 random bytes, cold, never stored in the
//!   wallet): the DID update keys and their pre-rotation commitments derive
//!   from it. A thief of the unlocked wallet can sign until the holder
//!   rotates, but cannot rotate, update or deactivate the DID.
//!
//! Derivation: `HKDF-SHA256(ikm = root, salt = "didam-wallet/v1", info)`, with
//! `info` one of the labels in `specs/wallet-format.md` (`record-key`,
//! `store-mac`, `backup-x25519`, `rrs-check`, `sign/<alg>/<index>/<try>/<block>`,
//! `update/<slot>/<n>/<try>/<block>`). An ECDSA candidate outside the curve order is
//! skipped by bumping `<try>` (probability about 2^-32 for P-256 and 2^-128
//! for secp256k1). A BLS12-381 G2 (BBS) key takes the 32 bytes of
//! `sign/bls12-381-g2/<index>/0/0` as the key material of the BBS draft's
//! `KeyGen`, which hashes them to a scalar.
//!
//! `<slot>` and `<index>` are fresh random 63-bit values with the top bit set,
//! never a counter: a counter lives in `wallet.db`, which a restore from an
//! older backup (or a snapshot) rolls back, so its next DID would reuse the
//! slot, and so the keys, of a DID made after that backup. Wallets made
//! before used counters (all below 2^32), which stay valid.

use didam_credential::{KeyType, SecretKey};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore as _};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::WalletError;

const SALT: &[u8] = b"didam-wallet/v1";

/// A 32-byte root secret (either root). Zeroized on drop; no `Debug` output
/// of its value.
#[derive(Clone)]
pub struct RootSecret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RootSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootSecret(..)")
    }
}

impl RootSecret {
    /// A fresh secret from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut s = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(s.as_mut());
        Self(s)
    }

    /// A secret from its 32 bytes (as recovered from shares).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WalletError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| WalletError::RootLength(bytes.len()))?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The secret's bytes (to split into shares).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 32 bytes derived for `info`.
    pub fn derive(&self, info: &str) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(SALT), self.0.as_ref()).expand(info.as_bytes(), out.as_mut());
        out
    }

    /// The signing key of `key_type` at `index` (WRS).
    pub fn signing_key(&self, key_type: KeyType, index: u64) -> Result<SecretKey, WalletError> {
        derive_key(self, key_type, &format!("sign/{}/{index}", key_type.name()))
    }

    /// The Ed25519 update key number `n` of the DID in `slot` (RRS).
    pub fn update_key(&self, slot: u64, n: u32) -> Result<SecretKey, WalletError> {
        self.update_key_of(KeyType::Ed25519, slot, n)
    }

    /// The update key of `key_type` number `n` of the DID in `slot` (RRS):
    /// `update/<slot>/<n>` for Ed25519 (as before hybrid control),
    /// `update/<type>/<slot>/<n>` for the others (ML-DSA-44: the 32 bytes
    /// are the FIPS 204 seed).
    pub fn update_key_of(&self, key_type: KeyType, slot: u64, n: u32) -> Result<SecretKey, WalletError> {
        match key_type {
            KeyType::Ed25519 => derive_key(self, key_type, &format!("update/{slot}/{n}")),
            other => derive_key(self, other, &format!("update/{}/{slot}/{n}", other.name())),
        }
    }

    /// The update keys number `n` of the DID in `slot`, one of each of
    /// `types` in order (all sign an entry: hybrid control when they mix
    /// classical and quantum-safe types).
    pub fn update_keys(&self, types: &[KeyType], slot: u64, n: u32) -> Result<Vec<SecretKey>, WalletError> {
        types.iter().map(|t| self.update_key_of(*t, slot, n)).collect()
    }

    /// The ML-DSA-44 checkpoint key of the ledger `origin` this wallet
    /// operates (`ledger/ml-dsa-44/<origin>`): derived, so shares and
    /// backups recover it.
    pub fn ledger_pq_key(&self, origin: &str) -> Result<SecretKey, WalletError> {
        derive_key(self, KeyType::MlDsa44, &format!("ledger/{}/{origin}", KeyType::MlDsa44.name()))
    }

    /// A public check value that tells whether a rotation secret is this
    /// wallet's without revealing anything about it (kept in the wallet).
    pub fn check_value(&self) -> String {
        let v = self.derive("rrs-check");
        hex(&v[..16])
    }
}

fn derive_key(root: &RootSecret, key_type: KeyType, label: &str) -> Result<SecretKey, WalletError> {
    if key_type == KeyType::Bls12381G2 {
        // BBS keys: the 32 derived bytes are the key material of the BBS
        // draft's KeyGen, which hashes them to a scalar (never out of range).
        return Ok(SecretKey::bbs_key_gen(&root.derive(&format!("{label}/0/0"))[..])?);
    }
    // Candidates out of range for the curve are skipped; sixteen in a row
    // (practically never) is an error: the last candidate's.
    let mut attempt = 0u32;
    loop {
        let len = match key_type {
            KeyType::P384 => 48,
            KeyType::P521 => 66,
            _ => 32,
        };
        let mut bytes = Zeroizing::new(Vec::with_capacity(96));
        for block in 0..3 {
            bytes.extend_from_slice(&root.derive(&format!("{label}/{attempt}/{block}"))[..]);
        }
        bytes.truncate(len);
        if key_type == KeyType::P521 {
            // A 521-bit scalar: the top byte holds one bit.
            if let Some(b) = bytes.first_mut() {
                *b &= 0x01;
            }
        }
        match SecretKey::from_bytes(key_type, &bytes) {
            Ok(key) => return Ok(key),
            Err(e) if attempt == 15 => return Err(e.into()),
            Err(_) => attempt += 1,
        }
    }
}

/// A fresh rotation slot or signing-key derivation index: 63 random bits
/// from the operating system's CSPRNG, with the top bit set.
///
/// Why random and not a counter: a counter lives in `wallet.db`, and a
/// wallet restored from an older backup (or a `wallet.db` copied back from a
/// snapshot) rolls it back, so its next DID would take the slot, and so the
/// update keys and signing key, of a DID made after that backup. A random
/// index needs no state: two of 2^63 values meet with probability about
/// `k^2 / 2^64` over `k` allocations (below 2^-40 for a million DIDs), and
/// the top bit keeps them apart from the counters of wallets made before
/// (all below 2^32). Keys stay recoverable from the shares: the indexes are
/// public, kept in the DID and key records, and every backup written before
/// a DID operation is submitted (durable before public) carries them, with
/// the DID's log (see `resync`).
pub(crate) fn fresh_index() -> u64 {
    OsRng.next_u64() | (1 << 63)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lowercase or uppercase `hex`; `None` when it is not hex of
/// whole bytes.
pub(crate) fn unhex(hex: &str) -> Option<Zeroizing<Vec<u8>>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..hex.len() / 2)
        .map(|i| hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()?;
    Some(Zeroizing::new(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn derivation_is_deterministic_and_separated() {
        let root = RootSecret::from_bytes(&[7; 32]).unwrap();
        let again = RootSecret::from_bytes(&[7; 32]).unwrap();
        for kt in KeyType::ALL {
            let a = root.signing_key(kt, 0).unwrap().public_key().to_multikey();
            assert_eq!(a, again.signing_key(kt, 0).unwrap().public_key().to_multikey());
            assert_ne!(a, root.signing_key(kt, 1).unwrap().public_key().to_multikey());
        }
        let u = root.update_key(0, 0).unwrap().public_key().to_multikey();
        assert_ne!(u, root.update_key(0, 1).unwrap().public_key().to_multikey());
        assert_ne!(u, root.update_key(1, 0).unwrap().public_key().to_multikey());
        assert_ne!(u, root.signing_key(KeyType::Ed25519, 0).unwrap().public_key().to_multikey());
        assert_eq!(format!("{root:?}"), "RootSecret(..)");
    }
}
