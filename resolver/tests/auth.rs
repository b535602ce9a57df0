//! Issue 18, authenticated writes, through the real daemon: issuing is off
//! without an authentication method; bearer tokens kept as hashes in the
//! config file; the OAuth 2.0 client credentials grant of the daemon's own
//! token endpoint; TLS client certificates of a configured CA; a re-used
//! credential `id` is a 409 and the original stays revocable; the ledger's
//! appends restricted by a flag.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{BIN, Daemon, client, did_key_wallet, issuer_flags, temp_dir};
use didam_ledger::EmbeddedLedger;
use didam_wallet::Wallet;
use didam_wallet::status::StatusAction;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

fn unsigned(id: Option<&str>, subject: &str) -> Value {
    let mut credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": subject }
    });
    if let Some(id) = id {
        credential["id"] = json!(id);
    }
    credential
}

/// `POST /credentials/issue` through `http` with `authorization` (a header value).
async fn issue_with(
    http: &reqwest::Client,
    base: &str,
    authorization: Option<&str>,
    credential: &Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut request =
        http.post(format!("{base}/credentials/issue")).json(&json!({ "credential": credential }));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.json().await.unwrap())
}

async fn issue(
    d: &Daemon,
    authorization: Option<&str>,
    credential: &Value,
) -> (StatusCode, HeaderMap, Value) {
    issue_with(&client(), &d.base, authorization, credential).await
}

fn problem_type(headers: &HeaderMap, body: &Value) -> String {
    assert!(common::is_problem(headers.get("content-type")), "{headers:?}");
    body["type"].as_str().unwrap().to_owned()
}

fn www_authenticate(headers: &HeaderMap) -> String {
    headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Runs `didam-resolver ARGS`: the secret (first line) and the config entry.
fn new_secret(args: &[&str]) -> (String, String) {
    let out = std::process::Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (secret, entry) = text.split_once('\n').unwrap();
    (secret.to_owned(), entry.to_owned())
}

/// An issuer daemon of a fresh did:key wallet with `extra` flags; returns it
/// with the wallet's folder and passphrase file.
fn issuer(name: &str, extra: &[String]) -> (Daemon, std::path::PathBuf, String) {
    let dir = temp_dir(name);
    let (wallet_dir, pass_file, did) = did_key_wallet(&dir);
    let mut args = issuer_flags(&wallet_dir, &pass_file, &did);
    args.extend(extra.iter().cloned());
    (Daemon::start(name, &args.iter().map(String::as_str).collect::<Vec<_>>()), wallet_dir, did)
}

#[tokio::test(flavor = "multi_thread")]
async fn r18_without_an_authentication_method_issuing_is_off() {
    let (d, _, _) = issuer("auth-off", &[]);
    for authorization in [None, Some("Bearer anything")] {
        let (status, headers, body) = issue(&d, authorization, &unsigned(None, "did:example:alice")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(problem_type(&headers, &body), "urn:didam:problem:auth:writes-off");
    }
    assert!(d.log().contains("no authentication method"), "the operator is told at start");
}

#[tokio::test(flavor = "multi_thread")]
async fn r18_bearer_tokens_are_kept_hashed_and_a_credential_id_is_issued_once() {
    let (token, entry) = new_secret(&["token", "--name", "suite"]);
    let (appender, appender_entry) = new_secret(&["token", "--name", "appender", "--scope", "ledger-append"]);
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    let dir = temp_dir("auth-token-files");
    let config = dir.join("daemon.toml");
    std::fs::write(&config, format!("{entry}\n{appender_entry}")).unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains(&token) && !text.contains(&appender), "only hashes in the config file");
    let hash = didam_resolver::auth::SecretHash::of(&token).to_string();
    assert!(text.contains(&hash), "{text}");

    let status_dir = dir.join("status");
    std::fs::create_dir_all(&status_dir).unwrap();
    let flags: Vec<String> =
        ["--config", config.to_str().unwrap(), "--status-dir", status_dir.to_str().unwrap()]
            .map(str::to_owned)
            .into();
    let (d, wallet_dir, _) = issuer("auth-token", &flags);
    let credential = unsigned(None, "did:example:alice");

    let (status, headers, body) = issue(&d, None, &credential).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(problem_type(&headers, &body), "urn:didam:problem:auth:unauthenticated");
    assert_eq!(www_authenticate(&headers), "Bearer realm=\"didam-resolver\"");
    for wrong in [format!("Bearer {token}x"), "Bearer ".into(), format!("Basic {token}")] {
        let (status, headers, body) = issue(&d, Some(&wrong), &credential).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}: {body}");
        assert!(www_authenticate(&headers).contains("error=\"invalid_token\""), "{headers:?}");
    }
    let (status, headers, body) = issue(&d, Some(&format!("Bearer {appender}")), &credential).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(problem_type(&headers, &body), "urn:didam:problem:auth:forbidden");
    assert!(www_authenticate(&headers).contains("insufficient_scope"), "{headers:?}");
    let bearer = format!("Bearer {token}");
    let (status, _, body) = issue(&d, Some(&bearer), &credential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A credential id is issued once: the second is a 409, and the first keeps
    // the record that revoking it needs.
    let id = "urn:uuid:5f1e3c2a-18aa-4b6f-9c1e-2d3f4a5b6c7d";
    let request = json!({
        "credential": unsigned(Some(id), "did:example:alice"),
        "options": { "credentialStatus": { "type": "BitstringStatusListEntry" } }
    });
    let post = async |request: &Value| {
        let response = client()
            .post(d.url("/credentials/issue"))
            .header("Authorization", &bearer)
            .json(request)
            .send()
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.json::<Value>().await.unwrap())
    };
    let (status, _, body) = post(&request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let original = body["verifiableCredential"].clone();
    let mut again = request.clone();
    again["credential"]["credentialSubject"]["id"] = json!("did:example:mallory");
    for request in [&request, &again] {
        let (status, headers, body) = post(request).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(problem_type(&headers, &body), "urn:didam:problem:vc-api:duplicate-id");
    }
    // What `didam vc revoke ID` does, on the daemon's wallet while it runs.
    let wallet = Wallet::open(&wallet_dir, b"issuer passphrase").unwrap();
    let changes = wallet.set_status::<EmbeddedLedger>(None, id, StatusAction::Revoke).await.unwrap();
    assert_eq!(
        Some(changes[0].list.as_str()),
        original["credentialStatus"]["statusListCredential"].as_str(),
        "the original's entry is the one revoked"
    );
    let response = client()
        .post(d.url("/credentials/verify"))
        .json(&json!({ "verifiableCredential": original }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["errors"].as_array().unwrap().iter().any(|e| e["title"] == "status"), "{answer}");

    let log = d.log();
    assert!(!log.contains(&token) && !log.contains(&appender), "tokens are never logged");
}

/// `POST /oauth2/token` with `form` (form-encoded) and HTTP Basic `basic`.
async fn token_request(
    d: &Daemon,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = client().post(d.url("/oauth2/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn r18_oauth2_client_credentials_grant() {
    let (secret, entry) = new_secret(&["client", "--id", "w3c-suite"]);
    let (narrow_secret, narrow_entry) =
        new_secret(&["client", "--id", "appender", "--scope", "ledger-append"]);
    let dir = temp_dir("auth-oauth-files");
    let config = dir.join("daemon.toml");
    std::fs::write(&config, format!("{entry}\n{narrow_entry}")).unwrap();
    assert!(!std::fs::read_to_string(&config).unwrap().contains(&secret));
    let flags: Vec<String> =
        ["--config", config.to_str().unwrap(), "--access-token-ttl-secs", "2"].map(str::to_owned).into();
    let (d, _, _) = issuer("auth-oauth", &flags);
    let grant = [("grant_type", "client_credentials")];

    let (status, headers, body) = token_request(&d, &grant, Some(("w3c-suite", &secret))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 2);
    assert_eq!(body["scope"], "issue ledger-append");
    let access = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let credential = unsigned(None, "did:example:alice");
    let (status, _, body) = issue(&d, Some(&access), &credential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The client in the body, as JSON (as some clients send it).
    let response = client()
        .post(d.url("/oauth2/token"))
        .json(&json!({ "grant_type": "client_credentials", "client_id": "w3c-suite", "client_secret": secret, "audience": "https://example.org" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Refusals, with the RFC 6749 error codes.
    let wrong = format!("{secret}x");
    let (status, headers, body) = token_request(&d, &grant, Some(("w3c-suite", &wrong))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    assert!(www_authenticate(&headers).starts_with("Basic"));
    let (status, _, body) = token_request(&d, &grant, Some(("nobody", &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, _, body) =
        token_request(&d, &[("grant_type", "password")], Some(("w3c-suite", &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    let scoped = [("grant_type", "client_credentials"), ("scope", "issue")];
    let (status, _, body) = token_request(&d, &scoped, Some(("appender", &narrow_secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_scope")));

    // A token without the `issue` scope is a 403.
    let (status, _, body) = token_request(&d, &grant, Some(("appender", &narrow_secret))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let narrow = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let (status, _, body) = issue(&d, Some(&narrow), &credential).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A client holds a bounded number of live tokens: asking for more
    // retires its oldest (a 401 now), never another client's.
    let mut newest = String::new();
    for _ in 0..16 {
        let (status, _, body) = token_request(&d, &grant, Some(("appender", &narrow_secret))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        newest = format!("Bearer {}", body["access_token"].as_str().unwrap());
    }
    let (status, _, body) = issue(&d, Some(&narrow), &credential).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the appender's oldest token retired: {body}");
    let (status, _, body) = issue(&d, Some(&newest), &credential).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "its newest token is live: {body}");

    // Access tokens are short-lived.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let (status, _, body) = issue(&d, Some(&access), &credential).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an expired access token: {body}");
    assert!(!d.log().contains(&secret), "client secrets are never logged");
}

/// A CA, and certificates it signs, made with rcgen.
struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self { issuer: rcgen::Issuer::new(params, key), pem }
    }

    /// A certificate for `names` and its key, in PEM.
    fn sign(&self, names: &[&str], usage: rcgen::ExtendedKeyUsagePurpose) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![usage];
        let key = rcgen::KeyPair::generate().unwrap();
        (params.signed_by(&key, &self.issuer).unwrap().pem(), key.serialize_pem())
    }
}

fn mtls_client(identity: Option<&(String, String)>) -> reqwest::Client {
    let mut builder =
        reqwest::Client::builder().danger_accept_invalid_certs(true).timeout(Duration::from_secs(30));
    if let Some((cert, key)) = identity {
        builder = builder.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    dir.join(name).display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn r18_client_certificates_of_the_configured_ca() {
    use rcgen::ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
    let dir = temp_dir("auth-mtls-files");
    let ca = Ca::new("didam test client CA");
    let (server_cert, server_key) = ca.sign(&["127.0.0.1"], ServerAuth);
    let listed = ca.sign(&["issuer-client.test"], ClientAuth);
    let stranger = ca.sign(&["stranger.test"], ClientAuth);
    let foreign = Ca::new("another CA").sign(&["issuer-client.test"], ClientAuth);
    let flags: Vec<String> = vec![
        "--tls-cert".into(),
        write(&dir, "server.pem", &server_cert),
        "--tls-key".into(),
        write(&dir, "server-key.pem", &server_key),
        "--client-ca".into(),
        write(&dir, "ca.pem", &ca.pem),
        "--client-cert-name".into(),
        "issuer-client.test".into(),
    ];
    let (d, _, _) = issuer("auth-mtls", &flags);
    assert!(d.base.starts_with("https://"), "{}", d.base);
    let credential = unsigned(None, "did:example:alice");

    let (status, _, body) = issue_with(&mtls_client(Some(&listed)), &d.base, None, &credential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, headers, body) = issue_with(&mtls_client(Some(&stranger)), &d.base, None, &credential).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a certificate of the CA naming no listed client: {body}");
    assert_eq!(problem_type(&headers, &body), "urn:didam:problem:auth:forbidden");
    let (status, _, body) = issue_with(&mtls_client(None), &d.base, None, &credential).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no certificate: {body}");
    // Reads need no certificate.
    let health = mtls_client(None).get(d.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // Another CA's certificate fails the handshake.
    let refused = mtls_client(Some(&foreign)).post(d.url("/credentials/issue")).json(&json!({})).send().await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn r18_ledger_appends_can_be_restricted() {
    let not_an_entry = json!({ "state": {} });
    let append = async |d: &Daemon, authorization: Option<&str>| {
        let mut request = client().post(d.url("/ledger/v1/entries")).json(&not_an_entry);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request.send().await.unwrap().status()
    };
    // By default anyone may append: the entry reaches the parser (a 400).
    let open = Daemon::start("auth-ledger-open", &[]);
    assert_eq!(append(&open, None).await, StatusCode::BAD_REQUEST);

    let mut flags = vec!["--ledger-appends".to_owned(), "authenticated".to_owned()];
    flags.extend(common::token_flag());
    let closed = Daemon::start("auth-ledger-closed", &flags.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(append(&closed, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(append(&closed, Some("Bearer wrong")).await, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {}", common::TOKEN);
    assert_eq!(append(&closed, Some(&bearer)).await, StatusCode::BAD_REQUEST);

    // Restricted appends with no way to authenticate do not start.
    let dir = temp_dir("auth-ledger-none");
    let out = std::process::Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--ledger-appends", "authenticated", "--data-dir"])
        .arg(dir.join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ledger-appends"), "{out:?}");
}

#[test]
fn r18_the_help_documents_authentication() {
    let out = std::process::Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in
        ["--auth-token-sha256", "--client-ca", "--client-cert-name", "--ledger-appends", "token", "client"]
    {
        assert!(help.contains(flag), "{flag} in --help");
    }
}
