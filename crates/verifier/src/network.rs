//! The networked verifier both front ends build (feature `net`): the `didam`
//! command (`vc verify`, `vp verify`, the tour) and the daemon's VC API.
//!
//! Steps of [`Verifier::networked`]:
//! 1. keys are resolved through the method resolver given (the registry's
//!    [`Resolver`] as a [`SharedResolver`](crate::status::SharedResolver), or
//!    the daemon's own caching one),
//!    with the keys of immutable DIDs cached by the verifier;
//! 2. status lists at DID URLs are dereferenced through the registry's
//!    [`Resolver`], the ledger's proofs checked, never cached
//!    ([`LedgerStatusSource`]);
//! 3. other status lists are fetched over HTTPS within the
//!    [`NetworkOptions`]' limits (plain HTTP to loopback addresses only when
//!    allowed, [`HttpStatusSource`]), behind a bounded cache that honours each
//!    list's `ttl` and `validUntil` ([`CachedStatusSource`]).
//!
//! The verifier checks every list it gets (proof, issuer, freshness), so
//! none of these sources needs to be trusted; a list with the same bytes
//! verified before for the same issuer is taken from its cache of verified
//! lists ([`crate::status::verified`]), for at most the same
//! [`NetworkOptions::cache_ttl`].

use std::sync::Arc;
use std::time::Duration;

use didam_credential::did::MethodResolver;
use didam_credential::verify::Input;
use didam_ledger::Ledger;
use didam_registry::Resolver;
use didam_registry::web::WebLimits;

use crate::error::FetchError;
use crate::status::{
    CachedStatusSource, HttpStatusSource, LedgerStatusSource, StatusListCacheOptions, StatusSource,
};
use crate::verifier::Verifier;

/// How a networked verifier fetches the status lists that are not on the
/// ledger.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct NetworkOptions {
    /// Connect and total timeouts, and the largest body read.
    pub limits: WebLimits,
    /// Whether loopback addresses are fetched from too, over HTTP or HTTPS
    /// (a daemon on this machine, tests).
    pub allow_loopback: bool,
    /// Lists kept in the cache, at most.
    pub cache_capacity: usize,
    /// The longest a list is kept (less when its `ttl` or `validUntil` says
    /// so), fetched or verified: the freshness bound of revocations of lists
    /// fetched over HTTPS.
    pub cache_ttl: Duration,
}

impl Default for NetworkOptions {
    /// [`HttpStatusSource::default_limits`], public addresses only, 64 lists
    /// kept for at most 5 minutes.
    fn default() -> Self {
        Self {
            limits: HttpStatusSource::default_limits(),
            allow_loopback: false,
            cache_capacity: 64,
            cache_ttl: Duration::from_secs(300),
        }
    }
}

impl NetworkOptions {
    /// Fetches within `limits`.
    pub fn with_limits(mut self, limits: WebLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Fetches from loopback addresses too, over HTTP or HTTPS, when `allow`.
    pub fn allow_loopback(mut self, allow: bool) -> Self {
        self.allow_loopback = allow;
        self
    }

    /// Keeps at most `capacity` lists, each for at most `ttl`.
    pub fn with_cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.cache_capacity = capacity;
        self.cache_ttl = ttl;
        self
    }
}

/// The status lists of a networked verifier: by DID URL from the ledger,
/// else over HTTPS, cached (see the module doc).
#[derive(Debug)]
pub struct NetworkStatusSource<L>(LedgerStatusSource<L, CachedStatusSource<HttpStatusSource>>);

impl<L: Ledger> NetworkStatusSource<L> {
    /// Lists by DID URL through `resolver`, others over HTTPS as `options`
    /// say. Fails when the HTTP client cannot be built.
    pub fn new(resolver: Arc<Resolver<L>>, options: &NetworkOptions) -> Result<Self, FetchError> {
        let http = HttpStatusSource::new(&options.limits)?;
        let http = if options.allow_loopback { http.allow_loopback(&options.limits)? } else { http };
        let cached = CachedStatusSource::new(http, options.cache_capacity, options.cache_ttl);
        Ok(Self(LedgerStatusSource::new(resolver, Some(cached))))
    }

    /// Lists by DID URL through `resolver` only; any other URL is not found
    /// (for a front end whose HTTP client cannot be built).
    pub fn ledger_only(resolver: Arc<Resolver<L>>) -> Self {
        Self(LedgerStatusSource::new(resolver, None))
    }
}

impl<L: Ledger> StatusSource for NetworkStatusSource<L> {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        self.0.fetch(url).await
    }
}

impl<M: MethodResolver, L: Ledger> Verifier<M, NetworkStatusSource<L>> {
    /// The verifier the front ends share: keys through `methods`, status
    /// lists through [`NetworkStatusSource::new`] (`resolver` for DID URLs,
    /// HTTPS as `options` say), verified lists kept for at most the options'
    /// `cache_ttl`, the default [`Policy`](crate::Policy).
    /// Fails when the HTTP client cannot be built.
    pub fn networked(
        methods: M,
        resolver: Arc<Resolver<L>>,
        options: &NetworkOptions,
    ) -> Result<Self, FetchError> {
        let verified = StatusListCacheOptions::default().with_max_age(options.cache_ttl);
        Ok(Verifier::new(methods)
            .with_status_source(NetworkStatusSource::new(resolver, options)?)
            .with_status_list_cache(verified))
    }
}
