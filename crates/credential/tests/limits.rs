//! Issue 18: every input is held to the engine's limits before any
//! expensive step, with a typed error naming the limit; a cancelled
//! verification stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::limits::{Cancellation, Limit, Limits};
use didam_credential::verify::{self, Input, Verified, VerifyOptions};
use didam_credential::{CheckKind, Error, KeyType, Outcome, SecretKey, jose};
use serde_json::{Value, json};
use sha2::Digest as _;

fn credential(subject: Value) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": subject
    })
}

fn verify_text(text: &str, options: &VerifyOptions) -> Result<Verified, Error> {
    run(verify::verify_text(text, &OfflineResolver, options))
}

/// The limit a verification was refused by.
fn refused_by(outcome: Result<Verified, Error>) -> Limit {
    match outcome {
        Err(Error::Limit(e)) => {
            assert!(e.found > e.limit, "{e}");
            e.what
        }
        Err(e) => panic!("refused, but not by a limit: {e}"),
        Ok(v) => panic!("not refused: {:?}", v.report),
    }
}

/// An SD-JWT signed by `key` whose `depth` disclosures each hold the digest
/// of the next (the innermost holds `"leaf"`).
fn nested_sd_jwt(key: &SecretKey, depth: usize) -> String {
    let (issuer, method) = did::did_key(&key.public_key());
    let mut disclosures = Vec::new();
    let mut inner = json!("leaf");
    for i in (1..=depth).rev() {
        let disclosure = B64URL.encode(json!([format!("salt{i}"), "a", inner]).to_string());
        inner = json!({ "_sd": [B64URL.encode(sha2::Sha256::digest(disclosure.as_bytes()))] });
        disclosures.push(disclosure);
    }
    disclosures.reverse();
    let mut payload = credential(inner);
    payload["issuer"] = json!(issuer);
    payload["_sd_alg"] = json!("sha-256");
    let jwt = jose::sign(&payload, key, &method, "vc+sd-jwt").unwrap();
    format!("{jwt}~{}~", disclosures.join("~"))
}

/// See: issue 18 (an SD-JWT whose disclosures nest 1,600 deep aborted the
/// daemon with a stack overflow).
#[test]
fn r18_sd_jwt_nested_disclosures_are_bounded() {
    let key = SecretKey::generate(KeyType::Ed25519);
    let options = VerifyOptions::default();
    // 1,600 disclosures: over the count, refused before anything is revealed.
    assert_eq!(refused_by(verify_text(&nested_sd_jwt(&key, 1600), &options)), Limit::Disclosures);
    // 100: within the count, refused when the reveal reaches the depth limit.
    assert_eq!(refused_by(verify_text(&nested_sd_jwt(&key, 100), &options)), Limit::Depth);
    // A few levels are revealed as before.
    let verified = verify_text(&nested_sd_jwt(&key, 3), &options).unwrap();
    let disclosures = verified.report.checks.iter().find(|c| c.check == CheckKind::Disclosures).unwrap();
    assert_eq!(disclosures.outcome, Outcome::Passed, "{:?}", verified.report);
    assert_eq!(verified.document["credentialSubject"]["a"]["a"]["a"], "leaf");
}

#[test]
fn r18_deep_json_ld_is_refused_before_parsing_and_as_a_value() {
    let mut subject = json!({ "id": "did:example:alice" });
    for _ in 0..40 {
        subject = json!({ "id": "did:example:alice", "knows": subject });
    }
    let doc = credential(subject);
    let options = VerifyOptions::default();
    assert_eq!(refused_by(verify_text(&doc.to_string(), &options)), Limit::Depth);
    // A document built in memory is held to the same limit.
    let outcome = run(verify::verify(&Input::Json(doc.clone()), &OfflineResolver, &options));
    assert_eq!(refused_by(outcome), Limit::Depth);
    // Deeper than serde_json parses: still the typed error, not a parse error.
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(refused_by(verify_text(&deep, &options)), Limit::Depth);
    // Limits are the caller's to raise.
    let options =
        VerifyOptions { limits: Limits { max_depth: 64, ..Limits::default() }, ..Default::default() };
    assert!(verify_text(&doc.to_string(), &options).is_ok());
}

#[test]
fn r18_many_proofs_contexts_and_blank_nodes_are_refused() {
    let options = VerifyOptions::default();
    let mut proofs = credential(json!({ "id": "did:example:alice" }));
    let proof = json!({ "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "proofValue": "z1" });
    proofs["proof"] = Value::Array(vec![proof; 17]);
    assert_eq!(refused_by(verify_text(&proofs.to_string(), &options)), Limit::Proofs);

    let mut contexts = credential(json!({ "id": "did:example:alice" }));
    contexts["@context"] = Value::Array(vec![json!("https://www.w3.org/ns/credentials/v2"); 65]);
    assert_eq!(refused_by(verify_text(&contexts.to_string(), &options)), Limit::Contexts);

    let nodes: Vec<Value> = (0..2001).map(|i| json!({ "name": i })).collect();
    let blank = credential(json!({ "id": "did:example:alice", "knows": nodes }));
    assert_eq!(refused_by(verify_text(&blank.to_string(), &options)), Limit::BlankNodes);
    // Named as blank nodes (`_:b…`), they are still blank nodes.
    let labelled: Vec<Value> = (0..2001).map(|i| json!({ "id": format!("_:b{i}"), "name": i })).collect();
    let blank = credential(json!({ "id": "did:example:alice", "knows": labelled }));
    assert_eq!(refused_by(verify_text(&blank.to_string(), &options)), Limit::BlankNodes);
}

#[test]
fn r18_huge_documents_are_refused_in_every_format() {
    let options = VerifyOptions::default();
    let big = "x".repeat(Limits::DEFAULT_MAX_BYTES);
    let doc = credential(json!({ "id": "did:example:alice", "name": big }));
    assert_eq!(refused_by(verify_text(&doc.to_string(), &options)), Limit::Bytes);
    let key = SecretKey::generate(KeyType::Ed25519);
    let jws = jose::sign(&doc, &key, "did:example:issuer#key", "vc+jwt").unwrap();
    assert_eq!(refused_by(verify_text(&jws, &options)), Limit::Bytes);
    let input = Input::Jws(jws);
    assert_eq!(refused_by(run(verify::verify(&input, &OfflineResolver, &options))), Limit::Bytes);
}

#[test]
fn a_cancelled_verification_stops() {
    let cancel = Cancellation::new();
    cancel.cancel();
    let options = VerifyOptions { cancel, ..Default::default() };
    let doc = credential(json!({ "id": "did:example:alice" }));
    assert!(matches!(verify_text(&doc.to_string(), &options), Err(Error::Cancelled)));
}
