//! Old wallet state is resynchronised, never trusted, and each DID keeps its
//! ledger (issue 19, Deliver 3 and 4), through the real `didam` binary on
//! real embedded ledgers.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Home, code, text};
use serde_json::{Value, json};

fn did_of(v: &Value) -> String {
    v["did"].as_str().unwrap().to_owned()
}

/// `wallet restore` of `backup` over the wallet `w` (older: --force), with
/// wallet shares 1 and 2.
fn restore(h: &Home, backup: &str) -> String {
    let shares = format!("{},{}", h.p("w-shares/wallet-share-1.txt"), h.p("w-shares/wallet-share-2.txt"));
    h.ok("w", &["wallet", "restore", "--shares", &shares, "--backup", backup, "--kdf", "floor", "--force"])
}

fn version(h: &Home, did: &str) -> String {
    let resolved = h.json("w", &["did", "resolve", did]);
    resolved["didDocumentMetadata"]["versionId"].as_str().unwrap().to_owned()
}

#[test]
fn an_older_backup_is_resynced_and_rotates_and_signs() {
    let h = Home::new("resync-old");
    h.init("w");
    let did = did_of(&h.json("w", &["did", "create", "--json"]));
    let old = h.p("old.age");
    h.ok("w", &["wallet", "backup", "--out", &old]);
    h.ok("w", &["did", "rotate", &did]);
    h.ok("w", &["did", "rotate", &did]);
    assert!(version(&h, &did).starts_with("3-"));

    restore(&h, &old);
    let resynced = h.json("w", &["wallet", "resync", "--json"]);
    assert_eq!(resynced[0]["did"], did.as_str());
    assert_eq!(resynced[0]["outcome"], "up to date", "restore already took the ledger's state: {resynced}");
    let listed = h.json("w", &["did", "list", "--json"]);
    assert!(listed[0]["versionId"].as_str().unwrap().starts_with("3-"), "{listed}");
    assert_eq!(listed[0]["updateN"], 2);

    h.ok("w", &["did", "rotate", &did]);
    assert!(version(&h, &did).starts_with("4-"));
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": "urn:example:subject" }
    });
    std::fs::write(h.path("unsigned.json"), unsigned.to_string()).unwrap();
    let vc = h.p("vc.json");
    h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &did, "--out", &vc]);
    let out = h.run("w", &["vc", "verify", &vc]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("VALID"));
}

#[test]
fn a_did_made_after_restoring_an_old_backup_reuses_no_key() {
    let h = Home::new("resync-slots");
    h.init("w");
    h.json("w", &["did", "create", "--json"]);
    let old = h.p("old.age");
    h.ok("w", &["wallet", "backup", "--out", &old]);
    let mut later = Vec::new();
    for _ in 0..2 {
        let made = h.json("w", &["did", "create", "--json"]);
        later.extend(made["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_owned()));
    }
    restore(&h, &old);
    let made = h.json("w", &["did", "create", "--json"]);
    let keys: Vec<&str> = made["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(keys.len(), 1);
    for key in keys {
        assert!(!later.iter().any(|k| k == key), "{key} is the key of a DID made after the backup");
    }
}

#[test]
fn a_copied_back_wallet_db_is_reported_and_resynced_before_a_write() {
    let h = Home::new("resync-rollback");
    h.init("w");
    let did = did_of(&h.json("w", &["did", "create", "--json"]));
    let db = h.path("w/wallet.db");
    std::fs::copy(&db, h.path("wallet.db.snapshot")).unwrap();
    h.ok("w", &["did", "rotate", &did]);
    h.ok("w", &["did", "rotate", &did]);
    h.ok("w", &["wallet", "check"]);

    // The file system snapshot is put back.
    for side in ["wallet.db-wal", "wallet.db-shm"] {
        let _ = std::fs::remove_file(h.path(&format!("w/{side}")));
    }
    std::fs::copy(h.path("wallet.db.snapshot"), &db).unwrap();
    let out = h.run("w", &["wallet", "check"]);
    assert_eq!(code(&out), 1, "{}{}", text(&out.stdout), text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("rolled back"), "{err}");
    assert!(err.contains("didam wallet restore") && err.contains("didam wallet resync"), "{err}");

    // Against the ledger too: with the backups gone, the DID's version tells.
    std::fs::remove_dir_all(h.path("w/backups")).unwrap();
    let out = h.run("w", &["wallet", "check"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("its ledger has 3-"), "{}", text(&out.stderr));

    // A write takes the ledger's state first, and succeeds.
    h.ok("w", &["did", "rotate", &did]);
    assert!(version(&h, &did).starts_with("4-"));
    h.ok("w", &["wallet", "check"]);
}

#[test]
fn reconcile_never_publishes_a_did_on_another_ledger() {
    let h = Home::new("resync-reconcile");
    h.init("w");
    let local = did_of(&h.json("w", &["did", "create", "--json"]));
    let out = h.run("w", &["--ledger", "http://127.0.0.1:9", "did", "create", "--json"]);
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    let listed = h.json("w", &["did", "list", "--json"]);
    let pending: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "pending")
        .map(|d| d["did"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(pending.len(), 1, "the operation is kept: {listed}");
    let pending = &pending[0];

    // DIDAM_LEDGER names the local ledger: the DID is not published there.
    let out = h.run("w", &["did", "reconcile", "--json"]);
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    let lines: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(lines[0]["outcome"], "pending");
    let reason = lines[0]["reason"].as_str().unwrap();
    assert!(reason.contains("http://127.0.0.1:9") && reason.contains("ledger.db"), "{reason}");
    // Without --ledger: its own ledger, which is out of reach.
    let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), "w");
    let out = cmd.env_remove("DIDAM_LEDGER").args(["did", "reconcile", "--json"]).output().unwrap();
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("pending"));

    let out = h.run("w", &["did", "resolve", pending]);
    assert_ne!(code(&out), 0, "the pending DID is on the local ledger: {}", text(&out.stdout));
    assert!(version(&h, &local).starts_with("1-"));
    // A write aimed at another ledger is refused with both named.
    let out = h.run("w", &["--ledger", &h.p("other.db"), "did", "rotate", &local]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("other.db") && text(&out.stderr).contains("ledger.db"));
    assert!(!h.path("other.db").exists());
}

#[test]
fn a_backup_restored_on_a_new_machine_brings_the_logs() {
    let old = Home::new("resync-machine-old");
    old.init("w");
    let did = did_of(&old.json("w", &["did", "create", "--json"]));
    old.ok("w", &["did", "rotate", &did]);
    let backup = didam_backup(&old);

    // Only the shares and the newest backup survive the machine.
    let new = Home::new("resync-machine-new");
    std::fs::create_dir_all(new.path("w-shares")).unwrap();
    for entry in std::fs::read_dir(old.path("w-shares")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), new.path("w-shares").join(entry.file_name())).unwrap();
    }
    std::fs::copy(&backup, new.path("backup.age")).unwrap();
    std::fs::remove_dir_all(&old.dir).unwrap();

    let shares = format!("{},{}", new.p("w-shares/wallet-share-1.txt"), new.p("w-shares/wallet-share-3.txt"));
    let out =
        new.ok("w", &["recover", "--shares", &shares, "--backup", &new.p("backup.age"), "--kdf", "floor"]);
    assert!(out.contains(&did) && out.contains("unreachable"), "{out}");
    assert!(out.contains("`didam --ledger NEW.db wallet resync --adopt`"), "{out}");
    // This machine's ledger is not the DID's: refused, both named.
    let out = new.run("w", &["did", "rotate", &did]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&new.p("ledger.db")), "{}", text(&out.stderr));
    // Its own ledger file is gone: the way out is named, no empty one made.
    let mut cmd = new.command(env!("CARGO_BIN_EXE_didam"), "w");
    let out = cmd.env_remove("DIDAM_LEDGER").args(["did", "rotate", &did]).output().unwrap();
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("`didam wallet resync`"), "{}", text(&out.stderr));
    assert!(!new.path("ledger.db").exists(), "no empty ledger was made");

    let moved = new.json("w", &["wallet", "resync", "--adopt", "--json"]);
    assert_eq!(moved[0]["outcome"], "moved", "{moved}");
    assert!(version(&new, &did).starts_with("2-"));
    new.ok("w", &["did", "rotate", &did]);
    assert!(version(&new, &did).starts_with("3-"));
}

#[test]
fn a_lost_ledger_file_is_put_back_from_the_wallet() {
    let h = Home::new("resync-putback");
    h.init("w");
    let did = did_of(&h.json("w", &["did", "create", "--json"]));
    h.ok("w", &["did", "rotate", &did]);
    std::fs::remove_file(h.path("ledger.db")).unwrap();
    let out = h.run("w", &["did", "resolve", &did]);
    assert_ne!(code(&out), 0);

    let put = h.json("w", &["wallet", "resync", "--json"]);
    assert_eq!(put[0]["outcome"], "put back", "{put}");
    assert!(version(&h, &did).starts_with("2-"));
    h.ok("w", &["did", "rotate", &did]);
    h.ok("w", &["wallet", "check"]);
}

#[test]
fn a_rolled_back_ledger_is_never_taken_and_resync_puts_it_right() {
    let h = Home::new("resync-ledger-back");
    h.init("w");
    let did = did_of(&h.json("w", &["did", "create", "--json"]));
    // An old copy of the ledger file, put back after the DID rotated: it
    // still commits to the update key the rotation revealed.
    let copy = |from: &str, to: &str| {
        for ext in ["", "-wal", "-shm"] {
            let (from, to) = (h.path(&format!("{from}{ext}")), h.path(&format!("{to}{ext}")));
            if from.exists() {
                std::fs::copy(&from, &to).unwrap();
            } else if to.exists() {
                std::fs::remove_file(&to).unwrap();
            }
        }
    };
    copy("ledger.db", "old-ledger.db");
    h.ok("w", &["did", "rotate", &did]);
    copy("old-ledger.db", "ledger.db");

    let out = h.run("w", &["did", "rotate", &did]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("before the wallet's 2-"), "{err}");
    let listed = h.json("w", &["did", "list", "--json"]);
    assert!(
        listed[0]["versionId"].as_str().unwrap().starts_with("2-"),
        "the wallet kept its state: {listed}"
    );
    assert!(err.contains("`didam wallet resync`"), "{err}");
    let out = h.run("w", &["wallet", "check"]);
    assert_eq!(code(&out), 1, "wallet check reports it too: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("before the wallet's 2-"), "{}", text(&out.stderr));

    // The hint's command appends what the wallet kept; the DID goes on.
    h.ok("w", &["wallet", "resync"]);
    h.ok("w", &["did", "rotate", &did]);
    assert!(version(&h, &did).starts_with("3-"));
}

/// The newest automatic backup of `h`'s wallet `w`.
fn didam_backup(h: &Home) -> std::path::PathBuf {
    let mut files: Vec<_> =
        std::fs::read_dir(h.path("w/backups")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.pop().unwrap()
}
