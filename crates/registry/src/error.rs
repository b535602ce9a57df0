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
    /// The ledger operator's checkpoint key could not be pinned, or changed.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// Fetching a DID document or log over HTTPS failed (network, status).
    #[error("fetching {url} failed: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client of the fetch policy cannot be built (TLS roots, a CA
    /// certificate that is not PEM).
    #[error("the HTTP client cannot be built: {0}")]
    HttpClient(#[source] Box<dyn std::error::Error + Send + Sync>),
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
            Self::Pin(p) if p.is_refusal() => "invalidLedgerProof",
            Self::Ledger(_)
            | Self::Store { .. }
            | Self::Build(_)
            | Self::TaskFailed(_)
            | Self::Fetch { .. }
            | Self::HttpClient(_)
            | Self::TooLarge { .. }
            | Self::Timeout { .. }
            | Self::Pin(_) => "internalError",
        }
    }
}

/// Why a ledger operator's checkpoint key was not pinned
/// ([`crate::CheckpointStore::pin_operator`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The ledger has no operator yet: no key signs its checkpoints.
    #[error("the ledger has no operator yet")]
    NoOperator,
    /// The announced key is not a note verifier key.
    #[error("operator key: {0}")]
    InvalidKey(#[source] didam_ledger::note::NoteError),
    /// The ledger announces another key than the one pinned, and no
    /// handover signed by the pinned key leads to it.
    #[error(
        "the ledger's operator key changed without a handover signed by the pinned key: pinned {pinned}, now {announced}"
    )]
    Changed {
        /// The key pinned before.
        pinned: String,
        /// The key the ledger announces now.
        announced: String,
        /// The pin file.
        path: std::path::PathBuf,
    },
    /// The ledger announces a key that handed the ledger over: retired for
    /// good (whoever still holds it, a thief say, signs for nobody).
    #[error(
        "the ledger's checkpoints are signed by {key}, a retired operator key (this client follows {pinned})"
    )]
    Retired {
        /// The retired key.
        key: String,
        /// The key pinned now.
        pinned: String,
    },
    /// A handover note signed by the pinned key does not check.
    #[error("the operator key handover by {key}: {source}")]
    Handover {
        /// The pinned key that signed it.
        key: String,
        /// Why.
        #[source]
        source: didam_ledger::handover::OperatorError,
    },
    /// A handover is not consistent with the checkpoint this client stored
    /// (a fork, or the old key signed beyond its handover).
    #[error(
        "the operator key handover at size {size} is not consistent with the stored checkpoint of size {seen}: {reason}"
    )]
    Inconsistent {
        /// The handover's tree size.
        size: u64,
        /// The stored checkpoint's tree size.
        seen: u64,
        /// Why.
        reason: String,
    },
    /// The ledger announces another ML-DSA-44 checkpoint key than the one
    /// pinned.
    #[error(
        "the ledger's ML-DSA-44 checkpoint key changed: pinned {pinned}, now {announced} (after checking the new key \
         with the operator out of band, trust its Ed25519 key again with `didam ledger repin --trust`)"
    )]
    PqChanged {
        /// The key pinned before.
        pinned: String,
        /// The key the ledger announces now.
        announced: String,
        /// The pin file.
        path: std::path::PathBuf,
    },
    /// The ledger announces an ML-DSA-44 checkpoint key that no checkpoint
    /// signed by the pinned Ed25519 key vouches for (its
    /// `didam-operator-ml-dsa-44` line): it is not pinned.
    #[error(
        "the ledger announces the ML-DSA-44 checkpoint key {key}, but its latest checkpoint signed by the pinned \
         key {operator} does not vouch for it (no didam-operator-ml-dsa-44 line naming it): not trusted"
    )]
    PqNotVouched {
        /// The announced key, with its fingerprint.
        key: String,
        /// The pinned Ed25519 key.
        operator: String,
    },
    /// The ledger could not give the handovers or a consistency proof.
    #[error("reading the operator key handovers: {0}")]
    Ledger(#[source] didam_ledger::LedgerError),
    /// The stored checkpoint could not be read.
    #[error("the stored checkpoint: {0}")]
    Stored(#[source] Box<Error>),
    /// The key given to trust is not the one the ledger announces.
    #[error("the ledger announces {announced}, not {given}")]
    NotAnnounced {
        /// The key given.
        given: String,
        /// The key the ledger announces.
        announced: String,
    },
    /// The pin file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The pin file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The pin file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The pin file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl PinError {
    /// Whether the ledger's key was refused (it is not the pinned key nor
    /// reached from it by handovers), rather than not checked.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Changed { .. }
                | Self::Retired { .. }
                | Self::Handover { .. }
                | Self::Inconsistent { .. }
                | Self::PqChanged { .. }
                | Self::PqNotVouched { .. }
        )
    }
}

/// Why a DID resolver over HTTP did not answer with a resolution
/// ([`crate::client::ResolutionClient`]).
#[cfg(feature = "net")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The resolver's URL is not an `http://` or `https://` URL.
    #[error("the resolver `{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    /// The HTTP client could not be built.
    #[error("cannot start an HTTP client: {0}")]
    Setup(#[source] reqwest::Error),
    /// The request or the answer's body failed (connection, timeout).
    #[error("{url}: {}", chain(source))]
    Unreachable {
        /// The request's URL.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The answer is larger than the client reads.
    #[error("{url}: answer larger than {limit} bytes")]
    TooLarge {
        /// The request's URL.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The answer is not JSON.
    #[error("{url}: {status}, not JSON: {source}")]
    NotJson {
        /// The request's URL.
        url: String,
        /// The answer's status.
        status: reqwest::StatusCode,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The resolver refused the request as invalid (400): the DID or the
    /// options are wrong.
    #[error("the resolver answered {status}: {title}: {detail}")]
    BadRequest {
        /// The answer's status.
        status: reqwest::StatusCode,
        /// The problem's title (or type).
        title: String,
        /// The problem's detail.
        detail: String,
    },
    /// The resolver answered with another error status.
    #[error("{url}: the resolver answered {status}: {title}: {detail}")]
    Refused {
        /// The request's URL.
        url: String,
        /// The answer's status.
        status: reqwest::StatusCode,
        /// The problem's title (or type).
        title: String,
        /// The problem's detail.
        detail: String,
    },
}

/// An error and its sources, `: `-separated.
#[cfg(feature = "net")]
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
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
            Self::NotFound(d) => R::NotFound(d.clone()),
            Self::Ledger(LedgerError::NotFound(d)) => R::NotFound(d.to_string()),
            Self::InvalidDocument { did, reason } => {
                R::InvalidDocument { did: did.clone(), reason: reason.clone() }
            }
            e @ (Self::Log { .. }
            | Self::InvalidLedgerProof(_)
            | Self::InvalidResource { .. }
            | Self::Pin(PinError::Changed { .. } | PinError::Retired { .. })
            | Self::Pin(PinError::Handover { .. } | PinError::Inconsistent { .. })) => {
                R::InvalidLedgerProof { did, reason: e.to_string() }
            }
            e @ (Self::Ledger(_)
            | Self::InvalidOptions(_)
            | Self::FeatureNotSupported(_)
            | Self::InvalidDidUrl(_)
            | Self::Store { .. }
            | Self::Build(_)
            | Self::TaskFailed(_)
            | Self::Pin(_)
            | Self::Fetch { .. }
            | Self::HttpClient(_)
            | Self::TooLarge { .. }
            | Self::Timeout { .. }) => R::Internal { did, reason: e.to_string() },
        }
    }
}
