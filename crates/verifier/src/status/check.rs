//! The verifier's side: reading a credential's status entries and judging a
//! fetched status list against them (steps in the [module above](super)).
//! See: <https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm>

use chrono::{DateTime, Utc};
use didam_credential::credential::parse_datetime;
use didam_credential::proof::xsd_datetime;
use didam_credential::verify::Verified;
use didam_credential::{Check, CheckKind, Outcome};
use serde_json::Value;

use crate::policy::Policy;
use didam_credential::StatusError;
use didam_credential::status_list::{StatusList, StatusPurpose};

/// A `credentialStatus` entry as the verifier sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A Bitstring Status List entry it can check.
    Bitstring {
        /// `statusListCredential`.
        url: String,
        /// `statusPurpose`.
        purpose: StatusPurpose,
        /// `statusListIndex`.
        index: usize,
    },
    /// An entry that does not bear on validity here (another status type, or
    /// the `message` and `refresh` purposes), and why.
    Ignored(String),
    /// A Bitstring entry that breaks the spec's rules, and how.
    Malformed(String),
    /// A revocation or suspension entry using a feature not implemented here
    /// (`statusSize` above 1): the status cannot be checked.
    Unsupported {
        /// `statusListCredential`.
        url: String,
        /// What is not supported.
        error: StatusError,
    },
}

/// The entries of a credential's `credentialStatus`.
pub(crate) fn entries(credential: &Value) -> Vec<Entry> {
    match credential.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(read_entry).collect(),
        Some(one) => vec![read_entry(one)],
    }
}

fn read_entry(status: &Value) -> Entry {
    let text = |name: &str| status.get(name).and_then(Value::as_str);
    // One type or several (the engine's view compacts a single one to a string).
    let types: Vec<&str> = match status.get("type") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(one) => one.as_str().into_iter().collect(),
        None => Vec::new(),
    };
    if !types.contains(&"BitstringStatusListEntry") {
        return Entry::Ignored(format!("status type `{}` is not checked here", types.join(", ")));
    }
    let (Some(url), Some(purpose), Some(index)) =
        (text("statusListCredential"), text("statusPurpose"), text("statusListIndex"))
    else {
        return Entry::Malformed(
            "a BitstringStatusListEntry needs string statusListCredential, statusPurpose and statusListIndex"
                .into(),
        );
    };
    let purpose = match purpose.parse::<StatusPurpose>() {
        Ok(p) => p,
        Err(_) => return Entry::Ignored(format!("status purpose `{purpose}` does not bear on validity")),
    };
    let Some(index) = index.bytes().all(|b| b.is_ascii_digit()).then(|| index.parse().ok()).flatten() else {
        return Entry::Malformed(format!("statusListIndex `{index}` is not a non-negative integer"));
    };
    match status.get("statusSize").map(Value::as_u64) {
        None | Some(Some(1)) => {}
        Some(Some(size)) => {
            return Entry::Unsupported {
                url: url.to_owned(),
                error: StatusError::UnsupportedStatusSize(size),
            };
        }
        Some(None) => return Entry::Malformed("statusSize is not a positive integer".into()),
    }
    Entry::Bitstring { url: url.to_owned(), purpose, index }
}

/// A status list credential as fetched and verified (once per verification,
/// or once while it stays in the verifier's cache, [`super::verified`]).
#[derive(Debug)]
pub(crate) struct FetchedList {
    /// The engine's verification of it, and what it verified.
    pub(crate) verified: Verified,
    /// Its bits, or why they cannot be read.
    pub(crate) list: Result<StatusList, StatusError>,
}

impl FetchedList {
    /// Reads the list out of a verified status list credential.
    pub(crate) fn new(verified: Verified) -> Self {
        let encoded = verified.document.pointer("/credentialSubject/encodedList").and_then(Value::as_str);
        let list = match encoded {
            Some(e) => StatusList::decode(e),
            None => Err(StatusError::NotMultibase),
        };
        Self { verified, list }
    }

    fn subject(&self, name: &str) -> Option<&str> {
        self.verified.document.get("credentialSubject")?.get(name)?.as_str()
    }

    /// `status-list`: the list verifies and fits the entry.
    pub(crate) fn check(&self, url: &str, purpose: StatusPurpose) -> Check {
        let kind = CheckKind::StatusList;
        let formed = self.well_formed(url);
        if formed.outcome != Outcome::Passed {
            return formed;
        }
        let listed = self.subject("statusPurpose").unwrap_or("absent");
        if listed != purpose.name() {
            return Check::failed(kind, format!("{url} is a {listed} list, the entry is for {purpose}"));
        }
        match &self.list {
            Err(e) => Check::failed(kind, format!("encodedList of {url}: {e}")),
            Ok(list) => Check::passed(kind, format!("{url}: {purpose}, {} entries", list.len())),
        }
    }

    /// The part of `status-list` that does not depend on the entry: the list
    /// verifies, is signed by its issuer, is a Bitstring Status List
    /// credential fetched from its `id` and its bits decode.
    pub(crate) fn well_formed(&self, url: &str) -> Check {
        let kind = CheckKind::StatusList;
        // Its dates are judged by the freshness check.
        let failure = self.verified.report.checks.iter().find(|c| {
            c.outcome == Outcome::Failed && !matches!(c.check, CheckKind::ValidFrom | CheckKind::ValidUntil)
        });
        if let Some(f) = failure {
            return Check::failed(kind, format!("{url} does not verify: {} {}", f.check.name(), f.detail));
        }
        let signer = crate::checks::issuer_key(&self.verified);
        if signer.outcome != Outcome::Passed {
            return Check::failed(kind, format!("{url}: {}", signer.detail));
        }
        if !self.verified.types().contains(&"BitstringStatusListCredential") {
            return Check::failed(kind, format!("{url} is not a BitstringStatusListCredential"));
        }
        if self.subject("type") != Some("BitstringStatusList") {
            return Check::failed(kind, format!("the subject of {url} is not a BitstringStatusList"));
        }
        let id = self.verified.document.get("id").and_then(Value::as_str);
        if id != Some(url) {
            return Check::failed(
                kind,
                format!("fetched from {url}, but its id is {}", id.unwrap_or("absent")),
            );
        }
        match &self.list {
            Err(e) => Check::failed(kind, format!("encodedList of {url}: {e}")),
            Ok(list) => Check::passed(kind, format!("{url}: {} entries", list.len())),
        }
    }

    /// `status-list-issuer`: the list's issuer is the credential's.
    pub(crate) fn issuer_check(&self, credential_issuer: Option<&str>) -> Check {
        let kind = CheckKind::StatusListIssuer;
        match (self.verified.issuer(), credential_issuer) {
            (Some(a), Some(b)) if a == b => Check::passed(kind, format!("issued by {a}, as the credential")),
            (list, credential) => Check::failed(
                kind,
                format!(
                    "the status list is issued by {}, the credential by {}",
                    list.unwrap_or("nobody"),
                    credential.unwrap_or("nobody")
                ),
            ),
        }
    }

    /// `status-list-freshness`: within its validity period and not older than
    /// the policy's `max_status_age`.
    pub(crate) fn freshness_check(&self, policy: &Policy, now: DateTime<Utc>) -> Check {
        let kind = CheckKind::StatusListFreshness;
        let skew = policy.clock_skew.to_chrono();
        let doc = &self.verified.document;
        let date = |a: &str, b: &str| {
            doc.get(a).or_else(|| doc.get(b)).and_then(Value::as_str).and_then(parse_datetime)
        };
        let from = date("validFrom", "issuanceDate");
        let until = date("validUntil", "expirationDate");
        if let Some(until) = until.filter(|u| *u < now - skew) {
            return Check::failed(kind, format!("the status list expired {}", xsd_datetime(until)));
        }
        if let Some(from) = from.filter(|f| *f > now + skew) {
            return Check::failed(kind, format!("the status list is valid only from {}", xsd_datetime(from)));
        }
        let until_text =
            until.map_or("no validUntil".to_owned(), |u| format!("valid until {}", xsd_datetime(u)));
        match (policy.max_status_age, from) {
            (None, _) if until.is_none() => Check::not_applicable(
                kind,
                "the status list has no validUntil and the policy sets no max_status_age",
            ),
            (None, _) => Check::passed(kind, until_text),
            (Some(max), None) => Check::failed(
                kind,
                format!("the status list has no validFrom to judge max_status_age {max} by"),
            ),
            (Some(max), Some(from)) if now - from > max.to_chrono() + skew => Check::failed(
                kind,
                format!("the status list dates from {}, older than max_status_age {max}", xsd_datetime(from)),
            ),
            (Some(max), Some(from)) => {
                Check::passed(kind, format!("issued {} (within {max}), {until_text}", xsd_datetime(from)))
            }
        }
    }

    /// `status`: the bit at `index`.
    pub(crate) fn bit_check(&self, url: &str, purpose: StatusPurpose, index: usize) -> Check {
        let kind = CheckKind::Status;
        let Ok(list) = &self.list else {
            return Check::not_applicable(kind, format!("{purpose} not read: {url} cannot be decoded"));
        };
        match list.get(index) {
            Ok(true) => Check::failed(kind, format!("{} (index {index} of {url})", purpose.set_state())),
            Ok(false) => Check::passed(kind, format!("not {} (index {index} of {url})", purpose.set_state())),
            Err(e) => Check::failed(kind, format!("{purpose} entry: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn entries_are_read_as_the_spec_writes_them() {
        let entry = |index: Value, extra: Value| {
            let mut e = json!({
                "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                "statusListIndex": index, "statusListCredential": "https://example.com/status/3"
            });
            if let (Value::Object(e), Value::Object(extra)) = (&mut e, extra) {
                e.extend(extra);
            }
            read_entry(&e)
        };
        assert_eq!(
            entry(json!("94567"), json!({})),
            Entry::Bitstring {
                url: "https://example.com/status/3".into(),
                purpose: StatusPurpose::Revocation,
                index: 94567
            }
        );
        assert!(matches!(entry(json!(94567), json!({})), Entry::Malformed(_)));
        assert!(matches!(entry(json!("-1"), json!({})), Entry::Malformed(_)));
        assert!(matches!(entry(json!("+1"), json!({})), Entry::Malformed(_)));
        assert!(matches!(
            entry(json!("1"), json!({"statusSize": 2})),
            Entry::Unsupported { error: StatusError::UnsupportedStatusSize(2), .. }
        ));
        assert!(matches!(entry(json!("1"), json!({"statusPurpose": "message"})), Entry::Ignored(_)));
        assert!(matches!(read_entry(&json!({"type": "StatusList2021Entry"})), Entry::Ignored(_)));
    }
}
