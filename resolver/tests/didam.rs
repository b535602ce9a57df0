//! did:didam end to end through the real daemon: create, rotate and
//! deactivate through `HttpLedger`, resolve through the HTTP binding and on
//! the client side (which checks the proofs itself), the ledger API's
//! conflict and idempotent re-submit, and a corrupt ledger row.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Daemon, client, encode, poll};
use didam_credential::{KeyType, SecretKey};
use didam_ledger::HttpLedger;
use didam_ledger::{Ledger as _, LedgerError};
use didam_method::log::{self, EntryDraft};
use didam_method::{LogEntry, entry};
use didam_registry::{CheckpointStore, ResolveOptions, operations, resolve};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Waits until the daemon has signed a checkpoint covering `leaf`.
async fn checkpointed(ledger: &HttpLedger, leaf: u64) {
    poll(Duration::from_secs(20), async || {
        ledger.latest_checkpoint().await.unwrap().filter(|c| c.size > leaf).map(|_| ())
    })
    .await;
}

async fn resolve_http(d: &Daemon, did: &str, query: &str, accept: &str) -> (StatusCode, Value) {
    let response = client()
        .get(d.url(&format!("/1.0/identifiers/{}?noCache=true{query}", encode(did))))
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn keys(n: usize) -> Vec<SecretKey> {
    (0..n).map(|_| SecretKey::generate(KeyType::Ed25519)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rotate_deactivate_through_the_daemon() {
    let d = Daemon::start("didam", &[]);
    let ledger = HttpLedger::new(&d.base).unwrap();
    let key = ledger.verifier_key().await.unwrap();
    assert_eq!(key.name(), common::ORIGIN);
    let store = CheckpointStore::new(d.dir.join("client-checkpoints"));
    let k = keys(4);
    let signing = SecretKey::generate(KeyType::Ed25519);
    let t0 = Utc::now() - chrono::Duration::hours(1);

    // Create.
    let doc = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (did, created) = operations::create(&ledger, &k[0], &k[1].public_key(), doc, t0).await.unwrap();
    assert!(!created.duplicate);
    checkpointed(&ledger, created.leaf_index).await;

    let (status, body) = resolve_http(&d, did.as_str(), "", "application/did-resolution").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["didDocument"]["id"], did.as_str());
    let meta = &body["didDocumentMetadata"];
    assert_eq!(meta["versionId"], created.version_id.as_str());
    for stamp in ["created", "updated"] {
        let s = meta[stamp].as_str().unwrap();
        assert!(s.ends_with('Z') && !s.contains('.'), "UTC, whole seconds: {s}");
    }
    let v1 = resolve(&ledger, &key, &store, did.as_str(), &ResolveOptions::default()).await.unwrap();
    assert_eq!(v1.state.version_id, created.version_id, "the client verifies the proofs itself");

    // Idempotent re-submit of the stored entry; a rejected one; typed errors.
    let log_body: Value = client()
        .get(d.url(&format!("/ledger/v1/dids/{}/log", did.as_str())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first: Value = serde_json::from_str(log_body["entries"][0]["line"].as_str().unwrap()).unwrap();
    let again = client().post(d.url("/ledger/v1/entries")).json(&first).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let receipt: Value = again.json().await.unwrap();
    assert_eq!(receipt["duplicate"], true);
    assert_eq!(receipt["leafIndex"], created.leaf_index);
    // The same first entry filed under another DID: it does not verify.
    let mut tampered = first.clone();
    tampered["state"]["id"] = json!("did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m");
    let refused = client().post(d.url("/ledger/v1/entries")).json(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let tampered = LogEntry::parse(tampered).unwrap();
    assert!(matches!(ledger.append(&tampered).await, Err(LedgerError::Rejected(_))));
    // Not a log entry at all (no DID, a version number from 0, none): a 400
    // problem, before the ledger is asked anything.
    for malformed in [
        json!({ "versionId": "1-x", "state": {} }),
        json!({ "versionId": "0-x", "state": { "id": did.as_str() } }),
        json!({ "state": { "id": did.as_str() } }),
        json!([first.clone()]),
    ] {
        let response = client().post(d.url("/ledger/v1/entries")).json(&malformed).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{malformed}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "urn:didam:ledger:bad-request", "{malformed}");
    }

    // Rotate.
    let rotated =
        operations::rotate(&ledger, &did, &k[1], &k[2].public_key(), t0 + chrono::Duration::minutes(1))
            .await
            .unwrap();
    checkpointed(&ledger, rotated.leaf_index).await;
    let (status, body) = resolve_http(&d, did.as_str(), "", "application/did-resolution").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["didDocumentMetadata"]["versionId"], rotated.version_id.as_str());

    // A second child of version 1: a conflict, 409 on the wire, typed on the client.
    let mut params = serde_json::Map::new();
    params.insert("updateKeys".into(), json!([k[1].public_key().to_multikey()]));
    params.insert("nextKeyHashes".into(), json!([log::key_hash(&k[3].public_key().to_multikey())]));
    let draft = EntryDraft {
        parameters: params,
        document: v1.state.document.clone(),
        version_time: t0 + chrono::Duration::seconds(90),
    };
    let fork = log::next_entry(&v1.state, draft, &k[1]).await.unwrap();
    let response = client().post(d.url("/ledger/v1/entries")).json(&fork).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    match ledger.append(&fork).await {
        Err(LedgerError::Conflict { tip, .. }) => assert_eq!(tip, rotated.version_id),
        other => panic!("expected a conflict, got {other:?}"),
    }

    // Versions.
    let q = format!("&versionId={}", created.version_id);
    let (status, body) = resolve_http(&d, did.as_str(), &q, "application/did-resolution").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["didDocumentMetadata"]["versionId"], created.version_id.as_str());
    assert_eq!(body["didDocumentMetadata"]["nextVersionId"], rotated.version_id.as_str());
    let at = (t0 + chrono::Duration::seconds(30)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (status, body) = resolve_http(&d, did.as_str(), &format!("&versionTime={at}"), "*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["didDocumentMetadata"]["versionId"], created.version_id.as_str());
    let (status, body) = resolve_http(&d, did.as_str(), "&versionId=9-nope", "*/*").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = resolve_http(&d, did.as_str(), &format!("{q}&versionTime={at}"), "*/*").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Deactivate: 410, the result still there, in both representations.
    let gone = operations::deactivate(&ledger, &did, &k[2], t0 + chrono::Duration::minutes(2)).await.unwrap();
    checkpointed(&ledger, gone.leaf_index).await;
    let (status, body) = resolve_http(&d, did.as_str(), "", "application/did-resolution").await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(body["didDocumentMetadata"]["deactivated"], true);
    assert_eq!(body["didDocument"]["id"], did.as_str());
    let (status, body) = resolve_http(&d, did.as_str(), "", "application/did").await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(body["id"], did.as_str());
    let latest = resolve(&ledger, &key, &store, did.as_str(), &ResolveOptions::default()).await.unwrap();
    assert!(latest.latest.deactivated);

    // The remote ledger signs its own checkpoints.
    let signer = didam_ledger::note::NoteSigner::new("x", SecretKey::generate(KeyType::Ed25519)).unwrap();
    assert!(matches!(ledger.checkpoint(&signer).await, Err(LedgerError::Unavailable(_))));
    assert!(!d.log().contains(did.as_str()), "the log does not name resolved DIDs");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_ledger_row_is_an_internal_error() {
    let d = Daemon::start("corrupt", &[]);
    let ledger = HttpLedger::new(&d.base).unwrap();
    let k = keys(2);
    let doc = entry::document_with_keys("did:didam:{SCID}", &[k[0].public_key()]);
    let (did, receipt) =
        operations::create(&ledger, &k[0], &k[1].public_key(), doc, Utc::now()).await.unwrap();
    checkpointed(&ledger, receipt.leaf_index).await;
    let db = rusqlite::Connection::open(d.ledger_path()).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    db.execute("UPDATE entries SET line = replace(line, 'Multikey', 'Multikee')", []).unwrap();
    drop(db);
    let (status, body) = resolve_http(&d, did.as_str(), "", "application/did-resolution").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["type"], "https://www.w3.org/ns/did#INTERNAL_ERROR");
}
