//! The ledger's key layout in etcd (all under one prefix; see
//! `specs/ledger-etcd.md`). Numbers are zero-padded to 20 digits so that
//! etcd's byte order is numeric order.

use didam_credential::Did;

/// The keys of one ledger, under `prefix`.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    fn key(&self, rest: &str) -> Vec<u8> {
        format!("{}{rest}", self.prefix).into_bytes()
    }

    /// The number of appended entries (the next leaf index).
    pub(crate) fn seq(&self) -> Vec<u8> {
        self.key("seq")
    }

    /// The number of leaves integrated into the tree.
    pub(crate) fn tree_size(&self) -> Vec<u8> {
        self.key("tree-size")
    }

    /// A leaf: the entry's JCS line.
    pub(crate) fn leaf(&self, index: u64) -> Vec<u8> {
        self.key(&format!("leaf/{index:020}"))
    }

    /// The entry-hash index: entry hash → leaf index.
    pub(crate) fn hash(&self, entry_hash: &str) -> Vec<u8> {
        self.key(&format!("hash/{entry_hash}"))
    }

    /// A DID's tip state (`DidState` as JSON).
    pub(crate) fn did(&self, did: &Did) -> Vec<u8> {
        self.key(&format!("did/{did}"))
    }

    /// The first key of a DID's log index.
    pub(crate) fn log_prefix(&self, did: &Did) -> Vec<u8> {
        self.key(&format!("log/{did}/"))
    }

    /// One entry of a DID's log index: version number → leaf index.
    pub(crate) fn log(&self, did: &Did, version_number: u64) -> Vec<u8> {
        self.key(&format!("log/{did}/{version_number:020}"))
    }

    /// A tree node (the hash of a complete subtree, 32 bytes).
    pub(crate) fn node(&self, level: u8, index: u64) -> Vec<u8> {
        self.key(&format!("node/{level:02}/{index:020}"))
    }

    /// A tips tree node by its hash (its 65-byte encoding, [`crate::tips::Node`]).
    pub(crate) fn tips_node(&self, hash: &crate::merkle::Hash) -> Vec<u8> {
        self.key(&format!("tips-node/{}", hash.to_hex()))
    }

    /// The tips tree of the checkpoint of `size` leaves: `<count> <root, base64>`.
    pub(crate) fn tips_root(&self, size: u64) -> Vec<u8> {
        self.key(&format!("tips-root/{size:020}"))
    }

    /// A signed checkpoint of `size` leaves (the note).
    pub(crate) fn checkpoint(&self, size: u64) -> Vec<u8> {
        self.key(&format!("checkpoint/{size:020}"))
    }

    /// The latest signed checkpoint (the note).
    pub(crate) fn latest_checkpoint(&self) -> Vec<u8> {
        self.key("checkpoint-latest")
    }

    /// The sequencer election key (held under a lease).
    pub(crate) fn sequencer(&self) -> Vec<u8> {
        self.key("sequencer")
    }

    /// The operator's note verifier key.
    pub(crate) fn operator(&self) -> Vec<u8> {
        self.key("operator")
    }
}

/// The end of the range of keys starting with `prefix` (etcd's `range_end`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_sort_as_bytes() {
        let keys = Keys::new("didam/");
        assert!(keys.leaf(9) < keys.leaf(10));
        let did = Did::parse("did:x:1").unwrap();
        assert!(keys.log(&did, 2) < keys.log(&did, 11));
        assert_eq!(prefix_end(b"a/"), b"a0".to_vec());
        assert_eq!(prefix_end(&[b'a', 0xff]), b"b".to_vec());
    }
}
