//! `POST /credentials/derive`: a holder's selective disclosure of an
//! `ecdsa-sd-2023` or `bbs-2023` credential.
//!
//! Steps: read the body (`{verifiableCredential, options: {selectivePointers}}`;
//! a malformed request, or pointers that are not JSON pointers or repeat
//! one, are a 400 problem document) → take a place in the verification pool
//! (deriving canonicalizes the credential, as verifying does: a full pool is
//! a 503) → derive with the engine ([`didam_credential::selective::derive`]):
//! a credential without a base proof, a pointer into nothing, a base proof
//! that does not fit the credential, a document over the engine's limits
//! are 422 problem documents (413 over its size limit) → answer 201
//! `{"verifiableCredential": …}`. Deriving uses no secret (the base proof
//! carries what it needs), so no authentication is asked.
//!
//! See: <https://w3c-ccg.github.io/vc-api/#derive-credential>

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use didam_credential::limits::{Limit, Limits};
use didam_credential::selective::{self, JsonPointer};
use didam_credential::{Error, SelectiveError};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{Lane, PoolError, VcVerifier, bad_request, internal_error, parse, pool};
use crate::problem;
use crate::state::AppState;

/// The body of `POST /credentials/derive`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeriveRequest {
    /// The credential with its `ecdsa-sd-2023` or `bbs-2023` base proof.
    #[schema(value_type = Object)]
    pub verifiable_credential: Value,
    /// What to disclose.
    #[serde(default)]
    pub options: DeriveOptions,
}

/// Options of a derive request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeriveOptions {
    /// JSON pointers to disclose besides the issuer's mandatory ones.
    #[serde(default)]
    pub selective_pointers: Vec<String>,
}

/// The answer when the credential cannot be derived from.
fn derive_error(e: &Error) -> Response {
    let (status, problem_type) = match e {
        Error::Limit(limit) if limit.what == Limit::Bytes => {
            (StatusCode::PAYLOAD_TOO_LARGE, "urn:didam:problem:vc-api:limit-exceeded")
        }
        Error::Limit(_) => (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:limit-exceeded"),
        Error::Selective(SelectiveError::PointerNotFound(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:pointer-not-found")
        }
        Error::Selective(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "https://w3id.org/security#PROOF_GENERATION_ERROR")
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"),
    };
    problem::plain(status, problem_type, "Cannot derive", &e.to_string())
}

/// Derives a credential disclosing the mandatory and the chosen claims.
#[utoipa::path(
    post,
    path = "/credentials/derive",
    tag = "VC API",
    request_body(content = DeriveRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "`{\"verifiableCredential\": {…}}` with a derived ecdsa-sd-2023 or bbs-2023 proof", body = Object),
        (status = 400, description = "Malformed request, or pointers that are not JSON pointers or repeat one", content_type = "application/problem+json", body = Object),
        (status = 413, description = "The credential is larger than the engine's size limit", content_type = "application/problem+json", body = Object),
        (status = 422, description = "No ecdsa-sd-2023 or bbs-2023 base proof, a pointer into nothing, a base proof that does not fit the credential, or a credential over the engine's limits", content_type = "application/problem+json", body = Object),
        (status = 503, description = "Every verification worker is busy (`Retry-After`)", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn derive_credential(
    State(_state): State<Arc<AppState>>,
    Extension(vc): Extension<Arc<VcVerifier>>,
    body: axum::body::Bytes,
) -> Response {
    let shape = "{\"verifiableCredential\": {…}, \"options\": {\"selectivePointers\": […]}}";
    let request: DeriveRequest = match parse(&body, shape) {
        Ok(r) => r,
        Err(detail) => return bad_request(detail),
    };
    let pointers = match JsonPointer::parse_list(&request.options.selective_pointers) {
        Ok(p) => p,
        Err(e) => return bad_request(format!("options.selectivePointers: {e}")),
    };
    if !request.verifiable_credential.is_object() {
        return bad_request(
            "`verifiableCredential` must be a JSON object with an ecdsa-sd-2023 or bbs-2023 base proof",
        );
    }
    let credential = request.verifiable_credential;
    let lane = Lane::of(&credential, &credential.to_string());
    let outcome = vc
        .pool
        .run(lane, move |_cancel| async move {
            selective::derive(&credential, &pointers, &Limits::default()).await
        })
        .await;
    match outcome {
        Ok(Ok(derived)) => {
            (StatusCode::CREATED, Json(json!({ "verifiableCredential": derived }))).into_response()
        }
        Ok(Err(e)) => derive_error(&e),
        Err(PoolError::Full { .. }) => pool::busy(&vc.pool, lane),
        Err(e) => {
            tracing::error!(error = %e, "the derive task failed");
            internal_error("deriving failed; see the daemon's log")
        }
    }
}
