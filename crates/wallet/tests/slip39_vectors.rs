//! SLIP-39 against the official test vectors, plus split/combine properties.
//!
//! The vectors are `vectors.json` from trezor/python-shamir-mnemonic (the file
//! the spec links), kept in `shared/vectors/slip39/` beside the repository;
//! `DIDAM_SHARED` points elsewhere.
#![allow(clippy::unwrap_used)]

use didam_wallet::slip39::{self, GroupSpec, Share, ShareParameter, Slip39Error};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256, Sha512};

fn shared_dir() -> String {
    std::env::var("DIDAM_SHARED")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_owned())
}

/// `[description, [mnemonics], master_secret_hex, xprv]`.
fn vectors() -> Vec<(String, Vec<String>, String, String)> {
    let path = format!("{}/vectors/slip39/vectors.json", shared_dir());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Whether an error is of the expected kind.
type ErrorCheck = fn(&Slip39Error) -> bool;

/// The error a failing vector must give, from its description.
fn expected_error(description: &str) -> ErrorCheck {
    let table: [(&str, ErrorCheck); 15] = [
        ("invalid checksum", |e| matches!(e, Slip39Error::InvalidChecksum)),
        ("invalid padding", |e| matches!(e, Slip39Error::InvalidPadding)),
        ("Basic sharing 2-of-3", |e| matches!(e, Slip39Error::NotEnoughMembers { .. })),
        ("different identifiers", |e| matches!(e, Slip39Error::MismatchedIdentifier)),
        ("different iteration exponents", |e| {
            matches!(e, Slip39Error::MismatchedParameter(ShareParameter::IterationExponent))
        }),
        ("mismatching group thresholds", |e| {
            matches!(e, Slip39Error::MismatchedParameter(ShareParameter::GroupThreshold))
        }),
        ("mismatching group counts", |e| {
            matches!(e, Slip39Error::MismatchedParameter(ShareParameter::GroupCount))
        }),
        ("greater group threshold than group counts", |e| {
            matches!(e, Slip39Error::GroupThresholdAboveCount { .. })
        }),
        ("duplicate member indices", |e| matches!(e, Slip39Error::DuplicateMemberIndex { .. })),
        ("mismatching member thresholds", |e| matches!(e, Slip39Error::MismatchedMemberThreshold { .. })),
        ("invalid digest", |e| matches!(e, Slip39Error::DigestMismatch)),
        ("Insufficient number of groups", |e| matches!(e, Slip39Error::NotEnoughGroups { .. })),
        ("insufficient number of members", |e| matches!(e, Slip39Error::NotEnoughMembers { .. })),
        ("insufficient length", |e| matches!(e, Slip39Error::InvalidLength { .. })),
        ("invalid master secret length", |e| matches!(e, Slip39Error::InvalidLength { .. })),
    ];
    table
        .into_iter()
        .find(|(needle, _)| description.contains(needle))
        .map(|(_, check)| check)
        .unwrap_or_else(|| panic!("no expected error for failing vector {description:?}"))
}

/// Decodes base58check (Bitcoin alphabet) and checks the double-SHA-256 checksum.
fn base58check_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = Vec::new(); // little-endian while decoding
    for c in text.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        for b in bytes.iter_mut() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = text.bytes().take_while(|&c| c == b'1').count();
    bytes.extend(std::iter::repeat_n(0, zeros));
    bytes.reverse();
    let (payload, checksum) = bytes.split_at(bytes.len() - 4);
    assert_eq!(&Sha256::digest(Sha256::digest(payload))[..4], checksum, "base58check checksum");
    payload.to_vec()
}

/// BIP-32 master key from a seed: (private key, chain code).
fn bip32_master(seed: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut mac = Hmac::<Sha512>::new_from_slice(b"Bitcoin seed").unwrap();
    mac.update(seed);
    let out = mac.finalize().into_bytes();
    (out[..32].to_vec(), out[32..].to_vec())
}

/// (private key, chain code) of a serialized BIP-32 master xprv.
fn xprv_key_and_chain_code(xprv: &str) -> (Vec<u8>, Vec<u8>) {
    let data = base58check_decode(xprv);
    assert_eq!(data.len(), 78);
    assert_eq!(data[..4], [0x04, 0x88, 0xad, 0xe4], "xprv version");
    assert_eq!(data[4..13], [0; 9], "master key: depth, parent and child number are zero");
    assert_eq!(data[45], 0, "private key marker");
    (data[46..78].to_vec(), data[13..45].to_vec())
}

#[test]
fn all_official_vectors() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 45);
    for (description, mnemonics, secret_hex, xprv) in vectors {
        let result = slip39::combine(&mnemonics, b"TREZOR");
        if secret_hex.is_empty() {
            let err = result.err().unwrap_or_else(|| panic!("{description}: combine succeeded"));
            assert!(expected_error(&description)(&err), "{description}: wrong error {err:?}");
            continue;
        }
        let secret = result.unwrap_or_else(|e| panic!("{description}: {e}"));
        assert_eq!(hex::encode(&*secret), secret_hex, "{description}");
        let (key, chain_code) = bip32_master(&secret);
        assert_eq!((key, chain_code), xprv_key_and_chain_code(&xprv), "{description}: BIP-32 master key");
    }
}

#[test]
fn every_vector_mnemonic_of_valid_sets_parses() {
    for (description, mnemonics, secret_hex, _) in vectors() {
        if secret_hex.is_empty() {
            continue;
        }
        let shares: Vec<Share> = mnemonics.iter().map(|m| Share::parse(m).unwrap()).collect();
        let first = &shares[0];
        assert!(shares.iter().all(|s| s.identifier() == first.identifier()), "{description}");
        assert_eq!(first.extendable(), description.contains("xtendable"), "{description}");
    }
}

fn first_vector_mnemonic() -> String {
    vectors()[0].1[0].clone()
}

fn replace_word(mnemonic: &str, position: usize, word: &str) -> String {
    let mut words: Vec<&str> = mnemonic.split(' ').collect();
    words[position] = word;
    words.join(" ")
}

#[test]
fn parse_rejects_a_changed_word_by_checksum() {
    let mnemonic = first_vector_mnemonic();
    Share::parse(&mnemonic).unwrap();
    let current = mnemonic.split(' ').nth(6).unwrap();
    let other = if current == "academic" { "acid" } else { "academic" };
    let changed = replace_word(&mnemonic, 6, other);
    assert!(matches!(Share::parse(&changed), Err(Slip39Error::InvalidChecksum)));
    // Swapping two different words is caught too.
    let words: Vec<&str> = mnemonic.split(' ').collect();
    let swapped = replace_word(&replace_word(&mnemonic, 4, words[5]), 5, words[4]);
    assert_ne!(swapped, mnemonic);
    assert!(matches!(Share::parse(&swapped), Err(Slip39Error::InvalidChecksum)));
}

#[test]
fn parse_rejects_an_unknown_word_with_its_position_and_without_the_word() {
    let changed = replace_word(&first_vector_mnemonic(), 2, "zebrafish");
    let err = Share::parse(&changed).unwrap_err();
    assert!(matches!(err, Slip39Error::UnknownWord { word_number: 3 }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("word 3"), "{message}");
    assert!(!message.contains("zebrafish"), "{message}");
}

#[test]
fn parse_accepts_case_and_extra_whitespace() {
    let mnemonic = first_vector_mnemonic();
    let messy = format!("  {}\n", mnemonic.to_uppercase().replace(' ', " \t "));
    let a = Share::parse(&mnemonic).unwrap();
    let b: Share = messy.parse().unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn parse_rejects_empty_and_short_input() {
    assert!(matches!(Share::parse(""), Err(Slip39Error::InvalidLength { words: 0 })));
    let mnemonic = first_vector_mnemonic();
    let short: Vec<&str> = mnemonic.split(' ').take(19).collect();
    assert!(matches!(Share::parse(&short.join(" ")), Err(Slip39Error::InvalidLength { words: 19 })));
    assert!(matches!(slip39::combine::<&str>(&[], b""), Err(Slip39Error::NoShares)));
}

#[test]
fn debug_of_a_share_hides_the_value() {
    let share = Share::parse(&first_vector_mnemonic()).unwrap();
    let debug = format!("{share:?}");
    assert!(debug.contains("identifier"), "{debug}");
    assert!(!debug.contains("value"), "{debug}");
}

#[test]
fn split_refuses_invalid_parameters() {
    use slip39::InvalidSplit;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let secret = [1u8; 16];
    let one = |threshold, count| [GroupSpec { threshold, count }];
    // (secret, group threshold, groups, iteration exponent, expected error)
    type Case<'a> = (&'a [u8], u8, &'a [GroupSpec], u8, InvalidSplit);
    let cases: [Case<'_>; 7] = [
        (&[1u8; 15], 1, &one(2, 3), 0, InvalidSplit::SecretLength { len: 15 }),
        (&[1u8; 34], 1, &one(2, 3), 0, InvalidSplit::SecretLength { len: 34 }),
        (&secret, 1, &one(2, 3), 16, InvalidSplit::IterationExponent { exponent: 16 }),
        (&secret, 1, &[], 0, InvalidSplit::GroupCount { count: 0 }),
        (&secret, 2, &one(2, 3), 0, InvalidSplit::GroupThreshold { threshold: 2, count: 1 }),
        (&secret, 1, &one(4, 3), 0, InvalidSplit::MemberThreshold { group: 0, threshold: 4, count: 3 }),
        (&secret, 1, &one(1, 2), 0, InvalidSplit::ThresholdOneWithManyMembers { group: 0, count: 2 }),
    ];
    for (secret, group_threshold, groups, exponent, expected) in cases {
        let err = slip39::split(secret, b"", group_threshold, groups, exponent, &mut rng).unwrap_err();
        assert!(matches!(err, Slip39Error::InvalidSplit(e) if e == expected), "{err:?}");
    }
    let err = slip39::split(&secret, "pässword".as_bytes(), 1, &one(2, 3), 0, &mut rng).unwrap_err();
    assert!(matches!(err, Slip39Error::InvalidPassphrase), "{err:?}");
}

#[test]
fn combine_refuses_more_shares_than_the_threshold() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let shares =
        slip39::split(&[3u8; 16], b"", 1, &[GroupSpec { threshold: 2, count: 3 }], 0, &mut rng).unwrap();
    assert!(matches!(
        slip39::combine(&shares[0], b""),
        Err(Slip39Error::TooManyMembers { group_index: 0, required: 2, provided: 3 })
    ));
}

/// A secret of 16..=32 bytes, even length.
fn secret_strategy() -> impl Strategy<Value = Vec<u8>> {
    (8usize..=16).prop_flat_map(|half| proptest::collection::vec(any::<u8>(), 2 * half))
}

/// One group: a 1-of-1 group or T-of-N with 2 <= T <= N <= 5.
fn group_strategy() -> impl Strategy<Value = GroupSpec> {
    prop_oneof![
        Just(GroupSpec { threshold: 1, count: 1 }),
        (2u8..=5)
            .prop_flat_map(|count| (2..=count, Just(count)))
            .prop_map(|(threshold, count)| GroupSpec { threshold, count }),
    ]
}

/// Group specs and a group threshold within them.
fn groups_strategy() -> impl Strategy<Value = (u8, Vec<GroupSpec>)> {
    proptest::collection::vec(group_strategy(), 1..=4)
        .prop_flat_map(|groups| (1..=groups.len() as u8, Just(groups)))
}

/// `k` distinct indices below `n`, in random order.
fn pick(rng: &mut ChaCha20Rng, n: usize, k: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        all.swap(i, rng.next_u32() as usize % (i + 1));
    }
    all.truncate(k);
    all
}

proptest! {
    // Few cases: each runs PBKDF2 twice. No regression files are written.
    #![proptest_config(ProptestConfig {
        cases: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn split_then_combine_round_trips(
        secret in secret_strategy(),
        (group_threshold, groups) in groups_strategy(),
        passphrase in "[ -~]{0,12}",
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let shares = slip39::split(&secret, passphrase.as_bytes(), group_threshold, &groups, 0, &mut rng)
            .unwrap();
        prop_assert_eq!(shares.len(), groups.len());

        let mut identifier = None;
        for (g, (group, spec)) in shares.iter().zip(&groups).enumerate() {
            prop_assert_eq!(group.len(), usize::from(spec.count));
            for (m, mnemonic) in group.iter().enumerate() {
                let share = Share::parse(mnemonic).unwrap();
                prop_assert_eq!(*identifier.get_or_insert(share.identifier()), share.identifier());
                prop_assert!(share.extendable());
                prop_assert_eq!(share.iteration_exponent(), 0);
                prop_assert_eq!(usize::from(share.group_index()), g);
                prop_assert_eq!(share.group_threshold(), group_threshold);
                prop_assert_eq!(usize::from(share.group_count()), groups.len());
                prop_assert_eq!(usize::from(share.member_index()), m);
                prop_assert_eq!(share.member_threshold(), spec.threshold);
            }
        }

        // A random sufficient subset: threshold groups, threshold members each.
        let mut chosen: Vec<&str> = Vec::new();
        for g in pick(&mut rng, groups.len(), usize::from(group_threshold)) {
            for m in pick(&mut rng, shares[g].len(), usize::from(groups[g].threshold)) {
                chosen.push(&shares[g][m]);
            }
        }
        let order = pick(&mut rng, chosen.len(), chosen.len());
        let chosen: Vec<&str> = order.iter().map(|&i| chosen[i]).collect();
        let recovered = slip39::combine(&chosen, passphrase.as_bytes()).unwrap();
        prop_assert_eq!(recovered.as_slice(), secret.as_slice());

        // One share fewer is not enough (none at all when a single share sufficed).
        let fewer = &chosen[..chosen.len() - 1];
        let err = slip39::combine(fewer, passphrase.as_bytes()).unwrap_err();
        prop_assert!(
            matches!(
                err,
                Slip39Error::NotEnoughMembers { .. }
                    | Slip39Error::NotEnoughGroups { .. }
                    | Slip39Error::NoShares
            ),
            "{:?}", err
        );
    }
}
