//! Bitstring Status List: issuing, revoking, suspending, and the verifier's
//! checks of the list (proof, issuer, freshness, purpose) and of the bit.
//! Each crafted failure asserts the check that fails.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::{Read as _, Write as _};

use chrono::Duration;
use common::{Issuer, Party, REVOCATION_URL, SUSPENSION_URL, assert_fails_only, now, outcome, run};
use didam_credential::StatusError;
use didam_credential::did::OfflineResolver;
use didam_credential::status_list::{StatusList, StatusListIssuer, StatusPurpose};
use didam_credential::{Error, Suite};
use didam_verifier::status::StaticStatusSource;
use didam_verifier::{CheckKind, Outcome, Policy, Verifier};
use serde_json::json;

fn issue_one() -> (Issuer, String, usize, usize) {
    let mut issuer = Issuer::new();
    let (vc, r, s) = issuer.issue("did:example:alice", Suite::EddsaRdfc2022);
    (issuer, vc.to_string(), r, s)
}

#[test]
fn a_credential_in_good_standing_passes_every_status_check() {
    let (issuer, vc, _, _) = issue_one();
    let report = run(issuer.verifier().verify_credential(&vc)).unwrap();
    assert!(report.is_valid(), "{report}");
    for kind in [
        CheckKind::StatusList,
        CheckKind::StatusListIssuer,
        CheckKind::StatusListFreshness,
        CheckKind::Status,
    ] {
        assert_eq!(report.of(kind).filter(|c| c.outcome == Outcome::Passed).count(), 2, "{kind:?}\n{report}");
    }
}

#[test]
fn a_revoked_credential_fails_the_status_check() {
    let (mut issuer, vc, r, _) = issue_one();
    issuer.revocation.revoke(r).unwrap();
    let report = run(issuer.verifier().verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::Status, &format!("revoked (index {r} of {REVOCATION_URL})"));
}

#[test]
fn a_suspended_credential_fails_until_reinstated() {
    let (mut issuer, vc, _, s) = issue_one();
    issuer.suspension.suspend(s).unwrap();
    let report = run(issuer.verifier().verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::Status, &format!("suspended (index {s} of {SUSPENSION_URL})"));
    issuer.suspension.reinstate(s).unwrap();
    let report = run(issuer.verifier().verify_credential(&vc)).unwrap();
    assert!(report.is_valid(), "{report}");
}

#[test]
fn a_status_list_signed_by_another_issuer_fails_status_list_issuer() {
    let (issuer, vc, _, _) = issue_one();
    let mallory = Party::new();
    let mut source = issuer.source();
    // Mallory publishes a clean revocation list at the issuer's URL, properly signed by herself.
    let unsigned = issuer.revocation.credential(&mallory.did, now() - Duration::hours(1), None);
    source.insert(REVOCATION_URL, mallory.issue(&unsigned, Suite::EddsaJcs2022));
    let report = run(issuer.verifier_with(source).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusListIssuer, &format!("issued by {}", mallory.did));
    // The bit of an untrusted list is not read.
    assert!(report.of(CheckKind::Status).any(|c| c.outcome == Outcome::NotApplicable), "{report}");
}

#[test]
fn a_status_list_naming_the_issuer_but_signed_by_another_key_fails_status_list() {
    let (issuer, vc, _, _) = issue_one();
    let mallory = Party::new();
    let mut source = issuer.source();
    let unsigned = issuer.revocation.credential(&issuer.party.did, now() - Duration::hours(1), None);
    source.insert(REVOCATION_URL, mallory.issue(&unsigned, Suite::EddsaJcs2022));
    let report = run(issuer.verifier_with(source).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusList, "not a key of the issuer");
}

#[test]
fn a_tampered_status_list_fails_status_list() {
    let (mut issuer, vc, r, _) = issue_one();
    let unsigned = issuer.revocation.credential(&issuer.party.did, now() - Duration::hours(1), None);
    let mut signed = issuer.party.issue(&unsigned, Suite::EddsaJcs2022);
    // Revoke, then put the new bits into the list signed before.
    issuer.revocation.revoke(r).unwrap();
    signed["credentialSubject"]["encodedList"] = json!(issuer.revocation.list().encode());
    let mut source = issuer.source();
    source.insert(REVOCATION_URL, signed);
    let report = run(issuer.verifier_with(source).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusList, "signature");
}

#[test]
fn a_stale_status_list_fails_freshness() {
    let (issuer, vc, _, _) = issue_one();
    // Expired: validUntil an hour ago.
    let mut source = StaticStatusSource::new();
    for list in [&issuer.revocation, &issuer.suspension] {
        let unsigned =
            list.credential(&issuer.party.did, now() - Duration::days(8), Some(now() - Duration::hours(1)));
        source.insert(list.url(), issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    }
    let report = run(issuer.verifier_with(source.clone()).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusListFreshness, "the status list expired");

    // Within its validity period, but older than the policy's max_status_age.
    let mut source = StaticStatusSource::new();
    for list in [&issuer.revocation, &issuer.suspension] {
        let unsigned = list.credential(&issuer.party.did, now() - Duration::days(3), None);
        source.insert(list.url(), issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    }
    let mut policy = issuer.policy();
    policy.max_status_age = Some("1d".parse().unwrap());
    let verifier = issuer.verifier_with(source.clone()).with_policy(policy.clone());
    let report = run(verifier.verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusListFreshness, "older than max_status_age 1d");
    policy.max_status_age = Some("4d".parse().unwrap());
    let report = run(issuer.verifier_with(source).with_policy(policy).verify_credential(&vc)).unwrap();
    assert!(report.is_valid(), "{report}");
}

#[test]
fn a_list_of_the_wrong_purpose_or_url_fails_status_list() {
    let (issuer, vc, _, _) = issue_one();
    // The suspension list served where the revocation list should be.
    let mut source = issuer.source();
    let unsigned = issuer.suspension.credential(&issuer.party.did, now() - Duration::hours(1), None);
    let signed = issuer.party.issue(&unsigned, Suite::EddsaJcs2022);
    source.insert(REVOCATION_URL, signed);
    let report = run(issuer.verifier_with(source).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusList, "its id is");

    let mut source = issuer.source();
    let mut unsigned = issuer.suspension.credential(&issuer.party.did, now() - Duration::hours(1), None);
    unsigned["id"] = json!(REVOCATION_URL);
    source.insert(REVOCATION_URL, issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    let report = run(issuer.verifier_with(source).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusList, "is a suspension list, the entry is for revocation");
}

#[test]
fn a_zip_bomb_is_a_typed_error_and_a_failed_check() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..20 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = multibase::encode(multibase::Base::Base64Url, gz.finish().unwrap());
    assert!(bomb.len() < 64 * 1024, "20 MiB of zeros compress to {} bytes", bomb.len());
    assert_eq!(
        StatusList::decode(&bomb),
        Err(StatusError::TooLarge { limit: StatusList::DEFAULT_MAX_BYTES })
    );
    assert_eq!(StatusList::decode_with_limit(&bomb, 1 << 20), Err(StatusError::TooLarge { limit: 1 << 20 }));

    let (issuer, vc, _, _) = issue_one();
    let mut unsigned = issuer.revocation.credential(&issuer.party.did, now() - Duration::hours(1), None);
    unsigned["credentialSubject"]["encodedList"] = json!(bomb);
    let mut source = issuer.source();
    source.insert(REVOCATION_URL, issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    let report = run(issuer.verifier_with(source).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::StatusList, "exceeds");
}

#[test]
fn required_status_fails_without_an_entry_or_a_source() {
    let issuer = Issuer::new();
    let plain =
        issuer.party.issue(&common::credential(&issuer.party.did, "did:example:alice"), Suite::EddsaJcs2022);
    let report = run(issuer.verifier().verify_credential(&plain.to_string())).unwrap();
    assert_fails_only(&report, CheckKind::Status, "no credentialStatus, and the policy requires a status");

    let lenient = issuer.verifier().with_policy(Policy::default());
    let report = run(lenient.verify_credential(&plain.to_string())).unwrap();
    assert!(report.is_valid(), "{report}");
    assert_eq!(outcome(&report, CheckKind::Status), Some(Outcome::NotApplicable));

    let (issuer, vc, _, _) = issue_one();
    let no_source = Verifier::new(OfflineResolver).at(now());
    let report = run(no_source.verify_credential(&vc)).unwrap();
    assert!(report.is_valid(), "{report}");
    assert_eq!(outcome(&report, CheckKind::Status), Some(Outcome::NotApplicable));
    let report = run(no_source.with_policy(issuer.policy()).verify_credential(&vc)).unwrap();
    assert_fails_only(&report, CheckKind::Status, "no status source is configured");
}

#[test]
fn an_unreachable_list_or_an_unsupported_status_size_cannot_be_checked() {
    let (issuer, vc, _, _) = issue_one();
    let err = run(issuer.verifier_with(StaticStatusSource::new()).verify_credential(&vc)).unwrap_err();
    assert!(matches!(&err, Error::Status { url, .. } if url == REVOCATION_URL), "{err}");

    let mut credential = common::credential(&issuer.party.did, "did:example:alice");
    let mut issuer = issuer;
    let r = issuer.revocation.allocate().unwrap();
    let mut entry = issuer.revocation.entry(r).unwrap();
    entry["statusSize"] = json!(2);
    credential["credentialStatus"] = entry;
    let vc = issuer.party.issue(&credential, Suite::EddsaJcs2022);
    let err = run(issuer.verifier().verify_credential(&vc.to_string())).unwrap_err();
    assert!(err.to_string().contains("statusSize 2 is not supported"), "{err}");
}

#[test]
fn the_issuer_state_survives_serialization_and_never_reallocates() {
    let mut list = StatusListIssuer::new(REVOCATION_URL, StatusPurpose::Revocation).unwrap();
    let first: Vec<usize> = (0..100).map(|_| list.allocate().unwrap()).collect();
    list.revoke(first[7]).unwrap();
    let saved = serde_json::to_string(&list).unwrap();
    let mut restored: StatusListIssuer = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored, list);
    assert!(restored.is_set(first[7]).unwrap());
    assert_eq!(restored.allocator().allocated(), 100);
    for _ in 0..1000 {
        let i = restored.allocate().unwrap();
        assert!(!first.contains(&i));
    }
    // Not in order: 100 sequential indexes from a random start would be a
    // 1 in 2^1000-ish accident.
    assert!(first.windows(2).any(|w| w[1] != w[0] + 1));
    let typo = saved.replacen("\"allocator\"", "\"alocator\"", 1);
    assert!(serde_json::from_str::<StatusListIssuer>(&typo).is_err());
}

#[test]
fn the_published_list_is_gzip_then_multibase_base64url_of_16_kib() {
    let issuer = Issuer::new();
    let credential = issuer.revocation.credential(&issuer.party.did, now(), None);
    assert_eq!(credential["type"], json!(["VerifiableCredential", "BitstringStatusListCredential"]));
    assert_eq!(credential["credentialSubject"]["type"], "BitstringStatusList");
    assert_eq!(credential["credentialSubject"]["statusPurpose"], "revocation");
    let encoded = credential["credentialSubject"]["encodedList"].as_str().unwrap();
    let raw = encoded.strip_prefix('u').expect("multibase base64url prefix");
    assert!(!raw.contains('='), "no padding");
    let (_, gz) = multibase::decode(encoded).unwrap();
    assert_eq!(&gz[..2], [0x1f, 0x8b], "GZIP magic");
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut bits).unwrap();
    assert_eq!(bits.len(), 16 * 1024);
    let entry = issuer.revocation.entry(0);
    assert_eq!(entry, Err(StatusError::NotAllocated(0)));
}

#[test]
fn a_credential_naming_an_issuer_but_signed_by_another_key_fails_issuer_key() {
    let issuer = Issuer::new();
    let mallory = Party::new();
    let forged =
        mallory.issue(&common::credential(&issuer.party.did, "did:example:alice"), Suite::EddsaRdfc2022);
    let lenient = issuer.verifier().with_policy(Policy::default());
    let report = run(lenient.verify_credential(&forged.to_string())).unwrap();
    assert_fails_only(
        &report,
        CheckKind::IssuerKey,
        &format!("not a key of the issuer {}", issuer.party.did),
    );
}

#[test]
fn under_a_warn_binding_policy_an_unbound_key_is_a_warning_that_names_it() {
    let issuer = Issuer::new();
    let mallory = Party::new();
    let unbound =
        mallory.issue(&common::credential(&issuer.party.did, "did:example:alice"), Suite::EddsaRdfc2022);
    let mut policy = Policy::default();
    policy.issuer_key_binding = didam_verifier::KeyBinding::Warn;
    let relaxed = issuer.verifier().with_policy(policy);
    let report = run(relaxed.verify_credential(&unbound.to_string())).unwrap();
    assert!(report.is_valid(), "{report}");
    let check = report.of(CheckKind::IssuerKey).next().unwrap();
    assert_eq!(check.outcome, Outcome::Warning, "{report}");
    assert!(check.detail.contains(&format!("signed with {}", mallory.method)), "{report}");
    assert!(check.detail.contains(&format!("not a key of the issuer {}", issuer.party.did)), "{report}");
    assert!(report.to_string().contains("warn issuer-key"), "{report}");
    // The same credential under the default policy still fails.
    let strict = issuer.verifier().with_policy(Policy::default());
    let report = run(strict.verify_credential(&unbound.to_string())).unwrap();
    assert_eq!(outcome(&report, CheckKind::IssuerKey), Some(Outcome::Failed), "{report}");
    // A credential without an issuer is not rescued by the relaxed policy.
    let mut nameless = common::credential(&issuer.party.did, "did:example:alice");
    nameless.as_object_mut().unwrap().remove("issuer");
    let signed = mallory.issue(&nameless, Suite::EddsaRdfc2022);
    let mut policy = Policy::default();
    policy.issuer_key_binding = didam_verifier::KeyBinding::Warn;
    let report = run(issuer.verifier().with_policy(policy).verify_credential(&signed.to_string())).unwrap();
    assert!(!report.is_valid(), "{report}");
}

#[test]
fn a_forged_credential_buys_no_status_list_fetch() {
    let (issuer, vc, _, _) = issue_one();
    let mut forged: serde_json::Value = serde_json::from_str(&vc).unwrap();
    forged["credentialSubject"]["id"] = json!("did:example:mallory");
    // No list is served: a fetch would be an error, not a report.
    let verifier = issuer.verifier_with(StaticStatusSource::new());
    let report = run(verifier.verify_credential(&forged.to_string())).unwrap();
    assert!(!report.is_valid(), "{report}");
    assert_eq!(outcome(&report, CheckKind::Signature), Some(Outcome::Failed), "{report}");
    assert!(report.of(CheckKind::Status).all(|c| c.outcome == Outcome::NotApplicable), "{report}");
    assert_eq!(outcome(&report, CheckKind::StatusList), None, "no list was read:\n{report}");
}

#[test]
fn a_credential_naming_more_status_lists_than_a_verifier_checks_fails_status() {
    let mut issuer = Issuer::new();
    let mut vc = common::credential(&issuer.party.did, "did:example:alice");
    let entries: Vec<_> = (0..=didam_verifier::MAX_STATUS_ENTRIES)
        .map(|_| {
            let index = issuer.revocation.allocate().unwrap();
            issuer.revocation.entry(index).unwrap()
        })
        .collect();
    vc["credentialStatus"] = json!(entries);
    let signed = issuer.party.issue(&vc, Suite::EddsaRdfc2022);
    let report = run(issuer.verifier().verify_credential(&signed.to_string())).unwrap();
    assert_fails_only(&report, CheckKind::Status, "9 credentialStatus entries; a verifier checks at most 8");
}
