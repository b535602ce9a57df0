//! Issue 22, Deliver 1 through the real `didam` binary on a real embedded
//! ledger: `did update --new-keys` records the replaced signing keys as
//! retired, or with `--compromised-since POINT` as compromised from a point;
//! `compromise` records its rotation's keys as compromised (entirely, or
//! from `--compromised-since`); `did resolve` shows each key's history by
//! ledger position (`didDocumentMetadata.keyHistory`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Home, code, text};
use serde_json::{Value, json};

fn history(h: &Home, did: &str) -> Vec<Value> {
    let resolved = h.json("w", &["did", "resolve", did]);
    resolved["didDocumentMetadata"]["keyHistory"].as_array().cloned().unwrap_or_default()
}

#[test]
fn updates_record_why_keys_left_and_resolution_shows_the_history() {
    let h = Home::new("key-history");
    h.init("w");
    let created = h.json("w", &["did", "create", "--json"]);
    let did = created["did"].as_str().unwrap().to_owned();
    let first_version = created["versionId"].as_str().unwrap().to_owned();
    let first = history(&h, &did);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["added"]["versionId"], first_version.as_str());
    assert!(first[0].get("removed").is_none(), "{first:?}");

    // A routine update: the old key is retired at the entry's ledger position.
    let updated = h.json("w", &["did", "update", &did, "--new-keys", "ed25519", "--json"]);
    let second_version = updated["versionId"].as_str().unwrap().to_owned();
    let after = history(&h, &did);
    assert_eq!(after.len(), 2, "{after:?}");
    let removed = &after[0]["removed"];
    assert_eq!(removed["at"]["versionId"], second_version.as_str(), "{after:?}");
    assert_eq!(removed["reason"], "retired", "{after:?}");
    assert_eq!(removed["invalidFrom"], removed["at"]["leaf"], "{after:?}");
    assert!(after[0]["added"]["leaf"].as_u64() < removed["at"]["leaf"].as_u64());

    // A leak found later: compromised from after the second entry.
    h.ok("w", &["did", "update", &did, "--new-keys", "ed25519", "--compromised-since", &second_version]);
    let after = history(&h, &did);
    let removed = &after[1]["removed"];
    assert_eq!(removed["reason"], json!({ "compromised": { "versionId": second_version } }), "{after:?}");
    assert_eq!(removed["invalidFrom"].as_u64(), after[1]["added"]["leaf"].as_u64().map(|l| l + 1));

    // Hostile: a point that is no point, and a point with nothing removed,
    // are usage errors that change nothing.
    for args in [
        vec!["did", "update", &did, "--new-keys", "ed25519", "--compromised-since", "yesterday"],
        vec![
            "did",
            "update",
            &did,
            "--service",
            "a=LinkedDomains=https://a.example",
            "--compromised-since",
            "entirely",
        ],
    ] {
        let out = h.run("w", &args);
        assert_eq!(code(&out), 2, "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    }
    assert_eq!(history(&h, &did).len(), 3);
}

#[test]
fn compromise_records_the_leaked_keys_as_compromised() {
    let h = Home::new("key-history-compromise");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let out = h
        .command(env!("CARGO_BIN_EXE_didam"), "w")
        .args(["compromise", "--did", &did, "--kdf", "floor", "--shares-out", &h.p("new-shares"), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let after = history(&h, &did);
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0]["removed"]["reason"], json!({ "compromised": "entirely" }), "{after:?}");
    assert_eq!(after[0]["removed"]["invalidFrom"], 0, "{after:?}");

    // With a point: from a ledger position on.
    let h = Home::new("key-history-compromise-leaf");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let out = h
        .command(env!("CARGO_BIN_EXE_didam"), "w")
        .args(["compromise", "--did", &did, "--kdf", "floor", "--shares-out", &h.p("new-shares")])
        .args(["--compromised-since", "leaf:1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let after = history(&h, &did);
    assert_eq!(after[0]["removed"]["reason"], json!({ "compromised": { "leaf": 1 } }), "{after:?}");
    assert_eq!(after[0]["removed"]["invalidFrom"], 1, "{after:?}");
}
