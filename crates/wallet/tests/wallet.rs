//! The wallet on a real SQLite file and a real embedded ledger: DIDs, shares,
//! backups and recovery, leak recovery, tamper detection.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use didam_credential::{Did, KeyType, SecretKey, Suite};
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger as _};
use didam_registry::{CheckpointStore, ResolveOptions, resolve};
use didam_wallet::slip39::{self, GroupSpec};
use didam_wallet::{DidLedgers, DidStatus, InitOptions, KdfParams, RootSecret, Wallet, WalletError};
use rusqlite::Connection;
use serde_json::{Value, json};

const PASS: &[u8] = b"correct horse battery staple";

fn fast() -> InitOptions {
    InitOptions { kdf: Some(KdfParams::FLOOR) }
}

struct Env {
    dir: PathBuf,
    ledger: EmbeddedLedger,
    signer: NoteSigner,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("didam-wallet-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), "test.example/ledger").unwrap();
        let signer = NoteSigner::new("test.example/ledger", SecretKey::generate(KeyType::Ed25519)).unwrap();
        Env { dir, ledger, signer }
    }

    fn wallet_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    async fn resolve(&self, did: &str) -> Value {
        self.ledger.checkpoint(&self.signer).await.unwrap();
        let store = CheckpointStore::new(self.dir.join("checkpoints"));
        let r = resolve(&self.ledger, &self.signer.verifier(), &store, did, &ResolveOptions::default())
            .await
            .unwrap();
        r.state.document
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Verification through the credential engine with [`LedgerMethods`]: the
/// wallet stands beside the verifier crate and does not depend on it.
struct Verifier<'a>(LedgerMethods<'a>);

impl<'a> Verifier<'a> {
    fn new(methods: LedgerMethods<'a>) -> Self {
        Self(methods)
    }

    async fn verify_credential(
        &self,
        text: &str,
    ) -> Result<didam_credential::Report, didam_credential::Error> {
        didam_credential::verify::verify_text(text, &self.0, &Default::default()).await.map(|v| v.report)
    }

    async fn verify_presentation(
        &self,
        text: &str,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> Result<didam_credential::Report, didam_credential::Error> {
        let options = didam_credential::verify::VerifyOptions {
            challenge: challenge.map(str::to_owned),
            domain: domain.map(str::to_owned),
            ..Default::default()
        };
        didam_credential::verify::verify_text(text, &self.0, &options).await.map(|v| v.report)
    }
}

/// A verifier that resolves did:didam through the test ledger's proofs.
struct LedgerMethods<'a>(&'a Env);

impl didam_credential::did::DidResolver for LedgerMethods<'_> {
    async fn resolve(
        &self,
        did: &str,
    ) -> Result<didam_credential::did::Resolution, didam_credential::ResolveError> {
        self.0.ledger.checkpoint(&self.0.signer).await.unwrap();
        let store = CheckpointStore::new(self.0.dir.join("checkpoints"));
        let r = resolve(&self.0.ledger, &self.0.signer.verifier(), &store, did, &ResolveOptions::default())
            .await
            .unwrap();
        Ok(r.resolution().unwrap())
    }
}

impl didam_credential::did::MethodResolver for LedgerMethods<'_> {
    async fn resolve_method(
        &self,
        id: &str,
    ) -> Result<didam_credential::did::ResolvedMethod, didam_credential::ResolveError> {
        didam_credential::did::resolve_method_via(self, id).await
    }
}

fn credential(subject: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": subject, "degree": "BSc" }
    })
}

/// Runs `f` on a runtime with a timer: a DID operation waits on one for its
/// entry's second.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
}

#[test]
fn dids_live_on_the_ledger_and_rotate_with_the_cold_secret() {
    let env = Env::new("lifecycle");
    let (wallet, rrs) = Wallet::init(&env.wallet_dir("w"), PASS, &fast()).unwrap();
    let record =
        block_on(wallet.create_did(&env.ledger, "ledger.db", &rrs, &[KeyType::Ed25519, KeyType::P256]))
            .unwrap();
    assert_eq!(record.status, DidStatus::Active);
    let doc = block_on(env.resolve(&record.did));
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 2);

    // Rotation needs the rotation secret: another one is refused.
    let other = RootSecret::generate();
    assert!(matches!(
        block_on(wallet.rotate_did(&env.ledger, &other, &record.did)),
        Err(WalletError::WrongRotationSecret)
    ));
    let rotated = block_on(wallet.rotate_did(&env.ledger, &rrs, &record.did)).unwrap();
    assert_eq!(rotated.update_n, 1);
    let services = vec![json!({"id": "#hub", "type": "LinkedDomains", "endpoint": "https://example.com"})];
    block_on(wallet.update_did(&env.ledger, &rrs, &record.did, None, Some(services))).unwrap();
    let doc = block_on(env.resolve(&record.did));
    assert_eq!(doc["service"][0]["endpoint"], "https://example.com");
    assert_eq!(env.ledger.log(&Did::parse(&record.did).unwrap()).await_log().len(), 3);

    block_on(wallet.deactivate_did(&env.ledger, &rrs, &record.did)).unwrap();
    assert_eq!(wallet.did(&record.did).unwrap().status, DidStatus::Deactivated);
    assert!(block_on(wallet.rotate_did(&env.ledger, &rrs, &record.did)).is_err());
}

trait AwaitLog {
    fn await_log(self) -> Vec<didam_ledger::StoredEntry>;
}

impl<F: std::future::Future<Output = Result<Vec<didam_ledger::StoredEntry>, didam_ledger::LedgerError>>>
    AwaitLog for F
{
    fn await_log(self) -> Vec<didam_ledger::StoredEntry> {
        block_on(self).unwrap()
    }
}

#[test]
fn issue_present_and_verify_against_the_ledger() {
    let env = Env::new("issue");
    let (issuer, irrs) = Wallet::init(&env.wallet_dir("issuer"), PASS, &fast()).unwrap();
    let (holder, hrrs) = Wallet::init(&env.wallet_dir("holder"), PASS, &fast()).unwrap();
    let i = block_on(issuer.create_did(&env.ledger, "l", &irrs, &[KeyType::Ed25519])).unwrap();
    let h = block_on(holder.create_did(&env.ledger, "l", &hrrs, &[KeyType::Ed25519])).unwrap();
    let vc = block_on(issuer.issue(&credential(&h.did), &i.did, Suite::EddsaRdfc2022)).unwrap();
    assert_eq!(issuer.issued().unwrap().len(), 1);
    let id = holder.store_credential(&vc).unwrap();
    assert_eq!(holder.credential(&id).unwrap(), vc);
    assert_eq!(holder.credentials().unwrap().len(), 1);

    let vp = block_on(holder.present(
        &h.did,
        std::slice::from_ref(&vc),
        Some("c-123"),
        Some("example.org"),
        Suite::EddsaJcs2022,
    ))
    .unwrap();
    let verifier = Verifier::new(LedgerMethods(&env));
    let report = block_on(verifier.verify_credential(&vc.to_string())).unwrap();
    assert!(report.is_valid(), "{report}");
    let report =
        block_on(verifier.verify_presentation(&vp.to_string(), Some("c-123"), Some("example.org"))).unwrap();
    assert!(report.is_valid(), "{report}");
    let report =
        block_on(verifier.verify_presentation(&vp.to_string(), Some("other"), Some("example.org"))).unwrap();
    assert!(!report.is_valid());

    holder.delete_credential(&id).unwrap();
    assert!(holder.credentials().unwrap().is_empty());
}

// See: issue 18 (re-using a credential `id` overwrote the issuer's record,
// after which the original could no longer be revoked).
#[test]
fn r18_a_credential_id_is_issued_once_and_the_first_stays_revocable() {
    use didam_credential::status_list::StatusPurpose;
    use didam_wallet::status::StatusAction;
    let env = Env::new("issue-once");
    let (issuer, rrs) = Wallet::init(&env.wallet_dir("issuer"), PASS, &fast()).unwrap();
    let i = block_on(issuer.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519])).unwrap();
    let mut first = credential("did:example:alice");
    first["id"] = json!("urn:uuid:0b5e3f4e-2d1c-4c55-9d6a-1a2b3c4d5e6f");
    let revocation = [StatusPurpose::Revocation];
    let signed = block_on(issuer.issue_with_status(
        Some(&env.ledger),
        None,
        &first,
        &i.did,
        Suite::EddsaRdfc2022,
        &revocation,
    ))
    .unwrap();
    let mut second = credential("did:example:mallory");
    second["id"] = first["id"].clone();
    for attempt in [
        block_on(issuer.issue(&second, &i.did, Suite::EddsaJcs2022)),
        block_on(issuer.issue_with_status(
            Some(&env.ledger),
            None,
            &second,
            &i.did,
            Suite::EddsaRdfc2022,
            &revocation,
        )),
    ] {
        assert!(
            matches!(attempt, Err(WalletError::AlreadyIssued(ref id)) if id == "urn:uuid:0b5e3f4e-2d1c-4c55-9d6a-1a2b3c4d5e6f"),
            "{attempt:?}"
        );
    }
    assert_eq!(issuer.issued().unwrap().len(), 1);
    let changes = block_on(issuer.set_status(
        Some(&env.ledger),
        "urn:uuid:0b5e3f4e-2d1c-4c55-9d6a-1a2b3c4d5e6f",
        StatusAction::Revoke,
    ))
    .unwrap();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].set);
    assert_eq!(
        Some(changes[0].list.as_str()),
        signed["credentialStatus"]["statusListCredential"].as_str(),
        "the revoked entry is the first credential's"
    );

    // Two issues of one new id racing from two handles on the one store:
    // exactly one wins, and the record is the winner's.
    let other = Wallet::open(&env.wallet_dir("issuer"), PASS).unwrap();
    let mut racing = credential("did:example:bob");
    racing["id"] = json!("urn:uuid:race");
    let results = std::thread::scope(|s| {
        let a = s.spawn(|| block_on(issuer.issue(&racing, &i.did, Suite::EddsaJcs2022)));
        let b = s.spawn(|| block_on(other.issue(&racing, &i.did, Suite::EddsaJcs2022)));
        [a.join().unwrap(), b.join().unwrap()]
    });
    let won = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(WalletError::AlreadyIssued(_)))).count();
    assert_eq!((won, refused), (1, 1), "{results:?}");
    assert_eq!(issuer.issued().unwrap().len(), 2);
}

fn shares_of(secret: &RootSecret) -> Vec<String> {
    let groups = slip39::split(
        secret.as_bytes(),
        b"",
        1,
        &[GroupSpec { threshold: 2, count: 3 }],
        0,
        &mut rand_core::OsRng,
    )
    .unwrap();
    groups[0].iter().map(|s| s.to_string()).collect()
}

#[test]
fn recovery_on_a_fresh_machine_from_shares_and_the_newest_backup() {
    let env = Env::new("recover");
    let dir = env.wallet_dir("w");
    let (wallet, rrs) = Wallet::init(&dir, PASS, &fast()).unwrap();
    let record =
        block_on(wallet.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519, KeyType::Secp256k1])).unwrap();
    wallet.store_credential(&credential("did:example:x")).unwrap();
    let shares = shares_of(wallet.root());
    // Key operations back up by themselves; other changes when asked.
    let auto = Wallet::newest_backup(&dir).unwrap();
    let backup = wallet.backup().unwrap();
    assert!(backup > auto);
    let keys_before = wallet.keys().unwrap();
    drop(wallet);

    // The machine is lost: only two shares and the backup file remain.
    let fresh = env.wallet_dir("fresh");
    let root = RootSecret::from_bytes(&slip39::combine(&shares[1..], b"").unwrap()).unwrap();
    let restored =
        Wallet::restore(&fresh, &root, &backup, b"new passphrase", Some(KdfParams::FLOOR), false).unwrap();
    assert_eq!(restored.dids().unwrap()[0].did, record.did);
    assert_eq!(restored.keys().unwrap(), keys_before);
    for k in &keys_before {
        assert_eq!(restored.signing_key(&k.id).unwrap().public_key().to_multikey(), k.id, "identical keys");
    }
    assert_eq!(restored.credentials().unwrap().len(), 1);
    // The restored wallet keeps working with the same rotation secret.
    block_on(restored.rotate_did(&env.ledger, &rrs, &record.did)).unwrap();
    assert!(Wallet::open(&fresh, b"new passphrase").is_ok());

    // An older backup does not replace a newer state without force.
    let err = Wallet::restore(&fresh, &root, &backup, PASS, Some(KdfParams::FLOOR), false).unwrap_err();
    assert!(matches!(err, WalletError::StaleBackup { .. }), "{err}");
    // A passphrase-only backup carries the root.
    let pfile = env.dir.join("p.age");
    restored.backup_to(&pfile, Some(b"backup pass")).unwrap();
    let again = Wallet::restore_with_passphrase(
        &env.wallet_dir("third"),
        &pfile,
        b"backup pass",
        PASS,
        Some(KdfParams::FLOOR),
        false,
    )
    .unwrap();
    assert_eq!(again.dids().unwrap()[0].did, record.did);
}

/// ML-DSA-44 keys come from the wallet root like every other key: a did:didam
/// with one is admitted by the ledger (its document is within the 12 KiB
/// limit), issues `mldsa44-rdfc-2024` credentials that verify against the
/// ledger, and a wallet restored from two shares and the backup has the same
/// ML-DSA keys and keeps issuing with them.
#[test]
fn ml_dsa_keys_derive_from_the_root_and_recover_from_shares() {
    let env = Env::new("mldsa");
    let dir = env.wallet_dir("w");
    let (wallet, rrs) = Wallet::init(&dir, PASS, &fast()).unwrap();
    let record =
        block_on(wallet.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519, KeyType::MlDsa44])).unwrap();
    let doc = block_on(env.resolve(&record.did));
    let methods = doc["verificationMethod"].as_array().unwrap();
    let ml = methods.iter().find(|m| m["publicKeyMultibase"].as_str().unwrap().starts_with("ukC")).unwrap();
    assert_eq!(ml["type"], "Multikey");
    let size = serde_json_canonicalizer::to_string(&doc).unwrap().len();
    assert!(size < 12 * 1024, "the document is {size} bytes");
    let key_did = wallet.create_did_key(KeyType::MlDsa44).unwrap();
    assert!(key_did.did.starts_with("did:key:ukC"), "{}", key_did.did);

    let verifier = Verifier::new(LedgerMethods(&env));
    let vc =
        block_on(wallet.issue(&credential("did:example:x"), &record.did, Suite::Mldsa44Rdfc2024)).unwrap();
    let report = block_on(verifier.verify_credential(&vc.to_string())).unwrap();
    assert!(report.is_valid(), "{report}");
    let entry = report.of(didam_credential::CheckKind::Proof).next().unwrap();
    assert_eq!(entry.security, Some(didam_credential::Security::QuantumSafe));

    let shares = shares_of(wallet.root());
    let backup = wallet.backup().unwrap();
    let keys_before = wallet.keys().unwrap();
    drop(wallet);
    let fresh = env.wallet_dir("fresh");
    let root = RootSecret::from_bytes(&slip39::combine(&shares[..2], b"").unwrap()).unwrap();
    let restored =
        Wallet::restore(&fresh, &root, &backup, b"new passphrase", Some(KdfParams::FLOOR), false).unwrap();
    assert_eq!(restored.keys().unwrap(), keys_before);
    let ml_keys: Vec<_> =
        keys_before.iter().filter(|k| k.id.starts_with("ukC")).map(|k| k.id.clone()).collect();
    assert_eq!(ml_keys.len(), 2, "the did:didam's and the did:key's");
    for id in &ml_keys {
        let key = restored.signing_key(id).unwrap();
        assert_eq!(key.key_type(), KeyType::MlDsa44);
        assert_eq!(&key.public_key().to_multikey(), id, "the same ML-DSA key from the shares");
    }
    let again =
        block_on(restored.issue(&credential("did:example:y"), &record.did, Suite::Mldsa44Jcs2024)).unwrap();
    let report = block_on(verifier.verify_credential(&again.to_string())).unwrap();
    assert!(report.is_valid(), "{report}");
}

/// BLS12-381 G2 (BBS) keys come from the wallet root too: a did:didam
/// with one issues `bbs-2023` base proofs, the holder's derivation verifies
/// against the ledger, and a wallet restored from two shares and the backup
/// has the same BLS keys (`zUC7…`) and keeps issuing with them.
#[test]
fn bbs_keys_derive_from_the_root_and_recover_from_shares() {
    use didam_credential::proof::SuiteOptions;
    use didam_credential::selective::{self, JsonPointer};
    let env = Env::new("bbs");
    let dir = env.wallet_dir("w");
    let (wallet, rrs) = Wallet::init(&dir, PASS, &fast()).unwrap();
    let record =
        block_on(wallet.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519, KeyType::Bls12381G2]))
            .unwrap();
    let doc = block_on(env.resolve(&record.did));
    let methods = doc["verificationMethod"].as_array().unwrap();
    assert!(methods.iter().any(|m| m["publicKeyMultibase"].as_str().unwrap().starts_with("zUC7")), "{doc}");
    let key_did = wallet.create_did_key(KeyType::Bls12381G2).unwrap();
    assert!(key_did.did.starts_with("did:key:zUC7"), "{}", key_did.did);

    let verifier = Verifier::new(LedgerMethods(&env));
    let options = SuiteOptions {
        suite: Suite::Bbs2023,
        mandatory_pointers: JsonPointer::parse_list(&["/issuer"]).unwrap(),
    };
    let disclose = JsonPointer::parse_list(&["/credentialSubject/id"]).unwrap();
    let issue_and_check = |wallet: &Wallet, subject: &str| {
        let base = block_on(wallet.issue(&credential(subject), &record.did, options.clone())).unwrap();
        let limits = didam_credential::limits::Limits::default();
        let derived = block_on(selective::derive(&base, &disclose, &limits)).unwrap();
        let report = block_on(verifier.verify_credential(&derived.to_string())).unwrap();
        assert!(report.is_valid(), "{report}");
    };
    issue_and_check(&wallet, "did:example:x");

    let shares = shares_of(wallet.root());
    let backup = wallet.backup().unwrap();
    let keys_before = wallet.keys().unwrap();
    drop(wallet);
    let fresh = env.wallet_dir("fresh");
    let root = RootSecret::from_bytes(&slip39::combine(&shares[..2], b"").unwrap()).unwrap();
    let restored =
        Wallet::restore(&fresh, &root, &backup, b"new passphrase", Some(KdfParams::FLOOR), false).unwrap();
    assert_eq!(restored.keys().unwrap(), keys_before);
    let bls: Vec<_> = keys_before.iter().filter(|k| k.id.starts_with("zUC7")).map(|k| k.id.clone()).collect();
    assert_eq!(bls.len(), 2, "the did:didam's and the did:key's");
    for id in &bls {
        let key = restored.signing_key(id).unwrap();
        assert_eq!(key.key_type(), KeyType::Bls12381G2);
        assert_eq!(&key.public_key().to_multikey(), id, "the same BLS key from the shares");
    }
    issue_and_check(&restored, "did:example:y");
}

#[test]
fn a_thief_with_the_old_wallet_and_passphrase_gets_nothing_after_compromise() {
    let env = Env::new("leak");
    let dir = env.wallet_dir("w");
    let (mut wallet, rrs) = Wallet::init(&dir, PASS, &fast()).unwrap();
    let me = block_on(wallet.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519])).unwrap();
    let old_vc =
        block_on(wallet.issue(&credential("did:example:bob"), &me.did, Suite::EddsaJcs2022)).unwrap();

    // The thief copies the wallet file and learns the passphrase.
    let stolen = env.wallet_dir("stolen");
    std::fs::create_dir_all(&stolen).unwrap();
    copy_db(&dir, &stolen);
    let thief = Wallet::open(&stolen, PASS).unwrap();

    let report = block_on(wallet.compromise(
        &DidLedgers::every_did_on(&env.ledger),
        &rrs,
        &me.did,
        PASS,
        Some(KdfParams::FLOOR),
        async |_| Ok(true),
    ))
    .unwrap();
    assert_eq!(report.leaked_keys, me.keys);
    assert_eq!(report.to_revoke.len(), 1);
    assert_eq!(report.rotated.len(), 1);
    // The wallet never signs with the leaked key again.
    assert!(matches!(wallet.signing_key(&me.keys[0]), Err(WalletError::Compromised(_))));
    let now = wallet.did(&me.did).unwrap();
    assert_ne!(now.keys, me.keys);

    let verifier = Verifier::new(LedgerMethods(&env));
    // The thief signs a new credential with the leaked key: it does not verify.
    let forged =
        block_on(thief.issue(&credential("did:example:mallory"), &me.did, Suite::EddsaJcs2022)).unwrap();
    let report_forged = block_on(verifier.verify_credential(&forged.to_string()));
    assert!(report_forged.map(|r| !r.is_valid()).unwrap_or(true));
    let report_old = block_on(verifier.verify_credential(&old_vc.to_string()));
    assert!(report_old.map(|r| !r.is_valid()).unwrap_or(true), "the leaked key is out of the document");
    // The thief cannot update the DID: the update keys derive from the cold secret.
    let guess = RootSecret::generate();
    assert!(block_on(thief.rotate_did(&env.ledger, &guess, &me.did)).is_err());
    // Without the rotation secret the thief's best try is signing with keys it has.
    let tip = block_on(env.ledger.tip(&Did::parse(&me.did).unwrap())).unwrap();
    let leaked = thief.signing_key(&me.keys[0]).unwrap();
    let next = SecretKey::generate(KeyType::Ed25519).public_key();
    let entry = block_on(didam_method::entry::next_entry(
        &tip,
        &leaked,
        Some(&next),
        None,
        false,
        chrono::Utc::now(),
    ))
    .unwrap();
    assert!(block_on(env.ledger.append(&entry)).is_err(), "the ledger refuses an uncommitted key");

    // The owner's new key signs credentials that verify.
    let fresh_vc =
        block_on(wallet.issue(&credential("did:example:bob"), &me.did, Suite::EddsaJcs2022)).unwrap();
    assert!(block_on(verifier.verify_credential(&fresh_vc.to_string())).unwrap().is_valid());
    // The old passphrase still opens the re-keyed wallet; the old root does not.
    let reopened = Wallet::open(&dir, PASS).unwrap();
    assert_ne!(reopened.root().as_bytes(), thief.root().as_bytes());
}

fn copy_db(from: &Path, to: &Path) {
    // A consistent copy of a WAL database: SQLite's own backup.
    let src = Connection::open(from.join("wallet.db")).unwrap();
    src.execute("VACUUM INTO ?1", [to.join("wallet.db").to_str().unwrap()]).unwrap();
}

fn tamper(dir: &Path, sql: &str) {
    let conn = Connection::open(dir.join("wallet.db")).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn flipped_swapped_deleted_and_rolled_back_records_are_detected() {
    let env = Env::new("tamper");
    let dir = env.wallet_dir("w");
    let (wallet, rrs) = Wallet::init(&dir, PASS, &fast()).unwrap();
    block_on(wallet.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519])).unwrap();
    wallet.store_credential(&json!({"id": "urn:a", "n": 1})).unwrap();
    wallet.store_credential(&json!({"id": "urn:b", "n": 2})).unwrap();
    let snapshot = env.wallet_dir("snapshot");
    std::fs::create_dir_all(&snapshot).unwrap();
    copy_db(&dir, &snapshot);
    wallet.store_credential(&json!({"id": "urn:a", "n": 3})).unwrap();
    let root = wallet.root().clone();
    let good = wallet.backup().unwrap();
    drop(wallet);

    let cases: Vec<(&str, String)> = vec![
        ("flip a byte", "UPDATE records SET sealed = CAST(substr(sealed, 1, 30) || X'00' || substr(sealed, 32) AS BLOB) WHERE id = 'urn:b'".into()),
        (
            "swap two records",
            "UPDATE records SET id = 'tmp' WHERE id = 'urn:a'; UPDATE records SET id = 'urn:a' WHERE id = 'urn:b';
             UPDATE records SET id = 'urn:b' WHERE id = 'tmp';"
                .into(),
        ),
        ("delete a row", "DELETE FROM records WHERE id = 'urn:b'".into()),
        ("bump a version", "UPDATE records SET version = version + 1 WHERE id = 'urn:b'".into()),
    ];
    for (what, sql) in cases {
        let case_dir = env.wallet_dir(&format!("case-{}", what.replace(' ', "-")));
        std::fs::create_dir_all(&case_dir).unwrap();
        copy_db(&dir, &case_dir);
        tamper(&case_dir, &sql);
        let err = Wallet::open(&case_dir, PASS).unwrap_err();
        assert!(matches!(err, WalletError::Tampered(_)), "{what}: {err}");
        assert!(err.to_string().contains("restored from a backup"), "{what}: {err}");
        // Restoring from the backup repairs it.
        let fixed = Wallet::restore(&case_dir, &root, &good, PASS, Some(KdfParams::FLOOR), false).unwrap();
        assert_eq!(fixed.credential("urn:a").unwrap()["n"], 3, "{what}");
    }

    // Roll one row back to its older sealed value (from the snapshot).
    let case_dir = env.wallet_dir("case-rollback");
    std::fs::create_dir_all(&case_dir).unwrap();
    copy_db(&dir, &case_dir);
    let conn = Connection::open(case_dir.join("wallet.db")).unwrap();
    conn.execute("ATTACH ?1 AS old", [snapshot.join("wallet.db").to_str().unwrap()]).unwrap();
    conn.execute_batch(
        "UPDATE records SET version = (SELECT version FROM old.records o WHERE o.kind = records.kind AND o.id = records.id),
                            sealed = (SELECT sealed FROM old.records o WHERE o.kind = records.kind AND o.id = records.id)
         WHERE id = 'urn:a'; DETACH old;",
    )
    .unwrap();
    drop(conn);
    assert!(matches!(Wallet::open(&case_dir, PASS), Err(WalletError::Tampered(_))));

    // A wrong passphrase is its own error.
    assert!(matches!(Wallet::open(&dir, b"wrong"), Err(WalletError::WrongPassphrase)));
    // Hostile KDF parameters are refused before any work.
    let case_dir = env.wallet_dir("case-kdf");
    std::fs::create_dir_all(&case_dir).unwrap();
    copy_db(&dir, &case_dir);
    tamper(&case_dir, r#"UPDATE wallet SET kdf = '{"m_kib":4294967295,"t":4294967295,"p":255}'"#);
    assert!(matches!(Wallet::open(&case_dir, PASS), Err(WalletError::KdfParameters(_))));
}

/// Every record's id and sealed bytes, as stored.
fn sealed_records(dir: &Path) -> Vec<(String, Vec<u8>)> {
    Connection::open(dir.join("wallet.db"))
        .unwrap()
        .prepare("SELECT id, sealed FROM records ORDER BY kind, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn passphrase_change_rewraps_only_the_root() {
    let env = Env::new("passwd");
    let dir = env.wallet_dir("w");
    let (wallet, _) = Wallet::init(&dir, PASS, &fast()).unwrap();
    wallet.store_credential(&json!({"id": "urn:a"})).unwrap();
    let before = sealed_records(&dir);
    wallet.change_passphrase(b"new one", Some(KdfParams::FLOOR)).unwrap();
    let after = sealed_records(&dir);
    assert_eq!(before, after);
    assert!(matches!(Wallet::open(&dir, PASS), Err(WalletError::WrongPassphrase)));
    assert!(Wallet::open(&dir, b"new one").is_ok());
    // The folder is private.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
}

#[test]
fn two_users_of_one_wallet_write_at_the_same_time() {
    // The CLI and the daemon each hold their own connection to one wallet.
    let env = Env::new("shared");
    let dir = env.wallet_dir("w");
    let (wallet, rrs) = Wallet::init(&dir, PASS, &fast()).unwrap();
    let root = wallet.root().clone();
    drop(wallet);
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (dir, root) = (dir.clone(), root.clone());
            std::thread::spawn(move || {
                let wallet = Wallet::open_with_root(&dir, &root).unwrap();
                for i in 0..40 {
                    wallet.store_credential(&json!({"id": format!("urn:w{w}:{i}")})).unwrap();
                }
            })
        })
        .collect();
    // Meanwhile a third user creates a DID.
    let third = Wallet::open(&dir, PASS).unwrap();
    let did = block_on(third.create_did(&env.ledger, "l", &rrs, &[KeyType::Ed25519])).unwrap();
    for w in writers {
        w.join().unwrap();
    }
    let wallet = Wallet::open(&dir, PASS).unwrap();
    wallet.store().verify().unwrap();
    assert_eq!(wallet.credentials().unwrap().len(), 80);
    assert_eq!(wallet.dids().unwrap()[0].did, did.did);
}

/// An `init` killed after writing its shares and before the commit leaves a
/// staging folder and shares of a root no wallet holds: the next creation
/// removes both, and leaves alone a share file whose contents changed (a
/// file is never removed by its name alone).
#[test]
fn an_interrupted_creation_leaves_nothing_the_next_one_trips_on() {
    let env = Env::new("abandoned");
    let target = env.wallet_dir("w");
    let shares = env.dir.join("shares");
    std::fs::create_dir_all(&shares).unwrap();
    let (staged, _rrs) = Wallet::init_staged(&target, PASS, &fast()).unwrap();
    let files: Vec<(PathBuf, Vec<u8>)> = (1..=3)
        .map(|i| (shares.join(format!("wallet-share-{i}.txt")), format!("share {i}\n").into_bytes()))
        .collect();
    let tmp = shares.join(".wallet-share-3.txt.tmp-1");
    let pending: Vec<_> = files
        .iter()
        .map(|(path, contents)| didam_wallet::PendingShare {
            path,
            temporary: path.ends_with("wallet-share-3.txt").then_some(tmp.as_path()),
            contents,
        })
        .collect();
    staged.record_shares(&pending).unwrap();
    for (path, contents) in &files {
        std::fs::write(path, contents).unwrap();
    }
    std::fs::write(&tmp, b"part of share 3").unwrap();
    // Someone wrote over share 2 since: it is not what was recorded.
    std::fs::write(&files[1].0, b"another secret\n").unwrap();
    // The process dies: no drop, no commit; its pid is gone.
    let staging = std::fs::read_dir(&env.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".w.init-"))
        .unwrap();
    std::mem::forget(staged);
    let dead = env.dir.join(".w.init-4294967295");
    std::fs::rename(&staging, &dead).unwrap();

    // A record tampered with by someone who can write beside the wallet,
    // naming other files (with their true digests) as shares or
    // temporaries: those files stay.
    let precious = env.dir.join("precious.txt");
    std::fs::write(&precious, b"not a share\n").unwrap();
    let renamed_share = shares.join("wallet-share-x.txt");
    std::fs::write(&renamed_share, b"share 1\n").unwrap();
    let digest = |b: &[u8]| {
        use sha2::Digest as _;
        sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    let forged = env.dir.join(".w.init-4294967294");
    std::fs::create_dir_all(&forged).unwrap();
    std::fs::write(
        forged.join("pending-shares.json"),
        json!([
            { "path": precious, "sha256": digest(b"not a share\n") },
            { "path": renamed_share, "sha256": digest(b"share 1\n") },
            { "path": files[0].0, "temporary": precious, "sha256": "00" },
        ])
        .to_string(),
    )
    .unwrap();

    // A live creation's folder (this process) is never touched.
    let live = env.dir.join(format!(".w.init-{}", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();
    let removed = didam_wallet::StagedWallet::clear_abandoned(&target).unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(!files[0].0.exists() && !files[2].0.exists() && !tmp.exists());
    assert_eq!(std::fs::read(&files[1].0).unwrap(), b"another secret\n");
    assert!(!dead.exists() && live.exists());
    assert!(
        precious.exists() && renamed_share.exists() && !forged.exists(),
        "a forged record removes nothing"
    );
    std::fs::remove_dir_all(&live).unwrap();

    // And a wallet is created in place as if nothing had happened.
    let (staged, _rrs) = Wallet::init_staged(&target, PASS, &fast()).unwrap();
    staged.commit().unwrap();
    assert!(didam_wallet::db_path(&target).exists());
    assert!(!target.join("pending-shares.json").exists());
}
