//! Why the daemon (or `keygen`) could not start. Each message says what
//! failed and, where there is one, what to do next.

use std::path::PathBuf;

/// A failure before serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file is invalid.
    #[error("invalid configuration file {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint key was given without a passphrase file.
    #[error(
        "--checkpoint-key needs --checkpoint-key-passphrase-file (the passphrase is never read from argv)"
    )]
    NoPassphrase,
    /// Quantum-safe checkpoints are required, but the checkpoint key has no
    /// ML-DSA-44 companion (or there is no checkpoint key).
    #[error(
        "--require-pq-checkpoints needs a checkpoint key with an ML-DSA-44 key (add one with \
         `didam-resolver keygen --add-ml-dsa --out KEY --passphrase-file FILE`)"
    )]
    NoPqKey,
    /// The checkpoint key file (or a passphrase file) could not be made,
    /// read or opened (never says the key or passphrase).
    #[error(transparent)]
    KeyFile(#[from] didam_wallet::operator::keyfile::KeyFileError),
    /// The ledger could not be opened.
    #[error("cannot open the ledger {path}: {source}")]
    Ledger {
        /// The ledger file.
        path: PathBuf,
        /// Why.
        source: didam_ledger::LedgerError,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// An issuer wallet was given without a passphrase file.
    #[error("--issuer-wallet needs --issuer-passphrase-file (the passphrase is never read from argv)")]
    NoIssuerPassphrase,
    /// An issuer wallet was given without the DID to issue as.
    #[error("--issuer-wallet needs --issuer-did (the wallet's DID to issue credentials as)")]
    NoIssuerDid,
    /// The issuer wallet did not open, or does not hold the issuer DID.
    #[error("cannot use the issuer wallet {path}: {source}")]
    Wallet {
        /// The wallet's folder.
        path: PathBuf,
        /// Why (never the passphrase).
        source: didam_wallet::WalletError,
    },
    /// The HTTPS certificate or key could not be used.
    #[error("cannot serve HTTPS with {path}: {reason}")]
    Tls {
        /// The certificate or key file.
        path: PathBuf,
        /// Why (never the key).
        reason: String,
    },
    /// The rate limit's configuration is invalid.
    #[error(transparent)]
    RateLimit(#[from] crate::rate::InvalidPrefix),
    /// The authentication settings cannot be used.
    #[error("invalid authentication settings: {0}")]
    Auth(#[from] crate::auth::AuthError),
    /// Another start-up step failed.
    #[error("{0}")]
    Setup(String),
}
