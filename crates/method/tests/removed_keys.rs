//! Issue 22, Deliver 1: an entry that removes verification methods says why
//! each left (`removedKeys`, `specs/did-didam.md` §4.5), the log rule checks
//! it, and the key history judges a signature anchored at a ledger position.
#![allow(missing_docs)]

use chrono::{Duration, Utc};
use didam_credential::{KeyType, PublicKey, SecretKey};
use didam_method::entry;
use didam_method::history::{CompromisedSince, KeyHistory, KeyRemoval, MethodKey, Standing};
use didam_method::log::{self, DidState, EntryDraft, LogError, Method};
use serde_json::{Value, json};

type R = Result<(), Box<dyn std::error::Error>>;

fn key() -> SecretKey {
    SecretKey::generate(KeyType::Ed25519)
}

/// A DID with update keys u[0..] and one signing key; returns its state.
struct Did {
    updates: Vec<SecretKey>,
    states: Vec<DidState>,
}

impl Did {
    async fn new(signing: &PublicKey) -> Result<Self, Box<dyn std::error::Error>> {
        let updates: Vec<SecretKey> = (0..6).map(|_| key()).collect();
        let doc = entry::document_with_keys("did:didam:{SCID}", std::slice::from_ref(signing));
        let t = Utc::now() - Duration::hours(1);
        let (_, first) = entry::create_entry(&updates[0], &updates[1].public_key(), doc, t).await?;
        let state = log::verify_entry(Method::Didam, None, first.json(), Utc::now()).await?;
        Ok(Self { updates, states: vec![state] })
    }

    fn tip(&self) -> &DidState {
        self.states.last().expect("a DID has an entry")
    }

    fn did(&self) -> String {
        self.tip().did.clone()
    }

    fn method_id(&self, k: &PublicKey) -> MethodKey {
        MethodKey { id: format!("{}#key-{}", self.did(), self.index_of(k)), key: k.to_multikey() }
    }

    fn index_of(&self, k: &PublicKey) -> usize {
        let methods = self.tip().document["verificationMethod"].as_array().cloned().unwrap_or_default();
        methods.iter().position(|m| m["publicKeyMultibase"] == k.to_multikey()).map_or(1, |i| i + 1)
    }

    /// The next entry with `document` and `removed_keys` as given (`None`:
    /// no parameter), signed by the committed key. Returns the result of
    /// verifying it; a verified entry becomes the tip.
    async fn next_raw(&mut self, document: Value, removed_keys: Option<Value>) -> Result<DidState, LogError> {
        let n = self.states.len();
        let (reveal, next) = (&self.updates[n], self.updates[n + 1].public_key());
        let mut parameters = serde_json::Map::new();
        parameters.insert("updateKeys".into(), json!([reveal.public_key().to_multikey()]));
        parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&next.to_multikey())]));
        parameters.insert("nextKeyTypes".into(), json!(["ed25519"]));
        if let Some(r) = removed_keys {
            parameters.insert("removedKeys".into(), r);
        }
        let draft = EntryDraft {
            parameters,
            document,
            version_time: self.tip().version_time + Duration::seconds(10),
        };
        let built = log::next_entry_signed(self.tip(), draft, &[reveal]).await.expect("the entry is built");
        let state = log::verify_entry(Method::Didam, Some(self.tip()), built.json(), Utc::now()).await?;
        self.states.push(state.clone());
        Ok(state)
    }

    /// The next entry replacing the signing keys by `keys`, recording
    /// `removal`, built by the writers' builder.
    async fn replace_keys(&mut self, keys: &[PublicKey], removal: &KeyRemoval) -> Result<DidState, LogError> {
        let n = self.states.len();
        let doc = entry::document_with_keys(&self.did(), keys);
        let built = entry::next_removing(
            self.tip(),
            &[&self.updates[n]],
            &[self.updates[n + 1].public_key()],
            Some(doc),
            false,
            self.tip().version_time + Duration::seconds(10),
            removal,
        )
        .await
        .expect("the entry is built");
        let state = log::verify_entry(Method::Didam, Some(self.tip()), built.json(), Utc::now()).await?;
        self.states.push(state.clone());
        Ok(state)
    }
}

#[test]
fn a_routine_update_records_retirement_and_the_history_orders_by_ledger_position() -> R {
    futures::executor::block_on(
        a_routine_update_records_retirement_and_the_history_orders_by_ledger_position_body(),
    )
}

async fn a_routine_update_records_retirement_and_the_history_orders_by_ledger_position_body() -> R {
    let (a, b) = (key().public_key(), key().public_key());
    let mut did = Did::new(&a).await?;
    let a_id = did.method_id(&a);
    // The writers' default: what the new document drops is retired.
    let state = entry::next_controlled(
        did.tip(),
        &[&did.updates[1]],
        &[did.updates[2].public_key()],
        Some(entry::document_with_keys(&did.did(), std::slice::from_ref(&b))),
        false,
        did.tip().version_time + Duration::seconds(10),
    )
    .await?;
    assert_eq!(
        state.json()["parameters"]["removedKeys"],
        json!({ a_id.id.clone(): { "reason": "retired" } })
    );
    let verified = log::verify_entry(Method::Didam, Some(did.tip()), state.json(), Utc::now()).await?;
    assert_eq!(verified.removed_keys.get(&a_id.id), Some(&KeyRemoval::Retired));
    did.states.push(verified);

    // Entries at ledger leaves 3 and 10: A was the DID's from leaf 3 to 10.
    let history = KeyHistory::of_log(&did.states, &[3, 10])?;
    let b_id = MethodKey { id: format!("{}#key-1", did.did()), key: b.to_multikey() };
    assert_eq!(history.records().len(), 2);
    assert!(matches!(history.standing(&a_id, 7), Standing::Valid(_)));
    assert!(matches!(history.standing(&a_id, 10), Standing::AfterRetirement(_)));
    assert!(matches!(history.standing(&a_id, 11), Standing::AfterRetirement(_)));
    // Anchored at or before the entry that added it: not the DID's key then.
    assert!(matches!(history.standing(&a_id, 3), Standing::NotAKeyThen));
    assert!(matches!(history.standing(&a_id, 1), Standing::NotAKeyThen));
    // B has the same fragment (`#key-1`) but another key: a new record.
    assert_eq!(a_id.id, b_id.id);
    assert_eq!(history.keys_of(&a_id.id), vec![&a_id, &b_id]);
    assert!(matches!(history.standing(&b_id, 7), Standing::NotAKeyThen));
    assert!(matches!(history.standing(&b_id, 11), Standing::Valid(_)));
    let records = history.records();
    assert_eq!(records[1].added.leaf, 10);
    assert_eq!(records[0].removed.as_ref().map(|r| r.invalid_from), Some(10));
    // Positions that do not increase with the log are refused.
    assert!(KeyHistory::of_log(&did.states, &[10, 10]).is_err());
    assert!(KeyHistory::of_log(&did.states, &[3]).is_err());
    Ok(())
}

#[test]
fn compromise_points_invalidate_exactly_what_was_anchored_from_them() -> R {
    futures::executor::block_on(compromise_points_invalidate_exactly_what_was_anchored_from_them_body())
}

async fn compromise_points_invalidate_exactly_what_was_anchored_from_them_body() -> R {
    let (a, b) = (key().public_key(), key().public_key());
    let mut did = Did::new(&a).await?;
    let a_id = did.method_id(&a);
    let doc = did.tip().document.clone();
    let second = did.next_raw(doc, None).await?; // a rotation: A stays
    let since = KeyRemoval::Compromised(CompromisedSince::VersionId(second.version_id.clone()));
    did.replace_keys(std::slice::from_ref(&b), &since).await?;
    // Leaves 0, 4, 9: compromised after entry 2 (leaf 4), so from leaf 5.
    let history = KeyHistory::of_log(&did.states, &[0, 4, 9])?;
    assert!(matches!(history.standing(&a_id, 3), Standing::Valid(_)));
    assert!(matches!(history.standing(&a_id, 4), Standing::Valid(_)));
    assert!(matches!(history.standing(&a_id, 5), Standing::Compromised(_)));
    assert!(matches!(history.standing(&a_id, 8), Standing::Compromised(_)));
    assert!(matches!(history.standing(&a_id, 20), Standing::Compromised(_)));

    for (point, valid_below) in [(CompromisedSince::Leaf(2), 2), (CompromisedSince::Entirely, 0)] {
        let mut did = Did::new(&a).await?;
        let a_id = did.method_id(&a);
        did.replace_keys(std::slice::from_ref(&b), &KeyRemoval::Compromised(point.clone())).await?;
        let history = KeyHistory::of_log(&did.states, &[0, 9])?;
        for anchored in 1..12 {
            let standing = history.standing(&a_id, anchored);
            if anchored < valid_below {
                assert!(matches!(standing, Standing::Valid(_)), "{point:?} at {anchored}: {standing:?}");
            } else {
                assert!(
                    matches!(standing, Standing::Compromised(_)),
                    "{point:?} at {anchored}: {standing:?}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn an_unrecorded_removal_reads_as_compromised_entirely() -> R {
    futures::executor::block_on(an_unrecorded_removal_reads_as_compromised_entirely_body())
}

async fn an_unrecorded_removal_reads_as_compromised_entirely_body() -> R {
    let (a, b) = (key().public_key(), key().public_key());
    let mut did = Did::new(&a).await?;
    let a_id = did.method_id(&a);
    let doc = entry::document_with_keys(&did.did(), &[b]);
    let state = did.next_raw(doc, None).await?;
    assert!(state.removed_keys.is_empty());
    let history = KeyHistory::of_log(&did.states, &[0, 9])?;
    assert_eq!(history.records()[0].removed.as_ref().map(|r| &r.reason), Some(&KeyRemoval::Unrecorded));
    assert!(matches!(history.standing(&a_id, 5), Standing::Compromised(_)));
    Ok(())
}

#[test]
fn hostile_removal_records_are_invalid_parameters() -> R {
    futures::executor::block_on(hostile_removal_records_are_invalid_parameters_body())
}

async fn hostile_removal_records_are_invalid_parameters_body() -> R {
    let (a, b) = (key().public_key(), key().public_key());
    let did = Did::new(&a).await?;
    let a_id = did.method_id(&a).id;
    let b_doc = entry::document_with_keys(&did.did(), std::slice::from_ref(&b));
    let same_doc = did.tip().document.clone();
    let first_version = did.tip().version_id.clone();
    let retired = json!({ "reason": "retired" });
    let cases: Vec<(&str, Value, Value)> = vec![
        ("names a key the entry keeps", same_doc.clone(), json!({ a_id.clone(): retired.clone() })),
        ("names a key never there", b_doc.clone(), json!({ format!("{}#nope", did.did()): retired.clone() })),
        ("not an object", b_doc.clone(), json!(["retired"])),
        ("an unknown reason", b_doc.clone(), json!({ a_id.clone(): { "reason": "lost" } })),
        ("compromised without a point", b_doc.clone(), json!({ a_id.clone(): { "reason": "compromised" } })),
        (
            "a point that is this entry",
            b_doc.clone(),
            json!({ a_id.clone(): { "reason": "compromised", "since": { "versionId": "2-Qmx" } } }),
        ),
        (
            "a point with the previous number but another hash",
            b_doc.clone(),
            json!({ a_id.clone(): { "reason": "compromised", "since": { "versionId": "1-QmForged" } } }),
        ),
        (
            "a point that is no entry",
            b_doc.clone(),
            json!({ a_id.clone(): { "reason": "compromised", "since": { "versionId": "0-Qmx" } } }),
        ),
        (
            "a retired key with a point",
            b_doc.clone(),
            json!({ a_id.clone(): { "reason": "retired", "since": "entirely" } }),
        ),
    ];
    for (what, doc, removed) in cases {
        let mut d = Did { updates: did.updates.clone(), states: did.states.clone() };
        let refused = d.next_raw(doc, Some(removed)).await;
        assert!(matches!(refused, Err(LogError::InvalidParameters { entry: 2, .. })), "{what}: {refused:?}");
    }
    // The previous entry's own versionId is a valid point.
    let mut d = Did { updates: did.updates.clone(), states: did.states.clone() };
    let point = json!({ a_id.clone(): { "reason": "compromised", "since": { "versionId": first_version } } });
    let state = d.next_raw(b_doc.clone(), Some(point)).await?;
    assert!(matches!(
        state.removed_keys.get(&a_id),
        Some(KeyRemoval::Compromised(CompromisedSince::VersionId(_)))
    ));
    // Not accumulated: the next entry carries none.
    let doc = d.tip().document.clone();
    let after = d.next_raw(doc, None).await?;
    assert!(after.removed_keys.is_empty());
    assert!(!after.parameters.contains_key("removedKeys"));
    Ok(())
}

#[test]
fn a_first_entry_removes_nothing() -> R {
    futures::executor::block_on(a_first_entry_removes_nothing_body())
}

async fn a_first_entry_removes_nothing_body() -> R {
    let (update, next) = (key(), key());
    let mut parameters = serde_json::Map::new();
    parameters.insert("updateKeys".into(), json!([update.public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&next.public_key().to_multikey())]));
    parameters.insert("removedKeys".into(), json!({}));
    let doc = entry::document_with_keys("did:didam:{SCID}", &[key().public_key()]);
    let draft = EntryDraft { parameters, document: doc, version_time: Utc::now() };
    let first = log::create_entry(Method::Didam, draft, &update).await?;
    let refused = log::verify_entry(Method::Didam, None, first.json(), Utc::now()).await;
    assert!(matches!(refused, Err(LogError::InvalidParameters { entry: 1, .. })), "{refused:?}");
    Ok(())
}
