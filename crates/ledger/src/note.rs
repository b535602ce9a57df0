//! Signed notes and transparency-log checkpoints.
//!
//! A signed note is a UTF-8 text followed by a blank line and one or more
//! signature lines (C2SP signed-note, <https://c2sp.org/signed-note>). A
//! checkpoint is a note whose text gives a log's origin, tree size and root hash
//! (C2SP tlog-checkpoint, <https://c2sp.org/tlog-checkpoint>). The ledger
//! publishes its tree heads as checkpoints.
//!
//! Two signature types are supported:
//! - Ed25519 (`0x01`, signed-note "Ed25519 signatures"): the signature is over
//!   the note text; classical;
//! - timestamped ML-DSA-44 (sub)tree cosignatures (`0x06`, C2SP
//!   tlog-cosignature v1.1, <https://c2sp.org/tlog-cosignature>): the
//!   signature is `u64 timestamp || ML-DSA-44 signature` over the binary
//!   [`cosigned_message`] of the checkpoint the text holds (its origin, size
//!   and root hash, and the signer's name: not its extension lines); quantum-safe.
//!
//! A checkpoint may carry both: a classical client that knows only the Ed25519
//! key passes over the `0x06` line as a signature by an unknown key (step 4
//! below). A [`NoteSigner`] may carry an ML-DSA-44 companion of the same name
//! ([`NoteSigner::with_pq`]), so every checkpoint it signs has both lines.
//!
//! Key strings use the formats of golang.org/x/mod/sumdb/note: verifier keys
//! `<name>+<hex key ID>+<base64(type || public key)>` and signer keys
//! `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>` (for ML-DSA-44 the
//! 32-byte FIPS 204 key-generation seed). Signing and verification go through
//! `didam_credential`, the project's one home for crypto.
//!
//! [`open`] follows Go's `note.Open`, in these steps:
//!
//! 1. the whole note must be UTF-8 with no ASCII control character other than
//!    newline;
//! 2. the text runs up to and including the newline before the last blank line.
//!    The rest is the signature block: at most [`MAX_SIGNATURES`] lines, the
//!    last ending in a newline;
//! 3. each line must read `— <key name> <base64(key ID || signature)>`, or the
//!    note is rejected as malformed;
//! 4. a signature whose (name, key ID) matches no verifier is kept as
//!    unverified, and identical lines count once. A (name, key ID) that matches
//!    two verifiers is an error. A signature by a known key must verify, or the
//!    whole note is rejected;
//! 5. at least one signature must verify.
//!
//! This code is stricter than Go in three ways. It verifies every distinct
//! signature by a known key, where Go checks only the first per key. The
//! signed-note spec says "If the key name and ID match a known key, verifiers
//! MUST verify the signature". It accepts only canonical base64 (RFC 4648
//! §3.5). It counts signature lines before it verifies any of them.
//!
//! ```
//! use didam_credential::{KeyType, SecretKey};
//! use didam_ledger::note::{Checkpoint, NoteSigner};
//!
//! let signer = NoteSigner::new("example.com/log", SecretKey::generate(KeyType::Ed25519))?;
//! let checkpoint =
//!     Checkpoint { origin: "example.com/log".into(), size: 3, root: [7; 32], extensions: vec![] };
//! let signed = checkpoint.sign(&signer)?;
//!
//! let (opened, note) = Checkpoint::open(signed.as_bytes(), &signer.verifier())?;
//! assert_eq!(opened, checkpoint);
//! assert_eq!(note.verified[0].key_id, signer.key_id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use didam_credential::{KeyType, PublicKey, SecretKey, Security};
use sha2::{Digest as _, Sha256};

/// The most signature lines [`open`] reads, and [`sign`] writes. Go uses the
/// same limit. The signed-note spec asks verifiers to accept at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// Signature type identifier of Ed25519 (signed-note, "Signature types").
const ALG_ED25519: u8 = 0x01;
/// Signature type identifier of timestamped ML-DSA-44 (sub)tree cosignatures
/// (signed-note, "Signature types"; tlog-cosignature v1.1).
const ALG_MLDSA44_COSIGNATURE: u8 = 0x06;
/// The `cosigned_message` label (tlog-cosignature, "ML-DSA-44 signed message").
const SUBTREE_LABEL: &[u8; 12] = b"subtree/v1\n\0";
/// Bytes of an ML-DSA-44 signature (FIPS 204, Table 2).
const MLDSA44_SIGNATURE_LEN: usize = 2420;
/// The largest timestamp a cosignature may carry (tlog-cosignature: 2^63 - 1).
const MAX_TIMESTAMP: u64 = i64::MAX as u64;
/// Every signature line starts with an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// Prefix of Go's signer key strings.
const SIGNER_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a note, a key string or a checkpoint was refused.
///
/// The messages of the variants that Go's `note.Open` also reports start with
/// Go's message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoteError {
    /// The note, or a text given to [`sign`], does not follow the signed-note
    /// format.
    #[error("malformed note: {reason}")]
    MalformedNote {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The note has more than [`MAX_SIGNATURES`] signature lines (or [`sign`]
    /// was given more signers than that).
    #[error("malformed note: more than {max} signatures")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// A verifier key string, signer key string or key name is malformed.
    #[error("malformed note key: {reason}")]
    MalformedKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key string names a signature type other than Ed25519 (`0x01`) or
    /// ML-DSA-44 cosignatures (`0x06`).
    #[error(
        "unsupported note signature type 0x{0:02x} (Ed25519, 0x01, and ML-DSA-44 cosignatures, 0x06, are supported)"
    )]
    UnsupportedAlgorithm(u8),
    /// A key of a type other than Ed25519 or ML-DSA-44 was given.
    #[error("note keys must be Ed25519 or ML-DSA-44, not {0}")]
    UnsupportedKeyType(KeyType),
    /// An ML-DSA-44 companion that does not fit its signer: not ML-DSA-44,
    /// another name, or a signer that is not Ed25519.
    #[error("an ML-DSA-44 companion key must be ML-DSA-44, of an Ed25519 signer, under the same name")]
    InvalidCompanion,
    /// A policy requires a quantum-safe (ML-DSA-44, `0x06`) signature by the
    /// ledger and no key is known for it: the ledger never announced one.
    #[error(
        "quantum-safe checkpoints are required, but no ML-DSA-44 key is known for the ledger `{origin}` (its \
         operator has not added one: `didam ledger operator --add-ml-dsa`)"
    )]
    NoQuantumSafeKey {
        /// The ledger's origin.
        origin: String,
    },
    /// The checkpoint carries no valid signature by the ledger's ML-DSA-44
    /// key: the line is missing, has another key ID, or was stripped.
    #[error(
        "the checkpoint carries no ML-DSA-44 signature by {name}+{key_id:08x} (quantum-safe checkpoints are required)"
    )]
    MissingQuantumSafeSignature {
        /// The key name.
        name: String,
        /// The ML-DSA-44 key's ID.
        key_id: u32,
    },
    /// A cosignature's timestamp is after 2^63 - 1, in the future beyond the
    /// allowed skew, or older than one already seen on a smaller tree (a
    /// replayed or back-dated cosignature).
    #[error("cosignature timestamp {timestamp} of {name}: {reason}")]
    BadTimestamp {
        /// The key name.
        name: String,
        /// The timestamp (POSIX seconds).
        timestamp: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The key ID in a key string is not the one computed from the name and key.
    #[error("key ID {stated:08x} of `{name}` does not match its key (expected {computed:08x})")]
    KeyIdMismatch {
        /// The key name.
        name: String,
        /// The key ID written in the key string.
        stated: u32,
        /// The key ID of the name and key.
        computed: u32,
    },
    /// [`sign`] was given no signer.
    #[error("no signer given: a note needs at least one signature")]
    NoSigners,
    /// The note is well formed, but no signature comes from a known key.
    #[error("note has no verifiable signatures")]
    Unverified {
        /// The parsed note, with every signature under `unverified`. Its text
        /// MUST NOT be trusted.
        note: Box<Note>,
    },
    /// A signature by a known key does not verify.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// The key name.
        name: String,
        /// The key ID.
        key_id: u32,
    },
    /// More than one of the given verifiers has this key name and key ID.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey {
        /// The key name.
        name: String,
        /// The key ID.
        key_id: u32,
    },
    /// The text is not a tlog checkpoint body.
    #[error("invalid checkpoint: {reason}")]
    InvalidCheckpoint {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Fewer witnesses cosigned the note than the policy requires.
    #[error("the checkpoint is cosigned by {have} of the configured witnesses; {need} are required")]
    TooFewCosignatures {
        /// Valid cosignatures by configured witnesses.
        have: usize,
        /// The threshold.
        need: usize,
    },
}

fn malformed(reason: &'static str) -> NoteError {
    NoteError::MalformedNote { reason }
}

fn malformed_key(reason: &'static str) -> NoteError {
    NoteError::MalformedKey { reason }
}

fn invalid_checkpoint(reason: &'static str) -> NoteError {
    NoteError::InvalidCheckpoint { reason }
}

/// A note signer: a key name and an Ed25519 or ML-DSA-44 secret key, and for
/// an Ed25519 signer possibly an ML-DSA-44 companion of the same name, which
/// adds its cosignature line to every note this signer signs.
///
/// Its `Debug` output shows the name and key IDs, never a key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SecretKey,
    companion: Option<Box<NoteSigner>>,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("NoteSigner");
        s.field("name", &self.name).field("key_id", &format_args!("{:08x}", self.key_id));
        if let Some(pq) = &self.companion {
            s.field("pq_key_id", &format_args!("{:08x}", pq.key_id));
        }
        s.finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer for `key` under `name`. The name must be non-empty, without
    /// Unicode spaces, `+` or control characters (signed-note, "Format"); the
    /// key must be Ed25519 or ML-DSA-44 (which signs only checkpoints).
    pub fn new(name: &str, key: SecretKey) -> Result<Self, NoteError> {
        check_name(name)?;
        let key_id = key_id(name, &encode_public_key(&key.public_key())?);
        Ok(Self { name: name.to_owned(), key_id, key, companion: None })
    }

    /// This Ed25519 signer with the ML-DSA-44 signer `pq` of the same name as
    /// its companion: every note signed with it carries both lines.
    pub fn with_pq(mut self, pq: NoteSigner) -> Result<Self, NoteError> {
        if self.key.key_type() != KeyType::Ed25519
            || pq.key.key_type() != KeyType::MlDsa44
            || pq.name != self.name
            || pq.companion.is_some()
        {
            return Err(NoteError::InvalidCompanion);
        }
        self.companion = Some(Box::new(pq));
        Ok(self)
    }

    /// A signer from Go's signer key string
    /// `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || 32-byte seed)>`, the
    /// type `0x01` (Ed25519) or `0x06` (ML-DSA-44). The key ID must match.
    pub fn from_key_string(s: &str) -> Result<Self, NoteError> {
        let rest =
            s.strip_prefix(SIGNER_KEY_PREFIX).ok_or(malformed_key("signer keys start with PRIVATE+KEY+"))?;
        let parts = KeyString::parse(rest)?;
        let seed = WipeOnDrop(parts.key);
        let (alg, seed) = seed.0.split_first().ok_or(malformed_key("empty key"))?;
        let key_type = key_type_of(*alg)?;
        if seed.len() != 32 {
            return Err(malformed_key("a seed is 32 bytes"));
        }
        let key = SecretKey::from_bytes(key_type, seed).map_err(|_| malformed_key("not a usable seed"))?;
        let signer = Self::new(parts.name, key)?;
        if signer.key_id != parts.key_id {
            return Err(NoteError::KeyIdMismatch {
                name: signer.name,
                stated: parts.key_id,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// Go's signer key string, the inverse of [`NoteSigner::from_key_string`]
    /// (of this key only, not its companion). It is the secret itself:
    /// zeroized on drop, never to be logged.
    pub fn to_key_string(&self) -> zeroize::Zeroizing<String> {
        let seed = self.key.to_bytes();
        let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(33));
        raw.push(alg_of(self.key.key_type()).unwrap_or(ALG_ED25519));
        raw.extend_from_slice(&seed);
        zeroize::Zeroizing::new(format!(
            "{SIGNER_KEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_id,
            B64.encode(&*raw)
        ))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID: the first four bytes, big-endian, of
    /// SHA-256(name || 0x0A || type || public key) (signed-note, "Ed25519
    /// signatures"; tlog-cosignature, "Format").
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier of this signer's signatures (not of its companion's).
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key_id: self.key_id, key: self.key.public_key() }
    }

    /// The ML-DSA-44 companion, if any.
    pub fn pq(&self) -> Option<&NoteSigner> {
        self.companion.as_deref()
    }

    /// The verifier of the ML-DSA-44 companion's cosignatures, if any.
    pub fn pq_verifier(&self) -> Option<NoteVerifier> {
        self.companion.as_ref().map(|c| c.verifier())
    }

    /// The signature line's bytes after the key ID, for `text`: an Ed25519
    /// signature of the text, or `timestamp || ML-DSA-44 signature` of the
    /// [`cosigned_message`] of the checkpoint the text holds, stamped now.
    fn signature(&self, text: &str) -> Result<Vec<u8>, NoteError> {
        match self.key.key_type() {
            KeyType::MlDsa44 => {
                let checkpoint = Checkpoint::parse(text)?;
                let timestamp = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
                let message = cosigned_message(&self.name, timestamp, &checkpoint)?;
                let mut raw = timestamp.to_be_bytes().to_vec();
                raw.extend_from_slice(&self.key.sign(&message));
                Ok(raw)
            }
            _ => Ok(self.key.sign(text.as_bytes())),
        }
    }
}

/// A note verifier key: a key name, its key ID and an Ed25519 or ML-DSA-44
/// public key.
///
/// Its text form (`Display`, [`NoteVerifier::to_vkey`]) is
/// `<name>+<hex key ID>+<base64(type || public key)>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl NoteVerifier {
    /// A verifier for `key` under `name`. The name must be non-empty, without
    /// Unicode spaces, `+` or control characters; the key must be Ed25519 or
    /// ML-DSA-44.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, NoteError> {
        check_name(name)?;
        let key_id = key_id(name, &encode_public_key(&key)?);
        Ok(Self { name: name.to_owned(), key_id, key })
    }

    /// Parses a verifier key string `<name>+<hex key ID>+<base64(type || public key)>`,
    /// checking the key ID against the key, as Go's `note.NewVerifier` does.
    /// The type is `0x01` with a 32-byte Ed25519 key or `0x06` with a
    /// 1312-byte ML-DSA-44 key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let parts = KeyString::parse(vkey)?;
        let computed = key_id(parts.name, &parts.key);
        if computed != parts.key_id {
            return Err(NoteError::KeyIdMismatch {
                name: parts.name.to_owned(),
                stated: parts.key_id,
                computed,
            });
        }
        let (alg, raw) = parts.key.split_first().ok_or(malformed_key("empty key"))?;
        let key_type = key_type_of(*alg)?;
        let key = PublicKey::from_bytes(key_type, raw).map_err(|_| {
            malformed_key("not a usable Ed25519 (32 bytes) or ML-DSA-44 (1312 bytes) public key")
        })?;
        Ok(Self { name: parts.name.to_owned(), key_id: computed, key })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (see [`NoteSigner::key_id`]).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Whether this key's signatures are classical (Ed25519) or quantum-safe
    /// (ML-DSA-44).
    pub fn security(&self) -> Security {
        self.key.key_type().security()
    }

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        let encoded = encode_public_key(&self.key).unwrap_or_default();
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(encoded))
    }

    /// The key's fingerprint as ssh shows one: `SHA256:` and the unpadded
    /// base64 of the SHA-256 of the encoded key (`type || public key`), for
    /// people to compare out of band.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(encode_public_key(&self.key).unwrap_or_default());
        format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest))
    }

    /// Whether `sig` (without the key ID) is a valid Ed25519 signature of `msg`
    /// by this key (RFC 8032). For an ML-DSA-44 key see [`Self::verify_line`].
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.key.key_type() == KeyType::Ed25519 && self.key.verify(msg, sig).is_ok()
    }

    /// Checks a signature line's bytes after the key ID on the note `text`:
    /// for Ed25519 a signature of the text; for ML-DSA-44 the timestamp and a
    /// signature of the [`cosigned_message`] of the checkpoint in the text
    /// under this key's name. Returns the cosignature's timestamp (`None`
    /// for Ed25519), or `InvalidSignature` (a timestamp above 2^63 - 1:
    /// `BadTimestamp`).
    pub fn verify_line(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        let invalid = || NoteError::InvalidSignature { name: self.name.clone(), key_id: self.key_id };
        if self.key.key_type() != KeyType::MlDsa44 {
            return if self.verify(text.as_bytes(), sig) { Ok(None) } else { Err(invalid()) };
        }
        let Some((stamp, signature)) = sig.split_first_chunk::<8>() else { return Err(invalid()) };
        if signature.len() != MLDSA44_SIGNATURE_LEN {
            return Err(invalid());
        }
        let timestamp = u64::from_be_bytes(*stamp);
        if timestamp > MAX_TIMESTAMP {
            return Err(NoteError::BadTimestamp {
                name: self.name.clone(),
                timestamp,
                reason: "above 2^63 - 1",
            });
        }
        let checkpoint = Checkpoint::parse(text).map_err(|_| invalid())?;
        let message = cosigned_message(&self.name, timestamp, &checkpoint).map_err(|_| invalid())?;
        self.key.verify(&message, signature).map_err(|_| invalid())?;
        Ok(Some(timestamp))
    }
}

/// The binary message an ML-DSA-44 cosignature signs (tlog-cosignature v1.1,
/// "ML-DSA-44 signed message"), for a checkpoint (`start` 0, `end` its size):
/// `"subtree/v1\n\0"`, the cosigner name and the origin each with a one-byte
/// length, the timestamp, start and end as big-endian `u64`, the root hash.
/// Fails for a name or origin that is empty or longer than 255 bytes.
pub fn cosigned_message(
    cosigner: &str,
    timestamp: u64,
    checkpoint: &Checkpoint,
) -> Result<Vec<u8>, NoteError> {
    let short = |s: &str| u8::try_from(s.len()).ok().filter(|n| *n > 0);
    let name_len = short(cosigner).ok_or(malformed_key("a cosigner name is 1 to 255 bytes"))?;
    let origin_len = short(&checkpoint.origin).ok_or(invalid_checkpoint("an origin is 1 to 255 bytes"))?;
    let mut message = Vec::with_capacity(12 + 2 + cosigner.len() + checkpoint.origin.len() + 24 + 32);
    message.extend_from_slice(SUBTREE_LABEL);
    message.push(name_len);
    message.extend_from_slice(cosigner.as_bytes());
    message.extend_from_slice(&timestamp.to_be_bytes());
    message.push(origin_len);
    message.extend_from_slice(checkpoint.origin.as_bytes());
    message.extend_from_slice(&0u64.to_be_bytes());
    message.extend_from_slice(&checkpoint.size.to_be_bytes());
    message.extend_from_slice(&checkpoint.root);
    Ok(message)
}

/// The signature type byte of a key type.
fn alg_of(key_type: KeyType) -> Result<u8, NoteError> {
    match key_type {
        KeyType::Ed25519 => Ok(ALG_ED25519),
        KeyType::MlDsa44 => Ok(ALG_MLDSA44_COSIGNATURE),
        other => Err(NoteError::UnsupportedKeyType(other)),
    }
}

/// The key type of a signature type byte.
fn key_type_of(alg: u8) -> Result<KeyType, NoteError> {
    match alg {
        ALG_ED25519 => Ok(KeyType::Ed25519),
        ALG_MLDSA44_COSIGNATURE => Ok(KeyType::MlDsa44),
        other => Err(NoteError::UnsupportedAlgorithm(other)),
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// The fields shared by verifier and signer key strings: `<name>+<hex key ID>+<base64 key>`.
struct KeyString<'a> {
    name: &'a str,
    key_id: u32,
    /// Decoded key: the signature type byte, then the key.
    key: Vec<u8>,
}

impl<'a> KeyString<'a> {
    fn parse(s: &'a str) -> Result<Self, NoteError> {
        let mut fields = s.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(malformed_key("expected <name>+<key ID>+<key>"));
        };
        check_name(name)?;
        let key_id = parse_key_id(id)?;
        let key = B64.decode(key).map_err(|_| malformed_key("key is not canonical base64"))?;
        if key.is_empty() {
            return Err(malformed_key("empty key"));
        }
        Ok(Self { name, key_id, key })
    }
}

/// Secret bytes overwritten when dropped. Best effort: the ledger does not
/// depend on `zeroize`, and `SecretKey` wipes its own copy.
struct WipeOnDrop(Vec<u8>);

impl Drop for WipeOnDrop {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&mut self.0);
    }
}

/// Exactly eight hex digits, as Go's `strconv.ParseUint(s, 16, 32)` accepts them.
fn parse_key_id(hex: &str) -> Result<u32, NoteError> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed_key("the key ID is eight hex digits"));
    }
    u32::from_str_radix(hex, 16).map_err(|_| malformed_key("the key ID is eight hex digits"))
}

/// Key names are non-empty, without Unicode spaces or `+` (signed-note,
/// "Format"), and without control characters, which no note may hold.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c == '+' || c.is_whitespace() || c < ' ')
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(malformed_key("key names must be non-empty, without spaces, `+` or control characters"))
    }
}

/// ASCII control characters other than newline, which notes must not contain
/// (signed-note, "Format").
fn is_forbidden_control(c: char) -> bool {
    c < ' ' && c != '\n'
}

/// The signature type byte followed by the key (32 bytes for Ed25519, 1312
/// for ML-DSA-44).
fn encode_public_key(key: &PublicKey) -> Result<Vec<u8>, NoteError> {
    let mut encoded = vec![alg_of(key.key_type())?];
    encoded.extend_from_slice(&key.to_bytes());
    Ok(encoded)
}

/// SHA-256(name || 0x0A || encoded key)[:4] as a big-endian u32, where the
/// encoded key is the signature type byte and the key (signed-note, "Signatures").
fn key_id(name: &str, encoded_key: &[u8]) -> u32 {
    let digest = Sha256::new().chain_update(name).chain_update(b"\n").chain_update(encoded_key).finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Signs `text` with every signer and returns the signed note: the text, a blank
/// line, then one signature line per signer, in order (signed-note, "Format").
///
/// `text` must end with a newline and hold no ASCII control character other
/// than newline. To add signatures to a note that is already signed, [`open`] it
/// and sign its text again.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    if !text.ends_with('\n') {
        return Err(malformed("the text must end with a newline"));
    }
    if text.chars().any(is_forbidden_control) {
        return Err(malformed("the text holds a control character"));
    }
    if signers.is_empty() {
        return Err(NoteError::NoSigners);
    }
    let keys: Vec<&NoteSigner> =
        signers.iter().flat_map(|s| std::iter::once(*s).chain(s.companion.as_deref())).collect();
    if keys.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures { max: MAX_SIGNATURES });
    }
    let mut note = String::with_capacity(text.len() + 1 + keys.len() * 128);
    note.push_str(text);
    note.push('\n');
    for signer in keys {
        let mut raw = signer.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&signer.signature(text)?);
        note.push_str(SIGNATURE_PREFIX);
        note.push_str(&signer.name);
        note.push(' ');
        note.push_str(&B64.encode(raw));
        note.push('\n');
    }
    Ok(note)
}

/// A note opened by [`open`]: its text and its signatures.
///
/// In a note returned by `Ok`, `verified` is never empty and the text may be
/// trusted as far as the verifying keys are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The text, including its final newline but not the blank line after it.
    pub text: String,
    /// Signatures by the given verifiers, each of which verified (one per key).
    pub verified: Vec<NoteSignature>,
    /// Signatures by keys that none of the given verifiers has, not checked
    /// (identical lines once).
    pub unverified: Vec<NoteSignature>,
}

impl Note {
    /// The verified signature by `verifier`'s key, if any.
    pub fn signed_by(&self, verifier: &NoteVerifier) -> Option<&NoteSignature> {
        self.verified.iter().find(|s| s.name == verifier.name && s.key_id == verifier.key_id)
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID: the first four bytes of the decoded signature, big-endian.
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
    /// For a verified signature: whether its key is classical (Ed25519) or
    /// quantum-safe (ML-DSA-44); `None` for an unverified one (its type is
    /// not known without the key).
    pub security: Option<Security>,
    /// For a verified ML-DSA-44 cosignature: its timestamp (POSIX seconds).
    pub timestamp: Option<u64>,
}

/// Opens `note`, checking its signatures against the known `verifiers`, with the
/// semantics of Go's `note.Open` (see the module documentation for the steps and
/// where this is stricter).
///
/// Errors: [`NoteError::MalformedNote`] or [`NoteError::TooManySignatures`] for
/// a note that does not parse; [`NoteError::AmbiguousKey`] when two verifiers
/// match a signature; [`NoteError::InvalidSignature`] when a signature by a known
/// key fails; [`NoteError::Unverified`] (holding the parsed note) when no
/// signature comes from a known key.
pub fn open(note: &[u8], verifiers: &[NoteVerifier]) -> Result<Note, NoteError> {
    let note = std::str::from_utf8(note).map_err(|_| malformed("not valid UTF-8"))?;
    if note.chars().any(is_forbidden_control) {
        return Err(malformed("control character"));
    }
    let split = note.rfind("\n\n").ok_or(malformed("no blank line before the signatures"))?;
    let (text, block) = (&note[..=split], &note[split + 2..]);
    if block.is_empty() {
        return Err(malformed("no signatures"));
    }
    if !block.ends_with('\n') {
        return Err(malformed("the last signature line does not end with a newline"));
    }
    let lines: Vec<&str> = block.split_terminator('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures { max: MAX_SIGNATURES });
    }

    let mut opened = Note { text: text.to_owned(), verified: Vec::new(), unverified: Vec::new() };
    let mut seen_lines = HashSet::new();
    for line in lines {
        let signature = parse_signature_line(line)?;
        if !seen_lines.insert(line) {
            continue;
        }
        let Some(verifier) = find_verifier(verifiers, &signature)? else {
            opened.unverified.push(signature);
            continue;
        };
        let mut signature = signature;
        signature.timestamp = verifier.verify_line(text, &signature.signature)?;
        signature.security = Some(verifier.security());
        let known = opened.verified.iter().any(|s| s.name == signature.name && s.key_id == signature.key_id);
        if !known {
            opened.verified.push(signature);
        }
    }
    if opened.verified.is_empty() {
        return Err(NoteError::Unverified { note: Box::new(opened) });
    }
    Ok(opened)
}

/// Adds `signer`'s signature to a signed note (a witness cosigning a
/// checkpoint): the text is unchanged, one signature line is appended. The
/// existing signatures are kept as they are; a note already signed by this
/// key is returned unchanged.
pub fn cosign(note: &[u8], signer: &NoteSigner) -> Result<String, NoteError> {
    let opened = match open(note, &[signer.verifier()]) {
        Ok(_) => return String::from_utf8(note.to_vec()).map_err(|_| malformed("not valid UTF-8")),
        Err(NoteError::Unverified { note }) => note,
        Err(e) => return Err(e),
    };
    let text = std::str::from_utf8(note).map_err(|_| malformed("not valid UTF-8"))?;
    let line = sign(&opened.text, &[signer])?;
    let added =
        line.rsplit_once("\n\n").map(|(_, sig)| sig).ok_or(malformed("signing produced no signature"))?;
    Ok(format!("{text}{added}"))
}

/// The number of distinct `witnesses` whose signatures on `note` verify.
/// A signature by a witness key that does not verify is an error.
pub fn cosigners(note: &[u8], witnesses: &[NoteVerifier]) -> Result<usize, NoteError> {
    match open(note, witnesses) {
        Ok(n) => Ok(n.verified.len()),
        Err(NoteError::Unverified { .. }) => Ok(0),
        Err(e) => Err(e),
    }
}

/// Whether `note` has a signature line with `verifier`'s name and key ID,
/// without verifying it (a cheap check of whether a key signed already; to
/// trust the note, [`open`] it).
pub fn has_line_by(note: &[u8], verifier: &NoteVerifier) -> bool {
    let Some(text) = std::str::from_utf8(note).ok() else { return false };
    let Some((_, block)) = text.rsplit_once("\n\n") else { return false };
    block
        .lines()
        .filter_map(|l| parse_signature_line(l).ok())
        .any(|s| s.name == verifier.name && s.key_id == verifier.key_id)
}

/// Parses `— <name> <base64(key ID || signature)>` (without the newline).
fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(malformed("a signature line does not start with an em dash and a space"))?;
    let (name, encoded) = rest.split_once(' ').ok_or(malformed("a signature line has no signature"))?;
    if !is_valid_name(name) {
        return Err(malformed("invalid key name in a signature line"));
    }
    let raw = B64.decode(encoded).map_err(|_| malformed("a signature is not canonical base64"))?;
    match raw.as_slice() {
        [a, b, c, d, signature @ ..] if !signature.is_empty() => Ok(NoteSignature {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([*a, *b, *c, *d]),
            signature: signature.to_vec(),
            security: None,
            timestamp: None,
        }),
        _ => Err(malformed("a signature is shorter than five bytes")),
    }
}

/// The one verifier with the signature's name and key ID, if any.
fn find_verifier<'a>(
    verifiers: &'a [NoteVerifier],
    signature: &NoteSignature,
) -> Result<Option<&'a NoteVerifier>, NoteError> {
    let mut matching = verifiers.iter().filter(|v| v.name == signature.name && v.key_id == signature.key_id);
    let first = matching.next();
    if matching.next().is_some() {
        return Err(NoteError::AmbiguousKey { name: signature.name.clone(), key_id: signature.key_id });
    }
    Ok(first)
}

/// A transparency-log checkpoint: the text of a checkpoint note.
///
/// The text is the origin, the tree size in decimal and the base64 root hash,
/// each on its own line, then any extension lines (C2SP tlog-checkpoint, "Note
/// text"). See: <https://c2sp.org/tlog-checkpoint>
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin, a unique identifier of the log, non-empty. It SHOULD
    /// be a schema-less URL such as `example.com/log42`.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The RFC 6962 Merkle tree root hash at `size`.
    pub root: [u8; 32],
    /// Opaque, non-empty extension lines (NOT RECOMMENDED by the spec).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: one line each for origin, size, base64 root hash, then
    /// the extension lines, each ending in a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root));
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint note text, strictly. It needs at least three
    /// non-empty lines, each ending in a newline, and no control characters.
    /// The tree size is decimal without sign or leading zeros, and fits a `u64`.
    /// The root hash is canonical base64 of exactly 32 bytes.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text.strip_suffix('\n').ok_or(invalid_checkpoint("the text must end with a newline"))?;
        if body.chars().any(is_forbidden_control) {
            return Err(invalid_checkpoint("control character"));
        }
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|l| !l.is_empty()).ok_or(invalid_checkpoint("empty origin"))?;
        let size = parse_tree_size(lines.next().ok_or(invalid_checkpoint("missing tree size"))?)?;
        let root = parse_root_hash(lines.next().ok_or(invalid_checkpoint("missing root hash"))?)?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(invalid_checkpoint("empty extension line"));
        }
        Ok(Self { origin: origin.to_owned(), size, root, extensions })
    }

    /// Signs the checkpoint and returns the signed note. The spec says the key
    /// name SHOULD be the origin; this is not enforced. Fails if the fields do
    /// not make a valid checkpoint (an empty origin, a newline inside a field).
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, NoteError> {
        let text = self.to_text();
        if Self::parse(&text)? != *self {
            return Err(invalid_checkpoint("a field holds a newline"));
        }
        sign(&text, &[signer])
    }

    /// Opens a signed checkpoint: the note must carry a valid signature by
    /// `verifier` (signatures by other keys are kept as unverified), and its
    /// text must be a checkpoint.
    pub fn open(note: &[u8], verifier: &NoteVerifier) -> Result<(Self, Note), NoteError> {
        let opened = open(note, std::slice::from_ref(verifier))?;
        let checkpoint = Self::parse(&opened.text)?;
        Ok((checkpoint, opened))
    }
}

/// ASCII decimal without sign or leading zeros (`0` for the empty tree).
fn parse_tree_size(line: &str) -> Result<u64, NoteError> {
    let bad = || invalid_checkpoint("the tree size is decimal digits without leading zeros");
    if line.is_empty()
        || !line.bytes().all(|b| b.is_ascii_digit())
        || (line.len() > 1 && line.starts_with('0'))
    {
        return Err(bad());
    }
    line.parse().map_err(|_| invalid_checkpoint("the tree size does not fit 64 bits"))
}

fn parse_root_hash(line: &str) -> Result<[u8; 32], NoteError> {
    let raw = B64.decode(line).map_err(|_| invalid_checkpoint("the root hash is not canonical base64"))?;
    raw.try_into().map_err(|_| invalid_checkpoint("the root hash is not 32 bytes"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn signer(name: &str) -> NoteSigner {
        NoteSigner::new(name, SecretKey::from_bytes(KeyType::Ed25519, &[9; 32]).unwrap()).unwrap()
    }

    #[test]
    fn key_id_of_the_spec_example() {
        // signed-note "Verifier keys" example: example.com/foo+530d903a+AekyeRrm...
        let encoded = B64.decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").unwrap();
        assert_eq!(key_id("example.com/foo", &encoded), 0x530d_903a);
    }

    #[test]
    fn key_string_round_trips() {
        let s = signer("example.com/log");
        let text = s.to_key_string();
        assert!(text.starts_with("PRIVATE+KEY+example.com/log+"));
        let back = NoteSigner::from_key_string(&text).unwrap();
        assert_eq!(back.verifier(), s.verifier());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!("{:?}", signer("example.com/log"));
        assert_eq!(
            shown,
            format!(
                "NoteSigner {{ name: \"example.com/log\", key_id: {:08x}, .. }}",
                signer("example.com/log").key_id()
            )
        );
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a b", "a+b", "a\u{a0}b", "a\u{1}b", "a\nb"] {
            let key = SecretKey::from_bytes(KeyType::Ed25519, &[9; 32]).unwrap();
            assert!(matches!(NoteSigner::new(bad, key), Err(NoteError::MalformedKey { .. })), "{bad:?}");
        }
        let p256 = SecretKey::generate(KeyType::P256);
        assert_eq!(NoteSigner::new("ok", p256).unwrap_err(), NoteError::UnsupportedKeyType(KeyType::P256));
    }

    #[test]
    fn sign_refuses_texts_that_would_not_open() {
        let s = signer("n");
        assert!(matches!(sign("no newline", &[&s]), Err(NoteError::MalformedNote { .. })));
        assert!(matches!(sign("tab\there\n", &[&s]), Err(NoteError::MalformedNote { .. })));
        assert_eq!(sign("ok\n", &[]), Err(NoteError::NoSigners));
        // A text with empty lines, even a trailing one, opens to itself.
        for text in ["\n", "a\n\nb\n", "a\n\n", "— n x\n\n"] {
            let note = sign(text, &[&s]).unwrap();
            assert_eq!(open(note.as_bytes(), &[s.verifier()]).unwrap().text, text);
        }
    }

    #[test]
    fn tree_size_is_strict() {
        assert_eq!(parse_tree_size("0").unwrap(), 0);
        assert_eq!(parse_tree_size("18446744073709551615").unwrap(), u64::MAX);
        for bad in ["", "00", "01", "+1", "-1", " 1", "1 ", "0x1", "18446744073709551616", "١"] {
            assert!(parse_tree_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn checkpoint_sign_refuses_fields_with_newlines() {
        let s = signer("log");
        let mut cp = Checkpoint { origin: "log".into(), size: 1, root: [0; 32], extensions: vec![] };
        assert!(cp.sign(&s).is_ok());
        cp.extensions = vec!["a\nb".into()];
        assert!(matches!(cp.sign(&s), Err(NoteError::InvalidCheckpoint { .. })));
        cp.extensions = vec![];
        cp.origin = String::new();
        assert!(matches!(cp.sign(&s), Err(NoteError::InvalidCheckpoint { .. })));
    }

    fn pq(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::new(name, SecretKey::from_bytes(KeyType::MlDsa44, &[seed; 32]).unwrap()).unwrap()
    }

    fn checkpoint(origin: &str) -> Checkpoint {
        Checkpoint {
            origin: origin.into(),
            size: 5,
            root: [4; 32],
            extensions: vec!["didam-tips 1 x".into()],
        }
    }

    /// The note with its `n`th signature line (0-based) changed by `edit`
    /// on (name, decoded key ID and signature).
    fn edit_line(note: &str, n: usize, edit: impl FnOnce(&mut String, &mut Vec<u8>)) -> String {
        let (text, block) = note.rsplit_once("\n\n").unwrap();
        let mut lines: Vec<String> = block.lines().map(str::to_owned).collect();
        let (name, sig) = lines[n].strip_prefix(SIGNATURE_PREFIX).unwrap().split_once(' ').unwrap();
        let (mut name, mut raw) = (name.to_owned(), B64.decode(sig).unwrap());
        edit(&mut name, &mut raw);
        lines[n] = format!("{SIGNATURE_PREFIX}{name} {}", B64.encode(raw));
        format!("{text}\n\n{}\n", lines.join("\n"))
    }

    #[test]
    fn ml_dsa_vkeys_round_trip_with_the_c2sp_key_id() {
        let s = pq("witness.example/w1", 1);
        let v = s.verifier();
        let vkey = v.to_vkey();
        assert_eq!(NoteVerifier::parse(&vkey).unwrap(), v);
        let encoded = B64.decode(vkey.splitn(3, '+').nth(2).unwrap()).unwrap();
        assert_eq!((encoded[0], encoded.len()), (0x06, 1313));
        let digest = Sha256::new().chain_update("witness.example/w1\n").chain_update(&encoded).finalize();
        assert_eq!(v.key_id().to_be_bytes(), digest[..4]);
        assert_eq!(v.security(), Security::QuantumSafe);
        let back = NoteSigner::from_key_string(&s.to_key_string()).unwrap();
        assert_eq!(back.verifier(), v);
        // An Ed25519-sized key under type 0x06 (with its own key ID) is refused.
        let mut short = vec![0x06];
        short.extend_from_slice(&[1; 32]);
        let vkey = format!("a+{:08x}+{}", key_id("a", &short), B64.encode(&short));
        assert!(matches!(NoteVerifier::parse(&vkey), Err(NoteError::MalformedKey { .. })));
    }

    #[test]
    fn cosigned_message_is_the_c2sp_structure() {
        let cp = checkpoint("example.com/log");
        let m = cosigned_message("w", 0x0102, &cp).unwrap();
        let mut expected = b"subtree/v1\n\0".to_vec();
        expected.extend_from_slice(&[1, b'w', 0, 0, 0, 0, 0, 0, 1, 2, 15]);
        expected.extend_from_slice(b"example.com/log");
        expected.extend_from_slice(&[0; 8]);
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(&[4; 32]);
        assert_eq!(m, expected);
        assert!(cosigned_message("", 0, &cp).is_err());
        assert!(cosigned_message(&"n".repeat(256), 0, &cp).is_err());
    }

    #[test]
    fn a_checkpoint_with_both_lines_verifies_with_either_key() {
        let (ed, ml) = (signer("example.com/log"), pq("example.com/log", 2));
        let both = ed.clone().with_pq(ml.clone()).unwrap();
        assert_eq!(both.pq_verifier(), Some(ml.verifier()));
        let note = checkpoint("example.com/log").sign(&both).unwrap();
        assert_eq!(note.lines().filter(|l| l.starts_with(SIGNATURE_PREFIX)).count(), 2);
        // A classical client knows only the Ed25519 key: the 0x06 line is unknown to it.
        let (_, opened) = Checkpoint::open(note.as_bytes(), &ed.verifier()).unwrap();
        assert_eq!(opened.verified[0].security, Some(Security::Classical));
        assert_eq!(opened.unverified.len(), 1);
        // A PQ-capable client knows both.
        let opened = open(note.as_bytes(), &[ed.verifier(), ml.verifier()]).unwrap();
        let line = opened.signed_by(&ml.verifier()).unwrap();
        assert_eq!(line.security, Some(Security::QuantumSafe));
        assert!(line.timestamp.unwrap() > 1_700_000_000);
        assert_eq!(line.signature.len(), 8 + 2420);
        // Only the ML-DSA key: also enough (it signs origin, size and root).
        assert!(Checkpoint::open(note.as_bytes(), &ml.verifier()).is_ok());
        // Companions: only ML-DSA-44, same name, of an Ed25519 signer.
        assert_eq!(ed.clone().with_pq(signer("example.com/log")).unwrap_err(), NoteError::InvalidCompanion);
        assert_eq!(ed.clone().with_pq(pq("other", 2)).unwrap_err(), NoteError::InvalidCompanion);
        assert_eq!(ml.clone().with_pq(pq("example.com/log", 3)).unwrap_err(), NoteError::InvalidCompanion);
        // An ML-DSA-44 signer signs checkpoints only.
        assert!(matches!(sign("not a checkpoint\n", &[&ml]), Err(NoteError::InvalidCheckpoint { .. })));
    }

    #[test]
    fn hostile_ml_dsa_lines_are_refused() {
        let origin = "example.com/log";
        let (ed, ml) = (signer(origin), pq(origin, 2));
        let note = checkpoint(origin).sign(&ed.clone().with_pq(ml.clone()).unwrap()).unwrap();
        let keys = [ed.verifier(), ml.verifier()];
        let invalid = |n: &str| matches!(open(n.as_bytes(), &keys), Err(NoteError::InvalidSignature { .. }));

        // A wrong key ID: the line is by an unknown key; the ML-DSA key alone finds nothing.
        let wrong_id = edit_line(&note, 1, |_, raw| raw[0] ^= 1);
        assert!(matches!(open(wrong_id.as_bytes(), &[ml.verifier()]), Err(NoteError::Unverified { .. })));
        assert!(open(wrong_id.as_bytes(), &keys).unwrap().signed_by(&ml.verifier()).is_none());
        // Truncated: the signature is shorter than 2420 bytes, or the timestamp is cut.
        assert!(invalid(&edit_line(&note, 1, |_, raw| raw.truncate(raw.len() - 1))));
        assert!(invalid(&edit_line(&note, 1, |_, raw| raw.truncate(4 + 7))));
        // A changed (replayed, back-dated) timestamp breaks the signature.
        assert!(invalid(&edit_line(&note, 1, |_, raw| raw[4 + 7] ^= 1)));
        // Above 2^63 - 1.
        let far = edit_line(&note, 1, |_, raw| raw[4] = 0x80);
        assert!(matches!(open(far.as_bytes(), &keys), Err(NoteError::BadTimestamp { .. })));

        // A cosignature over another origin, moved onto this checkpoint.
        let other = checkpoint("example.com/other").sign(&pq(origin, 2)).unwrap();
        let moved = other.rsplit_once("\n\n").unwrap().1;
        let transplanted = format!("{}{moved}", note.rsplit_once("\n\n").unwrap().0.to_owned() + "\n\n");
        assert!(matches!(
            open(transplanted.as_bytes(), &[ml.verifier()]),
            Err(NoteError::InvalidSignature { .. })
        ));

        // Another cosigner name: the same key known as `w2`, a line by it as `w1`
        // renamed (with `w2`'s key ID): the signed message names `w1`.
        let key = SecretKey::from_bytes(KeyType::MlDsa44, &[7; 32]).unwrap();
        let (w1, w2) = (NoteSigner::new("w1", key.clone()).unwrap(), NoteSigner::new("w2", key).unwrap());
        let cosigned = cosign(note.as_bytes(), &w1).unwrap();
        let renamed = edit_line(&cosigned, 2, |name, raw| {
            *name = "w2".into();
            raw[..4].copy_from_slice(&w2.key_id().to_be_bytes());
        });
        assert!(matches!(
            open(renamed.as_bytes(), &[w2.verifier()]),
            Err(NoteError::InvalidSignature { .. })
        ));
        assert_eq!(cosigners(cosigned.as_bytes(), &[w1.verifier(), ed.verifier()]).unwrap(), 2);
    }
}
