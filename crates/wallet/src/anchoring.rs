//! Anchoring digests as one of the wallet's did:didam DIDs
//! (`specs/did-didam.md` §9.3): the batch's root is signed with the DID's
//! current signing key and appended as one ledger entry by
//! `didam_registry::anchor`; the wallet keeps no key of the anchor log (its
//! only entry freezes it).

use didam_credential::PublicKey;
use didam_ledger::merkle::Hash;
use didam_ledger::{Ledger, Receipt};
use didam_method::DidamDid;
use didam_registry::anchor::{self, Batch};

use crate::WalletError;
use crate::wallet::Wallet;

impl Wallet {
    /// Anchors `digests` as `issuer` (a did:didam DID of this wallet, active)
    /// on `ledger`, signed with its first signing key; returns the batch and
    /// the anchor entry's receipt.
    pub async fn anchor<L: Ledger>(
        &self,
        ledger: &L,
        issuer: &str,
        digests: &[Hash],
    ) -> Result<(Batch, Receipt), WalletError> {
        let did = DidamDid::parse(issuer)?;
        let record = self.did(issuer)?;
        let first = record.keys.first().ok_or_else(|| WalletError::NotFound(issuer.to_owned()))?;
        let (record, key_id, key) = self.key_for(issuer, PublicKey::from_multikey(first)?.key_type())?;
        Ok(anchor::anchor(ledger, &did, &record.method_id(&key_id), &key, digests).await?)
    }
}
