//! Where status list credentials come from.
//!
//! The verifier asks a [`StatusSource`] for the credential at a
//! `statusListCredential` URL and checks everything about the answer itself
//! (proof, issuer, freshness, purpose), so a source only transports bytes and
//! never needs to be trusted.
//!
//! This crate ships [`StaticStatusSource`] (a map from URL to credential: the
//! tests, and the CLI for lists in local files) and, with the `net` feature,
//! `HttpStatusSource` and `LedgerStatusSource` (module `net`), which implement
//! [`StatusSource::fetch`] with
//! - HTTPS only (plain HTTP for loopback addresses at most) and no redirects to
//!   another scheme;
//! - a connect and a total timeout ([`FetchError::Timeout`]);
//! - a cap on the response body, checked while reading and not trusted from
//!   `Content-Length` ([`FetchError::TooLarge`]); a list of 131,072 entries
//!   compresses to well under a kilobyte when mostly clear, so 1 MiB is ample;
//! - `application/vc`/JSON bodies as [`Input::Json`], `application/vc+jwt` as
//!   [`Input::Jws`] (or simply [`Input::parse`] of the body);
//! - optionally a cache that honours the list's `ttl` and `validUntil`
//!   ([`super::CachedStatusSource`]).
//!
//! Lists published on the didam ledger are dereferenced by DID URL through
//! the registry's resolver, with the ledger's proofs checked.

use std::collections::HashMap;

use didam_credential::verify::Input;
use serde_json::Value;

use crate::error::FetchError;

/// Provides status list credentials by URL.
pub trait StatusSource {
    /// The status list credential published at `url`, as read (not yet
    /// verified).
    #[allow(async_fn_in_trait)]
    async fn fetch(&self, url: &str) -> Result<Input, FetchError>;
}

/// Status list credentials held in memory, by URL.
#[derive(Clone, Debug, Default)]
pub struct StaticStatusSource {
    lists: HashMap<String, Input>,
}

impl StaticStatusSource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `credential` (JSON) at `url`, replacing what was there.
    pub fn insert(&mut self, url: impl Into<String>, credential: Value) {
        self.lists.insert(url.into(), Input::Json(credential));
    }

    /// Serves a credential given as text (JSON or compact JWS) at `url`.
    pub fn insert_text(&mut self, url: impl Into<String>, text: &str) -> Result<(), FetchError> {
        let url = url.into();
        let input =
            Input::parse(text).map_err(|source| FetchError::Unreadable { url: url.clone(), source })?;
        self.lists.insert(url, input);
        Ok(())
    }

    /// [`Self::insert`], by value.
    pub fn with(mut self, url: impl Into<String>, credential: Value) -> Self {
        self.insert(url, credential);
        self
    }

    /// How many lists are held.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether no list is held.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

impl StatusSource for StaticStatusSource {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        self.lists.get(url).cloned().ok_or_else(|| FetchError::NotFound(url.to_owned()))
    }
}

/// The source of a verifier that has none: status entries are then reported
/// as not checked. It has no values.
#[derive(Clone, Copy, Debug)]
pub enum NoStatusSource {}

impl StatusSource for NoStatusSource {
    async fn fetch(&self, _url: &str) -> Result<Input, FetchError> {
        match *self {}
    }
}

impl<S: StatusSource + ?Sized> StatusSource for &S {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        (**self).fetch(url).await
    }
}
