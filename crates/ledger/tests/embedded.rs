//! The embedded SQLite ledger against the conformance suite, on real files.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use didam_ledger::{EmbeddedLedger, conformance};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-ledger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn embedded_ledger_passes_the_conformance_suite() {
    let dir = temp_dir("conformance");
    let mut n = 0;
    futures::executor::block_on(conformance::run_all(|| {
        n += 1;
        EmbeddedLedger::open(&dir.join(format!("ledger-{n}.db")), "didam.test/ledger").unwrap()
    }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verify_all_detects_a_changed_leaf() {
    use didam_credential::{KeyType, SecretKey};
    use didam_ledger::Ledger as _;
    let dir = temp_dir("verify-all");
    let path = dir.join("ledger.db");
    let ledger = EmbeddedLedger::open(&path, "didam.test/ledger").unwrap();
    let signer =
        didam_ledger::note::NoteSigner::new("didam.test/ledger", SecretKey::generate(KeyType::Ed25519))
            .unwrap();
    futures::executor::block_on(async {
        for _ in 0..3 {
            let (k, next) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
            let mut p = serde_json::Map::new();
            p.insert("updateKeys".into(), serde_json::json!([k.public_key().to_multikey()]));
            p.insert(
                "nextKeyHashes".into(),
                serde_json::json!([didam_method::log::key_hash(&next.public_key().to_multikey())]),
            );
            let draft = didam_method::log::EntryDraft {
                parameters: p,
                document: serde_json::json!({ "id": "did:didam:{SCID}" }),
                version_time: chrono::Utc::now(),
            };
            let entry =
                didam_method::log::create_entry(didam_method::log::Method::Didam, draft, &k).await.unwrap();
            ledger.append(&entry).await.unwrap();
        }
        ledger.checkpoint(&signer).await.unwrap();
        assert_eq!(ledger.verify_all().await.unwrap(), (3, 3));
    });
    drop(ledger);
    // Someone edits a stored entry behind the ledger's back.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE entries SET line = replace(line, 'did:didam', 'did:didaM') WHERE leaf_index = 1",
        [],
    )
    .unwrap();
    drop(conn);
    let ledger = EmbeddedLedger::open(&path, "didam.test/ledger").unwrap();
    let err = futures::executor::block_on(ledger.verify_all()).unwrap_err();
    assert!(matches!(err, didam_ledger::LedgerError::Corrupt(_)), "{err}");
    drop(ledger);
    std::fs::remove_dir_all(&dir).unwrap();
}
