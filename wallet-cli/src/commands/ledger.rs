//! `didam ledger …`

use didam_ledger::note::NoteVerifier;
use didam_ledger::{AnyLedger, Ledger as _, LedgerError, LedgerLocation};
use didam_registry::PinError;
use serde_json::json;

use crate::cli::{JsonArg, OperatorArgs, RepinArgs};
use crate::context::{self, Context};
use crate::error::{CliError, exit};
use crate::output::{self, Progress};

/// The embedded ledger file, which these commands work on; `verify` only
/// reads it (`write`: false), so it must exist.
fn embedded(cx: &Context, write: bool) -> Result<AnyLedger, CliError> {
    let ledger = if write { cx.ledger()? } else { cx.existing_ledger()? };
    if ledger.embedded().is_none() {
        return Err(CliError::Input("this command works on an embedded ledger file".into()));
    }
    Ok(ledger)
}

pub(crate) fn checkpoint(cx: &Context, args: &JsonArg) -> Result<u8, CliError> {
    let ledger = embedded(cx, true)?;
    let wallet = cx.open_wallet()?;
    let signed = cx.block_on(async {
        if !wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await? {
            return Err(CliError::Input(
                "this wallet is not the ledger's operator: only the operator signs its checkpoints".into(),
            ));
        }
        Ok(ledger.latest_checkpoint().await?)
    })?;
    let Some(signed) = signed else { return Err(CliError::Input("no checkpoint was signed".into())) };
    if args.json {
        let signatures = signature_report(&signed.note, &ledger, cx)?;
        output::print_json(
            &json!({ "size": signed.size, "note": signed.note, "signatures": signatures }),
            false,
        );
    } else {
        output::print(signed.note.trim_end());
    }
    Ok(exit::OK)
}

/// Each signature on a checkpoint `note` by the keys the ledger announces:
/// the key, and whether it is classical or quantum-safe.
fn signature_report(
    note: &str,
    ledger: &AnyLedger,
    cx: &Context,
) -> Result<Vec<serde_json::Value>, CliError> {
    let announced =
        cx.block_on(async { Ok::<_, CliError>([ledger.operator().await?, ledger.pq_operator().await?]) })?;
    let keys = announced
        .iter()
        .flatten()
        .map(|k| NoteVerifier::parse(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(PinError::InvalidKey)?;
    let opened = didam_ledger::note::open(note.as_bytes(), &keys).map_err(LedgerError::Note)?;
    Ok(opened
        .verified
        .iter()
        .map(|s| {
            json!({
                "key": format!("{}+{:08x}", s.name, s.key_id),
                "security": s.security,
                "timestamp": s.timestamp,
            })
        })
        .collect())
}

pub(crate) fn verify(cx: &Context, args: &JsonArg) -> Result<u8, CliError> {
    let ledger = embedded(cx, false)?;
    let progress = Progress::start("recomputing the tree and replaying every DID log");
    let outcome = cx.block_on(ledger.verify_all());
    progress.finish();
    let (leaves, dids) = match outcome {
        Ok(counts) => counts,
        Err(e @ (didam_ledger::LedgerError::Corrupt(_) | didam_ledger::LedgerError::Rejected(_))) => {
            if args.json {
                output::print_json(&json!({ "valid": false, "error": e.to_string() }), false);
            } else {
                output::print(&format!("ledger INVALID: {e}"));
            }
            return Ok(exit::INVALID);
        }
        Err(e) => return Err(e.into()),
    };
    if args.json {
        output::print_json(&json!({ "valid": true, "leaves": leaves, "dids": dids }), false);
    } else {
        output::print(&format!(
            "ledger ok: {leaves} entries, {dids} DIDs; tree, checkpoints and every log verify"
        ));
    }
    Ok(exit::OK)
}

/// `didam ledger operator`: the key the ledger announces for its
/// checkpoints, its fingerprint (to compare out of band), its handovers, and
/// the key this machine pinned for it. Reads only.
pub(crate) fn operator(cx: &Context, args: &OperatorArgs) -> Result<u8, CliError> {
    if args.add_ml_dsa {
        add_ml_dsa(cx)?;
    }
    let location = cx.location()?;
    let ledger = cx.existing_ledger()?;
    let (announced, pq, handovers) = cx.block_on(async {
        Ok::<_, CliError>((
            ledger.operator().await?,
            ledger.pq_operator().await?,
            ledger.handovers().await?.len(),
        ))
    })?;
    let parse =
        |k: Option<String>| k.as_deref().map(NoteVerifier::parse).transpose().map_err(PinError::InvalidKey);
    let (announced, pq) = (parse(announced)?, parse(pq)?);
    let store = cx.checkpoint_store(&location)?;
    let (pinned, pinned_pq) = (store.pinned_operator()?, store.pinned_pq_operator()?);
    if args.print.json {
        let key = |k: &Option<NoteVerifier>| {
            k.as_ref().map(
                |k| json!({ "vkey": k.to_vkey(), "fingerprint": k.fingerprint(), "security": k.security() }),
            )
        };
        output::print_json(
            &json!({
                "ledger": location.to_string(),
                "operator": key(&announced),
                "operatorMlDsa44": key(&pq),
                "handovers": handovers,
                "pinned": key(&pinned),
                "pinnedMlDsa44": key(&pinned_pq),
            }),
            false,
        );
        return Ok(exit::OK);
    }
    let show = |k: &NoteVerifier| format!("{}\n  fingerprint {}", k.to_vkey(), k.fingerprint());
    output::print(&format!("ledger {location}"));
    match &announced {
        Some(key) => output::print(&format!("operator key (classical): {}", show(key))),
        None => output::print("operator key: none yet (no checkpoint signed)"),
    }
    match &pq {
        Some(key) => output::print(&format!("ML-DSA-44 key (quantum-safe): {}", show(key))),
        None => output::print("ML-DSA-44 key: none (checkpoints are signed classically only)"),
    }
    if let Some(p) = &pinned_pq {
        output::print(&format!(
            "pinned here (ML-DSA-44): {}",
            if Some(p) == pq.as_ref() { "the ML-DSA-44 key".into() } else { show(p) }
        ));
    }
    output::print(&format!("handovers recorded: {handovers}"));
    match (&pinned, &announced) {
        (None, _) => {
            output::print("pinned here: nothing yet (the key is pinned when a DID is first resolved)")
        }
        (Some(p), Some(a)) if p == a => output::print("pinned here: the operator key"),
        (Some(p), _) => {
            output::print(&format!("pinned here: {}", show(p)));
            output::hint(
                "the ledger shows another key: `didam ledger repin` follows the handovers the pinned key signed",
            );
        }
    }
    Ok(exit::OK)
}

/// `didam ledger operator --add-ml-dsa`: adds the ML-DSA-44 key to this
/// wallet's operator key of the embedded ledger and signs a checkpoint with
/// both (the start of the overlap in which checkpoints carry both).
fn add_ml_dsa(cx: &Context) -> Result<(), CliError> {
    if !matches!(cx.location()?, LedgerLocation::File(_)) {
        return Err(CliError::Input(
            "a daemon's ML-DSA-44 checkpoint key is added where it runs (`didam-resolver keygen --add-ml-dsa`), \
             not through this client"
                .into(),
        ));
    }
    let ledger = embedded(cx, true)?;
    let wallet = cx.open_wallet()?;
    cx.block_on(async {
        let operator = ledger.operator().await?;
        let mine = wallet.existing_ledger_signer(context::EMBEDDED_ORIGIN)?;
        if operator.is_some() && operator != mine.map(|s| s.verifier().to_vkey()) {
            return Err(CliError::Input(
                "this wallet is not the ledger's operator: only the operator adds its ML-DSA-44 key".into(),
            ));
        }
        wallet.add_ledger_pq_key(context::EMBEDDED_ORIGIN)?;
        wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await?;
        Ok(())
    })
}

/// `didam ledger repin`: moves this machine's pin along the handovers the
/// pinned key signed (as resolving does by itself), or to `--trust VKEY`
/// by hand (the ledger must announce it; the old key is retired).
pub(crate) fn repin(cx: &Context, args: &RepinArgs) -> Result<u8, CliError> {
    let location = cx.location()?;
    let ledger = cx.existing_ledger()?;
    let store = cx.checkpoint_store(&location)?;
    let pinned = cx.block_on(async {
        let announced = ledger.operator().await?;
        match &args.trust {
            Some(given) => Ok::<_, CliError>(store.trust_operator(announced.as_deref(), given)?),
            None => Ok(store.pin_operator_of(&ledger, announced.as_deref()).await?),
        }
    })?;
    context::tell_pin_events(&location, &pinned.events);
    if args.print.json {
        output::print_json(
            &json!({
                "ledger": location.to_string(),
                "pinned": { "vkey": pinned.key.to_vkey(), "fingerprint": pinned.key.fingerprint() },
                "changed": !pinned.events.is_empty(),
            }),
            false,
        );
    } else {
        let changed = if pinned.events.is_empty() { "unchanged" } else { "moved" };
        output::print(&format!(
            "pinned for ledger {location} ({changed}): {}\n  fingerprint {}",
            pinned.key.to_vkey(),
            pinned.key.fingerprint()
        ));
    }
    Ok(exit::OK)
}
