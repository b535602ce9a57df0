//! Recovery: rebuilding a wallet after key loss (the procedure after a key
//! leak is [`crate::compromise`]).
//!
//! Steps of [`Wallet::restore`] (and [`Wallet::restore_with_passphrase`]):
//! 1. decrypt the backup with the root (from SLIP-39 shares), or with its
//!    passphrase (the backup then carries the root);
//! 2. when the folder holds a wallet, check that it is this wallet and that
//!    the backup is not older than its state (unless forced);
//! 3. replace every record in one transaction, wrap the root under the new
//!    passphrase, check the store, back up.

use std::path::Path;

use crate::WalletError;
use crate::backup::{self, BackupKey};
use crate::error::BackupError;
use crate::kdf::KdfParams;
use crate::keys::{RootSecret, hex, unhex};
use crate::store::Store;
use crate::wallet::{StagedWallet, Wallet, db_path, make_private_dir, staging_dir};

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
            // A new wallet: built beside `dir` and renamed into place whole
            // (what killed attempts left beside it is removed first).
            StagedWallet::clear_abandoned(dir)?;
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
}
