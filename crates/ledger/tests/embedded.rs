//! The embedded SQLite ledger against the conformance suite, on real files.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use didam_ledger::{EmbeddedLedger, conformance};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-ledger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn embedded_ledger_passes_the_conformance_suite() {
    let dir = temp_dir("conformance");
    let mut n = 0;
    futures::executor::block_on(conformance::run_all(|| {
        n += 1;
        EmbeddedLedger::open(&dir.join(format!("ledger-{n}.db")), "didam.test/ledger").unwrap()
    }));
    std::fs::remove_dir_all(&dir).unwrap();
}
