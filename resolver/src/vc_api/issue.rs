//! `POST /credentials/issue`, with an issuer wallet.
//!
//! Steps: the caller must be allowed to issue ([`crate::auth`]: 403 when no
//! authentication method is configured, 401 without valid credentials, 403
//! without the `issue` scope) → read the body (`{credential, options}`; a malformed request, or a
//! credential that is not a JSON object, is a 400 problem document) → the
//! cryptosuite and the status entries asked for (`options.cryptosuite`,
//! `options.credentialStatus`, and for `ecdsa-sd-2023`
//! `options.mandatoryPointers`: JSON pointers, none twice, or a 400) → the
//! credential's `issuer` must be the
//! daemon's DID (filled in when absent; an object is kept) → the issuer
//! ([`crate::issuer::Issuer::issue`]) checks the data model and signs: a
//! credential it refuses is a 422 problem document.
//!
//! See: <https://w3c-ccg.github.io/vc-api/#issue-credential>

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use didam_credential::Suite;
use didam_credential::proof::SuiteOptions;
use didam_credential::selective::JsonPointer;
use didam_credential::status_list::StatusPurpose;
use didam_wallet::WalletError;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{bad_request, internal_error, parse};
use crate::auth::{Presented, Scope};
use crate::issuer::IssueError;
use crate::problem;
use crate::state::AppState;

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
    /// `eddsa-rdfc-2022` (default), `eddsa-jcs-2022`, `ecdsa-rdfc-2019`,
    /// `ecdsa-jcs-2019`, `ecdsa-sd-2023`, `bbs-2023`, `mldsa44-rdfc-2024` or
    /// `mldsa44-jcs-2024`.
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
    /// For `ecdsa-sd-2023` and `bbs-2023`: JSON pointers to what every derived credential
    /// discloses (a pointer into nothing is a 422).
    pub mandatory_pointers: Option<Vec<String>>,
}

/// The suites `POST /credentials/issue` signs with.
const ISSUE_SUITES: [Suite; 8] = [
    Suite::EddsaRdfc2022,
    Suite::EddsaJcs2022,
    Suite::EcdsaRdfc2019,
    Suite::EcdsaJcs2019,
    Suite::EcdsaSd2023,
    Suite::Bbs2023,
    Suite::Mldsa44Rdfc2024,
    Suite::Mldsa44Jcs2024,
];

impl IssueOptions {
    /// The suite asked for, with its mandatory pointers.
    fn suite_options(&self) -> Result<SuiteOptions, String> {
        let suite = self.suite()?;
        let mandatory_pointers = match &self.mandatory_pointers {
            None => Vec::new(),
            Some(_) if !suite.is_selective() => {
                return Err(format!(
                    "options.mandatoryPointers applies to ecdsa-sd-2023 and bbs-2023, not to {suite}"
                ));
            }
            Some(list) => {
                JsonPointer::parse_list(list).map_err(|e| format!("options.mandatoryPointers: {e}"))?
            }
        };
        Ok(SuiteOptions { suite, mandatory_pointers })
    }

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
        IssueError::Wallet(WalletError::AlreadyIssued(_)) => problem::plain(
            StatusCode::CONFLICT,
            "urn:didam:problem:vc-api:duplicate-id",
            "Credential id already issued",
            &format!("{e}; the first keeps its record (and can be revoked)"),
        ),
        IssueError::Wallet(other) => {
            // The wallet's message may name a DID or a credential id, which
            // the default log never records (issue 18): details at debug.
            tracing::error!("issuing failed: the issuer wallet failed (details at debug level)");
            tracing::debug!(error = %other, "issuing failed");
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
        (status = 401, description = "No or invalid credentials (`WWW-Authenticate: Bearer`)", content_type = "application/problem+json", body = Object),
        (status = 403, description = "No authentication method is configured (issuing is off), or the credentials do not grant `issue`", content_type = "application/problem+json", body = Object),
        (status = 409, description = "A credential with this `id` was issued before", content_type = "application/problem+json", body = Object),
        (status = 422, description = "A credential that breaks the data model (the verifier's rules, undefined terms), names another issuer, or cannot be signed", content_type = "application/problem+json", body = Object),
        (status = 501, description = "The daemon was started without an issuer wallet", content_type = "application/problem+json", body = Object),
    )
)]
pub async fn issue_credential(
    State(state): State<Arc<AppState>>,
    presented: Presented,
    body: axum::body::Bytes,
) -> Response {
    let Some(issuer) = &state.issuer else {
        return problem::plain(
            StatusCode::NOT_IMPLEMENTED,
            "urn:didam:problem:vc-api:no-issuer",
            "Issuing is off",
            "this daemon has no issuer wallet; start it with --issuer-wallet, --issuer-passphrase-file and --issuer-did",
        );
    };
    if let Err(denied) = state.auth.authorize(&presented, Scope::Issue).await {
        return denied.into_response();
    }
    let request: IssueRequest = match parse(&body, "{\"credential\": {…}, \"options\": {…}}") {
        Ok(r) => r,
        Err(detail) => return bad_request(detail),
    };
    let (suite, status) = match (request.options.suite_options(), request.options.status_purposes()) {
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
        assert_eq!(
            options(json!({"cryptosuite": "mldsa44-rdfc-2024"})).suite().unwrap(),
            Suite::Mldsa44Rdfc2024
        );
        assert!(options(json!({"type": "Ed25519Signature2020"})).suite().is_err());
        assert_eq!(options(json!({"cryptosuite": "bbs-2023"})).suite().unwrap(), Suite::Bbs2023);
        let bbs = options(json!({"cryptosuite": "bbs-2023", "mandatoryPointers": ["/issuer"]}));
        assert_eq!(bbs.suite_options().unwrap().mandatory_pointers.len(), 1);
        assert!(options(json!({"cryptosuite": "bbs-2024"})).suite().is_err());
        let sd = options(json!({"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": ["/issuer"]}));
        assert_eq!(sd.suite_options().unwrap().mandatory_pointers.len(), 1);
        let twice = options(json!({"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": ["/a", "/a"]}));
        assert!(twice.suite_options().unwrap_err().contains("twice"));
        let elsewhere = options(json!({"cryptosuite": "ecdsa-rdfc-2019", "mandatoryPointers": ["/a"]}));
        assert!(elsewhere.suite_options().is_err());
        assert!(
            options(json!({"cryptosuite": "eddsa-jcs-2022", "suite": "ecdsa-jcs-2019"})).suite().is_err()
        );
        assert!(serde_json::from_value::<IssueOptions>(json!({"proofPurpose": "x"})).is_err());
    }
}
