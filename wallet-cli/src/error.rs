//! What the `didam` command reports when it fails, and what to do next.

use std::path::PathBuf;

/// A failed command: the message says what failed, the hint what to do next.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    #[error("{0}")]
    Unreadable(didam_credential::Error),
    #[error("could not check: {0}")]
    CouldNotCheck(didam_credential::Error),
    #[error("the tour failed at step `{step}`: {detail}")]
    Tour { step: &'static str, detail: String },
    #[error("{0}")]
    Input(String),
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
            Self::Read { .. } | Self::Exists { .. } | Self::Unreadable(_) => exit::USAGE,
            Self::Input(_) | Self::Config { .. } => exit::USAGE,
            Self::Wallet(e) => {
                use didam_wallet::WalletError as W;
                match e {
                    W::WrongPassphrase
                    | W::NotFound(_)
                    | W::Exists(_)
                    | W::RootLength(_)
                    | W::NoKeyTypes
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
                    | W::Io { .. } => exit::USAGE,
                    _ => exit::COULD_NOT_CHECK,
                }
            }
            Self::Registry(didam_registry::Error::InvalidDid(_)) => exit::USAGE,
            Self::Resolver(e) if !Self::unreachable_resolver(e) => exit::USAGE,
            Self::Write { .. }
            | Self::Resolver(_)
            | Self::CouldNotCheck(_)
            | Self::Tour { .. }
            | Self::Ledger(_)
            | Self::Registry(_) => exit::COULD_NOT_CHECK,
        }
    }

    /// What the user can do about it.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Read { .. } => Some("check the path, or pass `-` to read standard input"),
            Self::Resolver(e) if Self::unreachable_resolver(e) => {
                Some("check that the daemon runs and the URL (--resolver, DIDAM_RESOLVER or the config file)")
            }
            Self::Config { .. } => Some(
                "the config file takes wallet, ledger, resolver and passphrase_file; see `didam config show`",
            ),
            Self::Exists { .. } => Some("choose another folder, or pass --force to overwrite"),
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
            Self::Wallet(didam_wallet::WalletError::WrongPassphrase) => Some(
                "check the passphrase file (first line), or restore from shares with `didam wallet restore`",
            ),
            Self::Wallet(didam_wallet::WalletError::NotFound(_)) => {
                Some("create one with `didam wallet init`, or point --wallet at an existing wallet folder")
            }
            Self::Wallet(didam_wallet::WalletError::Tampered(_)) => {
                Some("restore it: `didam wallet restore --shares ... --backup <newest backup>`")
            }
            Self::Wallet(
                didam_wallet::WalletError::WrongRotationSecret | didam_wallet::WalletError::Shares(_),
            ) => Some("give the share files of this wallet's rotation secret with --rotation-shares"),
            Self::Wallet(didam_wallet::WalletError::StaleBackup { .. }) => {
                Some("use the newest backup, or pass --force")
            }
            Self::Ledger(didam_ledger::LedgerError::Unavailable(_)) => Some(
                "the operation is kept in the wallet: run `didam did reconcile` when the ledger is reachable",
            ),
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
            | Self::Resolver(_)
            | Self::Input(_)
            | Self::Wallet(_)
            | Self::Ledger(_)
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
            other => Self::Input(other.to_string()),
        }
    }
}

impl From<didam_credential::InvalidDid> for CliError {
    fn from(e: didam_credential::InvalidDid) -> Self {
        Self::Registry(e.into())
    }
}
