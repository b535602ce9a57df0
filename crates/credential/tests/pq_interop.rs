//! Interop of the quantum-safe suites with an independent implementation:
//! `tests/interop/pq_interop.mjs`, on Node, with ML-DSA-44 from
//! `@noble/post-quantum`, RDFC-1.0 from `jsonld` and JCS from `canonicalize`
//! (pinned in `tests/interop/package-lock.json`). For `mldsa44-rdfc-2024` and
//! `mldsa44-jcs-2024`: what didam signs, the peer verifies; what the peer
//! signs, didam verifies; a changed claim fails on both sides; and the peer
//! verifies the published CCG vectors too.
//!
//! `scripts/test` installs the packages into `target/pq-interop` (`npm ci`)
//! and sets `DIDAM_PQ_INTEROP` to that folder; the test copies the script
//! there and runs it with `node`, offline (the JSON-LD contexts are the
//! engine's bundled ones, handed over in a file).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::verify::{self, VerifyOptions};
use didam_credential::{CheckKind, KeyType, SecretKey, Security, Suite};
use serde_json::{Map, Value, json};

const SUITES: [Suite; 2] = [Suite::Mldsa44Rdfc2024, Suite::Mldsa44Jcs2024];

/// The folder with the peer's `node_modules`.
fn peer_dir() -> PathBuf {
    let dir = std::env::var_os("DIDAM_PQ_INTEROP").unwrap_or_else(|| {
        panic!(
            "DIDAM_PQ_INTEROP is not set: run scripts/test, which installs @noble/post-quantum and jsonld \
             (crates/credential/tests/interop/package-lock.json) into target/pq-interop and sets it"
        )
    });
    let dir = PathBuf::from(dir);
    assert!(dir.join("node_modules/@noble/post-quantum").is_dir(), "{}: run scripts/test", dir.display());
    dir
}

/// A scratch folder of this test, with the peer's script and the contexts.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pq-interop").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let contexts: Map<String, Value> = didam_credential::contexts::BUNDLED
        .iter()
        .map(|(url, text)| ((*url).to_owned(), serde_json::from_str(text).unwrap()))
        .collect();
    std::fs::write(dir.join("contexts.json"), Value::Object(contexts).to_string()).unwrap();
    dir
}

/// The peer's script, copied once beside its `node_modules` (so Node
/// resolves the packages) under a name of this process, then renamed into
/// place: the tests running side by side never read a half-written copy.
fn script() -> &'static Path {
    static SCRIPT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        let dir = peer_dir();
        let staged = dir.join(format!("pq_interop.{}.tmp", std::process::id()));
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pq_interop.mjs"), &staged)
            .unwrap();
        let script = dir.join("pq_interop.mjs");
        std::fs::rename(&staged, &script).unwrap();
        script
    })
}

/// Runs the peer: its exit code and stdout. Exit 2 (a crash) fails the test.
fn peer(args: &[&str]) -> (i32, String) {
    let out = Command::new("node").arg(script()).args(args).output().expect("node runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = out.status.code().expect("the script exited");
    assert!(
        code == 0 || code == 1,
        "pq_interop.mjs {args:?} failed (exit {code}):\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

fn peer_verifies(dir: &Path, name: &str, doc: &Value) -> bool {
    let path = dir.join(name);
    std::fs::write(&path, doc.to_string()).unwrap();
    let contexts = dir.join("contexts.json");
    let (code, stdout) = peer(&["verify", path.to_str().unwrap(), contexts.to_str().unwrap()]);
    let result: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["verified"], json!(code == 0), "{stdout}");
    code == 0
}

fn credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:alice", "name": "Alice", "degree": "BSc" }
    })
}

fn ours_verify(doc: &Value) -> didam_credential::Report {
    run(verify::verify(&verify::Input::Json(doc.clone()), &OfflineResolver, &VerifyOptions::default()))
        .unwrap()
        .report
}

#[test]
fn the_peer_verifies_what_didam_signs() {
    let dir = scratch("didam-signs");
    let key = SecretKey::generate(KeyType::MlDsa44);
    let (issuer, vm) = did::did_key(&key.public_key());
    for suite in SUITES {
        let mut unsigned = credential();
        unsigned["issuer"] = json!(issuer);
        let signed = run(proof::add_proof(&unsigned, &key, &ProofOptions::assertion(suite, &*vm))).unwrap();
        assert!(
            peer_verifies(&dir, &format!("{suite}.json"), &signed),
            "{suite}: the peer refused our proof"
        );
        let mut tampered = signed.clone();
        tampered["credentialSubject"]["name"] = json!("Mallory");
        assert!(!peer_verifies(&dir, &format!("{suite}-tampered.json"), &tampered), "{suite}");
    }
}

#[test]
fn didam_verifies_what_the_peer_signs() {
    let dir = scratch("peer-signs");
    let unsigned = dir.join("unsigned.json");
    std::fs::write(&unsigned, credential().to_string()).unwrap();
    let contexts = dir.join("contexts.json");
    for suite in SUITES {
        let (code, stdout) =
            peer(&["sign", unsigned.to_str().unwrap(), suite.name(), contexts.to_str().unwrap()]);
        assert_eq!(code, 0, "{stdout}");
        let signed: Value = serde_json::from_str(&stdout).unwrap();
        assert!(signed["issuer"].as_str().unwrap().starts_with("did:key:ukC"), "{signed}");
        let report = ours_verify(&signed);
        assert!(report.is_valid(), "{suite}: {report}");
        let entry = report.of(CheckKind::Proof).next().unwrap();
        assert_eq!(entry.security, Some(Security::QuantumSafe));

        let mut tampered = signed.clone();
        tampered["credentialSubject"]["degree"] = json!("PhD");
        let report = ours_verify(&tampered);
        assert_eq!(report.failure().unwrap().check, CheckKind::Signature, "{suite}: {report}");
    }
}

#[test]
fn the_peer_verifies_the_published_vectors() {
    let dir = scratch("vectors");
    for suite in SUITES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../test-vectors/mldsa44/signed-{suite}.json"));
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(peer_verifies(&dir, &format!("{suite}.json"), &doc), "{suite}");
        let mut tampered = doc.clone();
        tampered["credentialSubject"]["givenName"] = json!("JANE");
        assert!(!peer_verifies(&dir, &format!("{suite}-tampered.json"), &tampered), "{suite}");
    }
}
