//! The wallet: keys, DIDs, credentials, backups and the two recovery
//! procedures, on top of the sealed [`Store`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use didam_credential::{KeyType, ProofOptions, PublicKey, SecretKey, Suite, did::ProofPurpose, proof};
use didam_ledger::Ledger;
use didam_ledger::note::NoteSigner;
use didam_method::{DidamDid, entry};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::WalletError;
use crate::backup::{self, BackupKey};
use crate::kdf::KdfParams;
use crate::keys::{RootSecret, hex};
use crate::store::Store;

const META: &str = "meta";
const KEY: &str = "key";
const DID: &str = "did";
const PENDING: &str = "pending";
const CREDENTIAL: &str = "credential";
pub(crate) const ISSUED: &str = "issued";
const LEDGER_KEY: &str = "ledger-key";

/// Where passphrases come from: the library never prompts; front ends
/// implement this (a terminal prompt, a file, a file descriptor).
pub trait PassphraseSource {
    /// The passphrase for `purpose` (e.g. "unlock", "new").
    fn passphrase(&self, purpose: &str) -> Result<Zeroizing<Vec<u8>>, WalletError>;
}

/// How to make a new wallet.
#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// Argon2id parameters; `None` calibrates to about 0.5–1 s on this machine.
    pub kdf: Option<KdfParams>,
}

/// The wallet-wide record.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    created: DateTime<Utc>,
    /// Public check value of the Rotation Root Secret.
    rrs_check: String,
    next_slot: u32,
    /// Next derivation index per key type name.
    next_key: BTreeMap<String, u32>,
    /// Increments with every re-key: keys derive from the current root only.
    epoch: u32,
}

/// A signing key the wallet holds (derived from the root; only its public
/// half and derivation index are stored).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// The public key as a multikey (also the record id).
    pub id: String,
    /// Derivation index under its key type.
    pub index: u32,
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
}

/// A DID the wallet controls.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidRecord {
    /// The DID.
    pub did: String,
    /// Its slot in the rotation-key hierarchy.
    pub slot: u32,
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
}

/// A DID operation stored before it is submitted (durable before public).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingOp {
    /// The DID.
    pub did: String,
    /// `create`, `update`, `rotate`, `deactivate` or `compromise`.
    pub op: String,
    /// The signed log entry.
    pub entry: Value,
    /// The DID record once the entry is accepted.
    pub then: DidRecord,
    /// When it was made.
    pub created: DateTime<Utc>,
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
}

/// Outcome of reconciling one pending operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reconciled {
    /// The ledger holds the entry (now or from before the crash).
    Confirmed(String),
    /// The ledger refused it for good; the operation was dropped.
    Dropped {
        /// The DID.
        did: String,
        /// Why.
        reason: String,
    },
    /// The ledger could not be reached; the operation stays pending.
    StillPending {
        /// The DID.
        did: String,
        /// Why.
        reason: String,
    },
}

/// What the compromise procedure did.
#[derive(Debug)]
pub struct CompromiseReport {
    /// Keys marked compromised.
    pub leaked_keys: Vec<String>,
    /// DIDs rotated to new keys, with their new `versionId`.
    pub rotated: Vec<(String, String)>,
    /// Credentials the leaked keys signed: revoke them.
    pub to_revoke: Vec<IssuedRecord>,
    /// The wallet's status lists on the ledger, re-signed and re-published
    /// with a new resource key (step 5).
    pub status_lists: Vec<crate::status::Republished>,
    /// The new Wallet Root Secret: split it into new shares.
    pub new_root: RootSecret,
}

/// A new slot, the new keys with their derivation indexes, the root epoch.
type Allocated = (u32, Vec<(u32, PublicKey)>, u32);

/// What the next entry of a DID changes.
#[derive(Default)]
struct Change {
    keys: Option<Vec<(String, PublicKey)>>,
    services: Option<Vec<Value>>,
    deactivate: bool,
}

/// An open, unlocked wallet.
pub struct Wallet {
    store: Store,
    root: RootSecret,
    dir: PathBuf,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("dir", &self.dir).finish_non_exhaustive()
    }
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    serde_json::to_vec(v).map(Zeroizing::new).map_err(|e| WalletError::Storage(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    kind: &str,
    id: &str,
    b: &[u8],
) -> Result<T, WalletError> {
    serde_json::from_slice(b).map_err(|_| WalletError::Tampered(format!("record {kind}/{id} is malformed")))
}

/// The wallet-wide record read from the store (missing: tampered with).
fn parse_meta(b: Option<Zeroizing<Vec<u8>>>) -> Result<Meta, WalletError> {
    let b = b.ok_or_else(|| WalletError::Tampered("the meta record is missing".into()))?;
    from_json(META, "wallet", &b)
}

fn make_private_dir(dir: &Path) -> Result<(), WalletError> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(crate::error::io(dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(crate::error::io(dir))
}

/// The database file of the wallet in `dir`.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("wallet.db")
}

pub(crate) fn suite_key_type(suite: Suite) -> KeyType {
    match suite {
        Suite::EcdsaRdfc2019 | Suite::EcdsaJcs2019 => KeyType::P256,
        _ => KeyType::Ed25519,
    }
}

impl Wallet {
    /// Creates a wallet in `dir` (made with mode 0700). Returns it and the
    /// Rotation Root Secret, which the wallet never stores: split it into
    /// shares and keep them offline.
    pub fn init(
        dir: &Path,
        passphrase: &[u8],
        options: &InitOptions,
    ) -> Result<(Wallet, RootSecret), WalletError> {
        let params = KdfParams::or_calibrated(options.kdf)?;
        let path = db_path(dir);
        if path.exists() {
            return Err(WalletError::Exists(dir.display().to_string()));
        }
        make_private_dir(dir)?;
        let root = RootSecret::generate();
        let rrs = RootSecret::generate();
        let store = Store::create(&path, passphrase, &params, &root)?;
        let meta = Meta {
            created: Utc::now(),
            rrs_check: rrs.check_value(),
            next_slot: 0,
            next_key: BTreeMap::new(),
            epoch: 0,
        };
        store.update(|tx| tx.put(META, "wallet", &to_json(&meta)?))?;
        let wallet = Wallet { store, root, dir: dir.to_owned() };
        wallet.backup()?;
        Ok((wallet, rrs))
    }

    /// Opens and unlocks the wallet in `dir`.
    pub fn open(dir: &Path, passphrase: &[u8]) -> Result<Wallet, WalletError> {
        let (store, root) = Store::open(&db_path(dir), passphrase)?;
        Ok(Wallet { store, root, dir: dir.to_owned() })
    }

    /// Opens the wallet with its root secret instead of the passphrase (after
    /// recovering the root from shares); checks the MAC and every record.
    pub fn open_with_root(dir: &Path, root: &RootSecret) -> Result<Wallet, WalletError> {
        let store = Store::open_with_root(&db_path(dir), root)?;
        Ok(Wallet { store, root: root.clone(), dir: dir.to_owned() })
    }

    /// Opens the wallet with a passphrase from `source`.
    pub fn unlock(dir: &Path, source: &dyn PassphraseSource) -> Result<Wallet, WalletError> {
        Self::open(dir, &source.passphrase("unlock")?)
    }

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

    /// Changes the passphrase: only the root's wrapping changes.
    pub fn change_passphrase(&self, new: &[u8], kdf: Option<KdfParams>) -> Result<(), WalletError> {
        let params = KdfParams::or_calibrated(kdf)?;
        self.store.change_passphrase(&self.root, new, &params)
    }

    fn meta(&self) -> Result<Meta, WalletError> {
        parse_meta(self.store.get(META, "wallet")?)
    }

    /// Every record of `kind`.
    fn records<T: serde::de::DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, WalletError> {
        self.store.list(kind)?.iter().map(|(id, b)| from_json(kind, id, b)).collect()
    }

    /// The record `id` of `kind`; [`WalletError::NoSuchRecord`] names a
    /// missing one as a `what`.
    fn record<T: serde::de::DeserializeOwned>(
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

    fn check_rrs(&self, rrs: &RootSecret) -> Result<(), WalletError> {
        if self.meta()?.rrs_check != rrs.check_value() {
            return Err(WalletError::WrongRotationSecret);
        }
        Ok(())
    }

    // ---- keys ----

    /// Every key record.
    pub fn keys(&self) -> Result<Vec<KeyRecord>, WalletError> {
        self.records(KEY)
    }

    /// The secret key for `key_id` (a multikey this wallet holds), refusing
    /// compromised keys and keys of an earlier root.
    pub fn signing_key(&self, key_id: &str) -> Result<SecretKey, WalletError> {
        let record: KeyRecord = self.record(KEY, "key", key_id)?;
        if record.compromised || record.epoch != self.meta()?.epoch {
            return Err(WalletError::Compromised(key_id.to_owned()));
        }
        let key = self.root.signing_key(record.key_type()?, record.index)?;
        if key.public_key().to_multikey() != record.id {
            return Err(WalletError::Tampered(format!("key record {key_id} does not match its derivation")));
        }
        Ok(key)
    }

    /// Allocates derivation indexes for `types` and returns the new public
    /// keys (records are written with the DID that lists them).
    fn allocate_keys(&self, types: &[KeyType]) -> Result<Allocated, WalletError> {
        let ((slot, indexes, epoch), _) = self.store.update(|tx| {
            let mut meta = parse_meta(tx.get(META, "wallet")?)?;
            let slot = meta.next_slot;
            meta.next_slot += 1;
            let mut idx = Vec::new();
            for t in types {
                let n = meta.next_key.entry(t.name().to_owned()).or_insert(0);
                idx.push((*t, *n));
                *n += 1;
            }
            tx.put(META, "wallet", &to_json(&meta)?)?;
            Ok((slot, idx, meta.epoch))
        })?;
        let keys = indexes
            .into_iter()
            .map(|(t, i)| Ok((i, self.root.signing_key(t, i)?.public_key())))
            .collect::<Result<Vec<_>, WalletError>>()?;
        Ok((slot, keys, epoch))
    }

    // ---- DIDs ----

    /// Every DID the wallet controls.
    pub fn dids(&self) -> Result<Vec<DidRecord>, WalletError> {
        self.records(DID)
    }

    /// One DID's record.
    pub fn did(&self, did: &str) -> Result<DidRecord, WalletError> {
        self.record(DID, "DID", did)
    }

    /// Operations written but not confirmed by a ledger.
    pub fn pending(&self) -> Result<Vec<PendingOp>, WalletError> {
        self.records(PENDING)
    }

    /// Creates a `did:didam` DID on `ledger` with one signing key per type in
    /// `key_types`. The create entry is signed by update key 0 of a new slot
    /// of `rrs` and commits to update key 1. Durable before public: the
    /// operation is stored and backed up before it is submitted.
    pub async fn create_did<L: Ledger>(
        &self,
        ledger: &L,
        ledger_name: &str,
        rrs: &RootSecret,
        key_types: &[KeyType],
    ) -> Result<DidRecord, WalletError> {
        self.check_rrs(rrs)?;
        if key_types.is_empty() {
            return Err(WalletError::Invalid("a DID needs at least one key".into()));
        }
        let (slot, keys, epoch) = self.allocate_keys(key_types)?;
        let named: Vec<(String, PublicKey)> =
            keys.iter().map(|(_, k)| (k.to_multikey(), k.clone())).collect();
        let document = entry::document_with_methods("did:didam:{SCID}", &named);
        let update = rrs.update_key(slot, 0)?;
        let next = rrs.update_key(slot, 1)?.public_key();
        let (did, entry) = entry::create_entry(&update, &next, document, Utc::now()).await?;
        let record = DidRecord {
            did: did.to_string(),
            slot,
            update_n: 0,
            keys: named.iter().map(|(id, _)| id.clone()).collect(),
            ledger: ledger_name.to_owned(),
            status: DidStatus::Pending,
            version_id: None,
        };
        let now = Utc::now();
        let key_records: Vec<KeyRecord> = keys
            .iter()
            .map(|(index, k)| KeyRecord {
                id: k.to_multikey(),
                index: *index,
                epoch,
                did: Some(record.did.clone()),
                created: now,
                compromised: false,
            })
            .collect();
        let mut then = record.clone();
        then.status = DidStatus::Active;
        let op = PendingOp { did: record.did.clone(), op: "create".into(), entry, then, created: now };
        self.store.update(|tx| {
            for k in &key_records {
                tx.put(KEY, &k.id, &to_json(k)?)?;
            }
            tx.put(DID, &record.did, &to_json(&record)?)?;
            tx.put(PENDING, &record.did, &to_json(&op)?)
        })?;
        self.submit(ledger, op).await
    }

    /// Makes a `did:key` DID from a new signing key of `key_type`: an issuer
    /// or holder identity that needs no ledger (and can never be rotated; its
    /// status lists are published as files, see [`crate::status`]).
    pub fn create_did_key(&self, key_type: KeyType) -> Result<DidRecord, WalletError> {
        let (slot, keys, epoch) = self.allocate_keys(&[key_type])?;
        let (index, key) = keys.into_iter().next().ok_or_else(|| WalletError::Invalid("no key".into()))?;
        let (did, _) = didam_credential::did::did_key(&key);
        let record = DidRecord {
            did: did.clone(),
            slot,
            update_n: 0,
            keys: vec![key.to_multikey()],
            ledger: String::new(),
            status: DidStatus::Active,
            version_id: None,
        };
        let key_record = KeyRecord {
            id: key.to_multikey(),
            index,
            epoch,
            did: Some(did.clone()),
            created: Utc::now(),
            compromised: false,
        };
        self.store.update(|tx| {
            tx.put(KEY, &key_record.id, &to_json(&key_record)?)?;
            tx.put(DID, &did, &to_json(&record)?)
        })?;
        self.backup()?;
        Ok(record)
    }

    async fn submit<L: Ledger>(&self, ledger: &L, op: PendingOp) -> Result<DidRecord, WalletError> {
        self.backup()?;
        let receipt = ledger.append(&op.entry).await?;
        let then = self.confirm(&op, receipt.version_id)?;
        self.backup()?;
        Ok(then)
    }

    /// Records that the ledger accepted `op` as `version_id`: the DID takes
    /// its new state and the operation is no longer pending.
    fn confirm(&self, op: &PendingOp, version_id: String) -> Result<DidRecord, WalletError> {
        let mut then = op.then.clone();
        then.version_id = Some(version_id);
        self.store.update(|tx| {
            tx.put(DID, &then.did, &to_json(&then)?)?;
            tx.delete(PENDING, &then.did)
        })?;
        Ok(then)
    }

    fn no_pending(&self, did: &str) -> Result<DidRecord, WalletError> {
        if self.store.get(PENDING, did)?.is_some() {
            return Err(WalletError::DidState(format!(
                "{did} has an operation waiting for the ledger; reconcile it first (`didam did reconcile`)"
            )));
        }
        let record = self.did(did)?;
        match record.status {
            DidStatus::Active => Ok(record),
            DidStatus::Deactivated => Err(WalletError::DidState(format!("{did} is deactivated"))),
            DidStatus::Pending => Err(WalletError::DidState(format!("{did} is not on the ledger yet"))),
        }
    }

    /// Writes the next entry of `did`: reveals update key `n+1`, commits to
    /// `n+2` (or deactivates), with `keys` as the new signing keys when given.
    async fn next_op<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        op: &str,
        change: Change,
    ) -> Result<DidRecord, WalletError> {
        let Change { keys: new_keys, services, deactivate } = change;
        self.check_rrs(rrs)?;
        let record = self.no_pending(did)?;
        let didam = DidamDid::parse(did)?;
        let tip = ledger.tip(didam.as_str()).await?;
        let n = record.update_n + 1;
        let key = rrs.update_key(record.slot, n)?;
        let next = if deactivate { None } else { Some(rrs.update_key(record.slot, n + 1)?.public_key()) };
        let document = if new_keys.is_some() || services.is_some() {
            let named = match &new_keys {
                Some(k) => k.clone(),
                None => record
                    .keys
                    .iter()
                    .map(|id| Ok((id.clone(), PublicKey::from_multikey(id)?)))
                    .collect::<Result<Vec<_>, WalletError>>()?,
            };
            let mut doc = entry::document_with_methods(did, &named);
            let services =
                services.or_else(|| tip.document.get("service").and_then(Value::as_array).cloned());
            if let Some(s) = services.filter(|s| !s.is_empty()) {
                doc["service"] = Value::Array(s);
            }
            Some(doc)
        } else {
            None
        };
        // Entry times are whole seconds, strictly increasing and never in the
        // future: a second operation within the same second waits for it.
        let earliest = tip.version_time + chrono::Duration::seconds(1);
        if let Ok(wait) = (earliest - Utc::now()).to_std() {
            std::thread::sleep(wait);
        }
        let entry = entry::next_entry(&tip, &key, next.as_ref(), document, deactivate, Utc::now()).await?;
        let mut then = record.clone();
        then.update_n = n;
        if let Some(k) = &new_keys {
            then.keys = k.iter().map(|(id, _)| id.clone()).collect();
        }
        if deactivate {
            then.status = DidStatus::Deactivated;
        }
        let pending = PendingOp { did: did.to_owned(), op: op.to_owned(), entry, then, created: Utc::now() };
        self.store.update(|tx| tx.put(PENDING, did, &to_json(&pending)?))?;
        self.submit(ledger, pending).await
    }

    /// Rotates `did`'s update key (reveal the committed key, commit the next).
    pub async fn rotate_did<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
    ) -> Result<DidRecord, WalletError> {
        self.next_op(ledger, rrs, did, "rotate", Change::default()).await
    }

    /// Updates `did`: new signing keys of `key_types` (when given) and/or new
    /// `services` (when given), rotating the update key as every entry does.
    pub async fn update_did<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        key_types: Option<&[KeyType]>,
        services: Option<Vec<Value>>,
    ) -> Result<DidRecord, WalletError> {
        let new_keys = match key_types {
            Some(types) => Some(self.new_keys_for(did, types)?),
            None => None,
        };
        self.next_op(ledger, rrs, did, "update", Change { keys: new_keys, services, deactivate: false }).await
    }

    fn new_keys_for(&self, did: &str, types: &[KeyType]) -> Result<Vec<(String, PublicKey)>, WalletError> {
        let (_, keys, epoch) = self.allocate_keys(types)?;
        let now = Utc::now();
        let named: Vec<(String, PublicKey)> =
            keys.iter().map(|(_, k)| (k.to_multikey(), k.clone())).collect();
        self.store.update(|tx| {
            for (index, k) in &keys {
                let r = KeyRecord {
                    id: k.to_multikey(),
                    index: *index,
                    epoch,
                    did: Some(did.to_owned()),
                    created: now,
                    compromised: false,
                };
                tx.put(KEY, &r.id, &to_json(&r)?)?;
            }
            Ok(())
        })?;
        Ok(named)
    }

    /// Deactivates `did` for good.
    pub async fn deactivate_did<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
    ) -> Result<DidRecord, WalletError> {
        self.next_op(ledger, rrs, did, "deactivate", Change { deactivate: true, ..Change::default() }).await
    }

    /// Reconciles pending operations with `ledger` (run at start): re-submits
    /// each (appends are idempotent) and records the outcome.
    pub async fn reconcile<L: Ledger>(&self, ledger: &L) -> Result<Vec<Reconciled>, WalletError> {
        let mut out = Vec::new();
        for op in self.pending()? {
            let version_id = op.entry.get("versionId").and_then(Value::as_str).unwrap_or_default().to_owned();
            match ledger.append(&op.entry).await {
                Ok(receipt) => {
                    self.confirm(&op, receipt.version_id)?;
                    out.push(Reconciled::Confirmed(op.did));
                }
                Err(
                    e @ (didam_ledger::LedgerError::Unavailable(_) | didam_ledger::LedgerError::Corrupt(_)),
                ) => out.push(Reconciled::StillPending { did: op.did, reason: e.to_string() }),
                Err(e) => {
                    // Refused for good: keep the DID as the ledger has it.
                    let held = ledger.log(&op.did).await.map(|l| {
                        l.iter().any(|s| {
                            serde_json::from_str::<Value>(&s.line).is_ok_and(|e| {
                                e.get("versionId").and_then(Value::as_str) == Some(&version_id)
                            })
                        })
                    });
                    if let Ok(true) = held {
                        out.push(Reconciled::Confirmed(op.did.clone()));
                    } else {
                        out.push(Reconciled::Dropped { did: op.did.clone(), reason: e.to_string() });
                    }
                    let did = op.did.clone();
                    let create = op.op == "create";
                    self.store.update(|tx| {
                        if create && !matches!(held, Ok(true)) {
                            tx.delete(DID, &did)?;
                        } else if matches!(held, Ok(true)) {
                            let mut then = op.then.clone();
                            then.version_id = Some(version_id.clone());
                            tx.put(DID, &did, &to_json(&then)?)?;
                        }
                        tx.delete(PENDING, &did)
                    })?;
                }
            }
        }
        if !out.is_empty() {
            self.backup()?;
        }
        Ok(out)
    }

    // ---- the ledger operator's key ----

    /// The checkpoint signing key this wallet holds for ledger `origin`,
    /// made on first use (a random key stored sealed: it survives re-keys).
    pub fn ledger_signer(&self, origin: &str) -> Result<NoteSigner, WalletError> {
        if let Some(signer) = self.existing_ledger_signer(origin)? {
            return Ok(signer);
        }
        let key = SecretKey::generate(KeyType::Ed25519);
        let signer = NoteSigner::new(origin, key).map_err(|e| WalletError::Invalid(e.to_string()))?;
        let text = Zeroizing::new(signer.to_key_string());
        self.store.update(|tx| tx.put(LEDGER_KEY, origin, &to_json(&*text)?))?;
        self.backup()?;
        Ok(signer)
    }

    /// The checkpoint signing key for ledger `origin`, if this wallet holds one.
    pub fn existing_ledger_signer(&self, origin: &str) -> Result<Option<NoteSigner>, WalletError> {
        let Some(b) = self.store.get(LEDGER_KEY, origin)? else { return Ok(None) };
        let text: Zeroizing<String> = Zeroizing::new(
            serde_json::from_slice(&b).map_err(|_| WalletError::Tampered("ledger key record".into()))?,
        );
        NoteSigner::from_key_string(&text).map(Some).map_err(|e| WalletError::Invalid(e.to_string()))
    }

    // ---- credentials ----

    /// Stores a received credential; returns its record id.
    pub fn store_credential(&self, credential: &Value) -> Result<String, WalletError> {
        let id = credential
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| content_id(credential));
        self.store.update(|tx| tx.put(CREDENTIAL, &id, &to_json(credential)?))?;
        Ok(id)
    }

    /// Every stored credential, by id.
    pub fn credentials(&self) -> Result<Vec<(String, Value)>, WalletError> {
        self.store
            .list(CREDENTIAL)?
            .iter()
            .map(|(id, b)| Ok((id.clone(), from_json(CREDENTIAL, id, b)?)))
            .collect()
    }

    /// One stored credential.
    pub fn credential(&self, id: &str) -> Result<Value, WalletError> {
        self.record(CREDENTIAL, "credential", id)
    }

    /// Deletes a stored credential.
    pub fn delete_credential(&self, id: &str) -> Result<(), WalletError> {
        self.credential(id)?;
        self.store.update(|tx| tx.delete(CREDENTIAL, id))?;
        Ok(())
    }

    pub(crate) fn key_for(
        &self,
        did: &str,
        key_type: KeyType,
    ) -> Result<(DidRecord, String, SecretKey), WalletError> {
        let record = self.did(did)?;
        if record.status != DidStatus::Active {
            return Err(WalletError::DidState(format!("{did} is not active")));
        }
        for id in record.keys.clone() {
            if PublicKey::from_multikey(&id)?.key_type() == key_type {
                let key = self.signing_key(&id)?;
                return Ok((record, id, key));
            }
        }
        Err(WalletError::Invalid(format!("{did} has no {} key", key_type.name())))
    }

    /// Issues `credential` as `issuer` (a DID of this wallet) with `suite`;
    /// sets `issuer` and records what was signed.
    pub async fn issue(&self, credential: &Value, issuer: &str, suite: Suite) -> Result<Value, WalletError> {
        let (record, key_id, key) = self.key_for(issuer, suite_key_type(suite))?;
        let mut credential = credential.clone();
        credential["issuer"] = json!(issuer);
        let signed =
            proof::add_proof(&credential, &key, &ProofOptions::assertion(suite, record.method_id(&key_id)))
                .await?;
        let issued = IssuedRecord {
            id: signed
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| content_id(&signed)),
            issuer: issuer.to_owned(),
            key: key_id,
            types: signed
                .get("type")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            status: signed.get("credentialStatus").cloned(),
            issued: Utc::now(),
        };
        self.store.update(|tx| tx.put(ISSUED, &issued.id, &to_json(&issued)?))?;
        Ok(signed)
    }

    /// Everything this wallet issued.
    pub fn issued(&self) -> Result<Vec<IssuedRecord>, WalletError> {
        self.store.list(ISSUED)?.iter().map(|(id, b)| from_json(ISSUED, id, b)).collect()
    }

    /// A presentation of `credentials` by `holder` (a DID of this wallet),
    /// signed for authentication with the verifier's `challenge` and `domain`.
    pub async fn present(
        &self,
        holder: &str,
        credentials: &[Value],
        challenge: Option<&str>,
        domain: Option<&str>,
        suite: Suite,
    ) -> Result<Value, WalletError> {
        let (record, key_id, key) = self.key_for(holder, suite_key_type(suite))?;
        let presentation = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": credentials,
        });
        let mut options = ProofOptions::assertion(suite, record.method_id(&key_id));
        options.proof_purpose = ProofPurpose::Authentication;
        options.challenge = challenge.map(str::to_owned);
        options.domain = domain.map(str::to_owned);
        Ok(proof::add_proof(&presentation, &key, &options).await?)
    }

    // ---- backups and recovery ----

    /// The folder automatic backups go to.
    pub fn backup_dir(&self) -> PathBuf {
        self.dir.join("backups")
    }

    /// Writes a backup of the current state to the backup folder (encrypted
    /// to the root's backup identity), read back after writing. Returns its
    /// path.
    pub fn backup(&self) -> Result<PathBuf, WalletError> {
        let (generation, records) = self.store.export()?;
        let path = self.backup_dir().join(format!("backup-{generation:010}.age"));
        let contents = backup::contents(&self.store.wallet_id(), generation, records, None);
        backup::write(&path, &contents, &BackupKey::Root(&self.root))?;
        Ok(path)
    }

    /// Writes a backup to `path`, encrypted to the root (default) or to a
    /// passphrase (the backup then carries the root). Refuses to overwrite.
    pub fn backup_to(&self, path: &Path, passphrase: Option<&[u8]>) -> Result<(), WalletError> {
        if path.exists() {
            return Err(WalletError::Exists(path.display().to_string()));
        }
        let (generation, records) = self.store.export()?;
        let (root, key) = match passphrase {
            Some(p) => (Some(&self.root), BackupKey::Passphrase(p)),
            None => (None, BackupKey::Root(&self.root)),
        };
        let contents = backup::contents(&self.store.wallet_id(), generation, records, root);
        backup::write(path, &contents, &key)
    }

    /// The newest backup in the backup folder.
    pub fn newest_backup(dir: &Path) -> Option<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("backups"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "age"))
            .collect();
        files.sort();
        files.pop()
    }

    /// Rebuilds a wallet in `dir` from its root secret (from shares) and a
    /// backup, under a new passphrase. When a wallet already exists there it
    /// must be this wallet, and a backup older than its state is refused
    /// unless `force`.
    pub fn restore(
        dir: &Path,
        root: &RootSecret,
        backup_file: &Path,
        passphrase: &[u8],
        kdf: Option<KdfParams>,
        force: bool,
    ) -> Result<Wallet, WalletError> {
        let bytes = std::fs::read(backup_file).map_err(crate::error::io(backup_file))?;
        let contents = backup::open(&bytes, &BackupKey::Root(root))?;
        Self::restore_contents(dir, root, contents, passphrase, kdf, force)
    }

    /// [`Wallet::restore`] from a passphrase-encrypted backup (which carries
    /// the root).
    pub fn restore_with_passphrase(
        dir: &Path,
        backup_file: &Path,
        backup_passphrase: &[u8],
        passphrase: &[u8],
        kdf: Option<KdfParams>,
        force: bool,
    ) -> Result<Wallet, WalletError> {
        let bytes = std::fs::read(backup_file).map_err(crate::error::io(backup_file))?;
        let contents = backup::open(&bytes, &BackupKey::Passphrase(backup_passphrase))?;
        let hex_root =
            contents.root.clone().ok_or_else(|| WalletError::Backup("this backup carries no root".into()))?;
        let bytes = Zeroizing::new(
            (0..hex_root.len() / 2)
                .map(|i| u8::from_str_radix(hex_root.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| WalletError::Backup("malformed root".into()))?,
        );
        let root = RootSecret::from_bytes(&bytes)?;
        Self::restore_contents(dir, &root, contents, passphrase, kdf, force)
    }

    fn restore_contents(
        dir: &Path,
        root: &RootSecret,
        contents: backup::BackupContents,
        passphrase: &[u8],
        kdf: Option<KdfParams>,
        force: bool,
    ) -> Result<Wallet, WalletError> {
        let path = db_path(dir);
        let store = if path.exists() {
            // The existing wallet: opened with the root (it may be tampered:
            // restoring is how it is repaired, so the MAC is not required).
            let store = match Store::open_with_root(&path, root) {
                Ok(s) => s,
                Err(WalletError::Tampered(_)) => Store::open_unchecked(&path, root)?,
                Err(e) => return Err(e),
            };
            if hex(&store.wallet_id()) != contents.wallet_id {
                return Err(WalletError::Backup("the backup belongs to another wallet".into()));
            }
            let current = store.generation()?;
            if contents.generation < current && !force {
                return Err(WalletError::StaleBackup { backup: contents.generation, wallet: current });
            }
            store.replace_all(contents.generation, &contents.records)?;
            let params = KdfParams::or_calibrated(kdf)?;
            store.change_passphrase(root, passphrase, &params)?;
            store
        } else {
            make_private_dir(dir)?;
            let params = KdfParams::or_calibrated(kdf)?;
            let store = Store::create_with_id(&path, passphrase, &params, root, &contents.wallet_id)?;
            store.replace_all(contents.generation, &contents.records)?;
            store
        };
        store.verify()?;
        let wallet = Wallet { store, root: root.clone(), dir: dir.to_owned() };
        wallet.backup()?;
        Ok(wallet)
    }

    /// The leak-recovery procedure, after `did`'s keys (or the whole unlocked
    /// wallet) leaked. Because every signing key derives from the Wallet Root
    /// Secret, a leak of the wallet is a leak of all its keys, so this:
    /// 1. marks every current signing key compromised (never signed with again);
    /// 2. re-keys the wallet: a new root, every record re-encrypted, the root
    ///    re-wrapped under `passphrase`;
    /// 3. rotates every active DID of the wallet (with `did` first) with the
    ///    cold `rrs`: new verification methods from the new root, a new
    ///    pre-rotation commitment; the leaked methods are gone from the
    ///    documents;
    /// 4. lists what the leaked keys signed, to revoke;
    /// 5. re-publishes the wallet's status lists on the ledger
    ///    ([`Wallet::republish_status_lists`]): signed with the new keys, and
    ///    the leaked resource keys spent.
    ///
    /// The caller splits `new_root` into new shares.
    pub async fn compromise<L: Ledger>(
        &mut self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        passphrase: &[u8],
        kdf: Option<KdfParams>,
    ) -> Result<CompromiseReport, WalletError> {
        let new_root = self.compromise_rekey(rrs, did, passphrase, kdf)?;
        let (rotated, to_revoke) = self.compromise_rotate(ledger, rrs, did).await?;
        let status_lists = self.republish_status_lists(ledger).await?;
        let leaked_keys = self.keys()?.into_iter().filter(|k| k.compromised).map(|k| k.id).collect();
        Ok(CompromiseReport { leaked_keys, rotated, to_revoke, status_lists, new_root })
    }

    /// Steps 1 and 2 of [`Wallet::compromise`], in one transaction: every
    /// current key marked compromised, a new epoch, every record re-sealed
    /// under a new root wrapped by `passphrase`. A crash leaves the old
    /// wallet or the re-keyed one. Returns the new root (split it now).
    pub fn compromise_rekey(
        &mut self,
        rrs: &RootSecret,
        did: &str,
        passphrase: &[u8],
        kdf: Option<KdfParams>,
    ) -> Result<RootSecret, WalletError> {
        self.check_rrs(rrs)?;
        self.did(did)?;
        let params = KdfParams::or_calibrated(kdf)?;
        let mut meta = self.meta()?;
        meta.epoch += 1;
        meta.next_key.clear();
        let meta_json = to_json(&meta)?;
        let marked = self
            .keys()?
            .into_iter()
            .map(|mut k| {
                k.compromised = true;
                Ok((k.id.clone(), to_json(&k)?))
            })
            .collect::<Result<Vec<_>, WalletError>>()?;
        let mut updates: Vec<(&str, &str, &[u8])> =
            marked.iter().map(|(id, b)| (KEY, id.as_str(), &b[..])).collect();
        updates.push((META, "wallet", &meta_json));
        let new_root = RootSecret::generate();
        self.store.rekey(&new_root, passphrase, &params, &updates)?;
        self.root = new_root.clone();
        self.backup()?;
        Ok(new_root)
    }

    /// Steps 3 and 4 of [`Wallet::compromise`] (run again after a failure:
    /// DIDs already rotated to the current keys are skipped): every active
    /// DID still listing a compromised key, `did` first, rotated to new keys
    /// of the current root; and what the compromised keys signed.
    pub async fn compromise_rotate<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
    ) -> Result<(Vec<(String, String)>, Vec<IssuedRecord>), WalletError> {
        self.check_rrs(rrs)?;
        let compromised: Vec<String> =
            self.keys()?.into_iter().filter(|k| k.compromised).map(|k| k.id).collect();
        let mut dids: Vec<DidRecord> = self
            .dids()?
            .into_iter()
            .filter(|d| d.status == DidStatus::Active && d.keys.iter().any(|k| compromised.contains(k)))
            .collect();
        dids.sort_by_key(|d| d.did != did);
        let mut rotated = Vec::new();
        for d in dids {
            let types = d
                .keys
                .iter()
                .map(|k| Ok(PublicKey::from_multikey(k)?.key_type()))
                .collect::<Result<Vec<_>, WalletError>>()?;
            let new_keys = self.new_keys_for(&d.did, &types)?;
            let record = self
                .next_op(
                    ledger,
                    rrs,
                    &d.did,
                    "compromise",
                    Change { keys: Some(new_keys), ..Change::default() },
                )
                .await?;
            rotated.push((record.did.clone(), record.version_id.clone().unwrap_or_default()));
        }
        let to_revoke = self.issued()?.into_iter().filter(|i| compromised.contains(&i.key)).collect();
        Ok((rotated, to_revoke))
    }
}

pub(crate) fn content_id(v: &Value) -> String {
    use sha2::{Digest as _, Sha256};
    let canonical = serde_json_canonicalizer::to_vec(v).unwrap_or_default();
    format!("urn:sha256:{}", hex(&Sha256::digest(&canonical)))
}
