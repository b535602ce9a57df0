//! Presentations verified per second, with one and with five credentials,
//! each credential's revocation and suspension status checked against signed
//! status lists (one pair of lists shared by the issuer's credentials, fetched
//! from a [`StaticStatusSource`] for each presentation). Each case runs twice
//! on the same presentation: `uncached`, every list verified for each
//! presentation (the cache of verified lists off, as before it existed), and
//! `cached`, the verifier's default cache of verified lists.
//!
//! Run with `cargo bench --workspace --features
//! didam-ledger/etcd,didam-resolver/etcd --bench presentations` (the
//! workspace's feature set, so nothing is rebuilt for it). Every
//! document (credentials, presentation, status lists) uses the same suite;
//! both `eddsa-rdfc-2022` and `eddsa-jcs-2022` are measured. The throughput
//! criterion prints (elem/s) is presentations per second.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput};
use didam_credential::did::{self, OfflineResolver, ProofPurpose};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::status_list::{StatusListIssuer, StatusPurpose};
use didam_credential::{KeyType, SecretKey, Suite};
use didam_verifier::status::StaticStatusSource;
use didam_verifier::{CheckKind, Outcome, Policy, StatusListCacheOptions, Verifier};
use futures::executor::block_on;
use serde_json::{Value, json};

const CHALLENGE: &str = "5b1f0c5e-1f7e-4c55-9d55-8a1c1f3d2b7e";
const DOMAIN: &str = "https://verifier.example";

struct Party {
    key: SecretKey,
    did: String,
    method: String,
}

impl Party {
    fn new() -> Self {
        let key = SecretKey::generate(KeyType::Ed25519);
        let (did, method) = did::did_key(&key.public_key());
        Self { key, did, method }
    }

    fn sign(&self, doc: &Value, options: ProofOptions) -> Value {
        block_on(proof::add_proof(doc, &self.key, &options)).unwrap()
    }
}

/// The lists, a policy trusting the issuer and requiring status, the presentation text.
fn setup(suite: Suite, credentials: usize) -> (StaticStatusSource, Policy, String) {
    let issuer = Party::new();
    let holder = Party::new();
    let mut revocation =
        StatusListIssuer::new("https://issuer.example/status/r", StatusPurpose::Revocation).unwrap();
    let mut suspension =
        StatusListIssuer::new("https://issuer.example/status/s", StatusPurpose::Suspension).unwrap();
    let assertion = ProofOptions::assertion(suite, &issuer.method);
    let vcs: Vec<Value> = (0..credentials)
        .map(|i| {
            let r = revocation.allocate().unwrap();
            let s = suspension.allocate().unwrap();
            let vc = json!({
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "type": ["VerifiableCredential", "ExampleDegreeCredential"],
                "issuer": issuer.did,
                "validFrom": "2025-01-01T00:00:00Z",
                "credentialSubject": {
                    "id": holder.did,
                    "degree": { "type": "ExampleBachelorDegree", "name": format!("Degree {i}") }
                },
                "credentialStatus": [revocation.entry(r).unwrap(), suspension.entry(s).unwrap()],
            });
            issuer.sign(&vc, assertion.clone())
        })
        .collect();
    let mut source = StaticStatusSource::new();
    for list in [&revocation, &suspension] {
        let unsigned = list.credential(&issuer.did, Utc::now() - chrono::Duration::hours(1), None);
        source.insert(list.url(), issuer.sign(&unsigned, assertion.clone()));
    }
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": vcs,
    });
    let authentication = ProofOptions {
        proof_purpose: ProofPurpose::Authentication,
        challenge: Some(CHALLENGE.into()),
        domain: Some(DOMAIN.into()),
        ..ProofOptions::assertion(suite, &holder.method)
    };
    let signed = holder.sign(&vp, authentication).to_string();
    let mut policy = Policy::default().trust_issuer(&issuer.did);
    policy.require_status = true;
    (source, policy, signed)
}

fn presentations(c: &mut Criterion) {
    for suite in [Suite::EddsaRdfc2022, Suite::EddsaJcs2022] {
        let mut group = c.benchmark_group(format!("presentation/{suite}"));
        group.throughput(Throughput::Elements(1));
        for credentials in [1, 5] {
            let (source, policy, vp) = setup(suite, credentials);
            for (name, cache) in [
                ("uncached", StatusListCacheOptions::disabled()),
                ("cached", StatusListCacheOptions::default()),
            ] {
                let verifier = Verifier::new(OfflineResolver)
                    .with_policy(policy.clone())
                    .with_status_source(source.clone())
                    .with_status_list_cache(cache);
                let report =
                    block_on(verifier.verify_presentation(&vp, Some(CHALLENGE), Some(DOMAIN))).unwrap();
                assert!(report.is_valid(), "{report}");
                let statuses = report.of(CheckKind::Status).filter(|c| c.outcome == Outcome::Passed).count();
                assert_eq!(statuses, 2 * credentials, "every status is checked");
                group.bench_with_input(BenchmarkId::new(name, credentials), &vp, |b, vp| {
                    b.iter(|| {
                        let report = block_on(verifier.verify_presentation(
                            black_box(vp),
                            Some(CHALLENGE),
                            Some(DOMAIN),
                        ))
                        .unwrap();
                        assert!(report.is_valid());
                    })
                });
                let stats = verifier.status_list_cache_stats();
                assert!(name == "uncached" || stats.hits > stats.misses, "{stats:?}");
            }
        }
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    presentations(&mut c);
    c.final_summary();
}
