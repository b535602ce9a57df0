//! Credential status with the real `didam` binary, a real wallet and a real
//! embedded ledger: a did:didam issuer issues with status entries (lists
//! published on the ledger as resources of its DID), the holder presents, the
//! verifier dereferences the lists by DID URL with the ledger's proofs;
//! suspended, reinstated and revoked credentials fail and pass accordingly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::{Value, json};

mod common;

use common::{Home, text};

/// `didam vc verify` (or `vp verify`) with the status policy: exit code and report.
fn verify(h: &Home, args: &[&str]) -> (i32, String) {
    let policy = h.p("policy.toml");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--policy", &policy]);
    let out = h.run("holder", &all);
    (out.status.code().unwrap_or(-1), text(&out.stdout) + &text(&out.stderr))
}

/// The outcome (`ok`, `FAIL`, `n/a`) of check `name` in a text report:
/// `FAIL` when any line of that check failed, else the first line's.
fn outcome<'a>(report: &'a str, name: &str) -> &'a str {
    let outcomes: Vec<&str> = report
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let first = words.next()?;
            (words.next() == Some(name)).then_some(first)
        })
        .collect();
    if outcomes.contains(&"FAIL") { "FAIL" } else { outcomes.first().copied().unwrap_or("absent") }
}

/// Two wallets with a did:didam DID each, checkpointed, and a policy that
/// trusts the issuer and requires status: (issuer DID, holder DID).
fn issuer_and_holder(h: &Home) -> (String, String) {
    h.init("issuer");
    h.init("holder");
    let issuer = h.json("issuer", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let holder = h.json("holder", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    h.ok("issuer", &["ledger", "checkpoint"]);
    std::fs::write(h.p("policy.toml"), format!("trusted_issuers = [\"{issuer}\"]\nrequire_status = true\n"))
        .unwrap();
    (issuer, holder)
}

#[test]
fn a_did_didam_issuer_revokes_suspends_and_reinstates_through_the_ledger() {
    let h = Home::new("didam");
    let (issuer, holder) = issuer_and_holder(&h);

    let id = "urn:uuid:5e1c0a3c-2222-4c1e-9a2f-000000000007";
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": id,
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": holder, "degree": "BSc" }
    });
    std::fs::write(h.p("unsigned.json"), unsigned.to_string()).unwrap();
    let vc = h.p("vc.json");
    let issue = ["vc", "issue", &h.p("unsigned.json"), "--issuer", &issuer, "--status", "--suspension"];
    h.ok("issuer", &[&issue[..], &["--out", &vc]].concat());
    let credential: Value = serde_json::from_str(&std::fs::read_to_string(&vc).unwrap()).unwrap();
    let entries = credential["credentialStatus"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for (entry, purpose) in entries.iter().zip(["revocation", "suspension"]) {
        assert_eq!(entry["statusPurpose"], purpose);
        let url = entry["statusListCredential"].as_str().unwrap();
        assert!(url.starts_with(&format!("{issuer}/resources/Qm")), "{url}");
    }
    // Never overwrite without --force (and allocate nothing then).
    let again = h.run("issuer", &[&issue[..], &["--out", &vc]].concat());
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));

    // The holder presents; the verifier checks status by DID URL.
    let (code, report) = verify(&h, &["vc", "verify", &vc]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(outcome(&report, "status"), "ok", "{report}");
    assert_eq!(outcome(&report, "status-list-issuer"), "ok", "{report}");
    let vp = h.p("vp.json");
    h.present("holder", &holder, "c-1", "v.example", &vc, &vp);
    let vp_verify = ["vp", "verify", vp.as_str(), "--challenge", "c-1", "--domain", "v.example"];
    assert_eq!(verify(&h, &vp_verify).0, 0);

    // Suspended: fails with a status failure; reinstated: passes.
    let out = h.ok("issuer", &["vc", "suspend", id]);
    assert!(out.starts_with(&format!("suspended {id} (index ")), "{out}");
    let (code, report) = verify(&h, &vp_verify);
    assert_eq!(code, 1, "{report}");
    assert_eq!(outcome(&report, "status"), "FAIL", "{report}");
    assert!(report.contains("suspended"), "{report}");
    let changes = h.json("issuer", &["vc", "reinstate", id, "--json"]);
    assert_eq!(changes[0]["purpose"], "suspension");
    assert_eq!(changes[0]["set"], false);
    assert!(changes[0]["published"].as_str().unwrap().starts_with("4-"), "{changes}");
    let (code, report) = verify(&h, &vp_verify);
    assert_eq!(code, 0, "{changes} {report}");

    // Revoked (by file): fails, for good.
    let changes = h.json("issuer", &["vc", "revoke", &vc, "--json"]);
    assert_eq!(changes[0]["purpose"], "revocation");
    assert_eq!(changes[0]["set"], true);
    // Resource versions: 1 created, 2 first list, 3 revoked.
    assert!(changes[0]["published"].as_str().unwrap().starts_with("3-"), "{changes}");
    let (code, report) = verify(&h, &["vc", "verify", &vc]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(outcome(&report, "status"), "FAIL", "{report}");
    assert!(report.contains("revoked"), "{report}");
    assert_eq!(verify(&h, &vp_verify).0, 1);
    // Revocation is final; unknown credentials are usage errors.
    h.ok("issuer", &["vc", "reinstate", id]);
    assert_eq!(verify(&h, &["vc", "verify", &vc]).0, 1);
    let unknown = h.run("issuer", &["vc", "revoke", "urn:uuid:nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    let twice = h.run("issuer", &["vc", "revoke", id]);
    assert_eq!(twice.status.code(), Some(0), "revoking again is harmless: {}", text(&twice.stderr));
}

/// The issuer's wallet leaks with its lists' resource keys. `compromise`
/// re-publishes every list with the new DID keys, which spends the leaked
/// resource keys: the thief's copy can no longer take the list over, and
/// credentials issued after the leak are checked and revoked on it.
#[test]
fn compromise_republishes_the_issuers_lists_and_spends_the_leaked_resource_key() {
    let h = Home::new("leaked-lists");
    let (issuer, holder) = issuer_and_holder(&h);
    let issue = |n: u32| {
        let unsigned = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": format!("urn:uuid:5e1c0a3c-2222-4c1e-9a2f-00000000010{n}"),
            "type": ["VerifiableCredential", "ExampleDegreeCredential"],
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": { "id": holder, "degree": "BSc" }
        });
        let (input, out) = (h.p(&format!("unsigned-{n}.json")), h.p(&format!("vc-{n}.json")));
        std::fs::write(&input, unsigned.to_string()).unwrap();
        h.ok("issuer", &["vc", "issue", &input, "--issuer", &issuer, "--status", "--out", &out]);
        out
    };
    let before = issue(1);

    // The wallet leaks (a copy and its passphrase); the issuer runs compromise.
    let copied = std::process::Command::new("cp").args(["-r", &h.p("issuer"), &h.p("stolen")]).status();
    assert!(copied.unwrap().success());
    let report = h.json(
        "issuer",
        &["compromise", "--did", &issuer, "--shares-out", &h.p("new-shares"), "--kdf", "floor", "--json"],
    );
    let lists = report["statusLists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "{report}");
    assert!(lists[0]["versionId"].as_str().unwrap().starts_with("3-"), "{report}");
    assert!(lists[0].get("error").is_none(), "{report}");

    // The thief's copy holds the old resource key: spent, so its publication fails.
    let stolen = h.run("stolen", &["vc", "revoke", &before]);
    assert_ne!(
        stolen.status.code(),
        Some(0),
        "the leaked resource key still appends: {}",
        text(&stolen.stdout)
    );

    // A credential issued after the leak is checked on the re-signed list, and revoked on it.
    let after = issue(2);
    let (code, report) = verify(&h, &["vc", "verify", &after]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(outcome(&report, "status"), "ok", "{report}");
    h.ok("issuer", &["vc", "revoke", &after]);
    let (code, report) = verify(&h, &["vc", "verify", &after]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("revoked"), "{report}");
}

#[test]
fn a_did_key_issuer_writes_its_lists_to_a_served_folder() {
    let h = Home::new("didkey");
    h.init("issuer");
    let created = h.json("issuer", &["did", "create", "--method", "key", "--json"]);
    let issuer = created["did"].as_str().unwrap().to_owned();
    assert!(issuer.starts_with("did:key:z6Mk"), "{issuer}");
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": "did:example:alice" }
    });
    std::fs::write(h.p("unsigned.json"), unsigned.to_string()).unwrap();
    // Without a folder, the issuer is told what to give.
    let out = h.run("issuer", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &issuer, "--status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--status-dir"), "{}", text(&out.stderr));
    let dir = h.p("status");
    let args = ["--status-dir", dir.as_str(), "--status-url", "https://issuer.example/status"];
    let signed: Value = serde_json::from_str(&h.ok(
        "issuer",
        &[&["vc", "issue", &h.p("unsigned.json"), "--issuer", &issuer, "--status"][..], &args[..]].concat(),
    ))
    .unwrap();
    let url = signed["credentialStatus"]["statusListCredential"].as_str().unwrap().to_owned();
    let file = url.strip_prefix("https://issuer.example/status/").unwrap();
    let list: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{file}")).unwrap()).unwrap();
    assert_eq!(list["id"], url);
    assert_eq!(list["issuer"], issuer);
    let before = list["credentialSubject"]["encodedList"].clone();
    std::fs::write(h.p("vc.json"), signed.to_string()).unwrap();
    let out = h.ok("issuer", &["vc", "revoke", &h.p("vc.json")]);
    assert!(out.contains(&format!("{dir}/{file}")), "{out}");
    let list: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{file}")).unwrap()).unwrap();
    assert_ne!(list["credentialSubject"]["encodedList"], before, "the bit is set in the republished list");
}
