//! The sequencer: signs a new checkpoint shortly after appends.
//!
//! Every period (or sooner, when woken by an append and the period has
//! passed) it compares the tree size with the latest checkpoint's and, if the
//! tree grew, signs a checkpoint of it with the ledger's key. On shutdown it
//! signs once more, so every accepted entry is checkpointed.
//!
//! On an etcd ledger several daemons run a sequencer, but only the one
//! holding the etcd sequencer lease (`didam_ledger::etcd::SequencerElection`)
//! integrates and signs, with writes fenced by that lease; when it dies, its
//! lease expires and another daemon takes over within the lease TTL. On
//! shutdown the holder signs once more and gives the lease up.

use std::sync::Arc;
use std::time::Duration;

use didam_ledger::note::NoteSigner;
use didam_ledger::{AnyLedger, Ledger as _};
use tokio::sync::{Notify, watch};

/// Signs a checkpoint if the tree grew since the latest one, or if the
/// latest one lacks the signer's ML-DSA-44 cosignature or the line by which
/// the Ed25519 key vouches for it (the key was just added: the ledger signs
/// the latest checkpoint again with both).
pub async fn step(ledger: &AnyLedger, signer: &NoteSigner) {
    let grew = async {
        let size = ledger.size().await?;
        let latest = ledger.latest_checkpoint().await?;
        let signed = latest.as_ref().map_or(0, |c| c.size);
        let lacks_pq =
            latest.is_some_and(|c| didam_ledger::handover::needs_pq_vouch(c.note.as_bytes(), signer));
        metrics::gauge!("didam_ledger_size").set(size as f64);
        Ok::<_, didam_ledger::LedgerError>(size > signed || lacks_pq)
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

/// Waits for the next round; `true` when shutting down.
async fn next_round(period: Duration, appended: &Notify, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = appended.notified() => tokio::time::sleep(period).await,
        _ = tokio::time::sleep(period) => {}
        _ = shutdown.changed() => return true,
    }
    *shutdown.borrow()
}

/// Runs until `shutdown` turns true.
pub async fn run(
    ledger: AnyLedger,
    signer: Arc<NoteSigner>,
    period: Duration,
    appended: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    #[cfg(feature = "etcd")]
    if let Some(etcd) = ledger.etcd() {
        return run_etcd(etcd, &signer, period, &appended, shutdown).await;
    }
    loop {
        step(&ledger, &signer).await;
        if next_round(period, &appended, &mut shutdown).await {
            break;
        }
    }
    step(&ledger, &signer).await;
}

/// The lease TTL of the etcd sequencer: how long a dead sequencer's role
/// stays taken.
#[cfg(feature = "etcd")]
pub const ETCD_LEASE_TTL: Duration = Duration::from_secs(3);

/// One etcd sequencer round: integrate, and sign if the tree grew.
#[cfg(feature = "etcd")]
async fn step_etcd(
    ledger: &didam_ledger::EtcdLedger,
    signer: &NoteSigner,
    fence: &didam_ledger::etcd::SequencerFence,
) {
    let grew = async {
        let size = ledger.integrate_fenced(Some(fence)).await?;
        let signed = ledger.latest_checkpoint().await?.map_or(0, |c| c.size);
        metrics::gauge!("didam_ledger_size").set(size as f64);
        Ok::<_, didam_ledger::LedgerError>(size > signed)
    };
    match grew.await {
        Ok(false) => {}
        Ok(true) => match ledger.checkpoint_fenced(signer, Some(fence)).await {
            Ok(c) => {
                metrics::counter!("didam_checkpoints_signed_total").increment(1);
                tracing::info!(size = c.size, "checkpoint signed");
            }
            Err(e) => tracing::error!(error = %e, "signing a checkpoint failed"),
        },
        Err(e) => tracing::error!(error = %e, "sequencer cannot integrate the ledger"),
    }
}

/// The etcd sequencer: campaigns every period, works only while holding the lease.
#[cfg(feature = "etcd")]
async fn run_etcd(
    ledger: &didam_ledger::EtcdLedger,
    signer: &NoteSigner,
    period: Duration,
    appended: &Notify,
    mut shutdown: watch::Receiver<bool>,
) {
    let node = format!("{}-{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let mut election = ledger.election(&node, ETCD_LEASE_TTL);
    // Poll at least three times per TTL so the lease never lapses while held.
    let period = period.min(ETCD_LEASE_TTL / 4);
    let mut was = false;
    loop {
        let fence = match election.poll().await {
            Ok(fence) => fence,
            Err(e) => {
                tracing::warn!(error = %e, "sequencer election: etcd unreachable");
                None
            }
        };
        if fence.is_some() != was {
            was = fence.is_some();
            metrics::gauge!("didam_sequencer_leader").set(if was { 1.0 } else { 0.0 });
            tracing::info!(node = election.node(), leader = was, "sequencer role changed");
        }
        if let Some(fence) = &fence {
            step_etcd(ledger, signer, fence).await;
        }
        if next_round(period, appended, &mut shutdown).await {
            break;
        }
    }
    if let Ok(Some(fence)) = election.poll().await {
        step_etcd(ledger, signer, &fence).await;
    }
    election.resign().await;
}
