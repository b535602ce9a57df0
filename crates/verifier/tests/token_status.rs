//! SD-JWT VCs with a Token Status List through the verifier: valid,
//! suspended and revoked entries; a token signed by another issuer; and a
//! credential whose own signature fails, whose status list is then never
//! fetched (its URI is the issuer's choice).
#![allow(missing_docs)]

use std::cell::Cell;

use chrono::Utc;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::sd_jwt_vc::{self, IssueOptions};
use didam_credential::token_status_list::{TokenStatus, TokenStatusList};
use didam_credential::verify::Input;
use didam_credential::{CheckKind, DidUrl, KeyType, Outcome, Report, SecretKey};
use didam_verifier::FetchError;
use didam_verifier::Verifier;
use didam_verifier::status::{StaticStatusSource, StatusSource};
use serde_json::json;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const URI: &str = "https://issuer.example/status/1";

fn issuer() -> Result<(SecretKey, DidUrl)> {
    let key = SecretKey::generate(KeyType::P256);
    let (_, kid) = did::did_key(&key.public_key());
    Ok((key, DidUrl::parse(&kid)?))
}

fn issued(key: &SecretKey, kid: &DidUrl) -> Result<String> {
    let holder = SecretKey::generate(KeyType::Ed25519).public_key();
    let mut options = IssueOptions::new("https://example.org/degree", kid.clone());
    options.status = Some((URI.to_owned(), 9));
    Ok(sd_jwt_vc::issue(&json!({ "degree": "BSc" }), key, &options, &holder)?)
}

fn verify_with(credential: &str, token: &str) -> Result<Report> {
    let mut source = StaticStatusSource::new();
    source.insert_text(URI, token)?;
    let verifier = Verifier::new(OfflineResolver).with_status_source(source);
    Ok(futures::executor::block_on(verifier.verify_credential(credential))?)
}

fn status(report: &Report) -> Option<Outcome> {
    report.of(CheckKind::Status).map(|c| c.outcome).last()
}

#[test]
fn valid_suspended_and_revoked_entries() -> Result {
    let (key, kid) = issuer()?;
    let credential = issued(&key, &kid)?;
    let mut list = TokenStatusList::new(256, 2)?;
    let report = verify_with(&credential, &list.sign(URI, &key, &kid, Utc::now(), None))?;
    assert!(report.is_valid(), "{report}");
    assert_eq!(status(&report), Some(Outcome::Passed));
    list.set(9, TokenStatus::Suspended)?;
    let report = verify_with(&credential, &list.sign(URI, &key, &kid, Utc::now(), None))?;
    assert_eq!(status(&report), Some(Outcome::Failed), "{report}");
    list.set(9, TokenStatus::Valid)?;
    list.set(9, TokenStatus::Invalid)?;
    let report = verify_with(&credential, &list.sign(URI, &key, &kid, Utc::now(), None))?;
    assert_eq!(status(&report), Some(Outcome::Failed), "{report}");
    assert!(report.to_string().contains("revoked (index 9"), "{report}");
    // An expired token.
    let stale = TokenStatusList::new(256, 1)?.sign(
        URI,
        &key,
        &kid,
        Utc::now(),
        Some(Utc::now() - chrono::Duration::hours(1)),
    );
    let report = verify_with(&credential, &stale)?;
    assert!(report.of(CheckKind::StatusListFreshness).any(|c| c.outcome == Outcome::Failed), "{report}");
    Ok(())
}

#[test]
fn a_list_signed_by_another_issuer_or_for_another_uri_fails() -> Result {
    let (key, kid) = issuer()?;
    let credential = issued(&key, &kid)?;
    let (other, other_kid) = issuer()?;
    let list = TokenStatusList::new(256, 1)?;
    let report = verify_with(&credential, &list.sign(URI, &other, &other_kid, Utc::now(), None))?;
    assert!(report.of(CheckKind::StatusListIssuer).any(|c| c.outcome == Outcome::Failed), "{report}");
    assert!(!report.is_valid());
    let report = verify_with(
        &credential,
        &list.sign("https://issuer.example/status/2", &key, &kid, Utc::now(), None),
    )?;
    assert!(report.of(CheckKind::StatusList).any(|c| c.outcome == Outcome::Failed), "{report}");
    // A token whose signature does not hold.
    let token = list.sign(URI, &key, &kid, Utc::now(), None);
    let forged = format!("{}AAAA", &token[..token.len() - 4]);
    let report = verify_with(&credential, &forged)?;
    assert!(report.of(CheckKind::StatusList).any(|c| c.outcome == Outcome::Failed), "{report}");
    Ok(())
}

/// A source that counts its fetches.
struct Counting<'a>(&'a Cell<usize>);

impl StatusSource for Counting<'_> {
    async fn fetch(&self, url: &str) -> std::result::Result<Input, FetchError> {
        self.0.set(self.0.get() + 1);
        Err(FetchError::NotFound(url.to_owned()))
    }
}

#[test]
fn a_forged_credential_never_has_its_status_list_fetched() -> Result {
    let (key, kid) = issuer()?;
    let credential = issued(&key, &kid)?;
    let (jwt, rest) = credential.split_once('~').ok_or("~")?;
    let (signed, _) = jwt.rsplit_once('.').ok_or(".")?;
    let forged = format!("{signed}.AAAA~{rest}");
    let fetches = Cell::new(0);
    let verifier = Verifier::new(OfflineResolver).with_status_source(Counting(&fetches));
    let report = futures::executor::block_on(verifier.verify_credential(&forged))?;
    assert!(!report.is_valid());
    assert_eq!(status(&report), Some(Outcome::NotApplicable), "{report}");
    assert_eq!(fetches.get(), 0);
    Ok(())
}

/// A policy names the format `dc+sd-jwt` apart from the W3C `vc+sd-jwt`.
#[test]
fn a_policy_accepts_dc_sd_jwt_by_its_name() -> Result {
    let (key, kid) = issuer()?;
    let holder = SecretKey::generate(KeyType::Ed25519).public_key();
    let options = IssueOptions::new("https://example.org/degree", kid.clone());
    let credential = sd_jwt_vc::issue(&json!({ "degree": "BSc" }), &key, &options, &holder)?;
    for (accepted, valid) in [("dc+sd-jwt", true), ("vc+sd-jwt", false)] {
        let policy = didam_verifier::Policy::from_toml_str(&format!("accepted_suites = [\"{accepted}\"]"))?;
        let verifier = Verifier::new(OfflineResolver).with_policy(policy);
        let report = futures::executor::block_on(verifier.verify_credential(&credential))?;
        assert_eq!(report.is_valid(), valid, "{accepted}: {report}");
    }
    Ok(())
}
