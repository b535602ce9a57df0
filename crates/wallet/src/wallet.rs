//! The wallet's core: the [`Wallet`] type over its sealed [`Store`], the
//! records every job shares (keys, DIDs, what it issued), and the helpers
//! that read and write them.
//!
//! Each job adds its own `impl Wallet` block in its own module and imports
//! this one, never the other way round (the crate doc lists the jobs). The
//! job modules depend on each other in one direction only: `keystore` (open,
//! keys, backups) ← `controller` (DIDs) ← `issuing` ← `status` ←
//! `recovery` and `compromise`, and `operator` on `keystore`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use didam_credential::{KeyType, PublicKey};
use didam_method::entry;
use didam_method::log::DidState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::WalletError;
use crate::keys::{RootSecret, hex};
use crate::store::Store;

/// Record kinds in the store.
pub(crate) const META: &str = "meta";
pub(crate) const KEY: &str = "key";
pub(crate) const DID: &str = "did";
pub(crate) const PENDING: &str = "pending";
pub(crate) const CREDENTIAL: &str = "credential";
pub(crate) const ISSUED: &str = "issued";
pub(crate) const LEDGER_KEY: &str = "ledger-key";

/// The wallet-wide record.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta {
    pub(crate) created: DateTime<Utc>,
    /// Public check value of the Rotation Root Secret.
    pub(crate) rrs_check: String,
    pub(crate) next_slot: u32,
    /// Next derivation index per key type name.
    pub(crate) next_key: BTreeMap<String, u32>,
    /// Increments with every re-key: keys derive from the current root only.
    pub(crate) epoch: u32,
}

/// A signing key the wallet holds (derived from the root; only its public
/// half and derivation index are stored).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// The public key as a multikey (also the record id).
    pub id: String,
    /// Derivation index under its key type (a fresh random value, see [`crate::keys`]).
    pub index: u64,
    /// The root epoch it derives from.
    pub epoch: u32,
    /// The DID whose document lists it.
    pub did: Option<String>,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// Set by the compromise procedure: never signed with again.
    pub compromised: bool,
}

impl KeyRecord {
    /// The key type.
    pub fn key_type(&self) -> Result<KeyType, WalletError> {
        Ok(PublicKey::from_multikey(&self.id)?.key_type())
    }
}

/// The state of a DID the wallet controls.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DidStatus {
    /// Written to the wallet, not yet confirmed by the ledger.
    Pending,
    /// On the ledger.
    Active,
    /// Deactivated for good.
    Deactivated,
    /// Its keys leaked and it cannot be rotated (`did:key`, `did:jwk`):
    /// never used again (set by the compromise procedure).
    Compromised,
}

/// A DID the wallet controls.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidRecord {
    /// The DID.
    pub did: String,
    /// Its slot in the rotation-key hierarchy (a fresh random value, see [`crate::keys`]).
    pub slot: u64,
    /// The number of the update key revealed by the latest confirmed entry.
    pub update_n: u32,
    /// Its signing keys (multikeys), in document order.
    pub keys: Vec<String>,
    /// The ledger it lives on (path or URL, as the caller named it).
    pub ledger: String,
    /// Status.
    pub status: DidStatus,
    /// The latest confirmed `versionId`.
    pub version_id: Option<String>,
}

impl DidRecord {
    /// The verification method id of `key` (a multikey of this DID).
    pub fn method_id(&self, key: &str) -> String {
        format!("{}#{key}", self.did)
    }

    /// `Ok` when the DID is on the ledger and not deactivated: it can sign
    /// and take its next operation.
    pub fn ensure_active(&self) -> Result<(), WalletError> {
        match self.status {
            DidStatus::Active => Ok(()),
            DidStatus::Deactivated => Err(WalletError::DidDeactivated(self.did.clone())),
            DidStatus::Pending => Err(WalletError::DidPending(self.did.clone())),
            DidStatus::Compromised => Err(WalletError::DidCompromised(self.did.clone())),
        }
    }
}

/// What the wallet signed as an issuer (so leaked keys' credentials can be
/// listed and revoked).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedRecord {
    /// The credential's `id`, or its hash when it has none.
    pub id: String,
    /// The issuer DID.
    pub issuer: String,
    /// The signing key (multikey).
    pub key: String,
    /// Its types.
    pub types: Vec<String>,
    /// Its `credentialStatus`, if any.
    pub status: Option<Value>,
    /// When it was signed.
    pub issued: DateTime<Utc>,
    /// The ledger position of its anchor, once anchored (`didam vc anchor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchored: Option<u64>,
}

/// The ledger each DID lives on, as the caller opened them (the caller
/// knows how to reach a DID's recorded ledger, and refuses another): the
/// procedures that touch several DIDs ([`Wallet::compromise_continue`],
/// [`Wallet::republish_status_lists`]) send each DID's operations, and its
/// status lists, to its own ledger.
pub struct DidLedgers<'a, L> {
    by_did: BTreeMap<String, &'a L>,
    every: Option<&'a L>,
}

impl<L> Default for DidLedgers<'_, L> {
    fn default() -> Self {
        Self { by_did: BTreeMap::new(), every: None }
    }
}

impl<L> std::fmt::Debug for DidLedgers<'_, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DidLedgers")
            .field("dids", &self.by_did.keys().collect::<Vec<_>>())
            .field("every", &self.every.is_some())
            .finish()
    }
}

impl<'a, L> DidLedgers<'a, L> {
    /// No DID's ledger yet: add them with [`DidLedgers::insert`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Every DID on `ledger` (a wallet whose DIDs all live on one ledger).
    pub fn every_did_on(ledger: &'a L) -> Self {
        Self { by_did: BTreeMap::new(), every: Some(ledger) }
    }

    /// `did` lives on `ledger`.
    pub fn insert(&mut self, did: &str, ledger: &'a L) {
        self.by_did.insert(did.to_owned(), ledger);
    }

    /// Each distinct ledger once (the one for every DID first), as given.
    pub fn ledgers(&self) -> Vec<&'a L> {
        let mut out: Vec<&'a L> = Vec::new();
        for ledger in self.every.into_iter().chain(self.by_did.values().copied()) {
            if !out.iter().any(|seen| std::ptr::eq(*seen, ledger)) {
                out.push(ledger);
            }
        }
        out
    }

    /// The ledger `did` lives on; [`WalletError::NoLedger`] when the caller
    /// gave none for it.
    pub fn of(&self, did: &str) -> Result<&'a L, WalletError> {
        self.by_did.get(did).copied().or(self.every).ok_or_else(|| WalletError::NoLedger(did.to_owned()))
    }
}

/// An open, unlocked wallet.
pub struct Wallet {
    pub(crate) store: Store,
    pub(crate) root: RootSecret,
    pub(crate) dir: PathBuf,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("dir", &self.dir).finish_non_exhaustive()
    }
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    serde_json::to_vec(v).map(Zeroizing::new).map_err(WalletError::Encode)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    kind: &str,
    id: &str,
    b: &[u8],
) -> Result<T, WalletError> {
    serde_json::from_slice(b).map_err(|_| WalletError::Tampered(format!("record {kind}/{id} is malformed")))
}

/// The wallet-wide record read from the store (missing: tampered with).
pub(crate) fn parse_meta(b: Option<Zeroizing<Vec<u8>>>) -> Result<Meta, WalletError> {
    let b = b.ok_or_else(|| WalletError::Tampered("the meta record is missing".into()))?;
    from_json(META, "wallet", &b)
}

pub(crate) fn make_private_dir(dir: &Path) -> Result<(), WalletError> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(crate::error::io(dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(crate::error::io(dir))
}

/// The database file of the wallet in `dir`.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("wallet.db")
}

/// The `versionTime` for the entry that follows `tip`: now, after waiting
/// (on a timer, never blocking the thread) for the instant the entry-time
/// rule names ([`entry::not_before`]): a second operation within the same
/// second waits for the next one. Runs on a Tokio runtime with the time
/// driver enabled; the wallet creates none.
pub(crate) async fn entry_time(tip: &DidState) -> DateTime<Utc> {
    loop {
        let now = Utc::now();
        match entry::not_before(tip, now) {
            None => return now,
            Some(at) => tokio::time::sleep((at - now).to_std().unwrap_or_default()).await,
        }
    }
}

pub(crate) fn content_id(v: &Value) -> String {
    use sha2::{Digest as _, Sha256};
    let canonical = serde_json_canonicalizer::to_vec(v).unwrap_or_default();
    format!("urn:sha256:{}", hex(&Sha256::digest(&canonical)))
}

impl Wallet {
    /// The wallet's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The Wallet Root Secret (to split into shares).
    pub fn root(&self) -> &RootSecret {
        &self.root
    }

    pub(crate) fn meta(&self) -> Result<Meta, WalletError> {
        parse_meta(self.store.get(META, "wallet")?)
    }

    /// Every record of `kind`.
    pub(crate) fn records<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, WalletError> {
        self.store.list(kind)?.iter().map(|(id, b)| from_json(kind, id, b)).collect()
    }

    /// The record `id` of `kind`; [`WalletError::NoSuchRecord`] names a
    /// missing one as a `what`.
    pub(crate) fn record<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        what: &'static str,
        id: &str,
    ) -> Result<T, WalletError> {
        let b = self
            .store
            .get(kind, id)?
            .ok_or_else(|| WalletError::NoSuchRecord { kind: what, id: id.to_owned() })?;
        from_json(kind, id, &b)
    }

    /// Checks the whole wallet: the store's MAC and every record, and the
    /// wallet-wide record holding the rotation secret's check value (a
    /// wallet cut short while being made has none).
    pub fn check(&self) -> Result<(), WalletError> {
        self.store.verify()?;
        self.meta().map(drop)
    }

    pub(crate) fn check_rrs(&self, rrs: &RootSecret) -> Result<(), WalletError> {
        if self.meta()?.rrs_check != rrs.check_value() {
            return Err(WalletError::WrongRotationSecret);
        }
        Ok(())
    }
}

/// A new wallet built in a temporary folder beside its target, not yet in
/// place: [`StagedWallet::commit`] renames the folder onto the target (one
/// atomic step) and syncs the parent; dropped uncommitted, the temporary
/// folder is removed.
#[derive(Debug)]
pub struct StagedWallet {
    wallet: Option<Wallet>,
    staging: PathBuf,
    target: PathBuf,
}

/// `path` made absolute against the current folder (as recorded: a later
/// run may start elsewhere).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// A temporary folder beside `dir` (`.<name>.init-<pid>`, emptied), for
/// building a wallet that is renamed onto `dir` when complete.
pub(crate) fn staging_dir(dir: &Path) -> Result<PathBuf, WalletError> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(crate::error::io(parent))?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = parent.join(format!(".{name}.init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    Ok(staging)
}

/// The file in a staging folder naming the share files written for the
/// wallet being built, so that what an interrupted creation left behind is
/// recognised by its contents, never by its name alone.
const PENDING_SHARES: &str = "pending-shares.json";

/// A share file a creation is about to write (see
/// [`StagedWallet::record_shares`]).
#[derive(Debug)]
pub struct PendingShare<'a> {
    /// Where the share goes.
    pub path: &'a Path,
    /// The temporary file it is written to first, if the writer uses one.
    pub temporary: Option<&'a Path>,
    /// The exact bytes the file will hold.
    pub contents: &'a [u8],
}

#[derive(Serialize, Deserialize)]
struct PendingEntry {
    path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    temporary: Option<PathBuf>,
    sha256: String,
}

impl PendingEntry {
    /// Whether the entry names what a creation writes: `wallet-share-<n>.txt`
    /// or `rotation-share-<n>.txt`, and as its temporary a
    /// `.<that name>.tmp-<…>` file in the same folder; a record naming
    /// anything else (tampered with) removes nothing.
    fn names_a_share(&self) -> bool {
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let share = ["wallet-share-", "rotation-share-"].iter().any(|prefix| {
            name.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(".txt"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        let temporary = self.temporary.as_deref().is_none_or(|tmp| {
            tmp.parent() == self.path.parent()
                && tmp
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|t| t.starts_with(&format!(".{name}.tmp-")))
        });
        share && temporary
    }
}

/// The staging folders beside `dir` that creations no longer running left:
/// `.<name>.init-<pid>` whose process is gone (`/proc/<pid>`; where there is
/// no `/proc`, every folder but this process's own).
fn abandoned_staging(dir: &Path) -> Vec<PathBuf> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}.init-");
    let proc = Path::new("/proc/self").exists();
    let Ok(entries) = std::fs::read_dir(parent) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let pid: u32 = file.strip_prefix(&prefix)?.parse().ok()?;
            let alive = pid == std::process::id() || (proc && Path::new(&format!("/proc/{pid}")).exists());
            (!alive && e.file_type().is_ok_and(|t| t.is_dir())).then(|| e.path())
        })
        .collect()
}

impl StagedWallet {
    /// Records, synced, the share files this creation is about to write.
    /// Called before the first share is written: when the process dies
    /// before [`StagedWallet::commit`], [`StagedWallet::clear_abandoned`]
    /// finds the shares of a wallet that never came into being and removes
    /// them (a file is removed only when its contents are exactly what was
    /// recorded here).
    pub fn record_shares(&self, shares: &[PendingShare<'_>]) -> Result<(), WalletError> {
        use sha2::Digest as _;
        let entries: Vec<PendingEntry> = shares
            .iter()
            .map(|s| PendingEntry {
                path: absolute(s.path),
                temporary: s.temporary.map(absolute),
                sha256: hex(&sha2::Sha256::digest(s.contents)),
            })
            .collect();
        let path = self.staging.join(PENDING_SHARES);
        let text = serde_json::to_vec(&entries).map_err(|e| WalletError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        didam_ledger::file::write_atomic(&path, &text).map_err(crate::error::io(&path))
    }

    /// Removes what interrupted creations of a wallet at `dir` (`init` or
    /// `recover` killed before the wallet was in place) left behind: their
    /// staging folders, and the share files they recorded whose contents are
    /// unchanged (shares of a root no wallet holds). Returns the share files
    /// removed.
    pub fn clear_abandoned(dir: &Path) -> Result<Vec<PathBuf>, WalletError> {
        use sha2::Digest as _;
        let mut removed = Vec::new();
        for staging in abandoned_staging(dir) {
            let entries: Vec<PendingEntry> = std::fs::read(staging.join(PENDING_SHARES))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            // The record lives in a folder others may be able to write: only
            // share files and their temporaries are ever removed.
            for entry in entries.into_iter().filter(PendingEntry::names_a_share) {
                if let Some(tmp) = &entry.temporary {
                    let _ = std::fs::remove_file(tmp);
                }
                let same = std::fs::read(&entry.path)
                    .map(Zeroizing::new)
                    .is_ok_and(|b| hex(&sha2::Sha256::digest(&b[..])) == entry.sha256);
                if same {
                    std::fs::remove_file(&entry.path).map_err(crate::error::io(&entry.path))?;
                    removed.push(entry.path);
                }
            }
            std::fs::remove_dir_all(&staging).map_err(crate::error::io(&staging))?;
        }
        Ok(removed)
    }

    pub(crate) fn new(wallet: Wallet, staging: PathBuf, target: &Path) -> Self {
        Self { wallet: Some(wallet), staging, target: target.to_owned() }
    }

    /// Runs `build` (which makes a wallet in `staging`), removing `staging`
    /// when it fails.
    pub(crate) fn build<T>(
        staging: &Path,
        build: impl FnOnce() -> Result<T, WalletError>,
    ) -> Result<T, WalletError> {
        build().inspect_err(|_| {
            let _ = std::fs::remove_dir_all(staging);
        })
    }

    /// The wallet being created (its root is split into shares before the
    /// commit).
    pub fn wallet(&self) -> &Wallet {
        self.wallet.as_ref().expect("a staged wallet holds its wallet until it is committed or dropped")
    }

    /// Moves the wallet into place and opens it there.
    pub fn commit(mut self) -> Result<Wallet, WalletError> {
        let wallet = self.wallet.take().expect("commit takes the staged wallet once");
        let root = wallet.root.clone();
        // Closed first: SQLite finds its journal files by the path it opened.
        drop(wallet);
        let parent = self.staging.parent().unwrap_or(Path::new(".")).to_owned();
        let moved = std::fs::rename(&self.staging, &self.target)
            .and_then(|()| std::fs::File::open(&parent)?.sync_all());
        if let Err(e) = moved {
            let _ = std::fs::remove_dir_all(&self.staging);
            return Err(crate::error::io(&self.target)(e));
        }
        // The shares belong to a wallet now (a kill before this line leaves a
        // harmless record: a folder holding a wallet is never cleared).
        let _ = std::fs::remove_file(self.target.join(PENDING_SHARES));
        Wallet::open_with_root(&self.target, &root)
    }
}

impl Drop for StagedWallet {
    fn drop(&mut self) {
        if let Some(wallet) = self.wallet.take() {
            drop(wallet);
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
