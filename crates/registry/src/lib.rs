//! The `did:didam` method on a didam ledger, and DID resolution that checks the
//! ledger's proofs.
//!
//! - [`operations`]: the DID operations (`create`, `update`, `rotate`,
//!   `deactivate`) that build an entry with `didam_method` and write it
//!   through any [`didam_ledger::Ledger`];
//! - [`resolve()`]: checkpoint signature → consistency with the checkpoints
//!   this client kept ([`CheckpointStore`]) → inclusion proof → log replay;
//! - [`Resolver`] ([`any`]): every supported method behind one call, for the
//!   front ends, and [`Resolver::dereference`] of resource DID URLs;
//! - [`resource`]: resources of a DID on the ledger (status lists): publish
//!   and dereference with the ledger's proofs;
//! - [`anchor`]: anchoring batches of digests as one ledger entry, and
//!   proofs of it that verify offline against the ledger's key;
//! - [`CheckpointStore`]: the checkpoints a client has seen of each ledger,
//!   and the ledger operator's key pinned on first use
//!   ([`CheckpointStore::pin_operator`]);
//! - with the `net` feature: `did:web`/`did:webvh` over HTTPS (module `web`),
//!   and a client of another resolver's DID Resolution HTTP binding (module
//!   `client`). A remote daemon's ledger is `didam_ledger::HttpLedger`,
//!   behind the same [`didam_ledger::Ledger`] trait.
//!
//! ```
//! use didam_credential::{KeyType, SecretKey};
//! use didam_ledger::{EmbeddedLedger, Ledger, note::NoteSigner};
//! use didam_method::entry;
//! use didam_registry::{CheckpointStore, ResolveOptions, operations, resolve};
//!
//! # futures::executor::block_on(async {
//! let dir = std::env::temp_dir().join(format!("didam-registry-doc-{}", std::process::id()));
//! let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "example.test/ledger")?;
//! let ledger_key = NoteSigner::new("example.test/ledger", SecretKey::generate(KeyType::Ed25519))?;
//!
//! let (update, next, signing) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
//! let document = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
//! let (did, _) = operations::create(&ledger, &update, &next.public_key(), document, chrono::Utc::now()).await?;
//! ledger.checkpoint(&ledger_key).await?;
//!
//! let store = CheckpointStore::new(dir.join("checkpoints"));
//! let resolved = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &ResolveOptions::default()).await?;
//! assert_eq!(resolved.state.did, did.as_str());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod anchor;
pub mod any;
mod checkpoints;
#[cfg(feature = "net")]
pub mod client;
mod error;
pub mod operations;
mod resolve;
pub mod resource;
#[cfg(feature = "net")]
pub mod web;

pub use any::Resolver;
pub use checkpoints::{CheckpointSignature, CheckpointStore, OpenedCheckpoint, PinEvent, Pinned};
#[cfg(feature = "net")]
pub use error::ClientError;
pub use error::{Error, PinError};
pub use resolve::{ResolveOptions, Resolved, resolve};
pub use resource::{Dereferenced, ResourceUrl};
