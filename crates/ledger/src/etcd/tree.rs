//! Tree nodes read from etcd for one computation, and the tips tree cache.
//!
//! [`crate::merkle`]'s functions read nodes through the synchronous
//! [`NodeReader`]; which nodes they read depends only on the indices, never on
//! the hashes. So a computation runs twice: first against a [`Recorder`] that
//! answers zeros and notes every node asked for, then (after one batched etcd
//! read of those nodes) against a [`NodeMap`] holding them.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::ledger::{TipProof, TipRecord};
use crate::merkle::{self, Hash, MemoryTree, MissingNode, NodeReader};

/// Notes the nodes a computation reads, answering zeros.
#[derive(Default)]
pub(crate) struct Recorder {
    asked: RefCell<Vec<(u8, u64)>>,
}

impl Recorder {
    pub(crate) fn into_asked(self) -> Vec<(u8, u64)> {
        let mut asked = self.asked.into_inner();
        asked.sort_unstable();
        asked.dedup();
        asked
    }
}

impl NodeReader for Recorder {
    type Error = MissingNode;

    fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        self.asked.borrow_mut().push((level, index));
        Ok(Hash([0; 32]))
    }
}

/// Nodes read from etcd (and nodes computed on top of them).
#[derive(Debug, Default)]
pub(crate) struct NodeMap(pub(crate) HashMap<(u8, u64), Hash>);

impl NodeReader for NodeMap {
    type Error = MissingNode;

    fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        self.0.get(&(level, index)).copied().ok_or(MissingNode { level, index })
    }
}

/// A reader for one of the two passes of a computation.
pub(crate) enum Pass {
    /// The first pass: note what is read.
    Record(Recorder),
    /// The second pass: the nodes read.
    Read(NodeMap),
}

impl NodeReader for Pass {
    type Error = MissingNode;

    fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        match self {
            Pass::Record(r) => r.node(level, index),
            Pass::Read(m) => m.node(level, index),
        }
    }
}

/// The nodes that appending leaves to a tree of `size` leaves reads: the
/// complete subtrees on the tree's right edge, one per set bit of `size`.
pub(crate) fn frontier(size: u64) -> Vec<(u8, u64)> {
    (0..64u8).filter(|l| size >> l & 1 == 1).map(|l| (l, (size >> l) - 1)).collect()
}

/// The tips tree of one tree size: every DID's latest entry below it, and
/// the leaf indices of each DID's log (so a log below that size needs no
/// index read).
#[derive(Debug, Default)]
pub(crate) struct TipsTree {
    /// The tree size it covers.
    pub(crate) size: u64,
    /// DID → its leaf indices, oldest first, and its latest entry's hash.
    records: BTreeMap<String, (Vec<u64>, String)>,
    /// Sorted DIDs (positions) and the tree over their records, built on demand.
    built: Option<(Vec<String>, MemoryTree)>,
}

impl TipsTree {
    /// Takes in leaf `index` of DID `did` with `entry_hash`.
    pub(crate) fn push(&mut self, index: u64, did: String, entry_hash: String) {
        let record = self.records.entry(did).or_default();
        record.0.push(index);
        record.1 = entry_hash;
        self.size = index + 1;
        self.built = None;
    }

    /// Sets the size covered (after pushing every leaf below it).
    pub(crate) fn set_size(&mut self, size: u64) {
        self.size = size;
    }

    fn build(&mut self) -> &(Vec<String>, MemoryTree) {
        self.built.get_or_insert_with(|| {
            let mut tree = MemoryTree::new();
            let mut dids = Vec::with_capacity(self.records.len());
            for (did, (leaves, entry_hash)) in &self.records {
                let leaf_index = leaves.last().copied().unwrap_or_default();
                let record = TipRecord { did: did.clone(), leaf_index, entry_hash: entry_hash.clone() };
                tree.push(&record.leaf_data());
                dids.push(did.clone());
            }
            (dids, tree)
        })
    }

    /// The number of records and the tips tree root.
    pub(crate) fn root(&mut self) -> (u64, Hash) {
        let (_, tree) = self.build();
        (tree.size(), tree.root())
    }

    /// `did`'s record with its inclusion proof, if the DID is in the tree.
    pub(crate) fn proof(&mut self, did: &str) -> Option<Result<TipProof, merkle::ProofError>> {
        let (leaves, entry_hash) = self.records.get(did)?;
        let (leaf_index, entry_hash) = (leaves.last().copied().unwrap_or_default(), entry_hash.clone());
        let (dids, tree) = self.build();
        let position = dids.binary_search_by(|d| d.as_str().cmp(did)).ok()? as u64;
        let count = tree.size();
        Some(tree.inclusion_proof(position, count).map(|proof| TipProof {
            record: TipRecord { did: did.to_owned(), leaf_index, entry_hash },
            position,
            count,
            proof,
        }))
    }

    /// The leaf indices of `did`'s entries below [`Self::size`], oldest first.
    pub(crate) fn leaves(&self, did: &str) -> Option<&[u64]> {
        self.records.get(did).map(|(leaves, _)| leaves.as_slice())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_frontier_is_what_appending_reads() {
        let mut full = MemoryTree::new();
        for size in 0..40u64 {
            let mut map = NodeMap::default();
            for (l, i) in frontier(size) {
                map.0.insert((l, i), full.node(l, i).unwrap());
            }
            // Appending the next leaf reads only frontier nodes.
            merkle::nodes_completed_by(&map, size, merkle::leaf_hash(&size.to_be_bytes())).unwrap();
            full.push(&size.to_be_bytes());
        }
    }

    #[test]
    fn recorded_nodes_suffice_for_proofs() {
        let mut full = MemoryTree::new();
        for i in 0..23u64 {
            full.push(&i.to_be_bytes());
        }
        let recorder = Recorder::default();
        merkle::inclusion_proof(&recorder, 5, 23).unwrap();
        let mut map = NodeMap::default();
        for (l, i) in recorder.into_asked() {
            map.0.insert((l, i), full.node(l, i).unwrap());
        }
        assert_eq!(merkle::inclusion_proof(&map, 5, 23).unwrap(), full.inclusion_proof(5, 23).unwrap());
    }
}
