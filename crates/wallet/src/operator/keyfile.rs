//! The operator's checkpoint key as a file, for a ledger daemon that runs
//! without a wallet: the C2SP/Go note signer key string
//! (`PRIVATE+KEY+<origin>+<key id>+<key>`), and on a second line, once the
//! operator added one ([`add_pq`], or [`generate`] with `pq`), the ML-DSA-44
//! key's (type `0x06`, C2SP tlog-cosignature), encrypted to a passphrase with
//! age (scrypt recipient). The passphrase comes from a file, never from argv,
//! and is never logged.
//!
//! ```
//! use age::secrecy::SecretString;
//! use didam_wallet::operator::keyfile;
//!
//! let dir = std::env::temp_dir().join(format!("didam-keyfile-doc-{}", std::process::id()));
//! let path = dir.join("checkpoint.key");
//! let pass = || SecretString::from("correct horse".to_owned());
//! # let _ = std::fs::remove_dir_all(&dir);
//! let made = keyfile::generate("example.test/ledger", &path, pass(), false)?;
//! assert_eq!(keyfile::open(&path, pass())?.verifier(), made.verifier());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See: <https://c2sp.org/age#scrypt-recipient-stanza>

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::{NoteError, NoteSigner};

/// Why a key file or its passphrase file could not be made or opened. No
/// message holds the key or the passphrase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The passphrase file is empty.
    #[error("the passphrase file {0} is empty")]
    EmptyPassphrase(PathBuf),
    /// The key file exists: it is never overwritten.
    #[error("{0} exists: refusing to overwrite a key file")]
    Exists(PathBuf),
    /// Writing the key file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The origin cannot name a note signer.
    #[error("origin `{origin}`: {source}")]
    Origin {
        /// The origin given.
        origin: String,
        /// Why.
        source: NoteError,
    },
    /// Encrypting the key failed.
    #[error("encrypting the key: {0}")]
    Seal(#[source] age::EncryptError),
    /// The key file did not decrypt: a wrong passphrase, a work factor above
    /// the cap, or not an age file.
    #[error("cannot open the checkpoint key {path}: wrong passphrase or not an age key file ({source})")]
    Open {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: age::DecryptError,
    },
    /// The key file decrypted to something that is not a note key.
    #[error("cannot open the checkpoint key {path}: {source}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: NoteError,
    },
    /// The key file decrypted to bytes that are not text.
    #[error("cannot open the checkpoint key {0}: the key is not text")]
    NotText(PathBuf),
}

/// The scrypt work factor (log2 N) of the key files `keygen` writes: N = 2^17
/// with age's r = 8, p = 1 is OWASP's minimum for scrypt, and costs 128 MiB
/// and about half a second once, at start. age records it in the file (the
/// scrypt stanza), so opening reads it from there. Left to age, the work
/// factor is calibrated to take a second on the machine that makes the key
/// (2^18 or 2^19 here, depending on the load): up to 512 MiB, which made the
/// daemon's peak memory 518 MiB.
/// See: <https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt>
pub const WORK_FACTOR: u8 = 17;

/// The largest scrypt work factor accepted when decrypting (log2 N; memory is
/// 2^N KiB): key files made by earlier versions (age's calibrated factor, up
/// to 2^20) still open, and a hostile key file cannot make the daemon take
/// more than 1 GiB or spin for minutes.
const MAX_WORK_FACTOR: u8 = 20;

/// Reads the passphrase: the file's first line, without its line ending.
pub fn read_passphrase(path: &Path) -> Result<SecretString, KeyFileError> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|source| KeyFileError::Read { path: path.to_owned(), source })?,
    );
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(KeyFileError::EmptyPassphrase(path.to_owned()));
    }
    Ok(SecretString::from(line.to_owned()))
}

/// Makes a new key for `origin` (with an ML-DSA-44 companion when `pq`),
/// encrypts it to `passphrase` and writes it to `out` (atomically; an
/// existing file is an error). Returns the signer.
pub fn generate(
    origin: &str,
    out: &Path,
    passphrase: SecretString,
    pq: bool,
) -> Result<NoteSigner, KeyFileError> {
    if out.exists() {
        return Err(KeyFileError::Exists(out.to_owned()));
    }
    let origin_error = |source| KeyFileError::Origin { origin: origin.to_owned(), source };
    let mut signer = NoteSigner::new(origin, SecretKey::generate(KeyType::Ed25519)).map_err(origin_error)?;
    if pq {
        let companion =
            NoteSigner::new(origin, SecretKey::generate(KeyType::MlDsa44)).map_err(origin_error)?;
        signer = signer.with_pq(companion).map_err(origin_error)?;
    }
    seal(&signer, out, passphrase, false)?;
    Ok(signer)
}

/// Adds an ML-DSA-44 key to the key file at `path` (opened with
/// `passphrase`), the start of the migration's overlap: from the daemon's
/// next start its checkpoints carry both signatures. A file that has one
/// already is returned unchanged. Returns the signer.
pub fn add_pq(path: &Path, passphrase: SecretString) -> Result<NoteSigner, KeyFileError> {
    let signer = open(path, passphrase.clone())?;
    if signer.pq().is_some() {
        return Ok(signer);
    }
    let origin_error = |source| KeyFileError::Origin { origin: signer.name().to_owned(), source };
    let companion =
        NoteSigner::new(signer.name(), SecretKey::generate(KeyType::MlDsa44)).map_err(origin_error)?;
    let signer = signer.clone().with_pq(companion).map_err(origin_error)?;
    seal(&signer, path, passphrase, true)?;
    Ok(signer)
}

/// Encrypts `signer`'s key strings (one a line: the Ed25519 key, then its
/// ML-DSA-44 companion) to `passphrase` and writes them to `out`
/// atomically (replacing the file only when `replace`).
fn seal(
    signer: &NoteSigner,
    out: &Path,
    passphrase: SecretString,
    replace: bool,
) -> Result<(), KeyFileError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(WORK_FACTOR);
    let mut key_string = zeroize::Zeroizing::new(signer.to_key_string().to_string());
    if let Some(pq) = signer.pq() {
        key_string.push('\n');
        key_string.push_str(&pq.to_key_string());
    }
    let sealed = age::encrypt(&recipient, key_string.as_bytes()).map_err(KeyFileError::Seal)?;
    if !replace && out.exists() {
        return Err(KeyFileError::Exists(out.to_owned()));
    }
    let write = |source| KeyFileError::Write { path: out.to_owned(), source };
    didam_ledger::file::write_atomic(out, &sealed).map_err(write)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600)).map_err(write)?;
    }
    Ok(())
}

/// Opens the key file at `path` with `passphrase`.
pub fn open(path: &Path, passphrase: SecretString) -> Result<NoteSigner, KeyFileError> {
    let sealed =
        std::fs::read(path).map_err(|source| KeyFileError::Read { path: path.to_owned(), source })?;
    let mut identity = age::scrypt::Identity::new(passphrase);
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let plain = zeroize::Zeroizing::new(
        age::decrypt(&identity, &sealed)
            .map_err(|source| KeyFileError::Open { path: path.to_owned(), source })?,
    );
    let text = std::str::from_utf8(&plain).map_err(|_| KeyFileError::NotText(path.to_owned()))?;
    let key_error = |source| KeyFileError::Key { path: path.to_owned(), source };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let signer = NoteSigner::from_key_string(lines.next().unwrap_or_default()).map_err(key_error)?;
    match lines.next() {
        Some(pq) => signer.with_pq(NoteSigner::from_key_string(pq).map_err(key_error)?).map_err(key_error),
        None => Ok(signer),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generate_then_open() {
        let dir = std::env::temp_dir().join(format!("didam-operator-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("checkpoint.key");
        let pass = || SecretString::from("correct horse".to_owned());
        let made = generate("example.test/ledger", &path, pass(), false).unwrap();
        let opened = open(&path, pass()).unwrap();
        assert_eq!(opened.verifier(), made.verifier());
        assert!(matches!(
            generate("example.test/ledger", &path, pass(), false),
            Err(KeyFileError::Exists(_))
        ));
        let wrong = open(&path, SecretString::from("wrong".to_owned()));
        assert!(matches!(wrong, Err(KeyFileError::Open { .. })));
        assert_eq!(opened.name(), "example.test/ledger");
        // The work factor is the one chosen, recorded in the scrypt stanza.
        let header = std::fs::read(&path).unwrap();
        let header = String::from_utf8_lossy(&header[..200.min(header.len())]).into_owned();
        let stanza = header.lines().find(|l| l.starts_with("-> scrypt ")).unwrap();
        assert_eq!(stanza.rsplit(' ').next(), Some(WORK_FACTOR.to_string().as_str()), "{stanza}");
        // The migration's start: an ML-DSA-44 key added, the Ed25519 key kept.
        let both = add_pq(&path, pass()).unwrap();
        assert_eq!(both.verifier(), made.verifier());
        let reopened = open(&path, pass()).unwrap();
        assert_eq!(reopened.pq_verifier(), both.pq_verifier());
        assert!(reopened.pq_verifier().is_some());
        assert_eq!(add_pq(&path, pass()).unwrap().pq_verifier(), both.pq_verifier());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
