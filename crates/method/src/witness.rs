//! did:webvh witnesses: which witnesses must approve each log entry, and the
//! check of their approvals in `did-witness.json`.
//!
//! Checking a log whose entries already verified ([`crate::log::verify_entry`]):
//! 1. the rule of each entry: the `witness` parameter active before it; the
//!    entry's own for the first entry and when witnessing is switched on from
//!    `{}` (see [`WitnessRule`] for the one case where the test vectors force a
//!    looser reading);
//! 2. the witness file, an array of `{versionId, proof: [...]}` records.
//!    Records for versions the log does not have yet are ignored (the file is
//!    published before the log); a record whose version number is in the log
//!    but whose hash is not is refused: it approves another DID's entry or a
//!    rewritten history ([`WitnessError::ReplayedProof`]);
//! 3. each proof on a published version: `eddsa-jcs-2022`, `assertionMethod`,
//!    by the `did:key` of a witness named up to that version, over
//!    `{"versionId": …}` (the same proof check as log entries);
//! 4. a witness that approved version *v* approved every entry up to *v*; each
//!    entry needs `threshold` approvals from its rule's witnesses.
//!
//! See: <https://identity.foundation/didwebvh/v1.0/#did-witnesses>

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use didam_credential::{PublicKey, Suite};
use serde_json::{Value, json};

use crate::log::{self, DidState, LogError};

/// Why a log's witness approvals do not hold. All map to `invalidDid`.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WitnessError {
    /// Entry `entry` must be witnessed, but no `did-witness.json` was given.
    #[error("entry {entry} must be witnessed, but no did-witness.json was given")]
    NoWitnessFile {
        /// 1-based number of the first entry that needs witnesses.
        entry: u64,
    },
    /// The witness file is not an array of `{versionId, proof}` records.
    #[error("did-witness.json is malformed: {reason}")]
    MalformedFile {
        /// What is wrong.
        reason: String,
    },
    /// Fewer than `threshold` of the entry's witnesses approved it or a later entry.
    #[error("entry {entry}: {approvals} of the {threshold} witness approvals it needs")]
    NotEnoughApprovals {
        /// 1-based entry number.
        entry: u64,
        /// Approvals counted.
        approvals: u64,
        /// Approvals needed.
        threshold: u64,
    },
    /// A proof is signed by a key that no entry up to the approved version
    /// names as a witness.
    #[error("the witness proof for {version_id} is by {signer}, which is not a witness of this DID")]
    NotAWitness {
        /// The `versionId` the proof approves.
        version_id: String,
        /// The signer (a DID, or the verification method when it is not a did:key).
        signer: String,
    },
    /// Proofs for a version number of this log but another entry hash: lifted
    /// from another DID's witness file, or approving a rewritten history.
    #[error(
        "the witness proofs for {version_id} approve no entry of this log (its entry {entry} is {actual})"
    )]
    ReplayedProof {
        /// The `versionId` the proofs claim to approve.
        version_id: String,
        /// Its version number.
        entry: u64,
        /// This log's `versionId` for that number.
        actual: String,
    },
    /// A witness proof does not verify.
    #[error("the witness proof for {version_id} by {signer} does not verify: {reason}")]
    InvalidProof {
        /// The `versionId` the proof approves.
        version_id: String,
        /// The signer's DID.
        signer: String,
        /// What failed.
        reason: String,
    },
}

/// A `witness` parameter that is switched on: at least `threshold` of
/// `witnesses` (did:key DIDs) must approve.
///
/// Which rule an entry needs: the one active before it (a replacement list
/// takes effect after its entry); for the first entry, and for an entry that
/// switches witnessing on from `{}`, its own. An entry that replaces one
/// non-empty list with another is accepted when either list approves it: the
/// v1.0 text asks for the previous list only, but the TypeScript and Java
/// reference vectors (`witness-update`) have such an entry approved by the
/// new list alone. A list switched off (`{}`) always needs the previous list.
///
/// See: <https://identity.foundation/didwebvh/v1.0/#the-witness-parameter>
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessRule {
    threshold: u64,
    /// Sorted, without duplicates.
    witnesses: Vec<String>,
}

/// A `witness` parameter that does not parse, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidWitnessRule(pub String);

impl WitnessRule {
    /// Parses a `witness` parameter: `Ok(None)` for `{}` (no witnesses).
    /// Witnesses are unique `did:key` DIDs and `1 <= threshold <= witnesses`.
    pub fn from_parameter(value: &Value) -> Result<Option<Self>, InvalidWitnessRule> {
        let bad = InvalidWitnessRule;
        let w = value.as_object().ok_or_else(|| bad("`witness` is not an object".into()))?;
        if w.is_empty() {
            return Ok(None);
        }
        let threshold = w
            .get("threshold")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("witness threshold is not an integer".into()))?;
        let list =
            w.get("witnesses").and_then(Value::as_array).ok_or_else(|| bad("no witness list".into()))?;
        let mut witnesses = Vec::with_capacity(list.len());
        for wit in list {
            let id =
                wit.get("id").and_then(Value::as_str).ok_or_else(|| bad("a witness has no id".into()))?;
            let key = id
                .strip_prefix("did:key:")
                .ok_or_else(|| bad(format!("witness {id} is not a did:key DID")))?;
            PublicKey::from_multikey(key).map_err(|e| bad(format!("witness {id}: {e}")))?;
            if witnesses.iter().any(|w| w == id) {
                return Err(bad(format!("witness {id} is listed twice")));
            }
            witnesses.push(id.to_owned());
        }
        if threshold == 0 || threshold > witnesses.len() as u64 {
            return Err(bad(format!("witness threshold {threshold} of {} witnesses", witnesses.len())));
        }
        witnesses.sort();
        Ok(Some(Self { threshold, witnesses }))
    }

    /// How many approvals an entry needs.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// The witnesses' did:key DIDs, sorted.
    pub fn witnesses(&self) -> &[String] {
        &self.witnesses
    }

    /// The witnesses that approved entry `n` or a later one.
    fn approvals(&self, n: u64, approved_up_to: &HashMap<String, u64>) -> u64 {
        self.witnesses.iter().filter(|w| approved_up_to.get(*w).is_some_and(|&v| v >= n)).count() as u64
    }
}

/// The rule in force after `state` (its accumulated `witness` parameter).
fn rule_after(state: &DidState) -> Result<Option<WitnessRule>, LogError> {
    match state.parameters.get("witness") {
        None => Ok(None),
        Some(value) => WitnessRule::from_parameter(value)
            .map_err(|e| LogError::InvalidParameters { entry: state.version_number, reason: e.0 }),
    }
}

/// For each entry, the rules of which one must be met (none: not witnessed).
fn requirements(states: &[DidState]) -> Result<Vec<Vec<WitnessRule>>, LogError> {
    let mut out = Vec::with_capacity(states.len());
    let mut before: Option<WitnessRule> = None;
    for state in states {
        let after = rule_after(state)?;
        out.push(match (&before, &after) {
            (None, new) => new.iter().cloned().collect(),
            (Some(old), Some(new)) if new != old => vec![old.clone(), new.clone()],
            (Some(old), _) => vec![old.clone()],
        });
        before = after;
    }
    Ok(out)
}

/// The records of a `did-witness.json` file: `(versionId, proofs)`.
fn records(file: &Value) -> Result<Vec<(&str, Vec<&Value>)>, WitnessError> {
    let malformed = |reason: &str| WitnessError::MalformedFile { reason: reason.to_owned() };
    let list = file.as_array().ok_or_else(|| malformed("not a JSON array"))?;
    list.iter()
        .map(|record| {
            let version_id = record
                .get("versionId")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("a record has no versionId"))?;
            let proofs = match record.get("proof") {
                Some(Value::Array(set)) => set.iter().collect(),
                Some(one @ Value::Object(_)) => vec![one],
                _ => return Err(malformed("a record's proof is not a proof or a list of proofs")),
            };
            Ok((version_id, proofs))
        })
        .collect()
}

/// Every witness named in the entries up to each version: `named[n - 1]`.
fn named_up_to(states: &[DidState]) -> Result<Vec<Vec<String>>, LogError> {
    let mut named: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(states.len());
    for state in states {
        for w in rule_after(state)?.iter().flat_map(WitnessRule::witnesses) {
            if !named.contains(w) {
                named.push(w.clone());
            }
        }
        out.push(named.clone());
    }
    Ok(out)
}

/// Verifies one witness proof on the published `version_id` by one of `named`, and
/// returns its signer's DID.
async fn verify_approval(
    version_id: &str,
    proof: &Value,
    named: &[String],
    now: DateTime<Utc>,
) -> Result<String, WitnessError> {
    let vm = proof.get("verificationMethod").and_then(Value::as_str).unwrap_or_default();
    let signer = vm.split('#').next().unwrap_or_default().to_owned();
    if !named.contains(&signer) {
        return Err(WitnessError::NotAWitness { version_id: version_id.to_owned(), signer });
    }
    let key = signer.strip_prefix("did:key:").expect("named witnesses are did:key DIDs");
    let document = json!({ "versionId": version_id, "proof": [proof] });
    log::verify_signed(&document, &[key.to_owned()], &[Suite::EddsaJcs2022], now).await.map_err(
        |reason| WitnessError::InvalidProof {
            version_id: version_id.to_owned(),
            signer: signer.clone(),
            reason,
        },
    )?;
    Ok(signer)
}

/// Checks that every entry of a verified log (`states`, oldest first) that
/// needs witnessing is approved by its witnesses in `file` (`did-witness.json`;
/// `None` when there is none).
pub(crate) async fn verify(
    states: &[DidState],
    file: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<(), LogError> {
    let required = requirements(states)?;
    let Some(first) = required.iter().position(|r| !r.is_empty()) else {
        return Ok(());
    };
    let file = file.ok_or(WitnessError::NoWitnessFile { entry: first as u64 + 1 })?;
    let named = named_up_to(states)?;
    let published: HashMap<&str, u64> =
        states.iter().map(|s| (s.version_id.as_str(), s.version_number)).collect();

    let mut approved_up_to: HashMap<String, u64> = HashMap::new();
    for (version_id, proofs) in records(file)? {
        let Some(&n) = published.get(version_id) else {
            let number = version_id.split_once('-').and_then(|(n, _)| n.parse::<u64>().ok());
            if let Some(n) = number.filter(|n| (1..=states.len() as u64).contains(n))
                && !proofs.is_empty()
            {
                let actual = states[n as usize - 1].version_id.clone();
                return Err(WitnessError::ReplayedProof {
                    version_id: version_id.to_owned(),
                    entry: n,
                    actual,
                }
                .into());
            }
            continue; // not published yet: ignored, approves nothing
        };
        for proof in proofs {
            let signer = verify_approval(version_id, proof, &named[n as usize - 1], now).await?;
            let best = approved_up_to.entry(signer).or_insert(0);
            *best = (*best).max(n);
        }
    }

    for (i, rules) in required.iter().enumerate() {
        let n = i as u64 + 1;
        if let Some(rule) = rules.first()
            && !rules.iter().any(|r| r.approvals(n, &approved_up_to) >= r.threshold)
        {
            let approvals = rule.approvals(n, &approved_up_to);
            return Err(
                WitnessError::NotEnoughApprovals { entry: n, approvals, threshold: rule.threshold }.into()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const A: &str = "did:key:z6Mkrv5Cm2XCLumMPTqooLTCw6YDf421d7VdTziwrZ8vNf4L";
    const B: &str = "did:key:z6MkjnHi6KJKx625x56sxudLoKdDVDABJ5VHHdXRFPUea7NP";

    fn param(threshold: u64, ids: &[&str]) -> Value {
        json!({ "threshold": threshold, "witnesses": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() })
    }

    fn state(n: u64, witness: Value) -> DidState {
        let t = chrono::DateTime::from_timestamp(n as i64, 0).unwrap();
        DidState {
            did: "did:webvh:scid:example.com".into(),
            scid: "scid".into(),
            version_id: format!("{n}-hash"),
            version_number: n,
            entry_hash: "hash".into(),
            version_time: t,
            created: t,
            parameters: [("witness".to_owned(), witness)].into_iter().collect(),
            document: json!({}),
            deactivated: false,
            removed_keys: Default::default(),
        }
    }

    #[test]
    fn the_witness_parameter_is_parsed_strictly() {
        assert_eq!(WitnessRule::from_parameter(&json!({})), Ok(None));
        let rule = WitnessRule::from_parameter(&param(1, &[B, A])).unwrap().unwrap();
        assert_eq!((rule.threshold(), rule.witnesses()), (1, &[B.to_owned(), A.to_owned()][..]));
        for bad in [
            param(0, &[A]),
            param(2, &[A]),
            param(2, &[A, A]),
            param(1, &["did:web:example.com"]),
            param(1, &["did:key:zNotAKey"]),
            json!({ "threshold": 1 }),
            json!(null),
        ] {
            assert!(WitnessRule::from_parameter(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_list_applies_after_its_entry_except_when_switching_witnessing_on() {
        let (a, ab) = (param(1, &[A]), param(2, &[A, B]));
        let rule = |p: &Value| WitnessRule::from_parameter(p).unwrap().unwrap();
        let states = [
            state(1, json!({})),
            state(2, a.clone()),  // switched on: its own list
            state(3, a.clone()),  // unchanged
            state(4, ab.clone()), // replaced: the old list, or (vectors) the new one
            state(5, json!({})),  // switched off: the old list
            state(6, json!({})),
        ];
        let required = requirements(&states).unwrap();
        assert_eq!(
            required,
            vec![vec![], vec![rule(&a)], vec![rule(&a)], vec![rule(&a), rule(&ab)], vec![rule(&ab)], vec![]]
        );
    }
}
