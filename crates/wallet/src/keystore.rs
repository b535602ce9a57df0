//! Opening a wallet and what it keeps for itself: creating and unlocking
//! it, its passphrase, its signing keys, the credentials it received, and
//! its backups.
//!
//! Steps of [`Wallet::init`]: make the folder (mode 0700), generate the
//! Wallet Root Secret (stored, wrapped by the passphrase) and the Rotation
//! Root Secret (returned, never stored), write the wallet record, back up.
//! Every later key change backs up again ([`Wallet::backup`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use didam_credential::{KeyType, PublicKey, SecretKey};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::WalletError;
use crate::backup::{self, BackupKey};
use crate::kdf::KdfParams;
use crate::keys::RootSecret;
use crate::store::Store;
use crate::wallet::{
    CREDENTIAL, KEY, KeyRecord, META, Meta, Wallet, content_id, db_path, from_json, make_private_dir, to_json,
};
use crate::wallet::{StagedWallet, staging_dir};

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

/// Keys just allocated by [`Wallet::allocate_keys`]: a new slot of the
/// rotation hierarchy, the new public keys with their derivation indexes, and
/// the root epoch they derive from.
pub(crate) struct Allocated {
    pub(crate) slot: u64,
    pub(crate) keys: Vec<(u64, PublicKey)>,
    pub(crate) epoch: u32,
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

    /// Creates a wallet for `dir` in a temporary folder beside it (see
    /// [`StagedWallet`]): the caller writes the shares of its root and of the
    /// returned rotation secret, syncs them, then [`StagedWallet::commit`]s.
    /// A crash at any moment leaves no wallet at `dir`, or a complete one.
    /// `dir` must not exist or be an empty folder.
    pub fn init_staged(
        dir: &Path,
        passphrase: &[u8],
        options: &InitOptions,
    ) -> Result<(StagedWallet, RootSecret), WalletError> {
        if db_path(dir).exists() || std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(WalletError::Exists(dir.display().to_string()));
        }
        StagedWallet::clear_abandoned(dir)?;
        let staging = staging_dir(dir)?;
        let (wallet, rrs) = StagedWallet::build(&staging, || Wallet::init(&staging, passphrase, options))?;
        Ok((StagedWallet::new(wallet, staging, dir), rrs))
    }

    /// Opens and unlocks the wallet in `dir`.
    pub fn open(dir: &Path, passphrase: &[u8]) -> Result<Wallet, WalletError> {
        let (store, root) = Store::open(&db_path(dir), passphrase)?;
        Ok(Wallet { store, root, dir: dir.to_owned() })
    }

    /// Opens and unlocks the wallet in `dir` to read it only (the read
    /// commands: listing, showing, checking): nothing is created in `dir`,
    /// so a wallet whose folder this process cannot write is read; any
    /// change fails with [`WalletError::ReadOnly`] naming the folder.
    pub fn open_read_only(dir: &Path, passphrase: &[u8]) -> Result<Wallet, WalletError> {
        let (store, root) = Store::open_read_only(&db_path(dir), passphrase)?;
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

    /// Changes the passphrase: only the root's wrapping changes.
    pub fn change_passphrase(&self, new: &[u8], kdf: Option<KdfParams>) -> Result<(), WalletError> {
        let params = KdfParams::or_calibrated(kdf)?;
        self.store.change_passphrase(&self.root, new, &params)
    }

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

    /// Allocates a rotation slot and derivation indexes for `types` and
    /// returns the new public keys (records are written with the DID that
    /// lists them). Slots and indexes are fresh random values
    /// ([`crate::keys::fresh_index`]), never a counter a restored wallet
    /// could roll back: a wallet restored from an old backup cannot hand out
    /// again a slot or a key of a DID made after that backup.
    pub(crate) fn allocate_keys(&self, types: &[KeyType]) -> Result<Allocated, WalletError> {
        let epoch = self.meta()?.epoch;
        let slot = crate::keys::fresh_index();
        let indexes: Vec<(KeyType, u64)> = types.iter().map(|t| (*t, crate::keys::fresh_index())).collect();
        let keys = indexes
            .into_iter()
            .map(|(t, i)| Ok((i, self.root.signing_key(t, i)?.public_key())))
            .collect::<Result<Vec<_>, WalletError>>()?;
        Ok(Allocated { slot, keys, epoch })
    }

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

    /// A backup encrypted to the root, as bytes for a stream (`didam wallet
    /// backup --out -`), checked to decrypt to what was sealed.
    pub fn backup_bytes(&self) -> Result<Vec<u8>, WalletError> {
        let (generation, records) = self.store.export()?;
        let contents = backup::contents(&self.store.wallet_id(), generation, records, None);
        backup::sealed(&contents, &BackupKey::Root(&self.root))
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
}
