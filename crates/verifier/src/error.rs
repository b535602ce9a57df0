//! Errors of the verifier crate.
//!
//! Verification itself returns the credential engine's
//! [`Error`](didam_credential::Error) ("could not check") or a
//! [`Report`](didam_credential::Report) ("checked"). The errors here belong to
//! the other jobs of the crate: status lists ([`StatusError`]), status sources
//! ([`FetchError`]) and policy files ([`PolicyError`]).

use std::path::PathBuf;

/// Problems with a Bitstring Status List or with an issuer's operation on it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusError {
    /// `encodedList` is not multibase base64url (`u` prefix, no padding).
    #[error("encodedList is not multibase base64url (a `u` followed by base64url without padding)")]
    NotMultibase,
    /// `encodedList` does not decompress as GZIP.
    #[error("encodedList is not GZIP-compressed data")]
    NotGzip,
    /// The decompressed list is larger than the limit: a zip bomb, or a list
    /// larger than this verifier accepts.
    #[error("the decompressed status list exceeds {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The list has fewer entries than the spec's minimum (131,072).
    #[error("the status list has {entries} entries; at least {minimum} are required")]
    TooShort {
        /// Entries in the list.
        entries: usize,
        /// The minimum.
        minimum: usize,
    },
    /// An index beyond the end of the list.
    #[error("index {index} is outside the status list ({entries} entries)")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// Entries in the list.
        entries: usize,
    },
    /// A `statusPurpose` other than `revocation` and `suspension`.
    #[error("status purpose `{0}` is not supported (supported: revocation, suspension)")]
    UnsupportedPurpose(String),
    /// A `statusSize` other than 1.
    #[error("statusSize {0} is not supported (only 1)")]
    UnsupportedStatusSize(u64),
    /// Every index of the list is allocated.
    #[error("every one of the {entries} indexes of the status list is allocated")]
    ListFull {
        /// Entries in the list.
        entries: usize,
    },
    /// An operation on an index that was never allocated.
    #[error("index {0} was not allocated from this status list")]
    NotAllocated(usize),
    /// An operation the list's purpose does not allow (revoking on a
    /// suspension list, suspending on a revocation list).
    #[error("cannot {operation} on a {purpose} list")]
    WrongPurpose {
        /// What was attempted.
        operation: &'static str,
        /// The purpose of the list.
        purpose: crate::status::StatusPurpose,
    },
    /// Revocation is final: a revoked index cannot be cleared.
    #[error("index {0} is revoked; revocation cannot be undone")]
    RevocationIsFinal(usize),
    /// The status list URL is not an absolute URL.
    #[error("`{0}` is not a URL")]
    InvalidUrl(String),
}

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
