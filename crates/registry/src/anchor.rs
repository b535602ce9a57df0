//! Anchoring digests on the ledger, and proofs of it that verify offline
//! (`specs/did-didam.md` §9.3, "Anchors").
//!
//! An issuer anchors a batch of SHA-256 digests (credentials, status lists,
//! any file) as **one ledger entry**: the only entry of an *anchor log*, a
//! did:didam log whose first entry is also its deactivation (so it can never
//! change, and no key of it is kept), whose state holds the batch's RFC 9162
//! Merkle root ([`didam_ledger::merkle::MemoryTree`]) signed by one of the
//! issuer DID's verification methods. The ledger's append rule and
//! admission limits hold for it like for any entry.
//!
//! A proof ([`AnchorProof`]) is: the digest's path to the batch root; the
//! anchor entry with its inclusion proof; the issuer DID's log with an
//! inclusion proof per entry and its tips record (so the key history is
//! complete and proven); and the signed checkpoint (a C2SP note) all of
//! them are proven under. Steps of [`verify`], with no network:
//! 1. open the checkpoint with the pinned operator key;
//! 2. the anchor entry's inclusion, then the entry itself (a frozen anchor
//!    log naming the issuer, the root and the size);
//! 3. the digest's path to the root;
//! 4. every line of the issuer's log included, its latest the one the
//!    checkpoint's tips tree names, the log replayed;
//! 5. the key history ([`KeyHistory`]): the anchor's signature verifies with
//!    a key one of the issuer's methods had, and that key stood at the
//!    anchor's ledger position (added before it, not retired or compromised
//!    at or before it).

use chrono::Utc;
use didam_credential::did::{NoFallback, ProofPurpose, StaticMethods};
use didam_credential::proof::{self, ProofExpectations, ProofOptions, Unsecured};
use didam_credential::{Outcome, SecretKey, Suite, canon};
use didam_ledger::merkle::{self, Hash, MemoryTree, ProofError};
use didam_ledger::note::{Checkpoint, NoteError, NoteVerifier};
use didam_ledger::{Ledger, LedgerError, Receipt};
use didam_method::history::{KeyHistory, MethodKey, Standing};
use didam_method::log::{self, EntryDraft, LogError, Method};
use didam_method::{DidamDid, LogEntry};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Digest as _;

/// The member of an anchor log's state that holds the signed statement.
pub const ANCHOR_MEMBER: &str = "didamAnchor";
/// The statement's `type`.
pub const ANCHOR_TYPE: &str = "DidamAnchor";
/// The proof bundle's `type`.
pub const PROOF_TYPE: &str = "DidamAnchorProof";
/// The member of a credential that may carry its anchor proof, outside the
/// signed data (removed before the credential's digest is taken).
pub const CREDENTIAL_MEMBER: &str = "anchorProof";

/// The SHA-256 digest of `bytes` (a file as anchored).
pub fn digest(bytes: &[u8]) -> Hash {
    Hash(sha2::Sha256::digest(bytes).into())
}

/// The digest of a credential as anchored: SHA-256 of the JCS of the
/// credential without its [`CREDENTIAL_MEMBER`] (the signed credential with
/// its proofs, so a changed claim or proof is another digest).
pub fn credential_digest(credential: &Value) -> Result<Hash, AnchorError> {
    let mut c = credential.clone();
    c.as_object_mut().ok_or(AnchorError::NotACredential)?.remove(CREDENTIAL_MEMBER);
    let text = canon::jcs(&c).map_err(|_| AnchorError::NotACredential)?;
    Ok(digest(text.as_bytes()))
}

/// A batch of digests and its RFC 9162 tree.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    tree: MemoryTree,
    digests: Vec<Hash>,
}

impl Batch {
    /// The batch of `digests`, in order (leaf data: the 32 digest bytes).
    pub fn new(digests: &[Hash]) -> Self {
        let mut tree = MemoryTree::new();
        for d in digests {
            tree.push(d.as_bytes());
        }
        Self { tree, digests: digests.to_vec() }
    }

    /// The root.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// The number of digests.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The path of digest `index` to the root.
    pub fn path(&self, index: u64) -> Result<BatchPath, ProofError> {
        let path = self.tree.inclusion_proof(index, self.size())?;
        Ok(BatchPath { index, size: self.size(), path: path.iter().map(Hash::to_hex).collect() })
    }

    /// The digests, in order.
    pub fn digests(&self) -> &[Hash] {
        &self.digests
    }
}

/// A digest's place in its batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPath {
    /// Its index in the batch.
    pub index: u64,
    /// The batch's size.
    pub size: u64,
    /// The RFC 9162 inclusion proof, hex.
    pub path: Vec<String>,
}

/// One ledger entry as a proof carries it: the line, its leaf index and its
/// inclusion proof (hex) under the proof's checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenEntry {
    /// The leaf index.
    pub leaf: u64,
    /// The entry's JCS line, exactly the leaf data.
    pub entry: String,
    /// Its inclusion proof, hex.
    pub inclusion: Vec<String>,
}

/// The issuer's tips record proof (`specs/did-didam.md` §8.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipEvidence {
    /// The tips tree's size.
    pub count: u64,
    /// The siblings of its path in the tips tree, from the root down, hex
    /// (`specs/did-didam.md` §8.4).
    pub proof: Vec<String>,
}

/// The issuer's log as of the checkpoint, every entry proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerEvidence {
    /// The issuer DID.
    pub did: String,
    /// Its log, oldest first.
    pub log: Vec<ProvenEntry>,
    /// Its tips record's proof.
    pub tip: TipEvidence,
}

/// An offline proof that a digest was anchored by an issuer at a ledger
/// position (`specs/did-didam.md` §9.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorProof {
    /// Always [`PROOF_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The digest, hex.
    pub digest: String,
    /// The digest's path to the batch root.
    pub batch: BatchPath,
    /// The anchor entry.
    pub anchor: ProvenEntry,
    /// The issuer's log.
    pub issuer: IssuerEvidence,
    /// The signed checkpoint (C2SP note) every proof is under.
    pub checkpoint: String,
}

/// What a verified anchor proves.
#[derive(Clone, Debug)]
pub struct VerifiedAnchor {
    /// The issuer.
    pub issuer: DidamDid,
    /// The anchor entry's ledger position.
    pub leaf: u64,
    /// The checkpoint it is proven under.
    pub checkpoint: Checkpoint,
    /// The issuer's method whose key signed the anchor.
    pub method: MethodKey,
    /// The issuer's key history, by ledger position.
    pub history: KeyHistory,
}

/// Why an anchor could not be made or proven, or does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// A credential is a JSON object.
    #[error("a credential to anchor is a JSON object")]
    NotACredential,
    /// An empty batch.
    #[error("nothing to anchor")]
    Empty,
    /// The bundle is not an anchor proof.
    #[error("not an anchor proof: {0}")]
    Malformed(String),
    /// The checkpoint is not signed by the pinned operator key.
    #[error("the checkpoint does not verify with the ledger key {key}: {source}")]
    Checkpoint {
        /// The key's name.
        key: String,
        /// Why.
        #[source]
        source: NoteError,
    },
    /// The checkpoint is another ledger's.
    #[error("the checkpoint is of ledger `{origin}`, not of `{key}`")]
    OtherOrigin {
        /// Its origin.
        origin: String,
        /// The pinned key's name.
        key: String,
    },
    /// The file or credential is not the one anchored.
    #[error("the digest {digest} is not the one this proof anchors")]
    OtherDigest {
        /// The digest of what was given.
        digest: String,
    },
    /// The digest's path does not lead to the anchored root.
    #[error("the digest's path does not lead to the anchored batch root: {0}")]
    NotInBatch(#[source] ProofError),
    /// An entry is not at its position under the checkpoint.
    #[error("the entry at leaf {leaf} is not included under the checkpoint: {source}")]
    NotIncluded {
        /// The leaf.
        leaf: u64,
        /// Why.
        #[source]
        source: ProofError,
    },
    /// The anchor entry is not a frozen anchor of the issuer.
    #[error("the anchor entry is not an anchor of {issuer}: {reason}")]
    NotAnAnchor {
        /// The issuer the proof names.
        issuer: String,
        /// Why.
        reason: String,
    },
    /// A ledger entry does not verify by the log rule.
    #[error("{did}: {source}")]
    Log {
        /// The log's DID.
        did: String,
        /// Why.
        #[source]
        source: LogError,
    },
    /// The issuer's log is not complete as of the checkpoint.
    #[error("the issuer's log is not the one the checkpoint commits to: {0}")]
    IssuerLog(String),
    /// The anchor is signed by no key the issuer's document ever held.
    #[error("the anchor is signed with `{method}`, which is no key the issuer ever had")]
    NotTheIssuersKey {
        /// The method the proof names.
        method: String,
    },
    /// The key was not yet (or no longer) the issuer's at the anchor.
    #[error("the anchor at leaf {leaf} is signed with `{method}`, which was not a key of the issuer there")]
    NotAKeyThen {
        /// The method.
        method: String,
        /// The anchor's leaf.
        leaf: u64,
    },
    /// The key was retired at or before the anchor.
    #[error(
        "the anchor at leaf {leaf} is signed with `{method}`, retired at leaf {retired} (entry {version_id})"
    )]
    Retired {
        /// The method.
        method: String,
        /// The anchor's leaf.
        leaf: u64,
        /// The retiring entry's leaf.
        retired: u64,
        /// The retiring entry.
        version_id: String,
    },
    /// The key was compromised from a point at or before the anchor.
    #[error("the anchor at leaf {leaf} is signed with `{method}`, compromised from leaf {from}")]
    Compromised {
        /// The method.
        method: String,
        /// The anchor's leaf.
        leaf: u64,
        /// The first invalid leaf.
        from: u64,
    },
    /// The anchor's signature does not verify.
    #[error("the anchor's signature does not verify: {0}")]
    Signature(String),
    /// Signing or building the anchor entry failed.
    #[error("cannot build the anchor entry: {0}")]
    Build(#[from] didam_method::EntryError),
    /// No checkpoint covers the anchor yet.
    #[error("no checkpoint covers the anchor at leaf {0} yet: sign one (`didam ledger checkpoint`) or wait")]
    NotCovered(u64),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The signed statement of a batch: `{type, issuer, root, size, proof}`,
/// signed by the issuer's `method` (an id of its document) with `key`
/// (`eddsa-jcs-2022`, or the suite of the key's type for JCS).
pub async fn statement(
    issuer: &DidamDid,
    method: &str,
    key: &SecretKey,
    batch: &Batch,
) -> Result<Value, AnchorError> {
    let unsigned = json!({
        "type": ANCHOR_TYPE,
        "issuer": issuer.as_str(),
        "root": batch.root().to_hex(),
        "size": batch.size(),
    });
    let suite = match key.key_type() {
        didam_credential::KeyType::MlDsa44 => Suite::Mldsa44Jcs2024,
        didam_credential::KeyType::P256 | didam_credential::KeyType::P384 => Suite::EcdsaJcs2019,
        _ => Suite::EddsaJcs2022,
    };
    let options = ProofOptions::assertion(suite, method.to_owned());
    proof::add_proof(&unsigned, key, &options).await.map_err(|e| AnchorError::Signature(e.to_string()))
}

/// The anchor entry for a signed `statement`: the first and last entry of a
/// new anchor log on the issuer's network, signed by a one-time key that is
/// dropped (the entry deactivates the log, so nothing can follow).
pub async fn anchor_entry(issuer: &DidamDid, statement: Value) -> Result<LogEntry, AnchorError> {
    let id = match issuer.network() {
        Some(network) => format!("did:didam:{network}:{{SCID}}"),
        None => "did:didam:{SCID}".to_owned(),
    };
    let once = SecretKey::generate(didam_credential::KeyType::Ed25519);
    let mut parameters = Map::new();
    parameters.insert("updateKeys".into(), json!([once.public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([]));
    parameters.insert("deactivated".into(), json!(true));
    let document = json!({ "id": id, ANCHOR_MEMBER: statement });
    let draft = EntryDraft { parameters, document, version_time: Utc::now() };
    Ok(log::create_entry_signed(Method::Didam, draft, &[&once]).await?)
}

/// Anchors `digests` for `issuer` on `ledger`: one entry, signed by the
/// issuer's `method` with `key`. Returns the batch and the receipt.
pub async fn anchor<L: Ledger>(
    ledger: &L,
    issuer: &DidamDid,
    method: &str,
    key: &SecretKey,
    digests: &[Hash],
) -> Result<(Batch, Receipt), AnchorError> {
    if digests.is_empty() {
        return Err(AnchorError::Empty);
    }
    let batch = Batch::new(digests);
    let entry = anchor_entry(issuer, statement(issuer, method, key, &batch).await?).await?;
    let receipt = ledger.append(&entry).await?;
    Ok((batch, receipt))
}

fn hex_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_hex).collect()
}

/// One entry proven at `leaf` under the tree of `size` leaves.
async fn proven<L: Ledger>(
    ledger: &L,
    leaf: u64,
    line: String,
    size: u64,
) -> Result<ProvenEntry, AnchorError> {
    let inclusion = ledger.inclusion_proof(leaf, size).await?;
    Ok(ProvenEntry { leaf, entry: line, inclusion: hex_all(&inclusion) })
}

/// The anchor entry at `leaf` and the issuer's log, proven under the
/// ledger's latest checkpoint (which must cover `leaf`); with the note.
async fn evidence<L: Ledger>(
    ledger: &L,
    issuer: &DidamDid,
    leaf: u64,
) -> Result<(ProvenEntry, IssuerEvidence, String), AnchorError> {
    let signed = ledger.latest_checkpoint_now().await?.ok_or(AnchorError::NotCovered(leaf))?;
    if signed.size <= leaf {
        return Err(AnchorError::NotCovered(leaf));
    }
    let size = signed.size;
    let line = String::from_utf8(ledger.leaf(leaf).await?)
        .map_err(|e| LedgerError::Corrupt(format!("anchor leaf: {e}")))?;
    let anchor = proven(ledger, leaf, line, size).await?;
    let mut log = Vec::new();
    for stored in ledger.log_at(issuer.as_did(), size).await? {
        log.push(proven(ledger, stored.leaf_index, stored.line, size).await?);
    }
    let tip = ledger.tip_proof(issuer.as_did(), size).await?;
    let issuer = IssuerEvidence {
        did: issuer.to_string(),
        log,
        tip: TipEvidence { count: tip.count, proof: hex_all(&tip.proof) },
    };
    Ok((anchor, issuer, signed.note))
}

/// The proofs of every digest of `batch`, anchored by `receipt`, under the
/// ledger's latest checkpoint (which must cover the anchor).
pub async fn prove<L: Ledger>(
    ledger: &L,
    issuer: &DidamDid,
    receipt: &Receipt,
    batch: &Batch,
) -> Result<Vec<AnchorProof>, AnchorError> {
    let (anchor, issuer, checkpoint) = evidence(ledger, issuer, receipt.leaf_index).await?;
    (0..batch.size())
        .map(|i| {
            Ok(AnchorProof {
                kind: PROOF_TYPE.into(),
                digest: batch.digests()[i as usize].to_hex(),
                batch: batch.path(i).map_err(AnchorError::NotInBatch)?,
                anchor: anchor.clone(),
                issuer: issuer.clone(),
                checkpoint: checkpoint.clone(),
            })
        })
        .collect()
}

/// `proof` brought up to the ledger's latest checkpoint: the same digest,
/// path and anchor leaf, with the anchor entry as the ledger holds it and
/// the issuer's log as of now, proven under its latest checkpoint. An
/// online verifier checks this one: it holds every key removal recorded
/// since the bundle was made, and a checkpoint signed by the operator's
/// current key (after a handover too). The entry the ledger holds must be
/// the bundle's, or the batch is not the one anchored there.
pub async fn refresh<L: Ledger>(ledger: &L, proof: &AnchorProof) -> Result<AnchorProof, AnchorError> {
    let issuer = DidamDid::parse(&proof.issuer.did).map_err(|e| AnchorError::Malformed(e.to_string()))?;
    let (anchor, evidence, checkpoint) = evidence(ledger, &issuer, proof.anchor.leaf).await?;
    if anchor.entry != proof.anchor.entry {
        return Err(AnchorError::NotIncluded { leaf: proof.anchor.leaf, source: ProofError::RootMismatch });
    }
    Ok(AnchorProof { anchor, issuer: evidence, checkpoint, ..proof.clone() })
}

fn hashes(hex: &[String]) -> Result<Vec<Hash>, AnchorError> {
    hex.iter().map(|h| Hash::from_hex(h).map_err(|e| AnchorError::Malformed(e.to_string()))).collect()
}

fn included(entry: &ProvenEntry, checkpoint: &Checkpoint) -> Result<(), AnchorError> {
    let proof = hashes(&entry.inclusion)?;
    merkle::verify_inclusion(
        &merkle::leaf_hash(entry.entry.as_bytes()),
        entry.leaf,
        checkpoint.size,
        &proof,
        &Hash(checkpoint.root),
    )
    .map_err(|source| AnchorError::NotIncluded { leaf: entry.leaf, source })
}

/// Verifies `proof` for a file or credential whose digest is `digest`,
/// offline, against the pinned ledger operator key `ledger_key` (module
/// doc: the steps).
pub async fn verify(
    proof: &AnchorProof,
    digest: &Hash,
    ledger_key: &NoteVerifier,
) -> Result<VerifiedAnchor, AnchorError> {
    if proof.kind != PROOF_TYPE {
        return Err(AnchorError::Malformed(format!("type `{}`", proof.kind)));
    }
    if Hash::from_hex(&proof.digest).ok().as_ref() != Some(digest) {
        return Err(AnchorError::OtherDigest { digest: digest.to_hex() });
    }
    // 1. The checkpoint.
    let (checkpoint, _) = Checkpoint::open(proof.checkpoint.as_bytes(), ledger_key)
        .map_err(|source| AnchorError::Checkpoint { key: ledger_key.name().to_owned(), source })?;
    if checkpoint.origin != ledger_key.name() {
        return Err(AnchorError::OtherOrigin {
            origin: checkpoint.origin,
            key: ledger_key.name().to_owned(),
        });
    }
    // 2. The anchor entry.
    let issuer = DidamDid::parse(&proof.issuer.did).map_err(|e| AnchorError::Malformed(e.to_string()))?;
    included(&proof.anchor, &checkpoint)?;
    let (root, size, statement) = anchor_of(&proof.anchor, &issuer).await?;
    // 3. The digest's path.
    if proof.batch.size != size {
        return Err(AnchorError::NotInBatch(ProofError::RootMismatch));
    }
    merkle::verify_inclusion(
        &merkle::leaf_hash(digest.as_bytes()),
        proof.batch.index,
        size,
        &hashes(&proof.batch.path)?,
        &root,
    )
    .map_err(AnchorError::NotInBatch)?;
    // 4. The issuer's log.
    let history = issuer_history(&proof.issuer, &issuer, &checkpoint).await?;
    // 5. Who signed, and whether the key stood there.
    let method = signer(&statement, &issuer, &history).await?;
    let leaf = proof.anchor.leaf;
    match history.standing(&method, leaf) {
        Standing::Valid(_) => Ok(VerifiedAnchor { issuer, leaf, checkpoint, method, history }),
        Standing::NotAKeyThen => Err(AnchorError::NotAKeyThen { method: method.id, leaf }),
        Standing::AfterRetirement(r) => {
            let at = r.removed.map(|r| r.at).unwrap_or(r.added);
            Err(AnchorError::Retired { method: method.id, leaf, retired: at.leaf, version_id: at.version_id })
        }
        Standing::Compromised(r) => {
            let from = r.removed.map_or(0, |r| r.invalid_from);
            Err(AnchorError::Compromised { method: method.id, leaf, from })
        }
        _ => Err(AnchorError::NotAKeyThen { method: method.id, leaf }),
    }
}

/// Step 2: the entry is the whole of a frozen anchor log of `issuer`;
/// returns its root, size and signed statement.
async fn anchor_of(entry: &ProvenEntry, issuer: &DidamDid) -> Result<(Hash, u64, Value), AnchorError> {
    let not = |reason: &str| AnchorError::NotAnAnchor { issuer: issuer.to_string(), reason: reason.into() };
    let json: Value = serde_json::from_str(&entry.entry).map_err(|_| not("the entry is not JSON"))?;
    let state = log::verify_entry(Method::Didam, None, &json, Utc::now())
        .await
        .map_err(|source| AnchorError::Log { did: "the anchor log".into(), source })?;
    if !state.deactivated {
        return Err(not("the anchor log is not frozen (its entry does not deactivate it)"));
    }
    let statement = state.document.get(ANCHOR_MEMBER).cloned().ok_or_else(|| not("no didamAnchor"))?;
    if statement.get("type").and_then(Value::as_str) != Some(ANCHOR_TYPE) {
        return Err(not("the statement is not a DidamAnchor"));
    }
    if statement.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
        return Err(not("the statement names another issuer"));
    }
    let root = statement.get("root").and_then(Value::as_str).and_then(|r| Hash::from_hex(r).ok());
    let size = statement.get("size").and_then(Value::as_u64);
    match (root, size) {
        (Some(root), Some(size)) if size > 0 => Ok((root, size, statement)),
        _ => Err(not("the statement has no root and size")),
    }
}

/// Step 4: the issuer's log, every line included, complete per the tips
/// tree, replayed; its key history.
async fn issuer_history(
    evidence: &IssuerEvidence,
    issuer: &DidamDid,
    checkpoint: &Checkpoint,
) -> Result<KeyHistory, AnchorError> {
    let bad = |r: &str| AnchorError::IssuerLog(r.to_owned());
    let last = evidence.log.last().ok_or_else(|| bad("it is empty"))?;
    let mut states = Vec::with_capacity(evidence.log.len());
    for e in &evidence.log {
        if e.leaf >= checkpoint.size {
            return Err(bad("an entry is beyond the checkpoint"));
        }
        included(e, checkpoint)?;
        let json: Value = serde_json::from_str(&e.entry).map_err(|_| bad("an entry is not JSON"))?;
        let state = log::verify_entry(Method::Didam, states.last(), &json, Utc::now())
            .await
            .map_err(|source| AnchorError::Log { did: issuer.to_string(), source })?;
        states.push(state);
    }
    let latest = states.last().ok_or_else(|| bad("it is empty"))?;
    if latest.did != issuer.as_str() {
        return Err(bad("it is another DID's log"));
    }
    let (count, tips_root) = didam_ledger::parse_tips_extension(&checkpoint.extensions)
        .ok_or_else(|| bad("the checkpoint carries no tips commitment"))?;
    let record = didam_ledger::TipRecord {
        did: issuer.to_string(),
        leaf_index: last.leaf,
        entry_hash: latest.entry_hash.clone(),
    };
    let tip =
        didam_ledger::TipProof { record, count: evidence.tip.count, proof: hashes(&evidence.tip.proof)? };
    tip.verify(issuer.as_str(), count, &tips_root).map_err(|e| {
        AnchorError::IssuerLog(format!("its latest entry is not the one the checkpoint names: {e}"))
    })?;
    let leaves: Vec<u64> = evidence.log.iter().map(|e| e.leaf).collect();
    KeyHistory::of_log(&states, &leaves).map_err(|e| AnchorError::IssuerLog(e.to_string()))
}

/// Step 5: the method of `issuer` whose key (any it ever had) the
/// statement's one proof verifies with.
async fn signer(
    statement: &Value,
    issuer: &DidamDid,
    history: &KeyHistory,
) -> Result<MethodKey, AnchorError> {
    let proofs = proof::proofs_of(statement);
    let [one] = proofs.as_slice() else {
        return Err(AnchorError::Signature(format!("{} proofs, expected one", proofs.len())));
    };
    let id = one.get("verificationMethod").and_then(Value::as_str).unwrap_or_default().to_owned();
    if id.split_once('#').map(|(did, _)| did) != Some(issuer.as_str()) {
        return Err(AnchorError::NotTheIssuersKey { method: id });
    }
    let candidates = history.keys_of(&id);
    if candidates.is_empty() {
        return Err(AnchorError::NotTheIssuersKey { method: id });
    }
    let mut last = String::new();
    for candidate in candidates {
        let key = match candidate.key.starts_with('{') {
            true => {
                json!({ "publicKeyJwk": serde_json::from_str::<Value>(&candidate.key).unwrap_or_default() })
            }
            false => json!({ "publicKeyMultibase": candidate.key }),
        };
        let mut vm = json!({ "id": id, "controller": issuer.as_str() });
        if let (Some(vm), Some(key)) = (vm.as_object_mut(), key.as_object()) {
            vm.extend(key.clone());
        }
        let mut methods = StaticMethods::new(NoFallback);
        if methods.insert(&vm, &[ProofPurpose::AssertionMethod]).is_err() {
            continue;
        }
        let expect = ProofExpectations {
            purpose: ProofPurpose::AssertionMethod,
            challenge: None,
            domain: None,
            now: Utc::now(),
            skew_seconds: log::MAX_CLOCK_SKEW.num_seconds(),
        };
        match proof::verify_proofs(statement, &Unsecured::new(statement), &methods, &expect).await {
            Ok(checks) => match checks.iter().find(|c| c.outcome == Outcome::Failed) {
                None => return Ok(candidate.clone()),
                Some(c) => last = format!("{}: {}", c.check.name(), c.detail),
            },
            Err(e) => last = e.to_string(),
        }
    }
    Err(AnchorError::Signature(last))
}
