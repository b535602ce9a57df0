//! The append rule, written once for every backend that stores entries.
//!
//! Steps of [`admit`] for one entry:
//! 1. the entry comes parsed ([`LogEntry`]): its DID (its document's `id`, a
//!    well-formed `did:didam` DID), `versionId` and JCS text, which is the
//!    leaf the ledger will hold; its size and its document's are within the
//!    ledger's [`AdmissionLimits`] (else [`LimitError`], before any read);
//! 2. a retry of a stored entry (the same entry hash with the same text) is a
//!    duplicate: the stored receipt is returned and nothing is written, so a
//!    client whose reply was lost can send the same entry again;
//! 3. the entry's version number must follow the DID's tip: a second child of
//!    one entry is a [`LedgerError::Conflict`], a later entry of an unknown DID
//!    is [`LedgerError::NotFound`];
//! 4. the DID's log stays within the limits with the entry: at most
//!    [`AdmissionLimits::max_log_entries`] entries and
//!    [`AdmissionLimits::max_log_bytes`] bytes (else [`LimitError`]);
//! 5. the entry must pass the DID method's rule against that tip
//!    ([`didam_method::log::verify_entry`]: hash chain, SCID, pre-rotation,
//!    proof, not deactivated);
//! 6. the answer names the tip it was checked against. The backend stores the
//!    entry only if that tip is still the DID's tip, in the same atomic step as
//!    the write (a SQLite transaction, an etcd transaction's compares): a
//!    compare-and-swap, checked with [`check_tip`] where the backend compares
//!    itself.
//!
//! A backend provides what the rule reads through [`AdmissionView`]; it never
//! decides admission itself. The same limits bound what a backend reads back:
//! a DID's log is read with [`LogBudget`], which refuses a log beyond them
//! ([`LimitError`]) instead of loading it, so resolving a DID costs at most
//! what a DID at the limits costs.
//!
//! See: `specs/did-didam.md`, 8.3 (append rule) and 8.6 (admission limits).

use chrono::Utc;
use didam_credential::Did;
use didam_method::LogEntry;
use didam_method::log::{self, DidState, Method};

use crate::{LedgerError, Receipt};

/// What a ledger admits per entry and per DID, and so the most a DID's log
/// costs to read and replay (`specs/did-didam.md`, 8.6).
///
/// The defaults leave room for any honest DID (an entry with a document of
/// a dozen keys and services is 2–5 KB) while a DID at the limits resolves
/// in milliseconds: 1 MiB of log, 256 signatures.
///
/// ```
/// use didam_ledger::AdmissionLimits;
///
/// let limits = AdmissionLimits { max_log_entries: 3, ..AdmissionLimits::default() };
/// assert_eq!(limits.max_entry_bytes, 32 * 1024);
/// assert!(limits.max_document_bytes < limits.max_entry_bytes);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Largest entry (its JCS text, the leaf), in bytes. Default 32 KiB: an
    /// entry of a DID with hybrid control (an ML-DSA-44 update key and its
    /// proof) and an ML-DSA-44 signing key is about 17.5 KB.
    pub max_entry_bytes: u64,
    /// Largest DID document (the JCS text of an entry's `state`), in bytes.
    /// Default 12 KiB.
    pub max_document_bytes: u64,
    /// Most entries in one DID's log. Default 256.
    pub max_log_entries: u64,
    /// Most bytes (the entries' JCS texts) in one DID's log. Default 1 MiB.
    pub max_log_bytes: u64,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        Self {
            max_entry_bytes: 32 * 1024,
            max_document_bytes: 12 * 1024,
            max_log_entries: 256,
            max_log_bytes: 1024 * 1024,
        }
    }
}

/// An entry, or a DID's log, beyond the ledger's [`AdmissionLimits`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The entry is larger than [`AdmissionLimits::max_entry_bytes`].
    #[error("the entry is {bytes} bytes; this ledger admits entries of at most {max} bytes")]
    EntryTooLarge {
        /// The entry's size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The entry's document is larger than
    /// [`AdmissionLimits::max_document_bytes`].
    #[error("the entry's DID document is {bytes} bytes; this ledger admits documents of at most {max} bytes")]
    DocumentTooLarge {
        /// The document's size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The DID's log would hold more than
    /// [`AdmissionLimits::max_log_entries`] entries.
    #[error("the log of {did} would hold {entries} entries; this ledger holds at most {max} per DID")]
    LogTooLong {
        /// The DID.
        did: Did,
        /// The entries it would hold (when reading: at least this many).
        entries: u64,
        /// The limit.
        max: u64,
    },
    /// The DID's log would be larger than [`AdmissionLimits::max_log_bytes`].
    #[error("the log of {did} would be {bytes} bytes; this ledger holds at most {max} bytes per DID")]
    LogTooLarge {
        /// The DID.
        did: Did,
        /// Its size with the entry (when reading: at least this).
        bytes: u64,
        /// The limit.
        max: u64,
    },
}

impl AdmissionLimits {
    /// Checks an entry's own sizes (step 1 of the append rule, `specs/did-didam.md` §8.3).
    pub fn check_entry(&self, entry: &LogEntry) -> Result<(), LimitError> {
        let bytes = entry.line().len() as u64;
        if bytes > self.max_entry_bytes {
            return Err(LimitError::EntryTooLarge { bytes, max: self.max_entry_bytes });
        }
        let bytes = entry.document_len() as u64;
        if bytes > self.max_document_bytes {
            return Err(LimitError::DocumentTooLarge { bytes, max: self.max_document_bytes });
        }
        Ok(())
    }

    /// A budget for reading `did`'s log.
    pub fn budget(&self, did: &Did) -> LogBudget {
        LogBudget { did: did.clone(), limits: *self, entries: 0, bytes: 0 }
    }
}

/// What reading one DID's log may still take: each entry read is counted
/// with [`LogBudget::take`], and a log beyond the limits is refused before
/// more of it is loaded.
#[derive(Clone, Debug)]
pub struct LogBudget {
    did: Did,
    limits: AdmissionLimits,
    entries: u64,
    bytes: u64,
}

impl LogBudget {
    /// Counts one more entry of `bytes` bytes; `Err` once the log is beyond
    /// the limits.
    pub fn take(&mut self, bytes: usize) -> Result<(), LimitError> {
        self.entries += 1;
        self.bytes += bytes as u64;
        let limits = &self.limits;
        if self.entries > limits.max_log_entries {
            return Err(LimitError::LogTooLong {
                did: self.did.clone(),
                entries: self.entries,
                max: limits.max_log_entries,
            });
        }
        if self.bytes > limits.max_log_bytes {
            return Err(LimitError::LogTooLarge {
                did: self.did.clone(),
                bytes: self.bytes,
                max: limits.max_log_bytes,
            });
        }
        Ok(())
    }

    /// The entries counted so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}

/// What [`admit`] reads from a backend.
pub(crate) trait AdmissionView {
    /// What the backend compares before it stores: the tip's `versionId`
    /// (SQLite) or its key's revision (etcd).
    type Token;

    /// The leaf index at which an entry with entry hash `hash` and JCS text
    /// `line` is stored, if it is.
    async fn stored(&self, hash: &str, line: &str) -> Result<Option<u64>, LedgerError>;

    /// The DID's current tip and its compare token, if the DID exists.
    async fn tip(&self, did: &Did) -> Result<Option<(DidState, Self::Token)>, LedgerError>;

    /// The bytes of `did`'s stored log (the sum of its entries' JCS texts),
    /// counted against `budget` (so never more than the limits are read).
    async fn log_bytes(&self, did: &Did, budget: LogBudget) -> Result<u64, LedgerError>;

    /// Verifies `entry` as the successor of `tip` (default: on this task).
    async fn verify(
        &self,
        method: Method,
        tip: Option<&DidState>,
        entry: &LogEntry,
    ) -> Result<DidState, LedgerError> {
        Ok(log::verify_entry(method, tip, entry.json(), Utc::now()).await?)
    }
}

/// An entry that passed the rule, with what the store step needs.
#[derive(Debug)]
pub(crate) struct Admitted<T> {
    /// The DID.
    pub(crate) did: Did,
    /// The entry's `versionId`.
    pub(crate) version_id: String,
    /// The entry's JCS text: the leaf.
    pub(crate) line: String,
    /// The DID's state after the entry.
    pub(crate) state: DidState,
    /// The tip the entry was checked against, with its compare token; `None`
    /// for the first entry of a DID.
    pub(crate) tip: Option<(String, T)>,
}

/// The outcome of [`admit`].
#[derive(Debug)]
pub(crate) enum Admission<T> {
    /// The entry is already stored: its receipt.
    Duplicate(Receipt),
    /// A new entry, to store if its tip is unchanged.
    New(Box<Admitted<T>>),
}

/// Applies the append rule (see the module doc) to `entry` as a `method` log
/// entry within `limits`, reading the backend through `view`.
pub(crate) async fn admit<V: AdmissionView>(
    view: &V,
    method: Method,
    limits: &AdmissionLimits,
    entry: &LogEntry,
) -> Result<Admission<V::Token>, LedgerError> {
    limits.check_entry(entry)?;
    let did = entry.did().clone();
    let version_id = entry.version_id().to_owned();
    let line = entry.line().to_owned();

    if let Some(leaf_index) = view.stored(entry.entry_hash(), &line).await? {
        return Ok(Admission::Duplicate(Receipt { did, version_id, leaf_index, duplicate: true }));
    }

    let tip = view.tip(&did).await?;
    let expected = tip.as_ref().map_or(1, |(t, _)| t.version_number + 1);
    if entry.version_number() != expected {
        return Err(match &tip {
            Some((t, _)) => LedgerError::Conflict { did, version_id, tip: t.version_id.clone() },
            None => LedgerError::NotFound(did),
        });
    }
    if entry.version_number() > limits.max_log_entries {
        return Err(LimitError::LogTooLong {
            did,
            entries: entry.version_number(),
            max: limits.max_log_entries,
        }
        .into());
    }
    if tip.is_some() {
        // The log so far is read within the budget of a log one entry
        // shorter and this entry's bytes smaller than the limits.
        let room = AdmissionLimits {
            max_log_bytes: limits.max_log_bytes.saturating_sub(line.len() as u64),
            ..*limits
        };
        let stored = view.log_bytes(&did, room.budget(&did)).await.map_err(|e| match e {
            LedgerError::Limit(LimitError::LogTooLarge { did, bytes, .. }) => {
                LimitError::LogTooLarge { did, bytes: bytes + line.len() as u64, max: limits.max_log_bytes }
                    .into()
            }
            other => other,
        })?;
        let bytes = stored + line.len() as u64;
        if bytes > limits.max_log_bytes {
            return Err(LimitError::LogTooLarge { did, bytes, max: limits.max_log_bytes }.into());
        }
    }
    let state = view.verify(method, tip.as_ref().map(|(t, _)| t), entry).await?;
    let tip = tip.map(|(t, token)| (t.version_id, token));
    Ok(Admission::New(Box::new(Admitted { did, version_id, line, state, tip })))
}

/// The compare of the compare-and-swap, for backends that compare the tip's
/// `versionId` themselves: `current` is the DID's tip at the store step,
/// `expected` the one the entry was admitted against.
pub(crate) fn check_tip(
    did: &Did,
    version_id: &str,
    current: Option<&str>,
    expected: Option<&str>,
) -> Result<(), LedgerError> {
    if current == expected {
        Ok(())
    } else {
        Err(LedgerError::Conflict {
            did: did.clone(),
            version_id: version_id.to_owned(),
            tip: current.unwrap_or_default().to_owned(),
        })
    }
}
