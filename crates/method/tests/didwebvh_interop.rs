//! Interop with another did:webvh 1.0 implementation: logs we write verify
//! with the PyPI package `did-webvh`, and logs it writes verify with ours;
//! a one-byte change is refused by both.
//!
//! The package runs through `tests/interop/didwebvh_interop.py` (`verify` and
//! `create`), offline, under the Python that `DIDAM_INTEROP_PYTHON` names.
//! `scripts/test` installs the pinned package (`tests/interop/requirements.txt`)
//! into `target/interop-venv` and sets that variable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use didam_credential::{KeyType, SecretKey};
use didam_method::log::{self, DidState, EntryDraft, LogError, Method, verify_log};
use serde_json::{Map, Value, json};

/// The Python interpreter that has `did-webvh` installed.
fn python() -> PathBuf {
    let python = std::env::var_os("DIDAM_INTEROP_PYTHON").unwrap_or_else(|| {
        panic!(
            "DIDAM_INTEROP_PYTHON is not set: run scripts/test, which installs the did-webvh \
             package into target/interop-venv and sets it to target/interop-venv/bin/python"
        )
    });
    let python = PathBuf::from(python);
    assert!(python.is_file(), "DIDAM_INTEROP_PYTHON={} does not exist: run scripts/test", python.display());
    python
}

/// Runs `didwebvh_interop.py <command> <path>`: its exit code and stdout.
fn package(command: &str, path: &Path) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/didwebvh_interop.py");
    let out = Command::new(python()).arg(&script).arg(command).arg(path).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = out.status.code().expect("the script exited");
    assert!(
        code == 0 || code == 1,
        "didwebvh_interop.py {command} failed (exit {code}):\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

/// The package's verdict on a log: `Ok(resolution)` or `Err(resolution error)`.
fn package_verify(dir: &Path, name: &str, log: &str) -> Result<Value, Value> {
    let path = dir.join(name);
    std::fs::write(&path, log).unwrap();
    let (code, stdout) = package("verify", &path);
    let result: Value = serde_json::from_str(&stdout).unwrap();
    if code == 0 { Ok(result) } else { Err(result["didResolutionMetadata"].clone()) }
}

fn ours_verify(log: &str) -> Result<Vec<DidState>, LogError> {
    futures::executor::block_on(verify_log(Method::WebVh, log, Utc::now()))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("didwebvh-interop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn document(did: &str, key: &SecretKey) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [{
            "id": format!("{did}#key-1"),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key().to_multikey(),
        }],
        "assertionMethod": [format!("{did}#key-1")],
    })
}

/// `updateKeys: [update]`, `nextKeyHashes: [hash(next)]`.
fn rotation(update: &SecretKey, next: &SecretKey) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("updateKeys".into(), json!([update.public_key().to_multikey()]));
    p.insert("nextKeyHashes".into(), json!([log::key_hash(&next.public_key().to_multikey())]));
    p
}

/// A two-entry did:webvh log written by us, with pre-rotation: entry 2 reveals
/// the key entry 1 committed to, signs with it, and commits to a third.
fn our_log() -> (String, DidState) {
    let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate(KeyType::Ed25519)).collect();
    let now: DateTime<Utc> = Utc::now();
    let draft = EntryDraft {
        parameters: rotation(&keys[0], &keys[1]),
        document: document("did:webvh:{SCID}:example.com", &keys[0]),
        version_time: now - Duration::seconds(60),
    };
    let first = futures::executor::block_on(log::create_entry(Method::WebVh, draft, &keys[0])).unwrap();
    let first_line = serde_json::to_string(&first).unwrap();
    let state = ours_verify(&first_line).unwrap().pop().unwrap();
    let draft = EntryDraft {
        parameters: rotation(&keys[1], &keys[2]),
        document: document(&state.did, &keys[1]),
        version_time: now - Duration::seconds(30),
    };
    let second = futures::executor::block_on(log::next_entry(&state, draft, &keys[1])).unwrap();
    let jsonl = format!("{first_line}\n{}\n", serde_json::to_string(&second).unwrap());
    let last = ours_verify(&jsonl).expect("we accept our own log").pop().unwrap();
    (jsonl, last)
}

/// `log` with one byte of its last entry changed: the units digit of the
/// seconds of `versionTime` (breaks the hash chain), or a character in the
/// middle of the proof's `proofValue` (breaks only the signature).
fn tamper(log: &str, key: &str) -> String {
    let mut lines: Vec<String> = log.lines().map(str::to_owned).collect();
    let last = lines.last_mut().unwrap();
    let at = last.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("no {key} in {last}"));
    let open = at + last[at + key.len() + 2..].find('"').unwrap() + key.len() + 3;
    let close = open + last[open..].find('"').unwrap();
    let i = if key == "versionTime" { close - 2 } else { (open + close) / 2 };
    let old = last.as_bytes()[i];
    let new = match key {
        "versionTime" if old.is_ascii_digit() => b'0' + (old - b'0' + 1) % 10,
        "versionTime" => panic!("versionTime does not end in seconds: {last}"),
        _ if old == b'2' => b'3',
        _ => b'2',
    };
    last.replace_range(i..=i, std::str::from_utf8(&[new]).unwrap());
    lines.join("\n") + "\n"
}

#[test]
fn the_package_accepts_our_log_and_refuses_a_tampered_copy() {
    let dir = scratch("ours");
    let (jsonl, ours) = our_log();

    let resolved = package_verify(&dir, "did.jsonl", &jsonl)
        .unwrap_or_else(|e| panic!("did-webvh refused our log: {e:#}\n{jsonl}"));
    let meta = &resolved["didDocumentMetadata"];
    assert_eq!(resolved["didDocument"]["id"], ours.did.as_str());
    assert_eq!(resolved["didDocument"], ours.document);
    assert_eq!(meta["scid"], ours.scid.as_str());
    assert_eq!(meta["versionId"], ours.version_id.as_str());
    assert_eq!(meta["versionNumber"], 2);
    assert_eq!(meta["deactivated"], false);

    for key in ["versionTime", "proofValue"] {
        let bad = tamper(&jsonl, key);
        assert_eq!(bad.len(), jsonl.len());
        let err = package_verify(&dir, &format!("fail_{key}.jsonl"), &bad)
            .expect_err(&format!("did-webvh accepted our log with {key} changed"));
        // The package reports a failed signature as invalidDid, not invalidProof.
        assert!(matches!(err["error"].as_str(), Some("invalidDid" | "invalidProof")), "{key}: {err:#}");
        assert!(ours_verify(&bad).is_err(), "we accept our log with {key} changed");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn we_accept_the_packages_log_and_refuse_a_tampered_copy() {
    let dir = scratch("theirs");
    let (code, stdout) = package("create", &dir);
    assert_eq!(code, 0, "{stdout}");
    let did = stdout.trim();
    let jsonl = std::fs::read_to_string(dir.join("did.jsonl")).unwrap();
    let entries: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 2, "the package wrote a create and an update:\n{jsonl}");

    let states = ours_verify(&jsonl).unwrap_or_else(|e| panic!("we refused did-webvh's log: {e}\n{jsonl}"));
    let last = states.last().unwrap();
    assert!(did.starts_with("did:webvh:") && did.ends_with(":example.com"), "{did}");
    assert_eq!(last.did, did);
    assert_eq!(last.version_number, 2);
    assert_eq!(last.version_id, entries[1]["versionId"].as_str().unwrap());
    assert_eq!(last.document, entries[1]["state"]);
    assert_eq!(states[0].next_key_hashes(), vec![log::key_hash(&last.update_keys()[0])], "pre-rotation");

    let bad = tamper(&jsonl, "versionTime");
    assert!(
        matches!(ours_verify(&bad), Err(LogError::InvalidDid { entry: 2, .. })),
        "{:?}",
        ours_verify(&bad)
    );
    let bad = tamper(&jsonl, "proofValue");
    assert!(
        matches!(ours_verify(&bad), Err(LogError::InvalidProof { entry: 2, .. })),
        "{:?}",
        ours_verify(&bad)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
