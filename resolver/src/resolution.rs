//! The W3C DID Resolution HTTP(S) binding: `GET`/`POST
//! /1.0/identifiers/{did}`, `POST /1.0/identifiers`, `GET /1.0/methods`.
//!
//! Steps of a request:
//! 1. choose the representation from `Accept` (406 when none fits);
//! 2. read the DID from the raw request path (URL-decoded when it arrives
//!    encoded, `did%3A…`), split off a DID URL's path, query and fragment
//!    (dereferencing is not supported);
//! 3. read the options (`versionId`, `versionTime`, `noCache`) from the query
//!    string or the POST body;
//! 4. resolve through the cache, and answer with the status the binding
//!    gives (410 for a deactivated DID, with the result).
//!
//! See: <https://www.w3.org/TR/did-resolution/#bindings-https>

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::cache::Resolved;
use crate::problem::Problem;
pub use crate::request::{DID_RESOLUTION, Representation, ResolutionRequest, ResolveRequest};
use crate::state::AppState;

/// Resolution options of the query string.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ResolutionQuery {
    /// The version to resolve (`<n>-<entryHash>`); not with `versionTime`.
    pub version_id: Option<String>,
    /// Resolve the version current at this time (XSD dateTime); not with `versionId`.
    pub version_time: Option<String>,
    /// `true` to bypass the cache.
    pub no_cache: Option<String>,
}

async fn answer(state: &AppState, request: Result<ResolutionRequest, Problem>) -> Response {
    let request = match request {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    match state.cache.resolve(&state.resolver, &request.did, &request.options, request.no_cache).await {
        Ok(resolution) => respond(&resolution, request.representation),
        Err(e) => Problem::from_error(&e).into_response(),
    }
}

/// The answer of a resolved request: the cached serialized representation,
/// 410 for a deactivated DID.
fn respond(resolved: &Resolved, representation: Representation) -> Response {
    let (body, content_type) = match representation {
        Representation::Result => (resolved.result_json(), DID_RESOLUTION),
        Representation::Document(media) => (resolved.document_json(), media),
    };
    let mut response = Response::new(Body::from(body));
    if resolved.deactivated() {
        *response.status_mut() = StatusCode::GONE;
    }
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Resolves a DID.
#[utoipa::path(
    get,
    path = "/1.0/identifiers/{did}",
    tag = "DID Resolution",
    params(
        ("did" = String, Path, description = "The DID, URL-encoded when options are given"),
        ("Accept" = Option<String>, Header, description = "application/did-resolution (default), application/did or application/did+ld+json"),
        ResolutionQuery,
    ),
    responses(
        (status = 200, description = "The DID resolution result (or the document alone)", content_type = "application/did-resolution", body = Object),
        (status = 400, description = "INVALID_DID or INVALID_OPTIONS", content_type = "application/problem+json", body = Object),
        (status = 404, description = "NOT_FOUND", content_type = "application/problem+json", body = Object),
        (status = 406, description = "REPRESENTATION_NOT_SUPPORTED", content_type = "application/problem+json", body = Object),
        (status = 410, description = "Deactivated: the result, with `deactivated: true` metadata", content_type = "application/did-resolution", body = Object),
        (status = 500, description = "INTERNAL_ERROR or INVALID_DID_DOCUMENT", content_type = "application/problem+json", body = Object),
        (status = 501, description = "METHOD_NOT_SUPPORTED or FEATURE_NOT_SUPPORTED", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn get_identifier(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    answer(&state, ResolutionRequest::from_get(&uri, &headers)).await
}

/// Resolves a DID, options in the body (a JSON object of resolution options).
#[utoipa::path(
    post,
    path = "/1.0/identifiers/{did}",
    tag = "DID Resolution",
    params(("did" = String, Path, description = "The DID")),
    request_body(content = Object, description = "Resolution options", content_type = "application/json"),
    responses(
        (status = 200, description = "As for GET", content_type = "application/did-resolution", body = Object),
        (status = 400, description = "As for GET", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn post_identifier(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    answer(&state, ResolutionRequest::from_post(&uri, &headers, &body)).await
}

/// Resolves the DID named in the body.
#[utoipa::path(
    post,
    path = "/1.0/identifiers",
    tag = "DID Resolution",
    request_body(content = Object, description = "`{\"did\": …, \"options\": {…}}`: the DID, and resolution options as for POST with the DID in the path", content_type = "application/json"),
    responses(
        (status = 200, description = "As for GET", content_type = "application/did-resolution", body = Object),
        (status = 400, description = "As for GET", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn post_identifiers(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    answer(&state, ResolutionRequest::from_body(&headers, &body)).await
}

/// The DID methods this daemon resolves.
#[utoipa::path(
    get,
    path = "/1.0/methods",
    tag = "DID Resolution",
    responses((status = 200, description = "Method names, e.g. [\"key\", \"jwk\", \"didam\", \"web\", \"webvh\"]", body = [String]))
)]
pub async fn methods(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(state.resolver.methods()))
}
