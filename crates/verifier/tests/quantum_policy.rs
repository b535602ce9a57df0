//! A verification policy that requires quantum-safe or hybrid signatures
//! (issue 21, Deliver 6; `signature_security` in a policy file): a
//! credential signed only with Ed25519 fails it, one with ML-DSA-44 passes
//! `quantum-safe` but not `hybrid`, and a proof set of both passes `hybrid`.
//! And one that requires the issuer DID's control to be quantum-safe or
//! hybrid (`issuer_control`): did:didam issuers resolved on a real embedded
//! ledger, Ed25519-controlled failing with the reason, hybrid passing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::{KeyType, Outcome, ProofOptions, Report, SecretKey, Suite, proof};
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger as _};
use didam_method::entry;
use didam_registry::{CheckpointStore, Resolver};
use didam_verifier::{CheckKind, Policy, RequiredSecurity, Verifier};
use serde_json::{Value, json};

fn signed(issuer: &str, key: &SecretKey, suite: Suite) -> Value {
    let (_, method) = did::did_key(&key.public_key());
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
    });
    run(proof::add_proof(&unsigned, key, &ProofOptions::assertion(suite, method))).unwrap()
}

fn verified(doc: &Value, required: Option<RequiredSecurity>) -> Report {
    verified_by(Verifier::new(OfflineResolver), doc, |p| p.signature_security = required)
}

fn verified_by<R: didam_credential::did::MethodResolver>(
    verifier: Verifier<R>,
    doc: &Value,
    set: impl FnOnce(&mut Policy),
) -> Report {
    let mut policy = Policy::default();
    set(&mut policy);
    let verifier = verifier.at(chrono::Utc::now()).with_policy(policy);
    run(verifier.verify_credential(&doc.to_string())).unwrap()
}

fn check_of(report: &Report, kind: CheckKind) -> Option<(Outcome, String)> {
    report.checks.iter().find(|c| c.check == kind).map(|c| (c.outcome, c.detail.clone()))
}

fn security_check(report: &Report) -> Option<(Outcome, String)> {
    check_of(report, CheckKind::SignatureSecurity)
}

#[test]
fn classical_credentials_fail_a_quantum_safe_policy_and_ml_dsa_ones_pass() {
    let ed = SecretKey::generate(KeyType::Ed25519);
    let (ed_issuer, _) = did::did_key(&ed.public_key());
    let classical = signed(&ed_issuer, &ed, Suite::EddsaRdfc2022);
    assert!(security_check(&verified(&classical, None)).is_none(), "no check unless the policy asks");
    assert!(verified(&classical, None).is_valid());
    let report = verified(&classical, Some(RequiredSecurity::QuantumSafe));
    let (outcome, detail) = security_check(&report).unwrap();
    assert_eq!(outcome, Outcome::Failed, "{detail}");
    assert!(detail.contains("requires quantum-safe signatures; this has classical"), "{detail}");
    assert!(!report.is_valid());

    let ml = SecretKey::generate(KeyType::MlDsa44);
    let (ml_issuer, _) = did::did_key(&ml.public_key());
    let quantum = signed(&ml_issuer, &ml, Suite::Mldsa44Rdfc2024);
    let report = verified(&quantum, Some(RequiredSecurity::QuantumSafe));
    assert_eq!(security_check(&report).unwrap().0, Outcome::Passed);
    assert!(report.is_valid(), "{report}");
    let (outcome, detail) = security_check(&verified(&quantum, Some(RequiredSecurity::Hybrid))).unwrap();
    assert_eq!(outcome, Outcome::Failed, "{detail}");
}

#[test]
fn a_proof_set_of_both_families_is_hybrid() {
    let (ml, ed) = (SecretKey::generate(KeyType::MlDsa44), SecretKey::generate(KeyType::Ed25519));
    let (issuer, _) = did::did_key(&ml.public_key());
    let mut both = signed(&issuer, &ml, Suite::Mldsa44Rdfc2024);
    let classical = signed(&issuer, &ed, Suite::EddsaRdfc2022);
    both["proof"] = json!([both["proof"].clone(), classical["proof"].clone()]);
    let (outcome, detail) = security_check(&verified(&both, Some(RequiredSecurity::Hybrid))).unwrap();
    assert_eq!(outcome, Outcome::Passed, "{detail}");
    assert!(detail.contains("quantum-safe") && detail.contains("classical"), "{detail}");
    // A forged classical half does not count: the hybrid check sees only
    // signatures that verified.
    let mut forged = both.clone();
    forged["proof"][1]["proofValue"] =
        classical["proof"]["proofValue"].as_str().unwrap().replacen('z', "z1", 1).into();
    let report = verified(&forged, Some(RequiredSecurity::Hybrid));
    assert!(!report.is_valid());
    assert_eq!(security_check(&report).unwrap().0, Outcome::Failed, "{report}");
}

/// An embedded ledger in a fresh folder with a classical did:didam (one
/// Ed25519 update key) and a hybrid one (Ed25519 and ML-DSA-44 update keys,
/// both signing), each with an Ed25519 signing key, checkpointed; and the
/// registry's resolver over it, as the networked verifier uses.
struct Ledger {
    dir: std::path::PathBuf,
    classical: (String, SecretKey),
    hybrid: (String, SecretKey),
    origin: &'static str,
    key: didam_ledger::note::NoteVerifier,
}

impl Ledger {
    fn new(name: &str) -> Result<Ledger, Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("didam-issuer-control-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let origin = "example.test/issuer-control";
        let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), origin)?;
        let signer = NoteSigner::new(origin, SecretKey::generate(KeyType::Ed25519))?;
        let time = chrono::Utc::now() - chrono::Duration::minutes(1);
        let key = |t| SecretKey::generate(t);
        let mut dids = Vec::new();
        for control in [&[KeyType::Ed25519][..], &[KeyType::Ed25519, KeyType::MlDsa44]] {
            let update: Vec<SecretKey> = control.iter().map(|t| key(*t)).collect();
            let next: Vec<_> = control.iter().map(|t| key(*t).public_key()).collect();
            let signing = key(KeyType::Ed25519);
            let document = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
            let update: Vec<&SecretKey> = update.iter().collect();
            let (did, first) = run(entry::create_controlled(&update, &next, document, time))?;
            run(ledger.append(&first))?;
            dids.push((did.to_string(), signing));
        }
        run(ledger.checkpoint(&signer))?;
        let hybrid = dids.pop().ok_or("two DIDs")?;
        let classical = dids.pop().ok_or("two DIDs")?;
        Ok(Ledger { dir, classical, hybrid, origin, key: signer.verifier() })
    }

    /// The registry's resolver over the ledger, as the networked verifier
    /// uses it, with the client's checkpoint store.
    fn resolver(&self) -> Result<Resolver<EmbeddedLedger>, Box<dyn std::error::Error>> {
        let ledger = EmbeddedLedger::open(&self.dir.join("ledger.db"), self.origin)?;
        let store = CheckpointStore::new(self.dir.join("client"));
        Ok(Resolver::new().with_ledger(ledger, self.key.clone(), store))
    }

    /// A credential `issuer` signs with its signing key (`#key-1`).
    fn issued(&self, (issuer, key): &(String, SecretKey)) -> Result<Value, Box<dyn std::error::Error>> {
        let unsigned = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"],
            "issuer": issuer,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
        });
        let options = ProofOptions::assertion(Suite::EddsaRdfc2022, format!("{issuer}#key-1"));
        Ok(run(proof::add_proof(&unsigned, key, &options))?)
    }

    fn verified(
        &self,
        doc: &Value,
        required: Option<RequiredSecurity>,
    ) -> Result<Report, Box<dyn std::error::Error>> {
        Ok(verified_by(Verifier::new(self.resolver()?), doc, |p| p.issuer_control = required))
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_classical_controlled_issuer_fails_an_issuer_control_policy_and_a_hybrid_one_passes()
-> Result<(), Box<dyn std::error::Error>> {
    let ledger = Ledger::new("didam")?;
    let (classical, hybrid) = (ledger.issued(&ledger.classical)?, ledger.issued(&ledger.hybrid)?);

    // No check unless the policy asks.
    let report = ledger.verified(&classical, None)?;
    assert!(report.is_valid(), "{report}");
    assert!(check_of(&report, CheckKind::IssuerControl).is_none());

    // Hybrid control required: the Ed25519-controlled issuer fails, saying why.
    let report = ledger.verified(&classical, Some(RequiredSecurity::Hybrid))?;
    assert!(!report.is_valid(), "{report}");
    let (outcome, detail) = check_of(&report, CheckKind::IssuerControl).ok_or("an issuer-control check")?;
    assert_eq!(outcome, Outcome::Failed, "{detail}");
    let expected = format!(
        "the policy requires hybrid control of the issuer; {} has classical control",
        ledger.classical.0
    );
    assert_eq!(detail, expected);
    // The signature is fine: only the control check fails.
    assert_eq!(check_of(&report, CheckKind::Signature).ok_or("a signature check")?.0, Outcome::Passed);

    // The hybrid issuer passes both requirements.
    for required in [RequiredSecurity::Hybrid, RequiredSecurity::QuantumSafe] {
        let report = ledger.verified(&hybrid, Some(required))?;
        assert!(report.is_valid(), "{report}");
        let (outcome, detail) =
            check_of(&report, CheckKind::IssuerControl).ok_or("an issuer-control check")?;
        assert_eq!(outcome, Outcome::Passed, "{detail}");
        assert!(detail.contains("has hybrid control"), "{detail}");
    }
    // Quantum-safe control required: the classical issuer fails too.
    let report = ledger.verified(&classical, Some(RequiredSecurity::QuantumSafe))?;
    assert_eq!(check_of(&report, CheckKind::IssuerControl).ok_or("a check")?.0, Outcome::Failed);
    Ok(())
}

#[test]
fn a_did_key_is_controlled_by_its_one_key_and_a_url_issuer_by_nothing_known()
-> Result<(), Box<dyn std::error::Error>> {
    let ml = SecretKey::generate(KeyType::MlDsa44);
    let (issuer, _) = did::did_key(&ml.public_key());
    let quantum = signed(&issuer, &ml, Suite::Mldsa44Rdfc2024);
    let with =
        |required| verified_by(Verifier::new(OfflineResolver), &quantum, |p| p.issuer_control = required);
    let report = with(Some(RequiredSecurity::QuantumSafe));
    assert_eq!(check_of(&report, CheckKind::IssuerControl).ok_or("a check")?.0, Outcome::Passed, "{report}");
    // One ML-DSA-44 key is not hybrid control.
    let (outcome, detail) =
        check_of(&with(Some(RequiredSecurity::Hybrid)), CheckKind::IssuerControl).ok_or("a check")?;
    assert_eq!(outcome, Outcome::Failed);
    assert!(detail.ends_with("has quantum-safe control"), "{detail}");

    // An issuer that is a URL: nothing says how it is controlled.
    let url_issued = signed("https://issuer.example", &ml, Suite::Mldsa44Rdfc2024);
    let report = verified_by(Verifier::new(OfflineResolver), &url_issued, |p| {
        p.issuer_control = Some(RequiredSecurity::QuantumSafe);
        p.issuer_key_binding = didam_verifier::KeyBinding::Warn;
    });
    let (outcome, detail) = check_of(&report, CheckKind::IssuerControl).ok_or("a check")?;
    assert_eq!(outcome, Outcome::Failed);
    assert!(detail.contains("is not a DID"), "{detail}");
    Ok(())
}

#[test]
fn issuer_control_is_read_from_a_policy_file() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("didam-issuer-control-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("policy.toml");
    std::fs::write(&path, "issuer_control = \"hybrid\"\n")?;
    assert_eq!(Policy::from_file(&path)?.issuer_control, Some(RequiredSecurity::Hybrid));
    std::fs::write(&path, "issuer_control = \"classical\"\n")?;
    assert!(Policy::from_file(&path).is_err(), "classical is not a requirement");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
