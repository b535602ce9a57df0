//! A client of a DID resolver's W3C DID Resolution HTTP(S) binding (cargo
//! feature `net`), e.g. a `didam-resolver` daemon asked to resolve `did:web`
//! and `did:webvh` for a machine that does not fetch them itself.
//!
//! Steps of [`ResolutionClient::resolve`]:
//! 1. `GET <base>/1.0/identifiers/<did>` with `Accept:
//!    application/did-resolution`, no redirects, connect and total timeouts;
//! 2. read the body up to a size limit;
//! 3. a success is the DID resolution result (JSON); an error status is
//!    reported with the problem document's title and detail.
//!
//! The result is the resolver's word: use a resolver you trust (your own
//! daemon); `did:didam` DIDs resolve with the ledger's proofs instead
//! ([`crate::Resolver`]).
//!
//! See: <https://www.w3.org/TR/did-resolution/#bindings-https>

use std::str::FromStr;

use didam_credential::Did;
use serde_json::Value;

use crate::error::ClientError;
use crate::web::WebLimits;

/// The base URL of a DID resolver: `http://…` or `https://…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolverUrl(String);

impl ResolverUrl {
    /// The URL, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ResolverUrl {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("http://") || s.starts_with("https://") {
            Ok(Self(s.to_owned()))
        } else {
            Err(ClientError::NotHttp(s.to_owned()))
        }
    }
}

impl std::fmt::Display for ResolverUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Asks a DID resolver over HTTP(S) (see the module doc).
#[derive(Clone, Debug)]
pub struct ResolutionClient {
    client: reqwest::Client,
    base: String,
    max_bytes: usize,
}

impl ResolutionClient {
    /// A client of the resolver at `base`, within `limits`.
    pub fn new(base: &ResolverUrl, limits: &WebLimits) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ClientError::Setup)?;
        Ok(Self { client, base: base.as_str().trim_end_matches('/').to_owned(), max_bytes: limits.max_bytes })
    }

    /// The DID resolution result of `did`, as the resolver gives it.
    pub async fn resolve(&self, did: &Did) -> Result<Value, ClientError> {
        let url = format!("{}/1.0/identifiers/{did}", self.base);
        let unreachable = |source| ClientError::Unreachable { url: url.clone(), source };
        let mut response = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/did-resolution")
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_bytes {
                return Err(ClientError::TooLarge { url, limit: self.max_bytes });
            }
        }
        let value: Value = serde_json::from_slice(&body).map_err(|source| ClientError::NotJson {
            url: url.clone(),
            status,
            source,
        })?;
        if status.is_success() {
            return Ok(value);
        }
        let title = value["title"].as_str().or(value["type"].as_str()).unwrap_or("error").to_owned();
        let detail = value["detail"].as_str().unwrap_or_default().to_owned();
        Err(if status == reqwest::StatusCode::BAD_REQUEST {
            ClientError::BadRequest { status, title, detail }
        } else {
            ClientError::Refused { url, status, title, detail }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn resolver_urls_are_http() {
        assert_eq!("http://127.0.0.1:8080".parse::<ResolverUrl>().unwrap().as_str(), "http://127.0.0.1:8080");
        assert!("https://resolver.example".parse::<ResolverUrl>().is_ok());
        let err = "ftp://example.com".parse::<ResolverUrl>().unwrap_err();
        assert_eq!(err.to_string(), "the resolver `ftp://example.com` is not an http:// or https:// URL");
    }

    #[tokio::test]
    async fn an_unreachable_resolver_names_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base: ResolverUrl = format!("http://127.0.0.1:{port}/").parse().unwrap();
        let client = ResolutionClient::new(&base, &WebLimits::default()).unwrap();
        let did: Did = "did:web:example.com".parse().unwrap();
        match client.resolve(&did).await {
            Err(e @ ClientError::Unreachable { .. }) => {
                let text = e.to_string();
                let url = format!("http://127.0.0.1:{port}/1.0/identifiers/did:web:example.com: ");
                assert!(text.starts_with(&url), "{text}");
                assert!(std::error::Error::source(&e).is_some());
            }
            other => panic!("expected Unreachable, got {other:?}"),
        }
    }
}
