//! Policy files: TOML and JSON read to the same policy, unknown keys and bad
//! values are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use didam_credential::Suite;
use didam_verifier::policy::{Format, HumanDuration, KeyBinding};
use didam_verifier::{Policy, PolicyError};

const ISSUER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

const TOML: &str = r#"
trusted_issuers = ["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"]
accepted_suites = ["eddsa-rdfc-2022", "ecdsa-rdfc-2019", "vc+jwt"]
require_status = true
max_credential_age = "365d"
max_status_age = "1d"
clock_skew = "2m"
holder_must_be_subject = false
issuer_key_binding = "warn"

[trusted_issuers_by_type]
ExampleDegreeCredential = ["did:web:university.example"]
"#;

const JSON: &str = r#"{
  "trusted_issuers": ["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"],
  "trusted_issuers_by_type": { "ExampleDegreeCredential": ["did:web:university.example"] },
  "accepted_suites": ["eddsa-rdfc-2022", "ecdsa-rdfc-2019", "vc+jwt"],
  "require_status": true,
  "max_credential_age": "365d",
  "max_status_age": "1d",
  "clock_skew": "2m",
  "holder_must_be_subject": false,
  "issuer_key_binding": "warn"
}"#;

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-verifier-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn toml_and_json_read_to_the_same_policy() {
    let policy = Policy::from_toml_str(TOML).unwrap();
    assert_eq!(policy, Policy::from_json_str(JSON).unwrap());
    assert_eq!(policy.trusted_issuers.as_deref(), Some(&[ISSUER.to_owned()][..]));
    assert_eq!(policy.trusted_issuers_by_type["ExampleDegreeCredential"], ["did:web:university.example"]);
    assert_eq!(
        policy.accepted_suites,
        Some(vec![
            Format::DataIntegrity(Suite::EddsaRdfc2022),
            Format::DataIntegrity(Suite::EcdsaRdfc2019),
            Format::Jose
        ])
    );
    assert!(policy.require_status);
    assert_eq!(policy.max_credential_age, Some(HumanDuration::from_secs(365 * 86_400)));
    assert_eq!(policy.max_status_age, Some(HumanDuration::from_secs(86_400)));
    assert_eq!(policy.clock_skew.as_secs(), 120);
    assert!(!policy.holder_must_be_subject);
    assert_eq!(policy.issuer_key_binding, KeyBinding::Warn);
    // It writes back to the same TOML.
    let again = Policy::from_toml_str(&toml::to_string(&policy).unwrap()).unwrap();
    assert_eq!(again, policy);
}

#[test]
fn an_empty_policy_is_the_default() {
    assert_eq!(Policy::from_toml_str("").unwrap(), Policy::default());
    assert_eq!(Policy::from_json_str("{}").unwrap(), Policy::default());
    assert!(Policy::default().holder_must_be_subject);
    assert!(Policy::default().require_challenge);
    assert_eq!(Policy::default().issuer_key_binding, KeyBinding::Required, "strict unless relaxed");
    assert_eq!(Policy::from_toml_str("issuer_key_binding = \"required\"").unwrap(), Policy::default());
    assert!(!Policy::default().restricts_issuers());
}

#[test]
fn a_typo_key_is_refused() {
    let err = Policy::from_toml_str("trusted_issuer = [\"did:example:a\"]").unwrap_err();
    assert!(matches!(err, PolicyError::Toml(_)), "{err}");
    assert!(err.to_string().contains("trusted_issuer"), "{err}");
    let err = Policy::from_json_str(r#"{"require_satus": true}"#).unwrap_err();
    assert!(matches!(err, PolicyError::Json(_)), "{err}");
    assert!(err.to_string().contains("require_satus"), "{err}");
}

#[test]
fn bad_values_are_refused() {
    let err = Policy::from_toml_str("accepted_suites = [\"eddsa-2022\"]").unwrap_err();
    assert!(err.to_string().contains("unknown suite or format `eddsa-2022`"), "{err}");
    let err = Policy::from_toml_str("max_credential_age = \"30 days\"").unwrap_err();
    assert!(err.to_string().contains("is not a duration"), "{err}");
    let err = Policy::from_toml_str("max_credential_age = 30").unwrap_err();
    assert!(matches!(err, PolicyError::Toml(_)), "{err}");
    let err = Policy::from_toml_str("issuer_key_binding = \"off\"").unwrap_err();
    assert!(err.to_string().contains("unknown variant `off`"), "{err}");
    let err = Policy::from_json_str(r#"{"trusted_issuers": ["not an issuer"]}"#).unwrap_err();
    assert!(matches!(err, PolicyError::InvalidIssuer(ref i) if i == "not an issuer"), "{err}");
}

#[test]
fn files_are_read_by_extension_or_content() {
    let expected = Policy::from_toml_str(TOML).unwrap();
    assert_eq!(Policy::from_file(temp_file("policy.toml", TOML)).unwrap(), expected);
    assert_eq!(Policy::from_file(temp_file("policy.json", JSON)).unwrap(), expected);
    assert_eq!(Policy::from_file(temp_file("policy-json", JSON)).unwrap(), expected);
    assert_eq!(Policy::from_file(temp_file("policy-toml", TOML)).unwrap(), expected);
    // The extension wins: JSON in a .toml file is TOML that does not parse.
    assert!(matches!(Policy::from_file(temp_file("wrong.toml", JSON)), Err(PolicyError::Toml(_))));
    let missing = Policy::from_file("/nonexistent/didam/policy.toml").unwrap_err();
    assert!(matches!(missing, PolicyError::Read { .. }), "{missing}");
}

/// A front end with its own defaults (the daemon: the holder need not be
/// the subject) reads a policy file over them: keys the file leaves out keep
/// the front end's values, keys it sets win, and a typo is still refused
/// with the file's own error.
#[test]
fn a_policy_file_read_over_a_front_ends_defaults_keeps_what_it_does_not_set() {
    let mut base = Policy::default();
    base.holder_must_be_subject = false;
    let one_key = temp_file("over.toml", "require_challenge = false\n");
    let read = Policy::from_file_over(&one_key, &base).unwrap();
    assert!(!read.holder_must_be_subject, "the front end's default is kept");
    assert!(!read.require_challenge, "the file's key wins");
    assert!(
        Policy::from_file(&one_key).unwrap().holder_must_be_subject,
        "the library default without a base"
    );
    let json = temp_file("over.json", r#"{"holder_must_be_subject": true}"#);
    assert!(Policy::from_file_over(&json, &base).unwrap().holder_must_be_subject);
    let typo = temp_file("typo.toml", "holder_must_be_subjekt = true\n");
    assert!(matches!(Policy::from_file_over(&typo, &base), Err(PolicyError::Toml(_))));
}
