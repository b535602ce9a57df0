//! The log verifier against the DIF did:webvh 1.0 test suite vectors in
//! `../shared/vectors/didwebvh/didwebvh-test-suite/vectors`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use didam_ledger::log::{Method, verify_log};
use serde_json::Value;

fn vectors() -> PathBuf {
    let shared = std::env::var_os("DIDAM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("vectors/didwebvh/didwebvh-test-suite/vectors");
    assert!(dir.is_dir(), "did:webvh vectors not found under {}", dir.display());
    dir
}

/// Scenarios whose outcome depends on witness proofs (`did-witness.json`),
/// which the log verifier does not check yet.
const NEEDS_WITNESS_PROOFS: &[&str] =
    &["witness-threshold", "witness-update", "negative-cross-did-witness-replay"];

fn scenarios() -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(vectors()).unwrap() {
        let dir = entry.unwrap().path().join("ts");
        let name = dir.parent().unwrap().file_name().unwrap().to_str().unwrap().to_owned();
        let Ok(log) = std::fs::read_to_string(dir.join("did.jsonl")) else { continue };
        if NEEDS_WITNESS_PROOFS.contains(&name.as_str()) {
            continue;
        }
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("resolutionResult.json")).unwrap())
                .unwrap();
        out.push((name, log, expected));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn positive_logs_resolve_to_the_expected_state() {
    let mut checked = 0;
    for (name, log, expected) in scenarios().into_iter().filter(|(n, ..)| !n.starts_with("negative-")) {
        let states = futures::executor::block_on(verify_log(Method::WebVh, &log, chrono::Utc::now()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let last = states.last().unwrap();
        let meta = &expected["didDocumentMetadata"];
        assert_eq!(last.version_id, meta["versionId"].as_str().unwrap(), "{name}");
        assert_eq!(last.version_number, meta["versionNumber"].as_u64().unwrap(), "{name}");
        assert_eq!(
            didam_credential::proof::xsd_datetime(last.created),
            meta["created"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(last.deactivated, meta["deactivated"].as_bool().unwrap_or(false), "{name}");
        let doc = &expected["didDocument"];
        assert_eq!(last.document["id"], doc["id"], "{name}");
        assert_eq!(last.document["verificationMethod"], doc["verificationMethod"], "{name}");
        checked += 1;
    }
    assert_eq!(checked, 11);
}

#[test]
fn negative_logs_are_refused_with_the_expected_error() {
    let mut checked = 0;
    for (name, log, expected) in scenarios().into_iter().filter(|(n, ..)| n.starts_with("negative-")) {
        let want = expected["didResolutionMetadata"]["error"].as_str().unwrap();
        match futures::executor::block_on(verify_log(Method::WebVh, &log, chrono::Utc::now())) {
            Ok(_) => panic!("{name}: accepted, expected {want}"),
            Err(e) => assert_eq!(e.code(), want, "{name}: {e}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 10);
}
