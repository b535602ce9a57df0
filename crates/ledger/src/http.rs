//! The ledger over HTTP: the wire shapes of the daemon's ledger API
//! (`/ledger/v1/…`, served by `didam-resolver`), the mapping of
//! [`LedgerError`] to and from RFC 9457 problem objects, and [`HttpLedger`],
//! a [`Ledger`] client of that API.
//!
//! With [`HttpLedger`], `didam_registry::resolve()` and the operations of
//! `didam_registry::operations` work against a remote daemon unchanged: the client still
//! verifies every checkpoint signature and proof itself. Appends are
//! idempotent, so a timeout (an unknown outcome) is reported as
//! [`LedgerError::Unavailable`] and the caller retries. A remote ledger
//! sequences and signs its own checkpoints: [`Ledger::integrate`] and
//! [`Ledger::checkpoint`] return an error.
//!
//! Routes (JSON unless said otherwise):
//!
//! | route | answer |
//! |---|---|
//! | `POST /ledger/v1/entries` (body: a log entry) | 201 [`ReceiptBody`], 200 when a duplicate; 409 conflict, 422 rejected |
//! | `GET /ledger/v1/dids/{did}/log` | [`LogBody`] |
//! | `GET /ledger/v1/dids/{did}/tip` | the DID's verified state ([`DidState`]) |
//! | `GET /ledger/v1/dids/{did}/tip-proof?size=N` | [`TipProofBody`] |
//! | `GET /ledger/v1/size` | [`SizeBody`] |
//! | `GET /ledger/v1/leaves/{index}` | the leaf's bytes (`application/octet-stream`) |
//! | `GET /ledger/v1/proofs/inclusion?index=I&size=N` | [`ProofBody`] |
//! | `GET /ledger/v1/proofs/consistency?old=M&new=N` | [`ProofBody`] |
//! | `GET /ledger/v1/checkpoint` | the latest signed note (`text/plain`), 404 when none |
//! | `GET /ledger/v1/key` | the checkpoint verifier key (`text/plain`), 404 when none |
//! | `GET /ledger/v1/key/ml-dsa-44` | the ML-DSA-44 checkpoint key (`text/plain`, type `0x06`), 404 when none |

use std::time::Duration;

use crate::merkle::{Hash, ProofError};
use crate::note::{Checkpoint, NoteSigner, NoteVerifier};
use crate::{Ledger, LedgerError, LimitError, Receipt, SignedCheckpoint, StoredEntry, TipProof, TipRecord};
use didam_credential::Did;
use didam_method::LogEntry;
use didam_method::log::{DidState, LogError};
use serde::{Deserialize, Serialize};

/// What `POST /ledger/v1/entries` returns: the ledger's [`Receipt`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReceiptBody {
    /// The DID the entry belongs to.
    pub did: String,
    /// The entry's `versionId`.
    pub version_id: String,
    /// Its leaf index.
    pub leaf_index: u64,
    /// `true` when the entry had been appended before (a retry).
    pub duplicate: bool,
}

impl From<Receipt> for ReceiptBody {
    fn from(r: Receipt) -> Self {
        Self {
            did: r.did.to_string(),
            version_id: r.version_id,
            leaf_index: r.leaf_index,
            duplicate: r.duplicate,
        }
    }
}

impl TryFrom<ReceiptBody> for Receipt {
    type Error = LedgerError;
    /// A receipt naming no valid DID is a corrupt answer.
    fn try_from(r: ReceiptBody) -> Result<Self, LedgerError> {
        let did = Did::parse(&r.did).map_err(|e| LedgerError::Corrupt(format!("receipt: {e}")))?;
        Ok(Self { did, version_id: r.version_id, leaf_index: r.leaf_index, duplicate: r.duplicate })
    }
}

/// One stored entry of a DID's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LogEntryBody {
    /// The entry's JCS text: exactly the leaf's data.
    pub line: String,
    /// Its leaf index.
    pub leaf_index: u64,
}

/// What `GET /ledger/v1/dids/{did}/log` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogBody {
    /// The DID.
    pub did: String,
    /// Its entries, oldest first.
    pub entries: Vec<LogEntryBody>,
}

/// What `GET /ledger/v1/dids/{did}/tip-proof` returns: a [`TipProof`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TipProofBody {
    /// The DID.
    pub did: String,
    /// Leaf index of its latest entry.
    pub leaf_index: u64,
    /// Entry hash of its latest entry.
    pub entry_hash: String,
    /// Number of records in the tips tree.
    pub count: u64,
    /// The siblings of the record's path in the tips tree, root first,
    /// base64 hashes (`specs/did-didam.md` §8.4).
    pub proof: Vec<String>,
}

impl From<TipProof> for TipProofBody {
    fn from(t: TipProof) -> Self {
        Self {
            did: t.record.did,
            leaf_index: t.record.leaf_index,
            entry_hash: t.record.entry_hash,
            count: t.count,
            proof: t.proof.iter().map(Hash::to_base64).collect(),
        }
    }
}

/// What the proof routes return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProofBody {
    /// The proof's hashes, base64.
    pub proof: Vec<String>,
}

impl ProofBody {
    /// The body of a proof.
    pub fn new(proof: &[Hash]) -> Self {
        Self { proof: proof.iter().map(Hash::to_base64).collect() }
    }
}

/// What `GET /ledger/v1/size` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SizeBody {
    /// The number of leaves integrated into the tree.
    pub size: u64,
}

/// The problem types of the ledger API (RFC 9457 `type` members).
pub mod problem {
    /// The entry does not follow the DID's tip (409).
    pub const CONFLICT: &str = "urn:didam:ledger:conflict";
    /// The entry does not verify (422).
    pub const REJECTED: &str = "urn:didam:ledger:rejected";
    /// The DID has no log (404).
    pub const NOT_FOUND: &str = "urn:didam:ledger:not-found";
    /// No checkpoint, or no checkpoint key (404).
    pub const NO_CHECKPOINT: &str = "urn:didam:ledger:no-checkpoint";
    /// An index or size outside the tree (400).
    pub const OUT_OF_RANGE: &str = "urn:didam:ledger:out-of-range";
    /// A consistency proof from a larger to a smaller tree (400).
    pub const SIZES_OUT_OF_ORDER: &str = "urn:didam:ledger:sizes-out-of-order";
    /// A request the API cannot read (400).
    pub const BAD_REQUEST: &str = "urn:didam:ledger:bad-request";
    /// The ledger refuses to sign an inconsistent checkpoint (500).
    pub const INCONSISTENT_CHECKPOINT: &str = "urn:didam:ledger:inconsistent-checkpoint";
    /// Stored data does not check (500).
    pub const CORRUPT: &str = "urn:didam:ledger:corrupt";
    /// Storage failed or cannot be reached (503).
    pub const UNAVAILABLE: &str = "urn:didam:ledger:unavailable";
    /// The entry is larger than the ledger admits (413).
    pub const ENTRY_TOO_LARGE: &str = "urn:didam:ledger:entry-too-large";
    /// The entry's DID document is larger than the ledger admits (413).
    pub const DOCUMENT_TOO_LARGE: &str = "urn:didam:ledger:document-too-large";
    /// The DID's log would hold more entries than the ledger admits (422).
    pub const LOG_TOO_LONG: &str = "urn:didam:ledger:log-too-long";
    /// The DID's log would be larger than the ledger admits (422).
    pub const LOG_TOO_LARGE: &str = "urn:didam:ledger:log-too-large";
}

/// An RFC 9457 problem object of the ledger API, with the members that carry
/// a [`LedgerError`]'s fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LedgerProblem {
    /// One of [`problem`].
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened.
    pub detail: String,
    /// The DID concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    /// The refused entry's `versionId` (conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The DID's current tip (conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<String>,
    /// The DID Resolution error name of a rejection (`invalidProof`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The 1-based entry number of a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    /// Why the entry was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An index (out of range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// A tree size (out of range; inconsistent checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The old size of a consistency proof, or the signed size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<u64>,
    /// The new size of a consistency proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<u64>,
    /// The ledger's limit an entry or log is beyond (bytes or entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// What the entry or log came to (bytes or entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<u64>,
}

impl LedgerProblem {
    /// A problem of `problem_type` with `status`, `title` and `detail`.
    pub fn new(problem_type: &str, status: u16, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: problem_type.to_owned(),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            ..Self::default()
        }
    }

    /// The problem that reports `e`.
    pub fn from_error(e: &LedgerError) -> Self {
        let detail = e.to_string();
        match e {
            LedgerError::Rejected(log) => {
                let (entry, reason) = match log {
                    LogError::InvalidDid { entry, reason }
                    | LogError::InvalidProof { entry, reason }
                    | LogError::InvalidParameters { entry, reason } => (*entry, reason.clone()),
                    other => (0, other.to_string()),
                };
                Self {
                    code: Some(log.code().to_owned()),
                    entry: Some(entry),
                    reason: Some(reason),
                    ..Self::new(problem::REJECTED, 422, "Entry rejected", detail)
                }
            }
            LedgerError::Conflict { did, version_id, tip } => Self {
                did: Some(did.to_string()),
                version_id: Some(version_id.clone()),
                tip: Some(tip.clone()),
                ..Self::new(problem::CONFLICT, 409, "Entry conflicts with the DID's tip", detail)
            },
            LedgerError::NotFound(did) => Self {
                did: Some(did.to_string()),
                ..Self::new(problem::NOT_FOUND, 404, "DID not on this ledger", detail)
            },
            LedgerError::Proof(ProofError::IndexOutOfRange { index, size }) => Self {
                index: Some(*index),
                size: Some(*size),
                ..Self::new(problem::OUT_OF_RANGE, 400, "Outside the tree", detail)
            },
            LedgerError::Proof(ProofError::SizesOutOfOrder { old, new }) => Self {
                old: Some(*old),
                new: Some(*new),
                ..Self::new(problem::SIZES_OUT_OF_ORDER, 400, "Sizes out of order", detail)
            },
            LedgerError::InconsistentCheckpoint { size, signed } => Self {
                size: Some(*size),
                old: Some(*signed),
                ..Self::new(problem::INCONSISTENT_CHECKPOINT, 500, "Inconsistent checkpoint", detail)
            },
            LedgerError::Limit(limit) => Self::from_limit(limit, detail),
            LedgerError::Unavailable(_) => Self::new(problem::UNAVAILABLE, 503, "Ledger unavailable", detail),
            _ => Self::new(problem::CORRUPT, 500, "Ledger error", detail),
        }
    }

    fn from_limit(limit: &LimitError, detail: String) -> Self {
        let (problem_type, status, title, did, actual, max) = match limit {
            LimitError::EntryTooLarge { bytes, max } => {
                (problem::ENTRY_TOO_LARGE, 413, "Entry too large", None, *bytes, *max)
            }
            LimitError::DocumentTooLarge { bytes, max } => {
                (problem::DOCUMENT_TOO_LARGE, 413, "DID document too large", None, *bytes, *max)
            }
            LimitError::LogTooLong { did, entries, max } => {
                (problem::LOG_TOO_LONG, 422, "DID log too long", Some(did), *entries, *max)
            }
            LimitError::LogTooLarge { did, bytes, max } => {
                (problem::LOG_TOO_LARGE, 422, "DID log too large", Some(did), *bytes, *max)
            }
        };
        Self {
            did: did.map(Did::to_string),
            limit: Some(max),
            actual: Some(actual),
            ..Self::new(problem_type, status, title, detail)
        }
    }

    /// The [`LimitError`] of a limit problem; one naming no DID where it
    /// needs one is corrupt.
    fn into_limit_error(self, did: Option<Did>) -> LedgerError {
        let (max, actual) = (self.limit.unwrap_or_default(), self.actual.unwrap_or_default());
        let limit = match (self.problem_type.as_str(), did) {
            (problem::ENTRY_TOO_LARGE, _) => LimitError::EntryTooLarge { bytes: actual, max },
            (problem::DOCUMENT_TOO_LARGE, _) => LimitError::DocumentTooLarge { bytes: actual, max },
            (problem::LOG_TOO_LONG, Some(did)) => LimitError::LogTooLong { did, entries: actual, max },
            (problem::LOG_TOO_LARGE, Some(did)) => LimitError::LogTooLarge { did, bytes: actual, max },
            _ => {
                return LedgerError::Corrupt(format!(
                    "remote ledger: {} (the problem names no valid DID)",
                    self.detail
                ));
            }
        };
        LedgerError::Limit(limit)
    }

    /// The [`LedgerError`] this problem reports (the inverse of
    /// [`LedgerProblem::from_error`]).
    pub fn into_error(self) -> LedgerError {
        let Self { problem_type, detail, .. } = &self;
        let did = self.did.as_deref().and_then(|did| Did::parse(did).ok());
        match problem_type.as_str() {
            problem::REJECTED => {
                let entry = self.entry.unwrap_or(0);
                let reason = self.reason.unwrap_or(self.detail);
                LedgerError::Rejected(match self.code.as_deref() {
                    Some("invalidProof") => LogError::InvalidProof { entry, reason },
                    Some("invalidParameters") => LogError::InvalidParameters { entry, reason },
                    _ => LogError::InvalidDid { entry, reason },
                })
            }
            problem::CONFLICT | problem::NOT_FOUND => match did {
                Some(did) if problem_type == problem::NOT_FOUND => LedgerError::NotFound(did),
                Some(did) => LedgerError::Conflict {
                    did,
                    version_id: self.version_id.unwrap_or_default(),
                    tip: self.tip.unwrap_or_default(),
                },
                None => {
                    LedgerError::Corrupt(format!("remote ledger: {detail} (the problem names no valid DID)"))
                }
            },
            problem::OUT_OF_RANGE => LedgerError::Proof(ProofError::IndexOutOfRange {
                index: self.index.unwrap_or_default(),
                size: self.size.unwrap_or_default(),
            }),
            problem::SIZES_OUT_OF_ORDER => LedgerError::Proof(ProofError::SizesOutOfOrder {
                old: self.old.unwrap_or_default(),
                new: self.new.unwrap_or_default(),
            }),
            problem::INCONSISTENT_CHECKPOINT => LedgerError::InconsistentCheckpoint {
                size: self.size.unwrap_or_default(),
                signed: self.old.unwrap_or_default(),
            },
            problem::ENTRY_TOO_LARGE
            | problem::DOCUMENT_TOO_LARGE
            | problem::LOG_TOO_LONG
            | problem::LOG_TOO_LARGE => self.into_limit_error(did),
            problem::UNAVAILABLE => LedgerError::Unavailable(format!("remote ledger: {detail}")),
            _ => LedgerError::Corrupt(format!("remote ledger: {detail}")),
        }
    }
}

/// Timeouts and the answer size of [`HttpLedger`].
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request.
    pub timeout: Duration,
    /// Largest answer read, in bytes (default 8 MiB: a log at the default
    /// [`crate::AdmissionLimits`], JSON-escaped, with room to spare); a
    /// larger one is refused as it arrives, never loaded whole.
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A [`Ledger`] served by a `didam-resolver` daemon (see the module doc).
///
/// ```no_run
/// use didam_ledger::{HttpLedger, Ledger, note::Checkpoint};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = HttpLedger::new("http://127.0.0.1:8080")?;
/// // Pin the daemon's checkpoint key once, out of band in production.
/// let key = ledger.verifier_key().await?;
/// if let Some(latest) = ledger.latest_checkpoint().await? {
///     let (checkpoint, _) = Checkpoint::open(latest.note.as_bytes(), &key)?;
///     println!("{} entries", checkpoint.size);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct HttpLedger {
    client: reqwest::Client,
    base: String,
    max_body: usize,
}

/// Percent-encodes everything but unreserved characters and `:`.
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn transport(url: &str, e: &reqwest::Error) -> LedgerError {
    if e.is_timeout() {
        LedgerError::Unavailable(format!(
            "request to {url} timed out: unknown outcome, retry (appends are idempotent)"
        ))
    } else if e.is_connect() {
        LedgerError::Unavailable(format!("cannot reach the ledger at {url}"))
    } else {
        LedgerError::Unavailable(format!("request to {url} failed: {e}"))
    }
}

impl HttpLedger {
    /// A client of the daemon at `base_url` (`http://host:port`), with the
    /// default timeouts.
    pub fn new(base_url: &str) -> Result<Self, LedgerError> {
        Self::with_limits(base_url, &HttpLimits::default())
    }

    /// A client with these timeouts.
    pub fn with_limits(base_url: &str, limits: &HttpLimits) -> Result<Self, LedgerError> {
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("didam/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LedgerError::Unavailable(format!("HTTP client: {e}")))?;
        Ok(Self { client, base: base_url.trim_end_matches('/').to_owned(), max_body: limits.max_body_bytes })
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/ledger/v1/{path}", self.base)
    }

    /// The body of `response`, read chunk by chunk up to the answer size
    /// limit: a larger answer is refused before more of it is read.
    async fn body(&self, url: &str, mut response: reqwest::Response) -> Result<Vec<u8>, LedgerError> {
        let too_large =
            || LedgerError::Corrupt(format!("{url}: the answer is larger than {} bytes", self.max_body));
        if response.content_length().is_some_and(|n| n > self.max_body as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(url, &e))? {
            if body.len() + chunk.len() > self.max_body {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Sends `request`; a non-success status becomes the problem it carries.
    async fn send(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Result<reqwest::Response, LedgerProblem>, LedgerError> {
        let response = request.send().await.map_err(|e| transport(url, &e))?;
        if response.status().is_success() {
            return Ok(Ok(response));
        }
        let status = response.status();
        let body = self.body(url, response).await?;
        match serde_json::from_slice::<LedgerProblem>(&body) {
            Ok(p) => Ok(Err(p)),
            Err(_) if status.is_server_error() => {
                Err(LedgerError::Unavailable(format!("{url} answered HTTP {status}")))
            }
            Err(_) => {
                Err(LedgerError::Corrupt(format!("{url} answered HTTP {status} without a problem object")))
            }
        }
    }

    /// [`Self::send`], with a problem turned into its error.
    async fn call(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, LedgerError> {
        self.send(url, request).await?.map_err(LedgerProblem::into_error)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, LedgerError> {
        let url = self.url(path);
        let response = self.call(&url, self.client.get(&url)).await?;
        let body = self.body(&url, response).await?;
        serde_json::from_slice(&body)
            .map_err(|e| LedgerError::Corrupt(format!("{url}: unreadable answer: {e}")))
    }

    /// A `text/plain` resource; `None` when the daemon has none to give.
    async fn get_text(&self, path: &str) -> Result<Option<String>, LedgerError> {
        let url = self.url(path);
        match self.send(&url, self.client.get(&url)).await? {
            Ok(response) => {
                let body = self.body(&url, response).await?;
                Ok(Some(
                    String::from_utf8(body)
                        .map_err(|e| LedgerError::Corrupt(format!("{url}: the answer is not UTF-8: {e}")))?,
                ))
            }
            Err(p) if p.problem_type == problem::NO_CHECKPOINT => Ok(None),
            Err(p) => Err(p.into_error()),
        }
    }

    /// The daemon's checkpoint verifier key (`GET /ledger/v1/key`). Pin it:
    /// a client that fetches it on every run trusts the network.
    pub async fn verifier_key(&self) -> Result<NoteVerifier, LedgerError> {
        let vkey = self
            .get_text("key")
            .await?
            .ok_or_else(|| LedgerError::Unavailable("the daemon has no checkpoint key".into()))?;
        Ok(NoteVerifier::parse(vkey.trim())?)
    }

    /// The daemon's ML-DSA-44 checkpoint key (`GET /ledger/v1/key/ml-dsa-44`),
    /// `None` when its checkpoints carry no ML-DSA-44 signature. Pin it.
    pub async fn pq_verifier_key(&self) -> Result<Option<NoteVerifier>, LedgerError> {
        self.get_text("key/ml-dsa-44").await?.map(|vkey| Ok(NoteVerifier::parse(vkey.trim())?)).transpose()
    }
}

fn hashes(proof: &[String]) -> Result<Vec<Hash>, LedgerError> {
    proof.iter().map(|h| Hash::from_base64(h).map_err(LedgerError::Proof)).collect()
}

impl Ledger for HttpLedger {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        let url = self.url("entries");
        let response = self.call(&url, self.client.post(&url).json(entry)).await?;
        let body = self.body(&url, response).await?;
        let receipt: ReceiptBody = serde_json::from_slice(&body)
            .map_err(|e| LedgerError::Corrupt(format!("{url}: unreadable receipt: {e}")))?;
        receipt.try_into()
    }

    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        let body: LogBody = self.get_json(&format!("dids/{}/log", segment(did.as_str()))).await?;
        Ok(body.entries.into_iter().map(|e| StoredEntry { line: e.line, leaf_index: e.leaf_index }).collect())
    }

    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        self.get_json(&format!("dids/{}/tip", segment(did.as_str()))).await
    }

    async fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.get_json::<SizeBody>("size").await?.size)
    }

    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        let url = self.url(&format!("leaves/{index}"));
        let response = self.call(&url, self.client.get(&url)).await?;
        self.body(&url, response).await
    }

    async fn integrate(&self) -> Result<u64, LedgerError> {
        Err(LedgerError::Unavailable(format!(
            "{} is a remote ledger: its daemon integrates entries itself",
            self.base
        )))
    }

    async fn checkpoint(&self, _signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        Err(LedgerError::Unavailable(format!(
            "{} is a remote ledger: its daemon signs its own checkpoints",
            self.base
        )))
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let Some(note) = self.get_text("checkpoint").await? else {
            return Ok(None);
        };
        // The signature is checked by whoever trusts it (`resolve()`); here
        // only the text is read, for the size and root.
        let text_end = note
            .rfind("\n\n")
            .map(|i| i + 1)
            .ok_or_else(|| LedgerError::Corrupt("the remote checkpoint is not a signed note".into()))?;
        let checkpoint = Checkpoint::parse(&note[..text_end])?;
        Ok(Some(SignedCheckpoint { size: checkpoint.size, root: Hash(checkpoint.root), note }))
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        let body: ProofBody = self.get_json(&format!("proofs/inclusion?index={index}&size={size}")).await?;
        hashes(&body.proof)
    }

    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        let body: ProofBody = self.get_json(&format!("proofs/consistency?old={old}&new={new}")).await?;
        hashes(&body.proof)
    }

    async fn tip_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
        let body: TipProofBody =
            self.get_json(&format!("dids/{}/tip-proof?size={size}", segment(did.as_str()))).await?;
        Ok(TipProof {
            proof: hashes(&body.proof)?,
            record: TipRecord { did: body.did, leaf_index: body.leaf_index, entry_hash: body.entry_hash },
            count: body.count,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn problems_round_trip_to_typed_errors() {
        let errors = [
            LedgerError::Conflict {
                did: Did::parse("did:x:1").unwrap(),
                version_id: "2-a".into(),
                tip: "2-b".into(),
            },
            LedgerError::Rejected(LogError::InvalidProof { entry: 2, reason: "bad".into() }),
            LedgerError::NotFound(Did::parse("did:x:1").unwrap()),
            LedgerError::Proof(ProofError::IndexOutOfRange { index: 9, size: 3 }),
            LedgerError::Proof(ProofError::SizesOutOfOrder { old: 4, new: 3 }),
            LedgerError::InconsistentCheckpoint { size: 3, signed: 5 },
            LimitError::EntryTooLarge { bytes: 20_000, max: 16_384 }.into(),
            LimitError::DocumentTooLarge { bytes: 13_000, max: 12_288 }.into(),
            LimitError::LogTooLong { did: Did::parse("did:x:1").unwrap(), entries: 4, max: 3 }.into(),
            LimitError::LogTooLarge { did: Did::parse("did:x:1").unwrap(), bytes: 9, max: 8 }.into(),
        ];
        for e in errors {
            let p = LedgerProblem::from_error(&e);
            let json = serde_json::to_string(&p).unwrap();
            let back = serde_json::from_str::<LedgerProblem>(&json).unwrap().into_error();
            assert_eq!(back.to_string(), e.to_string(), "{json}");
        }
        let big = LedgerProblem::from_error(&LimitError::EntryTooLarge { bytes: 2, max: 1 }.into());
        assert_eq!((big.status, big.limit, big.actual), (413, Some(1), Some(2)));
        let long = LedgerProblem::from_error(
            &LimitError::LogTooLong { did: Did::parse("did:x:1").unwrap(), entries: 4, max: 3 }.into(),
        );
        assert_eq!((long.status, long.did.as_deref()), (422, Some("did:x:1")));
        let p = LedgerProblem::from_error(&LedgerError::Unavailable("disk".into()));
        assert_eq!(p.status, 503);
        assert!(matches!(p.into_error(), LedgerError::Unavailable(_)));
    }

    /// A daemon (here a plain listener) whose answer is larger than the
    /// limit: refused, not read whole.
    #[test]
    fn an_answer_over_the_size_limit_is_refused() {
        use std::io::{Read as _, Write as _};
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let body = format!("{{\"size\":{}}}", "1".repeat(4096));
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            let _ = write!(stream, "{head}{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
        });
        let limits = HttpLimits { max_body_bytes: 1024, ..HttpLimits::default() };
        let ledger = HttpLedger::with_limits(&format!("http://{addr}"), &limits).unwrap();
        let e = rt.block_on(ledger.size()).unwrap_err();
        assert!(matches!(&e, LedgerError::Corrupt(m) if m.contains("larger than 1024 bytes")), "{e}");
        server.join().unwrap();
    }

    #[test]
    fn dids_are_encoded_as_one_segment() {
        assert_eq!(segment("did:didam:Qm1"), "did:didam:Qm1");
        assert_eq!(segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
    }

    #[test]
    fn timeouts_say_the_outcome_is_unknown() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // A listener that accepts and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = HttpLimits {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_millis(200),
            ..HttpLimits::default()
        };
        let ledger = HttpLedger::with_limits(&format!("http://{addr}"), &limits).unwrap();
        let entry = serde_json::json!({ "versionId": "1-x", "state": { "id": "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m" } });
        let e = rt.block_on(ledger.append(&LogEntry::parse(entry).unwrap())).unwrap_err();
        assert!(matches!(&e, LedgerError::Unavailable(m) if m.contains("unknown outcome, retry")), "{e}");
        drop(listener);
    }
}
