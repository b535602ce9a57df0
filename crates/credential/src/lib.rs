//! The didam credential engine: the one place where credentials are signed and
//! verified.
//!
//! The wallet signs through this crate and the verifier checks through it. It
//! covers W3C VC Data Model 2.0 and 1.1 credentials and presentations, secured
//! with Data Integrity proofs ([`Suite`]: `eddsa-rdfc-2022`, `eddsa-jcs-2022`,
//! `ecdsa-rdfc-2019`, `ecdsa-jcs-2019`, `ecdsa-sd-2023`, `bbs-2023` (BBS over BLS12-381), `Ed25519Signature2020`, and the
//! quantum-safe `mldsa44-rdfc-2024` and `mldsa44-jcs-2024` with ML-DSA-44
//! keys: [`key`] and [`Suite`] say what is supported and what is not yet) or as VC-JOSE
//! compact JWS ([`jose`]), or as IETF SD-JWT VCs ([`sd_jwt_vc`], `dc+sd-jwt`, with key
//! binding); it also verifies W3C SD-JWT ([`sd_jwt`]) and COSE
//! ([`cose`]) credentials; and the offline DID methods `did:key` and `did:jwk`
//! ([`did`]). JSON-LD contexts are bundled ([`contexts`]); nothing is fetched.
//!
//! Which API for which job:
//!
//! | job | call |
//! |---|---|
//! | make a key | [`SecretKey::generate`] |
//! | its DID | [`did::did_key`], [`did::did_jwk`] |
//! | sign a credential | [`proof::add_proof`] with [`ProofOptions`] naming the suite, or [`jose::sign`] |
//! | issue for selective disclosure | [`ecdsa_sd::add_base_proof`] or [`bbs::add_base_proof`] (or [`proof::add_proof`] with [`Suite::EcdsaSd2023`] or [`Suite::Bbs2023`] and `mandatory_pointers`) |
//! | disclose part of a credential (holder) | [`selective::derive`] with [`selective::JsonPointer`]s (either suite) |
//! | issue an SD-JWT VC (`dc+sd-jwt`) | [`sd_jwt_vc::issue`], [`sd_jwt_vc::issue_batch`] |
//! | present one with key binding (holder) | [`sd_jwt_vc::present`] |
//! | verify anything | [`verify::verify_text`] → `Result<`[`verify::Verified`]`, `[`Error`]`>`: the [`Report`], the document checked, its signers |
//! | bound the work on hostile input | [`limits::Limits`] in [`verify::VerifyOptions::limits`]; [`limits::Cancellation`] |
//! | resolve a DID | [`did::DidResolver::resolve`] on [`did::OfflineResolver`] |
//!
//! Every input is held to [`limits::Limits`] (documented defaults: 256 KiB,
//! depth 32, 20,000 JSON values, 2,000 blank nodes, 16 proofs, 64 contexts,
//! 512 SD-JWT disclosures) before any expensive step, without recursion on
//! its depth; a document over a limit is [`Error::Limit`], naming the limit
//! and what was found. [`verify::VerifyOptions`] carries the limits (raise or
//! lower them there) and a [`limits::Cancellation`] flag that abandons the
//! verification at its next step.
//!
//! Verification has two levels: `Err(Error)` means the input could not be
//! checked (unreadable, unknown context, unresolvable DID, unknown suite);
//! `Ok(report)` means it was checked, and [`Report::is_valid`] tells the
//! verdict with every check listed. Each proof's `proof` check (and a JWS or
//! COSE `signature` check) says whether its signature is classical or
//! quantum-safe ([`Check::security`]).
//!
//! ```
//! use didam_credential::{did, proof, verify, KeyType, ProofOptions, SecretKey, Suite};
//! use serde_json::json;
//!
//! # futures::executor::block_on(async {
//! let key = SecretKey::generate(KeyType::Ed25519);
//! let (issuer, method) = did::did_key(&key.public_key());
//! let credential = json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2"],
//!     "type": ["VerifiableCredential"],
//!     "issuer": issuer,
//!     "credentialSubject": { "id": "did:example:alice", "name": "Alice" }
//! });
//! let signed = proof::add_proof(&credential, &key, &ProofOptions::assertion(Suite::EddsaJcs2022, method)).await?;
//!
//! let verified = verify::verify_text(&signed.to_string(), &did::OfflineResolver, &Default::default()).await?;
//! assert!(verified.report.is_valid());
//! assert_eq!(verified.issuer(), Some(issuer.as_str()));
//!
//! let mut tampered = signed.clone();
//! tampered["credentialSubject"]["name"] = json!("Mallory");
//! let verified = verify::verify_text(&tampered.to_string(), &did::OfflineResolver, &Default::default()).await?;
//! assert!(!verified.report.is_valid());
//!
//! let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
//! let refused = verify::verify_text(&format!("{{\"a\":{deep}}}"), &did::OfflineResolver, &Default::default()).await;
//! assert!(matches!(refused, Err(didam_credential::Error::Limit(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod bbs;
pub mod canon;
pub mod contexts;
pub mod cose;
pub mod credential;
pub mod did;
pub mod ecdsa_sd;
mod error;
mod expand;
mod identifier;
pub mod jose;
pub mod key;
pub mod limits;
pub mod proof;
pub mod related_resource;
mod report;
pub mod sd_jwt;
pub mod sd_jwt_vc;
pub mod selective;
pub mod status_list;
mod suite;
pub mod token_status_list;
pub mod verify;

pub use error::{Error, KeyError, ResolveError, SelectiveError, StatusError};
pub use identifier::{Did, DidUrl, InvalidDid};
pub use key::{KeyType, PublicKey, SecretKey, Security};
pub use proof::ProofOptions;
pub use report::{Check, CheckKind, Outcome, Report, Securing};
pub use suite::{Canonicalization, Suite, UnknownSuite};
