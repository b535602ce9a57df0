//! What wallet and ledger commands share: where things live, where secrets
//! come from, which ledger to talk to.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use didam_credential::KeyType;
use didam_ledger::HttpLedger;
use didam_ledger::note::NoteVerifier;
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_registry::CheckpointStore;
use didam_wallet::{KdfParams, RootSecret, Wallet, WalletError, slip39};
use zeroize::Zeroizing;

use crate::cli::Global;
use crate::error::CliError;

/// The origin of the default embedded ledger (named in its checkpoints).
pub(crate) const EMBEDDED_ORIGIN: &str = "localhost/didam-ledger";

/// The platform data directory (`~/.local/share/didam` on Linux).
pub(crate) fn data_dir() -> Result<PathBuf, CliError> {
    directories::ProjectDirs::from("", "", "didam")
        .map(|d| d.data_dir().to_owned())
        .ok_or_else(|| CliError::Input("no home directory: pass --wallet and --ledger".into()))
}

pub(crate) fn wallet_dir(g: &Global) -> Result<PathBuf, CliError> {
    match &g.wallet {
        Some(w) => Ok(w.clone()),
        None => Ok(data_dir()?.join("wallet")),
    }
}

/// Runs a future on a small runtime (the HTTP ledger client needs tokio).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// Reads a secret: the first line of `file`, or a terminal prompt.
pub(crate) fn secret(
    file: Option<&Path>,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(path) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|source| CliError::Read { path: path.to_owned(), source })?,
        );
        let line = text.lines().next().unwrap_or_default();
        if line.is_empty() {
            return Err(CliError::Input(format!("{} holds no passphrase", path.display())));
        }
        return Ok(Zeroizing::new(line.as_bytes().to_vec()));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Input(
            "no passphrase: pass --passphrase-file (or DIDAM_PASSPHRASE_FILE), or run in a terminal".into(),
        ));
    }
    let first =
        Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| CliError::Input(e.to_string()))?);
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("again: ").map_err(|e| CliError::Input(e.to_string()))?,
        );
        if *first != *again {
            return Err(CliError::Input("the passphrases differ".into()));
        }
    }
    Ok(Zeroizing::new(first.as_bytes().to_vec()))
}

pub(crate) fn open_wallet(g: &Global) -> Result<Wallet, CliError> {
    let dir = wallet_dir(g)?;
    if !didam_wallet::db_path(&dir).exists() {
        return Err(CliError::Wallet(WalletError::NotFound(dir.display().to_string())));
    }
    let pass = secret(g.passphrase_file.as_deref(), "wallet passphrase: ", false)?;
    let progress = crate::output::Progress::start("unlocking the wallet");
    let wallet = Wallet::open(&dir, &pass);
    progress.finish();
    Ok(wallet?)
}

/// Reads SLIP-39 shares from files (one per line) and combines them.
pub(crate) fn combine_shares(files: &[PathBuf], what: &str) -> Result<RootSecret, CliError> {
    let mut shares: Vec<Zeroizing<String>> = Vec::new();
    if files.is_empty() {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Input(format!("no {what} shares: pass the share files")));
        }
        loop {
            let s = Zeroizing::new(
                rpassword::prompt_password(format!("{what} share (empty line to finish): "))
                    .map_err(|e| CliError::Input(e.to_string()))?,
            );
            if s.trim().is_empty() {
                break;
            }
            shares.push(s);
        }
    }
    for path in files {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| CliError::Read { path: path.clone(), source })?,
        );
        shares.extend(
            text.lines().filter(|l| !l.trim().is_empty()).map(|l| Zeroizing::new(l.trim().to_owned())),
        );
    }
    let secret = slip39::combine(&shares, b"").map_err(|e| CliError::Wallet(WalletError::Shares(e)))?;
    Ok(RootSecret::from_bytes(&secret)?)
}

pub(crate) fn rotation_secret(g: &Global) -> Result<RootSecret, CliError> {
    combine_shares(&g.rotation_shares, "rotation")
}

pub(crate) fn kdf(choice: &str) -> Result<Option<KdfParams>, CliError> {
    match choice {
        "calibrate" => Ok(None),
        "floor" => Ok(Some(KdfParams::FLOOR)),
        other => Err(CliError::Input(format!("--kdf is `calibrate` or `floor`, not `{other}`"))),
    }
}

pub(crate) fn key_types(names: &[String]) -> Result<Vec<KeyType>, CliError> {
    names
        .iter()
        .map(|n| match n.as_str() {
            "ed25519" => Ok(KeyType::Ed25519),
            "p256" => Ok(KeyType::P256),
            "p384" => Ok(KeyType::P384),
            "secp256k1" => Ok(KeyType::Secp256k1),
            other => {
                Err(CliError::Input(format!("unknown key type `{other}` (ed25519, p256, p384, secp256k1)")))
            }
        })
        .collect()
}

/// The ledger: an embedded file or a daemon's ledger API.
pub(crate) enum AnyLedger {
    Embedded(EmbeddedLedger),
    Remote(HttpLedger),
}

impl AnyLedger {
    pub(crate) fn open(g: &Global) -> Result<(AnyLedger, String), CliError> {
        let location = match &g.ledger {
            Some(l) => l.clone(),
            None => data_dir()?.join("ledger.db").display().to_string(),
        };
        if location.starts_with("http://") || location.starts_with("https://") {
            let client = HttpLedger::new(&location)
                .map_err(|e| CliError::Input(format!("--ledger {location}: {e}")))?;
            return Ok((AnyLedger::Remote(client), location));
        }
        Ok((AnyLedger::Embedded(EmbeddedLedger::open(Path::new(&location), EMBEDDED_ORIGIN)?), location))
    }

    pub(crate) fn embedded(&self) -> Result<&EmbeddedLedger, CliError> {
        match self {
            AnyLedger::Embedded(l) => Ok(l),
            AnyLedger::Remote(_) => {
                Err(CliError::Input("this command works on an embedded ledger file".into()))
            }
        }
    }

    /// The operator's verifier key: pinned on first use in the data
    /// directory, so a changed key is noticed.
    pub(crate) async fn verifier(&self, pins: &Path) -> Result<NoteVerifier, CliError> {
        let announced = match self {
            AnyLedger::Embedded(l) => l.operator()?,
            AnyLedger::Remote(r) => Some(r.verifier_key().await?.to_vkey()),
        };
        let announced = announced.ok_or_else(|| {
            CliError::Input(
                "this ledger has no operator yet: sign a checkpoint with `didam ledger checkpoint`".into(),
            )
        })?;
        let pin = pins.join("operator.vkey");
        match std::fs::read_to_string(&pin) {
            Ok(pinned) if pinned.trim() != announced.trim() => {
                return Err(CliError::Input(format!(
                    "the ledger's operator key changed: pinned {}, now {announced}; remove {} only if you trust the change",
                    pinned.trim(),
                    pin.display()
                )));
            }
            Ok(_) => {}
            Err(_) => {
                didam_ledger::file::write_atomic(&pin, announced.as_bytes())
                    .map_err(|source| CliError::Write { path: pin.clone(), source })?;
            }
        }
        NoteVerifier::parse(announced.trim()).map_err(|e| CliError::Input(format!("operator key: {e}")))
    }

    /// Signs a checkpoint when this wallet is the embedded ledger's operator
    /// (or the ledger has none yet); a daemon signs its own. Returns whether
    /// a checkpoint now covers the latest entries.
    pub(crate) async fn checkpoint_as(&self, wallet: &Wallet) -> Result<bool, CliError> {
        let AnyLedger::Embedded(l) = self else { return Ok(true) };
        let signer = match l.operator()? {
            None => wallet.ledger_signer(EMBEDDED_ORIGIN)?,
            Some(op) => match wallet.existing_ledger_signer(EMBEDDED_ORIGIN)? {
                Some(s) if s.verifier().to_vkey() == op => s,
                _ => return Ok(false),
            },
        };
        l.set_operator(&signer.verifier().to_vkey())?;
        l.checkpoint(&signer).await?;
        Ok(true)
    }
}

/// The checkpoint store for `location` in the data directory.
pub(crate) fn checkpoint_store(location: &str) -> Result<CheckpointStore, CliError> {
    let name: String = location.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    Ok(CheckpointStore::new(data_dir()?.join("checkpoints").join(name)))
}

macro_rules! delegate {
    ($self:ident, $l:ident => $e:expr) => {
        match $self {
            AnyLedger::Embedded($l) => $e,
            AnyLedger::Remote($l) => $e,
        }
    };
}

impl Ledger for AnyLedger {
    async fn append(
        &self,
        entry: &serde_json::Value,
    ) -> Result<didam_ledger::Receipt, didam_ledger::LedgerError> {
        delegate!(self, l => l.append(entry).await)
    }
    async fn log(&self, did: &str) -> Result<Vec<didam_ledger::StoredEntry>, didam_ledger::LedgerError> {
        delegate!(self, l => l.log(did).await)
    }
    async fn tip(&self, did: &str) -> Result<didam_method::log::DidState, didam_ledger::LedgerError> {
        delegate!(self, l => l.tip(did).await)
    }
    async fn size(&self) -> Result<u64, didam_ledger::LedgerError> {
        delegate!(self, l => l.size().await)
    }
    async fn leaf(&self, index: u64) -> Result<Vec<u8>, didam_ledger::LedgerError> {
        delegate!(self, l => l.leaf(index).await)
    }
    async fn integrate(&self) -> Result<u64, didam_ledger::LedgerError> {
        delegate!(self, l => l.integrate().await)
    }
    async fn checkpoint(
        &self,
        signer: &didam_ledger::note::NoteSigner,
    ) -> Result<didam_ledger::SignedCheckpoint, didam_ledger::LedgerError> {
        delegate!(self, l => l.checkpoint(signer).await)
    }
    async fn latest_checkpoint(
        &self,
    ) -> Result<Option<didam_ledger::SignedCheckpoint>, didam_ledger::LedgerError> {
        delegate!(self, l => l.latest_checkpoint().await)
    }
    async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<Vec<didam_ledger::merkle::Hash>, didam_ledger::LedgerError> {
        delegate!(self, l => l.inclusion_proof(index, size).await)
    }
    async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<Vec<didam_ledger::merkle::Hash>, didam_ledger::LedgerError> {
        delegate!(self, l => l.consistency_proof(old, new).await)
    }
    async fn tip_proof(
        &self,
        did: &str,
        size: u64,
    ) -> Result<didam_ledger::TipProof, didam_ledger::LedgerError> {
        delegate!(self, l => l.tip_proof(did, size).await)
    }
}
