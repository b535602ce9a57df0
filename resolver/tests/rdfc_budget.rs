//! Issue 18: a 1.7 KB credential whose blank nodes form a clique (an RDFC-1.0
//! poison graph) cost the daemon about 100 s of CPU per request, in the pool
//! DID resolution shares. RDFC-1.0 now stops at its work budget: the real
//! daemon answers `POST /credentials/verify` with a verification result naming
//! the error, and still resolves DIDs afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Daemon, client};
use didam_credential::did::did_key;
use didam_credential::{KeyType, SecretKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn clique() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../test-vectors/rdfc-poison/clique.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn r18_a_poison_graph_fails_verification_with_the_budget_error_and_resolution_goes_on() {
    // The default pool: a poison graph has more blank nodes than the light
    // lane takes, so it runs in the heavy lane, where requests beyond its
    // workers wait in its queue (at least one worker and two places).
    let d = Daemon::start("rdfc-budget", &[]);
    let body = json!({ "verifiableCredential": clique() });
    // Several at once, as an attacker would send them, within that room.
    let requests = (0..3).map(|_| client().post(d.url("/credentials/verify")).json(&body).send());
    for response in futures::future::join_all(requests).await {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["verified"], false, "{answer}");
        let errors = answer["errors"].as_array().unwrap();
        let budget = errors
            .iter()
            .find(|e| e["detail"].as_str().is_some_and(|d| d.contains("exceeded its work budget")))
            .unwrap_or_else(|| panic!("an error names the budget: {answer}"));
        assert_eq!(budget["type"], "https://w3id.org/security#PROOF_VERIFICATION_ERROR", "{answer}");
    }

    let (id, _) = did_key(&SecretKey::generate(KeyType::P256).public_key());
    let response = client().get(d.url(&format!("/1.0/identifiers/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let resolved: Value = response.json().await.unwrap();
    assert_eq!(resolved["didDocument"]["id"], json!(id));
}
