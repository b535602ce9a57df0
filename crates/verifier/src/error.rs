//! Errors of the verifier crate.
//!
//! Verification itself returns the credential engine's
//! [`Error`](didam_credential::Error) ("could not check") or a
//! [`Report`](didam_credential::Report) ("checked"). The errors here belong to
//! the other jobs of the crate: status sources ([`FetchError`]) and policy
//! files ([`PolicyError`]). Status list errors are the engine's
//! [`StatusError`](didam_credential::StatusError).

use std::path::PathBuf;

/// Why a [`StatusSource`](crate::status::StatusSource) could not provide a
/// status list credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The source has no status list at this URL.
    #[error("no status list credential at `{0}`")]
    NotFound(String),
    /// The response was larger than the source accepts.
    #[error("the status list credential at `{url}` exceeds {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The response did not arrive in time.
    #[error("fetching `{0}` timed out")]
    Timeout(String),
    /// The response is not a credential the engine can read.
    #[error("the status list credential at `{url}` is unreadable: {source}")]
    Unreadable {
        /// The URL.
        url: String,
        /// What the engine said.
        source: didam_credential::Error,
    },
    /// The source's HTTP client cannot be built (a setup failure, before any
    /// URL is fetched).
    #[error("the status list source's HTTP client cannot be built: {0}")]
    Client(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The transport failed (network, TLS, HTTP status, ledger).
    #[error("fetching `{url}` failed: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A verification policy that cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file cannot be read.
    #[error("cannot read the policy file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or an invalid value.
    #[error("invalid TOML policy: {0}")]
    Toml(#[from] toml::de::Error),
    /// The JSON is malformed, has an unknown key or an invalid value.
    #[error("invalid JSON policy: {0}")]
    Json(#[from] serde_json::Error),
    /// A trusted issuer that is not a URL (a DID is one).
    #[error("trusted issuer `{0}` is not a DID or URL")]
    InvalidIssuer(String),
}

/// A suite or format name a [`Policy`](crate::Policy) does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown suite or format `{0}` (known: {suites}, vc+jwt, vc+sd-jwt, dc+sd-jwt, vc+cose)",
    suites = didam_credential::Suite::ALL.map(didam_credential::Suite::name).join(", ")
)]
pub struct UnknownFormat(pub String);

/// A duration that is not whole numbers with units (see
/// [`HumanDuration`](crate::policy::HumanDuration)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a duration like \"90s\", \"12h\", \"30d\" or \"1h30m\"")]
pub struct InvalidDuration(pub String);
