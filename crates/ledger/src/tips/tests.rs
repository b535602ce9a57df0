use super::*;

fn record(n: u64, version: u64) -> TipRecord {
    TipRecord {
        did: format!("did:didam:test{n}"),
        leaf_index: n * 10 + version,
        entry_hash: format!("h{n}v{version}"),
    }
}

fn tree_of(records: &[TipRecord]) -> MemoryTips {
    let mut tree = MemoryTips::new();
    tree.set(records);
    tree
}

fn siblings_of(tree: &MemoryTips, did: &str) -> Vec<Hash> {
    match tree.lookup(did) {
        Lookup::Found { siblings, .. } | Lookup::Absent { siblings, .. } => siblings,
    }
}

#[test]
fn empty_and_single_trees() -> Result<(), Box<dyn std::error::Error>> {
    assert_eq!(MemoryTips::new().root(), EMPTY);
    let one = record(1, 0);
    let tree = tree_of(std::slice::from_ref(&one));
    assert_eq!(tree.root(), leaf_hash(&key(&one.did), &value_hash(&one)));
    assert_eq!(tree.count(), 1);
    assert_eq!(siblings_of(&tree, &one.did), Vec::<Hash>::new());
    verify(&tree.root(), &one, &[])?;
    Ok(())
}

#[test]
fn the_root_depends_on_the_records_not_their_order_or_batches() {
    let records: Vec<TipRecord> = (0..500).map(|n| record(n, 0)).collect();
    let whole = tree_of(&records);
    let mut reversed = records.clone();
    reversed.reverse();
    assert_eq!(tree_of(&reversed).root(), whole.root());
    let mut batched = MemoryTips::new();
    for chunk in records.chunks(37) {
        batched.set(chunk);
    }
    assert_eq!(batched.root(), whole.root());
    assert_eq!(batched.count(), 500);
}

#[test]
fn every_record_proves_and_others_prove_absent() -> Result<(), Box<dyn std::error::Error>> {
    let records: Vec<TipRecord> = (0..300).map(|n| record(n, 0)).collect();
    let tree = tree_of(&records);
    for r in &records {
        let Lookup::Found { value, siblings } = tree.lookup(&r.did) else {
            panic!("{} is in the tree", r.did)
        };
        assert_eq!(value, value_hash(r));
        verify(&tree.root(), r, &siblings)?;
    }
    for n in 300..400 {
        let did = record(n, 0).did;
        let Lookup::Absent { leaf, siblings } = tree.lookup(&did) else { panic!("{did} is not in the tree") };
        verify_absent(&tree.root(), &did, leaf, &siblings)?;
    }
    Ok(())
}

#[test]
fn a_replaced_record_keeps_the_count_and_the_older_root_keeps_its_proofs()
-> Result<(), Box<dyn std::error::Error>> {
    let records: Vec<TipRecord> = (0..200).map(|n| record(n, 0)).collect();
    let mut tree = tree_of(&records);
    let old_root = tree.root();
    let old_siblings = siblings_of(&tree, &records[7].did);
    let newer = record(7, 1);
    tree.set(std::slice::from_ref(&newer));
    assert_eq!(tree.count(), 200);
    verify(&tree.root(), &newer, &siblings_of(&tree, &newer.did))?;
    // The older checkpoint's proof still verifies against its own root.
    verify(&old_root, &records[7], &old_siblings)?;
    // A stale tip presented against the newer root does not.
    assert_eq!(
        verify(&tree.root(), &records[7], &siblings_of(&tree, &newer.did)),
        Err(TipsProofError::RootMismatch)
    );
    assert_eq!(verify(&tree.root(), &records[7], &old_siblings), Err(TipsProofError::RootMismatch));
    Ok(())
}

/// A key replaced in the same update that adds keys beside it (its leaf moves
/// down) is counted once: the count is the number of distinct keys, and the
/// root is the one a fresh tree of the same records has.
#[test]
fn replacing_and_adding_at_once_counts_each_key_once() {
    for t in 0..200 {
        let (a, other, new) = (record(3 * t, 0), record(3 * t + 1, 0), record(3 * t + 2, 0));
        let mut tree = tree_of(&[a.clone(), other.clone()]);
        let replaced = record(3 * t, 1);
        tree.set(&[replaced.clone(), new.clone()]);
        assert_eq!(tree.count(), 3, "trial {t}");
        assert_eq!(tree.root(), tree_of(&[replaced, other, new]).root(), "trial {t}");
    }
}

#[test]
fn hostile_proofs_fail() {
    let records: Vec<TipRecord> = (0..1000).map(|n| record(n, 0)).collect();
    let tree = tree_of(&records);
    let target = &records[42];
    let siblings = siblings_of(&tree, &target.did);
    assert!(siblings.len() > 2, "1,000 keys make paths deeper than two");
    // A proof for another DID.
    let other = siblings_of(&tree, &records[43].did);
    assert_eq!(verify(&tree.root(), target, &other), Err(TipsProofError::RootMismatch));
    // Another DID's record under this DID's proof.
    assert_eq!(verify(&tree.root(), &records[43], &siblings), Err(TipsProofError::RootMismatch));
    // A wrong root.
    let wrong = tree_of(&records[..999]).root();
    assert_eq!(verify(&wrong, target, &siblings), Err(TipsProofError::RootMismatch));
    // A truncated path, from either end.
    assert_eq!(verify(&tree.root(), target, &siblings[1..]), Err(TipsProofError::RootMismatch));
    assert_eq!(
        verify(&tree.root(), target, &siblings[..siblings.len() - 1]),
        Err(TipsProofError::RootMismatch)
    );
    // A padded path, and one longer than any key.
    let mut padded = siblings.clone();
    padded.push(EMPTY);
    assert_eq!(verify(&tree.root(), target, &padded), Err(TipsProofError::RootMismatch));
    assert_eq!(verify(&tree.root(), target, &vec![EMPTY; 257]), Err(TipsProofError::TooLong(257)));
    // A record with a changed leaf index or entry hash.
    let moved = TipRecord { leaf_index: target.leaf_index + 1, ..target.clone() };
    assert_eq!(verify(&tree.root(), &moved, &siblings), Err(TipsProofError::RootMismatch));
    // An absence proof for a DID that is there.
    let found_leaf = Some((key(&target.did), value_hash(target)));
    assert_eq!(
        verify_absent(&tree.root(), &target.did, found_leaf, &siblings),
        Err(TipsProofError::NotAbsent)
    );
    assert_eq!(verify_absent(&tree.root(), &target.did, None, &siblings), Err(TipsProofError::RootMismatch));
}

#[test]
fn an_update_visits_only_the_changed_paths() -> Result<(), Box<dyn std::error::Error>> {
    let records: Vec<TipRecord> = (0..20_000).map(|n| record(n, 0)).collect();
    let tree = tree_of(&records);
    let changed: Vec<Change> =
        (0..10).map(|n| record(n * 1000, 1)).map(|r| (key(&r.did), value_hash(&r))).collect();
    let update = update(&tree.nodes, tree.root(), changed)?;
    assert_eq!(update.added, 0);
    // Ten paths of about log2(20,000) ≈ 14 nodes each, far from 40,000 nodes.
    assert!(update.nodes.len() <= 10 * 40, "{} nodes written", update.nodes.len());
    Ok(())
}

/// A source holding only the nodes fetched so far, as the etcd backend reads
/// them: the update names what it lacks, level by level, until it finishes.
#[test]
fn missing_nodes_are_named_and_fetched_in_rounds() -> Result<(), Box<dyn std::error::Error>> {
    let records: Vec<TipRecord> = (0..2000).map(|n| record(n, 0)).collect();
    let full = tree_of(&records);
    let changed: Vec<Change> =
        (0..50).map(|n| record(n * 40, 1)).map(|r| (key(&r.did), value_hash(&r))).collect();
    let expected = update(&full.nodes, full.root(), changed.clone())?;
    let mut fetched = MemoryNodes::default();
    let mut rounds = 0;
    let got = loop {
        rounds += 1;
        match update(&fetched, full.root(), changed.clone()) {
            Ok(update) => break update,
            Err(TipsError::Missing(hashes)) => {
                assert!(!hashes.is_empty());
                fetched.extend(hashes.iter().map(|h| full.nodes.0[h]));
            }
            Err(e) => return Err(e.to_string().into()),
        }
    };
    assert_eq!(got, expected);
    assert!(rounds <= 40, "{rounds} rounds");
    Ok(())
}

#[test]
fn nodes_encode_and_decode() {
    let leaf = Node::Leaf { key: key("did:x"), value: Hash([7; 32]) };
    let branch = Node::Branch { left: Hash([1; 32]), right: EMPTY };
    for node in [leaf, branch] {
        assert_eq!(Node::decode(&node.encode()), Some(node));
    }
    let mut bad = leaf.encode();
    bad[0] = 2;
    assert_eq!(Node::decode(&bad), None);
    assert_eq!(Node::decode(&leaf.encode()[..64]), None);
}
