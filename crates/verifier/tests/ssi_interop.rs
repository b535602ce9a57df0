//! Interoperability with SpruceID's ssi 0.16 in both directions: each side
//! verifies what the other signed (`eddsa-rdfc-2022` and `vc+jwt`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use didam_credential::did::{self, OfflineResolver};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::{KeyType, SecretKey, Suite, jose};
use didam_verifier::Verifier;
use futures::executor::block_on;
use serde_json::{Value, json};
use ssi::JWK;
use ssi::claims::VerificationParameters;
use ssi::claims::data_integrity::{
    CryptographicSuite as _, DataIntegrity, ProofOptions as SsiProofOptions, suites::EdDsaRdfc2022,
};
use ssi::claims::vc::v2::JsonCredential;
use ssi::claims::vc_jose_cose::JoseVc;
use ssi::dids::{DIDKey, DIDResolver as _};
use ssi::verification_methods::{AnyJwkMethod, Multikey, SingleSecretSigner};

fn credential(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:2d0c2d4e-7a0c-4a54-9d8c-1b5b3f1f3a11",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": { "type": "ExampleBachelorDegree", "name": "BSc" } }
    })
}

#[test]
fn ssi_verifies_our_eddsa_rdfc_2022_proof_and_we_verify_its() {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, vm) = did::did_key(&key.public_key());
    let resolver = DIDKey.into_vm_resolver::<Multikey>();
    let params = VerificationParameters::from_resolver(&resolver);

    let ours = block_on(proof::add_proof(
        &credential(&issuer),
        &key,
        &ProofOptions::assertion(Suite::EddsaRdfc2022, &vm),
    ))
    .unwrap();
    let parsed: DataIntegrity<JsonCredential, EdDsaRdfc2022> = serde_json::from_value(ours.clone()).unwrap();
    assert_eq!(block_on(parsed.verify(&params)).unwrap(), Ok(()), "ssi accepts didam's proof");
    let mut tampered = ours;
    tampered["credentialSubject"]["degree"]["name"] = json!("PhD");
    let parsed: DataIntegrity<JsonCredential, EdDsaRdfc2022> = serde_json::from_value(tampered).unwrap();
    assert!(block_on(parsed.verify(&params)).unwrap().is_err(), "ssi rejects a tampered didam credential");

    let jwk: JWK = serde_json::from_str(&key.to_jwk()).unwrap();
    let vc: JsonCredential = serde_json::from_value(credential(&issuer)).unwrap();
    let vm_iri = ssi::json_ld::IriBuf::new(vm).unwrap();
    let theirs = block_on(EdDsaRdfc2022.sign(
        vc,
        &resolver,
        SingleSecretSigner::new(jwk),
        SsiProofOptions::from_method(vm_iri.into()),
    ))
    .unwrap();
    let text = serde_json::to_string(&theirs).unwrap();
    let report = block_on(Verifier::new(OfflineResolver).verify_credential(&text)).unwrap();
    assert!(report.is_valid(), "didam accepts ssi's proof: {report}");
}

#[test]
fn ssi_verifies_our_vc_jwt_and_we_verify_its() {
    for key_type in [KeyType::Ed25519, KeyType::P256] {
        let key = SecretKey::generate(key_type);
        let (issuer, vm) = did::did_key(&key.public_key());
        let params = VerificationParameters::from_resolver(DIDKey.into_vm_resolver::<AnyJwkMethod>());

        let ours = jose::sign(&credential(&issuer), &key, &vm, jose::VC_JWT).unwrap();
        let decoded = JoseVc::decode_any(ssi::claims::JwsStr::new(ours.as_str()).unwrap()).unwrap();
        assert_eq!(
            block_on(decoded.verify(&params)).unwrap(),
            Ok(()),
            "ssi accepts didam's {key_type} vc+jwt"
        );

        let mut jwk: JWK = serde_json::from_str(&key.to_jwk()).unwrap();
        jwk.key_id = Some(vm.clone());
        let vc: JsonCredential = serde_json::from_value(credential(&issuer)).unwrap();
        let enveloped = block_on(JoseVc(vc).sign_into_enveloped(&jwk)).unwrap();
        let envelope = serde_json::to_string(&enveloped).unwrap();
        let report = block_on(Verifier::new(OfflineResolver).verify_credential(&envelope)).unwrap();
        assert!(report.is_valid(), "didam accepts ssi's {key_type} vc+jwt: {report}");
    }
}
