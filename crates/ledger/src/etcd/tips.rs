//! The tips tree in etcd: nodes by hash (`tips-node/{hash}`), and each
//! checkpoint's record count and root (`tips-root/{size}`, written in the
//! checkpoint's own transaction).
//!
//! The tree logic is [`crate::tips`]'s, as for the embedded file; only the
//! reads differ. [`crate::tips::update`] and [`crate::tips::lookup`] run over
//! the nodes read so far and name the ones they lack; those are read in one
//! batch and the call runs again (one round per tree level). Nodes are
//! written before the checkpoint that refers to them, and never change, so
//! a sequencer that dies midway leaves only unreferenced nodes, and every
//! checkpoint's tree keeps its proofs.

use std::collections::HashMap;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::Ordering;

use didam_credential::Did;
use didam_method::LogEntry;
use etcd_client::{Txn, TxnOp};

use super::{Cache, EtcdLedger, Read, corrupt};
use crate::ledger::{LedgerError, TipProof, TipRecord};
use crate::merkle::Hash;
use crate::tips::{self, Change, Lookup, MemoryNodes, Node, NodeSource, TipsError, Update};

/// Leaves read, and DIDs applied to the tree, at a time (bounds memory).
const LEAF_CHUNK: u64 = 10_000;
/// Most puts per write transaction (etcd's `--max-txn-ops` is 128).
const WRITE_BATCH: usize = 100;
/// Most tip proofs, and DID logs, kept per ledger object.
pub(super) const CACHED_TIPS: usize = 100_000;

/// What tip proofs read that never changes: roots by checkpoint size, proofs
/// by (DID, size), and each DID's leaf indices below a size.
#[derive(Default)]
pub(super) struct TipsCache {
    roots: HashMap<u64, (u64, Hash)>,
    proofs: HashMap<(String, u64), TipProof>,
    /// DID → (the size its list is complete below, its leaf indices).
    logs: HashMap<String, (u64, Vec<u64>)>,
}

impl TipsCache {
    fn keep<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
        if map.len() >= CACHED_TIPS {
            map.clear();
        }
        map.insert(key, value);
    }
}

/// The nodes read for one computation, over the ledger's node cache.
struct Nodes<'a> {
    read: &'a MemoryNodes,
    cache: &'a StdMutex<Cache>,
}

impl NodeSource for Nodes<'_> {
    type Error = LedgerError;

    fn node(&self, hash: &Hash) -> Result<Option<Node>, LedgerError> {
        if let Some(node) = self.read.0.get(hash) {
            return Ok(Some(*node));
        }
        let cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
        Ok(cache.tips_nodes.get(hash).copied())
    }
}

fn tree_error(e: TipsError<LedgerError>) -> LedgerError {
    match e {
        TipsError::Store(e) => e,
        e => corrupt(format!("etcd tips tree: {e}")),
    }
}

impl EtcdLedger {
    fn cached<T>(&self, read: impl FnOnce(&mut TipsCache) -> T) -> Result<T, LedgerError> {
        let mut cache = self.tips_cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
        Ok(read(&mut cache))
    }

    /// Reads the nodes `hashes` into `read` (and the node cache).
    async fn read_tips_nodes(&self, hashes: &[Hash], read: &mut MemoryNodes) -> Result<(), LedgerError> {
        let keys: Vec<Vec<u8>> = hashes.iter().map(|h| self.keys.tips_node(h)).collect();
        let values = self.get_many(&keys, Read::Available).await?;
        let mut cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
        for (hash, value) in hashes.iter().zip(values) {
            let node =
                value.and_then(|bytes| Node::decode(&bytes)).filter(|n| n.hash() == *hash).ok_or_else(
                    || corrupt(format!("tips tree node {hash} is missing or does not match its hash")),
                )?;
            read.0.insert(*hash, node);
            cache.add_tips_node(*hash, node);
        }
        Ok(())
    }

    /// Runs `compute` over the tree's nodes, reading what it lacks a round
    /// at a time.
    async fn with_tips_nodes<T>(
        &self,
        compute: impl Fn(&Nodes<'_>) -> Result<T, TipsError<LedgerError>>,
    ) -> Result<T, LedgerError> {
        let mut read = MemoryNodes::default();
        loop {
            let nodes = Nodes { read: &read, cache: &self.cache };
            match compute(&nodes) {
                Err(TipsError::Missing(hashes)) => self.read_tips_nodes(&hashes, &mut read).await?,
                other => return other.map_err(tree_error),
            }
        }
    }

    /// The record count and root of the tips tree of the checkpoint of
    /// `size` leaves, if one was stored.
    pub(super) async fn tips_root(&self, size: u64) -> Result<Option<(u64, Hash)>, LedgerError> {
        if let Some(found) = self.cached(|c| c.roots.get(&size).copied())? {
            return Ok(Some(found));
        }
        let Some(kv) = self.get(&self.keys.tips_root(size), Read::Available).await? else { return Ok(None) };
        let parsed = std::str::from_utf8(kv.value()).ok().and_then(|text| {
            let (count, root) = text.split_once(' ')?;
            Some((count.parse().ok()?, Hash::from_base64(root).ok()?))
        });
        let found = parsed.ok_or_else(|| corrupt(format!("tips root of size {size}")))?;
        self.cached(|c| TipsCache::keep(&mut c.roots, size, found))?;
        Ok(Some(found))
    }

    /// The value of `tips-root/{size}`.
    pub(super) fn tips_root_value(count: u64, root: &Hash) -> String {
        format!("{count} {}", root.to_base64())
    }

    /// Builds the tips tree of `size` leaves from the tree of the checkpoint
    /// of `from` leaves (if stored; else from the empty tree) and the leaves
    /// in between, and stores its nodes. Returns (count, root); the caller
    /// stores `tips-root/{size}` with the checkpoint.
    pub(super) async fn build_tips(&self, from: Option<u64>, size: u64) -> Result<(u64, Hash), LedgerError> {
        let (mut start, mut count, mut root) = match from {
            Some(from) => match self.tips_root(from).await? {
                Some((count, root)) => (from, count, root),
                None => (0, 0, tips::EMPTY),
            },
            None => (0, 0, tips::EMPTY),
        };
        while start < size {
            let end = size.min(start + LEAF_CHUNK);
            let leaves = self.range_all(self.keys.leaf(start), &self.keys.leaf(end), Read::Strict).await?;
            if leaves.len() as u64 != end - start {
                return Err(corrupt(format!("leaves {start}..{end} are not all stored")));
            }
            let mut changes: Vec<Change> = Vec::with_capacity(leaves.len());
            for (i, kv) in leaves.iter().enumerate() {
                let leaf_index = start + i as u64;
                let line = std::str::from_utf8(kv.value())
                    .map_err(|e| corrupt(format!("leaf {leaf_index}: {e}")))?;
                let entry: LogEntry = line.parse().map_err(|e| corrupt(format!("leaf {leaf_index}: {e}")))?;
                let record = TipRecord {
                    did: entry.did().to_string(),
                    leaf_index,
                    entry_hash: entry.entry_hash().to_owned(),
                };
                changes.push((tips::key(&record.did), tips::value_hash(&record)));
            }
            let update: Update =
                self.with_tips_nodes(|nodes| tips::update(nodes, root, changes.clone())).await?;
            self.put_tips_nodes(&update.nodes).await?;
            root = update.root;
            count += update.added;
            start = end;
        }
        Ok((count, root))
    }

    /// Stores `nodes` (idempotent: a node's key is its hash).
    async fn put_tips_nodes(&self, nodes: &[Node]) -> Result<(), LedgerError> {
        for chunk in nodes.chunks(WRITE_BATCH) {
            let puts: Vec<TxnOp> = chunk
                .iter()
                .map(|n| TxnOp::put(self.keys.tips_node(&n.hash()), n.encode().to_vec(), None))
                .collect();
            self.txn(Txn::new().and_then(puts)).await?;
        }
        let mut cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
        for node in nodes {
            cache.add_tips_node(node.hash(), *node);
        }
        Ok(())
    }

    /// The leaf indices of `did`'s log below `size` (a size the tree has).
    pub(super) async fn leaves_below(&self, did: &Did, size: u64) -> Result<Vec<u64>, LedgerError> {
        self.check_size(size).await?;
        let known = self.cached(|c| c.logs.get(did.as_str()).filter(|(below, _)| *below >= size).cloned())?;
        let leaves = match known {
            Some((_, leaves)) => leaves,
            None => {
                // Every leaf below an integrated size is stored with its log
                // index: the list read now is complete below that size.
                let below = size.max(self.known_size.load(Ordering::Relaxed));
                let leaves = self.log_leaves(did, self.limits.max_log_entries).await?;
                self.cached(|c| TipsCache::keep(&mut c.logs, did.to_string(), (below, leaves.clone())))?;
                leaves
            }
        };
        Ok(leaves.into_iter().take_while(|&i| i < size).collect())
    }

    /// `did`'s record and its proof in the tips tree of the checkpoint of
    /// `size` leaves.
    pub(super) async fn tips_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
        let cache_key = (did.to_string(), size);
        if let Some(proof) = self.cached(|c| c.proofs.get(&cache_key).cloned())? {
            return Ok(proof);
        }
        let (count, root) = self.tips_root(size).await?.ok_or_else(|| {
            LedgerError::Unavailable(format!("no tips tree for a checkpoint of size {size}"))
        })?;
        let leaves = self.leaves_below(did, size).await?;
        let &leaf_index = leaves.last().ok_or_else(|| LedgerError::NotFound(did.clone()))?;
        let line = self
            .read_leaves(&[leaf_index], Read::Available)
            .await?
            .pop()
            .flatten()
            .ok_or_else(|| corrupt(format!("leaf {leaf_index} of {did} is missing")))?;
        let entry: LogEntry = line.parse().map_err(|e| corrupt(format!("leaf {leaf_index}: {e}")))?;
        let record =
            TipRecord { did: did.to_string(), leaf_index, entry_hash: entry.entry_hash().to_owned() };
        let key = tips::key(did.as_str());
        let proof = match self.with_tips_nodes(|nodes| tips::lookup(nodes, root, &key)).await? {
            Lookup::Found { value, siblings } if value == tips::value_hash(&record) => {
                TipProof { record, count, proof: siblings }
            }
            _ => {
                return Err(corrupt(format!(
                    "the tips tree of size {size} does not hold the latest entry of {did}"
                )));
            }
        };
        self.cached(|c| TipsCache::keep(&mut c.proofs, cache_key, proof.clone()))?;
        Ok(proof)
    }
}
