//! Verification methods for the VC API, resolved through the daemon's own
//! [`Resolver`] (every method it is configured for: `did:key`, `did:jwk`,
//! `did:didam`, `did:web`, `did:webvh`).
//!
//! Steps of [`DaemonMethods::resolve_method`]:
//! 1. take the DID out of the verification method id (a DID URL);
//! 2. resolve it through the resolution cache, except `did:didam`, which is
//!    always resolved afresh from the local ledger: a key rotated out must stop
//!    verifying as soon as its rotation is checkpointed, not when the cache
//!    entry expires (the cache is refreshed on the way);
//! 3. find the method and the purposes its document authorises it for
//!    through the engine's `Resolution::verification_method`, which refuses
//!    a deactivated DID (the rule the CLI's verifier uses too).

use std::sync::Arc;

use didam_credential::ResolveError;
use didam_credential::did::OfflineResolver;
use didam_credential::did::{MethodResolver, ResolvedMethod};
use didam_credential::{Did, DidUrl, Security};
use didam_ledger::AnyLedger;
use didam_registry::{Error, ResolveOptions, Resolver};

use crate::cache::ResolutionCache;

/// Resolves verification methods through the daemon's resolver and cache.
#[derive(Clone, Debug)]
pub struct DaemonMethods {
    resolver: Arc<Resolver<AnyLedger>>,
    cache: ResolutionCache,
}

impl DaemonMethods {
    /// Methods resolved by `resolver`, through `cache`.
    pub fn new(resolver: Arc<Resolver<AnyLedger>>, cache: ResolutionCache) -> Self {
        Self { resolver, cache }
    }
}

/// The engine's error for a registry error about `did`; what failed below
/// the resolver is logged here and not shown to the client.
fn resolve_error(did: &str, e: &Error) -> ResolveError {
    match e.to_resolve_error(did) {
        ResolveError::Internal { did, reason } => {
            // The reason names the DID or its host: debug level only.
            tracing::warn!("resolving a verification method failed (details at debug level)");
            tracing::debug!(error = %reason, "resolving a verification method failed");
            ResolveError::Internal { did, reason: "the resolver failed; see its log".into() }
        }
        other => other,
    }
}

impl MethodResolver for DaemonMethods {
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        let url = DidUrl::parse(id).map_err(|_| ResolveError::InvalidDid(id.to_owned()))?;
        let fresh = url.did.method() == "didam";
        let resolved = self
            .cache
            .resolve(&self.resolver, &url.did, &ResolveOptions::default(), fresh)
            .await
            .map_err(|e| resolve_error(url.did.as_str(), &e))?;
        // The engine's one rule refuses a deactivated DID's keys.
        resolved.resolution().verification_method(id)
    }

    /// As the DID's resolution says (through the same cache); a did:key or
    /// did:jwk as the engine's offline resolver says (its one key).
    async fn control_security(&self, did: &str) -> Result<Option<Security>, ResolveError> {
        if did.starts_with("did:key:") || did.starts_with("did:jwk:") {
            return OfflineResolver.control_security(did).await;
        }
        let parsed = Did::parse(did).map_err(|_| ResolveError::InvalidDid(did.to_owned()))?;
        let fresh = parsed.method() == "didam";
        let resolved = self
            .cache
            .resolve(&self.resolver, &parsed, &ResolveOptions::default(), fresh)
            .await
            .map_err(|e| resolve_error(did, &e))?;
        Ok(resolved.resolution().control_security())
    }
}
