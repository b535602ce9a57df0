//! The tips tree: a sparse Merkle tree of every DID's latest entry, updated
//! in place at each checkpoint.
//!
//! Each checkpoint commits, in its `didam-tips <count> <root>` line, to a
//! binary sparse Merkle tree over 256-bit keys (`specs/did-didam.md` §8.4):
//!
//! 1. **Keys and values**: a DID's key is `SHA-256(DID)` ([`key`]); its value
//!    is `SHA-256` of its [`TipRecord`]'s leaf data ([`value_hash`]).
//! 2. **Nodes**: a subtree holding no key is [`EMPTY`] (32 zero bytes); a
//!    subtree holding one key is that key's leaf, `SHA-256(0x00 ‖ key ‖ value)`,
//!    however deep it would sit in the full tree; a subtree holding two or more
//!    is a branch, `SHA-256(0x01 ‖ left ‖ right)`, split on the key's next bit
//!    (most significant first). The tree is a function of its keys and values,
//!    not of the order they came in.
//! 3. **Storage**: nodes are stored by their hash (the hash of their 65-byte
//!    encoding, [`Node::encode`]), so a node is never overwritten and every
//!    root ever committed keeps its proofs: a tip proof for an older checkpoint
//!    descends from that checkpoint's root. A backend reads nodes through
//!    [`NodeSource`] and stores the nodes an [`update`] returns.
//! 4. **Update**: [`update`] applies the records of the DIDs changed since the
//!    last checkpoint, visiting only their paths: O(changed × log n) node reads
//!    and writes, never the whole tree.
//! 5. **Proofs**: [`lookup`] descends from a root to a key, collecting the
//!    siblings; [`verify`] recomputes the root from a record and its siblings,
//!    [`verify_absent`] proves a key is not in the tree.
//!
//! A source that does not hold a node yet (the etcd backend reads nodes in
//! batches) answers `Ok(None)`; [`update`] and [`lookup`] then return
//! [`TipsError::Missing`] naming every node they lacked, and the caller runs
//! them again once it has read those.
//!
//! The tree is written here rather than taken from a crate: `jmt`'s reader
//! is synchronous and navigates by node content (one blocking round trip per
//! node on etcd), its proof type keeps its siblings private behind Diem's
//! serialization, and it brings borsh, anyhow and a second itertools; DIDs
//! never leave the tree, so insertion and replacement are all it needs.

use sha2::{Digest, Sha256};

use crate::ledger::TipRecord;
use crate::merkle::Hash;

/// The hash of an empty subtree.
pub const EMPTY: Hash = Hash([0; 32]);

/// Keys are 256 bits: no path is longer, and no proof has more siblings.
pub const MAX_DEPTH: usize = 256;

/// The key of `did` in the tips tree: `SHA-256(DID)`.
pub fn key(did: &str) -> Hash {
    Hash(Sha256::digest(did.as_bytes()).into())
}

/// The value of a record in the tips tree: `SHA-256` of its leaf data.
pub fn value_hash(record: &TipRecord) -> Hash {
    Hash(Sha256::digest(record.leaf_data()).into())
}

/// The hash of the leaf of `key` with `value`.
pub fn leaf_hash(key: &Hash, value: &Hash) -> Hash {
    Node::Leaf { key: *key, value: *value }.hash()
}

/// Bit `depth` of `key`, most significant bit first.
fn bit(key: &Hash, depth: usize) -> bool {
    key.0[depth / 8] >> (7 - depth % 8) & 1 == 1
}

/// A stored node of the tips tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// The only key of its subtree, with its value.
    Leaf {
        /// The key.
        key: Hash,
        /// The value.
        value: Hash,
    },
    /// A subtree with two keys or more.
    Branch {
        /// The hash of the subtree whose next key bit is 0.
        left: Hash,
        /// The hash of the subtree whose next key bit is 1.
        right: Hash,
    },
}

impl Node {
    /// The node's 65 bytes: `0x00 ‖ key ‖ value` or `0x01 ‖ left ‖ right`.
    pub fn encode(&self) -> [u8; 65] {
        let (tag, a, b) = match self {
            Node::Leaf { key, value } => (0u8, key, value),
            Node::Branch { left, right } => (1u8, left, right),
        };
        let mut out = [0u8; 65];
        out[0] = tag;
        out[1..33].copy_from_slice(&a.0);
        out[33..].copy_from_slice(&b.0);
        out
    }

    /// The node encoded as `bytes`, if they are one.
    pub fn decode(bytes: &[u8]) -> Option<Node> {
        let bytes: &[u8; 65] = bytes.try_into().ok()?;
        let a = Hash(bytes[1..33].try_into().ok()?);
        let b = Hash(bytes[33..].try_into().ok()?);
        match bytes[0] {
            0 => Some(Node::Leaf { key: a, value: b }),
            1 => Some(Node::Branch { left: a, right: b }),
            _ => None,
        }
    }

    /// The node's hash: `SHA-256` of its encoding.
    pub fn hash(&self) -> Hash {
        Hash(Sha256::digest(self.encode()).into())
    }
}

/// Where the tree's nodes are read from.
pub trait NodeSource {
    /// Why a node could not be read.
    type Error;

    /// The node whose hash is `hash`; `Ok(None)` when this source does not
    /// hold it (yet).
    fn node(&self, hash: &Hash) -> Result<Option<Node>, Self::Error>;
}

/// Why an update or a lookup could not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TipsError<E> {
    /// The source lacks these nodes: read them, then run the call again.
    #[error("{} tips tree nodes are missing (first {})", .0.len(), .0.first().map(Hash::to_hex).unwrap_or_default())]
    Missing(Vec<Hash>),
    /// A path deeper than 256 bits: the stored tree is not a tips tree.
    #[error("a tips tree path is deeper than 256 bits")]
    TooDeep,
    /// The source failed.
    #[error("reading the tips tree failed")]
    Store(#[source] E),
}

/// A change to the tree: `key` now has `value`.
pub type Change = (Hash, Hash);

/// What [`update`] made: the new root, how many keys it added (keys that
/// were already in the tree are replaced), and the nodes to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The new root.
    pub root: Hash,
    /// The number of keys that were not in the tree before.
    pub added: u64,
    /// The new nodes, children before their parents.
    pub nodes: Vec<Node>,
}

/// Applies `changes` to the tree whose root is `root` (a later change of the
/// same key wins), reading only the nodes on the changed keys' paths.
pub fn update<S: NodeSource>(
    source: &S,
    root: Hash,
    mut changes: Vec<Change>,
) -> Result<Update, TipsError<S::Error>> {
    // Sorted by key, the last change of each key kept.
    changes.reverse();
    changes.sort_by_key(|c| c.0.0);
    changes.dedup_by(|later, earlier| later.0 == earlier.0);
    let mut run = Updater { source, inserted: 0, reinserted: 0, nodes: Vec::new(), missing: Vec::new() };
    let new_root = run.apply(root, 0, &changes)?;
    match new_root {
        Some(root) if run.missing.is_empty() => {
            Ok(Update { root, added: run.inserted - run.reinserted, nodes: run.nodes })
        }
        _ => Err(TipsError::Missing(run.missing)),
    }
}

struct Updater<'a, S> {
    source: &'a S,
    inserted: u64,
    reinserted: u64,
    nodes: Vec<Node>,
    missing: Vec<Hash>,
}

impl<S: NodeSource> Updater<'_, S> {
    fn put(&mut self, node: Node) -> Hash {
        let hash = node.hash();
        self.nodes.push(node);
        hash
    }

    /// The new hash of the subtree `hash` at `depth` after `changes` (all
    /// under this subtree, sorted, one per key); `None` when a node is missing.
    fn apply(
        &mut self,
        hash: Hash,
        depth: usize,
        changes: &[Change],
    ) -> Result<Option<Hash>, TipsError<S::Error>> {
        if changes.is_empty() {
            return Ok(Some(hash));
        }
        if hash == EMPTY {
            return self.fill(depth, changes);
        }
        let Some(node) = self.source.node(&hash).map_err(TipsError::Store)? else {
            self.missing.push(hash);
            return Ok(None);
        };
        match node {
            Node::Leaf { key, value } => {
                if let [(k, v)] = changes
                    && *k == key
                {
                    return Ok(Some(if *v == value {
                        hash
                    } else {
                        self.put(Node::Leaf { key, value: *v })
                    }));
                }
                // The leaf moves down beside the new keys (with its new value
                // if it is among the changes). `fill` counts every key it
                // places, and this one was in the tree already.
                let mut merged = changes.to_vec();
                if let Err(at) = merged.binary_search_by(|c| c.0.0.cmp(&key.0)) {
                    merged.insert(at, (key, value));
                }
                self.reinserted += 1;
                self.fill(depth, &merged)
            }
            Node::Branch { left, right } => {
                if depth >= MAX_DEPTH {
                    return Err(TipsError::TooDeep);
                }
                let split = changes.partition_point(|c| !bit(&c.0, depth));
                let left = self.apply(left, depth + 1, &changes[..split])?;
                let right = self.apply(right, depth + 1, &changes[split..])?;
                Ok(left.zip(right).map(|(left, right)| self.put(Node::Branch { left, right })))
            }
        }
    }

    /// The subtree at `depth` holding exactly `changes` (sorted, distinct).
    fn fill(&mut self, depth: usize, changes: &[Change]) -> Result<Option<Hash>, TipsError<S::Error>> {
        match changes {
            [] => Ok(Some(EMPTY)),
            [(key, value)] => {
                self.inserted += 1;
                Ok(Some(self.put(Node::Leaf { key: *key, value: *value })))
            }
            _ if depth >= MAX_DEPTH => Err(TipsError::TooDeep),
            _ => {
                let split = changes.partition_point(|c| !bit(&c.0, depth));
                let left = self.fill(depth + 1, &changes[..split])?;
                let right = self.fill(depth + 1, &changes[split..])?;
                Ok(left.zip(right).map(|(left, right)| self.put(Node::Branch { left, right })))
            }
        }
    }
}

/// What the tree holds at a key, with the siblings of its path from the
/// root down (`siblings[d]` is the sibling at depth `d + 1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The key is in the tree with `value`.
    Found {
        /// Its value.
        value: Hash,
        /// The siblings of its path.
        siblings: Vec<Hash>,
    },
    /// The key is not in the tree: its path ends at an empty subtree, or at
    /// the leaf of another key (`leaf`).
    Absent {
        /// The other key's leaf (key, value) where the path ends, if any.
        leaf: Option<(Hash, Hash)>,
        /// The siblings of the path.
        siblings: Vec<Hash>,
    },
}

/// Looks `key` up in the tree whose root is `root`.
pub fn lookup<S: NodeSource>(source: &S, root: Hash, key: &Hash) -> Result<Lookup, TipsError<S::Error>> {
    let mut siblings = Vec::new();
    let mut hash = root;
    loop {
        if hash == EMPTY {
            return Ok(Lookup::Absent { leaf: None, siblings });
        }
        let node =
            source.node(&hash).map_err(TipsError::Store)?.ok_or_else(|| TipsError::Missing(vec![hash]))?;
        match node {
            Node::Leaf { key: k, value } if k == *key => return Ok(Lookup::Found { value, siblings }),
            Node::Leaf { key: k, value } => return Ok(Lookup::Absent { leaf: Some((k, value)), siblings }),
            Node::Branch { left, right } => {
                if siblings.len() >= MAX_DEPTH {
                    return Err(TipsError::TooDeep);
                }
                let (next, sibling) = if bit(key, siblings.len()) { (right, left) } else { (left, right) };
                siblings.push(sibling);
                hash = next;
            }
        }
    }
}

/// Why a tips proof does not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TipsProofError {
    /// More siblings than a 256-bit key has bits.
    #[error("a tips proof has {0} siblings, more than 256")]
    TooLong(usize),
    /// The root recomputed from the proof is not the checkpoint's.
    #[error("the tips proof does not lead to the checkpoint's tips root")]
    RootMismatch,
    /// The proof's record names another DID than the one resolved.
    #[error("the tips proof is for another DID")]
    OtherDid,
    /// The proof's record count is not the checkpoint's.
    #[error("the tips proof counts {proof} records, the checkpoint {checkpoint}")]
    OtherCount {
        /// The count the proof carries.
        proof: u64,
        /// The count the checkpoint commits to.
        checkpoint: u64,
    },
    /// An absence proof ending at a leaf of the key itself, or of a key off
    /// the path.
    #[error("the absence proof ends at a leaf that does not rule the key out")]
    NotAbsent,
}

/// Folds `siblings` (root first) up from `hash`, the node at their depth on
/// `key`'s path, and compares with `root`.
fn fold(root: &Hash, key: &Hash, mut hash: Hash, siblings: &[Hash]) -> Result<(), TipsProofError> {
    if siblings.len() > MAX_DEPTH {
        return Err(TipsProofError::TooLong(siblings.len()));
    }
    for (depth, sibling) in siblings.iter().enumerate().rev() {
        let (left, right) = if bit(key, depth) { (*sibling, hash) } else { (hash, *sibling) };
        hash = Node::Branch { left, right }.hash();
    }
    if hash == *root { Ok(()) } else { Err(TipsProofError::RootMismatch) }
}

/// Checks that the tree whose root is `root` holds `record` for its DID.
pub fn verify(root: &Hash, record: &TipRecord, siblings: &[Hash]) -> Result<(), TipsProofError> {
    let key = key(&record.did);
    fold(root, &key, leaf_hash(&key, &value_hash(record)), siblings)
}

/// Checks that the tree whose root is `root` holds no record for `did`: the
/// path ends at an empty subtree, or at the leaf of another key sharing the
/// path so far.
pub fn verify_absent(
    root: &Hash,
    did: &str,
    leaf: Option<(Hash, Hash)>,
    siblings: &[Hash],
) -> Result<(), TipsProofError> {
    let key = key(did);
    let end = match leaf {
        None => EMPTY,
        Some((other, value)) => {
            let shares_path =
                siblings.len() <= MAX_DEPTH && (0..siblings.len()).all(|d| bit(&other, d) == bit(&key, d));
            if other == key || !shares_path {
                return Err(TipsProofError::NotAbsent);
            }
            leaf_hash(&other, &value)
        }
    };
    fold(root, &key, end, siblings)
}

/// Nodes held in memory: a whole tree (tests, small ledgers), or the nodes
/// read so far from a store.
#[derive(Clone, Debug, Default)]
pub struct MemoryNodes(pub std::collections::HashMap<Hash, Node>);

impl MemoryNodes {
    /// Keeps `nodes` (as [`update`] returned them).
    pub fn extend(&mut self, nodes: impl IntoIterator<Item = Node>) {
        self.0.extend(nodes.into_iter().map(|n| (n.hash(), n)));
    }
}

impl NodeSource for MemoryNodes {
    type Error = std::convert::Infallible;

    fn node(&self, hash: &Hash) -> Result<Option<Node>, Self::Error> {
        Ok(self.0.get(hash).copied())
    }
}

/// A whole tips tree in memory: the reference the stored trees are tested
/// against, and a real tree for tests that play a ledger.
#[derive(Clone, Debug, Default)]
pub struct MemoryTips {
    nodes: MemoryNodes,
    root: Option<Hash>,
    count: u64,
}

impl MemoryTips {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the records (a later record of the same DID wins).
    pub fn set(&mut self, records: &[TipRecord]) {
        let changes = records.iter().map(|r| (key(&r.did), value_hash(r))).collect();
        let update = match update(&self.nodes, self.root(), changes) {
            Ok(update) => update,
            Err(TipsError::Missing(_) | TipsError::TooDeep | TipsError::Store(_)) => return,
        };
        self.nodes.extend(update.nodes);
        self.root = Some(update.root);
        self.count += update.added;
    }

    /// The root.
    pub fn root(&self) -> Hash {
        self.root.unwrap_or(EMPTY)
    }

    /// The number of records.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// What the tree holds for `did`.
    pub fn lookup(&self, did: &str) -> Lookup {
        match lookup(&self.nodes, self.root(), &key(did)) {
            Ok(found) => found,
            // Every node of a memory tree is held.
            Err(_) => Lookup::Absent { leaf: None, siblings: Vec::new() },
        }
    }
}

#[cfg(test)]
mod tests;
