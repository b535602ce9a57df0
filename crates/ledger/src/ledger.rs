//! The `Ledger` trait every backend implements, and what it returns.
//!
//! The trait is shaped for both the embedded file and a distributed engine:
//! - [`Ledger::append`] is a compare-and-swap on the DID's tip (a second child
//!   of one entry is refused) and idempotent by entry hash, so a client whose
//!   reply was lost retries safely;
//! - sequencing into the Merkle tree ([`Ledger::integrate`]) and checkpoint
//!   signing ([`Ledger::checkpoint`]) are separate steps, which one sequencer
//!   runs for the whole ledger;
//! - every read (logs, leaves, proofs, checkpoints) can be served by any node.
//!
//! The `conformance` module (cargo feature `conformance`) holds the tests every
//! backend must pass.

use didam_credential::Did;
use didam_method::LogEntry;
use serde_json::Value;

use crate::merkle::{Hash, ProofError};
use crate::note::{NoteError, NoteSigner};
use didam_method::log::{DidState, LogError};

/// What an accepted append returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The DID the entry belongs to.
    pub did: Did,
    /// The entry's `versionId`.
    pub version_id: String,
    /// Its leaf index in the ledger's tree.
    pub leaf_index: u64,
    /// `true` when the same entry had been appended before (a retry).
    pub duplicate: bool,
}

/// One entry of a DID's log as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// The entry as JSON text (its JCS form, which is also the leaf's data).
    pub line: String,
    /// Its leaf index in the ledger's tree.
    pub leaf_index: u64,
}

impl StoredEntry {
    /// The entry as JSON.
    pub fn json(&self) -> Result<Value, LedgerError> {
        serde_json::from_str(&self.line).map_err(|e| LedgerError::Corrupt(format!("stored entry: {e}")))
    }

    /// The stored entry, parsed; a line that is no log entry is corrupt data.
    pub fn entry(&self) -> Result<LogEntry, LedgerError> {
        self.line.parse().map_err(|e| LedgerError::Corrupt(format!("stored entry: {e}")))
    }
}

/// A checkpoint signed by the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// The C2SP signed note.
    pub note: String,
}

/// A DID's latest entry, as a checkpoint commits to it.
///
/// Each checkpoint carries, as the extension line `didam-tips <count> <root>`,
/// the root of the tips tree ([`crate::tips`]): a sparse Merkle tree keyed by
/// `SHA-256(DID)` holding the record of every DID in the tree. A resolver
/// checks that the log it was served ends at the recorded entry, so a ledger
/// cannot withhold a DID's latest entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipRecord {
    /// The DID.
    pub did: String,
    /// Leaf index of its latest entry.
    pub leaf_index: u64,
    /// Entry hash of its latest entry.
    pub entry_hash: String,
}

impl TipRecord {
    /// The record's data, hashed into its value in the tips tree.
    pub fn leaf_data(&self) -> Vec<u8> {
        format!("{}\n{}\n{}\n", self.did, self.leaf_index, self.entry_hash).into_bytes()
    }
}

/// A DID's tip record with its proof in a checkpoint's tips tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipProof {
    /// The record.
    pub record: TipRecord,
    /// The number of records in the tips tree.
    pub count: u64,
    /// The siblings of the record's path, from the root down
    /// ([`crate::tips::verify`]).
    pub proof: Vec<Hash>,
}

impl TipProof {
    /// Checks the proof against a checkpoint's tips commitment (`count`,
    /// `root`) for `did`: the record is `did`'s, the count is the
    /// checkpoint's, and the path leads to `root`.
    pub fn verify(&self, did: &str, count: u64, root: &Hash) -> Result<(), crate::tips::TipsProofError> {
        if self.record.did != did {
            return Err(crate::tips::TipsProofError::OtherDid);
        }
        if self.count != count {
            return Err(crate::tips::TipsProofError::OtherCount { proof: self.count, checkpoint: count });
        }
        crate::tips::verify(root, &self.record, &self.proof)
    }
}

/// The checkpoint extension line committing to a tips tree.
pub fn tips_extension(count: u64, root: &Hash) -> String {
    format!("didam-tips {count} {}", root.to_base64())
}

/// The tips tree a checkpoint commits to, from its extension lines.
pub fn parse_tips_extension(extensions: &[String]) -> Option<(u64, Hash)> {
    extensions.iter().find_map(|line| {
        let mut parts = line.strip_prefix("didam-tips ")?.split(' ');
        let count = parts.next()?.parse().ok()?;
        let root = Hash::from_base64(parts.next()?).ok()?;
        parts.next().is_none().then_some((count, root))
    })
}

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The entry does not verify against the DID's current state.
    #[error("entry refused: {0}")]
    Rejected(#[from] LogError),
    /// The entry is not the next one of its DID: another entry already follows
    /// the tip it builds on (a fork), or it skips ahead.
    #[error("entry {version_id} of {did} does not follow the current tip {tip}")]
    Conflict {
        /// The DID.
        did: Did,
        /// The refused entry's `versionId`.
        version_id: String,
        /// The DID's current tip `versionId`.
        tip: String,
    },
    /// The DID has no log on this ledger.
    #[error("DID {0} is not on this ledger")]
    NotFound(Did),
    /// The entry, or the DID's log, is beyond the ledger's admission limits
    /// (an append is refused; a stored log beyond them is not read).
    #[error(transparent)]
    Limit(#[from] crate::admission::LimitError),
    /// An index, size or range outside the ledger.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Signing or reading a checkpoint failed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// Signing this checkpoint would contradict one already signed.
    #[error(
        "refusing to sign a checkpoint of size {size}: inconsistent with the signed checkpoint of size {signed}"
    )]
    InconsistentCheckpoint {
        /// The size asked for.
        size: u64,
        /// The latest signed size.
        signed: u64,
    },
    /// The operator's checkpoint key could not be handed over, or a retired
    /// key tried to sign.
    #[error(transparent)]
    Operator(#[from] crate::handover::OperatorError),
    /// Stored data does not check (a tampered or damaged ledger).
    #[error("ledger data is corrupt: {0}")]
    Corrupt(String),
    /// The storage engine failed or cannot be reached.
    #[error("ledger storage unavailable: {0}")]
    Unavailable(String),
    /// A write to a ledger this process may only read: its file or its
    /// folder is not writable (a read-only data folder), or it was opened
    /// to read only.
    #[error("the ledger in {} is read-only here (its folder or file is not writable)", .dir.display())]
    ReadOnly {
        /// The ledger file's folder.
        dir: std::path::PathBuf,
    },
}

/// An append-only ledger of DID logs.
#[allow(async_fn_in_trait)]
pub trait Ledger {
    /// Appends a DID log entry after verifying it against its DID's tip.
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError>;

    /// Appends several entries, each with its own outcome, in order (an entry
    /// may build on an earlier one of the same call). Backends may commit them
    /// together (group commit); the default appends one by one.
    async fn append_all(&self, entries: &[LogEntry]) -> Vec<Result<Receipt, LedgerError>> {
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            out.push(self.append(entry).await);
        }
        out
    }

    /// The log of `did`, oldest entry first.
    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError>;

    /// The entries of `did`'s log among the tree's first `size` leaves (what
    /// a checkpoint of `size` covers), oldest first; `NotFound` when there
    /// are none. A backend that indexes logs per tree size answers without
    /// reading the DID's whole log; the default filters [`Self::log`].
    async fn log_at(&self, did: &Did, size: u64) -> Result<Vec<StoredEntry>, LedgerError> {
        let covered: Vec<StoredEntry> =
            self.log(did).await?.into_iter().take_while(|e| e.leaf_index < size).collect();
        if covered.is_empty() {
            return Err(LedgerError::NotFound(did.clone()));
        }
        Ok(covered)
    }

    /// The verified state of `did` after its latest entry.
    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError>;

    /// The number of leaves integrated into the tree.
    async fn size(&self) -> Result<u64, LedgerError>;

    /// The data of leaf `index`.
    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError>;

    /// Sequencing step: integrates appended entries into the tree; returns
    /// the tree size.
    async fn integrate(&self) -> Result<u64, LedgerError>;

    /// Signs a checkpoint of the integrated tree with `signer`. Never signs a
    /// checkpoint inconsistent with the latest one it signed.
    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError>;

    /// The latest signed checkpoint, if any. A replicated backend may serve
    /// a copy that its store keeps current by notification, a moment behind
    /// the store (see [`Self::latest_checkpoint_now`]).
    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError>;

    /// The latest signed checkpoint as the store has it at the time of the
    /// call (read past any copy [`Self::latest_checkpoint`] serves). The
    /// default is `latest_checkpoint`.
    async fn latest_checkpoint_now(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.latest_checkpoint().await
    }

    /// Inclusion proof of leaf `index` in the tree of `size` leaves.
    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError>;

    /// Consistency proof between tree sizes `old` and `new`.
    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError>;

    /// `did`'s tip record and its proof in the tips tree of the checkpoint of
    /// `size` leaves (the latest checkpoint).
    async fn tip_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError>;

    /// Hands the operator's checkpoint key over from `old` to `new`
    /// ([`crate::handover`]): signs the handover note, records `new` as the
    /// operator and retires `old` for good. Done again with the same keys, it
    /// returns the recorded handover. The default refuses: a backend whose
    /// operator is a daemon hands its key over where the daemon runs.
    async fn replace_operator(
        &self,
        old: &NoteSigner,
        new: &NoteSigner,
    ) -> Result<SignedCheckpoint, LedgerError> {
        let _ = (old, new);
        Err(crate::handover::OperatorError::NotHere.into())
    }

    /// The handover notes this ledger recorded, oldest first (the default:
    /// none).
    async fn handovers(&self) -> Result<Vec<String>, LedgerError> {
        Ok(Vec::new())
    }
}
