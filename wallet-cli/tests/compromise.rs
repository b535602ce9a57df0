//! `didam compromise` through the real binary on a real embedded ledger
//! (issue 19, Deliver 1): a wallet holding a did:didam and a did:key DID
//! finishes the procedure, the did:key is reported "stop using"; the
//! rotation is checkpointed by the procedure itself, so a credential the
//! thief signs with the leaked key does not verify; a rerun continues and
//! never re-keys; and `compromise` killed (SIGKILL) at random points, then
//! run again, completes with the thief locked out and shares that recover
//! the wallet. The wallet's ledger-operator key is handed over once (also
//! after a kill): a verifier that pinned the old key follows the handover
//! and refuses the thief's copy of the ledger signed with the old key; the
//! first pin of a ledger's key is announced once.
//!
//! On a ledger a `didam-resolver` daemon serves (loopback), the procedure
//! makes the rotation resolvable by awaiting the daemon's checkpoint, and the
//! thief's credential is then invalid through the daemon.
//!
//! `DIDAM_COMPROMISE_KILLS` sets the number of kills (3 by default, for CI;
//! the soak, `scripts/soak-compromise`, sets 1,000).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hash::{BuildHasher as _, Hasher as _};
use std::time::{Duration, Instant};

mod common;

use common::{Home, code, text};
use serde_json::{Value, json};

/// A random number below `n` (std's randomly keyed hasher: no extra crate).
fn below(n: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish() % n.max(1)
}

/// A wallet `w` with a did:didam DID (the ledger's operator is `w`) and a
/// did:key DID; an unsigned credential in `unsigned.json`. Returns both DIDs.
fn wallet_with_two_dids(h: &Home) -> (String, String) {
    h.init("w");
    let didam = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let key = h.key_and_unsigned("w");
    (didam, key)
}

/// A copy of the wallet folder `w` as `thief`, and of the ledger file as
/// `thief-ledger.db` (taken at the leak).
fn steal(h: &Home) {
    let copied = std::process::Command::new("cp").args(["-r", &h.p("w"), &h.p("thief")]).status();
    assert!(copied.unwrap().success());
    copy_ledger(h, "ledger.db", "thief-ledger.db");
}

/// Copies the ledger file `from` (and its write-ahead log, if any) to `to`.
fn copy_ledger(h: &Home, from: &str, to: &str) {
    for suffix in ["", "-wal"] {
        let _ = std::fs::remove_file(h.path(&format!("{to}{suffix}")));
        if h.path(&format!("{from}{suffix}")).exists() {
            std::fs::copy(h.path(&format!("{from}{suffix}")), h.path(&format!("{to}{suffix}"))).unwrap();
        }
    }
    let _ = std::fs::remove_file(h.path(&format!("{to}-shm")));
}

fn compromise_command(h: &Home, did: &str) -> std::process::Command {
    let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), "w");
    cmd.args(["compromise", "--did", did, "--kdf", "floor", "--shares-out", &h.p("new-shares"), "--json"]);
    cmd
}

/// The thief issues a credential as `issuer` with its copy of the wallet;
/// the exit code of `vc verify` on it (0: valid, 1: invalid).
fn forged_verifies(h: &Home, issuer: &str, n: usize) -> (i32, String) {
    let out = h.p(&format!("forged-{n}.json"));
    h.ok("thief", &["vc", "issue", &h.p("unsigned.json"), "--issuer", issuer, "--out", &out]);
    let verified = h.run("w", &["vc", "verify", &out]);
    (code(&verified), format!("{}{}", text(&verified.stdout), text(&verified.stderr)))
}

/// Recovers the wallet from new shares 1 and 2 and its newest backup into
/// `target`; returns whether it worked.
fn recovers(h: &Home, target: &str) -> bool {
    let shares = format!("{},{}", h.p("new-shares/wallet-share-1.txt"), h.p("new-shares/wallet-share-2.txt"));
    let backup = std::fs::read_dir(h.path("w/backups")).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    let out = h.run(
        target,
        &["recover", "--kdf", "floor", "--shares", &shares, "--backup", backup.to_str().unwrap()],
    );
    out.status.success() && h.run(target, &["wallet", "check"]).status.success()
}

#[test]
fn compromise_of_a_wallet_with_a_did_key_finishes_and_the_thief_is_locked_out() {
    let h = Home::new("compromise-key");
    let (didam, key) = wallet_with_two_dids(&h);
    steal(&h);
    // Before the procedure, the thief's credential verifies: the test can fail.
    let (before, report) = forged_verifies(&h, &didam, 0);
    assert_eq!(before, 0, "{report}");

    let out = compromise_command(&h, &didam).output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["finished"], true, "{report}");
    assert_eq!(report["resumed"], false, "{report}");
    assert_eq!(report["resolvable"], true, "{report}");
    assert_eq!(report["rotated"][0]["did"], didam.as_str(), "{report}");
    assert!(report["rotated"][0]["versionId"].as_str().unwrap().starts_with("2-"), "{report}");
    assert_eq!(report["stopUsing"], json!([key]), "{report}");
    // The wallet held the embedded ledger's operator key: handed over.
    assert_eq!(report["operatorKeys"], json!([]), "{report}");
    assert_eq!(report["operatorHandovers"][0]["outcome"]["kind"], "handedOver", "{report}");
    let new_key = report["operatorHandovers"][0]["new"].as_str().unwrap().to_owned();

    // No `ledger checkpoint` here: the procedure signed one. The thief's new
    // credential, signed with the leaked key, does not verify; the verifier
    // that pinned the old key followed the handover by itself, once.
    let (after, verified) = forged_verifies(&h, &didam, 1);
    assert_eq!(after, 1, "{verified}");
    assert_eq!(verified.matches("handed its checkpoint key over").count(), 1, "{verified}");
    let operator = h.json("w", &["ledger", "operator", "--json"]);
    assert_eq!(operator["operator"]["vkey"], new_key.as_str(), "{operator}");
    assert_eq!(operator["pinned"], operator["operator"], "{operator}");
    assert_eq!(operator["handovers"], 1, "{operator}");
    // The wallet signs checkpoints with the new key.
    h.ok("w", &["ledger", "checkpoint"]);

    // The thief puts its copy of the ledger (signed by the old key, the
    // DID's leaked key still current there) where the ledger was: the
    // verifier refuses the retired key, and the forged credential with it.
    copy_ledger(&h, "ledger.db", "real-ledger.db");
    copy_ledger(&h, "thief-ledger.db", "ledger.db");
    let forged = h.run("w", &["vc", "verify", &h.p("forged-0.json")]);
    let said = format!("{}{}", text(&forged.stdout), text(&forged.stderr));
    assert_ne!(code(&forged), 0, "{said}");
    assert!(said.contains("retired operator key"), "{said}");
    copy_ledger(&h, "real-ledger.db", "ledger.db");
    // The did:key is never used again by the wallet.
    let out = h.run("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &key]);
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    // The owner's did:didam signs with its new key, and that verifies.
    h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &didam, "--out", &h.p("fresh.json")]);
    assert_eq!(code(&h.run("w", &["vc", "verify", &h.p("fresh.json")])), 0);

    // Run again: the finished report, no second re-key, the same shares.
    let shares_before = std::fs::read(h.path("new-shares/wallet-share-1.txt")).unwrap();
    let again = compromise_command(&h, &didam).output().unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["resumed"], true, "{again}");
    assert_eq!(again["rotated"], report["rotated"], "not rotated twice: {again}");
    assert_eq!(std::fs::read(h.path("new-shares/wallet-share-1.txt")).unwrap(), shares_before);
    assert!(recovers(&h, "restored"), "the shares written recover the wallet");
}

#[test]
fn a_killed_compromise_is_finished_by_a_rerun() {
    let kills: usize = std::env::var("DIDAM_COMPROMISE_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    // One whole run sets the window the kills fall in.
    let h = Home::new("compromise-kill-time");
    let (didam, _) = wallet_with_two_dids(&h);
    let start = Instant::now();
    assert!(compromise_command(&h, &didam).output().unwrap().status.success());
    let whole = start.elapsed().as_micros() as u64;
    drop(h);
    let (mut rerun_time, mut shares_kept) = (Duration::ZERO, 0);
    for i in 0..kills {
        let h = Home::new("compromise-kill");
        let (didam, key) = wallet_with_two_dids(&h);
        steal(&h);
        let started = Instant::now();
        let mut child = compromise_command(&h, &didam)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(below(whole + whole / 5)));
        let _ = child.kill();
        child.wait().unwrap();
        // The shares the interrupted run wrote whole, if it did.
        let written: Vec<Option<Vec<u8>>> = (1..=3)
            .map(|n| std::fs::read(h.path(&format!("new-shares/wallet-share-{n}.txt"))).ok())
            .collect();
        let out = compromise_command(&h, &didam).output().unwrap();
        rerun_time += started.elapsed();
        assert!(out.status.success(), "kill {i}: rerun: {}{}", text(&out.stdout), text(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["finished"], true, "kill {i}: {report}");
        assert_eq!(report["resolvable"], true, "kill {i}: {report}");
        assert_eq!(report["stopUsing"], json!([key]), "kill {i}: {report}");
        let (verified, detail) = forged_verifies(&h, &didam, i);
        assert_eq!(verified, 1, "kill {i}: the thief's credential verifies: {detail}");
        // The operator key was handed over once, and the wallet holds the new one.
        assert_eq!(report["operatorHandovers"][0]["outcome"]["kind"], "handedOver", "kill {i}: {report}");
        let operator = h.json("w", &["ledger", "operator", "--json"]);
        assert_eq!(operator["handovers"], 1, "kill {i}: {operator}");
        assert_eq!(
            operator["operator"]["vkey"], report["operatorHandovers"][0]["new"],
            "kill {i}: {operator}"
        );
        h.ok("w", &["ledger", "checkpoint"]);
        if written.iter().all(Option::is_some) {
            shares_kept += 1;
            for (n, before) in written.iter().enumerate() {
                let now = std::fs::read(h.path(&format!("new-shares/wallet-share-{}.txt", n + 1))).unwrap();
                assert_eq!(before.as_deref(), Some(&now[..]), "kill {i}: a written share was replaced");
            }
        }
        assert!(recovers(&h, "restored"), "kill {i}: the new shares do not recover the wallet");
        // Progress for a soak cut short: every round so far passed.
        eprintln!("round {} passed: {shares_kept} kept their shares, {} ms", i + 1, rerun_time.as_millis());
    }
    let per = rerun_time.as_millis() / kills.max(1) as u128;
    eprintln!(
        "{kills} kills: all finished by a rerun, thief locked out; {shares_kept} had written their shares whole (kept); kill+rerun {per} ms each"
    );
}

#[test]
fn the_first_pin_of_a_ledger_key_is_announced_once() {
    let h = Home::new("first-pin");
    h.init("w");
    let created = h.run("w", &["did", "create", "--json"]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let did = serde_json::from_slice::<Value>(&created.stdout).unwrap()["did"].as_str().unwrap().to_owned();
    let mut said = text(&created.stderr);
    for _ in 0..3 {
        let out = h.run("w", &["did", "resolve", &did]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        said.push_str(&text(&out.stderr));
    }
    assert_eq!(said.matches("pinned the checkpoint key of ledger").count(), 1, "{said}");
    // It names the key by the fingerprint its operator sees.
    let operator = h.json("w", &["ledger", "operator", "--json"]);
    assert!(said.contains(operator["operator"]["fingerprint"].as_str().unwrap()), "{said}\n{operator}");
    assert_eq!(operator["pinned"], operator["operator"], "{operator}");
    // Nothing to move; a key the ledger does not announce is not pinned.
    let repin = h.json("w", &["ledger", "repin", "--json"]);
    assert_eq!(repin["changed"], false, "{repin}");
    let stranger = "localhost/didam-ledger+d3adb33f+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refused = h.run("w", &["ledger", "repin", "--trust", stranger]);
    assert_ne!(code(&refused), 0, "{}", text(&refused.stdout));
    assert_eq!(h.json("w", &["ledger", "operator", "--json"])["pinned"], operator["operator"]);
}

/// The real `didam-resolver` beside `didam` (built by `cargo test
/// --workspace`), on a loopback port with its own embedded ledger and
/// checkpoint key, signing a checkpoint every 200 ms, caching no did:didam
/// resolution; killed when dropped.
struct Daemon {
    child: std::process::Child,
    base: String,
}

impl Daemon {
    fn start(h: &Home) -> Daemon {
        let bin = common::daemon_bin();
        let (key, pass) = (h.p("daemon/checkpoint.age"), h.p("daemon-pass.txt"));
        common::write_private(&h.path("daemon-pass.txt"), "the daemon's checkpoint passphrase\n");
        let keygen = std::process::Command::new(&bin)
            .args(["keygen", "--origin", "didam.test/compromise", "--out", &key, "--passphrase-file", &pass])
            .output()
            .unwrap();
        assert!(keygen.status.success(), "keygen: {}", text(&keygen.stderr));
        // No did:didam resolution cached: the test looks at the ledger's
        // answer the moment `compromise` returns, not at a copy the daemon
        // may keep for its cache lifetime (5 s by default).
        std::fs::write(h.path("daemon.toml"), "[cache]\ndidam-ttl-secs = 0\n").unwrap();
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(["--config", &h.p("daemon.toml")])
            .args(["--listen", "127.0.0.1:0", "--data-dir", &h.p("daemon/data")])
            .args(["--checkpoint-key", &key, "--checkpoint-key-passphrase-file", &pass])
            .args(["--checkpoint-interval-ms", "200", "--rate-limit", "0", "--append-rate-limit", "0"]);
        let (child, base) = common::spawn_daemon(&mut cmd, &h.path("daemon.log"));
        Daemon { child, base }
    }

    /// `POST /credentials/verify` of the credential in `file`: `verified`.
    fn verifies(&self, file: &str) -> Value {
        let credential: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let body = json!({ "verifiableCredential": credential }).to_string();
        let out = std::process::Command::new("curl")
            .args(["-s", "-H", "content-type: application/json", "--data-binary", &body])
            .arg(format!("{}/credentials/verify", self.base))
            .output()
            .unwrap();
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        answer["verified"].clone()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn compromise_on_a_daemons_ledger_awaits_its_checkpoint_and_locks_the_thief_out() {
    let h = Home::new("compromise-daemon");
    let daemon = Daemon::start(&h);
    let url = daemon.base.clone();
    h.init("w");
    let created = h.json("w", &["--ledger", &url, "did", "create", "--json"]);
    assert_eq!(created["checkpointed"], true, "{created}");
    let didam = created["did"].as_str().unwrap().to_owned();
    let key = h.key_and_unsigned("w");
    steal(&h);
    // Before the procedure, the thief's credential verifies, here and
    // through the daemon: the test can fail.
    let forged = |n: usize| {
        let out = h.p(&format!("forged-{n}.json"));
        h.ok("thief", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &didam, "--out", &out]);
        out
    };
    let before = forged(0);
    assert_eq!(code(&h.run("w", &["--ledger", &url, "vc", "verify", &before])), 0);
    assert_eq!(daemon.verifies(&before), true);

    let mut cmd = compromise_command(&h, &didam);
    let out = cmd.env("DIDAM_LEDGER", &url).output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["finished"], true, "{report}");
    // Resolvable: the rotation was awaited in the daemon's checkpoint.
    assert_eq!(report["resolvable"], true, "{report}");
    assert_eq!(report["rotated"][0]["did"], didam.as_str(), "{report}");
    assert!(report["rotated"][0]["versionId"].as_str().unwrap().starts_with("2-"), "{report}");
    assert_eq!(report["stopUsing"], json!([key]), "{report}");
    // The wallet operates no ledger here: no operator key leaked.
    assert_eq!(report["operatorKeys"], json!([]), "{report}");

    // At once (no waiting here): the thief's new credential is invalid
    // through the daemon, and with the daemon's proofs checked by didam.
    let after = forged(1);
    assert_eq!(daemon.verifies(&after), false);
    let verified = h.run("w", &["--ledger", &url, "vc", "verify", &after]);
    assert_eq!(code(&verified), 1, "{}{}", text(&verified.stdout), text(&verified.stderr));
    // The owner's new key verifies there.
    h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &didam, "--out", &h.p("fresh.json")]);
    assert_eq!(daemon.verifies(&h.p("fresh.json")), true);
}
