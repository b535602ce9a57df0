//! One DID log entry, parsed once: [`LogEntry`] holds the entry's JSON with
//! what every ledger and resolver reads from it (its DID, its `versionId` and
//! version number, its JCS text), each checked when the entry is parsed.
//!
//! Parsing reads the structure only (no I/O, no signature): whether the entry
//! follows its DID's tip is [`crate::log::verify_entry`]'s job. Steps of
//! [`LogEntry::parse`]:
//! 1. the entry is a JSON object;
//! 2. its DID is the document's `state.id`, a [`Did`] of a method whose logs
//!    this crate knows ([`Method`]); a `did:didam` DID must be well-formed
//!    ([`DidamDid`]: `did:didam:[<network>:]<scid>`, `specs/did-didam.md`,
//!    syntax);
//! 3. its `versionId` is `n-<hash>`, with `n` a decimal `u64` of at least 1
//!    without leading zeros and a non-empty hash;
//! 4. its JCS text (RFC 8785) exists: that text is the ledger's leaf; the
//!    JCS length of its document (`state`) is kept for size limits.
//!
//! See: <https://identity.foundation/didwebvh/v1.0/#the-did-log-file>

use std::str::FromStr;

use didam_credential::canon::{self, CanonError};
use didam_credential::{Did, InvalidDid};
use serde_json::Value;

use crate::DidamDid;
use crate::log::Method;

/// Why a JSON value or text is not a DID log entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedEntry {
    /// The text is not JSON.
    #[error("the entry is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// A log entry is a JSON object.
    #[error("an entry is a JSON object")]
    NotAnObject,
    /// The entry's `state` has no string `id`.
    #[error("the entry's state has no id")]
    NoDid,
    /// The entry's `state.id` is not a DID.
    #[error("the entry's state id is not a DID")]
    NotADid(#[source] InvalidDid),
    /// The entry's DID is of a method whose logs are not DID logs here (only
    /// `did:didam` and `did:webvh`).
    #[error("{0} is not a did:didam or did:webvh DID")]
    UnsupportedMethod(Did),
    /// The entry's `did:didam` DID is not well-formed
    /// (`did:didam:[<network>:]<scid>`, see `specs/did-didam.md`).
    #[error("the entry's DID is not a well-formed did:didam DID")]
    NotADidamDid(#[source] InvalidDid),
    /// The entry has no string `versionId`.
    #[error("the entry has no versionId")]
    NoVersionId,
    /// The `versionId` is not `n-<hash>` with `n` ≥ 1 (decimal, no leading
    /// zeros, at most `u64::MAX`) and a non-empty hash.
    #[error("versionId `{0}` is not n-hash with n a version number from 1")]
    BadVersionId(String),
    /// The entry has no JCS form (e.g. a number JCS cannot represent).
    #[error("the entry has no canonical form")]
    Canonical(#[source] CanonError),
}

/// A DID log entry checked for shape (see the module doc), with its DID,
/// `versionId`, version number and JCS text.
///
/// ```
/// use didam_method::LogEntry;
///
/// // A stored line is the entry's JCS text (members sorted).
/// let did = "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";
/// let text = format!(r#"{{"state":{{"id":"{did}"}},"versionId":"1-QmHash"}}"#);
/// let entry: LogEntry = text.parse()?;
/// assert_eq!(entry.did().as_str(), did);
/// assert_eq!((entry.version_number(), entry.entry_hash()), (1, "QmHash"));
/// assert_eq!(entry.line(), text);
/// assert_eq!(entry.document_len(), format!(r#"{{"id":"{did}"}}"#).len());
/// // Not a log entry: version 0, a DID of another method, a malformed did:didam DID.
/// assert!(text.replace("1-QmHash", "0-QmHash").parse::<LogEntry>().is_err());
/// assert!(text.replace(did, "did:example:QmScid").parse::<LogEntry>().is_err());
/// assert!(text.replace(did, "did:didam:evil:QmScid").parse::<LogEntry>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    json: Value,
    did: Did,
    version_id: String,
    version_number: u64,
    line: String,
    method: Method,
    document_len: usize,
}

impl LogEntry {
    /// Parses `json` as a log entry (see the module doc).
    pub fn parse(json: Value) -> Result<Self, MalformedEntry> {
        let object = json.as_object().ok_or(MalformedEntry::NotAnObject)?;
        let id = object
            .get("state")
            .and_then(|state| state.get("id"))
            .and_then(Value::as_str)
            .ok_or(MalformedEntry::NoDid)?;
        let did = Did::parse(id).map_err(MalformedEntry::NotADid)?;
        let method = method_of(&did)?;
        let version_id =
            object.get("versionId").and_then(Value::as_str).ok_or(MalformedEntry::NoVersionId)?.to_owned();
        let version_number =
            number_of(&version_id).ok_or_else(|| MalformedEntry::BadVersionId(version_id.clone()))?;
        let line = canon::jcs(&json).map_err(MalformedEntry::Canonical)?;
        let document_len = object
            .get("state")
            .map(canon::jcs)
            .transpose()
            .map_err(MalformedEntry::Canonical)?
            .map_or(0, |text| text.len());
        Ok(Self { json, did, version_id, version_number, line, method, document_len })
    }

    /// The entry as JSON.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The entry as JSON, owned.
    pub fn into_json(self) -> Value {
        self.json
    }

    /// The DID the entry belongs to: its document's `id`.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The entry's `versionId` (`n-<entry hash>`).
    pub fn version_id(&self) -> &str {
        &self.version_id
    }

    /// The `n` of its `versionId`.
    pub fn version_number(&self) -> u64 {
        self.version_number
    }

    /// The entry hash its `versionId` claims (the part after `n-`).
    pub fn entry_hash(&self) -> &str {
        self.version_id.split_once('-').map_or("", |(_, hash)| hash)
    }

    /// The entry's JCS text: the leaf a ledger stores for it.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The method of the entry's DID.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The length in bytes of the JCS text of the entry's document (`state`).
    pub fn document_len(&self) -> usize {
        self.document_len
    }
}

/// The log method of `did`: `did:didam` (well-formed) or `did:webvh`.
fn method_of(did: &Did) -> Result<Method, MalformedEntry> {
    if did.as_str().starts_with(Method::Didam.prefix()) {
        DidamDid::try_from(did).map_err(MalformedEntry::NotADidamDid)?;
        Ok(Method::Didam)
    } else if did.as_str().starts_with(Method::WebVh.prefix()) {
        Ok(Method::WebVh)
    } else {
        Err(MalformedEntry::UnsupportedMethod(did.clone()))
    }
}

/// The `n` of `n-<hash>`: decimal, from 1, without leading zeros, with a
/// non-empty hash.
fn number_of(version_id: &str) -> Option<u64> {
    let (number, hash) = version_id.split_once('-')?;
    if hash.is_empty() || number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

impl TryFrom<Value> for LogEntry {
    type Error = MalformedEntry;
    fn try_from(json: Value) -> Result<Self, Self::Error> {
        Self::parse(json)
    }
}

/// Parses an entry from its JSON text (a line of a DID log, a stored leaf).
impl FromStr for LogEntry {
    type Err = MalformedEntry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(serde_json::from_str(s).map_err(MalformedEntry::NotJson)?)
    }
}

/// Serialises as the entry's JSON.
impl serde::Serialize for LogEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// Deserialises from the entry's JSON, parsed as [`LogEntry::parse`] does.
impl<'de> serde::Deserialize<'de> for LogEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl From<LogEntry> for Value {
    fn from(entry: LogEntry) -> Self {
        entry.json
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    const DID: &str = "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";

    fn entry(version_id: Value, state: Value) -> Value {
        json!({ "versionId": version_id, "versionTime": "2025-01-01T00:00:00Z", "parameters": {}, "state": state })
    }

    #[test]
    fn a_well_formed_entry_keeps_its_did_version_and_leaf() {
        let json = entry(json!("12-QmHash"), json!({ "id": DID }));
        let parsed = LogEntry::parse(json.clone()).unwrap();
        assert_eq!(parsed.did(), &Did::parse(DID).unwrap());
        assert_eq!(parsed.method(), Method::Didam);
        assert_eq!(parsed.document_len(), canon::jcs(&json!({ "id": DID })).unwrap().len());
        assert_eq!(
            (parsed.version_id(), parsed.version_number(), parsed.entry_hash()),
            ("12-QmHash", 12, "QmHash")
        );
        assert_eq!(parsed.line(), canon::jcs(&json).unwrap());
        assert_eq!(parsed.line().parse::<LogEntry>().unwrap(), parsed);
        assert_eq!(parsed.into_json(), json);
    }

    #[test]
    fn hostile_entries_are_refused_by_kind() {
        let did = json!({ "id": DID });
        let cases = [
            (json!([1, 2]), "NotAnObject"),
            (json!("1-x"), "NotAnObject"),
            (json!(null), "NotAnObject"),
            (json!({ "versionId": "1-x" }), "NoDid"),
            (entry(json!("1-x"), json!({})), "NoDid"),
            (entry(json!("1-x"), json!(DID)), "NoDid"),
            (entry(json!("1-x"), json!({ "id": 7 })), "NoDid"),
            (entry(json!("1-x"), json!({ "id": "not a did" })), "NotADid"),
            (entry(json!("1-x"), json!({ "id": "did:didam:" })), "NotADid"),
            (entry(json!("1-x"), json!({ "id": "did:example:QmScid" })), "UnsupportedMethod"),
            (entry(json!("1-x"), json!({ "id": "did:didamx:QmScid" })), "UnsupportedMethod"),
            (entry(json!("1-x"), json!({ "id": "did:didam:QmScid" })), "NotADidamDid"),
            (entry(json!("1-x"), json!({ "id": format!("did:didam:x:y:{}", &DID[10..]) })), "NotADidamDid"),
            (entry(json!("1-x"), json!({ "id": format!("{DID}:extra") })), "NotADidamDid"),
            (entry(json!("1-x"), json!({ "id": format!("did:didam:Net:{}", &DID[10..]) })), "NotADidamDid"),
            (json!({ "state": did.clone() }), "NoVersionId"),
            (entry(json!(1), did.clone()), "NoVersionId"),
            (entry(json!("0-x"), did.clone()), "BadVersionId"),
            (entry(json!("abc"), did.clone()), "BadVersionId"),
            (entry(json!("abc-x"), did.clone()), "BadVersionId"),
            (entry(json!("1-"), did.clone()), "BadVersionId"),
            (entry(json!("01-x"), did.clone()), "BadVersionId"),
            (entry(json!("+1-x"), did.clone()), "BadVersionId"),
            (entry(json!("-1-x"), did.clone()), "BadVersionId"),
            (entry(json!("18446744073709551616-x"), did.clone()), "BadVersionId"),
            (entry(json!(format!("{}-x", "9".repeat(10_000))), did.clone()), "BadVersionId"),
        ];
        for (json, kind) in cases {
            let err = LogEntry::parse(json.clone()).unwrap_err();
            assert!(format!("{err:?}").starts_with(kind), "{json}: {err:?}, expected {kind}");
        }
        let max = LogEntry::parse(entry(json!("18446744073709551615-x"), did)).unwrap();
        assert_eq!(max.version_number(), u64::MAX);
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        for text in ["", "{", "{\"versionId\":", "not json", "{} {}"] {
            assert!(matches!(text.parse::<LogEntry>(), Err(MalformedEntry::NotJson(_))), "{text}");
        }
    }
}
