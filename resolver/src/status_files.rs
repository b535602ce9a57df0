//! `GET /status/{name}`: status list credentials of issuers without a ledger
//! DID (`did:key`, `did:web`), served from a folder (`--status-dir`) that
//! `didam vc issue --status --status-dir DIR` and `didam vc revoke` write.
//!
//! Steps: check the name (letters, digits, `.`, `-`, `_`; no leading dot; at
//! most 128 bytes: no path can escape the folder) → read the file, refusing
//! one larger than 1 MiB → answer it with its media type (`application/vc`
//! for JSON, `application/vc+jwt` for a compact JWS) and caching headers:
//! `Cache-Control: public, max-age` of at most 60 s, less when the list's
//! `ttl` (milliseconds) says so, and `no-store` for a list past its
//! `validUntil`, so caches never serve a list longer than its issuer allows.
//!
//! See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential>

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// Serves a status list credential from the status folder.
#[utoipa::path(
    get,
    path = "/status/{name}",
    tag = "VC API",
    params(("name" = String, Path, description = "The list's file name in the status folder")),
    responses(
        (status = 200, description = "The status list credential (`application/vc`, or `application/vc+jwt`)", body = Object),
        (status = 404, description = "No such list, or no status folder configured", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn get_status(
    State(_state): State<Arc<AppState>>,
    axum::Extension(files): axum::Extension<StatusFiles>,
    Path(name): Path<String>,
) -> Response {
    let Some(dir) = &files.dir else {
        return not_found("this daemon serves no status lists (start it with --status-dir)");
    };
    if !valid_name(&name) {
        return not_found("no such status list");
    }
    let path = dir.join(&name);
    let read = tokio::task::spawn_blocking(move || read_bounded(&path)).await;
    let body = match read {
        Ok(Ok(Some(b))) => b,
        Ok(Ok(None)) => {
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
    let content_type = if json.is_some() { "application/vc" } else { "application/vc+jwt" };
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
        assert_eq!(cache_control(Some(&json!({"credentialSubject": {"ttl": 5000}}))), "public, max-age=5");
        assert_eq!(cache_control(Some(&json!({"validUntil": "2000-01-01T00:00:00Z"}))), "no-store");
    }
}
