//! The didam ledger: X.1403's identity trust vault.
//!
//! An append-only log whose leaves are DID log entries (`didam_method::log`,
//! the did:webvh 1.0 structure), hashed into an RFC 9162 Merkle tree ([`merkle`]), with
//! checkpoints published as C2SP signed notes ([`note`]). Backends implement
//! [`Ledger`]; [`EmbeddedLedger`] keeps everything in one SQLite file,
//! `EtcdLedger` (cargo feature `etcd`, module `etcd`) keeps it in an etcd
//! cluster served by several daemons, `HttpLedger` (cargo feature `http`)
//! is a client of a daemon's ledger API, `AnyLedger` (cargo feature `any`,
//! module `any`) opens any of them by location for the front ends, and
//! `conformance` (cargo feature `conformance`, for tests) is the suite every
//! backend passes.
//!
//! ```
//! use didam_credential::{KeyType, SecretKey};
//! use didam_method::log::{self, EntryDraft, Method};
//! use didam_ledger::{EmbeddedLedger, Ledger, note::NoteSigner};
//! use serde_json::json;
//!
//! # futures::executor::block_on(async {
//! let dir = std::env::temp_dir().join(format!("didam-ledger-doc-{}", std::process::id()));
//! let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "example.test/ledger")?;
//!
//! // A new did:didam: its update key, and a commitment to the next one.
//! let (key, next) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
//! let mut parameters = serde_json::Map::new();
//! parameters.insert("updateKeys".into(), json!([key.public_key().to_multikey()]));
//! parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&next.public_key().to_multikey())]));
//! let draft = EntryDraft {
//!     parameters,
//!     document: json!({ "@context": ["https://www.w3.org/ns/did/v1"], "id": "did:didam:{SCID}" }),
//!     version_time: chrono::Utc::now(),
//! };
//! let entry = log::create_entry(Method::Didam, draft, &key).await?;
//! let receipt = ledger.append(&entry).await?;
//!
//! // The ledger signs a checkpoint; the entry is provably in it.
//! let signer = NoteSigner::new("example.test/ledger", SecretKey::generate(KeyType::Ed25519))?;
//! let checkpoint = ledger.checkpoint(&signer).await?;
//! let proof = ledger.inclusion_proof(receipt.leaf_index, checkpoint.size).await?;
//! let leaf = didam_ledger::merkle::leaf_hash(&ledger.leaf(receipt.leaf_index).await?);
//! didam_ledger::merkle::verify_inclusion(&leaf, receipt.leaf_index, checkpoint.size, &proof, &checkpoint.root)?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod admission;
#[cfg(feature = "any")]
pub mod any;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod cosign;
#[cfg(feature = "etcd")]
pub mod etcd;
pub mod file;
pub mod handover;
#[cfg(feature = "http")]
pub mod http;
mod ledger;
pub mod merkle;
pub mod note;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod tips;

pub use admission::{AdmissionLimits, LimitError, LogBudget};
#[cfg(feature = "any")]
pub use any::{AnyLedger, LedgerLocation, OpenOptions};
#[cfg(feature = "etcd")]
pub use etcd::{EtcdConfig, EtcdLedger};
#[cfg(feature = "http")]
pub use http::HttpLedger;
pub use ledger::{
    Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof, TipRecord, parse_tips_extension,
    tips_extension,
};
#[cfg(feature = "sqlite")]
pub use sqlite::EmbeddedLedger;
