//! The DID controller: the `did:didam` DIDs the wallet controls on a ledger
//! (and its `did:key` DIDs), every operation durable before public.
//!
//! Steps of every operation ([`Wallet::create_did`], [`Wallet::rotate_did`],
//! [`Wallet::update_did`], [`Wallet::deactivate_did`]):
//! 1. check the cold Rotation Root Secret and that no operation of the DID is
//!    waiting for the ledger;
//! 2. build the entry with `didam_method::entry`, signed by the update key
//!    the previous entry committed to (derived from the rotation secret),
//!    committing to the next one;
//! 3. store it as a [`PendingOp`] (with any new key records) in one
//!    transaction, and back up;
//! 4. append it to the ledger, then record the DID's new state and back up.
//!
//! A crash or an unreachable ledger between 3 and 4 leaves the operation
//! pending: [`Wallet::reconcile`] re-submits it (appends are idempotent).

use chrono::{DateTime, Utc};
use didam_credential::{KeyType, PublicKey, SecretKey};
use didam_ledger::Ledger;
use didam_method::history::KeyRemoval;
use didam_method::{DidamDid, LogEntry, entry};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::WalletError;
use crate::keys::RootSecret;
use crate::keystore::Allocated;
use crate::wallet::{DID, DidRecord, DidStatus, KEY, KeyRecord, PENDING, Wallet, entry_time, to_json};

/// A DID operation stored before it is submitted (durable before public).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingOp {
    /// The DID.
    pub did: String,
    /// `create`, `update`, `rotate`, `deactivate` or `compromise`.
    pub op: String,
    /// The signed log entry.
    pub entry: LogEntry,
    /// The DID record once the entry is accepted.
    pub then: DidRecord,
    /// When it was made.
    pub created: DateTime<Utc>,
}

/// Outcome of reconciling one pending operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reconciled {
    /// The ledger holds the entry (now or from before the crash).
    Confirmed(String),
    /// The ledger refused it for good; the operation was dropped.
    Dropped {
        /// The DID.
        did: String,
        /// Why.
        reason: String,
    },
    /// The ledger could not be reached; the operation stays pending.
    StillPending {
        /// The DID.
        did: String,
        /// Why.
        reason: String,
    },
}

/// What the next entry of a DID changes.
#[derive(Default)]
pub(crate) struct Change {
    /// The types of the update keys the entry commits to (its successors'
    /// control), when they change: ML-DSA-44, or hybrid control.
    pub(crate) control: Option<Vec<KeyType>>,
    pub(crate) keys: Option<Vec<(String, PublicKey)>>,
    pub(crate) services: Option<Vec<Value>>,
    pub(crate) deactivate: bool,
    /// Why the signing keys the entry removes leave (default: retired).
    pub(crate) removal: Option<KeyRemoval>,
}

/// Refuses a control set no did:didam entry can be signed with: empty, a
/// type twice, or a type that cannot be an update key (front ends call it
/// before they ask for any secret).
pub fn check_control(control: &[KeyType]) -> Result<(), WalletError> {
    let valid = !control.is_empty()
        && control.iter().all(|t| didam_method::log::update_suite(*t).is_some())
        && control.iter().enumerate().all(|(i, t)| !control[..i].contains(t));
    if valid {
        Ok(())
    } else {
        Err(WalletError::Control(control.iter().map(|t| t.name()).collect::<Vec<_>>().join(",")))
    }
}

impl Wallet {
    /// Every DID the wallet controls.
    pub fn dids(&self) -> Result<Vec<DidRecord>, WalletError> {
        self.records(DID)
    }

    /// One DID's record.
    pub fn did(&self, did: &str) -> Result<DidRecord, WalletError> {
        self.record(DID, "DID", did)
    }

    /// Operations written but not confirmed by a ledger.
    pub fn pending(&self) -> Result<Vec<PendingOp>, WalletError> {
        self.records(PENDING)
    }

    /// Creates a `did:didam` DID on `ledger` with one signing key per type in
    /// `key_types`. The create entry is signed by update key 0 of a new slot
    /// of `rrs` and commits to update key 1. Durable before public: the
    /// operation is stored and backed up before it is submitted.
    pub async fn create_did<L: Ledger>(
        &self,
        ledger: &L,
        ledger_name: &str,
        rrs: &RootSecret,
        key_types: &[KeyType],
    ) -> Result<DidRecord, WalletError> {
        self.create_did_controlled(ledger, ledger_name, rrs, key_types, &[KeyType::Ed25519]).await
    }

    /// [`Wallet::create_did`] with update keys of `control` (one of each
    /// type, all signing every entry): `[Ed25519]` as `create_did`,
    /// `[MlDsa44]` for quantum-safe control, `[Ed25519, MlDsa44]` for hybrid
    /// control, which survives a break of either algorithm.
    pub async fn create_did_controlled<L: Ledger>(
        &self,
        ledger: &L,
        ledger_name: &str,
        rrs: &RootSecret,
        key_types: &[KeyType],
        control: &[KeyType],
    ) -> Result<DidRecord, WalletError> {
        self.check_rrs(rrs)?;
        if key_types.is_empty() {
            return Err(WalletError::NoKeyTypes);
        }
        let Allocated { slot, keys, epoch } = self.allocate_keys(key_types)?;
        let named: Vec<(String, PublicKey)> =
            keys.iter().map(|(_, k)| (k.to_multikey(), k.clone())).collect();
        let document = entry::document_with_methods("did:didam:{SCID}", &named);
        check_control(control)?;
        let update = rrs.update_keys(control, slot, 0)?;
        let next: Vec<PublicKey> =
            rrs.update_keys(control, slot, 1)?.iter().map(|k| k.public_key()).collect();
        let signers: Vec<&SecretKey> = update.iter().collect();
        let (did, entry) = entry::create_controlled(&signers, &next, document, Utc::now()).await?;
        let record = DidRecord {
            did: did.to_string(),
            slot,
            update_n: 0,
            keys: named.iter().map(|(id, _)| id.clone()).collect(),
            ledger: ledger_name.to_owned(),
            status: DidStatus::Pending,
            version_id: None,
        };
        let now = Utc::now();
        let key_records: Vec<KeyRecord> = keys
            .iter()
            .map(|(index, k)| KeyRecord {
                id: k.to_multikey(),
                index: *index,
                epoch,
                did: Some(record.did.clone()),
                created: now,
                compromised: false,
            })
            .collect();
        let mut then = record.clone();
        then.status = DidStatus::Active;
        let op = PendingOp { did: record.did.clone(), op: "create".into(), entry, then, created: now };
        self.store.update(|tx| {
            for k in &key_records {
                tx.put(KEY, &k.id, &to_json(k)?)?;
            }
            tx.put(DID, &record.did, &to_json(&record)?)?;
            tx.put(PENDING, &record.did, &to_json(&op)?)
        })?;
        self.submit(ledger, op).await
    }

    /// Makes a `did:key` DID from a new signing key of `key_type`: an issuer
    /// or holder identity that needs no ledger (and can never be rotated; its
    /// status lists are published as files, see the `status` module).
    pub fn create_did_key(&self, key_type: KeyType) -> Result<DidRecord, WalletError> {
        let Allocated { slot, keys, epoch } = self.allocate_keys(&[key_type])?;
        let (index, key) = keys.into_iter().next().ok_or(WalletError::NoKeyTypes)?;
        let (did, _) = didam_credential::did::did_key(&key);
        let record = DidRecord {
            did: did.clone(),
            slot,
            update_n: 0,
            keys: vec![key.to_multikey()],
            ledger: String::new(),
            status: DidStatus::Active,
            version_id: None,
        };
        let key_record = KeyRecord {
            id: key.to_multikey(),
            index,
            epoch,
            did: Some(did.clone()),
            created: Utc::now(),
            compromised: false,
        };
        self.store.update(|tx| {
            tx.put(KEY, &key_record.id, &to_json(&key_record)?)?;
            tx.put(DID, &did, &to_json(&record)?)
        })?;
        self.backup()?;
        Ok(record)
    }

    async fn submit<L: Ledger>(&self, ledger: &L, op: PendingOp) -> Result<DidRecord, WalletError> {
        self.backup()?;
        let receipt = ledger.append(&op.entry).await?;
        let then = self.confirm(&op, receipt.version_id)?;
        self.backup()?;
        Ok(then)
    }

    /// Records that the ledger accepted `op` as `version_id`: the DID takes
    /// its new state and the operation is no longer pending.
    fn confirm(&self, op: &PendingOp, version_id: String) -> Result<DidRecord, WalletError> {
        let mut then = op.then.clone();
        then.version_id = Some(version_id);
        self.store.update(|tx| {
            tx.put(DID, &then.did, &to_json(&then)?)?;
            crate::resync::record_entry(tx, &then, &op.entry)?;
            tx.delete(PENDING, &then.did)
        })?;
        Ok(then)
    }

    fn no_pending(&self, did: &str) -> Result<DidRecord, WalletError> {
        if self.store.get(PENDING, did)?.is_some() {
            return Err(WalletError::OperationPending(did.to_owned()));
        }
        let record = self.did(did)?;
        record.ensure_active()?;
        Ok(record)
    }

    /// Writes the next entry of `did`: reveals update key `n+1`, commits to
    /// `n+2` (or deactivates), with `keys` as the new signing keys when given.
    pub(crate) async fn next_op<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        op: &str,
        change: Change,
    ) -> Result<DidRecord, WalletError> {
        let Change { control, keys: new_keys, services, deactivate, removal } = change;
        self.check_rrs(rrs)?;
        let mut record = self.no_pending(did)?;
        let didam = DidamDid::parse(did)?;
        let tip = ledger.tip(didam.as_did()).await?;
        if record.version_id.as_deref() != Some(tip.version_id.as_str()) {
            // The ledger is the truth (a restored or rolled-back wallet).
            self.resync_did(ledger, did).await?;
            record = self.no_pending(did)?;
        }
        let n = record.update_n + 1;
        self.check_commitment(rrs, &record, &tip, n)?;
        // Every key the tip committed to signs (of the types it named).
        let current = tip.next_key_types();
        let keys = rrs.update_keys(&current, record.slot, n)?;
        let next_types = control.unwrap_or(current);
        check_control(&next_types)?;
        let next: Vec<PublicKey> = if deactivate {
            Vec::new()
        } else {
            rrs.update_keys(&next_types, record.slot, n + 1)?.iter().map(|k| k.public_key()).collect()
        };
        let document = if new_keys.is_some() || services.is_some() {
            let named = match &new_keys {
                Some(k) => k.clone(),
                None => record
                    .keys
                    .iter()
                    .map(|id| Ok((id.clone(), PublicKey::from_multikey(id)?)))
                    .collect::<Result<Vec<_>, WalletError>>()?,
            };
            let mut doc = entry::document_with_methods(did, &named);
            let services =
                services.or_else(|| tip.document.get("service").and_then(Value::as_array).cloned());
            if let Some(s) = services.filter(|s| !s.is_empty()) {
                doc["service"] = Value::Array(s);
            }
            Some(doc)
        } else {
            None
        };
        let time = entry_time(&tip).await;
        let signers: Vec<&SecretKey> = keys.iter().collect();
        let removal = removal.unwrap_or(KeyRemoval::Retired);
        let entry = entry::next_removing(&tip, &signers, &next, document, deactivate, time, &removal).await?;
        let mut then = record.clone();
        then.update_n = n;
        if let Some(k) = &new_keys {
            then.keys = k.iter().map(|(id, _)| id.clone()).collect();
        }
        if deactivate {
            then.status = DidStatus::Deactivated;
        }
        let pending = PendingOp { did: did.to_owned(), op: op.to_owned(), entry, then, created: Utc::now() };
        self.store.update(|tx| tx.put(PENDING, did, &to_json(&pending)?))?;
        self.submit(ledger, pending).await
    }

    /// Rotates `did`'s update key (reveal the committed key, commit the next).
    pub async fn rotate_did<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
    ) -> Result<DidRecord, WalletError> {
        self.next_op(ledger, rrs, did, "rotate", Change::default()).await
    }

    /// Rotates `did` and moves its control to update keys of `control` (one
    /// key of each type, all signing every later entry): `[MlDsa44]` for
    /// quantum-safe control, `[Ed25519, MlDsa44]` for hybrid control. The
    /// entry is signed by the keys committed before (which a thief holding
    /// the current, revealed key does not have) and commits to the new
    /// ones by hash and type; the identifier does not change.
    pub async fn migrate_control<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        control: &[KeyType],
    ) -> Result<DidRecord, WalletError> {
        let change = Change { control: Some(control.to_vec()), ..Change::default() };
        self.next_op(ledger, rrs, did, "rotate", change).await
    }

    /// Updates `did`: new signing keys of `key_types` (when given) and/or new
    /// `services` (when given), rotating the update key as every entry does.
    /// Signing keys it replaces are recorded as retired (what they signed
    /// and anchored before stays valid): [`Wallet::update_did_removing`]
    /// records another reason.
    pub async fn update_did<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        key_types: Option<&[KeyType]>,
        services: Option<Vec<Value>>,
    ) -> Result<DidRecord, WalletError> {
        self.update_did_removing(ledger, rrs, did, key_types, services, KeyRemoval::Retired).await
    }

    /// [`Wallet::update_did`] recording `removal` for the signing keys it
    /// replaces (`specs/did-didam.md` §4.5).
    pub async fn update_did_removing<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
        key_types: Option<&[KeyType]>,
        services: Option<Vec<Value>>,
        removal: KeyRemoval,
    ) -> Result<DidRecord, WalletError> {
        let new_keys = match key_types {
            Some(types) => Some(self.new_keys_for(did, types)?),
            None => None,
        };
        let change = Change { keys: new_keys, services, removal: Some(removal), ..Change::default() };
        self.next_op(ledger, rrs, did, "update", change).await
    }

    pub(crate) fn new_keys_for(
        &self,
        did: &str,
        types: &[KeyType],
    ) -> Result<Vec<(String, PublicKey)>, WalletError> {
        let Allocated { keys, epoch, .. } = self.allocate_keys(types)?;
        let now = Utc::now();
        let named: Vec<(String, PublicKey)> =
            keys.iter().map(|(_, k)| (k.to_multikey(), k.clone())).collect();
        self.store.update(|tx| {
            for (index, k) in &keys {
                let r = KeyRecord {
                    id: k.to_multikey(),
                    index: *index,
                    epoch,
                    did: Some(did.to_owned()),
                    created: now,
                    compromised: false,
                };
                tx.put(KEY, &r.id, &to_json(&r)?)?;
            }
            Ok(())
        })?;
        Ok(named)
    }

    /// Deactivates `did` for good.
    pub async fn deactivate_did<L: Ledger>(
        &self,
        ledger: &L,
        rrs: &RootSecret,
        did: &str,
    ) -> Result<DidRecord, WalletError> {
        self.next_op(ledger, rrs, did, "deactivate", Change { deactivate: true, ..Change::default() }).await
    }

    /// Reconciles pending operations with `ledger` (run at start): re-submits
    /// each (appends are idempotent) and records the outcome. Every pending
    /// operation goes to `ledger`: a caller with DIDs on several ledgers
    /// reconciles each operation on its DID's own ([`Wallet::reconcile_op`]).
    pub async fn reconcile<L: Ledger>(&self, ledger: &L) -> Result<Vec<Reconciled>, WalletError> {
        let mut out = Vec::new();
        for op in self.pending()? {
            out.push(self.reconcile_op(ledger, op).await?);
        }
        if !out.is_empty() {
            self.backup()?;
        }
        Ok(out)
    }

    /// Reconciles one pending operation with `ledger`, its DID's ledger
    /// (the caller backs up afterwards).
    pub async fn reconcile_op<L: Ledger>(
        &self,
        ledger: &L,
        op: PendingOp,
    ) -> Result<Reconciled, WalletError> {
        match ledger.append(&op.entry).await {
            Ok(receipt) => {
                self.confirm(&op, receipt.version_id)?;
                Ok(Reconciled::Confirmed(op.did))
            }
            Err(e @ (didam_ledger::LedgerError::Unavailable(_) | didam_ledger::LedgerError::Corrupt(_))) => {
                Ok(Reconciled::StillPending { did: op.did, reason: e.to_string() })
            }
            Err(e) => {
                // Refused for good: keep the DID as the ledger has it.
                let held = ledger.log(op.entry.did()).await.map(|l| {
                    l.iter().any(|s| s.entry().is_ok_and(|e| e.version_id() == op.entry.version_id()))
                });
                let outcome = if let Ok(true) = held {
                    Reconciled::Confirmed(op.did.clone())
                } else {
                    Reconciled::Dropped { did: op.did.clone(), reason: e.to_string() }
                };
                let did = op.did.clone();
                let create = op.op == "create";
                self.store.update(|tx| {
                    if create && !matches!(held, Ok(true)) {
                        tx.delete(DID, &did)?;
                    } else if matches!(held, Ok(true)) {
                        let mut then = op.then.clone();
                        then.version_id = Some(op.entry.version_id().to_owned());
                        tx.put(DID, &did, &to_json(&then)?)?;
                        crate::resync::record_entry(tx, &then, &op.entry)?;
                    }
                    tx.delete(PENDING, &did)
                })?;
                Ok(outcome)
            }
        }
    }
}
