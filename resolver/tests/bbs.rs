//! `bbs-2023` through the real daemon's VC API: a wallet's BLS12-381 G2
//! did:key issues with `options.mandatoryPointers` (`POST
//! /credentials/issue`), the holder derives twice (`POST
//! /credentials/derive`), both derivations verify and share no proof bytes;
//! malformed derived proofs are 422 `PROOF_VERIFICATION_ERROR`; the W3C
//! vector's derived credential verifies under `issuer_key_binding = "warn"`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Daemon, did_key_wallet_of, issuer_flags, temp_dir, token_flag};
use didam_credential::KeyType;
use didam_credential::bbs::DerivedProofValue;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROOF_VERIFICATION_ERROR: &str = "https://w3id.org/security#PROOF_VERIFICATION_ERROR";

async fn post(d: &Daemon, path: &str, body: &Value) -> (StatusCode, Value) {
    let request = common::client().post(d.url(path)).json(body);
    let response = request.bearer_auth(common::TOKEN).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn verify(d: &Daemon, document: &Value) -> (StatusCode, Value) {
    post(d, "/credentials/verify", &json!({ "verifiableCredential": document })).await
}

async fn derive(d: &Daemon, base: &Value, pointers: &[&str]) -> Value {
    let request = json!({ "verifiableCredential": base, "options": { "selectivePointers": pointers } });
    let (status, body) = post(d, "/credentials/derive", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["verifiableCredential"].clone()
}

fn errors(body: &Value) -> Vec<(&str, &str)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["title"].as_str().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_issues_derives_and_verifies_unlinkable_bbs_2023_credentials() {
    let dir = temp_dir("bbs-issuer");
    let (wallet_dir, pass_file, issuer) = did_key_wallet_of(&dir, KeyType::Bls12381G2);
    assert!(issuer.starts_with("did:key:zUC7"), "{issuer}");
    let mut args = issuer_flags(&wallet_dir, &pass_file, &issuer);
    args.extend(token_flag());
    let d = Daemon::start("bbs-issue", &args.iter().map(String::as_str).collect::<Vec<_>>());

    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc", "birthDate": "1990-01-01" }
    });
    let options = json!({ "cryptosuite": "bbs-2023", "mandatoryPointers": ["/issuer", "/validFrom"] });
    let (status, body) =
        post(&d, "/credentials/issue", &json!({ "credential": unsigned, "options": options })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let base = body["verifiableCredential"].clone();
    assert_eq!(base["issuer"], issuer.as_str());
    assert_eq!(base["proof"]["cryptosuite"], "bbs-2023");
    // The base proof is for the holder: the verifier refuses it.
    let (status, body) = verify(&d, &base).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("base proof"), "{body}");

    let pointers = ["/credentialSubject/degree", "/credentialSubject/id"];
    let (first, second) = (derive(&d, &base, &pointers).await, derive(&d, &base, &pointers).await);
    for derived in [&first, &second] {
        assert!(derived["credentialSubject"].get("birthDate").is_none(), "{derived}");
        let (status, body) = verify(&d, derived).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let disclosed = body["report"]["disclosed"].as_array().unwrap();
        assert!(disclosed.contains(&json!("/credentialSubject/degree")), "{body}");
        assert!(!body.to_string().contains("1990-01-01"), "{body}");
    }
    let proof_of = |d: &Value| DerivedProofValue::decode(d["proof"]["proofValue"].as_str().unwrap()).unwrap();
    let (one, two) = (proof_of(&first), proof_of(&second));
    let windows: std::collections::HashSet<&[u8]> = one.bbs_proof.windows(16).collect();
    assert!(!two.bbs_proof.windows(16).any(|w| windows.contains(w)), "two derivations share proof bytes");

    // Malformed derived proofs: each a 422 whose one error is the signature check.
    let with = |change: &dyn Fn(&mut DerivedProofValue)| {
        let mut value = proof_of(&first);
        change(&mut value);
        let mut out = first.clone();
        out["proof"]["proofValue"] = json!(value.encode());
        out
    };
    let proof_value = first["proof"]["proofValue"].as_str().unwrap();
    let mut tampered = first.clone();
    tampered["credentialSubject"]["degree"] = json!("PhD");
    let cases = [
        ("a disclosed value changed", tampered, "does not verify"),
        (
            "no header",
            {
                let mut o = first.clone();
                o["proof"]["proofValue"] = json!(format!("u{}", &proof_value[4..]));
                o
            },
            "proof value",
        ),
        ("the proof cut short", with(&|v| v.bbs_proof.truncate(200)), "does not verify"),
        ("a selective index added", with(&|v| v.selective_indexes.push(7)), "selective indexes"),
        ("a mandatory index past the end", with(&|v| v.mandatory_indexes.push(999)), "mandatory indexes"),
    ];
    for (what, document, why) in cases {
        let (status, body) = verify(&d, &document).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_eq!(errors(&body), [(PROOF_VERIFICATION_ERROR, "signature")], "{what}: {body}");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains(why), "{what}: {body}");
    }
    // A pointer into nothing is a 422 problem, not a derivation.
    let request = json!({ "verifiableCredential": base, "options": { "selectivePointers": ["/nothing"] } });
    let (status, body) = post(&d, "/credentials/derive", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// The W3C windsurf vector's derived credential (the card in `prc/` has
/// expired): its issuer is a URL, not the
/// did:key that signed it, so the default policy refuses it (`issuer-key`)
/// and `issuer_key_binding = "warn"` accepts it with a warning.
#[tokio::test(flavor = "multi_thread")]
async fn the_w3c_derived_vector_verifies_when_the_policy_allows_an_unbound_key() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../test-vectors/bbs-2023/derivedRevealDocument.json");
    let derived: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let strict = Daemon::start("bbs-vector-strict", &[]);
    let (status, body) = verify(&strict, &derived).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(errors(&body), [(PROOF_VERIFICATION_ERROR, "issuer-key")], "{body}");
    let policy = temp_dir("bbs-vector-policy").join("policy.toml");
    std::fs::write(&policy, "issuer_key_binding = \"warn\"\n").unwrap();
    let lax = Daemon::start("bbs-vector-warn", &["--policy", policy.to_str().unwrap()]);
    let (status, body) = verify(&lax, &derived).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true, "{body}");
}
