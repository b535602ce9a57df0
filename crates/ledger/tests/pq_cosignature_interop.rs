//! Interop of the ML-DSA-44 checkpoint cosignatures (C2SP tlog-cosignature
//! v1.1, type `0x06`) with an independent implementation:
//! `tests/interop/cosignature.mjs`, on Node, with ML-DSA-44 from
//! `@noble/post-quantum` and SHA-256 from node, written from the spec. C2SP
//! publishes no ML-DSA-44 cosignature vectors (`test-vectors/SOURCES.md`), so
//! the two implementations check each other: the peer rebuilds the
//! `cosigned_message` from the note text byte for byte, recomputes the key
//! ID from the vkey and verifies what didam signs; didam verifies what the
//! peer signs; a cosignature moved to another origin fails on both sides.
//!
//! `scripts/test` installs `@noble/post-quantum` into `target/pq-interop`
//! and sets `DIDAM_PQ_INTEROP` to that folder; the script is copied there so
//! Node resolves the package.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use didam_credential::{KeyType, SecretKey, Security};
use didam_ledger::note::{self, Checkpoint, NoteSigner, NoteVerifier};
use serde_json::Value;

/// The folder with the peer's `node_modules`.
fn peer_dir() -> PathBuf {
    let dir = std::env::var_os("DIDAM_PQ_INTEROP").unwrap_or_else(|| {
        panic!(
            "DIDAM_PQ_INTEROP is not set: run scripts/test, which installs @noble/post-quantum into \
             target/pq-interop and sets it"
        )
    });
    let dir = PathBuf::from(dir);
    assert!(dir.join("node_modules/@noble/post-quantum").is_dir(), "{}: run scripts/test", dir.display());
    dir
}

/// The peer's script beside its `node_modules` (copied under a name of this
/// process, then renamed into place).
fn script() -> PathBuf {
    let dir = peer_dir();
    let staged = dir.join(format!("cosignature.{}.tmp", std::process::id()));
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/cosignature.mjs"), &staged)
        .unwrap();
    let script = dir.join("cosignature.mjs");
    std::fs::rename(&staged, &script).unwrap();
    script
}

/// Runs the peer: exit code and parsed stdout. Exit 2 (a crash) fails the test.
fn peer(script: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new("node").arg(script).args(args).output().expect("node runs");
    let code = out.status.code().expect("the script exited");
    assert!(
        code == 0 || code == 1,
        "cosignature.mjs {args:?} (exit {code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pq-cosignature-interop");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn checkpoint(origin: &str) -> Checkpoint {
    Checkpoint { origin: origin.into(), size: 20852163, root: [0x0a; 32], extensions: vec![] }
}

#[test]
fn didam_and_noble_agree_on_ml_dsa_44_cosignatures() {
    let (script, dir) = (script(), scratch());
    let origin = "example.com/behind-the-sofa";
    let log = NoteSigner::new(origin, SecretKey::generate(KeyType::Ed25519)).unwrap();
    let witness = NoteSigner::new("witness.example.com/w1", SecretKey::generate(KeyType::MlDsa44)).unwrap();
    let signed = note::cosign(checkpoint(origin).sign(&log).unwrap().as_bytes(), &witness).unwrap();
    std::fs::write(dir.join("note.txt"), &signed).unwrap();
    std::fs::write(dir.join("witness.vkey"), witness.verifier().to_vkey()).unwrap();

    // The peer verifies what didam signs, over the same bytes.
    let (code, result) = peer(&script, &["verify", &p(&dir, "note.txt"), &p(&dir, "witness.vkey")]);
    assert_eq!(code, 0, "{result}");
    assert_eq!(result["keyIdMatches"], true);
    let timestamp = result["timestamp"].as_u64().unwrap();
    let ours = note::cosigned_message(witness.name(), timestamp, &checkpoint(origin)).unwrap();
    assert_eq!(result["messageHex"].as_str().unwrap(), hex(&ours), "the same cosigned_message bytes");

    // Moved to a checkpoint of another origin: the peer refuses it too.
    let other = checkpoint("example.com/other").sign(&log).unwrap();
    let line = signed.lines().last().unwrap();
    std::fs::write(dir.join("moved.txt"), format!("{other}{line}\n")).unwrap();
    let (code, result) = peer(&script, &["verify", &p(&dir, "moved.txt"), &p(&dir, "witness.vkey")]);
    assert_eq!((code, &result["verified"]), (1, &Value::Bool(false)), "{result}");

    // didam verifies what the peer signs (its own key, name and timestamp).
    let (code, made) = peer(&script, &["sign", &p(&dir, "note.txt"), "witness.example.com/w2"]);
    assert_eq!(code, 0);
    let key = NoteVerifier::parse(made["vkey"].as_str().unwrap()).unwrap();
    assert_eq!(key.security(), Security::QuantumSafe);
    let with_peer = format!("{signed}{}", made["line"].as_str().unwrap());
    let opened =
        note::open(with_peer.as_bytes(), &[log.verifier(), witness.verifier(), key.clone()]).unwrap();
    assert_eq!(opened.verified.len(), 3);
    assert_eq!(opened.signed_by(&key).unwrap().timestamp, made["timestamp"].as_u64());
    // And refuses it on another origin.
    let moved = format!("{other}{}", made["line"].as_str().unwrap());
    assert!(matches!(note::open(moved.as_bytes(), &[key]), Err(note::NoteError::InvalidSignature { .. })));
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
