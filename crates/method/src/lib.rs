//! The did:didam and did:webvh log rule, with no I/O: what a DID log entry is,
//! how it is hashed and chained, how its SCID is derived, which keys may sign
//! the next entry (pre-rotation), when witnesses must approve, and how a new
//! entry is built and signed. The ledger's append rule and every resolver's
//! replay call this one code.
//!
//! Which API for which job:
//!
//! | job | call |
//! |---|---|
//! | parse a did:didam DID | [`DidamDid::parse`] (or `str::parse`) |
//! | read a log entry from JSON or a stored line | [`LogEntry::parse`] (or `str::parse`) |
//! | build the first entry of a new DID | [`entry::create_entry`] with [`entry::document_with_keys`] |
//! | build the entry that follows a tip | [`entry::next_entry`] |
//! | a document service from `id=type=endpoint` | [`entry::Service`] (`str::parse`) |
//! | check one entry against the state before it | [`log::verify_entry`] |
//! | check a whole log (and its witnesses) | [`log::verify_log`], [`log::verify_log_with_witnesses`] |
//! | the pre-rotation commitment to a key | [`log::key_hash`] |
//! | why keys left, and each key's history by ledger position | [`history::KeyHistory`] |
//!
//! ```
//! use didam_credential::{KeyType, SecretKey};
//! use didam_method::{entry, log};
//!
//! # futures::executor::block_on(async {
//! let (update, next, signing) =
//!     (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
//! let document = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
//! let (did, first) = entry::create_entry(&update, &next.public_key(), document, chrono::Utc::now()).await?;
//!
//! // The entry verifies as the first of the DID's log and commits to `next`.
//! let state = log::verify_entry(log::Method::Didam, None, first.json(), chrono::Utc::now()).await?;
//! assert_eq!(state.did, did.as_str());
//! assert_eq!(state.next_key_hashes(), vec![log::key_hash(&next.public_key().to_multikey())]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! See: `specs/did-didam.md` and <https://identity.foundation/didwebvh/v1.0/>.

mod did;
pub mod entry;
mod error;
pub mod history;
pub mod log;
mod log_entry;
pub mod witness;

pub use did::DidamDid;
pub use error::EntryError;
pub use log_entry::{LogEntry, MalformedEntry};
