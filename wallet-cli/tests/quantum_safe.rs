//! ML-DSA-44 through the real `didam` binary, on a real wallet and embedded
//! ledger: `did create --key-type ml-dsa-44` (did:didam beside an Ed25519 key,
//! and did:key), `vc issue --suite mldsa44-rdfc-2024` / `mldsa44-jcs-2024`,
//! and `vc verify` saying the proof is quantum-safe.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::json;

mod common;

use common::{Home, code, text};

#[test]
fn ml_dsa_dids_issue_quantum_safe_credentials_and_the_report_says_so() {
    let h = Home::new("pq");
    h.init("issuer");
    let created = h.json("issuer", &["did", "create", "--key-type", "ed25519,ml-dsa-44", "--json"]);
    let did = created["did"].as_str().unwrap().to_owned();
    let resolved = h.json("issuer", &["did", "resolve", &did]);
    let methods = resolved["didDocument"]["verificationMethod"].as_array().unwrap();
    assert!(
        methods.iter().any(|m| m["publicKeyMultibase"].as_str().unwrap().starts_with("ukC")),
        "an ML-DSA-44 Multikey (base64url, 0x1210): {resolved}"
    );
    let key_did =
        h.json("issuer", &["did", "create", "--method", "key", "--key-type", "ml-dsa-44", "--json"]);
    let key_did = key_did["did"].as_str().unwrap().to_owned();
    assert!(key_did.starts_with("did:key:ukC"), "{key_did}");
    let resolved = h.json("issuer", &["did", "resolve", &key_did]);
    assert_eq!(resolved["didDocument"]["id"], key_did);

    h.degree_unsigned();
    for (issuer, suite) in [(&did, "mldsa44-rdfc-2024"), (&key_did, "mldsa44-jcs-2024")] {
        let vc = h.p(&format!("{suite}.json"));
        h.ok(
            "issuer",
            &["vc", "issue", &h.p("unsigned.json"), "--issuer", issuer, "--suite", suite, "--out", &vc],
        );
        let out = h.run("issuer", &["vc", "verify", &vc]);
        let shown = text(&out.stdout);
        assert_eq!(code(&out), 0, "{shown}{}", text(&out.stderr));
        assert!(shown.contains(&format!("ok   proof              suite {suite} (quantum-safe)")), "{shown}");
        let report = h.json("issuer", &["vc", "verify", "--json", &vc]);
        let proof = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == "proof").unwrap();
        assert_eq!(proof["security"], "quantum-safe", "{report}");
        assert_eq!(report["securing"]["suites"][0], suite);
    }

    // An ML-DSA suite with an issuer that has no ML-DSA key: refused, naming the key type.
    let ed_only = h.json("issuer", &["did", "create", "--method", "key", "--key-type", "ed25519", "--json"]);
    let out = h.run(
        "issuer",
        &[
            "vc",
            "issue",
            &h.p("unsigned.json"),
            "--issuer",
            ed_only["did"].as_str().unwrap(),
            "--suite",
            "mldsa44-rdfc-2024",
        ],
    );
    assert_ne!(code(&out), 0);
    assert!(text(&out.stderr).contains("ml-dsa-44"), "{}", text(&out.stderr));
}

/// Issue 21, Deliver 3 and 5 through the real binary: a did:didam created
/// with Ed25519 control moves to hybrid control (`did rotate --control
/// ed25519,ml-dsa-44`) without changing its identifier; from then on every
/// change carries both signatures; it adds an ML-DSA-44 signing key and
/// issues an `mldsa44-rdfc-2024` credential that verifies. The resolution
/// metadata says how the DID is controlled at each step.
#[test]
fn a_classical_did_migrates_to_hybrid_control_and_issues_quantum_safe_credentials() {
    let h = Home::new("pq-migrate");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let control = |h: &Home| h.json("w", &["did", "resolve", &did])["didDocumentMetadata"]["control"].clone();
    assert_eq!(
        control(&h),
        json!({ "security": "classical", "updateKeyTypes": ["ed25519"], "nextKeyTypes": ["ed25519"] })
    );

    // The move: signed by the Ed25519 key committed at creation, committing
    // to one key of each type.
    let moved = h.json("w", &["did", "rotate", &did, "--control", "ed25519,ml-dsa-44", "--json"]);
    assert_eq!(moved["did"], did.as_str(), "{moved}");
    assert_eq!(
        control(&h),
        json!({ "security": "classical", "updateKeyTypes": ["ed25519"], "nextKeyTypes": ["ed25519", "ml-dsa-44"] })
    );
    // The next change is signed by both.
    h.ok("w", &["did", "rotate", &did]);
    assert_eq!(
        control(&h),
        json!({ "security": "hybrid", "updateKeyTypes": ["ed25519", "ml-dsa-44"], "nextKeyTypes": ["ed25519", "ml-dsa-44"] })
    );
    let log = h.json("w", &["did", "resolve", &did]);
    assert_eq!(log["didDocument"]["id"], did.as_str());

    // An ML-DSA-44 signing key, then a quantum-safe credential.
    h.ok("w", &["did", "update", &did, "--new-keys", "ed25519,ml-dsa-44"]);
    h.degree_unsigned();
    let vc = h.p("pq.json");
    h.ok(
        "w",
        &[
            "vc",
            "issue",
            &h.p("unsigned.json"),
            "--issuer",
            &did,
            "--suite",
            "mldsa44-rdfc-2024",
            "--out",
            &vc,
        ],
    );
    let report = h.json("w", &["vc", "verify", "--json", &vc]);
    let proof = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == "proof").unwrap();
    assert_eq!(proof["security"], "quantum-safe", "{report}");

    // Back to one algorithm is the owner's choice too (both keys sign it).
    h.ok("w", &["did", "rotate", &did, "--control", "ml-dsa-44"]);
    h.ok("w", &["did", "rotate", &did]);
    assert_eq!(control(&h)["security"], "quantum-safe");

    // A control set no entry can be signed with: refused before anything.
    let version = control(&h);
    for bad in ["p256", "ml-dsa-44,ml-dsa-44"] {
        let out = h.run("w", &["did", "rotate", &did, "--control", bad]);
        let said = text(&out.stderr);
        assert_eq!(code(&out), 2, "a usage error: {said}");
        assert!(said.contains("no set of update key types"), "{said}");
        assert!(said.contains("hint: give --control `ed25519`, `ml-dsa-44`"), "{said}");
    }
    let out = h.run("w", &["did", "create", "--control", "ed25519,ed25519"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert_eq!(control(&h), version, "nothing changed");
}
