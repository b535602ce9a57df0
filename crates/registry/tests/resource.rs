//! Resources of did:didam DIDs on a real embedded ledger (specs/did-didam.md
//! §9.2): published by the parent DID's wallet, dereferenced by DID URL with
//! the ledger's proofs and the parent's current keys checked; and the
//! refusals: a tampered or withheld version, a resource forged by another DID.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{DateTime, Duration, Utc};
use didam_credential::{Did, KeyType, ProofOptions, SecretKey, Suite, proof};
use didam_ledger::merkle::Hash;
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof};
use didam_method::entry;
use didam_method::log::DidState;
use didam_method::{DidamDid, LogEntry};
use didam_registry::{CheckpointStore, Error, Resolver, ResourceUrl, operations, resource};
use futures::executor::block_on;
use serde_json::{Value, json};

const ORIGIN: &str = "didam.test/ledger";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-registry-resource-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key() -> SecretKey {
    SecretKey::generate(KeyType::Ed25519)
}

/// A DID with one assertion key, created an hour ago.
struct Issuer {
    did: DidamDid,
    signing: SecretKey,
}

async fn issuer(ledger: &EmbeddedLedger, at: DateTime<Utc>) -> Issuer {
    let signing = key();
    let document = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (did, _) = operations::create(ledger, &key(), &key().public_key(), document, at).await.unwrap();
    Issuer { did, signing }
}

/// A status-list-like credential of `issuer` with `id`, signed by `signer`
/// (as the verification method `method`).
async fn content(issuer: &str, id: &str, bits: &str, signer: &SecretKey, method: &str) -> Value {
    content_from(issuer, id, bits, signer, method, "2026-01-01T00:00:00Z").await
}

/// [`content`] valid from `valid_from`.
async fn content_from(
    issuer: &str,
    id: &str,
    bits: &str,
    signer: &SecretKey,
    method: &str,
    valid_from: &str,
) -> Value {
    let doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": { "id": format!("{id}#list"), "type": "BitstringStatusList",
            "statusPurpose": "revocation", "encodedList": bits },
    });
    proof::add_proof(&doc, signer, &ProofOptions::assertion(Suite::EddsaJcs2022, method)).await.unwrap()
}

fn method_of(issuer: &Issuer) -> String {
    format!("{}#key-1", issuer.did)
}

/// How [`Lying`] misreports the resource log.
#[derive(Clone, Copy, PartialEq)]
enum Lie {
    None,
    /// Alters the content of the latest version.
    Tamper,
    /// Serves the log without its latest version.
    Withhold,
}

/// The real ledger behind an operator who lies about one log.
struct Lying<'a> {
    inner: &'a EmbeddedLedger,
    target: String,
    lie: Lie,
}

impl Ledger for Lying<'_> {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        self.inner.append(entry).await
    }
    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        let mut log = self.inner.log(did).await?;
        if did.as_str() == self.target {
            match self.lie {
                Lie::None => {}
                Lie::Tamper => {
                    let last = log.last_mut().unwrap();
                    last.line = last.line.replace("\"encodedList\":\"u2", "\"encodedList\":\"u1");
                }
                Lie::Withhold => {
                    log.pop();
                }
            }
        }
        Ok(log)
    }
    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        self.inner.tip(did).await
    }
    async fn size(&self) -> Result<u64, LedgerError> {
        self.inner.size().await
    }
    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        self.inner.leaf(index).await
    }
    async fn integrate(&self) -> Result<u64, LedgerError> {
        self.inner.integrate().await
    }
    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        self.inner.checkpoint(signer).await
    }
    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.inner.latest_checkpoint().await
    }
    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.inner.inclusion_proof(index, size).await
    }
    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.inner.consistency_proof(old, new).await
    }
    async fn tip_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
        self.inner.tip_proof(did, size).await
    }
}

fn resolver<'a>(
    ledger: &'a EmbeddedLedger,
    signer: &NoteSigner,
    dir: &std::path::Path,
    target: &str,
    lie: Lie,
) -> Resolver<Lying<'a>> {
    let lying = Lying { inner: ledger, target: target.to_owned(), lie };
    // A fresh client store each time: each resolver is a first contact.
    let store = CheckpointStore::new(dir.join(format!("checkpoints-{}", rand_suffix())));
    Resolver::new().with_ledger(lying, signer.verifier(), store)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

struct Published {
    url: ResourceUrl,
    committed: SecretKey,
}

async fn publish(
    ledger: &EmbeddedLedger,
    url: &ResourceUrl,
    content: &Value,
    committed: &SecretKey,
    at: DateTime<Utc>,
) -> SecretKey {
    let next = key();
    resource::publish(ledger, url, content, "application/vc", committed, &next.public_key(), at)
        .await
        .unwrap();
    next
}

async fn start(ledger: &EmbeddedLedger, parent: &DidamDid, at: DateTime<Utc>) -> Published {
    let committed = key();
    let (url, _) = resource::create(ledger, parent, "status-revocation", &key(), &committed.public_key(), at)
        .await
        .unwrap();
    Published { url, committed }
}

/// A test's folder, embedded ledger, checkpoint signer and start time.
struct Bed {
    dir: std::path::PathBuf,
    ledger: EmbeddedLedger,
    signer: NoteSigner,
    t0: DateTime<Utc>,
}

fn bed(name: &str) -> Bed {
    let dir = temp_dir(name);
    let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN).unwrap();
    Bed { dir, ledger, signer: NoteSigner::new(ORIGIN, key()).unwrap(), t0: Utc::now() - Duration::hours(1) }
}

#[test]
fn a_status_list_on_the_ledger_is_dereferenced_with_proofs_and_versions() {
    block_on(async {
        let Bed { dir, ledger, signer, t0 } = bed("genuine");
        let alice = issuer(&ledger, t0).await;
        let mut list = start(&ledger, &alice.did, t0 + Duration::minutes(1)).await;
        let url = list.url.base();
        assert!(url.starts_with(&format!("{}/resources/Qm", alice.did)), "{url}");

        let v1 = content(alice.did.as_str(), &url, "u1AAAA", &alice.signing, &method_of(&alice)).await;
        list.committed = publish(&ledger, &list.url, &v1, &list.committed, t0 + Duration::minutes(2)).await;
        ledger.checkpoint(&signer).await.unwrap();

        let target = list.url.log().as_str().to_owned();
        let honest = resolver(&ledger, &signer, &dir, &target, Lie::None);
        let got = honest.dereference(&url).await.unwrap();
        assert_eq!(got.content, v1);
        assert_eq!(got.content_type, "application/vc");
        assert!(got.metadata["versionId"].as_str().unwrap().starts_with("2-"));
        assert_eq!(got.metadata["checkpoint"]["origin"], ORIGIN);
        assert_eq!(got.metadata["parent"], alice.did.as_str());
        let v1_id = got.metadata["versionId"].as_str().unwrap().to_owned();

        // A new version; not visible before a checkpoint covers it.
        let v2 = content(alice.did.as_str(), &url, "u2BBBB", &alice.signing, &method_of(&alice)).await;
        list.committed = publish(&ledger, &list.url, &v2, &list.committed, t0 + Duration::minutes(3)).await;
        assert_eq!(honest.dereference(&url).await.unwrap().content, v1, "not yet checkpointed");
        ledger.checkpoint(&signer).await.unwrap();
        let got = honest.dereference(&url).await.unwrap();
        assert_eq!(got.content, v2);
        assert!(got.metadata["versionId"].as_str().unwrap().starts_with("3-"));
        // Earlier versions stay addressable.
        let old = honest.dereference(&format!("{url}?versionId={v1_id}")).await.unwrap();
        assert_eq!(old.content, v1);
        assert!(old.metadata["nextVersionId"].as_str().unwrap().starts_with("3-"));

        // The operator lies: a tampered or withheld latest version is refused.
        let tampered = resolver(&ledger, &signer, &dir, &target, Lie::Tamper);
        let e = tampered.dereference(&url).await.unwrap_err();
        assert!(matches!(e, Error::InvalidLedgerProof(_)), "{e}");
        let withheld = resolver(&ledger, &signer, &dir, &target, Lie::Withhold);
        let e = withheld.dereference(&url).await.unwrap_err();
        assert!(matches!(e, Error::InvalidLedgerProof(_)), "{e}");

        // Bad DID URLs, and a resource nobody published.
        assert!(matches!(honest.dereference(&format!("{url}#x")).await, Err(Error::InvalidDidUrl(_))));
        let nowhere = format!("{}/resources/{}", alice.did, alice.did.scid());
        assert_eq!(honest.dereference(&nowhere).await.unwrap_err().code(), "invalidResource");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn resources_forged_by_another_did_are_refused() {
    block_on(async {
        let Bed { dir, ledger, signer, t0 } = bed("forged");
        let alice = issuer(&ledger, t0).await;
        let mallory = issuer(&ledger, t0 + Duration::seconds(1)).await;

        // Mallory starts a resource naming Alice as its parent, and publishes
        // a list in Alice's name signed with Mallory's key.
        let forged = start(&ledger, &alice.did, t0 + Duration::minutes(1)).await;
        let url = forged.url.base();
        let by_mallory =
            content(alice.did.as_str(), &url, "u1AAAA", &mallory.signing, &method_of(&mallory)).await;
        publish(&ledger, &forged.url, &by_mallory, &forged.committed, t0 + Duration::minutes(2)).await;

        // Mallory's own resource, addressed as if it were Alice's.
        let own = start(&ledger, &mallory.did, t0 + Duration::minutes(3)).await;
        let own_url = own.url.base();
        let own_content =
            content(mallory.did.as_str(), &own_url, "u1AAAA", &mallory.signing, &method_of(&mallory)).await;
        publish(&ledger, &own.url, &own_content, &own.committed, t0 + Duration::minutes(4)).await;

        // A key listed nowhere signing under Alice's method id.
        let stolen_name = start(&ledger, &alice.did, t0 + Duration::minutes(5)).await;
        let stolen_url = stolen_name.url.base();
        let unlisted = content(alice.did.as_str(), &stolen_url, "u1AAAA", &key(), &method_of(&alice)).await;
        publish(&ledger, &stolen_name.url, &unlisted, &stolen_name.committed, t0 + Duration::minutes(6))
            .await;
        ledger.checkpoint(&signer).await.unwrap();

        let honest = resolver(&ledger, &signer, &dir, "", Lie::None);
        let e = honest.dereference(&url).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidResource { reason, .. } if reason.contains("not a key of")),
            "{e}"
        );
        let as_alice = own_url.replace(mallory.did.as_str(), alice.did.as_str());
        let e = honest.dereference(&as_alice).await.unwrap_err();
        assert!(matches!(&e, Error::InvalidResource { reason, .. } if reason.contains("another DID")), "{e}");
        let e = honest.dereference(&stolen_url).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidResource { reason, .. } if reason.contains("does not verify")),
            "{e}"
        );
        // Mallory's own resource is fine under Mallory's DID.
        assert_eq!(honest.dereference(&own_url).await.unwrap().content, own_content);
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn a_stolen_resource_key_cannot_bring_back_an_earlier_list() {
    block_on(async {
        let Bed { dir, ledger, signer, t0 } = bed("replay");
        let alice = issuer(&ledger, t0).await;
        let mut list = start(&ledger, &alice.did, t0 + Duration::minutes(1)).await;
        let url = list.url.base();
        let method = method_of(&alice);
        let sign = |bits: &'static str, from: &'static str| {
            content_from(alice.did.as_str(), &url, bits, &alice.signing, &method, from)
        };
        // Not revoked, then revoked (later, and in the same second).
        let unrevoked = sign("u1AAAA", "2026-01-01T00:00:00Z").await;
        let revoked = sign("u2BBBB", "2026-01-02T00:00:00Z").await;
        let revoked_again = sign("u3CCCC", "2026-01-02T00:00:00Z").await;
        for (i, c) in [&unrevoked, &revoked, &revoked_again].into_iter().enumerate() {
            let at = t0 + Duration::minutes(2 + i as i64);
            list.committed = publish(&ledger, &list.url, c, &list.committed, at).await;
        }
        ledger.checkpoint(&signer).await.unwrap();
        let honest = resolver(&ledger, &signer, &dir, "", Lie::None);
        assert_eq!(honest.dereference(&url).await.unwrap().content, revoked_again);

        // The thief holds the resource's key and appends the old, unrevoked list.
        list.committed =
            publish(&ledger, &list.url, &unrevoked, &list.committed, t0 + Duration::minutes(6)).await;
        ledger.checkpoint(&signer).await.unwrap();
        let e = honest.dereference(&url).await.unwrap_err();
        assert!(matches!(&e, Error::InvalidResource { reason, .. } if reason.contains("replays")), "{e}");

        // Content the issuer signed but never published, dated before the latest list.
        let backdated = sign("u4DDDD", "2026-01-01T12:00:00Z").await;
        publish(&ledger, &list.url, &backdated, &list.committed, t0 + Duration::minutes(7)).await;
        ledger.checkpoint(&signer).await.unwrap();
        let e = honest.dereference(&url).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidResource { reason, .. } if reason.contains("valid from before")),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
