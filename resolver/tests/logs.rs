//! The real daemon's log at its default level records no DID it resolved or
//! verified with, and no host of one: resolutions and verifications with
//! did:key, did:web at an unreachable host and did:didam, then a grep of the
//! log for each.
//!
//! See: issue 18, point 5.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Daemon, client, encode};
use didam_credential::did::did_key;
use didam_credential::{KeyType, ProofOptions, SecretKey, Suite, proof};
use serde_json::{Value, json};

fn credential(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:log-subject", "degree": "BSc" }
    })
}

/// A credential from `issuer`, signed by a fresh key but naming `method`.
async fn signed(issuer: &str, method: &str) -> Value {
    let key = SecretKey::generate(KeyType::Ed25519);
    proof::add_proof(&credential(issuer), &key, &ProofOptions::assertion(Suite::EddsaJcs2022, method))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_log_names_no_did_and_no_host() {
    // `None`: RUST_LOG unset, the daemon's default level.
    let d = Daemon::start_logging("logs", &[], None);
    let key = SecretKey::generate(KeyType::Ed25519);
    let (key_did, key_method) = did_key(&key.public_key());
    let web_host = "didam-log-test-resolve.invalid";
    let web_did = format!("did:web:{web_host}");
    let verify_host = "didam-log-test-verify.invalid";
    let didam_did = "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";
    let didam_scid = "QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";

    let mut statuses = Vec::new();
    for did in [key_did.as_str(), web_did.as_str(), didam_did] {
        let r = client().get(d.url(&format!("/1.0/identifiers/{}", encode(did)))).send().await.unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses[0], 200, "did:key resolves");
    assert!(statuses[1] >= 400 && statuses[2] >= 400, "the others fail: {statuses:?}");

    let good = proof::add_proof(
        &credential(&key_did),
        &key,
        &ProofOptions::assertion(Suite::EddsaJcs2022, &key_method),
    )
    .await
    .unwrap();
    let web_issuer = format!("did:web:{verify_host}");
    let credentials = [
        good,
        signed(&web_issuer, &format!("{web_issuer}#key-1")).await,
        signed(didam_did, &format!("{didam_did}#key-1")).await,
    ];
    let mut verified = Vec::new();
    for vc in &credentials {
        let r = client()
            .post(d.url("/credentials/verify"))
            .json(&json!({ "verifiableCredential": vc }))
            .send()
            .await
            .unwrap();
        verified.push(r.status().as_u16());
    }
    assert_eq!(verified[0], 200, "the did:key credential verifies");
    assert!(verified[1] >= 400 && verified[2] >= 400, "the others do not: {verified:?}");

    let log = d.log();
    assert!(log.contains("\"request\""), "the daemon logged its requests:\n{log}");
    let key_part = key_did.trim_start_matches("did:key:");
    for needle in [&key_did, key_part, &web_did, web_host, verify_host, didam_did, didam_scid, "log-subject"]
    {
        assert!(!log.contains(needle), "the log names `{needle}`:\n{log}");
    }
}
