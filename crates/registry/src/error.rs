//! Errors of the registry, with the DID Resolution error each maps to.

use didam_ledger::LedgerError;
use didam_method::log::LogError;

/// Why a registry operation or a resolution failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The string is not a valid DID (of its method, when didam knows it).
    #[error("`{0}` is not a valid DID")]
    InvalidDid(String),
    /// The ledger has no checkpointed log for the DID.
    #[error("{0} was not found on the ledger")]
    NotFound(String),
    /// The DID's log does not verify.
    #[error("the log of {did} does not verify: {source}")]
    Log {
        /// The DID.
        did: String,
        /// Why.
        source: LogError,
    },
    /// The ledger's proofs do not hold: a bad checkpoint signature, a failed
    /// inclusion or consistency proof, a rollback or a split view.
    #[error("the ledger's proofs do not hold: {0}")]
    InvalidLedgerProof(String),
    /// Resolution options that cannot be honoured.
    #[error("invalid resolution options: {0}")]
    InvalidOptions(String),
    /// The ledger refused the operation or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The local checkpoint store could not be read or written.
    #[error("checkpoint store {path}: {source}")]
    Store {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Building an entry failed.
    #[error("cannot build the entry: {0}")]
    Build(#[from] didam_method::EntryError),
    /// A resolution task ended without an answer (it panicked or was
    /// cancelled).
    #[error("the resolution task failed: {0}")]
    TaskFailed(String),
    /// No resolver here handles this DID method.
    #[error("DID method `{0}` is not supported here")]
    MethodNotSupported(String),
    /// A valid request this resolver does not implement (DID URL
    /// dereferencing, versions of a method without history, fetching from a
    /// refused host).
    #[error("not supported: {0}")]
    FeatureNotSupported(String),
    /// The DID document the method produced is not a valid DID document.
    #[error("invalid DID document for {did}: {reason}")]
    InvalidDocument {
        /// The DID.
        did: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The response was larger than the fetcher accepts.
    #[error("the response from {url} exceeds {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request did not complete in time.
    #[error("fetching {url} timed out")]
    Timeout {
        /// The URL.
        url: String,
    },
    /// A DID URL that does not name a resource this resolver dereferences
    /// (see `specs/did-didam.md`, resources).
    #[error("`{0}` is not a resource DID URL")]
    InvalidDidUrl(String),
    /// A resource version whose content its parent DID did not authorise (not
    /// signed by a key of the parent's current document, another issuer,
    /// another id), or a resource log that is not a resource of that parent.
    #[error("resource {url} is refused: {reason}")]
    InvalidResource {
        /// The DID URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Fetching a DID document or log over HTTPS failed (network, status).
    #[error("fetching {url} failed: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The W3C DID Resolution error name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidDid(_) => "invalidDid",
            Self::NotFound(_) => "notFound",
            Self::Log { source, .. } => source.code(),
            Self::InvalidLedgerProof(_) => "invalidLedgerProof",
            Self::InvalidOptions(_) => "invalidOptions",
            Self::Ledger(LedgerError::NotFound(_)) => "notFound",
            Self::MethodNotSupported(_) => "methodNotSupported",
            Self::FeatureNotSupported(_) => "featureNotSupported",
            Self::InvalidDocument { .. } => "invalidDidDocument",
            Self::InvalidDidUrl(_) => "invalidDidUrl",
            Self::InvalidResource { .. } => "invalidResource",
            Self::Ledger(_)
            | Self::Store { .. }
            | Self::Build(_)
            | Self::TaskFailed(_)
            | Self::Fetch { .. }
            | Self::TooLarge { .. }
            | Self::Timeout { .. } => "internalError",
        }
    }
}

impl From<didam_credential::InvalidDid> for Error {
    fn from(e: didam_credential::InvalidDid) -> Self {
        Self::InvalidDid(e.0)
    }
}

impl Error {
    /// The engine's view of this failure, for verifiers resolving `did`: what
    /// the ledger's proofs refuse (a forged or truncated log, a bad
    /// checkpoint) stays an invalid ledger proof, what could not be reached
    /// stays a lower-layer failure, and only a malformed document is an
    /// invalid document. What this resolver cannot do for the DID (options,
    /// features, refused hosts) is a lower-layer failure too: the verifier
    /// could not check.
    pub fn to_resolve_error(&self, did: &str) -> didam_credential::ResolveError {
        use didam_credential::ResolveError as R;
        let did = did.to_owned();
        match self {
            Self::InvalidDid(d) => R::InvalidDid(d.clone()),
            Self::MethodNotSupported(m) => R::MethodNotSupported(m.clone()),
            Self::NotFound(d) | Self::Ledger(LedgerError::NotFound(d)) => R::NotFound(d.clone()),
            Self::InvalidDocument { did, reason } => {
                R::InvalidDocument { did: did.clone(), reason: reason.clone() }
            }
            e @ (Self::Log { .. } | Self::InvalidLedgerProof(_) | Self::InvalidResource { .. }) => {
                R::InvalidLedgerProof { did, reason: e.to_string() }
            }
            e @ (Self::Ledger(_)
            | Self::InvalidOptions(_)
            | Self::FeatureNotSupported(_)
            | Self::InvalidDidUrl(_)
            | Self::Store { .. }
            | Self::Build(_)
            | Self::TaskFailed(_)
            | Self::Fetch { .. }
            | Self::TooLarge { .. }
            | Self::Timeout { .. }) => R::Internal { did, reason: e.to_string() },
        }
    }
}
