//! Tree nodes read from etcd for one computation.
//!
//! [`crate::merkle`]'s functions read nodes through the synchronous
//! [`NodeReader`]; which nodes they read depends only on the indices, never on
//! the hashes. So a computation runs twice: first against a [`Recorder`] that
//! answers zeros and notes every node asked for, then (after one batched etcd
//! read of those nodes) against a [`NodeMap`] holding them.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::merkle::{Hash, MissingNode, NodeReader};

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::merkle::{self, MemoryTree};

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
