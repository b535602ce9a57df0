//! Handing the operator's checkpoint key over to a new key, in a way a
//! verifier that pinned the old key can check (`specs/did-didam.md`,
//! "Operator key handover").
//!
//! A handover is a checkpoint note of the ledger whose text carries, after
//! the tips line, the extension line `didam-operator <new vkey>`, signed by
//! the old key (the ledger's operator until then: it vouches for the new key)
//! and by the new key (which proves it is held). From then on:
//! 1. the ledger records the new key as its operator and the handover, in
//!    the same transaction ([`crate::Ledger::replace_operator`]);
//! 2. the old key is retired for good: the ledger never records a second
//!    handover from it nor signs a checkpoint with it, so the first handover
//!    after a leak wins;
//! 3. a verifier that pinned the old key follows the handover once
//!    ([`Handover::open`] with the pinned key, then a consistency proof from
//!    the checkpoint it stored to the handover's), pins the new key, and
//!    refuses the old one afterwards (`didam_registry::CheckpointStore`).
//!
//! Because the note is signed by both keys, it is also the first checkpoint
//! of the new key: a verifier that pins the new key reads it as one.
//!
//! The operator's ML-DSA-44 key is vouched for the same way: every
//! checkpoint signed by an Ed25519 key with an ML-DSA-44 companion carries
//! the extension line `didam-operator-ml-dsa-44 <fingerprint>` naming the
//! companion ([`pq_vouch_extension`]). The Ed25519 signature covers it (the
//! ML-DSA-44 cosignature line covers no extension line), so a verifier that
//! pinned the Ed25519 key accepts an announced ML-DSA-44 key only when a
//! checkpoint that key signed names it ([`vouches_for`]), never on first use
//! alone. A handover note names the new key's companion the same way.

use crate::note::{self, Checkpoint, NoteError, NoteSigner, NoteVerifier};

/// The extension line's first word.
const EXTENSION: &str = "didam-operator";

/// The first word of the extension line by which the operator's Ed25519 key
/// vouches for its ML-DSA-44 key.
const PQ_EXTENSION: &str = "didam-operator-ml-dsa-44";

/// The extension line by which a checkpoint signed with the operator's
/// Ed25519 key vouches for `pq`, its ML-DSA-44 key: `didam-operator-ml-dsa-44`
/// and the key's [fingerprint](NoteVerifier::fingerprint) (the SHA-256 of
/// the encoded key; the key itself is announced beside the Ed25519 one).
pub fn pq_vouch_extension(pq: &NoteVerifier) -> String {
    format!("{PQ_EXTENSION} {}", pq.fingerprint())
}

/// `checkpoint` with the line vouching for `signer`'s ML-DSA-44 companion
/// when it has one and the checkpoint does not name it yet.
pub fn vouched(mut checkpoint: Checkpoint, signer: &NoteSigner) -> Checkpoint {
    if let Some(pq) = signer.pq_verifier() {
        let line = pq_vouch_extension(&pq);
        if !checkpoint.extensions.contains(&line) {
            checkpoint.extensions.push(line);
        }
    }
    checkpoint
}

/// Whether `note` is a checkpoint signed by `operator` (the Ed25519 key a
/// verifier pinned) whose text vouches for `pq` ([`pq_vouch_extension`]).
/// A note `operator` did not sign vouches for nothing.
pub fn vouches_for(note: &[u8], operator: &NoteVerifier, pq: &NoteVerifier) -> bool {
    let line = pq_vouch_extension(pq);
    Checkpoint::open(note, operator).is_ok_and(|(checkpoint, _)| checkpoint.extensions.contains(&line))
}

/// Whether `note`, the latest checkpoint, must be signed again by `signer`
/// (at the same size): `signer` has an ML-DSA-44 companion whose
/// signature, or whose vouching line signed by `signer`, the note lacks
/// (the operator just added the key).
pub fn needs_pq_vouch(note: &[u8], signer: &NoteSigner) -> bool {
    signer
        .pq_verifier()
        .is_some_and(|pq| !note::has_line_by(note, &pq) || !vouches_for(note, &signer.verifier(), &pq))
}

/// Why an operator key was not handed over, or a handover note was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// The key handing over is not the ledger's operator.
    #[error("{key} is not this ledger's operator (the operator is {})", operator.as_deref().unwrap_or("not recorded"))]
    NotOperator {
        /// The ledger's operator, if any.
        operator: Option<String>,
        /// The key that tried to hand over.
        key: String,
    },
    /// The key was handed over already: it is retired for good.
    #[error("{key} is retired: it handed this ledger over to {successor}")]
    Retired {
        /// The retired key.
        key: String,
        /// The key it handed over to (the first handover wins).
        successor: String,
    },
    /// This backend's operator key is not handed over through a client (a
    /// daemon's: its operator hands it over where the daemon runs).
    #[error("this ledger's operator key is handed over where its daemon runs, not through this client")]
    NotHere,
    /// The old and the new key are the same.
    #[error("a handover needs a new key")]
    SameKey,
    /// A key is named for another ledger than this one.
    #[error("the key `{name}` is not named for the ledger `{origin}`")]
    OtherOrigin {
        /// The ledger's origin.
        origin: String,
        /// The key's name.
        name: String,
    },
    /// The note is not a handover: not signed by the key, not a checkpoint,
    /// no `didam-operator` line, or not signed by the key it names.
    #[error("not a handover by this key: {0}")]
    Note(#[source] NoteError),
    /// The note is a checkpoint with no `didam-operator` line.
    #[error("the checkpoint names no new operator key")]
    NoNewKey,
}

/// A verified handover note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handover {
    /// The checkpoint it signs (the tree when the key was handed over).
    pub checkpoint: Checkpoint,
    /// The retired key.
    pub old: NoteVerifier,
    /// The new operator key.
    pub new: NoteVerifier,
}

impl Handover {
    /// The extension line naming `new` as the operator key.
    pub fn extension(new: &NoteVerifier) -> String {
        format!("{EXTENSION} {}", new.to_vkey())
    }

    /// Signs `checkpoint` (to which the `didam-operator` line is added) as
    /// the handover from `old` to `new`: the signed note.
    pub fn sign(
        checkpoint: &Checkpoint,
        old: &NoteSigner,
        new: &NoteSigner,
    ) -> Result<String, OperatorError> {
        Self::check_keys(&checkpoint.origin, &old.verifier(), &new.verifier())?;
        let mut checkpoint = checkpoint.clone();
        checkpoint.extensions.push(Self::extension(&new.verifier()));
        let checkpoint = vouched(checkpoint, new);
        let text = checkpoint.to_text();
        if Checkpoint::parse(&text).map_err(OperatorError::Note)? != checkpoint {
            return Err(OperatorError::Note(NoteError::InvalidCheckpoint {
                reason: "a field holds a newline",
            }));
        }
        note::sign(&text, &[old, new]).map_err(OperatorError::Note)
    }

    /// Opens `note` as a handover by `old`: a checkpoint of `old`'s ledger
    /// signed by `old`, naming one new key of the same ledger that signed it
    /// too.
    pub fn open(note: &[u8], old: &NoteVerifier) -> Result<Self, OperatorError> {
        let (checkpoint, _) = Checkpoint::open(note, old).map_err(OperatorError::Note)?;
        let mut named = checkpoint.extensions.iter().filter_map(|l| l.strip_prefix("didam-operator "));
        let vkey = named.next().ok_or(OperatorError::NoNewKey)?;
        if named.next().is_some() {
            return Err(OperatorError::Note(NoteError::InvalidCheckpoint {
                reason: "more than one didam-operator line",
            }));
        }
        let new = NoteVerifier::parse(vkey).map_err(OperatorError::Note)?;
        Self::check_keys(&checkpoint.origin, old, &new)?;
        Checkpoint::open(note, &new).map_err(OperatorError::Note)?;
        Ok(Self { checkpoint, old: old.clone(), new })
    }

    /// Both keys are named for the ledger `origin`, and differ.
    fn check_keys(origin: &str, old: &NoteVerifier, new: &NoteVerifier) -> Result<(), OperatorError> {
        if old == new {
            return Err(OperatorError::SameKey);
        }
        for key in [old, new] {
            if key.name() != origin {
                return Err(OperatorError::OtherOrigin {
                    origin: origin.to_owned(),
                    name: key.name().to_owned(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use didam_credential::{KeyType, SecretKey};

    fn signer(name: &str) -> NoteSigner {
        NoteSigner::new(name, SecretKey::generate(KeyType::Ed25519)).unwrap()
    }

    #[test]
    fn a_handover_opens_with_the_old_key_and_reads_as_a_checkpoint_of_the_new() {
        let (old, new) = (signer("example.test/l"), signer("example.test/l"));
        let checkpoint =
            Checkpoint { origin: "example.test/l".into(), size: 4, root: [3; 32], extensions: vec![] };
        let note = Handover::sign(&checkpoint, &old, &new).unwrap();
        let opened = Handover::open(note.as_bytes(), &old.verifier()).unwrap();
        assert_eq!((opened.new, opened.checkpoint.size), (new.verifier(), 4));
        assert!(Checkpoint::open(note.as_bytes(), &new.verifier()).is_ok());
        // Opened with the new key, it names no handover by the new key.
        assert!(matches!(Handover::open(note.as_bytes(), &new.verifier()), Err(OperatorError::SameKey)));
        // A plain checkpoint is not a handover; nor a key of another ledger.
        let plain = checkpoint.sign(&old).unwrap();
        assert!(matches!(Handover::open(plain.as_bytes(), &old.verifier()), Err(OperatorError::NoNewKey)));
        let other = signer("example.test/other");
        assert!(matches!(Handover::sign(&checkpoint, &old, &other), Err(OperatorError::OtherOrigin { .. })));
        assert!(matches!(Handover::sign(&checkpoint, &old, &old), Err(OperatorError::SameKey)));
        // Naming a key that did not sign: refused.
        let mut forged = checkpoint.clone();
        forged.extensions.push(Handover::extension(&new.verifier()));
        let forged = forged.sign(&old).unwrap();
        assert!(matches!(Handover::open(forged.as_bytes(), &old.verifier()), Err(OperatorError::Note(_))));
    }

    fn with_pq(name: &str) -> NoteSigner {
        let pq = NoteSigner::new(name, SecretKey::generate(KeyType::MlDsa44)).unwrap();
        signer(name).with_pq(pq).unwrap()
    }

    #[test]
    fn the_ed25519_key_vouches_for_its_ml_dsa_companion_and_for_no_other_key() {
        let operator = with_pq("example.test/l");
        let pq = operator.pq_verifier().unwrap();
        let checkpoint =
            Checkpoint { origin: "example.test/l".into(), size: 4, root: [3; 32], extensions: vec![] };
        let note = vouched(checkpoint.clone(), &operator).sign(&operator).unwrap();
        assert!(vouches_for(note.as_bytes(), &operator.verifier(), &pq));
        assert!(!needs_pq_vouch(note.as_bytes(), &operator));
        // Vouched once: signing again adds no second line.
        let again = vouched(vouched(checkpoint.clone(), &operator), &operator);
        assert_eq!(again.extensions.len(), 1);
        // Another ML-DSA-44 key, with the same name: not vouched for.
        let stranger = with_pq("example.test/l").pq_verifier().unwrap();
        assert!(!vouches_for(note.as_bytes(), &operator.verifier(), &stranger));
        // The line in a note the pinned Ed25519 key did not sign: nothing.
        let other = with_pq("example.test/l");
        let mut forged = checkpoint.clone();
        forged.extensions.push(pq_vouch_extension(&pq));
        let forged = forged.sign(&other).unwrap();
        assert!(!vouches_for(forged.as_bytes(), &operator.verifier(), &pq));
        // A checkpoint with the ML-DSA-44 line but no vouching line (cosigned
        // after the fact) must be signed again; a classical one need not.
        let cosigned = note::cosign(
            checkpoint.sign(&signer("example.test/l")).unwrap().as_bytes(),
            operator.pq().unwrap(),
        )
        .unwrap();
        assert!(needs_pq_vouch(cosigned.as_bytes(), &operator));
        let classical = signer("example.test/l");
        assert!(!needs_pq_vouch(checkpoint.sign(&classical).unwrap().as_bytes(), &classical));
        // A handover names the new key's companion.
        let (old, new) = (with_pq("example.test/l"), with_pq("example.test/l"));
        let handover = Handover::sign(&checkpoint, &old, &new).unwrap();
        assert!(vouches_for(handover.as_bytes(), &new.verifier(), &new.pq_verifier().unwrap()));
        assert!(!vouches_for(handover.as_bytes(), &new.verifier(), &old.pq_verifier().unwrap()));
    }
}
