//! The ledger operator's checkpoint key, pinned on first use and moved only
//! along handovers the pinned key signed (`specs/did-didam.md`, "Operator key
//! handover").
//!
//! The pin file (`operator.vkey` in the store's folder) holds the pinned key
//! on its first line and each retired key on a line `retired <vkey>`; it is
//! rewritten whole (atomically) when it changes. How a pinned client decides
//! on the key a ledger announces ([`CheckpointStore::pin_operator_of`]):
//! 1. no pin yet: the announced key is pinned ([`PinEvent::FirstUse`]);
//! 2. the pinned key: accepted;
//! 3. a retired key: refused, always ([`PinError::Retired`]);
//! 4. otherwise the ledger's handovers are walked, oldest first: a handover
//!    signed by the key pinned at that point (and by the key it names) whose
//!    checkpoint is consistent with the checkpoint this client stored moves
//!    the pin to the new key and retires the old one; handovers by other keys
//!    are passed over (so only the first handover by a key is ever followed);
//! 5. the announced key must be the one reached, or it is refused
//!    ([`PinError::Changed`]): a key changed without a handover is trusted
//!    only by hand ([`CheckpointStore::trust_operator`]).
//!
//! The operator's ML-DSA-44 key, announced beside the Ed25519 one, is pinned
//! on the line `pq <vkey>` ([`CheckpointStore::pin_pq_operator`]) on its
//! first use only when the pinned Ed25519 key vouches for it: the ledger's
//! latest checkpoint, signed by that key, names it on a
//! `didam-operator-ml-dsa-44` line (`didam_ledger::handover::vouches_for`);
//! an announced key no checkpoint vouches for is refused
//! ([`PinError::PqNotVouched`]), so whoever can only change what the ledger
//! announces cannot slip a key of theirs in. Once pinned, a different one is
//! refused ([`PinError::PqChanged`]); one no longer announced stays pinned
//! (its signature stays required: dropping it is a downgrade). A handover,
//! or trusting a key by hand, drops the ML-DSA-44 pin: the new operator's
//! ML-DSA-44 key is pinned on its first use, vouched for by the new key.

use didam_ledger::Ledger;
use didam_ledger::handover::{self, Handover, OperatorError};
use didam_ledger::merkle::{self, Hash};
use didam_ledger::note::{NoteError, NoteVerifier};

use super::CheckpointStore;
use crate::error::PinError;

/// Something pinning changed, reported once for the front end to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinEvent {
    /// The ledger's key was pinned for the first time (trust on first use):
    /// check it out of band (its [`NoteVerifier::fingerprint`]).
    FirstUse {
        /// The key pinned.
        key: NoteVerifier,
    },
    /// The pin moved along a handover the pinned key signed.
    HandedOver {
        /// The key retired.
        from: NoteVerifier,
        /// The key pinned now.
        to: NoteVerifier,
        /// The tree size of the handover's checkpoint.
        size: u64,
    },
    /// The ledger's ML-DSA-44 checkpoint key was pinned for the first time:
    /// from now on its checkpoints must carry its signature.
    PqFirstUse {
        /// The key pinned.
        key: NoteVerifier,
    },
    /// The pin was moved by hand ([`CheckpointStore::trust_operator`]).
    Trusted {
        /// The key retired.
        from: NoteVerifier,
        /// The key pinned now.
        to: NoteVerifier,
    },
}

/// The key a client trusts for a ledger's checkpoints, and what pinning it
/// changed.
#[derive(Clone, Debug)]
pub struct Pinned {
    /// The pinned key.
    pub key: NoteVerifier,
    /// What changed (empty when the pin was already this key).
    pub events: Vec<PinEvent>,
}

/// The pin file's contents.
struct PinFile {
    current: String,
    retired: Vec<String>,
    pq: Option<String>,
}

impl PinFile {
    fn parse(text: &str) -> Self {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let current = lines.next().unwrap_or_default().to_owned();
        let rest: Vec<&str> = lines.collect();
        let retired =
            rest.iter().filter_map(|l| l.strip_prefix("retired ")).map(|k| k.trim().to_owned()).collect();
        let pq = rest.iter().find_map(|l| l.strip_prefix("pq ")).map(|k| k.trim().to_owned());
        Self { current, retired, pq }
    }

    fn text(&self) -> String {
        let mut text = format!("{}\n", self.current);
        for key in &self.retired {
            text.push_str(&format!("retired {key}\n"));
        }
        if let Some(pq) = &self.pq {
            text.push_str(&format!("pq {pq}\n"));
        }
        text
    }
}

impl CheckpointStore {
    /// The pinned key, if any.
    pub fn pinned_operator(&self) -> Result<Option<NoteVerifier>, PinError> {
        self.read_pin()?
            .map(|pin| NoteVerifier::parse(&pin.current).map_err(PinError::InvalidKey))
            .transpose()
    }

    /// The pinned ML-DSA-44 key, if any.
    pub fn pinned_pq_operator(&self) -> Result<Option<NoteVerifier>, PinError> {
        let Some(pin) = self.read_pin()? else { return Ok(None) };
        pin.pq.as_deref().map(|k| NoteVerifier::parse(k).map_err(PinError::InvalidKey)).transpose()
    }

    /// Pins `announced`, the ML-DSA-44 key (`vkey`, type `0x06`) the ledger
    /// announces beside its Ed25519 key, on first use (after
    /// [`Self::pin_operator_of`]) when `latest`, the ledger's latest
    /// checkpoint note, is signed by the pinned Ed25519 key and vouches for
    /// it; returns the key pinned now (`None`: the ledger has none) and what
    /// changed. A key of another type or origin is invalid; one no
    /// checkpoint vouches for is refused ([`PinError::PqNotVouched`]); a
    /// different key than the pinned one is refused
    /// ([`PinError::PqChanged`]); a pinned key the ledger no longer announces
    /// stays pinned.
    pub fn pin_pq_operator(
        &self,
        announced: Option<&str>,
        latest: Option<&[u8]>,
    ) -> Result<(Option<NoteVerifier>, Vec<PinEvent>), PinError> {
        let Some(mut pin) = self.read_pin()? else { return Err(PinError::NoOperator) };
        let announced = announced.map(str::trim).filter(|a| !a.is_empty());
        match (&pin.pq, announced) {
            (None, None) => Ok((None, Vec::new())),
            (Some(pinned), None) => {
                Ok((Some(NoteVerifier::parse(pinned).map_err(PinError::InvalidKey)?), Vec::new()))
            }
            (Some(pinned), Some(a)) if pinned == a => {
                Ok((Some(NoteVerifier::parse(a).map_err(PinError::InvalidKey)?), Vec::new()))
            }
            (Some(pinned), Some(a)) => Err(PinError::PqChanged {
                pinned: pinned.clone(),
                announced: a.to_owned(),
                path: self.operator_pin(),
            }),
            (None, Some(a)) => {
                let key = NoteVerifier::parse(a).map_err(PinError::InvalidKey)?;
                let operator = NoteVerifier::parse(&pin.current).map_err(PinError::InvalidKey)?;
                if key.security() != didam_credential::Security::QuantumSafe || key.name() != operator.name()
                {
                    return Err(PinError::InvalidKey(NoteError::InvalidCompanion));
                }
                if !latest.is_some_and(|note| handover::vouches_for(note, &operator, &key)) {
                    return Err(PinError::PqNotVouched {
                        key: format!("{}+{:08x} ({})", key.name(), key.key_id(), key.fingerprint()),
                        operator: format!("{}+{:08x}", operator.name(), operator.key_id()),
                    });
                }
                pin.pq = Some(a.to_owned());
                self.write_pin(&pin)?;
                Ok((Some(key.clone()), vec![PinEvent::PqFirstUse { key }]))
            }
        }
    }

    /// Trusts `announced`, the note verifier key (`vkey`) the ledger says
    /// signs its checkpoints (`None`: it has no operator yet), on first use:
    /// pins it, and afterwards refuses any other key (no handover is
    /// followed here: see [`Self::pin_operator_of`]).
    pub fn pin_operator(&self, announced: Option<&str>) -> Result<Pinned, PinError> {
        let (announced, key) = parse_announced(announced)?;
        match self.read_pin()? {
            None => self.first_use(key),
            Some(pin) if pin.current == announced => Ok(Pinned { key, events: Vec::new() }),
            Some(pin) => Err(self.refusal(&pin, announced)),
        }
    }

    /// [`Self::pin_operator`], following the handovers `ledger` recorded
    /// (see the module doc, steps 4 and 5).
    pub async fn pin_operator_of<L: Ledger>(
        &self,
        ledger: &L,
        announced: Option<&str>,
    ) -> Result<Pinned, PinError> {
        let (announced, key) = parse_announced(announced)?;
        let mut pin = match self.pin_to_move(announced, key)? {
            Ok(pin) => pin,
            Err(settled) => return Ok(settled),
        };
        let mut current = NoteVerifier::parse(&pin.current).map_err(PinError::InvalidKey)?;
        let mut events = Vec::new();
        for note in ledger.handovers().await.map_err(PinError::Ledger)? {
            let handover = match Handover::open(note.as_bytes(), &current) {
                Ok(handover) => handover,
                // Signed by another key: an earlier handover, or not ours to follow.
                Err(OperatorError::Note(NoteError::Unverified { .. })) => continue,
                Err(source) => return Err(PinError::Handover { key: current.to_vkey(), source }),
            };
            let next = handover.new.to_vkey();
            if pin.retired.contains(&next) {
                return Err(PinError::Retired { key: next, pinned: pin.current });
            }
            // Cosigned as the store's witness policy requires.
            self.open(note.as_bytes(), &handover.new)
                .map_err(|e| PinError::Handover { key: current.to_vkey(), source: OperatorError::Note(e) })?;
            self.check_consistent(ledger, &current, &handover).await?;
            self.save(&handover.new, &note).map_err(|e| PinError::Stored(Box::new(e)))?;
            pin.retired.push(std::mem::replace(&mut pin.current, next));
            // The new operator's ML-DSA-44 key (if any) is pinned anew.
            pin.pq = None;
            self.write_pin(&pin)?;
            let size = handover.checkpoint.size;
            events.push(PinEvent::HandedOver { from: current, to: handover.new.clone(), size });
            current = handover.new;
        }
        if pin.current == announced {
            return Ok(Pinned { key: current, events });
        }
        Err(self.refusal(&pin, announced))
    }

    /// Pins `given` by hand, after the user checked it out of band: the
    /// ledger must announce it, and it must not be a retired key. The key
    /// pinned before is retired, and the checkpoint stored under it dropped
    /// (the new key cannot open it; consistency starts again from the next
    /// checkpoint).
    pub fn trust_operator(&self, announced: Option<&str>, given: &str) -> Result<Pinned, PinError> {
        let (announced, key) = parse_announced(announced)?;
        if given.trim() != announced {
            return Err(PinError::NotAnnounced {
                given: given.trim().to_owned(),
                announced: announced.to_owned(),
            });
        }
        let mut pin = match self.pin_to_move(announced, key.clone())? {
            Ok(pin) => pin,
            Err(settled) => return Ok(settled),
        };
        let from = NoteVerifier::parse(&pin.current).map_err(PinError::InvalidKey)?;
        let stored = self.file(from.name());
        match std::fs::remove_file(&stored) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(PinError::Write { path: stored, source: e });
            }
            _ => {}
        }
        pin.retired.push(std::mem::replace(&mut pin.current, announced.to_owned()));
        pin.pq = None;
        self.write_pin(&pin)?;
        Ok(Pinned { key: key.clone(), events: vec![PinEvent::Trusted { from, to: key }] })
    }

    /// The handover's checkpoint extends the checkpoint stored under
    /// `current` (the key that signed the handover).
    async fn check_consistent<L: Ledger>(
        &self,
        ledger: &L,
        current: &NoteVerifier,
        handover: &Handover,
    ) -> Result<(), PinError> {
        let Some(seen) = self.newest(current).map_err(|e| PinError::Stored(Box::new(e)))? else {
            return Ok(());
        };
        let size = handover.checkpoint.size;
        let inconsistent = |reason: String| PinError::Inconsistent { size, seen: seen.size, reason };
        if seen.size > size {
            return Err(inconsistent("the old key signed a larger tree than the one it handed over".into()));
        }
        let proof = ledger.consistency_proof(seen.size, size).await.map_err(PinError::Ledger)?;
        merkle::verify_consistency(seen.size, size, &Hash(seen.root), &Hash(handover.checkpoint.root), &proof)
            .map_err(|e| inconsistent(e.to_string()))
    }

    /// Where the stored pin stands against `announced` (parsed as `key`):
    /// settled (`Ok(Err(_))`) when nothing was pinned (pinned now, on first
    /// use) or `announced` is the pinned key; refused when it is a retired
    /// key; otherwise (`Ok(Ok(pin))`) the pin that would have to move to it.
    fn pin_to_move(&self, announced: &str, key: NoteVerifier) -> Result<Result<PinFile, Pinned>, PinError> {
        match self.read_pin()? {
            None => self.first_use(key).map(Err),
            Some(pin) if pin.current == announced => Ok(Err(Pinned { key, events: Vec::new() })),
            Some(pin) if pin.retired.iter().any(|r| r == announced) => Err(self.refusal(&pin, announced)),
            Some(pin) => Ok(Ok(pin)),
        }
    }

    fn first_use(&self, key: NoteVerifier) -> Result<Pinned, PinError> {
        self.write_pin(&PinFile { current: key.to_vkey(), retired: Vec::new(), pq: None })?;
        Ok(Pinned { key: key.clone(), events: vec![PinEvent::FirstUse { key }] })
    }

    /// The error for `announced`, which the pin does not accept.
    fn refusal(&self, pin: &PinFile, announced: &str) -> PinError {
        if pin.retired.iter().any(|r| r == announced) {
            return PinError::Retired { key: announced.to_owned(), pinned: pin.current.clone() };
        }
        PinError::Changed {
            pinned: pin.current.clone(),
            announced: announced.to_owned(),
            path: self.operator_pin(),
        }
    }

    fn read_pin(&self) -> Result<Option<PinFile>, PinError> {
        let path = self.operator_pin();
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(PinFile::parse(&text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(PinError::Read { path, source }),
        }
    }

    fn write_pin(&self, pin: &PinFile) -> Result<(), PinError> {
        let path = self.operator_pin();
        didam_ledger::file::write_atomic(&path, pin.text().as_bytes())
            .map_err(|source| PinError::Write { path, source })
    }
}

/// The announced key, trimmed and parsed.
fn parse_announced(announced: Option<&str>) -> Result<(&str, NoteVerifier), PinError> {
    let announced = announced.ok_or(PinError::NoOperator)?.trim();
    let key = NoteVerifier::parse(announced).map_err(PinError::InvalidKey)?;
    Ok((announced, key))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use didam_credential::{KeyType, SecretKey};
    use didam_ledger::note::NoteSigner;

    fn vkey(origin: &str) -> String {
        NoteSigner::new(origin, SecretKey::generate(KeyType::Ed25519)).unwrap().verifier().to_vkey()
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("didam-pin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_operator_key_is_pinned_on_first_use_and_said_once() {
        let dir = temp("first");
        let store = CheckpointStore::for_location(&dir, "http://127.0.0.1:8080");
        assert_eq!(store.dir(), dir.join("http___127_0_0_1_8080"));
        assert!(matches!(store.pin_operator(None), Err(PinError::NoOperator)));
        assert!(matches!(store.pin_operator(Some("not a key")), Err(PinError::InvalidKey(_))));
        assert!(!store.operator_pin().exists(), "nothing is pinned before a valid key");

        let (first, second) = (vkey("example.test/a"), vkey("example.test/a"));
        let pinned = store.pin_operator(Some(&first)).unwrap();
        assert_eq!(pinned.key.to_vkey(), first);
        assert!(matches!(&pinned.events[..], [PinEvent::FirstUse { key }] if key.to_vkey() == first));
        // Never again for this ledger.
        assert!(store.pin_operator(Some(&format!("{first}\n"))).unwrap().events.is_empty());
        match store.pin_operator(Some(&second)) {
            Err(PinError::Changed { pinned, announced, path }) => {
                assert_eq!((pinned, announced, path), (first.clone(), second.clone(), store.operator_pin()));
            }
            other => panic!("a changed key is refused: {other:?}"),
        }
        // Trusted by hand: only the announced key; the old one is retired.
        assert!(matches!(store.trust_operator(Some(&second), &first), Err(PinError::NotAnnounced { .. })));
        let moved = store.trust_operator(Some(&second), &second).unwrap();
        assert!(matches!(&moved.events[..], [PinEvent::Trusted { .. }]));
        assert!(matches!(store.pin_operator(Some(&first)), Err(PinError::Retired { .. })));
        assert!(matches!(store.trust_operator(Some(&first), &first), Err(PinError::Retired { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_pin_file_of_one_line_is_read_as_the_pinned_key() {
        let dir = temp("old-format");
        let store = CheckpointStore::new(&dir);
        let key = vkey("example.test/a");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(store.operator_pin(), &key).unwrap();
        assert_eq!(store.pinned_operator().unwrap().unwrap().to_vkey(), key);
        assert!(store.pin_operator(Some(&key)).unwrap().events.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
