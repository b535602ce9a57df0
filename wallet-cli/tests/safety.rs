//! Safe by default, through the real `didam` binary (issue 19, Deliver 5):
//! `tour --force` replaces only a folder a tour made, and reading never
//! creates state (no ledger file made by a verification or a mistyped
//! `--ledger`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Home, code, text};

fn didam(h: &Home, cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), "w");
    cmd.current_dir(cwd).env_remove("DIDAM_LEDGER").args(args).output().unwrap()
}

#[test]
fn tour_force_replaces_only_a_folder_a_tour_made() {
    let h = Home::new("tour-force");
    // A folder of the user's, with a file of theirs: --force refuses it.
    let mine = h.path("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.txt"), "years of work").unwrap();
    let out = didam(&h, &h.dir, &["tour", "--out", mine.to_str().unwrap(), "--force"]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("was not made by `didam tour`"), "{err}");
    // `--out . --force` in that folder: the same.
    let out = didam(&h, &mine, &["tour", "--out", ".", "--force"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(mine.join("thesis.txt")).unwrap(), "years of work");
    // A tour's own folder is replaced.
    let tour = h.path("tour");
    let first = didam(&h, &h.dir, &["tour", "--out", tour.to_str().unwrap()]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(tour.join(".didam-tour").is_file());
    let again = didam(&h, &h.dir, &["tour", "--out", tour.to_str().unwrap(), "--force"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    // The tour keeps what a verifier on a fresh machine needs.
    let fresh = Home::new("tour-fresh");
    let data = fresh.path("data");
    let credential = tour.join("credential.json");
    let out = didam(&fresh, &fresh.dir, &["vc", "verify", credential.to_str().unwrap()]);
    assert_ne!(code(&out), 0, "no ledger here: {}", text(&out.stdout));
    assert!(!data.join("didam").join("ledger.db").exists(), "verifying made no ledger");
    // A mistyped --ledger is an error, and no file appears.
    let typo = fresh.path("ledgr.db");
    let out = didam(
        &fresh,
        &fresh.dir,
        &["--ledger", typo.to_str().unwrap(), "vc", "verify", credential.to_str().unwrap()],
    );
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("no ledger file at"), "{}", text(&out.stderr));
    assert!(!typo.exists());
    let out = didam(&fresh, &fresh.dir, &["--ledger", typo.to_str().unwrap(), "ledger", "verify"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no ledger file at"), "{}", text(&out.stderr));
    assert!(!typo.exists());
    let out = didam(
        &fresh,
        &fresh.dir,
        &["--ledger", typo.to_str().unwrap(), "did", "resolve", &did_of(&credential)],
    );
    assert_ne!(code(&out), 0);
    assert!(!typo.exists());
    // The tour's own ledger checks it (INVALID: the tour revoked it).
    let ledger = tour.join("ledger.db");
    let out = didam(
        &fresh,
        &fresh.dir,
        &["--ledger", ledger.to_str().unwrap(), "vc", "verify", credential.to_str().unwrap()],
    );
    assert_eq!(code(&out), 1, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("ok   issuer-key"), "{}", text(&out.stdout));
}

fn did_of(credential: &std::path::Path) -> String {
    let vc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(credential).unwrap()).unwrap();
    let issuer = &vc["issuer"];
    issuer.as_str().or_else(|| issuer["id"].as_str()).unwrap().to_owned()
}
