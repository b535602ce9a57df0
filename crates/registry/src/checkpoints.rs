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
//! The operator may add an ML-DSA-44 checkpoint key beside its Ed25519 one
//! (C2SP tlog-cosignature type `0x06`, `specs/did-didam.md`, "Quantum-safe
//! checkpoints"): it is pinned on first use too
//! ([`CheckpointStore::pin_pq_operator`]), and from then on each checkpoint
//! must carry its valid signature ([`CheckpointStore::with_pq_key`]); a store
//! that requires quantum-safe checkpoints ([`CheckpointStore::require_pq`])
//! refuses a ledger that has no such key.
//!
//! See: `specs/did-didam.md#operator-key-handover`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use didam_credential::Security;
use didam_ledger::note::{self, Checkpoint, NoteError, NoteVerifier};
use sha2::Digest as _;

use crate::error::Error;

mod pin;

pub use pin::{PinEvent, Pinned};

/// How far in the future an ML-DSA-44 cosignature's timestamp may be (clock
/// skew between the ledger and this client), in seconds.
pub(crate) const MAX_FUTURE_SKEW: u64 = 600;

/// One verified signature of the ledger on a checkpoint, for reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointSignature {
    /// The key: `<name>+<hex key ID>`.
    pub key: String,
    /// Classical (Ed25519) or quantum-safe (ML-DSA-44).
    pub security: Security,
    /// The ML-DSA-44 cosignature's timestamp (POSIX seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

/// A checkpoint opened by [`CheckpointStore::open_checked`], with the
/// ledger's signatures on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The ledger's verified signatures: the Ed25519 key's, then the
    /// ML-DSA-44 key's when it signed.
    pub signatures: Vec<CheckpointSignature>,
}

impl OpenedCheckpoint {
    /// The timestamp of the ledger's ML-DSA-44 cosignature, if it has one.
    pub fn pq_timestamp(&self) -> Option<u64> {
        self.signatures.iter().find(|s| s.security == Security::QuantumSafe).and_then(|s| s.timestamp)
    }
}

/// A folder of checkpoints, one file per ledger origin.
///
/// Notes already verified in this process are remembered (by their exact
/// bytes), so a busy resolver does not re-check the same signature.
#[derive(Debug, Default)]
pub struct CheckpointStore {
    dir: PathBuf,
    verified: Mutex<HashMap<Vec<u8>, OpenedCheckpoint>>,
    witnesses: Vec<NoteVerifier>,
    threshold: usize,
    pq_key: Option<NoteVerifier>,
    require_pq: bool,
}

impl Clone for CheckpointStore {
    fn clone(&self) -> Self {
        Self::new(self.dir.clone())
            .with_witnesses(self.witnesses.clone(), self.threshold)
            .with_pq_key(self.pq_key.clone())
            .require_pq(self.require_pq)
    }
}

impl CheckpointStore {
    const REMEMBERED: usize = 64;

    /// Checkpoints kept in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            verified: Mutex::new(HashMap::new()),
            witnesses: Vec::new(),
            threshold: 0,
            pq_key: None,
            require_pq: false,
        }
    }

    /// The ledger's ML-DSA-44 checkpoint key (pinned, or the daemon's own):
    /// every checkpoint opened must then carry its valid `0x06` signature
    /// beside the Ed25519 one (a stripped line is a downgrade).
    pub fn with_pq_key(mut self, key: Option<NoteVerifier>) -> Self {
        self.pq_key = key;
        self
    }

    /// Requires quantum-safe checkpoints: with no ML-DSA-44 key for the
    /// ledger, every checkpoint is refused ([`NoteError::NoQuantumSafeKey`]).
    pub fn require_pq(mut self, require: bool) -> Self {
        self.require_pq = require;
        self
    }

    /// The ML-DSA-44 key checkpoints must be signed with, if any.
    pub fn pq_key(&self) -> Option<&NoteVerifier> {
        self.pq_key.as_ref()
    }

    /// Accepts only checkpoints cosigned by at least `threshold` of
    /// `witnesses` (see `didam_ledger::cosign`).
    pub fn with_witnesses(mut self, witnesses: Vec<NoteVerifier>, threshold: usize) -> Self {
        self.witnesses = witnesses;
        self.threshold = threshold;
        self
    }

    /// Opens a checkpoint note signed by `verifier`, from memory when these
    /// exact bytes were verified before (see [`Self::open_checked`]).
    pub fn open(&self, note: &[u8], verifier: &NoteVerifier) -> Result<Checkpoint, NoteError> {
        self.open_checked(note, verifier).map(|o| o.checkpoint)
    }

    /// Opens a checkpoint note: it must carry a valid signature by
    /// `verifier` (Ed25519), a valid ML-DSA-44 signature by this store's
    /// ML-DSA-44 key when it has one (with a timestamp at most
    /// ten minutes ahead), and the witness cosignatures the store
    /// requires. Errors: the note's ([`note::open`]);
    /// [`NoteError::NoQuantumSafeKey`] when quantum-safe checkpoints are
    /// required and no ML-DSA-44 key is known;
    /// [`NoteError::MissingQuantumSafeSignature`];
    /// [`NoteError::BadTimestamp`]; [`NoteError::TooFewCosignatures`].
    pub fn open_checked(&self, note: &[u8], verifier: &NoteVerifier) -> Result<OpenedCheckpoint, NoteError> {
        self.open_as(note, verifier, true)
    }

    /// [`Self::open_checked`]; when `require` is false, an ML-DSA-44 line is
    /// checked if present but not required (a stored checkpoint, accepted
    /// before the key was pinned).
    fn open_as(
        &self,
        note: &[u8],
        verifier: &NoteVerifier,
        require: bool,
    ) -> Result<OpenedCheckpoint, NoteError> {
        let pq = self.pq_key.as_ref().filter(|k| k.name() == verifier.name());
        if require && self.require_pq && pq.is_none() {
            return Err(NoteError::NoQuantumSafeKey { origin: verifier.name().to_owned() });
        }
        let pq_vkey = pq.map(NoteVerifier::to_vkey).unwrap_or_default();
        let key =
            [verifier.to_vkey().as_bytes(), b"\n", pq_vkey.as_bytes(), b"\n", &[u8::from(require)], note]
                .concat();
        if let Some(opened) = self.verified.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(opened);
        }
        let keys: Vec<NoteVerifier> = std::iter::once(verifier).chain(pq).cloned().collect();
        let opened = note::open(note, &keys)?;
        if opened.signed_by(verifier).is_none() {
            return Err(NoteError::Unverified { note: Box::new(opened) });
        }
        let mut signatures = Vec::new();
        for key in &keys {
            let Some(line) = opened.signed_by(key) else {
                if require {
                    return Err(NoteError::MissingQuantumSafeSignature {
                        name: key.name().to_owned(),
                        key_id: key.key_id(),
                    });
                }
                continue;
            };
            if let Some(timestamp) = line.timestamp {
                let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
                if timestamp > now.saturating_add(MAX_FUTURE_SKEW) {
                    return Err(NoteError::BadTimestamp {
                        name: key.name().to_owned(),
                        timestamp,
                        reason: "in the future",
                    });
                }
            }
            signatures.push(CheckpointSignature {
                key: format!("{}+{:08x}", key.name(), key.key_id()),
                security: key.security(),
                timestamp: line.timestamp,
            });
        }
        let checkpoint = Checkpoint::parse(&opened.text)?;
        if self.threshold > 0 {
            let have = didam_ledger::note::cosigners(note, &self.witnesses)?;
            if have < self.threshold {
                return Err(NoteError::TooFewCosignatures { have, need: self.threshold });
            }
        }
        let opened = OpenedCheckpoint { checkpoint, signatures };
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= Self::REMEMBERED {
                m.clear();
            }
            m.insert(key, opened.clone());
        }
        Ok(opened)
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
        Ok(self.newest_opened(verifier)?.map(|o| o.checkpoint))
    }

    /// [`Self::newest`] with the ledger's signatures on it (an ML-DSA-44
    /// line is checked when present, not required: the checkpoint may have
    /// been stored before the key was pinned).
    pub fn newest_opened(&self, verifier: &NoteVerifier) -> Result<Option<OpenedCheckpoint>, Error> {
        let path = self.file(verifier.name());
        match std::fs::read(&path) {
            Ok(note) => self
                .open_as(&note, verifier, false)
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
