//! The daemon's parsers, compiled on their own for the fuzz targets: the
//! very source files of `didam-resolver` (request parsing, problem types,
//! the targets' bodies), without the daemon around them. A fuzz build then
//! links the libraries these files use (`didam-registry` without its
//! network half, `didam-ledger`, `axum` without its server), not tokio,
//! hyper, reqwest, rustls, moka, utoipa, age or the wallet and verifier:
//! a cold build takes a fraction of the time (numbers in `scripts/fuzz`).
//!
//! `resolver/src/fuzzing.rs` uses only `crate::request` and
//! `crate::problem`, which is what keeps this possible; a target that needs
//! more of the daemon belongs in the daemon's tests instead.
#![allow(dead_code, unreachable_pub, missing_docs)]

#[path = "../../resolver/src/fuzzing.rs"]
pub mod fuzzing;
#[path = "../../resolver/src/problem.rs"]
pub mod problem;
#[path = "../../resolver/src/request.rs"]
pub mod request;
