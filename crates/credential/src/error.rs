//! Errors of the credential engine.
//!
//! An [`Error`] means the engine could not reach a verdict (unreadable input,
//! a DID that does not resolve, a suite we do not implement). A credential that
//! was checked and found bad is not an error: it is a
//! [`Report`](crate::Report) whose failing check says why.

use crate::key::KeyType;

/// Problems with key material.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key type is not one didam supports.
    #[error("unsupported key type `{0}` (supported: ed25519, p256, p384, p521, secp256k1)")]
    UnsupportedKeyType(String),
    /// Secret key bytes of the wrong length or out of range.
    #[error("invalid {0} secret key")]
    InvalidSecretKey(KeyType),
    /// Public key bytes that are not a point of the curve.
    #[error("invalid {0} public key")]
    InvalidPublicKey(KeyType),
    /// A multibase string that does not decode.
    #[error("invalid multibase key encoding")]
    InvalidMultibase,
    /// A multicodec prefix that names no key type didam knows.
    #[error("unknown multicodec key prefix 0x{:02x}{:02x}", .0[0], .0[1])]
    UnknownMulticodec([u8; 2]),
    /// A JWK with a missing or malformed member.
    #[error("invalid JWK: {0}")]
    InvalidJwk(&'static str),
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// Why a DID or verification method could not be resolved.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The string is not a DID (or DID URL) as DID Core defines it.
    #[error("`{0}` is not a valid DID")]
    InvalidDid(String),
    /// No resolver here handles this DID method.
    #[error("DID method `{0}` is not supported here")]
    MethodNotSupported(String),
    /// The DID does not exist.
    #[error("DID `{0}` was not found")]
    NotFound(String),
    /// The DID was deactivated by its controller.
    #[error("DID `{0}` is deactivated")]
    Deactivated(String),
    /// The verification method is not in the resolved document.
    #[error("verification method `{0}` is not in its DID document")]
    UnknownVerificationMethod(String),
    /// The verification method is there but its key is unusable.
    #[error("verification method `{id}` has an unusable key: {source}")]
    BadKey {
        /// The verification method.
        id: String,
        /// Why the key is unusable.
        source: KeyError,
    },
    /// The DID document itself is malformed.
    #[error("invalid DID document for `{did}`: {reason}")]
    InvalidDocument {
        /// The DID.
        did: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A lower layer (network, ledger) failed.
    #[error("resolution of `{did}` failed: {reason}")]
    Internal {
        /// The DID.
        did: String,
        /// What failed.
        reason: String,
    },
}

/// The engine could not check the input (as opposed to: checked, and invalid).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not JSON, or not the JSON shape expected.
    #[error("input is not a JSON credential or presentation: {0}")]
    Json(#[from] serde_json::Error),
    /// The input is neither JSON nor a compact JWS.
    #[error("input is neither a JSON document nor a compact JWS ({0})")]
    UnreadableInput(&'static str),
    /// The document uses a JSON-LD context that is not bundled. The engine never
    /// fetches contexts from the network.
    #[error("unknown JSON-LD context `{url}`: didam only loads its bundled contexts")]
    UnknownContext {
        /// The context URL.
        url: String,
    },
    /// A proof names a cryptosuite or proof type this engine does not implement.
    #[error("unsupported proof: {0}")]
    UnsupportedProof(String),
    /// The verification method could not be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// Signing was asked with a key whose type does not fit the suite.
    #[error("suite `{suite}` cannot sign with a {key_type} key")]
    KeyMismatch {
        /// The suite.
        suite: &'static str,
        /// The key type given.
        key_type: KeyType,
    },
    /// A document to sign is not a JSON object or already has a conflicting member.
    #[error("cannot sign: {0}")]
    Unsignable(&'static str),
    /// JSON-LD processing failed while signing.
    #[error("JSON-LD processing failed: {0}")]
    JsonLd(String),
    /// A credential's status could not be checked: its status list could not
    /// be retrieved or uses a feature the verifier does not implement. (A
    /// status list that was read and found bad is a failed check instead.)
    #[error("the status list `{url}` could not be checked: {source}")]
    Status {
        /// The status list credential's URL.
        url: String,
        /// Why (the status source's own error).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// The process exit code class this error maps to for the `didam` command:
    /// errors are "could not check".
    pub fn is_input_error(&self) -> bool {
        matches!(self, Self::Json(_) | Self::UnreadableInput(_))
    }
}
