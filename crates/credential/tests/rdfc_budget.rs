//! RDFC-1.0's work budget: a poison graph (a clique of look-alike blank
//! nodes) stops with [`CanonError::Budget`] and fails the proof check; a
//! credential with a few look-alike blank nodes still canonicalizes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run;
use didam_credential::canon::{self, CanonError, HNDQ_CALL_LIMIT, HashAlgorithm};
use didam_credential::did::{self, OfflineResolver};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::verify::{self, Input, VerifyOptions};
use didam_credential::{CheckKind, KeyType, SecretKey, Suite};
use serde_json::{Value, json};

/// `test-vectors/rdfc-poison/clique.json`: ten blank-node subjects, each
/// linked to all the others, under a proof that cannot verify.
fn clique() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/rdfc-poison/clique.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unsecured(doc: &Value) -> Value {
    let mut doc = doc.clone();
    doc.as_object_mut().unwrap().remove("proof");
    doc
}

#[test]
fn a_clique_of_blank_nodes_exceeds_the_budget_with_either_hash() {
    let doc = unsecured(&clique());
    for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let err = run(canon::rdfc_with(&doc, hash)).unwrap_err();
        assert!(
            matches!(err, CanonError::Budget { limit, .. } if limit == HNDQ_CALL_LIMIT),
            "{hash:?}: {err}"
        );
        assert!(err.to_string().contains("work budget"), "{err}");
        assert!(std::error::Error::source(&err).is_some(), "the canonicaliser's error is kept");
    }
}

#[test]
fn a_poison_credential_fails_its_proof_check_with_the_budget_error() {
    let verified = run(verify::verify(&Input::Json(clique()), &OfflineResolver, &VerifyOptions::default()))
        .expect("checked, not an error");
    let report = verified.report;
    assert!(!report.is_valid(), "{report}");
    let signature =
        report.failures().find(|c| c.check == CheckKind::Signature).expect("a failed signature check");
    assert!(signature.detail.contains("exceeded its work budget"), "{report}");
}

/// A few look-alike blank nodes (identical objects) need Hash N-Degree Quads
/// calls, well within the budget: such credentials sign and verify with
/// both hashes.
#[test]
fn look_alike_blank_nodes_stay_within_the_budget() {
    let same = json!({ "type": "ExampleAward", "name": "Prize" });
    for key_type in [KeyType::P256, KeyType::P384] {
        let key = SecretKey::generate(key_type);
        let (issuer, vm) = did::did_key(&key.public_key());
        let credential = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"],
            "issuer": issuer,
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": { "id": "did:example:alice", "award": [same, same, same, same, same, same] }
        });
        let unsigned = unsecured(&credential);
        run(canon::rdfc_with(&unsigned, HashAlgorithm::Sha384)).unwrap();
        let signed =
            run(proof::add_proof(&credential, &key, &ProofOptions::assertion(Suite::EcdsaRdfc2019, &vm)))
                .unwrap();
        let report = run(verify::verify(&Input::Json(signed), &OfflineResolver, &VerifyOptions::default()))
            .unwrap()
            .report;
        assert!(report.is_valid(), "{key_type}: {report}");
    }
}
