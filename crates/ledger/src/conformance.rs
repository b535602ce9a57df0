//! The conformance suite every [`Ledger`] backend must pass.
//!
//! Each check runs on a fresh ledger made by the caller's factory and panics
//! with the failed property. A backend's tests call [`run_all`]:
//!
//! ```no_run
//! # async fn example() {
//! let dir = std::env::temp_dir().join("didam-ledger-doc");
//! let mut n = 0;
//! didam_ledger::conformance::run_all(|| {
//!     n += 1;
//!     didam_ledger::EmbeddedLedger::open(&dir.join(format!("{n}.db")), "example.test/ledger").unwrap()
//! })
//! .await;
//! # }
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: a failure is a panic"
)]

use chrono::{Duration, Utc};
use didam_credential::{Did, KeyType, SecretKey};
use didam_method::LogEntry;
use serde_json::{Map, Value, json};

use crate::admission::{AdmissionLimits, LimitError};
use crate::ledger::{Ledger, LedgerError};
use crate::merkle;
use crate::note::{Checkpoint, NoteSigner};
use didam_method::log::{self, EntryDraft, LogError, Method};

/// A DID under test: its keys and latest entry.
struct TestDid {
    did: Did,
    keys: Vec<SecretKey>,
    state: log::DidState,
}

fn document(did: &str) -> Value {
    json!({ "@context": ["https://www.w3.org/ns/did/v1"], "id": did })
}

fn params(update: &SecretKey, next: &SecretKey) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("updateKeys".into(), json!([update.public_key().to_multikey()]));
    p.insert("nextKeyHashes".into(), json!([log::key_hash(&next.public_key().to_multikey())]));
    p
}

async fn create<L: Ledger>(ledger: &L) -> TestDid {
    let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate(KeyType::Ed25519)).collect();
    let draft = EntryDraft {
        parameters: params(&keys[0], &keys[1]),
        document: document("did:didam:{SCID}"),
        version_time: Utc::now() - Duration::seconds(60),
    };
    let entry = log::create_entry(Method::Didam, draft, &keys[0]).await.unwrap();
    ledger.append(&entry).await.expect("a valid first entry is accepted");
    let did = entry.did().clone();
    let state = ledger.tip(&did).await.unwrap();
    TestDid { did, keys, state }
}

/// The next entry, rotating to the committed key `keys[k]` and committing to `keys[k + 1]`.
async fn rotate_entry(did: &TestDid, k: usize, seconds_later: i64) -> LogEntry {
    let draft = EntryDraft {
        parameters: params(&did.keys[k], &did.keys[k + 1]),
        document: document(&did.state.did),
        version_time: did.state.version_time + Duration::seconds(seconds_later),
    };
    log::next_entry(&did.state, draft, &did.keys[k]).await.unwrap()
}

/// Appends, reads back, and keeps each DID's tip.
pub async fn appends_and_reads_back<L: Ledger>(ledger: L) {
    let mut a = create(&ledger).await;
    let b = create(&ledger).await;
    let entry = rotate_entry(&a, 1, 1).await;
    let receipt = ledger.append(&entry).await.unwrap();
    assert_eq!(receipt.leaf_index, 2, "leaves are numbered in append order");
    assert!(!receipt.duplicate);
    a.state = ledger.tip(&a.did).await.unwrap();
    assert_eq!(a.state.version_number, 2);
    let log_a = ledger.log(&a.did).await.unwrap();
    assert_eq!(log_a.len(), 2);
    assert_eq!(log_a[1].entry().unwrap(), entry, "the stored line is the entry");
    assert_eq!(ledger.log(&b.did).await.unwrap().len(), 1);
    assert_eq!(ledger.leaf(log_a[1].leaf_index).await.unwrap(), log_a[1].line.as_bytes());
    assert_eq!(ledger.integrate().await.unwrap(), 3);
    let unknown = Did::parse("did:didam:unknown").unwrap();
    assert!(matches!(ledger.log(&unknown).await, Err(LedgerError::NotFound(_))));
}

/// Appending the same entry again returns the first receipt and stores nothing.
pub async fn append_is_idempotent<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let entry = rotate_entry(&a, 1, 1).await;
    let first = ledger.append(&entry).await.unwrap();
    let again = ledger.append(&entry).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.leaf_index, first.leaf_index);
    assert_eq!(ledger.integrate().await.unwrap(), 2);
}

/// A batch: entries may build on earlier ones of the batch; each has its own outcome.
pub async fn appends_a_batch<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let keys: Vec<SecretKey> = (0..2).map(|_| SecretKey::generate(KeyType::Ed25519)).collect();
    let draft = EntryDraft {
        parameters: params(&keys[0], &keys[1]),
        document: document("did:didam:{SCID}"),
        version_time: Utc::now() - Duration::seconds(30),
    };
    let fresh = log::create_entry(Method::Didam, draft, &keys[0]).await.unwrap();
    let second = rotate_entry(&a, 1, 1).await;
    let fork = rotate_entry(&a, 1, 2).await;
    let results = ledger.append_all(&[fresh.clone(), second.clone(), fork, second]).await;
    assert!(results[0].is_ok() && results[1].is_ok(), "{results:?}");
    assert!(matches!(results[2], Err(LedgerError::Conflict { .. })), "{:?}", results[2]);
    assert!(results[3].as_ref().is_ok_and(|r| r.leaf_index == results[1].as_ref().unwrap().leaf_index));
    assert_eq!(ledger.integrate().await.unwrap(), 3);
}

/// A second child of one entry (a fork) is refused.
pub async fn refuses_a_fork<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let one = rotate_entry(&a, 1, 1).await;
    let other = rotate_entry(&a, 1, 2).await;
    ledger.append(&one).await.unwrap();
    let err = ledger.append(&other).await.unwrap_err();
    assert!(matches!(err, LedgerError::Conflict { .. }), "{err}");
}

/// An entry that skips ahead of its DID's tip is a conflict, and a later
/// entry of a DID the ledger does not hold is not found; neither is stored.
pub async fn refuses_an_entry_out_of_order<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let second = rotate_entry(&a, 1, 1).await;
    let state = log::verify_entry(Method::Didam, Some(&a.state), second.json(), Utc::now()).await.unwrap();
    let skipped = TestDid { did: a.did.clone(), keys: a.keys, state };
    let third = rotate_entry(&skipped, 2, 1).await;
    let err = ledger.append(&third).await.unwrap_err();
    assert!(matches!(&err, LedgerError::Conflict { did, .. } if *did == a.did), "{err}");
    assert_eq!(ledger.tip(&a.did).await.unwrap().version_number, 1, "nothing stored");

    let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate(KeyType::Ed25519)).collect();
    let draft = EntryDraft {
        parameters: params(&keys[0], &keys[1]),
        document: document("did:didam:{SCID}"),
        version_time: Utc::now() - Duration::seconds(60),
    };
    let first = log::create_entry(Method::Didam, draft, &keys[0]).await.unwrap();
    let state = log::verify_entry(Method::Didam, None, first.json(), Utc::now()).await.unwrap();
    let unknown = TestDid { did: first.did().clone(), keys, state };
    let later = rotate_entry(&unknown, 1, 1).await;
    let err = ledger.append(&later).await.unwrap_err();
    assert!(matches!(&err, LedgerError::NotFound(did) if *did == unknown.did), "{err}");
    assert!(matches!(ledger.log(&unknown.did).await, Err(LedgerError::NotFound(_))), "nothing stored");
}

/// An entry signed by a key the DID did not commit to is refused.
pub async fn refuses_an_uncommitted_key<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    // keys[2] was not committed by entry 1 (it committed keys[1]).
    let entry = rotate_entry(&a, 2, 1).await;
    let err = ledger.append(&entry).await.unwrap_err();
    assert!(matches!(err, LedgerError::Rejected(LogError::InvalidParameters { .. })), "{err}");
    // The current key alone cannot update either: pre-rotation demands the committed one.
    let mut draft_params = Map::new();
    draft_params.insert("updateKeys".into(), json!([a.keys[0].public_key().to_multikey()]));
    let draft = EntryDraft {
        parameters: draft_params,
        document: document(&a.state.did),
        version_time: a.state.version_time + Duration::seconds(1),
    };
    let entry = log::next_entry(&a.state, draft, &a.keys[0]).await.unwrap();
    assert!(matches!(ledger.append(&entry).await, Err(LedgerError::Rejected(_))));
}

/// Pre-rotation is mandatory: an entry that does not commit to a next key is refused.
pub async fn refuses_an_entry_without_a_commitment<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let mut p = Map::new();
    p.insert("updateKeys".into(), json!([a.keys[1].public_key().to_multikey()]));
    let draft = EntryDraft {
        parameters: p,
        document: document(&a.state.did),
        version_time: a.state.version_time + Duration::seconds(1),
    };
    let entry = log::next_entry(&a.state, draft, &a.keys[1]).await.unwrap();
    let err = ledger.append(&entry).await.unwrap_err();
    assert!(matches!(err, LedgerError::Rejected(LogError::InvalidParameters { .. })), "{err}");
}

/// An entry changed after signing is refused.
pub async fn refuses_an_altered_entry<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let mut altered = rotate_entry(&a, 1, 1).await.into_json();
    altered["state"]["alsoKnownAs"] = json!(["https://attacker.example"]);
    let entry = LogEntry::parse(altered).unwrap();
    assert!(matches!(ledger.append(&entry).await, Err(LedgerError::Rejected(LogError::InvalidDid { .. }))));
}

/// Nothing follows a deactivation.
pub async fn nothing_follows_a_deactivation<L: Ledger>(ledger: L) {
    let a = create(&ledger).await;
    let mut p = params(&a.keys[1], &a.keys[2]);
    p.insert("deactivated".into(), json!(true));
    let draft = EntryDraft {
        parameters: p,
        document: document(&a.state.did),
        version_time: a.state.version_time + Duration::seconds(1),
    };
    let entry = log::next_entry(&a.state, draft, &a.keys[1]).await.unwrap();
    ledger.append(&entry).await.unwrap();
    let state = ledger.tip(&a.did).await.unwrap();
    assert!(state.deactivated);
    let after = TestDid { did: a.did, keys: a.keys, state };
    let entry = rotate_entry(&after, 2, 1).await;
    assert!(matches!(ledger.append(&entry).await, Err(LedgerError::Rejected(_))));
}

/// Checkpoints are signed notes over the tree; every leaf is provably included
/// and every checkpoint is consistent with the earlier ones.
pub async fn checkpoints_prove_inclusion_and_consistency<L: Ledger>(ledger: L) {
    let signer = NoteSigner::new("didam.test/ledger", SecretKey::generate(KeyType::Ed25519)).unwrap();
    let verifier = signer.verifier();
    assert!(ledger.latest_checkpoint().await.unwrap().is_none());
    let mut dids = Vec::new();
    let mut checkpoints = Vec::new();
    for round in 0..3 {
        for _ in 0..=round {
            dids.push(create(&ledger).await);
        }
        let cp = ledger.checkpoint(&signer).await.unwrap();
        let (opened, _) = Checkpoint::open(cp.note.as_bytes(), &verifier).unwrap();
        assert_eq!((opened.size, opened.root), (cp.size, cp.root.0));
        checkpoints.push(cp);
    }
    let latest = ledger.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(&latest, checkpoints.last().unwrap());
    // Asking again without new entries returns the same checkpoint.
    assert_eq!(ledger.checkpoint(&signer).await.unwrap(), latest);
    for i in 0..latest.size {
        let leaf = merkle::leaf_hash(&ledger.leaf(i).await.unwrap());
        let proof = ledger.inclusion_proof(i, latest.size).await.unwrap();
        merkle::verify_inclusion(&leaf, i, latest.size, &proof, &latest.root).unwrap();
    }
    for pair in checkpoints.windows(2) {
        let proof = ledger.consistency_proof(pair[0].size, pair[1].size).await.unwrap();
        merkle::verify_consistency(pair[0].size, pair[1].size, &pair[0].root, &pair[1].root, &proof).unwrap();
    }
    assert!(ledger.inclusion_proof(0, latest.size + 1).await.is_err(), "no proofs beyond the tree");
    // The checkpoint commits to every DID's latest entry.
    let (checkpoint, _) = Checkpoint::open(latest.note.as_bytes(), &verifier).unwrap();
    let (count, tips_root) =
        crate::ledger::parse_tips_extension(&checkpoint.extensions).expect("a tips commitment");
    assert_eq!(count, dids.len() as u64);
    for did in &dids {
        let tip = ledger.tip_proof(&did.did, latest.size).await.unwrap();
        let last = ledger.log(&did.did).await.unwrap().pop().unwrap();
        assert_eq!(tip.record.leaf_index, last.leaf_index);
        assert_eq!(tip.record.entry_hash, did.state.entry_hash);
        tip.verify(did.did.as_str(), count, &tips_root).unwrap();
    }
}

/// The log below a checkpoint's size is the log's prefix that the
/// checkpoint covers, at every size signed (older sizes asked after newer
/// ones too); a DID the checkpoint does not cover is not found; the latest
/// checkpoint is the one just signed.
pub async fn logs_below_a_checkpoint<L: Ledger>(ledger: L) {
    let signer = NoteSigner::new("didam.test/ledger", SecretKey::generate(KeyType::Ed25519)).unwrap();
    let mut a = create(&ledger).await;
    let first = ledger.checkpoint(&signer).await.unwrap();
    assert_eq!(ledger.latest_checkpoint().await.unwrap().as_ref(), Some(&first));
    let entry = rotate_entry(&a, 1, 1).await;
    ledger.append(&entry).await.unwrap();
    a.state = ledger.tip(&a.did).await.unwrap();
    let b = create(&ledger).await;
    let second = ledger.checkpoint(&signer).await.unwrap();
    assert_eq!(ledger.latest_checkpoint().await.unwrap().as_ref(), Some(&second));
    assert_eq!(ledger.latest_checkpoint_now().await.unwrap().as_ref(), Some(&second));
    let entry = rotate_entry(&a, 2, 2).await;
    ledger.append(&entry).await.unwrap();
    let full = ledger.log(&a.did).await.unwrap();
    assert_eq!(full.len(), 3);
    for size in [second.size, first.size, second.size] {
        let below: Vec<_> = full.iter().filter(|e| e.leaf_index < size).cloned().collect();
        assert_eq!(ledger.log_at(&a.did, size).await.unwrap(), below, "the log below {size}");
    }
    assert_eq!(ledger.log_at(&b.did, second.size).await.unwrap(), ledger.log(&b.did).await.unwrap());
    assert!(matches!(ledger.log_at(&b.did, first.size).await, Err(LedgerError::NotFound(_))));
    let nobody = Did::parse("did:didam:nobody").unwrap();
    assert!(matches!(ledger.log_at(&nobody, second.size).await, Err(LedgerError::NotFound(_))));
}

/// The tips commitment (count, root) of a checkpoint signed by `signer`.
fn tips_of(checkpoint: &crate::ledger::SignedCheckpoint, signer: &NoteSigner) -> (u64, merkle::Hash) {
    let (opened, _) = Checkpoint::open(checkpoint.note.as_bytes(), &signer.verifier()).unwrap();
    crate::ledger::parse_tips_extension(&opened.extensions).expect("a tips commitment")
}

/// Tip proofs answer for every checkpoint signed, not only the latest, each
/// against its own tips root: an older checkpoint's record (a stale tip) does
/// not verify against a newer root, nor one DID's proof for another; a DID
/// created after a checkpoint has no record in it.
pub async fn tip_proofs_at_every_checkpoint<L: Ledger>(ledger: L) {
    let signer = NoteSigner::new("didam.test/ledger", SecretKey::generate(KeyType::Ed25519)).unwrap();
    let mut a = create(&ledger).await;
    let other = create(&ledger).await;
    let first = ledger.checkpoint(&signer).await.unwrap();
    let entry = rotate_entry(&a, 1, 1).await;
    ledger.append(&entry).await.unwrap();
    a.state = ledger.tip(&a.did).await.unwrap();
    let b = create(&ledger).await;
    let second = ledger.checkpoint(&signer).await.unwrap();
    let (first_tips, second_tips) = (tips_of(&first, &signer), tips_of(&second, &signer));
    assert_eq!((first_tips.0, second_tips.0), (2, 3), "record counts");
    // Newer first, then the older one: no rebuild, the same answers.
    let newer = ledger.tip_proof(&a.did, second.size).await.unwrap();
    let older = ledger.tip_proof(&a.did, first.size).await.unwrap();
    newer.verify(a.did.as_str(), second_tips.0, &second_tips.1).unwrap();
    older.verify(a.did.as_str(), first_tips.0, &first_tips.1).unwrap();
    assert_eq!(newer.record.entry_hash, a.state.entry_hash);
    assert!(older.record.leaf_index < newer.record.leaf_index);
    // The stale tip against the newer checkpoint, in its old or new path.
    let stale = crate::ledger::TipProof { count: second_tips.0, ..older.clone() };
    assert!(stale.verify(a.did.as_str(), second_tips.0, &second_tips.1).is_err());
    let stale = crate::ledger::TipProof { record: older.record.clone(), ..newer.clone() };
    assert!(stale.verify(a.did.as_str(), second_tips.0, &second_tips.1).is_err());
    // Another DID's proof, presented for `a`.
    let others = ledger.tip_proof(&other.did, second.size).await.unwrap();
    assert!(others.verify(a.did.as_str(), second_tips.0, &second_tips.1).is_err());
    let relabelled = crate::ledger::TipProof {
        record: crate::ledger::TipRecord { did: a.did.to_string(), ..others.record.clone() },
        ..others.clone()
    };
    assert!(relabelled.verify(a.did.as_str(), second_tips.0, &second_tips.1).is_err());
    // Unchanged between the checkpoints: the same record in both.
    let other_then = ledger.tip_proof(&other.did, first.size).await.unwrap();
    assert_eq!(other_then.record, others.record);
    assert!(matches!(ledger.tip_proof(&b.did, first.size).await, Err(LedgerError::NotFound(_))));
    ledger.tip_proof(&b.did, second.size).await.unwrap().verify(b.did.as_str(), 3, &second_tips.1).unwrap();
    // A size no checkpoint was signed at has no tips tree.
    assert!(ledger.tip_proof(&a.did, first.size - 1).await.is_err());
}

/// An entry dated `ahead` past now is admitted within the clock-skew
/// tolerance ([`log::MAX_CLOCK_SKEW`]) and refused beyond it, naming both
/// times.
pub async fn tolerates_clock_skew<L: Ledger>(ledger: L) {
    for (ahead, admitted) in
        [(Duration::seconds(3), true), (log::MAX_CLOCK_SKEW + Duration::seconds(60), false)]
    {
        let keys: Vec<SecretKey> = (0..2).map(|_| SecretKey::generate(KeyType::Ed25519)).collect();
        let draft = EntryDraft {
            parameters: params(&keys[0], &keys[1]),
            document: document("did:didam:{SCID}"),
            version_time: Utc::now() + ahead,
        };
        let entry = log::create_entry(Method::Didam, draft, &keys[0]).await.unwrap();
        let result = ledger.append(&entry).await;
        if admitted {
            result.unwrap_or_else(|e| panic!("an entry {ahead} ahead is within the skew tolerance: {e}"));
            assert_eq!(ledger.log(entry.did()).await.unwrap().len(), 1);
        } else {
            match result {
                Err(LedgerError::Rejected(LogError::FutureVersionTime { version_time, now, .. })) => {
                    assert!(version_time > now + log::MAX_CLOCK_SKEW, "{version_time} vs {now}");
                }
                other => panic!("an entry {ahead} ahead must be refused as from the future: {other:?}"),
            }
            assert!(matches!(ledger.log(entry.did()).await, Err(LedgerError::NotFound(_))), "nothing stored");
        }
    }
}

/// The limits [`refuses_what_is_beyond_its_limits`] expects its ledger to
/// have: 4 KiB entries, 2 KiB documents, 2 entries and 2,800 bytes per log.
pub const SMALL_LIMITS: AdmissionLimits = AdmissionLimits {
    max_entry_bytes: 4096,
    max_document_bytes: 2048,
    max_log_entries: 2,
    max_log_bytes: 2800,
};

/// A document of `did` padded to about `bytes` bytes.
fn padded(did: &str, bytes: usize) -> Value {
    let mut doc = document(did);
    doc["alsoKnownAs"] = json!([format!("https://example.com/{}", "a".repeat(bytes))]);
    doc
}

/// A first entry with a document of about `bytes` bytes.
async fn first_entry(keys: &[SecretKey], bytes: usize) -> LogEntry {
    let draft = EntryDraft {
        parameters: params(&keys[0], &keys[1]),
        document: padded("did:didam:{SCID}", bytes),
        version_time: Utc::now() - Duration::seconds(60),
    };
    log::create_entry(Method::Didam, draft, &keys[0]).await.unwrap()
}

/// Refuses, with its typed error and storing nothing, an entry or a
/// document too large and an entry that would make its DID's log too long
/// or too large. `ledger` must have [`SMALL_LIMITS`].
pub async fn refuses_what_is_beyond_its_limits<L: Ledger>(ledger: L) {
    let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate(KeyType::Ed25519)).collect();
    let too_big = first_entry(&keys, 5000).await;
    match ledger.append(&too_big).await {
        Err(LedgerError::Limit(LimitError::EntryTooLarge { bytes, max: 4096 })) => {
            assert_eq!(bytes, too_big.line().len() as u64);
        }
        other => panic!("an entry over 4 KiB must be refused: {other:?}"),
    }
    let big_document = first_entry(&keys, 2100).await;
    assert!(big_document.line().len() < 4096);
    match ledger.append(&big_document).await {
        Err(LedgerError::Limit(LimitError::DocumentTooLarge { bytes, max: 2048 })) => {
            assert_eq!(bytes, big_document.document_len() as u64);
        }
        other => panic!("a document over 2 KiB must be refused: {other:?}"),
    }
    for refused in [&too_big, &big_document] {
        assert!(matches!(ledger.log(refused.did()).await, Err(LedgerError::NotFound(_))), "nothing stored");
    }

    // Two entries fit; a third makes the log too long.
    let mut a = create(&ledger).await;
    let second = rotate_entry(&a, 1, 1).await;
    ledger.append(&second).await.unwrap();
    a.state = ledger.tip(&a.did).await.unwrap();
    let third = rotate_entry(&a, 2, 1).await;
    match ledger.append(&third).await {
        Err(LedgerError::Limit(LimitError::LogTooLong { did, entries: 3, max: 2 })) => assert_eq!(did, a.did),
        other => panic!("a third entry must be refused: {other:?}"),
    }
    assert_eq!(ledger.log(&a.did).await.unwrap().len(), 2, "nothing stored");
    assert_eq!(ledger.tip(&a.did).await.unwrap().version_id, a.state.version_id);

    // A small first entry, then one whose bytes take the log past 2,800.
    let b = create(&ledger).await;
    let draft = EntryDraft {
        parameters: params(&b.keys[1], &b.keys[2]),
        document: padded(&b.state.did, 1500),
        version_time: b.state.version_time + Duration::seconds(1),
    };
    let large = log::next_entry(&b.state, draft, &b.keys[1]).await.unwrap();
    match ledger.append(&large).await {
        Err(LedgerError::Limit(LimitError::LogTooLarge { did, bytes, max: 2800 })) => {
            assert_eq!(did, b.did);
            assert!(bytes > 2800, "{bytes}");
        }
        other => panic!("an entry taking the log past 2,800 bytes must be refused: {other:?}"),
    }
    assert_eq!(ledger.log(&b.did).await.unwrap().len(), 1, "nothing stored");
}

/// Runs every check, each on a new ledger from `make`.
pub async fn run_all<L: Ledger>(mut make: impl FnMut() -> L) {
    tolerates_clock_skew(make()).await;
    appends_and_reads_back(make()).await;
    append_is_idempotent(make()).await;
    appends_a_batch(make()).await;
    refuses_a_fork(make()).await;
    refuses_an_entry_out_of_order(make()).await;
    refuses_an_uncommitted_key(make()).await;
    refuses_an_entry_without_a_commitment(make()).await;
    refuses_an_altered_entry(make()).await;
    nothing_follows_a_deactivation(make()).await;
    checkpoints_prove_inclusion_and_consistency(make()).await;
    logs_below_a_checkpoint(make()).await;
    tip_proofs_at_every_checkpoint(make()).await;
}
