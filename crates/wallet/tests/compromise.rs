//! The compromise procedure's journal on a real wallet file and a real
//! embedded ledger (issue 19, Deliver 1): begun once, continued by every
//! later call (the wallet is re-keyed once per leak), holding no secret; a
//! did:key is marked compromised, a did:didam DID rotated once.
#![allow(clippy::unwrap_used)]

use didam_credential::KeyType;
use didam_ledger::EmbeddedLedger;
use didam_wallet::{DidLedgers, DidStatus, InitOptions, KdfParams, Wallet, WalletError};

const PASS: &[u8] = b"correct horse battery staple";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
}

#[test]
fn a_compromise_is_begun_once_and_continued_without_a_second_rekey() {
    let dir = std::env::temp_dir().join(format!("didam-wallet-compromise-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "test.example/ledger").unwrap();
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let (mut wallet, rrs) = Wallet::init(&dir.join("w"), PASS, &options).unwrap();
    let didam = block_on(wallet.create_did(&ledger, "l", &rrs, &[KeyType::Ed25519])).unwrap();
    let key = wallet.create_did_key(KeyType::Ed25519).unwrap();
    assert!(wallet.compromise_journal().unwrap().is_none());
    let old_root = wallet.root().as_bytes().to_vec();

    let (journal, resumed) =
        wallet.compromise_begin(&rrs, &didam.did, PASS, Some(KdfParams::FLOOR), false).unwrap();
    assert!(!resumed);
    let new_root = wallet.root().as_bytes().to_vec();
    assert_ne!(new_root, old_root, "re-keyed");
    assert_eq!(journal.targets.len(), 2);
    // Only the public check value names the new root.
    let text = serde_json::to_string(&journal).unwrap();
    assert!(!text.contains(&hex::encode(&new_root)) && !text.contains(&hex::encode(&old_root)));

    // Interrupted here: reopened, begun again, it continues; no second re-key.
    drop(wallet);
    let mut wallet = Wallet::open(&dir.join("w"), PASS).unwrap();
    let (again, resumed) =
        wallet.compromise_begin(&rrs, &didam.did, PASS, Some(KdfParams::FLOOR), false).unwrap();
    assert!(resumed);
    assert_eq!(again, journal);
    assert_eq!(wallet.root().as_bytes().to_vec(), new_root);
    // A new leak is refused while this one is unfinished.
    let refused = wallet.compromise_begin(&rrs, &didam.did, PASS, Some(KdfParams::FLOOR), true);
    assert!(matches!(refused, Err(WalletError::CompromiseUnfinished(_))), "{refused:?}");

    // Not resolvable yet (say, another operator): rotated, said so.
    let report =
        block_on(wallet.compromise_continue(&DidLedgers::every_did_on(&ledger), &rrs, async |_| Ok(false)))
            .unwrap();
    assert_eq!(report.rotated.len(), 1);
    assert_eq!(report.stop_using, vec![key.did.clone()]);
    assert!(!report.journal.resolvable && report.journal.finished.is_some());
    assert_eq!(wallet.did(&key.did).unwrap().status, DidStatus::Compromised);
    // Run again: not rotated again, now resolvable.
    let report =
        block_on(wallet.compromise_continue(&DidLedgers::every_did_on(&ledger), &rrs, async |_| Ok(true)))
            .unwrap();
    assert_eq!(report.rotated[0].1, wallet.did(&didam.did).unwrap().version_id.unwrap());
    assert!(report.rotated[0].1.starts_with("2-"), "{:?}", report.rotated);
    assert!(report.journal.resolvable);
    // Finished: a new leak re-keys again.
    let (fresh, resumed) =
        wallet.compromise_begin(&rrs, &didam.did, PASS, Some(KdfParams::FLOOR), true).unwrap();
    assert!(!resumed && fresh.finished.is_none());
    assert_ne!(wallet.root().as_bytes().to_vec(), new_root);
    let _ = std::fs::remove_dir_all(&dir);
}
