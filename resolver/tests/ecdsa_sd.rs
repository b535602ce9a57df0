//! `ecdsa-sd-2023` through the real daemon's VC API: the W3C vector's derived
//! credential (signed by a key that is not its issuer's) refused under the
//! default policy and accepted with a warning under `issuer_key_binding =
//! "warn"`; the W3C suite's malformed derived proofs answered 422
//! `PROOF_VERIFICATION_ERROR`; and a P-384 issuer's base proof derived by
//! `POST /credentials/derive` and verified.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Daemon, client, temp_dir};
use didam_credential::ecdsa_sd::{self, DerivedProofValue};
use didam_credential::selective::JsonPointer;
use didam_credential::{KeyType, ProofOptions, SecretKey, Suite, did};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROOF_VERIFICATION_ERROR: &str = "https://w3id.org/security#PROOF_VERIFICATION_ERROR";

async fn post(d: &Daemon, path: &str, body: &Value) -> (StatusCode, Value) {
    let request = client().post(d.url(path)).json(body);
    let response = request.bearer_auth(common::TOKEN).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn verify(d: &Daemon, document: &Value) -> (StatusCode, Value) {
    post(d, "/credentials/verify", &json!({ "verifiableCredential": document })).await
}

/// The W3C vector's derived credential: issuer `did:key:zDnaegE6…`, signed
/// by `did:key:zDnaepBu…`.
fn vector() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../test-vectors/ecdsa-sd-2023/employ/derivedRevealDocument.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A daemon whose policy file says `issuer_key_binding = "warn"`.
fn relaxed(name: &str) -> Daemon {
    let policy = temp_dir(&format!("{name}-policy")).join("policy.toml");
    std::fs::write(&policy, "issuer_key_binding = \"warn\"\n").unwrap();
    Daemon::start(name, &["--policy", policy.to_str().unwrap()])
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
async fn an_unbound_signing_key_is_refused_by_default_and_a_warning_when_the_policy_says_so() {
    let derived = vector();
    let signer = derived["proof"]["verificationMethod"].as_str().unwrap().to_owned();

    let strict = Daemon::start("sd-binding-default", &[]);
    let (status, body) = verify(&strict, &derived).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(errors(&body), [(PROOF_VERIFICATION_ERROR, "issuer-key")], "{body}");

    let lax = relaxed("sd-binding-warn");
    let (status, body) = verify(&lax, &derived).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true, "{body}");
    let warnings = body["warnings"].as_array().unwrap();
    let warning = warnings.iter().find(|w| w["title"] == "issuer-key").expect("an issuer-key warning");
    assert_eq!(warning["type"], "urn:didam:problem:check:issuer-key", "{body}");
    assert!(warning["detail"].as_str().unwrap().contains(&signer), "{body}");
    let check = body["report"]["checks"].as_array().unwrap().iter().find(|c| c["check"] == "issuer-key");
    assert_eq!(check.unwrap()["outcome"], "warning", "{body}");
    // A tampered credential still fails under the relaxed policy.
    let mut tampered = derived.clone();
    tampered["credentialSubject"]["birthCountry"] = json!("Atlantis");
    let (status, body) = verify(&lax, &tampered).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(errors(&body), [(PROOF_VERIFICATION_ERROR, "signature")], "{body}");
}

/// The four malformations of the W3C vc-di-ecdsa suite, each a 422 whose
/// one error is the `signature` check's `PROOF_VERIFICATION_ERROR`.
#[tokio::test(flavor = "multi_thread")]
async fn the_w3c_suites_malformed_derived_proofs_are_proof_verification_errors() {
    let derived = vector();
    let proof_value = derived["proof"]["proofValue"].as_str().unwrap().to_owned();
    let with_value = |value: String| {
        let mut out = derived.clone();
        out["proof"]["proofValue"] = json!(value);
        out
    };
    let mut fewer = DerivedProofValue::decode(&proof_value).unwrap();
    fewer.signatures.remove(0);
    // The base signature (the first component, after the header and the
    // array's head byte) wrapped in CBOR tag 64.
    let tagged = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut bytes = b64.decode(&proof_value[1..]).unwrap();
        assert_eq!(bytes[..6], [0xd9, 0x5d, 0x01, 0x85, 0x58, 0x40], "header, array of 5, 64-byte string");
        bytes.splice(4..4, [0xd8, 0x40]);
        format!("u{}", b64.encode(bytes))
    };
    let cases = [
        ("a signature dropped", with_value(fewer.encode()), "signatures for"),
        ("no multibase `u`", with_value(proof_value[1..].to_owned()), "multibase"),
        ("no header", with_value(format!("u{}", &proof_value[4..])), "proof value"),
        ("a tagged component", with_value(tagged), "the base signature is not a byte string"),
    ];
    let d = relaxed("sd-malformed");
    let (status, body) = verify(&d, &derived).await;
    assert_eq!(status, StatusCode::OK, "the untouched vector: {body}");
    for (what, document, why) in cases {
        let (status, body) = verify(&d, &document).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_eq!(errors(&body), [(PROOF_VERIFICATION_ERROR, "signature")], "{what}: {body}");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains(why), "{what}: {body}");
    }
}

/// A P-384 issuer: base proof made by the engine, derived by the daemon's
/// `POST /credentials/derive`, verified by the daemon under its default
/// (strict) policy; a claim the holder did not disclose is absent.
#[tokio::test(flavor = "multi_thread")]
async fn a_p384_base_proof_is_derived_and_verified_by_the_daemon() {
    let key = SecretKey::generate(KeyType::P384);
    let (issuer, method) = did::did_key(&key.public_key());
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc", "birthDate": "1990-01-01" }
    });
    let options = ProofOptions {
        mandatory_pointers: JsonPointer::parse_list(&["/issuer"]).unwrap(),
        ..ProofOptions::assertion(Suite::EcdsaSd2023, method)
    };
    let base = ecdsa_sd::add_base_proof(&credential, &key, &options).await.unwrap();
    let d = Daemon::start("sd-p384", &[]);
    let request = json!({
        "verifiableCredential": base,
        "options": { "selectivePointers": ["/credentialSubject/degree", "/credentialSubject/id"] }
    });
    let (status, body) = post(&d, "/credentials/derive", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let derived = &body["verifiableCredential"];
    assert!(derived["credentialSubject"].get("birthDate").is_none(), "{derived}");
    let (status, body) = verify(&d, derived).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let disclosed = body["report"]["disclosed"].as_array().unwrap();
    assert!(disclosed.contains(&json!("/credentialSubject/degree")), "{body}");
    assert!(!body.to_string().contains("birthDate"), "{body}");
    // The base proof itself is for the holder: the verifier refuses it.
    let (status, body) = verify(&d, &base).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
