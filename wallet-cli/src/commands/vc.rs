//! `didam vc …`

use std::sync::Arc;

use didam_credential::limits::{self, Limits};
use didam_credential::proof::SuiteOptions;
use didam_credential::sd_jwt::SdJwt;
use didam_credential::sd_jwt_vc::{Binding, IssueOptions};
use didam_credential::selective::{self, JsonPointer};
use didam_credential::status_list::StatusPurpose;
use didam_credential::{DidUrl, Suite, did};
use didam_verifier::status::SharedResolver;
use didam_verifier::{Input, NetworkOptions, Verifier};
use didam_wallet::status::{StatusAction, StatusDirectory};
use serde_json::{Value, json};

use crate::cli::{
    DeriveArgs, FileArg, IdArg, IssueArgs, IssueFormat, JsonArg, PresentArgs, StatusArgs, VerifyArgs,
};
use crate::context::{self, Context};
use crate::error::{CliError, exit};
use crate::{input, output};

pub(crate) fn verify(cx: &Context, args: &VerifyArgs) -> Result<u8, CliError> {
    // The engine's limits (didam_credential::limits): a larger document is
    // read one byte past the size limit, and refused by its size.
    let limits = Limits::default();
    let text = input::read_at_most(&args.file, limits.max_bytes as u64 + 1)?;
    let input = Input::parse_within(&text, &limits).map_err(CliError::from_engine)?;
    // The ledger is opened (and its key pinned) at the first did:didam DID.
    let resolver = Arc::new(cx.resolver(None)?);
    // Status lists by DID URL from the ledger (proofs checked), else over
    // HTTPS under the did:web fetch policy (public addresses only; this
    // machine too with --status-allow-loopback), each fetched once per run.
    let options = NetworkOptions::default().allow_loopback(args.status_allow_loopback);
    let mut verifier = Verifier::networked(SharedResolver(Arc::clone(&resolver)), resolver, &options)
        .map_err(|e| CliError::Input(format!("status source: {e}")))?
        .with_limits(limits);
    if let Some(path) = &args.policy {
        let policy = didam_verifier::Policy::from_file(path)
            .map_err(|e| CliError::Input(format!("policy {}: {e}", path.display())))?;
        verifier = verifier.with_policy(policy);
    }
    if args.no_challenge {
        let mut policy = verifier.policy().clone();
        policy.require_challenge = false;
        verifier = verifier.with_policy(policy);
    }
    if let Some(skew) = args.clock_skew {
        verifier = verifier.with_clock_skew(skew);
    }
    let result = cx.block_on(async {
        match (&args.challenge, &args.domain) {
            (None, None) => verifier.verify(&input).await,
            (c, d) => verifier.verify_presentation(text.trim(), c.as_deref(), d.as_deref()).await,
        }
    });
    // A did:didam issuer's credential whose key has left its document:
    // judged by the key history and its anchor (issue 22).
    if result.as_ref().is_ok_and(|r| r.is_valid()) && args.anchor.is_none() {
        // Valid as it is: nothing historical to judge.
    } else {
        match historical(cx, args, &text) {
            Ok(Some(code)) => return Ok(code),
            Ok(None) => {}
            // Asked for: its failure is the answer.
            Err(e) if args.anchor.is_some() => return Err(e),
            // Tried on the side: the ordinary result (and its error) stands.
            Err(_) => {}
        }
    }
    let report = result.map_err(CliError::from_engine)?;
    if args.json {
        output::print_json(&serde_json::to_value(&report).unwrap_or_default(), false);
    } else {
        output::print(report.to_string().trim_end());
    }
    let unprotected = report.checks.iter().any(|c| {
        c.check == didam_credential::CheckKind::ReplayProtection
            && c.outcome == didam_credential::Outcome::Failed
    });
    if unprotected {
        output::hint(
            "give the verifier's challenge with `--challenge`, or accept a replayable presentation with `--no-challenge`",
        );
    }
    Ok(if report.is_valid() { exit::OK } else { exit::INVALID })
}

/// Historical verification (`didam_verifier::anchored`) of a JSON
/// credential of a did:didam issuer, when its key has left the document or
/// an anchor is given; `None` when it does not apply (then the ordinary
/// report stands).
fn historical(cx: &Context, args: &VerifyArgs, text: &str) -> Result<Option<u8>, CliError> {
    let Ok(credential) = serde_json::from_str::<Value>(text) else { return Ok(None) };
    let issuer =
        credential.get("issuer").and_then(|i| i.as_str().or_else(|| i.get("id").and_then(Value::as_str)));
    if issuer.is_none_or(|i| didam_method::DidamDid::parse(i).is_err()) || credential.get("proof").is_none() {
        return Ok(None);
    }
    let bundle = match &args.anchor {
        Some(path) => {
            Some(serde_json::from_str::<didam_registry::anchor::AnchorProof>(&input::read(path)?).map_err(
                |e| CliError::Input(format!("{}: not an anchor proof bundle: {e}", path.display())),
            )?)
        }
        None => None,
    };
    let location = cx.location()?;
    let ledger = cx.read_ledger_at(&location)?;
    let key = super::anchor::operator_key(cx, None)?;
    let store = cx.checkpoint_store(&location)?;
    let options = didam_credential::verify::VerifyOptions::default();
    let verified = cx.block_on(didam_verifier::anchored::verify_historical(
        &ledger,
        &key,
        &store,
        &credential,
        bundle.as_ref(),
        &options,
    ));
    let anchored = match verified {
        Ok(a) => a,
        Err(e) => return Err(CliError::Input(e.to_string())),
    };
    let anchor_check = anchored.report.checks.iter().find(|c| c.check == didam_credential::CheckKind::Anchor);
    if args.anchor.is_none()
        && anchor_check.is_some_and(|c| c.outcome == didam_credential::Outcome::NotApplicable)
    {
        // The key is current: the ordinary report says why it failed.
        return Ok(None);
    }
    if args.json {
        output::print_json(&serde_json::to_value(&anchored).unwrap_or_default(), false);
    } else {
        output::print(anchored.report.to_string().trim_end());
        output::print(&format!(
            "anchor: issuer {} checkpoint {} key history: {}",
            anchored.evidence.issuer,
            anchored.evidence.checkpoint,
            serde_json::to_string(&anchored.evidence.key_history).unwrap_or_default()
        ));
    }
    Ok(Some(if anchored.report.is_valid() { exit::OK } else { exit::INVALID }))
}

fn parse_json(path: &std::path::Path) -> Result<Value, CliError> {
    let text = input::read(path)?;
    serde_json::from_str(&text).map_err(|e| CliError::Input(format!("{}: not JSON: {e}", path.display())))
}

fn emit(value: &Value, out: Option<&std::path::Path>, force: bool) -> Result<(), CliError> {
    match out {
        Some(path) => {
            output::write_file(path, &serde_json::to_string_pretty(value).unwrap_or_default(), force)
        }
        None => {
            output::print_json(value, false);
            Ok(())
        }
    }
}

/// JSON pointers given on the command line: each one once.
fn pointers(list: &[String], flag: &str) -> Result<Vec<JsonPointer>, CliError> {
    JsonPointer::parse_list(list).map_err(|e| CliError::Input(format!("{flag}: {e}")))
}

pub(crate) fn issue(cx: &Context, args: &IssueArgs) -> Result<u8, CliError> {
    if args.format == IssueFormat::DcSdJwt {
        return issue_sd_jwt_vc(cx, args);
    }
    let sd_jwt_flags = [
        ("--vct", args.vct.is_some()),
        ("--holder", !args.holders.is_empty()),
        ("--disclose", !args.disclose.is_empty()),
        ("--decoys", args.decoys > 0),
        ("--valid-days", args.valid_days.is_some()),
    ];
    if let Some((flag, _)) = sd_jwt_flags.iter().find(|(_, given)| *given) {
        return Err(CliError::Input(format!("{flag} applies to --format dc+sd-jwt")));
    }
    let issuer = args.issuer.as_str();
    if !args.mandatory.is_empty() && !args.suite.is_selective() {
        return Err(CliError::Input(format!(
            "--mandatory applies to --suite ecdsa-sd-2023 or bbs-2023, not to {}",
            args.suite
        )));
    }
    if args.status && args.suite == Suite::Bbs2023 {
        // The wallet refuses it too; here it is a usage error before the wallet opens.
        return Err(CliError::Input(
            "--status with --suite bbs-2023: the issuer's BLS12-381 key cannot sign a status list yet; issue without --status, or with ecdsa-sd-2023".into(),
        ));
    }
    let suite =
        SuiteOptions { suite: args.suite, mandatory_pointers: pointers(&args.mandatory, "--mandatory")? };
    let credential = parse_json(&args.file)?;
    if let Some(out) = args.out.as_deref().filter(|p| !input::is_stdin(p) && p.exists() && !args.force) {
        // Refuse before an index is allocated or a list published.
        return Err(CliError::Replaceable { path: out.to_owned() });
    }
    let wallet = cx.open_wallet()?;
    let signed = if args.status {
        let mut purposes = vec![StatusPurpose::Revocation];
        if args.suspension {
            purposes.push(StatusPurpose::Suspension);
        }
        let directory = match (&args.status_dir, &args.status_url) {
            (Some(dir), Some(url)) => Some(StatusDirectory { dir: dir.clone(), base_url: url.clone() }),
            _ => None,
        };
        // The issuer's lists are resources of its DID, on the DID's own ledger.
        let ledger =
            if args.issuer.method() == "didam" { Some(cx.did_ledger(&wallet.did(issuer)?)?.0) } else { None };
        cx.block_on(async {
            let signed = wallet
                .issue_with_status(
                    ledger.as_ref(),
                    directory.as_ref(),
                    &credential,
                    issuer,
                    suite.clone(),
                    &purposes,
                )
                .await?;
            if let Some(ledger) = &ledger {
                wallet.checkpoint_as_operator(ledger, context::EMBEDDED_ORIGIN).await?;
            }
            Ok::<_, CliError>(signed)
        })?
    } else {
        cx.block_on(wallet.issue(&credential, issuer, suite))?
    };
    emit(&signed, args.out.as_deref(), args.force)?;
    Ok(exit::OK)
}

/// `didam vc issue --format dc+sd-jwt`: one SD-JWT VC per `--holder`, one a line.
fn issue_sd_jwt_vc(cx: &Context, args: &IssueArgs) -> Result<u8, CliError> {
    let Some(vct) = &args.vct else {
        return Err(CliError::Input("--format dc+sd-jwt needs --vct (the credential type)".into()));
    };
    if args.holders.is_empty() {
        return Err(CliError::Input("--format dc+sd-jwt needs --holder (the holder's DID)".into()));
    }
    if args.suspension || args.suite != Suite::EddsaRdfc2022 || !args.mandatory.is_empty() {
        return Err(CliError::Input(
            "--suspension, --suite and --mandatory apply to --format data-integrity (an SD-JWT VC's token status list entry can be revoked or suspended)".into(),
        ));
    }
    // Token status lists are written to a folder a daemon serves.
    let directory = match (args.status, &args.status_dir, &args.status_url) {
        (false, _, _) => None,
        (true, Some(dir), Some(url)) => Some(StatusDirectory { dir: dir.clone(), base_url: url.clone() }),
        (true, _, _) => {
            return Err(CliError::Input(
                "--status with --format dc+sd-jwt needs --status-dir and --status-url (the token status list's folder and its URL)".into(),
            ));
        }
    };
    let claims = parse_json(&args.file)?;
    if let Some(out) = args.out.as_deref().filter(|p| !input::is_stdin(p) && p.exists() && !args.force) {
        return Err(CliError::Replaceable { path: out.to_owned() });
    }
    // The holder keys, from the holders' DID documents (proofs checked).
    let mut holders = Vec::with_capacity(args.holders.len());
    for holder in &args.holders {
        let resolver = cx.resolver(Some(holder))?;
        let method = cx
            .block_on(did::authentication_key(&resolver, holder.as_str()))
            .map_err(|e| CliError::from_engine(e.into()))?;
        holders.push(method.key);
    }
    let wallet = cx.open_wallet()?;
    let kid = DidUrl::parse(args.issuer.as_str()).map_err(|e| CliError::Input(e.to_string()))?;
    let mut options = IssueOptions::new(vct.clone(), kid);
    options.disclosable = pointers(&args.disclose, "--disclose")?;
    options.decoys = args.decoys;
    options.expires = args.valid_days.map(|days| options.issued_at + chrono::Duration::days(days.into()));
    let copies =
        wallet.issue_sd_jwt_vc(&claims, args.issuer.as_str(), options, &holders, directory.as_ref())?;
    let text = copies.join("\n");
    match args.out.as_deref().filter(|p| !input::is_stdin(p)) {
        Some(path) => output::write_file(path, &format!("{text}\n"), args.force)?,
        None => output::print(&text),
    }
    Ok(exit::OK)
}

/// `didam vc derive`: the holder's selective disclosure.
pub(crate) fn derive(cx: &Context, args: &DeriveArgs) -> Result<u8, CliError> {
    let disclose = pointers(&args.disclose, "--disclose")?;
    let limits = Limits::default();
    let text = input::read_at_most(&args.file, limits.max_bytes as u64 + 1)?;
    limits::scan_json(text.as_bytes(), &limits).map_err(|e| CliError::from_engine(e.into()))?;
    let credential: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(format!("{}: not JSON: {e}", args.file.display())))?;
    if let Some(out) = args.out.as_deref().filter(|p| !input::is_stdin(p) && p.exists() && !args.force) {
        return Err(CliError::Replaceable { path: out.to_owned() });
    }
    let derived =
        cx.block_on(selective::derive(&credential, &disclose, &limits)).map_err(CliError::from_engine)?;
    emit(&derived, args.out.as_deref().filter(|p| !input::is_stdin(p)), args.force)?;
    Ok(exit::OK)
}

/// `didam vc revoke|suspend|reinstate`.
pub(crate) fn set_status(cx: &Context, args: &StatusArgs, action: StatusAction) -> Result<u8, CliError> {
    let path = std::path::Path::new(&args.credential);
    let credential = if path.is_file() { input::read(path)? } else { args.credential.clone() };
    // A batch of SD-JWT VCs (one a line): each copy's entry changes.
    let first = credential.lines().next().unwrap_or_default();
    if SdJwt::looks_like(first) && credential.trim().lines().count() > 1 {
        let mut code = exit::OK;
        for copy in credential.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let one = StatusArgs { credential: copy.to_owned(), print: JsonArg { json: args.print.json } };
            code = code.max(set_status(cx, &one, action)?);
        }
        return Ok(code);
    }
    let wallet = cx.open_wallet()?;
    // The credential's lists are its issuer's; those published as resources
    // of the issuer DID live on that DID's own ledger (never on another).
    let issuer = wallet.issued_record(&credential)?.issuer;
    let on_ledger =
        wallet.status_lists()?.iter().any(|l| l.issuer == issuer && l.list.url().parse::<DidUrl>().is_ok());
    let ledger = if on_ledger { Some(cx.did_ledger(&wallet.did(&issuer)?)?.0) } else { None };
    let changes = cx.block_on(async {
        let changes = wallet.set_status(ledger.as_ref(), &credential, action).await?;
        if let Some(ledger) = &ledger {
            wallet.checkpoint_as_operator(ledger, context::EMBEDDED_ORIGIN).await?;
        }
        Ok::<_, CliError>(changes)
    })?;
    if args.print.json {
        output::print_json(&serde_json::to_value(&changes).unwrap_or_default(), false);
    } else {
        let done = match action {
            StatusAction::Revoke => "revoked",
            StatusAction::Suspend => "suspended",
            StatusAction::Reinstate => "reinstated",
            _ => "changed",
        };
        for c in &changes {
            output::print(&format!(
                "{done} {} (index {} of {}); list published: {}",
                c.credential, c.index, c.list, c.published
            ));
        }
    }
    Ok(exit::OK)
}

pub(crate) fn store(cx: &Context, args: &FileArg) -> Result<u8, CliError> {
    let credential = parse_json(&args.file)?;
    let wallet = cx.open_wallet()?;
    let id = wallet.store_credential(&credential)?;
    output::print(&format!("stored {id}"));
    Ok(exit::OK)
}

pub(crate) fn list(cx: &Context, args: &JsonArg) -> Result<u8, CliError> {
    let wallet = cx.open_wallet_read_only()?;
    let rows: Vec<Value> = wallet
        .credentials()?
        .into_iter()
        .map(|(id, c)| json!({ "id": id, "type": c.get("type"), "issuer": c.get("issuer") }))
        .collect();
    if args.json {
        output::print_json(&json!(rows), false);
    } else if rows.is_empty() {
        output::print("no credentials stored");
    } else {
        for r in rows {
            let issuer =
                r["issuer"].as_str().or_else(|| r["issuer"]["id"].as_str()).unwrap_or("?").to_owned();
            output::print(&format!("{}  issuer {issuer}", r["id"].as_str().unwrap_or_default()));
        }
    }
    Ok(exit::OK)
}

pub(crate) fn show(cx: &Context, args: &IdArg) -> Result<u8, CliError> {
    let wallet = cx.open_wallet_read_only()?;
    output::print_json(&wallet.credential(&args.id)?, false);
    Ok(exit::OK)
}

pub(crate) fn delete(cx: &Context, args: &IdArg) -> Result<u8, CliError> {
    let wallet = cx.open_wallet()?;
    wallet.delete_credential(&args.id)?;
    output::print(&format!("deleted {}", args.id));
    Ok(exit::OK)
}

pub(crate) fn present(cx: &Context, args: &PresentArgs) -> Result<u8, CliError> {
    if let [file] = args.files.as_slice() {
        let text = input::read_at_most(file, Limits::default().max_bytes as u64 + 1)?;
        if SdJwt::looks_like(text.lines().next().unwrap_or_default()) {
            return present_sd_jwt_vc(cx, args, &text);
        }
    }
    let mut credentials = args.files.iter().map(|f| parse_json(f)).collect::<Result<Vec<_>, _>>()?;
    if !args.disclose.is_empty() {
        credentials = derive_each(cx, &args.files, credentials, &args.disclose)?;
    }
    let wallet = cx.open_wallet()?;
    let vp = cx.block_on(wallet.present(
        args.holder.as_str(),
        &credentials,
        args.challenge.as_deref(),
        args.domain.as_deref(),
        args.suite,
    ))?;
    emit(&vp, args.out.as_deref(), args.force)?;
    Ok(exit::OK)
}

/// `didam vp create --disclose`: each credential (all of them carry an
/// `ecdsa-sd-2023` or `bbs-2023` base proof) derived to what its base proof
/// makes mandatory and what `disclose` points at, before it is presented;
/// the first that cannot be derived stops the command, naming its file.
fn derive_each(
    cx: &Context,
    files: &[std::path::PathBuf],
    credentials: Vec<Value>,
    disclose: &[String],
) -> Result<Vec<Value>, CliError> {
    let chosen = pointers(disclose, "--disclose")?;
    let limits = Limits::default();
    files
        .iter()
        .zip(credentials)
        .map(|(file, credential)| {
            cx.block_on(selective::derive(&credential, &chosen, &limits)).map_err(|e| {
                CliError::Input(format!(
                    "{}: cannot disclose only --disclose's claims: {e} (--disclose applies to credentials with an ecdsa-sd-2023 or bbs-2023 base proof and to SD-JWT VCs; present other credentials whole, without --disclose)",
                    file.display()
                ))
            })
        })
        .collect()
}

/// `didam vp create` of an SD-JWT VC: the copy bound to a key of
/// `--holder`, the disclosures `--disclose` needs, and a Key Binding JWT for
/// `--nonce` and `--aud`; written as text.
fn present_sd_jwt_vc(cx: &Context, args: &PresentArgs, text: &str) -> Result<u8, CliError> {
    let (Some(nonce), Some(aud)) = (&args.challenge, &args.domain) else {
        return Err(CliError::Input(
            "an SD-JWT VC presentation is bound to the verifier: give its --nonce and --aud".into(),
        ));
    };
    let disclose = pointers(&args.disclose, "--disclose")?;
    if let Some(out) = args.out.as_deref().filter(|p| !input::is_stdin(p) && p.exists() && !args.force) {
        return Err(CliError::Replaceable { path: out.to_owned() });
    }
    let copies: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let wallet = cx.open_wallet()?;
    let presented =
        wallet.present_sd_jwt_vc(args.holder.as_str(), &copies, &disclose, &Binding::new(nonce, aud))?;
    match args.out.as_deref().filter(|p| !input::is_stdin(p)) {
        Some(path) => output::write_file(path, &format!("{presented}\n"), args.force)?,
        None => output::print(&presented),
    }
    Ok(exit::OK)
}
