//! Soundness regressions of issue 17 with the real `didam` binary, a real
//! wallet and a real embedded ledger.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::json;

mod common;

use common::{Home, code, text};

/// Issue 17: a credential signed by a key of a deactivated did:didam verified
/// VALID in `didam vc verify` (the daemon refused it). The engine's one rule
/// (`Resolution::verification_method`) now refuses it for both.
#[test]
fn r17_a_key_of_a_deactivated_did_is_refused_by_vc_verify() {
    let h = Home::new("deactivated");
    h.init("issuer");
    let issuer = h.json("issuer", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("issuer", &["ledger", "checkpoint"]);
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
    });
    std::fs::write(h.p("unsigned.json"), unsigned.to_string()).unwrap();
    let vc = h.p("vc.json");
    h.ok("issuer", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &issuer, "--out", &vc]);
    let before = h.run("issuer", &["vc", "verify", &vc]);
    assert_eq!(code(&before), 0, "{}{}", text(&before.stdout), text(&before.stderr));

    h.ok("issuer", &["did", "deactivate", &issuer]);
    h.ok("issuer", &["ledger", "checkpoint"]);
    let after = h.run("issuer", &["vc", "verify", &vc]);
    let out = text(&after.stdout) + &text(&after.stderr);
    assert_ne!(code(&after), 0, "a deactivated issuer's credential must not verify:\n{out}");
    assert!(out.contains("deactivated"), "the refusal names the reason:\n{out}");
}
