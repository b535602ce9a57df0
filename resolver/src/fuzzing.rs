//! Entry points of the fuzz targets (`fuzz/`), shared with the regression
//! tests that replay their findings (`tests/fuzz_regressions.rs`). Each
//! function must not panic on any input; where a parser accepts the input,
//! it asserts what must then hold.
//!
//! Not a stable API: hidden from the docs, for `fuzz/` and the tests only.
//! `fuzz/` compiles this file, [`crate::request`] and [`crate::problem`]
//! into its own small crate (see `fuzz/src/lib.rs`), without the rest of the
//! daemon: the code fuzzed is the daemon's, the build is a fraction of it.
//! So this file uses only `crate::request`, `crate::problem` and the
//! libraries.
//!
//! The verify endpoint's input is reached in the engine's order: the limits'
//! pre-scan and JSON parsing ([`verify_input`]), each securing format's
//! parser ([`sd_jwt`], [`jws`], [`cose`]), then the whole verification,
//! JSON-LD expansion and RDFC-1.0 included, with the offline resolver
//! ([`verify`]).

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use chrono::{TimeZone as _, Utc};
use didam_credential::cose::CoseCredential;
use didam_credential::jose::CompactJws;
use didam_credential::limits::{self, Limit, Limits};
use didam_credential::sd_jwt::SdJwt;
use didam_credential::verify::{self as engine, Input};
use didam_credential::{Did, DidUrl, Error, did::OfflineResolver};
use didam_method::log::{Method, verify_entry, verify_log};

use crate::request::ResolutionRequest;

/// `Did::parse`: an accepted DID round-trips and names its method.
pub fn did(data: &str) {
    if let Ok(did) = Did::parse(data) {
        assert_eq!(did.as_str(), data);
        assert!(data.starts_with(&format!("did:{}:", did.method())));
        assert_eq!(Did::parse(did.as_str()).ok(), Some(did));
    }
}

/// `DidUrl::parse`: an accepted DID URL is its DID, then its path, query and
/// fragment.
pub fn did_url(data: &str) {
    if let Ok(url) = DidUrl::parse(data) {
        let mut again = url.did.as_str().to_owned();
        if let Some(p) = &url.path {
            again.push_str(p);
        }
        if let Some(q) = &url.query {
            again.push('?');
            again.push_str(q);
        }
        if let Some(f) = &url.fragment {
            again.push('#');
            again.push_str(f);
        }
        assert_eq!(again, data);
        assert_eq!(url.is_did(), url.did.as_str() == data);
    }
}

/// The resolution request parsers (GET and POST with the DID in the path,
/// POST with the DID in the body). Input: `<path and query>\n<Accept>\n<body>`.
pub fn resolution_request(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let target = parts.next().unwrap_or_default();
    let accept = parts.next();
    let body = parts.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Some(value) = accept.and_then(|a| HeaderValue::from_bytes(a).ok()) {
        headers.insert(header::ACCEPT, value);
    }
    let mut path = b"/1.0/identifiers/".to_vec();
    path.extend_from_slice(target);
    if let Ok(uri) = Uri::try_from(path) {
        for request in
            [ResolutionRequest::from_get(&uri, &headers), ResolutionRequest::from_post(&uri, &headers, body)]
                .into_iter()
                .flatten()
        {
            assert!(request.options.version_id.is_none() || request.options.version_time.is_none());
        }
    }
    let _ = ResolutionRequest::from_body(&headers, body);
}

/// Ledger entries: each line (up to 4) parsed as a [`didam_method::LogEntry`]
/// and verified as a first entry, then the whole input as a JSON Lines log,
/// for both methods.
pub fn ledger_entry(data: &str) {
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("a valid date");
    for line in data.lines().take(4) {
        let _ = line.parse::<didam_method::LogEntry>();
    }
    for method in [Method::Didam, Method::WebVh] {
        for line in data.lines().take(4) {
            if let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) {
                let _ = futures::executor::block_on(verify_entry(method, None, &entry, now));
            }
        }
        let _ = futures::executor::block_on(verify_log(method, data, now));
    }
}

/// Fails when `value` is deeper than the default limits allow: what the
/// limits let through is never deeper than they say.
fn assert_within_depth(value: &serde_json::Value) {
    if let Err(e) = Limits::default().check_document(value) {
        assert_ne!(e.what, Limit::Depth, "a document deeper than the limit got through");
    }
}

/// The verify endpoint's first steps: the byte pre-scan, then
/// [`Input::parse_within`] (JSON parsing, or the securing format sniffed),
/// then the parsed document's check. A document the pre-scan lets through
/// is never deeper than the limit.
pub fn verify_input(data: &[u8]) {
    let limits = Limits::default();
    let Ok(text) = std::str::from_utf8(data) else {
        let _ = limits::scan_json(data, &limits);
        return;
    };
    if let Ok(Input::Json(value)) = Input::parse_within(text, &limits) {
        assert!(
            limits::scan_json(text.trim().as_bytes(), &limits).is_ok(),
            "the pre-scan refused what was read"
        );
        assert_within_depth(&value);
    }
}

/// SD-JWT: split, then reveal within the default limits (a revealed
/// credential is never deeper than the limit, and each disclosure landed
/// somewhere in it); an SD-JWT VC's key binding checked (never a panic).
pub fn sd_jwt(data: &str) {
    let Ok(sd_jwt) = SdJwt::parse(data) else { return };
    if let Ok(revealed) = sd_jwt.reveal_detailed(&Limits::default()) {
        assert_within_depth(&revealed.document);
        assert_eq!(revealed.placed.len(), sd_jwt.disclosure_count());
    }
    let expect = didam_credential::sd_jwt_vc::KeyBindingExpectations {
        nonce: Some("n".into()),
        aud: None,
        now: chrono::Utc::now(),
        skew_seconds: 60,
    };
    let _ = didam_credential::sd_jwt_vc::check_key_binding(&sd_jwt, &expect);
}

/// Compact JWS: split and decoded; the `kid` read.
pub fn jws(data: &str) {
    if let Ok(jws) = CompactJws::parse(data) {
        let _ = jws.kid();
    }
}

/// COSE_Sign1, as bytes and as base64 text.
pub fn cose(data: &[u8]) {
    if let Ok(cose) = CoseCredential::parse(data) {
        let _ = (cose.alg(), cose.kid());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = CoseCredential::parse_base64(text);
    }
}

/// The whole verification with the offline resolver (did:key, did:jwk):
/// data model, JSON-LD expansion, RDFC-1.0, proofs. Any answer will do but
/// a panic; a limit is the only error about the input's size.
pub fn verify(data: &str) {
    let outcome =
        futures::executor::block_on(engine::verify_text(data, &OfflineResolver, &Default::default()));
    if let Err(Error::Limit(e)) = outcome {
        assert!(e.found > e.limit, "a limit error within its limit: {e}");
    }
}
