//! Historical verification: a credential whose signing key has since left
//! its issuer's did:didam document (`specs/did-didam.md` §9.4).
//!
//! The issuer's current DID document no longer holds the key, so plain
//! verification cannot check the signature. Judging it by the proof's
//! `created` date would let a thief holding a retired key backdate new
//! credentials; so the time bound comes from the ledger: the credential
//! must have been **anchored** (§9.3) at a ledger position before the key
//! left, and the ordering is proven by leaf positions under a signed
//! checkpoint. Steps of [`verify_historical`]:
//! 1. resolve the issuer now (checkpoint, consistency, inclusion, tips,
//!    replay), so its key history holds every removal recorded until now;
//! 2. find the key the credential's proof names among every key that
//!    method ever had, and verify the credential with it (the engine);
//! 3. a key still in the document needs no anchor; one that left needs
//!    one: **the default policy refuses an unanchored credential of a key
//!    that left** (it cannot be told from a backdated one);
//! 4. the anchor proof, brought up to the ledger's latest checkpoint
//!    ([`anchor::refresh`]: the same digest, path and anchor entry, the
//!    issuer's log as of now, a checkpoint signed by the operator's current
//!    key), verifies for this credential's digest, and its anchor entry is
//!    included at its leaf under the checkpoint just resolved;
//! 5. at the anchor's leaf both the credential's key and the anchor's key
//!    stood (added before, not retired or compromised at or before it).
//!
//! The result is the engine's checks and an `anchor` check, with the
//! anchor, the checkpoint and the key history as evidence. Status lists are
//! not fetched here: a credential with `credentialStatus` gets a
//! `status` check that is not applicable, shown, never silent.

use didam_credential::credential::DocumentKind;
use didam_credential::did::{NoFallback, ProofPurpose, StaticMethods};
use didam_credential::verify::{self, Input, VerifyOptions};
use didam_credential::{Check, CheckKind, Outcome, Report};
use didam_ledger::Ledger;
use didam_ledger::merkle::{self, Hash};
use didam_ledger::note::NoteVerifier;
use didam_method::DidamDid;
use didam_method::history::{KeyHistory, KeyRecord, MethodKey, Standing};
use didam_registry::anchor::{self, AnchorProof, CREDENTIAL_MEMBER};
use didam_registry::{CheckpointStore, ResolveOptions, resolve};
use serde::Serialize;
use serde_json::{Value, json};

/// What a historical verification rests on.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorEvidence {
    /// The issuer.
    pub issuer: String,
    /// The method that signed the credential.
    pub method: String,
    /// The anchor's ledger position, when anchored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf: Option<u64>,
    /// The checkpoint the issuer was resolved under now (`origin`, `size`).
    pub checkpoint: Value,
    /// The issuer's key history, by ledger position.
    pub key_history: Vec<KeyRecord>,
}

/// A historical verification: the report (its verdict is the only
/// "valid") and what it rests on.
#[derive(Clone, Debug, Serialize)]
pub struct AnchoredReport {
    /// The checks.
    pub report: Report,
    /// The anchor, checkpoint and key history.
    pub evidence: AnchorEvidence,
}

/// Why a historical verification could not be made (checked is not
/// verified: an invalid credential is an `Ok` report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoricalError {
    /// The credential is not JSON with one Data Integrity proof.
    #[error("historical verification needs a JSON credential with one Data Integrity proof: {0}")]
    NotDataIntegrity(String),
    /// Its issuer is not a did:didam DID (no ledger history).
    #[error("the issuer `{0}` is not a did:didam DID: only a ledger keeps key history")]
    NotOnALedger(String),
    /// The issuer could not be resolved with the ledger's proofs.
    #[error("cannot resolve the issuer: {0}")]
    Resolve(#[source] didam_registry::Error),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] didam_ledger::LedgerError),
    /// The engine could not check the credential.
    #[error(transparent)]
    Engine(#[from] didam_credential::Error),
}

/// Verifies `credential` (its `anchorProof` member, or `bundle`, is its
/// anchor) against the issuer's key history on `ledger`, whose operator key
/// is `ledger_key` (module doc: the steps).
pub async fn verify_historical<L: Ledger>(
    ledger: &L,
    ledger_key: &NoteVerifier,
    store: &CheckpointStore,
    credential: &Value,
    bundle: Option<&AnchorProof>,
    options: &VerifyOptions,
) -> Result<AnchoredReport, HistoricalError> {
    let not_di = |r: &str| HistoricalError::NotDataIntegrity(r.to_owned());
    let carried: Option<AnchorProof> = match credential.get(CREDENTIAL_MEMBER) {
        Some(p) => Some(serde_json::from_value(p.clone()).map_err(|e| not_di(&format!("anchorProof: {e}")))?),
        None => None,
    };
    let bundle = bundle.or(carried.as_ref());
    let mut signed = credential.clone();
    signed.as_object_mut().ok_or_else(|| not_di("not an object"))?.remove(CREDENTIAL_MEMBER);
    let issuer = signed
        .get("issuer")
        .and_then(|i| i.as_str().or_else(|| i.get("id").and_then(Value::as_str)))
        .ok_or_else(|| not_di("no issuer"))?
        .to_owned();
    let issuer = DidamDid::parse(&issuer).map_err(|_| HistoricalError::NotOnALedger(issuer.clone()))?;
    let proofs = didam_credential::proof::proofs_of(&signed);
    let [proof] = proofs.as_slice() else { return Err(not_di("not exactly one proof")) };
    let method = proof.get("verificationMethod").and_then(Value::as_str).unwrap_or_default().to_owned();

    // 1. The issuer now.
    let resolved = resolve(ledger, ledger_key, store, issuer.as_str(), &ResolveOptions::default())
        .await
        .map_err(HistoricalError::Resolve)?;
    let history = resolved.key_history().map_err(HistoricalError::Resolve)?;
    let mut evidence = AnchorEvidence {
        issuer: issuer.to_string(),
        method: method.clone(),
        leaf: None,
        checkpoint: json!({ "origin": resolved.checkpoint.origin, "size": resolved.checkpoint.size }),
        key_history: history.records().to_vec(),
    };

    // 2. The key that signed, among every key the method had.
    let (signer, engine) = signer_of(&signed, &issuer, &method, &history, options).await?;
    let mut checks = engine.report.checks.clone();
    let securing = engine.report.securing.clone();
    let Some(signer) = signer else {
        checks.push(Check::failed(
            CheckKind::Anchor,
            format!("`{method}` verifies with no key the issuer's document ever held"),
        ));
        return Ok(AnchoredReport {
            report: Report::new(DocumentKind::Credential, securing, checks),
            evidence,
        });
    };
    if signed.get("credentialStatus").is_some() {
        checks.push(Check::not_applicable(
            CheckKind::Status,
            "not checked by historical verification: check the status with `didam vc verify` of a current credential",
        ));
    }

    // 3.–5. The anchor.
    let anchor_check =
        judge(ledger, &resolved.checkpoint, &history, &signer, &signed, bundle, ledger_key).await?;
    evidence.leaf = anchor_check.1;
    checks.push(anchor_check.0);
    Ok(AnchoredReport { report: Report::new(DocumentKind::Credential, securing, checks), evidence })
}

/// Step 2: verifies the credential with each key `method` ever had; returns
/// the one that verified (if any) with the engine's result for it (or for
/// the last tried).
async fn signer_of(
    signed: &Value,
    issuer: &DidamDid,
    method: &str,
    history: &KeyHistory,
    options: &VerifyOptions,
) -> Result<(Option<MethodKey>, verify::Verified), HistoricalError> {
    let input = Input::Json(signed.clone());
    let mut last = None;
    for candidate in history.keys_of(method) {
        let mut vm = json!({ "id": method, "controller": issuer.as_str() });
        match serde_json::from_str::<Value>(&candidate.key) {
            Ok(jwk @ Value::Object(_)) => vm["publicKeyJwk"] = jwk,
            _ => vm["publicKeyMultibase"] = json!(candidate.key),
        }
        let mut methods = StaticMethods::new(NoFallback);
        if methods.insert(&vm, &[ProofPurpose::AssertionMethod]).is_err() {
            continue;
        }
        let verified = verify::verify(&input, &methods, options).await?;
        if verified.report.checks.iter().all(|c| c.outcome != Outcome::Failed) {
            return Ok((Some(candidate.clone()), verified));
        }
        last = Some(verified);
    }
    match last {
        Some(v) => Ok((None, v)),
        // No key at all: the engine's own report of a method it cannot find.
        None => Ok((None, verify::verify(&input, &StaticMethods::new(NoFallback), options).await?)),
    }
}

/// Steps 3–5: the `anchor` check, and the anchor's leaf when it verified.
async fn judge<L: Ledger>(
    ledger: &L,
    checkpoint: &didam_ledger::note::Checkpoint,
    history: &KeyHistory,
    signer: &MethodKey,
    signed: &Value,
    bundle: Option<&AnchorProof>,
    ledger_key: &NoteVerifier,
) -> Result<(Check, Option<u64>), HistoricalError> {
    let fail = |d: String| Ok((Check::failed(CheckKind::Anchor, d), None));
    let current = history.records().iter().any(|r| &r.method == signer && r.removed.is_none());
    let Some(bundle) = bundle else {
        if current {
            return Ok((
                Check::not_applicable(CheckKind::Anchor, "the key is the issuer's current key"),
                None,
            ));
        }
        return fail(format!(
            "`{}` has left the issuer's document and the credential is not anchored: by default a credential \
             of a key that left is valid only when anchored before it left (`didam vc anchor` while the key is current)",
            signer.id
        ));
    };
    // 4. The anchor for this credential, and under the checkpoint of now.
    let digest = match anchor::credential_digest(signed) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    let refreshed = match anchor::refresh(ledger, bundle).await {
        Ok(r) => r,
        Err(e) => return fail(format!("the anchor is not on the ledger as the proof says: {e}")),
    };
    let verified = match anchor::verify(&refreshed, &digest, ledger_key).await {
        Ok(v) => v,
        Err(e) => return fail(format!("the anchor proof does not verify: {e}")),
    };
    let leaf = verified.leaf;
    if leaf >= checkpoint.size {
        return fail(format!(
            "the anchor at leaf {leaf} is beyond the checkpoint of size {}",
            checkpoint.size
        ));
    }
    let proof: Vec<Hash> = ledger.inclusion_proof(leaf, checkpoint.size).await?;
    let line = merkle::leaf_hash(bundle.anchor.entry.as_bytes());
    if let Err(e) = merkle::verify_inclusion(&line, leaf, checkpoint.size, &proof, &Hash(checkpoint.root)) {
        return fail(format!("the anchor is not at leaf {leaf} of the ledger resolved now: {e}"));
    }
    // 5. Both keys stood there, by the history recorded until now.
    for (what, key) in [("the credential's key", signer), ("the anchor's key", &verified.method)] {
        let why = match history.standing(key, leaf) {
            Standing::Valid(_) => continue,
            Standing::NotAKeyThen => "was not a key of the issuer there".to_owned(),
            Standing::AfterRetirement(r) => format!(
                "was retired at leaf {} (entry {}), before the anchor",
                r.removed.as_ref().map_or(0, |x| x.at.leaf),
                r.removed.as_ref().map_or("?", |x| x.at.version_id.as_str())
            ),
            Standing::Compromised(r) => format!(
                "is compromised from leaf {}, at or before the anchor",
                r.removed.as_ref().map_or(0, |x| x.invalid_from)
            ),
            _ => "did not stand there".to_owned(),
        };
        return fail(format!("anchored at leaf {leaf}, but {what} `{}` {why}", key.id));
    }
    let detail = format!(
        "anchored at leaf {leaf} of {} (checkpoint size {}), while `{}` was the issuer's key{}",
        checkpoint.origin,
        checkpoint.size,
        signer.id,
        if current { "" } else { " (it left later)" }
    );
    Ok((Check::passed(CheckKind::Anchor, detail), Some(leaf)))
}
