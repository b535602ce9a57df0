//! The embedded ledger shared by the handlers, the resolver and the
//! sequencer. SQLite calls block (and an append fsyncs), so every call runs
//! with [`tokio::task::block_in_place`]: the runtime moves its other tasks off
//! this worker meanwhile. The daemon therefore needs the multi-thread runtime.

use std::sync::Arc;

use didam_ledger::log::DidState;
use didam_ledger::merkle::Hash;
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof};
use serde_json::Value;

/// An [`EmbeddedLedger`] behind an [`Arc`], whose calls do not stall the
/// runtime.
#[derive(Clone, Debug)]
pub struct SharedLedger(Arc<EmbeddedLedger>);

impl SharedLedger {
    /// Shares `ledger`.
    pub fn new(ledger: EmbeddedLedger) -> Self {
        Self(Arc::new(ledger))
    }

    /// The ledger.
    pub fn inner(&self) -> &EmbeddedLedger {
        &self.0
    }
}

fn blocking<F: Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| futures::executor::block_on(f))
}

impl Ledger for SharedLedger {
    async fn append(&self, entry: &Value) -> Result<Receipt, LedgerError> {
        blocking(self.0.append(entry))
    }

    async fn append_all(&self, entries: &[Value]) -> Vec<Result<Receipt, LedgerError>> {
        blocking(self.0.append_all(entries))
    }

    async fn log(&self, did: &str) -> Result<Vec<StoredEntry>, LedgerError> {
        blocking(self.0.log(did))
    }

    async fn tip(&self, did: &str) -> Result<DidState, LedgerError> {
        blocking(self.0.tip(did))
    }

    async fn size(&self) -> Result<u64, LedgerError> {
        blocking(self.0.size())
    }

    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        blocking(self.0.leaf(index))
    }

    async fn integrate(&self) -> Result<u64, LedgerError> {
        blocking(self.0.integrate())
    }

    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        blocking(self.0.checkpoint(signer))
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        blocking(self.0.latest_checkpoint())
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        blocking(self.0.inclusion_proof(index, size))
    }

    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        blocking(self.0.consistency_proof(old, new))
    }

    async fn tip_proof(&self, did: &str, size: u64) -> Result<TipProof, LedgerError> {
        blocking(self.0.tip_proof(did, size))
    }
}
