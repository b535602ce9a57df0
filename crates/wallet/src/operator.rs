//! The ledger operator's key: the checkpoint signing key of a ledger this
//! wallet runs, kept sealed in the wallet, and the checkpoints it signs with
//! it ([`Wallet::checkpoint_as_operator`]); and, for a daemon that runs a
//! ledger without a wallet, the same key sealed in a file of its own
//! ([`keyfile`]).
//!
//! The operator migrates to quantum-safe checkpoints with an overlap
//! ([`Wallet::add_ledger_pq_key`]): an ML-DSA-44 key, derived from the wallet
//! root (`ledger/ml-dsa-44/<origin>`, so shares recover it), is added beside
//! the Ed25519 key, and every checkpoint from then on carries both
//! signatures (C2SP tlog-cosignature `0x06` for the ML-DSA-44 one). Classical
//! clients keep verifying the Ed25519 line; quantum-safe ones pin the new key.

use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::NoteSigner;
use didam_ledger::{AnyLedger, Ledger as _};
use zeroize::Zeroizing;

pub mod keyfile;

use crate::WalletError;
use crate::wallet::{LEDGER_KEY, Wallet, to_json};

/// Records of the ledgers whose operator added an ML-DSA-44 key (by origin).
const LEDGER_PQ: &str = "ledger-pq";

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

    /// The ML-DSA-44 checkpoint key for ledger `origin`, derived from the
    /// wallet root.
    pub fn ledger_pq_signer(&self, origin: &str) -> Result<NoteSigner, WalletError> {
        NoteSigner::new(origin, self.root().ledger_pq_key(origin)?).map_err(WalletError::LedgerKey)
    }

    /// Adds the ML-DSA-44 key to this wallet's checkpoint key for `origin`
    /// (made on first use): from now on the checkpoints it signs carry an
    /// Ed25519 and an ML-DSA-44 signature. Returns the signer with both.
    pub fn add_ledger_pq_key(&self, origin: &str) -> Result<NoteSigner, WalletError> {
        let signer = self.ledger_signer(origin)?;
        let pq = self.ledger_pq_signer(origin)?;
        let vkey = pq.verifier().to_vkey();
        self.store.update(|tx| tx.put(LEDGER_PQ, origin, &to_json(&vkey)?))?;
        self.backup()?;
        signer.with_pq(pq).map_err(WalletError::LedgerKey)
    }

    /// `signer` with its ML-DSA-44 companion when the operator added one:
    /// recorded in this wallet, or (a wallet recovered from shares) the
    /// ledger records the key this root derives.
    fn with_pq_if_added(
        &self,
        signer: NoteSigner,
        origin: &str,
        recorded: Option<&str>,
    ) -> Result<NoteSigner, WalletError> {
        let pq = self.ledger_pq_signer(origin)?;
        let vkey = pq.verifier().to_vkey();
        let added =
            self.store.get(LEDGER_PQ, origin)?.is_some() || recorded.is_some_and(|r| r.trim() == vkey);
        // A ledger that records another ML-DSA-44 key keeps it (clients
        // pinned it; only a handover replaces it, and a handover clears
        // it): the checkpoint is signed classically.
        if !added || recorded.is_some_and(|r| r.trim() != vkey) {
            return Ok(signer);
        }
        signer.with_pq(pq).map_err(WalletError::LedgerKey)
    }

    /// Signs a checkpoint of `ledger` (named `origin` in its checkpoints)
    /// when this wallet is its operator, and returns whether a checkpoint now
    /// covers its latest entries. Steps:
    /// 1. a ledger that is not an embedded file signs its own: `true`;
    /// 2. an embedded file with no operator yet takes this wallet's key for
    ///    `origin` (made on first use) as its operator;
    /// 3. an embedded file whose operator is another key is left alone: `false`;
    /// 4. the operator's key signs a checkpoint of everything integrated,
    ///    with its ML-DSA-44 companion too once added (recorded in the file).
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
        let signer = self.with_pq_if_added(signer, origin, ledger.pq_operator().await?.as_deref())?;
        ledger.set_operator(&signer.verifier().to_vkey()).await?;
        if let Some(pq) = signer.pq_verifier() {
            ledger.set_pq_operator(&pq.to_vkey()).await?;
        }
        ledger.checkpoint(&signer).await?;
        Ok(true)
    }
}
