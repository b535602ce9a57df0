//! The VC API of the real daemon: credentials and presentations verified (and
//! refused, with the status and problem types the VC API expects), and
//! credentials issued with an issuer wallet's did:didam DID.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{Daemon, client, did_key_issuer, poll, temp_dir};
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
    let request = client().post(d.url(path)).json(body);
    let response = request.bearer_auth(common::TOKEN).send().await.unwrap();
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

/// A credential by a fresh did:key issuer about `subject` (default: the
/// holder), and its presentation by a fresh did:key holder signed for
/// `challenge` and `domain`.
async fn presented(subject: Option<&str>, challenge: &str, domain: Option<&str>) -> (Value, Value) {
    let issuer_key = SecretKey::generate(KeyType::Ed25519);
    let holder_key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, issuer_method) = did_key(&issuer_key.public_key());
    let (holder, holder_method) = did_key(&holder_key.public_key());
    let vc = proof::add_proof(
        &credential(&issuer, subject.unwrap_or(&holder)),
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
    options.challenge = Some(challenge.into());
    options.domain = domain.map(str::to_owned);
    let vp = proof::add_proof(&presentation, &holder_key, &options).await.unwrap();
    (vc, vp)
}

/// A presentation by a did:key holder of a credential about them, with the
/// verifier's challenge and domain.
#[tokio::test(flavor = "multi_thread")]
async fn presentations_check_challenge_and_domain() {
    let d = Daemon::start("vp-verify", &[]);
    let (vc, vp) = presented(None, "c-123", Some("verifier.example")).await;

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
    let record = wallet
        .create_did(&ledger, "ledger.db", &rrs, &[KeyType::Ed25519, KeyType::P256, KeyType::MlDsa44])
        .await
        .unwrap();
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
    let args = [args, common::token_flag().to_vec()].concat();
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
        (json!({ "cryptosuite": "mldsa44-rdfc-2024" }), "mldsa44-rdfc-2024"),
        (json!({ "type": "DataIntegrityProof", "cryptosuite": "mldsa44-jcs-2024" }), "mldsa44-jcs-2024"),
    ] {
        let (status, _, body) =
            post(&d, "/credentials/issue", &json!({ "credential": unsigned, "options": options })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let vc = &body["verifiableCredential"];
        assert_eq!(vc["issuer"], record.did.as_str());
        assert_eq!(vc["proof"]["cryptosuite"], cryptosuite);
        let (status, _, body) = post(&d, "/credentials/verify", &json!({ "verifiableCredential": vc })).await;
        assert_eq!(status, StatusCode::OK, "{cryptosuite}: {body}");
        let checks = body["report"]["checks"].as_array().unwrap();
        let proof = checks.iter().find(|c| c["check"] == "proof").unwrap();
        let security = if cryptosuite.starts_with("mldsa44") { "quantum-safe" } else { "classical" };
        assert_eq!(proof["security"], security, "{body}");
    }

    let mut other = unsigned.clone();
    other["issuer"] = json!("did:example:someone-else");
    let (status, ct, body) = post(&d, "/credentials/issue", &json!({ "credential": other })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    // bbs-2023 needs a BLS12-381 G2 key this DID does not have: a 422.
    let bbs = json!({ "credential": unsigned, "options": { "cryptosuite": "bbs-2023" } });
    let (status, ct, body) = post(&d, "/credentials/issue", &bbs).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    assert!(body["detail"].as_str().unwrap().contains("no bls12-381-g2 key"), "{body}");
    for bad in [
        json!({ "credential": unsigned, "options": { "cryptosuite": "bbs-2024" } }),
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

/// Issue 17: the issuer runs the verifier's data-model checks before it signs
/// (422 with a problem document), keeps an `issuer` object, and refuses a
/// credential sent as a JSON string.
#[tokio::test(flavor = "multi_thread")]
async fn r17_the_issuer_signs_only_what_the_data_model_allows() {
    let (d, did) = did_key_issuer("vc-issue-checks", &[]);
    let good = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
    });
    let issue =
        async |credential: &Value| post(&d, "/credentials/issue", &json!({ "credential": credential })).await;

    // The issuer object keeps its name and description.
    let mut named = good.clone();
    named["issuer"] = json!({ "id": did, "name": "Example University", "description": "A university" });
    let (status, _, body) = issue(&named).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let vc = &body["verifiableCredential"];
    assert_eq!(vc["issuer"], named["issuer"], "{body}");
    let (status, _, body) = post(&d, "/credentials/verify", &json!({ "verifiableCredential": vc })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same credential sent as a JSON string is refused by the verifier too.
    let as_text = json!({ "verifiableCredential": vc.to_string() });
    let (status, _, body) = post(&d, "/credentials/verify", &as_text).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A related resource without a digest is refused by the issuer service
    // (the data model's MUST, as the W3C suite expects), even one it holds.
    let mut related = good.clone();
    related["relatedResource"] = json!([{ "id": "https://www.w3.org/ns/credentials/v2" }]);
    let (status, _, body) = issue(&related).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("digestSRI"), "{body}");

    let with = |pointer: &str, value: Value| {
        let mut c = good.clone();
        c["issuer"] = json!(did);
        if value.is_null() && pointer != "/issuer" {
            c.as_object_mut().unwrap().remove(&pointer[1..]);
        } else {
            *c.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
        }
        c
    };
    let mut bad = vec![
        ("no credentialSubject", with("/credentialSubject", Value::Null)),
        ("issuer null", with("/issuer", Value::Null)),
        ("non-URL id", with("/issuer", json!(did)).tap_insert("id", json!("not a url"))),
        ("bad validFrom", good.clone().tap_insert("validFrom", json!("2025-13-01"))),
        (
            "status without type",
            good.clone().tap_insert("credentialStatus", json!({ "id": "https://example.org/s#1" })),
        ),
        (
            "schema without type",
            good.clone().tap_insert("credentialSchema", json!({ "id": "https://example.org/schema" })),
        ),
        (
            "undefined term (VCDM 1.1: no @vocab)",
            json!({
                "@context": ["https://www.w3.org/2018/credentials/v1"],
                "type": ["VerifiableCredential"],
                "issuanceDate": "2025-01-01T00:00:00Z",
                "credentialSubject": { "id": "did:example:alice", "notInAnyContext": 1 }
            }),
        ),
        (
            "validUntil before validFrom",
            good.clone()
                .tap_insert("validFrom", json!("2025-01-01T00:00:00Z"))
                .tap_insert("validUntil", json!("2024-01-01T00:00:00Z")),
        ),
    ];
    bad.push(("issuer object without id", good.clone().tap_insert("issuer", json!({ "name": "x" }))));
    for (why, credential) in bad {
        let (status, ct, body) = issue(&credential).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
        assert_eq!(ct.as_deref(), Some("application/problem+json"), "{why}");
        assert_eq!(body["status"], 422, "{why}: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{why}: {body}");
    }
    // A credential sent as a JSON string is a malformed request.
    let (status, _, body) = issue(&json!(good.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("string"), "{body}");
}

/// Issue 17: by default the VC API follows the data model, which lets a
/// holder present a credential about someone else; a policy file can still
/// require the holder to be the subject.
#[tokio::test(flavor = "multi_thread")]
async fn r17_holder_need_not_be_the_subject_unless_the_policy_says_so() {
    let (_, vp) = presented(Some("did:example:someone-else"), "c-1", None).await;
    let request = json!({ "verifiablePresentation": vp, "options": { "challenge": "c-1" } });

    let d = Daemon::start("vp-default-policy", &[]);
    let (status, _, body) = post(&d, "/presentations/verify", &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let policy = temp_dir("vp-strict-policy-file").join("policy.toml");
    std::fs::write(&policy, "holder_must_be_subject = true\n").unwrap();
    let strict = Daemon::start("vp-strict-policy", &["--policy", policy.to_str().unwrap()]);
    let (status, _, body) = post(&strict, "/presentations/verify", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// Issue 17: a presentation verified without a challenge could be replayed
/// by anyone who saw it, yet read VALID; it now fails its
/// `replay-protection` check unless a policy file waives the challenge.
#[tokio::test(flavor = "multi_thread")]
async fn r17_a_presentation_needs_a_challenge_unless_the_policy_waives_it() {
    let (_, vp) = presented(None, "c-1", None).await;
    let request = json!({ "verifiablePresentation": vp });

    let d = Daemon::start("vp-no-challenge", &[]);
    let (status, _, body) = post(&d, "/presentations/verify", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("replay"), "{body}");

    let policy = temp_dir("vp-no-challenge-policy-file").join("policy.toml");
    std::fs::write(&policy, "require_challenge = false\n").unwrap();
    let lax = Daemon::start("vp-no-challenge-lax", &["--policy", policy.to_str().unwrap()]);
    let (status, _, body) = post(&lax, "/presentations/verify", &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("nothing prevents"), "{body}");
}

/// `value` with `key` set, for building variants in one expression.
trait TapInsert {
    fn tap_insert(self, key: &str, value: Value) -> Self;
}

impl TapInsert for Value {
    fn tap_insert(mut self, key: &str, value: Value) -> Self {
        self[key] = value;
        self
    }
}

/// A self-signed certificate for 127.0.0.1 and its key (openssl, which
/// scripts/test installs), in `dir`.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .args(["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (cert, key)
}

/// A client that accepts the test's self-signed certificate.
fn tls_client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Issue 17: the daemon serves HTTPS itself, adds Bitstring Status List
/// entries to what it issues (asked for by `options.credentialStatus`, or by
/// `--issue-status`), serves the lists at the URLs it put in the credentials,
/// and verifies the credentials it issued against them.
#[tokio::test(flavor = "multi_thread")]
async fn r17_status_entries_lists_over_https_and_verification() {
    let dir = temp_dir("vc-status-tls-files");
    let (cert, key) = self_signed(&dir);
    let status_dir = dir.join("status");
    std::fs::create_dir_all(&status_dir).unwrap();
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--tls-listen",
        "127.0.0.1:0",
        "--status-dir",
        status_dir.to_str().unwrap(),
        "--issue-status",
        "revocation",
    ];
    let (d, did) = did_key_issuer("vc-status-tls", &args);
    let https = d.second_base();
    assert!(https.starts_with("https://127.0.0.1:"), "{https}");
    let over_tls = |path: &str| format!("{https}{path}");

    // HTTPS answers the same API.
    let response = tls_client().get(over_tls("/health")).send().await.unwrap();
    assert!(response.status().is_success());
    let response = client().get(over_tls("/health")).send().await;
    assert!(response.is_err() || !response.unwrap().status().is_success(), "no plain HTTP on the TLS port");

    let v2 = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": "did:example:alice" }
    });
    // --issue-status: a revocation entry without being asked, its list served over HTTPS.
    let (status, _, body) = post(&d, "/credentials/issue", &json!({ "credential": v2 })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let vc = body["verifiableCredential"].clone();
    let entry = &vc["credentialStatus"];
    assert_eq!(entry["type"], "BitstringStatusListEntry", "{vc}");
    assert_eq!(entry["statusPurpose"], "revocation", "{vc}");
    assert!(entry["statusListIndex"].as_str().unwrap().parse::<u64>().is_ok(), "{vc}");
    let list_url = entry["statusListCredential"].as_str().unwrap().to_owned();
    assert!(list_url.starts_with(&over_tls("/status/")), "{list_url}");
    let response = tls_client().get(&list_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    assert!(list["type"].as_array().unwrap().contains(&json!("BitstringStatusListCredential")), "{list}");
    assert!(list["credentialSubject"]["encodedList"].as_str().unwrap().starts_with('u'), "{list}");

    // Verified against the daemon's own list.
    let (status, _, body) = post(&d, "/credentials/verify", &json!({ "verifiableCredential": vc })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["checks"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().contains("status")),
        "{body}"
    );

    // options.credentialStatus picks the purposes.
    let request = json!({
        "credential": v2,
        "options": { "credentialStatus": { "type": "BitstringStatusListEntry", "statusPurpose": "suspension" } }
    });
    let (status, _, body) = post(&d, "/credentials/issue", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["verifiableCredential"]["credentialStatus"]["statusPurpose"], "suspension", "{body}");

    // A VCDM 1.1 credential gets no default entry (its context does not define one).
    let v1 = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice" }
    });
    let (status, _, body) = post(&d, "/credentials/issue", &json!({ "credential": v1 })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["verifiableCredential"].get("credentialStatus").is_none(), "{body}");

    // Malformed status options are 400s.
    for bad in [
        json!({ "type": "StatusList2021Entry" }),
        json!("revocation"),
        json!({ "type": "BitstringStatusListEntry", "statusPurpose": "message" }),
    ] {
        let request = json!({ "credential": v2, "options": { "credentialStatus": bad } });
        let (status, _, body) = post(&d, "/credentials/issue", &request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    assert_eq!(did, vc["issuer"]);
}

/// A daemon given a certificate and no --tls-listen serves HTTPS on --listen.
#[tokio::test(flavor = "multi_thread")]
async fn r17_https_only_with_a_certificate() {
    let dir = temp_dir("tls-only-files");
    let (cert, key) = self_signed(&dir);
    let d = Daemon::start(
        "tls-only",
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(d.base.starts_with("https://"), "{}", d.base);
    let response = tls_client()
        .get(d.url("/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // A key that is not the certificate's refuses to start.
    let (_, other_key) = self_signed(&temp_dir("tls-other-key"));
    let out = std::process::Command::new(common::BIN)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data2"))
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&other_key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HTTPS"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An SD-JWT VC (`dc+sd-jwt`) as a compact string: the credential as
/// issued through `/credentials/verify`; the holder's key-bound
/// presentation through `/presentations/verify`, its `challenge` and
/// `domain` the Key Binding JWT's `nonce` and `aud`; a replay fails.
#[tokio::test(flavor = "multi_thread")]
async fn sd_jwt_vcs_verify_as_compact_strings() {
    use didam_credential::sd_jwt_vc::{self, Binding, IssueOptions};
    use didam_credential::selective::JsonPointer;
    let d = Daemon::start("vc-sd-jwt-vc", &[]);
    let key = SecretKey::generate(KeyType::P256);
    let (_, method) = did_key(&key.public_key());
    let holder = SecretKey::generate(KeyType::Ed25519);
    let mut options = IssueOptions::new("https://example.org/degree", method.parse().unwrap());
    options.disclosable = JsonPointer::parse_list(&["/birthdate", "/degree"]).unwrap();
    let claims = json!({ "birthdate": "1990-01-01", "degree": "BSc" });
    let issued = sd_jwt_vc::issue(&claims, &key, &options, &holder.public_key()).unwrap();
    let (status, _, body) = post(&d, "/credentials/verify", &json!({ "verifiableCredential": issued })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["disclosed"], json!(["/birthdate", "/degree"]), "{body}");

    let pointers = JsonPointer::parse_list(&["/degree"]).unwrap();
    let vp = sd_jwt_vc::present(
        &issued,
        &pointers,
        &holder,
        &Binding::new("c-1", "verifier.example"),
        &Default::default(),
    )
    .unwrap();
    let request = |challenge: &str| json!({ "verifiablePresentation": vp, "options": { "challenge": challenge, "domain": "verifier.example" } });
    let (status, _, body) = post(&d, "/presentations/verify", &request("c-1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["disclosed"], json!(["/degree"]), "{body}");
    assert_eq!(body["report"]["withheld"][""], json!(1), "{body}");
    assert!(body["checks"].as_array().unwrap().contains(&json!("key-binding")), "{body}");
    let (status, _, body) = post(&d, "/presentations/verify", &request("c-2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"].as_array().unwrap().iter().any(|e| e["title"] == "key-binding"), "{body}");
}
