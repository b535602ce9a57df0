//! The status lists a wallet keeps: the sealed record of each list (its
//! bits and allocations, how it is published, its resource keys) and
//! reading and writing those records.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use didam_credential::status_list::StatusListIssuer;
use didam_credential::{SecretKey, Suite};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::WalletError;
use crate::wallet::{Wallet, from_json, to_json};

/// The record kind of status lists.
pub(crate) const STATUS_LIST: &str = "status-list";

/// The media type of a status list credential secured with Data Integrity.
/// See: <https://www.w3.org/TR/vc-data-model-2.0/#vc-ld-media-type>
pub const STATUS_LIST_MEDIA_TYPE: &str = "application/vc";

/// Where a new list of a non-ledger issuer is published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusDirectory {
    /// The folder a daemon serves (`didam-resolver --status-dir`).
    pub dir: PathBuf,
    /// The URL the folder is served at (`https://issuer.example/status`).
    pub base_url: String,
}

/// How a list is published.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Publication {
    /// A resource of the issuer's `did:didam` DID on a ledger.
    #[serde(rename_all = "camelCase")]
    Ledger {
        /// The resource log key the resource's tip commits to (multibase secret).
        committed: Zeroizing<String>,
        /// The next key, written before an append whose reply is not known yet.
        pending: Option<Zeroizing<String>>,
    },
    /// A file in a served folder.
    #[serde(rename_all = "camelCase")]
    Directory {
        /// The folder.
        dir: PathBuf,
        /// The file name.
        file: String,
    },
}

impl std::fmt::Debug for Publication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ledger { .. } => f.write_str("Ledger { .. }"),
            Self::Directory { dir, file } => {
                f.debug_struct("Directory").field("dir", dir).field("file", file).finish()
            }
        }
    }
}

/// One status list of an issuer, as the wallet keeps it (sealed).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusListRecord {
    /// The issuer DID (of this wallet).
    pub issuer: String,
    /// The suite the list is signed with.
    pub suite: String,
    /// URL, purpose, bits and allocations.
    pub list: StatusListIssuer,
    /// Where it is published.
    pub publication: Publication,
    /// When it was last published, if ever.
    pub published: Option<DateTime<Utc>>,
}

/// The suite a kept list is signed with, by the engine's one parser.
pub(super) fn suite_named(name: &str) -> Result<Suite, WalletError> {
    name.parse().map_err(|e| WalletError::Tampered(format!("status list signed with {e}")))
}

pub(super) fn secret(text: &str) -> Result<SecretKey, WalletError> {
    SecretKey::from_multibase(text).map_err(|_| WalletError::Tampered("status list key".into()))
}

impl Wallet {
    /// Every status list this wallet keeps, by URL.
    pub fn status_lists(&self) -> Result<Vec<StatusListRecord>, WalletError> {
        self.store().list(STATUS_LIST)?.iter().map(|(id, b)| from_json(STATUS_LIST, id, b)).collect()
    }

    pub(super) fn status_list(&self, url: &str) -> Result<StatusListRecord, WalletError> {
        let b = self
            .store()
            .get(STATUS_LIST, url)?
            .ok_or_else(|| WalletError::NoSuchRecord { kind: "status list", id: url.to_owned() })?;
        from_json(STATUS_LIST, url, &b)
    }

    pub(super) fn put_status_list(&self, record: &StatusListRecord) -> Result<(), WalletError> {
        self.store().update(|tx| tx.put(STATUS_LIST, record.list.url(), &to_json(record)?))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn publication_debug_hides_keys() {
        use serde_json::json;
        let p = Publication::Ledger { committed: Zeroizing::new("zsecret".into()), pending: None };
        assert!(!format!("{p:?}").contains("zsecret"));
        let json = json!({"kind": "directory", "dir": "/tmp", "file": "a.json"});
        assert!(matches!(
            serde_json::from_value::<Publication>(json).unwrap(),
            Publication::Directory { .. }
        ));
    }
}
