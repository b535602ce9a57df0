//! The append rule, written once for every backend that stores entries.
//!
//! Steps of [`admit`] for one entry:
//! 1. the entry comes parsed ([`LogEntry`]): its DID (its document's `id`),
//!    `versionId` and JCS text, which is the leaf the ledger will hold;
//! 2. a retry of a stored entry (the same entry hash with the same text) is a
//!    duplicate: the stored receipt is returned and nothing is written, so a
//!    client whose reply was lost can send the same entry again;
//! 3. the entry's version number must follow the DID's tip: a second child of
//!    one entry is a [`LedgerError::Conflict`], a later entry of an unknown DID
//!    is [`LedgerError::NotFound`];
//! 4. the entry must pass the DID method's rule against that tip
//!    ([`didam_method::log::verify_entry`]: hash chain, SCID, pre-rotation,
//!    proof, not deactivated);
//! 5. the answer names the tip it was checked against. The backend stores the
//!    entry only if that tip is still the DID's tip, in the same atomic step as
//!    the write (a SQLite transaction, an etcd transaction's compares): a
//!    compare-and-swap, checked with [`check_tip`] where the backend compares
//!    itself.
//!
//! A backend provides what the rule reads through [`AdmissionView`]; it never
//! decides admission itself.

use chrono::Utc;
use didam_credential::Did;
use didam_method::LogEntry;
use didam_method::log::{self, DidState, Method};

use crate::{LedgerError, Receipt};

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
/// entry, reading the backend through `view`.
pub(crate) async fn admit<V: AdmissionView>(
    view: &V,
    method: Method,
    entry: &LogEntry,
) -> Result<Admission<V::Token>, LedgerError> {
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
