//! One run's typed context, built once in `main`: the settings, the async
//! runtime, and what commands open from them (the wallet, the ledger, a
//! resolver); and where secrets come from.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use didam_credential::Did;
use didam_ledger::note::NoteVerifier;
use didam_ledger::{AnyLedger, LedgerError, LedgerLocation, OpenOptions};
use didam_registry::web::{WebFetcher, WebLimits};
use didam_registry::{CheckpointStore, PinError, Resolver};
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

/// The settings of this run and its one async runtime.
pub(crate) struct Context {
    /// The settings (flags, environment, config file).
    pub(crate) global: Global,
    runtime: tokio::runtime::Runtime,
}

impl Context {
    /// The context of a run with these settings, on `runtime` (made once, in `main`).
    pub(crate) fn new(global: Global, runtime: tokio::runtime::Runtime) -> Self {
        Self { global, runtime }
    }

    /// Runs `future` to completion on the run's runtime.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub(crate) fn wallet_dir(&self) -> Result<PathBuf, CliError> {
        match &self.global.wallet {
            Some(w) => Ok(w.clone()),
            None => Ok(data_dir()?.join("wallet")),
        }
    }

    pub(crate) fn open_wallet(&self) -> Result<Wallet, CliError> {
        let dir = self.wallet_dir()?;
        if !didam_wallet::db_path(&dir).exists() {
            return Err(CliError::Wallet(WalletError::NotFound(dir.display().to_string())));
        }
        let pass = secret(self.global.passphrase_file.as_deref(), "wallet passphrase: ", false)?;
        let progress = crate::output::Progress::start("unlocking the wallet");
        let wallet = Wallet::open(&dir, &pass);
        progress.finish();
        Ok(wallet?)
    }

    pub(crate) fn rotation_secret(&self) -> Result<RootSecret, CliError> {
        combine_shares(&self.global.rotation_shares, "rotation")
    }

    /// Where the ledger is: `--ledger`, or the data directory's `ledger.db`.
    pub(crate) fn location(&self) -> Result<LedgerLocation, CliError> {
        match &self.global.ledger {
            Some(l) => Ok(l.clone()),
            None => Ok(LedgerLocation::File(data_dir()?.join("ledger.db"))),
        }
    }

    /// Opens the ledger.
    pub(crate) fn ledger(&self) -> Result<AnyLedger, CliError> {
        let location = self.location()?;
        self.block_on(AnyLedger::open(&location, &OpenOptions::new(EMBEDDED_ORIGIN))).map_err(|e| {
            if location.is_remote() { CliError::Input(format!("--ledger {location}: {e}")) } else { e.into() }
        })
    }

    /// A resolver for every method: did:web and did:webvh fetched directly;
    /// did:didam through the ledger with its operator key pinned, set up now
    /// when `did` is one (`None`: when a did:didam DID is first met).
    pub(crate) fn resolver(&self, did: Option<&Did>) -> Result<Resolver<AnyLedger>, CliError> {
        let resolver = Resolver::new().with_web(WebFetcher::new(&WebLimits::default())?);
        match did {
            Some(did) if did.method() == "didam" => {
                let (ledger, location, checkpoints) =
                    (self.ledger()?, self.location()?, data_dir()?.join("checkpoints"));
                let (key, store) = self.block_on(pinned::<CliError>(&ledger, &location, &checkpoints))?;
                Ok(resolver.with_ledger(ledger, key, store))
            }
            Some(_) => Ok(resolver),
            // Without a home directory (and no --ledger) did:didam is not resolved.
            None => match (self.location(), data_dir()) {
                (Ok(location), Ok(data)) => Ok(resolver.with_ledger_on_demand(move || {
                    let (location, checkpoints) = (location.clone(), data.join("checkpoints"));
                    Box::pin(async move {
                        let ledger = AnyLedger::open(&location, &OpenOptions::new(EMBEDDED_ORIGIN)).await?;
                        let (key, store) =
                            pinned::<didam_registry::Error>(&ledger, &location, &checkpoints).await?;
                        Ok((ledger, key, store))
                    })
                })),
                _ => Ok(resolver),
            },
        }
    }
}

/// The key `ledger` (at `location`) signs its checkpoints with, pinned on
/// first use, and the checkpoint store of that location in `checkpoints`.
async fn pinned<E: From<LedgerError> + From<PinError>>(
    ledger: &AnyLedger,
    location: &LedgerLocation,
    checkpoints: &Path,
) -> Result<(NoteVerifier, CheckpointStore), E> {
    let store = CheckpointStore::for_location(checkpoints, &location.to_string());
    let key = store.pin_operator(ledger.operator().await?.as_deref())?;
    Ok((key, store))
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

pub(crate) fn kdf(choice: &str) -> Result<Option<KdfParams>, CliError> {
    match choice {
        "calibrate" => Ok(None),
        "floor" => Ok(Some(KdfParams::FLOOR)),
        other => Err(CliError::Input(format!("--kdf is `calibrate` or `floor`, not `{other}`"))),
    }
}
