//! Issue and verify throughput for each suite, with ssi 0.16's own sign and
//! verify of the same credential measured in the same run as the reference;
//! key generation and the raw signature primitives (Ed25519, P-256 and the
//! quantum-safe ML-DSA-44, issue 21 Deliver 7); the size of each suite's
//! proof.
//!
//! Run with `cargo bench --workspace --features
//! didam-ledger/etcd,didam-resolver/etcd --bench suites` (a criterion
//! filter after `--` selects benchmarks). The credential is the vc-di-eddsa
//! example (`../shared/w3c-vectors/vc-di-eddsa/TestVectors/unsigned.json`).
//! At the end the ratios the targets are stated in are printed, and one
//! Markdown table of key generation, issue and verify times and proof sizes
//! per suite.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::Criterion;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::{KeyType, SecretKey, Suite, jose};
use didam_verifier::Verifier;
use futures::executor::block_on;
use serde_json::Value;

fn shared() -> std::path::PathBuf {
    std::env::var_os("DIDAM_SHARED")
        .map(Into::into)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn example_credential() -> Value {
    let path = shared().join("w3c-vectors/vc-di-eddsa/TestVectors/unsigned.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("W3C vectors beside the repository")).unwrap()
}

fn key_for(suite: Suite) -> SecretKey {
    SecretKey::generate(suite.default_key_type())
}

/// The physical floor: one Ed25519 verification, with the key already decoded
/// and with the key decoded from its 32 bytes first.
fn floor(c: &mut Criterion) {
    let key = SecretKey::generate(KeyType::Ed25519);
    let public = key.public_key();
    let message = [7u8; 64];
    let signature = key.sign(&message);
    c.bench_function("floor/ed25519 verify", |b| {
        b.iter(|| public.verify(black_box(&message), &signature).unwrap())
    });
    let raw = public.to_bytes();
    c.bench_function("floor/ed25519 decode key + verify", |b| {
        b.iter(|| {
            let public = didam_credential::PublicKey::from_bytes(KeyType::Ed25519, black_box(&raw)).unwrap();
            public.verify(&message, &signature).unwrap()
        })
    });
}

/// The key types the suites sign with, each by its name in benchmark ids.
const KEY_TYPES: [KeyType; 3] = [KeyType::Ed25519, KeyType::P256, KeyType::MlDsa44];

/// Key generation and the raw primitives on a 64-byte message (the size of
/// the `hashData` every Data Integrity suite signs): Ed25519 against
/// ML-DSA-44, with P-256 (the key of ecdsa-rdfc-2019) beside them.
fn primitives(c: &mut Criterion) {
    for key_type in KEY_TYPES {
        let name = key_type.name();
        c.bench_function(&format!("keygen/{name}"), |b| b.iter(|| SecretKey::generate(black_box(key_type))));
        let key = SecretKey::generate(key_type);
        let public = key.public_key();
        let message = [7u8; 64];
        c.bench_function(&format!("primitive/{name} sign"), |b| b.iter(|| key.sign(black_box(&message))));
        let signature = key.sign(&message);
        c.bench_function(&format!("primitive/{name} verify"), |b| {
            b.iter(|| public.verify(black_box(&message), &signature).unwrap())
        });
    }
}

/// The sizes of one suite's output, in bytes.
struct Sizes {
    suite: Suite,
    /// The decoded `proofValue` (the signature, or the ecdsa-sd-2023 base proof).
    proof_value: usize,
    /// The `proof` object as compact JSON.
    proof: usize,
    /// The whole signed credential as compact JSON.
    signed: usize,
}

fn sizes_of(suite: Suite, signed: &Value) -> Sizes {
    let proof = &signed["proof"];
    let value = proof["proofValue"].as_str().unwrap();
    Sizes {
        suite,
        proof_value: multibase::decode(value).unwrap().1.len(),
        proof: proof.to_string().len(),
        signed: signed.to_string().len(),
    }
}

fn ours(c: &mut Criterion, credential: &Value) -> Vec<Sizes> {
    let verifier = Verifier::new(OfflineResolver);
    let mut sizes = Vec::new();
    for suite in Suite::ALL {
        let key = key_for(suite);
        let (issuer, vm) = did::did_key(&key.public_key());
        let mut credential = credential.clone();
        credential["issuer"] = issuer.into();
        let mut credential = credential.clone();
        if suite == Suite::Ed25519Signature2020 {
            let ctx = credential["@context"].as_array_mut().unwrap();
            ctx.push("https://w3id.org/security/suites/ed25519-2020/v1".into());
        }
        let options = ProofOptions::assertion(suite, vm);
        c.bench_function(&format!("didam/issue/{suite}"), |b| {
            b.iter(|| block_on(proof::add_proof(black_box(&credential), &key, &options)).unwrap())
        });
        let mut signed = block_on(proof::add_proof(&credential, &key, &options)).unwrap();
        sizes.push(sizes_of(suite, &signed));
        if suite.is_selective() {
            // A verifier accepts only derived proofs: verify what a holder
            // derives disclosing everything.
            let all: Vec<_> = didam_credential::selective::claim_pointers(&signed)
                .iter()
                .map(|p| p.parse().unwrap())
                .collect();
            let limits = didam_credential::limits::Limits::default();
            signed = block_on(didam_credential::selective::derive(&signed, &all, &limits)).unwrap();
        }
        let signed = signed.to_string();
        assert!(block_on(verifier.verify_credential(&signed)).unwrap().is_valid());
        c.bench_function(&format!("didam/verify/{suite}"), |b| {
            b.iter(|| {
                let report = block_on(verifier.verify_credential(black_box(&signed))).unwrap();
                assert!(report.is_valid());
            })
        });
    }
    for key_type in [KeyType::Ed25519, KeyType::P256] {
        let key = SecretKey::generate(key_type);
        let (issuer, vm) = did::did_key(&key.public_key());
        let mut credential = credential.clone();
        credential["issuer"] = issuer.into();
        let alg = key_type.jose_alg();
        c.bench_function(&format!("didam/issue/vc+jwt {alg}"), |b| {
            b.iter(|| jose::sign(black_box(&credential), &key, &vm, jose::VC_JWT).unwrap())
        });
        let jws = jose::sign(&credential, &key, &vm, jose::VC_JWT).unwrap();
        c.bench_function(&format!("didam/verify/vc+jwt {alg}"), |b| {
            b.iter(|| assert!(block_on(verifier.verify_credential(black_box(&jws))).unwrap().is_valid()))
        });
    }
    sizes
}

mod reference {
    //! ssi 0.16's own paths, as its documentation and tests use them.
    use super::*;
    use ssi::JWK;
    use ssi::claims::VerificationParameters;
    use ssi::claims::data_integrity::{
        CryptographicSuite as _, DataIntegrity, ProofOptions as SsiProofOptions, suites::EdDsaRdfc2022,
    };
    use ssi::claims::vc::v2::JsonCredential;
    use ssi::claims::vc_jose_cose::JoseVc;
    use ssi::dids::{DIDKey, DIDResolver as _};
    use ssi::verification_methods::{AnyJwkMethod, Multikey, SingleSecretSigner};

    pub(super) fn bench(c: &mut Criterion, credential: &Value) {
        let key = SecretKey::generate(KeyType::Ed25519);
        let jwk: JWK = serde_json::from_str(&key.to_jwk()).unwrap();
        let (issuer, vm) = did::did_key(&key.public_key());
        let mut credential = credential.clone();
        credential["issuer"] = issuer.into();
        let vc: JsonCredential = serde_json::from_value(credential.clone()).unwrap();
        let resolver = DIDKey.into_vm_resolver::<Multikey>();
        let signer = SingleSecretSigner::new(jwk.clone());
        let vm_iri = ssi::json_ld::IriBuf::new(vm.clone()).unwrap();
        let options = || SsiProofOptions::from_method(vm_iri.clone().into());

        c.bench_function("ssi/issue/eddsa-rdfc-2022", |b| {
            b.iter(|| block_on(EdDsaRdfc2022.sign(vc.clone(), &resolver, &signer, options())).unwrap())
        });
        let signed = block_on(EdDsaRdfc2022.sign(vc.clone(), &resolver, &signer, options())).unwrap();
        let text = serde_json::to_string(&signed).unwrap();
        let params = VerificationParameters::from_resolver(&resolver);
        c.bench_function("ssi/verify/eddsa-rdfc-2022", |b| {
            b.iter(|| {
                let parsed: DataIntegrity<JsonCredential, EdDsaRdfc2022> =
                    serde_json::from_str(black_box(&text)).unwrap();
                assert_eq!(block_on(parsed.verify(&params)).unwrap(), Ok(()));
            })
        });
        // Our verifier accepts ssi's proof: the two implementations interoperate.
        let verifier = Verifier::new(OfflineResolver);
        assert!(
            block_on(verifier.verify_credential(&text)).unwrap().is_valid(),
            "ssi's proof verifies with didam"
        );

        let enveloped = block_on(JoseVc(vc.clone()).sign_into_enveloped(&jwk)).unwrap();
        let jws = enveloped.id.decoded_data().unwrap().into_owned();
        let jws = String::from_utf8(jws).unwrap();
        let jwk_params = VerificationParameters::from_resolver(&jwk);
        c.bench_function("ssi/verify/vc+jwt EdDSA", |b| {
            b.iter(|| {
                let vc =
                    JoseVc::decode_any(ssi::claims::JwsStr::new(black_box(jws.as_str())).unwrap()).unwrap();
                assert_eq!(block_on(vc.verify(&jwk_params)).unwrap(), Ok(()));
            })
        });
        // The same, with the key found by resolving the issuer's did:key (the `kid`),
        // as a verifier that is not handed the key does it.
        let signed_kid = jose::sign(&credential, &key, &vm, jose::VC_JWT).unwrap();
        let did_params = VerificationParameters::from_resolver(DIDKey.into_vm_resolver::<AnyJwkMethod>());
        c.bench_function("ssi/verify/vc+jwt EdDSA did:key", |b| {
            b.iter(|| {
                let vc =
                    JoseVc::decode_any(ssi::claims::JwsStr::new(black_box(signed_kid.as_str())).unwrap())
                        .unwrap();
                assert_eq!(block_on(vc.verify(&did_params)).unwrap(), Ok(()));
            })
        });
    }
}

/// Mean time of a benchmark, from criterion's estimates.
fn mean_ns(id: &str) -> Option<f64> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion");
    let dir = dir.join(id.replace(['/', ':'], "_")).join("new/estimates.json");
    let text = std::fs::read_to_string(dir).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// A mean as microseconds, or "-" when the benchmark did not run.
fn micros(id: &str) -> String {
    mean_ns(id).map_or_else(|| "-".into(), |ns| format!("{:.1}", ns / 1000.0))
}

/// The costs of each suite in one table: key generation, issue and verify
/// (criterion means of this run), and the sizes of what it signs.
fn costs_table(sizes: &[Sizes]) {
    println!();
    println!(
        "| suite | key | key generation (µs) | issue (µs) | verify (µs) | proofValue (B) | proof JSON (B) | signed credential (B) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for s in sizes {
        let key = s.suite.default_key_type().name();
        println!(
            "| {} | {key} | {} | {} | {} | {} | {} | {} |",
            s.suite,
            micros(&format!("keygen/{key}")),
            micros(&format!("didam/issue/{}", s.suite)),
            micros(&format!("didam/verify/{}", s.suite)),
            s.proof_value,
            s.proof,
            s.signed
        );
    }
    println!();
    println!("| primitive (64-byte message) | key generation (µs) | sign (µs) | verify (µs) |");
    println!("|---|---|---|---|");
    for key_type in KEY_TYPES {
        let name = key_type.name();
        println!(
            "| {name} | {} | {} | {} |",
            micros(&format!("keygen/{name}")),
            micros(&format!("primitive/{name} sign")),
            micros(&format!("primitive/{name} verify"))
        );
    }
}

fn main() {
    let credential = example_credential();
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    floor(&mut c);
    primitives(&mut c);
    reference::bench(&mut c, &credential);
    let sizes = ours(&mut c, &credential);
    c.final_summary();
    costs_table(&sizes);

    let ratio = |reference: &str, ours: &str| Some(mean_ns(reference)? / mean_ns(ours)?);
    if let Some(r) = ratio("ssi/verify/eddsa-rdfc-2022", "didam/verify/eddsa-rdfc-2022") {
        println!("eddsa-rdfc-2022 verify: didam is {r:.1}x ssi (target >= 5x)");
    }
    for reference in ["ssi/verify/vc+jwt EdDSA", "ssi/verify/vc+jwt EdDSA did:key"] {
        if let Some(r) = ratio(reference, "didam/verify/eddsa-jcs-2022") {
            println!("eddsa-jcs-2022 verify: didam is {r:.2}x {reference} (target >= 2x)");
        }
    }
    if let Some(r) = ratio("didam/verify/eddsa-jcs-2022", "floor/ed25519 verify") {
        println!("eddsa-jcs-2022 verify costs {r:.2}x one Ed25519 verification");
    }
}
