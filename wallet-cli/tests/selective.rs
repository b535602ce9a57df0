//! Selective disclosure with the real `didam` binary: an issuer issues an
//! `ecdsa-sd-2023` (P-256) or `bbs-2023` (BLS12-381 G2) degree, the holder
//! derives a credential disclosing the degree without the birth date, the
//! verifier's report lists exactly what was disclosed; hostile pointers and
//! a presented base proof are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::{Value, json};

mod common;

use common::{Home, code, text};

#[test]
fn a_holder_discloses_the_degree_without_the_birth_date() {
    disclose_the_degree("sd", "p256", "ecdsa-sd-2023");
}

#[test]
fn a_holder_discloses_the_degree_without_the_birth_date_unlinkably_with_bbs() {
    let h = disclose_the_degree("bbs", "bls12-381-g2", "bbs-2023");
    // Two derivations of one base proof disclose the same and verify, with
    // different proof values (each BBS proof is made with fresh randomness).
    let derive = || {
        let out =
            h.run("issuer", &["vc", "derive", &h.p("base.json"), "--disclose", "/credentialSubject/degree"]);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let (one, two) = (derive(), derive());
    assert_eq!(one["credentialSubject"], two["credentialSubject"]);
    assert_ne!(one["proof"]["proofValue"], two["proof"]["proofValue"]);
    // A status entry needs a list the BLS key cannot sign: refused, nothing written.
    let out = h.run(
        "issuer",
        &["vc", "issue", &h.p("unsigned.json"), "--issuer", &h.issuer, "--suite", "bbs-2023", "--status"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("bbs-2023"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

/// A home with an issuer wallet holding a did:key of `key_type`, which
/// issues a degree with `suite` (`/issuer` mandatory); the holder derives,
/// the verifier checks; hostile requests are refused.
fn disclose_the_degree(name: &str, key_type: &str, suite: &str) -> Issuer {
    let h = Home::new(name);
    h.init("issuer");
    let issuer =
        h.json("issuer", &["did", "create", "--method", "key", "--key-type", key_type, "--json"])["did"]
            .as_str()
            .unwrap()
            .to_owned();
    // The subject, who presents the degree later: a did:key of this wallet.
    let holder =
        h.json("issuer", &["did", "create", "--method", "key", "--key-type", "ed25519", "--json"])["did"]
            .as_str()
            .unwrap()
            .to_owned();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": holder,
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
    let out = issue(&["--suite", suite, "--mandatory", "/issuer", "--out", &base]);
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

    // The holder presents straight from the base proof: `vp create
    // --disclose` derives, then presents; the verifier sees the degree only.
    let vp = h.p("presentation.json");
    let present = |file: &str| {
        let args = [
            "vp",
            "create",
            "--holder",
            holder.as_str(),
            "--challenge",
            "c-1",
            "--domain",
            "verifier.example",
        ];
        let mut args = args.to_vec();
        args.extend_from_slice(&["--disclose", "/credentialSubject/degree", "--out", vp.as_str(), file]);
        h.run("issuer", &args)
    };
    let out = present(&base);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let presented = std::fs::read_to_string(&vp).unwrap();
    assert!(!presented.contains("1990-01-01") && presented.contains("Bachelor of Science"), "{presented}");
    let out = h.run(
        "issuer",
        &["vp", "verify", &vp, "--challenge", "c-1", "--domain", "verifier.example", "--json"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> =
        report["disclosed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(listed.contains(&"/verifiableCredential/0/credentialSubject/degree/name"), "{listed:?}");
    assert!(!listed.iter().any(|p| p.contains("birthDate")), "{listed:?}");
    // A credential without a base proof cannot be cut down: a usage error
    // naming its file, and the earlier presentation is left as it was.
    let out = present(&derived);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("derived.json"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&vp).unwrap(), presented);
    let out = issue(&["--suite", "ecdsa-rdfc-2019", "--mandatory", "/issuer"]);
    assert_eq!(code(&out), 2, "--mandatory without a selective suite: {}", text(&out.stderr));
    let out = issue(&["--suite", suite, "--mandatory", "/credentialSubject/nothing"]);
    assert_eq!(code(&out), 2, "a mandatory pointer into nothing: {}", text(&out.stderr));
    Issuer { home: h, issuer }
}

/// The home of [`disclose_the_degree`] and its issuer's DID.
struct Issuer {
    home: Home,
    issuer: String,
}

impl std::ops::Deref for Issuer {
    type Target = Home;
    fn deref(&self) -> &Home {
        &self.home
    }
}
