//! Wallet errors. No variant carries secret material: messages name what
//! failed and what to do, never a key, a share or a passphrase. A failure of
//! another layer keeps its cause as the error's `source()`: SQLite's error,
//! the status-list codec's, the ledger's, age's.

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
    /// A root secret of the wrong length (from shares or a backup).
    #[error("a root secret is 32 bytes, not {0}")]
    RootLength(usize),
    /// A DID was asked for with no key types.
    #[error("a DID needs at least one key")]
    NoKeyTypes,
    /// Update keys asked for that no did:didam entry can be signed with.
    #[error("`{0}` is no set of update key types: one or two of ed25519 and ml-dsa-44, each once")]
    Control(String),
    /// The DID has no signing key of the type the suite needs.
    #[error("{did} has no {} key", key_type.name())]
    NoKeyOfType {
        /// The DID.
        did: String,
        /// The key type the suite signs with.
        key_type: didam_credential::KeyType,
    },
    /// The DID's create operation has not been confirmed by the ledger yet.
    #[error("{0} is not on the ledger yet; run `didam did reconcile` when the ledger is reachable")]
    DidPending(String),
    /// The DID was deactivated: it can neither change nor sign again.
    #[error("{0} is deactivated")]
    DidDeactivated(String),
    /// An operation of the DID is stored but not confirmed by the ledger:
    /// reconcile it ([`crate::Wallet::reconcile`]) before the next one.
    #[error("{0} has an operation waiting for the ledger; reconcile it first (`didam did reconcile`)")]
    OperationPending(String),
    /// A credential with this `id` was issued before: a second one would
    /// replace the record `didam vc revoke` finds the first by.
    #[error("a credential with id {0} was issued before; give the new one another id")]
    AlreadyIssued(String),
    /// The DID cannot be rotated and its keys leaked: it is never used again.
    #[error(
        "{0} is marked compromised (its keys leaked and it cannot be rotated): stop using it and re-issue with a new DID"
    )]
    DidCompromised(String),
    /// A compromise procedure is unfinished: it is continued, not begun again.
    #[error(
        "a compromise procedure begun at {0} is unfinished: run it again without --new-leak to finish it"
    )]
    CompromiseUnfinished(chrono::DateTime<chrono::Utc>),
    /// No compromise procedure was begun.
    #[error("no compromise procedure was begun in this wallet")]
    NoCompromise,
    /// A credential to issue with a status entry already has one.
    #[error("the credential already has a credentialStatus")]
    HasStatus,
    /// A DID or a status list lives on a ledger, and none was given.
    #[error("{0} is on a ledger; none was given")]
    NoLedger(String),
    /// An issuer that is not on a ledger needs a served folder for its
    /// status lists.
    #[error(
        "{0} is not on a ledger: its status lists need a folder a daemon serves (--status-dir) and its URL (--status-url)"
    )]
    NoStatusDirectory(String),
    /// The credential has no status entry of that purpose from this wallet.
    #[error(
        "{credential} has no {} status entry from this wallet; issue with --status{}",
        .purpose.name(),
        suspension_flag(*.purpose)
    )]
    NoStatusEntry {
        /// The credential's id.
        credential: String,
        /// The purpose asked for.
        purpose: didam_credential::status_list::StatusPurpose,
    },
    /// A backup could not be written, read or checked.
    #[error("backup: {0}")]
    Backup(#[from] BackupError),
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
    /// The wallet is older than its newest backup: `wallet.db` was rolled
    /// back (copied back, or a file-system snapshot restored).
    #[error(
        "wallet.db is at generation {wallet}, older than its newest backup {} (generation {backup}): it was rolled back; restore that backup (`didam wallet restore --backup FILE --shares FILES --force`), then `didam wallet resync`",
        .path.display()
    )]
    RolledBack {
        /// The store's generation.
        wallet: u64,
        /// The newest backup's generation.
        backup: u64,
        /// The newest backup.
        path: std::path::PathBuf,
    },
    /// The ledger holds a later version of a DID than the wallet knows (a
    /// restored or rolled-back wallet): resynchronise it.
    #[error("{did}: the wallet knows version {wallet}, its ledger has {ledger}; run `didam wallet resync`")]
    BehindLedger {
        /// The DID.
        did: String,
        /// The wallet's `versionId`.
        wallet: String,
        /// The ledger's `versionId`.
        ledger: String,
    },
    /// The ledger's latest entry of a DID does not commit to the update key
    /// the wallet would reveal next: the DID was changed by another wallet
    /// or with another rotation secret.
    #[error("{did}: the ledger's version {version} does not commit to this wallet's next update key")]
    NotCommitted {
        /// The DID.
        did: String,
        /// The ledger's `versionId`.
        version: String,
    },
    /// The ledger holds fewer entries of a DID than the wallet kept (a
    /// ledger restored from an older copy, or one that lost entries): its
    /// state is older than the wallet's and is not taken.
    #[error(
        "{did}: its ledger ends at version {ledger}, before the wallet's {wallet}; put the missing entries back with `didam wallet resync`"
    )]
    LedgerBehind {
        /// The DID.
        did: String,
        /// The last `versionId` the wallet kept.
        wallet: String,
        /// The ledger's `versionId`.
        ledger: String,
    },
    /// The ledger's log of a DID is not the log the wallet kept: the two
    /// part at some entry. Neither is taken.
    #[error("{did}: its ledger's log parts from the one the wallet kept at version {at}")]
    LedgerForked {
        /// The DID.
        did: String,
        /// The first `versionId` in which they differ (the wallet's).
        at: String,
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
    /// Anchoring failed (boxed: the error is large, and rare).
    #[error(transparent)]
    Anchor(Box<didam_registry::anchor::AnchorError>),
    /// The ledger operator's checkpoint key could not be made or read.
    #[error("the ledger operator key: {0}")]
    LedgerKey(#[source] didam_ledger::note::NoteError),
    /// The credential engine refused.
    #[error(transparent)]
    Credential(#[from] didam_credential::Error),
    /// A status list could not be allocated from, changed or encoded.
    #[error("status list: {0}")]
    Status(#[from] didam_credential::StatusError),
    /// A key could not be built.
    #[error(transparent)]
    Key(#[from] didam_credential::KeyError),
    /// A DID log entry could not be built.
    #[error(transparent)]
    Entry(#[from] didam_method::EntryError),
    /// A string that is not a valid DID.
    #[error(transparent)]
    InvalidDid(#[from] didam_credential::InvalidDid),
    /// The storage engine (SQLite) failed.
    #[error("wallet storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A record could not be encoded as JSON.
    #[error("cannot encode a wallet record: {0}")]
    Encode(#[source] serde_json::Error),
    /// Sealing a record or wrapping the root failed.
    #[error("cannot seal a wallet record")]
    Seal,
    /// A wallet operation stopped before it finished: it panicked (another
    /// thread's, which poisons the store's lock) or the task running it was
    /// cancelled. The store is as its last committed transaction left it.
    #[error("a wallet operation stopped before it finished; reopen the wallet")]
    Interrupted,
    /// A write to a wallet this process may only read: its folder or its
    /// `wallet.db` is not writable (a read-only data folder), or the wallet
    /// was opened to read only ([`crate::Wallet::open_read_only`]).
    #[error("the wallet in {} is read-only here (its folder or wallet.db is not writable): this command changes the wallet", .dir.display())]
    ReadOnly {
        /// The wallet's folder.
        dir: std::path::PathBuf,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Why a backup could not be written, read or used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BackupError {
    /// age could not encrypt it (boxed: age's error is large).
    #[error("cannot encrypt: {0}")]
    Encrypt(#[source] Box<age::EncryptError>),
    /// age could not decrypt it: another wallet's root, a wrong passphrase,
    /// or not an age file.
    #[error("cannot decrypt: {0}")]
    Decrypt(#[source] age::DecryptError),
    /// The backup passphrase must be UTF-8 (age's scrypt recipient).
    #[error("the passphrase is not UTF-8")]
    PassphraseNotUtf8,
    /// It decrypts, but the contents are not a backup.
    #[error("malformed contents: {0}")]
    Malformed(#[source] serde_json::Error),
    /// A backup of another format version.
    #[error("unknown backup format {0:?}")]
    Format(String),
    /// A field of the contents is malformed.
    #[error("malformed {0}")]
    MalformedField(&'static str),
    /// The file written does not read back as written.
    #[error("{0} did not read back as written")]
    ReadBack(String),
    /// A root-encrypted backup restored as a passphrase one: it carries no root.
    #[error("this backup carries no root")]
    NoRoot,
    /// The backup is of another wallet than the one it would restore.
    #[error("the backup belongs to another wallet")]
    OtherWallet,
}

/// The flag that asks for a suspension list, for [`WalletError::NoStatusEntry`].
fn suspension_flag(purpose: didam_credential::status_list::StatusPurpose) -> &'static str {
    match purpose {
        didam_credential::status_list::StatusPurpose::Suspension => " --suspension",
        _ => "",
    }
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> WalletError + '_ {
    move |source| WalletError::Io { path: path.display().to_string(), source }
}

impl From<didam_registry::anchor::AnchorError> for WalletError {
    fn from(e: didam_registry::anchor::AnchorError) -> Self {
        Self::Anchor(Box::new(e))
    }
}
