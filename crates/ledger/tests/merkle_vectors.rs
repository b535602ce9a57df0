//! RFC 9162 Merkle tree vectors: the hand-written 8-leaf tree, every
//! transparency-dev/merkle proof probe, and property tests against a
//! brute-force Merkle Tree Hash.
//!
//! The vectors live in the shared folder (`$DIDAM_SHARED`, by default
//! `../shared` next to the repository): `vectors/rfc9162-merkle/`.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use didam_ledger::merkle::{
    Hash, MemoryTree, ProofError, consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The probe that upstream accepts although its roots are 12-byte strings
/// ("don't care 2"): upstream compares hashes as opaque bytes when the sizes
/// are equal, while [`Hash`] only holds 32-byte SHA-256 values, so the probe is
/// rejected when parsed. [`deviation_equal_sizes_with_opaque_roots`] checks the
/// behaviour it stands for.
const OPAQUE_ROOT_PROBE: &str = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";

fn vectors_dir() -> PathBuf {
    let shared = std::env::var_os("DIDAM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("vectors/rfc9162-merkle");
    assert!(
        dir.is_dir(),
        "RFC 9162 vectors not found at {}: set DIDAM_SHARED to the shared folder (the one holding vectors/)",
        dir.display()
    );
    dir
}

fn testdata_dir() -> PathBuf {
    vectors_dir().join("transparency-dev-merkle/testdata")
}

fn hex32(text: &str) -> Hash {
    Hash::from_hex(text).unwrap()
}

// ---------------------------------------------------------------------------
// 1. The hand-written 8-leaf tree.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandwrittenTree {
    leaf_inputs: Vec<String>,
    leaf_hashes: Vec<String>,
    node_hashes_by_level: Vec<Vec<String>>,
    root_hashes_by_tree_size: std::collections::BTreeMap<u64, String>,
    hasher_vectors: Vec<HasherVector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HasherVector {
    desc: String,
    leaf_data: Option<String>,
    left: Option<String>,
    right: Option<String>,
    want: String,
}

fn handwritten() -> HandwrittenTree {
    let path = vectors_dir().join("tree-8-leaves.handwritten.json");
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

fn eight_leaf_tree() -> MemoryTree {
    let mut tree = MemoryTree::new();
    for input in handwritten().leaf_inputs {
        tree.push(&hex::decode(input).unwrap());
    }
    tree
}

#[test]
fn handwritten_tree_leaves_nodes_and_roots() {
    let vectors = handwritten();
    let tree = eight_leaf_tree();
    assert_eq!(tree.size(), 8);
    for (input, want) in vectors.leaf_inputs.iter().zip(&vectors.leaf_hashes) {
        assert_eq!(leaf_hash(&hex::decode(input).unwrap()), hex32(want), "leaf {input}");
    }
    for (level, nodes) in vectors.node_hashes_by_level.iter().enumerate() {
        for (index, want) in nodes.iter().enumerate() {
            let level = u8::try_from(level).unwrap();
            let index = index as u64;
            let got = didam_ledger::merkle::NodeReader::node(&tree, level, index).unwrap();
            assert_eq!(got, hex32(want), "node ({level}, {index})");
        }
    }
    assert_eq!(vectors.root_hashes_by_tree_size.len(), 9);
    for (&size, want) in &vectors.root_hashes_by_tree_size {
        assert_eq!(root(&tree, size).unwrap(), hex32(want), "root of size {size}");
    }
    assert_eq!(tree.root(), hex32(&vectors.root_hashes_by_tree_size[&8]));
}

#[test]
fn handwritten_hasher_vectors() {
    let vectors = handwritten().hasher_vectors;
    assert_eq!(vectors.len(), 4);
    for vector in vectors {
        let want = hex32(&vector.want);
        match (&vector.leaf_data, &vector.left, &vector.right) {
            (Some(data), None, None) => {
                assert_eq!(leaf_hash(&hex::decode(data).unwrap()), want, "{}", vector.desc)
            }
            (None, Some(left), Some(right)) => {
                let (left, right) = (hex::decode(left).unwrap(), hex::decode(right).unwrap());
                if let (Ok(l), Ok(r)) = (<[u8; 32]>::try_from(&left[..]), <[u8; 32]>::try_from(&right[..])) {
                    assert_eq!(node_hash(&Hash(l), &Hash(r)), want, "{}", vector.desc);
                } else {
                    // The upstream vector hashes 4-byte children ("N123", "N456"),
                    // which `node_hash` cannot take: check the RFC 9162 §2.1.1
                    // formula it implements, `SHA-256(0x01 || left || right)`.
                    let digest: [u8; 32] = Sha256::new()
                        .chain_update([0x01])
                        .chain_update(&left)
                        .chain_update(&right)
                        .finalize()
                        .into();
                    assert_eq!(Hash(digest), want, "{}", vector.desc);
                    let (a, b) = (leaf_hash(&left), leaf_hash(&right));
                    let formula: [u8; 32] = Sha256::new()
                        .chain_update([0x01])
                        .chain_update(a.0)
                        .chain_update(b.0)
                        .finalize()
                        .into();
                    assert_eq!(node_hash(&a, &b), Hash(formula));
                }
            }
            _ => {
                assert_eq!(vector.desc, "empty tree root");
                assert_eq!(empty_root(), want);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 2. transparency-dev/merkle probes.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionProbe {
    leaf_idx: u64,
    tree_size: u64,
    root: Option<String>,
    leaf_hash: Option<String>,
    proof: Option<Vec<String>>,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyProbe {
    size1: u64,
    size2: u64,
    root1: Option<String>,
    root2: Option<String>,
    proof: Option<Vec<String>>,
    want_err: bool,
}

/// Every `.json` file under `dir`, sorted, as paths relative to `base`.
fn json_files(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(base, &path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
    out.sort();
}

fn parse_hash(text: Option<&String>) -> Result<Hash, ProofError> {
    Hash::from_base64(text.map_or("", String::as_str))
}

fn parse_proof(proof: Option<&Vec<String>>) -> Result<Vec<Hash>, ProofError> {
    proof.map_or(&[][..], Vec::as_slice).iter().map(|h| Hash::from_base64(h)).collect()
}

/// Parses and verifies one probe; `Err` if either step rejects it.
fn run_probe(relative: &str, text: &str) -> (bool, Result<(), ProofError>) {
    if relative.starts_with("inclusion/") {
        let p: InclusionProbe = serde_json::from_str(text).unwrap();
        let outcome = (|| {
            let (leaf, root, proof) = (
                parse_hash(p.leaf_hash.as_ref())?,
                parse_hash(p.root.as_ref())?,
                parse_proof(p.proof.as_ref())?,
            );
            verify_inclusion(&leaf, p.leaf_idx, p.tree_size, &proof, &root)
        })();
        (p.want_err, outcome)
    } else {
        assert!(relative.starts_with("consistency/"), "unexpected probe {relative}");
        let p: ConsistencyProbe = serde_json::from_str(text).unwrap();
        let outcome = (|| {
            let (root1, root2, proof) = (
                parse_hash(p.root1.as_ref())?,
                parse_hash(p.root2.as_ref())?,
                parse_proof(p.proof.as_ref())?,
            );
            verify_consistency(p.size1, p.size2, &root1, &root2, &proof)
        })();
        (p.want_err, outcome)
    }
}

#[test]
fn transparency_dev_probes() {
    let base = testdata_dir();
    let mut files = Vec::new();
    json_files(&base, &base.join("inclusion"), &mut files);
    json_files(&base, &base.join("consistency"), &mut files);
    assert!(files.len() > 150, "only {} probe files under {}", files.len(), base.display());

    let (mut accepted, mut rejected_at_parse, mut rejected_by_proof, mut checked) = (0, 0, 0, 0);
    let mut deviations = Vec::new();
    for relative in &files {
        let (want_err, outcome) = run_probe(relative, &fs::read_to_string(base.join(relative)).unwrap());
        checked += 1;
        match (want_err, outcome) {
            (false, Ok(())) => accepted += 1,
            (true, Err(ProofError::InvalidHash { .. })) => rejected_at_parse += 1,
            (true, Err(_)) => rejected_by_proof += 1,
            (false, Err(err @ ProofError::InvalidHash { .. })) => {
                deviations.push(format!("{relative}: {err}"))
            }
            (false, Err(err)) => panic!("{relative}: upstream accepts it, we reject it: {err}"),
            (true, Ok(())) => panic!("{relative}: upstream rejects it, we accept it"),
        }
    }
    eprintln!(
        "{checked} probes: {accepted} accepted, {rejected_by_proof} rejected by verification, \
         {rejected_at_parse} rejected as malformed hashes, {} deviation(s)",
        deviations.len()
    );
    assert_eq!(checked, files.len());
    assert_eq!(deviations.len(), 1, "{deviations:#?}");
    assert!(deviations[0].starts_with(OPAQUE_ROOT_PROBE), "{deviations:#?}");
    assert_eq!(accepted, 11);
    assert!(rejected_by_proof > 100, "only {rejected_by_proof} probes reached verification and failed");
}

#[test]
fn deviation_equal_sizes_with_opaque_roots() {
    let text = fs::read_to_string(testdata_dir().join(OPAQUE_ROOT_PROBE)).unwrap();
    let probe: ConsistencyProbe = serde_json::from_str(&text).unwrap();
    assert!(!probe.want_err);
    assert!(matches!(parse_hash(probe.root1.as_ref()), Err(ProofError::InvalidHash { .. })));
    // What the probe stands for: equal sizes, equal roots, empty proof.
    let stand_in = leaf_hash(b"don't care 2");
    assert_eq!(verify_consistency(probe.size1, probe.size2, &stand_in, &stand_in, &[]), Ok(()));
}

// ---------------------------------------------------------------------------
// 3. Our proofs equal upstream's for the 8-leaf tree.

#[test]
fn computed_proofs_equal_happy_path_probes() {
    let base = testdata_dir();
    let tree = eight_leaf_tree();
    let mut compared = 0;
    for kind in ["inclusion", "consistency"] {
        let mut files = Vec::new();
        json_files(&base, &base.join(kind), &mut files);
        for relative in files.iter().filter(|f| f.ends_with("/happy-path.json")) {
            let text = fs::read_to_string(base.join(relative)).unwrap();
            if kind == "inclusion" {
                let p: InclusionProbe = serde_json::from_str(&text).unwrap();
                let want = parse_proof(p.proof.as_ref()).unwrap();
                assert_eq!(tree.inclusion_proof(p.leaf_idx, p.tree_size).unwrap(), want, "{relative}");
                assert_eq!(inclusion_proof(&tree, p.leaf_idx, p.tree_size).unwrap(), want, "{relative}");
                assert_eq!(root(&tree, p.tree_size).unwrap(), parse_hash(p.root.as_ref()).unwrap());
            } else {
                let p: ConsistencyProbe = serde_json::from_str(&text).unwrap();
                let want = parse_proof(p.proof.as_ref()).unwrap();
                assert_eq!(tree.consistency_proof(p.size1, p.size2).unwrap(), want, "{relative}");
                assert_eq!(consistency_proof(&tree, p.size1, p.size2).unwrap(), want, "{relative}");
                assert_eq!(root(&tree, p.size1).unwrap(), parse_hash(p.root1.as_ref()).unwrap());
                assert_eq!(root(&tree, p.size2).unwrap(), parse_hash(p.root2.as_ref()).unwrap());
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 10);
}

// ---------------------------------------------------------------------------
// 4. Properties against a brute-force Merkle Tree Hash.

/// MTH(D[n]) exactly as RFC 9162 §2.1.1 defines it, recursively over the data.
fn brute_force_mth(leaves: &[Vec<u8>]) -> Hash {
    match leaves {
        [] => Hash(Sha256::digest([]).into()),
        [leaf] => Hash(Sha256::new().chain_update([0x00]).chain_update(leaf).finalize().into()),
        _ => {
            // The largest power of two smaller than n.
            let k = 1 << (leaves.len() - 1).ilog2();
            let (left, right) = leaves.split_at(k);
            let (left, right) = (brute_force_mth(left), brute_force_mth(right));
            Hash(
                Sha256::new()
                    .chain_update([0x01])
                    .chain_update(left.0)
                    .chain_update(right.0)
                    .finalize()
                    .into(),
            )
        }
    }
}

fn flip(hash: &Hash, bit: u8) -> Hash {
    let mut bytes = hash.0;
    bytes[usize::from(bit / 8)] ^= 1 << (bit % 8);
    Hash(bytes)
}

#[derive(Debug, Clone)]
struct Case {
    leaves: Vec<Vec<u8>>,
    index: u64,
    size: u64,
    old: u64,
    new: u64,
    flip_at: prop::sample::Index,
    flip_bit: u8,
}

fn cases() -> impl Strategy<Value = Case> {
    (1u64..=200, any::<u64>())
        .prop_flat_map(|(n, seed)| (Just(n), Just(seed), 1..=n, 0..=n, 0..=n))
        .prop_flat_map(|(n, seed, size, a, b)| {
            (Just(n), Just(seed), Just(size), 0..size, Just(a.min(b)), Just(a.max(b)))
        })
        .prop_flat_map(|(n, seed, size, index, old, new)| {
            let leaves = (0..n).map(|i| [seed.to_le_bytes(), i.to_le_bytes()].concat()).collect();
            (Just((leaves, index, size, old, new)), any::<prop::sample::Index>(), any::<u8>())
        })
        .prop_map(|((leaves, index, size, old, new), flip_at, flip_bit)| Case {
            leaves,
            index,
            size,
            old,
            new,
            flip_at,
            flip_bit,
        })
}

fn prefix(leaves: &[Vec<u8>], size: u64) -> &[Vec<u8>] {
    &leaves[..usize::try_from(size).unwrap()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn roots_equal_the_brute_force_mth(case in cases()) {
        let mut tree = MemoryTree::new();
        for leaf in &case.leaves {
            tree.push(leaf);
        }
        prop_assert_eq!(tree.root(), brute_force_mth(&case.leaves));
        for size in [0, case.size, case.old, case.new] {
            prop_assert_eq!(root(&tree, size).unwrap(), brute_force_mth(prefix(&case.leaves, size)));
        }
    }

    #[test]
    fn inclusion_proofs_verify_and_flipped_bits_fail(case in cases()) {
        let mut tree = MemoryTree::new();
        for leaf in &case.leaves {
            tree.push(leaf);
        }
        let (index, size) = (case.index, case.size);
        let root = brute_force_mth(prefix(&case.leaves, size));
        let leaf = leaf_hash(&case.leaves[usize::try_from(index).unwrap()]);
        let proof = tree.inclusion_proof(index, size).unwrap();
        prop_assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));

        let flipped_leaf = flip(&leaf, case.flip_bit);
        prop_assert!(verify_inclusion(&flipped_leaf, index, size, &proof, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, case.flip_bit)).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let at = case.flip_at.index(bad.len());
            bad[at] = flip(&bad[at], case.flip_bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_flipped_bits_fail(case in cases()) {
        let mut tree = MemoryTree::new();
        for leaf in &case.leaves {
            tree.push(leaf);
        }
        let (old, new) = (case.old, case.new);
        let old_root = brute_force_mth(prefix(&case.leaves, old));
        let new_root = brute_force_mth(prefix(&case.leaves, new));
        let proof = tree.consistency_proof(old, new).unwrap();
        prop_assert_eq!(verify_consistency(old, new, &old_root, &new_root, &proof), Ok(()));

        if proof.is_empty() {
            // old == 0 (the old root must be the empty root) or old == new.
            prop_assert!(old == 0 || old == new);
            let bad_old = flip(&old_root, case.flip_bit);
            prop_assert!(verify_consistency(old, new, &bad_old, &new_root, &proof).is_err());
        } else {
            let mut bad = proof.clone();
            let at = case.flip_at.index(bad.len());
            bad[at] = flip(&bad[at], case.flip_bit);
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
            let bad_new = flip(&new_root, case.flip_bit);
            prop_assert!(verify_consistency(old, new, &old_root, &bad_new, &proof).is_err());
        }
    }
}
