//! DID logs in the did:webvh 1.0 structure, and the rule every new entry must
//! pass: the ledger's append rule and the resolver's replay are this one code.
//!
//! A log is a sequence of entries `{versionId, versionTime, parameters, state,
//! proof}`. Verifying entry *n* against the state after entry *n−1*:
//! 1. `versionId` is `n-<entryHash>`, where the entry hash is the base58btc
//!    SHA-256 multihash of the JCS form of the entry without `proof` and with
//!    `versionId` set to the previous one (the SCID for the first entry);
//! 2. the first entry names the method and version, and its SCID is the hash of
//!    the entry with the SCID replaced by `{SCID}`;
//! 3. `versionTime` is later than the previous one and not more than
//!    [`MAX_CLOCK_SKEW`] ahead of the verifier's clock;
//! 4. parameters accumulate; with pre-rotation active (the previous entry
//!    committed `nextKeyHashes`), the entry must name new `updateKeys`, each the
//!    pre-image of a committed hash;
//! 5. the `eddsa-jcs-2022` proof is by one of the authorised update keys: the
//!    entry's own with pre-rotation (or for the first entry), the previous
//!    ones otherwise; for `did:didam`, every committed key is revealed (of
//!    the type `nextKeyTypes` named for it) and every update key signs
//!    (`eddsa-jcs-2022` or `mldsa44-jcs-2024`): hybrid control;
//! 6. the DID document's `id` is the DID (for `did:didam`, a well-formed
//!    [`crate::DidamDid`] whose SCID is the log's), and nothing follows a
//!    deactivation.
//!
//! A whole log ([`verify_log_with_witnesses`]) then passes the witness check
//! of [`crate::witness`]: each entry whose `witness` rule is on needs its
//! threshold of approvals in `did-witness.json`. [`verify_log`] is the same
//! without a witness file, so it refuses any log that needs witnesses.
//!
//! See: <https://identity.foundation/didwebvh/v1.0/>

use chrono::{DateTime, Utc};
use didam_credential::did::{NoFallback, ProofPurpose, StaticMethods};
use didam_credential::proof::{self, ProofExpectations, Unsecured};
use didam_credential::{KeyType, Outcome, PublicKey, Security, Suite, canon, verify::VerifyOptions};
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use std::collections::BTreeMap;

use crate::LogEntry;
use crate::error::EntryError;
use crate::history::{self, KeyRemoval, REMOVED_KEYS};
use crate::witness::{self, WitnessError, WitnessRule};

/// How far an entry's `versionTime` may be ahead of the verifier's clock: 5
/// minutes (`specs/did-didam.md`, clock skew).
///
/// A controller's clock and the ledger's are never exactly equal: an entry
/// written the moment it is sent must not be refused because the ledger's
/// clock is a few seconds behind. Five minutes is the skew Kerberos has
/// tolerated by default for decades (RFC 4120, section 1.2) and covers a
/// host without NTP for days; it is short enough that the one thing a
/// future date buys, blocking the DID's next update until that date has
/// passed (each entry must be later than the one before), costs a
/// controller at most five minutes.
pub const MAX_CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The DID methods whose logs this module verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `did:webvh`, version 1.0.
    WebVh,
    /// `did:didam`, version 1.0 (see `specs/did-didam.md`).
    Didam,
}

impl Method {
    /// The `method` parameter value of the first entry.
    pub fn parameter(self) -> &'static str {
        match self {
            Self::WebVh => "did:webvh:1.0",
            Self::Didam => "did:didam:1.0",
        }
    }

    /// The DID prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::WebVh => "did:webvh:",
            Self::Didam => "did:didam:",
        }
    }
}

/// Why a log or entry is refused, by the DID Resolution error it maps to.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogError {
    /// The DID, its SCID or an entry's structure or chaining is wrong (`invalidDid`).
    #[error("entry {entry}: {reason}")]
    InvalidDid {
        /// 1-based entry number.
        entry: u64,
        /// What is wrong.
        reason: String,
    },
    /// An entry's proof is missing, malformed, or not by an authorised key (`invalidProof`).
    #[error("entry {entry}: invalid proof: {reason}")]
    InvalidProof {
        /// 1-based entry number.
        entry: u64,
        /// What is wrong.
        reason: String,
    },
    /// An entry's parameters are invalid (`invalidParameters`).
    #[error("entry {entry}: invalid parameters: {reason}")]
    InvalidParameters {
        /// 1-based entry number.
        entry: u64,
        /// What is wrong.
        reason: String,
    },
    /// The witness approvals of the log do not hold (`invalidDid`).
    #[error("witnesses: {0}")]
    Witness(#[from] WitnessError),
    /// An entry's `versionTime` is further ahead of the verifier's clock
    /// than [`MAX_CLOCK_SKEW`] (`invalidDid`).
    #[error(
        "entry {entry}: versionTime {version_time} is more than {} s ahead of the verifier's clock ({now})",
        MAX_CLOCK_SKEW.num_seconds()
    )]
    FutureVersionTime {
        /// 1-based entry number.
        entry: u64,
        /// The entry's `versionTime`.
        version_time: DateTime<Utc>,
        /// The verifier's clock when it checked the entry.
        now: DateTime<Utc>,
    },
}

impl LogError {
    /// The DID Resolution error name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidDid { .. } | Self::Witness(_) | Self::FutureVersionTime { .. } => "invalidDid",
            Self::InvalidProof { .. } => "invalidProof",
            Self::InvalidParameters { .. } => "invalidParameters",
        }
    }
}

/// The state of a DID after one verified entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DidState {
    /// The DID.
    pub did: String,
    /// The self-certifying identifier.
    pub scid: String,
    /// The entry's `versionId` (`n-<entryHash>`).
    pub version_id: String,
    /// `n`.
    pub version_number: u64,
    /// The entry hash.
    pub entry_hash: String,
    /// The entry's `versionTime`.
    pub version_time: DateTime<Utc>,
    /// `versionTime` of the first entry.
    pub created: DateTime<Utc>,
    /// The accumulated parameters.
    pub parameters: Map<String, Value>,
    /// The DID document.
    pub document: Value,
    /// Whether the DID is deactivated.
    pub deactivated: bool,
    /// Why this entry removed verification methods, by method id (its own
    /// `removedKeys`, not accumulated; `specs/did-didam.md` §4.5).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub removed_keys: BTreeMap<String, KeyRemoval>,
}

impl DidState {
    fn strings(&self, name: &str) -> Vec<String> {
        self.parameters
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The active update keys (Multikey strings).
    pub fn update_keys(&self) -> Vec<String> {
        self.strings("updateKeys")
    }

    /// The committed hashes of the next update keys.
    pub fn next_key_hashes(&self) -> Vec<String> {
        self.strings("nextKeyHashes")
    }

    /// The types of the committed next update keys, one per hash in order
    /// (`nextKeyTypes`; without it, every committed key is Ed25519).
    pub fn next_key_types(&self) -> Vec<KeyType> {
        let named: Vec<KeyType> =
            self.strings("nextKeyTypes").iter().filter_map(|n| update_key_type(n)).collect();
        if named.is_empty() { vec![KeyType::Ed25519; self.next_key_hashes().len()] } else { named }
    }

    /// How the DID's control resists a quantum computer: its active update
    /// keys are all classical, all quantum-safe, or a mix of both (hybrid:
    /// every key must sign, so control survives a break of either family).
    pub fn control_security(&self) -> Security {
        let types: Vec<KeyType> = self
            .update_keys()
            .iter()
            .filter_map(|k| PublicKey::from_multikey(k).ok())
            .map(|k| k.key_type())
            .collect();
        security_of(&types)
    }
}

/// The key types an update key of a did:didam may have, each with the
/// Data Integrity suite its entries are signed with.
pub const UPDATE_KEY_TYPES: [(KeyType, Suite); 2] =
    [(KeyType::Ed25519, Suite::EddsaJcs2022), (KeyType::MlDsa44, Suite::Mldsa44Jcs2024)];

/// The update key type named `name` (`ed25519`, `ml-dsa-44`), if update keys
/// may have it.
pub fn update_key_type(name: &str) -> Option<KeyType> {
    UPDATE_KEY_TYPES.iter().map(|(t, _)| *t).find(|t| t.name() == name)
}

/// The suite an entry's proof by an update key of `key_type` uses.
pub fn update_suite(key_type: KeyType) -> Option<Suite> {
    UPDATE_KEY_TYPES.iter().find(|(t, _)| *t == key_type).map(|(_, s)| *s)
}

/// Classical, quantum-safe or (a mix) hybrid, for a set of key types that
/// must all sign.
pub fn security_of(types: &[KeyType]) -> Security {
    let quantum = types.iter().filter(|t| t.security() == Security::QuantumSafe).count();
    match quantum {
        0 => Security::Classical,
        q if q == types.len() => Security::QuantumSafe,
        _ => Security::Hybrid,
    }
}

/// The base58btc SHA-256 multihash of `bytes` (the `Qm…` form did:webvh uses).
pub fn multihash(bytes: &[u8]) -> String {
    let mut mh = vec![0x12, 0x20];
    mh.extend_from_slice(&sha2::Sha256::digest(bytes));
    multibase::Base::Base58Btc.encode(mh)
}

/// The pre-rotation commitment to an update key (a Multikey string).
pub fn key_hash(update_key: &str) -> String {
    multihash(update_key.as_bytes())
}

fn jcs(value: &Value) -> Result<String, EntryError> {
    canon::jcs(value).map_err(EntryError::Canonical)
}

/// The entry hash of `entry` chained to `previous_version_id`.
pub fn entry_hash(entry: &Value, previous_version_id: &str) -> Result<String, EntryError> {
    let mut e = entry.clone();
    let map = e.as_object_mut().ok_or(EntryError::NotAnObject)?;
    map.remove("proof");
    map.insert("versionId".into(), previous_version_id.into());
    Ok(multihash(jcs(&e)?.as_bytes()))
}

/// The SCID of a first entry that already contains it (as `scid`).
pub fn scid_of(first: &Value, scid: &str) -> Result<String, EntryError> {
    let mut e = first.clone();
    let map = e.as_object_mut().ok_or(EntryError::NotAnObject)?;
    map.remove("proof");
    map.insert("versionId".into(), "{SCID}".into());
    let text = serde_json::to_string(&e)?.replace(scid, "{SCID}");
    let templated: Value = serde_json::from_str(&text)?;
    Ok(multihash(jcs(&templated)?.as_bytes()))
}

/// The SCID of a first entry written with `{SCID}` placeholders.
pub fn scid_of_template(template: &Value) -> Result<String, EntryError> {
    let mut e = template.clone();
    let map = e.as_object_mut().ok_or(EntryError::NotAnObject)?;
    map.remove("proof");
    map.insert("versionId".into(), "{SCID}".into());
    Ok(multihash(jcs(&e)?.as_bytes()))
}

/// Verifies `entry` as the successor of `previous` (`None`: the first entry of
/// `did`'s log) at time `now`, and returns the new state.
pub async fn verify_entry(
    method: Method,
    previous: Option<&DidState>,
    entry: &Value,
    now: DateTime<Utc>,
) -> Result<DidState, LogError> {
    let n = previous.map_or(1, |p| p.version_number + 1);
    let bad_did = |reason: String| LogError::InvalidDid { entry: n, reason };
    let bad_params = |reason: String| LogError::InvalidParameters { entry: n, reason };
    let obj = entry.as_object().ok_or_else(|| bad_did("an entry is a JSON object".into()))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "versionId" | "versionTime" | "parameters" | "state" | "proof") {
            return Err(bad_did(format!("unexpected member `{key}`")));
        }
    }
    if previous.is_some_and(|p| p.deactivated) {
        return Err(bad_did("the DID is deactivated: no entry may follow".into()));
    }

    // 1. versionId and the hash chain.
    let version_id =
        obj.get("versionId").and_then(Value::as_str).ok_or_else(|| bad_did("no versionId".into()))?;
    let (number, hash) =
        version_id.split_once('-').ok_or_else(|| bad_did("versionId is not n-hash".into()))?;
    if number != n.to_string() {
        return Err(bad_did(format!("versionId number {number}, expected {n}")));
    }
    let parameters = obj
        .get("parameters")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_params("no parameters object".into()))?;

    // 2. SCID and method of the first entry.
    let scid = match previous {
        Some(p) => {
            if parameters.contains_key("scid")
                && parameters.get("scid").and_then(Value::as_str) != Some(&p.scid)
            {
                return Err(bad_params("the SCID cannot change".into()));
            }
            p.scid.clone()
        }
        None => {
            let method_param = parameters.get("method").and_then(Value::as_str).unwrap_or_default();
            if method_param != method.parameter() {
                return Err(bad_did(format!("method `{method_param}`, expected `{}`", method.parameter())));
            }
            let scid = parameters
                .get("scid")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_params("the first entry has no scid".into()))?;
            let computed = scid_of(entry, scid).map_err(|e| bad_did(e.to_string()))?;
            if computed != scid {
                return Err(bad_did(format!("SCID {scid} does not match the first entry ({computed})")));
            }
            scid.to_owned()
        }
    };
    let previous_version = previous.map_or(scid.as_str(), |p| p.version_id.as_str());
    let computed = entry_hash(entry, previous_version).map_err(|e| bad_did(e.to_string()))?;
    if computed != hash {
        return Err(bad_did(format!("entry hash {hash} does not match the entry ({computed})")));
    }

    // 3. versionTime.
    let version_time = obj
        .get("versionTime")
        .and_then(Value::as_str)
        .and_then(didam_credential::credential::parse_datetime)
        .ok_or_else(|| bad_did("versionTime is not a UTC date-time".into()))?;
    if version_time > now + MAX_CLOCK_SKEW {
        return Err(LogError::FutureVersionTime { entry: n, version_time, now });
    }
    if previous.is_some_and(|p| version_time <= p.version_time) {
        return Err(bad_did("versionTime is not later than the previous entry's".into()));
    }

    // 4. Parameters, pre-rotation.
    let mut accumulated = previous.map(|p| p.parameters.clone()).unwrap_or_default();
    for (k, v) in parameters {
        accumulated.insert(k.clone(), v.clone());
    }
    // Types name the hashes of the same entry: new hashes without types
    // drop the old types (the new keys are then Ed25519).
    if parameters.contains_key("nextKeyHashes") && !parameters.contains_key("nextKeyTypes") {
        accumulated.remove("nextKeyTypes");
    }
    // Why keys left describes this entry only: checked with its document
    // (step 6), never accumulated. did:webvh defines no such parameter.
    let removals = accumulated.remove(REMOVED_KEYS);
    if removals.is_some() && method != Method::Didam {
        return Err(bad_params(format!("unknown parameter `{REMOVED_KEYS}`")));
    }
    validate_parameters(&accumulated).map_err(bad_params)?;
    if let Some(types) = string_list(accumulated.get("nextKeyTypes")) {
        let hashes = string_list(accumulated.get("nextKeyHashes")).unwrap_or_default();
        if types.len() != hashes.len() {
            return Err(bad_params(format!(
                "nextKeyTypes names {} key types for {} nextKeyHashes",
                types.len(),
                hashes.len()
            )));
        }
    }
    // did:didam makes pre-rotation mandatory: every entry but a deactivation
    // commits, in its own parameters, to the next update key.
    let deactivating = accumulated.get("deactivated").and_then(Value::as_bool) == Some(true);
    if method == Method::Didam
        && !deactivating
        && string_list(parameters.get("nextKeyHashes")).is_none_or(|h| h.is_empty())
    {
        return Err(bad_params(
            "did:didam requires pre-rotation: each entry commits to nextKeyHashes".into(),
        ));
    }
    let own_keys = string_list(parameters.get("updateKeys"));
    let committed = previous.map(DidState::next_key_hashes).unwrap_or_default();
    let authorised = match previous {
        None => own_keys.clone().ok_or_else(|| bad_params("the first entry has no updateKeys".into()))?,
        Some(_) if !committed.is_empty() => {
            let keys = own_keys.clone().filter(|k| !k.is_empty()).ok_or_else(|| {
                bad_params("pre-rotation is active: the entry must name its new updateKeys".into())
            })?;
            if let Some(k) = keys.iter().find(|k| !committed.contains(&key_hash(k))) {
                return Err(bad_params(format!("update key {k} was not committed in nextKeyHashes")));
            }
            if method == Method::Didam
                && let Some(p) = previous
            {
                check_reveal(p, &keys).map_err(bad_params)?;
            }
            keys
        }
        Some(p) => p.update_keys(),
    };

    // 5. The proof: for did:didam one by every authorised key (control is
    // the conjunction of the update keys: hybrid when they mix classical and
    // quantum-safe types).
    verify_proof(n, method, entry, &authorised, now).await?;

    // 6. The document.
    let document = obj.get("state").cloned().ok_or_else(|| bad_did("no state".into()))?;
    let did =
        document.get("id").and_then(Value::as_str).ok_or_else(|| bad_did("the state has no id".into()))?;
    let well_formed = match method {
        Method::Didam => crate::DidamDid::parse(did).is_ok_and(|d| d.scid() == scid),
        Method::WebVh => did.starts_with(method.prefix()) && did.contains(&scid),
    };
    if !well_formed {
        return Err(bad_did(format!(
            "the document id {did} is not a {} DID with SCID {scid}",
            method.prefix()
        )));
    }
    if let Some(p) = previous
        && p.did != did
        && accumulated.get("portable").and_then(Value::as_bool) != Some(true)
    {
        return Err(bad_did("the DID changed but the DID is not portable".into()));
    }
    let removed_keys = match &removals {
        Some(value) => history::check_removals(value, previous, did, &document, n).map_err(bad_params)?,
        None => BTreeMap::new(),
    };
    let deactivated = accumulated.get("deactivated").and_then(Value::as_bool).unwrap_or(false);
    Ok(DidState {
        did: did.to_owned(),
        scid,
        version_id: version_id.to_owned(),
        version_number: n,
        entry_hash: computed,
        version_time,
        created: previous.map_or(version_time, |p| p.created),
        parameters: accumulated,
        document,
        deactivated,
        removed_keys,
    })
}

/// did:didam's reveal rule: the entry's update keys are exactly the keys
/// `previous` committed to (every committed hash revealed, once), each of
/// the type committed for it. Revealing only some of them would let whoever
/// breaks one algorithm drop the other key from a hybrid DID's control.
fn check_reveal(previous: &DidState, keys: &[String]) -> Result<(), String> {
    let hashes = previous.next_key_hashes();
    let types = previous.next_key_types();
    let mut revealed = vec![false; hashes.len()];
    for k in keys {
        let h = key_hash(k);
        let Some(i) = hashes.iter().position(|c| *c == h) else {
            return Err(format!("update key {k} was not committed in nextKeyHashes"));
        };
        if std::mem::replace(&mut revealed[i], true) {
            return Err(format!("update key {k} is named twice"));
        }
        let kind = PublicKey::from_multikey(k).map_err(|e| format!("update key {k}: {e}"))?.key_type();
        if types.get(i) != Some(&kind) {
            return Err(format!(
                "update key {k} is {}, but the key committed for it is {}",
                kind.name(),
                types.get(i).map_or("unnamed", |t| t.name())
            ));
        }
    }
    if let Some(missing) = revealed.iter().position(|r| !r) {
        return Err(format!(
            "the committed {} update key {} is not revealed: did:didam control needs every committed key",
            types.get(missing).map_or("?", |t| t.name()),
            hashes[missing]
        ));
    }
    Ok(())
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array()?.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

fn validate_parameters(p: &Map<String, Value>) -> Result<(), String> {
    for (name, value) in p {
        match name.as_str() {
            "method" | "scid" => {
                value.as_str().ok_or(format!("`{name}` is not a string"))?;
            }
            "nextKeyTypes" => {
                let list = string_list(Some(value)).ok_or("`nextKeyTypes` is not a list of strings")?;
                if let Some(bad) = list.iter().find(|t| update_key_type(t).is_none()) {
                    return Err(format!(
                        "`nextKeyTypes`: `{bad}` is not an update key type (ed25519, ml-dsa-44)"
                    ));
                }
            }
            "updateKeys" | "nextKeyHashes" => {
                let list = string_list(Some(value)).ok_or(format!("`{name}` is not a list of strings"))?;
                if name == "updateKeys" {
                    for k in &list {
                        PublicKey::from_multikey(k).map_err(|e| format!("update key {k}: {e}"))?;
                    }
                }
            }
            "portable" | "deactivated" => {
                value.as_bool().ok_or(format!("`{name}` is not a boolean"))?;
            }
            "ttl" => {
                value.as_u64().ok_or("`ttl` is not a non-negative integer")?;
            }
            "watchers" => {
                string_list(Some(value)).ok_or("`watchers` is not a list of strings")?;
            }
            "witness" => {
                WitnessRule::from_parameter(value).map_err(|e| e.0)?;
            }
            other => return Err(format!("unknown parameter `{other}`")),
        }
    }
    Ok(())
}

async fn verify_proof(
    n: u64,
    method: Method,
    entry: &Value,
    authorised: &[String],
    now: DateTime<Utc>,
) -> Result<(), LogError> {
    let invalid = |reason| LogError::InvalidProof { entry: n, reason };
    let suites: &[Suite] = match method {
        Method::Didam => &[Suite::EddsaJcs2022, Suite::Mldsa44Jcs2024],
        Method::WebVh => &[Suite::EddsaJcs2022],
    };
    if method == Method::Didam {
        let proofs = proof::proofs_of(entry);
        if proofs.len() > authorised.len() {
            return Err(invalid(format!("{} proofs for {} update keys", proofs.len(), authorised.len())));
        }
        for k in authorised {
            let vm = format!("did:key:{k}#{k}");
            if !proofs.iter().any(|p| p.get("verificationMethod").and_then(Value::as_str) == Some(&vm)) {
                return Err(invalid(format!("update key {k} did not sign: every update key must")));
            }
            let kind = PublicKey::from_multikey(k).map_err(|e| invalid(e.to_string()))?.key_type();
            if update_suite(kind).is_none() {
                return Err(invalid(format!("update key {k} is {}: not an update key type", kind.name())));
            }
        }
    }
    verify_signed(entry, authorised, suites, now).await.map_err(invalid)
}

/// Checks the proofs on `document`: each is one of `suites`, for
/// `assertionMethod`, and verifies with one of `keys` (Multikey strings, as
/// `did:key:<key>#<key>` methods). Log entries and witness approvals both go
/// through here.
pub(crate) async fn verify_signed(
    document: &Value,
    keys: &[String],
    suites: &[Suite],
    now: DateTime<Utc>,
) -> Result<(), String> {
    let proofs = proof::proofs_of(document);
    if proofs.is_empty() {
        return Err("there is no proof".into());
    }
    for p in &proofs {
        if !Suite::of_proof(p).is_ok_and(|s| suites.contains(&s)) {
            let names: Vec<&str> = suites.iter().map(|s| s.name()).collect();
            return Err(format!("proofs here are {}", names.join(" or ")));
        }
    }
    let mut methods = StaticMethods::new(NoFallback);
    for k in keys {
        let vm = json!({ "id": format!("did:key:{k}#{k}"), "controller": format!("did:key:{k}"), "publicKeyMultibase": k });
        methods.insert(&vm, &[ProofPurpose::AssertionMethod]).map_err(|e| e.to_string())?;
    }
    let expect = ProofExpectations {
        purpose: ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
        now,
        // A proof made with its entry is dated like it: the same tolerance.
        skew_seconds: VerifyOptions::default().skew_seconds.max(MAX_CLOCK_SKEW.num_seconds()),
    };
    let checks = proof::verify_proofs(document, &Unsecured::new(document), &methods, &expect)
        .await
        .map_err(|e| e.to_string())?;
    match checks.iter().find(|c| c.outcome == Outcome::Failed) {
        Some(failed) => Err(format!("{}: {}", failed.check.name(), failed.detail)),
        None => Ok(()),
    }
}

/// Verifies a whole log (JSON Lines) that needs no witnesses, and returns the
/// state after each entry. A log whose `witness` parameter is on fails with
/// [`WitnessError::NoWitnessFile`]: use [`verify_log_with_witnesses`].
pub async fn verify_log(method: Method, jsonl: &str, now: DateTime<Utc>) -> Result<Vec<DidState>, LogError> {
    verify_log_with_witnesses(method, jsonl, None, now).await
}

/// Verifies a whole log (JSON Lines) and its witness proofs (the parsed
/// `did-witness.json`, `None` if the DID publishes none), and returns the
/// state after each entry.
///
/// See: <https://identity.foundation/didwebvh/v1.0/#verifying-witness-proofs-during-resolution>
pub async fn verify_log_with_witnesses(
    method: Method,
    jsonl: &str,
    witness_file: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<Vec<DidState>, LogError> {
    let mut states: Vec<DidState> = Vec::new();
    for (i, line) in jsonl.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let entry: Value = serde_json::from_str(line)
            .map_err(|e| LogError::InvalidDid { entry: i as u64 + 1, reason: format!("not JSON: {e}") })?;
        let state = verify_entry(method, states.last(), &entry, now).await?;
        states.push(state);
    }
    if states.is_empty() {
        return Err(LogError::InvalidDid { entry: 1, reason: "the log is empty".into() });
    }
    witness::verify(&states, witness_file, now).await?;
    Ok(states)
}

/// What a new entry says: parameters that change, and the new DID document.
#[derive(Clone, Debug)]
pub struct EntryDraft {
    /// Parameters to set (for the first entry: all of them except `method`
    /// and `scid`, which are filled in).
    pub parameters: Map<String, Value>,
    /// The DID document; in a first entry, write the SCID as `{SCID}`.
    pub document: Value,
    /// The entry's `versionTime`.
    pub version_time: DateTime<Utc>,
}

/// Signs `entry` with each of `update_keys` (`eddsa-jcs-2022` for Ed25519,
/// `mldsa44-jcs-2024` for ML-DSA-44; did:key methods) and returns it with
/// its proofs, one a key, as the proof array (a proof set).
async fn sign_entry(
    mut entry: Value,
    update_keys: &[&didam_credential::SecretKey],
) -> Result<Value, EntryError> {
    let created = entry["versionTime"]
        .as_str()
        .and_then(didam_credential::credential::parse_datetime)
        .ok_or(EntryError::NoVersionTime)?;
    let mut proofs = Vec::with_capacity(update_keys.len());
    for key in update_keys {
        let mk = key.public_key().to_multikey();
        let suite = update_suite(key.key_type()).ok_or(EntryError::UpdateKeyType(key.key_type()))?;
        let options = proof::ProofOptions {
            created: Some(created),
            ..proof::ProofOptions::assertion(suite, format!("did:key:{mk}#{mk}"))
        };
        let signed = proof::add_proof(&entry, key, &options).await.map_err(EntryError::Sign)?;
        proofs.push(signed["proof"].clone());
    }
    entry["proof"] = Value::Array(proofs);
    Ok(entry)
}

/// The first entry of a new DID log: fills in `method` and the SCID, chains
/// and signs it with `update_key` (which must be in `updateKeys`).
pub async fn create_entry(
    method: Method,
    draft: EntryDraft,
    update_key: &didam_credential::SecretKey,
) -> Result<LogEntry, EntryError> {
    create_entry_signed(method, draft, &[update_key]).await
}

/// [`create_entry`] signed by every key of `update_keys` (all of the
/// entry's `updateKeys`, for did:didam).
pub async fn create_entry_signed(
    method: Method,
    draft: EntryDraft,
    update_keys: &[&didam_credential::SecretKey],
) -> Result<LogEntry, EntryError> {
    let mut parameters = draft.parameters;
    parameters.insert("method".into(), method.parameter().into());
    parameters.insert("scid".into(), "{SCID}".into());
    let template = json!({
        "versionId": "{SCID}",
        "versionTime": proof::xsd_datetime(draft.version_time),
        "parameters": parameters,
        "state": draft.document,
    });
    let scid = scid_of_template(&template)?;
    let text = serde_json::to_string(&template)?.replace("{SCID}", &scid);
    let mut entry: Value = serde_json::from_str(&text)?;
    let hash = entry_hash(&entry, &scid)?;
    entry["versionId"] = format!("1-{hash}").into();
    Ok(LogEntry::parse(sign_entry(entry, update_keys).await?)?)
}

/// The entry that follows `previous`, signed with `update_key` (an active
/// update key, or with pre-rotation a newly revealed one named in
/// `draft.parameters["updateKeys"]`).
pub async fn next_entry(
    previous: &DidState,
    draft: EntryDraft,
    update_key: &didam_credential::SecretKey,
) -> Result<LogEntry, EntryError> {
    next_entry_signed(previous, draft, &[update_key]).await
}

/// [`next_entry`] signed by every key of `update_keys` (all of the entry's
/// `updateKeys`, for did:didam).
pub async fn next_entry_signed(
    previous: &DidState,
    draft: EntryDraft,
    update_keys: &[&didam_credential::SecretKey],
) -> Result<LogEntry, EntryError> {
    let mut entry = json!({
        "versionId": previous.version_id,
        "versionTime": proof::xsd_datetime(draft.version_time),
        "parameters": draft.parameters,
        "state": draft.document,
    });
    let hash = entry_hash(&entry, &previous.version_id)?;
    entry["versionId"] = format!("{}-{hash}", previous.version_number + 1).into();
    Ok(LogEntry::parse(sign_entry(entry, update_keys).await?)?)
}
