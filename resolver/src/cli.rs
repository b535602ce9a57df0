//! Command-line types (clap derive only; no I/O). Every serve flag has an
//! environment variable `DIDAM_RESOLVER_<FLAG>` and a key of the same name in
//! the `--config` TOML file; flags win over the environment, which wins over
//! the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use didam_credential::status_list::StatusPurpose;

use crate::auth::{LedgerAppends, Scope, SecretHash};

/// The didam resolver daemon: DID resolution and the ledger API over HTTP.
#[derive(Debug, Parser)]
#[command(name = "didam-resolver", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serve options.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a checkpoint key file: a new Ed25519 note key, encrypted with a
    /// passphrase (age, scrypt). Prints the verifier key to publish.
    Keygen(KeygenArgs),
    /// Make a bearer token for `POST /credentials/issue` (and, with
    /// `--ledger-appends authenticated`, the ledger API): 256 random bits.
    /// Prints the token on the first line (give it to the client; it is
    /// stored nowhere), then the `[[auth.tokens]]` entry with its SHA-256 for
    /// the daemon's config file (or pass the hash with --auth-token-sha256).
    Token(TokenArgs),
    /// Make an OAuth 2.0 client of the token endpoint (`POST /oauth2/token`,
    /// client credentials grant): prints the client secret on the first line,
    /// then the `[[auth.clients]]` entry with its SHA-256.
    Client(ClientArgs),
}

/// `token` options.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Who will hold the token (a label in the config file).
    #[arg(long)]
    pub name: String,
    /// What it allows: `issue`, `ledger-append` (repeatable) [default: both].
    #[arg(long)]
    pub scope: Vec<Scope>,
}

/// `client` options.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The client id.
    #[arg(long)]
    pub id: String,
    /// What its access tokens allow: `issue`, `ledger-append` (repeatable)
    /// [default: both].
    #[arg(long)]
    pub scope: Vec<Scope>,
}

/// `keygen` options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The ledger's origin (its checkpoints' first line and key name).
    #[arg(long, required_unless_present = "add_ml_dsa")]
    pub origin: Option<String>,
    /// The key file to write; an existing file is never overwritten.
    #[arg(long)]
    pub out: PathBuf,
    /// A file holding the passphrase (its first line).
    #[arg(long)]
    pub passphrase_file: PathBuf,
    /// Also make an ML-DSA-44 checkpoint key (C2SP tlog-cosignature `0x06`):
    /// checkpoints then carry an Ed25519 and an ML-DSA-44 signature.
    #[arg(long)]
    pub ml_dsa: bool,
    /// Add an ML-DSA-44 key to the existing key file `--out` (the Ed25519
    /// key is kept: checkpoints carry both from the daemon's next start).
    #[arg(long, conflicts_with = "ml_dsa")]
    pub add_ml_dsa: bool,
}

/// Serve options (all optional here: defaults come from [`crate::Config`]).
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// A TOML file with the same keys as these flags (`listen = "…"`).
    #[arg(long, env = "DIDAM_RESOLVER_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DIDAM_RESOLVER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The ledger: an embedded ledger file [default: DATA_DIR/ledger.db], or
    /// an etcd cluster `etcd://HOST:PORT,HOST:PORT,…` (`etcds://` for TLS;
    /// needs a daemon built with the `etcd` feature).
    #[arg(long, env = "DIDAM_RESOLVER_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// The prefix of the ledger's keys in etcd [default: didam/].
    #[arg(long, env = "DIDAM_RESOLVER_ETCD_PREFIX")]
    pub etcd_prefix: Option<String>,
    /// The CA certificate (PEM) of the etcd members, for `etcds://`.
    #[arg(long, env = "DIDAM_RESOLVER_ETCD_CA")]
    pub etcd_ca: Option<PathBuf>,
    /// This daemon's client certificate (PEM) for etcd's client-cert auth.
    #[arg(long, env = "DIDAM_RESOLVER_ETCD_CERT")]
    pub etcd_cert: Option<PathBuf>,
    /// The private key (PEM) of `--etcd-cert`.
    #[arg(long, env = "DIDAM_RESOLVER_ETCD_KEY")]
    pub etcd_key: Option<PathBuf>,
    /// Folder for the daemon's state (checkpoint store) [default: the user's data dir].
    #[arg(long, env = "DIDAM_RESOLVER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The ledger's origin when no checkpoint key names it.
    #[arg(long, env = "DIDAM_RESOLVER_ORIGIN")]
    pub origin: Option<String>,
    /// The checkpoint key file (made by `keygen`). Without it the daemon
    /// signs no checkpoints.
    #[arg(long, env = "DIDAM_RESOLVER_CHECKPOINT_KEY")]
    pub checkpoint_key: Option<PathBuf>,
    /// A file holding the checkpoint key's passphrase.
    #[arg(long, env = "DIDAM_RESOLVER_CHECKPOINT_KEY_PASSPHRASE_FILE")]
    pub checkpoint_key_passphrase_file: Option<PathBuf>,
    /// Resolve did:didam only through checkpoints that carry a valid
    /// ML-DSA-44 signature by the checkpoint key's ML-DSA-44 companion (the
    /// key must have one: `keygen --add-ml-dsa`).
    #[arg(long, env = "DIDAM_RESOLVER_REQUIRE_PQ_CHECKPOINTS")]
    pub require_pq_checkpoints: bool,
    /// How often the sequencer checks for new entries to sign, in ms.
    #[arg(long, env = "DIDAM_RESOLVER_CHECKPOINT_INTERVAL_MS")]
    pub checkpoint_interval_ms: Option<u64>,
    /// Requests per second allowed per client IP (0: no rate limit).
    #[arg(long, env = "DIDAM_RESOLVER_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Burst size of the per-client rate limit.
    #[arg(long, env = "DIDAM_RESOLVER_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,
    /// IPv4 clients are counted by this many leading bits of their address
    /// [default: 32]; IPv6 clients always by their /64.
    #[arg(long, env = "DIDAM_RESOLVER_RATE_LIMIT_IPV4_PREFIX", value_parser = clap::value_parser!(u8).range(0..=32))]
    pub rate_limit_ipv4_prefix: Option<u8>,
    /// Ledger appends (`POST /ledger/v1/entries`) per second per client
    /// [default: 1], keyed as --rate-limit and counted besides it (0: no
    /// append limit).
    #[arg(long, env = "DIDAM_RESOLVER_APPEND_RATE_LIMIT")]
    pub append_rate_limit: Option<f64>,
    /// Burst size of the per-client append rate limit [default: 20].
    #[arg(long, env = "DIDAM_RESOLVER_APPEND_RATE_LIMIT_BURST")]
    pub append_rate_limit_burst: Option<u32>,
    /// Largest ledger entry (its JCS text) admitted, in bytes [default: 32768].
    #[arg(long, env = "DIDAM_RESOLVER_MAX_ENTRY_BYTES")]
    pub max_entry_bytes: Option<u64>,
    /// Largest DID document (the JCS text of an entry's `state`) admitted, in
    /// bytes [default: 12288].
    #[arg(long, env = "DIDAM_RESOLVER_MAX_DOCUMENT_BYTES")]
    pub max_document_bytes: Option<u64>,
    /// Most entries in one DID's log [default: 256]; a longer stored log is
    /// not read.
    #[arg(long, env = "DIDAM_RESOLVER_MAX_LOG_ENTRIES")]
    pub max_log_entries: Option<u64>,
    /// Most bytes in one DID's log [default: 1048576]; a larger stored log is
    /// not read.
    #[arg(long, env = "DIDAM_RESOLVER_MAX_LOG_BYTES")]
    pub max_log_bytes: Option<u64>,
    /// A proxy (CIDR, e.g. `10.0.0.0/8` or `2001:db8::1/128`) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client (repeatable;
    /// the environment variable takes a comma-separated list). From any other
    /// peer these headers are ignored. Config file key: `trusted-proxies`.
    #[arg(long, env = "DIDAM_RESOLVER_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<ipnet::IpNet>,
    /// Largest request body, in bytes [default: 272 KiB: the largest
    /// document the engine verifies, 256 KiB, and the VC API's request
    /// around it]. Documents are also held to the engine's other limits
    /// (depth 32, 16 proofs, 64 contexts, 512 SD-JWT disclosures, …; see
    /// `didam_credential::limits`).
    #[arg(long, env = "DIDAM_RESOLVER_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Verifications run at once in the light lane, each on its own thread
    /// (the heavy lane, for documents over its bounds, has half as many)
    /// [default: one per CPU, at least 2].
    #[arg(long, env = "DIDAM_RESOLVER_VERIFY_WORKERS")]
    pub verify_workers: Option<usize>,
    /// Verifications that wait for a busy light-lane worker, each within its
    /// request's time limit; more are answered 503 with `Retry-After`
    /// [default: four per worker; the heavy lane keeps two per worker].
    #[arg(long, env = "DIDAM_RESOLVER_VERIFY_QUEUE")]
    pub verify_queue: Option<usize>,
    /// Time limit of a request, in ms.
    #[arg(long, env = "DIDAM_RESOLVER_REQUEST_TIMEOUT_MS")]
    pub request_timeout_ms: Option<u64>,
    /// A didam wallet folder: turns on `POST /credentials/issue`, signing as
    /// `--issuer-did` with the wallet's keys.
    #[arg(long, env = "DIDAM_RESOLVER_ISSUER_WALLET")]
    pub issuer_wallet: Option<PathBuf>,
    /// A file holding the issuer wallet's passphrase (its first line).
    #[arg(long, env = "DIDAM_RESOLVER_ISSUER_PASSPHRASE_FILE")]
    pub issuer_passphrase_file: Option<PathBuf>,
    /// The DID (of the issuer wallet) credentials are issued as.
    #[arg(long, env = "DIDAM_RESOLVER_ISSUER_DID")]
    pub issuer_did: Option<String>,
    /// A folder of status list credentials to serve at `GET /status/{name}`
    /// (written by `didam vc issue --status --status-dir` and `didam vc revoke`).
    #[arg(long, env = "DIDAM_RESOLVER_STATUS_DIR")]
    pub status_dir: Option<PathBuf>,
    /// The URL `GET /status/{name}` is reachable at, the base of the
    /// `statusListCredential` URLs issued [default: this daemon's address,
    /// https when it serves HTTPS].
    #[arg(long, env = "DIDAM_RESOLVER_STATUS_URL")]
    pub status_url: Option<String>,
    /// Add a status entry of this purpose (`revocation`, `suspension`;
    /// repeatable or comma separated) to every VCDM 2.0 credential issued
    /// without `options.credentialStatus` or a `credentialStatus` of its own
    /// (needs --status-dir).
    #[arg(long, env = "DIDAM_RESOLVER_ISSUE_STATUS", value_delimiter = ',')]
    pub issue_status: Vec<StatusPurpose>,
    /// The certificate chain (PEM) to serve HTTPS with (with --tls-key).
    #[arg(long, env = "DIDAM_RESOLVER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "DIDAM_RESOLVER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS on this address and plain HTTP on --listen [default: HTTPS
    /// on --listen when --tls-cert is given].
    #[arg(long, env = "DIDAM_RESOLVER_TLS_LISTEN")]
    pub tls_listen: Option<SocketAddr>,
    /// The verification policy (TOML or JSON) of `POST /credentials/verify`
    /// and `POST /presentations/verify` [default: the verifier's default].
    /// Its `issuer_key_binding = "warn"` reports a credential signed with a
    /// key that is not its issuer's in `warnings` instead of refusing it (for
    /// conformance suites only; the default, "required", refuses it).
    #[arg(long, env = "DIDAM_RESOLVER_POLICY")]
    pub policy: Option<PathBuf>,
    /// Let the VC API fetch status lists from loopback addresses (plain HTTP
    /// allowed): local setups and tests only.
    #[arg(long, env = "DIDAM_RESOLVER_STATUS_ALLOW_LOOPBACK")]
    pub status_allow_loopback: bool,
    /// The VC API's freshness bound for status lists, in seconds: a list
    /// fetched over HTTPS, and a list verified, are reused for at most this
    /// long (less when the list's `ttl` or `validUntil` says so), so a
    /// revocation counts within it; 0 fetches and verifies every list at
    /// each use [default: 60]. Config file: `[cache] status-list-secs`, with
    /// `status-lists` and `status-list-bytes` bounding the caches.
    #[arg(long, env = "DIDAM_RESOLVER_STATUS_CACHE_SECS")]
    pub status_cache_secs: Option<u64>,
    /// The SHA-256 (hex) of a bearer token allowed to issue and append, as
    /// printed by `didam-resolver token` (repeatable; the environment
    /// variable takes a comma-separated list). Without any authentication
    /// method `POST /credentials/issue` answers 403. Config file:
    /// `[[auth.tokens]]` with `name`, `sha256`, `scopes`.
    #[arg(long, env = "DIDAM_RESOLVER_AUTH_TOKEN_SHA256", value_delimiter = ',')]
    pub auth_token_sha256: Vec<SecretHash>,
    /// The CA certificate (PEM) of TLS clients: the HTTPS listener asks for
    /// client certificates, and those of this CA naming a --client-cert-name
    /// may issue and append. Config file: `auth.client-ca`.
    #[arg(long, env = "DIDAM_RESOLVER_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,
    /// A DNS name (subject alternative name) of a client certificate of
    /// --client-ca that may issue and append (repeatable). Config file:
    /// `[[auth.certificates]]` with `dns-name`, `scopes`.
    #[arg(long, env = "DIDAM_RESOLVER_CLIENT_CERT_NAME", value_delimiter = ',')]
    pub client_cert_name: Vec<String>,
    /// Who may append to the ledger API: `anyone` (the default) or
    /// `authenticated` (clients with the `ledger-append` scope).
    #[arg(long, env = "DIDAM_RESOLVER_LEDGER_APPENDS", value_enum)]
    pub ledger_appends: Option<LedgerAppends>,
    /// Lifetime of the access tokens of `POST /oauth2/token` (clients in the
    /// config file's `[[auth.clients]]`), in seconds [default: 900].
    #[arg(long, env = "DIDAM_RESOLVER_ACCESS_TOKEN_TTL_SECS")]
    pub access_token_ttl_secs: Option<u64>,
    /// Log format: `json` or `text`.
    #[arg(long, env = "DIDAM_RESOLVER_LOG_FORMAT")]
    pub log_format: Option<String>,
}
