//! Quantum-safe checkpoints through a real embedded ledger: the operator's
//! ML-DSA-44 key (C2SP tlog-cosignature `0x06`) added beside its Ed25519 key,
//! stores that require its signature, classical stores that pass it over, an
//! ML-DSA-44 witness, and hostile lines (a back-dated timestamp, one in the
//! future, a stripped line). The ML-DSA-44 key is pinned only when the
//! pinned Ed25519 key vouches for it (a `didam-operator-ml-dsa-44` line in
//! the checkpoint it signs): an announced key it does not vouch for is
//! refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::Utc;
use didam_credential::{KeyType, SecretKey, Security};
use didam_ledger::cosign::CheckpointWitness;
use didam_ledger::note::{self, Checkpoint, NoteSigner};
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_method::entry;
use didam_registry::{CheckpointStore, ResolveOptions, operations, resolve};
use futures::executor::block_on;

const ORIGIN: &str = "didam.test/pq-ledger";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-registry-pq-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ed25519() -> SecretKey {
    SecretKey::generate(KeyType::Ed25519)
}

/// A new DID on `ledger`.
async fn new_did(ledger: &EmbeddedLedger) -> String {
    let doc = entry::document_with_keys("did:didam:{SCID}", &[ed25519().public_key()]);
    let (did, _) =
        operations::create(ledger, &ed25519(), &ed25519().public_key(), doc, Utc::now()).await.unwrap();
    did.to_string()
}

/// The latest checkpoint note's bytes.
async fn latest(ledger: &EmbeddedLedger) -> Option<Vec<u8>> {
    ledger.latest_checkpoint().await.unwrap().map(|c| c.note.into_bytes())
}

/// The latest checkpoint with one more ML-DSA-44 line by `key` (named
/// `ORIGIN`) stamped `timestamp`, made here from the C2SP structure.
async fn with_line(ledger: &EmbeddedLedger, key: &SecretKey, timestamp: u64) -> String {
    use base64::Engine as _;
    let latest = ledger.latest_checkpoint().await.unwrap().unwrap();
    let text = latest.note.rsplit_once("\n\n").unwrap().0.to_owned() + "\n";
    let message = note::cosigned_message(ORIGIN, timestamp, &Checkpoint::parse(&text).unwrap()).unwrap();
    let signer = NoteSigner::new(ORIGIN, key.clone()).unwrap();
    let mut raw = signer.key_id().to_be_bytes().to_vec();
    raw.extend_from_slice(&timestamp.to_be_bytes());
    raw.extend_from_slice(&key.sign(&message));
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    format!("{}\u{2014} {ORIGIN} {b64}\n", latest.note)
}

#[test]
fn ml_dsa_checkpoints_are_required_once_pinned_and_hostile_lines_are_refused() {
    let dir = temp_dir("flow");
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    let ed = NoteSigner::new(ORIGIN, ed25519()).unwrap();
    let pq_key = SecretKey::generate(KeyType::MlDsa44);
    let pq = NoteSigner::new(ORIGIN, pq_key.clone()).unwrap();
    let both = ed.clone().with_pq(pq.clone()).unwrap();
    let vkey = ed.verifier();
    let options = ResolveOptions::default();
    let store = |name: &str| CheckpointStore::new(dir.join(name));
    block_on(async {
        let did = new_did(&ledger).await;
        ledger.checkpoint(&ed).await.unwrap();

        // Before the key is added: a store that requires quantum-safe
        // checkpoints refuses (no key), one that pinned an ML-DSA-44 key
        // refuses (no line), a classical one resolves.
        let strict = store("strict").require_pq(true);
        let err = resolve(&ledger, &vkey, &strict, &did, &options).await.unwrap_err();
        assert!(err.to_string().contains("no ML-DSA-44 key is known"), "{err}");
        let pinned = store("pinned").with_pq_key(Some(pq.verifier()));
        let err = resolve(&ledger, &vkey, &pinned, &did, &options).await.unwrap_err();
        assert!(err.to_string().contains("carries no ML-DSA-44 signature"), "{err}");
        let classical = store("classical");
        let resolved = resolve(&ledger, &vkey, &classical, &did, &options).await.unwrap();
        assert_eq!(resolved.signatures.iter().map(|s| s.security).collect::<Vec<_>>(), [Security::Classical]);

        // The operator adds the key: the latest checkpoint gains the line.
        let signed = ledger.checkpoint(&both).await.unwrap();
        assert!(note::has_line_by(signed.note.as_bytes(), &pq.verifier()));
        let strict = store("strict").require_pq(true).with_pq_key(Some(pq.verifier()));
        for s in [&strict, &pinned] {
            let resolved = resolve(&ledger, &vkey, s, &did, &options).await.unwrap();
            let kinds: Vec<Security> = resolved.signatures.iter().map(|s| s.security).collect();
            assert_eq!(kinds, [Security::Classical, Security::QuantumSafe]);
            let meta = resolved.resolution().unwrap().document_metadata;
            assert_eq!(meta["checkpoint"]["signatures"][1]["security"], "quantum-safe", "{meta}");
        }
        // A classical client, which knows only the Ed25519 key, keeps verifying.
        assert!(resolve(&ledger, &vkey, &classical, &did, &options).await.is_ok());

        // A witness cosigns with ML-DSA-44; a store requiring it resolves.
        let witness_key = NoteSigner::new("witness.test/w1", SecretKey::generate(KeyType::MlDsa44)).unwrap();
        let witness = CheckpointWitness::new(witness_key.clone(), vkey.clone(), dir.join("w1.state"));
        let cosigned = witness.cosign(&ledger).await.unwrap();
        ledger.add_cosignatures(&cosigned).unwrap();
        let witnessed = store("witnessed").with_witnesses(vec![witness_key.verifier()], 1);
        assert!(resolve(&ledger, &vkey, &witnessed, &did, &options).await.is_ok());

        // A larger tree whose ML-DSA-44 line is stamped before the one on the
        // smaller tree this client stored: a replayed (back-dated) cosignature.
        let before = strict.newest_opened(&vkey).unwrap().unwrap().pq_timestamp().unwrap();
        let did2 = new_did(&ledger).await;
        ledger.checkpoint(&ed).await.unwrap();
        let err = resolve(&ledger, &vkey, &strict, &did2, &options).await.unwrap_err();
        assert!(err.to_string().contains("carries no ML-DSA-44 signature"), "stripped: {err}");
        ledger.add_cosignatures(&with_line(&ledger, &pq_key, before - 60).await).unwrap();
        let err = resolve(&ledger, &vkey, &strict, &did2, &options).await.unwrap_err();
        assert!(err.to_string().contains("older than"), "{err}");

        // A timestamp an hour in the future.
        let did3 = new_did(&ledger).await;
        ledger.checkpoint(&ed).await.unwrap();
        let future = u64::try_from(Utc::now().timestamp()).unwrap() + 3600;
        ledger.add_cosignatures(&with_line(&ledger, &pq_key, future).await).unwrap();
        let fresh = store("fresh").with_pq_key(Some(pq.verifier()));
        let err = resolve(&ledger, &vkey, &fresh, &did3, &options).await.unwrap_err();
        assert!(err.to_string().contains("in the future"), "{err}");
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_handover_moves_the_ml_dsa_pin_to_the_new_operators_key() {
    let dir = temp_dir("handover");
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    let operator = |pq: &SecretKey| {
        let pq = NoteSigner::new(ORIGIN, pq.clone()).unwrap();
        NoteSigner::new(ORIGIN, ed25519()).unwrap().with_pq(pq).unwrap()
    };
    let (old, new) =
        (operator(&SecretKey::generate(KeyType::MlDsa44)), operator(&SecretKey::generate(KeyType::MlDsa44)));
    let store = CheckpointStore::new(dir.join("pins"));
    let options = ResolveOptions::default();
    block_on(async {
        let did = new_did(&ledger).await;
        ledger.set_operator(&old.verifier().to_vkey()).unwrap();
        ledger.set_pq_operator(&old.pq_verifier().unwrap().to_vkey()).unwrap();
        ledger.checkpoint(&old).await.unwrap();
        store.pin_operator_of(&ledger, ledger.operator().unwrap().as_deref()).await.unwrap();
        let (pq, _) = store
            .pin_pq_operator(ledger.pq_operator().unwrap().as_deref(), latest(&ledger).await.as_deref())
            .unwrap();
        assert_eq!(pq, old.pq_verifier());
        let pinned = store.clone().with_pq_key(pq);
        assert!(resolve(&ledger, &old.verifier(), &pinned, &did, &options).await.is_ok());

        // The handover records the new operator's ML-DSA-44 key; the pin follows it.
        ledger.replace_operator(&old, &new).await.unwrap();
        assert_eq!(ledger.pq_operator().unwrap(), new.pq_verifier().map(|k| k.to_vkey()));
        let moved = store.pin_operator_of(&ledger, ledger.operator().unwrap().as_deref()).await.unwrap();
        assert_eq!(moved.key, new.verifier());
        let (pq, events) = store
            .pin_pq_operator(ledger.pq_operator().unwrap().as_deref(), latest(&ledger).await.as_deref())
            .unwrap();
        assert_eq!(pq, new.pq_verifier());
        assert!(matches!(&events[..], [didam_registry::PinEvent::PqFirstUse { .. }]), "{events:?}");
        let resolved =
            resolve(&ledger, &new.verifier(), &store.clone().with_pq_key(pq), &did, &options).await.unwrap();
        assert_eq!(resolved.signatures.len(), 2);
        // Another ML-DSA-44 key announced afterwards is refused.
        let stranger =
            NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::MlDsa44)).unwrap().verifier().to_vkey();
        assert!(matches!(
            store.pin_pq_operator(Some(&stranger), latest(&ledger).await.as_deref()),
            Err(didam_registry::PinError::PqChanged { .. })
        ));
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_ml_dsa_key_the_ed25519_key_does_not_vouch_for_is_refused() {
    let dir = temp_dir("vouch");
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    let ed = NoteSigner::new(ORIGIN, ed25519()).unwrap();
    let pq = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::MlDsa44)).unwrap();
    let both = ed.clone().with_pq(pq.clone()).unwrap();
    let stranger = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::MlDsa44)).unwrap();
    block_on(async {
        new_did(&ledger).await;
        ledger.set_operator(&ed.verifier().to_vkey()).unwrap();
        ledger.checkpoint(&ed).await.unwrap();
        let store = CheckpointStore::new(dir.join("pins"));
        store.pin_operator_of(&ledger, ledger.operator().unwrap().as_deref()).await.unwrap();

        // A key announced while the checkpoints are classical: nothing vouches for it.
        ledger.set_pq_operator(&pq.verifier().to_vkey()).unwrap();
        let refused =
            store.pin_pq_operator(ledger.pq_operator().unwrap().as_deref(), latest(&ledger).await.as_deref());
        assert!(matches!(refused, Err(didam_registry::PinError::PqNotVouched { .. })), "{refused:?}");
        assert!(refused.unwrap_err().is_refusal());
        // The same key with its ML-DSA-44 line cosigned on, but no vouching
        // line signed by the Ed25519 key: refused.
        let cosigned = note::cosign(latest(&ledger).await.unwrap().as_slice(), &pq).unwrap();
        let refused = store.pin_pq_operator(Some(&pq.verifier().to_vkey()), Some(cosigned.as_bytes()));
        assert!(matches!(refused, Err(didam_registry::PinError::PqNotVouched { .. })), "{refused:?}");
        assert_eq!(store.pinned_pq_operator().unwrap(), None);

        // The operator signs the latest checkpoint again with both keys (the
        // tree did not grow): it now vouches for the key, which is pinned.
        let signed = ledger.checkpoint(&both).await.unwrap();
        assert!(didam_ledger::handover::vouches_for(signed.note.as_bytes(), &ed.verifier(), &pq.verifier()));
        let (pinned, events) = store
            .pin_pq_operator(ledger.pq_operator().unwrap().as_deref(), Some(signed.note.as_bytes()))
            .unwrap();
        assert_eq!(pinned, Some(pq.verifier()));
        assert!(matches!(&events[..], [didam_registry::PinEvent::PqFirstUse { .. }]), "{events:?}");

        // A fresh client offered a stranger's key (the announcement replaced)
        // beside the operator's vouched checkpoint: refused.
        let fresh = CheckpointStore::new(dir.join("fresh"));
        fresh.pin_operator_of(&ledger, ledger.operator().unwrap().as_deref()).await.unwrap();
        let refused =
            fresh.pin_pq_operator(Some(&stranger.verifier().to_vkey()), Some(signed.note.as_bytes()));
        assert!(matches!(refused, Err(didam_registry::PinError::PqNotVouched { .. })), "{refused:?}");
        assert_eq!(fresh.pinned_pq_operator().unwrap(), None);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
