//! The worked example of `specs/did-didam.md`, in `test-vectors/did-didam/`.
//!
//! Everything in it is deterministic (fixed test keys, fixed times, Ed25519),
//! so this test rebuilds the example with didam's code and compares it byte for
//! byte; it also checks the files on their own, as another implementation
//! would. `DIDAM_REGENERATE=1` rewrites the files instead of comparing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use didam_credential::{KeyType, SecretKey};
use didam_ledger::merkle;
use didam_ledger::note::{Checkpoint, NoteSigner, NoteVerifier};
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_method::entry;
use didam_method::log::{self, Method};
use didam_registry::{CheckpointStore, ResolveOptions, operations, resolve};
use futures::executor::block_on;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "example.didam/ledger";

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors/did-didam")
}

/// A test key from a fixed seed: never use these for anything real.
fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes(KeyType::Ed25519, &[n; 32]).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Builds the example: a DID created, rotated, then updated with a service.
fn build(dir: &Path) -> Vec<(String, String)> {
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    let ledger_key = NoteSigner::new(ORIGIN, key(100)).unwrap();
    let (update1, update2, update3, update4, assertion) = (key(1), key(2), key(3), key(4), key(10));
    block_on(async {
        let doc = entry::document_with_keys("did:didam:{SCID}", &[assertion.public_key()]);
        let (did, _) =
            operations::create(&ledger, &update1, &update2.public_key(), doc, at("2026-01-01T00:00:00Z"))
                .await
                .unwrap();
        operations::rotate(&ledger, &did, &update2, &update3.public_key(), at("2026-01-02T00:00:00Z"))
            .await
            .unwrap();
        let mut doc = entry::document_with_keys(did.as_str(), &[assertion.public_key()]);
        doc["service"] = json!([{ "id": format!("{did}#home"), "type": "LinkedDomains", "serviceEndpoint": "https://example.com" }]);
        operations::update(
            &ledger,
            &did,
            &update3,
            &update4.public_key(),
            Some(doc),
            at("2026-01-03T00:00:00Z"),
        )
        .await
        .unwrap();
        let checkpoint = ledger.checkpoint(&ledger_key).await.unwrap();

        let log: String =
            ledger.log(did.as_did()).await.unwrap().iter().map(|e| format!("{}\n", e.line)).collect();
        let last = ledger.log(did.as_did()).await.unwrap().pop().unwrap();
        let inclusion = ledger.inclusion_proof(last.leaf_index, checkpoint.size).await.unwrap();
        let tip = ledger.tip_proof(did.as_did(), checkpoint.size).await.unwrap();
        let proofs = json!({
            "did": did.as_str(),
            "treeSize": checkpoint.size,
            "latestEntry": { "leafIndex": last.leaf_index, "leafHash": merkle::leaf_hash(last.line.as_bytes()).to_hex() },
            "inclusionProof": inclusion.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
            "tipRecord": String::from_utf8(tip.record.leaf_data()).unwrap(),
            "tipKey": didam_ledger::tips::key(did.as_str()).to_hex(),
            "tipLeafHash": didam_ledger::tips::leaf_hash(
                &didam_ledger::tips::key(did.as_str()),
                &didam_ledger::tips::value_hash(&tip.record),
            )
            .to_hex(),
            "tipCount": tip.count,
            "tipProof": tip.proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
        });
        let update_keys: Vec<String> =
            [&update1, &update2, &update3].iter().map(|k| k.public_key().to_multikey()).collect();
        let keys = json!({
            "_comment": "TEST KEYS from fixed seeds: public by design, never use them for anything real.",
            "ledgerVerifierKey": ledger_key.verifier().to_vkey(),
            "updateKeys": update_keys,
            "nextUpdateKeyHash": log::key_hash(&update4.public_key().to_multikey()),
            "assertionKey": assertion.public_key().to_multikey(),
        });
        let store = CheckpointStore::new(dir.join("client"));
        let resolved =
            resolve(&ledger, &ledger_key.verifier(), &store, did.as_str(), &ResolveOptions::default())
                .await
                .unwrap();
        let resolution = resolved.resolution().unwrap().to_json();
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap() + "\n";
        vec![
            ("did.jsonl".into(), log),
            ("checkpoint.txt".into(), checkpoint.note),
            ("proofs.json".into(), pretty(&proofs)),
            ("keys.json".into(), pretty(&keys)),
            ("resolution.json".into(), pretty(&resolution)),
        ]
    })
}

#[test]
fn the_worked_example_is_what_the_code_produces() {
    let dir = std::env::temp_dir().join(format!("didam-worked-example-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = build(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    for (name, contents) in files {
        let path = folder().join(&name);
        if std::env::var_os("DIDAM_REGENERATE").is_some() {
            std::fs::write(&path, &contents).unwrap();
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            stored, contents,
            "{name} differs from what the code produces (DIDAM_REGENERATE=1 rewrites it)"
        );
    }
}

#[test]
fn the_worked_example_checks_on_its_own() {
    let read = |name: &str| std::fs::read_to_string(folder().join(name)).unwrap();
    let keys: Value = serde_json::from_str(&read("keys.json")).unwrap();
    let proofs: Value = serde_json::from_str(&read("proofs.json")).unwrap();
    let verifier = NoteVerifier::parse(keys["ledgerVerifierKey"].as_str().unwrap()).unwrap();

    // The checkpoint is signed by the ledger key and commits to the tips tree.
    let (checkpoint, _) = Checkpoint::open(read("checkpoint.txt").as_bytes(), &verifier).unwrap();
    assert_eq!(checkpoint.origin, ORIGIN);
    let (count, tips_root) = didam_ledger::parse_tips_extension(&checkpoint.extensions).unwrap();

    // The log replays: SCID, hash chain, pre-rotation, proofs.
    let log = read("did.jsonl");
    let states = block_on(log::verify_log(Method::Didam, &log, Utc::now())).unwrap();
    assert_eq!(states.len(), 3);
    assert_eq!(states[2].did, proofs["did"].as_str().unwrap());

    // The latest entry is in the tree, and is the DID's tip.
    let last_line = log.lines().last().unwrap();
    let leaf = merkle::leaf_hash(last_line.as_bytes());
    assert_eq!(leaf.to_hex(), proofs["latestEntry"]["leafHash"].as_str().unwrap());
    let hashes = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| merkle::Hash::from_hex(h.as_str().unwrap()).unwrap())
            .collect::<Vec<_>>()
    };
    let index = proofs["latestEntry"]["leafIndex"].as_u64().unwrap();
    merkle::verify_inclusion(
        &leaf,
        index,
        checkpoint.size,
        &hashes(&proofs["inclusionProof"]),
        &merkle::Hash(checkpoint.root),
    )
    .unwrap();
    let record = proofs["tipRecord"].as_str().unwrap();
    assert_eq!(record, format!("{}\n{index}\n{}\n", states[2].did, states[2].entry_hash));
    // The tips tree, recomputed by hand (specs/did-didam.md §8.4): the key
    // is SHA-256(DID), the value SHA-256(record), the leaf
    // SHA-256(0x00 ‖ key ‖ value); each sibling, deepest first, joins as
    // SHA-256(0x01 ‖ left ‖ right) on the side the key's bit says.
    let sha256 = |parts: &[&[u8]]| -> [u8; 32] {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    };
    let key = sha256(&[states[2].did.as_bytes()]);
    assert_eq!(merkle::Hash(key).to_hex(), proofs["tipKey"].as_str().unwrap());
    let mut node = sha256(&[&[0], &key, &sha256(&[record.as_bytes()])]);
    assert_eq!(merkle::Hash(node).to_hex(), proofs["tipLeafHash"].as_str().unwrap());
    let siblings = hashes(&proofs["tipProof"]);
    for (depth, sibling) in siblings.iter().enumerate().rev() {
        let right = key[depth / 8] >> (7 - depth % 8) & 1 == 1;
        node = if right { sha256(&[&[1], &sibling.0, &node]) } else { sha256(&[&[1], &node, &sibling.0]) };
    }
    assert_eq!(merkle::Hash(node), tips_root);
    assert_eq!(proofs["tipCount"].as_u64(), Some(count));

    // The resolution result is the latest document.
    let resolution: Value = serde_json::from_str(&read("resolution.json")).unwrap();
    assert_eq!(resolution["didDocument"], states[2].document);
    assert_eq!(resolution["didDocumentMetadata"]["versionId"], json!(states[2].version_id));
}
