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
fn embedded_ledger_refuses_what_is_beyond_its_limits() {
    let dir = temp_dir("limits");
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "didam.test/ledger")
        .unwrap()
        .with_limits(conformance::SMALL_LIMITS);
    futures::executor::block_on(conformance::refuses_what_is_beyond_its_limits(ledger));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A log stored under larger limits is refused, not loaded, by a ledger with
/// smaller ones (`Ledger::log` and `log_at` read within the limits).
#[test]
fn a_stored_log_beyond_the_limits_is_not_read() {
    use didam_ledger::{AdmissionLimits, Ledger as _, LedgerError, LimitError};
    let dir = temp_dir("read-limits");
    let path = dir.join("ledger.db");
    let ledger = EmbeddedLedger::open(&path, "didam.test/ledger").unwrap();
    let did = futures::executor::block_on(async {
        let keys: Vec<_> = (0..4)
            .map(|_| didam_credential::SecretKey::generate(didam_credential::KeyType::Ed25519))
            .collect();
        let (did, first) = didam_method::entry::create_entry(
            &keys[0],
            &keys[1].public_key(),
            didam_method::entry::document_with_keys("did:didam:{SCID}", &[keys[3].public_key()]),
            chrono::Utc::now() - chrono::Duration::seconds(60),
        )
        .await
        .unwrap();
        ledger.append(&first).await.unwrap();
        let tip = ledger.tip(did.as_did()).await.unwrap();
        let next = didam_method::entry::next_entry(
            &tip,
            &keys[1],
            Some(&keys[2].public_key()),
            None,
            false,
            tip.version_time + chrono::Duration::seconds(1),
        )
        .await
        .unwrap();
        ledger.append(&next).await.unwrap();
        did
    });
    drop(ledger);
    let one = AdmissionLimits { max_log_entries: 1, ..AdmissionLimits::default() };
    let small = EmbeddedLedger::open(&path, "didam.test/ledger").unwrap().with_limits(one);
    let size = futures::executor::block_on(small.integrate()).unwrap();
    for result in futures::executor::block_on(async {
        [small.log(did.as_did()).await, small.log_at(did.as_did(), size).await]
    }) {
        assert!(
            matches!(result, Err(LedgerError::Limit(LimitError::LogTooLong { max: 1, .. }))),
            "{result:?}"
        );
    }
    let bytes = AdmissionLimits { max_log_bytes: 100, ..AdmissionLimits::default() };
    let small = EmbeddedLedger::open(&path, "didam.test/ledger").unwrap().with_limits(bytes);
    let result = futures::executor::block_on(small.log(did.as_did()));
    assert!(
        matches!(result, Err(LedgerError::Limit(LimitError::LogTooLarge { max: 100, .. }))),
        "{result:?}"
    );
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
