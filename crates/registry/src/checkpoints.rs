//! The newest checkpoint this client has seen of each ledger, kept on disk so
//! that a ledger cannot roll back or fork what the client already accepted.
//! See: `specs/did-didam.md` (resolution, consistency with stored checkpoints).

use std::path::{Path, PathBuf};

use didam_ledger::note::{Checkpoint, NoteVerifier};
use sha2::Digest as _;

use crate::error::Error;

/// A folder of checkpoints, one file per ledger origin.
#[derive(Clone, Debug)]
pub struct CheckpointStore {
    dir: PathBuf,
}

impl CheckpointStore {
    /// Checkpoints kept in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, origin: &str) -> PathBuf {
        let digest = sha2::Sha256::digest(origin.as_bytes());
        let name: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.checkpoint"))
    }

    /// The newest stored checkpoint of the ledger `verifier` signs for, checked
    /// again against that key (a tampered file is an error, not a reset).
    pub fn newest(&self, verifier: &NoteVerifier) -> Result<Option<Checkpoint>, Error> {
        let path = self.file(verifier.name());
        match std::fs::read(&path) {
            Ok(note) => Checkpoint::open(&note, verifier)
                .map(|(cp, _)| Some(cp))
                .map_err(|e| Error::InvalidLedgerProof(format!("stored checkpoint {}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Store { path, source }),
        }
    }

    /// Stores `note` as the newest checkpoint of its ledger.
    pub fn save(&self, verifier: &NoteVerifier, note: &str) -> Result<(), Error> {
        let path = self.file(verifier.name());
        didam_ledger::file::write_atomic(&path, note.as_bytes())
            .map_err(|source| Error::Store { path, source })
    }
}
