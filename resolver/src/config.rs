//! The daemon's configuration: defaults, then the TOML file, then the
//! environment and flags (see [`crate::cli`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use didam_credential::limits::Limits;
use didam_credential::status_list::StatusPurpose;
use didam_ledger::LedgerLocation;
use serde::Deserialize;

use crate::auth::{AuthConfig, CertificateEntry, TokenEntry};
use crate::cli::ServeArgs;
use crate::error::StartError;

/// Everything the daemon needs to start. Every field has a default, so an
/// empty file (or none) starts a daemon on the embedded ledger.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the daemon's state: the checkpoint store, and the ledger
    /// unless `ledger` says otherwise.
    pub data_dir: PathBuf,
    /// The embedded ledger file (default: `<data-dir>/ledger.db`), or an
    /// etcd cluster `etcd://HOST:PORT,…` (`etcds://` for TLS).
    pub ledger: Option<PathBuf>,
    /// The prefix of the ledger's keys in etcd.
    pub etcd_prefix: String,
    /// The CA certificate (PEM) of the etcd members (`etcds://`).
    pub etcd_ca: Option<PathBuf>,
    /// The client certificate (PEM) for etcd.
    pub etcd_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub etcd_key: Option<PathBuf>,
    /// The ledger's origin when there is no checkpoint key.
    pub origin: String,
    /// The checkpoint key file (see `didam-resolver keygen`).
    pub checkpoint_key: Option<PathBuf>,
    /// The file with the checkpoint key's passphrase.
    pub checkpoint_key_passphrase_file: Option<PathBuf>,
    /// Resolve did:didam only through checkpoints with a valid ML-DSA-44
    /// signature (the checkpoint key needs an ML-DSA-44 companion).
    pub require_pq_checkpoints: bool,
    /// Sequencer period, in ms.
    pub checkpoint_interval_ms: u64,
    /// Requests per second per client IP; 0 turns the rate limit off.
    pub rate_limit: f64,
    /// Burst of the rate limit.
    pub rate_limit_burst: u32,
    /// IPv4 clients are counted by this many leading bits of their address
    /// (32: each address alone); IPv6 clients always by their /64.
    pub rate_limit_ipv4_prefix: u8,
    /// Ledger appends (`POST /ledger/v1/entries`) per second per client,
    /// counted apart from (and besides) `rate-limit`; 0 turns it off.
    pub append_rate_limit: f64,
    /// Burst of the append rate limit.
    pub append_rate_limit_burst: u32,
    /// Largest ledger entry (its JCS text), in bytes.
    pub max_entry_bytes: u64,
    /// Largest DID document in a ledger entry (the JCS text of its `state`),
    /// in bytes.
    pub max_document_bytes: u64,
    /// Most entries in one DID's log on the ledger.
    pub max_log_entries: u64,
    /// Most bytes (entries' JCS texts) in one DID's log on the ledger.
    pub max_log_bytes: u64,
    /// Proxies (CIDR prefixes) whose `Forwarded` / `X-Forwarded-For` headers
    /// name the client; from any other peer these headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Largest request body, in bytes. The default is the engine's document
    /// limit ([`Limits::DEFAULT_MAX_BYTES`], 256 KiB) and 16 KiB for the VC
    /// API's request around the document: a body the daemon reads holds a
    /// document the engine reads.
    pub body_limit: usize,
    /// Verifications run at once, each on its own thread (the VC API's
    /// verification pool). Default: one per CPU, at least 2.
    pub verify_workers: usize,
    /// Verifications that wait for a busy worker (within their request's
    /// time limit); a request beyond them is answered 503 with
    /// `Retry-After`. Default (`None`): four per worker.
    pub verify_queue: Option<usize>,
    /// Time limit of a request, in ms.
    pub request_timeout_ms: u64,
    /// `json` or `text`.
    pub log_format: String,
    /// The issuer wallet's folder (turns on `POST /credentials/issue`).
    pub issuer_wallet: Option<PathBuf>,
    /// The file with the issuer wallet's passphrase.
    pub issuer_passphrase_file: Option<PathBuf>,
    /// The DID of the issuer wallet to issue as.
    pub issuer_did: Option<String>,
    /// A folder of status list credentials served at `GET /status/{name}`
    /// (issuers without a ledger DID).
    pub status_dir: Option<PathBuf>,
    /// The URL `GET /status/{name}` is reachable at from outside (the base of
    /// the `statusListCredential` URLs the daemon issues); default: the
    /// daemon's own address, `https://` when it serves HTTPS.
    pub status_url: Option<String>,
    /// The status purposes (`revocation`, `suspension`) of the entries added
    /// to each VCDM 2.0 credential issued without `options.credentialStatus`
    /// and without a `credentialStatus` of its own (needs `status-dir`).
    pub issue_status: Vec<StatusPurpose>,
    /// The certificate chain (PEM) of HTTPS: with `tls-key`, the daemon
    /// serves HTTPS (on `tls-listen`, else on `listen`).
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of `tls-cert`.
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS on this address, besides plain HTTP on `listen`.
    pub tls_listen: Option<SocketAddr>,
    /// The verification policy file (TOML or JSON) of the VC API.
    pub policy: Option<PathBuf>,
    /// The VC API fetches status lists from loopback addresses (HTTP or
    /// HTTPS), e.g. this daemon's own `/status/`: for local setups and tests.
    pub status_allow_loopback: bool,
    /// The policy read from `policy` by [`Config::load`].
    #[serde(skip)]
    pub vc_policy: Option<didam_verifier::Policy>,
    /// The resolution cache.
    pub cache: CacheConfig,
    /// Fetching `did:web` and `did:webvh`.
    pub web: WebConfig,
    /// Who may issue and append (see [`crate::auth`]).
    pub auth: AuthConfig,
}

/// Cache sizes and lifetimes, per method.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CacheConfig {
    /// Most results kept.
    pub capacity: u64,
    /// Lifetime of `did:key` and `did:jwk` results, in seconds.
    pub offline_ttl_secs: u64,
    /// Lifetime of `did:didam` results, in seconds.
    pub didam_ttl_secs: u64,
    /// Lifetime of `did:web` and `did:webvh` results, in seconds.
    pub web_ttl_secs: u64,
    /// Lifetime of a NOT_FOUND answer, in seconds.
    pub not_found_ttl_secs: u64,
    /// The VC API's freshness bound for status lists, in seconds: the
    /// longest it reuses a list fetched over HTTPS (so a revocation counts
    /// within this time) and a list it verified (so a change of the issuer's
    /// keys counts within this time); less when a list's `ttl` or
    /// `validUntil` says so. 0 turns both caches off (`--status-cache-secs`).
    pub status_list_secs: u64,
    /// Status lists kept by each of those two caches, at most.
    pub status_lists: u64,
    /// Bytes the verified status lists may hold, at most (the lists as
    /// fetched and their decoded bits).
    pub status_list_bytes: u64,
}

/// Limits of HTTPS fetches.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct WebConfig {
    /// Connect timeout, in ms.
    pub connect_timeout_ms: u64,
    /// Total timeout, in ms.
    pub timeout_ms: u64,
    /// Largest document or log, in bytes.
    pub max_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        let data_dir = directories::ProjectDirs::from("", "", "didam")
            .map(|d| d.data_dir().to_owned())
            .unwrap_or_else(|| PathBuf::from(".didam"));
        let limits = didam_ledger::AdmissionLimits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir,
            ledger: None,
            etcd_prefix: "didam/".into(),
            etcd_ca: None,
            etcd_cert: None,
            etcd_key: None,
            origin: "didam.local/ledger".into(),
            checkpoint_key: None,
            checkpoint_key_passphrase_file: None,
            require_pq_checkpoints: false,
            checkpoint_interval_ms: 200,
            rate_limit: 50.0,
            rate_limit_burst: 100,
            rate_limit_ipv4_prefix: 32,
            append_rate_limit: 1.0,
            append_rate_limit_burst: 20,
            max_entry_bytes: limits.max_entry_bytes,
            max_document_bytes: limits.max_document_bytes,
            max_log_entries: limits.max_log_entries,
            max_log_bytes: limits.max_log_bytes,
            trusted_proxies: Vec::new(),
            body_limit: Limits::DEFAULT_MAX_BYTES + 16 * 1024,
            verify_workers: crate::vc_api::VerifyPool::default_workers(),
            verify_queue: None,
            request_timeout_ms: 15_000,
            log_format: "json".into(),
            issuer_wallet: None,
            issuer_passphrase_file: None,
            issuer_did: None,
            status_dir: None,
            status_url: None,
            issue_status: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_listen: None,
            policy: None,
            status_allow_loopback: false,
            vc_policy: None,
            cache: CacheConfig::default(),
            web: WebConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            offline_ttl_secs: 24 * 3600,
            didam_ttl_secs: 5,
            web_ttl_secs: 300,
            not_found_ttl_secs: 2,
            status_list_secs: 60,
            status_lists: 1024,
            status_list_bytes: 32 * 1024 * 1024,
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { connect_timeout_ms: 3_000, timeout_ms: 10_000, max_bytes: 1024 * 1024 }
    }
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, StartError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| StartError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|e| StartError::Config { path: path.to_owned(), reason: e.to_string() })
    }

    /// The file named by `args` (if any), overridden by `args`.
    pub fn load(args: &ServeArgs) -> Result<Self, StartError> {
        let mut config = match &args.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply(args);
        config.load_policy()?;
        Ok(config)
    }

    fn apply(&mut self, a: &ServeArgs) {
        fn set<T: Clone>(field: &mut T, value: &Option<T>) {
            if let Some(v) = value {
                *field = v.clone();
            }
        }
        set(&mut self.listen, &a.listen);
        set(&mut self.data_dir, &a.data_dir);
        set(&mut self.origin, &a.origin);
        set(&mut self.etcd_prefix, &a.etcd_prefix);
        for (field, value) in [
            (&mut self.etcd_ca, &a.etcd_ca),
            (&mut self.etcd_cert, &a.etcd_cert),
            (&mut self.etcd_key, &a.etcd_key),
        ] {
            if value.is_some() {
                field.clone_from(value);
            }
        }
        set(&mut self.checkpoint_interval_ms, &a.checkpoint_interval_ms);
        set(&mut self.rate_limit, &a.rate_limit);
        set(&mut self.rate_limit_burst, &a.rate_limit_burst);
        set(&mut self.rate_limit_ipv4_prefix, &a.rate_limit_ipv4_prefix);
        set(&mut self.append_rate_limit, &a.append_rate_limit);
        set(&mut self.append_rate_limit_burst, &a.append_rate_limit_burst);
        set(&mut self.max_entry_bytes, &a.max_entry_bytes);
        set(&mut self.max_document_bytes, &a.max_document_bytes);
        set(&mut self.max_log_entries, &a.max_log_entries);
        set(&mut self.max_log_bytes, &a.max_log_bytes);
        if !a.trusted_proxy.is_empty() {
            self.trusted_proxies.clone_from(&a.trusted_proxy);
        }
        set(&mut self.body_limit, &a.body_limit);
        set(&mut self.verify_workers, &a.verify_workers);
        set(&mut self.cache.status_list_secs, &a.status_cache_secs);
        if a.verify_queue.is_some() {
            self.verify_queue = a.verify_queue;
        }
        set(&mut self.request_timeout_ms, &a.request_timeout_ms);
        set(&mut self.log_format, &a.log_format);
        for (field, value) in [
            (&mut self.issuer_wallet, &a.issuer_wallet),
            (&mut self.issuer_passphrase_file, &a.issuer_passphrase_file),
        ] {
            if value.is_some() {
                field.clone_from(value);
            }
        }
        if a.issuer_did.is_some() {
            self.issuer_did.clone_from(&a.issuer_did);
        }
        for (field, value) in [
            (&mut self.status_dir, &a.status_dir),
            (&mut self.policy, &a.policy),
            (&mut self.tls_cert, &a.tls_cert),
            (&mut self.tls_key, &a.tls_key),
        ] {
            if value.is_some() {
                field.clone_from(value);
            }
        }
        if a.status_url.is_some() {
            self.status_url.clone_from(&a.status_url);
        }
        if a.tls_listen.is_some() {
            self.tls_listen = a.tls_listen;
        }
        if !a.issue_status.is_empty() {
            self.issue_status.clone_from(&a.issue_status);
        }
        if a.status_allow_loopback {
            self.status_allow_loopback = true;
        }
        if a.ledger.is_some() {
            self.ledger.clone_from(&a.ledger);
        }
        if a.checkpoint_key.is_some() {
            self.checkpoint_key.clone_from(&a.checkpoint_key);
        }
        if a.checkpoint_key_passphrase_file.is_some() {
            self.checkpoint_key_passphrase_file.clone_from(&a.checkpoint_key_passphrase_file);
        }
        if a.require_pq_checkpoints {
            self.require_pq_checkpoints = true;
        }
        self.apply_auth(a);
    }

    /// The flags of [`crate::auth`]: tokens and certificate names given as
    /// flags come in addition to the file's.
    fn apply_auth(&mut self, a: &ServeArgs) {
        let auth = &mut self.auth;
        for (i, hash) in a.auth_token_sha256.iter().enumerate() {
            auth.tokens.push(TokenEntry::new(format!("flag-{}", i + 1), *hash));
        }
        auth.certificates.extend(a.client_cert_name.iter().map(CertificateEntry::new));
        if a.client_ca.is_some() {
            auth.client_ca.clone_from(&a.client_ca);
        }
        if let Some(appends) = a.ledger_appends {
            auth.ledger_appends = appends;
        }
        if let Some(ttl) = a.access_token_ttl_secs {
            auth.access_token_ttl_secs = ttl;
        }
    }

    /// Where the ledger is: `ledger` parsed (a file, or an etcd cluster
    /// `etcd://…`), or `<data-dir>/ledger.db`.
    pub fn ledger_location(&self) -> LedgerLocation {
        match &self.ledger {
            Some(ledger) => match ledger.to_str() {
                Some(text) => {
                    let Ok(location) = text.parse();
                    location
                }
                None => LedgerLocation::File(ledger.clone()),
            },
            None => LedgerLocation::File(self.data_dir.join("ledger.db")),
        }
    }

    /// Reads the VC API's policy file (if any) into [`Self::vc_policy`]: a
    /// policy that does not load stops the daemon at start.
    pub fn load_policy(&mut self) -> Result<(), StartError> {
        if let Some(path) = &self.policy {
            // Keys the file leaves out keep the daemon's defaults.
            let policy =
                didam_verifier::Policy::from_file_over(path, &crate::vc_api::VcVerifier::default_policy())
                    .map_err(|e| StartError::Config { path: path.clone(), reason: e.to_string() })?;
            self.vc_policy = Some(policy);
        }
        Ok(())
    }

    /// Which addresses count as one client of the rate limit, and which
    /// peers' forwarding headers are believed.
    pub fn client_keys(&self) -> Result<crate::rate::ClientKeys, StartError> {
        crate::rate::ClientKeys::new(self.rate_limit_ipv4_prefix, self.trusted_proxies.clone())
            .map_err(StartError::RateLimit)
    }

    /// What the ledger admits and reads back (`specs/did-didam.md`, 8.6).
    pub fn admission_limits(&self) -> didam_ledger::AdmissionLimits {
        didam_ledger::AdmissionLimits {
            max_entry_bytes: self.max_entry_bytes,
            max_document_bytes: self.max_document_bytes,
            max_log_entries: self.max_log_entries,
            max_log_bytes: self.max_log_bytes,
        }
    }

    /// The length of the verification pool's wait queue: `verify-queue`,
    /// else four per worker.
    pub fn verify_queue(&self) -> usize {
        self.verify_queue.unwrap_or_else(|| crate::vc_api::VerifyPool::default_queue(self.verify_workers))
    }

    /// The time limit of a request.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_then_flags() {
        let config: Config =
            toml::from_str("listen = \"127.0.0.1:9000\"\nrate-limit = 0.0\ntrusted-proxies = [\"10.0.0.0/8\"]\n[cache]\ndidam-ttl-secs = 1\n")
                .unwrap();
        assert_eq!(config.trusted_proxies, vec!["10.0.0.0/8".parse::<ipnet::IpNet>().unwrap()]);
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.cache.didam_ttl_secs, 1);
        let mut config = config;
        config.apply(&ServeArgs { listen: Some("127.0.0.1:0".parse().unwrap()), ..ServeArgs::default() });
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.rate_limit, 0.0);
        config.apply(&ServeArgs {
            trusted_proxy: vec!["192.0.2.0/24".parse().unwrap()],
            ..ServeArgs::default()
        });
        assert_eq!(config.trusted_proxies.len(), 1, "flags replace the file's list");
        config.rate_limit_ipv4_prefix = 33;
        assert!(config.client_keys().is_err(), "a prefix over 32 stops the daemon");
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err(), "unknown keys are errors");
        assert_eq!(config.admission_limits(), didam_ledger::AdmissionLimits::default());
        config.apply(&ServeArgs { max_log_entries: Some(3), ..ServeArgs::default() });
        let file: Config = toml::from_str("max-entry-bytes = 100\nappend-rate-limit = 0.0\n").unwrap();
        assert_eq!((file.admission_limits().max_entry_bytes, file.append_rate_limit), (100, 0.0));
        assert_eq!(config.admission_limits().max_log_entries, 3);
    }
}
