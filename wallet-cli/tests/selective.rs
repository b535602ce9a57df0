//! Selective disclosure with the real `didam` binary: an issuer issues an
//! `ecdsa-sd-2023` degree, the holder derives a credential disclosing the
//! degree without the birth date, the verifier's report lists exactly what
//! was disclosed; hostile pointers and a presented base proof are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::{Value, json};

mod common;

use common::{Home, code, text};

#[test]
fn a_holder_discloses_the_degree_without_the_birth_date() {
    let h = Home::new("sd");
    h.init("issuer");
    let issuer =
        h.json("issuer", &["did", "create", "--method", "key", "--key-type", "p256", "--json"])["did"]
            .as_str()
            .unwrap()
            .to_owned();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:alice",
            "birthDate": "1990-01-01",
            "degree": {"type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts"}
        }
    });
    std::fs::write(h.path("unsigned.json"), unsigned.to_string()).unwrap();
    let (base, derived) = (h.p("base.json"), h.p("derived.json"));
    let unsigned_path = h.p("unsigned.json");
    let issue = |extra: &[&str]| {
        let mut args = vec!["vc", "issue", unsigned_path.as_str(), "--issuer", issuer.as_str()];
        args.extend_from_slice(extra);
        h.run("issuer", &args)
    };
    let out = issue(&["--suite", "ecdsa-sd-2023", "--mandatory", "/issuer", "--out", &base]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));

    // The holder derives, to standard output.
    let out =
        h.run("issuer", &["vc", "derive", &base, "--disclose", "/credentialSubject/degree", "--out", "-"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let disclosed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(disclosed["credentialSubject"].get("birthDate").is_none());
    assert!(!text(&out.stdout).contains("1990-01-01"));
    std::fs::write(&derived, text(&out.stdout)).unwrap();

    // The verifier sees the degree and the issuer, nothing else of the subject.
    let out = h.run("issuer", &["vc", "verify", &derived, "--json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> =
        report["disclosed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(listed.contains(&"/credentialSubject/degree/name"), "{listed:?}");
    assert!(listed.contains(&"/issuer"), "{listed:?}");
    assert!(!listed.iter().any(|p| p.contains("birthDate")), "{listed:?}");
    let out = h.run("issuer", &["vc", "verify", &derived]);
    assert!(text(&out.stdout).contains("disclosed ("), "{}", text(&out.stdout));

    // A base proof is for the holder: a verifier refuses it.
    let out = h.run("issuer", &["vc", "verify", &base]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("base proof"), "{}", text(&out.stdout));

    // Hostile requests are usage errors, with nothing written.
    for bad in [
        vec!["--disclose", "/credentialSubject/salary"],
        vec!["--disclose", "/credentialSubject/degree", "--disclose", "/credentialSubject/degree"],
        vec!["--disclose", "credentialSubject"],
    ] {
        let mut args = vec!["vc", "derive", base.as_str()];
        args.extend_from_slice(&bad);
        let out = h.run("issuer", &args);
        assert_eq!(code(&out), 2, "{bad:?}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
    let out = h.run("issuer", &["vc", "derive", &derived, "--out", "-"]);
    assert_eq!(code(&out), 2, "deriving from a derived credential: {}", text(&out.stderr));
    let out = issue(&["--suite", "ecdsa-rdfc-2019", "--mandatory", "/issuer"]);
    assert_eq!(code(&out), 2, "--mandatory without ecdsa-sd-2023: {}", text(&out.stderr));
    let out = issue(&["--suite", "ecdsa-sd-2023", "--mandatory", "/credentialSubject/nothing"]);
    assert_eq!(code(&out), 2, "a mandatory pointer into nothing: {}", text(&out.stderr));
}
