//! `didam-resolver`: the didam daemon. A thin HTTP front end over the
//! libraries:
//!
//! - the W3C DID Resolution HTTP binding (`/1.0/identifiers/{did}`) for
//!   `did:key`, `did:jwk`, `did:didam`, `did:web` and `did:webvh`, through
//!   [`didam_registry::Resolver`] and a cache ([`cache`]);
//! - the ledger API (`/ledger/v1/…`) that [`didam_ledger::HttpLedger`]
//!   clients use, with a sequencer that signs checkpoints ([`sequencer`]);
//! - the W3C CCG VC API ([`vc_api`]): `POST /credentials/verify` and
//!   `POST /presentations/verify` through [`didam_verifier::Verifier`] with
//!   keys resolved by the daemon itself ([`methods`]), and `POST
//!   /credentials/issue` with an issuer wallet ([`issuer`]), for callers
//!   [`auth`] lets in (hashed bearer tokens, the daemon's own OAuth 2.0 token
//!   endpoint, TLS client certificates; off until one is configured);
//! - operations: `/health`, `/metrics`, `/openapi.json`, rate limit, body and
//!   time limits, graceful shutdown.
//!
//! Which piece for which job: [`Config`] (defaults, TOML file, flags),
//! [`build_state`] then [`app`] for the router, [`serve`] to run it all.
//!
//! ```
//! use didam_resolver::{Config, app, build_state};
//!
//! let mut config = Config::default();
//! config.data_dir = std::env::temp_dir().join(format!("didam-resolver-doc-{}", std::process::id()));
//! let state = build_state(&config, None, None)?;
//! let router: axum::Router = app(state, &config);
//! # drop(router);
//! # std::fs::remove_dir_all(&config.data_dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod issuer;
pub mod ledger_api;
pub mod methods;
pub mod ops;
pub mod problem;
pub mod rate;
pub mod request;
pub mod resolution;
pub mod sequencer;
mod server;
pub mod state;
pub mod status_files;
pub mod tls;
pub mod vc_api;

pub use app::{app, openapi};
pub use config::Config;
pub use error::StartError;
pub use server::{build_state, build_state_on, install_metrics, load_signer, open_ledger, serve};
