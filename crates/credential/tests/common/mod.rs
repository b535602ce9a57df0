//! Shared helpers of the engine's integration tests; the verifier's tests
//! include this file too (through `#[path]`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The `shared/` folder beside the repository (or `DIDAM_SHARED`).
pub fn shared() -> PathBuf {
    let dir = std::env::var_os("DIDAM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    assert!(dir.join("w3c-vectors").is_dir(), "W3C vectors not found under {}", dir.display());
    dir
}

/// A W3C vector file as text.
pub fn w3c(path: &str) -> String {
    let p = shared().join("w3c-vectors").join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A W3C vector file as JSON.
pub fn w3c_json(path: &str) -> Value {
    serde_json::from_str(&w3c(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs a future to completion.
pub fn run<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}
