//! The etcd ledger on a real three-member cluster: the conformance suite,
//! and an append whose reply was lost (quorum gone) retried after recovery.
#![cfg(feature = "etcd")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cluster;

use std::time::Duration;

use cluster::{Cluster, new_entry};
use didam_credential::{Did, KeyType, SecretKey};
use didam_ledger::etcd::EtcdConnection;
use didam_ledger::note::{Checkpoint, NoteSigner};
use didam_ledger::{EtcdConfig, EtcdLedger, Ledger as _, LedgerError, conformance, parse_tips_extension};
use didam_method::LogEntry;

const ORIGIN: &str = "didam.test/ledger";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_ledger_passes_the_conformance_suite() {
    let cluster = Cluster::start("conformance");
    let base = EtcdConfig::from_url(&cluster.ledger_url(), ORIGIN).unwrap();
    let connection = EtcdConnection::connect(&base).await.unwrap();
    let mut n = 0;
    // Each check gets a ledger of its own (its own key prefix) on the same cluster.
    conformance::run_all(|| {
        n += 1;
        connection.ledger(&base.clone().with_prefix(&format!("conformance-{n}/")))
    })
    .await;
    assert!(n >= 9, "every check ran on its own ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_ledger_refuses_what_is_beyond_its_limits() {
    let cluster = Cluster::start("limits");
    let config = EtcdConfig::from_url(&cluster.ledger_url(), ORIGIN).unwrap();
    let ledger = EtcdLedger::connect(&config).await.unwrap().with_limits(conformance::SMALL_LIMITS);
    conformance::refuses_what_is_beyond_its_limits(ledger).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_without_a_reply_is_stored_once_when_retried() {
    let mut cluster = Cluster::start("unknown");
    let config = EtcdConfig::from_url(&cluster.ledger_url(), ORIGIN)
        .unwrap()
        .with_request_timeout(Duration::from_secs(2));
    let ledger = EtcdLedger::connect(&config).await.unwrap();
    let first = new_entry().await;
    ledger.append(&first).await.unwrap();

    // Quorum lost: the append gets no answer and says so.
    cluster.kill(1);
    cluster.kill(2);
    let entry = new_entry().await;
    let err = ledger.append(&entry).await.unwrap_err();
    match &err {
        // Verified against a serializable read, sent, and no answer came.
        LedgerError::Unavailable(why) => assert!(why.contains("may be stored"), "{why}"),
        other => panic!("{other}"),
    }
    // Reads of what is stored still answer (serializable, from the live member).
    assert_eq!(ledger.log(first.did()).await.unwrap().len(), 1);

    // Back to quorum: the retry is stored exactly once, whether or not the
    // first attempt was applied meanwhile.
    cluster.restart(1);
    cluster.restart(2);
    cluster.wait_healthy(&[0, 1, 2], Duration::from_secs(60));
    let receipt = retry_until_ok(&ledger, &entry).await;
    let again = ledger.append(&entry).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.leaf_index, receipt.leaf_index);
    assert_eq!(ledger.log(entry.did()).await.unwrap().len(), 1, "one log entry");
    assert_eq!(ledger.integrate().await.unwrap(), 2, "two leaves in all: nothing stored twice");
    let copies = count_copies(&ledger, 2, entry.line().as_bytes()).await;
    assert_eq!(copies, 1);
}

async fn retry_until_ok(ledger: &EtcdLedger, entry: &LogEntry) -> didam_ledger::Receipt {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match ledger.append(entry).await {
            Ok(r) => return r,
            Err(LedgerError::Unavailable(why)) => {
                assert!(std::time::Instant::now() < deadline, "appends did not resume: {why}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// How many of the first `size` leaves hold `line`.
async fn count_copies(ledger: &EtcdLedger, size: u64, line: &[u8]) -> usize {
    let mut n = 0;
    for i in 0..size {
        if ledger.leaf(i).await.unwrap() == line {
            n += 1;
        }
    }
    n
}

/// What a resolution of `did` at `size` reads: the latest checkpoint, the
/// log below it, the last entry's inclusion and the DID's tip record.
async fn resolve_reads(ledger: &EtcdLedger, did: &Did) -> u64 {
    let latest = ledger.latest_checkpoint().await.unwrap().expect("a checkpoint");
    let log = ledger.log_at(did, latest.size).await.unwrap();
    let last = log.last().unwrap();
    ledger.inclusion_proof(last.leaf_index, latest.size).await.unwrap();
    let tip = ledger.tip_proof(did, latest.size).await.unwrap();
    assert_eq!(tip.record.leaf_index, last.leaf_index);
    latest.size
}

/// Waits until `ledger` serves a latest checkpoint of `size`.
async fn wait_for_checkpoint(ledger: &EtcdLedger, size: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ledger.latest_checkpoint().await.unwrap().is_none_or(|c| c.size != size) {
        assert!(std::time::Instant::now() < deadline, "the checkpoint of size {size} never showed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A daemon that did not write a checkpoint learns of it from its watch, and
/// a warm resolution sends etcd no request at all; a later checkpoint
/// reaches it the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolving_a_checkpointed_did_sends_etcd_no_request() {
    let cluster = Cluster::start("watch");
    let config = EtcdConfig::from_url(&cluster.ledger_url(), ORIGIN).unwrap();
    let (writer, reader) =
        (EtcdLedger::connect(&config).await.unwrap(), EtcdLedger::connect(&config).await.unwrap());
    let signer = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::Ed25519)).unwrap();
    let entry = new_entry().await;
    let did = entry.did();
    writer.append(&entry).await.unwrap();
    let first = writer.checkpoint(&signer).await.unwrap();
    wait_for_checkpoint(&reader, first.size).await;
    assert_eq!(resolve_reads(&reader, did).await, first.size);

    let before = cluster.kv_requests();
    for _ in 0..50 {
        resolve_reads(&reader, did).await;
    }
    let sent = cluster.kv_requests() - before;
    assert_eq!(sent, 0, "50 warm resolutions sent {sent} requests to etcd");

    writer.append(&new_entry().await).await.unwrap();
    let second = writer.checkpoint(&signer).await.unwrap();
    wait_for_checkpoint(&reader, second.size).await;
    assert_eq!(resolve_reads(&reader, did).await, second.size);
}

/// Two daemons append and sign checkpoints at once, with no election: the
/// one that loses a race has written tips-tree nodes no root refers to, and
/// every checkpoint signed still proves the tip of every DID below it, read
/// through a third daemon, older sizes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_checkpoints_keep_every_tips_tree_whole() {
    let cluster = Cluster::start("race");
    let config = EtcdConfig::from_url(&cluster.ledger_url(), ORIGIN).unwrap();
    let a = EtcdLedger::connect(&config).await.unwrap();
    let b = EtcdLedger::connect(&config).await.unwrap();
    let reader = EtcdLedger::connect(&config).await.unwrap();
    let signer = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::Ed25519)).unwrap();
    let mut dids: Vec<Did> = Vec::new();
    let mut signed = Vec::new();
    for _ in 0..6 {
        let (ea, eb) = (new_entry().await, new_entry().await);
        dids.extend([ea.did().clone(), eb.did().clone()]);
        let (ra, rb) = tokio::join!(
            async {
                a.append(&ea).await.unwrap();
                a.checkpoint(&signer).await
            },
            async {
                b.append(&eb).await.unwrap();
                b.checkpoint(&signer).await
            }
        );
        signed.extend([ra.unwrap(), rb.unwrap()]);
    }
    signed.sort_by_key(|c| c.size);
    signed.dedup_by_key(|c| c.size);
    for checkpoint in &signed {
        let (opened, _) = Checkpoint::open(checkpoint.note.as_bytes(), &signer.verifier()).unwrap();
        let (count, root) = parse_tips_extension(&opened.extensions).unwrap();
        let mut below = 0;
        for did in &dids {
            match reader.log_at(did, checkpoint.size).await {
                Ok(log) => {
                    let tip = reader.tip_proof(did, checkpoint.size).await.unwrap();
                    assert_eq!(tip.record.leaf_index, log.last().unwrap().leaf_index);
                    tip.verify(did.as_str(), count, &root).unwrap();
                    below += 1;
                }
                Err(LedgerError::NotFound(_)) => {
                    assert!(matches!(
                        reader.tip_proof(did, checkpoint.size).await,
                        Err(LedgerError::NotFound(_))
                    ));
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(below, count, "the checkpoint of size {} counts every DID below it", checkpoint.size);
    }
}
