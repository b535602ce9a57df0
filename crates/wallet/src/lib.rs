//! The didam holder wallet: an encrypted key store that survives key loss and
//! key leak (the two key threats of ITU-T X.1401), the DIDs it controls on a
//! ledger, and what it issues and presents.
//!
//! Reach for [`Wallet`]: each job below adds its methods to it from its own
//! module, and the modules depend on each other in one direction only.
//!
//! | job | module | API |
//! |---|---|---|
//! | open, unlock, passphrase, signing keys, received credentials, backups | [`keystore`] | [`Wallet::init`], [`Wallet::open`], [`Wallet::open_read_only`] (a read-only folder), [`Wallet::unlock`] with a [`PassphraseSource`], [`Wallet::change_passphrase`], [`Wallet::keys`], [`Wallet::signing_key`], [`Wallet::store_credential`], [`Wallet::backup`], [`Wallet::backup_to`] |
//! | DIDs on a ledger, durable before public | [`controller`] | [`Wallet::create_did`], [`Wallet::create_did_key`], [`Wallet::rotate_did`], [`Wallet::update_did`], [`Wallet::deactivate_did`], [`Wallet::reconcile`], [`Wallet::pending`] |
//! | issue and present | [`issuing`] | [`Wallet::issue`], [`Wallet::issued`], [`Wallet::present`] |
//! | the issuer's status lists (revoke, suspend, reinstate) | [`status`] | [`Wallet::issue_with_status`], [`Wallet::set_status`], [`Wallet::issued_record`], [`Wallet::republish_status_lists`] |
//! | recovery from shares and a backup | [`recovery`] | [`Wallet::restore`], [`Wallet::restore_with_passphrase`] |
//! | the resumable compromise procedure after a leak, its journal | [`compromise`] | [`Wallet::compromise_begin`], [`Wallet::compromise_continue`], [`Wallet::compromise`], [`Wallet::compromise_journal`], each DID on its own ledger ([`DidLedgers`]) |
//! | the ledger is the truth: DID logs kept and backed up, resync, rollback checks | [`resync`] | [`Wallet::resync_did`], [`Wallet::did_log`], [`Wallet::republish_log`], [`Wallet::check_fresh`], [`Wallet::check_against_ledger`] |
//! | the ledger operator's checkpoint key | [`operator`] | [`Wallet::ledger_signer`], [`Wallet::existing_ledger_signer`] |
//! | the sealed SQLite store | [`store`] | [`store::Store`] |
//! | the root secrets and the key hierarchy | [`keys`], [`kdf`] | [`RootSecret`], [`KdfParams`] |
//! | k-of-n shares of a root | [`slip39`] | [`slip39::split`], [`slip39::combine`] |
//! | the age backup format | [`backup`] | [`backup::write`], [`backup::open`] |
//!
//! - [`store`]: one SQLite file (WAL, `synchronous=FULL`) in a folder of mode
//!   0700; every record sealed with XChaCha20-Poly1305 bound to wallet id,
//!   kind, id and version; a MAC over all record versions; the root wrapped
//!   by an Argon2id key ([`kdf`]) with calibrated, bounded parameters;
//! - [`keys`]: the Wallet Root Secret (hot) from which record keys and all
//!   signing keys derive, and the Rotation Root Secret (cold, never stored)
//!   from which DID update keys and their pre-rotation commitments derive.
//!
//! Errors are [`WalletError`]; a failure of SQLite, of the status-list codec,
//! of the ledger or of age stays its `source()`.
//!
//! **Sync and async.** Methods that only touch the store are sync. Methods
//! that sign (the proof suites are async) or talk to a ledger are async and
//! run short SQLite transactions between their awaits: a server runs them on
//! its blocking pool (as `didam-resolver` does for issuing). An operation
//! whose entry must wait for the next second (entry times are whole seconds,
//! strictly increasing) awaits a Tokio timer: run DID and status-list
//! operations on a Tokio runtime with the time driver; the wallet never
//! blocks a thread to wait and creates no runtime.
//!
//! ```
//! use didam_credential::KeyType;
//! use didam_ledger::EmbeddedLedger;
//! use didam_wallet::{DidStatus, InitOptions, KdfParams, Wallet};
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
//! # runtime.block_on(async {
//! let dir = std::env::temp_dir().join(format!("didam-wallet-doc-{}", std::process::id()));
//! let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "example.test/ledger")?;
//! // Tests use the floor; real wallets calibrate (`kdf: None`).
//! let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
//! let (wallet, rotation_secret) = Wallet::init(&dir.join("wallet"), b"correct horse", &options)?;
//! let record = wallet.create_did(&ledger, "ledger.db", &rotation_secret, &[KeyType::Ed25519]).await?;
//! assert!(record.did.starts_with("did:didam:"));
//! assert_eq!(record.status, DidStatus::Active);
//!
//! // Within the same second: the rotation waits for the next one on a timer.
//! let rotated = wallet.rotate_did(&ledger, &rotation_secret, &record.did).await?;
//! assert_eq!(rotated.update_n, 1);
//!
//! let reopened = Wallet::open(&dir.join("wallet"), b"correct horse")?;
//! assert_eq!(reopened.dids()?[0].did, record.did);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod anchoring;
pub mod backup;
pub mod compromise;
pub mod controller;
mod error;
pub mod issuing;
pub mod kdf;
pub mod keys;
pub mod keystore;
pub mod operator;
pub mod recovery;
pub mod resync;
pub mod slip39;
pub mod status;
pub mod store;
mod wallet;

pub use compromise::{CompromiseJournal, CompromiseReport, HandoverOutcome, OperatorHandover};
pub use controller::{PendingOp, Reconciled, check_control};
pub use error::{BackupError, WalletError};
pub use kdf::KdfParams;
pub use keys::RootSecret;
pub use keystore::{InitOptions, PassphraseSource};
pub use resync::{DidLog, Resynced};
pub use wallet::{
    DidLedgers, DidRecord, DidStatus, IssuedRecord, KeyRecord, PendingShare, StagedWallet, Wallet, db_path,
};
