//! Backups in the age format.
//!
//! A backup is an age file whose plaintext is JSON: the wallet id, the
//! generation it was taken at, and every record in plain form. It is
//! encrypted to an X25519 recipient derived from the Wallet Root Secret
//! (`HKDF(WRS, "backup-x25519")`), so the root (from SLIP-39 shares) plus the
//! newest backup rebuild the wallet; or, optionally, to a passphrase (age's
//! scrypt recipient), in which case the root travels inside the backup.
//! Backups are written atomically and read back after writing.

use std::path::Path;

use age::secrecy::SecretString;
use bech32::ToBase32 as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::WalletError;
use crate::error::BackupError;
use crate::keys::{RootSecret, hex};
use crate::store::PlainRecord;

const FORMAT: &str = "didam-wallet-backup/1";

/// The plaintext of a backup.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupContents {
    /// Always `didam-wallet-backup/1`.
    pub format: String,
    /// The wallet's id (hex).
    pub wallet_id: String,
    /// The wallet generation the records were read at.
    pub generation: u64,
    /// When the backup was made.
    pub created: chrono::DateTime<chrono::Utc>,
    /// The Wallet Root Secret (hex), only in passphrase-encrypted backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<Zeroizing<String>>,
    /// Every record.
    pub records: Vec<PlainRecord>,
}

impl std::fmt::Debug for BackupContents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupContents")
            .field("wallet_id", &self.wallet_id)
            .field("generation", &self.generation)
            .field("records", &self.records.len())
            .finish_non_exhaustive()
    }
}

/// What a backup is encrypted to.
pub enum BackupKey<'a> {
    /// The X25519 identity derived from the Wallet Root Secret.
    Root(&'a RootSecret),
    /// A passphrase (age scrypt); the backup then carries the root.
    Passphrase(&'a [u8]),
}

fn identity(root: &RootSecret) -> Result<age::x25519::Identity, WalletError> {
    let bytes = root.derive("backup-x25519");
    let encoded = Zeroizing::new(
        bech32::encode("age-secret-key-", bytes.to_base32(), bech32::Variant::Bech32)
            .expect("the age prefix and a 32-byte key encode as bech32")
            .to_uppercase(),
    );
    encoded.parse().map_err(|_: &str| WalletError::Backup(BackupError::MalformedField("backup identity")))
}

fn passphrase(p: &[u8]) -> Result<SecretString, WalletError> {
    let s = std::str::from_utf8(p).map_err(|_| BackupError::PassphraseNotUtf8)?;
    Ok(SecretString::from(s.to_owned()))
}

/// Encrypts `contents`.
pub fn seal(contents: &BackupContents, key: &BackupKey<'_>) -> Result<Vec<u8>, WalletError> {
    let plain = Zeroizing::new(serde_json::to_vec(contents).map_err(WalletError::Encode)?);
    let out = match key {
        BackupKey::Root(root) => age::encrypt(&identity(root)?.to_public(), &plain),
        BackupKey::Passphrase(p) => age::encrypt(&age::scrypt::Recipient::new(passphrase(p)?), &plain),
    };
    Ok(out.map_err(|e| BackupError::Encrypt(Box::new(e)))?)
}

/// Decrypts a backup.
pub fn open(bytes: &[u8], key: &BackupKey<'_>) -> Result<BackupContents, WalletError> {
    let plain = Zeroizing::new(
        match key {
            BackupKey::Root(root) => age::decrypt(&identity(root)?, bytes),
            BackupKey::Passphrase(p) => {
                let mut id = age::scrypt::Identity::new(passphrase(p)?);
                // Bounds the work a hostile file can ask for (2^22 ≈ 4 GiB·s).
                id.set_max_work_factor(22);
                age::decrypt(&id, bytes)
            }
        }
        .map_err(BackupError::Decrypt)?,
    );
    let contents: BackupContents = serde_json::from_slice(&plain).map_err(BackupError::Malformed)?;
    if contents.format != FORMAT {
        return Err(BackupError::Format(contents.format).into());
    }
    Ok(contents)
}

/// Builds the contents of a backup.
pub fn contents(
    wallet_id: &[u8; 16],
    generation: u64,
    records: Vec<PlainRecord>,
    root: Option<&RootSecret>,
) -> BackupContents {
    BackupContents {
        format: FORMAT.into(),
        wallet_id: hex(wallet_id),
        generation,
        created: chrono::Utc::now(),
        root: root.map(|r| Zeroizing::new(hex(r.as_bytes()))),
        records,
    }
}

/// Writes a backup to `path` atomically, then reads it back and checks it
/// decrypts to the same contents.
pub fn write(path: &Path, contents: &BackupContents, key: &BackupKey<'_>) -> Result<(), WalletError> {
    let sealed = seal(contents, key)?;
    didam_ledger::file::write_atomic(path, &sealed).map_err(crate::error::io(path))?;
    let back = std::fs::read(path).map_err(crate::error::io(path))?;
    check_read_back(&back, contents, key, &path.display().to_string())
}

/// Seals a backup for a stream (standard output), checked as [`write()`]
/// checks a file: the bytes decrypt to the same contents.
pub fn sealed(contents: &BackupContents, key: &BackupKey<'_>) -> Result<Vec<u8>, WalletError> {
    let sealed = seal(contents, key)?;
    check_read_back(&sealed, contents, key, "the sealed backup")?;
    Ok(sealed)
}

/// Whether `back` opens to `contents` (`what` names it in the error).
fn check_read_back(
    back: &[u8],
    contents: &BackupContents,
    key: &BackupKey<'_>,
    what: &str,
) -> Result<(), WalletError> {
    let reopened = open(back, key)?;
    let same = reopened.generation == contents.generation
        && reopened.wallet_id == contents.wallet_id
        && serde_json::to_value(&reopened.records).ok() == serde_json::to_value(&contents.records).ok();
    if !same {
        return Err(BackupError::ReadBack(what.to_owned()).into());
    }
    Ok(())
}
