//! Wallet errors. No variant carries secret material: messages name what
//! failed and what to do, never a key, a share or a passphrase.

use thiserror::Error;

/// Everything the wallet can refuse or fail at.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The passphrase does not unlock this wallet.
    #[error("wrong passphrase (or the wallet's root record is damaged)")]
    WrongPassphrase,
    /// The stored key-derivation parameters are outside what didam accepts;
    /// checked before any work, so a hostile file cannot exhaust the machine.
    #[error("the wallet's key-derivation parameters are out of bounds: {0}")]
    KdfParameters(String),
    /// A record, the store MAC or the file layout does not check: the file
    /// was altered, rows were swapped, deleted or rolled back.
    #[error(
        "wallet integrity check failed: {0}; the wallet refuses to write until it is restored from a backup"
    )]
    Tampered(String),
    /// No wallet at this path.
    #[error("no wallet at {0}")]
    NotFound(String),
    /// A wallet already exists at this path.
    #[error("a wallet already exists at {0}")]
    Exists(String),
    /// The file is a wallet of another format version.
    #[error("unsupported wallet format {0}")]
    Format(u32),
    /// No record of that kind and id.
    #[error("no {kind} {id} in this wallet")]
    NoSuchRecord {
        /// Record kind.
        kind: &'static str,
        /// Record id.
        id: String,
    },
    /// The key was marked compromised: the wallet never signs with it again.
    #[error("key {0} is marked compromised; the wallet will not sign with it")]
    Compromised(String),
    /// The rotation root secret given does not belong to this wallet.
    #[error("the rotation secret does not match this wallet")]
    WrongRotationSecret,
    /// The DID is not in a state that allows the operation.
    #[error("{0}")]
    DidState(String),
    /// A backup could not be written, read or checked.
    #[error("backup: {0}")]
    Backup(String),
    /// The backup is older than the wallet's current state.
    #[error(
        "backup is at generation {backup}, older than the wallet's generation {wallet}; pass --force to restore it anyway"
    )]
    StaleBackup {
        /// The backup's generation.
        backup: u64,
        /// The wallet's generation.
        wallet: u64,
    },
    /// SLIP-39 shares did not give a secret.
    #[error("shares: {0}")]
    Shares(#[from] crate::slip39::Slip39Error),
    /// The ledger or the DID method refused an operation.
    #[error(transparent)]
    Registry(#[from] didam_registry::Error),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] didam_ledger::LedgerError),
    /// The credential engine refused.
    #[error(transparent)]
    Credential(#[from] didam_credential::Error),
    /// A key could not be built.
    #[error(transparent)]
    Key(#[from] didam_credential::KeyError),
    /// A DID log entry could not be built.
    #[error(transparent)]
    Entry(#[from] didam_method::EntryError),
    /// A string that is not a valid DID.
    #[error(transparent)]
    InvalidDid(#[from] didam_credential::InvalidDid),
    /// Invalid input from the caller.
    #[error("{0}")]
    Invalid(String),
    /// The storage engine failed.
    #[error("wallet storage: {0}")]
    Storage(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for WalletError {
    fn from(e: rusqlite::Error) -> Self {
        WalletError::Storage(e.to_string())
    }
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> WalletError + '_ {
    move |source| WalletError::Io { path: path.display().to_string(), source }
}
