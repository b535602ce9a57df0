//! The operator's checkpoint key handed over on a real embedded ledger
//! (issue 19, Deliver 1): a client that pinned the old key follows the
//! handover the old key signed and resolves under the new key; the old key is
//! retired for good, in the ledger (no second handover, no checkpoint) and in
//! the client (a thief's ledger signed with it is refused, and so is the
//! thief's own handover).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::Utc;
use didam_credential::{KeyType, SecretKey};
use didam_ledger::handover::OperatorError;
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger, LedgerError};
use didam_method::entry;
use didam_registry::{CheckpointStore, PinError, PinEvent, ResolveOptions, operations, resolve};
use futures::executor::block_on;

const ORIGIN: &str = "didam.test/handover";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-registry-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::Ed25519)).unwrap()
}

/// A DID on `ledger`, checkpointed by `key`: its DID.
async fn new_did(ledger: &EmbeddedLedger, key: &NoteSigner) -> String {
    let (update, next) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
    let doc =
        entry::document_with_keys("did:didam:{SCID}", &[SecretKey::generate(KeyType::Ed25519).public_key()]);
    let (did, _) = operations::create(ledger, &update, &next.public_key(), doc, Utc::now()).await.unwrap();
    ledger.checkpoint(key).await.unwrap();
    did.to_string()
}

#[test]
fn a_pinned_client_follows_the_handover_and_refuses_the_retired_key() {
    let dir = temp_dir("handover");
    let path = dir.join("ledger.db");
    let ledger = EmbeddedLedger::open(&path, ORIGIN).unwrap();
    let (old, new, thief) = (signer(), signer(), signer());
    let store = CheckpointStore::new(dir.join("client"));
    block_on(async {
        ledger.set_operator(&old.verifier().to_vkey()).unwrap();
        let did = new_did(&ledger, &old).await;
        // The client pins the old key and stores a checkpoint it signed.
        let pinned = store.pin_operator_of(&ledger, ledger.operator().unwrap().as_deref()).await.unwrap();
        assert!(matches!(&pinned.events[..], [PinEvent::FirstUse { .. }]));
        resolve(&ledger, &pinned.key, &store, &did, &ResolveOptions::default()).await.unwrap();
        // The thief's copy of the ledger, taken at the leak (with its
        // write-ahead log: the ledger is open).
        std::fs::copy(&path, dir.join("thief.db")).unwrap();
        std::fs::copy(dir.join("ledger.db-wal"), dir.join("thief.db-wal")).unwrap();
        // The ledger grows under the old key; a second client sees that.
        let later = new_did(&ledger, &old).await;
        let late = CheckpointStore::new(dir.join("late"));
        let key = late.pin_operator(ledger.operator().unwrap().as_deref()).unwrap().key;
        resolve(&ledger, &key, &late, &later, &ResolveOptions::default()).await.unwrap();

        // The handover: done again with the same keys, the same note.
        let handed = ledger.replace_operator(&old, &new).await.unwrap();
        assert_eq!(ledger.replace_operator(&old, &new).await.unwrap(), handed);
        assert_eq!(ledger.operator().unwrap(), Some(new.verifier().to_vkey()));
        assert_eq!(ledger.handovers().await.unwrap(), vec![handed.note.clone()]);
        // The old key is retired for good: no second handover, no checkpoint.
        let second = ledger.replace_operator(&old, &thief).await;
        assert!(matches!(second, Err(LedgerError::Operator(OperatorError::Retired { .. }))), "{second:?}");
        let signed = ledger.checkpoint(&old).await;
        assert!(matches!(signed, Err(LedgerError::Operator(OperatorError::Retired { .. }))), "{signed:?}");
        // Only the operator hands over.
        let stranger = ledger.replace_operator(&thief, &signer()).await;
        assert!(matches!(stranger, Err(LedgerError::Operator(OperatorError::NotOperator { .. }))));

        // The client follows the handover once, then resolves new versions.
        let other = new_did(&ledger, &new).await;
        let announced = ledger.operator().unwrap();
        let pinned = store.pin_operator_of(&ledger, announced.as_deref()).await.unwrap();
        assert_eq!(pinned.key, new.verifier());
        match &pinned.events[..] {
            [PinEvent::HandedOver { from, to, size }] => {
                assert_eq!((from, to, *size), (&old.verifier(), &new.verifier(), handed.size));
            }
            other => panic!("one handover followed: {other:?}"),
        }
        assert!(store.pin_operator_of(&ledger, announced.as_deref()).await.unwrap().events.is_empty());
        resolve(&ledger, &pinned.key, &store, &other, &ResolveOptions::default()).await.unwrap();

        // The thief signs its copy with the old key: refused, retired.
        let forked = EmbeddedLedger::open(&dir.join("thief.db"), ORIGIN).unwrap();
        new_did(&forked, &old).await;
        let refused = store.pin_operator_of(&forked, forked.operator().unwrap().as_deref()).await;
        assert!(matches!(refused, Err(PinError::Retired { .. })), "{refused:?}");
        // The thief hands its copy over to a key of its own: not followed.
        forked.replace_operator(&old, &thief).await.unwrap();
        let refused = store.pin_operator_of(&forked, forked.operator().unwrap().as_deref()).await;
        assert!(matches!(refused, Err(PinError::Changed { .. })), "{refused:?}");
        assert_eq!(store.pinned_operator().unwrap(), Some(new.verifier()));

        // The second client has not followed the real handover yet, and
        // has seen the tree beyond the point where the thief forked it: the
        // thief's handover is not consistent with it.
        let refused = late.pin_operator_of(&forked, forked.operator().unwrap().as_deref()).await;
        assert!(matches!(refused, Err(PinError::Inconsistent { .. })), "{refused:?}");
        // It follows the real one.
        let pinned = late.pin_operator_of(&ledger, announced.as_deref()).await.unwrap();
        assert_eq!(pinned.key, new.verifier());
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
