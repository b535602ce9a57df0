//! One run's typed context, built once in `main`: the settings, the async
//! runtime, and what commands open from them (the wallet, the ledger, a
//! resolver); and where secrets come from.

use std::path::{Path, PathBuf};

use didam_credential::Did;
use didam_ledger::note::NoteVerifier;
use didam_ledger::{AnyLedger, Ledger as _, LedgerError, LedgerLocation, OpenOptions};
use didam_registry::web::{WebFetcher, WebLimits};
use didam_registry::{CheckpointStore, PinError, PinEvent, Resolver};
use didam_wallet::{DidRecord, KdfParams, RootSecret, Wallet, WalletError};
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
        self.open_wallet_keeping_passphrase().map(|(wallet, _)| wallet)
    }

    /// Opens the wallet to read it only (the commands that list, show or
    /// check): nothing is created in its folder, so a read-only folder
    /// serves them.
    pub(crate) fn open_wallet_read_only(&self) -> Result<Wallet, CliError> {
        let dir = self.existing_wallet_dir()?;
        let pass = crate::input::passphrase(self.global.passphrase_file.as_deref(), "wallet passphrase: ")?;
        let progress = crate::output::Progress::start("unlocking the wallet");
        let wallet = Wallet::open_read_only(&dir, &pass);
        progress.finish();
        Ok(wallet?)
    }

    /// The wallet's folder, which must hold a wallet.
    fn existing_wallet_dir(&self) -> Result<PathBuf, CliError> {
        let dir = self.wallet_dir()?;
        if !didam_wallet::db_path(&dir).exists() {
            return Err(CliError::Wallet(WalletError::NotFound(dir.display().to_string())));
        }
        Ok(dir)
    }

    /// Opens the wallet, and returns the passphrase it was opened with (a
    /// command that re-wraps the root keeps it without asking twice).
    pub(crate) fn open_wallet_keeping_passphrase(&self) -> Result<(Wallet, Zeroizing<Vec<u8>>), CliError> {
        let dir = self.existing_wallet_dir()?;
        let pass = crate::input::passphrase(self.global.passphrase_file.as_deref(), "wallet passphrase: ")?;
        let progress = crate::output::Progress::start("unlocking the wallet");
        let wallet = Wallet::open(&dir, &pass);
        progress.finish();
        Ok((wallet?, pass))
    }

    /// Checks that the rotation share files exist, and that standard input
    /// is not named twice, before any secret is asked for.
    pub(crate) fn check_rotation_shares(&self) -> Result<(), CliError> {
        use crate::input::is_stdin;
        let shares = &self.global.rotation_shares;
        let dashes = shares.iter().filter(|p| is_stdin(p)).count()
            + usize::from(self.global.passphrase_file.as_deref().is_some_and(is_stdin));
        if dashes > 1 {
            return Err(CliError::StdinTwice);
        }
        shares.iter().try_for_each(|p| crate::input::exists(p))
    }

    pub(crate) fn rotation_secret(&self) -> Result<RootSecret, CliError> {
        crate::input::shares(&self.global.rotation_shares, "rotation")
    }

    /// Where the ledger is: `--ledger`, or the data directory's `ledger.db`.
    pub(crate) fn location(&self) -> Result<LedgerLocation, CliError> {
        match &self.global.ledger {
            Some(l) => Ok(l.clone()),
            None => Ok(LedgerLocation::File(data_dir()?.join("ledger.db"))),
        }
    }

    /// Opens the ledger to read it: a ledger file that is not there is an
    /// error, never a new empty ledger (only commands that write make one),
    /// and one that is there is opened read-only.
    pub(crate) fn existing_ledger(&self) -> Result<AnyLedger, CliError> {
        self.read_ledger_at(&self.location()?)
    }

    /// Opens the ledger at `location` to read it: an embedded file must
    /// exist and is opened read-only (nothing is created beside it).
    pub(crate) fn read_ledger_at(&self, location: &LedgerLocation) -> Result<AnyLedger, CliError> {
        missing_ledger(location).map_or(Ok(()), Err)?;
        let options = OpenOptions::new(EMBEDDED_ORIGIN).reading();
        self.block_on(AnyLedger::open(location, &options)).map_err(|e| {
            if location.is_remote() { CliError::Input(format!("--ledger {location}: {e}")) } else { e.into() }
        })
    }

    /// Opens the ledger to write to it (an embedded file is made if missing).
    pub(crate) fn ledger(&self) -> Result<AnyLedger, CliError> {
        self.ledger_at(&self.location()?)
    }

    /// Opens the ledger at `location` to write to it (an embedded file is
    /// made if missing).
    pub(crate) fn ledger_at(&self, location: &LedgerLocation) -> Result<AnyLedger, CliError> {
        self.block_on(AnyLedger::open(location, &OpenOptions::new(EMBEDDED_ORIGIN))).map_err(|e| {
            if location.is_remote() { CliError::Input(format!("--ledger {location}: {e}")) } else { e.into() }
        })
    }

    /// Where a new DID's ledger is recorded: [`Self::location`], a file as
    /// an absolute path (so that it names the same file from any folder).
    pub(crate) fn new_did_location(&self) -> Result<LedgerLocation, CliError> {
        Ok(match self.location()? {
            LedgerLocation::File(p) => LedgerLocation::File(std::path::absolute(&p).unwrap_or(p)),
            other => other,
        })
    }

    /// The ledger `record`'s DID lives on (recorded when it was made). A
    /// `--ledger` (or DIDAM_LEDGER, or the config file) naming another is
    /// refused with both named: a DID's operations never go elsewhere.
    pub(crate) fn did_location(&self, record: &DidRecord) -> Result<LedgerLocation, CliError> {
        if record.ledger.is_empty() {
            return Err(CliError::Wallet(WalletError::NoLedger(record.did.clone())));
        }
        let recorded: LedgerLocation =
            record.ledger.parse().unwrap_or_else(|e: std::convert::Infallible| match e {});
        if let Some(given) = &self.global.ledger
            && !same_location(given, &recorded)
        {
            return Err(CliError::OtherLedger {
                did: record.did.clone(),
                recorded: recorded.to_string(),
                given: given.to_string(),
            });
        }
        Ok(recorded)
    }

    /// Opens the ledger of `record`'s DID to write to it; its embedded file
    /// must exist (a lost one is refilled by `didam wallet resync`, never
    /// replaced by a new empty one).
    pub(crate) fn did_ledger(&self, record: &DidRecord) -> Result<(AnyLedger, LedgerLocation), CliError> {
        let location = self.did_location(record)?;
        if let LedgerLocation::File(path) = &location
            && !path.exists()
        {
            return Err(CliError::LedgerGone { did: record.did.clone(), path: path.clone() });
        }
        Ok((self.ledger_at(&location)?, location))
    }

    /// A resolver for every method: did:web and did:webvh fetched directly;
    /// did:didam through the ledger with its operator key pinned, set up now
    /// when `did` is one (`None`: when a did:didam DID is first met).
    pub(crate) fn resolver(&self, did: Option<&Did>) -> Result<Resolver<AnyLedger>, CliError> {
        let resolver = Resolver::new().with_web(WebFetcher::new(&WebLimits::default())?);
        let require_pq = self.global.require_pq_checkpoints;
        match did {
            Some(did) if did.method() == "didam" => self.resolver_at(&self.location()?),
            Some(_) => Ok(resolver),
            // Without a home directory (and no --ledger) did:didam is not resolved.
            None => match (self.location(), data_dir()) {
                (Ok(location), Ok(data)) => Ok(resolver.with_ledger_on_demand(move || {
                    let (location, checkpoints) = (location.clone(), data.join("checkpoints"));
                    Box::pin(async move {
                        if let Some(CliError::NoLedgerFile { path }) = missing_ledger(&location) {
                            let missing = format!("no ledger file at {}", path.display());
                            return Err(LedgerError::Unavailable(missing).into());
                        }
                        let options = OpenOptions::new(EMBEDDED_ORIGIN).reading();
                        let ledger = AnyLedger::open(&location, &options).await?;
                        let (key, store) =
                            pinned::<didam_registry::Error>(&ledger, &location, &checkpoints, require_pq)
                                .await?;
                        Ok((ledger, key, store))
                    })
                })),
                _ => Ok(resolver),
            },
        }
    }
}

impl Context {
    /// This machine's checkpoint store of the ledger at `location` (its
    /// pinned operator key and the newest checkpoint seen).
    pub(crate) fn checkpoint_store(&self, location: &LedgerLocation) -> Result<CheckpointStore, CliError> {
        Ok(CheckpointStore::for_location(&data_dir()?.join("checkpoints"), &location.to_string()))
    }

    /// A resolver for did:didam DIDs on the ledger at `location` (which must
    /// exist), with its operator key pinned, and for did:web and did:webvh.
    pub(crate) fn resolver_at(&self, location: &LedgerLocation) -> Result<Resolver<AnyLedger>, CliError> {
        let resolver = Resolver::new().with_web(WebFetcher::new(&WebLimits::default())?);
        let (ledger, checkpoints) = (self.read_ledger_at(location)?, data_dir()?.join("checkpoints"));
        let require_pq = self.global.require_pq_checkpoints;
        let (key, store) = self.block_on(pinned::<CliError>(&ledger, location, &checkpoints, require_pq))?;
        Ok(resolver.with_ledger(ledger, key, store))
    }
}

/// Whether two locations name the same ledger (files by their canonical
/// paths when they exist).
pub(crate) fn same_location(a: &LedgerLocation, b: &LedgerLocation) -> bool {
    match (a, b) {
        (LedgerLocation::File(a), LedgerLocation::File(b)) => {
            let norm = |p: &Path| {
                std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or(p.to_owned()))
            };
            norm(a) == norm(b)
        }
        _ => a.to_string().trim_end_matches('/') == b.to_string().trim_end_matches('/'),
    }
}

/// The error for a ledger file that is not there (reading never makes one).
fn missing_ledger(location: &LedgerLocation) -> Option<CliError> {
    match location {
        LedgerLocation::File(path) if !path.exists() => Some(CliError::NoLedgerFile { path: path.clone() }),
        _ => None,
    }
}

/// The key `ledger` (at `location`) signs its checkpoints with, pinned on
/// first use (and said once, on standard error), moved along the handovers
/// the pinned key signed, and the checkpoint store of that location in
/// `checkpoints`, which requires the ledger's ML-DSA-44 signature once its
/// key is pinned (always, when `require_pq`). An announced ML-DSA-44 key
/// the pinned key does not vouch for is not pinned: refused when
/// `require_pq`, else said and passed over (classical clients keep reading
/// the ledger on its Ed25519 signature).
async fn pinned<E: From<LedgerError> + From<PinError>>(
    ledger: &AnyLedger,
    location: &LedgerLocation,
    checkpoints: &Path,
    require_pq: bool,
) -> Result<(NoteVerifier, CheckpointStore), E> {
    let store = CheckpointStore::for_location(checkpoints, &location.to_string());
    let pinned = store.pin_operator_of(ledger, ledger.operator().await?.as_deref()).await?;
    tell_pin_events(location, &pinned.events);
    let latest = ledger.latest_checkpoint().await?;
    let latest = latest.as_ref().map(|c| c.note.as_bytes());
    let (pq, events) = match store.pin_pq_operator(ledger.pq_operator().await?.as_deref(), latest) {
        Err(e @ PinError::PqNotVouched { .. }) if !require_pq => {
            eprintln!("note: ledger {location}: {e}");
            (None, Vec::new())
        }
        pinned => pinned?,
    };
    tell_pin_events(location, &events);
    Ok((pinned.key, store.with_pq_key(pq).require_pq(require_pq)))
}

/// Says on standard error what pinning changed: each event happens once per
/// ledger and machine, so each is said once (as ssh says a new host key).
pub(crate) fn tell_pin_events(location: &LedgerLocation, events: &[PinEvent]) {
    let named = |key: &NoteVerifier| format!("{}+{:08x} ({})", key.name(), key.key_id(), key.fingerprint());
    for event in events {
        match event {
            PinEvent::FirstUse { key } => eprintln!(
                "note: pinned the checkpoint key of ledger {location} on first use: {}\n\
                 note: its checkpoints are accepted from this key (and the keys it hands over to) only; \
                 compare the fingerprint with the ledger's operator out of band (they see it with \
                 `didam ledger operator`)",
                named(key)
            ),
            PinEvent::HandedOver { from, to, size } => eprintln!(
                "note: ledger {location} handed its checkpoint key over at tree size {size}, signed by the \
                 pinned key: now pinned {}; {} is retired",
                named(to),
                named(from)
            ),
            PinEvent::PqFirstUse { key } => eprintln!(
                "note: pinned the ML-DSA-44 checkpoint key of ledger {location} on first use: {}\n\
                 note: its checkpoints must carry this key's quantum-safe signature from now on",
                named(key)
            ),
            PinEvent::Trusted { from, to } => eprintln!(
                "note: pinned {} by hand for ledger {location}; {} is retired",
                named(to),
                named(from)
            ),
            _ => {}
        }
    }
}

pub(crate) fn kdf(choice: &str) -> Result<Option<KdfParams>, CliError> {
    match choice {
        "calibrate" => Ok(None),
        "floor" => Ok(Some(KdfParams::FLOOR)),
        other => Err(CliError::Input(format!("--kdf is `calibrate` or `floor`, not `{other}`"))),
    }
}
