//! The log verifier against the DIF did:webvh 1.0 test suite vectors in
//! `../shared/vectors/didwebvh/didwebvh-test-suite/vectors` (with their
//! `did-witness.json` where the DID is witnessed), the witnessed logs of the
//! suite's Python harness and the 120-entry history of didwebvh-rs.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use didam_method::log::{DidState, LogError, Method, verify_log, verify_log_with_witnesses};
use didam_method::witness::WitnessError;
use serde_json::{Value, json};

fn shared() -> PathBuf {
    let shared = std::env::var_os("DIDAM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("vectors/didwebvh");
    assert!(dir.is_dir(), "did:webvh vectors not found under {}", dir.display());
    dir
}

fn vectors() -> PathBuf {
    shared().join("didwebvh-test-suite/vectors")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One scenario: its log, its witness file if any, its expected result.
struct Scenario {
    name: String,
    log: String,
    witnesses: Option<Value>,
    expected: Value,
}

fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(vectors()).unwrap() {
        let dir = entry.unwrap().path().join("ts");
        let name = dir.parent().unwrap().file_name().unwrap().to_str().unwrap().to_owned();
        let Ok(log) = std::fs::read_to_string(dir.join("did.jsonl")) else { continue };
        let witness_path = dir.join("did-witness.json");
        let witnesses = witness_path.is_file().then(|| read_json(&witness_path));
        let expected = read_json(&dir.join("resolutionResult.json"));
        out.push(Scenario { name, log, witnesses, expected });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn scenario(name: &str) -> Scenario {
    scenarios().into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no scenario {name}"))
}

fn verify(log: &str, witnesses: Option<&Value>) -> Result<Vec<DidState>, LogError> {
    futures::executor::block_on(verify_log_with_witnesses(Method::WebVh, log, witnesses, chrono::Utc::now()))
}

fn witness_error(result: Result<Vec<DidState>, LogError>) -> WitnessError {
    match result {
        Err(LogError::Witness(e)) => e,
        other => panic!("expected a witness error, got {other:?}"),
    }
}

#[test]
fn positive_logs_resolve_to_the_expected_state() {
    let mut checked = 0;
    for s in scenarios().into_iter().filter(|s| !s.name.starts_with("negative-")) {
        let name = &s.name;
        let states = verify(&s.log, s.witnesses.as_ref()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let last = states.last().unwrap();
        let meta = &s.expected["didDocumentMetadata"];
        assert_eq!(last.version_id, meta["versionId"].as_str().unwrap(), "{name}");
        assert_eq!(last.version_number, meta["versionNumber"].as_u64().unwrap(), "{name}");
        assert_eq!(
            didam_credential::proof::xsd_datetime(last.created),
            meta["created"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(last.deactivated, meta["deactivated"].as_bool().unwrap_or(false), "{name}");
        let doc = &s.expected["didDocument"];
        assert_eq!(last.document["id"], doc["id"], "{name}");
        assert_eq!(last.document["verificationMethod"], doc["verificationMethod"], "{name}");
        checked += 1;
    }
    assert_eq!(checked, 13);
}

#[test]
fn negative_logs_are_refused_with_the_expected_error() {
    let mut checked = 0;
    for s in scenarios().into_iter().filter(|s| s.name.starts_with("negative-")) {
        let (name, want) = (&s.name, s.expected["didResolutionMetadata"]["error"].as_str().unwrap());
        match verify(&s.log, s.witnesses.as_ref()) {
            Ok(_) => panic!("{name}: accepted, expected {want}"),
            Err(e) => assert_eq!(e.code(), want, "{name}: {e}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 11);
}

/// The shipped artifact turns witnessing off in entry 2, which no witness
/// approved: the witnesses active before entry 2 must approve it.
#[test]
fn negative_cross_did_witness_replay_fails_for_want_of_approvals() {
    let s = scenario("negative-cross-did-witness-replay");
    let e = witness_error(verify(&s.log, s.witnesses.as_ref()));
    assert_eq!(e, WitnessError::NotEnoughApprovals { entry: 2, approvals: 0, threshold: 1 });
}

/// The attack the scenario's README describes: a genuine proof by a shared
/// witness for another DID's `2-…` pasted into this DID's witness file. The
/// witness z6Mkrv5C… witnesses both `witness-update`'s DID and this one.
#[test]
fn a_proof_lifted_from_another_dids_witness_file_is_refused() {
    let victim = scenario("negative-cross-did-witness-replay");
    let other = scenario("witness-update").witnesses.unwrap();
    let lifted =
        other.as_array().unwrap().iter().find(|r| r["versionId"].as_str().unwrap().starts_with("2-"));
    let mut file = victim.witnesses.clone().unwrap();
    file.as_array_mut().unwrap().push(lifted.unwrap().clone());
    match witness_error(verify(&victim.log, Some(&file))) {
        WitnessError::ReplayedProof { version_id, entry: 2, .. } => {
            assert!(version_id.starts_with("2-QmUypo"), "{version_id}")
        }
        other => panic!("{other}"),
    }

    // The same for the first entry of a one-entry log.
    let threshold = scenario("witness-threshold");
    let lifted = other.as_array().unwrap()[0].clone();
    let mut file = threshold.witnesses.clone().unwrap();
    file.as_array_mut().unwrap().push(lifted);
    assert!(matches!(
        witness_error(verify(&threshold.log, Some(&file))),
        WitnessError::ReplayedProof { entry: 1, .. }
    ));
}

#[test]
fn proofs_for_versions_not_yet_published_are_ignored() {
    let s = scenario("witness-threshold");
    let mut file = s.witnesses.clone().unwrap();
    let mut ahead = file[0].clone();
    ahead["versionId"] = "2-QmNotPublishedYet".into();
    ahead["proof"][0]["proofValue"] = "zBroken".into();
    file.as_array_mut().unwrap().push(ahead);
    assert_eq!(verify(&s.log, Some(&file)).unwrap().len(), 1);
}

#[test]
fn a_witnessed_log_without_its_witness_file_is_refused() {
    for name in ["witness-threshold", "witness-update"] {
        let s = scenario(name);
        let result = futures::executor::block_on(verify_log(Method::WebVh, &s.log, chrono::Utc::now()));
        let e = result.expect_err(name);
        assert_eq!(e, LogError::Witness(WitnessError::NoWitnessFile { entry: 1 }), "{name}");
        assert_eq!(e.code(), "invalidDid");
    }
}

#[test]
fn a_proof_by_a_key_that_is_not_a_witness_is_refused() {
    // witness-update's second witness (z6MkjnHi…) signed 1-QmaaGz…; it is no
    // witness of witness-threshold's DID.
    let s = scenario("witness-update");
    let outsider = s.witnesses.as_ref().unwrap()[0]["proof"][1].clone();
    let t = scenario("witness-threshold");
    let mut file = t.witnesses.clone().unwrap();
    file[0]["proof"].as_array_mut().unwrap().push(outsider);
    match witness_error(verify(&t.log, Some(&file))) {
        WitnessError::NotAWitness { signer, .. } => {
            assert!(signer.starts_with("did:key:z6MkjnHi"), "{signer}")
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_witness_proof_that_does_not_verify_is_refused() {
    let s = scenario("witness-threshold");
    let mut file = s.witnesses.clone().unwrap();
    let value = file[0]["proof"][0]["proofValue"].as_str().unwrap().to_owned();
    let flipped = if value.ends_with('P') { "Q" } else { "P" };
    file[0]["proof"][0]["proofValue"] = format!("{}{flipped}", &value[..value.len() - 1]).into();
    assert!(matches!(witness_error(verify(&s.log, Some(&file))), WitnessError::InvalidProof { .. }));

    // A valid proof moved to another version signs the wrong versionId.
    let u = scenario("witness-update");
    let mut file = u.witnesses.clone().unwrap();
    let moved = file[0]["proof"][1].clone();
    file[1]["proof"].as_array_mut().unwrap().push(moved);
    assert!(matches!(witness_error(verify(&u.log, Some(&file))), WitnessError::InvalidProof { .. }));
}

#[test]
fn each_entry_needs_its_threshold_of_approvals() {
    // witness-update's first entry needs both witnesses; drop the second's proof.
    let s = scenario("witness-update");
    let mut file = s.witnesses.clone().unwrap();
    file[0]["proof"].as_array_mut().unwrap().truncate(1);
    assert_eq!(
        witness_error(verify(&s.log, Some(&file))),
        WitnessError::NotEnoughApprovals { entry: 1, approvals: 1, threshold: 2 }
    );
    // With no record at all, nothing is approved.
    assert_eq!(
        witness_error(verify(&s.log, Some(&json!([])))),
        WitnessError::NotEnoughApprovals { entry: 1, approvals: 0, threshold: 2 }
    );
    assert!(matches!(
        witness_error(verify(&s.log, Some(&json!({"versionId": "1-x"})))),
        WitnessError::MalformedFile { .. }
    ));
}

/// The suite's Python harness: `short` (ok) and `missing-witness` (entry 3
/// has no approval), per its `resolver-suite.json`.
#[test]
fn python_harness_witnessed_logs() {
    let logs = shared().join("didwebvh-test-suite/implementations/python/test-suite/logs");
    let load = |name: &str| {
        let dir = logs.join(name);
        (std::fs::read_to_string(dir.join("did.jsonl")).unwrap(), read_json(&dir.join("did-witness.json")))
    };
    let (log, file) = load("short");
    let states = verify(&log, Some(&file)).unwrap();
    assert_eq!(states.last().unwrap().version_id, "2-QmVbPRGTHPBBeZwfbyRowyw62jbkq773AGBksF7KCZhJDC");

    let (log, file) = load("missing-witness");
    let e = witness_error(verify(&log, Some(&file)));
    assert_eq!(e, WitnessError::NotEnoughApprovals { entry: 3, approvals: 0, threshold: 1 });
}

/// didwebvh-rs's ten-year history: 120 entries, pre-rotation throughout, one
/// witness swapped every six entries, only the latest proof of each witness.
#[test]
fn didwebvh_rs_generated_history_with_witness_changes() {
    let dir = shared().join("didwebvh-rs/tests/test_vectors");
    let log = std::fs::read_to_string(dir.join("did-generate_history.jsonl")).unwrap();
    let file = read_json(&dir.join("did-witness-generate_history.json"));
    let states = verify(&log, Some(&file)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(states.len(), 120);
    let last = states.last().unwrap();
    assert_eq!(last.did, "did:webvh:QmSnw6YkSm2Tu8pASb6VdxuSU2PetvSoLumFfVh5VafiKT:test.affinidi.com");
    assert_eq!(last.version_id, "120-QmVc27Q3M3o1xxPJbo5xcTjeEVeAqQuMAMskFXNQvQftfi");
    assert_eq!(states[19].version_id, "20-QmXxgJRibisqnyXNEeAHLrW3qmu5vhmH5QgSttMgvDmwvp");

    // Without the proof of the witness swapped out at entry 3, entry 3 lacks one approval.
    let mut pruned = file.clone();
    pruned.as_array_mut().unwrap().retain(|r| !r["versionId"].as_str().unwrap().starts_with("3-"));
    assert_eq!(
        witness_error(verify(&log, Some(&pruned))),
        WitnessError::NotEnoughApprovals { entry: 1, approvals: 2, threshold: 3 }
    );
}
