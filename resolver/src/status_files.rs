//! `GET /status/{name}`: status list credentials of issuers without a ledger
//! DID (`did:key`, `did:web`), served from a folder (`--status-dir`) that
//! `didam vc issue --status --status-dir DIR` and `didam vc revoke` write.
//!
//! Steps: check the name (letters, digits, `.`, `-`, `_`; no leading dot; at
//! most 128 bytes: no path can escape the folder) → read the file, refusing
//! one larger than 1 MiB → answer it with its media type (`application/vc`
//! for JSON, `application/statuslist+jwt` for an SD-JWT VC's Token Status
//! List Token, `application/vc+jwt` for another compact JWS) and caching headers:
//! `Cache-Control: public, max-age` of at most 60 s, less when the list's
//! `ttl` (milliseconds) says so, and `no-store` for a list past its
//! `validUntil`, so caches never serve a list longer than its issuer allows.
//!
//! The VC API's verifier reads the daemon's own lists from the same folder
//! ([`DaemonStatusSource`]).
//!
//! See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential>

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use didam_credential::verify::Input;
use didam_ledger::AnyLedger;
use didam_verifier::{FetchError, NetworkStatusSource, StatusSource};
use serde_json::Value;

use crate::problem;
use crate::state::AppState;

/// The folder served, if any (an axum extension set by [`crate::app()`]).
#[derive(Clone, Debug, Default)]
pub struct StatusFiles {
    /// `--status-dir`.
    pub dir: Option<PathBuf>,
}

/// Largest file served.
const MAX_BYTES: u64 = 1024 * 1024;
/// Longest `max-age`, in seconds.
const MAX_AGE: u64 = 60;

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn not_found(detail: &str) -> Response {
    problem::plain(StatusCode::NOT_FOUND, "urn:didam:problem:status:not-found", "Not found", detail)
}

/// The `Cache-Control` value for a list.
fn cache_control(list: Option<&Value>) -> String {
    let now = chrono::Utc::now();
    let until = list
        .and_then(|l| l.get("validUntil"))
        .and_then(Value::as_str)
        .and_then(didam_credential::credential::parse_datetime);
    if until.is_some_and(|u| u <= now) {
        return "no-store".into();
    }
    let mut age = MAX_AGE;
    if let Some(ms) = list.and_then(|l| l.pointer("/credentialSubject/ttl")).and_then(Value::as_u64) {
        age = age.min(ms / 1000);
    }
    if let Some(u) = until {
        age = age.min(u64::try_from((u - now).num_seconds()).unwrap_or(0));
    }
    format!("public, max-age={age}")
}

/// The media type of a JSON list: `application/vc` (VCDM 2.0's type of a
/// credential with embedded proofs), unless the request's `Accept` names
/// only JSON-LD or JSON (what JSON-LD document loaders send): a credential is
/// both, and such clients read only a body typed as JSON.
///
/// See: <https://www.w3.org/TR/vc-data-model-2.0/#media-types>
fn json_media_type(request: &axum::http::HeaderMap) -> &'static str {
    let accept = request.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let types: Vec<&str> = accept
        .split(',')
        .filter_map(|t| t.split(';').next())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let takes = |t: &str| types.is_empty() || types.contains(&t) || types.contains(&"*/*");
    if takes("application/vc") || types.contains(&"application/*") {
        "application/vc"
    } else if types.contains(&"application/ld+json") {
        "application/ld+json"
    } else if types.contains(&"application/json") {
        "application/json"
    } else {
        "application/vc"
    }
}

/// The file's bytes; `None` when larger than [`MAX_BYTES`].
fn read_bounded(path: &std::path::Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    }
    let mut body = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut body)?;
    Ok((body.len() as u64 <= MAX_BYTES).then_some(body))
}

/// Why a list could not be read from the status folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListFileError {
    /// No file of that name (or a name that could leave the folder).
    #[error("no such status list")]
    NotFound,
    /// The file exceeds the size served (1 MiB).
    #[error("the status list exceeds {MAX_BYTES} bytes")]
    TooLarge,
}

/// The bytes of the list `name` in `dir` (blocking).
pub fn read_list(dir: &std::path::Path, name: &str) -> Result<Vec<u8>, ListFileError> {
    if !valid_name(name) {
        return Err(ListFileError::NotFound);
    }
    match read_bounded(&dir.join(name)) {
        Ok(Some(body)) => Ok(body),
        Ok(None) => Err(ListFileError::TooLarge),
        Err(_) => Err(ListFileError::NotFound),
    }
}

/// The status lists of the VC API's verifier: this daemon's own lists (URLs
/// under `--status-url`) read from `--status-dir`, the others through the
/// network source (ledger, HTTPS). Reading its own lists from disk spares
/// the daemon a request to itself, which over HTTPS with a self-signed
/// certificate it could not make. The verifier checks every list it gets,
/// whichever way it came.
#[derive(Debug)]
pub struct DaemonStatusSource {
    /// `--status-url` with a trailing `/`, and `--status-dir`.
    own: Option<(String, PathBuf)>,
    network: NetworkStatusSource<AnyLedger>,
}

impl DaemonStatusSource {
    /// Own lists at `url` (the base URL) in `dir`, when both are given;
    /// others from `network`.
    pub fn new(
        url: Option<&str>,
        dir: Option<&std::path::Path>,
        network: NetworkStatusSource<AnyLedger>,
    ) -> Self {
        let own = url.zip(dir).map(|(url, dir)| (format!("{}/", url.trim_end_matches('/')), dir.to_owned()));
        Self { own, network }
    }
}

impl StatusSource for DaemonStatusSource {
    async fn fetch(&self, url: &str) -> Result<Input, FetchError> {
        let own = self.own.as_ref().and_then(|(base, dir)| Some((url.strip_prefix(base.as_str())?, dir)));
        let Some((name, dir)) = own else {
            return self.network.fetch(url).await;
        };
        let body = match read_list(dir, name) {
            Ok(body) => body,
            Err(ListFileError::NotFound) => return Err(FetchError::NotFound(url.to_owned())),
            Err(ListFileError::TooLarge) => {
                return Err(FetchError::TooLarge { url: url.to_owned(), limit: MAX_BYTES as usize });
            }
        };
        let text = String::from_utf8_lossy(&body);
        Input::parse(&text).map_err(|source| FetchError::Unreadable { url: url.to_owned(), source })
    }
}

/// Serves a status list credential from the status folder.
#[utoipa::path(
    get,
    path = "/status/{name}",
    tag = "VC API",
    params(("name" = String, Path, description = "The list's file name in the status folder")),
    responses(
        (status = 200, description = "The status list: a Bitstring Status List credential (`application/vc`, or `application/vc+jwt`) or a Token Status List token (`application/statuslist+jwt`)", body = Object),
        (status = 404, description = "No such list, or no status folder configured", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn get_status(
    State(_state): State<Arc<AppState>>,
    axum::Extension(files): axum::Extension<StatusFiles>,
    Path(name): Path<String>,
    request_headers: axum::http::HeaderMap,
) -> Response {
    let Some(dir) = &files.dir else {
        return not_found("this daemon serves no status lists (start it with --status-dir)");
    };
    let dir = dir.clone();
    let read = tokio::task::spawn_blocking(move || read_list(&dir, &name)).await;
    let body = match read {
        Ok(Ok(b)) => b,
        Ok(Err(ListFileError::TooLarge)) => {
            tracing::warn!("a status list file exceeds the size served");
            return problem::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "about:blank",
                "Internal error",
                "the status list is too large to serve",
            );
        }
        _ => return not_found("no such status list"),
    };
    let json = serde_json::from_slice::<Value>(&body).ok();
    // A Token Status List Token (`typ` `statuslist+jwt`) has its own media type.
    let token_list = json.is_none()
        && std::str::from_utf8(&body)
            .ok()
            .and_then(|t| didam_credential::jose::CompactJws::parse(t).ok())
            .is_some_and(|jws| {
                jws.header.get("typ").and_then(Value::as_str)
                    == Some(didam_credential::token_status_list::STATUSLIST_JWT)
            });
    let content_type = match (&json, token_list) {
        (Some(_), _) => json_media_type(&request_headers),
        (None, true) => "application/statuslist+jwt",
        (None, false) => "application/vc+jwt",
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&cache_control(json.as_ref())) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn names_stay_in_the_folder_and_caching_follows_the_list() {
        assert!(valid_name("revocation-0a1b.json"));
        for bad in ["", "..", ".hidden", "a/b", "a\\b", "%2e%2e", &"x".repeat(129)] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(cache_control(None), "public, max-age=60");
        let accept = |v: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            json_media_type(&h)
        };
        assert_eq!(json_media_type(&axum::http::HeaderMap::new()), "application/vc");
        assert_eq!(accept("*/*"), "application/vc");
        assert_eq!(accept("application/ld+json, application/json"), "application/ld+json");
        assert_eq!(accept("application/json"), "application/json");
        assert_eq!(cache_control(Some(&json!({"credentialSubject": {"ttl": 5000}}))), "public, max-age=5");
        assert_eq!(cache_control(Some(&json!({"validUntil": "2000-01-01T00:00:00Z"}))), "no-store");
    }
}
