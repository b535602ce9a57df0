//! `didam ledger …`

use serde_json::json;

use crate::cli::{Global, JsonArg};
use crate::context::{self, AnyLedger};
use crate::error::{CliError, exit};
use crate::output::{self, Progress};

pub(crate) fn checkpoint(g: &Global, args: &JsonArg) -> Result<u8, CliError> {
    let (ledger, _) = AnyLedger::open(g)?;
    let embedded = ledger.embedded()?;
    let wallet = context::open_wallet(g)?;
    let signed = context::block_on(async {
        if !ledger.checkpoint_as(&wallet).await? {
            return Err(CliError::Input(
                "this wallet is not the ledger's operator: only the operator signs its checkpoints".into(),
            ));
        }
        use didam_ledger::Ledger as _;
        Ok(embedded.latest_checkpoint().await?)
    })??;
    let Some(signed) = signed else { return Err(CliError::Input("no checkpoint was signed".into())) };
    if args.json {
        output::print_json(&json!({ "size": signed.size, "note": signed.note }), false);
    } else {
        output::print(signed.note.trim_end());
    }
    Ok(exit::OK)
}

pub(crate) fn verify(g: &Global, args: &JsonArg) -> Result<u8, CliError> {
    let (ledger, _) = AnyLedger::open(g)?;
    let embedded = ledger.embedded()?;
    let progress = Progress::start("recomputing the tree and replaying every DID log");
    let outcome = context::block_on(embedded.verify_all())?;
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
