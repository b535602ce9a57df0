//! What the `didam` command reports when it fails, and what to do next.

use std::path::PathBuf;

/// A failed command: the message says what failed, the hint what to do next.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// A file or folder the command would replace, and cannot (no --force).
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    /// A ledger file to read that is not there.
    #[error("no ledger file at {path}")]
    NoLedgerFile { path: PathBuf },
    /// A DID's operation aimed at another ledger than the DID's own.
    #[error("{did} lives on the ledger {recorded}, not on {given}")]
    OtherLedger { did: String, recorded: String, given: String },
    /// The embedded ledger file a DID lives on is gone.
    #[error("{did} lives on the ledger file {path}, which is not there")]
    LedgerGone { did: String, path: PathBuf },
    /// A folder `tour --force` would replace that an earlier tour did not make.
    #[error(
        "{path} is not empty and was not made by `didam tour`: --force replaces only a tour's own folder"
    )]
    NotTourFolder { path: PathBuf },
    /// A file or folder the command replaces only with its --force.
    #[error("{path} already exists")]
    Replaceable { path: PathBuf },
    #[error("{0}")]
    Unreadable(didam_credential::Error),
    #[error("could not check: {0}")]
    CouldNotCheck(didam_credential::Error),
    #[error("the tour failed at step `{step}`: {detail}")]
    Tour { step: &'static str, detail: String },
    #[error("{0}")]
    Input(String),
    #[error("passphrase file {path} can be read or written by other users (mode {mode:o})")]
    LoosePermissions { path: PathBuf, mode: u32 },
    #[error("{path} holds no passphrase (its first line is empty)")]
    NoPassphrase { path: PathBuf },
    #[error("the new passphrase is too weak: {reason}")]
    WeakPassphrase { reason: String },
    #[error("no new passphrase after {attempts} tries")]
    NoNewPassphrase { attempts: usize },
    #[error("no valid {what} share after {attempts} mistyped ones")]
    NoShare { what: String, attempts: usize },
    #[error("no {what} given: standard input is not a terminal")]
    NoTerminal { what: &'static str },
    #[error("cannot read from the terminal: {source}")]
    Prompt { source: std::io::Error },
    #[error("standard input (`-`) can be read only once per command")]
    StdinTwice,
    #[error("refusing to write {what} (binary) to a terminal")]
    BinaryToTerminal { what: &'static str },
    #[error(transparent)]
    Resolver(#[from] didam_registry::ClientError),
    #[error("config file {path}: {detail}")]
    Config { path: PathBuf, detail: String },
    #[error(transparent)]
    Wallet(#[from] didam_wallet::WalletError),
    #[error(transparent)]
    Ledger(#[from] didam_ledger::LedgerError),
    #[error(transparent)]
    Registry(#[from] didam_registry::Error),
    /// The ledger's operator key was refused by the pin of this machine.
    #[error(transparent)]
    Pin(didam_registry::PinError),
}

/// Exit codes, identical for every command.
pub(crate) mod exit {
    /// Success; for verification: valid.
    pub(crate) const OK: u8 = 0;
    /// Checked and invalid.
    pub(crate) const INVALID: u8 = 1;
    /// Usage error or unreadable input.
    pub(crate) const USAGE: u8 = 2;
    /// Could not check (unknown context, unresolvable DID, unsupported proof).
    pub(crate) const COULD_NOT_CHECK: u8 = 3;
}

impl CliError {
    pub(crate) fn from_engine(e: didam_credential::Error) -> Self {
        if e.is_input_error() { Self::Unreadable(e) } else { Self::CouldNotCheck(e) }
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Read { .. }
            | Self::Exists { .. }
            | Self::Replaceable { .. }
            | Self::NotTourFolder { .. }
            | Self::NoLedgerFile { .. }
            | Self::OtherLedger { .. }
            | Self::Unreadable(_) => exit::USAGE,
            Self::LedgerGone { .. } => exit::COULD_NOT_CHECK,
            Self::Input(_) | Self::Config { .. } => exit::USAGE,
            Self::LoosePermissions { .. }
            | Self::NoPassphrase { .. }
            | Self::WeakPassphrase { .. }
            | Self::NoNewPassphrase { .. }
            | Self::NoShare { .. }
            | Self::NoTerminal { .. }
            | Self::Prompt { .. }
            | Self::StdinTwice
            | Self::BinaryToTerminal { .. } => exit::USAGE,
            Self::Wallet(e) => {
                use didam_wallet::WalletError as W;
                match e {
                    W::WrongPassphrase
                    | W::NotFound(_)
                    | W::Exists(_)
                    | W::RootLength(_)
                    | W::NoKeyTypes
                    | W::Control(_)
                    | W::NoKeyOfType { .. }
                    | W::LedgerKey(_)
                    | W::Status(_)
                    | W::HasStatus
                    | W::NoLedger(_)
                    | W::NoStatusDirectory(_)
                    | W::NoStatusEntry { .. }
                    | W::StaleBackup { .. }
                    | W::Shares(_)
                    | W::WrongRotationSecret
                    | W::NoSuchRecord { .. }
                    | W::DidPending(_)
                    | W::DidDeactivated(_)
                    | W::OperationPending(_)
                    | W::AlreadyIssued(_)
                    | W::Ledger(didam_ledger::LedgerError::Limit(_))
                    | W::ReadOnly { .. }
                    | W::Io { .. } => exit::USAGE,
                    // A credential the engine refuses to sign as asked (a
                    // mandatory pointer into nothing, a key of another type).
                    W::Credential(e) if e.is_input_error() => exit::USAGE,
                    W::RolledBack { .. }
                    | W::BehindLedger { .. }
                    | W::LedgerBehind { .. }
                    | W::LedgerForked { .. } => exit::INVALID,
                    _ => exit::COULD_NOT_CHECK,
                }
            }
            Self::Registry(didam_registry::Error::InvalidDid(_))
            | Self::Ledger(didam_ledger::LedgerError::ReadOnly { .. }) => exit::USAGE,
            Self::Resolver(e) if !Self::unreachable_resolver(e) => exit::USAGE,
            Self::Write { .. }
            | Self::Resolver(_)
            | Self::CouldNotCheck(_)
            | Self::Tour { .. }
            | Self::Ledger(_)
            | Self::Pin(_)
            | Self::Registry(_) => exit::COULD_NOT_CHECK,
        }
    }

    /// What the user can do about it.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Read { .. } => Some("check the path, or pass `-` to read standard input"),
            Self::LoosePermissions { .. } => {
                Some("make it private: `chmod 600` the file (or write it under `umask 077`)")
            }
            Self::NoPassphrase { .. } => Some("write the passphrase on the file's first line"),
            Self::WeakPassphrase { .. } | Self::NoNewPassphrase { .. } => Some(
                "use five or more random words; at a terminal prompt an empty answer generates a passphrase",
            ),
            Self::NoShare { .. } => {
                Some("check each share with `didam shares verify FILE`, then give the share files instead")
            }
            Self::NoTerminal { what: "passphrase" } => Some(
                "pass --passphrase-file (or DIDAM_PASSPHRASE_FILE; `-` reads standard input), or run in a terminal",
            ),
            Self::NoTerminal { .. } => {
                Some("give the share files (`-` reads standard input), or run in a terminal")
            }
            Self::StdinTwice => Some("give all but one of the inputs as files"),
            Self::BinaryToTerminal { .. } => {
                Some("redirect it to a file or a pipe: `didam wallet backup --out - > wallet-backup.age`")
            }
            Self::Resolver(e) if Self::unreachable_resolver(e) => {
                Some("check that the daemon runs and the URL (--resolver, DIDAM_RESOLVER or the config file)")
            }
            Self::Config { .. } => Some(
                "fix the file (it takes wallet, ledger, resolver and passphrase_file), or run without it: `didam --config /dev/null config show`",
            ),
            Self::Exists { .. } => Some("choose another path, or move the existing one away first"),
            Self::Replaceable { .. } => Some("choose another path, or pass --force to overwrite"),
            Self::NoLedgerFile { .. } => Some(
                "check --ledger (or DIDAM_LEDGER, or the config file); a command that writes, such as `didam did create`, makes a new one",
            ),
            Self::OtherLedger { .. } => Some(
                "leave out --ledger (and DIDAM_LEDGER) to use the DID's own ledger; if its file is lost, `didam --ledger NEW.db wallet resync --adopt` moves the wallet's DIDs onto NEW.db",
            ),
            Self::LedgerGone { .. } => Some(
                "put the DID's log back from the wallet with `didam wallet resync` (or onto another file: `didam --ledger NEW.db wallet resync --adopt`)",
            ),
            Self::NotTourFolder { .. } => {
                Some("give --out a new or empty folder, e.g. `didam tour --out ./tour`")
            }
            Self::Unreadable(didam_credential::Error::Limit(_)) => Some(
                "the document is larger or deeper than a verifier accepts (didam_credential::limits), so it was not checked",
            ),
            Self::Unreadable(_) => Some("give a JSON credential or presentation, or a compact vc+jwt"),
            Self::CouldNotCheck(didam_credential::Error::UnknownContext { .. }) => Some(
                "didam loads only its bundled JSON-LD contexts; see `crates/credential/contexts/README.md`",
            ),
            Self::CouldNotCheck(didam_credential::Error::UnsupportedProof(_)) => Some(
                "didam checks eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019, ecdsa-jcs-2019, Ed25519Signature2020 and vc+jwt",
            ),
            Self::CouldNotCheck(didam_credential::Error::Status { .. }) => Some(
                "the status list must be reachable: check the network, the ledger (--ledger) or the daemon; lists on this machine need --status-allow-loopback",
            ),
            Self::CouldNotCheck(_) => Some(
                "did:didam resolves through --ledger; did:web and did:webvh need the network or --resolver",
            ),
            Self::Wallet(didam_wallet::WalletError::Control(_)) => {
                Some("give --control `ed25519`, `ml-dsa-44`, or `ed25519,ml-dsa-44` (hybrid)")
            }
            Self::Wallet(didam_wallet::WalletError::WrongPassphrase) => Some(
                "check the passphrase file (first line), or restore from shares with `didam wallet restore`",
            ),
            Self::Wallet(didam_wallet::WalletError::NotFound(_)) => {
                Some("create one with `didam wallet init`, or point --wallet at an existing wallet folder")
            }
            Self::Wallet(didam_wallet::WalletError::NoSuchRecord { kind: "DID", .. }) => {
                Some("see this wallet's DIDs with `didam did list`")
            }
            Self::Wallet(didam_wallet::WalletError::Tampered(_)) => {
                Some("restore it: `didam wallet restore --shares ... --backup <newest backup>`")
            }
            Self::Wallet(
                didam_wallet::WalletError::WrongRotationSecret | didam_wallet::WalletError::Shares(_),
            ) => Some("give the share files of this wallet's rotation secret with --rotation-shares"),
            Self::Wallet(didam_wallet::WalletError::RolledBack { .. }) => Some(
                "restore the newest backup with `didam wallet restore --shares FILES --backup FILE --force`, then run `didam wallet resync`",
            ),
            Self::Wallet(
                didam_wallet::WalletError::BehindLedger { .. }
                | didam_wallet::WalletError::NotCommitted { .. },
            ) => Some("take the DIDs' state from their ledgers with `didam wallet resync`"),
            Self::Wallet(didam_wallet::WalletError::AlreadyIssued(_)) => Some(
                "give the credential another `id` (an `id` is issued once, so `didam vc revoke ID` finds the first credential); to withdraw the first, run `didam vc revoke ID`",
            ),
            Self::Wallet(didam_wallet::WalletError::Ledger(didam_ledger::LedgerError::Limit(_)))
            | Self::Ledger(didam_ledger::LedgerError::Limit(_)) => Some(
                "the ledger refuses entries and logs over its documented limits: give the DID fewer or smaller keys and services, or, for a log at its limit, create a new DID",
            ),
            Self::Wallet(didam_wallet::WalletError::LedgerBehind { .. }) => Some(
                "`didam wallet resync` appends the entries the wallet kept to the DID's ledger, then takes the DID's state from it",
            ),
            Self::Wallet(didam_wallet::WalletError::LedgerForked { .. }) => Some(
                "the ledger holds a history of this DID that this wallet did not write: do not use the DID until you know why; `didam did resolve DID` shows what the ledger serves",
            ),
            Self::Wallet(didam_wallet::WalletError::StaleBackup { .. }) => {
                Some("use the newest backup, or pass --force")
            }
            Self::Wallet(didam_wallet::WalletError::ReadOnly { .. }) => Some(
                "this command changes the wallet: run it where the wallet's folder is writable (as its owner, or on a writable copy with --wallet DIR); reading commands such as `didam did list` and `didam wallet check` work as they are",
            ),
            Self::Ledger(didam_ledger::LedgerError::ReadOnly { .. }) => Some(
                "this command writes to the ledger: run it where the ledger's folder is writable, or give a writable one with --ledger; `didam ledger verify` only reads",
            ),
            Self::Ledger(didam_ledger::LedgerError::Unavailable(_)) => Some(
                "the operation is kept in the wallet: run `didam did reconcile` when the ledger is reachable",
            ),
            Self::Pin(e) | Self::Registry(didam_registry::Error::Pin(e)) if Self::pin_hint(e).is_some() => {
                Self::pin_hint(e)
            }
            Self::Registry(didam_registry::Error::MethodNotSupported(_)) => {
                Some("didam resolves did:key, did:jwk, did:web, did:webvh and did:didam")
            }
            Self::Registry(didam_registry::Error::NotFound(_)) => Some(
                "a new DID resolves once a checkpoint covers it: `didam ledger checkpoint` on an embedded ledger, or wait for the daemon's",
            ),
            Self::Registry(didam_registry::Error::InvalidDid(_)) => {
                Some("a DID looks like did:key:z6Mk..., did:web:example.com or did:didam:Qm...")
            }
            Self::Write { .. }
            | Self::Tour { .. }
            | Self::Prompt { .. }
            | Self::Resolver(_)
            | Self::Input(_)
            | Self::Wallet(_)
            | Self::Ledger(_)
            | Self::Pin(_)
            | Self::Registry(_) => None,
        }
    }
}

impl CliError {
    /// Whether the resolver (`--resolver`) could not be reached or answered
    /// badly, rather than refusing the request.
    fn unreachable_resolver(e: &didam_registry::ClientError) -> bool {
        use didam_registry::ClientError as C;
        matches!(e, C::Unreachable { .. } | C::TooLarge { .. } | C::NotJson { .. } | C::Refused { .. })
    }
}

impl CliError {
    /// What to do when the pinned operator key refuses the ledger's.
    fn pin_hint(e: &didam_registry::PinError) -> Option<&'static str> {
        use didam_registry::PinError as P;
        match e {
            P::Changed { .. } => Some(
                "the key changed without a handover signed by the key pinned here (a daemon's new key file, or a forged ledger): compare the new key's fingerprint with its operator out of band (`didam ledger operator` shows both keys), then pin it with `didam ledger repin --trust VKEY`",
            ),
            P::Retired { .. } => Some(
                "a retired key (one that handed the ledger over: after a leak, a thief may hold it) signs this copy of the ledger: do not trust it; read the DID from the ledger that carries the handover",
            ),
            P::PqNotVouched { .. } => Some(
                "the ledger's Ed25519 key has not signed a checkpoint naming this ML-DSA-44 key: a ledger whose operator just added the key signs one at its next checkpoint, so try again then; if it persists, the key was not added by the operator: compare its fingerprint with the one `didam ledger operator` shows the operator",
            ),
            P::Handover { .. } | P::Inconsistent { .. } => Some(
                "the handover does not match what this machine saw of the ledger (a fork): ask its operator out of band which key is theirs; `didam ledger operator` shows both keys",
            ),
            _ => None,
        }
    }
}

/// A ledger operator key that could not be pinned, said as the CLI says it.
impl From<didam_registry::PinError> for CliError {
    fn from(e: didam_registry::PinError) -> Self {
        use didam_registry::PinError as P;
        match e {
            P::NoOperator => Self::Input(
                "this ledger has no operator yet: sign a checkpoint with `didam ledger checkpoint`".into(),
            ),
            P::Read { path, source } => Self::Read { path, source },
            P::Write { path, source } => Self::Write { path, source },
            other if other.is_refusal() => Self::Pin(other),
            other => Self::Input(other.to_string()),
        }
    }
}

impl From<didam_credential::InvalidDid> for CliError {
    fn from(e: didam_credential::InvalidDid) -> Self {
        Self::Registry(e.into())
    }
}
