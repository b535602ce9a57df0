//! DID Resolution errors as HTTP answers: the one place that maps a
//! [`didam_registry::Error`] to its W3C error type and HTTP status, and the
//! RFC 9457 problem object the daemon sends.
//!
//! An error body is a problem object (`application/problem+json`) that also
//! carries the members of a DID resolution result (`didResolutionMetadata`
//! with the same problem under `error`, `didDocument: null`,
//! `didDocumentMetadata: {}`), so clients of either shape read it.
//!
//! See: <https://www.w3.org/TR/did-resolution/#errors>,
//! <https://www.rfc-editor.org/rfc/rfc9457>

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use didam_registry::Error;
use serde_json::{Value, json};

/// The DID Resolution error types this daemon reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemType {
    /// `INVALID_DID` (400).
    InvalidDid,
    /// `NOT_FOUND` (404).
    NotFound,
    /// `METHOD_NOT_SUPPORTED` (501).
    MethodNotSupported,
    /// `REPRESENTATION_NOT_SUPPORTED` (406).
    RepresentationNotSupported,
    /// `INVALID_OPTIONS` (400).
    InvalidOptions,
    /// `FEATURE_NOT_SUPPORTED` (501).
    FeatureNotSupported,
    /// `INVALID_DID_DOCUMENT` (500).
    InvalidDidDocument,
    /// `INTERNAL_ERROR` (500).
    InternalError,
}

impl ProblemType {
    /// The name after `https://www.w3.org/ns/did#`.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidDid => "INVALID_DID",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotSupported => "METHOD_NOT_SUPPORTED",
            Self::RepresentationNotSupported => "REPRESENTATION_NOT_SUPPORTED",
            Self::InvalidOptions => "INVALID_OPTIONS",
            Self::FeatureNotSupported => "FEATURE_NOT_SUPPORTED",
            Self::InvalidDidDocument => "INVALID_DID_DOCUMENT",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// The HTTP status of the binding.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidDid | Self::InvalidOptions => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::RepresentationNotSupported => StatusCode::NOT_ACCEPTABLE,
            Self::MethodNotSupported | Self::FeatureNotSupported => StatusCode::NOT_IMPLEMENTED,
            Self::InvalidDidDocument | Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::InvalidDid => "Invalid DID",
            Self::NotFound => "DID not found",
            Self::MethodNotSupported => "DID method not supported",
            Self::RepresentationNotSupported => "Representation not supported",
            Self::InvalidOptions => "Invalid resolution options",
            Self::FeatureNotSupported => "Feature not supported",
            Self::InvalidDidDocument => "Invalid DID document",
            Self::InternalError => "Internal error",
        }
    }

    /// The type of a registry error.
    pub fn of(e: &Error) -> Self {
        match e {
            Error::InvalidDid(_) => Self::InvalidDid,
            Error::NotFound(_) | Error::Ledger(didam_ledger::LedgerError::NotFound(_)) => Self::NotFound,
            Error::InvalidOptions(_) => Self::InvalidOptions,
            Error::MethodNotSupported(_) => Self::MethodNotSupported,
            Error::FeatureNotSupported(_) => Self::FeatureNotSupported,
            Error::InvalidDocument { .. } | Error::Log { .. } => Self::InvalidDidDocument,
            _ => Self::InternalError,
        }
    }
}

/// An error answer of the resolution binding.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The type.
    pub kind: ProblemType,
    /// What happened.
    pub detail: String,
}

impl Problem {
    /// A problem of `kind`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into() }
    }

    /// The problem reporting `e`. Internal failures are described generically
    /// to the client; their details (which name the DID) go to the log at
    /// debug level only.
    pub fn from_error(e: &Error) -> Self {
        let kind = ProblemType::of(e);
        let detail = match (kind, e) {
            (_, Error::InvalidDid(did)) => format!("`{did}` is not a valid DID"),
            (ProblemType::InternalError, _) => {
                // The error names the DID and, for did:web, its host: only
                // at debug level, which an operator turns on on purpose.
                tracing::warn!("resolution failed (details at debug level)");
                tracing::debug!(error = %e, "resolution failed");
                "the resolver failed to resolve this DID; see its log".to_owned()
            }
            (_, e) => e.to_string(),
        };
        Self { kind, detail }
    }

    /// The problem object.
    pub fn body(&self) -> Value {
        let problem = json!({
            "type": format!("https://www.w3.org/ns/did#{}", self.kind.name()),
            "title": self.kind.title(),
            "detail": self.detail,
        });
        let mut body = problem.clone();
        body["status"] = json!(self.kind.status().as_u16());
        body["didResolutionMetadata"] = json!({ "error": problem });
        body["didDocument"] = Value::Null;
        body["didDocumentMetadata"] = json!({});
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.kind.status(), axum::Json(self.body())).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

/// A generic problem object (rate limit, timeouts, routing).
pub fn plain(status: StatusCode, problem_type: &str, title: &str, detail: &str) -> Response {
    let body = json!({ "type": problem_type, "title": title, "status": status.as_u16(), "detail": detail });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_binding() {
        let cases = [
            (Error::InvalidDid("x".into()), 400),
            (Error::NotFound("x".into()), 404),
            (Error::InvalidOptions("x".into()), 400),
            (Error::MethodNotSupported("x".into()), 501),
            (Error::FeatureNotSupported("x".into()), 501),
            (Error::InvalidDocument { did: "x".into(), reason: "y".into() }, 500),
            (Error::InvalidLedgerProof("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(ProblemType::of(&e).status().as_u16(), status, "{e}");
        }
    }
}
