//! Issue 18, bounded work, through the real daemon: hostile documents are
//! refused with the engine's typed limit (4xx) and the daemon keeps
//! answering; verifications run in their own bounded pool, so a full pool
//! answers 503 with `Retry-After` while DID resolution still answers, and a
//! request that times out gives its place back.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use common::{DID_KEY, Daemon, client, encode, is_problem, poll, temp_dir};
use didam_credential::did::did_key;
use didam_credential::{KeyType, ProofOptions, SecretKey, Suite, proof};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A credential about `subject` (VC Data Model 2.0), not signed.
fn credential(subject: Value) -> Value {
    let context = ["https://www.w3.org/ns/credentials/v2"];
    json!({ "@context": context, "type": ["VerifiableCredential"], "issuer": "did:example:issuer", "credentialSubject": subject })
}

async fn verify(d: &Daemon, document: &Value) -> reqwest::Response {
    let body = json!({ "verifiableCredential": document });
    client().post(d.url("/credentials/verify")).json(&body).send().await.unwrap()
}

/// The limit named by a refused verification's error, after checking the
/// status and problem type.
async fn refused_by(d: &Daemon, document: &Value, status: StatusCode) -> String {
    let response = verify(d, document).await;
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(error["type"], "urn:didam:problem:vc-api:limit-exceeded", "{body}");
    assert!(error["limit"]["found"].as_u64() > error["limit"]["limit"].as_u64(), "{body}");
    error["limit"]["what"].as_str().unwrap().to_owned()
}

async fn resolves_did_key(d: &Daemon) {
    let url = d.url(&format!("/1.0/identifiers/{}", encode(DID_KEY)));
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["didDocument"]["id"], DID_KEY, "{body}");
}

/// See: issue 18 (one 133 KB SD-JWT whose disclosures nest 1,600 deep
/// aborted the daemon with a stack overflow).
#[tokio::test(flavor = "multi_thread")]
async fn r18_hostile_documents_are_refused_and_the_daemon_keeps_answering() {
    let d = Daemon::start("bounded-limits", &[]);
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/sd_jwt");
    for (file, limit) in [("r18_nested_1600", "disclosures"), ("r18_nested_100", "depth")] {
        let sd_jwt = std::fs::read_to_string(regressions.join(file)).unwrap();
        let what = refused_by(&d, &json!(sd_jwt), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(what, limit, "{file}");
        resolves_did_key(&d).await;
    }

    let mut deep = json!({ "id": "did:example:alice" });
    for _ in 0..40 {
        deep = json!({ "id": "did:example:alice", "knows": deep });
    }
    let mut proofs = credential(json!({ "id": "did:example:alice" }));
    let proof = json!({ "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1" });
    proofs["proof"] = Value::Array(vec![proof; 17]);
    let mut contexts = credential(json!({ "id": "did:example:alice" }));
    contexts["@context"] = Value::Array(vec![json!("https://www.w3.org/ns/credentials/v2"); 65]);
    let cases = [(credential(deep), "depth"), (proofs, "proofs"), (contexts, "contexts")];
    for (document, limit) in cases {
        assert_eq!(refused_by(&d, &document, StatusCode::UNPROCESSABLE_ENTITY).await, limit);
    }
    // Within the body limit, over the engine's size limit: 413 from the engine.
    let huge = credential(json!({ "id": "did:example:alice", "name": "x".repeat(260 * 1024) }));
    assert_eq!(refused_by(&d, &huge, StatusCode::PAYLOAD_TOO_LARGE).await, "bytes");
    resolves_did_key(&d).await;
    assert!(client().get(d.url("/health")).send().await.unwrap().status().is_success());
}

/// A credential signed by a did:key whose status list is at `list`, with a
/// `name` of `padding` bytes.
async fn with_status(list: &str, padding: usize) -> Value {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, method) = did_key(&key.public_key());
    let mut document = credential(json!({ "id": "did:example:alice", "name": "x".repeat(padding) }));
    document["issuer"] = json!(issuer);
    document["credentialStatus"] = json!({
        "id": format!("{list}#1"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "1",
        "statusListCredential": list,
    });
    let options = ProofOptions::assertion(Suite::EddsaJcs2022, &method);
    proof::add_proof(&document, &key, &options).await.unwrap()
}

/// A gauge or counter of the daemon's `/metrics` (0 when not yet set).
async fn metric(d: &Daemon, name: &str) -> f64 {
    let text = client().get(d.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok()).unwrap_or(0.0)
}

/// A status list URL on a server that accepts connections and never
/// answers, and a daemon config file (in a folder named `name`) whose web
/// fetches wait 120 s for it: a verification of a credential with that list
/// holds its worker until its request's time limit abandons it.
fn silent_status_list(name: &str) -> (String, std::path::PathBuf) {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let list = format!("http://{}/list", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream);
        }
    });
    let config = temp_dir(name).join("config.toml");
    std::fs::write(&config, "[web]\ntimeout-ms = 120000\n").unwrap();
    (list, config)
}

/// See: issue 18 (verification work went on in the blocking pool DID
/// resolution shares after its client got a 503, so a handful of expensive
/// requests stopped resolution).
#[tokio::test(flavor = "multi_thread")]
async fn r18_a_full_verification_pool_leaves_resolution_answering() {
    // Each verification of `slow` holds its worker until abandoned: the
    // fetch would wait 120 s; the request's time limit is 5 s.
    let (list, config) = silent_status_list("bounded-pool-config");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--verify-workers",
        "1",
        "--verify-queue",
        "2",
        "--request-timeout-ms",
        "5000",
        "--status-allow-loopback",
    ];
    let d = Daemon::start("bounded-pool", &args);
    let slow = with_status(&list, 0).await;

    // One slow verification on the worker, then two waiting in the queue.
    let mut waiting = Vec::new();
    for queued in 0..3 {
        let (base, slow) = (d.base.clone(), slow.clone());
        waiting.push(tokio::spawn(async move {
            let body = json!({ "verifiableCredential": slow });
            let response =
                client().post(format!("{base}/credentials/verify")).json(&body).send().await.unwrap();
            response.status()
        }));
        let (name, want) = if queued == 0 {
            ("didam_verify_busy_workers{lane=\"light\"}", 1.0)
        } else {
            ("didam_verify_queue_depth{lane=\"light\"}", f64::from(queued))
        };
        poll(Duration::from_secs(4), async || (metric(&d, name).await >= want).then_some(())).await;
    }
    // Workers and queue are full: a verification is turned away at once,
    // with a problem document and Retry-After ...
    let response = verify(&d, &slow).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    assert!(is_problem(response.headers().get("content-type")), "a problem document");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:didam:problem:vc-api:busy", "{body}");
    assert_eq!(metric(&d, "didam_verify_rejected_total{lane=\"light\"}").await, 1.0);
    // ... while DID resolution answers.
    resolves_did_key(&d).await;

    // The slow requests and the queued ones time out (503); none is verified.
    for task in waiting {
        assert_eq!(task.await.unwrap(), StatusCode::SERVICE_UNAVAILABLE);
    }
    // Their work was abandoned, not left running for the fetch's 120 s, and
    // the queue emptied: the pool takes a verification again.
    let plain = plain_credential().await;
    let verified = poll(Duration::from_secs(30), async || {
        let response = verify(&d, &plain).await;
        (response.status() != StatusCode::SERVICE_UNAVAILABLE).then_some(response.status())
    })
    .await;
    assert_eq!(verified, StatusCode::OK);
    assert_eq!(metric(&d, "didam_verify_queue_depth{lane=\"light\"}").await, 0.0);
}

/// A valid credential signed by a new did:key, without a status.
async fn plain_credential() -> Value {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, method) = did_key(&key.public_key());
    let mut document = credential(json!({ "id": "did:example:alice" }));
    document["issuer"] = json!(issuer);
    proof::add_proof(&document, &key, &ProofOptions::assertion(Suite::EddsaJcs2022, &method)).await.unwrap()
}

/// See: issue 18 (legitimate verifications waited in the pool's one queue
/// behind poison graphs and deep SD-JWTs, so their p99 under attack was 10×
/// the baseline). A document over the light lane's bounds (here: 20 KiB)
/// runs in the heavy lane; while heavy work holds its worker and fills its
/// queue, and more is turned away, a credential verifies at once.
#[tokio::test(flavor = "multi_thread")]
async fn r18_a_full_heavy_lane_leaves_credentials_verifying() {
    let (list, config) = silent_status_list("bounded-lanes-config");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--verify-workers",
        "2",
        "--request-timeout-ms",
        "8000",
        "--status-allow-loopback",
    ];
    let d = Daemon::start("bounded-lanes", &args);
    let heavy = with_status(&list, 20 * 1024).await;

    // The heavy lane (one worker, two waiting places) held by three large
    // credentials whose status fetch never answers.
    let mut waiting = Vec::new();
    for queued in 0..3 {
        let (base, heavy) = (d.base.clone(), heavy.clone());
        waiting.push(tokio::spawn(async move {
            let body = json!({ "verifiableCredential": heavy });
            let response =
                client().post(format!("{base}/credentials/verify")).json(&body).send().await.unwrap();
            response.status()
        }));
        let (name, want) = if queued == 0 {
            ("didam_verify_busy_workers{lane=\"heavy\"}", 1.0)
        } else {
            ("didam_verify_queue_depth{lane=\"heavy\"}", f64::from(queued))
        };
        poll(Duration::from_secs(6), async || (metric(&d, name).await >= want).then_some(())).await;
    }
    let response = verify(&d, &heavy).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "a fourth is turned away");
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("heavy"), "{body}");
    assert_eq!(metric(&d, "didam_verify_rejected_total{lane=\"heavy\"}").await, 1.0);

    // The light lane is free: a credential verifies now, twice in a row.
    for _ in 0..2 {
        let response = verify(&d, &plain_credential().await).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(metric(&d, "didam_verify_rejected_total{lane=\"light\"}").await, 0.0);
    for task in waiting {
        assert_eq!(task.await.unwrap(), StatusCode::SERVICE_UNAVAILABLE, "the held ones time out");
    }
}

/// With the default pool (at least two workers and a queue), concurrent
/// verifications of valid credentials all succeed: none is turned away
/// because another is running.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_verifications_wait_for_a_worker_instead_of_a_503() {
    let d = Daemon::start("bounded-queue", &[]);
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, method) = did_key(&key.public_key());
    let mut document = credential(json!({ "id": "did:example:alice" }));
    document["issuer"] = json!(issuer);
    let options = ProofOptions::assertion(Suite::EddsaRdfc2022, &method);
    let signed = proof::add_proof(&document, &key, &options).await.unwrap();
    let requests = (0..8).map(|_| verify(&d, &signed));
    for response in futures::future::join_all(requests).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
}
