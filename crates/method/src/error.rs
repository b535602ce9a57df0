//! Why an entry could not be built or hashed.

/// Building, hashing or signing a log entry failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// A log entry is a JSON object.
    #[error("an entry is a JSON object")]
    NotAnObject,
    /// The entry has no `versionTime` to date its proof with.
    #[error("the entry has no versionTime")]
    NoVersionTime,
    /// JCS canonicalisation failed.
    #[error("cannot canonicalise the entry: {0}")]
    Canonical(#[source] didam_credential::canon::CanonError),
    /// The entry does not serialise to or from JSON text.
    #[error("the entry is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Signing the entry failed.
    #[error("cannot sign the entry: {0}")]
    Sign(#[source] didam_credential::Error),
    /// The entry names no valid DID.
    #[error(transparent)]
    InvalidDid(#[from] didam_credential::InvalidDid),
    /// An update key of a type no entry may be signed with.
    #[error("a {} key cannot be an update key (ed25519, ml-dsa-44)", .0.name())]
    UpdateKeyType(didam_credential::KeyType),
    /// The built entry is not a well-formed log entry.
    #[error(transparent)]
    Malformed(#[from] crate::MalformedEntry),
}
