//! The resolution cache: in memory, bounded, with a lifetime per method and a
//! short one for NOT_FOUND answers. Concurrent lookups of one DID share one
//! resolution (moka's `try_get_with`). Other errors are not cached.
//!
//! An entry keeps its HTTP answers serialized ([`Resolved`]): a hit is an
//! `Arc` clone and a `Bytes` clone, with no JSON built or serialized.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use didam_credential::Did;
use didam_credential::did::Resolution;
use didam_ledger::AnyLedger;
use didam_registry::{Error, ResolveOptions, Resolver};
use moka::Expiry;
use moka::future::Cache;

use crate::config::CacheConfig;

/// A resolution, with its two HTTP representations serialized on first use
/// and kept.
#[derive(Debug)]
pub struct Resolved {
    resolution: Resolution,
    deactivated: bool,
    result: OnceLock<Bytes>,
    document: OnceLock<Bytes>,
}

impl Resolved {
    fn new(resolution: Resolution) -> Self {
        let deactivated = resolution.deactivated();
        Self { resolution, deactivated, result: OnceLock::new(), document: OnceLock::new() }
    }

    /// The resolution.
    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// Whether the DID is deactivated (`deactivated: true` metadata).
    pub fn deactivated(&self) -> bool {
        self.deactivated
    }

    /// The DID resolution result as JSON text (serialized once), served as
    /// `application/did-resolution`: its `didResolutionMetadata.contentType`
    /// names that media type, so that the `Content-Type` header is the value
    /// of the metadata's `contentType`, as the HTTPS binding requires.
    ///
    /// See: <https://www.w3.org/TR/did-resolution/#bindings-https>
    pub fn result_json(&self) -> Bytes {
        self.result
            .get_or_init(|| {
                let mut result = self.resolution.to_json();
                result["didResolutionMetadata"]["contentType"] =
                    serde_json::Value::from(crate::request::DID_RESOLUTION);
                Bytes::from(result.to_string())
            })
            .clone()
    }

    /// The DID document alone as JSON text (serialized once).
    pub fn document_json(&self) -> Bytes {
        self.document.get_or_init(|| Bytes::from(self.resolution.document.as_json().to_string())).clone()
    }
}

/// What a cached outcome answers: a DID and the version asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    did: Did,
    version_id: Option<String>,
    version_time: Option<chrono::DateTime<chrono::Utc>>,
}

/// A cached outcome: a resolution, or the detail of a NOT_FOUND.
#[derive(Clone, Debug)]
enum Cached {
    Found(Arc<Resolved>),
    NotFound(Arc<str>),
}

/// Lifetimes by method and outcome.
#[derive(Clone, Debug)]
struct Lifetimes(CacheConfig);

impl Lifetimes {
    fn of(&self, key: &Key, value: &Cached) -> Duration {
        let c = &self.0;
        let secs = match (value, key.did.method()) {
            (Cached::NotFound(_), _) => c.not_found_ttl_secs,
            (Cached::Found(_), "key" | "jwk") => c.offline_ttl_secs,
            (Cached::Found(_), "didam") => c.didam_ttl_secs,
            (Cached::Found(_), _) => c.web_ttl_secs,
        };
        Duration::from_secs(secs)
    }
}

impl Expiry<Key, Cached> for Lifetimes {
    fn expire_after_create(&self, key: &Key, value: &Cached, _now: Instant) -> Option<Duration> {
        Some(self.of(key, value))
    }

    fn expire_after_update(
        &self,
        key: &Key,
        value: &Cached,
        _now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.of(key, value))
    }
}

/// Runs one resolution on a blocking thread: the method code (log replay,
/// proof checks) is CPU work with futures that are not `Send`.
async fn run_resolution(
    resolver: &Arc<Resolver<AnyLedger>>,
    did: &Did,
    options: &ResolveOptions,
) -> Result<Resolution, Error> {
    let (resolver, did, options) = (Arc::clone(resolver), did.clone(), options.clone());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(resolver.resolve(&did, &options)))
        .await
        .unwrap_or_else(|e| Err(Error::TaskFailed(e.to_string())))
}

/// The cache (see the module doc).
#[derive(Clone, Debug)]
pub struct ResolutionCache {
    cache: Cache<Key, Cached>,
}

impl ResolutionCache {
    /// A cache configured by `config`.
    pub fn new(config: &CacheConfig) -> Self {
        let cache =
            Cache::builder().max_capacity(config.capacity).expire_after(Lifetimes(config.clone())).build();
        Self { cache }
    }

    /// Resolves `did` through the cache; `no_cache` skips the lookup (the
    /// fresh answer replaces the cached one).
    pub async fn resolve(
        &self,
        resolver: &Arc<Resolver<AnyLedger>>,
        did: &Did,
        options: &ResolveOptions,
        no_cache: bool,
    ) -> Result<Arc<Resolved>, Arc<Error>> {
        let key = Key {
            did: did.clone(),
            version_id: options.version_id.clone(),
            version_time: options.version_time,
        };
        let fresh = async {
            match run_resolution(resolver, did, options).await {
                Ok(r) => Ok(Cached::Found(Arc::new(Resolved::new(r)))),
                Err(Error::NotFound(detail)) => Ok(Cached::NotFound(detail.into())),
                Err(e) => Err(e),
            }
        };
        let outcome = if no_cache {
            metrics::counter!("didam_cache_bypass_total").increment(1);
            let value = fresh.await.map_err(Arc::new)?;
            self.cache.insert(key, value.clone()).await;
            value
        } else {
            let missed = AtomicBool::new(false);
            let value = self
                .cache
                .try_get_with(key, async {
                    missed.store(true, Ordering::Relaxed);
                    fresh.await
                })
                .await?;
            let name = if missed.load(Ordering::Relaxed) {
                "didam_cache_misses_total"
            } else {
                "didam_cache_hits_total"
            };
            metrics::counter!(name).increment(1);
            value
        };
        match outcome {
            Cached::Found(r) => Ok(r),
            Cached::NotFound(detail) => Err(Arc::new(Error::NotFound(detail.to_string()))),
        }
    }
}
