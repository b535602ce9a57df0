//! A bounded cache of resolved verification methods whose DID cannot change.
//!
//! `did:key` and `did:jwk` DIDs are their key: what they resolve to never
//! changes, so a decoded key (for Ed25519, a decompressed curve point) can be
//! reused without any expiry. Methods of other DID methods pass through
//! uncached; their caching needs a time-to-live and belongs to the resolver.

use std::collections::HashMap;
use std::sync::Mutex;

use didam_credential::did::{MethodResolver, ResolvedMethod};
use didam_credential::{ResolveError, Security};

/// Caches the methods of immutable DIDs in front of another resolver.
#[derive(Debug)]
pub struct MethodCache<R> {
    inner: R,
    entries: Mutex<HashMap<String, ResolvedMethod>>,
    capacity: usize,
}

impl<R> MethodCache<R> {
    /// A cache of at most `capacity` methods in front of `inner`.
    pub fn new(inner: R, capacity: usize) -> Self {
        Self { inner, entries: Mutex::new(HashMap::new()), capacity }
    }

    /// The resolver behind the cache.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// How many methods are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn immutable(id: &str) -> bool {
        id.starts_with("did:key:") || id.starts_with("did:jwk:")
    }
}

impl<R: MethodResolver> MethodResolver for MethodCache<R> {
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        let cacheable = Self::immutable(id);
        if cacheable && let Some(hit) = self.entries.lock().ok().and_then(|e| e.get(id).cloned()) {
            return Ok(hit);
        }
        let method = self.inner.resolve_method(id).await?;
        if cacheable && let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                // Immutable entries are cheap to rebuild: start over rather than track recency.
                entries.clear();
            }
            entries.insert(id.to_owned(), method.clone());
        }
        Ok(method)
    }

    async fn control_security(&self, did: &str) -> Result<Option<Security>, ResolveError> {
        self.inner.control_security(did).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use didam_credential::did::{OfflineResolver, did_key};
    use didam_credential::{KeyType, SecretKey};

    #[test]
    fn caches_did_key_methods_up_to_its_capacity() {
        let cache = MethodCache::new(OfflineResolver, 2);
        for _ in 0..3 {
            let (_, vm) = did_key(&SecretKey::generate(KeyType::Ed25519).public_key());
            let first = futures::executor::block_on(cache.resolve_method(&vm)).unwrap();
            let again = futures::executor::block_on(cache.resolve_method(&vm)).unwrap();
            assert_eq!(first, again);
            assert!(cache.len() <= 2);
        }
        assert!(futures::executor::block_on(cache.resolve_method("did:key:zzz#zzz")).is_err());
        assert!(cache.len() <= 2);
    }
}
