//! End to end, through the real daemon only: a wallet creates a did:didam DID
//! through the ledger API, the DID resolves over HTTP, a credential the wallet
//! issues verifies through `POST /credentials/verify`; the wallet rotates the
//! DID to new keys, and a new signature by the old key is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{Daemon, client, encode, poll};
use didam_credential::{KeyType, ProofOptions, Suite, proof};
use didam_ledger::HttpLedger;
use didam_ledger::Ledger as _;
use didam_wallet::{InitOptions, KdfParams, Wallet};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Waits until the daemon has checkpointed the ledger up to its current size.
async fn checkpointed(ledger: &HttpLedger) {
    let size = ledger.size().await.unwrap();
    poll(Duration::from_secs(20), async || {
        ledger.latest_checkpoint().await.unwrap().filter(|c| c.size >= size).map(|_| ())
    })
    .await;
}

async fn resolve(d: &Daemon, did: &str) -> Value {
    let url = d.url(&format!("/1.0/identifiers/{}?noCache=true", encode(did)));
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn verify(d: &Daemon, vc: &Value) -> (StatusCode, Value) {
    let body = json!({ "verifiableCredential": vc });
    let response = client().post(d.url("/credentials/verify")).json(&body).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

fn credential(n: u32) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": format!("BSc {n}") }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn wallet_did_issue_verify_rotate_refuse_the_old_key() {
    let d = Daemon::start("e2e", &[]);
    let ledger = HttpLedger::new(&d.base).unwrap();
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let (wallet, rrs) = Wallet::init(&d.dir.join("wallet"), b"e2e passphrase", &options).unwrap();

    // Create through the ledger API; resolve over HTTP.
    let record = wallet.create_did(&ledger, &d.base, &rrs, &[KeyType::Ed25519]).await.unwrap();
    let did = record.did.clone();
    assert!(did.starts_with("did:didam:"));
    checkpointed(&ledger).await;
    let resolved = resolve(&d, &did).await;
    assert_eq!(resolved["didDocument"]["id"], did.as_str());
    let old_key = record.keys[0].clone();
    let old_method = record.method_id(&old_key);
    let listed = resolved["didDocument"]["verificationMethod"].as_array().unwrap();
    assert!(listed.iter().any(|m| m["id"] == old_method.as_str()), "{resolved}");

    // Issue with the wallet; verify through the daemon.
    let vc = wallet.issue(&credential(1), &did, Suite::EddsaRdfc2022).await.unwrap();
    let (status, body) = verify(&d, &vc).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);

    // Keep the old key, then rotate the DID to a new signing key.
    let old_secret = wallet.signing_key(&old_key).unwrap();
    let rotated = wallet.update_did(&ledger, &rrs, &did, Some(&[KeyType::Ed25519]), None).await.unwrap();
    assert_ne!(rotated.keys, record.keys);
    checkpointed(&ledger).await;
    let resolved = resolve(&d, &did).await;
    let listed = resolved["didDocument"]["verificationMethod"].as_array().unwrap();
    assert!(listed.iter().all(|m| m["id"] != old_method.as_str()), "the old key is gone: {resolved}");

    // A new signature by the old key is refused; the new key's is accepted.
    let mut forged = credential(2);
    forged["issuer"] = json!(did);
    let forged =
        proof::add_proof(&forged, &old_secret, &ProofOptions::assertion(Suite::EddsaRdfc2022, &old_method))
            .await
            .unwrap();
    let (status, body) = verify(&d, &forged).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["verified"], false);
    let failed: Vec<&str> = body["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"key-authorization"), "{body}");
    let fresh = wallet.issue(&credential(3), &did, Suite::EddsaRdfc2022).await.unwrap();
    let (status, body) = verify(&d, &fresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
