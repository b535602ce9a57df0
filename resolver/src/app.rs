//! The router: every route with its OpenAPI annotation (the document is
//! built from the same list, so the two cannot drift apart), then the
//! middleware: request tracking, time limit (a 503 problem object), body
//! limit, rate limit.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Config;
use crate::state::AppState;
use crate::{auth, ledger_api, ops, resolution, status_files, vc_api};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "didam-resolver",
        description = "W3C DID Resolution HTTP binding, the W3C CCG VC API (verify, issue), and the ledger API of the didam registry"
    ),
    tags(
        (name = "DID Resolution", description = "https://www.w3.org/TR/did-resolution/#bindings-https"),
        (name = "VC API", description = "https://w3c-ccg.github.io/vc-api/"),
        (name = "Ledger", description = "The ledger for remote registry clients (didam_ledger::HttpLedger)"),
        (name = "Operations", description = "Health, metrics, this document"),
    )
)]
struct ApiDoc;

/// The routes and their OpenAPI document.
fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(resolution::get_identifier, resolution::post_identifier))
        .routes(routes!(resolution::post_identifiers))
        .routes(routes!(resolution::methods))
        .routes(routes!(vc_api::verify_credential))
        .routes(routes!(vc_api::verify_presentation))
        .routes(routes!(vc_api::issue::issue_credential))
        .routes(routes!(vc_api::derive::derive_credential))
        .routes(routes!(auth::oauth::token))
        .routes(routes!(status_files::get_status))
        .routes(routes!(ledger_api::submit))
        .routes(routes!(ledger_api::log))
        .routes(routes!(ledger_api::tip))
        .routes(routes!(ledger_api::tip_proof))
        .routes(routes!(ledger_api::size))
        .routes(routes!(ledger_api::leaf))
        .routes(routes!(ledger_api::inclusion))
        .routes(routes!(ledger_api::consistency))
        .routes(routes!(ledger_api::checkpoint))
        .routes(routes!(ledger_api::key))
        .routes(routes!(ledger_api::pq_key))
        .routes(routes!(ops::health))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi))
}

/// The OpenAPI 3.1 document of [`app`]'s routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// The daemon's router over `state`.
pub fn app(state: Arc<AppState>, config: &Config) -> Router {
    let (router, api) = routes().split_for_parts();
    let _ = state.openapi.set(api.to_json().unwrap_or_else(|_| "{}".to_owned()));
    let vc = Arc::new(vc_api::VcVerifier::new(&state, config));
    let files = status_files::StatusFiles { dir: config.status_dir.clone() };
    router
        .layer(axum::Extension(vc))
        .layer(axum::Extension(files))
        .fallback(ops::not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), ops::rate_limit))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(middleware::from_fn_with_state(config.request_timeout(), ops::time_limit))
        .layer(middleware::from_fn(ops::track))
        .with_state(state)
}
