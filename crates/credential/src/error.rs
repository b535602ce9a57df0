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
    #[error(
        "unsupported key type `{0}` (supported: ed25519, p256, p384, p521, secp256k1, ml-dsa-44, bls12-381-g2)"
    )]
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
    /// The ledger's proofs for the DID do not hold: a forged, truncated or
    /// rolled-back log, a bad checkpoint signature, a failed inclusion or
    /// consistency proof. The DID's keys cannot be trusted.
    #[error("the ledger's proofs for `{did}` do not hold: {reason}")]
    InvalidLedgerProof {
        /// The DID.
        did: String,
        /// What does not hold.
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
    /// The document exceeds one of the [`Limits`](crate::limits::Limits):
    /// it was refused before any expensive step.
    #[error(transparent)]
    Limit(#[from] crate::limits::LimitError),
    /// The verification was abandoned by its caller
    /// ([`Cancellation`](crate::limits::Cancellation)).
    #[error("the verification was cancelled")]
    Cancelled,
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
    /// A selective-disclosure proof could not be made or derived (see
    /// [`SelectiveError`]).
    #[error(transparent)]
    Selective(#[from] SelectiveError),
    /// An SD-JWT VC could not be issued or presented (see
    /// [`SdJwtVcError`](crate::sd_jwt_vc::SdJwtVcError)).
    #[error(transparent)]
    SdJwtVc(#[from] crate::sd_jwt_vc::SdJwtVcError),
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
    /// errors are "could not check", but for unreadable input, input over the
    /// limits and selective-disclosure requests that do not fit the
    /// credential (usage errors).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::Json(_) | Self::UnreadableInput(_) | Self::Limit(_) | Self::Selective(_) | Self::SdJwtVc(_)
        )
    }
}

/// Why a selective-disclosure proof (`ecdsa-sd-2023` or `bbs-2023`) could
/// not be made or derived, or its proof value read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectiveError {
    /// A string that is not a JSON pointer (RFC 6901).
    #[error("`{pointer}` is not a JSON pointer: {reason}")]
    InvalidPointer {
        /// The string given.
        pointer: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same JSON pointer given twice.
    #[error("the JSON pointer `{0}` is given twice")]
    DuplicatePointer(String),
    /// A JSON pointer that points at nothing in the document.
    #[error("the JSON pointer `{0}` points at nothing in the credential")]
    PointerNotFound(String),
    /// No pointer selects anything: there would be nothing to disclose.
    #[error("nothing to disclose: the base proof has no mandatory pointers and no pointer was given")]
    NothingSelected,
    /// The document has no selective-disclosure proof (`ecdsa-sd-2023` or
    /// `bbs-2023`) to derive from.
    #[error("the credential has no ecdsa-sd-2023 or bbs-2023 proof to derive from")]
    NoBaseProof,
    /// The document has several selective-disclosure proofs: which to
    /// derive from is ambiguous.
    #[error("the credential has {0} selective-disclosure proofs; derive from a credential with one")]
    SeveralBaseProofs(usize),
    /// A proof value that is not the one expected (a derived proof where a
    /// base proof is needed, bad CBOR, components of the wrong size).
    #[error("malformed ecdsa-sd-2023 proof value: {0}")]
    ProofValue(&'static str),
    /// A `bbs-2023` proof value that is not the one expected (a derived
    /// proof where a base proof is needed, bad CBOR, components of the wrong
    /// size, a feature option other than the baseline).
    #[error("malformed bbs-2023 proof value: {0}")]
    BbsProofValue(&'static str),
    /// The BBS signature or proof could not be made (the key is not a
    /// BLS12-381 G2 key, or the base signature does not verify).
    #[error("the BBS signature or proof could not be made: {0}")]
    Bbs(#[source] KeyError),
    /// The base proof does not fit the document it is on.
    #[error("the base proof does not fit the credential: {0}")]
    Mismatch(&'static str),
    /// The document has no canonical form (not JSON-LD under its contexts,
    /// an unknown context, RDFC-1.0's work budget exceeded).
    #[error("the credential has no canonical form: {0}")]
    Canon(#[source] Box<crate::canon::CanonError>),
    /// A selection holds a blank node that the document's canonical form
    /// does not (an RDF list, whose nodes have no identity to select).
    #[error("a selection holds a blank node the credential's canonical form does not (an RDF list?)")]
    UnknownBlankNode,
}

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
        purpose: crate::status_list::StatusPurpose,
    },
    /// Revocation is final: a revoked index cannot be cleared.
    #[error("index {0} is revoked; revocation cannot be undone")]
    RevocationIsFinal(usize),
    /// A Token Status List `lst` that is not base64url.
    #[error("the token status list `lst` is not base64url")]
    NotBase64url,
    /// A Token Status List `lst` that does not decompress as ZLIB.
    #[error("the token status list `lst` is not ZLIB-compressed data")]
    NotZlib,
    /// A Token Status List `bits` other than 1, 2, 4 or 8.
    #[error("a token status list has 1, 2, 4 or 8 bits an entry, not {0}")]
    UnsupportedBits(u64),
    /// A Token Status List claim that is missing or malformed.
    #[error("malformed token status list: {0}")]
    MalformedTokenList(&'static str),
    /// The status list URL is not an absolute URL.
    #[error("`{0}` is not a URL")]
    InvalidUrl(String),
}
