//! The issuer of `POST /credentials/issue`: a DID of a didam wallet, opened at
//! start-up with a passphrase read from a file (never from argv, never
//! logged).
//!
//! Steps of [`Issuer::issue`]:
//! 1. check the credential against the data model (the engine's
//!    [`validate`]: the rules a verifier applies, then strict JSON-LD
//!    expansion), so that the daemon never signs what its own verifier
//!    refuses;
//! 2. choose the status entries: those asked for (`options.credentialStatus`),
//!    else `--issue-status` for a VCDM 2.0 credential without a
//!    `credentialStatus` of its own;
//! 3. sign it with the wallet's key of the suite asked for; with status
//!    entries through the wallet's status lists (a `did:didam` issuer's on
//!    the ledger, others' in `--status-dir`, served at `--status-url`).

use std::sync::Arc;

use age::secrecy::ExposeSecret as _;
use didam_credential::credential::{Version, validate, version};
use didam_credential::proof::SuiteOptions;
use didam_credential::status_list::StatusPurpose;
use didam_ledger::AnyLedger;
use didam_wallet::status::StatusDirectory;
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
    /// Where lists of issuers without a ledger DID go.
    directory: Option<Arc<StatusDirectory>>,
    /// `--issue-status`.
    default_status: Vec<StatusPurpose>,
}

/// Why a credential was not issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The credential breaks rules of the data model.
    #[error("the credential does not follow the VC data model: {}", .0.join("; "))]
    DataModel(Vec<String>),
    /// The credential could not be checked (a context that is not bundled).
    #[error("the credential cannot be checked: {0}")]
    Unreadable(#[source] didam_credential::Error),
    /// The wallet could not sign it.
    #[error(transparent)]
    Wallet(#[from] WalletError),
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
        let directory = match (&config.status_dir, &config.status_url) {
            (Some(dir), Some(url)) => Some(Arc::new(StatusDirectory {
                dir: dir.clone(),
                base_url: url.trim_end_matches('/').to_owned(),
            })),
            _ => None,
        };
        Ok(Some(Self {
            wallet: Arc::new(wallet),
            did,
            directory,
            default_status: config.issue_status.clone(),
        }))
    }

    /// The DID credentials are issued as.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The status purposes of the entries to add to `credential`: `asked`,
    /// else the defaults for a VCDM 2.0 credential without a status.
    fn purposes(&self, credential: &Value, asked: Option<Vec<StatusPurpose>>) -> Vec<StatusPurpose> {
        asked.unwrap_or_else(|| {
            let v2 = version(credential) == Some(Version::V2);
            if v2 && credential.get("credentialStatus").is_none() {
                self.default_status.clone()
            } else {
                Vec::new()
            }
        })
    }

    /// Checks `credential` against the data model (a `relatedResource`
    /// without a digest is refused, as the W3C suite expects of an issuer
    /// service), then signs it as this
    /// issuer with `suite`, with status entries of the `status` purposes
    /// (`None`: `--issue-status`), lists of a `did:didam` issuer on `ledger`
    /// (see the module doc). Runs on a blocking thread: the wallet's store
    /// and the proof suites block.
    pub async fn issue(
        &self,
        ledger: &AnyLedger,
        credential: Value,
        suite: SuiteOptions,
        status: Option<Vec<StatusPurpose>>,
    ) -> Result<Value, IssueError> {
        let this = self.clone();
        let ledger = ledger.clone();
        tokio::task::spawn_blocking(move || {
            futures::executor::block_on(async {
                match validate(&credential).await {
                    Ok(Ok(())) => {}
                    Ok(Err(reasons)) => return Err(IssueError::DataModel(reasons)),
                    Err(e) => return Err(IssueError::Unreadable(e)),
                }
                let purposes = this.purposes(&credential, status);
                let (wallet, did) = (&this.wallet, this.did.as_str());
                Ok(if purposes.is_empty() {
                    wallet.issue(&credential, did, suite).await?
                } else {
                    let directory = this.directory.as_deref();
                    wallet
                        .issue_with_status(Some(&ledger), directory, &credential, did, suite, &purposes)
                        .await?
                })
            })
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the issuing task failed");
            Err(IssueError::Wallet(WalletError::Interrupted))
        })
    }
}
