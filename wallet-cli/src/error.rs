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
    #[error("could not resolve: {0}")]
    Resolve(didam_credential::ResolveError),
    #[error("the tour failed at step `{step}`: {detail}")]
    Tour { step: &'static str, detail: String },
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
            Self::Resolve(didam_credential::ResolveError::InvalidDid(_)) => exit::USAGE,
            Self::Write { .. } | Self::CouldNotCheck(_) | Self::Resolve(_) | Self::Tour { .. } => {
                exit::COULD_NOT_CHECK
            }
        }
    }

    /// What the user can do about it.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Read { .. } => Some("check the path, or pass `-` to read standard input"),
            Self::Exists { .. } => Some("choose another folder, or pass --force to overwrite"),
            Self::Unreadable(_) => Some("give a JSON credential or presentation, or a compact vc+jwt"),
            Self::CouldNotCheck(didam_credential::Error::UnknownContext { .. }) => Some(
                "didam loads only its bundled JSON-LD contexts; see `crates/credential/contexts/README.md`",
            ),
            Self::CouldNotCheck(_) | Self::Resolve(_) => {
                Some("didam resolves did:key and did:jwk offline; other methods need a resolver")
            }
            Self::Write { .. } | Self::Tour { .. } => None,
        }
    }
}
