//! The VC API of the real daemon: credentials and presentations verified (and
//! refused, with the status and problem types the VC API expects), and
//! credentials issued with an issuer wallet's did:didam DID.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{Daemon, client, poll, temp_dir};
use didam_credential::did::{ProofPurpose, did_key};
use didam_credential::{KeyType, ProofOptions, SecretKey, Suite, proof};
use didam_ledger::EmbeddedLedger;
use didam_wallet::{InitOptions, KdfParams, Wallet};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn credential(issuer: &str, subject: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": subject, "degree": "BSc" }
    })
}

async fn post(d: &Daemon, path: &str, body: &Value) -> (StatusCode, Option<String>, Value) {
    let response = client().post(d.url(path)).json(body).send().await.unwrap();
    let status = response.status();
    let ct = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    (status, ct, response.json().await.unwrap())
}

fn error_types(body: &Value) -> Vec<&str> {
    body["errors"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// A did:key credential: signed, tampered, malformed, and with options.
#[tokio::test(flavor = "multi_thread")]
async fn credentials_verify_and_fail_with_reasons() {
    let d = Daemon::start("vc-verify", &[]);
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, method) = did_key(&key.public_key());
    for suite in [Suite::EddsaRdfc2022, Suite::EddsaJcs2022] {
        let signed = proof::add_proof(
            &credential(&issuer, "did:example:alice"),
            &key,
            &ProofOptions::assertion(suite, &method),
        )
        .await
        .unwrap();
        let (status, _, body) =
            post(&d, "/credentials/verify", &json!({ "verifiableCredential": signed })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["verified"], true);
        assert!(body["checks"].as_array().unwrap().contains(&json!("signature")), "{body}");
        assert_eq!(body["errors"], json!([]));

        let mut tampered = signed.clone();
        tampered["credentialSubject"]["degree"] = json!("PhD");
        let (status, _, body) =
            post(&d, "/credentials/verify", &json!({ "verifiableCredential": tampered })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["verified"], false);
        assert!(error_types(&body).contains(&"https://w3id.org/security#PROOF_VERIFICATION_ERROR"), "{body}");
    }

    // Unknown options are ignored, with a warning.
    let signed = proof::add_proof(
        &credential(&issuer, "did:example:alice"),
        &key,
        &ProofOptions::assertion(Suite::EddsaRdfc2022, &method),
    )
    .await
    .unwrap();
    let request = json!({ "verifiableCredential": signed, "options": { "returnCredential": true } });
    let (status, _, body) = post(&d, "/credentials/verify", &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["warnings"][0]["type"], "urn:didam:problem:vc-api:option-ignored");

    // An unsigned credential, and one whose key does not resolve.
    let (status, _, body) = post(
        &d,
        "/credentials/verify",
        &json!({ "verifiableCredential": credential(&issuer, "did:example:a") }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut unknown = signed.clone();
    unknown["proof"]["verificationMethod"] =
        json!("did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m#key-1");
    unknown["issuer"] = json!("did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m");
    let (status, _, body) =
        post(&d, "/credentials/verify", &json!({ "verifiableCredential": unknown })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["verified"], false);

    // Malformed requests: 400 problem objects.
    for bad in [
        json!({}),
        json!({ "credential": signed }),
        json!({ "verifiableCredential": "not a credential" }),
        json!({ "verifiableCredential": signed, "options": [] }),
    ] {
        let (status, ct, body) = post(&d, "/credentials/verify", &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(ct.as_deref(), Some("application/problem+json"));
        assert_eq!(body["status"], 400);
    }
    let response = client().post(d.url("/credentials/verify")).body("{").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// A presentation by a did:key holder of a credential about them, with the
/// verifier's challenge and domain.
#[tokio::test(flavor = "multi_thread")]
async fn presentations_check_challenge_and_domain() {
    let d = Daemon::start("vp-verify", &[]);
    let issuer_key = SecretKey::generate(KeyType::Ed25519);
    let holder_key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, issuer_method) = did_key(&issuer_key.public_key());
    let (holder, holder_method) = did_key(&holder_key.public_key());
    let vc = proof::add_proof(
        &credential(&issuer, &holder),
        &issuer_key,
        &ProofOptions::assertion(Suite::EddsaRdfc2022, issuer_method),
    )
    .await
    .unwrap();
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [vc],
    });
    let mut options = ProofOptions::assertion(Suite::EddsaRdfc2022, holder_method);
    options.proof_purpose = ProofPurpose::Authentication;
    options.challenge = Some("c-123".into());
    options.domain = Some("verifier.example".into());
    let vp = proof::add_proof(&presentation, &holder_key, &options).await.unwrap();

    let request = |challenge: &str| {
        json!({
            "verifiablePresentation": vp,
            "options": { "challenge": challenge, "domain": "verifier.example" }
        })
    };
    let (status, _, body) = post(&d, "/presentations/verify", &request("c-123")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);
    let (status, _, body) = post(&d, "/presentations/verify", &request("another")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_types(&body).contains(&"https://w3id.org/security#INVALID_CHALLENGE_ERROR"), "{body}");
    // A credential where a presentation is expected, and a non-string challenge.
    let (status, _, body) = post(&d, "/presentations/verify", &json!({ "verifiablePresentation": vc })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let bad = json!({ "verifiablePresentation": vp, "options": { "challenge": 7 } });
    let (status, _, _) = post(&d, "/presentations/verify", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn issuing_is_off_without_a_wallet() {
    let d = Daemon::start("vc-no-issuer", &[]);
    let (status, ct, body) = post(&d, "/credentials/issue", &json!({ "credential": {} })).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    assert!(body["detail"].as_str().unwrap().contains("--issuer-wallet"));
}

/// A wallet whose did:didam DID is written to the ledger file before the
/// daemon opens it; the daemon issues as that DID.
#[tokio::test(flavor = "multi_thread")]
async fn issues_with_the_wallet_did_and_verifies_what_it_issued() {
    let dir = temp_dir("vc-issuer");
    let (wallet_dir, pass_file, ledger_path) =
        (dir.join("wallet"), dir.join("wallet-pass"), dir.join("ledger.db"));
    std::fs::write(&pass_file, "issuer passphrase\n").unwrap();
    let (wallet, rrs) =
        Wallet::init(&wallet_dir, b"issuer passphrase", &InitOptions { kdf: Some(KdfParams::FLOOR) })
            .unwrap();
    let ledger = EmbeddedLedger::open(&ledger_path, common::ORIGIN).unwrap();
    let record =
        wallet.create_did(&ledger, "ledger.db", &rrs, &[KeyType::Ed25519, KeyType::P256]).await.unwrap();
    drop((ledger, wallet));

    let args: Vec<String> = vec![
        "--ledger".into(),
        ledger_path.display().to_string(),
        "--issuer-wallet".into(),
        wallet_dir.display().to_string(),
        "--issuer-passphrase-file".into(),
        pass_file.display().to_string(),
        "--issuer-did".into(),
        record.did.clone(),
    ];
    let d = Daemon::start("vc-issue", &args.iter().map(String::as_str).collect::<Vec<_>>());
    poll(Duration::from_secs(20), async || {
        let r = client().get(d.url("/ledger/v1/checkpoint")).send().await.unwrap();
        r.status().is_success().then_some(())
    })
    .await;

    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
    });
    for (options, cryptosuite) in [
        (json!({}), "eddsa-rdfc-2022"),
        (json!({ "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022" }), "eddsa-jcs-2022"),
        (json!({ "cryptosuite": "ecdsa-rdfc-2019" }), "ecdsa-rdfc-2019"),
        (json!({ "suite": "ecdsa-jcs-2019" }), "ecdsa-jcs-2019"),
    ] {
        let (status, _, body) =
            post(&d, "/credentials/issue", &json!({ "credential": unsigned, "options": options })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let vc = &body["verifiableCredential"];
        assert_eq!(vc["issuer"], record.did.as_str());
        assert_eq!(vc["proof"]["cryptosuite"], cryptosuite);
        let (status, _, body) = post(&d, "/credentials/verify", &json!({ "verifiableCredential": vc })).await;
        assert_eq!(status, StatusCode::OK, "{cryptosuite}: {body}");
    }

    let mut other = unsigned.clone();
    other["issuer"] = json!("did:example:someone-else");
    for bad in [
        json!({ "credential": other }),
        json!({ "credential": unsigned, "options": { "cryptosuite": "bbs-2023" } }),
        json!({ "credential": unsigned, "options": { "proofPurpose": "authentication" } }),
        json!({ "credential": "text" }),
        json!({ "verifiableCredential": unsigned }),
    ] {
        let (status, ct, body) = post(&d, "/credentials/issue", &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(ct.as_deref(), Some("application/problem+json"));
    }
    assert!(!d.log().contains("issuer passphrase"), "the passphrase is never logged");
}

#[test]
fn an_issuer_wallet_needs_its_passphrase_file_and_did() {
    let dir = temp_dir("vc-issuer-flags");
    let out = std::process::Command::new(common::BIN)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--issuer-wallet")
        .arg(dir.join("wallet"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--issuer-passphrase-file"));
}
