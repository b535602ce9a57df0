//! Read-only data folders serve every read command (issue 19, Deliver 5):
//! a wallet, its embedded ledger and the checkpoint store made as usual,
//! then handed to the unprivileged user `nobody` with every write bit
//! cleared; the real `didam`, run as `nobody` (util-linux `setpriv`: root,
//! as CI runs, ignores permissions), lists, shows, checks, verifies and
//! resolves without creating or changing a single file, and the commands
//! that write fail with a typed error naming the folder, never SQLite's
//! message.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::SystemTime;

mod common;

use common::{Home, code, text};
use serde_json::Value;

/// Every file and folder under `dir`, with its size, mode and modification time.
fn snapshot(dir: &Path, out: &mut BTreeMap<String, (u64, u32, SystemTime)>) {
    use std::os::unix::fs::PermissionsExt as _;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        out.insert(
            path.display().to_string(),
            (meta.len(), meta.permissions().mode(), meta.modified().unwrap()),
        );
        if meta.is_dir() {
            snapshot(&path, out);
        }
    }
}

/// Runs `program` with `args` and checks that it worked.
fn sh(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().expect(program);
    assert!(out.status.success(), "{program} {args:?}: {}", text(&out.stderr));
}

/// `didam args` run as `nobody` (group `nogroup`, no other group), with the
/// environment of the home's wallet `w`.
fn as_nobody(h: &Home, args: &[&str]) -> Output {
    let mut cmd = h.command("setpriv", "w");
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", env!("CARGO_BIN_EXE_didam")]);
    cmd.args(args).output().expect("setpriv (util-linux) runs didam")
}

fn ok_as_nobody(h: &Home, args: &[&str]) -> String {
    let out = as_nobody(h, args);
    assert!(out.status.success(), "didam {args:?} as nobody: {}{}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

/// A write refused: usage exit code, the typed message naming `folder`,
/// none of SQLite's words.
fn refused(h: &Home, args: &[&str], what: &str, folder: &Path) {
    let out = as_nobody(h, args);
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 2, "didam {args:?} as nobody: {}{stderr}", text(&out.stdout));
    let named = format!("the {what} in {} is read-only", folder.display());
    assert!(stderr.contains(&named), "didam {args:?}: {stderr}");
    for raw in ["readonly database", "unable to open database", "attempt to write"] {
        assert!(!stderr.contains(raw), "didam {args:?} shows SQLite's message: {stderr}");
    }
}

#[test]
fn a_read_only_data_folder_serves_every_read_command() {
    let h = Home::new("readonly");
    h.init("w");
    let first = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.key_and_unsigned("w");
    let signed = h.p("signed.json");
    h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &first, "--out", &signed]);
    h.ok("w", &["vc", "store", &signed]);
    // Used before the folder turned read-only: the ledger's operator key is
    // pinned, and the checkpoint store holds the checkpoint of that time.
    assert_eq!(code(&h.run("w", &["vc", "verify", &signed])), 0);
    // A later DID: the ledger's newest checkpoint is newer than the stored one.
    let second = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let stored = h.json("w", &["vc", "list", "--json"]);
    let stored_id = stored[0]["id"].as_str().unwrap().to_owned();

    // Handed to nobody, every write bit cleared.
    sh("chown", &["-R", "nobody:nogroup", &h.p("")]);
    sh("chmod", &["-R", "a-w", &h.p("")]);
    let mut before = BTreeMap::new();
    snapshot(&h.dir, &mut before);
    // The test can fail: as nobody, a write really is refused.
    let mut probe = h.command("setpriv", "w");
    probe.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "touch", &h.p("probe")]);
    assert!(!probe.status().unwrap().success(), "nobody can write the home: the test proves nothing");

    let dids: Value = serde_json::from_str(&ok_as_nobody(&h, &["did", "list", "--json"])).unwrap();
    let listed: Vec<&str> = dids.as_array().unwrap().iter().filter_map(|d| d["did"].as_str()).collect();
    assert!(listed.contains(&first.as_str()) && listed.contains(&second.as_str()), "{dids}");
    let checked: Value = serde_json::from_str(&ok_as_nobody(&h, &["wallet", "check", "--json"])).unwrap();
    assert_eq!(checked["ok"], true, "{checked}");
    let credentials: Value = serde_json::from_str(&ok_as_nobody(&h, &["vc", "list", "--json"])).unwrap();
    assert_eq!(credentials.as_array().unwrap().len(), 1, "{credentials}");
    let shown: Value = serde_json::from_str(&ok_as_nobody(&h, &["vc", "show", &stored_id])).unwrap();
    assert_eq!(shown["credentialSubject"], stored_credential_subject(&h), "{shown}");
    let verified = as_nobody(&h, &["vc", "verify", &signed]);
    assert_eq!(code(&verified), 0, "{}{}", text(&verified.stdout), text(&verified.stderr));
    // Resolved at the ledger's newer checkpoint (which a read-only store
    // cannot record, and need not).
    let resolved: Value = serde_json::from_str(&ok_as_nobody(&h, &["did", "resolve", &second])).unwrap();
    assert_eq!(resolved["didDocument"]["id"], second.as_str(), "{resolved}");
    let ledger: Value = serde_json::from_str(&ok_as_nobody(&h, &["ledger", "verify", "--json"])).unwrap();
    assert_eq!((ledger["valid"].clone(), ledger["dids"].clone()), (Value::Bool(true), Value::from(2)));
    ok_as_nobody(&h, &["config", "show", "--json"]);
    ok_as_nobody(&h, &["shares", "verify", &h.p("w-shares/wallet-share-1.txt")]);

    // Commands that write: a typed error naming the folder.
    refused(&h, &["did", "create"], "wallet", &h.path("w"));
    refused(&h, &["vc", "store", &signed], "wallet", &h.path("w"));
    refused(&h, &["ledger", "checkpoint"], "ledger", &h.dir);

    let mut after = BTreeMap::new();
    snapshot(&h.dir, &mut after);
    assert_eq!(before, after, "a read-only run created or changed files");
}

/// The subject of the credential `signed.json`.
fn stored_credential_subject(h: &Home) -> Value {
    let signed: Value =
        serde_json::from_str(&std::fs::read_to_string(h.path("signed.json")).unwrap()).unwrap();
    signed["credentialSubject"].clone()
}
