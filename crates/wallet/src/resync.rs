//! Resynchronising the wallet's DIDs with their ledgers: the ledger is the
//! truth about a DID, the wallet's record only a cache of it.
//!
//! A wallet restored from a backup older than the newest, or a `wallet.db`
//! copied back from a snapshot, remembers DIDs as they were: an older
//! version, an older update-key number, older signing keys. Steps:
//! 1. every confirmed entry is also kept in the wallet, as the DID's log
//!    ([`DidLog`], a record of its own), so every backup carries every DID's
//!    log and a lost embedded ledger can be refilled from it
//!    ([`Wallet::republish_log`]);
//! 2. [`Wallet::resync_did`] takes a DID's state from its ledger: version,
//!    update-key number (`versionNumber - 1`: entry `n + 1` reveals update
//!    key `n`), signing keys and status, and the log itself;
//! 3. every write on a DID does step 2 first when the ledger's tip is not
//!    the wallet's (`controller`), and checks that the ledger commits to the
//!    update key it is about to reveal;
//! 4. [`Wallet::check_fresh`] and [`Wallet::check_against_ledger`] report a
//!    rolled-back wallet: older than its newest backup, or behind a ledger.
//!
//! Slots and key indexes never repeat: see [`crate::keys`].

use didam_credential::Did;
use didam_ledger::Ledger;
use didam_method::LogEntry;
use didam_method::log::{DidState, key_hash};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::WalletError;
use crate::backup::{self, BackupKey};
use crate::error::BackupError;
use crate::keys::RootSecret;
use crate::store::Tx;
use crate::wallet::{DID, DidRecord, DidStatus, Wallet, from_json, to_json};

/// Record kind of the DID logs the wallet keeps (one record per DID).
pub(crate) const DID_LOG: &str = "did-log";

/// A DID's log as the wallet last saw it accepted, oldest entry first.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidLog {
    /// The DID.
    pub did: String,
    /// The ledger it was accepted by (as recorded in the DID's record).
    pub ledger: String,
    /// The entries, oldest first.
    pub entries: Vec<LogEntry>,
}

/// What [`Wallet::resync_did`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resynced {
    /// The DID.
    pub did: String,
    /// The `versionId` the wallet had.
    pub was: Option<String>,
    /// The `versionId` the ledger has (now the wallet's).
    pub now: String,
    /// Signing keys the ledger lists that this wallet holds no record of
    /// (added after the backup it was restored from): it cannot sign with
    /// them until the newest backup is restored.
    pub unknown_keys: Vec<String>,
}

impl Resynced {
    /// Whether the wallet's record changed.
    pub fn changed(&self) -> bool {
        self.was.as_deref() != Some(self.now.as_str())
    }
}

/// The multikeys of `document`'s verification methods, in order.
fn document_keys(document: &Value) -> Vec<String> {
    document
        .get("verificationMethod")
        .and_then(Value::as_array)
        .map(|methods| {
            methods.iter().filter_map(|m| m.get("publicKeyMultibase")?.as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default()
}

/// `record` as the ledger's `tip` has it.
pub(crate) fn state_from_tip(record: &DidRecord, tip: &DidState) -> Result<DidRecord, WalletError> {
    let update_n = u32::try_from(tip.version_number.saturating_sub(1)).map_err(|_| {
        WalletError::Tampered(format!("{} has more versions than a wallet counts", record.did))
    })?;
    let mut then = record.clone();
    then.update_n = update_n;
    then.version_id = Some(tip.version_id.clone());
    then.status = if tip.deactivated { DidStatus::Deactivated } else { DidStatus::Active };
    let keys = document_keys(&tip.document);
    if !keys.is_empty() {
        then.keys = keys;
    }
    Ok(then)
}

/// Checks that the ledger's log of `did` (`theirs`) extends the log the
/// wallet kept (`ours`): the wallet never takes an older or another state
/// (a rolled-back ledger would hand back keys a compromise retired, and
/// the update key the lost entries revealed).
fn extends(did: &str, ours: &[LogEntry], theirs: &[LogEntry]) -> Result<(), WalletError> {
    let parted = ours.iter().zip(theirs).find(|(a, b)| a.version_id() != b.version_id());
    if let Some((a, _)) = parted {
        return Err(WalletError::LedgerForked { did: did.to_owned(), at: a.version_id().to_owned() });
    }
    if theirs.len() < ours.len() {
        let last =
            |log: &[LogEntry]| log.last().map_or_else(|| "none".to_owned(), |e| e.version_id().to_owned());
        return Err(WalletError::LedgerBehind {
            did: did.to_owned(),
            wallet: last(ours),
            ledger: last(theirs),
        });
    }
    Ok(())
}

/// Appends `entry` to `did`'s log record (made when missing), in `tx`.
pub(crate) fn record_entry(tx: &mut Tx<'_>, record: &DidRecord, entry: &LogEntry) -> Result<(), WalletError> {
    let mut log = match tx.get(DID_LOG, &record.did)? {
        Some(b) => from_json::<DidLog>(DID_LOG, &record.did, &b)?,
        None => DidLog { did: record.did.clone(), ledger: record.ledger.clone(), entries: Vec::new() },
    };
    if !log.entries.iter().any(|e| e.version_id() == entry.version_id()) {
        log.entries.push(entry.clone());
    }
    tx.put(DID_LOG, &record.did, &to_json(&log)?)
}

impl Wallet {
    /// The log the wallet keeps of `did` (`None` for a DID confirmed before
    /// the wallet kept logs, until it is resynchronised).
    pub fn did_log(&self, did: &str) -> Result<Option<DidLog>, WalletError> {
        self.store.get(DID_LOG, did)?.map(|b| from_json(DID_LOG, did, &b)).transpose()
    }

    /// Takes `did`'s state from `ledger` (which must be the DID's ledger):
    /// version, update-key number, signing keys, status and log. A DID
    /// whose create is still pending is left to `reconcile`.
    pub async fn resync_did<L: Ledger>(&self, ledger: &L, did: &str) -> Result<Resynced, WalletError> {
        let record = self.did(did)?;
        let parsed = Did::parse(did)?;
        let tip = ledger.tip(&parsed).await?;
        let stored = ledger.log(&parsed).await?;
        let entries = stored.iter().map(|s| s.entry()).collect::<Result<Vec<_>, _>>()?;
        if let Some(kept) = self.did_log(did)? {
            extends(did, &kept.entries, &entries)?;
        }
        if entries.last().map(LogEntry::version_id) != Some(tip.version_id.as_str()) {
            return Err(WalletError::Ledger(didam_ledger::LedgerError::Corrupt(format!(
                "the tip of {did} is not the last entry of its log"
            ))));
        }
        let then = state_from_tip(&record, &tip)?;
        let known: Vec<String> = self.keys()?.into_iter().map(|k| k.id).collect();
        let unknown_keys = then.keys.iter().filter(|k| !known.contains(k)).cloned().collect();
        let log = DidLog { did: did.to_owned(), ledger: record.ledger.clone(), entries };
        self.store.update(|tx| {
            tx.put(DID, did, &to_json(&then)?)?;
            tx.put(DID_LOG, did, &to_json(&log)?)
        })?;
        Ok(Resynced { did: did.to_owned(), was: record.version_id, now: tip.version_id, unknown_keys })
    }

    /// Checks that `tip` (the ledger's) commits to update key `n` of `record`'s
    /// slot, the key the next entry reveals: a wallet whose view of the DID
    /// is not the ledger's fails here, before anything is stored or sent.
    pub(crate) fn check_commitment(
        &self,
        rrs: &RootSecret,
        record: &DidRecord,
        tip: &DidState,
        n: u32,
    ) -> Result<(), WalletError> {
        let committed = tip.next_key_hashes();
        for key in rrs.update_keys(&tip.next_key_types(), record.slot, n)? {
            if !committed.contains(&key_hash(&key.public_key().to_multikey())) {
                return Err(WalletError::NotCommitted {
                    did: record.did.clone(),
                    version: tip.version_id.clone(),
                });
            }
        }
        Ok(())
    }

    /// Appends the log the wallet keeps of `did` to `ledger` (appends are
    /// idempotent: entries the ledger holds are skipped): how a lost
    /// embedded ledger is refilled from a backup. Returns the number of
    /// entries the ledger did not hold before.
    pub async fn republish_log<L: Ledger>(&self, ledger: &L, did: &str) -> Result<usize, WalletError> {
        let log = self
            .did_log(did)?
            .ok_or_else(|| WalletError::NoSuchRecord { kind: "DID log", id: did.to_owned() })?;
        let mut added = 0;
        for outcome in ledger.append_all(&log.entries).await {
            if !outcome?.duplicate {
                added += 1;
            }
        }
        Ok(added)
    }

    /// Checks that the wallet is not older than its newest backup (a
    /// `wallet.db` copied back from a snapshot, or an older file put in
    /// place): every write bumps the store's generation, and every backup
    /// records the generation it was taken at.
    pub fn check_fresh(&self) -> Result<(), WalletError> {
        let Some(path) = Wallet::newest_backup(&self.dir) else { return Ok(()) };
        let bytes = std::fs::read(&path).map_err(crate::error::io(&path))?;
        let backup = match backup::open(&bytes, &BackupKey::Root(&self.root)) {
            Ok(newest) => newest.generation,
            // Sealed to another root: a wallet.db from before a re-key
            // (compromise); its name still says its generation.
            Err(WalletError::Backup(BackupError::Decrypt(_))) => generation_of(&path).unwrap_or(0),
            Err(e) => return Err(e),
        };
        let wallet = self.store.generation()?;
        if backup > wallet {
            return Err(WalletError::RolledBack { wallet, backup, path });
        }
        Ok(())
    }

    /// Checks `did`'s record against `ledger` (its ledger): the wallet must
    /// know the ledger's latest version of it.
    pub async fn check_against_ledger<L: Ledger>(&self, ledger: &L, did: &str) -> Result<(), WalletError> {
        let record = self.did(did)?;
        if record.status == DidStatus::Pending {
            return Ok(());
        }
        let tip = ledger.tip(&Did::parse(did)?).await?;
        let keys: Vec<String> = self.keys()?.into_iter().map(|k| k.id).collect();
        let ours = record.version_id.as_deref() == Some(tip.version_id.as_str());
        if !ours
            && let Some(wallet) = &record.version_id
            && let Some(kept) = self.did_log(did)?
            && kept.entries.iter().any(|e| e.version_id() == tip.version_id)
        {
            // The ledger ends at an entry the wallet kept before its latest.
            return Err(WalletError::LedgerBehind {
                did: did.to_owned(),
                wallet: wallet.clone(),
                ledger: tip.version_id,
            });
        }
        let known = document_keys(&tip.document).iter().all(|k| keys.contains(k));
        if !ours || !known {
            return Err(WalletError::BehindLedger {
                did: did.to_owned(),
                wallet: record.version_id.unwrap_or_else(|| "none".into()),
                ledger: tip.version_id,
            });
        }
        Ok(())
    }
}

/// The generation in an automatic backup's name (`backup-<generation>.age`).
fn generation_of(path: &std::path::Path) -> Option<u64> {
    path.file_stem()?.to_str()?.strip_prefix("backup-")?.parse().ok()
}

impl Wallet {
    /// Records that `did` now lives on the ledger `ledger` (its log was
    /// published there, e.g. after its embedded ledger file was lost).
    pub fn relocate_did(&self, did: &str, ledger: &str) -> Result<DidRecord, WalletError> {
        let mut record = self.did(did)?;
        record.ledger = ledger.to_owned();
        let log = self.did_log(did)?;
        self.store.update(|tx| {
            tx.put(DID, did, &to_json(&record)?)?;
            if let Some(mut log) = log {
                log.ledger = ledger.to_owned();
                tx.put(DID_LOG, did, &to_json(&log)?)?;
            }
            Ok(())
        })?;
        self.backup()?;
        Ok(record)
    }
}
