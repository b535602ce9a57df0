//! Issue 22, Deliver 3, "Done when", through the real `didam` binary on a
//! real embedded ledger: an anchored credential survives a routine key
//! retirement; an unanchored one fails with the reason shown (the default
//! policy); a credential a thief signs with the retired key and backdates
//! fails, anchored or not; after `compromise --compromised-since`,
//! credentials anchored before the point still verify and later ones do not.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Home, code, text};
use serde_json::Value;

fn issue(h: &Home, wallet: &str, did: &str, name: &str, valid_from: &str) -> String {
    let unsigned = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": valid_from,
        "credentialSubject": { "id": "did:example:alice", "degree": name }
    });
    let u = h.p(&format!("{name}-unsigned.json"));
    std::fs::write(&u, unsigned.to_string()).unwrap();
    let vc = h.p(&format!("{name}.json"));
    h.ok(wallet, &["vc", "issue", &u, "--issuer", did, "--out", &vc]);
    vc
}

fn anchor(h: &Home, wallet: &str, vc: &str) -> u64 {
    let out = h.json(wallet, &["vc", "anchor", vc, "--json"]);
    out["leaf"].as_u64().unwrap()
}

fn verify(h: &Home, vc: &str, anchored: bool) -> (i32, String) {
    let proof = format!("{vc}.anchor.json");
    let mut args = vec!["vc", "verify", vc];
    if anchored {
        args.extend(["--anchor", proof.as_str()]);
    }
    let out = h.run("w", &args);
    (code(&out), format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

fn steal(h: &Home) {
    let copied = std::process::Command::new("cp").args(["-r", &h.p("w"), &h.p("thief")]).status();
    assert!(copied.unwrap().success());
    for n in 1..=3 {
        let from = h.p(&format!("w-shares/rotation-share-{n}.txt"));
        let _ = std::fs::create_dir_all(h.path("thief-shares"));
        let _ = std::fs::copy(&from, h.path(&format!("thief-shares/rotation-share-{n}.txt")));
    }
}

#[test]
fn anchored_credentials_survive_a_routine_retirement_and_a_thief_cannot_backdate() {
    let h = Home::new("historical");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("w", &["did", "resolve", &did]);
    let anchored = issue(&h, "w", &did, "anchored", "2025-01-01T00:00:00Z");
    let unanchored = issue(&h, "w", &did, "unanchored", "2025-01-01T00:00:00Z");
    anchor(&h, "w", &anchored);
    // Both verify while the key is current.
    assert_eq!(verify(&h, &anchored, false).0, 0);
    assert_eq!(verify(&h, &unanchored, false).0, 0);
    steal(&h);

    // A routine update retires the key, after a warning that counts the
    // credentials it leaves unanchored (Deliver 5).
    let updated = h.run("w", &["did", "update", &did, "--new-keys", "ed25519"]);
    assert!(updated.status.success(), "{}", text(&updated.stderr));
    let warned = text(&updated.stderr);
    assert!(warned.contains("warning: 1 credential this DID issued"), "{warned}");
    let (c, out) = verify(&h, &anchored, true);
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("anchored at leaf"), "{out}");
    assert!(out.contains("retired"), "the report shows the key history: {out}");
    let (c, out) = verify(&h, &unanchored, false);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("is not anchored"), "{out}");

    // The thief, with the wallet as it was, signs with the retired key, dates
    // the credential back, and anchors it: after the retirement.
    let forged = issue(&h, "thief", &did, "forged", "2024-01-01T00:00:00Z");
    let (c, out) = verify(&h, &forged, false);
    assert_eq!(c, 1, "{out}");
    let leaf = anchor(&h, "thief", &forged);
    assert!(leaf > 0);
    let (c, out) = verify(&h, &forged, true);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("retired at leaf"), "{out}");
    // Another credential's anchor does not vouch for the forged one.
    let wrong = h.run("w", &["vc", "verify", &forged, "--anchor", &format!("{anchored}.anchor.json")]);
    assert_eq!(code(&wrong), 1, "{}", text(&wrong.stdout));
}

#[test]
fn after_compromise_anchors_before_the_point_verify_and_later_ones_do_not() {
    let h = Home::new("historical-compromise");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("w", &["did", "resolve", &did]);
    let before = issue(&h, "w", &did, "before", "2025-01-01T00:00:00Z");
    let after = issue(&h, "w", &did, "after", "2025-01-01T00:00:00Z");
    anchor(&h, "w", &before);
    let point = anchor(&h, "w", &after);
    let out = h
        .command(env!("CARGO_BIN_EXE_didam"), "w")
        .args(["compromise", "--did", &did, "--kdf", "floor", "--shares-out", &h.p("new-shares")])
        .args(["--compromised-since", &format!("leaf:{point}"), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let (c, shown) = verify(&h, &before, true);
    assert_eq!(c, 0, "{shown}");
    let (c, shown) = verify(&h, &after, true);
    assert_eq!(c, 1, "{shown}");
    assert!(shown.contains(&format!("compromised from leaf {point}")), "{shown}");
    // The JSON report carries the evidence.
    let out = h.run("w", &["vc", "verify", &before, "--anchor", &format!("{before}.anchor.json"), "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["report"]["valid"], true, "{report}");
    assert!(report["evidence"]["leaf"].as_u64().is_some(), "{report}");
    assert!(report["evidence"]["keyHistory"].as_array().is_some_and(|h| h.len() >= 2), "{report}");
}

/// The ledger is a `didam-resolver` daemon's (loopback): anchors are
/// appended through its ledger API (its admission rule and limits), the
/// CLI awaits its sequencer's checkpoint, and historical verification
/// checks the daemon's proofs.
#[test]
fn on_a_daemons_ledger_an_anchored_credential_survives_a_retirement() {
    let h = Home::new("historical-daemon");
    let bin = common::daemon_bin();
    let (key, pass) = (h.p("daemon/checkpoint.age"), h.p("daemon-pass.txt"));
    common::write_private(&h.path("daemon-pass.txt"), "the daemon's checkpoint passphrase\n");
    let keygen = std::process::Command::new(&bin)
        .args(["keygen", "--origin", "didam.test/anchors", "--out", &key, "--passphrase-file", &pass])
        .output()
        .unwrap();
    assert!(keygen.status.success(), "keygen: {}", text(&keygen.stderr));
    let mut cmd = std::process::Command::new(&bin);
    cmd.args(["--listen", "127.0.0.1:0", "--data-dir", &h.p("daemon/data")])
        .args(["--checkpoint-key", &key, "--checkpoint-key-passphrase-file", &pass])
        .args(["--checkpoint-interval-ms", "200", "--rate-limit", "0", "--append-rate-limit", "0"]);
    let (mut child, url) = common::spawn_daemon(&mut cmd, &h.path("daemon.log"));

    h.init("w");
    let did = h.json("w", &["--ledger", &url, "did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("w", &["--ledger", &url, "did", "resolve", &did]);
    let anchored = issue(&h, "w", &did, "anchored", "2025-01-01T00:00:00Z");
    let unanchored = issue(&h, "w", &did, "unanchored", "2025-01-01T00:00:00Z");
    let leaf = h.json("w", &["--ledger", &url, "vc", "anchor", &anchored, "--json"])["leaf"].as_u64();
    assert!(leaf.is_some());
    // Offline, against the key pinned for the daemon's ledger.
    let proof = format!("{anchored}.anchor.json");
    let offline =
        h.run("w", &["--ledger", &url, "anchor", "verify", &anchored, "--credential", "--proof", &proof]);
    assert_eq!(code(&offline), 0, "{}{}", text(&offline.stdout), text(&offline.stderr));

    h.ok("w", &["--ledger", &url, "did", "update", &did, "--new-keys", "ed25519"]);
    let ok = h.run("w", &["--ledger", &url, "vc", "verify", &anchored, "--anchor", &proof]);
    assert_eq!(code(&ok), 0, "{}{}", text(&ok.stdout), text(&ok.stderr));
    let refused = h.run("w", &["--ledger", &url, "vc", "verify", &unanchored]);
    let said = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert_eq!(code(&refused), 1, "{said}");
    assert!(said.contains("is not anchored"), "{said}");
    let _ = child.kill();
    let _ = child.wait();
}
