//! `didam anchor FILE…`, `didam anchor verify FILE --proof P`, `didam vc
//! anchor CRED…` (`specs/did-didam.md` §9.3).

use std::path::{Path, PathBuf};

use didam_ledger::merkle::Hash;
use didam_ledger::note::NoteVerifier;
use didam_ledger::{AnyLedger, Ledger, Receipt};
use didam_method::DidamDid;
use didam_registry::anchor::{self, AnchorError, AnchorProof, Batch};
use serde_json::{Value, json};

use crate::cli::{AnchorArgs, AnchorCommand, AnchorVerifyArgs, VcAnchorArgs};
use crate::context::{self, Context};
use crate::error::{CliError, exit};
use crate::{input, output};

/// The largest file or bundle read (a proof bundle is a few KB per entry of
/// the issuer's log; a file is hashed whole).
const MAX_BUNDLE: u64 = 4 << 20;

fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Read { path: path.to_owned(), source })
}

fn bundle_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".anchor.json");
    PathBuf::from(name)
}

pub(crate) fn run(cx: &Context, args: &AnchorArgs) -> Result<u8, CliError> {
    if let Some(AnchorCommand::Verify(v)) = &args.command {
        return verify(cx, v);
    }
    let issuer = args
        .issuer
        .as_ref()
        .ok_or_else(|| CliError::Input("--issuer: which of the wallet's did:didam DIDs anchors".into()))?;
    if args.files.is_empty() {
        return Err(CliError::Input("no file to anchor: `didam anchor FILE… --issuer DID`".into()));
    }
    // Nothing is anchored when a bundle would replace a file.
    for file in &args.files {
        if bundle_path(file).exists() {
            return Err(CliError::Exists { path: bundle_path(file) });
        }
    }
    let digests = args
        .files
        .iter()
        .map(|f| Ok(anchor::digest(&read_bytes(f)?)))
        .collect::<Result<Vec<_>, CliError>>()?;
    let proofs = anchor_digests(cx, &cx.open_wallet()?, issuer, &digests)?;
    let mut written = Vec::new();
    for (file, proof) in args.files.iter().zip(&proofs) {
        let path = bundle_path(file);
        output::write_file(&path, &pretty(proof)?, false)?;
        written.push(json!({ "file": file, "proof": path, "leaf": proof.anchor.leaf }));
    }
    if args.print.json {
        output::print_json(&json!(written), false);
    } else {
        for w in &written {
            output::print(&format!(
                "anchored {} at leaf {}: {}",
                w["file"].as_str().unwrap_or_default(),
                w["leaf"],
                w["proof"].as_str().unwrap_or_default()
            ));
        }
    }
    Ok(exit::OK)
}

fn pretty(proof: &AnchorProof) -> Result<String, CliError> {
    serde_json::to_string_pretty(proof).map(|t| t + "\n").map_err(|e| CliError::Input(e.to_string()))
}

/// Anchors `digests` as `issuer` on its own ledger, makes a checkpoint cover
/// it (signed at once as the embedded ledger's operator, or awaited from a
/// daemon), and returns a proof per digest.
fn anchor_digests(
    cx: &Context,
    wallet: &didam_wallet::Wallet,
    issuer: &DidamDid,
    digests: &[Hash],
) -> Result<Vec<AnchorProof>, CliError> {
    let (ledger, _) = cx.did_ledger(&wallet.did(issuer.as_str())?)?;
    let progress = output::Progress::start("anchoring on the ledger");
    let result = cx.block_on(async {
        let (batch, receipt) = wallet.anchor(&ledger, issuer.as_str(), digests).await?;
        wallet.checkpoint_as_operator(&ledger, context::EMBEDDED_ORIGIN).await?;
        covered(&ledger, &receipt).await?;
        prove(&ledger, issuer, &receipt, &batch).await
    });
    progress.finish();
    result
}

async fn prove(
    ledger: &AnyLedger,
    issuer: &DidamDid,
    receipt: &Receipt,
    batch: &Batch,
) -> Result<Vec<AnchorProof>, CliError> {
    anchor::prove(ledger, issuer, receipt, batch).await.map_err(|e| CliError::Wallet(e.into()))
}

/// Waits (up to the time `did` commands wait) for a checkpoint covering
/// the anchor.
async fn covered(ledger: &AnyLedger, receipt: &Receipt) -> Result<(), CliError> {
    let until = tokio::time::Instant::now() + super::did::CHECKPOINT_WAIT;
    loop {
        let size = ledger.latest_checkpoint_now().await?.map_or(0, |c| c.size);
        if size > receipt.leaf_index {
            return Ok(());
        }
        if tokio::time::Instant::now() >= until {
            return Err(CliError::Wallet(AnchorError::NotCovered(receipt.leaf_index).into()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The operator key to verify against: `--ledger-key`, else the key this
/// machine pinned for the ledger (`--ledger`).
pub(crate) fn operator_key(cx: &Context, given: Option<&str>) -> Result<NoteVerifier, CliError> {
    if let Some(vkey) = given {
        return NoteVerifier::parse(vkey).map_err(|e| CliError::Input(format!("--ledger-key: {e}")));
    }
    let location = cx.location()?;
    cx.checkpoint_store(&location)?
        .pinned_operator()
        .map_err(CliError::Pin)?
        .ok_or_else(|| CliError::Input(format!(
            "no operator key is pinned for the ledger {location} on this machine: give --ledger-key VKEY (checked out of band), or resolve a DID of that ledger once"
        )))
}

fn verify(cx: &Context, args: &AnchorVerifyArgs) -> Result<u8, CliError> {
    let text = input::read_at_most(&args.proof, MAX_BUNDLE)?;
    let proof: AnchorProof = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(format!("{}: not an anchor proof bundle: {e}", args.proof.display())))?;
    let digest = if args.credential {
        let credential: Value = serde_json::from_str(&input::read(&args.file)?)
            .map_err(|e| CliError::Input(format!("{}: not JSON: {e}", args.file.display())))?;
        anchor::credential_digest(&credential).map_err(|e| CliError::Input(e.to_string()))?
    } else {
        anchor::digest(&read_bytes(&args.file)?)
    };
    let key = operator_key(cx, args.ledger_key.as_deref())?;
    let verified = cx.block_on(anchor::verify(&proof, &digest, &key));
    let (code, report) = match &verified {
        Ok(v) => (
            exit::OK,
            json!({ "valid": true, "issuer": v.issuer.as_str(), "leaf": v.leaf, "method": v.method.id,
                    "checkpoint": { "origin": v.checkpoint.origin, "size": v.checkpoint.size },
                    "keyHistory": v.history.records() }),
        ),
        Err(e) => (exit::INVALID, json!({ "valid": false, "reason": e.to_string() })),
    };
    if args.print.json {
        output::print_json(&report, false);
    } else {
        match &verified {
            Ok(v) => output::print(&format!(
                "valid: anchored by {} ({}) at leaf {} of {}, proven under its checkpoint of size {}",
                v.issuer, v.method.id, v.leaf, v.checkpoint.origin, v.checkpoint.size
            )),
            Err(e) => output::print(&format!("invalid: {e}")),
        }
    }
    Ok(code)
}

/// `didam vc anchor CRED…`: the credentials' issuer must be one did:didam
/// DID of the wallet (one batch, one issuer).
pub(crate) fn credentials(cx: &Context, args: &VcAnchorArgs) -> Result<u8, CliError> {
    let mut creds = Vec::new();
    for path in &args.credentials {
        let text = input::read(path)?;
        let c: Value = serde_json::from_str(&text)
            .map_err(|e| CliError::Input(format!("{}: not a JSON credential: {e}", path.display())))?;
        if bundle_path(path).exists() {
            return Err(CliError::Exists { path: bundle_path(path) });
        }
        creds.push(c);
    }
    let issuers: Vec<&str> = creds
        .iter()
        .map(|c| {
            c.get("issuer")
                .and_then(|i| i.as_str().or_else(|| i.get("id").and_then(Value::as_str)))
                .unwrap_or_default()
        })
        .collect();
    let first = issuers.first().copied().unwrap_or_default();
    if issuers.iter().any(|i| *i != first) {
        return Err(CliError::Input(
            "the credentials have different issuers: anchor each issuer's apart".into(),
        ));
    }
    let issuer = DidamDid::parse(first).map_err(|_| {
        CliError::Input(format!("issuer `{first}`: only a did:didam issuer anchors on a ledger"))
    })?;
    let digests = creds
        .iter()
        .map(|c| anchor::credential_digest(c).map_err(|e| CliError::Input(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let wallet = cx.open_wallet()?;
    let proofs = anchor_digests(cx, &wallet, &issuer, &digests)?;
    // The wallet's records say which issued credentials are anchored (the
    // warning before an update counts the others).
    if let Some(leaf) = proofs.first().map(|p| p.anchor.leaf) {
        let texts: Vec<String> = creds.iter().map(Value::to_string).collect();
        wallet.mark_anchored(&texts, leaf)?;
    }
    for (path, proof) in args.credentials.iter().zip(&proofs) {
        output::write_file(&bundle_path(path), &pretty(proof)?, false)?;
        if !args.print.json {
            output::print(&format!("anchored {} at leaf {}", path.display(), proof.anchor.leaf));
        }
    }
    if args.print.json {
        output::print_json(
            &json!({ "issuer": issuer.as_str(), "anchored": proofs.len(), "leaf": proofs.first().map(|p| p.anchor.leaf) }),
            false,
        );
    }
    Ok(exit::OK)
}
