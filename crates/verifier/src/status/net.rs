//! Status sources over the network: HTTPS URLs ([`HttpStatusSource`]) and
//! resource DID URLs of `did:didam` issuers on the ledger
//! ([`LedgerStatusSource`], which falls back to HTTPS for other URLs).
//!
//! Both transport bytes only: the verifier checks the list itself (proof,
//! issuer, freshness, purpose). The ledger source additionally refuses a list
//! the ledger cannot prove (see `didam_registry::resource`).
//!
//! HTTP fetches reuse the registry's `did:web` fetch policy
//! ([`didam_registry::web::WebFetcher`]): HTTPS only, public addresses only
//! (checked after DNS), no redirects, connect and total timeouts, a body size
//! limit checked while reading; plain HTTP to loopback addresses only when
//! asked for ([`HttpStatusSource::allow_loopback`]: local daemons, tests).

use std::sync::Arc;

use didam_credential::did::{MethodResolver, ResolvedMethod};
use didam_credential::verify::Input;
use didam_credential::{ResolveError, Security};
use didam_ledger::Ledger;
use didam_registry::web::{WebFetcher, WebLimits};
use didam_registry::{Error as RegistryError, Resolver};

use super::source::StatusSource;
use crate::error::FetchError;

/// The status lists' media types answered with JSON or a compact JWS body.
fn input(url: &str, body: &[u8]) -> Result<Input, FetchError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| FetchError::Transport { url: url.to_owned(), source: Box::new(e) })?;
    Input::parse(text).map_err(|source| FetchError::Unreadable { url: url.to_owned(), source })
}

/// A registry error as a fetch error.
fn fetch_error(url: &str, e: RegistryError) -> FetchError {
    match e {
        RegistryError::NotFound(_) => FetchError::NotFound(url.to_owned()),
        RegistryError::TooLarge { limit, .. } => FetchError::TooLarge { url: url.to_owned(), limit },
        RegistryError::Timeout { .. } => FetchError::Timeout(url.to_owned()),
        other => FetchError::Transport { url: url.to_owned(), source: Box::new(other) },
    }
}

/// Status list credentials fetched over HTTPS (see the module doc).
#[derive(Clone, Debug)]
pub struct HttpStatusSource {
    fetcher: WebFetcher,
}

impl HttpStatusSource {
    /// Limits for status lists: 3 s to connect, 10 s in all, 1 MiB (a
    /// 131,072-entry list is at most 16 KiB before compression).
    pub fn default_limits() -> WebLimits {
        WebLimits::default()
    }

    /// A source with `limits`, fetching from public HTTPS URLs only.
    pub fn new(limits: &WebLimits) -> Result<Self, FetchError> {
        let fetcher = WebFetcher::new(limits).map_err(|e| FetchError::Client(Box::new(e)))?;
        Ok(Self { fetcher })
    }

    /// Also fetches from loopback addresses, over HTTP or HTTPS (a daemon on
    /// this machine serving `--status-dir`, tests).
    pub fn allow_loopback(self, limits: &WebLimits) -> Result<Self, FetchError> {
        let fetcher = self.fetcher.allow_loopback(limits).map_err(|e| FetchError::Client(Box::new(e)))?;
        Ok(Self { fetcher })
    }
}

impl StatusSource for HttpStatusSource {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        let body = self.fetcher.fetch_url(url).await.map_err(|e| fetch_error(url, e))?;
        input(url, &body)
    }
}

/// A [`Resolver`] shared between a verifier (keys) and a
/// [`LedgerStatusSource`] (status lists).
#[derive(Debug)]
pub struct SharedResolver<L>(pub Arc<Resolver<L>>);

impl<L> Clone for SharedResolver<L> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<L: Ledger> MethodResolver for SharedResolver<L> {
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        self.0.resolve_method(id).await
    }

    async fn control_security(&self, did: &str) -> Result<Option<Security>, ResolveError> {
        self.0.control_security(did).await
    }
}

/// Status lists at resource DID URLs (`did:didam:…/resources/…`),
/// dereferenced through a [`Resolver`] with the ledger's proofs checked (never
/// cached: a revocation counts as soon as a checkpoint covers it), and at
/// other URLs through a fallback source `H` (an [`HttpStatusSource`], possibly
/// behind a [`super::CachedStatusSource`]).
#[derive(Debug)]
pub struct LedgerStatusSource<L, H = HttpStatusSource> {
    resolver: Arc<Resolver<L>>,
    fallback: Option<H>,
}

impl<L: Ledger, H: StatusSource> LedgerStatusSource<L, H> {
    /// DID URLs through `resolver`; other URLs through `fallback` (none:
    /// they are not found).
    pub fn new(resolver: Arc<Resolver<L>>, fallback: Option<H>) -> Self {
        Self { resolver, fallback }
    }
}

impl<L: Ledger, H: StatusSource> StatusSource for LedgerStatusSource<L, H> {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        if url.starts_with("did:") {
            let dereferenced = self.resolver.dereference(url).await.map_err(|e| fetch_error(url, e))?;
            return Ok(Input::Json(dereferenced.content));
        }
        match &self.fallback {
            Some(source) => source.fetch(url).await,
            None => Err(FetchError::NotFound(url.to_owned())),
        }
    }
}
