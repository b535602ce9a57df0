//! Hybrid control of a did:didam (issue 21, Deliver 3; `specs/did-didam.md`
//! §4.2, §6): every update key signs every entry; the next keys are committed
//! by hash and type, and all of them must be revealed; a DID moves from
//! Ed25519 to ML-DSA-44 or hybrid control with the keys it committed before,
//! so a thief holding its current (revealed, or broken) Ed25519 update key
//! cannot rotate it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{Duration, Utc};
use didam_credential::{KeyType, PublicKey, SecretKey, Security};
use didam_method::entry::{self, document_with_keys};
use didam_method::log::{self, DidState, EntryDraft, LogError, Method};
use serde_json::{Map, Value, json};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn public(keys: &[&SecretKey]) -> Vec<PublicKey> {
    keys.iter().map(|k| k.public_key()).collect()
}

/// Verifies `entry` after `previous`, as the ledger's append rule does.
fn verify(previous: Option<&DidState>, entry: &Value) -> Result<DidState, LogError> {
    block_on(log::verify_entry(Method::Didam, previous, entry, Utc::now() + Duration::hours(1)))
}

struct Keys {
    ed: SecretKey,
    ml: SecretKey,
}

impl Keys {
    fn new() -> Keys {
        Keys { ed: SecretKey::generate(KeyType::Ed25519), ml: SecretKey::generate(KeyType::MlDsa44) }
    }
}

fn hybrid_did() -> (DidState, Keys, Keys) {
    let (now, next) = (Keys::new(), Keys::new());
    let signing = SecretKey::generate(KeyType::Ed25519);
    let document = document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (_, first) = block_on(entry::create_controlled(
        &[&now.ed, &now.ml],
        &public(&[&next.ed, &next.ml]),
        document,
        Utc::now() - Duration::minutes(10),
    ))
    .unwrap();
    let state = verify(None, first.json()).unwrap();
    (state, now, next)
}

#[test]
fn a_hybrid_did_needs_both_signatures_on_every_entry() {
    let (state, now, next) = hybrid_did();
    assert_eq!(state.control_security(), Security::Hybrid);
    assert_eq!(state.next_key_types(), vec![KeyType::Ed25519, KeyType::MlDsa44]);
    assert_eq!(state.parameters["nextKeyTypes"], json!(["ed25519", "ml-dsa-44"]));

    // The first entry with its ML-DSA proof removed: refused.
    let signing = SecretKey::generate(KeyType::Ed25519);
    let document = document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (_, first) = block_on(entry::create_controlled(
        &[&now.ed, &now.ml],
        &public(&[&next.ed, &next.ml]),
        document,
        Utc::now() - Duration::minutes(10),
    ))
    .unwrap();
    let mut one_proof = first.json().clone();
    one_proof["proof"].as_array_mut().unwrap().truncate(1);
    let err = verify(None, &one_proof).unwrap_err();
    assert!(matches!(err, LogError::InvalidProof { .. }), "{err}");
    assert!(err.to_string().contains("did not sign"), "{err}");

    // The rotation reveals both committed keys, both sign: accepted.
    let after = Keys::new();
    let rotated = block_on(entry::next_controlled(
        &state,
        &[&next.ed, &next.ml],
        &public(&[&after.ed, &after.ml]),
        None,
        false,
        Utc::now(),
    ))
    .unwrap();
    let rotated_state = verify(Some(&state), rotated.json()).unwrap();
    assert_eq!(rotated_state.control_security(), Security::Hybrid);

    // An attacker who broke Ed25519 (and so holds the next Ed25519 key as
    // soon as it is revealed) signs a rival entry with it alone, revealing
    // only the Ed25519 key: refused, the ML-DSA key is missing.
    let rival = block_on(entry::next_controlled(
        &state,
        &[&next.ed],
        &public(&[&SecretKey::generate(KeyType::Ed25519)]),
        None,
        false,
        Utc::now(),
    ))
    .unwrap();
    let err = verify(Some(&state), rival.json()).unwrap_err();
    assert!(matches!(err, LogError::InvalidParameters { .. }), "{err}");
    assert!(err.to_string().contains("is not revealed"), "{err}");

    // A proof repeated (more proofs than update keys): refused.
    let mut repeated = rotated.json().clone();
    let first = repeated["proof"][0].clone();
    repeated["proof"].as_array_mut().unwrap().push(first);
    let err = verify(Some(&state), &repeated).unwrap_err();
    assert!(err.to_string().contains("3 proofs for 2 update keys"), "{err}");

    // Both keys revealed, but the ML-DSA proof stripped: refused.
    let mut stripped = rotated.json().clone();
    stripped["proof"].as_array_mut().unwrap().retain(|p| p["cryptosuite"] == "eddsa-jcs-2022");
    let err = verify(Some(&state), &stripped).unwrap_err();
    assert!(err.to_string().contains("did not sign"), "{err}");
}

#[test]
fn commitments_name_the_next_keys_types() {
    let (state, _now, next) = hybrid_did();
    // An entry whose nextKeyTypes disagrees with its nextKeyHashes in length.
    let mut parameters = Map::new();
    parameters.insert(
        "updateKeys".into(),
        json!([next.ed.public_key().to_multikey(), next.ml.public_key().to_multikey()]),
    );
    parameters
        .insert("nextKeyHashes".into(), json!([log::key_hash(&Keys::new().ed.public_key().to_multikey())]));
    parameters.insert("nextKeyTypes".into(), json!(["ed25519", "ml-dsa-44"]));
    let draft = EntryDraft { parameters, document: state.document.clone(), version_time: Utc::now() };
    let entry = block_on(log::next_entry_signed(&state, draft, &[&next.ed, &next.ml])).unwrap();
    let err = verify(Some(&state), entry.json()).unwrap_err();
    assert!(err.to_string().contains("nextKeyTypes names 2 key types for 1"), "{err}");

    // A type no update key may have.
    let mut parameters = Map::new();
    parameters.insert(
        "updateKeys".into(),
        json!([next.ed.public_key().to_multikey(), next.ml.public_key().to_multikey()]),
    );
    parameters
        .insert("nextKeyHashes".into(), json!([log::key_hash(&Keys::new().ed.public_key().to_multikey())]));
    parameters.insert("nextKeyTypes".into(), json!(["p256"]));
    let draft = EntryDraft { parameters, document: state.document.clone(), version_time: Utc::now() };
    let entry = block_on(log::next_entry_signed(&state, draft, &[&next.ed, &next.ml])).unwrap();
    let err = verify(Some(&state), entry.json()).unwrap_err();
    assert!(err.to_string().contains("not an update key type"), "{err}");

    // A key revealed for a hash committed with another type: refused. The
    // commitment is [ed25519 E, ml-dsa-44 M]; lying about the types (E
    // committed as ml-dsa-44) cannot be done by the next entry, only by
    // the committing one, so build such a commitment and reveal against it.
    let (e2, m2) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::MlDsa44));
    let mut parameters = Map::new();
    parameters.insert(
        "updateKeys".into(),
        json!([next.ed.public_key().to_multikey(), next.ml.public_key().to_multikey()]),
    );
    parameters.insert(
        "nextKeyHashes".into(),
        json!([log::key_hash(&e2.public_key().to_multikey()), log::key_hash(&m2.public_key().to_multikey())]),
    );
    parameters.insert("nextKeyTypes".into(), json!(["ml-dsa-44", "ed25519"]));
    let draft = EntryDraft { parameters, document: state.document.clone(), version_time: Utc::now() };
    let swapped = block_on(log::next_entry_signed(&state, draft, &[&next.ed, &next.ml])).unwrap();
    let swapped_state = verify(Some(&state), swapped.json()).unwrap();
    let reveal = block_on(entry::next_controlled(
        &swapped_state,
        &[&e2, &m2],
        &public(&[&SecretKey::generate(KeyType::Ed25519)]),
        None,
        false,
        Utc::now() + Duration::seconds(2),
    ))
    .unwrap();
    let err = verify(Some(&swapped_state), reveal.json()).unwrap_err();
    assert!(err.to_string().contains("the key committed for it is ml-dsa-44"), "{err}");
}

#[test]
fn a_did_moves_to_ml_dsa_control_though_its_current_ed25519_key_is_broken() {
    // A classical DID: Ed25519 update key K1, next key K2 committed by hash.
    let (k1, k2) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
    let signing = SecretKey::generate(KeyType::Ed25519);
    let document = document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (_, first) =
        block_on(entry::create_entry(&k1, &k2.public_key(), document, Utc::now() - Duration::minutes(10)))
            .unwrap();
    let state = verify(None, first.json()).unwrap();
    assert_eq!(state.control_security(), Security::Classical);

    // The attacker holds K1 (revealed in the first entry, and assumed
    // broken): an entry signed with it to take the DID over is refused,
    // whatever it commits to.
    let thief = Keys::new();
    let takeover = block_on(entry::next_controlled(
        &state,
        &[&k1],
        &public(&[&thief.ed, &thief.ml]),
        None,
        false,
        Utc::now(),
    ))
    .unwrap();
    let err = verify(Some(&state), takeover.json()).unwrap_err();
    assert!(err.to_string().contains("was not committed"), "{err}");

    // The owner reveals K2 (committed, never seen before) and commits to
    // hybrid keys; then only both of them can change the DID.
    let hybrid = Keys::new();
    let moved = block_on(entry::next_controlled(
        &state,
        &[&k2],
        &public(&[&hybrid.ed, &hybrid.ml]),
        None,
        false,
        Utc::now(),
    ))
    .unwrap();
    let moved_state = verify(Some(&state), moved.json()).unwrap();
    assert_eq!(moved_state.did, state.did, "the identifier does not change");
    assert_eq!(moved_state.next_key_types(), vec![KeyType::Ed25519, KeyType::MlDsa44]);
    let last = Keys::new();
    let next = block_on(entry::next_controlled(
        &moved_state,
        &[&hybrid.ed, &hybrid.ml],
        &public(&[&last.ml]),
        None,
        false,
        Utc::now() + Duration::seconds(2),
    ))
    .unwrap();
    let hybrid_state = verify(Some(&moved_state), next.json()).unwrap();
    assert_eq!(hybrid_state.control_security(), Security::Hybrid);
    let ml_dsa_only = block_on(entry::next_controlled(
        &hybrid_state,
        &[&last.ml],
        &public(&[&Keys::new().ml]),
        None,
        false,
        Utc::now() + Duration::seconds(4),
    ))
    .unwrap();
    let pq = verify(Some(&hybrid_state), ml_dsa_only.json()).unwrap();
    assert_eq!(pq.control_security(), Security::QuantumSafe);
    assert_eq!(pq.update_keys().len(), 1);
}
