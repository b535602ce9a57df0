//! The real `didam` binary with a real wallet and a real embedded ledger in
//! temporary folders: the X.1403 flow, leak recovery, loss recovery, and the
//! documented error paths.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;

use serde_json::json;

mod common;

use common::{Home, code, text};

#[test]
fn issuer_and_holder_on_the_embedded_ledger_then_a_leak() {
    let h = Home::new("x1403");
    h.init("issuer");
    h.init("holder");
    let issuer = h.json("issuer", &["did", "create", "--method", "didam", "--json"]);
    assert_eq!(issuer["checkpointed"], true, "the first wallet becomes the ledger's operator");
    let issuer = issuer["did"].as_str().unwrap().to_owned();
    let holder = h.json("holder", &["did", "create", "--json"]);
    assert_eq!(holder["checkpointed"], false, "only the operator signs checkpoints");
    let holder = holder["did"].as_str().unwrap().to_owned();
    h.ok("issuer", &["ledger", "checkpoint"]);

    // Both resolve with the ledger's proofs checked.
    let resolved = h.json("holder", &["did", "resolve", &holder]);
    assert_eq!(resolved["didDocument"]["id"], holder);
    assert!(resolved["didDocumentMetadata"]["versionId"].as_str().unwrap().starts_with("1-"));

    // The issuer issues; the holder stores and presents; the verifier checks.
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0b1d4a3c-1111-4c1e-9a2f-000000000001",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": holder, "degree": "BSc" }
    });
    std::fs::write(h.path("unsigned.json"), unsigned.to_string()).unwrap();
    let vc_path = h.path("vc.json");
    h.ok(
        "issuer",
        &[
            "vc",
            "issue",
            h.path("unsigned.json").to_str().unwrap(),
            "--issuer",
            &issuer,
            "--out",
            vc_path.to_str().unwrap(),
        ],
    );
    assert!(h.ok("holder", &["vc", "verify", vc_path.to_str().unwrap()]).contains("VALID"));
    h.ok("holder", &["vc", "store", vc_path.to_str().unwrap()]);
    let listed = h.json("holder", &["vc", "list", "--json"]);
    assert_eq!(listed[0]["id"], "urn:uuid:0b1d4a3c-1111-4c1e-9a2f-000000000001");
    let vc = vc_path.to_str().unwrap();
    let vp = h.p("vp.json");
    h.present("holder", &holder, "c-42", "verifier.example", vc, &vp);
    let good = h.verify_presentation("holder", &vp, "c-42", "verifier.example");
    assert_eq!(code(&good), 0, "{}", text(&good.stdout));
    let replay = h.verify_presentation("holder", &vp, "other", "verifier.example");
    assert_eq!(code(&replay), 1, "a replayed presentation is invalid: {}", text(&replay.stdout));

    // A policy that trusts another issuer refuses the credential.
    let policy = h.p("policy.toml");
    let verify_with_policy = || h.run("holder", &["vc", "verify", vc, "--policy", &policy]);
    std::fs::write(
        &policy,
        "trusted_issuers = [\"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2\"]\n",
    )
    .unwrap();
    let out = verify_with_policy();
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("FAIL issuer-trust"), "{}", text(&out.stdout));
    std::fs::write(&policy, format!("trusted_issuers = [\"{issuer}\"]\n")).unwrap();
    let out = verify_with_policy();
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    std::fs::write(&policy, "trusted_isuers = []\n").unwrap();
    let out = verify_with_policy();
    assert_eq!(code(&out), 2, "a typo in a policy is refused: {}", text(&out.stderr));

    // Update and rotate.
    h.ok("holder", &["did", "update", &holder, "--service", "hub=LinkedDomains=https://holder.example"]);
    h.ok("holder", &["did", "rotate", &holder]);
    h.ok("issuer", &["ledger", "checkpoint"]);
    let resolved = h.json("holder", &["did", "resolve", &holder]);
    assert_eq!(resolved["didDocument"]["service"][0]["serviceEndpoint"], "https://holder.example");
    assert!(resolved["didDocumentMetadata"]["versionId"].as_str().unwrap().starts_with("3-"));

    // The holder's wallet leaks: keep a thief's copy, then run the procedure.
    copy_dir(&h.path("holder"), &h.path("thief"));
    std::fs::create_dir_all(h.path("thief-shares")).unwrap();
    let report = h.json(
        "holder",
        &[
            "compromise",
            "--did",
            &holder,
            "--kdf",
            "floor",
            "--shares-out",
            h.path("holder-new-shares").to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(report["rotated"].as_array().unwrap().len(), 1);
    h.ok("issuer", &["ledger", "checkpoint"]);
    // The old key's new signatures fail: the thief presents again.
    let stolen_vp = h.p("stolen-vp.json");
    h.present("thief", &holder, "c-43", "verifier.example", vc, &stolen_vp);
    let out = h.verify_presentation("holder", &stolen_vp, "c-43", "verifier.example");
    assert_ne!(code(&out), 0, "a presentation by the leaked key fails: {}", text(&out.stdout));
    // The thief cannot rotate: the rotation secret is not in the wallet (and
    // the thief's shares are not the owner's).
    let out = h.run("thief", &["did", "rotate", &holder]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    // The owner presents with the new key.
    let new_vp = h.p("new-vp.json");
    h.present("holder", &holder, "c-44", "verifier.example", vc, &new_vp);
    let out = h.verify_presentation("holder", &new_vp, "c-44", "verifier.example");
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));

    // The whole ledger verifies.
    assert!(h.ok("issuer", &["ledger", "verify"]).contains("ledger ok"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn recovery_on_a_fresh_machine_from_shares_and_a_backup() {
    let h = Home::new("recover");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let backup = h.path("backup.age");
    h.ok("w", &["wallet", "backup", "--out", backup.to_str().unwrap()]);
    let shares = h.ok("w", &["shares", "verify", h.path("w-shares/wallet-share-2.txt").to_str().unwrap()]);
    assert!(shares.contains("valid share"), "{shares}");

    // The machine is gone; shares 2 and 3 and the backup remain.
    let shares = format!(
        "{},{}",
        h.path("w-shares/wallet-share-2.txt").display(),
        h.path("w-shares/wallet-share-3.txt").display()
    );
    h.ok("fresh", &["recover", "--shares", &shares, "--backup", backup.to_str().unwrap(), "--kdf", "floor"]);
    let listed = h.json("fresh", &["did", "list", "--json"]);
    assert_eq!(listed[0]["did"], did);
    // The recovered wallet rotates the DID with the same rotation shares.
    std::fs::create_dir_all(h.path("fresh-shares")).unwrap();
    for i in [1, 3] {
        std::fs::copy(
            h.path(&format!("w-shares/rotation-share-{i}.txt")),
            h.path(&format!("fresh-shares/rotation-share-{i}.txt")),
        )
        .unwrap();
    }
    h.ok("fresh", &["did", "rotate", &did]);
    h.ok("fresh", &["wallet", "check"]);
    // An older backup does not overwrite the newer state.
    let out = h.run(
        "fresh",
        &["wallet", "restore", "--shares", &shares, "--backup", backup.to_str().unwrap(), "--kdf", "floor"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--force"));
}

#[test]
fn documented_error_paths() {
    let h = Home::new("errors");
    // No wallet.
    let out = h.run("none", &["did", "list"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("didam wallet init"), "{}", text(&out.stderr));
    h.init("w");
    // A second init refuses.
    let out =
        h.run("w", &["wallet", "init", "--kdf", "floor", "--shares-out", h.path("other").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    // Wrong passphrase.
    common::write_private(&h.path("wrong.txt"), "nope\n");
    let out = h.run("w", &["did", "list", "--passphrase-file", h.path("wrong.txt").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("wrong passphrase"));
    // A broken share.
    std::fs::write(h.path("bad-share.txt"), "academic acid academic academic academic academic\n").unwrap();
    let out = h.run("w", &["shares", "verify", h.path("bad-share.txt").to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    // No rotation secret for a DID operation.
    let out = Command::new(env!("CARGO_BIN_EXE_didam"))
        .args(["did", "create"])
        .env("HOME", &h.dir)
        .env("DIDAM_WALLET", h.path("w"))
        .env("DIDAM_LEDGER", h.path("ledger.db"))
        .env("DIDAM_PASSPHRASE_FILE", h.path("pass.txt"))
        .env_remove("DIDAM_ROTATION_SHARES")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    // Unknown suite, unknown key type, bad service.
    assert_eq!(code(&h.run("w", &["did", "create", "--key-type", "rsa"])), 2);
    assert_eq!(code(&h.run("w", &["did", "update", "did:didam:x", "--service", "nope"])), 2);
    // A tampered wallet is refused with a way out.
    let conn = rusqlite_free_tamper(&h.path("w/wallet.db"));
    assert!(conn);
    let out = h.run("w", &["did", "list"]);
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("didam wallet restore"), "{}", text(&out.stderr));
    // No secret ever reaches the terminal output of these commands.
    let shares = std::fs::read_to_string(h.path("w-shares/wallet-share-1.txt")).unwrap();
    assert!(!text(&out.stderr).contains(shares.trim()));
}

/// Flips one byte of the last record page by rewriting the file: finds the
/// sealed blob of the `meta` record through its SQLite page and changes a
/// byte there (no SQL library in this test: the wallet must notice by itself).
fn rusqlite_free_tamper(db: &Path) -> bool {
    // Checkpoint the WAL first so the data is in the main file.
    let _ = std::fs::remove_file(db.with_extension("db-wal"));
    let _ = std::fs::remove_file(db.with_extension("db-shm"));
    let mut bytes = std::fs::read(db).unwrap();
    // The records table's rows hold the text "meta" followed by the record id
    // "wallet" and the sealed blob: flip a byte 40 bytes after that.
    let needle = b"metawallet";
    let Some(pos) = bytes.windows(needle.len()).position(|w| w == needle) else { return false };
    let i = pos + needle.len() + 40;
    bytes[i] ^= 0x01;
    std::fs::write(db, bytes).unwrap();
    true
}

#[test]
fn share_files_are_never_overwritten_and_are_private_from_the_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let h = Home::new("share-files");
    // A shares folder already holding a share: init refuses before creating
    // anything (a rotation secret whose shares cannot be written is lost).
    let out_dir = h.path("w-shares");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("rotation-share-2.txt"), "keep me\n").unwrap();
    let out = h.run("w", &["wallet", "init", "--kdf", "floor", "--shares-out", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("rotation-share-2.txt already exists"), "{}", text(&out.stderr));
    assert!(!h.path("w/wallet.db").exists(), "no wallet without its shares");
    assert_eq!(std::fs::read_to_string(out_dir.join("rotation-share-2.txt")).unwrap(), "keep me\n");
    std::fs::remove_file(out_dir.join("rotation-share-2.txt")).unwrap();

    h.init("w");
    for name in ["wallet-share-1.txt", "rotation-share-3.txt"] {
        let mode = std::fs::metadata(out_dir.join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let before = h.json("w", &["wallet", "check", "--json"]);
    // compromise into the same folder: refused before the wallet is re-keyed.
    let out = h.run(
        "w",
        &["compromise", "--did", &did, "--kdf", "floor", "--shares-out", out_dir.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("wallet-share-1.txt already exists"), "{}", text(&out.stderr));
    let after = h.json("w", &["wallet", "check", "--json"]);
    assert_eq!(before, after, "nothing changed");
    // The old shares still open it.
    let restored = h.path("restored");
    let shares = format!(
        "{},{}",
        out_dir.join("wallet-share-1.txt").display(),
        out_dir.join("wallet-share-2.txt").display()
    );
    let backup = std::fs::read_dir(h.path("w/backups")).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    h.ok(
        "restored",
        &["recover", "--kdf", "floor", "--shares", &shares, "--backup", backup.to_str().unwrap(), "--json"],
    );
    assert!(restored.join("wallet.db").exists());
}
