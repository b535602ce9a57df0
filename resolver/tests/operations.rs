//! Operations of the real daemon: metrics, the OpenAPI document against the
//! routes, graceful shutdown, the rate limit, start-up without configuration
//! of a checkpoint key, and the config file.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::{DID_KEY, Daemon, client, temp_dir};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_cache_and_ledger_size() {
    let d = Daemon::start("metrics", &[]);
    for _ in 0..2 {
        let r = client().get(d.url(&format!("/1.0/identifiers/{DID_KEY}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let text = client().get(d.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in [
        "didam_http_requests_total{route=\"/1.0/identifiers/{did}\",method=\"GET\",status=\"200\"} 2",
        "didam_cache_misses_total 1",
        "didam_cache_hits_total 1",
        "didam_ledger_size 0",
        "didam_http_request_duration_seconds_bucket{route=\"/1.0/identifiers/{did}\"",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_matches_the_routes() {
    let d = Daemon::start("openapi", &[]);
    let doc: Value = client().get(d.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented = didam_resolver::ops::documented_routes(&doc);
    let expected: Vec<(String, String)> = [
        ("GET", "/1.0/identifiers/{did}"),
        ("POST", "/1.0/identifiers/{did}"),
        ("POST", "/1.0/identifiers"),
        ("GET", "/1.0/methods"),
        ("POST", "/credentials/verify"),
        ("POST", "/presentations/verify"),
        ("POST", "/credentials/derive"),
        ("POST", "/credentials/issue"),
        ("POST", "/oauth2/token"),
        ("GET", "/status/{name}"),
        ("POST", "/ledger/v1/entries"),
        ("GET", "/ledger/v1/dids/{did}/log"),
        ("GET", "/ledger/v1/dids/{did}/tip"),
        ("GET", "/ledger/v1/dids/{did}/tip-proof"),
        ("GET", "/ledger/v1/size"),
        ("GET", "/ledger/v1/leaves/{index}"),
        ("GET", "/ledger/v1/proofs/inclusion"),
        ("GET", "/ledger/v1/proofs/consistency"),
        ("GET", "/ledger/v1/checkpoint"),
        ("GET", "/ledger/v1/key"),
        ("GET", "/ledger/v1/key/ml-dsa-44"),
        ("GET", "/health"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect::<std::collections::BTreeSet<_>>()
    .into_iter()
    .collect();
    assert_eq!(documented, expected);
    // Every documented route is served by a handler (the router's fallback
    // answers "no such route"); an undocumented one is not.
    for (method, path) in &documented {
        let path = path.replace("{did}", DID_KEY).replace("{index}", "0").replace("{name}", "list.json");
        let request = match method.as_str() {
            "GET" => client().get(d.url(&path)),
            _ => client().post(d.url(&path)).body("{}"),
        };
        let response = request.send().await.unwrap();
        assert_ne!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("no such route"), "{method} {path} is documented but not routed");
    }
    let body = client().get(d.url("/not/documented")).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("no such route"));
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    let mut d = Daemon::start("shutdown", &[]);
    let addr = d.base.strip_prefix("http://").unwrap().to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // Headers and half the body: the request is in flight.
    stream
        .write_all(b"POST /ledger/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{")
        .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    d.terminate();
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(b"}").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "the request was answered: {answer:?}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let status = d.wait(Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
    assert!(std::net::TcpStream::connect(&addr).is_err(), "no longer listening");
}

#[test]
fn a_request_over_the_time_limit_gets_a_503_problem_object() {
    let d = Daemon::start("timeout", &["--request-timeout-ms", "300"]);
    let addr = d.base.strip_prefix("http://").unwrap().to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // Half a body: the handler waits for the rest past the time limit.
    stream
        .write_all(b"POST /ledger/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{")
        .unwrap();
    stream.flush().unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["status"], 503);
    assert_eq!(body["type"], "urn:didam:problem:timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rate_limit_answers_429() {
    let d = Daemon::start("rate", &["--rate-limit", "1", "--rate-limit-burst", "3"]);
    let mut limited = None;
    for _ in 0..10 {
        let r = client().get(d.url("/health")).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("a 429 within 10 requests");
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn starts_from_a_config_file_without_a_key() {
    let dir = temp_dir("config");
    let config = dir.join("resolver.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata-dir = {:?}\nrate-limit = 0.0\n[cache]\ndidam-ttl-secs = 1\n",
            dir.join("data").display().to_string()
        ),
    )
    .unwrap();
    let d = Daemon::spawn(dir, &["--config".into(), config.display().to_string()]);
    assert!(d.ledger_path().exists(), "the embedded ledger is created under data-dir");
    let health: Value = client().get(d.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["checkpointing"], false);
    let key = client().get(d.url("/ledger/v1/key")).send().await.unwrap();
    assert_eq!(key.status(), StatusCode::NOT_FOUND);
    let methods: Value = client().get(d.url("/1.0/methods")).send().await.unwrap().json().await.unwrap();
    assert_eq!(methods, serde_json::json!(["key", "jwk", "web", "webvh"]));
    assert!(d.log().contains("signing no checkpoints"), "{}", d.log());
}

#[test]
fn keygen_refuses_to_overwrite() {
    let (key, pass) = common::shared_key();
    let out = std::process::Command::new(common::BIN)
        .args(["keygen", "--origin", "x.test/ledger", "--out"])
        .arg(key)
        .arg("--passphrase-file")
        .arg(pass)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite"));
}
