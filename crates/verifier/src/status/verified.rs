//! A bounded cache of status list credentials the verifier has already
//! verified, so that a presentation does not pay for the proof of every list
//! again (for `eddsa-rdfc-2022`, canonicalising the list is most of a
//! presentation's cost).
//!
//! What is cached is never a verdict about a credential, only this fact: *the
//! list credential fetched from this URL, with these exact bytes (SHA-256 of
//! what the source returned), verified with a key of this issuer (the
//! issuer of the credential that named it) and passed every check that does
//! not depend on the entry, until T*. Each verification still fetches the
//! list from its [`StatusSource`](super::StatusSource) and looks it up by
//! that digest, so:
//! - a list whose content changed (a revocation, a new signature, a list
//!   swapped for one signed by another key) is a miss and is verified again;
//! - a list that failed any check (its proof, the signer not being its
//!   issuer, its type, `id`, `encodedList`, its dates, its issuer not being
//!   the credential's) is never cached;
//! - the entry-dependent checks (purpose, freshness under the policy's
//!   `max_status_age`, the bit) run every time on the cached list.
//!
//! An entry expires at the earliest of the list's `validUntil`, its `ttl`
//! (milliseconds, Bitstring Status List §2.2) and the cache's
//! [`max_age`](StatusListCacheOptions::max_age). `max_age` is the
//! **freshness bound** of the cache: the longest a change to the issuer's
//! keys (a rotation, a deactivation) goes unnoticed for a list whose bytes
//! did not change. How quickly a revocation is seen depends on the source
//! alone (a transport cache such as [`CachedStatusSource`](super::CachedStatusSource)
//! in front of HTTPS keeps bytes for its own time-to-live), never on this
//! cache.
//!
//! The cache is bounded by count and by an estimate of the memory held
//! (the bytes fetched plus the decoded bitstring, see
//! [`StatusListCacheOptions`]); it is moka's (already the daemon's resolution
//! cache), with no background thread and no runtime of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use didam_credential::canon::HashAlgorithm;
use didam_credential::credential::parse_datetime;
use didam_credential::verify::Input;
use didam_credential::{CheckKind, Outcome};
use moka::future::Cache;
use serde_json::Value;

use super::check::FetchedList;

/// The size and lifetime of a verifier's cache of verified status lists.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusListCacheOptions {
    /// The freshness bound: the longest a verified list is reused (less when
    /// its `validUntil` or `ttl` says so). Zero turns the cache off.
    pub max_age: Duration,
    /// Lists kept, at most. Zero turns the cache off.
    pub max_entries: u64,
    /// Bytes held, at most (estimated: the list as fetched plus its decoded
    /// bitstring; each list counts for at least `max_bytes / max_entries`,
    /// so both bounds hold).
    pub max_bytes: u64,
}

impl Default for StatusListCacheOptions {
    /// 256 lists, 16 MiB, each for at most 5 minutes.
    fn default() -> Self {
        Self { max_age: Duration::from_secs(300), max_entries: 256, max_bytes: 16 * 1024 * 1024 }
    }
}

impl StatusListCacheOptions {
    /// No cache: every list is verified at each use (the behaviour before
    /// the cache, and the baseline of the `presentations` bench).
    pub fn disabled() -> Self {
        Self { max_age: Duration::ZERO, max_entries: 0, max_bytes: 0 }
    }

    /// Reuses a verified list for at most `max_age`.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Keeps at most `max_entries` lists and about `max_bytes` bytes.
    pub fn with_bounds(mut self, max_entries: u64, max_bytes: u64) -> Self {
        self.max_entries = max_entries;
        self.max_bytes = max_bytes;
        self
    }

    fn enabled(&self) -> bool {
        self.max_entries > 0 && self.max_bytes > 0 && !self.max_age.is_zero()
    }
}

/// What a verifier's cache of verified status lists did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusListCacheStats {
    /// Lists found verified in the cache.
    pub hits: u64,
    /// Lists verified because they were not (or their bytes changed).
    pub misses: u64,
    /// Lists held now (expired ones until moka evicts them).
    pub entries: u64,
}

/// Which list: its URL, the issuer it was verified for, its bytes' digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    url: String,
    issuer: String,
    digest: Vec<u8>,
}

/// A verified list and how long it may be reused.
#[derive(Clone, Debug)]
struct Entry {
    list: Arc<FetchedList>,
    lifetime: Duration,
    weight: u32,
}

/// Expires each entry after its own lifetime.
struct Lifetime;

impl moka::Expiry<Key, Entry> for Lifetime {
    fn expire_after_create(&self, _key: &Key, entry: &Entry, _created: Instant) -> Option<Duration> {
        Some(entry.lifetime)
    }
}

/// The cache a [`Verifier`](crate::Verifier) holds (see the module doc).
#[derive(Debug)]
pub(crate) struct VerifiedLists {
    cache: Option<Cache<Key, Entry>>,
    options: StatusListCacheOptions,
    min_weight: u32,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A fetched list's place in the cache, found before it is verified.
pub(crate) struct Lookup(Option<(Key, usize)>);

impl VerifiedLists {
    pub(crate) fn new(options: StatusListCacheOptions) -> Self {
        let min_weight = u32::try_from(options.max_bytes.checked_div(options.max_entries).unwrap_or(0))
            .unwrap_or(u32::MAX);
        let cache = options.enabled().then(|| {
            Cache::builder()
                .max_capacity(options.max_bytes)
                .weigher(|_: &Key, e: &Entry| e.weight)
                .expire_after(Lifetime)
                .build()
        });
        Self { cache, options, min_weight, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    pub(crate) fn options(&self) -> &StatusListCacheOptions {
        &self.options
    }

    pub(crate) fn stats(&self) -> StatusListCacheStats {
        StatusListCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.cache.as_ref().map_or(0, Cache::entry_count),
        }
    }

    /// The verified list at `url` with the bytes of `input`, verified for
    /// `issuer`, if cached; else where to put it once verified.
    pub(crate) async fn get(
        &self,
        url: &str,
        issuer: Option<&str>,
        input: &Input,
    ) -> Result<Arc<FetchedList>, Lookup> {
        let (Some(cache), Some(issuer)) = (&self.cache, issuer) else {
            return Err(Lookup(None));
        };
        let (digest, size) = digest(input);
        let key = Key { url: url.to_owned(), issuer: issuer.to_owned(), digest };
        if let Some(entry) = cache.get(&key).await {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(entry.list);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Lookup(Some((key, size))))
    }

    /// Keeps `list`, just verified, when it passed every check that does not
    /// depend on the entry and is still valid for a while after `now`.
    pub(crate) async fn put(&self, lookup: Lookup, list: &Arc<FetchedList>, now: DateTime<Utc>) {
        let (Some(cache), Lookup(Some((key, size)))) = (&self.cache, lookup) else {
            return;
        };
        if !cacheable(list, &key.url, &key.issuer) {
            return;
        }
        let Some(lifetime) = self.lifetime(list, now) else {
            return;
        };
        let size = size.saturating_add(list.list.as_ref().map_or(0, |l| l.len() / 8));
        let weight = u32::try_from(size).unwrap_or(u32::MAX).max(self.min_weight).max(1);
        cache.insert(key, Entry { list: Arc::clone(list), lifetime, weight }).await;
        // Apply the bounds now rather than at some later call: inserts follow
        // a verification only, so this is rare, and the count stays exact.
        cache.run_pending_tasks().await;
    }

    /// How long a list verified at `now` may be reused: until the earliest
    /// of `max_age`, its `validUntil` and its `ttl`; `None` when that is
    /// already past.
    fn lifetime(&self, list: &FetchedList, now: DateTime<Utc>) -> Option<Duration> {
        let doc = &list.verified.document;
        let mut lifetime = self.options.max_age;
        let until = ["validUntil", "expirationDate"]
            .iter()
            .find_map(|name| doc.get(*name).and_then(Value::as_str).and_then(parse_datetime));
        if let Some(until) = until {
            lifetime = lifetime.min((until - now).to_std().ok()?);
        }
        if let Some(ms) = doc.pointer("/credentialSubject/ttl").and_then(Value::as_u64) {
            lifetime = lifetime.min(Duration::from_millis(ms));
        }
        (!lifetime.is_zero()).then_some(lifetime)
    }
}

/// The list passed every check of the engine (dates included) and every
/// status-list check that does not depend on the entry, for `issuer`.
fn cacheable(list: &FetchedList, url: &str, issuer: &str) -> bool {
    let checks = &list.verified.report.checks;
    checks.iter().all(|c| c.outcome != Outcome::Failed)
        && checks.iter().any(|c| c.check == CheckKind::Signature && c.outcome == Outcome::Passed)
        && list.verified.issuer() == Some(issuer)
        && list.well_formed(url).outcome == Outcome::Passed
}

/// SHA-256 of the list as the source returned it (its form tagged, so a
/// JWS never collides with JSON), through the engine's one hash
/// ([`HashAlgorithm`]), and its size in bytes.
fn digest(input: &Input) -> (Vec<u8>, usize) {
    let (tag, text): (&[u8], Option<&str>) = match input {
        Input::Json(_) => (b"json\0", None),
        Input::Jws(text) => (b"jws\0", Some(text)),
        Input::SdJwt(text) => (b"sd-jwt\0", Some(text)),
        Input::Cose(text) => (b"cose\0", Some(text)),
    };
    let mut bytes = tag.to_vec();
    match (input, text) {
        (_, Some(text)) => bytes.extend_from_slice(text.as_bytes()),
        // Serialising a `Value` into memory cannot fail; equal values give equal bytes.
        (Input::Json(doc), None) => {
            let _ = serde_json::to_writer(&mut bytes, doc);
        }
        (_, None) => {}
    }
    (HashAlgorithm::Sha256.digest(&bytes), bytes.len() - tag.len())
}
