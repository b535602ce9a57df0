//! Presentations: challenge, domain, holder binding, and the policy applied
//! to each credential in them. Each crafted failure asserts the check that
//! fails.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Issuer, Party, assert_fails_only, outcome, presentation, run};
use didam_credential::{Suite, jose};
use didam_verifier::{CheckKind, Outcome, Policy};
use serde_json::json;

const CHALLENGE: &str = "c0ae1c8e-c7e7-469f-b252-86e6a0e7387e";
const DOMAIN: &str = "https://verifier.example";

/// An issuer, a holder (Alice) and a presentation of one credential about her.
fn setup(suite: Suite) -> (Issuer, Party, serde_json::Value) {
    let mut issuer = Issuer::new();
    let alice = Party::new();
    let (vc, _, _) = issuer.issue(&alice.did, suite);
    let vp = presentation(&alice.did, vec![vc]);
    (issuer, alice, vp)
}

#[test]
fn a_good_presentation_lists_every_check_and_passes() {
    for suite in [Suite::EddsaRdfc2022, Suite::EddsaJcs2022] {
        let (issuer, alice, vp) = setup(suite);
        let signed = alice.present(&vp, Some(CHALLENGE), Some(DOMAIN), suite).to_string();
        let report =
            run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), Some(DOMAIN))).unwrap();
        assert!(report.is_valid(), "{report}");
        for kind in [
            CheckKind::Challenge,
            CheckKind::Domain,
            CheckKind::HolderBinding,
            CheckKind::EmbeddedCredential,
            CheckKind::IssuerKey,
            CheckKind::IssuerTrust,
            CheckKind::Status,
            CheckKind::StatusList,
            CheckKind::StatusListIssuer,
            CheckKind::StatusListFreshness,
        ] {
            assert_eq!(outcome(&report, kind), Some(Outcome::Passed), "{kind:?}\n{report}");
        }
        for kind in [CheckKind::AcceptedSuite, CheckKind::CredentialAge] {
            assert_eq!(outcome(&report, kind), Some(Outcome::NotApplicable), "{kind:?}\n{report}");
        }
        // Two status entries (revocation, suspension), each with its four checks.
        assert_eq!(report.of(CheckKind::Status).count(), 2, "{report}");
    }
}

#[test]
fn wrong_challenge_fails_the_challenge_check() {
    let (issuer, alice, vp) = setup(Suite::EddsaJcs2022);
    let signed = alice.present(&vp, Some("another challenge"), Some(DOMAIN), Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), Some(DOMAIN))).unwrap();
    assert_fails_only(&report, CheckKind::Challenge, "expected");
}

#[test]
fn a_missing_challenge_fails_the_challenge_check() {
    let (issuer, alice, vp) = setup(Suite::EddsaJcs2022);
    let signed = alice.present(&vp, None, Some(DOMAIN), Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), Some(DOMAIN))).unwrap();
    assert_fails_only(&report, CheckKind::Challenge, "missing");
}

#[test]
fn wrong_domain_fails_the_domain_check() {
    let (issuer, alice, vp) = setup(Suite::EddsaRdfc2022);
    let signed =
        alice.present(&vp, Some(CHALLENGE), Some("https://evil.example"), Suite::EddsaRdfc2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), Some(DOMAIN))).unwrap();
    assert_fails_only(&report, CheckKind::Domain, "expected `https://verifier.example`");
}

#[test]
fn a_presentation_signed_by_someone_else_fails_holder_binding() {
    let (issuer, _alice, vp) = setup(Suite::EddsaJcs2022);
    let mallory = Party::new();
    let signed = mallory.present(&vp, Some(CHALLENGE), Some(DOMAIN), Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), Some(DOMAIN))).unwrap();
    assert_fails_only(&report, CheckKind::HolderBinding, "not by the holder");
}

#[test]
fn a_holder_who_is_not_the_subject_fails_unless_the_policy_allows_it() {
    let mut issuer = Issuer::new();
    let (alice, bob) = (Party::new(), Party::new());
    let (vc, _, _) = issuer.issue(&alice.did, Suite::EddsaJcs2022);
    // Bob presents Alice's credential, signing as himself and naming himself holder.
    let signed = bob.present(&presentation(&bob.did, vec![vc]), None, None, Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::HolderBinding, "credential 0: the subject is");

    let mut policy = issuer.policy();
    policy.holder_must_be_subject = false;
    let report = run(issuer.verifier().with_policy(policy).verify_presentation(&signed, None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
}

#[test]
fn without_a_holder_the_signer_is_the_holder() {
    let (issuer, alice, mut vp) = setup(Suite::EddsaJcs2022);
    vp.as_object_mut().unwrap().remove("holder");
    let signed = alice.present(&vp, None, None, Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
    let mallory = Party::new();
    let signed = mallory.present(&vp, None, None, Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::HolderBinding, "credential 0: the subject is");
}

#[test]
fn an_untrusted_issuer_fails_issuer_trust() {
    let (issuer, alice, vp) = setup(Suite::EddsaJcs2022);
    let signed = alice.present(&vp, Some(CHALLENGE), None, Suite::EddsaJcs2022).to_string();
    let other = Party::new();
    let mut policy = Policy::default().trust_issuer(&other.did);
    policy.require_status = true;
    let report =
        run(issuer.verifier().with_policy(policy).verify_presentation(&signed, Some(CHALLENGE), None))
            .unwrap();
    assert_fails_only(&report, CheckKind::IssuerTrust, "is not trusted for");

    // Trusted for its type only.
    let policy = Policy::default().trust_issuer_for("ExampleDegreeCredential", &issuer.party.did);
    let report =
        run(issuer.verifier().with_policy(policy).verify_presentation(&signed, Some(CHALLENGE), None))
            .unwrap();
    assert!(report.is_valid(), "{report}");
    let policy = Policy::default().trust_issuer_for("PassportCredential", &issuer.party.did);
    let report =
        run(issuer.verifier().with_policy(policy).verify_presentation(&signed, Some(CHALLENGE), None))
            .unwrap();
    assert_fails_only(&report, CheckKind::IssuerTrust, "ExampleDegreeCredential");
}

#[test]
fn an_expired_credential_fails_alone_and_in_a_presentation() {
    let mut issuer = Issuer::new();
    let alice = Party::new();
    let mut vc = common::credential(&issuer.party.did, &alice.did);
    vc["validUntil"] = json!("2025-05-31T00:00:00Z");
    let r = issuer.revocation.allocate().unwrap();
    vc["credentialStatus"] = issuer.revocation.entry(r).unwrap();
    let vc = issuer.party.issue(&vc, Suite::EddsaJcs2022);
    let report = run(issuer.verifier().verify_credential(&vc.to_string())).unwrap();
    assert_fails_only(&report, CheckKind::ValidUntil, "expired");

    let signed =
        alice.present(&presentation(&alice.did, vec![vc]), None, None, Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::EmbeddedCredential, "valid-until");
    // Within the clock skew it is still valid.
    let mut policy = issuer.policy();
    policy.clock_skew = "2d".parse().unwrap();
    let report = run(issuer.verifier().with_policy(policy).verify_presentation(&signed, None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
}

#[test]
fn a_credential_older_than_the_policy_allows_fails_credential_age() {
    let (issuer, alice, vp) = setup(Suite::EddsaJcs2022);
    let signed = alice.present(&vp, None, None, Suite::EddsaJcs2022).to_string();
    let mut policy = issuer.policy();
    policy.max_credential_age = Some("30d".parse().unwrap());
    let report =
        run(issuer.verifier().with_policy(policy.clone()).verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::CredentialAge, "older than the maximum age 30d");
    policy.max_credential_age = Some("32d".parse().unwrap());
    let report = run(issuer.verifier().with_policy(policy).verify_presentation(&signed, None, None)).unwrap();
    assert_eq!(outcome(&report, CheckKind::CredentialAge), Some(Outcome::Passed), "{report}");
    assert!(report.is_valid(), "{report}");
}

#[test]
fn a_suite_the_policy_does_not_accept_fails_accepted_suite() {
    let (issuer, alice, vp) = setup(Suite::EddsaJcs2022);
    let signed = alice.present(&vp, None, None, Suite::EddsaRdfc2022).to_string();
    let mut policy = issuer.policy();
    policy.accepted_suites = Some(vec!["eddsa-rdfc-2022".parse().unwrap()]);
    let report = run(issuer.verifier().with_policy(policy).verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::AcceptedSuite, "credential 0: eddsa-jcs-2022 is not accepted");
}

#[test]
fn a_presentation_of_five_credentials_checks_each() {
    let mut issuer = Issuer::new();
    let alice = Party::new();
    let vcs: Vec<_> = (0..5).map(|_| issuer.issue(&alice.did, Suite::EddsaJcs2022).0).collect();
    let mut indexes: Vec<usize> = vcs
        .iter()
        .map(|vc| vc["credentialStatus"][0]["statusListIndex"].as_str().unwrap().parse().unwrap())
        .collect();
    let signed =
        alice.present(&presentation(&alice.did, vcs), Some(CHALLENGE), None, Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), None)).unwrap();
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.of(CheckKind::Status).count(), 10);
    assert_eq!(report.of(CheckKind::EmbeddedCredential).count(), 5);

    // Revoke the fourth: only its status fails.
    let fourth = indexes.remove(3);
    issuer.revocation.revoke(fourth).unwrap();
    let report = run(issuer.verifier().verify_presentation(&signed, Some(CHALLENGE), None)).unwrap();
    assert_fails_only(&report, CheckKind::Status, &format!("credential 3: revoked (index {fourth} of"));
    assert_eq!(report.failures().count(), 1, "{report}");
}

#[test]
fn a_vp_jwt_carries_challenge_and_domain_as_nonce_and_aud() {
    let (issuer, alice, mut vp) = setup(Suite::EddsaJcs2022);
    vp["nonce"] = json!(CHALLENGE);
    vp["aud"] = json!(DOMAIN);
    let jws = jose::sign(&vp, &alice.key, &alice.method, jose::VP_JWT).unwrap();
    let verifier = issuer.verifier();
    let report = run(verifier.verify_presentation(&jws, Some(CHALLENGE), Some(DOMAIN))).unwrap();
    assert!(report.is_valid(), "{report}");
    assert_eq!(outcome(&report, CheckKind::Challenge), Some(Outcome::Passed));
    assert_eq!(outcome(&report, CheckKind::HolderBinding), Some(Outcome::Passed));

    let report = run(verifier.verify_presentation(&jws, Some("other"), Some(DOMAIN))).unwrap();
    assert_fails_only(&report, CheckKind::Challenge, "expected `other`");
    let report =
        run(verifier.verify_presentation(&jws, Some(CHALLENGE), Some("https://other.example"))).unwrap();
    assert_fails_only(&report, CheckKind::Domain, "expected `https://other.example`");

    let mallory = Party::new();
    let jws = jose::sign(&vp, &mallory.key, &mallory.method, jose::VP_JWT).unwrap();
    let report = run(verifier.verify_presentation(&jws, Some(CHALLENGE), Some(DOMAIN))).unwrap();
    assert_fails_only(&report, CheckKind::HolderBinding, "not by the holder");
}

#[test]
fn enveloped_jwt_credentials_are_checked_like_the_others() {
    let mut issuer = Issuer::new();
    let alice = Party::new();
    let mut vc = common::credential(&issuer.party.did, &alice.did);
    let r = issuer.revocation.allocate().unwrap();
    vc["credentialStatus"] = issuer.revocation.entry(r).unwrap();
    let jws = jose::sign(&vc, &issuer.party.key, &issuer.party.method, jose::VC_JWT).unwrap();
    let vp = presentation(&alice.did, vec![jose::envelope(&jws)]);
    let signed = alice.present(&vp, None, None, Suite::EddsaJcs2022).to_string();
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
    issuer.revocation.revoke(r).unwrap();
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::Status, "revoked");
    let mut policy = issuer.policy();
    policy.accepted_suites = Some(vec!["eddsa-jcs-2022".parse().unwrap()]);
    let report = run(issuer.verifier().with_policy(policy).verify_presentation(&signed, None, None)).unwrap();
    assert!(
        report.failures().any(|c| c.check == CheckKind::AcceptedSuite && c.detail.contains("vc+jwt")),
        "{report}"
    );
}

#[test]
fn a_credential_is_not_a_presentation() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
    let report = run(issuer.verifier().verify_presentation(&vc.to_string(), None, None)).unwrap();
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::DataModel), "{report}");
}

/// Issue 17: a presentation verified without a challenge read VALID; by the
/// default policy it now fails its `replay-protection` check.
#[test]
fn a_presentation_without_a_challenge_fails_replay_protection() {
    let (issuer, alice, vp) = setup(Suite::EddsaJcs2022);
    let signed = alice.present(&vp, None, None, Suite::EddsaJcs2022).to_string();
    let mut policy = issuer.policy();
    policy.require_challenge = Policy::default().require_challenge;
    let report = run(issuer.verifier().with_policy(policy).verify_presentation(&signed, None, None)).unwrap();
    assert_fails_only(&report, CheckKind::ReplayProtection, "can replay it");
    let report = run(issuer.verifier().verify_presentation(&signed, None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
}
