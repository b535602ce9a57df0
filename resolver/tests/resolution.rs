//! The DID Resolution HTTP binding of the real daemon: did:key and did:jwk in
//! both representations, and every error type the binding defines.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{DID_KEY, Daemon, client, encode, is_problem};
use didam_credential::{KeyType, SecretKey, did};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get(d: &Daemon, path: &str, accept: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut request = client().get(d.url(path));
    if let Some(a) = accept {
        request = request.header("Accept", a);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

fn error_type(body: &Value) -> &str {
    assert_eq!(body["type"], body["didResolutionMetadata"]["error"]["type"], "{body}");
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    body["type"].as_str().unwrap().strip_prefix("https://www.w3.org/ns/did#").unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn did_key_and_did_jwk_in_both_representations() {
    let d = Daemon::start("offline", &[]);
    let public = SecretKey::generate(KeyType::P256).public_key();
    for (id, _) in [did::did_key(&public), did::did_jwk(&public)] {
        for accept in [None, Some("application/did-resolution"), Some("*/*")] {
            let (status, ct, body) = get(&d, &format!("/1.0/identifiers/{id}"), accept).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(ct.as_deref(), Some("application/did-resolution"));
            assert_eq!(body["didDocument"]["id"], json!(id));
            // The header is the metadata's contentType (issue 17).
            assert_eq!(body["didResolutionMetadata"]["contentType"], "application/did-resolution");
            assert!(body["didDocumentMetadata"].is_object());
        }
        for accept in ["application/did", "application/did+ld+json"] {
            let (status, ct, body) =
                get(&d, &format!("/1.0/identifiers/{}", encode(&id)), Some(accept)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(ct.as_deref(), Some(accept));
            assert_eq!(body["id"], json!(id), "the document alone");
            assert!(body.get("didDocument").is_none());
        }
        // POST with the DID in the body.
        let response = client()
            .post(d.url("/1.0/identifiers"))
            .json(&json!({ "did": id, "options": { "noCache": true } }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["didDocument"]["id"], json!(id));
    }
    // Resolved DIDs are not in the log.
    assert!(!d.log().contains("did:key:") && !d.log().contains("did:jwk:"), "{}", d.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_type() {
    let d = Daemon::start("errors", &[]);
    let cases: [(&str, Option<&str>, StatusCode, &str); 10] = [
        ("/1.0/identifiers/not-a-did", None, StatusCode::BAD_REQUEST, "INVALID_DID"),
        ("/1.0/identifiers/did:example", None, StatusCode::BAD_REQUEST, "INVALID_DID"),
        ("/1.0/identifiers/did:key:zzzz", None, StatusCode::BAD_REQUEST, "INVALID_DID"),
        ("/1.0/identifiers/did:example:123", None, StatusCode::NOT_IMPLEMENTED, "METHOD_NOT_SUPPORTED"),
        (
            "/1.0/identifiers/did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m",
            None,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (
            &format!("/1.0/identifiers/{DID_KEY}"),
            Some("text/html"),
            StatusCode::NOT_ACCEPTABLE,
            "REPRESENTATION_NOT_SUPPORTED",
        ),
        (
            &format!("/1.0/identifiers/{}?versionId=1-x&versionTime=2020-01-01T00:00:00Z", encode(DID_KEY)),
            None,
            StatusCode::BAD_REQUEST,
            "INVALID_OPTIONS",
        ),
        (
            &format!("/1.0/identifiers/{}?noCache=maybe", encode(DID_KEY)),
            None,
            StatusCode::BAD_REQUEST,
            "INVALID_OPTIONS",
        ),
        (
            &format!("/1.0/identifiers/{}", encode(&format!("{DID_KEY}#key-1"))),
            None,
            StatusCode::NOT_IMPLEMENTED,
            "FEATURE_NOT_SUPPORTED",
        ),
        (
            &format!("/1.0/identifiers/{}", encode(&format!("{DID_KEY}?service=files"))),
            None,
            StatusCode::NOT_IMPLEMENTED,
            "FEATURE_NOT_SUPPORTED",
        ),
    ];
    for (path, accept, status, kind) in cases {
        let (got, ct, body) = get(&d, path, accept).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(is_problem(ct.as_ref().map(|c| reqwest::header::HeaderValue::from_str(c).unwrap()).as_ref()));
        assert_eq!(error_type(&body), kind, "{path}");
        assert_eq!(body["didDocument"], Value::Null);
    }
    // No DID at all is not a success.
    let (status, _, _) = get(&d, "/1.0/identifiers/", None).await;
    assert!(!status.is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn did_web_refuses_non_public_hosts() {
    let d = Daemon::start("web", &[]);
    for id in
        ["did:web:localhost", "did:web:127.0.0.1", "did:web:localhost%3A8443:user", "did:web:169.254.169.254"]
    {
        let (status, _, body) = get(&d, &format!("/1.0/identifiers/{}", encode(id)), None).await;
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{id}: {body}");
        assert_eq!(error_type(&body), "FEATURE_NOT_SUPPORTED");
        assert!(body["detail"].as_str().unwrap().contains("public"), "{body}");
    }
    let scid = "QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ";
    let (status, _, body) = get(&d, &format!("/1.0/identifiers/did:webvh:{scid}:localhost"), None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    let (_, _, methods) = get(&d, "/1.0/methods", None).await;
    assert_eq!(methods, json!(["key", "jwk", "didam", "web", "webvh"]));
}

/// Found by fuzzing (`tests/fuzz_regressions/resolution_request/non_ascii_path`):
/// a path with a multi-byte character across byte 6 made the handler panic
/// and the connection close without an answer.
#[test]
fn a_non_ascii_path_is_an_invalid_did_not_a_panic() {
    use std::io::{Read as _, Write as _};
    let d = Daemon::start("non-ascii", &[]);
    let mut stream = std::net::TcpStream::connect(d.base.strip_prefix("http://").unwrap()).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    stream
        .write_all(
            b"GET /1.0/identifiers/diidZ\xdf\x91oCions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(answer.contains("INVALID_DID"), "{answer}");
    assert!(!d.log().contains("panicked"), "{}", d.log());
}

/// A local HTTPS site with its own CA: `openssl s_server -WWW` serving the
/// files of a folder on a loopback port. Stopped when dropped.
struct HttpsSite {
    child: std::process::Child,
    port: u16,
    ca_pem: Vec<u8>,
    root: std::path::PathBuf,
}

impl HttpsSite {
    fn start(dir: &std::path::Path) -> Self {
        use std::io::BufRead as _;
        use std::process::{Command, Stdio};
        let openssl = |args: &[&str]| {
            let out =
                Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        openssl(
            &[
                &["req", "-x509"],
                &p256[..],
                &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=didam test CA"],
            ]
            .concat(),
        );
        openssl(
            &[&["req"], &p256[..], &["-keyout", "site.key", "-out", "site.csr", "-subj", "/CN=localhost"]]
                .concat(),
        );
        std::fs::write(dir.join("ext"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
            .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "site.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "site.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ]);
        let root = dir.join("site");
        std::fs::create_dir_all(&root).unwrap();
        let mut child = Command::new("openssl")
            .args([
                "s_server",
                "-WWW",
                "-accept",
                "127.0.0.1:0",
                "-cert",
                "../site.pem",
                "-key",
                "../site.key",
            ])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        // `ACCEPT 127.0.0.1:<port>` once it listens; the rest of its output
        // is drained so that it never blocks on a full pipe.
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("ACCEPT 127.0.0.1:").and_then(|p| p.trim().parse().ok()))
            .expect("openssl s_server prints the port it listens on");
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, port, ca_pem: std::fs::read(dir.join("ca.pem")).unwrap(), root }
    }

    /// `did:web:localhost%3A<port>:<path>`, serving `document` as its did.json.
    fn publish(&self, path: &str, document: impl FnOnce(&str) -> String) -> String {
        let did = format!("did:web:localhost%3A{}:{path}", self.port);
        std::fs::create_dir_all(self.root.join(path)).unwrap();
        std::fs::write(self.root.join(path).join("did.json"), document(&did)).unwrap();
        did
    }
}

impl Drop for HttpsSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// INVALID_DID_DOCUMENT: a `did:web` document that is not JSON, or whose `id`
/// is another DID. The daemon refuses loopback hosts (see above), so this
/// test assembles the daemon's state and router in-process (`build_state`,
/// `app`), with the one change a test needs: a fetcher that may reach
/// loopback and trusts the local site's CA
/// (`WebFetcher::allow_loopback_with_ca`). Resolution, cache and error
/// mapping are the daemon's own. (INTERNAL_ERROR is tested in `didam.rs`:
/// a corrupt ledger row.)
#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_did_web_document_is_invalid_did_document() {
    use didam_registry::Resolver;
    use didam_registry::web::{WebFetcher, WebLimits};
    use std::sync::Arc;

    let dir = common::temp_dir("invalid-document");
    let site = HttpsSite::start(&dir);
    let valid = site.publish("valid", |did| json!({ "id": did }).to_string());
    let other_id = site.publish("other-id", |_| json!({ "id": "did:web:example.com" }).to_string());
    let not_json = site.publish("not-json", |_| "<html>not a DID document</html>".to_owned());
    let no_id = site.publish("no-id", |_| json!({ "verificationMethod": [] }).to_string());

    let mut config = didam_resolver::Config::default();
    config.data_dir = dir.join("data");
    config.rate_limit = 0.0;
    let state = didam_resolver::build_state(&config, None, None).unwrap();
    let Ok(mut state) = Arc::try_unwrap(state) else { panic!("the state is not shared yet") };
    let limits = WebLimits::default();
    let fetcher =
        WebFetcher::new(&limits).unwrap().allow_loopback_with_ca(&limits, Some(&site.ca_pem)).unwrap();
    state.resolver = Arc::new(Resolver::new().with_web(fetcher));
    let router = didam_resolver::app(Arc::new(state), &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });

    let resolve = |did: String| {
        let url = format!("{base}/1.0/identifiers/{}", encode(&did));
        async move {
            let response = client().get(url).send().await.unwrap();
            let status = response.status();
            let is_problem = is_problem(response.headers().get("content-type"));
            (status, is_problem, response.json::<Value>().await.unwrap())
        }
    };
    // The site is reachable and trusted: a valid document resolves.
    let (status, _, body) = resolve(valid.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["didDocument"]["id"], json!(valid));
    for (did, reason) in [(other_id, "is not the DID"), (not_json, "not JSON"), (no_id, "is not the DID")] {
        let (status, problem, body) = resolve(did.clone()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{did}: {body}");
        assert!(problem, "{did}: an application/problem+json answer");
        assert_eq!(error_type(&body), "INVALID_DID_DOCUMENT", "{did}");
        assert_eq!(body["didDocument"], Value::Null);
        assert!(body["detail"].as_str().unwrap().contains(reason), "{did}: {body}");
    }
}
