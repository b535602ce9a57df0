//! The store's cryptography: records sealed with XChaCha20-Poly1305 under a
//! key derived from the root, the store MAC (HMAC-SHA256) over every row,
//! and the root wrapped by the passphrase's key-encryption key.

use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac as _};
use rand_core::{OsRng, RngCore as _};
use rusqlite::Connection;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::WalletError;
use crate::kdf::{self, KdfParams};
use crate::keys::RootSecret;

/// The record and MAC keys of one wallet, derived from its root.
pub(super) struct Keys {
    pub(super) wallet_id: [u8; 16],
    record: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

impl Keys {
    pub(super) fn new(wallet_id: [u8; 16], root: &RootSecret) -> Self {
        Self { wallet_id, record: root.derive("record-key"), mac: root.derive("store-mac") }
    }

    fn ad(&self, kind: &str, id: &str, version: u64) -> Vec<u8> {
        let mut ad = b"didam-wallet/v1/record".to_vec();
        ad.extend_from_slice(&self.wallet_id);
        lp(&mut ad, kind.as_bytes());
        lp(&mut ad, id.as_bytes());
        ad.extend_from_slice(&version.to_be_bytes());
        ad
    }

    pub(super) fn seal(
        &self,
        kind: &str,
        id: &str,
        version: u64,
        plain: &[u8],
    ) -> Result<Vec<u8>, WalletError> {
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(self.record.as_ref().into());
        let ct = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: &self.ad(kind, id, version) })
            .map_err(|_| WalletError::Seal)?;
        Ok([&nonce[..], &ct].concat())
    }

    pub(super) fn open(
        &self,
        kind: &str,
        id: &str,
        version: u64,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        let tampered = || WalletError::Tampered(format!("record {kind}/{id} does not decrypt"));
        if sealed.len() < 24 + 16 {
            return Err(tampered());
        }
        let (nonce, ct) = sealed.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| tampered())?;
        let cipher = XChaCha20Poly1305::new(self.record.as_ref().into());
        cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: &self.ad(kind, id, version) })
            .map(Zeroizing::new)
            .map_err(|_| tampered())
    }

    pub(super) fn mac(
        &self,
        conn: &Connection,
        generation: u64,
        root_row: &RootRow<'_>,
    ) -> Result<[u8; 32], WalletError> {
        let mut mac = <Hmac<Sha256> as hmac::Mac>::new_from_slice(self.mac.as_ref())
            .expect("HMAC takes a key of any length");
        mac.update(b"didam-wallet/v1/mac");
        mac.update(&self.wallet_id);
        mac.update(&generation.to_be_bytes());
        let mut row = Vec::new();
        lp(&mut row, root_row.kdf.as_bytes());
        lp(&mut row, root_row.salt);
        lp(&mut row, root_row.wrapped);
        mac.update(&row);
        let mut stmt =
            conn.prepare_cached("SELECT kind, id, version, sealed FROM records ORDER BY kind, id")?;
        let mut rows = stmt.query([])?;
        let mut buf = Vec::new();
        while let Some(row) = rows.next()? {
            buf.clear();
            let kind: String = row.get(0)?;
            let id: String = row.get(1)?;
            let version: i64 = row.get(2)?;
            let sealed: Vec<u8> = row.get(3)?;
            lp(&mut buf, kind.as_bytes());
            lp(&mut buf, id.as_bytes());
            buf.extend_from_slice(&version.to_be_bytes());
            buf.extend_from_slice(&Sha256::digest(&sealed));
            mac.update(&buf);
        }
        Ok(mac.finalize().into_bytes().into())
    }
}

/// The wallet row's root wrapping, covered by the MAC so an older wrapping
/// (an old passphrase) cannot be put back.
pub(super) struct RootRow<'a> {
    pub(super) kdf: &'a str,
    pub(super) salt: &'a [u8],
    pub(super) wrapped: &'a [u8],
}

fn lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn root_ad(wallet_id: &[u8; 16], kdf: &str) -> Vec<u8> {
    let mut ad = b"didam-wallet/v1/root".to_vec();
    ad.extend_from_slice(wallet_id);
    lp(&mut ad, kdf.as_bytes());
    ad
}

pub(super) fn wrap_root(
    root: &RootSecret,
    passphrase: &[u8],
    params: &KdfParams,
    wallet_id: &[u8; 16],
) -> Result<(String, [u8; 16], Vec<u8>), WalletError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let kdf_text = serde_json::to_string(params).map_err(WalletError::Encode)?;
    let kek = kdf::derive(passphrase, &salt, params)?;
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let ct = XChaCha20Poly1305::new(kek.as_ref().into())
        .encrypt(&XNonce::from(nonce), Payload { msg: root.as_bytes(), aad: &root_ad(wallet_id, &kdf_text) })
        .map_err(|_| WalletError::Seal)?;
    Ok((kdf_text, salt, [&nonce[..], &ct].concat()))
}

/// Unwraps the root with the key-encryption key: [`WalletError::WrongPassphrase`]
/// when it does not open.
pub(super) fn unwrap_root(
    kek: &[u8; 32],
    wallet_id: &[u8; 16],
    kdf_text: &str,
    wrapped: &[u8],
) -> Result<RootSecret, WalletError> {
    if wrapped.len() < 24 {
        return Err(WalletError::WrongPassphrase);
    }
    let (nonce, ct) = wrapped.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| WalletError::WrongPassphrase)?;
    let plain = Zeroizing::new(
        XChaCha20Poly1305::new(kek.into())
            .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: &root_ad(wallet_id, kdf_text) })
            .map_err(|_| WalletError::WrongPassphrase)?,
    );
    RootSecret::from_bytes(&plain).map_err(|_| WalletError::WrongPassphrase)
}
