//! SLIP-39: Shamir's secret sharing for mnemonic codes.
//!
//! See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md>
//!
//! [`split`] turns a master secret into mnemonic shares:
//!
//! 1. check the parameters and pick a random 15-bit identifier;
//! 2. encrypt the master secret with the passphrase: a four-round Feistel
//!    network with PBKDF2-HMAC-SHA256 as round function;
//! 3. split the encrypted master secret into group shares (group threshold of
//!    the group count), then split each group share into member shares;
//! 4. encode each member share as words: header, padded share value and an
//!    RS1024 checksum.
//!
//! [`combine`] runs the steps backwards: [`Share::parse`] checks the words,
//! checksum and padding of each mnemonic, then the shares are checked against
//! each other, interpolated (members, then groups, each checked with its
//! digest) and decrypted with the passphrase.
//!
//! New shares are *extendable* (the `ext` flag is set): the identifier is not
//! used as salt, so further share sets of the same encrypted master secret
//! give the same master secret for every passphrase. [`combine`] reads both
//! kinds.
//!
//! ```
//! use didam_wallet::slip39::{self, GroupSpec};
//!
//! let secret = b"sixteen byte key";
//! let groups = [GroupSpec { threshold: 2, count: 3 }];
//! let shares = slip39::split(secret, b"", 1, &groups, 0, &mut rand_core::OsRng)?;
//! // Any two of the three shares of the only group recover the secret.
//! let recovered = slip39::combine(&[&shares[0][2], &shares[0][0]], b"")?;
//! assert_eq!(recovered.as_slice(), secret);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The SLIP-39 wordlist, 1024 words in alphabetical order.
///
/// A byte-identical copy of `slip-0039/wordlist.txt` from
/// <https://github.com/satoshilabs/slips>.
static WORDLIST: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| include_str!("slip39-wordlist.txt").lines().collect());

/// Bits per mnemonic word.
const RADIX_BITS: usize = 10;
/// Words holding identifier, extendable flag and iteration exponent (20 bits)
/// plus group index, group threshold, group count, member index and member
/// threshold (20 bits).
const HEADER_WORDS: usize = 4;
/// Words of the RS1024 checksum.
const CHECKSUM_WORDS: usize = 3;
/// The shortest share value the spec allows, in bytes.
const MIN_SECRET_BYTES: usize = 16;
/// The longest master secret [`split`] accepts, in bytes.
const MAX_SECRET_BYTES: usize = 32;
/// Words of the shortest valid mnemonic (20).
const MIN_MNEMONIC_WORDS: usize = HEADER_WORDS + (MIN_SECRET_BYTES * 8).div_ceil(RADIX_BITS) + CHECKSUM_WORDS;
/// Most groups, and most members in a group (4-bit fields).
const MAX_SHARE_COUNT: u8 = 16;
/// Largest iteration exponent (4-bit field).
const MAX_ITERATION_EXPONENT: u8 = 15;
/// PBKDF2 iterations of one Feistel round at iteration exponent 0.
const BASE_ROUND_ITERATIONS: u32 = 2500;
/// Share index of the digest.
const DIGEST_INDEX: u8 = 254;
/// Share index of the shared secret.
const SECRET_INDEX: u8 = 255;
/// Bytes of the digest in the digest share.
const DIGEST_BYTES: usize = 4;
/// RS1024 customization string of shares without the extendable flag.
const CUSTOMIZATION_ORIGINAL: &[u8] = b"shamir";
/// RS1024 customization string of extendable shares.
const CUSTOMIZATION_EXTENDABLE: &[u8] = b"shamir_extendable";

/// Size of one group in [`split`]: `threshold` of its `count` member shares
/// recover the group share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupSpec {
    /// Member shares needed to recover the group share (1..=`count`).
    pub threshold: u8,
    /// Member shares made for this group (1..=16; exactly 1 when `threshold` is 1).
    pub count: u8,
}

/// A header field that all shares of one set must agree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShareParameter {
    /// The extendable backup flag.
    Extendable,
    /// The iteration exponent.
    IterationExponent,
    /// The group threshold.
    GroupThreshold,
    /// The group count.
    GroupCount,
    /// The length of the share value.
    ValueLength,
}

impl fmt::Display for ShareParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Extendable => "extendable flag",
            Self::IterationExponent => "iteration exponent",
            Self::GroupThreshold => "group threshold",
            Self::GroupCount => "group count",
            Self::ValueLength => "share length",
        })
    }
}

/// Parameters [`split`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSplit {
    /// The master secret is not 16..=32 bytes of even length.
    #[error("master secret is {len} bytes; it must be 16 to 32 bytes and of even length")]
    SecretLength {
        /// Length of the given secret in bytes.
        len: usize,
    },
    /// The iteration exponent does not fit in 4 bits.
    #[error("iteration exponent {exponent} is above 15")]
    IterationExponent {
        /// The given exponent.
        exponent: u8,
    },
    /// There must be 1..=16 groups.
    #[error("{count} groups given; there must be 1 to 16")]
    GroupCount {
        /// Number of groups given.
        count: usize,
    },
    /// The group threshold must be 1..=group count.
    #[error("group threshold {threshold} is not between 1 and the group count {count}")]
    GroupThreshold {
        /// The given group threshold.
        threshold: u8,
        /// Number of groups given.
        count: usize,
    },
    /// A group's member count must be 1..=16 and its threshold 1..=count.
    #[error("group {group} asks for {threshold} of {count} members; need 1 <= threshold <= count <= 16")]
    MemberThreshold {
        /// Zero-based position of the group in the list.
        group: usize,
        /// The group's member threshold.
        threshold: u8,
        /// The group's member count.
        count: u8,
    },
    /// A group with threshold 1 must have exactly one member share: more
    /// would be identical copies.
    #[error("group {group} has threshold 1 and {count} members; a 1-of-N group must have N = 1")]
    ThresholdOneWithManyMembers {
        /// Zero-based position of the group in the list.
        group: usize,
        /// The group's member count.
        count: u8,
    },
}

/// Why a mnemonic or a set of mnemonics was refused.
///
/// No variant carries secret material: words and share values never appear.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Slip39Error {
    /// A word is not in the SLIP-39 wordlist.
    #[error("word {word_number} of the mnemonic is not in the SLIP-39 wordlist")]
    UnknownWord {
        /// One-based position of the word in the mnemonic.
        word_number: usize,
    },
    /// The number of words cannot hold a share of 128 bits or more.
    #[error("a mnemonic of {words} words is not a valid SLIP-39 share length")]
    InvalidLength {
        /// Number of words in the mnemonic.
        words: usize,
    },
    /// The RS1024 checksum does not match: a word is wrong or misplaced.
    #[error("invalid mnemonic checksum: a word is mistyped or out of order")]
    InvalidChecksum,
    /// The padding bits of the share value are not zero.
    #[error("invalid padding in the share value")]
    InvalidPadding,
    /// The passphrase has characters outside printable ASCII (32..=126).
    #[error("the passphrase must contain only printable ASCII characters")]
    InvalidPassphrase,
    /// No mnemonics were given.
    #[error("no mnemonics given")]
    NoShares,
    /// The mnemonics come from different share sets.
    #[error("the mnemonics belong to different share sets (identifiers differ)")]
    MismatchedIdentifier,
    /// The mnemonics disagree on a parameter all shares of a set share.
    #[error("the mnemonics disagree on the {0}")]
    MismatchedParameter(ShareParameter),
    /// The shares' group threshold is above their group count.
    #[error("group threshold {threshold} is above the group count {count}")]
    GroupThresholdAboveCount {
        /// Group threshold in the shares.
        threshold: u8,
        /// Group count in the shares.
        count: u8,
    },
    /// Fewer groups than the group threshold.
    #[error("shares of {provided} groups given, {required} are needed")]
    NotEnoughGroups {
        /// The group threshold.
        required: u8,
        /// Number of distinct groups given.
        provided: usize,
    },
    /// More groups than the group threshold (the spec requires exactly that many).
    #[error("shares of {provided} groups given; give exactly {required}")]
    TooManyGroups {
        /// The group threshold.
        required: u8,
        /// Number of distinct groups given.
        provided: usize,
    },
    /// Shares of one group disagree on the member threshold.
    #[error("the shares of group {group_index} disagree on the member threshold")]
    MismatchedMemberThreshold {
        /// Zero-based group index.
        group_index: u8,
    },
    /// Two shares of one group have the same member index.
    #[error("two shares of group {group_index} have the same member index {member_index}")]
    DuplicateMemberIndex {
        /// Zero-based group index.
        group_index: u8,
        /// Zero-based member index.
        member_index: u8,
    },
    /// Fewer member shares than the member threshold in a group.
    #[error("{provided} shares of group {group_index} given, {required} are needed")]
    NotEnoughMembers {
        /// Zero-based group index.
        group_index: u8,
        /// The group's member threshold.
        required: u8,
        /// Number of its shares given.
        provided: usize,
    },
    /// More member shares than the member threshold in a group (the spec
    /// requires exactly that many).
    #[error("{provided} shares of group {group_index} given; give exactly {required}")]
    TooManyMembers {
        /// Zero-based group index.
        group_index: u8,
        /// The group's member threshold.
        required: u8,
        /// Number of its shares given.
        provided: usize,
    },
    /// The recovered secret does not match its digest: a share is corrupt or forged.
    #[error("the shares do not fit together (digest mismatch); one of them is corrupt or forged")]
    DigestMismatch,
    /// [`split`] was called with parameters the spec does not allow.
    #[error(transparent)]
    InvalidSplit(#[from] InvalidSplit),
}

/// One parsed share: words, checksum and padding checked, nothing recovered.
///
/// Indices are zero-based as stored in the mnemonic; thresholds and counts are
/// the actual numbers (the mnemonic stores them minus one).
#[derive(Clone)]
pub struct Share {
    identifier: u16,
    extendable: bool,
    iteration_exponent: u8,
    group_index: u8,
    group_threshold: u8,
    group_count: u8,
    member_index: u8,
    member_threshold: u8,
    value: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("identifier", &self.identifier)
            .field("extendable", &self.extendable)
            .field("iteration_exponent", &self.iteration_exponent)
            .field("group_index", &self.group_index)
            .field("group_threshold", &self.group_threshold)
            .field("group_count", &self.group_count)
            .field("member_index", &self.member_index)
            .field("member_threshold", &self.member_threshold)
            .finish_non_exhaustive()
    }
}

impl FromStr for Share {
    type Err = Slip39Error;

    fn from_str(mnemonic: &str) -> Result<Self, Self::Err> {
        Self::parse(mnemonic)
    }
}

impl Share {
    /// Parses one mnemonic, checking its words (case-insensitive, separated by
    /// whitespace), length, RS1024 checksum and padding.
    ///
    /// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#format-of-the-share-mnemonic>
    pub fn parse(mnemonic: &str) -> Result<Self, Slip39Error> {
        let words = word_indices(mnemonic)?;
        let count = words.len();
        let value_words = count.saturating_sub(HEADER_WORDS + CHECKSUM_WORDS);
        let padding = (value_words * RADIX_BITS) % 16;
        if count < MIN_MNEMONIC_WORDS || padding > 8 {
            return Err(Slip39Error::InvalidLength { words: count });
        }
        let header = words.iter().take(HEADER_WORDS).fold(0u64, |acc, &w| (acc << RADIX_BITS) | u64::from(w));
        let field = |shift: u32, bits: u32| (header >> shift) & ((1 << bits) - 1);
        let extendable = field(24, 1) == 1;
        if rs1024_polymod(customization(extendable), &words) != 1 {
            return Err(Slip39Error::InvalidChecksum);
        }
        let value_range = HEADER_WORDS..count - CHECKSUM_WORDS;
        let value = words_to_bytes(words.get(value_range).unwrap_or_default(), padding)?;
        // The fields are at most 15 bits wide, so the casts keep every bit.
        Ok(Self {
            identifier: field(25, 15) as u16,
            extendable,
            iteration_exponent: field(20, 4) as u8,
            group_index: field(16, 4) as u8,
            group_threshold: field(12, 4) as u8 + 1,
            group_count: field(8, 4) as u8 + 1,
            member_index: field(4, 4) as u8,
            member_threshold: field(0, 4) as u8 + 1,
            value,
        })
    }

    /// The random 15-bit identifier shared by all shares of one set.
    pub fn identifier(&self) -> u16 {
        self.identifier
    }

    /// Whether the extendable backup flag is set (the identifier is then not
    /// part of the encryption salt).
    pub fn extendable(&self) -> bool {
        self.extendable
    }

    /// The iteration exponent `e`: each Feistel round runs `2500 << e`
    /// PBKDF2 iterations.
    pub fn iteration_exponent(&self) -> u8 {
        self.iteration_exponent
    }

    /// Zero-based index of this share's group.
    pub fn group_index(&self) -> u8 {
        self.group_index
    }

    /// Number of groups needed to recover the master secret (1..=16).
    pub fn group_threshold(&self) -> u8 {
        self.group_threshold
    }

    /// Number of groups in the set (1..=16).
    pub fn group_count(&self) -> u8 {
        self.group_count
    }

    /// Zero-based index of this share within its group.
    pub fn member_index(&self) -> u8 {
        self.member_index
    }

    /// Number of shares of this group needed to recover the group share (1..=16).
    pub fn member_threshold(&self) -> u8 {
        self.member_threshold
    }

    /// Encodes the share as a mnemonic.
    fn to_mnemonic(&self) -> Zeroizing<String> {
        let header = u64::from(self.identifier) << 25
            | u64::from(self.extendable) << 24
            | u64::from(self.iteration_exponent) << 20
            | u64::from(self.group_index) << 16
            | u64::from(self.group_threshold.saturating_sub(1)) << 12
            | u64::from(self.group_count.saturating_sub(1)) << 8
            | u64::from(self.member_index) << 4
            | u64::from(self.member_threshold.saturating_sub(1));
        let value_words = (self.value.len() * 8).div_ceil(RADIX_BITS);
        let total = HEADER_WORDS + value_words + CHECKSUM_WORDS;
        let mut words = Zeroizing::new(Vec::with_capacity(total));
        for shift in [30, 20, 10, 0] {
            words.push(((header >> shift) & 0x3ff) as u16);
        }
        bytes_to_words(&self.value, &mut words);
        let checksum = rs1024_checksum(customization(self.extendable), &words);
        words.extend_from_slice(&checksum);
        // Longest word is 8 letters: reserve once so the string never moves.
        let mut mnemonic = Zeroizing::new(String::with_capacity(words.len() * 9));
        for (i, &w) in words.iter().enumerate() {
            if i > 0 {
                mnemonic.push(' ');
            }
            mnemonic.push_str(word(w));
        }
        mnemonic
    }
}

/// Splits `secret` (16..=32 bytes, even length) into mnemonic shares, one Vec per group.
///
/// `group_threshold` of the `groups` are needed to recover the secret, and in
/// each group `threshold` of its `count` shares. `passphrase` (printable ASCII,
/// may be empty) encrypts the secret; each of the four encryption rounds runs
/// `2500 << iteration_exponent` PBKDF2 iterations (`iteration_exponent` ≤ 15).
/// The shares are extendable.
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#generating-the-shares>
pub fn split(
    secret: &[u8],
    passphrase: &[u8],
    group_threshold: u8,
    groups: &[GroupSpec],
    iteration_exponent: u8,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<Vec<Zeroizing<String>>>, Slip39Error> {
    check_split(secret, group_threshold, groups, iteration_exponent)?;
    check_passphrase(passphrase)?;
    let group_count =
        u8::try_from(groups.len()).map_err(|_| InvalidSplit::GroupCount { count: groups.len() })?;
    let identifier = (rng.next_u32() & 0x7fff) as u16;
    let ems = feistel(secret, passphrase, Direction::Encrypt, iteration_exponent, identifier, true);
    let group_shares = split_secret(group_threshold, group_count, &ems, rng);
    let mut out = Vec::with_capacity(groups.len());
    for ((group_index, spec), group_share) in (0u8..).zip(groups).zip(group_shares.iter()) {
        let member_shares = split_secret(spec.threshold, spec.count, group_share, rng);
        let mnemonics = (0u8..)
            .zip(member_shares)
            .map(|(member_index, value)| {
                Share {
                    identifier,
                    extendable: true,
                    iteration_exponent,
                    group_index,
                    group_threshold,
                    group_count,
                    member_index,
                    member_threshold: spec.threshold,
                    value,
                }
                .to_mnemonic()
            })
            .collect();
        out.push(mnemonics);
    }
    Ok(out)
}

/// Recovers the master secret from enough mnemonics.
///
/// The spec asks for exactly the group threshold of groups and, in each,
/// exactly the member threshold of shares; more is refused like fewer.
/// Any passphrase decrypts to *some* secret: a wrong one is not detected.
/// The decryption cost comes from the shares' iteration exponent, up to
/// 4 × (2500 << 15) PBKDF2 iterations, so hostile shares can make this slow.
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#combining-the-shares>
pub fn combine<S: AsRef<str>>(mnemonics: &[S], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, Slip39Error> {
    check_passphrase(passphrase)?;
    let shares = mnemonics.iter().map(|m| Share::parse(m.as_ref())).collect::<Result<Vec<_>, _>>()?;
    let first = shares.first().ok_or(Slip39Error::NoShares)?;
    check_same_set(first, &shares)?;
    let mut groups: BTreeMap<u8, Vec<&Share>> = BTreeMap::new();
    for share in &shares {
        groups.entry(share.group_index).or_default().push(share);
    }
    let required = first.group_threshold;
    if groups.len() < usize::from(required) {
        return Err(Slip39Error::NotEnoughGroups { required, provided: groups.len() });
    }
    if groups.len() > usize::from(required) {
        return Err(Slip39Error::TooManyGroups { required, provided: groups.len() });
    }
    for (&group_index, members) in &groups {
        check_group(group_index, members)?;
    }
    let mut group_values = Vec::with_capacity(groups.len());
    for (&group_index, members) in &groups {
        let points: Vec<(u8, &[u8])> = members.iter().map(|s| (s.member_index, s.value.as_slice())).collect();
        let threshold = members.first().map_or(1, |s| s.member_threshold);
        group_values.push((group_index, recover_secret(threshold, &points)?));
    }
    let points: Vec<(u8, &[u8])> =
        group_values.iter().map(|(index, value)| (*index, value.as_slice())).collect();
    let ems = recover_secret(required, &points)?;
    Ok(feistel(
        &ems,
        passphrase,
        Direction::Decrypt,
        first.iteration_exponent,
        first.identifier,
        first.extendable,
    ))
}

/// Checks the parameters of [`split`] against the spec's limits.
fn check_split(
    secret: &[u8],
    group_threshold: u8,
    groups: &[GroupSpec],
    iteration_exponent: u8,
) -> Result<(), InvalidSplit> {
    let len = secret.len();
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&len) || !len.is_multiple_of(2) {
        return Err(InvalidSplit::SecretLength { len });
    }
    if iteration_exponent > MAX_ITERATION_EXPONENT {
        return Err(InvalidSplit::IterationExponent { exponent: iteration_exponent });
    }
    let count = groups.len();
    if count == 0 || count > usize::from(MAX_SHARE_COUNT) {
        return Err(InvalidSplit::GroupCount { count });
    }
    if group_threshold == 0 || usize::from(group_threshold) > count {
        return Err(InvalidSplit::GroupThreshold { threshold: group_threshold, count });
    }
    for (group, spec) in groups.iter().enumerate() {
        let GroupSpec { threshold, count } = *spec;
        if threshold == 0 || threshold > count || count > MAX_SHARE_COUNT {
            return Err(InvalidSplit::MemberThreshold { group, threshold, count });
        }
        if threshold == 1 && count > 1 {
            return Err(InvalidSplit::ThresholdOneWithManyMembers { group, count });
        }
    }
    Ok(())
}

/// The spec allows only printable ASCII in passphrases.
fn check_passphrase(passphrase: &[u8]) -> Result<(), Slip39Error> {
    if passphrase.iter().all(|b| (32..=126).contains(b)) {
        Ok(())
    } else {
        Err(Slip39Error::InvalidPassphrase)
    }
}

/// Checks that all shares agree with `first` on the fields of the set.
fn check_same_set(first: &Share, shares: &[Share]) -> Result<(), Slip39Error> {
    for share in shares {
        if share.identifier != first.identifier {
            return Err(Slip39Error::MismatchedIdentifier);
        }
        let checks = [
            (share.extendable == first.extendable, ShareParameter::Extendable),
            (share.iteration_exponent == first.iteration_exponent, ShareParameter::IterationExponent),
            (share.group_threshold == first.group_threshold, ShareParameter::GroupThreshold),
            (share.group_count == first.group_count, ShareParameter::GroupCount),
            (share.value.len() == first.value.len(), ShareParameter::ValueLength),
        ];
        if let Some((_, parameter)) = checks.into_iter().find(|(same, _)| !same) {
            return Err(Slip39Error::MismatchedParameter(parameter));
        }
    }
    if first.group_threshold > first.group_count {
        return Err(Slip39Error::GroupThresholdAboveCount {
            threshold: first.group_threshold,
            count: first.group_count,
        });
    }
    Ok(())
}

/// Checks that the shares of one group agree on the member threshold, have
/// distinct member indices and are exactly as many as the threshold.
fn check_group(group_index: u8, members: &[&Share]) -> Result<(), Slip39Error> {
    let required = members.first().map_or(1, |s| s.member_threshold);
    if members.iter().any(|s| s.member_threshold != required) {
        return Err(Slip39Error::MismatchedMemberThreshold { group_index });
    }
    let mut seen = [false; 16];
    for share in members {
        if let Some(slot) = seen.get_mut(usize::from(share.member_index)) {
            if *slot {
                return Err(Slip39Error::DuplicateMemberIndex {
                    group_index,
                    member_index: share.member_index,
                });
            }
            *slot = true;
        }
    }
    let provided = members.len();
    if provided < usize::from(required) {
        return Err(Slip39Error::NotEnoughMembers { group_index, required, provided });
    }
    if provided > usize::from(required) {
        return Err(Slip39Error::TooManyMembers { group_index, required, provided });
    }
    Ok(())
}

/// The SLIP-39 wordlist: 1024 words in alphabetical order (10 bits each).
pub fn wordlist() -> &'static [&'static str] {
    &WORDLIST
}

/// The index of `word` in the wordlist (any case), or `None` when it is not
/// a SLIP-39 word: lets a prompt check a share word by word.
pub fn word_index(word: &str) -> Option<u16> {
    let index = WORDLIST
        .binary_search_by(|probe| probe.bytes().cmp(word.bytes().map(|b| b.to_ascii_lowercase())))
        .ok()?;
    // The wordlist has 1024 words, so the index fits in 10 bits.
    u16::try_from(index).ok()
}

/// Maps each word of `mnemonic` to its index in the wordlist.
fn word_indices(mnemonic: &str) -> Result<Zeroizing<Vec<u16>>, Slip39Error> {
    let mut indices = Zeroizing::new(Vec::with_capacity(mnemonic.len() / 4 + 1));
    for (i, w) in mnemonic.split_whitespace().enumerate() {
        indices.push(word_index(w).ok_or(Slip39Error::UnknownWord { word_number: i + 1 })?);
    }
    Ok(indices)
}

/// The word for a 10-bit index.
fn word(index: u16) -> &'static str {
    WORDLIST.get(usize::from(index)).copied().expect("the wordlist has 1024 words and indices have 10 bits")
}

/// Unpacks 10-bit words into bytes after dropping `padding` leading bits,
/// which must be zero.
fn words_to_bytes(words: &[u16], padding: usize) -> Result<Zeroizing<Vec<u8>>, Slip39Error> {
    let mut out = Zeroizing::new(Vec::with_capacity(words.len() * RADIX_BITS / 8));
    let mut acc: u32 = 0;
    let mut bits: usize = 0;
    let mut skip = padding;
    for &w in words {
        acc = (acc << RADIX_BITS) | u32::from(w);
        bits += RADIX_BITS;
        if skip > 0 {
            bits -= skip;
            skip = 0;
            if acc >> bits != 0 {
                return Err(Slip39Error::InvalidPadding);
            }
        }
        while bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    Ok(out)
}

/// Packs bytes into 10-bit words, left-padding with zero bits to a multiple
/// of 10.
fn bytes_to_words(bytes: &[u8], words: &mut Vec<u16>) {
    let total = bytes.len() * 8;
    let mut bits = total.div_ceil(RADIX_BITS) * RADIX_BITS - total;
    let mut acc: u32 = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        if bits >= RADIX_BITS {
            bits -= RADIX_BITS;
            words.push(((acc >> bits) & 0x3ff) as u16);
            acc &= (1 << bits) - 1;
        }
    }
}

/// The RS1024 customization string for the extendable flag.
fn customization(extendable: bool) -> &'static [u8] {
    if extendable { CUSTOMIZATION_EXTENDABLE } else { CUSTOMIZATION_ORIGINAL }
}

/// RS1024 polynomial remainder over the customization string then the words.
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#checksum>
fn rs1024_polymod(customization: &[u8], words: &[u16]) -> u32 {
    const GEN: [u32; 10] = [
        0x00e0_e040,
        0x01c1_c080,
        0x0383_8100,
        0x0707_0200,
        0x0e0e_0009,
        0x1c0c_2412,
        0x3808_6c24,
        0x3090_fc48,
        0x21b1_f890,
        0x03f3_f120,
    ];
    let values = customization.iter().map(|&c| u32::from(c)).chain(words.iter().map(|&w| u32::from(w)));
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 20;
        chk = ((chk & 0x000f_ffff) << 10) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            // Branch-free: the words are secret.
            chk ^= g & 0u32.wrapping_sub((top >> i) & 1);
        }
    }
    chk
}

/// The three checksum words for `words`.
fn rs1024_checksum(customization: &[u8], words: &[u16]) -> [u16; CHECKSUM_WORDS] {
    let mut padded = Zeroizing::new(Vec::with_capacity(words.len() + CHECKSUM_WORDS));
    padded.extend_from_slice(words);
    padded.extend_from_slice(&[0; CHECKSUM_WORDS]);
    let polymod = rs1024_polymod(customization, &padded) ^ 1;
    [20, 10, 0].map(|shift| ((polymod >> shift) & 0x3ff) as u16)
}

/// Whether the Feistel network runs its rounds forwards or backwards.
#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// Encrypts or decrypts a master secret: four Feistel rounds with
/// PBKDF2-HMAC-SHA256 (`2500 << e` iterations) as round function.
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#encryption-of-the-master-secret>
fn feistel(
    input: &[u8],
    passphrase: &[u8],
    direction: Direction,
    iteration_exponent: u8,
    identifier: u16,
    extendable: bool,
) -> Zeroizing<Vec<u8>> {
    let half = input.len() / 2;
    let (left, right) = input.split_at(half);
    let mut left = Zeroizing::new(left.to_vec());
    let mut right = Zeroizing::new(right.to_vec());
    let mut salt = Zeroizing::new(Vec::with_capacity(CUSTOMIZATION_ORIGINAL.len() + 2 + half));
    if !extendable {
        salt.extend_from_slice(CUSTOMIZATION_ORIGINAL);
        salt.extend_from_slice(&identifier.to_be_bytes());
    }
    let prefix = salt.len();
    let iterations = BASE_ROUND_ITERATIONS << iteration_exponent.min(MAX_ITERATION_EXPONENT);
    let rounds = match direction {
        Direction::Encrypt => [0u8, 1, 2, 3],
        Direction::Decrypt => [3u8, 2, 1, 0],
    };
    for round in rounds {
        let mut password = Zeroizing::new(Vec::with_capacity(1 + passphrase.len()));
        password.push(round);
        password.extend_from_slice(passphrase);
        salt.truncate(prefix);
        salt.extend_from_slice(&right);
        let mut f = Zeroizing::new(vec![0u8; right.len()]);
        pbkdf2::pbkdf2_hmac::<Sha256>(&password, &salt, iterations, &mut f);
        for (f, l) in f.iter_mut().zip(left.iter()) {
            *f ^= l;
        }
        left = std::mem::replace(&mut right, f);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(input.len()));
    out.extend_from_slice(&right);
    out.extend_from_slice(&left);
    out
}

/// `SplitSecret(T, N, S)`: `count` shares of `secret` at indices 0..count,
/// any `threshold` of which recover it. Parameters are checked by the caller.
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#sharing-a-secret>
fn split_secret(
    threshold: u8,
    count: u8,
    secret: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Vec<Zeroizing<Vec<u8>>> {
    if threshold <= 1 {
        return (0..count).map(|_| Zeroizing::new(secret.to_vec())).collect();
    }
    let random_part = random_bytes(rng, secret.len().saturating_sub(DIGEST_BYTES));
    let mut digest_share = Zeroizing::new(Vec::with_capacity(secret.len()));
    digest_share.extend_from_slice(&digest(&random_part, secret));
    digest_share.extend_from_slice(&random_part);
    let random_shares: Vec<_> = (0..threshold - 2).map(|_| random_bytes(rng, secret.len())).collect();
    let mut base: Vec<(u8, &[u8])> = (0u8..).zip(random_shares.iter().map(|s| s.as_slice())).collect();
    base.push((DIGEST_INDEX, &digest_share));
    base.push((SECRET_INDEX, secret));
    (0..count).map(|x| interpolate(x, &base)).collect()
}

/// `len` bytes from `rng`.
fn random_bytes(rng: &mut impl CryptoRngCore, len: usize) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    rng.fill_bytes(&mut bytes);
    bytes
}

/// `RecoverSecret(T, points)`: the shared secret at index 255, checked
/// against the digest at index 254.
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#sharing-a-secret>
fn recover_secret(threshold: u8, points: &[(u8, &[u8])]) -> Result<Zeroizing<Vec<u8>>, Slip39Error> {
    if threshold <= 1 {
        let (_, value) = points.first().ok_or(Slip39Error::NoShares)?;
        return Ok(Zeroizing::new(value.to_vec()));
    }
    let secret = interpolate(SECRET_INDEX, points);
    let digest_share = interpolate(DIGEST_INDEX, points);
    let (tag, random_part) = digest_share.split_at(DIGEST_BYTES.min(digest_share.len()));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(random_part).expect("HMAC takes keys of any length");
    mac.update(&secret);
    mac.verify_truncated_left(tag).map_err(|_| Slip39Error::DigestMismatch)?;
    Ok(secret)
}

/// First four bytes of HMAC-SHA256(key = `random_part`, msg = `secret`).
fn digest(random_part: &[u8], secret: &[u8]) -> [u8; DIGEST_BYTES] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(random_part).expect("HMAC takes keys of any length");
    mac.update(secret);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; DIGEST_BYTES];
    out.copy_from_slice(&full[..DIGEST_BYTES]);
    out
}

/// GF(256) exponent and logarithm tables for generator 3 of the Rijndael
/// field (x⁸ + x⁴ + x³ + x + 1). `log[0]` is unused.
static GF_TABLES: ([u8; 255], [u8; 256]) = gf_tables();

const fn gf_tables() -> ([u8; 255], [u8; 256]) {
    let mut exp = [0u8; 255];
    let mut log = [0u8; 256];
    let mut x: u8 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x;
        log[x as usize] = i as u8;
        // x·3 = x·2 + x, with x·2 reduced by the Rijndael polynomial.
        let doubled = (x << 1) ^ if x & 0x80 != 0 { 0x1b } else { 0 };
        x ^= doubled;
        i += 1;
    }
    (exp, log)
}

/// Multiplies in GF(256) without branches or table lookups on the operands,
/// which are secret share bytes.
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        product ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (carry & 0x1b);
        b >>= 1;
    }
    product
}

/// Lagrange interpolation at `x` of byte-vector points with distinct indices
/// and equal lengths, byte by byte in GF(256).
///
/// The basis coefficients depend only on the (public) indices and use the
/// log/exp tables; the share bytes go through [`gf_mul`].
///
/// See: <https://github.com/satoshilabs/slips/blob/master/slip-0039.md#polynomial-interpolation>
fn interpolate(x: u8, points: &[(u8, &[u8])]) -> Zeroizing<Vec<u8>> {
    if let Some((_, y)) = points.iter().find(|(xi, _)| *xi == x) {
        return Zeroizing::new(y.to_vec());
    }
    let (exp, log_table) = &GF_TABLES;
    let log = |v: u8| u32::from(log_table[usize::from(v)]);
    let len = points.first().map_or(0, |(_, y)| y.len());
    let mut out = Zeroizing::new(vec![0u8; len]);
    for (i, (xi, yi)) in points.iter().enumerate() {
        let mut log_coefficient = 0u32;
        for (j, (xj, _)) in points.iter().enumerate() {
            if i != j {
                log_coefficient += log(x ^ xj) + 255 - log(xi ^ xj);
            }
        }
        let coefficient = exp[(log_coefficient % 255) as usize];
        for (o, y) in out.iter_mut().zip(yi.iter()) {
            *o ^= gf_mul(*y, coefficient);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn wordlist_has_1024_sorted_unique_words() {
        assert_eq!(WORDLIST.len(), 1024);
        assert!(WORDLIST.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn gf_mul_matches_tables() {
        let (exp, log) = &GF_TABLES;
        for a in 1..=255u8 {
            for b in 1..=255u8 {
                let l = (u32::from(log[usize::from(a)]) + u32::from(log[usize::from(b)])) % 255;
                assert_eq!(gf_mul(a, b), exp[l as usize], "{a} * {b}");
            }
            assert_eq!(gf_mul(a, 0), 0);
        }
        // FIPS-197 section 4.2: {57} • {83} = {c1}.
        assert_eq!(gf_mul(0x57, 0x83), 0xc1);
    }

    #[test]
    fn bytes_and_words_round_trip() {
        let bytes: Vec<u8> = (0..32).map(|i| i * 7 + 3).collect();
        let mut words = Vec::new();
        bytes_to_words(&bytes, &mut words);
        assert_eq!(words.len(), 26);
        assert_eq!(words_to_bytes(&words, 260 - 256).unwrap().as_slice(), bytes);
    }

    #[test]
    fn feistel_decrypt_inverts_encrypt() {
        let secret = [7u8; 16];
        for extendable in [false, true] {
            let ems = feistel(&secret, b"pw", Direction::Encrypt, 0, 1234, extendable);
            assert_ne!(ems.as_slice(), secret);
            let back = feistel(&ems, b"pw", Direction::Decrypt, 0, 1234, extendable);
            assert_eq!(back.as_slice(), secret);
        }
    }

    #[test]
    fn digest_mismatch_is_detected() {
        let secret = [9u8; 16];
        let shares = split_secret(2, 3, &secret, &mut rand_core::OsRng);
        let mut bad = shares[1].clone();
        bad[0] ^= 1;
        let points = [(0, shares[0].as_slice()), (1, bad.as_slice())];
        assert!(matches!(recover_secret(2, &points), Err(Slip39Error::DigestMismatch)));
        let points = [(2, shares[2].as_slice()), (0, shares[0].as_slice())];
        assert_eq!(recover_secret(2, &points).unwrap().as_slice(), secret);
    }
}
