//! RFC 9162 Merkle tree hashing, inclusion proofs and consistency proofs.
//!
//! The ledger's leaves are hashed into the Merkle tree of Certificate
//! Transparency version 2 ([RFC 9162 §2.1]). The steps, in order:
//!
//! 1. **Hashing** ([RFC 9162 §2.1.1]): a leaf hashes as `SHA-256(0x00 || data)`
//!    ([`leaf_hash`]), an inner node as `SHA-256(0x01 || left || right)`
//!    ([`node_hash`]), and the empty tree as `SHA-256("")` ([`empty_root`]).
//!    The tree over `n > 1` leaves splits at the largest power of two smaller
//!    than `n`.
//! 2. **Storage**: a log stores only the hashes of *complete* (perfect)
//!    subtrees, read back through [`NodeReader`]. When a leaf is appended,
//!    [`nodes_completed_by`] lists the hashes to store. Every hash a proof needs
//!    is a fold of at most 64 such subtrees, so [`root`], [`inclusion_proof`] and
//!    [`consistency_proof`] make O(log n) reads and never read all leaves.
//! 3. **Proofs**: [`inclusion_proof`] ([RFC 9162 §2.1.3.1]) and
//!    [`consistency_proof`] ([RFC 9162 §2.1.4.1]).
//! 4. **Verification**: [`verify_inclusion`] ([RFC 9162 §2.1.3.2]) and
//!    [`verify_consistency`] ([RFC 9162 §2.1.4.2]). They first check the proof
//!    length that the sizes imply, then recompute the roots.
//!
//! [`MemoryTree`] is a complete in-memory log built on the same functions.
//!
//! ```
//! use didam_ledger::merkle::{verify_consistency, verify_inclusion, leaf_hash, MemoryTree};
//!
//! let mut tree = MemoryTree::new();
//! for entry in [&b"a"[..], b"b", b"c"] {
//!     tree.push(entry);
//! }
//! let old_root = tree.root();
//! tree.push(b"d");
//!
//! let proof = tree.inclusion_proof(1, 4)?;
//! verify_inclusion(&leaf_hash(b"b"), 1, 4, &proof, &tree.root())?;
//! let proof = tree.consistency_proof(3, 4)?;
//! verify_consistency(3, 4, &old_root, &tree.root(), &proof)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [RFC 9162 §2.1]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1
//! [RFC 9162 §2.1.1]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
//! [RFC 9162 §2.1.3.1]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1
//! [RFC 9162 §2.1.3.2]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
//! [RFC 9162 §2.1.4.1]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1
//! [RFC 9162 §2.1.4.2]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// Longest prefix of a rejected hash string kept in [`ProofError::InvalidHash`].
const MAX_KEPT_INPUT: usize = 96;

/// A SHA-256 tree hash: a leaf hash, an inner node hash or a tree root.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hash as 64 lowercase hexadecimal digits.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut out, byte| {
            // Writing to a String cannot fail.
            let _ = write!(out, "{byte:02x}");
            out
        })
    }

    /// Parses 64 hexadecimal digits (either case).
    pub fn from_hex(text: &str) -> Result<Hash, ProofError> {
        let invalid = || ProofError::invalid_hash("hex", text);
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            match (hex_value(pair[0]), hex_value(pair[1])) {
                (Some(high), Some(low)) => *byte = (high << 4) | low,
                _ => return Err(invalid()),
            }
        }
        Ok(Hash(out))
    }

    /// The hash in standard, padded base64 ([RFC 4648 §4]), as CT and the
    /// transparency-dev test data write it.
    ///
    /// [RFC 4648 §4]: https://www.rfc-editor.org/rfc/rfc4648#section-4
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Parses standard, padded base64 ([RFC 4648 §4]) of exactly 32 bytes.
    ///
    /// [RFC 4648 §4]: https://www.rfc-editor.org/rfc/rfc4648#section-4
    pub fn from_base64(text: &str) -> Result<Hash, ProofError> {
        let bytes = BASE64.decode(text).map_err(|_| ProofError::invalid_hash("base64", text))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| ProofError::invalid_hash("base64", text))?;
        Ok(Hash(bytes))
    }

    /// The 32 hash bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The hash of a leaf: `SHA-256(0x00 || data)`.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
pub fn leaf_hash(data: &[u8]) -> Hash {
    Hash(Sha256::new().chain_update([0x00]).chain_update(data).finalize().into())
}

/// The hash of an inner node: `SHA-256(0x01 || left || right)`.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash(Sha256::new().chain_update([0x01]).chain_update(left.0).chain_update(right.0).finalize().into())
}

/// The root of the empty tree: `SHA-256("")`.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// Why a proof could not be computed or does not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof from a larger tree to a smaller one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizesOutOfOrder {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// The proof has a different number of hashes than the sizes imply.
    #[error("proof has {got} hashes, the tree sizes imply {expected}")]
    WrongProofSize {
        /// The number of hashes the sizes imply.
        expected: usize,
        /// The number of hashes given.
        got: usize,
    },
    /// The root recomputed from the proof is not the given (new) root.
    #[error("the proof does not lead to the given root")]
    RootMismatch,
    /// The old root recomputed from a consistency proof is not the given old
    /// root, or an empty tree's root is not [`empty_root`].
    #[error("the proof does not lead to the given old root")]
    OldRootMismatch,
    /// Text that is not a 32-byte hash in the named encoding.
    #[error("`{input}` is not a 32-byte hash in {encoding}")]
    InvalidHash {
        /// `"hex"` or `"base64"`.
        encoding: &'static str,
        /// The rejected text (at most its first 96 characters).
        input: String,
    },
    /// Appending leaf `index` would make the tree size overflow `u64`.
    #[error("cannot append leaf {index}: the tree size would overflow")]
    SizeOverflow {
        /// The index of the leaf that was to be appended.
        index: u64,
    },
    /// A tree size larger than the stored tree.
    #[error("tree size {size} is larger than the stored tree ({tree_size} leaves)")]
    SizeBeyondTree {
        /// The tree size asked for.
        size: u64,
        /// The number of leaves stored.
        tree_size: u64,
    },
}

impl ProofError {
    fn invalid_hash(encoding: &'static str, input: &str) -> ProofError {
        ProofError::InvalidHash { encoding, input: input.chars().take(MAX_KEPT_INPUT).collect() }
    }
}

/// Storage of the hashes of complete (perfect) subtrees.
///
/// Level 0 holds the leaf hashes; the node at `(level, index)` covers leaves
/// `[index * 2^level, (index + 1) * 2^level)`. The functions of this module
/// only ask for nodes whose leaves all lie inside the tree size they are given.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
pub trait NodeReader {
    /// Why a node could not be read.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The hash of the complete subtree at `(level, index)`.
    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Errors of proof computation over a store.
#[derive(Debug, thiserror::Error)]
pub enum TreeError<E> {
    /// The store failed to return a node.
    #[error(transparent)]
    Store(E),
    /// The request itself is invalid.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// The hashes to store when leaf number `index` (0-based) with hash `leaf` is
/// appended to a tree of size `index`: `(0, index, leaf)` plus every complete
/// subtree this leaf completes, lowest level first, each computed from the
/// store (one read per level).
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
#[allow(clippy::type_complexity, reason = "a flat (level, index, hash) list is the store's write set")]
pub fn nodes_completed_by<R: NodeReader>(
    store: &R,
    index: u64,
    leaf: Hash,
) -> Result<Vec<(u8, u64, Hash)>, TreeError<R::Error>> {
    if index.checked_add(1).is_none() {
        return Err(ProofError::SizeOverflow { index }.into());
    }
    let mut nodes = vec![(0, index, leaf)];
    let (mut hash, mut at, mut level) = (leaf, index, 0u8);
    // A right child completes its parent; `at < u64::MAX` keeps `level < 64`.
    while at & 1 == 1 {
        let left = store.node(level, at - 1).map_err(TreeError::Store)?;
        hash = node_hash(&left, &hash);
        at >>= 1;
        level += 1;
        nodes.push((level, at, hash));
    }
    Ok(nodes)
}

/// The Merkle Tree Hash (MTH) of the first `size` leaves, from O(log n) reads.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
pub fn root<R: NodeReader>(store: &R, size: u64) -> Result<Hash, TreeError<R::Error>> {
    range_hash(store, 0, size).map_err(TreeError::Store)
}

/// The inclusion proof (audit path) of leaf `index` in the tree of `size`
/// leaves, deepest sibling first, from O(log n) store reads.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1>
pub fn inclusion_proof<R: NodeReader>(
    store: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError<R::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size }.into());
    }
    // Walk PATH(m, D[lo:hi]) down from the root, collecting siblings.
    let mut path = Vec::new();
    let (mut lo, mut hi) = (0, size);
    while hi - lo > 1 {
        let mid = lo + largest_power_of_two_below(hi - lo);
        if index < mid {
            path.push(range_hash(store, mid, hi).map_err(TreeError::Store)?);
            hi = mid;
        } else {
            path.push(range_hash(store, lo, mid).map_err(TreeError::Store)?);
            lo = mid;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof between the trees of `old` and `new` leaves
/// (`old <= new`), from O(log n) store reads. It is empty when `old == 0` or
/// `old == new`.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1>
pub fn consistency_proof<R: NodeReader>(
    store: &R,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, TreeError<R::Error>> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new }.into());
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    // Walk SUBPROOF(m, D[lo:hi], complete) down from the root; lo < old < hi.
    let mut path = Vec::new();
    let (mut lo, mut hi, mut complete) = (0, new, true);
    while old != hi {
        let mid = lo + largest_power_of_two_below(hi - lo);
        if old <= mid {
            path.push(range_hash(store, mid, hi).map_err(TreeError::Store)?);
            hi = mid;
        } else {
            path.push(range_hash(store, lo, mid).map_err(TreeError::Store)?);
            lo = mid;
            complete = false;
        }
    }
    if !complete {
        path.push(range_hash(store, lo, hi).map_err(TreeError::Store)?);
    }
    path.reverse();
    Ok(path)
}

/// Checks that `proof` proves leaf hash `leaf` at `index` in the tree of
/// `size` leaves whose root is `root`.
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2>
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofSize { expected, got: proof.len() });
    }
    let (mut fn_, mut sn, mut hash) = (index, size - 1, *leaf);
    for sibling in proof {
        if sn == 0 {
            return Err(ProofError::WrongProofSize { expected, got: proof.len() });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            hash = node_hash(sibling, &hash);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    match (sn, hash == *root) {
        (0, true) => Ok(()),
        (0, false) => Err(ProofError::RootMismatch),
        _ => Err(ProofError::WrongProofSize { expected, got: proof.len() }),
    }
}

/// Checks that `proof` proves the tree of `new` leaves with root `new_root`
/// extends the tree of `old` leaves with root `old_root`.
///
/// `old == new` requires an empty proof and equal roots. `old == 0` requires
/// an empty proof and `old_root` equal to [`empty_root`] (the root of every
/// empty tree, [RFC 9162 §2.1.1]).
///
/// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2>
///
/// [RFC 9162 §2.1.1]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 || old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofSize { expected: 0, got: proof.len() });
        }
        if old == 0 && *old_root != empty_root() {
            return Err(ProofError::OldRootMismatch);
        }
        if old == new && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    // Now 0 < old < new.
    let expected = consistency_proof_len(old, new);
    if proof.len() != expected {
        return Err(ProofError::WrongProofSize { expected, got: proof.len() });
    }
    // Step 1: a power-of-two old tree is itself the first node of the path.
    let (seed, rest) = if old.is_power_of_two() {
        (old_root, proof)
    } else {
        proof.split_first().ok_or(ProofError::WrongProofSize { expected, got: 0 })?
    };
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut first, mut second) = (*seed, *seed);
    for node in rest {
        if sn == 0 {
            return Err(ProofError::WrongProofSize { expected, got: proof.len() });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            first = node_hash(node, &first);
            second = node_hash(node, &second);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            second = node_hash(&second, node);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongProofSize { expected, got: proof.len() });
    }
    if first != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if second != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The length of the inclusion proof of `index < size`: the inner part (below
/// the point where the paths to `index` and to the last leaf part) plus the
/// border part (one hash per left turn above it).
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// The length of the consistency proof for `0 < old < new`: the inclusion
/// proof of the old tree's last complete subtree, plus that subtree's hash
/// unless it is the whole old tree.
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let shift = old.trailing_zeros();
    let (inner, border) = {
        let inner = bit_len((old - 1) ^ (new - 1));
        (inner - shift, (old - 1).checked_shr(inner).unwrap_or(0).count_ones())
    };
    let seed = usize::from(!old.is_power_of_two());
    seed + (inner + border) as usize
}

/// The number of significant bits of `value`.
fn bit_len(value: u64) -> u32 {
    u64::BITS - value.leading_zeros()
}

/// The split point k of RFC 9162 §2.1.1: the largest power of two `< n`, for `n >= 2`.
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// The MTH of leaves `[start, end)`, a node of an RFC 9162 tree (or the whole
/// tree when `start == 0`).
///
/// The range splits into maximal aligned complete subtrees s1 (largest) … sk,
/// one per set bit of `end - start`, and folds right to left:
/// `H(s1, H(s2, … H(sk-1, sk)))`. The empty range hashes to [`empty_root`].
fn range_hash<R: NodeReader>(store: &R, start: u64, end: u64) -> Result<Hash, R::Error> {
    let mut subtrees = Vec::with_capacity(u64::BITS as usize);
    let mut at = start;
    while at < end {
        let level = at.trailing_zeros().min((end - at).ilog2());
        // `level < 64` because `ilog2` of a u64 is at most 63.
        subtrees.push(store.node(level as u8, at >> level)?);
        at += 1 << level;
    }
    let Some(mut hash) = subtrees.pop() else {
        return Ok(empty_root());
    };
    while let Some(left) = subtrees.pop() {
        hash = node_hash(&left, &hash);
    }
    Ok(hash)
}

/// A node a [`MemoryTree`] does not hold: its leaves are not all in the tree.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[error("no complete subtree is stored at level {level}, index {index}")]
pub struct MissingNode {
    /// The level asked for.
    pub level: u8,
    /// The index asked for.
    pub index: u64,
}

/// An in-memory RFC 9162 log: every complete subtree hash, level by level.
///
/// It is a real [`NodeReader`] (used by the tests and as a reference for
/// persistent stores); asking it for a node outside the tree is a
/// [`MissingNode`] error.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of the complete subtree at `(l, i)`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf with `data` and returns its index.
    pub fn push(&mut self, data: &[u8]) -> u64 {
        self.push_hash(leaf_hash(data))
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn push_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let nodes = nodes_completed_by(self, index, leaf)
            .expect("a memory tree holds every complete subtree of its leaves and fewer than 2^64 leaves");
        for (level, _, hash) in nodes {
            let level = usize::from(level);
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
        }
        index
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// The root of the whole tree.
    ///
    /// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>
    pub fn root(&self) -> Hash {
        root(self, self.size()).expect("a memory tree holds every complete subtree of its leaves")
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    ///
    /// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1>
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        inclusion_proof(self, index, size).map_err(|e| self.flatten(e, size))
    }

    /// The consistency proof between the trees of the first `old` and `new` leaves.
    ///
    /// See: <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1>
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        if old > new {
            return Err(ProofError::SizesOutOfOrder { old, new });
        }
        self.check_size(new)?;
        consistency_proof(self, old, new).map_err(|e| self.flatten(e, new))
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        match self.size() {
            tree_size if size > tree_size => Err(ProofError::SizeBeyondTree { size, tree_size }),
            _ => Ok(()),
        }
    }

    /// A missing node can only mean a size beyond the tree.
    fn flatten(&self, error: TreeError<MissingNode>, size: u64) -> ProofError {
        match error {
            TreeError::Proof(error) => error,
            TreeError::Store(MissingNode { .. }) => {
                ProofError::SizeBeyondTree { size, tree_size: self.size() }
            }
        }
    }
}

impl NodeReader for MemoryTree {
    type Error = MissingNode;

    fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        let stored = self.levels.get(usize::from(level));
        let at = usize::try_from(index).ok();
        stored.zip(at).and_then(|(nodes, at)| nodes.get(at)).copied().ok_or(MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::cell::Cell;

    use super::*;

    /// A tree of `n` leaves whose data is the leaf index.
    fn tree_of(n: u64) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for i in 0..n {
            tree.push(&i.to_be_bytes());
        }
        tree
    }

    /// A real store that counts its reads.
    struct Counting<'a> {
        tree: &'a MemoryTree,
        reads: Cell<u64>,
    }

    impl NodeReader for Counting<'_> {
        type Error = MissingNode;
        fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
            self.reads.set(self.reads.get() + 1);
            self.tree.node(level, index)
        }
    }

    #[test]
    fn hash_encodings_round_trip() {
        let hash = leaf_hash(b"didam");
        assert_eq!(Hash::from_hex(&hash.to_hex()).unwrap(), hash);
        assert_eq!(Hash::from_hex(&hash.to_hex().to_uppercase()).unwrap(), hash);
        assert_eq!(Hash::from_base64(&hash.to_base64()).unwrap(), hash);
        assert_eq!(format!("{hash:?}"), format!("Hash({})", hash.to_hex()));
        assert_eq!(hash.as_bytes(), &hash.0);
    }

    #[test]
    fn malformed_hash_text_is_an_error() {
        for text in ["", "00", &"g".repeat(64), &"0".repeat(66), "é".repeat(32).as_str()] {
            assert!(matches!(Hash::from_hex(text), Err(ProofError::InvalidHash { encoding: "hex", .. })));
        }
        for text in ["", "V3JvbmdMZWFm", "!!!!", &BASE64.encode([0u8; 33])] {
            assert!(matches!(
                Hash::from_base64(text),
                Err(ProofError::InvalidHash { encoding: "base64", .. })
            ));
        }
        let long = "x".repeat(10_000);
        let Err(ProofError::InvalidHash { input, .. }) = Hash::from_hex(&long) else { panic!("accepted") };
        assert_eq!(input.len(), MAX_KEPT_INPUT);
    }

    #[test]
    fn index_outside_the_tree_is_an_error() {
        let tree = tree_of(5);
        let err = ProofError::IndexOutOfRange { index: 5, size: 5 };
        assert_eq!(tree.inclusion_proof(5, 5), Err(err.clone()));
        assert_eq!(verify_inclusion(&leaf_hash(b""), 5, 5, &[], &tree.root()), Err(err));
        assert_eq!(tree.inclusion_proof(0, 0), Err(ProofError::IndexOutOfRange { index: 0, size: 0 }));
        assert_eq!(tree.inclusion_proof(0, 6), Err(ProofError::SizeBeyondTree { size: 6, tree_size: 5 }));
    }

    #[test]
    fn old_larger_than_new_is_an_error() {
        let tree = tree_of(5);
        let err = ProofError::SizesOutOfOrder { old: 4, new: 3 };
        assert_eq!(tree.consistency_proof(4, 3), Err(err.clone()));
        assert!(matches!(consistency_proof(&tree, 4, 3), Err(TreeError::Proof(e)) if e == err));
        assert_eq!(verify_consistency(4, 3, &tree.root(), &tree.root(), &[]), Err(err));
        assert_eq!(tree.consistency_proof(1, 6), Err(ProofError::SizeBeyondTree { size: 6, tree_size: 5 }));
    }

    #[test]
    fn huge_sizes_are_errors_not_panics() {
        let tree = tree_of(3);
        let leaf = leaf_hash(b"");
        let max = u64::MAX;
        assert_eq!(
            verify_inclusion(&leaf, max - 1, max, &[], &leaf),
            Err(ProofError::WrongProofSize { expected: 63, got: 0 })
        );
        assert_eq!(verify_inclusion(&leaf, max - 1, max, &[leaf; 63], &leaf), Err(ProofError::RootMismatch));
        assert_eq!(verify_inclusion(&leaf, 0, max, &[leaf; 64], &leaf), Err(ProofError::RootMismatch));
        assert!(matches!(
            verify_inclusion(&leaf, max, max, &[], &leaf),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        for (old, new) in [(max - 1, max), (1, max), (1 << 63, max), (max >> 1, max)] {
            assert!(matches!(
                verify_consistency(old, new, &leaf, &leaf, &[]),
                Err(ProofError::WrongProofSize { got: 0, .. })
            ));
            let Err(ProofError::WrongProofSize { expected, .. }) =
                verify_consistency(old, new, &leaf, &leaf, &[])
            else {
                panic!("accepted")
            };
            assert!(verify_consistency(old, new, &leaf, &leaf, &vec![leaf; expected]).is_err());
        }
        assert!(matches!(inclusion_proof(&tree, 0, max), Err(TreeError::Store(_))));
        assert!(matches!(inclusion_proof(&tree, max - 1, max), Err(TreeError::Store(_))));
        assert!(matches!(consistency_proof(&tree, 1, max), Err(TreeError::Store(_))));
        assert!(matches!(consistency_proof(&tree, max - 1, max), Err(TreeError::Store(_))));
        assert!(matches!(root(&tree, max), Err(TreeError::Store(_))));
        assert!(matches!(
            nodes_completed_by(&tree, max, leaf),
            Err(TreeError::Proof(ProofError::SizeOverflow { index: u64::MAX }))
        ));
        assert!(matches!(nodes_completed_by(&tree, max - 2, leaf), Err(TreeError::Store(_))));
        assert_eq!(tree.inclusion_proof(0, max), Err(ProofError::SizeBeyondTree { size: max, tree_size: 3 }));
    }

    #[test]
    fn empty_and_equal_sizes() {
        let tree = tree_of(4);
        let empty = empty_root();
        assert_eq!(MemoryTree::new().root(), empty);
        assert_eq!(tree.consistency_proof(0, 4).unwrap(), Vec::<Hash>::new());
        assert_eq!(tree.consistency_proof(4, 4).unwrap(), Vec::<Hash>::new());
        assert_eq!(verify_consistency(0, 4, &empty, &tree.root(), &[]), Ok(()));
        assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
        assert_eq!(
            verify_consistency(0, 4, &tree.root(), &tree.root(), &[]),
            Err(ProofError::OldRootMismatch)
        );
        assert_eq!(verify_consistency(4, 4, &tree.root(), &tree.root(), &[]), Ok(()));
        assert_eq!(verify_consistency(4, 4, &tree.root(), &empty, &[]), Err(ProofError::RootMismatch));
        assert_eq!(
            verify_consistency(4, 4, &tree.root(), &tree.root(), &[empty]),
            Err(ProofError::WrongProofSize { expected: 0, got: 1 })
        );
    }

    #[test]
    fn append_stores_each_completed_subtree() {
        let tree = tree_of(7);
        let leaf = leaf_hash(&7u64.to_be_bytes());
        let nodes = nodes_completed_by(&tree, 7, leaf).unwrap();
        let levels: Vec<(u8, u64)> = nodes.iter().map(|&(level, index, _)| (level, index)).collect();
        assert_eq!(levels, [(0, 7), (1, 3), (2, 1), (3, 0)]);
        assert_eq!(nodes[3].2, tree_of(8).root());
        assert_eq!(nodes_completed_by(&tree, 6, leaf).unwrap().len(), 1);
    }

    #[test]
    fn proofs_read_logarithmically_many_nodes() {
        let tree = tree_of(1000);
        let store = Counting { tree: &tree, reads: Cell::new(0) };
        let reads = |f: &dyn Fn(&Counting<'_>)| {
            store.reads.set(0);
            f(&store);
            store.reads.get()
        };
        // 1000 leaves: 10 levels, 6 set bits.
        assert!(reads(&|s| assert!(root(s, 999).is_ok())) <= 10);
        for (index, size) in [(0, 999), (998, 999), (500, 1000), (511, 997)] {
            let n = reads(&|s| assert!(inclusion_proof(s, index, size).is_ok()));
            assert!(n <= 2 * 10, "{n} reads for inclusion ({index}, {size})");
        }
        for (old, new) in [(1, 999), (998, 999), (500, 1000), (511, 997)] {
            let n = reads(&|s| assert!(consistency_proof(s, old, new).is_ok()));
            assert!(n <= 3 * 10, "{n} reads for consistency ({old}, {new})");
        }
    }

    #[test]
    fn memory_tree_matches_the_store_functions() {
        let tree = tree_of(13);
        assert_eq!(tree.size(), 13);
        for size in 1..=13 {
            let root = root(&tree, size).unwrap();
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                let leaf = leaf_hash(&index.to_be_bytes());
                assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
            }
            for old in 0..=size {
                let proof = tree.consistency_proof(old, size).unwrap();
                let old_root = super::root(&tree, old).unwrap();
                assert_eq!(verify_consistency(old, size, &old_root, &root, &proof), Ok(()));
            }
        }
    }
}
