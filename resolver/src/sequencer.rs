//! The sequencer: signs a new checkpoint shortly after appends.
//!
//! Every period (or sooner, when woken by an append and the period has
//! passed) it compares the tree size with the latest checkpoint's and, if the
//! tree grew, signs a checkpoint of it with the ledger's key. On shutdown it
//! signs once more, so every accepted entry is checkpointed.

use std::sync::Arc;
use std::time::Duration;

use didam_ledger::Ledger as _;
use didam_ledger::note::NoteSigner;
use tokio::sync::{Notify, watch};

use crate::shared::SharedLedger;

/// Signs a checkpoint if the tree grew since the latest one.
pub async fn step(ledger: &SharedLedger, signer: &NoteSigner) {
    let grew = async {
        let size = ledger.size().await?;
        let signed = ledger.latest_checkpoint().await?.map_or(0, |c| c.size);
        metrics::gauge!("didam_ledger_size").set(size as f64);
        Ok::<_, didam_ledger::LedgerError>(size > signed)
    };
    match grew.await {
        Ok(false) => {}
        Ok(true) => match ledger.checkpoint(signer).await {
            Ok(c) => {
                metrics::counter!("didam_checkpoints_signed_total").increment(1);
                tracing::info!(size = c.size, "checkpoint signed");
            }
            Err(e) => tracing::error!(error = %e, "signing a checkpoint failed"),
        },
        Err(e) => tracing::error!(error = %e, "sequencer cannot read the ledger"),
    }
}

/// Runs until `shutdown` turns true.
pub async fn run(
    ledger: SharedLedger,
    signer: Arc<NoteSigner>,
    period: Duration,
    appended: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        step(&ledger, &signer).await;
        tokio::select! {
            _ = appended.notified() => tokio::time::sleep(period).await,
            _ = tokio::time::sleep(period) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
    step(&ledger, &signer).await;
}
