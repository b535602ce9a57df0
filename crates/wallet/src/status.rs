//! The issuer's status lists: credentials issued with a status entry, and
//! revoking, suspending and reinstating them (W3C Bitstring Status List).
//!
//! Steps of [`Wallet::issue_with_status`], for each purpose asked for
//! (revocation, and optionally suspension):
//! 1. take the issuer's open list of that purpose, or start one: for a
//!    `did:didam` issuer a resource log on the ledger
//!    (`didam_registry::resource`; its URL is the DID URL
//!    `<issuer>/resources/<SCID>`), otherwise a file in a folder a daemon
//!    serves (`--status-dir`) at `<base URL>/<file>`;
//! 2. allocate a random free index and store the list record (sealed, kind
//!    `status-list`) before anything is signed, so an index is never given
//!    twice;
//! 3. sign the credential with the entries in `credentialStatus` (the
//!    wallet's `issued` record keeps them, for revoking by credential id);
//! 4. publish a list on first use.
//!
//! [`Wallet::set_status`] flips the bit of each entry of a credential this
//! wallet issued, stores the list, then re-signs and re-publishes it:
//! a new version of the ledger resource (revealing the committed resource
//! key, committing to a fresh one, recorded before the append so a lost reply
//! is reconciled on the next publication), or the file rewritten atomically.
//!
//! The resource log's update keys are random keys sealed in the list record
//! (like the ledger operator key): they are not the DID's update keys (which
//! derive from the cold rotation secret) and can only append versions of this
//! one resource, whose content must still be signed by the issuer's current
//! assertion key to be accepted by resolvers, and must not be an earlier
//! version's content again. After a leak, [`Wallet::republish_status_lists`]
//! (step 5 of [`Wallet::compromise`]) re-signs every list of the wallet on
//! the ledger with its issuer's new key and spends the leaked resource key.

use chrono::Utc;
use didam_credential::proof::SuiteOptions;
use didam_credential::selective::JsonPointer;
use didam_credential::status_list::{StatusListIssuer, StatusPurpose};
use didam_credential::token_status_list::{self, TokenStatus};
use didam_credential::{KeyType, SecretKey, Suite};
use didam_ledger::Ledger;
use didam_method::DidamDid;
use didam_registry::resource;
use serde::Serialize;
use serde_json::{Value, json};

use crate::WalletError;
use crate::wallet::{DidLedgers, ISSUED, IssuedRecord, Wallet, content_id, from_json};

mod publish;
mod record;
mod token;

pub use record::{Publication, STATUS_LIST_MEDIA_TYPE, StatusDirectory, StatusListRecord};
pub use token::TokenStatusListRecord;

/// What [`Wallet::set_status`] does to each entry of a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusAction {
    /// Set the bit of the revocation entry (final).
    Revoke,
    /// Set the bit of the suspension entry.
    Suspend,
    /// Clear the bit of the suspension entry.
    Reinstate,
}

impl StatusAction {
    /// The purpose of the list the action applies to.
    pub fn purpose(self) -> StatusPurpose {
        match self {
            Self::Revoke => StatusPurpose::Revocation,
            Self::Suspend | Self::Reinstate => StatusPurpose::Suspension,
        }
    }

    /// The verb, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }
}

/// A list re-published after a leak by [`Wallet::republish_status_lists`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Republished {
    /// The status list credential's URL.
    pub list: String,
    /// The resource's new `versionId`, when it was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Why it was not (its resource key was used by someone else, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A list changed and published by [`Wallet::set_status`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// The credential.
    pub credential: String,
    /// The status list credential's URL.
    pub list: String,
    /// The credential's index in it.
    pub index: usize,
    /// The list's purpose.
    pub purpose: String,
    /// Whether the bit is now set (revoked or suspended).
    pub set: bool,
    /// Where the list was published (the resource's `versionId` on the ledger,
    /// or the file written).
    pub published: String,
}

impl Wallet {
    /// Issues `credential` as `issuer` with a status entry for each of
    /// `purposes` (see the module doc). A `did:didam` issuer's lists go to
    /// `ledger`; others' to `directory`. Returns the signed credential.
    pub async fn issue_with_status<L: Ledger>(
        &self,
        ledger: Option<&L>,
        directory: Option<&StatusDirectory>,
        credential: &Value,
        issuer: &str,
        suite: impl Into<SuiteOptions>,
        purposes: &[StatusPurpose],
    ) -> Result<Value, WalletError> {
        let mut suite = suite.into();
        // A selective-disclosure credential always discloses its status
        // (a verifier must be able to check it); the list itself is signed
        // with the plain ECDSA suite (nobody derives from a list).
        let list_suite = match suite.suite {
            Suite::EcdsaSd2023 => {
                let status: JsonPointer =
                    "/credentialStatus".parse().map_err(didam_credential::Error::from)?;
                if !suite.mandatory_pointers.contains(&status) {
                    suite.mandatory_pointers.push(status);
                }
                Suite::EcdsaRdfc2019
            }
            // A BLS12-381 G2 key signs only bbs-2023 base proofs, which no
            // verifier accepts on a list; a second issuer key for lists is
            // not there yet.
            Suite::Bbs2023 => {
                return Err(didam_credential::Error::Unsignable(
                    "a bbs-2023 credential cannot carry a status entry yet: its issuer's BLS12-381 key cannot sign the status list",
                )
                .into());
            }
            other => other,
        };
        if credential.get("credentialStatus").is_some() {
            return Err(WalletError::HasStatus);
        }
        self.ensure_not_issued(credential)?;
        self.did(issuer)?;
        let mut entries = Vec::new();
        let mut fresh = Vec::new();
        for &purpose in purposes {
            let (mut record, new) = match self.open_list(issuer, purpose)? {
                Some(r) => (r, false),
                None => (self.start_list(ledger, directory, issuer, list_suite, purpose).await?, true),
            };
            let index = record.list.allocate()?;
            self.put_status_list(&record)?;
            entries.push(record.list.entry(index)?);
            if new {
                fresh.push(record);
            }
        }
        let mut credential = credential.clone();
        credential["credentialStatus"] = match entries.len() {
            1 => entries.remove(0),
            _ => Value::Array(entries),
        };
        let signed = self.issue(&credential, issuer, suite).await?;
        for mut record in fresh {
            self.publish_status_list(ledger, &mut record).await?;
        }
        Ok(signed)
    }

    /// The issuer's list of `purpose` with a free index, if any.
    fn open_list(
        &self,
        issuer: &str,
        purpose: StatusPurpose,
    ) -> Result<Option<StatusListRecord>, WalletError> {
        Ok(self.status_lists()?.into_iter().find(|r| {
            r.issuer == issuer
                && r.list.purpose() == purpose
                && r.list.allocator().allocated() < r.list.allocator().entries()
        }))
    }

    /// Step 1 for a new list.
    async fn start_list<L: Ledger>(
        &self,
        ledger: Option<&L>,
        directory: Option<&StatusDirectory>,
        issuer: &str,
        suite: Suite,
        purpose: StatusPurpose,
    ) -> Result<StatusListRecord, WalletError> {
        let (url, publication) = if issuer.starts_with("did:didam:") {
            let ledger = ledger.ok_or_else(|| WalletError::NoLedger(issuer.to_owned()))?;
            let parent = DidamDid::parse(issuer)?;
            let first = SecretKey::generate(KeyType::Ed25519);
            let committed = SecretKey::generate(KeyType::Ed25519);
            let name = format!("status-{purpose}");
            let (url, _) =
                resource::create(ledger, &parent, &name, &first, &committed.public_key(), Utc::now()).await?;
            (url.to_string(), Publication::Ledger { committed: committed.to_multibase(), pending: None })
        } else {
            let directory = directory.ok_or_else(|| WalletError::NoStatusDirectory(issuer.to_owned()))?;
            let file = format!("{purpose}-{}.json", crate::keys::hex(&rand_bytes()));
            let url = format!("{}/{file}", directory.base_url.trim_end_matches('/'));
            (url, Publication::Directory { dir: directory.dir.clone(), file })
        };
        let list = StatusListIssuer::new(url, purpose)?;
        let record = StatusListRecord {
            issuer: issuer.to_owned(),
            suite: suite.name().to_owned(),
            list,
            publication,
            published: None,
        };
        self.put_status_list(&record)?;
        self.backup()?;
        Ok(record)
    }

    /// Step 5 of [`Wallet::compromise`]: every status list of this wallet on
    /// the ledger (a leak of the wallet leaks every resource key), re-signed
    /// with its issuer's current key and published as a new version that
    /// reveals the leaked resource key and commits to a fresh one, so the
    /// leaked key is spent and the list verifies again. Running it again is
    /// harmless (one more version). A list that cannot be published (its
    /// resource key was used first by whoever holds the leak) is reported,
    /// and the others go on: such a list is lost, start a new one.
    pub async fn republish_status_lists<L: Ledger>(
        &self,
        ledgers: &DidLedgers<'_, L>,
    ) -> Result<Vec<Republished>, WalletError> {
        let lists = self.status_lists()?;
        let mut out = Vec::new();
        for mut record in lists {
            if !matches!(record.publication, Publication::Ledger { .. }) {
                continue;
            }
            let list = record.list.url().to_owned();
            // A list is a resource of its issuer DID, on that DID's ledger.
            let published = match ledgers.of(&record.issuer) {
                Ok(ledger) => self.publish_status_list(Some(ledger), &mut record).await,
                Err(e) => Err(e),
            };
            match published {
                Ok(version_id) => out.push(Republished { list, version_id: Some(version_id), error: None }),
                Err(e) => out.push(Republished { list, version_id: None, error: Some(e.to_string()) }),
            }
        }
        Ok(out)
    }

    /// Revokes, suspends or reinstates `credential` (a credential this wallet
    /// issued: its id, or the credential itself) and re-publishes each list
    /// changed. Returns the changes.
    pub async fn set_status<L: Ledger>(
        &self,
        ledger: Option<&L>,
        credential: &str,
        action: StatusAction,
    ) -> Result<Vec<StatusChange>, WalletError> {
        let issued = self.issued_record(credential)?;
        // An SD-JWT VC's entry in a Token Status List.
        if let Some(Ok((uri, index))) = issued
            .status
            .as_ref()
            .and_then(|status| token_status_list::entry_of(&json!({ "status": status })))
        {
            let status = match action {
                StatusAction::Revoke => TokenStatus::Invalid,
                StatusAction::Suspend => TokenStatus::Suspended,
                StatusAction::Reinstate => TokenStatus::Valid,
            };
            let (record, published) = self.set_token_status(&uri, index, status)?;
            return Ok(vec![StatusChange {
                credential: issued.id,
                list: uri,
                index,
                purpose: action.purpose().name().to_owned(),
                set: record.list.get(index)? != TokenStatus::Valid,
                published,
            }]);
        }
        let entries: Vec<Value> = match &issued.status {
            Some(Value::Array(a)) => a.clone(),
            Some(e) => vec![e.clone()],
            None => Vec::new(),
        };
        let purpose = action.purpose();
        let mut changes = Vec::new();
        for entry in entries {
            if entry.get("statusPurpose").and_then(Value::as_str) != Some(purpose.name()) {
                continue;
            }
            let (Some(url), Some(index)) = (
                entry.get("statusListCredential").and_then(Value::as_str),
                entry.get("statusListIndex").and_then(Value::as_str).and_then(|i| i.parse::<usize>().ok()),
            ) else {
                return Err(WalletError::Tampered(format!("the status entry of {} is malformed", issued.id)));
            };
            let mut record = self.status_list(url)?;
            match action {
                StatusAction::Revoke => record.list.revoke(index),
                StatusAction::Suspend => record.list.suspend(index),
                StatusAction::Reinstate => record.list.reinstate(index),
            }?;
            self.put_status_list(&record)?;
            let published = self.publish_status_list(ledger, &mut record).await?;
            changes.push(StatusChange {
                credential: issued.id.clone(),
                list: url.to_owned(),
                index,
                purpose: purpose.name().to_owned(),
                set: record.list.is_set(index)?,
                published,
            });
        }
        if changes.is_empty() {
            return Err(WalletError::NoStatusEntry { credential: issued.id, purpose });
        }
        Ok(changes)
    }

    /// The record of a credential this wallet issued, by its id or given
    /// as JSON (its issuer DID says on which ledger its status lists live).
    pub fn issued_record(&self, credential: &str) -> Result<IssuedRecord, WalletError> {
        let id = match serde_json::from_str::<Value>(credential) {
            Ok(Value::Object(doc)) => match doc.get("id").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => content_id(&Value::Object(doc)),
            },
            // An SD-JWT VC is recorded by its issuer JWT.
            _ if didam_credential::sd_jwt::SdJwt::looks_like(credential) => {
                content_id(&json!(credential.trim().split('~').next().unwrap_or_default()))
            }
            _ => credential.to_owned(),
        };
        let b = self
            .store()
            .get(ISSUED, &id)?
            .ok_or_else(|| WalletError::NoSuchRecord { kind: "issued credential", id: id.clone() })?;
        from_json(ISSUED, &id, &b)
    }
}

pub(crate) fn rand_bytes() -> [u8; 8] {
    use rand_core::RngCore as _;
    let mut b = [0u8; 8];
    rand_core::OsRng.fill_bytes(&mut b);
    b
}

/// The status entries of `credential` for display: `(purpose, url, index)`.
pub fn status_entries(credential: &Value) -> Vec<(String, String, String)> {
    let list = match credential.get("credentialStatus") {
        Some(Value::Array(a)) => a.clone(),
        Some(e) => vec![e.clone()],
        None => Vec::new(),
    };
    list.iter()
        .map(|e| {
            let s = |n: &str| e.get(n).and_then(Value::as_str).unwrap_or_default().to_owned();
            (s("statusPurpose"), s("statusListCredential"), s("statusListIndex"))
        })
        .collect()
}
