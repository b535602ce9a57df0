//! Checkpoint witnesses: independent parties that cosign a ledger's
//! checkpoints, each only after checking that the new checkpoint is
//! consistent with the last one it cosigned. A resolver that requires `t`
//! witness cosignatures cannot be shown a split view unless `t` witnesses
//! collude with the ledger's operator (as in Certificate Transparency).
//!
//! A cosignature is one more Ed25519 signature line on the checkpoint note
//! (C2SP signed-note), by the witness's own key name.

use std::path::PathBuf;

use crate::Ledger;
use crate::ledger::LedgerError;
use crate::merkle::{self, Hash};
use crate::note::{self, Checkpoint, NoteSigner, NoteVerifier};

/// A witness of one ledger.
#[derive(Debug)]
pub struct CheckpointWitness {
    signer: NoteSigner,
    ledger_key: NoteVerifier,
    state: PathBuf,
}

impl CheckpointWitness {
    /// A witness signing with `signer`, trusting checkpoints of the ledger
    /// whose key is `ledger_key`, remembering the last cosigned checkpoint in
    /// the file `state`.
    pub fn new(signer: NoteSigner, ledger_key: NoteVerifier, state: impl Into<PathBuf>) -> Self {
        Self { signer, ledger_key, state: state.into() }
    }

    /// The verifier key resolvers configure for this witness.
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// Cosigns `ledger`'s latest checkpoint: checks the ledger's signature,
    /// then consistency with the last checkpoint this witness cosigned (no
    /// rollback, no fork), then signs and remembers it. Returns the note with
    /// this witness's signature added.
    pub async fn cosign<L: Ledger>(&self, ledger: &L) -> Result<String, LedgerError> {
        let signed = ledger
            .latest_checkpoint()
            .await?
            .ok_or_else(|| LedgerError::Unavailable("the ledger has no checkpoint to cosign".into()))?;
        let (checkpoint, _) = Checkpoint::open(signed.note.as_bytes(), &self.ledger_key)?;
        if let Some(last) = self.last()? {
            if checkpoint.size < last.size {
                return Err(LedgerError::InconsistentCheckpoint { size: checkpoint.size, signed: last.size });
            }
            let proof = ledger.consistency_proof(last.size, checkpoint.size).await?;
            merkle::verify_consistency(
                last.size,
                checkpoint.size,
                &Hash(last.root),
                &Hash(checkpoint.root),
                &proof,
            )
            .map_err(|_| LedgerError::InconsistentCheckpoint { size: checkpoint.size, signed: last.size })?;
        }
        let cosigned = note::cosign(signed.note.as_bytes(), &self.signer)?;
        crate::file::write_atomic(&self.state, cosigned.as_bytes())
            .map_err(|e| LedgerError::Unavailable(format!("witness state {}: {e}", self.state.display())))?;
        Ok(cosigned)
    }

    fn last(&self) -> Result<Option<Checkpoint>, LedgerError> {
        match std::fs::read(&self.state) {
            Ok(bytes) => Ok(Some(Checkpoint::open(&bytes, &self.ledger_key)?.0)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(LedgerError::Unavailable(format!("witness state {}: {e}", self.state.display()))),
        }
    }
}
