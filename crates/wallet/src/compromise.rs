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
//! 6. the ledger-operator keys the wallet holds handed over to new keys
//!    (`didam_ledger::handover`): first a new key per origin is made and
//!    sealed in the wallet with the plan in the journal (one transaction);
//!    then the ledger signs the handover with the old and the new key and
//!    retires the old one (done again with the same keys, it returns the
//!    recorded handover, so a rerun never hands over twice); then the wallet
//!    takes the new key and the journal records the outcome (one
//!    transaction). A key this ledger is not operated by (another ledger, a
//!    daemon's) stays leaked and is reported; then the journal is marked
//!    finished.
//!
//! Running it again after it finished reports again and changes nothing; a
//! new leak after a finished run starts a new procedure (`new_leak`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use didam_credential::{KeyType, PublicKey, SecretKey};
use didam_ledger::handover::OperatorError;
use didam_ledger::note::NoteSigner;
use didam_ledger::{Ledger, LedgerError};
use didam_method::DidamDid;
use didam_method::history::{CompromisedSince, KeyRemoval};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

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
/// The record kind of an operator key made for a handover (step 6), by
/// origin, until the ledger takes it.
const LEDGER_KEY_NEXT: &str = "ledger-key-next";

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
    /// The operator keys to hand over (step 6), once planned.
    #[serde(default)]
    pub operators: Option<Vec<OperatorHandover>>,
    /// From where the leaked keys are compromised, as the rotations record
    /// it (`None`: entirely). A `versionId` names an entry of `did`; the
    /// other DIDs record theirs as compromised entirely.
    #[serde(default)]
    pub since: Option<CompromisedSince>,
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

/// A ledger-operator key of the wallet handed over to a new key (step 6):
/// public facts only (the keys by their note verifier keys).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OperatorHandover {
    /// The ledger's origin.
    pub origin: String,
    /// The leaked key.
    pub old: String,
    /// The new key (sealed in the wallet as the next key until the ledger
    /// takes it).
    pub new: String,
    /// What happened, once done.
    pub outcome: Option<HandoverOutcome>,
}

/// What handing an operator key over came to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[non_exhaustive]
pub enum HandoverOutcome {
    /// The ledger took the new key with a handover the old key signed, at
    /// this tree size; the old key is retired for good.
    HandedOver {
        /// The handover checkpoint's tree size.
        size: u64,
    },
    /// The ledger is not operated by this key here (another ledger, or a
    /// daemon's): the key stays leaked.
    NotThisLedger {
        /// Why, as the ledger said it.
        reason: String,
    },
    /// The old key had handed the ledger over to another key first (whoever
    /// else holds it: a thief).
    Lost {
        /// The key it was handed over to.
        successor: String,
    },
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
    /// Ledger-operator keys that leaked and are not handed over.
    pub operator_keys: Vec<LeakedOperatorKey>,
    /// The operator keys' handovers (step 6).
    pub operator_handovers: Vec<OperatorHandover>,
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
            operators: None,
            since: None,
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

    /// Records from where the leaked keys are compromised (before the
    /// rotations, which record it in each removing entry; afterwards it
    /// changes nothing already on the ledger). Without it: entirely.
    pub fn compromise_since(&self, since: CompromisedSince) -> Result<(), WalletError> {
        self.compromise_journal()?.ok_or(WalletError::NoCompromise)?;
        self.update_journal(|j| j.since = Some(since))?;
        self.backup()?;
        Ok(())
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
            self.compromise_operators(&ledgers.ledgers()).await?;
            self.update_journal(|j| j.finished = Some(Utc::now()))?;
            self.backup()?;
        }
        let keys = self.keys()?;
        let compromised: BTreeSet<&str> =
            keys.iter().filter(|k| k.compromised).map(|k| k.id.as_str()).collect();
        let to_revoke = self.issued()?.into_iter().filter(|i| compromised.contains(i.key.as_str())).collect();
        let journal = self.compromise_journal()?.ok_or(WalletError::NoCompromise)?;
        let operator_handovers = journal.operators.clone().unwrap_or_default();
        let operator_keys = match &journal.operators {
            // A journal from before step 6 existed: every key held leaked.
            None => self.operator_keys()?,
            Some(handovers) => handovers
                .iter()
                .filter(|h| !matches!(h.outcome, Some(HandoverOutcome::HandedOver { .. })))
                .map(|h| LeakedOperatorKey { origin: h.origin.clone(), vkey: h.old.clone() })
                .collect(),
        };
        Ok(CompromiseReport {
            journal,
            leaked_keys: compromised.iter().map(|k| (*k).to_owned()).collect(),
            rotated,
            stop_using,
            to_revoke,
            status_lists,
            operator_keys,
            operator_handovers,
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
                let since = match &journal.since {
                    Some(CompromisedSince::Leaf(l)) => CompromisedSince::Leaf(*l),
                    Some(since) if d.did == journal.did => since.clone(),
                    _ => CompromisedSince::Entirely,
                };
                let removal = Some(KeyRemoval::Compromised(since));
                let change = Change { keys: Some(new_keys), removal, ..Change::default() };
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

    /// Step 6: hands every operator key the wallet holds over to a new key
    /// (see the module doc), each handover once, on the first of `ledgers`
    /// (the wallet's DIDs' ledgers) that the key operates.
    async fn compromise_operators<L: Ledger>(&self, ledgers: &[&L]) -> Result<(), WalletError> {
        let planned = match self.compromise_journal()?.and_then(|j| j.operators) {
            Some(planned) => planned,
            None => self.plan_handovers()?,
        };
        for handover in planned.into_iter().filter(|h| h.outcome.is_none()) {
            let origin = &handover.origin;
            let missing = || WalletError::Tampered(format!("the operator key of {origin} is missing"));
            let old = self.existing_ledger_signer(origin)?.ok_or_else(missing)?;
            let new = self.next_ledger_signer(origin)?;
            if old.verifier().to_vkey() != handover.old || new.verifier().to_vkey() != handover.new {
                return Err(WalletError::Tampered(format!(
                    "the operator keys of {origin} differ from the journal"
                )));
            }
            let mut outcome =
                HandoverOutcome::NotThisLedger { reason: "the wallet's DIDs use no ledger".into() };
            for ledger in ledgers {
                outcome = match ledger.replace_operator(&old, &new).await {
                    Ok(signed) => HandoverOutcome::HandedOver { size: signed.size },
                    Err(LedgerError::Operator(OperatorError::Retired { successor, .. })) => {
                        HandoverOutcome::Lost { successor }
                    }
                    Err(e @ LedgerError::Operator(_)) => {
                        HandoverOutcome::NotThisLedger { reason: e.to_string() }
                    }
                    Err(e) => return Err(e.into()),
                };
                if !matches!(outcome, HandoverOutcome::NotThisLedger { .. }) {
                    break;
                }
            }
            self.settle_handover(origin, &new, outcome)?;
        }
        Ok(())
    }

    /// A new key for each origin whose operator key the wallet holds, sealed
    /// as its next key, and the plan in the journal: one transaction.
    fn plan_handovers(&self) -> Result<Vec<OperatorHandover>, WalletError> {
        let held = self.operator_keys()?;
        let mut next = Vec::new();
        let mut planned = Vec::new();
        for key in held {
            let signer = NoteSigner::new(&key.origin, SecretKey::generate(KeyType::Ed25519))
                .map_err(WalletError::LedgerKey)?;
            planned.push(OperatorHandover {
                origin: key.origin.clone(),
                old: key.vkey,
                new: signer.verifier().to_vkey(),
                outcome: None,
            });
            next.push((key.origin, to_json(&*signer.to_key_string())?));
        }
        let plan = planned.clone();
        self.store.update(|tx| {
            for (origin, text) in &next {
                tx.put(LEDGER_KEY_NEXT, origin, text)?;
            }
            let b = tx.get(COMPROMISE, CURRENT)?.ok_or(WalletError::NoCompromise)?;
            let mut journal: CompromiseJournal = crate::wallet::from_json(COMPROMISE, CURRENT, &b)?;
            journal.operators = Some(plan);
            tx.put(COMPROMISE, CURRENT, &to_json(&journal)?)
        })?;
        Ok(planned)
    }

    /// The new operator key made for `origin`'s handover.
    fn next_ledger_signer(&self, origin: &str) -> Result<NoteSigner, WalletError> {
        let missing = || WalletError::Tampered(format!("the next operator key of {origin} is missing"));
        let b = self.store.get(LEDGER_KEY_NEXT, origin)?.ok_or_else(missing)?;
        let text: Zeroizing<String> = Zeroizing::new(
            serde_json::from_slice(&b).map_err(|_| WalletError::Tampered("next ledger key record".into()))?,
        );
        NoteSigner::from_key_string(&text).map_err(WalletError::LedgerKey)
    }

    /// After the ledger answered: the wallet takes the new key when it was
    /// handed over, the next key record goes, and the journal records the
    /// outcome, in one transaction.
    fn settle_handover(
        &self,
        origin: &str,
        new: &NoteSigner,
        outcome: HandoverOutcome,
    ) -> Result<(), WalletError> {
        let text = to_json(&*new.to_key_string())?;
        self.store.update(|tx| {
            if matches!(outcome, HandoverOutcome::HandedOver { .. }) {
                tx.put(LEDGER_KEY, origin, &text)?;
            }
            tx.delete(LEDGER_KEY_NEXT, origin)?;
            let b = tx.get(COMPROMISE, CURRENT)?.ok_or(WalletError::NoCompromise)?;
            let mut journal: CompromiseJournal = crate::wallet::from_json(COMPROMISE, CURRENT, &b)?;
            for h in journal.operators.iter_mut().flatten().filter(|h| h.origin == origin) {
                h.outcome = Some(outcome.clone());
            }
            tx.put(COMPROMISE, CURRENT, &to_json(&journal)?)
        })?;
        self.backup()?;
        Ok(())
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
