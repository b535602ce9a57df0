//! A verification policy that requires quantum-safe or hybrid signatures
//! (issue 21, Deliver 6; `signature_security` in a policy file): a
//! credential signed only with Ed25519 fails it, one with ML-DSA-44 passes
//! `quantum-safe` but not `hybrid`, and a proof set of both passes `hybrid`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::{KeyType, Outcome, ProofOptions, Report, SecretKey, Suite, proof};
use didam_verifier::{CheckKind, Policy, RequiredSecurity, Verifier};
use serde_json::{Value, json};

fn signed(issuer: &str, key: &SecretKey, suite: Suite) -> Value {
    let (_, method) = did::did_key(&key.public_key());
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
    });
    run(proof::add_proof(&unsigned, key, &ProofOptions::assertion(suite, method))).unwrap()
}

fn verified(doc: &Value, required: Option<RequiredSecurity>) -> Report {
    let mut policy = Policy::default();
    policy.signature_security = required;
    let verifier = Verifier::new(OfflineResolver).at(chrono::Utc::now()).with_policy(policy);
    run(verifier.verify_credential(&doc.to_string())).unwrap()
}

fn security_check(report: &Report) -> Option<(Outcome, String)> {
    report
        .checks
        .iter()
        .find(|c| c.check == CheckKind::SignatureSecurity)
        .map(|c| (c.outcome, c.detail.clone()))
}

#[test]
fn classical_credentials_fail_a_quantum_safe_policy_and_ml_dsa_ones_pass() {
    let ed = SecretKey::generate(KeyType::Ed25519);
    let (ed_issuer, _) = did::did_key(&ed.public_key());
    let classical = signed(&ed_issuer, &ed, Suite::EddsaRdfc2022);
    assert!(security_check(&verified(&classical, None)).is_none(), "no check unless the policy asks");
    assert!(verified(&classical, None).is_valid());
    let report = verified(&classical, Some(RequiredSecurity::QuantumSafe));
    let (outcome, detail) = security_check(&report).unwrap();
    assert_eq!(outcome, Outcome::Failed, "{detail}");
    assert!(detail.contains("requires quantum-safe signatures; this has classical"), "{detail}");
    assert!(!report.is_valid());

    let ml = SecretKey::generate(KeyType::MlDsa44);
    let (ml_issuer, _) = did::did_key(&ml.public_key());
    let quantum = signed(&ml_issuer, &ml, Suite::Mldsa44Rdfc2024);
    let report = verified(&quantum, Some(RequiredSecurity::QuantumSafe));
    assert_eq!(security_check(&report).unwrap().0, Outcome::Passed);
    assert!(report.is_valid(), "{report}");
    let (outcome, detail) = security_check(&verified(&quantum, Some(RequiredSecurity::Hybrid))).unwrap();
    assert_eq!(outcome, Outcome::Failed, "{detail}");
}

#[test]
fn a_proof_set_of_both_families_is_hybrid() {
    let (ml, ed) = (SecretKey::generate(KeyType::MlDsa44), SecretKey::generate(KeyType::Ed25519));
    let (issuer, _) = did::did_key(&ml.public_key());
    let mut both = signed(&issuer, &ml, Suite::Mldsa44Rdfc2024);
    let classical = signed(&issuer, &ed, Suite::EddsaRdfc2022);
    both["proof"] = json!([both["proof"].clone(), classical["proof"].clone()]);
    let (outcome, detail) = security_check(&verified(&both, Some(RequiredSecurity::Hybrid))).unwrap();
    assert_eq!(outcome, Outcome::Passed, "{detail}");
    assert!(detail.contains("quantum-safe") && detail.contains("classical"), "{detail}");
    // A forged classical half does not count: the hybrid check sees only
    // signatures that verified.
    let mut forged = both.clone();
    forged["proof"][1]["proofValue"] =
        classical["proof"]["proofValue"].as_str().unwrap().replacen('z', "z1", 1).into();
    let report = verified(&forged, Some(RequiredSecurity::Hybrid));
    assert!(!report.is_valid());
    assert_eq!(security_check(&report).unwrap().0, Outcome::Failed, "{report}");
}
