//! The ledger API (`/ledger/v1/…`) for remote registry clients such as
//! [`didam_ledger::HttpLedger`]. The shapes and the error mapping live in
//! [`didam_ledger::http`], shared with the client.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use didam_credential::{Did, InvalidDid};
use didam_ledger::http::{
    LedgerProblem, LogBody, LogEntryBody, ProofBody, ReceiptBody, SizeBody, TipProofBody, problem,
};
use didam_ledger::{Ledger as _, LedgerError, SignedCheckpoint};
use didam_method::LogEntry;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::state::AppState;

/// A ledger API error answer: the problem object, with its status.
#[derive(Debug)]
pub struct ApiError(pub LedgerProblem);

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let p = LedgerProblem::from_error(&e);
        if p.status >= 500 {
            // The error may name the DID: debug level only.
            tracing::warn!(status = p.status, "ledger error (details at debug level)");
            tracing::debug!(error = %e, "ledger error");
        }
        Self(p)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.0)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// A 400 problem: the request cannot be read as `title` says.
fn bad_request(title: &str, e: &dyn std::error::Error) -> ApiError {
    ApiError(LedgerProblem::new(problem::BAD_REQUEST, 400, title, e.to_string()))
}

/// The answer to a `/dids/{did}/…` path that names no DID.
fn not_a_did(e: InvalidDid) -> ApiError {
    bad_request("Not a DID", &e)
}

fn no_checkpoint(detail: &str) -> ApiError {
    ApiError(LedgerProblem::new(problem::NO_CHECKPOINT, 404, "No checkpoint", detail))
}

/// The latest checkpoint; a 404 problem while the ledger has none.
async fn latest_checkpoint(state: &AppState) -> Result<SignedCheckpoint, ApiError> {
    state.ledger.latest_checkpoint().await?.ok_or_else(|| no_checkpoint("no checkpoint yet"))
}

/// Submits a DID log entry. Idempotent: re-submitting an accepted entry
/// returns its receipt with `duplicate: true` (200).
#[utoipa::path(
    post,
    path = "/ledger/v1/entries",
    tag = "Ledger",
    request_body(content = Object, description = "A DID log entry (did:webvh 1.0 structure)", content_type = "application/json"),
    responses(
        (status = 201, description = "Appended", body = ReceiptBody),
        (status = 200, description = "Already appended (a retry)", body = ReceiptBody),
        (status = 400, description = "Not a JSON log entry (no DID in `state.id`, no `n-hash` versionId, …)", content_type = "application/problem+json", body = LedgerProblem),
        (status = 401, description = "With `--ledger-appends authenticated`: no or invalid credentials", content_type = "application/problem+json", body = Object),
        (status = 403, description = "With `--ledger-appends authenticated`: credentials without the `ledger-append` scope", content_type = "application/problem+json", body = Object),
        (status = 404, description = "A later entry of a DID the ledger does not hold", content_type = "application/problem+json", body = LedgerProblem),
        (status = 409, description = "Does not follow the DID's tip", content_type = "application/problem+json", body = LedgerProblem),
        (status = 413, description = "The entry or its DID document is larger than the ledger admits (`--max-entry-bytes`, `--max-document-bytes`)", content_type = "application/problem+json", body = LedgerProblem),
        (status = 422, description = "Does not verify, or the DID's log would exceed `--max-log-entries` / `--max-log-bytes`", content_type = "application/problem+json", body = LedgerProblem),
        (status = 429, description = "Past the client's append rate (`--append-rate-limit`); see `Retry-After`", content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; retry", content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn submit(
    State(state): State<Arc<AppState>>,
    presented: crate::auth::Presented,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if let Err(denied) = state.auth.authorize_append(&presented).await {
        return Ok(denied.into_response());
    }
    let entry: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| bad_request("Not a JSON entry", &e))?;
    let entry = LogEntry::parse(entry).map_err(|e| bad_request("Not a log entry", &e))?;
    let receipt = state.ledger.append(&entry).await?;
    let status = if receipt.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    if !receipt.duplicate {
        state.appended.notify_one();
    }
    Ok((status, Json(ReceiptBody::from(receipt))).into_response())
}

/// A DID's log, oldest entry first (including entries not yet checkpointed).
#[utoipa::path(
    get,
    path = "/ledger/v1/dids/{did}/log",
    tag = "Ledger",
    params(("did" = String, Path, description = "The DID")),
    responses(
        (status = 200, body = LogBody),
        (status = 400, description = "Not a DID", content_type = "application/problem+json", body = LedgerProblem),
        (status = 404, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn log(
    State(state): State<Arc<AppState>>,
    Path(did): Path<String>,
) -> Result<Json<LogBody>, ApiError> {
    let entries = state.ledger.log(&Did::parse(&did).map_err(not_a_did)?).await?;
    let entries =
        entries.into_iter().map(|e| LogEntryBody { line: e.line, leaf_index: e.leaf_index }).collect();
    Ok(Json(LogBody { did, entries }))
}

/// A DID's verified state after its latest entry (the ledger's `DidState`:
/// `did`, `scid`, `version_id`, `version_number`, `entry_hash`,
/// `version_time`, `created`, `parameters`, `document`, `deactivated`).
#[utoipa::path(
    get,
    path = "/ledger/v1/dids/{did}/tip",
    tag = "Ledger",
    params(("did" = String, Path, description = "The DID")),
    responses(
        (status = 200, body = Object),
        (status = 400, description = "Not a DID", content_type = "application/problem+json", body = LedgerProblem),
        (status = 404, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn tip(State(state): State<Arc<AppState>>, Path(did): Path<String>) -> Result<Response, ApiError> {
    let tip = state.ledger.tip(&Did::parse(&did).map_err(not_a_did)?).await?;
    Ok(Json(tip).into_response())
}

/// A tree size.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// The checkpoint's tree size (default: the latest checkpoint).
    pub size: Option<u64>,
}

/// A DID's record in a checkpoint's tips tree (any checkpoint the ledger
/// signed), with its proof: the siblings of its path, root first.
#[utoipa::path(
    get,
    path = "/ledger/v1/dids/{did}/tip-proof",
    tag = "Ledger",
    params(("did" = String, Path, description = "The DID"), SizeQuery),
    responses(
        (status = 200, body = TipProofBody),
        (status = 400, description = "Not a DID", content_type = "application/problem+json", body = LedgerProblem),
        (status = 404, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn tip_proof(
    State(state): State<Arc<AppState>>,
    Path(did): Path<String>,
    Query(q): Query<SizeQuery>,
) -> Result<Json<TipProofBody>, ApiError> {
    let did = Did::parse(&did).map_err(not_a_did)?;
    let size = match q.size {
        Some(size) => size,
        None => latest_checkpoint(&state).await?.size,
    };
    Ok(Json(state.ledger.tip_proof(&did, size).await?.into()))
}

/// The number of leaves in the tree.
#[utoipa::path(get, path = "/ledger/v1/size", tag = "Ledger", responses((status = 200, body = SizeBody)))]
pub async fn size(State(state): State<Arc<AppState>>) -> Result<Json<SizeBody>, ApiError> {
    Ok(Json(SizeBody { size: state.ledger.size().await? }))
}

/// A leaf's data (the entry's JCS bytes).
#[utoipa::path(
    get,
    path = "/ledger/v1/leaves/{index}",
    tag = "Ledger",
    params(("index" = u64, Path, description = "Leaf index")),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn leaf(State(state): State<Arc<AppState>>, Path(index): Path<u64>) -> Result<Response, ApiError> {
    let data = state.ledger.leaf(index).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], data).into_response())
}

/// Parameters of an inclusion proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// Leaf index.
    pub index: u64,
    /// Tree size.
    pub size: u64,
}

/// An RFC 9162 inclusion proof.
#[utoipa::path(
    get,
    path = "/ledger/v1/proofs/inclusion",
    tag = "Ledger",
    params(InclusionQuery),
    responses(
        (status = 200, body = ProofBody),
        (status = 400, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn inclusion(
    State(state): State<Arc<AppState>>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<ProofBody>, ApiError> {
    Ok(Json(ProofBody::new(&state.ledger.inclusion_proof(q.index, q.size).await?)))
}

/// Parameters of a consistency proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Old tree size.
    pub old: u64,
    /// New tree size.
    pub new: u64,
}

/// An RFC 9162 consistency proof.
#[utoipa::path(
    get,
    path = "/ledger/v1/proofs/consistency",
    tag = "Ledger",
    params(ConsistencyQuery),
    responses(
        (status = 200, body = ProofBody),
        (status = 400, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn consistency(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<ProofBody>, ApiError> {
    Ok(Json(ProofBody::new(&state.ledger.consistency_proof(q.old, q.new).await?)))
}

/// The latest checkpoint: a C2SP signed note.
#[utoipa::path(
    get,
    path = "/ledger/v1/checkpoint",
    tag = "Ledger",
    responses(
        (status = 200, content_type = "text/plain", body = String),
        (status = 404, content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn checkpoint(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(text(latest_checkpoint(&state).await?.note))
}

/// The checkpoint verifier key (`<origin>+<key id>+<key>`), for clients to pin.
#[utoipa::path(
    get,
    path = "/ledger/v1/key",
    tag = "Ledger",
    responses(
        (status = 200, content_type = "text/plain", body = String),
        (status = 404, description = "The daemon signs no checkpoints", content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn key(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let verifier =
        state.verifier.as_ref().ok_or_else(|| no_checkpoint("this daemon has no checkpoint key"))?;
    Ok(text(verifier.to_vkey()))
}

/// The ML-DSA-44 checkpoint key (`<origin>+<key id>+<base64(0x06 || key)>`,
/// C2SP tlog-cosignature), when the daemon's checkpoints carry an ML-DSA-44
/// signature, for clients to pin.
#[utoipa::path(
    get,
    path = "/ledger/v1/key/ml-dsa-44",
    tag = "Ledger",
    responses(
        (status = 200, content_type = "text/plain", body = String),
        (status = 404, description = "The daemon signs no ML-DSA-44 checkpoint signatures", content_type = "application/problem+json", body = LedgerProblem),
    )
)]
pub async fn pq_key(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let verifier = state
        .pq_verifier
        .as_ref()
        .ok_or_else(|| no_checkpoint("this daemon signs no ML-DSA-44 checkpoint signatures"))?;
    Ok(text(verifier.to_vkey()))
}
