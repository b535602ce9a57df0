//! Recovery: rebuilding a wallet after key loss, and the compromise
//! procedure after a key leak.
//!
//! Steps of [`Wallet::restore`] (and [`Wallet::restore_with_passphrase`]):
//! 1. decrypt the backup with the root (from SLIP-39 shares), or with its
//!    passphrase (the backup then carries the root);
//! 2. when the folder holds a wallet, check that it is this wallet and that
//!    the backup is not older than its state (unless forced);
//! 3. replace every record in one transaction, wrap the root under the new
//!    passphrase, check the store, back up.
//!
//! Steps of [`Wallet::compromise`]: 1. mark every current key compromised;
//! 2. re-key the wallet; 3. rotate every DID with the cold rotation secret;
//! 4. list what the leaked keys signed; 5. re-publish the status lists
//! (details on the method).

use std::path::Path;

use didam_credential::PublicKey;
use didam_ledger::Ledger;

use crate::WalletError;
use crate::backup::{self, BackupKey};
use crate::controller::Change;
use crate::error::BackupError;
use crate::kdf::KdfParams;
use crate::keys::{RootSecret, hex, unhex};
use crate::store::Store;
use crate::wallet::{
    DidRecord, DidStatus, IssuedRecord, KEY, META, StagedWallet, Wallet, db_path, make_private_dir,
    staging_dir, to_json,
};

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

impl Wallet {
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
        let hex_root = contents.root.clone().ok_or(BackupError::NoRoot)?;
        let bytes = unhex(&hex_root).ok_or(BackupError::MalformedField("root"))?;
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
                return Err(BackupError::OtherWallet.into());
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
            // A new wallet: built beside `dir` and renamed into place whole.
            let staging = staging_dir(dir)?;
            let wallet = StagedWallet::build(&staging, || {
                make_private_dir(&staging)?;
                let params = KdfParams::or_calibrated(kdf)?;
                let store = Store::create_with_id(
                    &db_path(&staging),
                    passphrase,
                    &params,
                    root,
                    &contents.wallet_id,
                )?;
                store.replace_all(contents.generation, &contents.records)?;
                store.verify()?;
                let wallet = Wallet { store, root: root.clone(), dir: staging.clone() };
                wallet.backup()?;
                Ok(wallet)
            })?;
            return StagedWallet::new(wallet, staging, dir).commit();
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
