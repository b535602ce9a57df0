//! Replays the fuzz targets' regression inputs (`tests/fuzz_regressions/`)
//! and seeds (`../fuzz/seeds/`) through the targets' functions.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use didam_resolver::fuzzing;

/// Every input file of `target`, from the regressions and the seeds.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = [root.join("tests/fuzz_regressions").join(target), root.join("../fuzz/seeds").join(target)];
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            out.push((path, data));
        }
    }
    out
}

/// Runs `f` on each input as libFuzzer would (`&str` targets skip non-UTF-8).
fn replay_str(target: &str, f: fn(&str)) -> usize {
    let inputs = inputs(target);
    for (path, data) in &inputs {
        if let Ok(text) = std::str::from_utf8(data) {
            eprintln!("{}", path.display());
            f(text);
        }
    }
    inputs.len()
}

#[test]
fn did() {
    assert!(replay_str("did", fuzzing::did) > 0, "the seeds are there");
}

#[test]
fn did_url() {
    assert!(replay_str("did_url", fuzzing::did_url) > 0);
}

#[test]
fn ledger_entry() {
    assert!(replay_str("ledger_entry", fuzzing::ledger_entry) > 0);
}

/// Runs `f` on each input's bytes.
fn replay_bytes(target: &str, f: fn(&[u8])) -> usize {
    let inputs = inputs(target);
    for (path, data) in &inputs {
        eprintln!("{}", path.display());
        f(data);
    }
    inputs.len()
}

#[test]
fn resolution_request() {
    assert!(replay_bytes("resolution_request", fuzzing::resolution_request) > 0);
}

#[test]
fn verify_input() {
    assert!(replay_bytes("verify_input", fuzzing::verify_input) > 0);
}

/// Includes `r18_nested_1600`: an SD-JWT whose disclosures nest 1,600 deep
/// overflowed the stack of the recursive reveal (issue 18).
#[test]
fn sd_jwt() {
    assert!(replay_str("sd_jwt", fuzzing::sd_jwt) > 2);
}

#[test]
fn jws() {
    assert!(replay_str("jws", fuzzing::jws) > 0);
}

#[test]
fn cose() {
    assert!(replay_bytes("cose", fuzzing::cose) > 0);
}

#[test]
fn verify() {
    assert!(replay_str("verify", fuzzing::verify) > 0);
}
