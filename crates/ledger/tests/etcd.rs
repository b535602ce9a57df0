//! The etcd ledger on a real three-member cluster: the conformance suite,
//! and an append whose reply was lost (quorum gone) retried after recovery.
#![cfg(feature = "etcd")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cluster;

use std::time::Duration;

use cluster::{Cluster, new_entry};
use didam_ledger::etcd::EtcdConnection;
use didam_ledger::{EtcdConfig, EtcdLedger, Ledger as _, LedgerError, conformance};
use serde_json::Value;

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
    let did = first["state"]["id"].as_str().unwrap();
    assert_eq!(ledger.log(did).await.unwrap().len(), 1);

    // Back to quorum: the retry is stored exactly once, whether or not the
    // first attempt was applied meanwhile.
    cluster.restart(1);
    cluster.restart(2);
    cluster.wait_healthy(&[0, 1, 2], Duration::from_secs(60));
    let receipt = retry_until_ok(&ledger, &entry).await;
    let again = ledger.append(&entry).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.leaf_index, receipt.leaf_index);
    let did = entry["state"]["id"].as_str().unwrap();
    assert_eq!(ledger.log(did).await.unwrap().len(), 1, "one log entry");
    assert_eq!(ledger.integrate().await.unwrap(), 2, "two leaves in all: nothing stored twice");
    let line = didam_credential::canon::jcs(&entry).unwrap();
    let copies = count_copies(&ledger, 2, line.as_bytes()).await;
    assert_eq!(copies, 1);
}

async fn retry_until_ok(ledger: &EtcdLedger, entry: &Value) -> didam_ledger::Receipt {
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
