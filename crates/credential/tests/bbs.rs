//! `bbs-2023`: the W3C vc-di-bbs vectors (`test-vectors/bbs-2023/`, see its
//! README): base proofs reproduced byte for byte from the vectors' key and
//! HMAC key, derived proofs verified; issue → derive → verify with fresh
//! BLS12-381 G2 keys, unlinkable derivations, and hostile holders and
//! presenters.

use std::error::Error as StdError;

use chrono::{DateTime, Utc};
use didam_credential::bbs::{self, BaseProofValue, DerivedProofValue};
use didam_credential::did::{self, OfflineResolver};
use didam_credential::limits::Limits;
use didam_credential::proof::{self, ProofOptions};
use didam_credential::selective::{self, JsonPointer};
use didam_credential::verify::{self, Verified, VerifyOptions};
use didam_credential::{
    CheckKind, Error, KeyError, KeyType, Outcome, PublicKey, SecretKey, SelectiveError, Suite,
};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn StdError>>;

fn vector(path: &str) -> Result<Value, Box<dyn StdError>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors/bbs-2023").join(path);
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn str_of<'a>(value: &'a Value, key: &str) -> Result<&'a str, Box<dyn StdError>> {
    value.get(key).and_then(Value::as_str).ok_or_else(|| format!("no `{key}`").into())
}

fn pointers(list: &[&str]) -> Result<Vec<JsonPointer>, SelectiveError> {
    JsonPointer::parse_list(list)
}

fn strings(value: &Value) -> Result<Vec<&str>, Box<dyn StdError>> {
    Ok(value.as_array().ok_or("not an array")?.iter().filter_map(Value::as_str).collect())
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// The vector sets: the windsurf credential at the top and the permanent
/// resident card in `prc/`.
const SETS: [&str; 2] = ["", "prc/"];

/// The vectors' issuer key, checked against the public key they give.
fn vector_key() -> Result<SecretKey, Box<dyn StdError>> {
    let keys = vector("BBSKeyMaterial.json")?;
    let key = SecretKey::from_bytes(KeyType::Bls12381G2, &hex::decode(str_of(&keys, "privateKeyHex")?)?)?;
    assert_eq!(hex::encode(key.public_key().to_bytes()), str_of(&keys, "publicKeyHex")?);
    Ok(key)
}

/// Verifies at a time the vectors' credentials are valid.
fn verify_json(document: &Value) -> Result<Verified, Error> {
    let now = DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").ok().map(|t| t.with_timezone(&Utc));
    let options = VerifyOptions { now, ..Default::default() };
    run(verify::verify_text(&document.to_string(), &OfflineResolver, &options))
}

fn now_verify(document: &Value) -> Result<Verified, Error> {
    run(verify::verify_text(&document.to_string(), &OfflineResolver, &VerifyOptions::default()))
}

fn signature_check(verified: &Verified) -> Option<&didam_credential::Check> {
    verified.report.checks.iter().find(|c| c.check == CheckKind::Signature)
}

fn derive(document: &Value, chosen: &[JsonPointer]) -> Result<Value, Error> {
    run(selective::derive(document, chosen, &Limits::default()))
}

#[test]
fn the_vectors_key_is_a_zuc7_multikey_and_its_did_key_is_the_vectors() -> TestResult {
    let key = vector_key()?;
    let (did, method) = did::did_key(&key.public_key());
    let signed = vector("addSignedSDBase.json")?;
    assert_eq!(method, str_of(&signed["proof"], "verificationMethod")?);
    assert!(did.starts_with("did:key:zUC7"), "{did}");
    let multikey = key.public_key().to_multikey();
    assert_eq!(PublicKey::from_multikey(&multikey)?, key.public_key());
    assert_eq!(SecretKey::from_multibase(&key.to_multibase())?.to_bytes(), key.to_bytes());
    Ok(())
}

#[test]
fn base_proofs_reproduce_the_vectors_byte_for_byte() -> TestResult {
    let key = vector_key()?;
    let hmac_key = hex::decode(str_of(&vector("BBSKeyMaterial.json")?, "hmacKeyString")?)?;
    for set in SETS {
        let expected = vector(&format!("{set}addSignedSDBase.json"))?;
        let mut unsigned = expected.clone();
        unsigned.as_object_mut().ok_or("not an object")?.remove("proof");
        let proof = &expected["proof"];
        let mut options = ProofOptions::assertion(Suite::Bbs2023, str_of(proof, "verificationMethod")?);
        options.created = Some(DateTime::parse_from_rfc3339(str_of(proof, "created")?)?.with_timezone(&Utc));
        let raw = vector(&format!("{set}addRawBaseSignatureInfo.json"))?;
        options.mandatory_pointers = pointers(&strings(&raw["mandatoryPointers"])?)?;
        let signed = run(bbs::add_base_proof_with(&unsigned, &key, &options, &hmac_key))?;
        let value = BaseProofValue::decode(str_of(&signed["proof"], "proofValue")?)?;
        assert_eq!(hex::encode(&value.bbs_signature), str_of(&raw, "bbsSignature")?, "{set}");
        assert_eq!(str_of(&signed["proof"], "proofValue")?, str_of(proof, "proofValue")?, "{set}");
        assert_eq!(signed, expected, "{set}");
    }
    Ok(())
}

#[test]
fn derived_vectors_verify_and_show_only_what_they_disclose() -> TestResult {
    for set in SETS {
        let derived = vector(&format!("{set}derivedRevealDocument.json"))?;
        let verified = verify_json(&derived)?;
        assert!(verified.report.is_valid(), "{set}: {}", verified.report);
        let check = signature_check(&verified).ok_or("no signature check")?;
        assert!(check.detail.contains("bbs-2023"), "{}", check.detail);
        // The disclosure data the spec lists, read back from the proof value.
        let data = vector(&format!("{set}derivedDisclosureData.json"))?;
        let parsed = DerivedProofValue::decode(str_of(&derived["proof"], "proofValue")?)?;
        assert_eq!(hex::encode(&parsed.bbs_proof), str_of(&data, "bbsProof")?, "{set}");
        let numbers = |v: &Value| -> Vec<u64> {
            v.as_array().into_iter().flatten().filter_map(Value::as_u64).collect()
        };
        assert_eq!(parsed.mandatory_indexes, numbers(&data["mandatoryIndexes"]), "{set}");
        assert_eq!(parsed.selective_indexes, numbers(&data["adjSelectiveIndexes"]), "{set}");
        assert_eq!(parsed.presentation_header, [0x11, 0x33, 0x77, 0xaa], "{set}");
        // A disclosed value changed: the proof no longer holds.
        let mut tampered = derived.clone();
        let pointer = if set.is_empty() {
            "/credentialSubject/boards/0/boardName"
        } else {
            "/credentialSubject/birthCountry"
        };
        *tampered.pointer_mut(pointer).ok_or("not disclosed")? = json!("tampered");
        let verified = verify_json(&tampered)?;
        assert!(!verified.report.is_valid(), "{set}: tampered {pointer} verified");
    }
    // The windsurf credential discloses its boards and the mandatory sails
    // 1 and 2, never the unchosen sails 0 and 3 (the only 7.8 and Kihei).
    let verified = verify_json(&vector("derivedRevealDocument.json")?)?;
    let covered = verified.document.to_string();
    assert!(covered.contains("CompFoil170") && covered.contains("Kanaha Custom"), "{covered}");
    assert!(!covered.contains("Kihei") && !covered.contains("7.8"), "{covered}");
    Ok(())
}

#[test]
fn deriving_from_the_vectors_base_proofs_verifies() -> TestResult {
    let selections: [(&str, &[&str]); 2] = [
        ("", &["/credentialSubject/boards/0", "/credentialSubject/boards/1"]),
        ("prc/", &["/credentialSubject/givenName", "/credentialSubject/birthCountry"]),
    ];
    for (set, chosen) in selections {
        let base = vector(&format!("{set}addSignedSDBase.json"))?;
        let derived = derive(&base, &pointers(chosen)?)?;
        let verified = verify_json(&derived)?;
        assert!(verified.report.is_valid(), "{set}: {}", verified.report);
    }
    Ok(())
}

#[test]
fn a_base_proof_presented_to_a_verifier_fails() -> TestResult {
    let verified = verify_json(&vector("addSignedSDBase.json")?)?;
    assert!(!verified.report.is_valid());
    let check = signature_check(&verified).ok_or("no signature check")?;
    assert!(check.detail.contains("base proof"), "{}", check.detail);
    Ok(())
}

/// A credential with ten claims issued by a fresh BLS12-381 G2 key,
/// `/issuer` mandatory.
fn issued() -> Result<(Value, String), Box<dyn StdError>> {
    let key = SecretKey::generate(KeyType::Bls12381G2);
    let (issuer, method) = did::did_key(&key.public_key());
    let mut credential: Value =
        serde_json::from_str(include_str!("../../../test-vectors/selective/ten-claims.json"))?;
    credential["issuer"] = json!(issuer);
    let options = ProofOptions {
        mandatory_pointers: pointers(&["/issuer"])?,
        ..ProofOptions::assertion(Suite::Bbs2023, method)
    };
    let signed = run(proof::add_proof(&credential, &key, &options))?;
    Ok((signed, issuer))
}

/// Whether `a` and `b` have a run of 16 bytes in common.
fn share_bytes(a: &[u8], b: &[u8]) -> bool {
    let windows: std::collections::HashSet<&[u8]> = a.windows(16).collect();
    b.windows(16).any(|w| windows.contains(w))
}

#[test]
fn issue_derive_verify_and_two_derivations_share_no_signature_bytes() -> TestResult {
    let (base, issuer) = issued()?;
    let chosen = pointers(&["/credentialSubject/degree", "/credentialSubject/awards/1"])?;
    let first = derive(&base, &chosen)?;
    let verified = now_verify(&first)?;
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(verified.issuer(), Some(issuer.as_str()));
    let subject = &verified.document["credentialSubject"];
    assert_eq!(subject["degree"]["name"], "Bachelor of Science");
    assert_eq!(subject["awards"], "second");
    for withheld in ["name", "birthDate", "address", "email", "phone", "nationality"] {
        assert!(subject.get(withheld).is_none(), "{withheld} leaked");
    }
    assert!(!first.to_string().contains("1990-01-01"));
    let disclosed = verified.report.disclosed.clone().unwrap_or_default();
    assert!(disclosed.iter().any(|p| p == "/credentialSubject/degree/name"), "{disclosed:?}");
    assert!(!disclosed.iter().any(|p| p.contains("birthDate")), "{disclosed:?}");

    // The same disclosure again: an equally valid, unlinkable proof.
    let second = derive(&base, &chosen)?;
    assert!(now_verify(&second)?.report.is_valid());
    let value_of = |d: &Value| -> Result<DerivedProofValue, Box<dyn StdError>> {
        Ok(DerivedProofValue::decode(str_of(&d["proof"], "proofValue")?)?)
    };
    let (one, two) = (value_of(&first)?, value_of(&second)?);
    assert_eq!(one.label_map, two.label_map);
    assert_eq!(one.bbs_proof.len(), two.bbs_proof.len());
    assert!(!share_bytes(&one.bbs_proof, &two.bbs_proof), "two derivations share signature bytes");
    let base_value = BaseProofValue::decode(str_of(&base["proof"], "proofValue")?)?;
    for proof in [&one.bbs_proof, &two.bbs_proof] {
        assert!(!share_bytes(&base_value.bbs_signature, proof), "a derivation carries the base signature");
        assert!(!share_bytes(&base_value.public_key, proof));
    }
    // Nothing of the base proof but its configuration reaches the verifier.
    let (a, b) = (first["proof"]["proofValue"].as_str(), second["proof"]["proofValue"].as_str());
    assert_ne!(a, b);

    // Only the mandatory claims: the proof holds, the data model does not.
    let bare = now_verify(&derive(&base, &[])?)?;
    assert_eq!(signature_check(&bare).map(|c| c.outcome), Some(Outcome::Passed));
    assert!(!bare.report.is_valid());
    Ok(())
}

#[test]
fn hostile_issuers_and_holders_get_typed_errors() -> TestResult {
    let (base, _) = issued()?;
    let err = derive(&base, &pointers(&["/credentialSubject/salary"])?).err().ok_or("derived")?;
    assert!(
        matches!(err, Error::Selective(SelectiveError::PointerNotFound(ref p)) if p == "/credentialSubject/salary")
    );
    let mut unsigned = base.clone();
    unsigned.as_object_mut().ok_or("object")?.remove("proof");
    let key = SecretKey::generate(KeyType::Bls12381G2);
    let (_, method) = did::did_key(&key.public_key());
    let options = ProofOptions {
        mandatory_pointers: pointers(&["/nothing"])?,
        ..ProofOptions::assertion(Suite::Bbs2023, method)
    };
    let err = run(bbs::add_base_proof(&unsigned, &key, &options)).err().ok_or("signed")?;
    assert!(matches!(err, Error::Selective(SelectiveError::PointerNotFound(_))));
    // A P-256 key cannot make a bbs-2023 proof, nor a BLS key an ECDSA one.
    let p256 = SecretKey::generate(KeyType::P256);
    let err = run(bbs::add_base_proof(&unsigned, &p256, &options)).err().ok_or("signed")?;
    assert!(matches!(err, Error::KeyMismatch { .. }), "{err}");
    let ecdsa = ProofOptions { suite: Suite::EcdsaSd2023, ..options.clone() };
    let err = run(proof::add_proof(&unsigned, &key, &ecdsa)).err().ok_or("signed")?;
    assert!(matches!(err, Error::KeyMismatch { .. }), "{err}");
    // Deriving from a derived credential, or from none, is refused.
    let derived = derive(&base, &[])?;
    let err = derive(&derived, &[]).err().ok_or("derived twice")?;
    assert!(
        matches!(err, Error::Selective(SelectiveError::BbsProofValue(why)) if why.contains("derived proof")),
        "{err}"
    );
    let err = derive(&unsigned, &[]).err().ok_or("derived")?;
    assert!(matches!(err, Error::Selective(SelectiveError::NoBaseProof)));
    // A base proof whose signature does not fit the credential it is on.
    let mut changed = base.clone();
    changed["credentialSubject"]["name"] = json!("Mallory");
    let err = derive(&changed, &pointers(&["/credentialSubject/name"])?).err().ok_or("derived")?;
    assert!(matches!(err, Error::Selective(SelectiveError::Mismatch(_))), "{err}");
    // A base proof value with a short signature, or another suite's header.
    let mut value = BaseProofValue::decode(str_of(&base["proof"], "proofValue")?)?;
    value.bbs_signature.pop();
    let mut short = base.clone();
    short["proof"]["proofValue"] = value.encode().into();
    let err = derive(&short, &[]).err().ok_or("derived")?;
    assert!(
        matches!(err, Error::Selective(SelectiveError::BbsProofValue(why)) if why.contains("80 bytes")),
        "{err}"
    );
    // The ecdsa-sd-2023 API refuses a bbs-2023 credential.
    let err =
        run(didam_credential::ecdsa_sd::derive(&base, &[], &Limits::default())).err().ok_or("derived")?;
    assert!(matches!(err, Error::Selective(SelectiveError::NoBaseProof)), "{err}");
    // An oversized credential is refused before any work.
    let limits = Limits { max_values: 10, ..Limits::default() };
    let err = run(selective::derive(&base, &[], &limits)).err().ok_or("derived")?;
    assert!(matches!(err, Error::Limit(_)));
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

/// `proof_value` with its bytes after the `u` rewritten by `change`.
fn rebytes(proof_value: &str, change: impl FnOnce(&mut Vec<u8>)) -> Result<String, Box<dyn StdError>> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = b64.decode(proof_value.strip_prefix('u').ok_or("not `u…`")?)?;
    change(&mut bytes);
    Ok(format!("u{}", b64.encode(bytes)))
}

#[test]
fn malformed_tampered_and_reindexed_derived_proofs_fail_the_check() -> TestResult {
    let (base, _) = issued()?;
    let chosen = pointers(&["/credentialSubject/name", "/credentialSubject/email"])?;
    let derived = derive(&base, &chosen)?;
    assert!(now_verify(&derived)?.report.is_valid());
    let proof_value = str_of(&derived["proof"], "proofValue")?.to_owned();
    let with_value = |pv: String| {
        let mut d = derived.clone();
        d["proof"]["proofValue"] = pv.into();
        d
    };
    let mut tampered = derived.clone();
    tampered["credentialSubject"]["email"] = json!("mallory@example.com");
    let mut extra_claim = derived.clone();
    extra_claim["credentialSubject"]["phone"] = json!("+1 555 0100");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("a disclosed value changed", tampered, "does not verify"),
        ("a claim added", extra_claim, ""),
        ("no multibase `u`", with_value(proof_value[1..].to_owned()), "multibase"),
        (
            "the header cut off",
            with_value(format!("u{}", &proof_value[4..])),
            "malformed bbs-2023 proof value",
        ),
        ("an ecdsa-sd-2023 header", with_value(rebytes(&proof_value, |b| b[2] = 0x01)?), "unknown header"),
        ("a pseudonym header", with_value(rebytes(&proof_value, |b| b[2] = 0x07)?), "feature option"),
        ("a base proof header", with_value(rebytes(&proof_value, |b| b[2] = 0x02)?), "base proof"),
        ("bytes after the CBOR", with_value(rebytes(&proof_value, |b| b.push(0))?), "after the CBOR"),
        (
            "the proof cut by a byte",
            rewritten(&derived, |v| {
                v.bbs_proof.pop();
            })?,
            "does not verify",
        ),
        ("the proof cut short", rewritten(&derived, |v| v.bbs_proof.truncate(100))?, "does not verify"),
        ("the proof emptied", rewritten(&derived, |v| v.bbs_proof.clear())?, "does not verify"),
        ("a scalar appended", rewritten(&derived, |v| v.bbs_proof.extend([1; 32]))?, "does not verify"),
        ("half a scalar appended", rewritten(&derived, |v| v.bbs_proof.extend([1; 16]))?, "does not verify"),
        (
            "more hidden messages than allowed",
            rewritten(&derived, |v| v.bbs_proof.extend(vec![0; 32 * bbs::MAX_UNDISCLOSED]))?,
            "does not verify",
        ),
        (
            "a selective index added",
            rewritten(&derived, |v| v.selective_indexes.push(9))?,
            "selective indexes for",
        ),
        (
            "a selective index dropped",
            rewritten(&derived, |v| {
                v.selective_indexes.pop();
            })?,
            "selective indexes for",
        ),
        (
            "selective indexes repeated",
            rewritten(&derived, |v| {
                let first = v.selective_indexes[0];
                v.selective_indexes = vec![first; v.selective_indexes.len()];
            })?,
            "does not verify",
        ),
        (
            "selective indexes shifted",
            rewritten(&derived, |v| v.selective_indexes.iter_mut().for_each(|i| *i += 1))?,
            "does not verify",
        ),
        (
            "a huge selective index",
            rewritten(&derived, |v| v.selective_indexes[0] = u64::MAX)?,
            "does not verify",
        ),
        (
            "a mandatory index out of range",
            rewritten(&derived, |v| v.mandatory_indexes.push(1_000_000))?,
            "mandatory indexes",
        ),
        (
            "mandatory indexes repeated",
            rewritten(&derived, |v| {
                let first = v.mandatory_indexes[0];
                v.mandatory_indexes[1] = first;
            })?,
            "mandatory indexes",
        ),
        (
            "a mandatory index dropped",
            rewritten(&derived, |v| {
                v.mandatory_indexes.pop();
            })?,
            "selective indexes for",
        ),
        (
            "another presentation header",
            rewritten(&derived, |v| v.presentation_header = vec![1])?,
            "does not verify",
        ),
        (
            "a label swapped",
            rewritten(&derived, |v| {
                if let Some(l) = v.label_map.values_mut().next() {
                    *l += 1;
                }
            })?,
            "",
        ),
    ];
    for (what, document, why) in cases {
        let verified = now_verify(&document)?;
        assert!(!verified.report.is_valid(), "{what} verified");
        if !why.is_empty() {
            let check = signature_check(&verified).ok_or("no signature check")?;
            assert_eq!(check.outcome, Outcome::Failed, "{what}");
            assert!(check.detail.contains(why), "{what}: `{why}` not in: {}", check.detail);
        }
    }
    // A label map with a blank node's label missing (the degree is a blank node).
    let with_node = derive(&base, &pointers(&["/credentialSubject/degree"])?)?;
    assert!(now_verify(&with_node)?.report.is_valid());
    let emptied = rewritten(&with_node, |v| v.label_map.clear())?;
    let verified = now_verify(&emptied)?;
    let check = signature_check(&verified).ok_or("no signature check")?;
    assert!(check.detail.contains("label map has no label"), "{}", check.detail);
    // Decoding names what is wrong.
    let map_twice = rebytes(&proof_value, |_| ())?;
    assert!(DerivedProofValue::decode(&map_twice).is_ok());
    let err = BaseProofValue::decode(&proof_value).err().ok_or("a derived proof read as a base proof")?;
    assert!(matches!(err, SelectiveError::BbsProofValue(why) if why.contains("derived proof")));
    Ok(())
}

#[test]
fn bls12_381_keys_refuse_what_is_not_one_without_panicking() -> TestResult {
    let bad_public = |bytes: &[u8]| PublicKey::from_bytes(KeyType::Bls12381G2, bytes).err();
    let expected = Some(KeyError::InvalidPublicKey(KeyType::Bls12381G2));
    for len in [0, 1, 48, 95, 97, 192] {
        assert_eq!(bad_public(&vec![0xaa; len]), expected, "{len} bytes");
    }
    // The identity (point at infinity) and a point off the curve.
    let mut identity = [0u8; 96];
    identity[0] = 0xc0;
    assert_eq!(bad_public(&identity), expected);
    let mut garbage = SecretKey::generate(KeyType::Bls12381G2).public_key().to_bytes();
    garbage[95] ^= 1;
    garbage[50] ^= 0x55;
    assert_eq!(bad_public(&garbage), expected);
    // Secrets: zero, the group order and beyond, wrong lengths.
    let order = hex::decode("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001")?;
    for bytes in [vec![0; 32], order, vec![0xff; 32], vec![1; 31], vec![1; 33]] {
        assert_eq!(
            SecretKey::from_bytes(KeyType::Bls12381G2, &bytes).err(),
            Some(KeyError::InvalidSecretKey(KeyType::Bls12381G2))
        );
    }
    assert!(SecretKey::bbs_key_gen(&[7; 31]).is_err(), "less than 32 bytes of key material");
    // KeyGen is deterministic; BBS signatures are 80 bytes and verify.
    let key = SecretKey::bbs_key_gen(&[7; 32])?;
    assert_eq!(key.public_key(), SecretKey::bbs_key_gen(&[7; 32])?.public_key());
    let messages = vec![b"a".to_vec(), b"b".to_vec()];
    let signature = key.bbs_sign(b"header", &messages)?;
    assert_eq!(signature.len(), 80);
    key.public_key().bbs_verify(&signature, b"header", &messages)?;
    assert!(key.public_key().bbs_verify(&signature, b"other", &messages).is_err());
    assert!(key.public_key().bbs_verify(&signature[..79], b"header", &messages).is_err());
    // A proof disclosing nothing, everything, or an index past the end.
    let public = key.public_key();
    for disclosed in [&[][..], &[0, 1]] {
        let proof = public.bbs_proof_gen(&signature, b"header", b"", &messages, disclosed)?;
        let shown: Vec<Vec<u8>> = disclosed.iter().map(|&i| messages[i].clone()).collect();
        public.bbs_proof_verify(&proof, b"header", b"", &shown, disclosed, 16)?;
    }
    assert!(public.bbs_proof_gen(&signature, b"header", b"", &messages, &[2]).is_err());
    assert!(public.bbs_proof_gen(&signature, b"header", b"", &messages, &[1, 0]).is_err());
    // BBS with another key type is a typed error.
    let ed = SecretKey::generate(KeyType::Ed25519);
    assert!(matches!(ed.bbs_sign(b"", &messages), Err(KeyError::UnsupportedKeyType(_))));
    Ok(())
}
