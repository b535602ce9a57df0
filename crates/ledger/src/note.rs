//! Signed notes and transparency-log checkpoints.
//!
//! A signed note is a UTF-8 text followed by a blank line and one or more
//! signature lines (C2SP signed-note, <https://c2sp.org/signed-note>). A
//! checkpoint is a note whose text gives a log's origin, tree size and root hash
//! (C2SP tlog-checkpoint, <https://c2sp.org/tlog-checkpoint>). The ledger
//! publishes its tree heads as checkpoints.
//!
//! Only Ed25519 keys (signature type `0x01`) are supported. Key strings use the
//! formats of golang.org/x/mod/sumdb/note: verifier keys
//! `<name>+<hex key ID>+<base64(0x01 || public key)>` and signer keys
//! `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`. Signing and
//! verification go through `didam_credential`, the project's one home for
//! crypto.
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
use didam_credential::{KeyType, PublicKey, SecretKey};
use sha2::{Digest as _, Sha256};

/// The most signature lines [`open`] reads, and [`sign`] writes. Go uses the
/// same limit. The signed-note spec asks verifiers to accept at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// Signature type identifier of Ed25519 (signed-note, "Signature types").
const ALG_ED25519: u8 = 0x01;
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
    /// A key string names a signature type other than Ed25519 (`0x01`).
    #[error("unsupported note signature type 0x{0:02x} (only Ed25519, 0x01, is supported)")]
    UnsupportedAlgorithm(u8),
    /// A key of a type other than Ed25519 was given.
    #[error("note keys must be Ed25519, not {0}")]
    UnsupportedKeyType(KeyType),
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

/// A note signer: a key name and an Ed25519 secret key.
///
/// Its `Debug` output shows the name and key ID, never the key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SecretKey,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer for `key` under `name`. The name must be non-empty, without
    /// Unicode spaces, `+` or control characters (signed-note, "Format"); the
    /// key must be Ed25519.
    pub fn new(name: &str, key: SecretKey) -> Result<Self, NoteError> {
        check_name(name)?;
        if key.key_type() != KeyType::Ed25519 {
            return Err(NoteError::UnsupportedKeyType(key.key_type()));
        }
        let key_id = key_id(name, &encode_public_key(&key.public_key()));
        Ok(Self { name: name.to_owned(), key_id, key })
    }

    /// A signer from Go's signer key string
    /// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte seed)>`.
    /// The key ID must match the key.
    pub fn from_key_string(s: &str) -> Result<Self, NoteError> {
        let rest =
            s.strip_prefix(SIGNER_KEY_PREFIX).ok_or(malformed_key("signer keys start with PRIVATE+KEY+"))?;
        let parts = KeyString::parse(rest)?;
        let seed = WipeOnDrop(parts.key);
        let (alg, seed) = seed.0.split_first().ok_or(malformed_key("empty key"))?;
        if *alg != ALG_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(*alg));
        }
        if seed.len() != 32 {
            return Err(malformed_key("an Ed25519 seed is 32 bytes"));
        }
        let key = SecretKey::from_bytes(KeyType::Ed25519, seed)
            .map_err(|_| malformed_key("not an Ed25519 seed"))?;
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

    /// Go's signer key string, the inverse of [`NoteSigner::from_key_string`].
    /// It is the secret itself: zeroized on drop, never to be logged.
    pub fn to_key_string(&self) -> zeroize::Zeroizing<String> {
        let seed = self.key.to_bytes();
        let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(33));
        raw.push(ALG_ED25519);
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
    /// SHA-256(name || 0x0A || 0x01 || public key) (signed-note, "Ed25519 signatures").
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier of this signer's signatures.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key_id: self.key_id, key: self.key.public_key() }
    }
}

/// A note verifier key: a key name, its key ID and an Ed25519 public key.
///
/// Its text form (`Display`, [`NoteVerifier::to_vkey`]) is
/// `<name>+<hex key ID>+<base64(0x01 || public key)>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl NoteVerifier {
    /// A verifier for `key` under `name`. The name must be non-empty, without
    /// Unicode spaces, `+` or control characters; the key must be Ed25519.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, NoteError> {
        check_name(name)?;
        if key.key_type() != KeyType::Ed25519 {
            return Err(NoteError::UnsupportedKeyType(key.key_type()));
        }
        let key_id = key_id(name, &encode_public_key(&key));
        Ok(Self { name: name.to_owned(), key_id, key })
    }

    /// Parses a verifier key string `<name>+<hex key ID>+<base64(0x01 || public key)>`,
    /// checking the key ID against the key, as Go's `note.NewVerifier` does.
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
        if *alg != ALG_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(*alg));
        }
        if raw.len() != 32 {
            return Err(malformed_key("an Ed25519 public key is 32 bytes"));
        }
        let key = PublicKey::from_bytes(KeyType::Ed25519, raw)
            .map_err(|_| malformed_key("not a usable Ed25519 public key"))?;
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

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(encode_public_key(&self.key)))
    }

    /// The key's fingerprint as ssh shows one: `SHA256:` and the unpadded
    /// base64 of the SHA-256 of the encoded key (`0x01 || public key`), for
    /// people to compare out of band.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(encode_public_key(&self.key));
        format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest))
    }

    /// Whether `sig` (without the key ID) is a valid Ed25519 signature of `msg`
    /// by this key (RFC 8032).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.key.verify(msg, sig).is_ok()
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

/// The signature type byte followed by the 32-byte Ed25519 key.
fn encode_public_key(key: &PublicKey) -> Vec<u8> {
    let mut encoded = vec![ALG_ED25519];
    encoded.extend_from_slice(&key.to_bytes());
    encoded
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
    if signers.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures { max: MAX_SIGNATURES });
    }
    let mut note = String::with_capacity(text.len() + 1 + signers.len() * 128);
    note.push_str(text);
    note.push('\n');
    for signer in signers {
        let mut raw = signer.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&signer.key.sign(text.as_bytes()));
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

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID: the first four bytes of the decoded signature, big-endian.
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
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
        if !verifier.verify(text.as_bytes(), &signature.signature) {
            return Err(NoteError::InvalidSignature { name: signature.name, key_id: signature.key_id });
        }
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
}
