//! Status lists and the compromise procedure use each DID's own ledger
//! (issue 19, Deliver 4), as `did update`, `rotate` and `deactivate` do:
//! with no `--ledger`, `vc revoke` publishes the issuer's list on the ledger
//! its DID was created on and `compromise` rotates the DID there; a
//! `--ledger` naming another ledger is refused with both named, before
//! anything changes (no list published, no re-key, no empty ledger made).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Output;

mod common;

use common::{Home, code, text};
use serde_json::{Value, json};

/// didam as `wallet` with no ledger set at all (no flag, no DIDAM_LEDGER).
fn bare(h: &Home, wallet: &str, args: &[&str]) -> Output {
    let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), wallet);
    cmd.env_remove("DIDAM_LEDGER").args(args).output().expect("run didam")
}

/// The exit code and report of `vc verify FILE` on the ledger `ledger`,
/// with a policy that requires status.
fn verify_on(h: &Home, ledger: &str, file: &str) -> (i32, String) {
    let out = h.run("w", &["--ledger", ledger, "vc", "verify", file, "--policy", &h.p("policy.toml")]);
    (code(&out), text(&out.stdout) + &text(&out.stderr))
}

/// A refusal naming the DID's ledger and the other one.
fn assert_other_ledger(out: &Output, own: &str, other: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(code(out), 2, "{}{stderr}", text(&out.stdout));
    assert!(
        stderr.contains("lives on the ledger") && stderr.contains(own) && stderr.contains(other),
        "{stderr}"
    );
}

#[test]
fn vc_revoke_publishes_on_the_issuer_dids_own_ledger() {
    let h = Home::new("own-ledger-status");
    h.init("w");
    let own = h.p("a/ledger.db");
    let issuer =
        h.json("w", &["--ledger", &own, "did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    std::fs::write(h.p("policy.toml"), format!("trusted_issuers = [\"{issuer}\"]\nrequire_status = true\n"))
        .unwrap();
    let id = "urn:uuid:0b5c7d3e-1919-4c1e-9a2f-000000000019";
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": id,
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": issuer }
    });
    std::fs::write(h.p("unsigned.json"), unsigned.to_string()).unwrap();
    let vc = h.p("vc.json");
    h.ok(
        "w",
        &[
            "--ledger",
            &own,
            "vc",
            "issue",
            &h.p("unsigned.json"),
            "--issuer",
            &issuer,
            "--status",
            "--out",
            &vc,
        ],
    );
    let (valid, report) = verify_on(&h, &own, &vc);
    assert_eq!(valid, 0, "{report}");

    // DIDAM_LEDGER names another ledger: refused, nothing published there
    // or made.
    let other = h.p("ledger.db");
    assert_other_ledger(&h.run("w", &["vc", "revoke", id]), &own, &other);
    assert!(!h.path("ledger.db").exists(), "an empty ledger was made at {other}");

    // No ledger given: the issuer DID's own.
    let out = bare(&h, "w", &["vc", "revoke", id, "--json"]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let changes: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(changes[0]["set"], true, "{changes}");
    let (revoked, report) = verify_on(&h, &own, &vc);
    assert_eq!(revoked, 1, "{report}");
    assert!(report.contains("revoked"), "{report}");
    assert!(!h.path("data/didam/ledger.db").exists(), "the default ledger was made");
}

#[test]
fn compromise_rotates_each_did_on_its_own_ledger() {
    let h = Home::new("own-ledger-compromise");
    h.init("w");
    let own = h.p("a/ledger.db");
    let didam =
        h.json("w", &["--ledger", &own, "did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let key = h.key_and_unsigned("w");
    let stolen = std::process::Command::new("cp").args(["-r", &h.p("w"), &h.p("thief")]).status();
    assert!(stolen.unwrap().success());
    let compromise =
        ["compromise", "--did", &didam, "--kdf", "floor", "--shares-out", &h.p("new-shares"), "--json"];

    // DIDAM_LEDGER names another ledger: refused before the re-key.
    let other = h.p("ledger.db");
    assert_other_ledger(&h.run("w", &compromise), &own, &other);
    assert!(!h.path("new-shares/wallet-share-1.txt").exists(), "re-keyed before the refusal");
    assert!(!h.path("ledger.db").exists(), "an empty ledger was made at {other}");
    h.ok("w", &["wallet", "check"]);

    // No ledger given: the DID rotated on its own ledger, and checkpointed.
    let out = bare(&h, "w", &compromise);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["finished"].clone(), report["resolvable"].clone()), (json!(true), json!(true)));
    assert_eq!(report["rotated"][0]["did"], didam.as_str(), "{report}");
    assert!(report["rotated"][0]["versionId"].as_str().unwrap().starts_with("2-"), "{report}");
    assert_eq!(report["stopUsing"], json!([key]), "{report}");

    // The thief's credential, signed with the leaked key, is invalid on it.
    let forged = h.p("forged.json");
    h.ok("thief", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &didam, "--out", &forged]);
    let verified = h.run("w", &["--ledger", &own, "vc", "verify", &forged]);
    assert_eq!(code(&verified), 1, "{}{}", text(&verified.stdout), text(&verified.stderr));
    assert!(!h.path("data/didam/ledger.db").exists(), "the default ledger was made");
}
