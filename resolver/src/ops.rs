//! Operations: health, Prometheus metrics, the OpenAPI document, and the
//! middleware that counts, logs and rate-limits requests.
//!
//! Logs name the route template (`/1.0/identifiers/{did}`), never the path:
//! which DIDs people resolve is not recorded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use didam_ledger::Ledger as _;
use serde_json::{Value, json};

use crate::problem;
use crate::rate::RateLimiter;
use crate::state::AppState;

/// Liveness and whether the daemon signs checkpoints.
#[utoipa::path(
    get,
    path = "/health",
    tag = "Operations",
    responses((status = 200, description = "`{\"status\": \"ok\", \"checkpointing\": bool, \"ledgerSize\": n}`", body = Object))
)]
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    match state.ledger.size().await {
        Ok(size) => Json(json!({
            "status": "ok",
            "checkpointing": state.verifier.is_some(),
            "ledgerSize": size,
        }))
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health: ledger unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "ledger unavailable" }))).into_response()
        }
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "Operations",
    responses((status = 200, content_type = "text/plain", body = String))
)]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(size) = state.ledger.size().await {
        metrics::gauge!("didam_ledger_size").set(size as f64);
    }
    let Some(handle) = &state.metrics else {
        return (StatusCode::NOT_FOUND, "metrics are not enabled").into_response();
    };
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "Operations",
    responses((status = 200, content_type = "application/json", body = Object))
)]
pub async fn openapi(State(state): State<Arc<AppState>>) -> Response {
    let doc = state.openapi.get().cloned().unwrap_or_else(|| "{}".to_owned());
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}

/// Counts and times each request by route template and status, and logs it
/// without its path. On every request: labels are borrowed static strings
/// where they can be (method, common statuses) and one shared `Arc<str>`
/// for the route.
pub async fn track(request: Request, next: Next) -> Response {
    let route: Arc<str> = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| Arc::from("unmatched"), |p| Arc::from(p.as_str()));
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = status_label(response.status());
    let route_label = || metrics::SharedString::from(Arc::clone(&route));
    metrics::counter!("didam_http_requests_total", "route" => route_label(), "method" => method, "status" => status.clone())
        .increment(1);
    metrics::histogram!("didam_http_request_duration_seconds", "route" => route_label(), "method" => method)
        .record(elapsed.as_secs_f64());
    tracing::info!(%method, route = &*route, %status, latency_ms = elapsed.as_millis() as u64, "request");
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

fn status_label(status: StatusCode) -> metrics::SharedString {
    let common = match status.as_u16() {
        200 => "200",
        201 => "201",
        400 => "400",
        404 => "404",
        406 => "406",
        410 => "410",
        413 => "413",
        422 => "422",
        429 => "429",
        500 => "500",
        501 => "501",
        503 => "503",
        _ => return metrics::SharedString::from(status.as_u16().to_string()),
    };
    metrics::SharedString::const_str(common)
}

/// Refuses a client past its rate with 429 and a problem object; ledger
/// appends (`POST /ledger/v1/entries`) also count against the append quota.
pub async fn rate_limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let is_append = request.method() == Method::POST && request.uri().path() == "/ledger/v1/entries";
    let append = state.append_rate.as_deref().filter(|_| is_append);
    for (limiter, what) in [(state.rate.as_deref(), "requests"), (append, "ledger appends")] {
        if let Some(refused) = limiter.and_then(|l| refuse(l, &request, what)) {
            return refused;
        }
    }
    next.run(request).await
}

/// The 429 answer when `limiter` has no token for the client of `request`
/// (`what` names what it counts).
fn refuse(limiter: &RateLimiter, request: &Request, what: &str) -> Option<Response> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let wait = limiter.check(peer, request.headers()).err()?;
    metrics::counter!("didam_rate_limited_total").increment(1);
    let mut response = problem::plain(
        StatusCode::TOO_MANY_REQUESTS,
        "urn:didam:problem:rate-limited",
        "Too many requests",
        &format!("this client sent more {what} than the daemon's rate limit allows; retry later"),
    );
    if let Ok(v) = HeaderValue::from_str(&wait.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(response)
}

/// Answers 503 with a problem object when the request is not answered within
/// `limit` (the handler is dropped).
pub async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("didam_timeouts_total").increment(1);
            problem::plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "urn:didam:problem:timeout",
                "Request timed out",
                &format!("the request was not answered within {} ms; retry later", limit.as_millis()),
            )
        }
    }
}

/// The answer for routes that do not exist.
pub async fn not_found() -> Response {
    problem::plain(StatusCode::NOT_FOUND, "about:blank", "Not Found", "no such route")
}

/// The OpenAPI document's paths with their methods, sorted (for tests and
/// tools that check the document against the routes).
pub fn documented_routes(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out.sort();
    out
}
