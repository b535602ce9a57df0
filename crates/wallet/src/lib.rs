//! The didam holder wallet: an encrypted key store that survives key loss and
//! key leak (the two key threats of ITU-T X.1401).
//!
//! - [`store`]: one SQLite file (WAL, `synchronous=FULL`) in a folder of mode
//!   0700; every record sealed with XChaCha20-Poly1305 bound to wallet id,
//!   kind, id and version; a MAC over all record versions; the root wrapped
//!   by an Argon2id key ([`kdf`]) with calibrated, bounded parameters;
//! - [`keys`]: the Wallet Root Secret (hot) from which record keys and all
//!   signing keys derive, and the Rotation Root Secret (cold, never stored)
//!   from which DID update keys and their pre-rotation commitments derive;
//! - [`slip39`]: k-of-n shares (with groups) of either root;
//! - [`backup`]: age-format backups, made after every key change;
//! - [`Wallet`]: DIDs on a ledger (durable before public), credentials,
//!   issuing, presenting, restore and the compromise procedure;
//! - [`status`]: the status lists of what it issues (revoke, suspend,
//!   reinstate), published on the ledger or as files a daemon serves.
//!
//! ```
//! use didam_credential::KeyType;
//! use didam_ledger::EmbeddedLedger;
//! use didam_wallet::{InitOptions, KdfParams, Wallet};
//!
//! # futures::executor::block_on(async {
//! let dir = std::env::temp_dir().join(format!("didam-wallet-doc-{}", std::process::id()));
//! let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "example.test/ledger")?;
//! // Tests use the floor; real wallets calibrate (`kdf: None`).
//! let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
//! let (wallet, rotation_secret) = Wallet::init(&dir.join("wallet"), b"correct horse", &options)?;
//! let record = wallet.create_did(&ledger, "ledger.db", &rotation_secret, &[KeyType::Ed25519]).await?;
//! assert!(record.did.starts_with("did:didam:"));
//!
//! let reopened = Wallet::open(&dir.join("wallet"), b"correct horse")?;
//! assert_eq!(reopened.dids()?[0].did, record.did);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod backup;
pub mod controller;
mod error;
pub mod issuing;
pub mod kdf;
pub mod keys;
pub mod keystore;
pub mod operator;
pub mod recovery;
pub mod slip39;
pub mod status;
pub mod store;
mod wallet;

pub use controller::{PendingOp, Reconciled};
pub use error::{BackupError, WalletError};
pub use kdf::KdfParams;
pub use keys::RootSecret;
pub use keystore::{InitOptions, PassphraseSource};
pub use recovery::CompromiseReport;
pub use wallet::{DidRecord, DidStatus, IssuedRecord, KeyRecord, Wallet, db_path};
