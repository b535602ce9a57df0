//! `didam wallet …`, `didam recover`, `didam compromise`, `didam shares …`

use std::path::{Path, PathBuf};

use didam_credential::Did;
use didam_ledger::{AnyLedger, LedgerLocation};
use didam_registry::Resolver;
use didam_wallet::slip39::{self, GroupSpec, Share};
use didam_wallet::{
    CompromiseJournal, CompromiseReport, DidLedgers, DidStatus, HandoverOutcome, InitOptions, PendingShare,
    RootSecret, StagedWallet, Wallet,
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::{BackupArgs, CompromiseArgs, InitArgs, JsonArg, PasswdArgs, RecoverArgs, SharesVerifyArgs};
use crate::context::{self, Context};
use crate::error::{CliError, exit};
use crate::input;
use crate::output::{self, Progress};

/// The file of share `i` of the set `prefix` (`wallet`, `rotation`) in `dir`.
fn share_path(dir: &Path, prefix: &str, i: usize) -> PathBuf {
    dir.join(format!("{prefix}-share-{i}.txt"))
}

/// Refuses before anything changes when a share file would be overwritten:
/// a secret whose shares cannot be written is a secret lost.
fn check_shares_free(out: &crate::cli::SharesOut, prefixes: &[&str]) -> Result<(), CliError> {
    for prefix in prefixes {
        for i in 1..=usize::from(out.count) {
            let path = share_path(&out.shares_out, prefix, i);
            if path.exists() {
                return Err(CliError::Exists { path });
            }
        }
    }
    Ok(())
}

/// `secret` split into `count` SLIP-39 shares, `threshold` of them needed.
fn split_root(secret: &RootSecret, threshold: u8, count: u8) -> Result<Vec<Zeroizing<String>>, CliError> {
    let groups =
        slip39::split(secret.as_bytes(), b"", 1, &[GroupSpec { threshold, count }], 1, &mut rand_core::OsRng)
            .map_err(|e| CliError::Input(format!("shares: {e}")))?;
    Ok(groups.into_iter().flatten().collect())
}

/// Writes each share to its own file `<prefix>-share-<i>.txt` (mode 0600,
/// synced) in `dir`.
fn write_share_files(
    dir: &Path,
    prefix: &str,
    shares: &[Zeroizing<String>],
    written: &mut Vec<PathBuf>,
) -> Result<Vec<String>, CliError> {
    let mut paths = Vec::new();
    for (i, share) in shares.iter().enumerate() {
        let path = share_path(dir, prefix, i + 1);
        let line = share_line(share);
        output::write_secret(&path, line.as_bytes())?;
        paths.push(path.display().to_string());
        written.push(path);
    }
    Ok(paths)
}

/// The exact contents of a share file.
fn share_line(share: &str) -> Zeroizing<String> {
    Zeroizing::new(format!("{share}\n"))
}

/// The SLIP-39 set identifier of the share in `path`, if it holds one.
fn share_identifier(path: &Path) -> Option<u16> {
    let text = Zeroizing::new(std::fs::read_to_string(path).ok()?);
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    Share::parse(line.trim()).ok().map(|s| s.identifier())
}

/// Removes what an interrupted `init` or `recover` of the wallet at `dir`
/// left (its staging folder, and shares of a root no wallet holds), saying
/// so.
fn clear_abandoned(dir: &Path) -> Result<(), CliError> {
    let removed = StagedWallet::clear_abandoned(dir)?;
    if !removed.is_empty() {
        eprintln!(
            "note: removed {} share file(s) an interrupted `didam wallet init` wrote for a wallet that was never created",
            removed.len()
        );
    }
    Ok(())
}

fn check_share_params(threshold: u8, count: u8) -> Result<(), CliError> {
    if threshold == 0 || threshold > count || count > 16 || (threshold == 1 && count != 1) {
        return Err(CliError::Input(format!(
            "--threshold {threshold} of --shares {count}: need 1 ≤ threshold ≤ shares ≤ 16 (and 1-of-1 only)"
        )));
    }
    Ok(())
}

pub(crate) fn init(cx: &Context, args: &InitArgs) -> Result<u8, CliError> {
    check_share_params(args.shares.threshold, args.shares.count)?;
    let dir = cx.wallet_dir()?;
    if didam_wallet::db_path(&dir).exists() {
        return Err(CliError::Wallet(didam_wallet::WalletError::Exists(dir.display().to_string())));
    }
    std::fs::create_dir_all(&args.shares.shares_out)
        .map_err(|source| CliError::Write { path: args.shares.shares_out.clone(), source })?;
    clear_abandoned(&dir)?;
    check_shares_free(&args.shares, &["wallet", "rotation"])?;
    let pass =
        input::new_passphrase(args.new_passphrase_file.as_deref().or(cx.global.passphrase_file.as_deref()))?;
    let progress = Progress::start("calibrating key derivation and creating the wallet");
    let created = Wallet::init_staged(&dir, &pass, &InitOptions { kdf: context::kdf(&args.kdf)? });
    progress.finish();
    // Built in a folder beside the target; the shares are written and
    // synced first, then the wallet is renamed into place: a crash leaves
    // no wallet, or a complete one with its shares.
    let (staged, rrs) = created?;
    let mut written = Vec::new();
    let (out, threshold, count) = (&args.shares.shares_out, args.shares.threshold, args.shares.count);
    let result = split_root(staged.wallet().root(), threshold, count)
        .and_then(|w| Ok((w, split_root(&rrs, threshold, count)?)))
        .and_then(|(w, r)| {
            // Recorded in the staging folder before any is written: a kill
            // before the commit leaves shares the next `init` recognises
            // as belonging to no wallet, and removes.
            let planned: Vec<_> = [("wallet", &w), ("rotation", &r)]
                .into_iter()
                .flat_map(|(prefix, set)| {
                    set.iter().enumerate().map(move |(i, s)| (share_path(out, prefix, i + 1), share_line(s)))
                })
                .collect();
            let temporaries: Vec<_> = planned.iter().map(|(p, _)| output::secret_temporary(p)).collect();
            let pending: Vec<_> = planned
                .iter()
                .zip(&temporaries)
                .map(|((path, line), tmp)| PendingShare {
                    path,
                    temporary: Some(tmp),
                    contents: line.as_bytes(),
                })
                .collect();
            staged.record_shares(&pending)?;
            Ok((
                write_share_files(out, "wallet", &w, &mut written)?,
                write_share_files(out, "rotation", &r, &mut written)?,
            ))
        })
        .and_then(|shares| Ok((staged.commit()?, shares)));
    let (_wallet, (wallet_shares, rotation_shares)) = match result {
        Ok(done) => done,
        Err(e) => {
            // No wallet was put in place: its shares would only be in the way.
            for path in &written {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    let backup = didam_wallet::Wallet::newest_backup(&dir).map(|p| p.display().to_string());
    if args.print.json {
        output::print_json(
            &json!({ "wallet": dir, "walletShares": wallet_shares, "rotationShares": rotation_shares, "backup": backup, "threshold": args.shares.threshold }),
            false,
        );
    } else {
        output::print(&format!("wallet created: {}", dir.display()));
        output::print(&format!(
            "wallet root shares ({} of {} recover it): {}",
            args.shares.threshold,
            args.shares.count,
            wallet_shares.join(", ")
        ));
        output::print(&format!(
            "rotation secret shares (not stored in the wallet): {}",
            rotation_shares.join(", ")
        ));
        output::print("keep each share in a different place, offline; then delete these files");
        output::print(
            "did:didam DIDs need a ledger that outlives this machine: a daemon (--ledger http://...), or a ledger file you back up",
        );
    }
    Ok(exit::OK)
}

pub(crate) fn check(cx: &Context, args: &JsonArg) -> Result<u8, CliError> {
    let wallet = cx.open_wallet_read_only()?;
    wallet.check()?;
    for k in wallet.keys()?.iter().filter(|k| !k.compromised) {
        wallet.signing_key(&k.id)?;
    }
    // Rolled back? Against the newest backup, then against each DID's ledger.
    wallet.check_fresh()?;
    let unchecked = super::resync::check_ledgers(cx, &wallet)?;
    for (did, why) in &unchecked {
        // A notice: a ledger out of reach is not a damaged wallet.
        eprintln!("note: {did} not checked against its ledger: {why}");
    }
    let generation = wallet.store().generation()?;
    if args.json {
        output::print_json(
            &json!({ "ok": true, "generation": generation, "dids": wallet.dids()?.len(), "keys": wallet.keys()?.len() }),
            false,
        );
    } else {
        output::print(&format!(
            "wallet ok: MAC and every record check, generation {generation}, {}, {}",
            output::count(wallet.dids()?.len(), "DID"),
            output::count(wallet.keys()?.len(), "key")
        ));
    }
    Ok(exit::OK)
}

pub(crate) fn backup(cx: &Context, args: &BackupArgs) -> Result<u8, CliError> {
    if args.out.as_deref().is_some_and(input::is_stdin) {
        // Refused to a terminal before the passphrase is asked for.
        use std::io::IsTerminal as _;
        if std::io::stdout().is_terminal() {
            return Err(CliError::BinaryToTerminal { what: "the wallet backup" });
        }
        let wallet = cx.open_wallet()?;
        let bytes = wallet.backup_bytes()?;
        output::write_binary_stdout(&bytes, "the wallet backup")?;
        return Ok(exit::OK);
    }
    let wallet = cx.open_wallet()?;
    let progress = Progress::start("writing and re-reading the backup");
    let path = match &args.out {
        Some(p) => wallet.backup_to(p, None).map(|()| p.clone()),
        None => wallet.backup(),
    };
    progress.finish();
    let path = path?;
    if args.print.json {
        output::print_json(&json!({ "backup": path, "readBack": true }), false);
    } else {
        output::print(&format!("backup written and read back: {}", path.display()));
    }
    Ok(exit::OK)
}

pub(crate) fn restore(cx: &Context, args: &RecoverArgs) -> Result<u8, CliError> {
    let dir = cx.wallet_dir()?;
    let kdf = context::kdf(&args.kdf)?;
    // Cheap checks first: no share is typed for a backup that is not there.
    input::exists(&args.backup)?;
    args.shares.iter().try_for_each(|p| input::exists(p))?;
    let root = input::shares(&args.shares, "wallet")?;
    let pass =
        input::new_passphrase(args.new_passphrase_file.as_deref().or(cx.global.passphrase_file.as_deref()))?;
    let progress = Progress::start("restoring the wallet");
    let restored = Wallet::restore(&dir, &root, &args.backup, &pass, kdf, args.force);
    progress.finish();
    let wallet = restored?;
    // The backup may be old: each DID is taken as its own ledger has it.
    let synced = super::resync::sync_all(cx, &wallet, super::resync::Mode::Restore)?;
    wallet.backup()?;
    let (dids, keys, credentials) = (wallet.dids()?.len(), wallet.keys()?.len(), wallet.credentials()?.len());
    let pending = wallet.pending()?.len();
    if args.print.json {
        output::print_json(
            &json!({ "wallet": dir, "dids": dids, "keys": keys, "credentials": credentials, "pending": pending, "ledgers": super::resync::to_json(&synced) }),
            false,
        );
        return Ok(exit::OK);
    }
    output::print(&format!(
        "wallet restored in {}: {}, {}, {}",
        dir.display(),
        output::count(dids, "DID"),
        output::count(keys, "key"),
        output::count(credentials, "credential")
    ));
    super::resync::print(&synced, true);
    if pending > 0 {
        output::print("operations were waiting for the ledger: run `didam did reconcile`");
    }
    Ok(exit::OK)
}

pub(crate) fn passwd(cx: &Context, args: &PasswdArgs) -> Result<u8, CliError> {
    let kdf = context::kdf(&args.kdf)?;
    if let Some(file) = &args.new_passphrase_file {
        input::exists(file)?;
    }
    let wallet = cx.open_wallet()?;
    let new = input::new_passphrase(args.new_passphrase_file.as_deref())?;
    wallet.change_passphrase(&new, kdf)?;
    output::print("passphrase changed (only the root's wrapping changed)");
    Ok(exit::OK)
}

/// `didam compromise`: begins the wallet's compromise procedure, or
/// continues the one a crash or a failure interrupted (its journal is in
/// the wallet), so a retry never re-keys twice and the shares an earlier
/// try wrote stay valid. See `didam_wallet::compromise` for the steps.
pub(crate) fn compromise(cx: &Context, args: &CompromiseArgs) -> Result<u8, CliError> {
    check_share_params(args.shares.threshold, args.shares.count)?;
    std::fs::create_dir_all(&args.shares.shares_out)
        .map_err(|source| CliError::Write { path: args.shares.shares_out.clone(), source })?;
    let kdf = context::kdf(&args.kdf)?;
    // Cheap checks before each secret: the share files exist before the
    // passphrase is asked for, the DID is the wallet's before the shares.
    cx.check_rotation_shares()?;
    let (mut wallet, pass) = cx.open_wallet_keeping_passphrase()?;
    wallet.did(args.did.as_str())?;
    let journal = wallet.compromise_journal()?;
    if journal.as_ref().is_none_or(|j| j.finished.is_some() && args.new_leak) {
        // A new re-key: refused before anything changes when its shares
        // would overwrite files.
        check_shares_free(&args.shares, &["wallet"])?;
    }
    // Each DID's own ledger (a --ledger naming another, or a lost ledger
    // file, is refused here, before the rotation secret is asked for).
    let open = DidLedgersOpen::open(cx, &wallet)?;
    let rrs = cx.rotation_secret()?;
    let progress = Progress::start("re-keying the wallet");
    let begun = wallet.compromise_begin(&rrs, args.did.as_str(), &pass, kdf, args.new_leak);
    progress.finish();
    let (journal, resumed) = begun?;
    if let Some(since) = &args.compromised_since
        && journal.finished.is_none()
    {
        wallet.compromise_since(since.clone())?;
    }
    if resumed && journal.finished.is_some() {
        eprintln!(
            "note: the compromise begun at {} had finished; its report follows. For a new leak, \
             run `didam compromise --new-leak` with a new --shares-out folder",
            journal.started
        );
    } else if resumed {
        eprintln!("note: continuing the compromise begun at {} (not re-keyed again)", journal.started);
    }
    let shares = compromise_shares(&wallet, &journal, &args.shares)?;
    let progress = Progress::start("rotating the wallet's DIDs on their ledgers");
    // Each ledger a rotation went to: a checkpoint signed as its operator
    // (embedded), or the daemon's awaited.
    let resolvable = async |rotated: &[(String, String)]| {
        let mut done = vec![false; open.ledgers.len()];
        for (did, version) in rotated {
            let Some(i) = open.index_of(did) else { return Ok(false) };
            if done[i] {
                continue;
            }
            let (ledger, resolver) = &open.ledgers[i];
            let covered = match (ledger.embedded(), resolver, Did::parse(did)) {
                (Some(_), _, _) => wallet.checkpoint_as_operator(ledger, context::EMBEDDED_ORIGIN).await?,
                (None, Some(resolver), Ok(did)) => {
                    resolver.wait_for_version(&did, version, super::did::CHECKPOINT_WAIT).await
                }
                _ => false,
            };
            if !covered {
                return Ok(false);
            }
            done[i] = ledger.embedded().is_some();
        }
        Ok(true)
    };
    let done = cx.block_on(wallet.compromise_continue(&open.did_ledgers(), &rrs, resolvable));
    progress.finish();
    let report = done?;
    let remote = open.ledgers.iter().all(|(ledger, _)| ledger.embedded().is_none());
    print_compromise(&report, &shares, resumed, args.print.json, remote);
    if !report.journal.resolvable {
        eprintln!(
            "warning: no checkpoint covers the rotation yet: resolvers serve the leaked keys until the \
             ledger's operator signs one (`didam ledger checkpoint`; a daemon signs within its interval)"
        );
    }
    Ok(exit::OK)
}

/// The ledgers the wallet's did:didam DIDs live on, each opened once (with
/// a resolver of it when a daemon or a cluster signs its checkpoints).
struct DidLedgersOpen {
    ledgers: Vec<(AnyLedger, Option<Resolver<AnyLedger>>)>,
    locations: Vec<LedgerLocation>,
    /// Each DID and the index of its ledger.
    dids: Vec<(String, usize)>,
}

impl DidLedgersOpen {
    /// Opens the ledger of every did:didam DID of `wallet` not deactivated
    /// (as [`Context::did_ledger`]: its recorded one, which must be there).
    fn open(cx: &Context, wallet: &Wallet) -> Result<Self, CliError> {
        let mut open = Self { ledgers: Vec::new(), locations: Vec::new(), dids: Vec::new() };
        for record in wallet.dids()? {
            let on_ledger = Did::parse(&record.did).is_ok_and(|d| d.method() == "didam");
            if !on_ledger || record.status == DidStatus::Deactivated {
                continue;
            }
            let location = cx.did_location(&record)?;
            let i = match open.locations.iter().position(|l| context::same_location(l, &location)) {
                Some(i) => i,
                None => {
                    let (ledger, location) = cx.did_ledger(&record)?;
                    let resolver = if location.is_remote() { Some(cx.resolver_at(&location)?) } else { None };
                    open.ledgers.push((ledger, resolver));
                    open.locations.push(location);
                    open.ledgers.len() - 1
                }
            };
            open.dids.push((record.did, i));
        }
        Ok(open)
    }

    fn index_of(&self, did: &str) -> Option<usize> {
        self.dids.iter().find(|(d, _)| d == did).map(|(_, i)| *i)
    }

    fn did_ledgers(&self) -> DidLedgers<'_, AnyLedger> {
        let mut map = DidLedgers::new();
        for (did, i) in &self.dids {
            map.insert(did, &self.ledgers[*i].0);
        }
        map
    }
}

/// Step 2 of the procedure: the new root's shares, written once. A set an
/// interrupted run wrote whole is kept (it recovers the wallet); a set it
/// cut short is its own (the journal names its identifier) and is replaced.
fn compromise_shares(
    wallet: &Wallet,
    journal: &CompromiseJournal,
    out: &crate::cli::SharesOut,
) -> Result<Vec<String>, CliError> {
    let display = |paths: &[PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    if let Some(set) = &journal.shares {
        let paths: Vec<PathBuf> =
            (1..=usize::from(set.count)).map(|i| share_path(&set.dir, "wallet", i)).collect();
        if set.written {
            return Ok(display(&paths));
        }
        let ours = |p: &PathBuf| share_identifier(p) == Some(set.identifier);
        if paths.iter().all(ours) {
            wallet.compromise_shares_written()?;
            return Ok(display(&paths));
        }
        for path in paths.iter().filter(|p| ours(p)) {
            std::fs::remove_file(path).map_err(|source| CliError::Write { path: path.clone(), source })?;
        }
    }
    check_shares_free(out, &["wallet"])?;
    let shares = split_root(wallet.root(), out.threshold, out.count)?;
    let identifier = shares
        .first()
        .and_then(|s| Share::parse(s).ok())
        .map(|s| s.identifier())
        .ok_or_else(|| CliError::Input("shares: no share was made".into()))?;
    wallet.compromise_shares_planned(identifier, &out.shares_out, out.count)?;
    let paths = write_share_files(&out.shares_out, "wallet", &shares, &mut Vec::new())?;
    wallet.compromise_shares_written()?;
    Ok(paths)
}

fn print_compromise(report: &CompromiseReport, shares: &[String], resumed: bool, json: bool, remote: bool) {
    for lost in report.status_lists.iter().filter(|r| r.error.is_some()) {
        // A warning, not data: on standard error (the rest of the report follows).
        eprintln!(
            "warning: status list {} could not be re-published: {}\nhint: its resource key was used by \
             someone else first; its credentials cannot be revoked any more: re-issue them on a new list",
            lost.list,
            lost.error.as_deref().unwrap_or_default()
        );
    }
    print_operator_handovers(report, remote);
    let revoke: Vec<_> = report
        .to_revoke
        .iter()
        .map(|i| json!({ "id": i.id, "issuer": i.issuer, "status": i.status }))
        .collect();
    if json {
        output::print_json(
            &json!({
                "resumed": resumed,
                "finished": report.journal.finished.is_some(),
                "resolvable": report.journal.resolvable,
                "leakedKeys": report.leaked_keys,
                "rotated": report.rotated.iter().map(|(did, version)| json!({ "did": did, "versionId": version })).collect::<Vec<_>>(),
                "stopUsing": report.stop_using,
                "revoke": revoke,
                "statusLists": report.status_lists,
                "operatorKeys": report.operator_keys,
                "operatorHandovers": report.operator_handovers,
                "walletShares": shares,
            }),
            false,
        );
        return;
    }
    output::print(&format!("keys marked compromised: {}", report.leaked_keys.len()));
    for (did, version) in &report.rotated {
        output::print(&format!("rotated {did} to new keys ({version})"));
    }
    for did in &report.stop_using {
        output::print(&format!(
            "stop using {did}: its keys leaked and it cannot be rotated; make a new one \
             (`didam did create --method key`) and re-issue its credentials with it (`didam vc issue`)"
        ));
    }
    output::print(&format!("credentials the leaked keys signed (revoke them): {}", report.to_revoke.len()));
    for i in &report.to_revoke {
        output::print(&format!("  {}", i.id));
    }
    for r in &report.status_lists {
        if let Some(version) = &r.version_id {
            output::print(&format!("re-published status list {} with the new keys ({version})", r.list));
        }
    }
    output::print(&format!(
        "new wallet root shares: {}; the old shares and backups are void",
        shares.join(", ")
    ));
}

/// Step 6 of the procedure, said on standard error (warnings and notes;
/// the JSON report carries the same): each operator key handed over, and
/// each that stays leaked with what to do.
fn print_operator_handovers(report: &CompromiseReport, remote: bool) {
    for h in &report.operator_handovers {
        match &h.outcome {
            Some(HandoverOutcome::HandedOver { size }) => eprintln!(
                "note: this wallet's operator key of ledger {} was handed over to {} at tree size {size}, \
                 signed by the leaked key before it was retired; verifiers that pinned the old key follow \
                 the handover by themselves (or with `didam ledger repin`), and refuse the old key afterwards",
                h.origin, h.new
            ),
            Some(HandoverOutcome::Lost { successor }) => eprintln!(
                "warning: the leaked operator key of ledger {} had already handed the ledger over to {successor}, \
                 a key this wallet does not hold (the thief's?): tell its verifiers out of band not to trust it; \
                 they can pin a key by hand with `didam ledger repin --trust VKEY`",
                h.origin
            ),
            _ => {}
        }
    }
    for key in &report.operator_keys {
        eprintln!(
            "warning: this wallet's operator key of ledger {} ({}) leaked with it and is not handed over: \
             the ledger this procedure ran on is not operated by it. Whoever holds it signs checkpoints of \
             the ledger files it operates: stop using them, or have their verifiers pin a new key by hand \
             (`didam ledger repin --trust VKEY`)",
            key.origin, key.vkey
        );
    }
    if remote {
        eprintln!(
            "note: a daemon's checkpoint key is not in the wallet: if its key file leaked too, its operator \
             makes a new one (`didam-resolver keygen --origin ORIGIN --out NEW.key --passphrase-file FILE`) \
             and restarts the daemon with --checkpoint-key NEW.key; verifiers then compare the new key's \
             fingerprint out of band and pin it with `didam ledger repin --trust VKEY`"
        );
    }
}

pub(crate) fn shares_verify(args: &SharesVerifyArgs) -> Result<u8, CliError> {
    let mut results = Vec::new();
    let mut all_ok = true;
    for path in &args.files {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| CliError::Read { path: path.clone(), source })?,
        );
        for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let outcome = match Share::parse(line) {
                Ok(s) => json!({
                    "file": path, "line": n + 1, "valid": true, "identifier": s.identifier(),
                    "group": s.group_index() + 1, "groupThreshold": s.group_threshold(), "groupCount": s.group_count(),
                    "member": s.member_index() + 1, "memberThreshold": s.member_threshold(),
                }),
                Err(e) => {
                    all_ok = false;
                    json!({ "file": path, "line": n + 1, "valid": false, "error": e.to_string() })
                }
            };
            results.push(outcome);
        }
    }
    if args.print.json {
        output::print_json(&json!(results), false);
    } else {
        for r in &results {
            if r["valid"] == true {
                output::print(&format!(
                    "{} line {}: valid share {} of set {} (member {}, {} needed)",
                    r["file"].as_str().unwrap_or_default(),
                    r["line"],
                    r["member"],
                    r["identifier"],
                    r["member"],
                    r["memberThreshold"]
                ));
            } else {
                output::print(&format!(
                    "{} line {}: INVALID: {}",
                    r["file"].as_str().unwrap_or_default(),
                    r["line"],
                    r["error"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    Ok(if all_ok { exit::OK } else { exit::INVALID })
}
