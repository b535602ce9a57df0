//! The verifier's cache of verified status lists: a list is verified once
//! while its bytes stay the same, a changed list is verified again, a list
//! that fails is never cached, and a revocation fails within the freshness
//! bound. Each test reads the cache's hits and misses, never a timing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use chrono::Duration;
use common::{Issuer, Party, REVOCATION_URL, assert_fails_only, now, run};
use didam_credential::Suite;
use didam_credential::did::OfflineResolver;
use didam_credential::verify::Input;
use didam_verifier::status::{CachedStatusSource, StaticStatusSource, StatusSource};
use didam_verifier::{CheckKind, FetchError, Policy, StatusListCacheOptions, StatusListCacheStats, Verifier};
use serde_json::{Value, json};

/// A server whose lists can be replaced while a verifier uses it.
#[derive(Default)]
struct Server(Mutex<StaticStatusSource>);

impl Server {
    fn publish(&self, url: &str, list: Value) {
        self.0.lock().unwrap().insert(url, list);
    }
}

impl StatusSource for Server {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        let source = self.0.lock().unwrap().clone();
        source.fetch(url).await
    }
}

/// Publishes both of `issuer`'s lists, signed, with no `validUntil`.
fn publish(server: &Server, issuer: &Issuer) {
    for list in [&issuer.revocation, &issuer.suspension] {
        let unsigned = list.credential(&issuer.party.did, now() - Duration::hours(1), None);
        server.publish(list.url(), issuer.party.issue(&unsigned, Suite::EddsaRdfc2022));
    }
}

fn verifier<S: StatusSource>(issuer: &Issuer, source: S) -> Verifier<OfflineResolver, S> {
    Verifier::new(OfflineResolver).at(now()).with_policy(issuer.policy()).with_status_source(source)
}

fn stats(hits: u64, misses: u64, of: StatusListCacheStats) -> bool {
    of.hits == hits && of.misses == misses
}

#[test]
fn a_verified_list_is_reused_while_its_bytes_stay_the_same() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaRdfc2022);
    let verifier = issuer.verifier();
    let first = run(verifier.verify_credential(&vc.to_string())).unwrap();
    assert!(first.is_valid(), "{first}");
    assert!(stats(0, 2, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
    let again = run(verifier.verify_credential(&vc.to_string())).unwrap();
    assert!(again.is_valid(), "{again}");
    assert!(stats(2, 2, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
    // The checks that depend on the entry ran again, on the cached list: the same report.
    assert_eq!(first.checks, again.checks);

    // A presentation of two credentials sharing the lists: all hits.
    let holder = Party::new();
    let (a, _, _) = issuer.issue(&holder.did, Suite::EddsaRdfc2022);
    let (b, _, _) = issuer.issue(&holder.did, Suite::EddsaRdfc2022);
    let verifier = issuer.verifier(); // lists republished with the new indexes
    let vp = holder.present(&common::presentation(&holder.did, vec![a, b]), None, None, Suite::EddsaRdfc2022);
    let report = run(verifier.verify_presentation(&vp.to_string(), None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
    // One fetch and verification per URL within a presentation.
    assert!(stats(0, 2, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
    let report = run(verifier.verify_presentation(&vp.to_string(), None, None)).unwrap();
    assert!(report.is_valid(), "{report}");
    assert!(stats(2, 2, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn a_disabled_cache_verifies_every_list_at_each_use() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
    let verifier = issuer.verifier().with_status_list_cache(StatusListCacheOptions::disabled());
    for _ in 0..2 {
        assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());
    }
    assert_eq!(verifier.status_list_cache_stats(), StatusListCacheStats::default());
}

#[test]
fn a_revocation_is_seen_as_soon_as_the_source_serves_the_new_list() {
    let mut issuer = Issuer::new();
    let (vc, r, _) = issuer.issue("did:example:alice", Suite::EddsaRdfc2022);
    let server = Server::default();
    publish(&server, &issuer);
    let verifier = verifier(&issuer, &server);
    assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());

    issuer.revocation.revoke(r).unwrap();
    publish(&server, &issuer);
    let report = run(verifier.verify_credential(&vc.to_string())).unwrap();
    assert_fails_only(&report, CheckKind::Status, &format!("revoked (index {r} of {REVOCATION_URL})"));
    // The new revocation list was verified; the unchanged suspension list was not.
    assert!(stats(1, 3, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn a_revoked_entry_fails_once_the_freshness_bound_has_passed() {
    // HTTPS lists reach the verifier through a transport cache: the bound on
    // how long a revocation goes unseen is its time-to-live (and the verified
    // list cache's max age, here the same), set tiny for the test.
    let bound = StdDuration::from_millis(300);
    let mut issuer = Issuer::new();
    let (vc, r, _) = issuer.issue("did:example:alice", Suite::EddsaRdfc2022);
    let server = Server::default();
    publish(&server, &issuer);
    let source = CachedStatusSource::new(&server, 8, bound);
    let verifier = verifier(&issuer, &source)
        .with_status_list_cache(StatusListCacheOptions::default().with_max_age(bound));
    assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());

    issuer.revocation.revoke(r).unwrap();
    publish(&server, &issuer);
    // Within the bound the old list may still be served (and it is here).
    let within = run(verifier.verify_credential(&vc.to_string())).unwrap();
    assert!(within.is_valid(), "within the bound: {within}");
    assert!(stats(2, 2, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());

    std::thread::sleep(bound + StdDuration::from_millis(100));
    let after = run(verifier.verify_credential(&vc.to_string())).unwrap();
    assert_fails_only(&after, CheckKind::Status, &format!("revoked (index {r} of {REVOCATION_URL})"));
    // Both lists verified again: the suspension list's bytes are the same,
    // but its verification is older than the bound.
    assert!(stats(2, 4, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn a_list_swapped_for_one_signed_by_another_key_is_verified_again_and_fails() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaRdfc2022);
    let server = Server::default();
    publish(&server, &issuer);
    let verifier = verifier(&issuer, &server);
    assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());

    // The server swaps in a list naming the issuer but signed by Mallory.
    let mallory = Party::new();
    let unsigned = issuer.revocation.credential(&issuer.party.did, now() - Duration::hours(1), None);
    server.publish(REVOCATION_URL, mallory.issue(&unsigned, Suite::EddsaRdfc2022));
    for round in 0..2 {
        let report = run(verifier.verify_credential(&vc.to_string())).unwrap();
        assert_fails_only(&report, CheckKind::StatusList, "not a key of the issuer");
        // Verified each time (a miss): a failed list is never cached.
        let misses = 3 + round;
        let seen = verifier.status_list_cache_stats();
        assert!(stats(1 + round, misses, seen), "{seen:?}");
    }

    // A list issued and signed by Mallory: another issuer, never a hit.
    let unsigned = issuer.revocation.credential(&mallory.did, now() - Duration::hours(1), None);
    server.publish(REVOCATION_URL, mallory.issue(&unsigned, Suite::EddsaRdfc2022));
    for _ in 0..2 {
        let report = run(verifier.verify_credential(&vc.to_string())).unwrap();
        assert_fails_only(&report, CheckKind::StatusListIssuer, &format!("issued by {}", mallory.did));
    }
    let seen = verifier.status_list_cache_stats();
    assert!(stats(4, 6, seen), "{seen:?}");

    // The issuer's own list back: the cached verification is used again.
    publish(&server, &issuer);
    assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());
    assert!(stats(6, 6, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn an_expired_list_is_not_cached_and_fails_as_before() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
    let server = Server::default();
    for list in [&issuer.revocation, &issuer.suspension] {
        let unsigned =
            list.credential(&issuer.party.did, now() - Duration::days(8), Some(now() - Duration::hours(1)));
        server.publish(list.url(), issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    }
    let verifier = verifier(&issuer, &server);
    for _ in 0..2 {
        let report = run(verifier.verify_credential(&vc.to_string())).unwrap();
        assert_fails_only(&report, CheckKind::StatusListFreshness, "the status list expired");
    }
    assert!(stats(0, 4, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn a_list_whose_ttl_has_run_out_is_verified_again() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
    let server = Server::default();
    for list in [&issuer.revocation, &issuer.suspension] {
        let mut unsigned = list.credential(&issuer.party.did, now() - Duration::hours(1), None);
        unsigned["credentialSubject"]["ttl"] = json!(0);
        server.publish(list.url(), issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    }
    let verifier = verifier(&issuer, &server);
    for _ in 0..2 {
        assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());
    }
    assert!(stats(0, 4, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn a_huge_list_fails_within_the_existing_limits_and_is_never_cached() {
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
    let server = Server::default();
    publish(&server, &issuer);
    // 20 MiB of zeros, GZIP-compressed: a list beyond the decoder's limit.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..20 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = multibase::encode(multibase::Base::Base64Url, gz.finish().unwrap());
    let mut unsigned = issuer.revocation.credential(&issuer.party.did, now() - Duration::hours(1), None);
    unsigned["credentialSubject"]["encodedList"] = json!(bomb);
    server.publish(REVOCATION_URL, issuer.party.issue(&unsigned, Suite::EddsaJcs2022));
    let verifier = verifier(&issuer, &server);
    for _ in 0..2 {
        let report = run(verifier.verify_credential(&vc.to_string())).unwrap();
        assert_fails_only(&report, CheckKind::StatusList, "exceeds");
    }
    // The suspension list is reused; the bomb is verified (and refused) each time.
    assert!(stats(1, 3, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}

#[test]
fn the_cache_keeps_at_most_its_entries_and_its_bytes() {
    let server = Server::default();
    let mut policy = Policy::default();
    policy.require_status = true;
    let few = StatusListCacheOptions::default().with_bounds(2, 1 << 20);
    let verifier = Verifier::new(OfflineResolver)
        .at(now())
        .with_policy(policy.clone())
        .with_status_source(&server)
        .with_status_list_cache(few);
    for _ in 0..3 {
        // Each issuer publishes at the same URLs: other issuers, other entries.
        let mut issuer = Issuer::new();
        let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
        publish(&server, &issuer);
        assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());
        let seen = verifier.status_list_cache_stats();
        assert!(seen.entries <= 2, "{seen:?}");
    }
    assert_eq!(verifier.status_list_cache_stats().misses, 6);

    // A list weighs its bytes and its bitstring (16 KiB here): 1 KiB keeps none.
    let mut issuer = Issuer::new();
    let (vc, _, _) = issuer.issue("did:example:alice", Suite::EddsaJcs2022);
    publish(&server, &issuer);
    let tiny = StatusListCacheOptions::default().with_bounds(100, 1024);
    let verifier = Verifier::new(OfflineResolver)
        .at(now())
        .with_policy(policy)
        .with_status_source(&server)
        .with_status_list_cache(tiny);
    for _ in 0..2 {
        assert!(run(verifier.verify_credential(&vc.to_string())).unwrap().is_valid());
    }
    assert!(stats(0, 4, verifier.status_list_cache_stats()), "{:?}", verifier.status_list_cache_stats());
}
