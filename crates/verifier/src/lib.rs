//! The didam verifier: decides whether to trust a credential or presentation.
//!
//! A [`Verifier`] holds how DIDs are resolved, a verification [`Policy`] and
//! where status lists come from ([`StatusSource`]). It checks input in every
//! format of the credential engine (`didam-credential`): Data Integrity proofs
//! of every supported suite, VC-JOSE `vc+jwt`, SD-JWT and COSE. It returns the
//! two levels of the engine: `Err(Error)` when the input could not be checked
//! (including a status list that could not be fetched), `Ok(Report)` with
//! every check, passed, failed or not applicable, and why.
//!
//! Which API for which job:
//!
//! | job | call |
//! |---|---|
//! | verify a credential | [`Verifier::verify_credential`] |
//! | verify a presentation, with challenge and domain | [`Verifier::verify_presentation`] |
//! | trust, suites, required status, ages, clock skew | [`Policy`] ([`Policy::from_file`]), [`Verifier::with_policy`] |
//! | check status lists | [`Verifier::with_status_source`] with a [`StatusSource`] |
//! | reuse verified status lists for a bounded time | [`Verifier::with_status_list_cache`], [`StatusListCacheOptions`] |
//! | issue a status list, revoke, suspend (the engine's) | [`didam_credential::status_list::StatusListIssuer`] |
//! | the networked verifier of the front ends: registry keys, status lists from the ledger or HTTPS (feature `net`) | `Verifier::networked` with `NetworkOptions` |
//!
//! ```
//! use didam_credential::{did::{self, OfflineResolver}, proof, KeyType, ProofOptions, SecretKey, Suite};
//! use didam_verifier::Verifier;
//! use serde_json::json;
//!
//! # futures::executor::block_on(async {
//! let key = SecretKey::generate(KeyType::Ed25519);
//! let (issuer, method) = did::did_key(&key.public_key());
//! let credential = json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
//!     "type": ["VerifiableCredential", "ExampleDegreeCredential"],
//!     "issuer": issuer,
//!     "validFrom": "2025-01-01T00:00:00Z",
//!     "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
//! });
//! let signed = proof::add_proof(&credential, &key, &ProofOptions::assertion(Suite::EddsaRdfc2022, method)).await?;
//!
//! let verifier = Verifier::new(OfflineResolver).with_clock_skew(60);
//! let report = verifier.verify_credential(&signed.to_string()).await?;
//! assert!(report.is_valid(), "{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! With a status list and a policy: the issuer allocates a random index,
//! puts the entry in the credential, signs and publishes the list, and revokes.
//!
//! ```
//! use didam_credential::{did::{self, OfflineResolver}, proof, CheckKind, KeyType, ProofOptions, SecretKey, Suite};
//! use didam_credential::status_list::{StatusListIssuer, StatusPurpose};
//! use didam_verifier::status::StaticStatusSource;
//! use didam_verifier::{Policy, Verifier};
//! use serde_json::json;
//!
//! # futures::executor::block_on(async {
//! let key = SecretKey::generate(KeyType::Ed25519);
//! let (issuer, method) = did::did_key(&key.public_key());
//! let options = ProofOptions::assertion(Suite::EddsaJcs2022, method);
//! let url = "https://issuer.example/status/1";
//! let mut list = StatusListIssuer::new(url, StatusPurpose::Revocation)?;
//! let index = list.allocate()?;
//! let credential = json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2"],
//!     "type": ["VerifiableCredential"],
//!     "issuer": issuer,
//!     "credentialSubject": { "id": "did:example:alice", "name": "Alice" },
//!     "credentialStatus": list.entry(index)?,
//! });
//! let signed = proof::add_proof(&credential, &key, &options).await?.to_string();
//!
//! let policy = Policy::from_toml_str(&format!("trusted_issuers = [\"{issuer}\"]\nrequire_status = true"))?;
//! let unsigned = list.credential(&issuer, chrono::Utc::now(), None);
//! let source = StaticStatusSource::new().with(url, proof::add_proof(&unsigned, &key, &options).await?);
//! let verifier = Verifier::new(OfflineResolver).with_policy(policy.clone()).with_status_source(source);
//! assert!(verifier.verify_credential(&signed).await?.is_valid());
//!
//! list.revoke(index)?;
//! let unsigned = list.credential(&issuer, chrono::Utc::now(), None);
//! let source = StaticStatusSource::new().with(url, proof::add_proof(&unsigned, &key, &options).await?);
//! let verifier = Verifier::new(OfflineResolver).with_policy(policy).with_status_source(source);
//! let report = verifier.verify_credential(&signed).await?;
//! assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Status));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "net")]
pub mod anchored;
mod cache;
mod checks;
mod error;
#[cfg(feature = "net")]
mod network;
pub mod policy;
pub mod status;
mod verifier;

pub use cache::MethodCache;
pub use didam_credential::verify::Input;
pub use didam_credential::{Check, CheckKind, Error, Outcome, Report};
pub use error::{FetchError, InvalidDuration, PolicyError, UnknownFormat};
#[cfg(feature = "net")]
pub use network::{NetworkOptions, NetworkStatusSource};
pub use policy::{KeyBinding, Policy, RequiredSecurity};
pub use status::{StatusListCacheOptions, StatusListCacheStats, StatusSource};
pub use verifier::{MAX_STATUS_ENTRIES, Verifier};
