//! The ledger operator's key: the checkpoint signing key of a ledger this
//! wallet runs, kept sealed in the wallet.

use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::NoteSigner;
use zeroize::Zeroizing;

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
}
