//! Issue and verify with every suite, key type and data-model version; and
//! presentations with challenge and domain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run;
use didam_credential::did::{self, OfflineResolver, ProofPurpose};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::verify::{self, Input, VerifyOptions};
use didam_credential::{CheckKind, KeyType, Report, SecretKey, Suite};
use serde_json::{Value, json};

fn credential_v2(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2024-01-01T00:00:00Z",
        "validUntil": "2099-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": { "type": "ExampleBachelorDegree", "name": "BSc" } }
    })
}

fn credential_v1(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuer": issuer,
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": { "type": "BachelorDegree", "name": "BSc" } }
    })
}

fn check(doc: &Value, options: &VerifyOptions) -> Report {
    run(verify::verify(&Input::Json(doc.clone()), &OfflineResolver, options)).unwrap().report
}

#[test]
fn every_suite_and_key_type_round_trips_in_both_data_models() {
    let cases = [
        (Suite::EddsaRdfc2022, KeyType::Ed25519),
        (Suite::EddsaJcs2022, KeyType::Ed25519),
        (Suite::EcdsaRdfc2019, KeyType::P256),
        (Suite::EcdsaRdfc2019, KeyType::P384),
        (Suite::EcdsaJcs2019, KeyType::P256),
        (Suite::EcdsaJcs2019, KeyType::P384),
        (Suite::Ed25519Signature2020, KeyType::Ed25519),
    ];
    for (suite, key_type) in cases {
        let key = SecretKey::generate(key_type);
        let (issuer, vm) = did::did_key(&key.public_key());
        for credential in [credential_v2(&issuer), credential_v1(&issuer)] {
            let signed =
                run(proof::add_proof(&credential, &key, &ProofOptions::assertion(suite, &vm))).unwrap();
            let report = check(&signed, &VerifyOptions::default());
            assert!(report.is_valid(), "{suite} {key_type}: {report}");
            let mut tampered = signed.clone();
            tampered["credentialSubject"]["degree"]["name"] = json!("PhD");
            let report = check(&tampered, &VerifyOptions::default());
            assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Signature), "{suite} {key_type}");
        }
    }
}

#[test]
fn a_key_of_the_wrong_type_is_refused_for_signing() {
    let key = SecretKey::generate(KeyType::P256);
    let (issuer, vm) = did::did_key(&key.public_key());
    let err = run(proof::add_proof(
        &credential_v2(&issuer),
        &key,
        &ProofOptions::assertion(Suite::EddsaJcs2022, vm),
    ));
    assert!(matches!(err, Err(didam_credential::Error::KeyMismatch { .. })));
}

#[test]
fn proof_with_another_key_in_the_same_did_is_not_authorised() {
    // The proof names a method the issuer's DID document does not contain.
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, _) = did::did_key(&key.public_key());
    let vm = format!("{issuer}#not-a-key");
    let signed = run(proof::add_proof(
        &credential_v2(&issuer),
        &key,
        &ProofOptions::assertion(Suite::EddsaJcs2022, vm),
    ))
    .unwrap();
    let report = check(&signed, &VerifyOptions::default());
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::KeyAuthorization), "{report}");
}

#[test]
fn expired_and_not_yet_valid_credentials_are_reported() {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, vm) = did::did_key(&key.public_key());
    let mut credential = credential_v2(&issuer);
    credential["validUntil"] = json!("2024-06-01T00:00:00Z");
    let signed =
        run(proof::add_proof(&credential, &key, &ProofOptions::assertion(Suite::EddsaRdfc2022, &vm)))
            .unwrap();
    let report = check(&signed, &VerifyOptions::default());
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::ValidUntil), "{report}");

    let early = VerifyOptions { now: "2023-06-01T00:00:00Z".parse().ok(), ..Default::default() };
    let mut fresh = credential_v2(&issuer);
    fresh["validFrom"] = json!("2024-01-01T00:00:00Z");
    let signed =
        run(proof::add_proof(&fresh, &key, &ProofOptions::assertion(Suite::EddsaRdfc2022, &vm))).unwrap();
    let report = check(&signed, &early);
    assert!(report.failures().any(|c| c.check == CheckKind::ValidFrom), "{report}");
}

#[test]
fn presentations_carry_challenge_and_domain() {
    let issuer_key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, issuer_vm) = did::did_key(&issuer_key.public_key());
    let holder_key = SecretKey::generate(KeyType::P256);
    let (holder, holder_vm) = did::did_key(&holder_key.public_key());
    let vc = run(proof::add_proof(
        &credential_v2(&issuer),
        &issuer_key,
        &ProofOptions::assertion(Suite::EddsaRdfc2022, issuer_vm),
    ))
    .unwrap();
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [vc],
    });
    for suite in [Suite::EcdsaRdfc2019, Suite::EcdsaJcs2019] {
        let options = ProofOptions {
            proof_purpose: ProofPurpose::Authentication,
            challenge: Some("c-123".into()),
            domain: Some("verifier.example".into()),
            ..ProofOptions::assertion(suite, &holder_vm)
        };
        let signed = run(proof::add_proof(&vp, &holder_key, &options)).unwrap();
        let expect = |c: &str, d: &str| VerifyOptions {
            challenge: Some(c.into()),
            domain: Some(d.into()),
            ..Default::default()
        };
        let report = check(&signed, &expect("c-123", "verifier.example"));
        assert!(report.is_valid(), "{suite}: {report}");
        assert_eq!(report.kind.name(), "presentation");
        let wrong = check(&signed, &expect("c-999", "verifier.example"));
        assert!(wrong.failures().any(|c| c.check == CheckKind::Challenge), "{wrong}");
        let wrong = check(&signed, &expect("c-123", "evil.example"));
        assert!(wrong.failures().any(|c| c.check == CheckKind::Domain), "{wrong}");

        // A tampered credential inside the presentation is caught.
        let mut inner = signed.clone();
        inner["verifiableCredential"][0]["credentialSubject"]["degree"]["name"] = json!("PhD");
        let report = check(&inner, &expect("c-123", "verifier.example"));
        assert!(report.failures().any(|c| c.check == CheckKind::EmbeddedCredential), "{report}");
    }
    // An assertion proof does not authenticate a presentation.
    let assertion =
        run(proof::add_proof(&vp, &holder_key, &ProofOptions::assertion(Suite::EcdsaJcs2019, &holder_vm)))
            .unwrap();
    let report = check(&assertion, &VerifyOptions::default());
    assert!(report.failures().any(|c| c.check == CheckKind::ProofPurpose), "{report}");
}

#[test]
fn a_did_jwk_issuer_works_like_did_key() {
    let key = SecretKey::generate(KeyType::Secp256k1);
    let (issuer, vm) = did::did_jwk(&key.public_key());
    let jws = didam_credential::jose::sign(&credential_v2(&issuer), &key, &vm, "vc+jwt").unwrap();
    let report = run(verify::verify_text(&jws, &OfflineResolver, &VerifyOptions::default())).unwrap().report;
    assert!(report.is_valid(), "{report}");
}

#[test]
fn proof_chains_sign_the_proofs_they_name() {
    let first_key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, first_vm) = did::did_key(&first_key.public_key());
    let second_key = SecretKey::generate(KeyType::P256);
    let (_, second_vm) = did::did_key(&second_key.public_key());
    for (suite1, suite2) in
        [(Suite::EddsaRdfc2022, Suite::EcdsaRdfc2019), (Suite::EddsaJcs2022, Suite::EcdsaJcs2019)]
    {
        let first =
            ProofOptions { id: Some("urn:uuid:first".into()), ..ProofOptions::assertion(suite1, &first_vm) };
        let signed = run(proof::add_proof(&credential_v2(&issuer), &first_key, &first)).unwrap();
        let second = ProofOptions {
            previous_proof: vec!["urn:uuid:first".into()],
            ..ProofOptions::assertion(suite2, &second_vm)
        };
        let chained = run(proof::add_proof(&signed, &second_key, &second)).unwrap();
        assert_eq!(chained["proof"].as_array().unwrap().len(), 2);
        let report = check(&chained, &VerifyOptions::default());
        assert!(report.is_valid(), "{suite1}+{suite2}: {report}");

        // Changing the first proof breaks both: the second proof signed it.
        let mut tampered = chained.clone();
        tampered["proof"][0]["created"] = json!("2020-01-01T00:00:00Z");
        let report = check(&tampered, &VerifyOptions::default());
        assert_eq!(report.failures().filter(|c| c.check == CheckKind::Signature).count(), 2, "{report}");

        // Dropping the first proof leaves a chain with a missing link.
        let mut dropped = chained.clone();
        dropped["proof"] = json!([chained["proof"][1].clone()]);
        let report = check(&dropped, &VerifyOptions::default());
        assert!(report.failures().any(|c| c.check == CheckKind::Proof), "{report}");

        // A chain to a proof that is not there cannot be signed.
        let bad = ProofOptions { previous_proof: vec!["urn:uuid:none".into()], ..second.clone() };
        assert!(run(proof::add_proof(&signed, &second_key, &bad)).is_err());
    }
}

#[test]
fn sd_jwt_disclosures_must_match_their_digests() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let key = SecretKey::generate(KeyType::P384);
    let (issuer, vm) = did::did_key(&key.public_key());
    let disclosure = b64(br#"["salt-1","degreeName","BSc"]"#);
    let digest = b64(&sha2::Sha256::digest(disclosure.as_bytes()));
    let mut credential = credential_v2(&issuer);
    credential["credentialSubject"] = json!({ "id": "did:example:alice", "_sd": [digest] });
    credential["_sd_alg"] = json!("sha-256");
    let jwt = didam_credential::jose::sign(&credential, &key, &vm, "vc+sd-jwt").unwrap();
    let verify = |text: &str| {
        run(verify::verify_text(text, &OfflineResolver, &VerifyOptions::default())).unwrap().report
    };

    let report = verify(&format!("{jwt}~{disclosure}~"));
    assert!(report.is_valid(), "{report}");
    // Without the disclosure the claim stays hidden, and that is valid.
    assert!(verify(&format!("{jwt}~")).is_valid());
    // A disclosure the issuer did not commit to is refused.
    let forged = b64(br#"["salt-2","degreeName","PhD"]"#);
    let report = verify(&format!("{jwt}~{forged}~"));
    assert!(report.failures().any(|c| c.check == CheckKind::Disclosures), "{report}");
    // The same disclosure twice is refused.
    let report = verify(&format!("{jwt}~{disclosure}~{disclosure}~"));
    assert!(report.failures().any(|c| c.check == CheckKind::Disclosures), "{report}");
}

#[test]
fn verification_returns_the_document_it_checked_and_its_signers() {
    use base64::Engine as _;
    use didam_credential::Securing;
    use didam_credential::credential::DocumentKind;
    use sha2::Digest as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, vm) = did::did_key(&key.public_key());
    let options = VerifyOptions::default();

    // Data Integrity: the document as given, the proof's method, the suite.
    let signed = run(proof::add_proof(
        &credential_v2(&issuer),
        &key,
        &ProofOptions::assertion(Suite::EddsaJcs2022, &vm),
    ))
    .unwrap();
    let verified = run(verify::verify_text(&signed.to_string(), &OfflineResolver, &options)).unwrap();
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(verified.document, signed);
    assert_eq!(verified.signers, [vm.as_str()]);
    assert_eq!(verified.securing(), &Securing::DataIntegrity { suites: vec![Suite::EddsaJcs2022] });
    assert_eq!(verified.issuer(), Some(issuer.as_str()));
    assert_eq!(verified.kind(), DocumentKind::Credential);
    let json = serde_json::to_value(&verified.report).unwrap();
    assert_eq!(json["kind"], "credential");
    assert_eq!(json["securing"], json!({"type": "data-integrity", "suites": ["eddsa-jcs-2022"]}));

    // SD-JWT: the payload with the disclosures revealed, the kid made absolute.
    let disclosure = b64(br#"["salt-1","degreeName","BSc"]"#);
    let digest = b64(&sha2::Sha256::digest(disclosure.as_bytes()));
    let mut concealed = credential_v2(&issuer);
    concealed["credentialSubject"] = json!({ "id": "did:example:alice", "_sd": [digest] });
    concealed["_sd_alg"] = json!("sha-256");
    let fragment = vm.split_once('#').map(|(_, f)| format!("#{f}")).unwrap();
    concealed["iss"] = json!(issuer);
    let jwt = didam_credential::jose::sign(&concealed, &key, &fragment, "vc+sd-jwt").unwrap();
    let verified =
        run(verify::verify_text(&format!("{jwt}~{disclosure}~"), &OfflineResolver, &options)).unwrap();
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(
        verified.document["credentialSubject"],
        json!({ "id": "did:example:alice", "degreeName": "BSc" })
    );
    assert!(verified.document.get("_sd_alg").is_none());
    assert_eq!(verified.signers, [vm.as_str()]);
    assert_eq!(verified.subject_ids(), ["did:example:alice"]);

    // A presentation: each credential as verified, in order.
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": issuer,
        "verifiableCredential": [signed, didam_credential::jose::envelope(&didam_credential::jose::sign(&credential_v2(&issuer), &key, &vm, "vc+jwt").unwrap())],
    });
    let auth = ProofOptions {
        proof_purpose: ProofPurpose::Authentication,
        ..ProofOptions::assertion(Suite::EddsaRdfc2022, &vm)
    };
    let vp = run(proof::add_proof(&vp, &key, &auth)).unwrap();
    let verified = run(verify::verify_text(&vp.to_string(), &OfflineResolver, &options)).unwrap();
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(verified.kind(), DocumentKind::Presentation);
    assert_eq!(verified.holder(), Some(issuer.as_str()));
    assert_eq!(verified.credentials.len(), 2);
    assert_eq!(verified.credentials[0].document, signed);
    assert!(matches!(verified.credentials[1].securing(), Securing::Jose { .. }));
    assert_eq!(verified.credentials[1].document, credential_v2(&issuer));
}

/// Issue 17: `vc+jwt` and SD-JWT time claims were ignored, so a token that
/// expired in 2002 verified VALID.
#[test]
fn r17_jwt_exp_nbf_iat_are_checked_for_vc_jwt_and_sd_jwt() {
    let key = SecretKey::generate(KeyType::P256);
    let (issuer, vm) = did::did_key(&key.public_key());
    let verify = |text: &str| {
        run(verify::verify_text(text, &OfflineResolver, &VerifyOptions::default())).unwrap().report
    };
    let now = chrono::Utc::now().timestamp();
    let skew = verify::JWT_CLOCK_SKEW_SECONDS;
    for typ in ["vc+jwt", "vc+sd-jwt"] {
        let token = |claims: Value| {
            let mut credential = credential_v2(&issuer);
            credential.as_object_mut().unwrap().extend(claims.as_object().unwrap().clone());
            let jwt = didam_credential::jose::sign(&credential, &key, &vm, typ).unwrap();
            if typ == "vc+sd-jwt" { format!("{jwt}~") } else { jwt }
        };
        let fails = |claims: Value, kind: CheckKind| {
            let report = verify(&token(claims.clone()));
            assert!(!report.is_valid(), "{typ} {claims}: {report}");
            assert!(report.failures().all(|c| c.check == kind), "{typ} {claims}: only {kind:?}\n{report}");
        };
        // Expired in 2002 (2002-08-22).
        fails(json!({ "exp": 1_030_000_000 }), CheckKind::TokenExpires);
        fails(json!({ "nbf": now + 3600 }), CheckKind::TokenNotBefore);
        fails(json!({ "iat": now + 3600 }), CheckKind::TokenIssuedAt);
        fails(json!({ "exp": "tomorrow" }), CheckKind::TokenExpires);
        // Against the credential's validity: a token that ends before the credential starts.
        let report = verify(&token(json!({ "validFrom": "2098-01-01T00:00:00Z", "exp": 4_000_000_000_i64 })));
        assert!(
            report
                .failures()
                .any(|c| c.check == CheckKind::TokenExpires && c.detail.contains("before validFrom")),
            "{typ}: {report}"
        );
        // Within the skew, and a token good now, pass.
        let report = verify(&token(json!({ "iat": now + skew / 2, "nbf": now - 10, "exp": now + 3600 })));
        assert!(report.is_valid(), "{typ}: {report}");
        for kind in [CheckKind::TokenExpires, CheckKind::TokenNotBefore, CheckKind::TokenIssuedAt] {
            assert_eq!(report.of(kind).count(), 1, "{typ}: {kind:?}\n{report}");
        }
    }
}

/// Issue 17: a presentation verified without a challenge read VALID and the
/// report did not say that nothing prevents its replay.
#[test]
fn r17_a_presentation_without_a_challenge_shows_replay_protection_skipped() {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (holder, vm) = did::did_key(&key.public_key());
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
    });
    let options = ProofOptions {
        proof_purpose: ProofPurpose::Authentication,
        challenge: Some("c-1".into()),
        ..ProofOptions::assertion(Suite::EddsaRdfc2022, &vm)
    };
    let signed = run(proof::add_proof(&vp, &key, &options)).unwrap();
    let without = check(&signed, &VerifyOptions::default());
    let replay: Vec<_> = without.of(CheckKind::ReplayProtection).collect();
    assert_eq!(replay.len(), 1, "{without}");
    assert_eq!(replay[0].outcome, didam_credential::Outcome::NotApplicable, "{without}");
    assert!(replay[0].detail.contains("nothing prevents"), "{without}");
    let required = check(&signed, &VerifyOptions { require_challenge: true, ..Default::default() });
    assert!(!required.is_valid(), "{required}");
    assert_eq!(
        required.of(CheckKind::ReplayProtection).next().unwrap().outcome,
        didam_credential::Outcome::Failed,
        "{required}"
    );
    let with = check(
        &signed,
        &VerifyOptions { challenge: Some("c-1".into()), require_challenge: true, ..Default::default() },
    );
    assert!(with.is_valid(), "{with}");
    assert_eq!(
        with.of(CheckKind::ReplayProtection).next().unwrap().outcome,
        didam_credential::Outcome::Passed
    );
}

/// ecdsa-rdfc-2019 with our own P-384 key signs SHA-384 hashes of an RDFC-1.0
/// form that used SHA-384 inside (issue 17); P-256 keeps SHA-256.
#[test]
fn p384_rdfc_proofs_use_sha384_inside_rdfc() {
    let key = SecretKey::generate(KeyType::P384);
    let (issuer, vm) = did::did_key(&key.public_key());
    let credential = credential_v2(&issuer); // `degree` is a blank node
    let signed =
        run(proof::add_proof(&credential, &key, &ProofOptions::assertion(Suite::EcdsaRdfc2019, &vm)))
            .unwrap();
    assert!(check(&signed, &VerifyOptions::default()).is_valid());

    let mut config = signed["proof"].clone();
    let signature = multibase::decode(config["proofValue"].as_str().unwrap()).unwrap().1;
    config.as_object_mut().unwrap().remove("proofValue");
    config["@context"] = signed["@context"].clone();
    let unsigned = credential.clone();
    let suite = Suite::EcdsaRdfc2019;
    assert_eq!(suite.hash_algorithm(KeyType::P384), didam_credential::canon::HashAlgorithm::Sha384);
    assert_eq!(suite.hash_algorithm(KeyType::P256), didam_credential::canon::HashAlgorithm::Sha256);
    let data = run(proof::hash_data(suite, KeyType::P384, &config, &unsigned)).unwrap();
    assert_eq!(data.len(), 96, "two SHA-384 hashes");
    key.public_key().verify(&data, &signature).expect("signed over the SHA-384 RDFC-1.0 form");

    // RDFC-1.0's blank-node labels depend on its hash: a fixed document
    // shows it (a key-dependent one would differ only by chance).
    let mut fixed = credential_v2("did:example:issuer");
    fixed["credentialSubject"]["award"] = json!([{ "name": "A" }, { "name": "B" }, { "name": "C" }]);
    let sha256_doc = run(proof::canonical_form(suite, KeyType::P256, &fixed)).unwrap();
    let sha384_doc = run(proof::canonical_form(suite, KeyType::P384, &fixed)).unwrap();
    assert_ne!(sha256_doc, sha384_doc, "the labels depend on the hash");
}
