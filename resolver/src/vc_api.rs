//! The W3C CCG VC API: `POST /credentials/verify`, `POST
//! /presentations/verify` and, with an issuer wallet, `POST
//! /credentials/issue`.
//!
//! Steps of a verification:
//! 1. read the body (`{verifiableCredential, options}` or
//!    `{verifiablePresentation, options: {challenge, domain}}`): malformed
//!    input is a 400 problem object;
//! 2. verify with [`didam_verifier::Verifier`] ([`VcVerifier`]: the policy of
//!    `--policy`, else [`VcVerifier::default_policy`], the data model's rules), keys resolved through the daemon's
//!    own resolver ([`DaemonMethods`]), status lists dereferenced by DID URL
//!    from the ledger (proofs checked, never cached: a revocation counts once
//!    checkpointed) or fetched over HTTPS (loopback only with
//!    `--status-allow-loopback`; cached up to 60 s, within their `ttl` and
//!    `validUntil`);
//! 3. answer `{verified, checks, warnings, errors, report}`: 200 only when
//!    verified, 422 when a check failed or the input could not be checked
//!    because of what it says (unknown DID, context, suite), 502 when a
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
use didam_credential::status_list::StatusPurpose;
use didam_credential::{CheckKind, Error, Outcome, Report, ResolveError, Suite};
use didam_registry::web::WebLimits;
use didam_verifier::{NetworkOptions, NetworkStatusSource, Policy, Verifier};
use didam_wallet::WalletError;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::config::Config;
use crate::issuer::IssueError;
use crate::methods::DaemonMethods;
use crate::problem;
use crate::state::AppState;
use crate::status_files::DaemonStatusSource;

/// The VC API's verifier: the daemon's resolver for keys and status lists,
/// the configured policy (an axum extension set by [`crate::app()`]).
#[derive(Debug)]
pub struct VcVerifier {
    verifier: Verifier<DaemonMethods, DaemonStatusSource>,
}

impl VcVerifier {
    /// Status lists kept.
    const STATUS_CACHE: usize = 1024;
    /// Longest a list is kept (less when its `ttl` or `validUntil` says so).
    const STATUS_TTL: Duration = Duration::from_secs(60);

    /// The verifier of `state`'s resolver under `config`'s policy; the
    /// daemon's own status lists are read from `--status-dir`.
    pub fn new(state: &AppState, config: &Config) -> Self {
        let limits = WebLimits {
            connect_timeout: Duration::from_millis(config.web.connect_timeout_ms),
            timeout: Duration::from_millis(config.web.timeout_ms),
            max_bytes: config.web.max_bytes,
        };
        let options = NetworkOptions::default()
            .with_limits(limits)
            .allow_loopback(config.status_allow_loopback)
            .with_cache(Self::STATUS_CACHE, Self::STATUS_TTL);
        let methods = DaemonMethods::new(Arc::clone(&state.resolver), state.cache.clone());
        let resolver = Arc::clone(&state.resolver);
        let network = NetworkStatusSource::new(Arc::clone(&resolver), &options).unwrap_or_else(|e| {
            tracing::error!(error = %e, "no HTTPS status lists: the HTTP client cannot be built");
            NetworkStatusSource::ledger_only(resolver)
        });
        let source =
            DaemonStatusSource::new(config.status_url.as_deref(), config.status_dir.as_deref(), network);
        let policy = config.vc_policy.clone().unwrap_or_else(Self::default_policy);
        Self { verifier: Verifier::new(methods).with_status_source(source).with_policy(policy) }
    }

    /// The policy without `--policy`: what the data model requires, and no
    /// more. A presentation's holder need not be the subject of the
    /// credentials it holds (the data model allows a holder to present a
    /// credential about someone else); a policy file with
    /// `holder_must_be_subject = true` asks for it.
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

/// The body of `POST /credentials/issue`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// The credential to sign (VC 1.1 or 2.0); `issuer`, when present, must
    /// be the daemon's issuer DID.
    #[schema(value_type = Object)]
    pub credential: Value,
    /// Proof options.
    #[serde(default)]
    pub options: IssueOptions,
}

/// Proof options of an issue request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueOptions {
    /// `DataIntegrityProof` (the only proof type issued), or a cryptosuite name.
    #[serde(rename = "type")]
    pub proof_type: Option<String>,
    /// `eddsa-rdfc-2022` (default), `eddsa-jcs-2022`, `ecdsa-rdfc-2019` or
    /// `ecdsa-jcs-2019`.
    pub cryptosuite: Option<String>,
    /// Same as `cryptosuite`.
    pub suite: Option<String>,
    /// Accepted and ignored (the credential's own `id` is kept).
    pub credential_id: Option<String>,
    /// Status entries to add: `{"type": "BitstringStatusListEntry",
    /// "statusPurpose": "revocation"}` (the purpose defaults to revocation),
    /// or an array of them (one per purpose).
    #[schema(value_type = Object)]
    pub credential_status: Option<Value>,
}

/// The suites `POST /credentials/issue` signs with.
const ISSUE_SUITES: [Suite; 4] =
    [Suite::EddsaRdfc2022, Suite::EddsaJcs2022, Suite::EcdsaRdfc2019, Suite::EcdsaJcs2019];

impl IssueOptions {
    /// The suite asked for (default `eddsa-rdfc-2022`).
    fn suite(&self) -> Result<Suite, String> {
        // The one parser of suite names, restricted to the suites issued here.
        let named = |s: &str| s.parse::<Suite>().ok().filter(|suite| ISSUE_SUITES.contains(suite));
        let from_type = match self.proof_type.as_deref() {
            None | Some("DataIntegrityProof") => None,
            Some(t) => Some(named(t).ok_or_else(|| {
                format!("options.type `{t}` is not issued here; use DataIntegrityProof with a cryptosuite")
            })?),
        };
        let mut chosen = from_type;
        for name in [&self.cryptosuite, &self.suite].into_iter().flatten() {
            let suite = named(name).ok_or_else(|| {
                let known: Vec<_> = ISSUE_SUITES.iter().map(|s| s.name()).collect();
                format!("cryptosuite `{name}` is not one of {}", known.join(", "))
            })?;
            if chosen.is_some_and(|c| c != suite) {
                return Err("options name two different cryptosuites".into());
            }
            chosen = Some(suite);
        }
        Ok(chosen.unwrap_or(Suite::EddsaRdfc2022))
    }
}

impl IssueOptions {
    /// The purposes of the status entries asked for (`None`: none asked).
    ///
    /// See: <https://w3c-ccg.github.io/vc-api/#issue-credential>
    fn status_purposes(&self) -> Result<Option<Vec<StatusPurpose>>, String> {
        let Some(status) = &self.credential_status else { return Ok(None) };
        let items = match status {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        let mut purposes = Vec::new();
        for item in items {
            let Some(entry) = item.as_object() else {
                return Err("options.credentialStatus must be an object or an array of objects".into());
            };
            match entry.get("type").and_then(Value::as_str) {
                Some("BitstringStatusListEntry") => {}
                _ => return Err("options.credentialStatus.type must be BitstringStatusListEntry".into()),
            }
            let purpose = match entry.get("statusPurpose") {
                None => StatusPurpose::Revocation,
                Some(Value::String(name)) => {
                    name.parse().map_err(|e| format!("options.credentialStatus: {e}"))?
                }
                Some(other) => {
                    return Err(format!(
                        "options.credentialStatus.statusPurpose must be a string, not {other}"
                    ));
                }
            };
            if !purposes.contains(&purpose) {
                purposes.push(purpose);
            }
        }
        Ok(Some(purposes))
    }
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
        | CheckKind::IssuerKey => security("PROOF_VERIFICATION_ERROR"),
        CheckKind::Challenge => security("INVALID_CHALLENGE_ERROR"),
        CheckKind::Domain => security("INVALID_DOMAIN_ERROR"),
        CheckKind::ProofCreated | CheckKind::ProofExpires | CheckKind::ValidFrom | CheckKind::ValidUntil => {
            vcdm("RANGE_ERROR")
        }
        CheckKind::DataModel => vcdm("MALFORMED_VALUE_ERROR"),
        other => format!("urn:didam:problem:check:{}", other.name()),
    }
}

/// The VC API answer of a report: 200 when valid, 422 otherwise.
fn report_response(report: &Report, warnings: Vec<Value>) -> Response {
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
        Error::Resolve(ResolveError::Internal { .. }) => {
            (StatusCode::BAD_GATEWAY, "urn:didam:problem:vc-api:resolution-failed")
        }
        Error::Resolve(_) => (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:unresolvable-key"),
        Error::UnknownContext { .. } | Error::JsonLd(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "https://www.w3.org/TR/vc-data-model#PARSING_ERROR")
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "urn:didam:problem:vc-api:cannot-verify"),
    };
    let error = json!({ "type": problem_type, "title": "Cannot verify", "detail": e.to_string() });
    let body = json!({ "verified": false, "checks": [], "warnings": warnings, "errors": [error] });
    (status, Json(body)).into_response()
}

/// Verifies on a blocking thread (the engine's futures are not `Send`, and
/// resolution blocks on the ledger), keys resolved through the daemon.
async fn verify(vc: &Arc<VcVerifier>, text: String, subject: Subject, warnings: Vec<Value>) -> Response {
    let vc = Arc::clone(vc);
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || {
        handle.block_on(async {
            let verifier = vc.verifier();
            match subject {
                Subject::Credential => verifier.verify_credential(&text).await,
                Subject::Presentation { challenge, domain } => {
                    verifier.verify_presentation(&text, challenge.as_deref(), domain.as_deref()).await
                }
            }
        })
    })
    .await;
    match outcome {
        Ok(Ok(report)) => report_response(&report, warnings),
        Ok(Err(e)) => error_response(&e, warnings),
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
        (status = 502, description = "A DID could not be resolved on the daemon's side", body = Object),
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
    verify(&vc, text, Subject::Credential, warnings).await
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
        (status = 502, description = "A DID could not be resolved on the daemon's side", body = Object),
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
    verify(&vc, text, Subject::Presentation { challenge, domain }, warnings).await
}

/// A 422 answer: the credential cannot be issued as it is.
fn unprocessable(problem_type: &str, title: &str, detail: impl AsRef<str>) -> Response {
    problem::plain(StatusCode::UNPROCESSABLE_ENTITY, problem_type, title, detail.as_ref())
}

/// The credential of an issue request, ready for the data-model check: an
/// object whose `issuer` is this daemon's DID (filled in when absent; an
/// `issuer` object is kept with its `name`, `description`, …).
fn credential_to_issue(credential: Value, did: &str) -> Result<Value, Box<Response>> {
    let Value::Object(mut map) = credential else {
        let what = if credential.is_string() {
            "a string (send the credential as JSON, not as text)"
        } else {
            "not an object"
        };
        return Err(Box::new(bad_request(format!("`credential` must be a JSON object; it is {what}"))));
    };
    match map.get("issuer") {
        None => {
            map.insert("issuer".into(), Value::String(did.to_owned()));
        }
        Some(issuer) => {
            let named = issuer.as_str().or_else(|| issuer.get("id").and_then(Value::as_str));
            if let Some(named) = named.filter(|n| *n != did) {
                return Err(Box::new(unprocessable(
                    "urn:didam:problem:vc-api:wrong-issuer",
                    "Another issuer",
                    format!("the credential names the issuer `{named}`; this daemon issues as {did}"),
                )));
            }
        }
    }
    Ok(Value::Object(map))
}

fn issue_error(e: &IssueError) -> Response {
    match e {
        IssueError::DataModel(_) => unprocessable(
            "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
            "Invalid credential",
            e.to_string(),
        ),
        IssueError::Unreadable(_) => unprocessable(
            "https://www.w3.org/TR/vc-data-model#PARSING_ERROR",
            "Unreadable credential",
            e.to_string(),
        ),
        IssueError::Wallet(
            WalletError::Credential(_)
            | WalletError::NoKeyOfType { .. }
            | WalletError::Key(_)
            | WalletError::HasStatus
            | WalletError::NoStatusDirectory(_),
        ) => unprocessable(
            "urn:didam:problem:vc-api:cannot-sign",
            "Cannot sign",
            format!("cannot issue this credential: {e}"),
        ),
        IssueError::Wallet(other) => {
            tracing::error!(error = %other, "issuing failed");
            internal_error("the issuer wallet failed; see the daemon's log")
        }
    }
}

/// Issues a credential as the daemon's issuer DID.
#[utoipa::path(
    post,
    path = "/credentials/issue",
    tag = "VC API",
    request_body(content = IssueRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "`{\"verifiableCredential\": {…}}`", body = Object),
        (status = 400, description = "Malformed request, unsupported options, a credential that is not a JSON object", content_type = "application/problem+json", body = Object),
        (status = 422, description = "A credential that breaks the data model (the verifier's rules, undefined terms), names another issuer, or cannot be signed", content_type = "application/problem+json", body = Object),
        (status = 501, description = "The daemon was started without an issuer wallet", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn issue_credential(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let Some(issuer) = &state.issuer else {
        return problem::plain(
            StatusCode::NOT_IMPLEMENTED,
            "urn:didam:problem:vc-api:no-issuer",
            "Issuing is off",
            "this daemon has no issuer wallet; start it with --issuer-wallet, --issuer-passphrase-file and --issuer-did",
        );
    };
    let request: IssueRequest = match parse(&body, "{\"credential\": {…}, \"options\": {…}}") {
        Ok(r) => r,
        Err(detail) => return bad_request(detail),
    };
    let (suite, status) = match (request.options.suite(), request.options.status_purposes()) {
        (Ok(suite), Ok(status)) => (suite, status),
        (Err(detail), _) | (_, Err(detail)) => return bad_request(detail),
    };
    let credential = match credential_to_issue(request.credential, issuer.did()) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    match issuer.issue(&state.ledger, credential, suite, status).await {
        Ok(signed) => (StatusCode::CREATED, Json(json!({ "verifiableCredential": signed }))).into_response(),
        Err(e) => issue_error(&e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn options(v: Value) -> IssueOptions {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn issue_suites() {
        assert_eq!(options(json!({})).suite().unwrap(), Suite::EddsaRdfc2022);
        assert_eq!(options(json!({"cryptosuite": "ecdsa-jcs-2019"})).suite().unwrap(), Suite::EcdsaJcs2019);
        assert_eq!(options(json!({"type": "eddsa-jcs-2022"})).suite().unwrap(), Suite::EddsaJcs2022);
        assert_eq!(
            options(json!({"type": "DataIntegrityProof", "suite": "ecdsa-rdfc-2019"})).suite().unwrap(),
            Suite::EcdsaRdfc2019
        );
        assert!(options(json!({"type": "Ed25519Signature2020"})).suite().is_err());
        assert!(options(json!({"cryptosuite": "bbs-2023"})).suite().is_err());
        assert!(
            options(json!({"cryptosuite": "eddsa-jcs-2022", "suite": "ecdsa-jcs-2019"})).suite().is_err()
        );
        assert!(serde_json::from_value::<IssueOptions>(json!({"proofPurpose": "x"})).is_err());
    }
}
