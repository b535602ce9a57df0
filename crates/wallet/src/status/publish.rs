//! Publishing a status list: sign its current state as the issuer, then
//! append it as a new version of its ledger resource (revealing the
//! committed resource key, committing to a fresh one recorded first) or
//! rewrite its file atomically.

use std::path::Path;

use chrono::Utc;
use didam_credential::{KeyType, ProofOptions, SecretKey, proof};
use didam_ledger::Ledger;
use didam_method::log::key_hash;
use didam_registry::{ResourceUrl, resource};
use serde_json::Value;
use zeroize::Zeroizing;

use super::record::{Publication, STATUS_LIST_MEDIA_TYPE, StatusListRecord, secret, suite_named};
use crate::WalletError;
use crate::wallet::{Wallet, entry_time};

impl Wallet {
    /// Signs the list's current state and publishes it; returns where.
    pub(super) async fn publish_status_list<L: Ledger>(
        &self,
        ledger: Option<&L>,
        record: &mut StatusListRecord,
    ) -> Result<String, WalletError> {
        let suite = suite_named(&record.suite)?;
        let (did, key_id, key) = self.key_for(&record.issuer, suite.default_key_type())?;
        let now = Utc::now();
        let unsigned = record.list.credential(&record.issuer, now, None);
        let options = ProofOptions::assertion(suite, did.method_id(&key_id));
        let signed = proof::add_proof(&unsigned, &key, &options).await?;
        let published = match record.publication.clone() {
            Publication::Ledger { committed, pending } => {
                let ledger = ledger.ok_or_else(|| WalletError::NoLedger(record.list.url().to_owned()))?;
                self.publish_on_ledger(ledger, record, &signed, committed, pending).await?
            }
            Publication::Directory { dir, file } => {
                let path = dir.join(&file);
                write_list(&path, &signed)?;
                path.display().to_string()
            }
        };
        record.published = Some(now);
        self.put_status_list(record)?;
        // The resource key moved on: keep a backup that can extend it.
        self.backup()?;
        Ok(published)
    }

    async fn publish_on_ledger<L: Ledger>(
        &self,
        ledger: &L,
        record: &mut StatusListRecord,
        signed: &Value,
        mut committed: Zeroizing<String>,
        pending: Option<Zeroizing<String>>,
    ) -> Result<String, WalletError> {
        let url = ResourceUrl::parse(record.list.url())?;
        let tip = ledger.tip(url.log().as_did()).await?;
        // A publication whose reply was lost: the tip commits to the pending key.
        if let Some(pending) = pending {
            let hash = key_hash(&secret(&pending)?.public_key().to_multikey());
            if tip.next_key_hashes().contains(&hash) {
                committed = pending;
            }
        }
        let next = SecretKey::generate(KeyType::Ed25519);
        record.publication =
            Publication::Ledger { committed: committed.clone(), pending: Some(next.to_multibase()) };
        self.put_status_list(record)?;
        let time = entry_time(&tip).await;
        let receipt = resource::publish(
            ledger,
            &url,
            signed,
            STATUS_LIST_MEDIA_TYPE,
            &secret(&committed)?,
            &next.public_key(),
            time,
        )
        .await?;
        record.publication = Publication::Ledger { committed: next.to_multibase(), pending: None };
        Ok(receipt.version_id)
    }
}

/// Writes a list file atomically; replaces only a status list credential
/// with the same `id` (this list's earlier version), never another file.
fn write_list(path: &Path, signed: &Value) -> Result<(), WalletError> {
    if let Ok(existing) = std::fs::read(path) {
        let id = serde_json::from_slice::<Value>(&existing).ok().and_then(|v| v.get("id").cloned());
        if id.as_ref() != signed.get("id") {
            return Err(WalletError::Exists(path.display().to_string()));
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(crate::error::io(dir))?;
    }
    let text = serde_json::to_string_pretty(signed).map_err(WalletError::Encode)?;
    didam_ledger::file::write_atomic(path, text.as_bytes()).map_err(crate::error::io(path))
}
