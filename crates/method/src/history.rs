//! Why a key left a DID, and the history of every verification method of a
//! DID by ledger position (`specs/did-didam.md` §4.5, "Removed keys").
//!
//! An entry that removes verification methods from the DID document says,
//! in its own `removedKeys` parameter, why each left: **retired** (a routine
//! change: what the key signed before the entry stays valid) or
//! **compromised** (from a stated point on: an earlier entry of the DID, a
//! ledger position, or entirely). A removal the entry does not describe is
//! [`KeyRemoval::Unrecorded`], which verifiers treat as compromised
//! entirely (fail closed; the spec says why).
//!
//! Steps:
//! 1. [`removal_records`] builds the parameter a writer puts in the entry
//!    (every removed method, one reason);
//! 2. `check_removals` is what [`crate::log::verify_entry`] runs on the entry's own
//!    parameter (the ledger at append, every resolver at replay);
//! 3. [`KeyHistory::of_log`] turns a replayed log and the ledger positions of
//!    its entries into, per verification method, when it was added and when
//!    and why it was removed, by log position;
//! 4. [`KeyHistory::standing`] judges a signature anchored at a ledger
//!    position against that history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::log::DidState;

/// The name of the entry parameter that records why keys left.
pub const REMOVED_KEYS: &str = "removedKeys";

/// From where a removed key is compromised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum CompromisedSince {
    /// Everything the key ever signed is suspect.
    Entirely,
    /// Everything anchored after the entry with this `versionId` (an
    /// earlier entry of the same DID) was appended.
    VersionId(String),
    /// Everything anchored at this ledger position (leaf index) or later.
    Leaf(u64),
}

/// Why a verification method left the DID document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum KeyRemoval {
    /// A routine change: signatures anchored before the removing entry stay
    /// valid.
    Retired,
    /// The key leaked: signatures anchored from the point on are invalid.
    Compromised(CompromisedSince),
    /// The entry does not say (an entry written before `removedKeys`
    /// existed): read as compromised entirely.
    Unrecorded,
}

impl KeyRemoval {
    /// The JSON value the `removedKeys` parameter holds for this reason
    /// (`None` for [`KeyRemoval::Unrecorded`], which is never written).
    pub fn to_parameter(&self) -> Option<Value> {
        match self {
            Self::Retired => Some(json!({ "reason": "retired" })),
            Self::Compromised(since) => {
                let since = match since {
                    CompromisedSince::Entirely => json!("entirely"),
                    CompromisedSince::VersionId(v) => json!({ "versionId": v }),
                    CompromisedSince::Leaf(l) => json!({ "leaf": l }),
                };
                Some(json!({ "reason": "compromised", "since": since }))
            }
            Self::Unrecorded => None,
        }
    }

    /// Reads one value of the `removedKeys` parameter.
    pub fn from_parameter(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("a removal record is an object")?;
        if let Some(other) = obj.keys().find(|k| !matches!(k.as_str(), "reason" | "since")) {
            return Err(format!("a removal record has no member `{other}`"));
        }
        match (obj.get("reason").and_then(Value::as_str), obj.get("since")) {
            (Some("retired"), None) => Ok(Self::Retired),
            (Some("retired"), Some(_)) => Err("a retired key has no `since`".into()),
            (Some("compromised"), Some(since)) => Ok(Self::Compromised(since_of(since)?)),
            (Some("compromised"), None) => {
                Err("a compromised key names `since`: \"entirely\", {\"versionId\"} or {\"leaf\"}".into())
            }
            _ => Err("`reason` is `retired` or `compromised`".into()),
        }
    }

    /// A short name: `retired`, `compromised` or `unrecorded`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Retired => "retired",
            Self::Compromised(_) => "compromised",
            Self::Unrecorded => "unrecorded",
        }
    }
}

/// `entirely`, `leaf:<ledger position>` or a `versionId` (`<n>-<hash>`),
/// as the command line takes a compromise point.
impl std::str::FromStr for CompromisedSince {
    type Err = InvalidCompromisePoint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "entirely" {
            return Ok(Self::Entirely);
        }
        if let Some(leaf) = s.strip_prefix("leaf:") {
            return leaf.parse().map(Self::Leaf).map_err(|_| InvalidCompromisePoint(s.to_owned()));
        }
        match s.split_once('-') {
            Some((n, hash)) if n.parse::<u64>().is_ok_and(|n| n >= 1) && !hash.is_empty() => {
                Ok(Self::VersionId(s.to_owned()))
            }
            _ => Err(InvalidCompromisePoint(s.to_owned())),
        }
    }
}

/// A compromise point that is none of `entirely`, `leaf:N`, `<n>-<hash>`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a compromise point: `entirely`, `leaf:<ledger position>` or a versionId `<n>-<hash>`")]
pub struct InvalidCompromisePoint(pub String);

fn since_of(since: &Value) -> Result<CompromisedSince, String> {
    if since.as_str() == Some("entirely") {
        return Ok(CompromisedSince::Entirely);
    }
    let obj = since
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or("`since` is \"entirely\", {\"versionId\": \"<n>-<hash>\"} or {\"leaf\": <ledger position>}")?;
    if let Some(v) = obj.get("versionId") {
        let v = v.as_str().ok_or("`since.versionId` is a string")?;
        return Ok(CompromisedSince::VersionId(v.to_owned()));
    }
    if let Some(l) = obj.get("leaf") {
        return Ok(CompromisedSince::Leaf(l.as_u64().ok_or("`since.leaf` is a non-negative integer")?));
    }
    Err("`since` is \"entirely\", {\"versionId\"} or {\"leaf\"}".into())
}

/// A verification method of a DID document, named by its absolute `id` and
/// told apart by its key material (the same `id` with another key is
/// another method).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodKey {
    /// The method's `id`, absolute (`<DID>#fragment`).
    pub id: String,
    /// Its `publicKeyMultibase`, or the JCS of its `publicKeyJwk`.
    pub key: String,
}

/// The verification methods of `document` (of `did`), ids made absolute.
pub fn methods_of(did: &str, document: &Value) -> Vec<MethodKey> {
    let Some(methods) = document.get("verificationMethod").and_then(Value::as_array) else {
        return Vec::new();
    };
    methods
        .iter()
        .filter_map(|m| {
            let id = m.get("id")?.as_str()?;
            let id = if id.starts_with('#') { format!("{did}{id}") } else { id.to_owned() };
            let key = match (m.get("publicKeyMultibase"), m.get("publicKeyJwk")) {
                (Some(Value::String(k)), _) => k.clone(),
                (_, Some(jwk)) => didam_credential::canon::jcs(jwk).ok()?,
                _ => return None,
            };
            Some(MethodKey { id, key })
        })
        .collect()
}

/// The methods of `before` that are not in `after` (same id and key).
fn removed(did: &str, before: &Value, after: &Value) -> Vec<MethodKey> {
    let kept = methods_of(did, after);
    methods_of(did, before).into_iter().filter(|m| !kept.contains(m)).collect()
}

/// The `removedKeys` parameter for an entry of `did` that replaces document
/// `before` by `after`: every removed method with `reason`; `None` when the
/// entry removes none (or the reason is `Unrecorded`).
pub fn removal_records(did: &str, before: &Value, after: &Value, reason: &KeyRemoval) -> Option<Value> {
    let value = reason.to_parameter()?;
    let records: Map<String, Value> =
        removed(did, before, after).into_iter().map(|m| (m.id, value.clone())).collect();
    (!records.is_empty()).then_some(Value::Object(records))
}

/// Checks the entry's own `removedKeys` (entry number `n`, document `after`,
/// following `previous`): an object naming only methods of the previous
/// document that this entry removes, each with a valid reason; a
/// `since.versionId` names a strictly earlier entry (the one before this
/// entry exactly, when its number is `n − 1`). Returns the records.
pub(crate) fn check_removals(
    value: &Value,
    previous: Option<&DidState>,
    did: &str,
    after: &Value,
    n: u64,
) -> Result<BTreeMap<String, KeyRemoval>, String> {
    let obj = value.as_object().ok_or(format!("`{REMOVED_KEYS}` is not an object"))?;
    let Some(previous) = previous else {
        return Err(format!("the first entry removes no key: it has no `{REMOVED_KEYS}`"));
    };
    let gone = removed(did, &previous.document, after);
    let mut out = BTreeMap::new();
    for (id, record) in obj {
        if !gone.iter().any(|m| &m.id == id) {
            return Err(format!("`{REMOVED_KEYS}` names {id}, which this entry does not remove"));
        }
        let removal =
            KeyRemoval::from_parameter(record).map_err(|e| format!("`{REMOVED_KEYS}` {id}: {e}"))?;
        if let KeyRemoval::Compromised(CompromisedSince::VersionId(v)) = &removal {
            let number = v.split_once('-').and_then(|(k, _)| k.parse::<u64>().ok());
            match number {
                Some(k) if k + 1 == n && *v != previous.version_id => {
                    return Err(format!("`{REMOVED_KEYS}` {id}: versionId {v} is not the previous entry's"));
                }
                Some(k) if k < n && k >= 1 => {}
                _ => return Err(format!("`{REMOVED_KEYS}` {id}: versionId {v} is not an earlier entry")),
            }
        }
        out.insert(id.clone(), removal);
    }
    Ok(out)
}

/// A position in a DID's log and in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPosition {
    /// The entry's `versionId`.
    pub version_id: String,
    /// The entry's leaf index in the ledger.
    pub leaf: u64,
}

/// When and why a method left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    /// The entry that removed it.
    pub at: LogPosition,
    /// Why.
    pub reason: KeyRemoval,
    /// The first ledger position whose anchors the key no longer vouches
    /// for: the removing entry's leaf when retired; the compromise point
    /// (0 for entirely or unrecorded) when compromised.
    pub invalid_from: u64,
}

/// One verification method's life in the DID document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// The method.
    #[serde(flatten)]
    pub method: MethodKey,
    /// The entry that added it.
    pub added: LogPosition,
    /// The entry that removed it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removal>,
}

/// How a key stood for a signature anchored at a ledger position.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Standing {
    /// The key was in the document at the position, and nothing since
    /// invalidates what it signed there (it is current, or retired later,
    /// or compromised only from a later point).
    Valid(KeyRecord),
    /// No record of the method covers the position: it was not (yet, or
    /// any more) a key of the DID there.
    NotAKeyThen,
    /// The key was retired at or before the position.
    AfterRetirement(KeyRecord),
    /// The key was compromised from a point at or before the position (or
    /// entirely, or the removal was unrecorded).
    Compromised(KeyRecord),
}

/// Why a key history cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// One ledger position per entry is needed.
    #[error("{entries} entries but {positions} ledger positions")]
    Positions {
        /// Entries given.
        entries: usize,
        /// Positions given.
        positions: usize,
    },
    /// Positions must increase with the log.
    #[error("entry {version_id} is at ledger position {leaf}, not after the entry before it")]
    OutOfOrder {
        /// The entry.
        version_id: String,
        /// Its position.
        leaf: u64,
    },
}

/// Every verification method a DID's document ever held, by log position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHistory {
    records: Vec<KeyRecord>,
}

impl KeyHistory {
    /// The history of a replayed log (`states`, oldest first) whose entries
    /// are at ledger positions `leaves` (strictly increasing).
    pub fn of_log(states: &[DidState], leaves: &[u64]) -> Result<Self, HistoryError> {
        if states.len() != leaves.len() {
            return Err(HistoryError::Positions { entries: states.len(), positions: leaves.len() });
        }
        let mut records: Vec<KeyRecord> = Vec::new();
        let mut before: Vec<MethodKey> = Vec::new();
        for (i, (state, &leaf)) in states.iter().zip(leaves).enumerate() {
            if i > 0 && leaf <= leaves[i - 1] {
                return Err(HistoryError::OutOfOrder { version_id: state.version_id.clone(), leaf });
            }
            let at = LogPosition { version_id: state.version_id.clone(), leaf };
            let now = methods_of(&state.did, &state.document);
            for gone in before.iter().filter(|m| !now.contains(m)) {
                let reason = state.removed_keys.get(&gone.id).cloned().unwrap_or(KeyRemoval::Unrecorded);
                let invalid_from = match &reason {
                    KeyRemoval::Retired => leaf,
                    KeyRemoval::Compromised(CompromisedSince::Leaf(p)) => (*p).min(leaf),
                    KeyRemoval::Compromised(CompromisedSince::VersionId(v)) => states
                        .iter()
                        .zip(leaves)
                        .take(i)
                        .find(|(s, _)| &s.version_id == v)
                        // After that entry; an unknown one: entirely.
                        .map_or(0, |(_, l)| l + 1),
                    KeyRemoval::Compromised(CompromisedSince::Entirely) | KeyRemoval::Unrecorded => 0,
                };
                if let Some(r) = records.iter_mut().rev().find(|r| &r.method == gone && r.removed.is_none()) {
                    r.removed = Some(Removal { at: at.clone(), reason, invalid_from });
                }
            }
            for added in now.iter().filter(|m| !before.contains(m)) {
                records.push(KeyRecord { method: added.clone(), added: at.clone(), removed: None });
            }
            before = now;
        }
        Ok(Self { records })
    }

    /// Every record, in the order the methods were added.
    pub fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    /// The entries whose ledger positions a judgment of `method` rests on
    /// (the ones that added and removed it), so a verifier can prove them.
    pub fn boundaries(&self, method: &str) -> Vec<&LogPosition> {
        let mut out = Vec::new();
        for r in self.records.iter().filter(|r| r.method.id == method) {
            out.push(&r.added);
            if let Some(removed) = &r.removed {
                out.push(&removed.at);
            }
        }
        out
    }

    /// The keys method `id` ever had, oldest first (an id reused with
    /// another key is another method).
    pub fn keys_of(&self, id: &str) -> Vec<&MethodKey> {
        self.records.iter().filter(|r| r.method.id == id).map(|r| &r.method).collect()
    }

    /// How `method` (an absolute id with the key that verified) stood for a
    /// signature anchored at ledger position `anchored`: it must have been
    /// added by an entry before the position and not be invalid from a
    /// point at or before it.
    pub fn standing(&self, method: &MethodKey, anchored: u64) -> Standing {
        let Some(record) =
            self.records.iter().rev().find(|r| &r.method == method && r.added.leaf < anchored).cloned()
        else {
            return Standing::NotAKeyThen;
        };
        match &record.removed {
            None => Standing::Valid(record),
            Some(r) if anchored < r.invalid_from => Standing::Valid(record),
            Some(r) if r.reason == KeyRemoval::Retired => Standing::AfterRetirement(record),
            Some(_) => Standing::Compromised(record),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn compromise_points_parse() {
        assert_eq!("entirely".parse(), Ok(CompromisedSince::Entirely));
        assert_eq!("leaf:12".parse(), Ok(CompromisedSince::Leaf(12)));
        assert_eq!("3-Qmabc".parse(), Ok(CompromisedSince::VersionId("3-Qmabc".into())));
        for bad in ["", "leaf:", "leaf:-1", "0-Qm", "x-Qm", "3-", "yesterday"] {
            assert!(bad.parse::<CompromisedSince>().is_err(), "{bad}");
        }
    }

    #[test]
    fn removal_records_round_trip() {
        for r in [
            KeyRemoval::Retired,
            KeyRemoval::Compromised(CompromisedSince::Entirely),
            KeyRemoval::Compromised(CompromisedSince::Leaf(7)),
            KeyRemoval::Compromised(CompromisedSince::VersionId("2-Qmx".into())),
        ] {
            assert_eq!(KeyRemoval::from_parameter(&r.to_parameter().unwrap()).unwrap(), r);
        }
        for bad in [
            json!("retired"),
            json!({ "reason": "lost" }),
            json!({ "reason": "retired", "since": "entirely" }),
            json!({ "reason": "compromised" }),
            json!({ "reason": "compromised", "since": "yesterday" }),
            json!({ "reason": "compromised", "since": { "leaf": -1 } }),
            json!({ "reason": "compromised", "since": { "leaf": 1, "versionId": "1-x" } }),
            json!({ "reason": "retired", "extra": 1 }),
        ] {
            assert!(KeyRemoval::from_parameter(&bad).is_err(), "{bad}");
        }
    }
}
