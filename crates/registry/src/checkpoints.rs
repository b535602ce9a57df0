//! The newest checkpoint this client has seen of each ledger, kept on disk so
//! that a ledger cannot roll back or fork what the client already accepted,
//! and the ledger operator's checkpoint key, pinned on first use.
//! See: `specs/did-didam.md` (resolution, consistency with stored checkpoints).
//!
//! Steps of a client's set-up ([`CheckpointStore::for_location`], then
//! [`CheckpointStore::pin_operator_of`]):
//! 1. one store per ledger location, in a folder of the client's data;
//! 2. the key the ledger announces (its recorded operator, or a daemon's
//!    checkpoint key) is written to the store on first use, and reported
//!    once ([`PinEvent::FirstUse`]) for the front end to tell;
//! 3. afterwards, a different announced key is accepted only through the
//!    ledger's handovers, each signed by the key pinned then (the pin moves,
//!    the old key is retired in the store for good: [`PinEvent::HandedOver`]);
//!    any other key is refused, a retired one always, and a key changed
//!    without a handover is trusted only by hand
//!    ([`CheckpointStore::trust_operator`], after an out-of-band check).
//!
//! See: `specs/did-didam.md#operator-key-handover`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use didam_ledger::note::{Checkpoint, NoteError, NoteVerifier};
use sha2::Digest as _;

use crate::error::Error;

mod pin;

pub use pin::{PinEvent, Pinned};

/// A folder of checkpoints, one file per ledger origin.
///
/// Notes already verified in this process are remembered (by their exact
/// bytes), so a busy resolver does not re-check the same signature.
#[derive(Debug, Default)]
pub struct CheckpointStore {
    dir: PathBuf,
    verified: Mutex<HashMap<Vec<u8>, Checkpoint>>,
    witnesses: Vec<NoteVerifier>,
    threshold: usize,
}

impl Clone for CheckpointStore {
    fn clone(&self) -> Self {
        Self::new(self.dir.clone()).with_witnesses(self.witnesses.clone(), self.threshold)
    }
}

impl CheckpointStore {
    const REMEMBERED: usize = 64;

    /// Checkpoints kept in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), verified: Mutex::new(HashMap::new()), witnesses: Vec::new(), threshold: 0 }
    }

    /// Accepts only checkpoints cosigned by at least `threshold` of
    /// `witnesses` (see `didam_ledger::cosign`).
    pub fn with_witnesses(mut self, witnesses: Vec<NoteVerifier>, threshold: usize) -> Self {
        self.witnesses = witnesses;
        self.threshold = threshold;
        self
    }

    /// Opens a checkpoint note signed by `verifier`, from memory when these
    /// exact bytes were verified before.
    pub fn open(&self, note: &[u8], verifier: &NoteVerifier) -> Result<Checkpoint, NoteError> {
        let key = [verifier.to_vkey().as_bytes(), b"\n", note].concat();
        if let Some(cp) = self.verified.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(cp);
        }
        let (cp, _) = Checkpoint::open(note, verifier)?;
        if self.threshold > 0 {
            let have = didam_ledger::note::cosigners(note, &self.witnesses)?;
            if have < self.threshold {
                return Err(NoteError::TooFewCosignatures { have, need: self.threshold });
            }
        }
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= Self::REMEMBERED {
                m.clear();
            }
            m.insert(key, cp.clone());
        }
        Ok(cp)
    }

    /// The store of the ledger at `location` (a file path or URL) in a
    /// folder of its own under `dir`.
    pub fn for_location(dir: &Path, location: &str) -> Self {
        let name: String =
            location.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        Self::new(dir.join(name))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding the pinned operator key.
    pub fn operator_pin(&self) -> PathBuf {
        self.dir.join("operator.vkey")
    }

    pub(crate) fn file(&self, origin: &str) -> PathBuf {
        let digest = sha2::Sha256::digest(origin.as_bytes());
        let name: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.checkpoint"))
    }

    /// The newest stored checkpoint of the ledger `verifier` signs for, checked
    /// again against that key (a tampered file is an error, not a reset).
    pub fn newest(&self, verifier: &NoteVerifier) -> Result<Option<Checkpoint>, Error> {
        let path = self.file(verifier.name());
        match std::fs::read(&path) {
            Ok(note) => self
                .open(&note, verifier)
                .map(Some)
                .map_err(|e| Error::InvalidLedgerProof(format!("stored checkpoint {}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Store { path, source }),
        }
    }

    /// Stores `note` as the newest checkpoint of its ledger. In a folder
    /// this process may not write (a read-only data folder) nothing is
    /// stored and this succeeds: the note was checked against the stored
    /// checkpoint before, so what the client saw stays protected, and
    /// reading never needs to write.
    pub fn save(&self, verifier: &NoteVerifier, note: &str) -> Result<(), Error> {
        let path = self.file(verifier.name());
        match didam_ledger::file::write_atomic(&path, note.as_bytes()) {
            Err(e) if didam_ledger::file::is_read_only(&e) => Ok(()),
            written => written.map_err(|source| Error::Store { path, source }),
        }
    }
}
