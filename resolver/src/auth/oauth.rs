//! The daemon as its own OAuth 2.0 token endpoint: `POST /oauth2/token`,
//! the client credentials grant, as the VC API asks of issuers and as its
//! test suites' implementation files configure (`clientId`, `clientSecret`,
//! `tokenEndpoint`).
//!
//! Steps: read the client (HTTP Basic, or `client_id` and `client_secret` in
//! the body; the body is form-encoded, or JSON as some clients send) → check
//! the secret against `[[auth.clients]]` (by hash, in constant time) → the
//! scopes asked for (`scope`, space separated; default all the client has)
//! → a new access token of 256 random bits, kept in memory by its hash for
//! `access-token-ttl-secs` and answered once with `Cache-Control: no-store`.
//! `audience` is accepted and not checked: the token is good at this daemon
//! only. Errors are the RFC 6749 JSON errors the grant defines (not problem
//! documents).
//!
//! See: <https://www.rfc-editor.org/rfc/rfc6749#section-4.4>,
//! <https://w3c-ccg.github.io/vc-api/#authorization>

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use super::{Principal, Scope, SecretHash, new_secret};
use crate::state::AppState;

/// Access tokens handed out, by hash, each for the token lifetime.
///
/// Each client holds at most [`AccessTokens::PER_CLIENT`] live tokens (a
/// new one retires its oldest), so no client, however many tokens it asks
/// for, crowds out another's; the cache as a whole is least-recently-used
/// (moka's default, TinyLFU, would refuse a new token while the cache is
/// full of tokens asked for more often).
#[derive(Clone)]
pub(crate) struct AccessTokens {
    cache: moka::future::Cache<SecretHash, Principal>,
    /// Each client's live tokens, oldest first. Clients are configured,
    /// so this map is as small as the configuration.
    live: Arc<Mutex<HashMap<String, VecDeque<SecretHash>>>>,
    ttl: Duration,
}

impl AccessTokens {
    /// Most access tokens alive at once; the least recently used go first.
    const CAPACITY: u64 = 100_000;
    /// Most live access tokens of one client.
    pub(crate) const PER_CLIENT: usize = 16;

    pub(crate) fn new(ttl: Duration) -> Self {
        let cache = moka::future::Cache::builder()
            .max_capacity(Self::CAPACITY)
            .eviction_policy(moka::policy::EvictionPolicy::lru())
            .time_to_live(ttl)
            .build();
        Self { cache, live: Arc::default(), ttl }
    }

    pub(crate) async fn get(&self, hash: &SecretHash) -> Option<Principal> {
        self.cache.get(hash).await
    }

    /// A new access token for `principal`; its oldest live token retires
    /// when it holds [`AccessTokens::PER_CLIENT`] already.
    async fn issue(&self, principal: Principal) -> Zeroizing<String> {
        let (token, hash) = new_secret();
        let retired = {
            let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let tokens = live.entry(principal.name.clone()).or_default();
            tokens.push_back(hash);
            if tokens.len() > Self::PER_CLIENT { tokens.pop_front() } else { None }
        };
        if let Some(old) = retired {
            self.cache.invalidate(&old).await;
        }
        self.cache.insert(hash, principal).await;
        token
    }
}

/// The body of a token request (RFC 6749 §4.4.2, with client credentials
/// in the body as §2.3.1 allows).
#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<Zeroizing<String>>,
    scope: Option<String>,
    #[serde(default, rename = "audience")]
    _audience: Option<String>,
}

/// An RFC 6749 §5.2 error.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response =
        (status, Json(json!({ "error": error, "error_description": description }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"didam-resolver\""));
    }
    response
}

/// The client id and secret of HTTP Basic authentication, if sent.
fn basic(headers: &HeaderMap) -> Option<(String, Zeroizing<String>)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded =
        Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(encoded.trim().as_bytes()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), Zeroizing::new(secret.to_owned())))
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Option<TokenRequest> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json { serde_json::from_slice(body).ok() } else { serde_urlencoded::from_bytes(body).ok() }
}

/// The scopes of `asked` (space separated) the client has; all it has when
/// none are asked for. `Err`: the first scope asked for it does not have.
fn granted<'a>(asked: Option<&'a str>, has: &[Scope]) -> Result<Vec<Scope>, &'a str> {
    let Some(asked) = asked.filter(|s| !s.trim().is_empty()) else { return Ok(has.to_vec()) };
    asked
        .split_whitespace()
        .map(|name| match name.parse::<Scope>() {
            Ok(scope) if has.contains(&scope) => Ok(scope),
            _ => Err(name),
        })
        .collect()
}

/// Issues an access token for an OAuth 2.0 client (client credentials grant).
#[utoipa::path(
    post,
    path = "/oauth2/token",
    tag = "Operations",
    request_body(content = String, description = "`grant_type=client_credentials` (form-encoded or JSON), the client by HTTP Basic or `client_id` and `client_secret`; `scope` optional", content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`{access_token, token_type: \"Bearer\", expires_in, scope}`", body = Object),
        (status = 400, description = "`{error: invalid_request | unsupported_grant_type | invalid_scope}`", body = Object),
        (status = 401, description = "`{error: invalid_client}`", body = Object),
        (status = 404, description = "No OAuth 2.0 clients are configured", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let auth = &state.auth;
    if auth.clients.is_empty() {
        return crate::problem::plain(
            StatusCode::NOT_FOUND,
            "urn:didam:problem:auth:no-clients",
            "No OAuth 2.0 clients",
            "this daemon has no [[auth.clients]]; its token endpoint is off",
        );
    }
    let Some(request) = parse_body(&headers, &body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the body is not a token request");
    };
    if request.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let credentials = match (basic(&headers), request.client_id, request.client_secret) {
        (Some(pair), None, None) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "authenticate the client once: HTTP Basic, or client_id and client_secret",
            );
        }
    };
    let Some(client) = auth.client(&credentials.0, &credentials.1) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret");
    };
    let scopes = match granted(request.scope.as_deref(), &client.scopes) {
        Ok(scopes) => scopes,
        Err(name) => {
            let detail = format!("scope `{name}` is not one this client has");
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &detail);
        }
    };
    let scope = scopes.iter().map(|s| s.name()).collect::<Vec<_>>().join(" ");
    let token = auth.access.issue(Principal { name: client.id.clone(), scopes }).await;
    let body = json!({
        "access_token": token.as_str(),
        "token_type": "Bearer",
        "expires_in": auth.access.ttl.as_secs(),
        "scope": scope,
    });
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
