//! The ledger operator's key: the checkpoint signing key of a ledger this
//! wallet runs, kept sealed in the wallet, and the checkpoints it signs with
//! it ([`Wallet::checkpoint_as_operator`]); and, for a daemon that runs a
//! ledger without a wallet, the same key sealed in a file of its own
//! ([`keyfile`]).

use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::NoteSigner;
use didam_ledger::{AnyLedger, Ledger as _};
use zeroize::Zeroizing;

pub mod keyfile;

use crate::WalletError;
use crate::wallet::{LEDGER_KEY, Wallet, to_json};

impl Wallet {
    /// The checkpoint signing key this wallet holds for ledger `origin`,
    /// made on first use (a random key stored sealed: it survives re-keys).
    pub fn ledger_signer(&self, origin: &str) -> Result<NoteSigner, WalletError> {
        if let Some(signer) = self.existing_ledger_signer(origin)? {
            return Ok(signer);
        }
        let key = SecretKey::generate(KeyType::Ed25519);
        let signer = NoteSigner::new(origin, key).map_err(WalletError::LedgerKey)?;
        let text = Zeroizing::new(signer.to_key_string());
        self.store.update(|tx| tx.put(LEDGER_KEY, origin, &to_json(&*text)?))?;
        self.backup()?;
        Ok(signer)
    }

    /// The checkpoint signing key for ledger `origin`, if this wallet holds one.
    pub fn existing_ledger_signer(&self, origin: &str) -> Result<Option<NoteSigner>, WalletError> {
        let Some(b) = self.store.get(LEDGER_KEY, origin)? else { return Ok(None) };
        let text: Zeroizing<String> = Zeroizing::new(
            serde_json::from_slice(&b).map_err(|_| WalletError::Tampered("ledger key record".into()))?,
        );
        NoteSigner::from_key_string(&text).map(Some).map_err(WalletError::LedgerKey)
    }

    /// Signs a checkpoint of `ledger` (named `origin` in its checkpoints)
    /// when this wallet is its operator, and returns whether a checkpoint now
    /// covers its latest entries. Steps:
    /// 1. a ledger that is not an embedded file signs its own: `true`;
    /// 2. an embedded file with no operator yet takes this wallet's key for
    ///    `origin` (made on first use) as its operator;
    /// 3. an embedded file whose operator is another key is left alone: `false`;
    /// 4. the operator's key signs a checkpoint of everything integrated.
    pub async fn checkpoint_as_operator(
        &self,
        ledger: &AnyLedger,
        origin: &str,
    ) -> Result<bool, WalletError> {
        if ledger.embedded().is_none() {
            return Ok(true);
        }
        let signer = match ledger.operator().await? {
            None => self.ledger_signer(origin)?,
            Some(operator) => match self.existing_ledger_signer(origin)? {
                Some(signer) if signer.verifier().to_vkey() == operator => signer,
                _ => return Ok(false),
            },
        };
        ledger.set_operator(&signer.verifier().to_vkey()).await?;
        ledger.checkpoint(&signer).await?;
        Ok(true)
    }
}
