//! `didam ledger …`

use didam_ledger::{AnyLedger, Ledger as _};
use serde_json::json;

use crate::cli::JsonArg;
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
        output::print_json(&json!({ "size": signed.size, "note": signed.note }), false);
    } else {
        output::print(signed.note.trim_end());
    }
    Ok(exit::OK)
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
