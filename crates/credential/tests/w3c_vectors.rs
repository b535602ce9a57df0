//! Conformance against the W3C and W3C-CCG vectors in `../shared/w3c-vectors`.
//!
//! Each test counts the vectors it checks; the counts must equal the table in
//! `test-vectors/README.md` (checked by `readme_table_matches_the_vectors`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, w3c, w3c_json};
use didam_credential::did::{DidResolver, MethodResolver, OfflineResolver, ProofPurpose, StaticMethods};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::verify::{self, VerifyOptions};
use didam_credential::{CheckKind, Error, KeyType, PublicKey, SecretKey, Suite};
use serde_json::{Value, json};

/// (vector set, vectors checked). Mirrors `test-vectors/README.md`.
const SETS: &[(&str, usize)] = &[
    ("vc-di-eddsa pipelines (canonical forms, hashes, signatures)", 3),
    ("vc-di-ecdsa P-256 pipelines (canonical forms, hashes, signatures)", 3),
    ("vc-di-ecdsa P-384 ecdsa-rdfc-2019 pipelines, in `vc-di-ecdsa-p384/` (SHA-384 inside RDFC-1.0)", 2),
    ("signed Data Integrity credentials (eddsa, ecdsa, Ed25519Signature2020, proof sets)", 6),
    ("signed ecdsa-rdfc-2019 P-384 credentials, in `vc-di-ecdsa-p384/`", 2),
    ("VC-JOSE-COSE credentials that must verify (JOSE, SD-JWT, COSE)", 6),
    ("VC-JOSE-COSE credentials that must fail (JOSE, SD-JWT, COSE)", 8),
    ("did:key vectors (Ed25519, P-256, P-384, P-521, BLS12-381 G2)", 17),
    ("did:key vectors of key types didam does not verify with (X25519, BLS12-381 G1+G2, RSA)", 4),
    ("VCDM 2.0 test suite: -ok inputs", 45),
    ("VCDM 2.0 test suite: -fail inputs", 48),
    ("CCG quantum-safe mldsa44 pipelines, in `mldsa44/` (hashData, signatures)", 2),
    ("CCG quantum-safe signed mldsa44 credentials, in `mldsa44/`", 2),
];

fn count(set: &str) -> usize {
    SETS.iter().find(|(s, _)| *s == set).map(|(_, n)| *n).expect("set listed")
}

/// A vector file's path: `test-vectors/…` in this repository, anything else
/// in the shared W3C set.
fn vector_path(p: &str) -> std::path::PathBuf {
    if p.starts_with("test-vectors/") {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
    } else {
        common::shared().join("w3c-vectors").join(p)
    }
}

fn vector(p: &str) -> String {
    let path = vector_path(p);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn vector_json(p: &str) -> Value {
    serde_json::from_str(&vector(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn text(path: &str) -> String {
    vector(path).trim().to_owned()
}

fn unsigned_of(signed: &Value) -> Value {
    let mut doc = signed.clone();
    doc.as_object_mut().unwrap().remove("proof");
    doc
}

/// One suite pipeline: proof config and document → canonical forms → hashes →
/// combined hash → signature.
struct Pipeline {
    dir: &'static str,
    suffix: &'static str,
    suite: Suite,
    key_file: &'static str,
    document: Value,
}

impl Pipeline {
    fn check(&self) {
        let file = |stem: &str, ext: &str| format!("{}/{stem}{}.{ext}", self.dir, self.suffix);
        let keys = vector_json(self.key_file);
        let secret_mb = keys.get("privateKeyMultibase").or_else(|| keys.get("secretKeyMultibase"));
        let secret = SecretKey::from_multibase(secret_mb.unwrap().as_str().unwrap()).unwrap();
        let public = PublicKey::from_multikey(keys["publicKeyMultibase"].as_str().unwrap()).unwrap();
        assert_eq!(secret.public_key(), public, "{}: key pair", self.dir);
        let kt = public.key_type();
        let config = vector_json(&file("proofConfig", "json"));

        let canon_doc = run(proof::canonical_form(self.suite, kt, &self.document)).unwrap();
        assert_eq!(canon_doc.trim(), text(&file("canonDoc", "txt")), "{}: canonical document", self.dir);
        let canon_proof = run(proof::canonical_form(self.suite, kt, &config)).unwrap();
        assert_eq!(
            canon_proof.trim(),
            text(&file("proofCanon", "txt")),
            "{}: canonical proof config",
            self.dir
        );
        assert_eq!(
            hex::encode(self.suite.hash(kt, canon_doc.as_bytes())),
            text(&file("docHash", "txt")),
            "{}: document hash",
            self.dir
        );
        assert_eq!(
            hex::encode(self.suite.hash(kt, canon_proof.as_bytes())),
            text(&file("proofHash", "txt")),
            "{}: proof hash",
            self.dir
        );
        let combined = run(proof::hash_data(self.suite, kt, &config, &self.document)).unwrap();
        assert_eq!(hex::encode(&combined), text(&file("combinedHash", "txt")), "{}: combined hash", self.dir);

        let has_sig = vector_path(&file("sigHex", "txt")).exists();
        if has_sig {
            let their_sig = hex::decode(text(&file("sigHex", "txt"))).unwrap();
            public.verify(&combined, &their_sig).expect("the vector's signature verifies");
            if kt == KeyType::Ed25519 {
                // Ed25519 is deterministic: our signature equals the vector's.
                assert_eq!(secret.sign(&combined), their_sig, "{}: signature", self.dir);
                let mb = multibase::encode(multibase::Base::Base58Btc, &their_sig);
                assert_eq!(mb, text(&file("sigBTC58", "txt")));
            }
        }

        // Our add_proof with the vector's options gives a proof that verifies,
        // and for Ed25519 the vector's very proofValue.
        let options = ProofOptions {
            suite: self.suite,
            verification_method: config["verificationMethod"].as_str().unwrap().to_owned(),
            proof_purpose: ProofPurpose::AssertionMethod,
            created: config["created"].as_str().and_then(didam_credential::credential::parse_datetime),
            challenge: None,
            domain: None,
            id: None,
            previous_proof: Vec::new(),
            mandatory_pointers: Vec::new(),
        };
        let ours = run(proof::add_proof(&self.document, &secret, &options)).unwrap();
        let report = run(verify::verify(
            &verify::Input::Json(ours.clone()),
            &OfflineResolver,
            &VerifyOptions::default(),
        ))
        .unwrap()
        .report;
        assert!(report.is_valid(), "{}: {report}", self.dir);
        if kt == KeyType::Ed25519 && has_sig {
            let expected = multibase::encode(
                multibase::Base::Base58Btc,
                hex::decode(text(&file("sigHex", "txt"))).unwrap(),
            );
            assert_eq!(ours["proof"]["proofValue"], json!(expected));
        }
    }
}

#[test]
fn eddsa_pipelines_reproduce_the_vectors() {
    let unsigned = w3c_json("vc-di-eddsa/TestVectors/unsigned.json");
    let edsig_doc = unsigned_of(&w3c_json("vc-di-eddsa/TestVectors/Ed25519Signature2020/signedEdSig.json"));
    let pipelines = [
        Pipeline {
            dir: "vc-di-eddsa/TestVectors/eddsa-rdfc-2022",
            suffix: "DataInt",
            suite: Suite::EddsaRdfc2022,
            key_file: "vc-di-eddsa/TestVectors/keyPair.json",
            document: unsigned.clone(),
        },
        Pipeline {
            dir: "vc-di-eddsa/TestVectors/eddsa-jcs-2022",
            suffix: "JCS",
            suite: Suite::EddsaJcs2022,
            key_file: "vc-di-eddsa/TestVectors/keyPair.json",
            document: unsigned.clone(),
        },
        Pipeline {
            dir: "vc-di-eddsa/TestVectors/Ed25519Signature2020",
            suffix: "EdSig",
            suite: Suite::Ed25519Signature2020,
            key_file: "vc-di-eddsa/TestVectors/keyPair.json",
            document: edsig_doc,
        },
    ];
    pipelines.iter().for_each(Pipeline::check);
    assert_eq!(pipelines.len(), count("vc-di-eddsa pipelines (canonical forms, hashes, signatures)"));
}

#[test]
fn ecdsa_p256_pipelines_reproduce_the_vectors() {
    let unsigned = w3c_json("vc-di-ecdsa/TestVectors/unsigned.json");
    let employ = w3c_json("vc-di-ecdsa/TestVectors/employmentAuth.json");
    let key = "vc-di-ecdsa/TestVectors/p256KeyPair.json";
    let pipelines = [
        Pipeline {
            dir: "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256",
            suffix: "ECDSAP256",
            suite: Suite::EcdsaRdfc2019,
            key_file: key,
            document: unsigned.clone(),
        },
        Pipeline {
            dir: "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/employ",
            suffix: "ECDSAP256",
            suite: Suite::EcdsaRdfc2019,
            key_file: key,
            document: employ,
        },
        Pipeline {
            dir: "vc-di-ecdsa/TestVectors/ecdsa-jcs-2019-p256",
            suffix: "JCSECDSAP256",
            suite: Suite::EcdsaJcs2019,
            key_file: key,
            document: unsigned,
        },
    ];
    pipelines.iter().for_each(Pipeline::check);
    assert_eq!(pipelines.len(), count("vc-di-ecdsa P-256 pipelines (canonical forms, hashes, signatures)"));
}

/// ecdsa-rdfc-2019 with P-384 hashes with SHA-384 inside RDFC-1.0 too (issue
/// 17): the `employ` credential's blank nodes get the vector's labels only then.
#[test]
fn ecdsa_p384_pipelines_reproduce_the_vectors() {
    let unsigned = w3c_json("vc-di-ecdsa/TestVectors/unsigned.json");
    let employ = w3c_json("vc-di-ecdsa/TestVectors/employmentAuth.json");
    let key = "test-vectors/vc-di-ecdsa-p384/p384KeyPair.json";
    let pipelines = [
        Pipeline {
            dir: "test-vectors/vc-di-ecdsa-p384",
            suffix: "ECDSAP384",
            suite: Suite::EcdsaRdfc2019,
            key_file: key,
            document: unsigned,
        },
        Pipeline {
            dir: "test-vectors/vc-di-ecdsa-p384/employ",
            suffix: "ECDSAP384",
            suite: Suite::EcdsaRdfc2019,
            key_file: key,
            document: employ.clone(),
        },
    ];
    pipelines.iter().for_each(Pipeline::check);
    assert_eq!(
        pipelines.len(),
        count(
            "vc-di-ecdsa P-384 ecdsa-rdfc-2019 pipelines, in `vc-di-ecdsa-p384/` (SHA-384 inside RDFC-1.0)"
        )
    );
    // The same document under RDFC-1.0 with SHA-256 labels its blank nodes
    // otherwise: the vector really checks the inner hash.
    let sha256 = run(proof::canonical_form(Suite::EcdsaRdfc2019, KeyType::P256, &employ)).unwrap();
    assert_ne!(sha256.trim(), text("test-vectors/vc-di-ecdsa-p384/employ/canonDocECDSAP384.txt"));
}

fn verify_json(doc: &Value) -> Result<didam_credential::Report, Error> {
    run(verify::verify(&verify::Input::Json(doc.clone()), &OfflineResolver, &VerifyOptions::default()))
        .map(|verified| verified.report)
}

/// Flips one character of the first proof's `proofValue` (keeping base58).
fn flip_proof_byte(doc: &mut Value) {
    let proof = match doc.get_mut("proof").unwrap() {
        Value::Array(set) => &mut set[0],
        one => one,
    };
    let pv = proof["proofValue"].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = pv.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    proof["proofValue"] = json!(chars.into_iter().collect::<String>());
}

#[test]
fn signed_vectors_verify_and_every_tampering_fails() {
    let signed = [
        "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json",
        "vc-di-eddsa/TestVectors/Ed25519Signature2020/signedEdSig.json",
        "vc-di-eddsa/TestVectors/proof-set-chain/signedProofSet2.json",
        "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/signedECDSAP256.json",
        "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/employ/signedECDSAP256.json",
        "vc-di-ecdsa/TestVectors/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json",
    ];
    verify_signed_and_tampered(&signed);
    assert_eq!(
        signed.len(),
        count("signed Data Integrity credentials (eddsa, ecdsa, Ed25519Signature2020, proof sets)")
    );
}

#[test]
fn signed_p384_vectors_verify_and_tampered_copies_fail() {
    let signed = [
        "test-vectors/vc-di-ecdsa-p384/signedECDSAP384.json",
        "test-vectors/vc-di-ecdsa-p384/employ/signedECDSAP384.json",
    ];
    verify_signed_and_tampered(&signed);
    assert_eq!(signed.len(), count("signed ecdsa-rdfc-2019 P-384 credentials, in `vc-di-ecdsa-p384/`"));
}

/// Each signed vector verifies; a copy with one changed claim and a copy with
/// one changed `proofValue` character fail on the signature.
fn verify_signed_and_tampered(signed: &[&str]) {
    for path in signed {
        let doc = vector_json(path);
        let report = verify_json(&doc).unwrap();
        assert!(report.is_valid(), "{path}: {report}");

        let mut claim = doc.clone();
        let subject = claim["credentialSubject"].as_object_mut().unwrap();
        let name = subject
            .iter()
            .find(|(k, v)| !matches!(k.as_str(), "id" | "type") && v.is_string())
            .map(|(k, _)| k.clone())
            .unwrap();
        subject.insert(name, json!("tampered"));
        let report = verify_json(&claim).unwrap();
        assert!(!report.is_valid(), "{path}: a changed claim must fail");
        assert_eq!(report.failure().unwrap().check, CheckKind::Signature, "{path}: {report}");

        let mut byte = doc.clone();
        flip_proof_byte(&mut byte);
        let report = verify_json(&byte).unwrap();
        assert!(!report.is_valid(), "{path}: a changed proof byte must fail");
        assert_eq!(report.failure().unwrap().check, CheckKind::Signature);
    }
}

fn jose_resolver() -> StaticMethods<OfflineResolver> {
    let mut methods = StaticMethods::new(OfflineResolver);
    for vm in ["vm-ed25519.json", "vm-p256.json", "vm-p384.json", "vm-p521.json"] {
        let vm = w3c_json(&format!("vc-jose-cose-test-suite/tests/input/{vm}"));
        methods.insert(&vm, &[ProofPurpose::AssertionMethod, ProofPurpose::Authentication]).unwrap();
    }
    methods
}

fn verify_jose(file: &str) -> Result<didam_credential::Report, Error> {
    let jws = w3c(&format!("vc-jose-cose-test-suite/tests/input/{file}"));
    let options = VerifyOptions::default();
    run(verify::verify_text(&jws, &jose_resolver(), &options)).map(|verified| verified.report)
}

#[test]
fn vc_jose_cose_credentials_verify() {
    let good = [
        "credential-jose-minimal.txt",
        "credential-issuer-match-signed.txt",
        "credential-jose-unknown-extensions.txt",
        "credential-sdjwt-selective.txt",
        "credential-sdjwt-nested.txt",
        "credential-cose-minimal.txt",
    ];
    for file in good {
        let report = verify_jose(file).unwrap();
        assert!(report.is_valid(), "{file}: {report}");
    }
    assert_eq!(good.len(), count("VC-JOSE-COSE credentials that must verify (JOSE, SD-JWT, COSE)"));
}

#[test]
fn vc_jose_cose_bad_credentials_fail_with_the_reason() {
    let bad = [
        ("credential-jose-bad-signature.txt", Some(CheckKind::Signature)),
        ("credential-jose-bad-media-type.txt", Some(CheckKind::MediaType)),
        ("credential-jose-vc-vp-claims.txt", Some(CheckKind::MediaType)),
        ("credential-sdjwt-bad-signature.txt", Some(CheckKind::Signature)),
        ("credential-sdjwt-bad-media-type.txt", Some(CheckKind::MediaType)),
        ("credential-cose-bad-signature.txt", Some(CheckKind::Signature)),
        ("credential-cose-bad-media-type.txt", Some(CheckKind::MediaType)),
        // Not base64 at all: unreadable, so not even a report.
        ("credential-cose-minimal-not-base64.txt", None),
    ];
    for (file, kind) in bad {
        match (verify_jose(file), kind) {
            (Ok(report), Some(kind)) => {
                assert!(!report.is_valid(), "{file}: {report}");
                assert!(report.failures().any(|c| c.check == kind), "{file}: {report}");
            }
            (Err(e), None) => assert!(matches!(e, Error::UnreadableInput(_) | Error::Json(_)), "{file}: {e}"),
            (other, _) => panic!("{file}: {other:?}"),
        }
    }
    assert_eq!(bad.len(), count("VC-JOSE-COSE credentials that must fail (JOSE, SD-JWT, COSE)"));
}

#[test]
fn our_vc_jwt_round_trips_with_eddsa_and_es256() {
    let credential = w3c_json("vc-jose-cose-test-suite/tests/input/credential-minimal.json");
    for key_type in [KeyType::Ed25519, KeyType::P256] {
        let key = SecretKey::generate(key_type);
        let (did, vm) = didam_credential::did::did_key(&key.public_key());
        let mut vc = credential.clone();
        vc["issuer"] = json!(did);
        let jws = didam_credential::jose::sign(&vc, &key, &vm, didam_credential::jose::VC_JWT).unwrap();
        let report =
            run(verify::verify_text(&jws, &OfflineResolver, &VerifyOptions::default())).unwrap().report;
        assert!(report.is_valid(), "{key_type}: {report}");
        // Enveloped form verifies the same way.
        let env = didam_credential::jose::envelope(&jws);
        assert!(verify_json(&env).unwrap().is_valid());
        // A changed payload byte fails.
        let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
        let mut payload = parts[1].clone().into_bytes();
        payload[10] = if payload[10] == b'A' { b'B' } else { b'A' };
        parts[1] = String::from_utf8(payload).unwrap();
        let report = run(verify::verify_text(&parts.join("."), &OfflineResolver, &VerifyOptions::default()));
        assert!(report.map(|r| !r.report.is_valid()).unwrap_or(true));
    }
}

fn did_key_vectors(file: &str) -> Vec<(String, Value)> {
    let v = w3c_json(&format!("did-method-key/test-vectors/{file}"));
    v.as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("did:key:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn did_key_vectors_resolve_to_the_same_key_material() {
    let mut checked = 0;
    let mut refused = 0;
    for file in ["ed25519-x25519.json", "nist-curves.json", "bls12381.json", "rsa.json"] {
        for (did, vector) in did_key_vectors(file) {
            let expected_vm = &vector["didDocument"]["verificationMethod"][0];
            let expected = didam_credential::did::method_public_key(expected_vm);
            match run(OfflineResolver.resolve(&did)) {
                Ok(resolution) => {
                    let vm_id = expected_vm["id"].as_str().unwrap();
                    let method = run(OfflineResolver.resolve_method(vm_id)).unwrap();
                    assert_eq!(Some(method.key), expected.clone().ok(), "{did}");
                    assert_eq!(resolution.document.id(), did);
                    checked += 1;
                }
                Err(e) => {
                    // Only key types didam does not sign with may be refused, and with a typed error.
                    assert!(expected.is_err(), "{did} refused: {e}");
                    assert!(matches!(e, didam_credential::ResolveError::InvalidDid(_)), "{did}: {e}");
                    refused += 1;
                }
            }
        }
    }
    // x25519.json has a single document for a key-agreement key: refused too.
    let x = w3c_json("did-method-key/test-vectors/x25519.json");
    let did = x["didDocument"].as_object().unwrap().keys().next().unwrap();
    assert!(run(OfflineResolver.resolve(did)).is_err());
    refused += 1;
    assert_eq!(checked, count("did:key vectors (Ed25519, P-256, P-384, P-521, BLS12-381 G2)"));
    assert_eq!(
        refused,
        count("did:key vectors of key types didam does not verify with (X25519, BLS12-381 G1+G2, RSA)")
    );
}

fn vcdm2_inputs(suffix: &str) -> Vec<(String, Value)> {
    let dir = common::shared().join("w3c-vectors/vc-data-model-2.0-test-suite/tests/input");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().ends_with(suffix))
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, doc)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The W3C suite sends these inputs through an issuer, which sets `issuer`;
/// we do the same for inputs that lack one, unless the case is about the issuer.
fn as_issued(name: &str, mut doc: Value) -> Value {
    let credential = doc["type"].to_string().contains("VerifiableCredential");
    if doc.get("issuer").is_none() && !name.contains("issuer") && credential {
        doc["issuer"] = json!("did:example:issuer");
    }
    // Placeholders the W3C harness fills in before issuing.
    for field in ["validFrom", "validUntil"] {
        match doc.get(field).and_then(Value::as_str) {
            Some("PAST DATE") => doc[field] = json!("2020-01-01T00:00:00Z"),
            Some("FUTURE DATE") => doc[field] = json!("2999-01-01T00:00:00Z"),
            _ => {}
        }
    }
    if name.ends_with("-ok.json") && doc["issuer"] == json!({}) {
        doc["issuer"]["id"] = json!("did:example:issuer");
    }
    doc
}

#[test]
fn vcdm2_ok_inputs_are_accepted() {
    let inputs = vcdm2_inputs("-ok.json");
    for (name, doc) in &inputs {
        let doc = as_issued(name, doc.clone());
        let verdict = run(didam_credential::credential::validate(&doc)).unwrap();
        assert!(verdict.is_ok(), "{name}: {verdict:?}");
    }
    assert_eq!(inputs.len(), count("VCDM 2.0 test suite: -ok inputs"));
}

#[test]
fn vcdm2_fail_inputs_are_rejected_with_a_reason() {
    let mut inputs = vcdm2_inputs("-fail.json");
    inputs.extend(vcdm2_inputs("-fail-or-inject.json"));
    for (name, doc) in &inputs {
        let doc = as_issued(name, doc.clone());
        match run(didam_credential::credential::validate(&doc)) {
            Ok(Ok(())) => panic!("{name} was accepted"),
            Ok(Err(reasons)) => assert!(!reasons.is_empty() && !reasons[0].is_empty(), "{name}"),
            Err(e) => panic!("{name}: could not check: {e}"),
        }
    }
    assert_eq!(inputs.len(), count("VCDM 2.0 test suite: -fail inputs"));
}

#[test]
fn readme_table_matches_the_vectors() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/README.md"))
            .unwrap();
    for (set, n) in SETS {
        let row = format!("| {set} | {n} | {n} |");
        assert!(readme.contains(&row), "test-vectors/README.md lacks the row `{row}`");
    }
}

/// The CCG quantum-safe vectors' signer: `verificationMethod` is the bare
/// `did:key:u…` (no fragment), which is no verification method of the did:key
/// document, so the published key is given as a method of that id.
fn mldsa_resolver() -> StaticMethods<OfflineResolver> {
    let keys = vector_json("test-vectors/mldsa44/KeysMLDSA.json");
    let multikey = keys["mldsa44"]["publicKeyMultibase"].as_str().unwrap();
    let did = format!("did:key:{multikey}");
    let vm = json!({"id": did, "type": "Multikey", "controller": did, "publicKeyMultibase": multikey});
    let mut methods = StaticMethods::new(OfflineResolver);
    methods.insert(&vm, &[ProofPurpose::AssertionMethod]).unwrap();
    methods
}

const MLDSA_SUITES: [Suite; 2] = [Suite::Mldsa44Rdfc2024, Suite::Mldsa44Jcs2024];

#[test]
fn mldsa44_pipelines_reproduce_the_vectors() {
    use fips204::traits::{SerDes as _, Verifier as _};
    let keys = vector_json("test-vectors/mldsa44/KeysMLDSA.json");
    let public = PublicKey::from_multikey(keys["mldsa44"]["publicKeyMultibase"].as_str().unwrap()).unwrap();
    assert_eq!(public.key_type(), KeyType::MlDsa44);
    assert_eq!(hex::encode(public.to_bytes()), keys["mldsa44"]["publicKeyHex"].as_str().unwrap());
    assert_eq!(public.to_multikey(), keys["mldsa44"]["publicKeyMultibase"].as_str().unwrap());
    let oracle =
        fips204::ml_dsa_44::PublicKey::try_from_bytes(public.to_bytes().as_slice().try_into().unwrap())
            .unwrap();
    let hashing = vector_json("test-vectors/mldsa44/hashing-combined.json");
    for suite in MLDSA_SUITES {
        let signed = vector_json(&format!("test-vectors/mldsa44/signed-{suite}.json"));
        let mut config = signed["proof"].clone();
        let proof_value = config.as_object_mut().unwrap().remove("proofValue").unwrap();
        config["@context"] = signed["@context"].clone();
        let data = run(proof::hash_data(suite, KeyType::MlDsa44, &config, &unsigned_of(&signed))).unwrap();
        assert_eq!(hex::encode(&data), hashing[suite.name()].as_str().unwrap(), "{suite}: hashData");
        let (base, signature) = multibase::decode(proof_value.as_str().unwrap()).unwrap();
        assert_eq!((base, signature.len()), (multibase::Base::Base64Url, 2420));
        public.verify(&data, &signature).unwrap();
        let array: [u8; 2420] = signature.as_slice().try_into().unwrap();
        assert!(oracle.verify(&data, &array, b""), "{suite}: fips204 verifies the vector too");
        // One bit of the hashed data or of the signature: refused.
        for i in [0, 31, 32, 63] {
            let mut flipped = data.clone();
            flipped[i] ^= 0x01;
            assert!(public.verify(&flipped, &signature).is_err(), "{suite}: hashData bit {i}");
        }
        for i in [0, 1209, 2419] {
            let mut flipped = signature.clone();
            flipped[i] ^= 0x01;
            assert!(public.verify(&data, &flipped).is_err(), "{suite}: signature bit {i}");
        }
    }
    assert_eq!(
        MLDSA_SUITES.len(),
        count("CCG quantum-safe mldsa44 pipelines, in `mldsa44/` (hashData, signatures)")
    );
}

#[test]
fn mldsa44_signed_vectors_verify_and_tampered_copies_fail() {
    let resolver = mldsa_resolver();
    let verify_doc = |doc: &Value| {
        run(verify::verify(&verify::Input::Json(doc.clone()), &resolver, &VerifyOptions::default()))
            .unwrap()
            .report
    };
    for suite in MLDSA_SUITES {
        let path = format!("test-vectors/mldsa44/signed-{suite}.json");
        let doc = vector_json(&path);
        let report = verify_doc(&doc);
        assert!(report.is_valid(), "{path}: {report}");
        let entry = report.of(CheckKind::Proof).next().unwrap();
        assert_eq!(entry.security, Some(didam_credential::Security::QuantumSafe), "{path}");

        let mut claim = doc.clone();
        claim["credentialSubject"]["givenName"] = json!("JANE");
        let report = verify_doc(&claim);
        assert_eq!(report.failure().unwrap().check, CheckKind::Signature, "{path}: {report}");

        // One bit of the signature, re-encoded.
        let (_, mut signature) = multibase::decode(doc["proof"]["proofValue"].as_str().unwrap()).unwrap();
        signature[1000] ^= 0x04;
        let mut bit = doc.clone();
        bit["proof"]["proofValue"] = json!(multibase::encode(multibase::Base::Base64Url, &signature));
        let report = verify_doc(&bit);
        assert_eq!(report.failure().unwrap().check, CheckKind::Signature, "{path}: {report}");

        // One bit of the proof options (`created` a second later).
        let mut created = doc.clone();
        created["proof"]["created"] = json!("2023-02-24T23:36:39Z");
        let report = verify_doc(&created);
        assert_eq!(report.failure().unwrap().check, CheckKind::Signature, "{path}: {report}");
    }
    assert_eq!(MLDSA_SUITES.len(), count("CCG quantum-safe signed mldsa44 credentials, in `mldsa44/`"));
}
