//! `did:web` and `did:webvh` over HTTPS, fetched defensively.
//!
//! A resolver that fetches URLs named by its callers must not become a way
//! into the network it runs in (server-side request forgery). The steps:
//! 1. turn the DID into its HTTPS URL (the methods' DID-to-HTTPS
//!    transformations), refusing anything that is not a plain host name with
//!    an optional port;
//! 2. refuse IP-literal hosts and `localhost` names that are not public
//!    ([`is_public_ip`]);
//! 3. resolve host names through a DNS resolver that drops every loopback,
//!    private and link-local answer, so the addresses checked are the
//!    addresses connected to (no DNS rebinding between check and use);
//! 4. never follow redirects and never use a proxy (it would connect to
//!    addresses this policy never sees); connect and total timeouts; read the
//!    body up to a size limit;
//! 5. parse the document (`did:web`) or verify the whole log (`did:webvh`,
//!    with [`didam_method::log::verify_log`]).
//!
//! See: <https://w3c-ccg.github.io/did-method-web/>,
//! <https://identity.foundation/didwebvh/v1.0/>

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use didam_credential::did::{DidDocument, Resolution};
use didam_method::log::{self, DidState, Method};
use serde_json::{Value, json};

use crate::error::Error;

/// Whether `ip` is a public unicast address: not loopback, private,
/// link-local, shared (CGNAT), unique-local, unspecified, multicast,
/// broadcast, documentation, benchmarking or reserved. IPv4-mapped and NAT64
/// IPv6 addresses are judged by the IPv4 address they carry.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        // NAT64 (RFC 6052): the last 32 bits are an IPv4 address.
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible and other ::/96 forms
}

/// The HTTPS URL of a `did:web` DID's document.
/// See: <https://w3c-ccg.github.io/did-method-web/#read-resolve>
pub fn did_web_url(did: &str) -> Result<String, Error> {
    let msid = did.strip_prefix("did:web:").ok_or_else(|| Error::InvalidDid(did.to_owned()))?;
    https_url(did, msid, "did.json")
}

/// The HTTPS URL of a `did:webvh` DID's log (`did.jsonl`).
/// See: <https://identity.foundation/didwebvh/v1.0/#the-did-to-https-transformation>
pub fn did_webvh_url(did: &str) -> Result<String, Error> {
    let msid = did.strip_prefix("did:webvh:").ok_or_else(|| Error::InvalidDid(did.to_owned()))?;
    let (scid, rest) = msid.split_once(':').ok_or_else(|| Error::InvalidDid(did.to_owned()))?;
    if scid.is_empty() || !scid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::InvalidDid(did.to_owned()));
    }
    https_url(did, rest, "did.jsonl")
}

/// `host[%3Aport][:path:segments]` → `https://host[:port]/path/segments/<file>`
/// (or `/.well-known/<file>` without a path).
fn https_url(did: &str, msid: &str, file: &str) -> Result<String, Error> {
    let invalid = || Error::InvalidDid(did.to_owned());
    let mut segments = msid.split(':');
    let authority = segments.next().filter(|a| !a.is_empty()).ok_or_else(invalid)?;
    let (host, port) = match authority.to_ascii_lowercase().split_once("%3a") {
        Some((host, port)) => {
            let port: u16 = port.parse().map_err(|_| invalid())?;
            (host.to_owned(), Some(port))
        }
        None => (authority.to_ascii_lowercase(), None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-']);
    if !host_ok {
        return Err(invalid());
    }
    let path: Vec<&str> = segments.collect();
    let path_ok =
        |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_~%".contains(&b));
    if !path.iter().all(path_ok) || path.iter().any(|s| s.contains("%2f") || s.contains("%2F")) {
        return Err(invalid());
    }
    let authority = match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    let path = if path.is_empty() { ".well-known".to_owned() } else { path.join("/") };
    Ok(format!("https://{authority}/{path}/{file}"))
}

/// A host the fetcher refuses to connect to.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` resolves to no public address (loopback, private and link-local addresses are refused)")]
struct RefusedHost(String);

/// DNS answers with every address `keep` refuses dropped, so that the
/// addresses checked are the addresses connected to: [`is_public_ip`] for the
/// public client; loopback only for the opt-in loopback client (this machine,
/// whatever `localhost` or a `.localhost` name resolves to).
#[derive(Debug)]
struct Addresses {
    keep: fn(IpAddr) -> bool,
}

/// Loopback addresses only.
fn is_loopback_ip(ip: IpAddr) -> bool {
    ip.is_loopback()
}

impl reqwest::dns::Resolve for Addresses {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let keep = self.keep;
        Box::pin(async move {
            let answers = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = answers.filter(|a| keep(a.ip())).collect();
            if kept.is_empty() {
                return Err(Box::new(RefusedHost(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Limits of [`WebFetcher`].
#[derive(Clone, Debug)]
pub struct WebLimits {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for the whole request, body included.
    pub timeout: Duration,
    /// Largest body read.
    pub max_bytes: usize,
}

impl Default for WebLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            max_bytes: 1024 * 1024,
        }
    }
}

/// Fetches and resolves `did:web` and `did:webvh` DIDs (see the module doc),
/// and fetches other documents (status lists) by URL under the same policy.
#[derive(Clone, Debug)]
pub struct WebFetcher {
    client: reqwest::Client,
    /// Plain-HTTP client for loopback addresses, when allowed.
    loopback: Option<reqwest::Client>,
    max_bytes: usize,
}

/// Whether `host` (a URL's host) names this machine: `localhost`, a
/// `.localhost` name, or a loopback IP literal.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.ends_with(".localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl WebFetcher {
    /// A fetcher with these limits.
    pub fn new(limits: &WebLimits) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .dns_resolver(Arc::new(Addresses { keep: is_public_ip }))
            // A proxy would connect to addresses this policy never sees.
            .no_proxy()
            .user_agent(concat!("didam/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::HttpClient(Box::new(e)))?;
        Ok(Self { client, loopback: None, max_bytes: limits.max_bytes })
    }

    /// Also fetches from loopback addresses (`127.0.0.0/8`, `::1`,
    /// `localhost`), over plain HTTP or HTTPS, with the same limits: for
    /// local daemons and tests. Other private addresses stay refused, and a
    /// loopback host name connects only to the loopback addresses it
    /// resolves to. DID
    /// resolution never needs this; a status list source on the user's own
    /// machine may.
    pub fn allow_loopback(self, limits: &WebLimits) -> Result<Self, Error> {
        self.allow_loopback_with_ca(limits, None)
    }

    /// [`Self::allow_loopback`], with HTTPS to loopback addresses also
    /// trusting the CA certificate `ca_pem` (PEM): a local HTTPS server with
    /// its own CA, as in the resolver's `did:web` tests. Public addresses are
    /// still checked against the public roots only.
    pub fn allow_loopback_with_ca(
        mut self,
        limits: &WebLimits,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, Error> {
        let setup = |e: reqwest::Error| Error::HttpClient(Box::new(e));
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .dns_resolver(Arc::new(Addresses { keep: is_loopback_ip }))
            .no_proxy()
            .user_agent(concat!("didam/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem {
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem).map_err(setup)?);
        }
        self.loopback = Some(builder.build().map_err(setup)?);
        Ok(self)
    }

    /// The largest body read, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Fetches a document at `url` (HTTPS to a public address, or a loopback
    /// address when [`Self::allow_loopback`] was called); a missing resource is
    /// [`Error::NotFound`] for the URL.
    pub async fn fetch_url(&self, url: &str) -> Result<Vec<u8>, Error> {
        self.fetch(url, url).await
    }

    /// Fetches `url` (from [`did_web_url`] or [`did_webvh_url`]); a missing
    /// resource is [`Error::NotFound`] for `did`.
    pub async fn fetch(&self, did: &str, url: &str) -> Result<Vec<u8>, Error> {
        let fail = |reason: String| Error::Fetch { url: url.to_owned(), reason };
        let parsed = reqwest::Url::parse(url).map_err(|e| fail(e.to_string()))?;
        let refused = |host: &str| {
            Error::FeatureNotSupported(format!(
                "{}; this resolver fetches only from public addresses",
                RefusedHost(host.to_owned())
            ))
        };
        let host = parsed.host_str().ok_or_else(|| fail("no host".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let client = match &self.loopback {
            Some(loopback) if is_loopback_host(host) => {
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(fail(format!("scheme `{}` is not fetched", parsed.scheme())));
                }
                loopback
            }
            _ => {
                let refused_ip = bare.parse::<IpAddr>().is_ok_and(|ip| !is_public_ip(ip));
                if refused_ip || host == "localhost" || host.ends_with(".localhost") {
                    return Err(refused(host));
                }
                if parsed.scheme() != "https" {
                    return Err(fail(format!("scheme `{}` is not fetched: HTTPS only", parsed.scheme())));
                }
                &self.client
            }
        };
        let timeout = || Error::Timeout { url: url.to_owned() };
        let mut response = client.get(parsed).send().await.map_err(|e| match find_refusal(&e) {
            Some(host) => refused(&host),
            None if e.is_timeout() => timeout(),
            None => fail(describe(&e)),
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Err(Error::NotFound(did.to_owned()));
        }
        if status.is_redirection() {
            return Err(fail(format!("HTTP {status}: redirects are not followed")));
        }
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        let too_large = || Error::TooLarge { url: url.to_owned(), limit: self.max_bytes };
        if response.content_length().is_some_and(|n| n > self.max_bytes as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| if e.is_timeout() { timeout() } else { fail(describe(&e)) })?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Resolves a `did:web` DID: its document, whose `id` must be the DID.
    pub async fn resolve_web(&self, did: &str) -> Result<Resolution, Error> {
        let url = did_web_url(did)?;
        let body = self.fetch(did, &url).await?;
        let invalid = |reason: String| Error::InvalidDocument { did: did.to_owned(), reason };
        let document: Value = serde_json::from_slice(&body).map_err(|e| invalid(format!("not JSON: {e}")))?;
        if document.get("id").and_then(Value::as_str) != Some(did) {
            return Err(invalid("the document's `id` is not the DID".into()));
        }
        let content_type = if document.get("@context").is_some() {
            "application/did+ld+json"
        } else {
            "application/did+json"
        };
        let document = DidDocument::new(document).map_err(|e| invalid(e.to_string()))?;
        Ok(Resolution { document, document_metadata: json!({}), content_type: content_type.to_owned() })
    }

    /// Fetches and verifies a `did:webvh` DID's whole log; returns every
    /// verified state, oldest first.
    pub async fn webvh_history(&self, did: &str) -> Result<Vec<DidState>, Error> {
        let url = did_webvh_url(did)?;
        let body = self.fetch(did, &url).await?;
        let text = String::from_utf8(body).map_err(|_| Error::InvalidDocument {
            did: did.to_owned(),
            reason: "the log is not UTF-8".into(),
        })?;
        // The witness file sits beside the log (did:webvh 1.0, "Witnesses");
        // a DID without witnesses has none.
        let witness_url = url.replace("did.jsonl", "did-witness.json");
        let witnesses: Option<Value> = match self.fetch(did, &witness_url).await {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| Error::InvalidDocument {
                did: did.to_owned(),
                reason: format!("did-witness.json is not JSON: {e}"),
            })?),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let history = log::verify_log_with_witnesses(Method::WebVh, &text, witnesses.as_ref(), Utc::now())
            .await
            .map_err(|source| Error::Log { did: did.to_owned(), source })?;
        if history.last().is_some_and(|s| s.did != did) {
            return Err(Error::InvalidDocument {
                did: did.to_owned(),
                reason: "the log served at this DID's URL is another DID's".into(),
            });
        }
        Ok(history)
    }
}

/// The host a [`Addresses`] refusal names, anywhere in `e`'s source chain.
fn find_refusal(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<RefusedHost>() {
            return Some(refused.0.clone());
        }
        source = err.source();
    }
    None
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn did_web_urls() {
        assert_eq!(did_web_url("did:web:example.com").unwrap(), "https://example.com/.well-known/did.json");
        assert_eq!(
            did_web_url("did:web:example.com%3A8443:user:alice").unwrap(),
            "https://example.com:8443/user/alice/did.json"
        );
        for bad in [
            "did:web:",
            "did:web:exa mple.com",
            "did:web:example.com%3Ax",
            "did:web:a.com::b",
            "did:web:-a.com",
        ] {
            assert!(matches!(did_web_url(bad), Err(Error::InvalidDid(_))), "{bad}");
        }
    }

    #[test]
    fn did_webvh_urls() {
        let scid = "QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ";
        assert_eq!(
            did_webvh_url(&format!("did:webvh:{scid}:example.com")).unwrap(),
            "https://example.com/.well-known/did.jsonl"
        );
        assert_eq!(
            did_webvh_url(&format!("did:webvh:{scid}:example.com:dids:issuer")).unwrap(),
            "https://example.com/dids/issuer/did.jsonl"
        );
        assert!(did_webvh_url("did:webvh:example.com").is_err());
    }

    #[test]
    fn refused_hosts_are_not_fetched() {
        let fetcher = WebFetcher::new(&WebLimits::default()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        for did in
            ["did:web:127.0.0.1", "did:web:localhost%3A8443", "did:web:10.0.0.7", "did:web:169.254.169.254"]
        {
            let r = rt.block_on(fetcher.resolve_web(did));
            assert!(matches!(r, Err(Error::FeatureNotSupported(_))), "{did}: {r:?}");
        }
    }
}
