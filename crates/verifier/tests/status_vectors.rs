//! The W3C Bitstring Status List examples decode as the spec says, and
//! properties of the encoding and of index allocation.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::HashSet;

use didam_credential::status_list::{IndexAllocator, StatusList};
use proptest::prelude::*;
use serde_json::Value;

fn example(name: &str) -> Value {
    let path = common::shared().join("w3c-vectors/vc-bitstring-status-list/examples-from-spec").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Example 2 ("Example BitstringStatusListCredential") and example 4 ("A
/// Status List Verifiable Credential"): 131,072 entries (the minimum, 16 KiB),
/// none set; the revocable credential of example 3 (index 94567 of that
/// list) is therefore not revoked.
#[test]
fn spec_examples_2_and_4_decode_to_an_empty_list_of_131072_entries() {
    for name in [
        "example-02-example-bitstringstatuslistcredential.json",
        "example-04-a-status-list-verifiable-credential.json",
    ] {
        let list = example(name);
        assert_eq!(list["credentialSubject"]["statusPurpose"], "revocation");
        let decoded = StatusList::decode(list["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
        assert_eq!(decoded.len(), StatusList::MIN_ENTRIES, "{name}");
        assert_eq!(decoded.set_indexes().count(), 0, "{name}");
    }
    let credential = example("example-03-a-revocable-verifiable-credential.json");
    let status = &credential["credentialStatus"];
    assert_eq!(
        status["statusListCredential"],
        example("example-04-a-status-list-verifiable-credential.json")["id"]
    );
    let index: usize = status["statusListIndex"].as_str().unwrap().parse().unwrap();
    let list = example("example-04-a-status-list-verifiable-credential.json");
    let decoded = StatusList::decode(list["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(index, 94567);
    assert!(!decoded.get(index).unwrap());
}

/// Example 1 ("Example StatusListCredential using simple entries"): one
/// revocation and one suspension entry, indexes as strings, in the list.
#[test]
fn spec_example_1_entries_fall_inside_a_minimum_list() {
    let credential = example("example-01-example-statuslistcredential-using-simple-entries.json");
    let entries = credential["credentialStatus"].as_array().unwrap();
    let purposes: Vec<&str> = entries.iter().map(|e| e["statusPurpose"].as_str().unwrap()).collect();
    assert_eq!(purposes, ["revocation", "suspension"]);
    let list = StatusList::new(StatusList::MIN_ENTRIES).unwrap();
    for e in entries {
        assert_eq!(e["type"], "BitstringStatusListEntry");
        let index: usize = e["statusListIndex"].as_str().unwrap().parse().unwrap();
        assert_eq!(list.get(index), Ok(false));
    }
}

/// Our encoding of an empty minimum list decodes like the spec's, and setting
/// the example's index 94567 sets exactly bit 7 (from the left) of byte 11820.
#[test]
fn setting_index_94567_sets_the_spec_bit() {
    let mut list = StatusList::new(StatusList::MIN_ENTRIES).unwrap();
    let spec = example("example-02-example-bitstringstatuslistcredential.json");
    let spec = StatusList::decode(spec["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(StatusList::decode(&list.encode()).unwrap(), spec);
    list.set(94567, true).unwrap();
    assert_eq!(94567 / 8, 11820);
    assert_eq!(94567 % 8, 7);
    let decoded = StatusList::decode(&list.encode()).unwrap();
    assert_eq!(decoded.set_indexes().collect::<Vec<_>>(), [94567]);
}

/// The status list test suite's credential has no status: nothing to check.
#[test]
fn the_test_suite_credential_has_no_status_entry() {
    let path = common::shared().join("w3c-vectors/vc-bitstring-status-list-test-suite/tests/validVc.json");
    let vc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(vc.get("credentialStatus").is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn encode_then_decode_round_trips(extra in 0usize..4, set in proptest::collection::vec(any::<u32>(), 0..64)) {
        let entries = StatusList::MIN_ENTRIES + extra * 8 * 1024;
        let mut list = StatusList::new(entries).unwrap();
        let mut expected: Vec<usize> = set.iter().map(|i| *i as usize % entries).collect();
        for i in &expected {
            list.set(*i, true).unwrap();
        }
        expected.sort_unstable();
        expected.dedup();
        let decoded = StatusList::decode(&list.encode()).unwrap();
        prop_assert_eq!(&decoded, &list);
        prop_assert_eq!(decoded.set_indexes().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn allocation_never_repeats_and_fills_the_list(entries in 1usize..300) {
        let mut allocator = IndexAllocator::new(entries);
        let mut seen = HashSet::new();
        for _ in 0..entries {
            let i = allocator.allocate().unwrap();
            prop_assert!(i < entries);
            prop_assert!(seen.insert(i), "index {} given twice", i);
        }
        prop_assert!(allocator.allocate().is_err());
    }

    #[test]
    fn allocation_from_a_full_size_list_never_repeats(n in 1usize..2000) {
        let mut allocator = IndexAllocator::new(StatusList::MIN_ENTRIES);
        let mut seen = HashSet::new();
        for _ in 0..n {
            prop_assert!(seen.insert(allocator.allocate().unwrap()));
        }
    }
}
