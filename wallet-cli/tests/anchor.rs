//! Issue 22, Deliver 2 and 4 through the real `didam` binary on a real
//! embedded ledger: `didam anchor FILE… --issuer DID` writes one proof
//! bundle per file from one ledger entry; `didam anchor verify FILE --proof
//! P` checks it offline against the pinned operator key (or `--ledger-key`),
//! and refuses a tampered file, another file's proof, another operator's
//! key; an anchor survives a routine key retirement; `didam vc anchor`
//! anchors an issued credential.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Home, code, text};

fn verify(h: &Home, file: &str, proof: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["anchor", "verify", file, "--proof", proof];
    args.extend_from_slice(extra);
    let out = h.run("w", &args);
    (code(&out), format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

#[test]
fn files_anchor_in_one_entry_and_verify_offline() {
    let h = Home::new("anchor-files");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    // Resolving pins the ledger's operator key on this machine.
    h.ok("w", &["did", "resolve", &did]);
    let files: Vec<String> = (0..3)
        .map(|i| {
            let p = h.p(&format!("file-{i}.txt"));
            std::fs::write(&p, format!("minutes of meeting {i}\n")).unwrap();
            p
        })
        .collect();
    let mut args = vec!["anchor", "--issuer", did.as_str(), "--json"];
    args.extend(files.iter().map(String::as_str));
    let anchored = h.json("w", &args);
    let leaves: Vec<u64> = anchored.as_array().unwrap().iter().map(|a| a["leaf"].as_u64().unwrap()).collect();
    assert_eq!(leaves, vec![leaves[0]; 3], "one ledger entry for the batch: {anchored}");
    let bundle = |i: usize| format!("{}.anchor.json", files[i]);

    for (i, f) in files.iter().enumerate() {
        let (c, out) = verify(&h, f, &bundle(i), &[]);
        assert_eq!(c, 0, "{out}");
        assert!(out.contains(&format!("valid: anchored by {did}")), "{out}");
    }
    // Another file's proof, and a tampered file.
    let (c, out) = verify(&h, &files[0], &bundle(1), &[]);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("is not the one this proof anchors"), "{out}");
    std::fs::write(&files[2], "minutes of meeting 2, amended\n").unwrap();
    let (c, out) = verify(&h, &files[2], &bundle(2), &["--json"]);
    assert_eq!(c, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], false, "{out}");
    // Another operator's key: the checkpoint does not verify.
    let stranger = "didam.local/ledger+0a1b2c3d+AeHrHRhEsSKlbDvX8Q2K1uqrvjBoCjnjRwXo1cmZG2fZ";
    let (c, out) = verify(&h, &files[0], &bundle(0), &["--ledger-key", stranger]);
    assert!(c == 1 || c == 2, "{out}");
    // Anchoring again over an existing bundle is refused; nothing changes.
    let out = h.run("w", &["anchor", "--issuer", &did, &files[0]]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    // A corrupt bundle is a usage error.
    std::fs::write(h.path("bad.json"), "{\"type\":\"DidamAnchorProof\"}").unwrap();
    let (c, out) = verify(&h, &files[0], &h.p("bad.json"), &[]);
    assert_eq!(c, 2, "{out}");

    // A routine update retires the signing key: the anchor (proven again by
    // anchoring afresh after it) and the old bundles still verify.
    h.ok("w", &["did", "update", &did, "--new-keys", "ed25519"]);
    let (c, out) = verify(&h, &files[0], &bundle(0), &[]);
    assert_eq!(c, 0, "{out}");
}

#[test]
fn issued_credentials_are_anchored_and_verify_with_their_bundle() {
    let h = Home::new("anchor-vc");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("w", &["did", "resolve", &did]);
    h.degree_unsigned();
    let vc = h.p("degree.json");
    h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &did, "--out", &vc]);
    let out = h.json("w", &["vc", "anchor", &vc, "--json"]);
    assert_eq!(out["anchored"], 1, "{out}");
    let (c, shown) = verify(&h, &vc, &format!("{vc}.anchor.json"), &["--credential"]);
    assert_eq!(c, 0, "{shown}");
    // The credential still verifies as it was (the bundle is beside it).
    let verified = h.run("w", &["vc", "verify", &vc]);
    assert_eq!(code(&verified), 0, "{}", text(&verified.stdout));
    // A file that is no credential is a usage error.
    std::fs::write(h.path("not.json"), "not json").unwrap();
    let out = h.run("w", &["vc", "anchor", &h.p("not.json")]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
}
