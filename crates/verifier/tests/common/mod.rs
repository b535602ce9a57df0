//! Shared fixtures of the verifier's integration tests: parties with did:key
//! identities, credentials with status entries, presentations, signed status
//! lists.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use chrono::{DateTime, Duration, Utc};
use didam_credential::did::{self, OfflineResolver, ProofPurpose};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::status_list::{StatusListIssuer, StatusPurpose};
use didam_credential::{KeyType, Report, SecretKey, Suite};
use didam_verifier::status::StaticStatusSource;
use didam_verifier::{CheckKind, Outcome, Policy, Verifier};
use serde_json::{Value, json};

// The vector folder and `run`, as the credential crate's tests have them.
#[path = "../../../credential/tests/common/mod.rs"]
mod vectors;
#[allow(unused_imports)] // Not every test binary uses both.
pub use vectors::{run, shared};

/// The fixed time the tests judge validity at.
pub fn now() -> DateTime<Utc> {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

/// Someone with a did:key.
pub struct Party {
    pub key: SecretKey,
    pub did: String,
    pub method: String,
}

impl Party {
    pub fn new() -> Self {
        Self::with_key(KeyType::Ed25519)
    }

    /// Someone with a did:key of `key_type`.
    pub fn with_key(key_type: KeyType) -> Self {
        let key = SecretKey::generate(key_type);
        let (did, method) = did::did_key(&key.public_key());
        Self { key, did, method }
    }

    /// Signs `document` as an issuer (assertionMethod).
    pub fn issue(&self, document: &Value, suite: Suite) -> Value {
        let options = ProofOptions {
            created: Some(now() - Duration::days(1)),
            ..ProofOptions::assertion(suite, &self.method)
        };
        run(proof::add_proof(document, &self.key, &options)).unwrap()
    }

    /// Signs a presentation (authentication) with `challenge` and `domain`.
    pub fn present(
        &self,
        presentation: &Value,
        challenge: Option<&str>,
        domain: Option<&str>,
        suite: Suite,
    ) -> Value {
        let options = ProofOptions {
            proof_purpose: ProofPurpose::Authentication,
            challenge: challenge.map(str::to_owned),
            domain: domain.map(str::to_owned),
            created: Some(now() - Duration::minutes(1)),
            ..ProofOptions::assertion(suite, &self.method)
        };
        run(proof::add_proof(presentation, &self.key, &options)).unwrap()
    }
}

/// An unsigned credential about `subject` by `issuer`, valid from a month
/// before [`now`].
pub fn credential(issuer: &str, subject: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2025-05-01T00:00:00Z",
        "credentialSubject": { "id": subject, "degree": { "type": "ExampleBachelorDegree", "name": "BSc" } }
    })
}

/// An unsigned presentation by `holder` of `credentials`.
pub fn presentation(holder: &str, credentials: Vec<Value>) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": credentials,
    })
}

pub const REVOCATION_URL: &str = "https://issuer.example/status/revocation/1";
pub const SUSPENSION_URL: &str = "https://issuer.example/status/suspension/1";

/// An issuer with a revocation and a suspension list.
pub struct Issuer {
    pub party: Party,
    pub revocation: StatusListIssuer,
    pub suspension: StatusListIssuer,
}

impl Issuer {
    pub fn new() -> Self {
        Self {
            party: Party::new(),
            revocation: StatusListIssuer::new(REVOCATION_URL, StatusPurpose::Revocation).unwrap(),
            suspension: StatusListIssuer::new(SUSPENSION_URL, StatusPurpose::Suspension).unwrap(),
        }
    }

    /// A signed credential for `subject` with a revocation and a suspension
    /// entry; returns it and its two indexes.
    pub fn issue(&mut self, subject: &str, suite: Suite) -> (Value, usize, usize) {
        let r = self.revocation.allocate().unwrap();
        let s = self.suspension.allocate().unwrap();
        let mut vc = credential(&self.party.did, subject);
        vc["credentialStatus"] =
            json!([self.revocation.entry(r).unwrap(), self.suspension.entry(s).unwrap()]);
        (self.party.issue(&vc, suite), r, s)
    }

    /// Both lists, signed, valid from an hour before [`now`] for a day.
    pub fn source(&self) -> StaticStatusSource {
        let from = now() - Duration::hours(1);
        let until = Some(now() + Duration::days(1));
        let mut source = StaticStatusSource::new();
        for list in [&self.revocation, &self.suspension] {
            let unsigned = list.credential(&self.party.did, from, until);
            let suite = match self.party.key.key_type() {
                KeyType::Ed25519 => Suite::EddsaJcs2022,
                _ => Suite::EcdsaJcs2019,
            };
            source.insert(list.url(), self.party.issue(&unsigned, suite));
        }
        source
    }

    /// A policy trusting this issuer and requiring status.
    pub fn policy(&self) -> Policy {
        let mut policy = Policy::default().trust_issuer(&self.party.did);
        policy.require_status = true;
        // The presentation tests look at other checks; replay protection has
        // its own test (`presentations::a_presentation_without_a_challenge_fails_replay_protection`).
        policy.require_challenge = false;
        policy
    }

    /// A verifier at [`now`] with this issuer's policy and lists.
    pub fn verifier(&self) -> Verifier<OfflineResolver, StaticStatusSource> {
        self.verifier_with(self.source())
    }

    pub fn verifier_with(&self, source: StaticStatusSource) -> Verifier<OfflineResolver, StaticStatusSource> {
        Verifier::new(OfflineResolver).at(now()).with_policy(self.policy()).with_status_source(source)
    }
}

/// The kinds of the failed checks.
pub fn failed(report: &Report) -> Vec<CheckKind> {
    report.failures().map(|c| c.check).collect()
}

/// Asserts that exactly the checks of `kind` failed, and that one of them says `why`.
pub fn assert_fails_only(report: &Report, kind: CheckKind, why: &str) {
    assert!(!report.is_valid(), "{report}");
    assert!(report.failures().all(|c| c.check == kind), "only {kind:?} should fail:\n{report}");
    assert!(
        report.failures().any(|c| c.detail.contains(why)),
        "a failed {kind:?} check should say `{why}`:\n{report}"
    );
}

/// The outcome of the first check of `kind`.
pub fn outcome(report: &Report, kind: CheckKind) -> Option<Outcome> {
    report.of(kind).next().map(|c| c.outcome)
}
