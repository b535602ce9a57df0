//! Every hint names a command and flags that exist (issue 19, Deliver 7):
//! each `didam …` command quoted in the CLI's source (hints, error
//! messages, help texts) is checked against the real binary's clap
//! commands (`didam help <subcommand>` and its `--help`), and the hints
//! once known to be wrong are checked in the state they are printed in.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;

mod common;

use common::{Home, code, text};

fn didam(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_didam")).args(args).output().expect("run didam")
}

/// Every `didam …` quoted between backticks in the files under `dir`.
fn quoted_commands(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            quoted_commands(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            for piece in source.split("`didam ").skip(1) {
                if let Some(end) = piece.find('`') {
                    found.push((path.display().to_string(), piece[..end].to_owned()));
                }
            }
        }
    }
}

#[test]
fn every_quoted_command_and_flag_exists() {
    let mut found = Vec::new();
    quoted_commands(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(found.len() > 10, "the source quotes commands: {found:?}");
    for (file, quoted) in &found {
        // The subcommand: the longest run of words `didam help` knows;
        // a flag before it is global and takes a value (skipped).
        let (mut path, mut flags, mut extending, mut words_seen) = (Vec::new(), Vec::new(), true, false);
        let mut words = quoted.split_whitespace();
        while let Some(word) = words.next() {
            if word.starts_with("--") {
                flags.push(word.split('=').next().unwrap());
                if path.is_empty() {
                    words.next();
                }
                continue;
            }
            words_seen = true;
            let candidate = [&path[..], &[word]].concat();
            if extending && didam(&[&["help"], &candidate[..]].concat()).status.success() {
                path = candidate;
            } else {
                extending = false;
            }
        }
        assert!(!words_seen || !path.is_empty(), "{file}: `didam {quoted}` names no command");
        let help = didam(&[&path[..], &["--help"]].concat());
        assert!(help.status.success(), "{file}: `didam {quoted}`");
        let help = text(&help.stdout);
        for flag in flags {
            assert!(
                help.contains(&format!("{flag} "))
                    || help.contains(&format!("{flag},"))
                    || help.contains(&format!("{flag}\n")),
                "{file}: `didam {quoted}`: `didam {}` has no {flag}",
                path.join(" ")
            );
        }
    }
}

#[test]
fn hints_on_existing_files_name_force_only_where_it_exists() {
    let h = Home::new("hints-force");
    h.init("w");
    // wallet init: share files in the way; init has no --force.
    let shares = h.p("w-shares");
    let out = h.run("w2", &["wallet", "init", "--kdf", "floor", "--shares-out", &shares]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("already exists") && !err.contains("--force"), "{err}");
    // compromise: the same, before anything changes.
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let out = h.run("w", &["compromise", "--did", &did, "--kdf", "floor", "--shares-out", &shares]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("already exists") && !err.contains("--force"), "{err}");
    // vc issue --out: --force exists there and is named.
    std::fs::write(h.path("taken.json"), "{}").unwrap();
    let key = h.key_and_unsigned("w");
    let out =
        h.run("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &key, "--out", &h.p("taken.json")]);
    let err = text(&out.stderr);
    assert!(err.contains("pass --force"), "{err}");
    assert!(text(&didam(&["vc", "issue", "--help"]).stdout).contains("--force"));
}

#[test]
fn a_broken_config_file_hint_leads_to_a_command_that_works() {
    let h = Home::new("hints-config");
    let bad = h.path("bad.toml");
    std::fs::write(&bad, "walet = \"typo\"\n").unwrap();
    let run = |args: &[&str]| h.command(env!("CARGO_BIN_EXE_didam"), "w").args(args).output().unwrap();
    let out = run(&["--config", bad.to_str().unwrap(), "config", "show"]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    let hint = err.lines().find_map(|l| l.strip_prefix("hint: ")).expect("a hint");
    let quoted = hint.split('`').nth(1).expect("the hint quotes a command");
    let args: Vec<&str> = quoted.split_whitespace().skip(1).collect();
    // Run with the broken file still named by the environment.
    let out =
        h.command(env!("CARGO_BIN_EXE_didam"), "w").env("DIDAM_CONFIG", &bad).args(&args).output().unwrap();
    assert!(out.status.success(), "`{quoted}`: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("wallet"), "{}", text(&out.stdout));
}

#[test]
fn a_credential_id_issued_twice_is_a_usage_error_whose_hint_works() {
    let h = Home::new("hints-issued");
    h.init("w");
    // A did:didam issuer: its status lists go to the ledger.
    let key = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let id = "urn:uuid:6f1d2c3b-8a4e-4b7f-9c0d-1e2f3a4b5c6d";
    let unsigned = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": id,
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": "did:example:holder" }
    });
    std::fs::write(h.path("unsigned.json"), unsigned.to_string()).unwrap();
    h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &key, "--status"]);
    let out = h.run("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &key, "--status"]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("issued before"), "{err}");
    let hint = err.lines().find_map(|l| l.strip_prefix("hint: ")).expect("a hint");
    assert!(hint.contains("`didam vc revoke ID`"), "{hint}");
    // The command the hint names works in this state, on the first credential.
    let out = h.run("w", &["vc", "revoke", id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
