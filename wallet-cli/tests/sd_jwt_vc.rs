//! SD-JWT VC (`dc+sd-jwt`) with the real `didam` binary and two wallets:
//! the issuer issues a degree to the holder's DID (a batch of two copies
//! for two holder keys), the holder presents the degree name without the
//! birth date, key-bound to the verifier's nonce and audience; the
//! verifier's report lists exactly what was disclosed and what was
//! withheld; a replayed presentation and hostile requests are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::{Value, json};

mod common;

use common::{Home, code, text};

fn did_key(h: &Home, wallet: &str, key_type: &str) -> String {
    h.json(wallet, &["did", "create", "--method", "key", "--key-type", key_type, "--json"])["did"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_holder_discloses_one_claim_of_an_sd_jwt_vc() {
    let h = Home::new("sdjwtvc");
    h.init("issuer");
    h.init("holder");
    let issuer = did_key(&h, "issuer", "p256");
    let holder = did_key(&h, "holder", "ed25519");
    let other = did_key(&h, "holder", "p256");
    let claims = json!({
        "given_name": "Alice",
        "birthdate": "1990-01-01",
        "degree": { "type": "BachelorDegree", "name": "Bachelor of Science" },
    });
    std::fs::write(h.path("claims.json"), claims.to_string()).unwrap();
    let (issued, presented) = (h.p("degree.sd-jwt"), h.p("presented.sd-jwt"));
    let claims_path = h.p("claims.json");
    let out = h.run(
        "issuer",
        &[
            "vc",
            "issue",
            &claims_path,
            "--format",
            "dc+sd-jwt",
            "--issuer",
            &issuer,
            "--vct",
            "https://example.org/degree",
            "--holder",
            &holder,
            "--holder",
            &other,
            "--disclose",
            "/given_name",
            "--disclose",
            "/birthdate",
            "--disclose",
            "/degree",
            "--disclose",
            "/degree/name",
            "--decoys",
            "1",
            "--valid-days",
            "365",
            "--out",
            &issued,
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let copies = std::fs::read_to_string(&issued).unwrap();
    assert_eq!(copies.lines().count(), 2, "one copy per holder key");
    assert!(!copies.contains("1990-01-01"), "the birth date is concealed");

    // The holder presents the degree name to a verifier.
    let present = |did: &str, nonce: &str, out: &str| {
        h.run(
            "holder",
            &[
                "vp",
                "create",
                &issued,
                "--holder",
                did,
                "--disclose",
                "/degree/name",
                "--nonce",
                nonce,
                "--aud",
                "https://verifier.example",
                "--out",
                out,
                "--force",
            ],
        )
    };
    let out = present(&holder, "n-1", &presented);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let vp = std::fs::read_to_string(&presented).unwrap();
    let jwt_of = |copy: &str| copy.split('~').next().unwrap().to_owned();
    assert_eq!(jwt_of(&vp), jwt_of(copies.lines().next().unwrap()), "the copy bound to this holder's key");

    let verify = |nonce: &str| {
        h.run(
            "issuer",
            &["vp", "verify", &presented, "--nonce", nonce, "--aud", "https://verifier.example", "--json"],
        )
    };
    let out = verify("n-1");
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["disclosed"], json!(["/degree", "/degree/name"]), "{report}");
    assert_eq!(report["withheld"][""], json!(3), "given_name, birthdate and a decoy: {report}");
    let checks = report["checks"].as_array().unwrap();
    let key_binding = checks.iter().find(|c| c["check"] == "key-binding").unwrap();
    assert_eq!(key_binding["outcome"], "passed", "{report}");
    let out =
        h.run("issuer", &["vc", "verify", &presented, "--nonce", "n-1", "--aud", "https://verifier.example"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("disclosed (2") && shown.contains("/degree/name"), "{shown}");
    assert!(shown.contains("(top level): 3"), "{shown}");

    // Replayed to a verifier that asked for another nonce.
    let out = verify("n-2");
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    // Without a nonce the verifier cannot tell a replay: invalid, with a hint.
    let out = h.run("issuer", &["vc", "verify", &presented]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("--challenge"), "{}", text(&out.stderr));

    // The second copy, presented with the other holder DID, shares no disclosure.
    let second = h.p("second.sd-jwt");
    let out = present(&other, "n-3", &second);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let second = std::fs::read_to_string(&second).unwrap();
    let parts = |s: &str| s.trim().split('~').map(str::to_owned).collect::<Vec<_>>();
    let first_parts = parts(&vp);
    assert!(parts(&second).iter().all(|p| !first_parts.contains(p)));

    // Hostile requests: usage errors, nothing written.
    let out = h.run(
        "holder",
        &[
            "vp",
            "create",
            &issued,
            "--holder",
            &holder,
            "--disclose",
            "/salary",
            "--nonce",
            "n",
            "--aud",
            "a",
        ],
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let out = h.run("holder", &["vp", "create", &issued, "--holder", &holder, "--disclose", "/degree"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--nonce"), "{}", text(&out.stderr));
    let out = h.run(
        "issuer",
        &[
            "vc",
            "issue",
            &claims_path,
            "--format",
            "dc+sd-jwt",
            "--issuer",
            &issuer,
            "--holder",
            &holder,
            "--vct",
            "v",
            "--disclose",
            "/vct",
        ],
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let out = h.run("issuer", &["vc", "issue", &claims_path, "--format", "dc+sd-jwt", "--issuer", &issuer]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--vct"), "{}", text(&out.stderr));
}
