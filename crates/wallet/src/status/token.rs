//! The issuer's Token Status Lists (IETF, JWT form) for SD-JWT VCs: one
//! list of 2-bit entries an issuer (VALID, INVALID, SUSPENDED), each copy
//! of a credential at its own random index (the Bitstring lists' allocator),
//! the record sealed and stored before anything is signed, the Status List
//! Token signed with the issuer's first key and written atomically to a
//! folder a daemon serves (`--status-dir`, at `--status-url`). Revoking is
//! final; suspending and reinstating flip the entry between SUSPENDED and
//! VALID. (Publishing a token list as a ledger resource is not done yet:
//! ledger resources hold JSON credentials.)

use chrono::{DateTime, Utc};
use didam_credential::DidUrl;
use didam_credential::status_list::IndexAllocator;
use didam_credential::token_status_list::{TokenStatus, TokenStatusList};
use serde::{Deserialize, Serialize};

use super::StatusDirectory;
use crate::WalletError;
use crate::wallet::{Wallet, from_json, to_json};

/// The record kind of token status lists.
const TOKEN_STATUS_LIST: &str = "token-status-list";

/// Entries of a new token list: as many as a Bitstring list's minimum, for
/// the same herd privacy.
const ENTRIES: usize = didam_credential::status_list::StatusList::MIN_ENTRIES;

/// One Token Status List of an issuer, as the wallet keeps it (sealed).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenStatusListRecord {
    /// The issuer DID (of this wallet).
    pub issuer: String,
    /// The list's URI (the token's `sub`).
    pub uri: String,
    /// The entries.
    pub list: TokenStatusList,
    /// Which indexes were given out.
    pub allocator: IndexAllocator,
    /// The folder the token is written to.
    pub dir: std::path::PathBuf,
    /// Its file name there.
    pub file: String,
    /// When it was last published, if ever.
    pub published: Option<DateTime<Utc>>,
}

impl Wallet {
    /// Every token status list this wallet keeps.
    pub fn token_status_lists(&self) -> Result<Vec<TokenStatusListRecord>, WalletError> {
        self.store()
            .list(TOKEN_STATUS_LIST)?
            .iter()
            .map(|(id, b)| from_json(TOKEN_STATUS_LIST, id, b))
            .collect()
    }

    pub(crate) fn token_status_list(&self, uri: &str) -> Result<TokenStatusListRecord, WalletError> {
        let b = self
            .store()
            .get(TOKEN_STATUS_LIST, uri)?
            .ok_or_else(|| WalletError::NoSuchRecord { kind: "token status list", id: uri.to_owned() })?;
        from_json(TOKEN_STATUS_LIST, uri, &b)
    }

    fn put_token_status_list(&self, record: &TokenStatusListRecord) -> Result<(), WalletError> {
        self.store().update(|tx| tx.put(TOKEN_STATUS_LIST, &record.uri, &to_json(record)?))?;
        Ok(())
    }

    /// Allocates `count` indexes of `issuer`'s open token list in
    /// `directory` (a new list when it has none or it is full), stored
    /// before anything is signed; returns the record and the indexes.
    pub(crate) fn allocate_token_status(
        &self,
        issuer: &str,
        directory: &StatusDirectory,
        count: usize,
    ) -> Result<(TokenStatusListRecord, Vec<usize>), WalletError> {
        let open = self.token_status_lists()?.into_iter().find(|r| {
            r.issuer == issuer && r.allocator.allocated().saturating_add(count) <= r.allocator.entries()
        });
        let mut record = match open {
            Some(record) => record,
            None => {
                let file = format!("token-status-{}.jwt", crate::keys::hex(&super::rand_bytes()));
                let uri = format!("{}/{file}", directory.base_url.trim_end_matches('/'));
                TokenStatusListRecord {
                    issuer: issuer.to_owned(),
                    uri,
                    list: TokenStatusList::new(ENTRIES, 2)?,
                    allocator: IndexAllocator::new(ENTRIES),
                    dir: directory.dir.clone(),
                    file,
                    published: None,
                }
            }
        };
        let indexes = (0..count).map(|_| record.allocator.allocate()).collect::<Result<Vec<_>, _>>()?;
        self.put_token_status_list(&record)?;
        self.backup()?;
        Ok((record, indexes))
    }

    /// Sets the entry `index` of the list at `uri` and publishes the list;
    /// returns the file written.
    pub(crate) fn set_token_status(
        &self,
        uri: &str,
        index: usize,
        status: TokenStatus,
    ) -> Result<(TokenStatusListRecord, String), WalletError> {
        let mut record = self.token_status_list(uri)?;
        if !record.allocator.is_allocated(index) {
            return Err(didam_credential::StatusError::NotAllocated(index).into());
        }
        record.list.set(index, status)?;
        self.put_token_status_list(&record)?;
        let published = self.publish_token_status_list(&mut record)?;
        Ok((record, published))
    }

    /// Signs the list's current state as its issuer and writes the token
    /// atomically; returns the file written.
    pub(crate) fn publish_token_status_list(
        &self,
        record: &mut TokenStatusListRecord,
    ) -> Result<String, WalletError> {
        let did = self.did(&record.issuer)?;
        did.ensure_active()?;
        let key_id = did.keys.first().cloned().ok_or_else(|| WalletError::NoKeyOfType {
            did: record.issuer.clone(),
            key_type: didam_credential::KeyType::Ed25519,
        })?;
        let key = self.signing_key(&key_id)?;
        let kid = DidUrl::parse(&did.method_id(&key_id))?;
        let now = Utc::now();
        let token = record.list.sign(&record.uri, &key, &kid, now, None);
        std::fs::create_dir_all(&record.dir).map_err(crate::error::io(&record.dir))?;
        let path = record.dir.join(&record.file);
        didam_ledger::file::write_atomic(&path, token.as_bytes()).map_err(crate::error::io(&path))?;
        record.published = Some(now);
        self.put_token_status_list(record)?;
        Ok(path.display().to_string())
    }
}
