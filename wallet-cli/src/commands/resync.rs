//! `didam wallet resync`, and what `wallet restore`, `recover` and `wallet
//! check` ask of each DID's own ledger.
//!
//! Each DID is taken as its ledger has it (the wallet's record is only a
//! cache: `didam_wallet::resync`). A DID whose embedded ledger file is gone
//! gets its log back from the wallet (every backup carries it): in the same
//! file when its folder is there, or, with `--adopt`, in the file `--ledger`
//! names, which becomes the DID's ledger. A ledger that cannot be reached is
//! reported, never replaced.

use didam_ledger::{AnyLedger, LedgerError, LedgerLocation};
use didam_wallet::{DidRecord, DidStatus, Wallet, WalletError};
use serde_json::{Value, json};

use crate::cli::ResyncArgs;
use crate::context::{self, Context, same_location};
use crate::error::{CliError, exit};
use crate::output;

/// Which ledger each DID is synchronised with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// After a restore: each DID's recorded ledger, whatever `--ledger` says.
    Restore,
    /// `wallet resync`: the recorded ledger; a `--ledger` naming another is
    /// refused, or, with `adopt`, takes DIDs whose ledger file is gone.
    Resync { adopt: bool },
}

/// What happened to one DID.
pub(crate) struct Outcome {
    did: String,
    /// `up to date`, `resynced`, `put back`, `moved`, `unreachable`, `other ledger`.
    what: &'static str,
    detail: String,
    unknown_keys: Vec<String>,
}

impl Outcome {
    fn new(did: &str, what: &'static str, detail: impl Into<String>) -> Self {
        Self { did: did.to_owned(), what, detail: detail.into(), unknown_keys: Vec::new() }
    }

    fn failed(&self) -> bool {
        matches!(self.what, "unreachable" | "other ledger")
    }

    fn to_json(&self) -> Value {
        json!({ "did": self.did, "outcome": self.what, "detail": self.detail, "unknownKeys": self.unknown_keys })
    }
}

/// Synchronises every DID of `wallet` on a ledger with its ledger.
pub(crate) fn sync_all(cx: &Context, wallet: &Wallet, mode: Mode) -> Result<Vec<Outcome>, CliError> {
    let mut out = Vec::new();
    for record in wallet.dids()? {
        if record.ledger.is_empty() || record.status == DidStatus::Pending {
            continue;
        }
        out.push(sync_one(cx, wallet, &record, mode)?);
    }
    Ok(out)
}

fn sync_one(cx: &Context, wallet: &Wallet, record: &DidRecord, mode: Mode) -> Result<Outcome, CliError> {
    let did = record.did.as_str();
    let recorded: LedgerLocation =
        record.ledger.parse().unwrap_or_else(|e: std::convert::Infallible| match e {});
    let gone = |l: &LedgerLocation| matches!(l, LedgerLocation::File(p) if !p.exists());
    let mut location = recorded.clone();
    let mut moved = false;
    if let (Mode::Resync { adopt }, Some(given)) = (mode, &cx.global.ledger)
        && !same_location(given, &recorded)
    {
        if !(adopt && gone(&recorded)) {
            let why = if adopt { "; its ledger file is still there, so it stays" } else { "" };
            let detail = format!("lives on {recorded}, not on {given}{why}");
            return Ok(Outcome::new(did, "other ledger", detail));
        }
        (location, moved) = (given.clone(), true);
    }
    let mut put_back = None;
    if let LedgerLocation::File(path) = &location
        && !path.exists()
    {
        let folder = path.parent().filter(|p| p.as_os_str().is_empty() || p.is_dir());
        if folder.is_none() {
            let detail = format!("its ledger file {} is gone, and so is its folder", path.display());
            return Ok(Outcome::new(did, "unreachable", detail));
        }
        put_back = Some(path.clone());
    }
    let ledger = match cx.ledger_at(&location) {
        Ok(l) => l,
        Err(e) => return Ok(Outcome::new(did, "unreachable", e.to_string())),
    };
    let result = cx.block_on(sync_on(wallet, &ledger, did, put_back.is_some() || moved));
    let resynced = match result {
        Ok(r) => r,
        Err(e @ (WalletError::Ledger(_) | WalletError::Registry(_))) => {
            return Ok(Outcome::new(did, "unreachable", format!("{location}: {e}")));
        }
        Err(e) => return Err(e.into()),
    };
    if moved {
        wallet.relocate_did(did, &location.to_string())?;
    }
    let (what, detail) = match (&put_back, moved) {
        (_, true) => ("moved", format!("its log is now on {location}")),
        (Some(path), false) => ("put back", format!("its log was put back in {}", path.display())),
        (None, false) if resynced.changed() => {
            ("resynced", format!("{} → {}", resynced.was.as_deref().unwrap_or("none"), resynced.now))
        }
        (None, false) => ("up to date", resynced.now.clone()),
    };
    let mut outcome = Outcome::new(did, what, detail);
    outcome.unknown_keys = resynced.unknown_keys;
    Ok(outcome)
}

/// Puts `did`'s log on `ledger` when `publish` (or when the ledger does not
/// know the DID), takes its state from there, and signs a checkpoint when
/// the wallet operates the ledger.
async fn sync_on(
    wallet: &Wallet,
    ledger: &AnyLedger,
    did: &str,
    publish: bool,
) -> Result<didam_wallet::Resynced, WalletError> {
    if publish {
        wallet.republish_log(ledger, did).await?;
    }
    let resynced = match wallet.resync_did(ledger, did).await {
        Err(WalletError::Ledger(LedgerError::NotFound(_)) | WalletError::LedgerBehind { .. })
            if wallet.did_log(did)?.is_some() =>
        {
            wallet.republish_log(ledger, did).await?;
            wallet.resync_did(ledger, did).await?
        }
        other => other?,
    };
    wallet.checkpoint_as_operator(ledger, context::EMBEDDED_ORIGIN).await?;
    Ok(resynced)
}

/// Prints `outcomes` (after a restore, only what needs attention).
pub(crate) fn print(outcomes: &[Outcome], quiet_when_fine: bool) {
    for o in outcomes.iter().filter(|o| !quiet_when_fine || o.failed() || !o.unknown_keys.is_empty()) {
        output::print(&format!("{}: {} ({})", o.did, o.what, o.detail));
        if !o.unknown_keys.is_empty() {
            output::print(&format!(
                "  its ledger lists {} this wallet does not hold (added after its backup): restore the newest backup",
                output::count(o.unknown_keys.len(), "key")
            ));
        }
    }
    if outcomes.iter().any(Outcome::failed) {
        output::print(
            "DIDs above could not be synchronised: run `didam wallet resync` when their ledger is reachable; \
             a ledger file lost for good: `didam --ledger NEW.db wallet resync --adopt` moves them onto NEW.db",
        );
    }
}

/// The outcomes as JSON.
pub(crate) fn to_json(outcomes: &[Outcome]) -> Value {
    json!(outcomes.iter().map(Outcome::to_json).collect::<Vec<_>>())
}

/// Whether any DID could not be synchronised.
pub(crate) fn any_failed(outcomes: &[Outcome]) -> bool {
    outcomes.iter().any(Outcome::failed)
}

/// `didam wallet resync`.
pub(crate) fn resync(cx: &Context, args: &ResyncArgs) -> Result<u8, CliError> {
    let wallet = cx.open_wallet()?;
    let outcomes = sync_all(cx, &wallet, Mode::Resync { adopt: args.adopt })?;
    wallet.backup()?;
    if args.print.json {
        output::print_json(&to_json(&outcomes), false);
    } else if outcomes.is_empty() {
        output::print("no DIDs on a ledger");
    } else {
        print(&outcomes, false);
    }
    Ok(if any_failed(&outcomes) { exit::COULD_NOT_CHECK } else { exit::OK })
}

/// Checks every DID's record against its own ledger (for `wallet check`):
/// the first DID the ledger knows a later version of is the error; DIDs
/// whose ledger cannot be read are returned with the reason.
pub(crate) fn check_ledgers(cx: &Context, wallet: &Wallet) -> Result<Vec<(String, String)>, CliError> {
    let mut unchecked = Vec::new();
    for record in wallet.dids()? {
        if record.ledger.is_empty() || record.status == DidStatus::Pending {
            continue;
        }
        let location: LedgerLocation =
            record.ledger.parse().unwrap_or_else(|e: std::convert::Infallible| match e {});
        if let LedgerLocation::File(path) = &location
            && !path.exists()
        {
            unchecked.push((record.did, format!("its ledger file {} is gone", path.display())));
            continue;
        }
        let checked = cx.read_ledger_at(&location).and_then(|ledger| {
            cx.block_on(wallet.check_against_ledger(&ledger, &record.did)).map_err(CliError::from)
        });
        match checked {
            Ok(()) => {}
            Err(CliError::Wallet(
                e @ (WalletError::BehindLedger { .. } | WalletError::LedgerBehind { .. }),
            )) => {
                return Err(e.into());
            }
            Err(e) => unchecked.push((record.did, e.to_string())),
        }
    }
    Ok(unchecked)
}
