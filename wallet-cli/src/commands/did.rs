//! `didam did …`

use didam_credential::{Did, KeyType};
use didam_ledger::{AnyLedger, LedgerLocation};
use didam_method::DidamDid;
use didam_method::entry::Service;
use didam_method::history::KeyRemoval;
use didam_registry::ResolveOptions;
use didam_registry::client::ResolutionClient;
use didam_registry::web::WebLimits;
use didam_wallet::{DidRecord, Reconciled};
use serde_json::{Value, json};

use crate::cli::{CreateArgs, DidArg, JsonArg, ResolveArgs, UpdateArgs};
use crate::context::{self, Context};
use crate::error::{CliError, exit};
use crate::output;

fn report(record: &DidRecord, checkpointed: bool, json: bool, what: &str) {
    if json {
        output::print_json(
            &json!({ "did": record.did, "versionId": record.version_id, "status": record.status, "keys": record.keys, "checkpointed": checkpointed }),
            false,
        );
    } else {
        output::print(&format!(
            "{what} {} ({})",
            record.did,
            record.version_id.as_deref().unwrap_or("pending")
        ));
        if !checkpointed {
            // A notice, not data: on standard error, so that scripts can
            // take the DID from standard output.
            eprintln!(
                "note: it resolves once the ledger's operator signs a checkpoint covering it (`didam ledger checkpoint`)"
            );
        }
    }
}

pub(crate) fn create(cx: &Context, args: &CreateArgs) -> Result<u8, CliError> {
    if args.method == "key" {
        let key_type = *args
            .key_type
            .first()
            .ok_or_else(|| CliError::Input("--key-type: a did:key needs one key type".into()))?;
        let record = cx.open_wallet()?.create_did_key(key_type)?;
        if args.print.json {
            output::print_json(
                &json!({ "did": record.did, "status": record.status, "keys": record.keys }),
                false,
            );
        } else {
            output::print(&format!("created {}", record.did));
        }
        return Ok(exit::OK);
    }
    if args.method != "didam" {
        return Err(CliError::Input(format!(
            "--method {}: only `didam` writes to a ledger (did:key and did:jwk need no creation)",
            args.method
        )));
    }
    didam_wallet::check_control(&args.control)?;
    cx.check_rotation_shares()?;
    let wallet = cx.open_wallet()?;
    let rrs = cx.rotation_secret()?;
    let location = cx.new_did_location()?;
    let ledger = cx.ledger_at(&location)?;
    let (record, checkpointed) = cx.block_on(async {
        let record = wallet
            .create_did_controlled(&ledger, &location.to_string(), &rrs, &args.key_type, &args.control)
            .await?;
        let checkpointed = wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await?;
        Ok::<_, CliError>((record, checkpointed))
    })?;
    let checkpointed = checkpointed && covered(cx, &ledger, &location, &record)?;
    report(&record, checkpointed, args.print.json, "created");
    Ok(exit::OK)
}

/// How long `did create` / `update` / `rotate` wait for a daemon's sequencer
/// to checkpoint the new entry.
pub(crate) const CHECKPOINT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Whether the ledger's latest checkpoint covers `record`'s new entry. An
/// embedded ledger's operator signs at once (this is then true); a daemon's
/// sequencer signs within its interval: wait for it (up to 15 s), so that
/// the DID resolves, with this version, anywhere once the command returns.
fn covered(
    cx: &Context,
    ledger: &AnyLedger,
    location: &LedgerLocation,
    record: &DidRecord,
) -> Result<bool, CliError> {
    if ledger.embedded().is_some() {
        return Ok(true);
    }
    let Some(version) = record.version_id.as_deref() else { return Ok(false) };
    let did = Did::parse(&record.did)?;
    let resolver = cx.resolver_at(location)?;
    let progress = output::Progress::start("waiting for the ledger's next checkpoint");
    let covered = cx.block_on(resolver.wait_for_version(&did, version, CHECKPOINT_WAIT));
    progress.finish();
    Ok(covered)
}

pub(crate) fn update(cx: &Context, args: &UpdateArgs) -> Result<u8, CliError> {
    let types = (!args.new_keys.is_empty()).then_some(args.new_keys.as_slice());
    let services = (!args.service.is_empty()).then(|| args.service.iter().map(Service::to_json).collect());
    if types.is_none() && services.is_none() {
        return Err(CliError::Input("nothing to update: give --new-keys and/or --service".into()));
    }
    cx.check_rotation_shares()?;
    let wallet = cx.open_wallet()?;
    let current = wallet.did(args.did.as_str())?;
    if types.is_some() {
        // Issue 22: what the replaced keys signed and nobody anchored stops
        // verifying once they leave the document; said before the change.
        let unanchored = wallet.unanchored_by(args.did.as_str(), &current.keys)?;
        if !unanchored.is_empty() {
            eprintln!(
                "warning: {} this DID issued with the keys this update replaces {} not anchored: {} stop verifying once the keys leave (anchor them first with `didam vc anchor CRED…`)",
                output::count(unanchored.len(), "credential"),
                if unanchored.len() == 1 { "is" } else { "are" },
                if unanchored.len() == 1 { "it will" } else { "they will" },
            );
        }
    }
    let (ledger, location) = cx.did_ledger(&current)?;
    let rrs = cx.rotation_secret()?;
    let (record, checkpointed) = cx.block_on(async {
        let removal = match &args.compromised_since {
            Some(since) => KeyRemoval::Compromised(since.clone()),
            None => KeyRemoval::Retired,
        };
        let did = args.did.as_str();
        let record = wallet.update_did_removing(&ledger, &rrs, did, types, services, removal).await?;
        let checkpointed = wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await?;
        Ok::<_, CliError>((record, checkpointed))
    })?;
    let checkpointed = checkpointed && covered(cx, &ledger, &location, &record)?;
    report(&record, checkpointed, args.print.json, "updated");
    Ok(exit::OK)
}

pub(crate) fn rotate(cx: &Context, did: &DidamDid, control: &[KeyType], json: bool) -> Result<u8, CliError> {
    next_op(cx, did, json, Op::Rotate(control))
}

pub(crate) fn deactivate(cx: &Context, args: &DidArg) -> Result<u8, CliError> {
    next_op(cx, &args.did, args.print.json, Op::Deactivate)
}

enum Op<'a> {
    /// A rotation; to update keys of these types when not empty.
    Rotate(&'a [KeyType]),
    Deactivate,
}

fn next_op(cx: &Context, did: &DidamDid, json: bool, op: Op<'_>) -> Result<u8, CliError> {
    if let Op::Rotate(control @ [_, ..]) = op {
        didam_wallet::check_control(control)?;
    }
    cx.check_rotation_shares()?;
    let wallet = cx.open_wallet()?;
    let (ledger, location) = cx.did_ledger(&wallet.did(did.as_str())?)?;
    let rrs = cx.rotation_secret()?;
    let deactivate = matches!(op, Op::Deactivate);
    let (record, checkpointed) = cx.block_on(async {
        let record = match op {
            Op::Deactivate => wallet.deactivate_did(&ledger, &rrs, did.as_str()).await?,
            Op::Rotate([]) => wallet.rotate_did(&ledger, &rrs, did.as_str()).await?,
            Op::Rotate(control) => wallet.migrate_control(&ledger, &rrs, did.as_str(), control).await?,
        };
        let checkpointed = wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await?;
        Ok::<_, CliError>((record, checkpointed))
    })?;
    let checkpointed = checkpointed && (deactivate || covered(cx, &ledger, &location, &record)?);
    report(&record, checkpointed, json, if deactivate { "deactivated" } else { "rotated" });
    Ok(exit::OK)
}

pub(crate) fn list(cx: &Context, args: &JsonArg) -> Result<u8, CliError> {
    let wallet = cx.open_wallet_read_only()?;
    let dids = wallet.dids()?;
    if args.json {
        output::print_json(&serde_json::to_value(&dids).unwrap_or_default(), false);
    } else if dids.is_empty() {
        output::print("no DIDs yet: `didam did create`");
    } else {
        for d in dids {
            output::print(&format!(
                "{}  {:?}  {}  {}",
                d.did,
                d.status,
                output::count(d.keys.len(), "key"),
                d.ledger
            ));
        }
    }
    Ok(exit::OK)
}

/// Reconciles each pending operation on its DID's own ledger (never on
/// another: a `--ledger` naming another leaves it pending, with both named).
pub(crate) fn reconcile(cx: &Context, args: &JsonArg) -> Result<u8, CliError> {
    let wallet = cx.open_wallet()?;
    let mut outcomes = Vec::new();
    for op in wallet.pending()? {
        let did = op.did.clone();
        let opened = wallet.did(&did).map_err(CliError::from).and_then(|record| cx.did_ledger(&record));
        let (ledger, _) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                outcomes.push(Reconciled::StillPending { did, reason: e.to_string() });
                continue;
            }
        };
        let outcome = cx.block_on(async {
            let outcome = wallet.reconcile_op(&ledger, op).await?;
            wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await?;
            Ok::<_, CliError>(outcome)
        })?;
        outcomes.push(outcome);
    }
    if !outcomes.is_empty() {
        wallet.backup()?;
    }
    let lines: Vec<Value> = outcomes
        .iter()
        .map(|o| match o {
            Reconciled::Confirmed(did) => json!({ "did": did, "outcome": "confirmed" }),
            Reconciled::Dropped { did, reason } => {
                json!({ "did": did, "outcome": "dropped", "reason": reason })
            }
            Reconciled::StillPending { did, reason } => {
                json!({ "did": did, "outcome": "pending", "reason": reason })
            }
        })
        .collect();
    if args.json {
        output::print_json(&json!(lines), false);
    } else if lines.is_empty() {
        output::print("nothing pending");
    } else {
        for l in &lines {
            output::print(&format!(
                "{}: {} {}",
                l["did"].as_str().unwrap_or_default(),
                l["outcome"].as_str().unwrap_or_default(),
                l["reason"].as_str().unwrap_or_default()
            ));
        }
    }
    let pending = outcomes.iter().any(|o| matches!(o, Reconciled::StillPending { .. }));
    Ok(if pending { exit::COULD_NOT_CHECK } else { exit::OK })
}

pub(crate) fn resolve(cx: &Context, args: &ResolveArgs) -> Result<u8, CliError> {
    let did = &args.did;
    if let Some(url) = &cx.global.resolver
        && matches!(did.method(), "web" | "webvh")
    {
        let client = ResolutionClient::new(url, &WebLimits::default())?;
        let result = cx.block_on(client.resolve(did))?;
        output::print_json(&result, args.json);
        return Ok(exit::OK);
    }
    let resolver = cx.resolver(Some(did))?;
    let resolution = cx.block_on(resolver.resolve(did, &ResolveOptions::default()))?;
    output::print_json(&resolution.to_json(), args.json);
    Ok(exit::OK)
}
