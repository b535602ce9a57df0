//! The compromise procedure's journal on a real wallet file and a real
//! embedded ledger (issue 19, Deliver 1): begun once, continued by every
//! later call (the wallet is re-keyed once per leak), holding no secret; a
//! did:key is marked compromised, a did:didam DID rotated once.
#![allow(clippy::unwrap_used, missing_docs)]

use didam_credential::{Did, KeyType};
use didam_ledger::merkle::Hash;
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof};
use didam_method::LogEntry;
use didam_method::log::DidState;
use didam_wallet::{DidLedgers, DidStatus, HandoverOutcome, InitOptions, KdfParams, Wallet, WalletError};

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

/// The real embedded ledger, cut short around the operator key handover as
/// a crash would: the call fails before the ledger acts (`after`: false) or
/// after it took the new key (`after`: true). Every other call goes through.
struct CutAtHandover<'a> {
    ledger: &'a EmbeddedLedger,
    after: bool,
}

impl Ledger for CutAtHandover<'_> {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        self.ledger.append(entry).await
    }
    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        self.ledger.log(did).await
    }
    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        self.ledger.tip(did).await
    }
    async fn size(&self) -> Result<u64, LedgerError> {
        self.ledger.size().await
    }
    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        self.ledger.leaf(index).await
    }
    async fn integrate(&self) -> Result<u64, LedgerError> {
        self.ledger.integrate().await
    }
    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        self.ledger.checkpoint(signer).await
    }
    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.ledger.latest_checkpoint().await
    }
    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.ledger.inclusion_proof(index, size).await
    }
    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.ledger.consistency_proof(old, new).await
    }
    async fn tip_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
        self.ledger.tip_proof(did, size).await
    }
    async fn replace_operator(
        &self,
        old: &NoteSigner,
        new: &NoteSigner,
    ) -> Result<SignedCheckpoint, LedgerError> {
        if self.after {
            self.ledger.replace_operator(old, new).await?;
        }
        Err(LedgerError::Unavailable("cut short".into()))
    }
}

#[test]
fn the_operator_key_is_handed_over_once_whatever_run_is_cut_short() {
    let dir = std::env::temp_dir().join(format!("didam-wallet-compromise-op-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let origin = "test.example/ledger";
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), origin).unwrap();
    let options = InitOptions { kdf: Some(KdfParams::FLOOR) };
    let (mut wallet, rrs) = Wallet::init(&dir.join("w"), PASS, &options).unwrap();
    let didam = block_on(wallet.create_did(&ledger, "l", &rrs, &[KeyType::Ed25519])).unwrap();
    let old = wallet.ledger_signer(origin).unwrap();
    ledger.set_operator(&old.verifier().to_vkey()).unwrap();
    block_on(ledger.checkpoint(&old)).unwrap();

    wallet.compromise_begin(&rrs, &didam.did, PASS, Some(KdfParams::FLOOR), false).unwrap();
    // Cut before the ledger acts, then after it took the new key.
    for after in [false, true] {
        let cut = CutAtHandover { ledger: &ledger, after };
        let outcome =
            block_on(wallet.compromise_continue(&DidLedgers::every_did_on(&cut), &rrs, async |_| Ok(true)));
        assert!(matches!(outcome, Err(WalletError::Ledger(LedgerError::Unavailable(_)))), "{outcome:?}");
        let journal = wallet.compromise_journal().unwrap().unwrap();
        assert!(journal.finished.is_none());
        assert_eq!(journal.operators.as_ref().unwrap().len(), 1, "planned once");
    }
    let planned = wallet.compromise_journal().unwrap().unwrap().operators.unwrap()[0].clone();
    assert_eq!(planned.old, old.verifier().to_vkey());
    assert_eq!(ledger.operator().unwrap(), Some(planned.new.clone()), "the ledger took the planned key");

    // Reopened, the rerun settles the handover the ledger recorded: once.
    drop(wallet);
    let wallet = Wallet::open(&dir.join("w"), PASS).unwrap();
    let report =
        block_on(wallet.compromise_continue(&DidLedgers::every_did_on(&ledger), &rrs, async |_| Ok(true)))
            .unwrap();
    assert!(report.journal.finished.is_some());
    assert_eq!(report.operator_handovers.len(), 1);
    assert!(matches!(report.operator_handovers[0].outcome, Some(HandoverOutcome::HandedOver { .. })));
    assert!(report.operator_keys.is_empty(), "no key left leaked: {:?}", report.operator_keys);
    assert_eq!(block_on(ledger.handovers()).unwrap().len(), 1, "handed over once");
    let now = wallet.existing_ledger_signer(origin).unwrap().unwrap();
    assert_eq!(now.verifier().to_vkey(), planned.new, "the wallet holds the new key");
    // The wallet signs as the operator; the leaked key signs nothing.
    block_on(ledger.checkpoint(&now)).unwrap();
    assert!(matches!(block_on(ledger.checkpoint(&old)), Err(LedgerError::Operator(_))));
    // Run again after it finished: nothing more.
    let again =
        block_on(wallet.compromise_continue(&DidLedgers::every_did_on(&ledger), &rrs, async |_| Ok(true)))
            .unwrap();
    assert_eq!(again.operator_handovers, report.operator_handovers);
    assert_eq!(block_on(ledger.handovers()).unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
