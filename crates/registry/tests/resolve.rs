//! Resolution of did:didam through a real embedded ledger, and through a rogue
//! ledger operator who holds the checkpoint key and lies.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Mutex;

use chrono::{Duration, Utc};
use didam_credential::{Did, KeyType, SecretKey};
use didam_ledger::merkle::{self, Hash, MemoryTree};
use didam_ledger::note::{Checkpoint, NoteSigner};
use didam_ledger::tips::{Lookup, MemoryTips};
use didam_ledger::{
    EmbeddedLedger, Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof, TipRecord,
};
use didam_method::log::{self, DidState, EntryDraft, Method};
use didam_method::{LogEntry, entry};
use didam_registry::{CheckpointStore, Error, ResolveOptions, operations, resolve};
use futures::executor::block_on;
use serde_json::{Value, json};

const ORIGIN: &str = "didam.test/ledger";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-registry-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn keys(n: usize) -> Vec<SecretKey> {
    (0..n).map(|_| SecretKey::generate(KeyType::Ed25519)).collect()
}

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::Ed25519)).unwrap()
}

#[test]
fn create_rotate_update_deactivate_resolve() {
    let dir = temp_dir("lifecycle");
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    let ledger_key = signer();
    let store = CheckpointStore::new(dir.join("checkpoints"));
    let k = keys(5);
    let signing = SecretKey::generate(KeyType::Ed25519);
    let t0 = Utc::now() - Duration::hours(1);
    block_on(async {
        let doc = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
        let (did, _) = operations::create(&ledger, &k[0], &k[1].public_key(), doc, t0).await.unwrap();
        ledger.checkpoint(&ledger_key).await.unwrap();
        let r = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &ResolveOptions::default())
            .await
            .unwrap();
        assert_eq!(r.state.version_number, 1);
        let resolution = r.resolution().unwrap();
        let method = resolution.document.resolved_method(&format!("{did}#key-1")).unwrap();
        assert_eq!(method.key, signing.public_key());

        // Rotate (reveal k1, commit k2), then update the document (reveal k2, commit k3).
        operations::rotate(&ledger, &did, &k[1], &k[2].public_key(), t0 + Duration::minutes(1))
            .await
            .unwrap();
        let new_signing = SecretKey::generate(KeyType::Ed25519);
        let doc = entry::document_with_keys(did.as_str(), &[new_signing.public_key()]);
        operations::update(&ledger, &did, &k[2], &k[3].public_key(), Some(doc), t0 + Duration::minutes(2))
            .await
            .unwrap();

        // Not yet checkpointed: resolution still shows version 1.
        let r = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &ResolveOptions::default())
            .await
            .unwrap();
        assert_eq!(r.state.version_number, 1, "entries not covered by a checkpoint are not resolvable");

        ledger.checkpoint(&ledger_key).await.unwrap();
        let r = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &ResolveOptions::default())
            .await
            .unwrap();
        assert_eq!(r.state.version_number, 3);
        let doc = r.resolution().unwrap();
        assert_eq!(
            doc.document.resolved_method(&format!("{did}#key-1")).unwrap().key,
            new_signing.public_key()
        );

        // versionId and versionTime select older versions.
        let first = r.history[0].version_id.clone();
        let by_id = ResolveOptions { version_id: Some(first.clone()), version_time: None };
        let old = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &by_id).await.unwrap();
        assert_eq!(old.state.version_id, first);
        assert_eq!(
            old.resolution().unwrap().document_metadata["nextVersionId"],
            json!(r.history[1].version_id)
        );
        let by_time = ResolveOptions { version_id: None, version_time: Some(t0 + Duration::seconds(90)) };
        let mid = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &by_time).await.unwrap();
        assert_eq!(mid.state.version_number, 2);
        let both = ResolveOptions { version_id: Some(first), version_time: Some(t0) };
        let err = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &both).await.unwrap_err();
        assert_eq!(err.code(), "invalidOptions");

        // The current signing key cannot update: only the committed update key can.
        let wrong =
            operations::update(&ledger, &did, &k[2], &k[4].public_key(), None, t0 + Duration::minutes(3))
                .await;
        assert!(matches!(wrong, Err(Error::Ledger(LedgerError::Rejected(_)))), "{wrong:?}");

        operations::deactivate(&ledger, &did, &k[3], t0 + Duration::minutes(4)).await.unwrap();
        ledger.checkpoint(&ledger_key).await.unwrap();
        let r = resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &ResolveOptions::default())
            .await
            .unwrap();
        assert!(r.latest.deactivated);
        assert_eq!(r.resolution().unwrap().document_metadata["deactivated"], json!(true));

        let unknown = "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";
        let err = resolve(&ledger, &ledger_key.verifier(), &store, unknown, &ResolveOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "notFound");
        let err =
            resolve(&ledger, &ledger_key.verifier(), &store, "did:didam:nope", &ResolveOptions::default())
                .await
                .unwrap_err();
        assert_eq!(err.code(), "invalidDid");
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A ledger operator gone rogue: holds the real checkpoint key, stores whatever
/// it likes, and serves it with valid proofs over its own tree.
struct RogueLedger {
    signer: NoteSigner,
    leaves: Mutex<Vec<(String, String)>>,
    hidden: Mutex<Option<usize>>,
}

impl RogueLedger {
    fn new(signer: NoteSigner) -> Self {
        Self { signer, leaves: Mutex::new(Vec::new()), hidden: Mutex::new(None) }
    }

    fn push(&self, entry: &Value) -> u64 {
        let did = entry["state"]["id"].as_str().unwrap().to_owned();
        let line = didam_credential::canon::jcs(entry).unwrap();
        let mut leaves = self.leaves.lock().unwrap();
        leaves.push((did, line));
        leaves.len() as u64 - 1
    }

    fn tree(&self) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for (_, line) in self.leaves.lock().unwrap().iter() {
            tree.push(line.as_bytes());
        }
        tree
    }
}

impl Ledger for RogueLedger {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        let leaf_index = self.push(entry.json());
        Ok(Receipt {
            did: entry.did().clone(),
            version_id: entry.version_id().to_owned(),
            leaf_index,
            duplicate: false,
        })
    }
    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        let hidden = *self.hidden.lock().unwrap();
        let entries: Vec<StoredEntry> = self
            .leaves
            .lock()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(i, (d, _))| d == did.as_str() && Some(*i) != hidden)
            .map(|(i, (_, line))| StoredEntry { line: line.clone(), leaf_index: i as u64 })
            .collect();
        if entries.is_empty() { Err(LedgerError::NotFound(did.clone())) } else { Ok(entries) }
    }
    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        let mut state: Option<DidState> = None;
        for e in self.log(did).await? {
            state = Some(log::verify_entry(Method::Didam, state.as_ref(), &e.json()?, Utc::now()).await?);
        }
        state.ok_or_else(|| LedgerError::NotFound(did.clone()))
    }
    async fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.leaves.lock().unwrap().len() as u64)
    }
    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        Ok(self.leaves.lock().unwrap()[index as usize].1.clone().into_bytes())
    }
    async fn integrate(&self) -> Result<u64, LedgerError> {
        self.size().await
    }
    async fn checkpoint(&self, _: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        Ok(self.latest_checkpoint().await?.unwrap())
    }
    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let tree = self.tree();
        let (_, tips) = self.tips();
        let extension = didam_ledger::tips_extension(tips.count(), &tips.root());
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size: tree.size(),
            root: tree.root().0,
            extensions: vec![extension],
        };
        Ok(Some(SignedCheckpoint { size: cp.size, root: Hash(cp.root), note: cp.sign(&self.signer)? }))
    }
    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        Ok(self.tree().inclusion_proof(index, size)?)
    }
    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        Ok(self.tree().consistency_proof(old, new)?)
    }
    async fn tip_proof(&self, did: &Did, _size: u64) -> Result<TipProof, LedgerError> {
        let (records, tips) = self.tips();
        let record = records
            .into_iter()
            .find(|r| r.did == did.as_str())
            .ok_or_else(|| LedgerError::NotFound(did.clone()))?;
        match tips.lookup(did.as_str()) {
            Lookup::Found { siblings, .. } => Ok(TipProof { record, count: tips.count(), proof: siblings }),
            Lookup::Absent { .. } => Err(LedgerError::NotFound(did.clone())),
        }
    }
}

impl RogueLedger {
    /// The tips tree over everything stored: the rogue commits honestly to
    /// the tips, whatever it serves afterwards.
    fn tips(&self) -> (Vec<TipRecord>, MemoryTips) {
        let mut latest = std::collections::BTreeMap::new();
        for (i, (did, line)) in self.leaves.lock().unwrap().iter().enumerate() {
            let entry: Value = serde_json::from_str(line).unwrap();
            let hash = entry["versionId"].as_str().unwrap().split_once('-').unwrap().1.to_owned();
            latest
                .insert(did.clone(), TipRecord { did: did.clone(), leaf_index: i as u64, entry_hash: hash });
        }
        let records: Vec<TipRecord> = latest.into_values().collect();
        let mut tree = MemoryTips::new();
        tree.set(&records);
        (records, tree)
    }
}

struct Fixture {
    keys: Vec<SecretKey>,
    first: Value,
    state: DidState,
}

async fn genuine_did() -> Fixture {
    let keys = keys(4);
    let mut params = serde_json::Map::new();
    params.insert("updateKeys".into(), json!([keys[0].public_key().to_multikey()]));
    params.insert("nextKeyHashes".into(), json!([log::key_hash(&keys[1].public_key().to_multikey())]));
    let draft = EntryDraft {
        parameters: params,
        document: json!({ "id": "did:didam:{SCID}" }),
        version_time: Utc::now() - Duration::hours(1),
    };
    let first = log::create_entry(Method::Didam, draft, &keys[0]).await.unwrap().into_json();
    let state = log::verify_entry(Method::Didam, None, &first, Utc::now()).await.unwrap();
    Fixture { keys, first, state }
}

async fn next(f: &Fixture, signer: usize, commit: usize, secs: i64) -> Value {
    let mut params = serde_json::Map::new();
    params.insert("updateKeys".into(), json!([f.keys[signer].public_key().to_multikey()]));
    params.insert("nextKeyHashes".into(), json!([log::key_hash(&f.keys[commit].public_key().to_multikey())]));
    let draft = EntryDraft {
        parameters: params,
        document: f.state.document.clone(),
        version_time: f.state.version_time + Duration::seconds(secs),
    };
    log::next_entry(&f.state, draft, &f.keys[signer]).await.unwrap().into_json()
}

async fn resolve_from(
    rogue: &RogueLedger,
    store: &CheckpointStore,
    did: &str,
) -> Result<didam_registry::Resolved, Error> {
    resolve(rogue, &rogue.signer.verifier(), store, did, &ResolveOptions::default()).await
}

#[test]
fn a_rogue_ledger_is_caught() {
    let dir = temp_dir("rogue");
    block_on(async {
        // An entry signed by a key the DID never committed to.
        let rogue = RogueLedger::new(signer());
        let f = genuine_did().await;
        rogue.push(&f.first);
        rogue.push(&next(&f, 2, 3, 1).await);
        let err = resolve_from(&rogue, &CheckpointStore::new(dir.join("a")), &f.state.did).await.unwrap_err();
        assert_eq!(err.code(), "invalidParameters", "uncommitted key: {err}");

        // A fork: two children of the first entry.
        let rogue = RogueLedger::new(signer());
        rogue.push(&f.first);
        rogue.push(&next(&f, 1, 2, 1).await);
        rogue.push(&next(&f, 1, 3, 2).await);
        let err = resolve_from(&rogue, &CheckpointStore::new(dir.join("b")), &f.state.did).await.unwrap_err();
        assert_eq!(err.code(), "invalidDid", "fork: {err}");

        // An old entry's state altered after the fact.
        let rogue = RogueLedger::new(signer());
        let mut altered = f.first.clone();
        altered["state"]["alsoKnownAs"] = json!(["https://attacker.example"]);
        rogue.push(&altered);
        rogue.push(&next(&f, 1, 2, 1).await);
        let err = resolve_from(&rogue, &CheckpointStore::new(dir.join("c")), &f.state.did).await.unwrap_err();
        assert_eq!(err.code(), "invalidDid", "altered entry: {err}");

        // A truncated log: the latest entry withheld though the checkpoint covers it.
        let rogue = RogueLedger::new(signer());
        rogue.push(&f.first);
        let hidden = rogue.push(&next(&f, 1, 2, 1).await);
        *rogue.hidden.lock().unwrap() = Some(hidden as usize);
        let err = resolve_from(&rogue, &CheckpointStore::new(dir.join("t")), &f.state.did).await.unwrap_err();
        assert!(err.to_string().contains("truncated log"), "{err}");

        // A checkpoint signed by another key.
        let rogue = RogueLedger::new(signer());
        rogue.push(&f.first);
        let other = signer();
        let err = resolve(
            &rogue,
            &other.verifier(),
            &CheckpointStore::new(dir.join("d")),
            &f.state.did,
            &Default::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "invalidLedgerProof", "bad signature: {err}");

        // A split view: the client saw one history, the ledger later shows another.
        let store = CheckpointStore::new(dir.join("e"));
        // One checkpoint key behind every view.
        let ledger_key = SecretKey::generate(KeyType::Ed25519);
        let same_key = || NoteSigner::new(ORIGIN, ledger_key.clone()).unwrap();
        let honest = RogueLedger::new(same_key());
        let other_did = genuine_did().await;
        honest.push(&other_did.first);
        honest.push(&f.first);
        resolve_from(&honest, &store, &f.state.did).await.unwrap();
        let forked = RogueLedger::new(same_key());
        forked.push(&f.first);
        forked.push(&other_did.first);
        forked.push(&next(&f, 1, 2, 1).await);
        let err = resolve_from(&forked, &store, &f.state.did).await.unwrap_err();
        assert_eq!(err.code(), "invalidLedgerProof", "split view: {err}");
        // And a rollback to a smaller tree.
        let small = RogueLedger::new(same_key());
        small.push(&f.first);
        let err = resolve_from(&small, &store, &f.state.did).await.unwrap_err();
        assert!(err.to_string().contains("rollback"), "{err}");
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a verifier sees: a forged or truncated log, or a checkpoint by
/// another key, is an invalid ledger proof, never an invalid DID document.
#[test]
fn a_rogue_ledger_reaches_verifiers_as_an_invalid_ledger_proof() {
    use didam_credential::ResolveError;
    use didam_credential::did::{DidResolver, MethodResolver as _};

    let dir = temp_dir("rogue-verifier");
    block_on(async {
        let f = genuine_did().await;
        let did = f.state.did.clone();

        // An old entry's state altered after the fact.
        let altered = RogueLedger::new(signer());
        let mut entry = f.first.clone();
        entry["state"]["alsoKnownAs"] = json!(["https://attacker.example"]);
        altered.push(&entry);
        // The latest entry withheld though the checkpoint covers it.
        let truncated = RogueLedger::new(signer());
        truncated.push(&f.first);
        let hidden = truncated.push(&next(&f, 1, 2, 1).await);
        *truncated.hidden.lock().unwrap() = Some(hidden as usize);

        for (name, rogue) in [("altered", altered), ("truncated", truncated)] {
            let key = rogue.signer.verifier();
            let resolver =
                didam_registry::Resolver::new().with_ledger(rogue, key, CheckpointStore::new(dir.join(name)));
            let err = DidResolver::resolve(&resolver, &did).await.unwrap_err();
            assert!(matches!(err, ResolveError::InvalidLedgerProof { .. }), "{name}: {err:?}");
            let err = resolver.resolve_method(&format!("{did}#key-1")).await.unwrap_err();
            assert!(matches!(err, ResolveError::InvalidLedgerProof { .. }), "{name}: {err:?}");
        }
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn leaf_hashes_cover_exact_entry_bytes() {
    // The leaf is the JCS form of the entry: the same entry with keys reordered
    // hashes the same.
    let a = json!({"b": 1, "a": "x"});
    let b: Value = serde_json::from_str(r#"{"a":"x","b":1}"#).unwrap();
    let leaf = |v: &Value| merkle::leaf_hash(didam_credential::canon::jcs(v).unwrap().as_bytes());
    assert_eq!(leaf(&a), leaf(&b));
}

#[test]
fn witnesses_cosign_checkpoints_and_resolvers_require_them() {
    use didam_ledger::cosign::CheckpointWitness;
    let dir = temp_dir("witnesses");
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    let ledger_key = signer();
    let witness = |name: &str| {
        CheckpointWitness::new(
            NoteSigner::new(name, SecretKey::generate(KeyType::Ed25519)).unwrap(),
            ledger_key.verifier(),
            dir.join(format!("{name}.state")),
        )
    };
    let (w1, w2, w3) = (witness("w1.example"), witness("w2.example"), witness("w3.example"));
    let store = CheckpointStore::new(dir.join("checkpoints"))
        .with_witnesses(vec![w1.verifier(), w2.verifier(), w3.verifier()], 2);
    let k = keys(3);
    block_on(async {
        let doc = entry::document_with_keys("did:didam:{SCID}", &[k[2].public_key()]);
        let (did, _) = operations::create(&ledger, &k[0], &k[1].public_key(), doc, Utc::now()).await.unwrap();
        ledger.checkpoint(&ledger_key).await.unwrap();
        let (vkey, options) = (ledger_key.verifier(), ResolveOptions::default());
        let resolve_now = || resolve(&ledger, &vkey, &store, did.as_str(), &options);

        // Signed by the ledger only: refused.
        let err = resolve_now().await.unwrap_err();
        assert!(err.to_string().contains("0 of the configured witnesses"), "{err}");
        // One cosignature is not enough; two are.
        let one = w1.cosign(&ledger).await.unwrap();
        ledger.add_cosignatures(&one).unwrap();
        let err = resolve_now().await.unwrap_err();
        assert!(err.to_string().contains("1 of the configured witnesses"), "{err}");
        let two = w2.cosign(&ledger).await.unwrap();
        ledger.add_cosignatures(&two).unwrap();
        assert_eq!(resolve_now().await.unwrap().state.did, did.as_str());

        // A cosignature by a key that is not the witness's does not count,
        // and a forged witness signature is an error.
        let forged = two.replace("— w2.example ", "— w3.example ");
        assert!(ledger.add_cosignatures(&forged).is_err(), "cosignatures must extend the stored note");

        // A witness never cosigns a checkpoint inconsistent with the last it
        // cosigned: a second ledger with the same key and a different history.
        let rogue = EmbeddedLedger::open(&dir.join("rogue.db"), ORIGIN).unwrap();
        let doc = entry::document_with_keys("did:didam:{SCID}", &[k[1].public_key()]);
        operations::create(&rogue, &k[2], &k[0].public_key(), doc, Utc::now()).await.unwrap();
        operations::create(
            &rogue,
            &k[1],
            &k[0].public_key(),
            entry::document_with_keys("did:didam:{SCID}", &[k[0].public_key()]),
            Utc::now(),
        )
        .await
        .unwrap();
        rogue.checkpoint(&ledger_key).await.unwrap();
        let refused = w1.cosign(&rogue).await.unwrap_err();
        assert!(matches!(refused, LedgerError::InconsistentCheckpoint { .. }), "{refused}");
    });
}
