//! Starting and stopping the daemon.
//!
//! Steps of [`serve`]:
//! 1. open the checkpoint key (if configured); bind plain HTTP on `--listen`
//!    (HTTPS there instead with `--tls-cert`, or HTTPS on `--tls-listen`
//!    besides; the default `--status-url` is the bound address, https when
//!    served);
//! 2. open the ledger (embedded file or etcd cluster), named by the key's
//!    origin, and build the shared state (resolver, cache, rate limit,
//!    metrics, issuer);
//! 3. print `listening on http://ADDR` and/or `listening on https://ADDR`
//!    (the bound addresses) on stdout, one line each;
//! 4. run the sequencer (with a key; on etcd only while this daemon holds
//!    the sequencer lease) and serve until SIGTERM or SIGINT;
//!    in-flight requests finish, then the sequencer signs a last checkpoint.

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::serve::IncomingStream;
use didam_ledger::note::NoteSigner;
use didam_ledger::{AnyLedger, EmbeddedLedger, LedgerLocation, OpenOptions};
use didam_registry::web::{WebFetcher, WebLimits};
use didam_registry::{CheckpointStore, Resolver};
use didam_verifier::Verifier;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::{Notify, watch};

use crate::auth::Auth;
use crate::cache::ResolutionCache;
use crate::config::Config;
use crate::error::StartError;
use crate::issuer::Issuer;
use crate::methods::DaemonMethods;
use crate::rate::RateLimiter;
use crate::state::AppState;
use didam_wallet::operator::keyfile;

use crate::{app, sequencer, tls};

/// Opens the configured checkpoint key, if any.
pub fn load_signer(config: &Config) -> Result<Option<NoteSigner>, StartError> {
    let Some(key) = &config.checkpoint_key else {
        return Ok(None);
    };
    let pass_file = config.checkpoint_key_passphrase_file.as_ref().ok_or(StartError::NoPassphrase)?;
    let passphrase = keyfile::read_passphrase(pass_file)?;
    Ok(Some(keyfile::open(key, passphrase)?))
}

/// Builds the shared state on the embedded ledger at the configured path
/// (see [`build_state_on`]). An etcd ledger needs [`open_ledger`] (async).
pub fn build_state(
    config: &Config,
    signer: Option<&NoteSigner>,
    metrics: Option<PrometheusHandle>,
) -> Result<Arc<AppState>, StartError> {
    let LedgerLocation::File(path) = config.ledger_location() else {
        let location = config.ledger_location();
        return Err(StartError::Setup(format!("{location}: open this ledger with open_ledger (async)")));
    };
    let origin = signer.map_or(config.origin.as_str(), NoteSigner::name);
    let ledger = EmbeddedLedger::open(&path, origin)
        .map_err(|source| StartError::Ledger { path, source })?
        .with_limits(config.admission_limits());
    build_state_on(config, signer, metrics, AnyLedger::from(ledger))
}

/// Opens the configured ledger, named by `signer`'s origin when there is
/// one: the embedded file, or the etcd cluster of an `etcd://` URL (whose
/// operator key it records, or checks, when `signer` is given).
pub async fn open_ledger(config: &Config, signer: Option<&NoteSigner>) -> Result<AnyLedger, StartError> {
    let origin = signer.map_or(config.origin.as_str(), NoteSigner::name);
    let location = config.ledger_location();
    let options = match &location {
        LedgerLocation::File(_) => OpenOptions::new(origin),
        LedgerLocation::Etcd(url) => etcd_options(config, url, origin)?,
        other => {
            return Err(StartError::Setup(format!(
                "{other}: the daemon serves a ledger file or an etcd cluster (etcd://…), not another daemon's ledger"
            )));
        }
    };
    let options = options.with_limits(config.admission_limits());
    let ledger_error = |source| StartError::Ledger { path: location.to_string().into(), source };
    let ledger = AnyLedger::open(&location, &options).await.map_err(ledger_error)?;
    #[cfg(feature = "etcd")]
    if let (Some(etcd), Some(signer)) = (ledger.etcd(), signer) {
        etcd.set_operator(&signer.verifier().to_vkey()).await.map_err(ledger_error)?;
    }
    Ok(ledger)
}

/// How to open the etcd ledger at `url`: the key prefix and TLS configured.
#[cfg(feature = "etcd")]
fn etcd_options(config: &Config, url: &str, origin: &str) -> Result<OpenOptions, StartError> {
    use didam_ledger::etcd::EtcdTls;
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| StartError::Read { path: path.to_owned(), source })
    };
    let options = OpenOptions::new(origin).with_etcd_prefix(&config.etcd_prefix);
    if let Some(ca) = &config.etcd_ca {
        let identity = match (&config.etcd_cert, &config.etcd_key) {
            (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
            (None, None) => None,
            _ => return Err(StartError::Setup("--etcd-cert and --etcd-key go together".into())),
        };
        Ok(options.with_etcd_tls(EtcdTls { ca_pem: read(ca)?, identity }))
    } else if url.starts_with("etcds://") {
        Err(StartError::Setup(format!("{url} needs --etcd-ca (the CA of the etcd members)")))
    } else {
        Ok(options)
    }
}

#[cfg(not(feature = "etcd"))]
fn etcd_options(_config: &Config, url: &str, _origin: &str) -> Result<OpenOptions, StartError> {
    Err(StartError::Setup(format!(
        "{url}: this didam-resolver was built without the `etcd` feature (cargo build --features etcd)"
    )))
}

/// Builds the shared state on `ledger`: the resolver of every method (of
/// `did:didam` only with a key to verify checkpoints against), the cache, the
/// rate limit, the VC API's verifier and the issuer wallet (when configured).
pub fn build_state_on(
    config: &Config,
    signer: Option<&NoteSigner>,
    metrics: Option<PrometheusHandle>,
    ledger: AnyLedger,
) -> Result<Arc<AppState>, StartError> {
    let web = WebFetcher::new(&WebLimits {
        connect_timeout: Duration::from_millis(config.web.connect_timeout_ms),
        timeout: Duration::from_millis(config.web.timeout_ms),
        max_bytes: config.web.max_bytes,
    })
    .map_err(|e| StartError::Setup(e.to_string()))?;
    let mut resolver = Resolver::new().with_web(web);
    let verifier = signer.map(NoteSigner::verifier);
    let pq_verifier = signer.and_then(NoteSigner::pq_verifier);
    if config.require_pq_checkpoints && pq_verifier.is_none() {
        return Err(StartError::NoPqKey);
    }
    if let Some(verifier) = &verifier {
        let store = CheckpointStore::new(config.data_dir.join("checkpoints"))
            .with_pq_key(pq_verifier.clone())
            .require_pq(config.require_pq_checkpoints);
        resolver = resolver.with_ledger(ledger.clone(), verifier.clone(), store);
    }
    let resolver = Arc::new(resolver);
    let cache = ResolutionCache::new(&config.cache);
    let credentials = Verifier::new(DaemonMethods::new(Arc::clone(&resolver), cache.clone()));
    Ok(Arc::new(AppState {
        resolver,
        ledger,
        verifier,
        pq_verifier,
        cache,
        rate: RateLimiter::new(config.rate_limit, config.rate_limit_burst, config.client_keys()?)
            .map(Arc::new),
        append_rate: RateLimiter::new(
            config.append_rate_limit,
            config.append_rate_limit_burst,
            config.client_keys()?,
        )
        .map(Arc::new),
        metrics,
        appended: Arc::new(Notify::new()),
        credentials,
        issuer: Issuer::load(config)?,
        auth: Arc::new(Auth::new(&config.auth, config.tls_cert.is_some())?),
        openapi: OnceLock::new(),
    }))
}

/// Installs the process-wide Prometheus recorder.
pub fn install_metrics() -> Result<PrometheusHandle, StartError> {
    const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];
    PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| StartError::Setup(format!("metrics: {e}")))
}

/// Resolves when SIGTERM or SIGINT arrives.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing in-flight requests");
}

/// The listeners of [`serve`]: plain HTTP, HTTPS, or both.
struct Listeners {
    plain: Option<tokio::net::TcpListener>,
    https: Option<(tokio::net::TcpListener, Arc<tokio_rustls::rustls::ServerConfig>)>,
}

impl Listeners {
    /// Binds `listen` (HTTPS when a certificate is configured and no
    /// `tls-listen`), and `tls-listen` (HTTPS).
    async fn bind(config: &Config) -> Result<Self, StartError> {
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls::server_config(cert, key, config.auth.client_ca.as_deref())?),
            (None, None) => None,
            _ => return Err(StartError::Setup("--tls-cert and --tls-key go together".into())),
        };
        let bind = async |addr: SocketAddr| {
            tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
        };
        let main = bind(config.listen).await?;
        Ok(match (tls, config.tls_listen) {
            (None, None) => Self { plain: Some(main), https: None },
            (None, Some(_)) => {
                return Err(StartError::Setup("--tls-listen needs --tls-cert and --tls-key".into()));
            }
            (Some(tls), Some(addr)) => Self { plain: Some(main), https: Some((bind(addr).await?, tls)) },
            (Some(tls), None) => Self { plain: None, https: Some((main, tls)) },
        })
    }

    /// The bound addresses, with their scheme.
    fn urls(&self) -> Vec<String> {
        let addr = |l: &tokio::net::TcpListener| l.local_addr().ok();
        let plain = self.plain.as_ref().and_then(addr).map(|a| format!("http://{a}"));
        let https = self.https.as_ref().and_then(|(l, _)| addr(l)).map(|a| format!("https://{a}"));
        plain.into_iter().chain(https).collect()
    }
}

/// Runs the daemon until SIGTERM or SIGINT (see the module doc).
pub async fn serve(mut config: Config) -> Result<(), StartError> {
    let signer = load_signer(&config)?.map(Arc::new);
    let listeners = Listeners::bind(&config).await?;
    let urls = listeners.urls();
    if config.status_url.is_none() {
        // The last URL is the HTTPS one when there is one.
        config.status_url = urls.last().map(|u| format!("{u}/status"));
    }
    let metrics = install_metrics()?;
    // Histograms keep their samples until upkeep folds them into buckets:
    // without it the daemon's memory grows with every request between
    // scrapes. Fold them every few seconds.
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let ledger = open_ledger(&config, signer.as_deref()).await?;
    let state = build_state_on(&config, signer.as_deref(), Some(metrics), ledger)?;
    for rate in [&state.rate, &state.append_rate].into_iter().flatten() {
        RateLimiter::spawn_janitor(rate);
    }

    let (stop, stopped) = watch::channel(false);
    let sequencer = match &signer {
        Some(signer) => {
            tracing::info!(origin = signer.name(), vkey = %signer.verifier(), "checkpoint signing is on");
            let period = Duration::from_millis(config.checkpoint_interval_ms.max(10));
            Some(tokio::spawn(sequencer::run(
                state.ledger.clone(),
                Arc::clone(signer),
                period,
                Arc::clone(&state.appended),
                stopped,
            )))
        }
        None => {
            tracing::warn!(
                "no --checkpoint-key: serving reads and accepting appends, but signing no checkpoints \
                 (did:didam resolution is off)"
            );
            None
        }
    };
    if let Some(issuer) = &state.issuer {
        if state.auth.is_configured() {
            tracing::info!(
                did = issuer.did(),
                "issuing credentials to authenticated clients: POST /credentials/issue is on"
            );
        } else {
            tracing::warn!(
                "an issuer wallet but no authentication method: POST /credentials/issue answers 403"
            );
        }
    }
    let plain = listeners.plain.as_ref().and_then(|l| l.local_addr().ok());
    if state.auth.is_configured()
        && let Some(addr) = plain.filter(|a| !a.ip().is_loopback())
    {
        // RFC 6750 §5.3: bearer tokens need TLS.
        tracing::warn!(
            %addr,
            "bearer tokens and client secrets are accepted over plain HTTP on a non-loopback address: \
             serve HTTPS (--tls-cert, --tls-key) or listen on loopback behind a TLS proxy"
        );
    }
    tracing::info!(urls = ?urls, ledger = %config.ledger_location(), "listening");
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        for url in &urls {
            let _ = writeln!(out, "listening on {url}");
        }
        let _ = out.flush();
    }

    let router = app::app(Arc::clone(&state), &config);
    let (shut, shutting) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = shut.send(true);
    });
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let plain = listeners.plain.map(|listener| {
        let service = router.clone().into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, service).with_graceful_shutdown(until_stopped(shutting.clone()));
        tokio::spawn(served.into_future())
    });
    let https = match listeners.https {
        Some((listener, tls)) => {
            use tower::Layer as _;
            let listener = tls::TlsListener::new(listener, tls)
                .map_err(|e| StartError::Setup(format!("HTTPS listener: {e}")))?;
            // Each connection's service: the router with the peer address
            // (ConnectInfo, for the rate limit) and the client certificate
            // (for crate::auth) in every request's extensions.
            let service = tower::service_fn(move |incoming: IncomingStream<'_, tls::TlsListener>| {
                let peer = axum::Extension(ConnectInfo(*incoming.remote_addr())).layer(router.clone());
                std::future::ready(Ok::<_, std::convert::Infallible>(tls::with_client_certificate(
                    peer,
                    incoming.io(),
                )))
            });
            let served = axum::serve(listener, service).with_graceful_shutdown(until_stopped(shutting));
            Some(tokio::spawn(served.into_future()))
        }
        None => None,
    };
    let mut result = Ok(());
    for server in [plain, https].into_iter().flatten() {
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(StartError::Setup(format!("server: {e}"))),
            Err(e) => result = Err(StartError::Setup(format!("server task: {e}"))),
        }
    }
    let _ = stop.send(true);
    if let Some(task) = sequencer {
        let _ = task.await;
    }
    result
}
