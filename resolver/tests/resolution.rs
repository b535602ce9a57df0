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
            assert_eq!(body["didResolutionMetadata"]["contentType"], "application/did+ld+json");
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
