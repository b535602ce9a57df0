//! `ecdsa-sd-2023`: the W3C vc-di-ecdsa vectors (`test-vectors/ecdsa-sd-2023/`,
//! see its README) reproduced byte for byte, and issue → derive → verify
//! with P-256 and P-384 issuers against hostile holders and presenters.

use std::error::Error as StdError;

use chrono::{DateTime, Utc};
use didam_credential::did::{self, OfflineResolver};
use didam_credential::ecdsa_sd::{self, DerivedProofValue};
use didam_credential::limits::Limits;
use didam_credential::proof::ProofOptions;
use didam_credential::selective::JsonPointer;
use didam_credential::verify::{self, Verified, VerifyOptions};
use didam_credential::{CheckKind, Error, KeyType, SecretKey, SelectiveError, Suite};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn StdError>>;

fn vector(path: &str) -> Result<Value, Box<dyn StdError>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors/ecdsa-sd-2023").join(path);
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn str_of<'a>(value: &'a Value, key: &str) -> Result<&'a str, Box<dyn StdError>> {
    value.get(key).and_then(Value::as_str).ok_or_else(|| format!("no `{key}`").into())
}

fn pointers(list: &[&str]) -> Result<Vec<JsonPointer>, SelectiveError> {
    JsonPointer::parse_list(list)
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// What the vectors' derived documents disclose besides the mandatory `/issuer`.
const SELECTIVE: [&str; 3] = ["/validFrom", "/validUntil", "/credentialSubject/birthCountry"];

/// The vectors' credentials are valid at this time (prc's ends in 2025).
fn vector_time() -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").ok().map(|t| t.with_timezone(&Utc))
}

fn verify_json(document: &Value) -> Result<Verified, Error> {
    let options = VerifyOptions { now: vector_time(), ..Default::default() };
    run(verify::verify_text(&document.to_string(), &OfflineResolver, &options))
}

fn signature_check(verified: &Verified) -> Option<&didam_credential::Check> {
    verified.report.checks.iter().find(|c| c.check == CheckKind::Signature)
}

/// The base proof of each vector set, made with the vectors' issuer key,
/// proof-scoped key and HMAC key.
fn base_from_vectors(set: &str) -> Result<(Value, Value), Box<dyn StdError>> {
    let keys = vector("SDKeyMaterial.json")?;
    let expected = vector(&format!("{set}/addSignedSDBase.json"))?;
    let transform = vector(&format!("{set}/addBaseTransform.json"))?;
    let mut unsigned = expected.clone();
    unsigned.as_object_mut().ok_or("not an object")?.remove("proof");
    let issuer = SecretKey::from_multibase(str_of(&keys["baseKeyPair"], "secretKeyMultibase")?)?;
    let proof_key = SecretKey::from_multibase(str_of(&keys["proofKeyPair"], "secretKeyMultibase")?)?;
    let hmac_key = hex::decode(str_of(&keys, "hmacKeyString")?)?;
    let proof = &expected["proof"];
    let mut options = ProofOptions::assertion(Suite::EcdsaSd2023, str_of(proof, "verificationMethod")?);
    options.created = Some(DateTime::parse_from_rfc3339(str_of(proof, "created")?)?.with_timezone(&Utc));
    let mandatory: Vec<&str> = transform["mandatoryPointers"]
        .as_array()
        .ok_or("no pointers")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    options.mandatory_pointers = pointers(&mandatory)?;
    let signed = run(ecdsa_sd::add_base_proof_with(&unsigned, &issuer, &options, &proof_key, &hmac_key))?;
    Ok((signed, expected))
}

#[test]
fn base_proofs_reproduce_the_vectors_byte_for_byte() -> TestResult {
    for set in ["employ", "prc"] {
        let (signed, expected) = base_from_vectors(set)?;
        assert_eq!(
            str_of(&signed["proof"], "proofValue")?,
            str_of(&expected["proof"], "proofValue")?,
            "{set}"
        );
        assert_eq!(signed, expected, "{set}");
    }
    Ok(())
}

#[test]
fn derived_proofs_reproduce_the_vectors_byte_for_byte() -> TestResult {
    for set in ["employ", "prc"] {
        let base = vector(&format!("{set}/addSignedSDBase.json"))?;
        let expected = vector(&format!("{set}/derivedRevealDocument.json"))?;
        let derived = run(ecdsa_sd::derive(&base, &pointers(&SELECTIVE)?, &Limits::default()))?;
        assert_eq!(
            str_of(&derived["proof"], "proofValue")?,
            str_of(&expected["proof"], "proofValue")?,
            "{set}"
        );
        assert_eq!(derived, expected, "{set}");
        // The disclosure data the spec lists, read back from the proof value.
        let data = vector(&format!("{set}/derivedDisclosureData.json"))?;
        let parsed = DerivedProofValue::decode(str_of(&derived["proof"], "proofValue")?)?;
        let indexes: Vec<u64> =
            data["mandatoryIndexes"].as_array().ok_or("indexes")?.iter().filter_map(Value::as_u64).collect();
        assert_eq!(parsed.mandatory_indexes, indexes, "{set}");
        assert_eq!(
            parsed.signatures.len(),
            data["signatures"].as_array().ok_or("signatures")?.len(),
            "{set}"
        );
    }
    Ok(())
}

#[test]
fn derived_vectors_verify_and_show_only_what_they_disclose() -> TestResult {
    for set in ["employ", "prc"] {
        let derived = vector(&format!("{set}/derivedRevealDocument.json"))?;
        let verified = verify_json(&derived)?;
        assert!(verified.report.is_valid(), "{set}: {}", verified.report);
        let subject = &verified.document["credentialSubject"];
        assert!(subject.get("birthCountry").is_some(), "{set}");
        assert!(subject.get("birthDate").is_none() && subject.get("givenName").is_none(), "{set}");
        let mut tampered = derived.clone();
        tampered["credentialSubject"]["birthCountry"] = json!("Atlantis");
        let verified = verify_json(&tampered)?;
        assert!(!verified.report.is_valid(), "{set}");
    }
    Ok(())
}

#[test]
fn a_base_proof_presented_to_a_verifier_fails() -> TestResult {
    let base = vector("employ/addSignedSDBase.json")?;
    let verified = verify_json(&base)?;
    assert!(!verified.report.is_valid());
    let check = signature_check(&verified).ok_or("no signature check")?;
    assert!(check.detail.contains("base proof"), "{}", check.detail);
    Ok(())
}

/// A credential with ten claims, issued with `key_type`, `/issuer` mandatory.
fn issued(key_type: KeyType) -> Result<(Value, String), Box<dyn StdError>> {
    let key = SecretKey::generate(key_type);
    let (issuer, method) = did::did_key(&key.public_key());
    let mut credential: Value =
        serde_json::from_str(include_str!("../../../test-vectors/selective/ten-claims.json"))?;
    credential["issuer"] = json!(issuer);
    let options = ProofOptions {
        mandatory_pointers: pointers(&["/issuer"])?,
        ..ProofOptions::assertion(Suite::EcdsaSd2023, method)
    };
    let signed = run(ecdsa_sd::add_base_proof(&credential, &key, &options))?;
    Ok((signed, issuer))
}

fn now_verify(document: &Value) -> Result<Verified, Error> {
    run(verify::verify_text(&document.to_string(), &OfflineResolver, &VerifyOptions::default()))
}

#[test]
fn p256_and_p384_issuers_issue_holders_derive_verifiers_see_only_the_disclosed_claims() -> TestResult {
    for key_type in [KeyType::P256, KeyType::P384] {
        let (base, issuer) = issued(key_type)?;
        let chosen = pointers(&["/credentialSubject/degree", "/credentialSubject/awards/1"])?;
        let derived = run(ecdsa_sd::derive(&base, &chosen, &Limits::default()))?;
        let verified = now_verify(&derived)?;
        assert!(verified.report.is_valid(), "{key_type}: {}", verified.report);
        assert_eq!(verified.issuer(), Some(issuer.as_str()));
        let subject = &verified.document["credentialSubject"];
        assert_eq!(subject["degree"]["name"], "Bachelor of Science", "{key_type}");
        assert_eq!(subject["awards"], "second", "{key_type}");
        for withheld in ["name", "birthDate", "address", "email", "phone", "nationality"] {
            assert!(subject.get(withheld).is_none(), "{key_type}: {withheld} leaked");
        }
        assert!(derived.to_string().find("1990-01-01").is_none(), "{key_type}");
        // Two presentations of one base proof disclose different claims.
        let other =
            run(ecdsa_sd::derive(&base, &pointers(&["/credentialSubject/name"])?, &Limits::default()))?;
        let verified = now_verify(&other)?;
        assert!(verified.report.is_valid(), "{key_type}: {}", verified.report);
        assert!(verified.document["credentialSubject"].get("degree").is_none());
        // Only the mandatory claims: the signatures hold, but a credential
        // without a subject breaks the data model.
        let bare = now_verify(&run(ecdsa_sd::derive(&base, &[], &Limits::default()))?)?;
        assert_eq!(signature_check(&bare).map(|c| c.outcome), Some(didam_credential::Outcome::Passed));
        assert!(!bare.report.is_valid(), "{key_type}: {}", bare.report);
    }
    Ok(())
}

#[test]
fn hostile_pointers_are_typed_errors() -> TestResult {
    let (base, _) = issued(KeyType::P256)?;
    let into_nothing = pointers(&["/credentialSubject/salary"])?;
    let err = run(ecdsa_sd::derive(&base, &into_nothing, &Limits::default())).err().ok_or("derived")?;
    assert!(
        matches!(err, Error::Selective(SelectiveError::PointerNotFound(ref p)) if p == "/credentialSubject/salary")
    );
    assert!(matches!(
        pointers(&["/credentialSubject/name", "/credentialSubject/name"]),
        Err(SelectiveError::DuplicatePointer(_))
    ));
    assert!(matches!("credentialSubject".parse::<JsonPointer>(), Err(SelectiveError::InvalidPointer { .. })));
    // Issuing with a mandatory pointer into nothing fails too.
    let key = SecretKey::generate(KeyType::P256);
    let (_, method) = did::did_key(&key.public_key());
    let mut unsigned = base.clone();
    unsigned.as_object_mut().ok_or("object")?.remove("proof");
    let options = ProofOptions {
        mandatory_pointers: pointers(&["/nothing"])?,
        ..ProofOptions::assertion(Suite::EcdsaSd2023, method)
    };
    let err = run(ecdsa_sd::add_base_proof(&unsigned, &key, &options)).err().ok_or("signed")?;
    assert!(matches!(err, Error::Selective(SelectiveError::PointerNotFound(_))));
    // An Ed25519 key cannot make an ecdsa-sd-2023 proof.
    let ed = SecretKey::generate(KeyType::Ed25519);
    let err = run(ecdsa_sd::add_base_proof(&unsigned, &ed, &options)).err().ok_or("signed")?;
    assert!(matches!(err, Error::KeyMismatch { .. }));
    // Deriving from a derived credential, or from none, is refused.
    let derived = run(ecdsa_sd::derive(&base, &[], &Limits::default()))?;
    let err = run(ecdsa_sd::derive(&derived, &[], &Limits::default())).err().ok_or("derived twice")?;
    assert!(matches!(err, Error::Selective(SelectiveError::ProofValue(_))), "{err}");
    let err = run(ecdsa_sd::derive(&unsigned, &[], &Limits::default())).err().ok_or("derived")?;
    assert!(matches!(err, Error::Selective(SelectiveError::NoBaseProof)));
    Ok(())
}

/// `derived` with its proof value rewritten by `change`.
fn rewritten(
    derived: &Value,
    change: impl FnOnce(&mut DerivedProofValue),
) -> Result<Value, Box<dyn StdError>> {
    let mut value = DerivedProofValue::decode(str_of(&derived["proof"], "proofValue")?)?;
    change(&mut value);
    let mut out = derived.clone();
    out["proof"]["proofValue"] = value.encode().into();
    Ok(out)
}

#[test]
fn reordered_extra_or_missing_signatures_and_bad_indexes_fail_the_check() -> TestResult {
    let (base, _) = issued(KeyType::P256)?;
    let chosen = pointers(&["/credentialSubject/name", "/credentialSubject/email"])?;
    let derived = run(ecdsa_sd::derive(&base, &chosen, &Limits::default()))?;
    assert!(now_verify(&derived)?.report.is_valid());
    let cases: Vec<(&str, Value)> = vec![
        ("reordered", rewritten(&derived, |v| v.signatures.reverse())?),
        ("extra", rewritten(&derived, |v| v.signatures.push(v.signatures[0].clone()))?),
        (
            "missing",
            rewritten(&derived, |v| {
                v.signatures.pop();
            })?,
        ),
        ("index out of range", rewritten(&derived, |v| v.mandatory_indexes.push(1_000_000))?),
        ("indexes repeated", rewritten(&derived, |v| v.mandatory_indexes.insert(0, 0))?),
        ("huge index list", rewritten(&derived, |v| v.mandatory_indexes = (0..20_000).collect())?),
        ("label map emptied", rewritten(&derived, |v| v.label_map.clear())?),
    ];
    for (what, document) in cases {
        match now_verify(&document) {
            Ok(verified) => {
                assert!(!verified.report.is_valid(), "{what} verified");
                let check = signature_check(&verified).ok_or("no signature check")?;
                assert!(!check.detail.is_empty(), "{what}");
            }
            // Over the size limit: refused before any work.
            Err(Error::Limit(_)) => assert_eq!(what, "huge index list"),
            Err(e) => return Err(format!("{what}: {e}").into()),
        }
    }
    // Garbage where the proof value should be.
    let mut garbage = derived.clone();
    garbage["proof"]["proofValue"] = json!("u2V0BAAAA");
    assert!(!now_verify(&garbage)?.report.is_valid());
    // A claim added to the derived credential is not covered: invalid.
    let mut extra = derived.clone();
    extra["credentialSubject"]["phone"] = json!("+1 555 0100");
    assert!(!now_verify(&extra)?.report.is_valid());
    Ok(())
}

#[test]
fn an_oversized_credential_is_refused_before_deriving() -> TestResult {
    let (base, _) = issued(KeyType::P256)?;
    let limits = Limits { max_values: 10, ..Limits::default() };
    let err = run(ecdsa_sd::derive(&base, &[], &limits)).err().ok_or("derived")?;
    assert!(matches!(err, Error::Limit(_)));
    Ok(())
}

/// Whether a CBOR value holds a tag anywhere.
fn has_tag(value: &ciborium::Value) -> bool {
    use ciborium::Value as V;
    match value {
        V::Tag(..) => true,
        V::Array(items) => items.iter().any(has_tag),
        V::Map(entries) => entries.iter().any(|(k, v)| has_tag(k) || has_tag(v)),
        _ => false,
    }
}

/// The CBOR array after a proof value's three header bytes.
fn components(proof_value: &str) -> Result<Vec<ciborium::Value>, Box<dyn StdError>> {
    use base64::Engine as _;
    let encoded = proof_value.strip_prefix('u').ok_or("not `u…`")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded)?;
    let body = bytes.get(3..).ok_or("no header")?;
    let value: ciborium::Value = ciborium::de::from_reader(body)?;
    Ok(value.into_array().map_err(|_| "not an array")?)
}

/// The W3C vc-di-ecdsa suite's four checks of malformed `ecdsa-sd-2023`
/// proofs: a signature dropped, the multibase `u` dropped, the header bytes
/// dropped (each a typed [`SelectiveError::ProofValue`] and a failed
/// `signature` check, which the VC API answers with 422
/// `PROOF_VERIFICATION_ERROR`), and no CBOR tag on any component of the
/// base and derived proofs we make (a tagged component is refused).
#[test]
fn the_w3c_suites_malformed_proof_values_are_typed_errors() -> TestResult {
    let derived = vector("employ/derivedRevealDocument.json")?;
    let proof_value = str_of(&derived["proof"], "proofValue")?.to_owned();
    assert!(verify_json(&derived)?.report.is_valid());
    let failed_with = |document: &Value, why: &str| -> TestResult {
        let verified = verify_json(document)?;
        let check = signature_check(&verified).ok_or("no signature check")?;
        assert_eq!(check.outcome, didam_credential::Outcome::Failed, "{}", verified.report);
        assert!(check.detail.contains(why), "`{why}` not in: {}", check.detail);
        Ok(())
    };

    // The signature count no longer matches the non-mandatory statements.
    let dropped = rewritten(&derived, |v| {
        v.signatures.remove(0);
    })?;
    failed_with(&dropped, "signatures for")?;

    // Not multibase base64url.
    let err = DerivedProofValue::decode(&proof_value[1..]).err().ok_or("decoded without `u`")?;
    assert!(matches!(err, SelectiveError::ProofValue(why) if why.contains("multibase")), "{err}");
    let mut no_u = derived.clone();
    no_u["proof"]["proofValue"] = json!(proof_value[1..]);
    failed_with(&no_u, "multibase")?;

    // The disclosure header sliced off (as the suite does: `u` + the rest
    // after four characters), and replaced by another header.
    let sliced = format!("u{}", &proof_value[4..]);
    let err = DerivedProofValue::decode(&sliced).err().ok_or("decoded without header")?;
    assert!(matches!(err, SelectiveError::ProofValue(_)), "{err}");
    let mut no_header = derived.clone();
    no_header["proof"]["proofValue"] = json!(sliced);
    failed_with(&no_header, "malformed ecdsa-sd-2023 proof value")?;
    {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut bytes = b64.decode(&proof_value[1..])?;
        bytes[2] = 0x02;
        let other = format!("u{}", b64.encode(bytes));
        let err = DerivedProofValue::decode(&other).err().ok_or("decoded another header")?;
        assert!(matches!(err, SelectiveError::ProofValue(why) if why.contains("header")), "{err}");
    }

    // No CBOR tag inside the proofs we make, base or derived (P-256, P-384).
    for key_type in [KeyType::P256, KeyType::P384] {
        let (base, _) = issued(key_type)?;
        let parts = components(str_of(&base["proof"], "proofValue")?)?;
        assert_eq!(parts.len(), 5);
        assert!(!parts.iter().any(has_tag), "{key_type}: a tagged base proof component");
        let derived =
            run(ecdsa_sd::derive(&base, &pointers(&["/credentialSubject/name"])?, &Limits::default()))?;
        let parts = components(str_of(&derived["proof"], "proofValue")?)?;
        assert!(!parts.iter().any(has_tag), "{key_type}: a tagged derived proof component");
    }
    // A tagged component (the base signature wrapped in tag 64) is refused.
    let mut parts = components(&proof_value)?;
    let signature = std::mem::replace(&mut parts[0], ciborium::Value::Null);
    parts[0] = ciborium::Value::Tag(64, Box::new(signature));
    let mut bytes = vec![0xd9, 0x5d, 0x01];
    ciborium::ser::into_writer(&ciborium::Value::Array(parts), &mut bytes)?;
    let tagged = {
        use base64::Engine as _;
        format!("u{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    };
    let err = DerivedProofValue::decode(&tagged).err().ok_or("decoded a tagged component")?;
    assert!(matches!(err, SelectiveError::ProofValue(_)), "{err}");
    let mut tagged_doc = derived.clone();
    tagged_doc["proof"]["proofValue"] = json!(tagged);
    failed_with(&tagged_doc, "the base signature is not a byte string")?;
    Ok(())
}
