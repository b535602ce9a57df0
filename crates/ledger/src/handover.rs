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

use crate::note::{self, Checkpoint, NoteError, NoteSigner, NoteVerifier};

/// The extension line's first word.
const EXTENSION: &str = "didam-operator";

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
}
