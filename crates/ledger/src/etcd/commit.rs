//! Group commit of appends: one task per [`super::EtcdLedger`] takes every
//! verified entry waiting, and stores them in one etcd transaction that
//! compares the global sequence, each DID's tip and each entry hash.
//!
//! Outcomes: stored (at a leaf index); retry (a DID's tip or the entry hash
//! changed meanwhile: verify again); unknown (no reply: the transaction may or
//! may not have been applied, so the caller re-reads before anything else).

use std::collections::HashSet;

use std::sync::Arc;

use etcd_client::{Compare, CompareOp, GetOptions, Txn, TxnOp, TxnOpResponse};
use tokio::sync::{mpsc, oneshot};

use super::keys::Keys;
use super::members::Members;

/// Most entries per transaction (etcd's `--max-txn-ops` defaults to 128;
/// each entry takes 4 puts).
const MAX_ENTRIES: usize = 24;
/// Most bytes per transaction (etcd's request limit is about 1.5 MiB).
pub(crate) const MAX_BYTES: usize = 1024 * 1024;

/// A verified entry waiting to be stored.
#[derive(Debug)]
pub(crate) struct NewEntry {
    pub(crate) did: didam_credential::Did,
    pub(crate) version_number: u64,
    pub(crate) entry_hash: String,
    pub(crate) line: String,
    pub(crate) state_json: String,
    /// The `mod_revision` of the DID's tip key verified against (`None`: a new DID).
    pub(crate) tip_revision: Option<i64>,
}

impl NewEntry {
    pub(crate) fn bytes(&self) -> usize {
        self.line.len() + self.state_json.len() + 2 * self.did.as_str().len() + self.entry_hash.len() + 200
    }
}

/// What became of a submitted entry.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Stored at this leaf index.
    Stored(u64),
    /// Not stored: the DID's tip or the entry hash changed; verify again.
    Retry,
    /// No answer: the transaction may or may not have been applied.
    Unknown(String),
}

struct Job {
    entry: NewEntry,
    reply: oneshot::Sender<Outcome>,
}

/// The sending side of a committer task.
#[derive(Clone, Debug)]
pub(crate) struct Committer(mpsc::UnboundedSender<Job>);

impl Committer {
    /// Starts the task (it ends when every `Committer` is dropped).
    pub(crate) fn spawn(members: Arc<Members>, keys: Keys, timeout: std::time::Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(members, keys, timeout, rx));
        Self(tx)
    }

    /// Submits an entry and waits for its outcome.
    pub(crate) async fn submit(&self, entry: NewEntry) -> Outcome {
        let (reply, outcome) = oneshot::channel();
        if self.0.send(Job { entry, reply }).is_err() {
            return Outcome::Unknown("the commit task has stopped".into());
        }
        outcome.await.unwrap_or_else(|_| Outcome::Unknown("the commit task has stopped".into()))
    }
}

/// The global sequence as last seen: next leaf index and the key's
/// `mod_revision` (0: the key does not exist yet).
#[derive(Clone, Copy, Debug)]
struct Seq {
    next: u64,
    revision: i64,
}

async fn read_seq(members: &Members, keys: &Keys, timeout: std::time::Duration) -> Result<Seq, String> {
    let response = members.get(timeout, &keys.seq(), GetOptions::new()).await.map_err(|e| e.to_string())?;
    match response.kvs().first() {
        None => Ok(Seq { next: 0, revision: 0 }),
        Some(kv) => Ok(Seq { next: parse_u64(kv.value())?, revision: kv.mod_revision() }),
    }
}

pub(crate) fn parse_u64(value: &[u8]) -> Result<u64, String> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not a number: {:?}", String::from_utf8_lossy(value)))
}

/// `key` is still at `revision` (0: still absent).
pub(crate) fn unchanged(key: Vec<u8>, revision: i64) -> Compare {
    if revision == 0 {
        Compare::version(key, CompareOp::Equal, 0)
    } else {
        Compare::mod_revision(key, CompareOp::Equal, revision)
    }
}

/// Picks the next batch from `waiting`: at most one entry per DID (a txn may
/// not put one key twice), within the entry and byte limits.
fn take_batch(waiting: &mut Vec<Job>) -> Vec<Job> {
    let mut batch = Vec::new();
    let mut rest = Vec::new();
    let mut dids = HashSet::new();
    let mut bytes = 0;
    for job in waiting.drain(..) {
        let size = job.entry.bytes();
        let fits = batch.is_empty() || (batch.len() < MAX_ENTRIES && bytes + size <= MAX_BYTES);
        if fits && dids.insert(job.entry.did.clone()) {
            bytes += size;
            batch.push(job);
        } else {
            rest.push(job);
        }
    }
    *waiting = rest;
    batch
}

fn build_txn(keys: &Keys, seq: Seq, batch: &[Job]) -> Txn {
    let mut compares = vec![unchanged(keys.seq(), seq.revision)];
    let mut puts = Vec::with_capacity(batch.len() * 4 + 1);
    let mut failure = vec![TxnOp::get(keys.seq(), None)];
    for (i, job) in batch.iter().enumerate() {
        let e = &job.entry;
        let leaf = seq.next + i as u64;
        compares.push(unchanged(keys.did(&e.did), e.tip_revision.unwrap_or(0)));
        compares.push(Compare::version(keys.hash(&e.entry_hash), CompareOp::Equal, 0));
        puts.push(TxnOp::put(keys.leaf(leaf), e.line.as_bytes(), None));
        puts.push(TxnOp::put(keys.hash(&e.entry_hash), leaf.to_string(), None));
        puts.push(TxnOp::put(keys.did(&e.did), e.state_json.as_bytes(), None));
        puts.push(TxnOp::put(keys.log(&e.did, e.version_number), leaf.to_string(), None));
        failure.push(TxnOp::get(keys.did(&e.did), None));
        failure.push(TxnOp::get(keys.hash(&e.entry_hash), None));
    }
    puts.push(TxnOp::put(keys.seq(), (seq.next + batch.len() as u64).to_string(), None));
    Txn::new().when(compares).and_then(puts).or_else(failure)
}

/// The first key-value of a get in a failed transaction's responses.
fn got(responses: &[TxnOpResponse], at: usize) -> Option<(i64, Vec<u8>)> {
    match responses.get(at)? {
        TxnOpResponse::Get(get) => get.kvs().first().map(|kv| (kv.mod_revision(), kv.value().to_vec())),
        _ => None,
    }
}

async fn run(
    members: Arc<Members>,
    keys: Keys,
    timeout: std::time::Duration,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    let mut seq: Option<Seq> = None;
    let mut waiting: Vec<Job> = Vec::new();
    loop {
        if waiting.is_empty() {
            match rx.recv().await {
                Some(job) => waiting.push(job),
                None => return,
            }
        }
        while let Ok(job) = rx.try_recv() {
            waiting.push(job);
        }
        let current = match seq {
            Some(s) => s,
            None => match read_seq(&members, &keys, timeout).await {
                Ok(s) => s,
                Err(e) => {
                    fail_all(&mut waiting, &format!("etcd: {e}"));
                    continue;
                }
            },
        };
        let batch = take_batch(&mut waiting);
        let txn = build_txn(&keys, current, &batch);
        match members.txn(timeout, &txn).await {
            Ok(response) if response.succeeded() => {
                let revision = response.header().map_or(0, |h| h.revision());
                seq = Some(Seq { next: current.next + batch.len() as u64, revision });
                for (i, job) in batch.into_iter().enumerate() {
                    let _ = job.reply.send(Outcome::Stored(current.next + i as u64));
                }
            }
            Ok(response) => {
                let responses = response.op_responses();
                seq = match got(&responses, 0) {
                    None => Some(Seq { next: 0, revision: 0 }),
                    Some((revision, value)) => parse_u64(&value).ok().map(|next| Seq { next, revision }),
                };
                // Entries whose own compares still hold go again with the new sequence.
                let mut again = Vec::new();
                for (i, job) in batch.into_iter().enumerate() {
                    let tip = got(&responses, 1 + 2 * i).map_or(0, |(r, _)| r);
                    let hash_taken = got(&responses, 2 + 2 * i).is_some();
                    if hash_taken || tip != job.entry.tip_revision.unwrap_or(0) {
                        let _ = job.reply.send(Outcome::Retry);
                    } else {
                        again.push(job);
                    }
                }
                again.append(&mut waiting);
                waiting = again;
            }
            Err(e) => {
                seq = None;
                unknown_all(batch, &format!("etcd: {e}"));
            }
        }
    }
}

fn fail_all(waiting: &mut Vec<Job>, why: &str) {
    // Nothing was sent: a retry after re-reading is safe.
    for job in waiting.drain(..) {
        let _ = job.reply.send(Outcome::Unknown(why.to_owned()));
    }
}

fn unknown_all(batch: Vec<Job>, why: &str) {
    for job in batch {
        let _ = job.reply.send(Outcome::Unknown(why.to_owned()));
    }
}
