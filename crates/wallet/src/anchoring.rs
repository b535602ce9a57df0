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
use crate::wallet::{ISSUED, IssuedRecord, Wallet, to_json};

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

    /// Records that the credentials this wallet issued (given as JSON) are
    /// anchored at `leaf`; a credential not issued here is passed over.
    pub fn mark_anchored(&self, credentials: &[String], leaf: u64) -> Result<(), WalletError> {
        for c in credentials {
            let Ok(mut record) = self.issued_record(c) else { continue };
            record.anchored = Some(leaf);
            let json = to_json(&record)?;
            self.store().update(|tx| tx.put(ISSUED, &record.id, &json))?;
        }
        Ok(())
    }

    /// The credentials `did` issued with `keys` that are not anchored: what
    /// an update replacing those keys leaves unverifiable.
    pub fn unanchored_by(&self, did: &str, keys: &[String]) -> Result<Vec<IssuedRecord>, WalletError> {
        Ok(self
            .issued()?
            .into_iter()
            .filter(|i| i.issuer == did && keys.contains(&i.key) && i.anchored.is_none())
            .collect())
    }
}
