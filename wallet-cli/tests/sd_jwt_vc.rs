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

/// An SD-JWT VC issued with `--status`: each copy gets its own entry of the
/// issuer's Token Status List in the served folder; `vc suspend`,
/// `reinstate` and `revoke` rewrite the token, and revocation is final.
#[test]
fn sd_jwt_vc_status_in_a_token_status_list() {
    use didam_credential::token_status_list::{self, TokenStatus, TokenStatusList};
    let h = Home::new("sdjwtvc-status");
    h.init("issuer");
    let issuer = did_key(&h, "issuer", "p256");
    let holders = [did_key(&h, "issuer", "ed25519"), did_key(&h, "issuer", "ed25519")];
    std::fs::write(h.path("claims.json"), json!({ "degree": "BSc" }).to_string()).unwrap();
    let (dir, issued) = (h.p("status"), h.p("degree.sd-jwt"));
    let claims = h.p("claims.json");
    let base = [
        "vc",
        "issue",
        claims.as_str(),
        "--format",
        "dc+sd-jwt",
        "--issuer",
        issuer.as_str(),
        "--vct",
        "v",
        "--holder",
        holders[0].as_str(),
        "--holder",
        holders[1].as_str(),
        "--status",
    ];
    // Without the folder, the issuer is told what to give.
    let out = h.run("issuer", &base);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--status-dir"), "{}", text(&out.stderr));
    let args =
        ["--status-dir", dir.as_str(), "--status-url", "https://issuer.example/status", "--out", &issued];
    let out = h.run("issuer", &[&base[..], &args[..]].concat());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let copies: Vec<String> = std::fs::read_to_string(&issued).unwrap().lines().map(str::to_owned).collect();
    let entry = |copy: &str| {
        let payload = didam_credential::sd_jwt::SdJwt::parse(copy).unwrap().jwt.payload;
        token_status_list::entry_of(&payload).unwrap().unwrap()
    };
    let (uri, first) = entry(&copies[0]);
    let (uri2, second) = entry(&copies[1]);
    assert_eq!(uri, uri2);
    assert_ne!(first, second, "each copy has its own entry");
    let file = format!("{dir}/{}", uri.strip_prefix("https://issuer.example/status/").unwrap());
    let status_of = |index: usize| {
        let token = std::fs::read_to_string(&file).unwrap();
        let payload = didam_credential::jose::CompactJws::parse(&token).unwrap().payload;
        assert_eq!(payload["sub"], uri.as_str());
        TokenStatusList::from_claim(&payload["status_list"], 1 << 20).unwrap().get(index).unwrap()
    };
    assert_eq!(status_of(first), TokenStatus::Valid);
    std::fs::write(h.path("first.sd-jwt"), &copies[0]).unwrap();
    let first_file = h.p("first.sd-jwt");
    h.ok("issuer", &["vc", "suspend", &first_file]);
    assert_eq!(status_of(first), TokenStatus::Suspended);
    assert_eq!(status_of(second), TokenStatus::Valid);
    h.ok("issuer", &["vc", "reinstate", &first_file]);
    assert_eq!(status_of(first), TokenStatus::Valid);
    // The batch file revokes both copies.
    let out = h.ok("issuer", &["vc", "revoke", &issued]);
    assert!(out.contains(&file), "{out}");
    assert_eq!((status_of(first), status_of(second)), (TokenStatus::Invalid, TokenStatus::Invalid));
    let out = h.run("issuer", &["vc", "reinstate", &first_file]);
    assert_eq!(code(&out), 2, "revocation is final: {}", text(&out.stderr));
}
