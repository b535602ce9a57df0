//! The checkpoint key file: the C2SP/Go note signer key string
//! (`PRIVATE+KEY+<origin>+<key id>+<key>`), encrypted to a passphrase with age
//! (scrypt recipient). The passphrase comes from a file, never from argv, and
//! is never logged.
//!
//! See: <https://c2sp.org/age#scrypt-recipient-stanza>

use std::path::Path;

use age::secrecy::SecretString;
use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::NoteSigner;

use crate::error::StartError;

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
pub fn read_passphrase(path: &Path) -> Result<SecretString, StartError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| StartError::Read { path: path.to_owned(), source })?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(StartError::EmptyPassphrase(path.to_owned()));
    }
    Ok(SecretString::from(line.to_owned()))
}

/// Makes a new key for `origin`, encrypts it to `passphrase` and writes it to
/// `out` (atomically; an existing file is an error). Returns the signer.
pub fn generate(origin: &str, out: &Path, passphrase: SecretString) -> Result<NoteSigner, StartError> {
    if out.exists() {
        return Err(StartError::Exists(out.to_owned()));
    }
    let signer = NoteSigner::new(origin, SecretKey::generate(KeyType::Ed25519))
        .map_err(|e| StartError::Setup(format!("origin `{origin}`: {e}")))?;
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(WORK_FACTOR);
    let key_string = signer.to_key_string();
    let sealed = age::encrypt(&recipient, key_string.as_bytes())
        .map_err(|e| StartError::Setup(format!("encrypting the key: {e}")))?;
    if out.exists() {
        return Err(StartError::Exists(out.to_owned()));
    }
    let write = |source| StartError::Write { path: out.to_owned(), source };
    didam_ledger::file::write_atomic(out, &sealed).map_err(write)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600)).map_err(write)?;
    }
    Ok(signer)
}

/// Opens the key file at `path` with `passphrase`.
pub fn open(path: &Path, passphrase: SecretString) -> Result<NoteSigner, StartError> {
    let fail = |reason: String| StartError::Key { path: path.to_owned(), reason };
    let sealed = std::fs::read(path).map_err(|source| StartError::Read { path: path.to_owned(), source })?;
    let mut identity = age::scrypt::Identity::new(passphrase);
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let plain = Wiped(
        age::decrypt(&identity, &sealed)
            .map_err(|e| fail(format!("wrong passphrase or not an age key file ({e})")))?,
    );
    let text = std::str::from_utf8(&plain.0).map_err(|_| fail("the key is not text".into()))?;
    NoteSigner::from_key_string(text.trim_end()).map_err(|e| fail(e.to_string()))
}

/// Plaintext overwritten when dropped.
struct Wiped(Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generate_then_open() {
        let dir = std::env::temp_dir().join(format!("didam-resolver-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("checkpoint.key");
        let pass = || SecretString::from("correct horse".to_owned());
        let made = generate("example.test/ledger", &path, pass()).unwrap();
        let opened = open(&path, pass()).unwrap();
        assert_eq!(opened.verifier(), made.verifier());
        assert!(matches!(generate("example.test/ledger", &path, pass()), Err(StartError::Exists(_))));
        let wrong = open(&path, SecretString::from("wrong".to_owned()));
        assert!(matches!(wrong, Err(StartError::Key { .. })));
        assert_eq!(opened.name(), "example.test/ledger");
        // The work factor is the one chosen, recorded in the scrypt stanza.
        let header = std::fs::read(&path).unwrap();
        let header = String::from_utf8_lossy(&header[..200.min(header.len())]).into_owned();
        let stanza = header.lines().find(|l| l.starts_with("-> scrypt ")).unwrap();
        assert_eq!(stanza.rsplit(' ').next(), Some(WORK_FACTOR.to_string().as_str()), "{stanza}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
