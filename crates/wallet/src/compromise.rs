//! The compromise procedure after a key leak: a resumable procedure whose
//! state is a journal sealed in the wallet (record kind `compromise`, id
//! `current`), so a run cut short (a crash, Ctrl-C, a ledger that went away)
//! is continued by the next one and the wallet is never re-keyed twice for
//! one leak.
//!
//! Steps (each recorded in the journal when done):
//! 1. [`Wallet::compromise_begin`]: in one transaction, every current key
//!    marked compromised, the wallet re-keyed (a new root wrapped under the
//!    passphrase) and the journal written, naming the new root by its public
//!    check value (never the secret) and the DIDs whose keys leaked. A
//!    journal of an unfinished run is continued instead;
//! 2. the caller splits the new root into shares: it records the share set's
//!    public identifier first ([`Wallet::compromise_shares_planned`]) and
//!    that the files are written and synced after
//!    ([`Wallet::compromise_shares_written`]), so a retry recognises the
//!    files of the interrupted run as its own;
//! 3. [`Wallet::compromise_continue`]: pending operations reconciled; every
//!    `did:didam` DID rotated on its own ledger ([`DidLedgers`]) with the
//!    cold rotation secret (pre-rotation:
//!    new verification methods from the new root); every DID that cannot be
//!    rotated (`did:key`, `did:jwk`) marked [`DidStatus::Compromised`] and
//!    reported "stop using, re-issue";
//! 4. the rotations made resolvable at once, before any step that can fail:
//!    the caller's `resolvable` step signs a checkpoint as the ledger's
//!    operator, or awaits a daemon's checkpoint (when it cannot, the journal
//!    says so, the report warns, and every later run tries again);
//! 5. the wallet's status lists re-published with the new keys;
//! 6. the ledger-operator keys the wallet holds reported as leaked, with
//!    what they sign for; then the journal is marked finished.
//!
//! Running it again after it finished reports again and changes nothing; a
//! new leak after a finished run starts a new procedure (`new_leak`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use didam_credential::PublicKey;
use didam_ledger::Ledger;
use didam_method::DidamDid;
use serde::{Deserialize, Serialize};

use crate::WalletError;
use crate::controller::{Change, Reconciled};
use crate::kdf::KdfParams;
use crate::keys::RootSecret;
use crate::status::Republished;
use crate::wallet::{
    DID, DidLedgers, DidRecord, DidStatus, IssuedRecord, KEY, LEDGER_KEY, META, Wallet, to_json,
};

/// The record kind of the journal.
const COMPROMISE: &str = "compromise";
/// The journal's record id: one procedure at a time.
const CURRENT: &str = "current";

/// The state of a compromise procedure, sealed in the wallet. It holds no
/// secret: the new root is named by its public check value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CompromiseJournal {
    /// The DID the leak was reported for.
    pub did: String,
    /// When the procedure began.
    pub started: DateTime<Utc>,
    /// The public check value of the new Wallet Root Secret.
    pub new_root: String,
    /// Every DID whose keys leaked (all of the wallet's at the leak).
    pub targets: Vec<String>,
    /// The new root's shares, once planned.
    pub shares: Option<ShareSet>,
    /// Whether the rotations were made resolvable (step 4).
    pub resolvable: bool,
    /// The status lists re-published (step 5), once done.
    pub status_lists: Option<Vec<Republished>>,
    /// When the procedure finished.
    pub finished: Option<DateTime<Utc>>,
}

/// The shares of the new root: public facts only.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ShareSet {
    /// The SLIP-39 identifier every share of the set carries.
    pub identifier: u16,
    /// The folder they are written to.
    pub dir: PathBuf,
    /// How many.
    pub count: u8,
    /// Whether every file is written and synced.
    pub written: bool,
}

/// A ledger-operator key the wallet holds: it leaked with the wallet.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LeakedOperatorKey {
    /// The ledger's origin (named in its checkpoints).
    pub origin: String,
    /// The leaked key's note verifier key, as verifiers pin it.
    pub vkey: String,
}

/// What the compromise procedure did.
#[derive(Debug)]
pub struct CompromiseReport {
    /// The procedure's journal (as finished).
    pub journal: CompromiseJournal,
    /// Keys marked compromised.
    pub leaked_keys: Vec<String>,
    /// `did:didam` DIDs rotated to new keys, with their new `versionId`.
    pub rotated: Vec<(String, String)>,
    /// DIDs that cannot be rotated (`did:key`, `did:jwk`): marked
    /// compromised; stop using them and re-issue what they signed.
    pub stop_using: Vec<String>,
    /// Credentials the leaked keys signed: revoke them.
    pub to_revoke: Vec<IssuedRecord>,
    /// The wallet's status lists on the ledger, re-signed and re-published.
    pub status_lists: Vec<Republished>,
    /// Ledger-operator keys held in the wallet: leaked with it.
    pub operator_keys: Vec<LeakedOperatorKey>,
}

impl Wallet {
    /// The journal of the latest compromise procedure, if any.
    pub fn compromise_journal(&self) -> Result<Option<CompromiseJournal>, WalletError> {
        match self.store.get(COMPROMISE, CURRENT)? {
            None => Ok(None),
            Some(b) => crate::wallet::from_json(COMPROMISE, CURRENT, &b).map(Some),
        }
    }

    /// Step 1: begins the procedure, or continues the unfinished one
    /// (returned with `true`). A finished one is returned as it is unless
    /// `new_leak`, which starts a new procedure: a new re-key.
    pub fn compromise_begin(
        &mut self,
        rrs: &RootSecret,
        did: &str,
        passphrase: &[u8],
        kdf: Option<KdfParams>,
        new_leak: bool,
    ) -> Result<(CompromiseJournal, bool), WalletError> {
        self.check_rrs(rrs)?;
        self.did(did)?;
        if let Some(journal) = self.compromise_journal()? {
            if journal.new_root != self.root.check_value() {
                return Err(WalletError::Tampered("the compromise journal names another root".into()));
            }
            match (&journal.finished, new_leak) {
                (None, true) => return Err(WalletError::CompromiseUnfinished(journal.started)),
                (None, false) | (Some(_), false) => return Ok((journal, true)),
                (Some(_), true) => {}
            }
        }
        let params = KdfParams::or_calibrated(kdf)?;
        let mut meta = self.meta()?;
        meta.epoch += 1;
        meta.next_key.clear();
        let new_root = RootSecret::generate();
        let journal = CompromiseJournal {
            did: did.to_owned(),
            started: Utc::now(),
            new_root: new_root.check_value(),
            targets: self
                .dids()?
                .into_iter()
                .filter(|d| d.status != DidStatus::Deactivated)
                .map(|d| d.did)
                .collect(),
            shares: None,
            resolvable: false,
            status_lists: None,
            finished: None,
        };
        let marked = self
            .keys()?
            .into_iter()
            .map(|mut k| {
                k.compromised = true;
                Ok((k.id.clone(), to_json(&k)?))
            })
            .collect::<Result<Vec<_>, WalletError>>()?;
        let (meta_json, journal_json) = (to_json(&meta)?, to_json(&journal)?);
        let mut updates: Vec<(&str, &str, &[u8])> =
            marked.iter().map(|(id, b)| (KEY, id.as_str(), &b[..])).collect();
        updates.push((META, "wallet", &meta_json));
        updates.push((COMPROMISE, CURRENT, &journal_json));
        self.store.rekey(&new_root, passphrase, &params, &updates)?;
        self.root = new_root;
        self.backup()?;
        Ok((journal, false))
    }

    /// Step 2, before the share files are written: records the set's
    /// public identifier, the folder and the count.
    pub fn compromise_shares_planned(
        &self,
        identifier: u16,
        dir: &Path,
        count: u8,
    ) -> Result<(), WalletError> {
        let set = ShareSet { identifier, dir: dir.to_owned(), count, written: false };
        self.update_journal(|j| j.shares = Some(set))
    }

    /// Step 2, once every share file is written and synced.
    pub fn compromise_shares_written(&self) -> Result<(), WalletError> {
        self.update_journal(|j| {
            if let Some(set) = &mut j.shares {
                set.written = true;
            }
        })
    }

    /// Steps 3 to 6 of the procedure begun by [`Wallet::compromise_begin`]
    /// (each skipped when the journal says it is done), each DID's
    /// operations and status lists on its own ledger (`ledgers`).
    /// `resolvable` makes the rotated versions resolvable (step 4) and says
    /// whether it could: sign a checkpoint as each ledger's operator
    /// ([`Wallet::checkpoint_as_operator`]), or await a daemon's
    /// checkpoint (`Resolver::wait_for_version`).
    pub async fn compromise_continue<L: Ledger>(
        &self,
        ledgers: &DidLedgers<'_, L>,
        rrs: &RootSecret,
        resolvable: impl AsyncFnOnce(&[(String, String)]) -> Result<bool, WalletError>,
    ) -> Result<CompromiseReport, WalletError> {
        self.check_rrs(rrs)?;
        let mut journal = self.compromise_journal()?.ok_or(WalletError::NoCompromise)?;
        let (rotated, stop_using) = self.compromise_rotate(ledgers, rrs, &journal).await?;
        if !journal.resolvable && resolvable(&rotated).await? {
            self.update_journal(|j| j.resolvable = true)?;
            journal.resolvable = true;
        }
        let status_lists = match journal.status_lists.clone() {
            Some(done) => done,
            None => {
                let done = self.republish_status_lists(ledgers).await?;
                self.update_journal(|j| j.status_lists = Some(done.clone()))?;
                done
            }
        };
        if journal.finished.is_none() {
            self.update_journal(|j| j.finished = Some(Utc::now()))?;
            self.backup()?;
        }
        let keys = self.keys()?;
        let compromised: BTreeSet<&str> =
            keys.iter().filter(|k| k.compromised).map(|k| k.id.as_str()).collect();
        let to_revoke = self.issued()?.into_iter().filter(|i| compromised.contains(i.key.as_str())).collect();
        Ok(CompromiseReport {
            journal: self.compromise_journal()?.ok_or(WalletError::NoCompromise)?,
            leaked_keys: compromised.iter().map(|k| (*k).to_owned()).collect(),
            rotated,
            stop_using,
            to_revoke,
            status_lists,
            operator_keys: self.operator_keys()?,
        })
    }

    /// Begins (or continues) and finishes the procedure in one call, for a
    /// caller that splits the new root ([`Wallet::root`]) into shares
    /// afterwards.
    pub async fn compromise<L: Ledger>(
        &mut self,
        ledgers: &DidLedgers<'_, L>,
        rrs: &RootSecret,
        did: &str,
        passphrase: &[u8],
        kdf: Option<KdfParams>,
        resolvable: impl AsyncFnOnce(&[(String, String)]) -> Result<bool, WalletError>,
    ) -> Result<CompromiseReport, WalletError> {
        self.compromise_begin(rrs, did, passphrase, kdf, false)?;
        self.compromise_continue(ledgers, rrs, resolvable).await
    }

    /// Step 3: the journal's target DIDs, its named DID first. Returns the
    /// rotated `did:didam` DIDs with their versions (rotated now or by an
    /// earlier run), and the DIDs that cannot be rotated.
    async fn compromise_rotate<L: Ledger>(
        &self,
        ledgers: &DidLedgers<'_, L>,
        rrs: &RootSecret,
        journal: &CompromiseJournal,
    ) -> Result<(Vec<(String, String)>, Vec<String>), WalletError> {
        let pending = self.pending()?;
        let reconciled = !pending.is_empty();
        for op in pending {
            let ledger = ledgers.of(&op.did)?;
            if let Reconciled::StillPending { did, .. } = self.reconcile_op(ledger, op).await? {
                self.backup()?;
                return Err(WalletError::OperationPending(did));
            }
        }
        if reconciled {
            self.backup()?;
        }
        let compromised: BTreeSet<String> =
            self.keys()?.into_iter().filter(|k| k.compromised).map(|k| k.id).collect();
        let mut targets: Vec<DidRecord> =
            self.dids()?.into_iter().filter(|d| journal.targets.contains(&d.did)).collect();
        targets.sort_by_key(|d| d.did != journal.did);
        let (mut rotated, mut stop_using) = (Vec::new(), Vec::new());
        for d in targets {
            match d.status {
                DidStatus::Deactivated => continue,
                DidStatus::Compromised => {
                    stop_using.push(d.did);
                    continue;
                }
                DidStatus::Pending => return Err(WalletError::DidPending(d.did)),
                DidStatus::Active => {}
            }
            if DidamDid::parse(&d.did).is_err() {
                self.mark_did_compromised(&d)?;
                stop_using.push(d.did);
                continue;
            }
            let record = if d.keys.iter().any(|k| compromised.contains(k)) {
                let types = d
                    .keys
                    .iter()
                    .map(|k| Ok(PublicKey::from_multikey(k)?.key_type()))
                    .collect::<Result<Vec<_>, WalletError>>()?;
                let new_keys = self.new_keys_for(&d.did, &types)?;
                let change = Change { keys: Some(new_keys), ..Change::default() };
                self.next_op(ledgers.of(&d.did)?, rrs, &d.did, "compromise", change).await?
            } else {
                d
            };
            rotated.push((record.did, record.version_id.unwrap_or_default()));
        }
        Ok((rotated, stop_using))
    }

    /// A DID that cannot be rotated, whose keys leaked: never used again.
    fn mark_did_compromised(&self, record: &DidRecord) -> Result<(), WalletError> {
        let mut then = record.clone();
        then.status = DidStatus::Compromised;
        self.store.update(|tx| tx.put(DID, &then.did, &to_json(&then)?))?;
        Ok(())
    }

    /// The ledger-operator keys held in the wallet (they leaked with it).
    fn operator_keys(&self) -> Result<Vec<LeakedOperatorKey>, WalletError> {
        let origins: Vec<String> = self.store.list(LEDGER_KEY)?.into_iter().map(|(id, _)| id).collect();
        let mut out = Vec::new();
        for origin in origins {
            if let Some(signer) = self.existing_ledger_signer(&origin)? {
                out.push(LeakedOperatorKey { origin, vkey: signer.verifier().to_vkey() });
            }
        }
        Ok(out)
    }

    fn update_journal(&self, change: impl FnOnce(&mut CompromiseJournal)) -> Result<(), WalletError> {
        self.store.update(|tx| {
            let b = tx.get(COMPROMISE, CURRENT)?.ok_or(WalletError::NoCompromise)?;
            let mut journal: CompromiseJournal = crate::wallet::from_json(COMPROMISE, CURRENT, &b)?;
            change(&mut journal);
            tx.put(COMPROMISE, CURRENT, &to_json(&journal)?)
        })?;
        Ok(())
    }
}
