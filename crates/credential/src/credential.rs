//! The VC Data Model 2.0 and 1.1 rules for credentials and presentations.
//!
//! [`validate`] applies the data-model rules that do not depend on a proof:
//! base context first, required types, issuer, subject, identifiers that are
//! URLs, typed sub-objects, `relatedResource` digests, dates and their order;
//! then JSON-LD expansion with
//! undefined terms rejected (so nothing outside the contexts escapes a
//! signature, and protected terms are not redefined).
//! See: <https://www.w3.org/TR/vc-data-model-2.0/>, <https://www.w3.org/TR/vc-data-model/>

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::canon::{self, CanonError};
use crate::error::Error;

/// The base context of VC Data Model 2.0.
pub const V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The base context of VC Data Model 1.1.
pub const V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";

/// Which version of the data model a document follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// VC Data Model 1.1.
    V1,
    /// VC Data Model 2.0.
    V2,
}

/// Whether a document is a credential or a presentation: also the `kind` of a
/// [`Report`](crate::Report), serialised as its [`name`](Self::name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DocumentKind {
    /// A verifiable credential.
    Credential,
    /// A verifiable presentation.
    Presentation,
}

impl DocumentKind {
    /// `credential` or `presentation`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Credential => "credential",
            Self::Presentation => "presentation",
        }
    }

    /// The kind a document's `type` says, if any.
    pub fn of(document: &Value) -> Option<Self> {
        if has_type(document, "VerifiableCredential") {
            Some(Self::Credential)
        } else if has_type(document, "VerifiablePresentation") {
            Some(Self::Presentation)
        } else {
            None
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses an XSD `dateTimeStamp` (RFC 3339 with a time zone).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if s.len() < 20 || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// An absolute IRI (a URL in the data model's sense).
pub fn is_url(s: &str) -> bool {
    ssi::json_ld::IriBuf::new(s.to_owned()).is_ok()
}

/// A document's types (`type`, one string or several).
pub fn types(document: &Value) -> Vec<&str> {
    match document.get("type") {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The id of an `issuer` or `holder` value: the URL itself, or its `id`.
fn id_of(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value.get("id")?.as_str())
}

/// A credential's issuer (`issuer` or `issuer.id`).
pub fn issuer(document: &Value) -> Option<&str> {
    id_of(document.get("issuer")?)
}

/// A presentation's holder (`holder` or `holder.id`).
pub fn holder(document: &Value) -> Option<&str> {
    id_of(document.get("holder")?)
}

/// The ids of a credential's subjects (those that have one).
pub fn subject_ids(document: &Value) -> Vec<&str> {
    document
        .get("credentialSubject")
        .into_iter()
        .flat_map(as_list)
        .filter_map(|s| s.get("id")?.as_str())
        .collect()
}

fn has_type(document: &Value, wanted: &str) -> bool {
    types(document).contains(&wanted)
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// Collects rule violations.
struct Rules(Vec<String>);

impl Rules {
    fn require(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.0.push(message());
        }
    }

    fn url_or_absent(&mut self, doc: &Value, field: &str, what: &str) {
        if let Some(v) = doc.get(field) {
            self.require(v.as_str().is_some_and(is_url), || format!("{what} `{field}` must be a single URL"));
        }
    }

    fn typed_objects(&mut self, doc: &Value, field: &str) {
        let Some(value) = doc.get(field) else { return };
        for item in as_list(value) {
            let typed = match item.get("type") {
                Some(Value::String(_)) => true,
                Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(Value::is_string),
                _ => false,
            };
            self.require(item.is_object() && typed, || format!("every `{field}` needs a string `type`"));
            self.url_or_absent(item, "id", field);
        }
    }
}

/// The data-model version a document's first context names.
pub fn version(document: &Value) -> Option<Version> {
    let first = match document.get("@context")? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    match first.as_str()? {
        V2_CONTEXT => Some(Version::V2),
        V1_CONTEXT => Some(Version::V1),
        _ => None,
    }
}

/// The data-model rules that need no JSON-LD processing; each violated rule is
/// one reason.
pub fn check_rules(document: &Value) -> Vec<String> {
    let mut rules = Rules(Vec::new());
    let Some(version) = version(document) else {
        return vec![format!("`@context` must start with `{V2_CONTEXT}` or `{V1_CONTEXT}`")];
    };
    match DocumentKind::of(document) {
        Some(DocumentKind::Credential) => credential_rules(document, version, &mut rules),
        Some(DocumentKind::Presentation) => presentation_rules(document, &mut rules),
        None => rules.0.push("`type` must include VerifiableCredential or VerifiablePresentation".into()),
    }
    if let Some(Value::Array(ctx)) = document.get("@context") {
        for c in ctx {
            rules.require(c.is_object() || c.as_str().is_some_and(is_url), || {
                format!("`@context` entry {c} is neither a URL nor an object")
            });
        }
    }
    rules.0
}

/// Checks `document` against the data model: [`check_rules`], then JSON-LD
/// expansion of the document without its proofs. `Ok(Err(reasons))` lists
/// what is wrong; `Err` means the check could not run (an unknown context).
pub async fn validate(document: &Value) -> Result<Result<(), Vec<String>>, Error> {
    let rules = check_rules(document);
    if !rules.is_empty() {
        return Ok(Err(rules));
    }
    // The JSON-LD check covers what proofs sign: the document without
    // `proof` (each proof is checked by its own suite).
    let mut unsecured = document.clone();
    if let Value::Object(map) = &mut unsecured {
        map.remove("proof");
    }
    match canon::rdfc(&unsecured).await {
        Ok(_) => Ok(Ok(())),
        Err(CanonError::Context(e)) => Err(e),
        Err(e) => Ok(Err(vec![e.to_string()])),
    }
}

fn credential_rules(doc: &Value, version: Version, rules: &mut Rules) {
    rules.url_or_absent(doc, "id", "the credential's");
    match doc.get("issuer") {
        Some(Value::String(s)) => rules.require(is_url(s), || "`issuer` must be a URL".into()),
        Some(obj @ Value::Object(_)) => rules
            .require(obj.get("id").and_then(Value::as_str).is_some_and(is_url), || {
                "`issuer.id` must be a URL".into()
            }),
        _ => rules.0.push("`issuer` is required: a URL or an object with a URL `id`".into()),
    }
    match doc.get("credentialSubject") {
        Some(subject) => {
            let subjects = as_list(subject);
            rules.require(!subjects.is_empty(), || "`credentialSubject` is empty".into());
            for s in subjects {
                let claims = s.as_object().map_or(0, |m| m.len());
                rules.require(claims > 0, || "each `credentialSubject` must be an object with claims".into());
                rules.url_or_absent(s, "id", "the subject's");
            }
        }
        None => rules.0.push("`credentialSubject` is required".into()),
    }
    for field in ["credentialStatus", "credentialSchema", "evidence", "refreshService", "termsOfUse", "proof"]
    {
        rules.typed_objects(doc, field);
    }
    rules.0.extend(crate::related_resource::violations(doc));
    if let Some(schema) = doc.get("credentialSchema") {
        for s in as_list(schema) {
            rules.require(s.get("id").and_then(Value::as_str).is_some_and(is_url), || {
                "every `credentialSchema` needs a URL `id`".into()
            });
        }
    }
    let date = |field: &str| doc.get(field).map(|v| v.as_str().and_then(parse_datetime));
    let (from, until) = match version {
        Version::V2 => ("validFrom", "validUntil"),
        Version::V1 => ("issuanceDate", "expirationDate"),
    };
    if version == Version::V1 {
        rules.require(doc.get("issuanceDate").is_some(), || "`issuanceDate` is required in VCDM 1.1".into());
    }
    let start = date(from);
    let end = date(until);
    for (field, value) in [(from, start), (until, end)] {
        rules.require(!matches!(value, Some(None)), || {
            format!("`{field}` is not an XML Schema dateTimeStamp")
        });
    }
    if let (Some(Some(s)), Some(Some(e))) = (start, end) {
        rules.require(s <= e, || format!("`{until}` is before `{from}`"));
    }
}

fn presentation_rules(doc: &Value, rules: &mut Rules) {
    rules.url_or_absent(doc, "id", "the presentation's");
    match doc.get("holder") {
        None => {}
        Some(Value::String(s)) => rules.require(is_url(s), || "`holder` must be a URL".into()),
        Some(h) => rules.require(h.get("id").and_then(Value::as_str).is_some_and(is_url), || {
            "`holder` must be a URL or an object with a URL `id`".into()
        }),
    }
    let Some(vcs) = doc.get("verifiableCredential") else { return };
    for vc in as_list(vcs) {
        if !vc.is_object() {
            rules.0.push("each `verifiableCredential` must be an object".into());
        } else if has_type(vc, "EnvelopedVerifiableCredential") {
            rules.require(
                vc.get("id").and_then(Value::as_str).is_some_and(|s| s.starts_with("data:")),
                || "an EnvelopedVerifiableCredential needs a `data:` URL `id`".into(),
            );
        } else if !has_type(vc, "VerifiableCredential") {
            rules.0.push("each `verifiableCredential` must have type VerifiableCredential or EnvelopedVerifiableCredential".into());
        } else {
            match version(vc) {
                Some(v) => credential_rules(vc, v, rules),
                None => rules.0.push("an embedded credential lacks its base context".into()),
            }
        }
    }
}
