//! Issue 18: a small credential whose blank nodes form a clique (an RDFC-1.0
//! poison graph) made verification run for minutes. `didam vc verify` now
//! stops at RDFC-1.0's work budget and reports the credential as not valid,
//! naming the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Home, code, text};

#[test]
fn r18_a_poison_graph_credential_fails_verification_with_the_budget_error() {
    let h = Home::new("rdfc-budget");
    let clique = concat!(env!("CARGO_MANIFEST_DIR"), "/../test-vectors/rdfc-poison/clique.json");
    let out = h.run("verifier", &["vc", "verify", clique]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_ne!(code(&out), 0, "a poison graph must not verify:\n{all}");
    assert!(all.contains("exceeded its work budget"), "the report names the budget:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
}
