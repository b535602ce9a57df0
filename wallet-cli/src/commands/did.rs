//! `didam did …`

use didam_credential::Did;
use didam_registry::{ResolveOptions, Resolver};
use didam_wallet::{DidRecord, Reconciled};
use serde_json::{Value, json};

use crate::cli::{CreateArgs, DidArg, Global, JsonArg, ResolveArgs, UpdateArgs};
use crate::context::{self, AnyLedger};
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

pub(crate) fn create(g: &Global, args: &CreateArgs) -> Result<u8, CliError> {
    if args.method == "key" {
        let key_type = *context::key_types(&args.key_type)?
            .first()
            .ok_or_else(|| CliError::Input("--key-type: a did:key needs one key type".into()))?;
        let record = context::open_wallet(g)?.create_did_key(key_type)?;
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
    let types = context::key_types(&args.key_type)?;
    let wallet = context::open_wallet(g)?;
    let rrs = context::rotation_secret(g)?;
    let (ledger, location) = AnyLedger::open(g)?;
    let (record, checkpointed) = context::block_on(async {
        let record = wallet.create_did(&ledger, &location, &rrs, &types).await?;
        let checkpointed = ledger.checkpoint_as(&wallet).await?;
        Ok::<_, CliError>((record, checkpointed))
    })??;
    let checkpointed = checkpointed && covered(g, &ledger, &record)?;
    report(&record, checkpointed, args.print.json, "created");
    Ok(exit::OK)
}

fn services(specs: &[String]) -> Result<Option<Vec<Value>>, CliError> {
    if specs.is_empty() {
        return Ok(None);
    }
    specs
        .iter()
        .map(|s| {
            let parts: Vec<&str> = s.splitn(3, '=').collect();
            match parts.as_slice() {
                [id, kind, endpoint] if !id.is_empty() && !kind.is_empty() && !endpoint.is_empty() => {
                    Ok(json!({ "id": format!("#{id}"), "type": kind, "serviceEndpoint": endpoint }))
                }
                _ => Err(CliError::Input(format!("--service `{s}`: expected id=type=endpoint"))),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Whether the ledger's latest checkpoint covers `record`'s new entry. An
/// embedded ledger's operator signs at once (this is then true); a daemon's
/// sequencer signs within its interval: wait for it (up to 15 s), so that
/// the DID resolves, with this version, anywhere once the command returns.
fn covered(g: &Global, ledger: &AnyLedger, record: &DidRecord) -> Result<bool, CliError> {
    let AnyLedger::Remote(_) = ledger else { return Ok(true) };
    let Some(version) = record.version_id.as_deref() else { return Ok(false) };
    let resolver = resolver(g, &record.did)?;
    let did = Did::parse(&record.did)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let progress = output::Progress::start("waiting for the ledger's next checkpoint");
    let covered = context::block_on(async {
        loop {
            if let Ok(r) = resolver.resolve(&did, &ResolveOptions::default()).await
                && r.to_json()["didDocumentMetadata"]["versionId"] == version
            {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    progress.finish();
    covered
}

pub(crate) fn update(g: &Global, args: &UpdateArgs) -> Result<u8, CliError> {
    let types = if args.new_keys.is_empty() { None } else { Some(context::key_types(&args.new_keys)?) };
    let services = services(&args.service)?;
    if types.is_none() && services.is_none() {
        return Err(CliError::Input("nothing to update: give --new-keys and/or --service".into()));
    }
    let wallet = context::open_wallet(g)?;
    let rrs = context::rotation_secret(g)?;
    let (ledger, _) = AnyLedger::open(g)?;
    let (record, checkpointed) = context::block_on(async {
        let record = wallet.update_did(&ledger, &rrs, &args.did, types.as_deref(), services).await?;
        let checkpointed = ledger.checkpoint_as(&wallet).await?;
        Ok::<_, CliError>((record, checkpointed))
    })??;
    let checkpointed = checkpointed && covered(g, &ledger, &record)?;
    report(&record, checkpointed, args.print.json, "updated");
    Ok(exit::OK)
}

pub(crate) fn rotate(g: &Global, args: &DidArg, deactivate: bool) -> Result<u8, CliError> {
    let wallet = context::open_wallet(g)?;
    let rrs = context::rotation_secret(g)?;
    let (ledger, _) = AnyLedger::open(g)?;
    let (record, checkpointed) = context::block_on(async {
        let record = if deactivate {
            wallet.deactivate_did(&ledger, &rrs, &args.did).await?
        } else {
            wallet.rotate_did(&ledger, &rrs, &args.did).await?
        };
        let checkpointed = ledger.checkpoint_as(&wallet).await?;
        Ok::<_, CliError>((record, checkpointed))
    })??;
    let checkpointed = checkpointed && (deactivate || covered(g, &ledger, &record)?);
    report(&record, checkpointed, args.print.json, if deactivate { "deactivated" } else { "rotated" });
    Ok(exit::OK)
}

pub(crate) fn list(g: &Global, args: &JsonArg) -> Result<u8, CliError> {
    let wallet = context::open_wallet(g)?;
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

pub(crate) fn reconcile(g: &Global, args: &JsonArg) -> Result<u8, CliError> {
    let wallet = context::open_wallet(g)?;
    let (ledger, _) = AnyLedger::open(g)?;
    let outcomes = context::block_on(async {
        let outcomes = wallet.reconcile(&ledger).await?;
        ledger.checkpoint_as(&wallet).await?;
        Ok::<_, CliError>(outcomes)
    })??;
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

/// A resolver for every method; did:didam through the configured ledger
/// with its operator key pinned, did:web and did:webvh fetched directly.
pub(crate) fn resolver(g: &Global, did: &str) -> Result<Resolver<AnyLedger>, CliError> {
    let web = didam_registry::web::WebFetcher::new(&didam_registry::web::WebLimits::default())?;
    let resolver = Resolver::new().with_web(web);
    if !did.starts_with("did:didam:") {
        return Ok(resolver);
    }
    let (ledger, location) = AnyLedger::open(g)?;
    let store = context::checkpoint_store(&location)?;
    let key = context::block_on(ledger.verifier(store.dir()))??;
    Ok(resolver.with_ledger(ledger, key, store))
}

pub(crate) fn resolve(g: &Global, args: &ResolveArgs) -> Result<u8, CliError> {
    let did = Did::parse(&args.did)?;
    if let Some(url) = &g.resolver
        && matches!(did.method(), "web" | "webvh")
    {
        let result = context::block_on(remote_resolve(url, did.as_str()))??;
        output::print_json(&result, args.json);
        return Ok(exit::OK);
    }
    let resolver = resolver(g, &args.did)?;
    let resolution = context::block_on(resolver.resolve(&did, &ResolveOptions::default()))??;
    output::print_json(&resolution.to_json(), args.json);
    Ok(exit::OK)
}

/// Asks a didam-resolver daemon (the W3C DID Resolution HTTP binding) for
/// the resolution result of `did`.
async fn remote_resolve(base: &str, did: &str) -> Result<Value, CliError> {
    let limits = didam_registry::web::WebLimits::default();
    let client = reqwest::Client::builder()
        .connect_timeout(limits.connect_timeout)
        .timeout(limits.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CliError::Input(format!("cannot start an HTTP client: {e}")))?;
    let url = format!("{}/1.0/identifiers/{did}", base.trim_end_matches('/'));
    let unreachable = |e: reqwest::Error| {
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail = format!("{detail}: {s}");
            source = s.source();
        }
        CliError::Remote { url: url.clone(), detail }
    };
    let mut response = client
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/did-resolution")
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        body.extend_from_slice(&chunk);
        if body.len() > limits.max_bytes {
            return Err(CliError::Remote {
                url,
                detail: format!("answer larger than {} bytes", limits.max_bytes),
            });
        }
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| CliError::Remote { url: url.clone(), detail: format!("{status}, not JSON: {e}") })?;
    if status.is_success() {
        return Ok(value);
    }
    let title = value["title"].as_str().or(value["type"].as_str()).unwrap_or("error");
    let detail = value["detail"].as_str().unwrap_or_default();
    let message = format!("the resolver answered {status}: {title}: {detail}");
    Err(if status == reqwest::StatusCode::BAD_REQUEST {
        CliError::Input(message)
    } else {
        CliError::Remote { url, detail: message }
    })
}
