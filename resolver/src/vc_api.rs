//! The W3C CCG VC API: `POST /credentials/verify`, `POST
//! /presentations/verify`, `POST /credentials/derive` ([`derive`](mod@derive): a
//! holder's `ecdsa-sd-2023` or `bbs-2023` disclosure) and, with an issuer wallet, `POST
//! /credentials/issue` ([`issue`]).
//!
//! Steps of a verification:
//! 1. read the body (`{verifiableCredential, options}` or
//!    `{verifiablePresentation, options: {challenge, domain}}`): malformed
//!    input is a 400 problem object;
//! 2. take a place in the verification pool ([`VerifyPool`]) in the lane the
//!    document's shape picks ([`Lane::of`]: a credential within
//!    [`Lane::LIGHT`] runs in the light lane, anything larger, deeper or with
//!    more blank nodes in the heavy lane, with half the workers at a lower
//!    CPU priority): at most `--verify-workers` light verifications at once,
//!    each on its own thread, never on the blocking pool DID resolution uses;
//!    up to `--verify-queue` more wait for a worker within their time limit;
//!    a full lane and queue is a 503 problem with `Retry-After`; a request
//!    that times out or whose client goes away gives up its place or
//!    abandons its verification (at its next await or step);
//! 3. verify with [`didam_verifier::Verifier`] ([`VcVerifier`]: the policy of
//!    `--policy`, else [`VcVerifier::default_policy`], the data model's rules), keys resolved through the daemon's
//!    own resolver ([`DaemonMethods`]), status lists dereferenced by DID URL
//!    from the ledger (proofs checked, never cached: a revocation counts once
//!    checkpointed) or fetched over HTTPS (loopback only with
//!    `--status-allow-loopback`; cached up to `--status-cache-secs`, 60 s by
//!    default, within their `ttl` and `validUntil`); a list whose bytes were
//!    verified before, for the same issuer, within that bound is not verified
//!    again (the verifier's cache of verified lists,
//!    [`didam_verifier::status::verified`]; `/metrics`:
//!    `didam_status_list_cache_hits_total`, `..._misses_total`);
//! 4. answer `{verified, checks, warnings, errors, report}`: 200 only when
//!    verified, 422 when a check failed or the input could not be checked
//!    because of what it says (unknown DID, context, suite, a document over
//!    the engine's limits; 413 over its size limit), 502 when a
//!    resolution failed on our side. A client that reads only the status
//!    cannot mistake a failure for a success.
//!
//! See: <https://w3c-ccg.github.io/vc-api/>
//!
//! [`DaemonMethods`]: crate::methods::DaemonMethods

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use didam_credential::limits::Limit;
use didam_credential::{CheckKind, Error, Outcome, Report, ResolveError};
use didam_registry::web::WebLimits;
use didam_verifier::{NetworkOptions, NetworkStatusSource, Policy, StatusListCacheOptions, Verifier};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::config::Config;
use crate::methods::DaemonMethods;
use crate::problem;
use crate::state::AppState;
use crate::status_files::DaemonStatusSource;

pub mod derive;
pub mod issue;
mod pool;

pub use pool::{HEAVY_NICE, Lane, PoolError, VerifyPool};

/// The VC API's verifier: the daemon's resolver for keys and status lists,
/// the configured policy (an axum extension set by [`crate::app()`]).
#[derive(Debug)]
pub struct VcVerifier {
    verifier: Verifier<DaemonMethods, DaemonStatusSource>,
    pool: VerifyPool,
}

impl VcVerifier {
    /// The verifier of `state`'s resolver under `config`'s policy; the
    /// daemon's own status lists are read from `--status-dir`.
    pub fn new(state: &AppState, config: &Config) -> Self {
        let limits = WebLimits {
            connect_timeout: Duration::from_millis(config.web.connect_timeout_ms),
            timeout: Duration::from_millis(config.web.timeout_ms),
            max_bytes: config.web.max_bytes,
        };
        let bound = Duration::from_secs(config.cache.status_list_secs);
        let lists = usize::try_from(config.cache.status_lists).unwrap_or(usize::MAX);
        let options = NetworkOptions::default()
            .with_limits(limits)
            .allow_loopback(config.status_allow_loopback)
            .with_cache(lists, bound);
        let verified = StatusListCacheOptions::default()
            .with_max_age(bound)
            .with_bounds(config.cache.status_lists, config.cache.status_list_bytes);
        let methods = DaemonMethods::new(Arc::clone(&state.resolver), state.cache.clone());
        let resolver = Arc::clone(&state.resolver);
        let network = NetworkStatusSource::new(Arc::clone(&resolver), &options).unwrap_or_else(|e| {
            tracing::error!(error = %e, "no HTTPS status lists: the HTTP client cannot be built");
            NetworkStatusSource::ledger_only(resolver)
        });
        let source =
            DaemonStatusSource::new(config.status_url.as_deref(), config.status_dir.as_deref(), network);
        let policy = config.vc_policy.clone().unwrap_or_else(Self::default_policy);
        let verifier = Verifier::new(methods)
            .with_status_source(source)
            .with_policy(policy)
            .with_status_list_cache(verified);
        Self { verifier, pool: VerifyPool::new(config.verify_workers, config.verify_queue()) }
    }

    /// The policy without `--policy`: what the data model requires, and no
    /// more. A presentation's holder need not be the subject of the
    /// credentials it holds (the data model allows a holder to present a
    /// credential about someone else); a policy file with
    /// `holder_must_be_subject = true` asks for it. A presentation must be
    /// verified against a challenge (`options.challenge`): without one its
    /// `replay-protection` check fails, unless a policy file says
    /// `require_challenge = false`.
    ///
    /// See: <https://www.w3.org/TR/vc-data-model-2.0/#subject-holder-relationships>
    pub fn default_policy() -> Policy {
        let mut policy = Policy::default();
        policy.holder_must_be_subject = false;
        policy
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier<DaemonMethods, DaemonStatusSource> {
        &self.verifier
    }
}

const INVALID_REQUEST: &str = "urn:didam:problem:vc-api:invalid-request";

/// A 400 answer: the request is not what the endpoint reads.
fn bad_request(detail: impl AsRef<str>) -> Response {
    problem::plain(StatusCode::BAD_REQUEST, INVALID_REQUEST, "Invalid request", detail.as_ref())
}

/// A 500 answer: our fault, logged by the caller.
fn internal_error(detail: &str) -> Response {
    problem::plain(StatusCode::INTERNAL_SERVER_ERROR, "about:blank", "Internal error", detail)
}

/// Parses a JSON body, or says why it is not `shape` (for a 400).
fn parse<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("expected {shape}: {e}"))
}

/// The body of `POST /credentials/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyCredentialRequest {
    /// The credential: a JSON-LD object with embedded proofs, or a string
    /// (`vc+jwt`, SD-JWT, enveloped).
    #[schema(value_type = Object)]
    pub verifiable_credential: Value,
    /// Verification options (none are needed for a credential; any given are
    /// ignored and named in `warnings`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: Map<String, Value>,
}

/// The body of `POST /presentations/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyPresentationRequest {
    /// The presentation (object or string).
    #[schema(value_type = Object)]
    pub verifiable_presentation: Value,
    /// `challenge` and `domain` (strings) the presentation's proof must
    /// carry; other options are ignored and named in `warnings`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: Map<String, Value>,
}

/// What is being verified.
enum Subject {
    Credential,
    Presentation { challenge: Option<String>, domain: Option<String> },
}

/// A warning for each option in `options` other than `known`.
fn ignored_options(options: &Map<String, Value>, known: &[&str]) -> Vec<Value> {
    options
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            json!({
                "type": "urn:didam:problem:vc-api:option-ignored",
                "title": "Option ignored",
                "detail": format!("option `{k}` is not supported here and was ignored"),
            })
        })
        .collect()
}

/// The string option `name`, if present.
fn string_option(options: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("options.{name} must be a string, not {other}")),
    }
}

/// The text the verifier reads: a JSON document as JSON, a string as a
/// secured string (compact JWS, SD-JWT, COSE). A JSON document sent as a
/// string is refused (a 400): the VC API carries credentials as objects, and
/// a verifier must not read a string as a document of another kind.
///
/// See: <https://w3c-ccg.github.io/vc-api/#verify-credential>
fn text_of(value: &Value, field: &str) -> Result<String, Box<Response>> {
    match value {
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => Err(Box::new(bad_request(format!(
            "`{field}` is a string holding JSON; send a JSON document as an object (strings are for JWS, SD-JWT and COSE)"
        )))),
        Value::String(s) => Ok(s.clone()),
        other => Ok(other.to_string()),
    }
}

/// The problem type of a failed check (VC Data Model 2.0 and Data Integrity
/// error types where one fits).
fn check_type(kind: CheckKind) -> String {
    let security = |name: &str| format!("https://w3id.org/security#{name}");
    let vcdm = |name: &str| format!("https://www.w3.org/TR/vc-data-model#{name}");
    match kind {
        CheckKind::Proof => security("MALFORMED_PROOF_ERROR"),
        CheckKind::Signature
        | CheckKind::KeyAuthorization
        | CheckKind::ProofPurpose
        | CheckKind::IssuerKey
        | CheckKind::KeyBinding
        | CheckKind::Disclosures => security("PROOF_VERIFICATION_ERROR"),
        CheckKind::Challenge => security("INVALID_CHALLENGE_ERROR"),
        CheckKind::Domain => security("INVALID_DOMAIN_ERROR"),
        CheckKind::ProofCreated | CheckKind::ProofExpires | CheckKind::ValidFrom | CheckKind::ValidUntil => {
            vcdm("RANGE_ERROR")
        }
        CheckKind::DataModel => vcdm("MALFORMED_VALUE_ERROR"),
        other => format!("urn:didam:problem:check:{}", other.name()),
    }
}

/// The VC API answer of a report: 200 when valid, 422 otherwise. Checks the
/// policy let pass with a warning ([`Outcome::Warning`], such as a key not
/// bound to the issuer under `issuer_key_binding = "warn"`) are added to
/// `warnings`.
fn report_response(report: &Report, mut warnings: Vec<Value>) -> Response {
    warnings.extend(report.checks.iter().filter(|c| c.outcome == Outcome::Warning).map(|c| {
        json!({
            "type": format!("urn:didam:problem:check:{}", c.check.name()),
            "title": c.check.name(),
            "detail": c.detail,
        })
    }));
    let mut passed: Vec<&str> = Vec::new();
    for c in report.checks.iter().filter(|c| c.outcome == Outcome::Passed) {
        if !passed.contains(&c.check.name()) {
            passed.push(c.check.name());
        }
    }
    let errors: Vec<Value> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| json!({ "type": check_type(c.check), "title": c.check.name(), "detail": c.detail }))
        .collect();
    let status = if report.is_valid() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = json!({
        "verified": report.is_valid(),
        "checks": passed,
        "warnings": warnings,
        "errors": errors,
        "report": report,
    });
    (status, Json(body)).into_response()
}

/// The answer when the input could not be checked.
fn error_response(e: &Error, warnings: Vec<Value>) -> Response {
    let (status, problem_type) = match e {
        Error::Json(_) | Error::UnreadableInput(_) => {
            return bad_request(format!("the document cannot be read: {e}"));
        }
        Error::Limit(limit) if limit.what == Limit::Bytes => {
            (StatusCode::PAYLOAD_TOO_LARGE, "urn:didam:problem:vc-api:limit-exceeded")
        }
        Error::Limit(_) => (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:limit-exceeded"),
        Error::Resolve(ResolveError::Internal { .. }) => {
            (StatusCode::BAD_GATEWAY, "urn:didam:problem:vc-api:resolution-failed")
        }
        Error::Resolve(_) => (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:unresolvable-key"),
        Error::UnknownContext { .. } | Error::JsonLd(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "https://www.w3.org/TR/vc-data-model#PARSING_ERROR")
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:cannot-verify"),
    };
    let mut error = json!({ "type": problem_type, "title": "Cannot verify", "detail": e.to_string() });
    if let Error::Limit(limit) = e {
        error["limit"] = json!({ "what": limit.what.name(), "limit": limit.limit, "found": limit.found });
    }
    let body = json!({ "verified": false, "checks": [], "warnings": warnings, "errors": [error] });
    (status, Json(body)).into_response()
}

/// Verifies in the pool (the engine's futures are not `Send`: each runs on
/// its worker thread), keys resolved through the daemon.
async fn verify(
    vc: &Arc<VcVerifier>,
    text: String,
    lane: Lane,
    subject: Subject,
    warnings: Vec<Value>,
) -> Response {
    let worker = Arc::clone(vc);
    let outcome = vc
        .pool
        .run(lane, move |cancel| async move {
            let verifier = worker.verifier();
            match subject {
                Subject::Credential => verifier.verify_credential_cancellable(&text, &cancel).await,
                Subject::Presentation { challenge, domain } => {
                    let (c, d) = (challenge.as_deref(), domain.as_deref());
                    verifier.verify_presentation_cancellable(&text, c, d, &cancel).await
                }
            }
        })
        .await;
    let stats = vc.verifier.status_list_cache_stats();
    metrics::counter!("didam_status_list_cache_hits_total").absolute(stats.hits);
    metrics::counter!("didam_status_list_cache_misses_total").absolute(stats.misses);
    match outcome {
        Ok(Ok(report)) => report_response(&report, warnings),
        Ok(Err(e)) => error_response(&e, warnings),
        Err(PoolError::Full { .. }) => pool::busy(&vc.pool, lane),
        Err(e) => {
            tracing::error!(error = %e, "the verification task failed");
            internal_error("the verification failed; see the daemon's log")
        }
    }
}

/// Verifies a credential.
#[utoipa::path(
    post,
    path = "/credentials/verify",
    tag = "VC API",
    request_body(content = VerifyCredentialRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Verified: `{verified: true, checks, warnings, errors: [], report}`", body = Object),
        (status = 400, description = "Malformed request or credential", content_type = "application/problem+json", body = Object),
        (status = 422, description = "Not verified: `{verified: false, errors: [{type, title, detail}], …}`", body = Object),
        (status = 413, description = "The document is larger than the engine's size limit", body = Object),
        (status = 502, description = "A DID could not be resolved on the daemon's side", body = Object),
        (status = 503, description = "Every verification worker is busy and the wait queue is full (`Retry-After`), or the request timed out", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn verify_credential(
    State(_state): State<Arc<AppState>>,
    Extension(vc): Extension<Arc<VcVerifier>>,
    body: axum::body::Bytes,
) -> Response {
    let request: VerifyCredentialRequest =
        match parse(&body, "{\"verifiableCredential\": …, \"options\": {…}}") {
            Ok(r) => r,
            Err(detail) => return bad_request(detail),
        };
    let warnings = ignored_options(&request.options, &[]);
    let text = match text_of(&request.verifiable_credential, "verifiableCredential") {
        Ok(text) => text,
        Err(response) => return *response,
    };
    let lane = Lane::of(&request.verifiable_credential, &text);
    verify(&vc, text, lane, Subject::Credential, warnings).await
}

/// Verifies a presentation, with the challenge and domain its proof must carry.
#[utoipa::path(
    post,
    path = "/presentations/verify",
    tag = "VC API",
    request_body(content = VerifyPresentationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Verified (the presentation and every credential in it)", body = Object),
        (status = 400, description = "Malformed request or presentation", content_type = "application/problem+json", body = Object),
        (status = 422, description = "Not verified (wrong challenge or domain, a failed credential, …)", body = Object),
        (status = 413, description = "The document is larger than the engine's size limit", body = Object),
        (status = 502, description = "A DID could not be resolved on the daemon's side", body = Object),
        (status = 503, description = "Every verification worker is busy and the wait queue is full (`Retry-After`), or the request timed out", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn verify_presentation(
    State(_state): State<Arc<AppState>>,
    Extension(vc): Extension<Arc<VcVerifier>>,
    body: axum::body::Bytes,
) -> Response {
    let shape = "{\"verifiablePresentation\": …, \"options\": {\"challenge\": …, \"domain\": …}}";
    let request: VerifyPresentationRequest = match parse(&body, shape) {
        Ok(r) => r,
        Err(detail) => return bad_request(detail),
    };
    let options = &request.options;
    let (challenge, domain) = match (string_option(options, "challenge"), string_option(options, "domain")) {
        (Ok(c), Ok(d)) => (c, d),
        (Err(detail), _) | (_, Err(detail)) => return bad_request(detail),
    };
    let warnings = ignored_options(options, &["challenge", "domain"]);
    let text = match text_of(&request.verifiable_presentation, "verifiablePresentation") {
        Ok(text) => text,
        Err(response) => return *response,
    };
    let lane = Lane::of(&request.verifiable_presentation, &text);
    verify(&vc, text, lane, Subject::Presentation { challenge, domain }, warnings).await
}
