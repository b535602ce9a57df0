//! The did:didam ledger on a real three-member etcd cluster, served by two
//! real daemons: a DID created through one resolves through the other with
//! valid proofs; the etcd leader dies during a stream of appends; the
//! cluster loses quorum and recovers; the sequencer daemon dies and the other
//! takes over, with every checkpoint consistent with every earlier one.
//!
//! Every etcd member and daemon is stopped when its guard drops.
#![cfg(feature = "etcd")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../crates/ledger/tests/cluster/mod.rs"]
mod cluster;
mod common;

use std::time::{Duration, Instant};

use cluster::{Cluster, new_entry};
use common::{Daemon, client, encode, poll};
use didam_credential::{Did, KeyType};
use didam_ledger::HttpLedger;
use didam_ledger::note::{Checkpoint, NoteVerifier};
use didam_ledger::{Ledger as _, LedgerError, SignedCheckpoint, merkle};
use didam_method::LogEntry;
use didam_registry::{CheckpointStore, ResolveOptions, resolve};
use didam_wallet::{InitOptions, KdfParams, Wallet};
use reqwest::StatusCode;
use serde_json::Value;

fn start_daemon(name: &str, cluster: &Cluster) -> Daemon {
    Daemon::start(name, &["--ledger", &cluster.ledger_url()])
}

/// Appends `entry`, retrying the same entry while the ledger is unavailable.
async fn append_retrying(ledger: &HttpLedger, entry: &LogEntry, limit: Duration) -> didam_ledger::Receipt {
    let deadline = Instant::now() + limit;
    loop {
        match ledger.append(entry).await {
            Ok(receipt) => return receipt,
            Err(LedgerError::Unavailable(why)) => {
                assert!(Instant::now() < deadline, "appends did not resume in {limit:?}: {why}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("append refused: {e}"),
        }
    }
}

/// Waits until `ledger` serves a checkpoint covering `leaf`, and returns it.
async fn checkpointed(ledger: &HttpLedger, leaf: u64) -> SignedCheckpoint {
    poll(Duration::from_secs(60), async || {
        ledger.latest_checkpoint().await.ok().flatten().filter(|c| c.size > leaf)
    })
    .await
}

async fn resolve_http(d: &Daemon, did: &str) -> (StatusCode, Value) {
    let url = d.url(&format!("/1.0/identifiers/{}?noCache=true", encode(did)));
    let response = client().get(url).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Checks that every checkpoint is signed by `key` and consistent with every
/// earlier one, with proofs from `ledger`.
async fn assert_consistent(ledger: &HttpLedger, key: &NoteVerifier, checkpoints: &[SignedCheckpoint]) {
    for (i, newer) in checkpoints.iter().enumerate() {
        let (opened, _) = Checkpoint::open(newer.note.as_bytes(), key).unwrap();
        assert_eq!((opened.size, opened.root), (newer.size, newer.root.0));
        for older in &checkpoints[..i] {
            assert!(older.size <= newer.size, "checkpoints never shrink");
            let proof = ledger.consistency_proof(older.size, newer.size).await.unwrap();
            merkle::verify_consistency(older.size, newer.size, &older.root, &newer.root, &proof)
                .unwrap_or_else(|e| panic!("checkpoint {} vs {}: {e}", older.size, newer.size));
        }
    }
}

fn kill_hard(d: &mut Daemon) {
    let status = std::process::Command::new("kill").args(["-KILL", &d.pid().to_string()]).status().unwrap();
    assert!(status.success());
    d.wait(Duration::from_secs(30));
}

/// Which daemon holds the sequencer lease, as its log says (the last change wins).
fn is_sequencer(d: &Daemon) -> bool {
    let log = d.log();
    let last = log.lines().rev().find(|l| l.contains("sequencer role changed"));
    last.is_some_and(|l| l.contains("\"leader\":true"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_did_made_through_one_daemon_resolves_through_the_other_and_the_sequencer_fails_over() {
    let cluster = Cluster::start("resolve");
    let mut d1 = start_daemon("etcd-d1", &cluster);
    let mut d2 = start_daemon("etcd-d2", &cluster);
    let (l1, l2) = (HttpLedger::new(&d1.base).unwrap(), HttpLedger::new(&d2.base).unwrap());
    let key = l2.verifier_key().await.unwrap();
    assert_eq!(key, l1.verifier_key().await.unwrap(), "both daemons sign as the ledger");

    // A wallet creates a DID through daemon 1.
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let (wallet, rrs) = Wallet::init(&d1.dir.join("wallet"), b"etcd passphrase", &options).unwrap();
    let record = wallet.create_did(&l1, &d1.base, &rrs, &[KeyType::Ed25519]).await.unwrap();
    let did = record.did.clone();
    let leaf = l1.log(&Did::parse(&did).unwrap()).await.unwrap()[0].leaf_index;
    let mut seen = vec![checkpointed(&l2, leaf).await];

    // Daemon 2 resolves it, checking the proofs; a client checks them too.
    let (status, body) = resolve_http(&d2, &did).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["didDocument"]["id"], did.as_str());
    let store = CheckpointStore::new(d2.dir.join("client-checkpoints"));
    let resolved = resolve(&l2, &key, &store, &did, &ResolveOptions::default()).await.unwrap();
    assert_eq!(resolved.state.did, did);

    // Exactly one daemon is the sequencer.
    poll(Duration::from_secs(30), async || (is_sequencer(&d1) != is_sequencer(&d2)).then_some(())).await;
    let (dead, alive) = if is_sequencer(&d1) { (&mut d1, &d2) } else { (&mut d2, &d1) };
    let survivor = HttpLedger::new(&alive.base).unwrap();
    for _ in 0..3 {
        let receipt = append_retrying(&survivor, &new_entry().await, Duration::from_secs(30)).await;
        seen.push(checkpointed(&survivor, receipt.leaf_index).await);
    }

    // The sequencer dies; the other daemon takes over. The deadline is a
    // liveness bound (a takeover that never comes fails), not a timing: how
    // fast the takeover is belongs in the benches.
    kill_hard(dead);
    let receipt = append_retrying(&survivor, &new_entry().await, Duration::from_secs(60)).await;
    seen.push(checkpointed(&survivor, receipt.leaf_index).await);
    assert!(is_sequencer(alive), "the survivor holds the lease: {}", alive.log());
    for _ in 0..3 {
        let receipt = append_retrying(&survivor, &new_entry().await, Duration::from_secs(30)).await;
        seen.push(checkpointed(&survivor, receipt.leaf_index).await);
    }
    assert_consistent(&survivor, &key, &seen).await;
    let (status, body) = resolve_http(alive, &did).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_survive_a_leader_kill_and_fail_clearly_without_quorum() {
    let mut cluster = Cluster::start("faults");
    let d1 = start_daemon("etcd-f1", &cluster);
    let d2 = start_daemon("etcd-f2", &cluster);
    let ledgers = [HttpLedger::new(&d1.base).unwrap(), HttpLedger::new(&d2.base).unwrap()];
    let key = ledgers[1].verifier_key().await.unwrap();

    // A stream of appends through both daemons; the etcd leader dies midway.
    let mut acknowledged: Vec<(Did, u64)> = Vec::new();
    let mut killed_leader = None;
    let mut after_kill = 0;
    for i in 0..40 {
        if i == 15 {
            let leader = poll(Duration::from_secs(30), async || cluster.leader().await).await;
            cluster.kill(leader);
            killed_leader = Some(leader);
        }
        let entry = new_entry().await;
        let receipt = append_retrying(&ledgers[i % 2], &entry, Duration::from_secs(60)).await;
        assert_eq!(&receipt.did, entry.did());
        acknowledged.push((receipt.did, receipt.leaf_index));
        if killed_leader.is_some() {
            after_kill += 1;
        }
    }
    assert_eq!(after_kill, 25, "appends went on after the leader died");
    cluster.restart(killed_leader.unwrap());
    cluster.wait_healthy(&[0, 1, 2], Duration::from_secs(60));

    // Nothing acknowledged is lost or stored twice.
    let last = acknowledged.iter().map(|(_, leaf)| *leaf).max().unwrap();
    let checkpoint = checkpointed(&ledgers[1], last).await;
    assert_eq!(checkpoint.size, acknowledged.len() as u64, "one leaf per acknowledged entry");
    let mut leaves: Vec<u64> = acknowledged.iter().map(|(_, leaf)| *leaf).collect();
    leaves.sort_unstable();
    leaves.dedup();
    assert_eq!(leaves.len(), acknowledged.len(), "distinct leaves");
    for (did, leaf) in &acknowledged {
        let log = ledgers[1].log(did).await.unwrap();
        assert_eq!(log.len(), 1, "{did} stored once");
        assert_eq!(log[0].leaf_index, *leaf);
    }

    // Quorum lost: appends fail with a clear error; checkpointed data still verifies.
    cluster.kill(0);
    cluster.kill(1);
    let err = ledgers[0].append(&new_entry().await).await.unwrap_err();
    match &err {
        LedgerError::Unavailable(why) => assert!(why.contains("etcd"), "{why}"),
        other => panic!("expected unavailable, got {other}"),
    }
    let (did, _) = &acknowledged[3];
    let (status, body) = resolve_http(&d2, did.as_str()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let store = CheckpointStore::new(d2.dir.join("client-checkpoints"));
    let resolved =
        resolve(&ledgers[1], &key, &store, did.as_str(), &ResolveOptions::default()).await.unwrap();
    assert_eq!(resolved.state.did, did.as_str());

    // Recovery: appends succeed again.
    cluster.restart(0);
    cluster.restart(1);
    cluster.wait_healthy(&[0, 1, 2], Duration::from_secs(60));
    let entry = new_entry().await;
    let receipt = append_retrying(&ledgers[0], &entry, Duration::from_secs(60)).await;
    assert_eq!(ledgers[1].log(entry.did()).await.unwrap().len(), 1);
    let latest = checkpointed(&ledgers[1], receipt.leaf_index).await;
    assert_consistent(&ledgers[1], &key, &[checkpoint, latest]).await;
}
