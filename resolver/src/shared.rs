//! The ledger shared by the handlers, the resolver and the sequencer: the
//! embedded file or (cargo feature `etcd`) an etcd cluster.
//!
//! SQLite calls block (and an append fsyncs), so every embedded call runs
//! with [`tokio::task::block_in_place`]: the runtime moves its other tasks off
//! this worker meanwhile. The daemon therefore needs the multi-thread runtime.
//! etcd calls are plain async gRPC.

use std::sync::Arc;

use didam_ledger::merkle::Hash;
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof};
use didam_method::log::DidState;
use serde_json::Value;

/// The daemon's ledger, cheap to clone, whose calls do not stall the runtime.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SharedLedger {
    /// The embedded SQLite ledger.
    Embedded(Arc<EmbeddedLedger>),
    /// The ledger in an etcd cluster.
    #[cfg(feature = "etcd")]
    Etcd(Arc<didam_ledger::EtcdLedger>),
}

impl SharedLedger {
    /// Shares an embedded `ledger`.
    pub fn new(ledger: EmbeddedLedger) -> Self {
        Self::Embedded(Arc::new(ledger))
    }

    /// Shares an etcd `ledger`.
    #[cfg(feature = "etcd")]
    pub fn etcd(ledger: didam_ledger::EtcdLedger) -> Self {
        Self::Etcd(Arc::new(ledger))
    }

    /// The embedded ledger, when that is the backend.
    pub fn embedded(&self) -> Option<&EmbeddedLedger> {
        match self {
            Self::Embedded(l) => Some(l),
            #[cfg(feature = "etcd")]
            Self::Etcd(_) => None,
        }
    }
}

fn blocking<F: Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| futures::executor::block_on(f))
}

/// Runs `$call` on the backend: embedded calls through [`blocking`].
macro_rules! dispatch {
    ($self:ident, $l:ident => $call:expr) => {
        match $self {
            SharedLedger::Embedded($l) => blocking($call),
            #[cfg(feature = "etcd")]
            SharedLedger::Etcd($l) => $call.await,
        }
    };
}

impl Ledger for SharedLedger {
    async fn append(&self, entry: &Value) -> Result<Receipt, LedgerError> {
        dispatch!(self, l => l.append(entry))
    }

    async fn append_all(&self, entries: &[Value]) -> Vec<Result<Receipt, LedgerError>> {
        dispatch!(self, l => l.append_all(entries))
    }

    async fn log(&self, did: &str) -> Result<Vec<StoredEntry>, LedgerError> {
        dispatch!(self, l => l.log(did))
    }

    async fn log_at(&self, did: &str, size: u64) -> Result<Vec<StoredEntry>, LedgerError> {
        dispatch!(self, l => l.log_at(did, size))
    }

    async fn tip(&self, did: &str) -> Result<DidState, LedgerError> {
        dispatch!(self, l => l.tip(did))
    }

    async fn size(&self) -> Result<u64, LedgerError> {
        dispatch!(self, l => l.size())
    }

    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        dispatch!(self, l => l.leaf(index))
    }

    async fn integrate(&self) -> Result<u64, LedgerError> {
        dispatch!(self, l => l.integrate())
    }

    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        dispatch!(self, l => l.checkpoint(signer))
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        dispatch!(self, l => l.latest_checkpoint())
    }

    async fn latest_checkpoint_now(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        dispatch!(self, l => l.latest_checkpoint_now())
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        dispatch!(self, l => l.inclusion_proof(index, size))
    }

    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        dispatch!(self, l => l.consistency_proof(old, new))
    }

    async fn tip_proof(&self, did: &str, size: u64) -> Result<TipProof, LedgerError> {
        dispatch!(self, l => l.tip_proof(did, size))
    }
}
