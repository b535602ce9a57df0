//! What the handlers share.

use std::sync::{Arc, OnceLock};

use didam_ledger::AnyLedger;
use didam_ledger::note::NoteVerifier;
use didam_registry::Resolver;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Notify;

use didam_verifier::Verifier;

use crate::auth::Auth;
use crate::cache::ResolutionCache;
use crate::issuer::Issuer;
use crate::methods::DaemonMethods;
use crate::rate::RateLimiter;

/// The daemon's shared state.
#[derive(Debug)]
pub struct AppState {
    /// Resolves every supported method.
    pub resolver: Arc<Resolver<AnyLedger>>,
    /// The ledger the daemon serves.
    pub ledger: AnyLedger,
    /// The checkpoint verifier key, when the daemon signs checkpoints.
    pub verifier: Option<NoteVerifier>,
    /// The ML-DSA-44 checkpoint key, when the daemon's checkpoints carry
    /// an ML-DSA-44 cosignature too.
    pub pq_verifier: Option<NoteVerifier>,
    /// The resolution cache.
    pub cache: ResolutionCache,
    /// The per-client rate limit (`None`: off).
    pub rate: Option<Arc<RateLimiter>>,
    /// The per-client rate limit of ledger appends, keyed as [`Self::rate`]
    /// with a quota of its own (`None`: off).
    pub append_rate: Option<Arc<RateLimiter>>,
    /// The Prometheus recorder, when installed.
    pub metrics: Option<PrometheusHandle>,
    /// Woken after each new append (the sequencer listens).
    pub appended: Arc<Notify>,
    /// Verifies credentials and presentations for the VC API, resolving keys
    /// through [`Self::resolver`].
    pub credentials: Verifier<DaemonMethods>,
    /// The issuer wallet of `POST /credentials/issue`, when configured.
    pub issuer: Option<Issuer>,
    /// Who may issue and append ([`crate::auth`]).
    pub auth: Arc<Auth>,
    /// The OpenAPI document, set when the router is built.
    pub openapi: OnceLock<String>,
}
