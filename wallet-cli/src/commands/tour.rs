//! `didam tour`: the X.1403 flow end to end on an embedded ledger, in one
//! process, in a fresh folder (removed afterwards unless `--out`).
//!
//! 1. the issuer's wallet and did:didam DID (its wallet also signs the
//!    ledger's checkpoints: it is the ledger's operator here);
//! 2. the holder's wallet and did:didam DID;
//! 3. the issuer issues a credential to the holder with a revocation status
//!    entry, at a random index of a Bitstring Status List it publishes on
//!    the ledger as a resource of its DID;
//! 4. the holder stores it and presents it for a verifier's challenge;
//! 5. the verifier checks the presentation, the credential and the status
//!    list, every DID and the list proven by the ledger (checkpoint
//!    signature, inclusion, tips);
//! 6. the holder's wallet leaks (a copy and its passphrase); the holder runs
//!    `compromise`: new keys, the DID rotated with the rotation secret;
//! 7. the thief signs a presentation with the leaked key: invalid;
//! 8. the holder presents with the new key: valid;
//! 9. the issuer revokes the credential; the list is re-published;
//! 10. the verifier checks again: invalid, on the status check.

use std::path::{Path, PathBuf};

use didam_credential::status_list::StatusPurpose;
use didam_credential::{KeyType, Report, Suite};
use didam_ledger::note::{NoteSigner, NoteVerifier};
use didam_ledger::{EmbeddedLedger, Ledger as _};
use didam_registry::{CheckpointStore, Resolver};
use didam_verifier::status::SharedResolver;
use didam_verifier::{NetworkOptions, Policy, Verifier};
use didam_wallet::status::StatusAction;
use didam_wallet::{DidLedgers, InitOptions, KdfParams, RootSecret, Wallet};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::cli::TourArgs;
use crate::context::Context;
use crate::error::{CliError, exit};
use crate::output;

/// The tour's ledger origin.
const ORIGIN: &str = "localhost/didam-tour";
const CHALLENGE: &str = "tour-challenge-7f3a";
const DOMAIN: &str = "verifier.example";

fn fail<E: std::fmt::Display>(step: &'static str) -> impl Fn(E) -> CliError {
    move |e| CliError::Tour { step, detail: e.to_string() }
}

fn summary(report: &Report) -> String {
    match report.failure() {
        None => "VALID".to_owned(),
        Some(f) => format!("INVALID: {} — {}", f.check.name(), f.detail),
    }
}

/// The file that marks a folder as the tour's own: `--force` replaces only
/// a folder that holds it.
const MARKER: &str = ".didam-tour";
const MARKER_TEXT: &str =
    "made by `didam tour`; `didam tour --out THIS-FOLDER --force` replaces this folder\n";

/// The folder the tour works in: `--out`, or a fresh temporary one that is
/// removed at the end.
struct Workdir {
    path: PathBuf,
    keep: bool,
}

impl Workdir {
    fn new(out: Option<&Path>, force: bool) -> Result<Workdir, CliError> {
        let (path, keep) = match out {
            Some(dir) => (dir.to_owned(), true),
            None => {
                let mut nonce = [0u8; 8];
                rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
                let name: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
                (std::env::temp_dir().join(format!("didam-tour-{name}")), false)
            }
        };
        if path.exists() && std::fs::read_dir(&path).map(|mut d| d.next().is_some()).unwrap_or(true) {
            if !force {
                return Err(CliError::Replaceable { path });
            }
            // --force replaces only a folder an earlier tour made: its
            // marker proves it (never the current folder, never a home).
            if !path.join(MARKER).is_file() {
                return Err(CliError::NotTourFolder { path });
            }
            std::fs::remove_dir_all(&path)
                .map_err(|source| CliError::Write { path: path.clone(), source })?;
        }
        std::fs::create_dir_all(&path).map_err(|source| CliError::Write { path: path.clone(), source })?;
        crate::output::write_file(&path.join(MARKER), MARKER_TEXT, true)?;
        Ok(Workdir { path, keep })
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What the verifier trusts: the ledger's operator key, and the checkpoints
/// it has seen (kept in its own folder).
struct VerifierSide {
    ledger: PathBuf,
    key: NoteVerifier,
    store: PathBuf,
}

impl VerifierSide {
    fn resolver(&self) -> Result<Resolver<EmbeddedLedger>, CliError> {
        let ledger = EmbeddedLedger::open(&self.ledger, ORIGIN)?;
        Ok(Resolver::new().with_ledger(ledger, self.key.clone(), CheckpointStore::new(self.store.clone())))
    }

    async fn verify(&self, presentation: &Value) -> Result<Report, CliError> {
        let resolver = std::sync::Arc::new(self.resolver()?);
        let mut policy = Policy::default();
        policy.require_status = true;
        let methods = SharedResolver(std::sync::Arc::clone(&resolver));
        let verifier = Verifier::networked(methods, resolver, &NetworkOptions::default())
            .map_err(fail("verify"))?
            .with_policy(policy);
        verifier
            .verify_presentation(&presentation.to_string(), Some(CHALLENGE), Some(DOMAIN))
            .await
            .map_err(fail("verify"))
    }
}

pub(crate) fn run(cx: &Context, args: &TourArgs) -> Result<u8, CliError> {
    let work = Workdir::new(args.out.as_deref(), args.force)?;
    cx.block_on(tour(&work, args))
}

async fn tour(work: &Workdir, args: &TourArgs) -> Result<u8, CliError> {
    let dir = &work.path;
    let mut lines: Vec<String> = Vec::new();
    let mut say = |line: String| {
        if !args.json {
            output::print(&line);
        }
        lines.push(line);
    };
    say(format!("X.1403 flow on an embedded ledger in {}", dir.display()));

    // A passphrase for the tour's wallets, in memory only.
    let mut pass = Zeroizing::new([0u8; 32]);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, pass.as_mut_slice());
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN)?;
    // Each DID records its ledger: this file, named from any folder.
    let ledger_name = std::path::absolute(dir.join("ledger.db")).unwrap_or(dir.join("ledger.db"));
    let ledger_name = ledger_name.display().to_string();

    // 1. The issuer, who also operates the ledger here.
    let (issuer, issuer_rrs) = Wallet::init(&dir.join("issuer"), pass.as_slice(), &options)?;
    let operator: NoteSigner = issuer.ledger_signer(ORIGIN)?;
    ledger.set_operator(&operator.verifier().to_vkey())?;
    let issuer_did = issuer.create_did(&ledger, &ledger_name, &issuer_rrs, &[KeyType::Ed25519]).await?.did;
    ledger.checkpoint(&operator).await?;
    say(format!(" 1. issuer          {issuer_did}"));
    say("                    wallet created, DID on the ledger, checkpoint signed".into());

    // 2. The holder.
    let holder_dir = dir.join("holder");
    let (mut holder, holder_rrs) = Wallet::init(&holder_dir, pass.as_slice(), &options)?;
    let holder_did = holder.create_did(&ledger, &ledger_name, &holder_rrs, &[KeyType::Ed25519]).await?.did;
    ledger.checkpoint(&operator).await?;
    say(format!(" 2. holder          {holder_did}"));

    // 3. Issue with a status entry; the status list goes on the ledger.
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": didam_credential::proof::xsd_datetime(chrono::Utc::now()),
        "credentialSubject": {
            "id": holder_did,
            "degree": { "type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts" }
        }
    });
    let credential = issuer
        .issue_with_status(
            Some(&ledger),
            None,
            &unsigned,
            &issuer_did,
            Suite::EddsaRdfc2022,
            &[StatusPurpose::Revocation],
        )
        .await
        .map_err(fail("issue"))?;
    ledger.checkpoint(&operator).await?;
    let entry = &credential["credentialStatus"];
    say(format!(
        " 3. issue           ExampleDegreeCredential, eddsa-rdfc-2022, status entry {} in {}",
        entry["statusListIndex"].as_str().unwrap_or_default(),
        entry["statusListCredential"].as_str().unwrap_or_default()
    ));

    // 4. The holder stores it and presents it.
    holder.store_credential(&credential)?;
    let presentation = present(&holder, &holder_did, &credential).await?;
    say(format!(" 4. present         signed by the holder for challenge {CHALLENGE}, domain {DOMAIN}"));

    // 5. The verifier: DIDs and the status list proven by the ledger.
    let verifier = VerifierSide {
        ledger: dir.join("ledger.db"),
        key: operator.verifier(),
        store: dir.join("verifier-checkpoints"),
    };
    let first = verifier.verify(&presentation).await?;
    say(format!(" 5. verify          {}", summary(&first)));
    say("                    checkpoint signature, inclusion and tips proofs for both DIDs and the list"
        .into());

    // 6. The holder's wallet leaks: a copy (here: from its backup, with the
    //    old root) in a thief's hands. The holder re-keys and rotates.
    let old_root = RootSecret::from_bytes(holder.root().as_bytes())?;
    let backup = Wallet::newest_backup(&holder_dir)
        .ok_or_else(|| CliError::Tour { step: "leak", detail: "the holder's wallet has no backup".into() })?;
    let thief = Wallet::restore(
        &dir.join("thief"),
        &old_root,
        &backup,
        pass.as_slice(),
        Some(KdfParams::FLOOR),
        false,
    )?;
    let checkpoint = async |_: &[(String, String)]| {
        ledger.checkpoint(&operator).await?;
        Ok(true)
    };
    let report = holder
        .compromise(
            &DidLedgers::every_did_on(&ledger),
            &holder_rrs,
            &holder_did,
            pass.as_slice(),
            Some(KdfParams::FLOOR),
            checkpoint,
        )
        .await?;
    say(" 6. key leak        a thief gets a copy of the holder's wallet and its passphrase".into());
    say(format!(
        "                    `compromise`: {} key(s) marked compromised, wallet re-keyed, {} DID(s) rotated",
        report.leaked_keys.len(),
        report.rotated.len()
    ));

    // 7. The thief presents with the leaked key.
    let forged = present(&thief, &holder_did, &credential).await?;
    let stolen = verifier.verify(&forged).await?;
    say(format!(" 7. leaked key      {}", summary(&stolen)));

    // 8. The holder presents with the new key.
    let fresh = present(&holder, &holder_did, &credential).await?;
    let renewed = verifier.verify(&fresh).await?;
    say(format!(" 8. new key         {}", summary(&renewed)));

    // 9. The issuer revokes the credential.
    issuer
        .set_status(Some(&ledger), &credential.to_string(), StatusAction::Revoke)
        .await
        .map_err(fail("revoke"))?;
    ledger.checkpoint(&operator).await?;
    say(" 9. revoke          the issuer sets the bit and re-publishes the list on the ledger".into());

    // 10. The verifier checks again.
    let last = verifier.verify(&fresh).await?;
    say(format!("10. verify again    {}", summary(&last)));

    let worked = first.is_valid() && !stolen.is_valid() && renewed.is_valid() && !last.is_valid();
    if args.out.is_some() {
        for (name, value) in
            [("credential.json", &credential), ("presentation.json", &fresh), ("forged.json", &forged)]
        {
            output::write_file(&dir.join(name), &pretty(value), true)?;
        }
        say(format!(
            "kept {}: wallets, ledger.db, credential.json, presentation.json, forged.json",
            dir.display()
        ));
    }
    if args.json {
        output::print_json(
            &json!({
                "issuer": issuer_did,
                "holder": holder_did,
                "credential": credential,
                "verify": first,
                "leakedKey": stolen,
                "newKey": renewed,
                "afterRevocation": last,
                "ok": worked,
            }),
            false,
        );
    }
    Ok(if worked { exit::OK } else { exit::INVALID })
}

/// A presentation of `credential` by `holder` for the tour's verifier.
async fn present(wallet: &Wallet, holder: &str, credential: &Value) -> Result<Value, CliError> {
    let credentials = std::slice::from_ref(credential);
    Ok(wallet.present(holder, credentials, Some(CHALLENGE), Some(DOMAIN), Suite::EddsaJcs2022).await?)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}
