//! The issuer of `POST /credentials/issue`: a DID of a didam wallet, opened at
//! start-up with a passphrase read from a file (never from argv, never
//! logged).

use std::sync::Arc;

use age::secrecy::ExposeSecret as _;
use didam_credential::Suite;
use didam_wallet::{Wallet, WalletError};
use serde_json::Value;

use crate::config::Config;
use crate::error::StartError;
use didam_wallet::operator::keyfile;

/// A wallet and the DID it issues as.
#[derive(Clone, Debug)]
pub struct Issuer {
    wallet: Arc<Wallet>,
    did: String,
}

impl Issuer {
    /// Opens the issuer wallet the configuration names, if any: the wallet
    /// must hold `issuer-did`, active.
    pub fn load(config: &Config) -> Result<Option<Self>, StartError> {
        let Some(dir) = &config.issuer_wallet else {
            return Ok(None);
        };
        let pass_file = config.issuer_passphrase_file.as_ref().ok_or(StartError::NoIssuerPassphrase)?;
        let did = config.issuer_did.clone().ok_or(StartError::NoIssuerDid)?;
        let passphrase = keyfile::read_passphrase(pass_file)?;
        let fail = |source| StartError::Wallet { path: dir.clone(), source };
        let wallet = Wallet::open(dir, passphrase.expose_secret().as_bytes()).map_err(fail)?;
        wallet.did(&did).map_err(fail)?.ensure_active().map_err(fail)?;
        Ok(Some(Self { wallet: Arc::new(wallet), did }))
    }

    /// The DID credentials are issued as.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// Signs `credential` as this issuer with `suite` (on a blocking thread:
    /// the wallet's store and the proof suites block).
    pub async fn issue(&self, credential: Value, suite: Suite) -> Result<Value, WalletError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            futures::executor::block_on(this.wallet.issue(&credential, &this.did, suite))
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the issuing task failed");
            Err(WalletError::Interrupted)
        })
    }
}
