//! Credential status through the real daemon: a did:key issuer's lists
//! served from `--status-dir` over HTTP, checked by the verifier's HTTP
//! source and by the daemon's VC API; the HTTP source's limits (size, time,
//! HTTPS only); lists signed by another issuer, and stale lists, refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Daemon, client, temp_dir};
use didam_credential::did::OfflineResolver;
use didam_credential::status_list::{StatusListIssuer, StatusPurpose};
use didam_credential::{CheckKind, KeyType, ProofOptions, Suite, proof};
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_registry::web::WebLimits;
use didam_verifier::status::{HttpStatusSource, StatusSource};
use didam_verifier::{FetchError, Policy, Verifier};
use didam_wallet::status::{StatusAction, StatusDirectory};
use didam_wallet::{InitOptions, KdfParams, Wallet};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn limits() -> WebLimits {
    WebLimits { connect_timeout: Duration::from_secs(2), timeout: Duration::from_secs(5), max_bytes: 1 << 20 }
}

fn loopback_source(limits: &WebLimits) -> HttpStatusSource {
    HttpStatusSource::new(limits).unwrap().allow_loopback(limits).unwrap()
}

fn unsigned(subject: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:7d0e6f3a-3333-4c1e-9a2f-000000000009",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": subject, "degree": "BSc" }
    })
}

fn policy(text: &str) -> Policy {
    Policy::from_toml_str(text).unwrap()
}

/// A wallet with a did:key issuer whose lists go to `dir`, served at `base`.
fn issuer_wallet(name: &str) -> (Wallet, String, std::path::PathBuf) {
    let dir = temp_dir(name);
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let (wallet, _rrs) = Wallet::init(&dir.join("wallet"), b"a test passphrase", &options).unwrap();
    let did = wallet.create_did_key(KeyType::Ed25519).unwrap().did;
    (wallet, did, dir)
}

/// Issues the example credential for did:example:alice with a revocation
/// entry, its list on `ledger` or in `directory`; the credential and the
/// list's URL.
async fn issue_revocable<L: Ledger>(
    wallet: &Wallet,
    ledger: Option<&L>,
    directory: Option<&StatusDirectory>,
    issuer: &str,
) -> (Value, String) {
    let signed = wallet
        .issue_with_status(
            ledger,
            directory,
            &unsigned("did:example:alice"),
            issuer,
            Suite::EddsaJcs2022,
            &[StatusPurpose::Revocation],
        )
        .await
        .unwrap();
    let url = signed["credentialStatus"]["statusListCredential"].as_str().unwrap().to_owned();
    (signed, url)
}

/// The status list file `url` names in the served folder.
fn file_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_did_key_issuers_list_is_served_by_the_daemon_and_revocation_fails_verification() {
    let (wallet, issuer, dir) = issuer_wallet("status-http");
    let status_dir = dir.join("status");
    std::fs::create_dir_all(&status_dir).unwrap();
    let policy_file = dir.join("policy.toml");
    std::fs::write(&policy_file, format!("trusted_issuers = [\"{issuer}\"]\nrequire_status = true\n"))
        .unwrap();
    let d = Daemon::start(
        "status-http",
        &[
            "--status-dir",
            status_dir.to_str().unwrap(),
            "--status-allow-loopback",
            "--status-cache-secs",
            "30",
            "--policy",
            policy_file.to_str().unwrap(),
        ],
    );
    let target = StatusDirectory { dir: status_dir.clone(), base_url: d.url("/status") };
    let (signed, url) = issue_revocable::<EmbeddedLedger>(&wallet, None, Some(&target), &issuer).await;
    assert!(url.starts_with(&d.url("/status/revocation-")), "{url}");

    // The daemon serves the file with its media type and caching headers.
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/vc");
    assert_eq!(response.headers()["cache-control"], "public, max-age=60");
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["id"], url);
    for bad in ["/status/..%2Fwallet", "/status/.hidden", "/status/nope.json"] {
        assert_eq!(client().get(d.url(bad)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // The verifier fetches it over HTTP (loopback) and checks it.
    let text = signed.to_string();
    let p = format!("trusted_issuers = [\"{issuer}\"]\nrequire_status = true\n");
    let verifier =
        Verifier::new(OfflineResolver).with_policy(policy(&p)).with_status_source(loopback_source(&limits()));
    let report = verifier.verify_credential(&text).await.unwrap();
    assert!(report.is_valid(), "{report}");

    // The daemon verifies the list once and reuses it while its bytes stay the same.
    let body = json!({ "verifiableCredential": signed });
    for _ in 0..2 {
        let response = client().post(d.url("/credentials/verify")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let metrics = client().get(d.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for line in ["didam_status_list_cache_hits_total 1", "didam_status_list_cache_misses_total 1"] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    // Revoked: the list file is rewritten (new bytes: verified again, never a hit); verification fails on status,
    // here and at the daemon's VC API (policy from --policy).
    let changes = wallet
        .set_status::<EmbeddedLedger>(
            None,
            "urn:uuid:7d0e6f3a-3333-4c1e-9a2f-000000000009",
            StatusAction::Revoke,
        )
        .await
        .unwrap();
    assert!(changes[0].set);
    let report = verifier.verify_credential(&text).await.unwrap();
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Status), "{report}");
    let body = json!({ "verifiableCredential": signed });
    let response = client().post(d.url("/credentials/verify")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = response.json().await.unwrap();
    let titles: Vec<&str> =
        answer["errors"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"status"), "{answer}");

    // A list at the same URL signed by another issuer is refused.
    let (other_wallet, other, _other_dir) = issuer_wallet("status-other");
    let other_key_id = other_wallet.did(&other).unwrap().keys[0].clone();
    let other_key = other_wallet.signing_key(&other_key_id).unwrap();
    let options = ProofOptions::assertion(Suite::EddsaJcs2022, format!("{other}#{other_key_id}"));
    let forged = StatusListIssuer::new(url.clone(), StatusPurpose::Revocation).unwrap().credential(
        &other,
        Utc::now(),
        None,
    );
    let forged = proof::add_proof(&forged, &other_key, &options).await.unwrap();
    std::fs::write(status_dir.join(file_of(&url)), forged.to_string()).unwrap();
    let report = verifier.verify_credential(&text).await.unwrap();
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::StatusListIssuer), "{report}");

    // A stale list (published two hours ago; the policy accepts one hour) is refused.
    let key_id = wallet.did(&issuer).unwrap().keys[0].clone();
    let key = wallet.signing_key(&key_id).unwrap();
    let options = ProofOptions::assertion(Suite::EddsaJcs2022, format!("{issuer}#{key_id}"));
    let old = StatusListIssuer::new(url.clone(), StatusPurpose::Revocation).unwrap().credential(
        &issuer,
        Utc::now() - chrono::Duration::hours(2),
        None,
    );
    let old = proof::add_proof(&old, &key, &options).await.unwrap();
    std::fs::write(status_dir.join(file_of(&url)), old.to_string()).unwrap();
    let stale = Verifier::new(OfflineResolver)
        .with_policy(policy(&format!("{p}max_status_age = \"1h\"\n")))
        .with_status_source(loopback_source(&limits()));
    let report = stale.verify_credential(&text).await.unwrap();
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::StatusListFreshness), "{report}");
    let fresh =
        Verifier::new(OfflineResolver).with_policy(policy(&p)).with_status_source(loopback_source(&limits()));
    assert!(
        fresh.verify_credential(&text).await.unwrap().is_valid(),
        "the same list passes without max_status_age"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_source_refuses_oversize_slow_and_plain_http_lists() {
    let dir = temp_dir("status-limits");
    let status_dir = dir.join("status");
    std::fs::create_dir_all(&status_dir).unwrap();
    let big = json!({ "id": "x", "padding": "a".repeat(4096) });
    std::fs::write(status_dir.join("big.json"), big.to_string()).unwrap();
    let d = Daemon::start("status-limits", &["--status-dir", status_dir.to_str().unwrap()]);
    let url = d.url("/status/big.json");

    let small = WebLimits { max_bytes: 1024, ..limits() };
    match loopback_source(&small).fetch(&url).await {
        Err(FetchError::TooLarge { limit: 1024, .. }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(loopback_source(&limits()).fetch(&url).await.is_ok());
    // Without the loopback exception: HTTPS to public addresses only.
    let strict = HttpStatusSource::new(&limits()).unwrap();
    assert!(matches!(strict.fetch(&url).await, Err(FetchError::Transport { .. })));
    match loopback_source(&limits()).fetch(&d.url("/status/missing.json")).await {
        Err(FetchError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }

    // A server that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(stream);
    });
    let quick = WebLimits { timeout: Duration::from_millis(300), ..limits() };
    let started = std::time::Instant::now();
    match loopback_source(&quick).fetch(&format!("http://{addr}/status/list.json")).await {
        Err(FetchError::Timeout(_)) => {}
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    hold.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A did:didam issuer publishes its list on the daemon's ledger (through
/// `HttpLedger`); the VC API dereferences it by DID URL with the ledger's
/// proofs, and a revocation counts as soon as a checkpoint covers it.
#[tokio::test(flavor = "multi_thread")]
async fn the_vc_api_checks_a_did_didam_issuers_list_on_the_ledger() {
    let dir = temp_dir("status-didam");
    let d = Daemon::start("status-didam", &[]);
    let ledger = didam_ledger::HttpLedger::new(&d.base).unwrap();
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let (wallet, rrs) = Wallet::init(&dir.join("wallet"), b"a test passphrase", &options).unwrap();
    let issuer = wallet.create_did(&ledger, &d.base, &rrs, &[KeyType::Ed25519]).await.unwrap().did;
    let (signed, url) = issue_revocable(&wallet, Some(&ledger), None, &issuer).await;
    assert!(url.starts_with(&format!("{issuer}/resources/")), "{url}");

    let body = json!({ "verifiableCredential": signed });
    let verify = || async {
        let response = client().post(d.url("/credentials/verify")).json(&body).send().await.unwrap();
        let status = response.status();
        (status, response.json::<Value>().await.unwrap())
    };
    // Valid once the sequencer's checkpoint covers the list.
    common::poll(Duration::from_secs(20), async || {
        let (status, answer) = verify().await;
        (status == StatusCode::OK).then_some(answer)
    })
    .await;
    wallet
        .set_status(Some(&ledger), "urn:uuid:7d0e6f3a-3333-4c1e-9a2f-000000000009", StatusAction::Revoke)
        .await
        .unwrap();
    let answer = common::poll(Duration::from_secs(20), async || {
        let (status, answer) = verify().await;
        (status == StatusCode::UNPROCESSABLE_ENTITY).then_some(answer)
    })
    .await;
    let details: Vec<&str> =
        answer["errors"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap()).collect();
    assert!(details.iter().any(|d| d.contains("revoked")), "{answer}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An SD-JWT VC's Token Status List, written by the issuer's wallet to the
/// daemon's folder: served as `application/statuslist+jwt`, fetched by the
/// verifier over HTTP only once the credential verified; revoked, the
/// credential fails its status here and at the daemon's VC API.
#[tokio::test(flavor = "multi_thread")]
async fn an_sd_jwt_vcs_token_status_list_is_served_and_revocation_fails_verification() {
    use didam_credential::sd_jwt_vc::IssueOptions;
    let (wallet, issuer, dir) = issuer_wallet("token-status-http");
    let status_dir = dir.join("status");
    std::fs::create_dir_all(&status_dir).unwrap();
    let d = Daemon::start(
        "token-status-http",
        &["--status-dir", status_dir.to_str().unwrap(), "--status-allow-loopback"],
    );
    let target = StatusDirectory { dir: status_dir.clone(), base_url: d.url("/status") };
    let holder = didam_credential::SecretKey::generate(KeyType::Ed25519).public_key();
    let options = IssueOptions::new("https://example.org/degree", issuer.parse().unwrap());
    let copies = wallet
        .issue_sd_jwt_vc(&json!({ "degree": "BSc" }), &issuer, options, &[holder], Some(&target))
        .unwrap();
    let credential = &copies[0];
    let payload = didam_credential::sd_jwt::SdJwt::parse(credential).unwrap().jwt.payload;
    let url = payload["status"]["status_list"]["uri"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&d.url("/status/token-status-")), "{url}");
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/statuslist+jwt");

    let verifier = Verifier::new(OfflineResolver).with_status_source(loopback_source(&limits()));
    let report = verifier.verify_credential(credential).await.unwrap();
    assert!(report.is_valid(), "{report}");
    assert!(report.of(CheckKind::Status).any(|c| c.outcome == didam_verifier::Outcome::Passed), "{report}");

    let changes = wallet.set_status::<EmbeddedLedger>(None, credential, StatusAction::Revoke).await.unwrap();
    assert!(changes[0].set);
    let report = verifier.verify_credential(credential).await.unwrap();
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Status), "{report}");
    let body = json!({ "verifiableCredential": credential });
    let response = client().post(d.url("/credentials/verify")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = response.json().await.unwrap();
    let titles: Vec<&str> =
        answer["errors"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"status"), "{answer}");
}
