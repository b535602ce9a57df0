//! Resolving `did:didam` with full verification of the ledger's proofs.
//!
//! Steps (`specs/did-didam.md`, resolution):
//! 1. parse the DID;
//! 2. fetch the ledger's latest checkpoint and check its signature;
//! 3. check it is consistent with the newest checkpoint this client stored
//!    (no rollback, no fork), then store it;
//! 4. fetch the DID's log; keep the entries the checkpoint covers;
//! 5. check the inclusion proof of the latest of them under the checkpoint,
//!    and that the checkpoint's tips tree names it as the DID's latest entry;
//! 6. replay the log (hash chain, SCID, proofs, pre-rotation);
//! 7. select the version asked for (`versionId` or `versionTime`).

use chrono::{DateTime, Utc};
use didam_credential::did::{DidDocument, Resolution};
use didam_ledger::merkle::{self, Hash};
use didam_ledger::note::{Checkpoint, NoteVerifier};
use didam_ledger::{Ledger, LedgerError, SignedCheckpoint};
use didam_method::history::{KeyHistory, methods_of};
use didam_method::log::{self, DidState, Method};
use serde_json::{Value, json};

use crate::checkpoints::CheckpointStore;
use crate::error::Error;
use didam_method::DidamDid;

/// Which version of the DID to resolve.
#[derive(Clone, Debug, Default)]
pub struct ResolveOptions {
    /// The `versionId` to return.
    pub version_id: Option<String>,
    /// Return the version current at this time.
    pub version_time: Option<DateTime<Utc>>,
}

/// A verified resolution.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The selected version.
    pub state: DidState,
    /// The latest version (for metadata).
    pub latest: DidState,
    /// Every verified version, oldest first.
    pub history: Vec<DidState>,
    /// The ledger position (leaf index) of each version of `history`. Those
    /// of the entries that add or remove verification methods (the key
    /// history's boundaries) and of the latest are proven by inclusion
    /// proofs under `checkpoint`.
    pub leaves: Vec<u64>,
    /// The checkpoint the log was proven under.
    pub checkpoint: Checkpoint,
    /// The ledger's verified signatures on it, each classical or quantum-safe.
    pub signatures: Vec<crate::CheckpointSignature>,
}

impl Resolved {
    /// Every verification method the DID's document held, when it was added
    /// and when and why it was removed, by log and ledger position
    /// (`specs/did-didam.md` §4.5).
    pub fn key_history(&self) -> Result<KeyHistory, Error> {
        KeyHistory::of_log(&self.history, &self.leaves).map_err(|e| Error::InvalidLedgerProof(e.to_string()))
    }

    /// The W3C DID resolution result.
    pub fn resolution(&self) -> Result<Resolution, Error> {
        let stamp = didam_credential::proof::xsd_datetime;
        let mut metadata = json!({
            "created": stamp(self.state.created),
            "updated": stamp(self.state.version_time),
            "versionId": self.state.version_id,
            "versionTime": stamp(self.state.version_time),
        });
        if self.latest.deactivated {
            metadata["deactivated"] = json!(true);
        }
        // Who can change the DID, and whether that survives a quantum
        // computer: the update keys' types (all must sign), and the types
        // committed for the next ones.
        let types = |keys: Vec<String>| -> Vec<&'static str> {
            keys.iter()
                .filter_map(|k| didam_credential::PublicKey::from_multikey(k).ok())
                .map(|k| k.key_type().name())
                .collect()
        };
        metadata["control"] = json!({
            "security": self.latest.control_security().name(),
            "updateKeyTypes": types(self.latest.update_keys()),
            "nextKeyTypes": self.latest.next_key_types().iter().map(|t| t.name()).collect::<Vec<_>>(),
        });
        // Which ledger signatures the resolution rests on: each classical
        // (Ed25519) or quantum-safe (ML-DSA-44).
        metadata["checkpoint"] = json!({
            "origin": self.checkpoint.origin,
            "size": self.checkpoint.size,
            "signatures": self.signatures,
        });
        // Each verification method's life by ledger position: what a
        // verifier of an anchored signature judges it by.
        metadata["keyHistory"] = serde_json::to_value(self.key_history()?.records())
            .map_err(|e| Error::InvalidLedgerProof(e.to_string()))?;
        if let Some(next) = self.history.iter().find(|s| s.version_number == self.state.version_number + 1) {
            metadata["nextUpdate"] = json!(stamp(next.version_time));
            metadata["nextVersionId"] = json!(next.version_id);
        }
        let document = DidDocument::new(self.state.document.clone())
            .map_err(|e| Error::InvalidLedgerProof(e.to_string()))?;
        Ok(Resolution {
            document,
            document_metadata: metadata,
            content_type: "application/did+ld+json".into(),
        })
    }
}

/// Resolves `did` through `ledger`, trusting checkpoints signed by
/// `ledger_key` and consistent with those in `store`.
pub async fn resolve<L: Ledger>(
    ledger: &L,
    ledger_key: &NoteVerifier,
    store: &CheckpointStore,
    did: &str,
    options: &ResolveOptions,
) -> Result<Resolved, Error> {
    if options.version_id.is_some() && options.version_time.is_some() {
        return Err(Error::InvalidOptions("versionId and versionTime are mutually exclusive".into()));
    }
    let did = DidamDid::parse(did)?;

    // 2. The checkpoint. A replicated ledger may serve one a moment old:
    // before saying "not found", ask its store for the latest once more.
    let signed = ledger.latest_checkpoint().await?;
    let seen_size = signed.as_ref().map_or(0, |s| s.size);
    let result = match signed {
        Some(signed) => resolve_at(ledger, ledger_key, store, &did, options, signed).await,
        None => Err(Error::NotFound(did.to_string())),
    };
    if !matches!(result, Err(Error::NotFound(_))) {
        return result;
    }
    match ledger.latest_checkpoint_now().await? {
        Some(now) if now.size > seen_size => resolve_at(ledger, ledger_key, store, &did, options, now).await,
        _ => result,
    }
}

/// Resolves `did` at the checkpoint `signed` (steps 2–7).
async fn resolve_at<L: Ledger>(
    ledger: &L,
    ledger_key: &NoteVerifier,
    store: &CheckpointStore,
    did: &DidamDid,
    options: &ResolveOptions,
    signed: SignedCheckpoint,
) -> Result<Resolved, Error> {
    // 2. The checkpoint's signature.
    let opened = store
        .open_checked(signed.note.as_bytes(), ledger_key)
        .map_err(|e| Error::InvalidLedgerProof(format!("checkpoint: {e}")))?;
    let checkpoint = opened.checkpoint.clone();
    if checkpoint.origin != ledger_key.name() {
        return Err(Error::InvalidLedgerProof(format!("checkpoint origin `{}`", checkpoint.origin)));
    }
    let root = Hash(checkpoint.root);

    // 3. Consistency with what this client saw before.
    let seen_opened = store.newest_opened(ledger_key)?;
    if let (Some(seen), Some(now)) = (&seen_opened, opened.pq_timestamp()) {
        // A larger tree cosigned earlier than the smaller one stored: a
        // replayed or back-dated ML-DSA-44 cosignature.
        if let Some(before) =
            seen.pq_timestamp().filter(|t| *t > now && checkpoint.size > seen.checkpoint.size)
        {
            return Err(Error::InvalidLedgerProof(format!(
                "checkpoint: cosignature timestamp {now} of {}: older than {before}, the timestamp on the smaller tree \
                 (size {}) this client stored",
                ledger_key.name(),
                seen.checkpoint.size
            )));
        }
    }
    let seen = seen_opened.map(|o| o.checkpoint);
    if let Some(seen) = &seen {
        if seen.size > checkpoint.size {
            return Err(Error::InvalidLedgerProof(format!(
                "rollback: the ledger shows size {} after this client saw size {}",
                checkpoint.size, seen.size
            )));
        }
        let proof = ledger.consistency_proof(seen.size, checkpoint.size).await.map_err(proof_error)?;
        merkle::verify_consistency(seen.size, checkpoint.size, &Hash(seen.root), &root, &proof).map_err(
            |e| {
                Error::InvalidLedgerProof(format!(
                    "split view: checkpoint {} is not consistent with the stored checkpoint {}: {e}",
                    checkpoint.size, seen.size
                ))
            },
        )?;
    }
    if seen.as_ref().is_none_or(|s| s.size < checkpoint.size) {
        store.save(ledger_key, &signed.note)?;
    }

    // 4–5. The log, as far as the checkpoint covers it, and its inclusion.
    let covered = match ledger.log_at(did.as_did(), checkpoint.size).await {
        Ok(e) => e,
        Err(LedgerError::NotFound(_)) => return Err(Error::NotFound(did.to_string())),
        Err(e) => return Err(e.into()),
    };
    let last = covered.last().ok_or_else(|| Error::NotFound(did.to_string()))?;
    let proof = ledger.inclusion_proof(last.leaf_index, checkpoint.size).await.map_err(proof_error)?;
    merkle::verify_inclusion(
        &merkle::leaf_hash(last.line.as_bytes()),
        last.leaf_index,
        checkpoint.size,
        &proof,
        &root,
    )
    .map_err(|e| Error::InvalidLedgerProof(format!("inclusion of leaf {}: {e}", last.leaf_index)))?;

    // The checkpoint's tips tree says which entry is the DID's latest: a
    // withheld entry shows as a mismatch.
    let (count, tips_root) = didam_ledger::parse_tips_extension(&checkpoint.extensions)
        .ok_or_else(|| Error::InvalidLedgerProof("the checkpoint carries no DID tips commitment".into()))?;
    let tip = ledger.tip_proof(did.as_did(), checkpoint.size).await.map_err(proof_error)?;
    tip.verify(did.as_str(), count, &tips_root)
        .map_err(|e| Error::InvalidLedgerProof(format!("tip record: {e}")))?;
    if tip.record.leaf_index != last.leaf_index {
        return Err(Error::InvalidLedgerProof(format!(
            "truncated log: the checkpoint commits to leaf {} as the latest entry, the ledger served up to leaf {}",
            tip.record.leaf_index, last.leaf_index
        )));
    }

    // 6. Replay.
    let mut history: Vec<DidState> = Vec::with_capacity(covered.len());
    for stored in &covered {
        let entry: Value = stored.json()?;
        let state = log::verify_entry(Method::Didam, history.last(), &entry, Utc::now())
            .await
            .map_err(|source| Error::Log { did: did.to_string(), source })?;
        history.push(state);
    }
    // The ledger positions the key history rests on: every entry that
    // changes the verification methods is proven where the ledger says.
    for (i, stored) in covered.iter().enumerate().take(covered.len().saturating_sub(1)) {
        let before = i.checked_sub(1).map(|p| methods_of(&history[p].did, &history[p].document));
        if before.is_some_and(|b| b == methods_of(&history[i].did, &history[i].document)) {
            continue;
        }
        let proof = ledger.inclusion_proof(stored.leaf_index, checkpoint.size).await.map_err(proof_error)?;
        merkle::verify_inclusion(
            &merkle::leaf_hash(stored.line.as_bytes()),
            stored.leaf_index,
            checkpoint.size,
            &proof,
            &root,
        )
        .map_err(|e| Error::InvalidLedgerProof(format!("inclusion of leaf {}: {e}", stored.leaf_index)))?;
    }
    let leaves: Vec<u64> = covered.iter().map(|e| e.leaf_index).collect();
    let latest = history.last().cloned().ok_or_else(|| Error::NotFound(did.to_string()))?;
    if latest.entry_hash != tip.record.entry_hash {
        return Err(Error::InvalidLedgerProof(
            "the latest entry is not the one the checkpoint commits to".into(),
        ));
    }
    if latest.did != did.as_str() {
        return Err(Error::InvalidLedgerProof(format!("the ledger served the log of {}", latest.did)));
    }

    // 7. Version selection.
    let state = match (&options.version_id, options.version_time) {
        (Some(id), _) => history
            .iter()
            .find(|s| &s.version_id == id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("{did} version {id}")))?,
        (None, Some(t)) => history
            .iter()
            .rev()
            .find(|s| s.version_time <= t)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("{did} at {t}")))?,
        (None, None) => latest.clone(),
    };
    let resolved = Resolved { state, latest, history, leaves, checkpoint, signatures: opened.signatures };
    resolved.key_history()?;
    Ok(resolved)
}

fn proof_error(e: LedgerError) -> Error {
    match e {
        LedgerError::Proof(p) => Error::InvalidLedgerProof(p.to_string()),
        other => other.into(),
    }
}
