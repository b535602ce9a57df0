//! ML-DSA-44 keys and the quantum-safe Data Integrity suites, end to end in
//! the engine: keys from seeds agree with a second implementation (`fips204`),
//! each implementation verifies the other's signatures, every hostile key or
//! signature is a typed error or a failed check (never a panic), and both
//! suites issue and verify, with the report saying each proof is quantum-safe.
//! The published vectors are checked in `w3c_vectors.rs`; an independent
//! JavaScript implementation in `pq_interop.rs`.

mod common;

use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::limits::Limits;
use didam_credential::proof::{self, ProofOptions};
use didam_credential::verify::{self, VerifyOptions};
use didam_credential::{CheckKind, Error, KeyError, KeyType, PublicKey, SecretKey, Security, Suite};
use fips204::ml_dsa_44;
use fips204::traits::{KeyGen as _, SerDes as _, Signer as _, Verifier as _};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SUITES: [Suite; 2] = [Suite::Mldsa44Rdfc2024, Suite::Mldsa44Jcs2024];

fn credential(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "name": "Alice" }
    })
}

fn verify_doc(doc: &Value) -> Result<didam_credential::Report, Error> {
    run(verify::verify(&verify::Input::Json(doc.clone()), &OfflineResolver, &VerifyOptions::default()))
        .map(|v| v.report)
}

#[test]
fn keys_from_a_seed_match_fips204_key_generation() -> TestResult {
    for fill in [0u8, 7, 0xff] {
        let seed = [fill; 32];
        let ours = SecretKey::from_bytes(KeyType::MlDsa44, &seed)?;
        let (theirs, _) = ml_dsa_44::KG::keygen_from_seed(&seed);
        assert_eq!(ours.public_key().to_bytes(), theirs.into_bytes().to_vec());
        assert_eq!(ours.public_key().to_bytes().len(), 1312);
        assert_eq!(&**ours.to_bytes(), &seed[..], "the secret is the seed");
    }
    Ok(())
}

#[test]
fn each_implementation_verifies_the_others_signatures() -> TestResult {
    let key = SecretKey::generate(KeyType::MlDsa44);
    let public = key.public_key();
    let message = b"hashData: 64 bytes in the suites, any length here";
    let ours = key.sign(message);
    assert_eq!(ours.len(), 2420);
    let their_public = ml_dsa_44::PublicKey::try_from_bytes(public.to_bytes().as_slice().try_into()?)?;
    let ours_array: [u8; 2420] = ours.as_slice().try_into()?;
    assert!(their_public.verify(message, &ours_array, b""), "fips204 verifies ml-dsa's signature");
    assert!(!their_public.verify(b"another message", &ours_array, b""));

    let seed: [u8; 32] = key.to_bytes().as_slice().try_into()?;
    let (_, their_secret) = ml_dsa_44::KG::keygen_from_seed(&seed);
    let theirs = their_secret.try_sign_with_rng(&mut rand_core::OsRng, message, b"")?;
    public.verify(message, &theirs)?;
    // A signature under a non-empty context is not one under the empty context.
    let with_context = their_secret.try_sign_with_rng(&mut rand_core::OsRng, message, b"didam")?;
    assert_eq!(public.verify(message, &with_context), Err(KeyError::BadSignature));
    // Hedged: two signatures of one message differ, and both verify.
    let again = key.sign(message);
    assert_ne!(ours, again);
    public.verify(message, &again)?;
    Ok(())
}

#[test]
fn hostile_keys_and_signatures_are_errors_not_panics() -> TestResult {
    let key = SecretKey::generate(KeyType::MlDsa44);
    let public = key.public_key();
    let message = b"message";
    let good = key.sign(message);
    let mut one_bit = good.clone();
    one_bit[100] ^= 0x01;
    let mut hint_bytes = good.clone();
    // The hint's index bytes (the last 84 bytes, ω + k) set out of order.
    for b in hint_bytes.iter_mut().rev().take(84) {
        *b = 0xff;
    }
    for bad in [
        Vec::new(),
        good[..2419].to_vec(),
        [good.clone(), vec![0]].concat(),
        one_bit,
        hint_bytes,
        vec![0xff; 2420],
        vec![0; 1 << 20],
    ] {
        assert_eq!(public.verify(message, &bad), Err(KeyError::BadSignature), "{} bytes", bad.len());
    }
    for len in [0, 31, 33, 2560] {
        let err = SecretKey::from_bytes(KeyType::MlDsa44, &vec![1; len]).err();
        assert_eq!(err, Some(KeyError::InvalidSecretKey(KeyType::MlDsa44)), "{len}-byte secret");
    }
    for len in [0, 32, 1311, 1313, 2 * 1312] {
        let err = PublicKey::from_bytes(KeyType::MlDsa44, &vec![1; len]).err();
        assert_eq!(err, Some(KeyError::InvalidPublicKey(KeyType::MlDsa44)), "{len}-byte public key");
    }
    // A Multikey with the ML-DSA prefix and a truncated key.
    let mut truncated = public.to_multikey();
    truncated.truncate(100);
    assert!(PublicKey::from_multikey(&truncated).is_err());
    Ok(())
}

#[test]
fn multikey_did_key_and_jwk_encodings() -> TestResult {
    let key = SecretKey::generate(KeyType::MlDsa44);
    let public = key.public_key();
    let multikey = public.to_multikey();
    assert!(multikey.starts_with("ukC"), "{multikey}");
    let (base, bytes) = multibase::decode(&multikey)?;
    assert_eq!(base, multibase::Base::Base64Url);
    assert_eq!(&bytes[..2], &[0x90, 0x24]);
    assert_eq!(bytes.len(), 2 + 1312);
    // Reading is lenient on the base (base58btc, as did:webvh's experimental
    // PQC writes them): the same key.
    let z = multibase::encode(multibase::Base::Base58Btc, &bytes);
    assert_eq!(PublicKey::from_multikey(&z)?, public);

    let secret = key.to_multibase();
    assert!(secret.starts_with('u'));
    let (_, secret_bytes) = multibase::decode(&*secret)?;
    assert_eq!(&secret_bytes[..2], &[0x9a, 0x26], "mldsa-44-priv-seed");
    assert_eq!(secret_bytes.len(), 2 + 32);
    assert_eq!(SecretKey::from_multibase(&secret)?.public_key(), public);

    let (did, vm) = did::did_key(&public);
    assert_eq!(did, format!("did:key:{multikey}"));
    let resolved = run(did::DidResolver::resolve(&OfflineResolver, &did))?;
    assert_eq!(resolved.document.resolved_method(&vm)?.key, public);
    assert_eq!(resolved.document.as_json()["verificationMethod"][0]["publicKeyMultibase"], json!(multikey));

    let jwk = public.to_jwk();
    assert_eq!(jwk["kty"], "AKP");
    assert_eq!(jwk["alg"], "ML-DSA-44");
    assert_eq!(PublicKey::from_jwk(&jwk)?, public);
    let private: Value = serde_json::from_str(&key.to_jwk())?;
    assert!(private.get("priv").is_some() && private.get("d").is_none());
    assert_eq!(SecretKey::from_jwk(&private)?.public_key(), public);
    assert_eq!("ML-DSA-44".parse::<KeyType>()?, KeyType::MlDsa44);
    assert_eq!(KeyType::MlDsa44.security(), Security::QuantumSafe);
    assert_eq!(KeyType::Ed25519.security(), Security::Classical);
    Ok(())
}

#[test]
fn both_suites_issue_and_verify_and_the_report_says_quantum_safe() -> TestResult {
    let key = SecretKey::generate(KeyType::MlDsa44);
    let (issuer, vm) = did::did_key(&key.public_key());
    for suite in SUITES {
        let signed =
            run(proof::add_proof(&credential(&issuer), &key, &ProofOptions::assertion(suite, &*vm)))?;
        let proof_value = signed["proof"]["proofValue"].as_str().ok_or("no proofValue")?;
        let (base, signature) = multibase::decode(proof_value)?;
        assert_eq!((base, signature.len()), (multibase::Base::Base64Url, 2420), "{suite}");
        assert_eq!(signed["proof"]["cryptosuite"], suite.name());

        let report = verify_doc(&signed)?;
        assert!(report.is_valid(), "{suite}: {report}");
        let entry = report.of(CheckKind::Proof).next().ok_or("no proof entry")?;
        assert_eq!(entry.security, Some(Security::QuantumSafe));
        assert!(report.to_string().contains(&format!("suite {suite} (quantum-safe)")), "{report}");
        let as_json = serde_json::to_value(&report)?;
        assert_eq!(as_json["checks"][1]["security"], "quantum-safe", "{as_json}");

        // A changed claim, and one flipped bit of the signature, fail the signature check.
        let mut claim = signed.clone();
        claim["credentialSubject"]["name"] = json!("Mallory");
        let report = verify_doc(&claim)?;
        assert_eq!(report.failure().map(|f| f.check), Some(CheckKind::Signature), "{report}");
        let mut flipped = signature.clone();
        flipped[0] ^= 0x80;
        let mut bit = signed.clone();
        bit["proof"]["proofValue"] = json!(multibase::encode(multibase::Base::Base64Url, &flipped));
        let report = verify_doc(&bit)?;
        assert_eq!(report.failure().map(|f| f.check), Some(CheckKind::Signature), "{report}");
        // The right signature in the wrong base (base58btc) is refused.
        let mut wrong_base = signed.clone();
        wrong_base["proof"]["proofValue"] = json!(multibase::encode(multibase::Base::Base58Btc, &signature));
        let report = verify_doc(&wrong_base)?;
        let failure = report.failure().ok_or("must fail")?;
        assert_eq!(failure.detail, "proofValue is not base64url multibase");
    }
    Ok(())
}

#[test]
fn classical_proofs_are_reported_classical() -> TestResult {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, vm) = did::did_key(&key.public_key());
    let signed = run(proof::add_proof(
        &credential(&issuer),
        &key,
        &ProofOptions::assertion(Suite::EddsaJcs2022, &*vm),
    ))?;
    let report = verify_doc(&signed)?;
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.of(CheckKind::Proof).next().and_then(|c| c.security), Some(Security::Classical));
    assert!(report.to_string().contains("suite eddsa-jcs-2022 (classical)"), "{report}");
    // The other checks carry no security field.
    assert!(report.of(CheckKind::DataModel).all(|c| c.security.is_none()));
    Ok(())
}

#[test]
fn a_suite_and_a_key_of_the_other_kind_do_not_mix() -> TestResult {
    let ed = SecretKey::generate(KeyType::Ed25519);
    let ml = SecretKey::generate(KeyType::MlDsa44);
    let (issuer, ed_vm) = did::did_key(&ed.public_key());
    let refused = run(proof::add_proof(
        &credential(&issuer),
        &ed,
        &ProofOptions::assertion(Suite::Mldsa44Rdfc2024, &*ed_vm),
    ));
    assert!(matches!(refused, Err(Error::KeyMismatch { key_type: KeyType::Ed25519, .. })), "{refused:?}");
    // An ML-DSA proof that names an Ed25519 key: the signature check fails.
    let signed = run(proof::add_proof(
        &credential(&issuer),
        &ml,
        &ProofOptions::assertion(Suite::Mldsa44Jcs2024, &*ed_vm),
    ))?;
    let report = verify_doc(&signed)?;
    let failure = report.failure().ok_or("must fail")?;
    assert_eq!(
        (failure.check, failure.detail.as_str()),
        (CheckKind::Signature, "mldsa44-jcs-2024 does not use ed25519 keys")
    );
    Ok(())
}

/// An ML-DSA credential is far inside the engine's default limits: one proof
/// adds about 3.3 KB (a 3228-character `proofValue` and a 1752-character
/// `did:key` method twice over).
#[test]
fn a_credential_with_one_ml_dsa_proof_is_within_the_default_limits() -> TestResult {
    let key = SecretKey::generate(KeyType::MlDsa44);
    let (issuer, vm) = did::did_key(&key.public_key());
    let signed = run(proof::add_proof(
        &credential(&issuer),
        &key,
        &ProofOptions::assertion(Suite::Mldsa44Rdfc2024, &*vm),
    ))?;
    let text = signed.to_string();
    let limits = Limits::default();
    limits.check_size(&text)?;
    limits.check_document(&signed)?;
    assert!(text.len() < 16 * 1024, "{} bytes", text.len());
    Ok(())
}
