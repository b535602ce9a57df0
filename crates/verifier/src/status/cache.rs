//! A bounded cache of status list credentials in front of another
//! [`StatusSource`].
//!
//! An entry is kept until the earliest of: the cache's own time-to-live, the
//! list's `validUntil` (or `expirationDate`) and its `ttl` (milliseconds, in
//! the list's subject, per Bitstring Status List §2.2). Lists are cached as
//! fetched, before verification: the verifier checks each one every time it
//! uses it, so the cache saves transport only and can never make an invalid
//! list pass. When full, expired entries go first, then the one that expires
//! soonest. Failures are not cached.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use didam_credential::credential::parse_datetime;
use didam_credential::verify::Input;
use serde_json::Value;

use super::source::StatusSource;
use crate::error::FetchError;

/// Caches the lists another source provides (see the module doc).
#[derive(Debug)]
pub struct CachedStatusSource<S> {
    inner: S,
    entries: Mutex<HashMap<String, (Input, DateTime<Utc>)>>,
    capacity: usize,
    ttl: Duration,
}

impl<S> CachedStatusSource<S> {
    /// At most `capacity` lists from `inner`, each for at most `ttl`.
    pub fn new(inner: S, capacity: usize, ttl: std::time::Duration) -> Self {
        let ttl = Duration::from_std(ttl).unwrap_or(Duration::MAX);
        Self { inner, entries: Mutex::new(HashMap::new()), capacity, ttl }
    }

    /// The source behind the cache.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// How many lists are cached (expired ones included until evicted).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When a list fetched `now` stops being served from the cache.
    fn expiry(&self, input: &Input, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut expiry = now.checked_add_signed(self.ttl).unwrap_or(DateTime::<Utc>::MAX_UTC);
        if let Input::Json(doc) = input {
            let until = ["validUntil", "expirationDate"]
                .iter()
                .find_map(|name| doc.get(*name).and_then(Value::as_str).and_then(parse_datetime));
            if let Some(until) = until {
                expiry = expiry.min(until);
            }
            let ttl = doc.pointer("/credentialSubject/ttl").and_then(Value::as_u64);
            if let Some(ms) = ttl.and_then(|ms| i64::try_from(ms).ok()) {
                expiry = expiry.min(now + Duration::milliseconds(ms));
            }
        }
        expiry
    }
}

impl<S: StatusSource> StatusSource for CachedStatusSource<S> {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        let now = Utc::now();
        if let Ok(entries) = self.entries.lock()
            && let Some((input, expiry)) = entries.get(url)
            && *expiry > now
        {
            return Ok(input.clone());
        }
        let input = self.inner.fetch(url).await?;
        let expiry = self.expiry(&input, now);
        if self.capacity > 0
            && expiry > now
            && let Ok(mut entries) = self.entries.lock()
        {
            entries.retain(|_, (_, e)| *e > now);
            if entries.len() >= self.capacity && !entries.contains_key(url) {
                let soonest = entries.iter().min_by_key(|(_, (_, e))| *e).map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    entries.remove(&k);
                }
            }
            entries.insert(url.to_owned(), (input.clone(), expiry));
        }
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    /// Counts fetches; serves `doc` with the URL as id.
    struct Counting {
        fetches: AtomicUsize,
        doc: Value,
    }

    impl StatusSource for Counting {
        async fn fetch(&self, _url: &str) -> Result<Input, FetchError> {
            self.fetches.fetch_add(1, Ordering::Relaxed);
            Ok(Input::Json(self.doc.clone()))
        }
    }

    fn fetches(cache: &CachedStatusSource<Counting>) -> usize {
        cache.inner().fetches.load(Ordering::Relaxed)
    }

    #[test]
    fn cached_until_the_earliest_expiry_and_bounded() {
        futures::executor::block_on(async {
            let hour = std::time::Duration::from_secs(3600);
            let cache = CachedStatusSource::new(Counting { fetches: 0.into(), doc: json!({}) }, 2, hour);
            for url in ["a", "a", "b", "a", "c", "a"] {
                cache.fetch(url).await.unwrap();
            }
            // a, b, c fetched once each; c evicted one entry (the soonest: a),
            // so the last `a` is fetched again.
            assert_eq!(fetches(&cache), 4);
            assert_eq!(cache.len(), 2);

            let expired = json!({"validUntil": "2000-01-01T00:00:00Z"});
            let cache = CachedStatusSource::new(Counting { fetches: 0.into(), doc: expired }, 8, hour);
            cache.fetch("a").await.unwrap();
            cache.fetch("a").await.unwrap();
            assert_eq!(fetches(&cache), 2, "an expired list is never served from the cache");

            let short = json!({"credentialSubject": {"ttl": 0}});
            let cache = CachedStatusSource::new(Counting { fetches: 0.into(), doc: short }, 8, hour);
            cache.fetch("a").await.unwrap();
            cache.fetch("a").await.unwrap();
            assert_eq!(fetches(&cache), 2, "the list's ttl bounds the cache");
        });
    }
}
