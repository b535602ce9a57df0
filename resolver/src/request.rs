//! Parsing a DID Resolution request (the HTTP binding's steps 1–3, see
//! [`crate::resolution`]): the representation from `Accept`, the DID from the
//! raw request path or the body, the options from the query string, the body
//! or the DID URL's query. No I/O: the handlers and the fuzz targets
//! (`fuzz/`, which compile this file on its own) share this one parser.
//!
//! See: <https://www.w3.org/TR/did-resolution/#bindings-https>

use std::collections::HashMap;

use axum::http::{HeaderMap, Uri, header};
use chrono::{DateTime, Utc};
use didam_credential::{Did, DidUrl};
use didam_registry::ResolveOptions;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::problem::{Problem, ProblemType};

/// The full result's media type.
pub const DID_RESOLUTION: &str = "application/did-resolution";
const PREFIX: &str = "/1.0/identifiers/";

/// The representation the client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Representation {
    /// The DID resolution result.
    Result,
    /// The DID document alone, with this media type.
    Document(&'static str),
}

/// Chooses the representation from the `Accept` header: the acceptable type
/// with the highest quality, in the header's order on ties.
fn negotiate(headers: &HeaderMap) -> Result<Representation, Problem> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(Representation::Result);
    };
    let accept = accept.to_str().unwrap_or_default();
    if accept.trim().is_empty() {
        return Ok(Representation::Result);
    }
    let mut best: Option<(f32, Representation)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut profile_ok = false;
        for p in parts {
            if let Some(v) = p.strip_prefix("q=") {
                q = v.parse().unwrap_or(0.0);
            } else if let Some(v) = p.strip_prefix("profile=") {
                profile_ok = v.trim_matches('"') == "https://w3id.org/did-resolution";
            }
        }
        let representation = match media.as_str() {
            DID_RESOLUTION | "*/*" | "application/*" => Representation::Result,
            "application/ld+json" if profile_ok => Representation::Result,
            "application/did" => Representation::Document("application/did"),
            "application/did+ld+json" => Representation::Document("application/did+ld+json"),
            "application/did+json" => Representation::Document("application/did+json"),
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, representation));
        }
    }
    best.map(|(_, r)| r).ok_or_else(|| {
        Problem::new(
            ProblemType::RepresentationNotSupported,
            format!(
                "none of `{accept}` is served; ask for {DID_RESOLUTION}, application/did or application/did+ld+json"
            ),
        )
    })
}

/// The body of `POST /1.0/identifiers`.
#[derive(Debug, Deserialize)]
pub struct ResolveRequest {
    /// The DID to resolve.
    pub did: String,
    /// Resolution options (`versionId`, `versionTime`, `noCache`).
    #[serde(default, alias = "resolutionOptions")]
    pub options: Map<String, Value>,
}

/// Options as read, before checking.
#[derive(Debug, Default)]
struct RawOptions {
    version_id: Option<String>,
    version_time: Option<String>,
    no_cache: Option<String>,
}

impl RawOptions {
    fn from_map(map: &Map<String, Value>) -> Result<Self, Problem> {
        let text = |name: &str| -> Result<Option<String>, Problem> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Bool(b)) if name == "noCache" => Ok(Some(b.to_string())),
                Some(other) => Err(invalid_options(format!("`{name}` cannot be {other}"))),
            }
        };
        Ok(Self {
            version_id: text("versionId")?,
            version_time: text("versionTime")?,
            no_cache: text("noCache")?,
        })
    }

    /// Adds the options of a DID URL's query (`versionId`, `versionTime`).
    fn merge_did_url_query(&mut self, query: &str) -> Result<(), Problem> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value).unwrap_or_else(|| value.to_owned());
            match name {
                "versionId" => self.version_id = Some(value),
                "versionTime" => self.version_time = Some(value),
                other => {
                    return Err(Problem::new(
                        ProblemType::FeatureNotSupported,
                        format!(
                            "DID URL parameter `{other}` calls for dereferencing, which this resolver does not do"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check(self) -> Result<(ResolveOptions, bool), Problem> {
        if self.version_id.is_some() && self.version_time.is_some() {
            return Err(invalid_options("versionId and versionTime are mutually exclusive"));
        }
        let version_time = self
            .version_time
            .map(|t| {
                didam_credential::credential::parse_datetime(&t)
                    .map(|t: DateTime<Utc>| t)
                    .ok_or_else(|| invalid_options(format!("versionTime `{t}` is not an XSD dateTime")))
            })
            .transpose()?;
        let no_cache = match self.no_cache.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(invalid_options(format!("noCache must be true or false, not `{other}`")));
            }
        };
        Ok((ResolveOptions { version_id: self.version_id, version_time }, no_cache))
    }
}

fn invalid_options(detail: impl Into<String>) -> Problem {
    Problem::new(ProblemType::InvalidOptions, detail)
}

/// Decodes `%XX` escapes; `None` if one is malformed or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The DID (URL) of the request path: decoded when it arrives URL-encoded
/// (`did%3A…`), as is otherwise (a DID's own `%XX` escapes stay).
fn did_of_path(uri: &Uri) -> Result<String, Problem> {
    let raw = uri.path().strip_prefix(PREFIX).unwrap_or_default();
    // `get`, not `[..6]`: the path may hold non-ASCII bytes (found by fuzzing,
    // tests/fuzz_regressions/resolution_request/non_ascii_path).
    if raw.get(..6).is_some_and(|prefix| prefix.eq_ignore_ascii_case("did%3a")) {
        percent_decode(raw).ok_or_else(|| Problem::new(ProblemType::InvalidDid, "malformed URL encoding"))
    } else {
        Ok(raw.to_owned())
    }
}

/// A resolution request, parsed and checked: what to resolve, with which
/// options, in which representation. The handlers build one from the request
/// (path, query, `Accept`, body), then resolve it.
#[derive(Clone, Debug)]
pub struct ResolutionRequest {
    /// The DID to resolve.
    pub did: Did,
    /// `versionId` or `versionTime`.
    pub options: ResolveOptions,
    /// `noCache=true`: bypass the cache.
    pub no_cache: bool,
    /// What to answer with.
    pub representation: Representation,
}

impl ResolutionRequest {
    /// The request of `GET /1.0/identifiers/{did}`: the DID from the path,
    /// options from the query string.
    pub fn from_get(uri: &Uri, headers: &HeaderMap) -> Result<Self, Problem> {
        let query: HashMap<&str, String> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                Some((name, percent_decode(&value.replace('+', " "))?))
            })
            .collect();
        let options = RawOptions {
            version_id: query.get("versionId").cloned(),
            version_time: query.get("versionTime").cloned(),
            no_cache: query.get("noCache").cloned(),
        };
        Self::new(headers, &did_of_path(uri)?, options)
    }

    /// The request of `POST /1.0/identifiers/{did}`: the DID from the path,
    /// options from the body (a JSON object; empty means none).
    pub fn from_post(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Self, Problem> {
        let did = did_of_path(uri)?;
        let options = if body.is_empty() {
            RawOptions::default()
        } else {
            let map = serde_json::from_slice::<Map<String, Value>>(body)
                .map_err(|e| invalid_options(format!("the body is not a JSON object of options: {e}")))?;
            RawOptions::from_map(&map)?
        };
        Self::new(headers, &did, options)
    }

    /// The request of `POST /1.0/identifiers`: `{"did": …, "options": {…}}`.
    pub fn from_body(headers: &HeaderMap, body: &[u8]) -> Result<Self, Problem> {
        let request = serde_json::from_slice::<ResolveRequest>(body).map_err(|e| {
            Problem::new(ProblemType::InvalidDid, format!("expected {{\"did\": …, \"options\": {{…}}}}: {e}"))
        })?;
        let options = RawOptions::from_map(&request.options)?;
        Self::new(headers, &request.did, options)
    }

    fn new(headers: &HeaderMap, did_url: &str, mut options: RawOptions) -> Result<Self, Problem> {
        let representation = negotiate(headers)?;
        let url = DidUrl::parse(did_url).map_err(|e| Problem::from_error(&didam_registry::Error::from(e)))?;
        if url.path.is_some() || url.fragment.is_some() {
            return Err(Problem::new(
                ProblemType::FeatureNotSupported,
                "DID URL dereferencing (paths and fragments) is not supported; resolve the DID",
            ));
        }
        if let Some(query) = &url.query {
            options.merge_did_url_query(query)?;
        }
        let (options, no_cache) = options.check()?;
        Ok(Self { did: url.did, options, no_cache, representation })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::http::HeaderValue;

    use super::*;

    fn accept(v: &str) -> Result<Representation, Problem> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        negotiate(&h)
    }

    #[test]
    fn content_negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()).unwrap(), Representation::Result);
        assert_eq!(accept("*/*").unwrap(), Representation::Result);
        assert_eq!(accept("application/did").unwrap(), Representation::Document("application/did"));
        assert_eq!(
            accept("application/did-resolution;q=0.5, application/did+ld+json").unwrap(),
            Representation::Document("application/did+ld+json")
        );
        assert!(accept("text/html").is_err());
        assert!(accept("application/did;q=0").is_err());
    }

    #[test]
    fn encoded_and_plain_dids() {
        let uri: Uri = "/1.0/identifiers/did%3Aweb%3Aexample.com%253A8443".parse().unwrap();
        assert_eq!(did_of_path(&uri).unwrap(), "did:web:example.com%3A8443");
        let uri: Uri = "/1.0/identifiers/did:web:example.com%3A8443".parse().unwrap();
        assert_eq!(did_of_path(&uri).unwrap(), "did:web:example.com%3A8443");
        let uri = Uri::try_from(b"/1.0/identifiers/diidZ\xdf\x91o".as_slice()).unwrap();
        assert_eq!(did_of_path(&uri).unwrap(), "diidZ\u{7d1}o", "no panic on a non-ASCII path");
    }

    #[test]
    fn options_are_checked() {
        let both = RawOptions {
            version_id: Some("1-x".into()),
            version_time: Some("2020-01-01T00:00:00Z".into()),
            no_cache: None,
        };
        assert!(both.check().is_err());
        let bad_time = RawOptions { version_time: Some("yesterday".into()), ..RawOptions::default() };
        assert!(bad_time.check().is_err());
        let (o, no_cache) =
            RawOptions { no_cache: Some("true".into()), ..RawOptions::default() }.check().unwrap();
        assert!(no_cache && o.version_id.is_none());
    }
}
