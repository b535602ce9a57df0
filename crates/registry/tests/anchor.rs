//! Issue 22, Deliver 2 and 4 on a real embedded ledger (SQLite on disk):
//! batches of digests anchored as one entry, proofs that verify offline
//! against the operator key, and the refusals: a tampered file, a path for
//! another root, a checkpoint with a bad signature or by another operator,
//! an anchor signed by a key that is not the DID's, a truncated issuer log,
//! and anchors made after the key was retired or compromised.
#![allow(missing_docs)]

use chrono::{Duration, Utc};
use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_method::DidamDid;
use didam_method::entry;
use didam_method::history::{CompromisedSince, KeyRemoval};
use didam_registry::anchor::{self, AnchorError, AnchorProof, Batch};
use didam_registry::operations;
use futures::executor::block_on;

type R = Result<(), Box<dyn std::error::Error>>;
const ORIGIN: &str = "didam.test/ledger";

fn key() -> SecretKey {
    SecretKey::generate(KeyType::Ed25519)
}

struct Env {
    dir: std::path::PathBuf,
    ledger: EmbeddedLedger,
    operator: NoteSigner,
}

impl Env {
    fn new(name: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("didam-anchor-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let ledger = EmbeddedLedger::open(&dir.join("ledger.db"), ORIGIN)?;
        Ok(Self { dir, ledger, operator: NoteSigner::new(ORIGIN, key())? })
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An issuer DID with signing key `signing` as `#key-1`, and its update keys.
struct Issuer {
    did: DidamDid,
    signing: SecretKey,
    updates: Vec<SecretKey>,
}

impl Issuer {
    async fn new(ledger: &EmbeddedLedger) -> Result<Self, Box<dyn std::error::Error>> {
        let signing = key();
        let updates: Vec<SecretKey> = (0..4).map(|_| key()).collect();
        let document = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
        let at = Utc::now() - Duration::hours(1);
        let (did, _) =
            operations::create(ledger, &updates[0], &updates[1].public_key(), document, at).await?;
        Ok(Self { did, signing, updates })
    }

    fn method(&self) -> String {
        format!("{}#key-1", self.did)
    }

    /// Replaces the signing key by a new one, recording `removal`.
    async fn replace_key(&mut self, ledger: &EmbeddedLedger, removal: &KeyRemoval) -> R {
        let tip = ledger.tip(self.did.as_did()).await?;
        let n = tip.version_number as usize;
        let fresh = key();
        let doc = entry::document_with_keys(self.did.as_str(), &[fresh.public_key()]);
        let time = tip.version_time + Duration::seconds(1);
        let next = [self.updates[n + 1].public_key()];
        let e =
            entry::next_removing(&tip, &[&self.updates[n]], &next, Some(doc), false, time, removal).await?;
        ledger.append(&e).await?;
        self.signing = fresh;
        Ok(())
    }
}

fn digests(n: u8) -> Vec<didam_ledger::merkle::Hash> {
    (0..n).map(|i| anchor::digest(format!("file {i}").as_bytes())).collect()
}

/// Anchors `n` files as `issuer` signing with `key` as `method`, signs a
/// checkpoint and returns the proofs.
async fn anchored(
    env: &Env,
    issuer: &Issuer,
    method: &str,
    key: &SecretKey,
    n: u8,
) -> Result<Vec<AnchorProof>, Box<dyn std::error::Error>> {
    let (batch, receipt) = anchor::anchor(&env.ledger, &issuer.did, method, key, &digests(n)).await?;
    env.ledger.checkpoint(&env.operator).await?;
    Ok(anchor::prove(&env.ledger, &issuer.did, &receipt, &batch).await?)
}

#[test]
fn a_batch_is_one_entry_and_each_proof_verifies_offline() -> R {
    block_on(async {
        let env = Env::new("batch")?;
        let issuer = Issuer::new(&env.ledger).await?;
        let before = env.ledger.size().await?;
        let proofs = anchored(&env, &issuer, &issuer.method(), &issuer.signing, 5).await?;
        assert_eq!(env.ledger.size().await?, before + 1, "one ledger entry for the batch");
        assert_eq!(proofs.len(), 5);
        for (i, d) in digests(5).iter().enumerate() {
            let v = anchor::verify(&proofs[i], d, &env.operator.verifier()).await?;
            assert_eq!(v.issuer, issuer.did);
            assert_eq!(v.leaf, before);
            assert_eq!(v.method.id, issuer.method());
            // The bundle survives a JSON round trip (what the CLI writes).
            let text = serde_json::to_string(&proofs[i])?;
            let back: AnchorProof = serde_json::from_str(&text)?;
            anchor::verify(&back, d, &env.operator.verifier()).await?;
        }
        // Nothing to anchor is refused.
        let empty = anchor::anchor(&env.ledger, &issuer.did, &issuer.method(), &issuer.signing, &[]).await;
        assert!(matches!(empty, Err(AnchorError::Empty)));
        // The anchor is refused as a second entry of its log (it is frozen).
        assert_eq!(Batch::new(&digests(5)).size(), 5);
        Ok(())
    })
}

#[test]
fn hostile_proofs_fail_with_their_reason() -> R {
    block_on(async {
        let env = Env::new("hostile")?;
        let issuer = Issuer::new(&env.ledger).await?;
        let proofs = anchored(&env, &issuer, &issuer.method(), &issuer.signing, 3).await?;
        let others = anchored(&env, &issuer, &issuer.method(), &issuer.signing, 4).await?;
        let operator = env.operator.verifier();
        let d = digests(3);

        // A tampered file.
        let tampered = anchor::digest(b"file 0 (tampered)");
        let r = anchor::verify(&proofs[0], &tampered, &operator).await;
        assert!(matches!(r, Err(AnchorError::OtherDigest { .. })), "{r:?}");

        // A path for another root: digest 3 of the second batch with the
        // first batch's anchor.
        let mut mixed = proofs[0].clone();
        let d3 = anchor::digest(b"file 3");
        mixed.digest = d3.to_hex();
        mixed.batch = others[3].batch.clone();
        let r = anchor::verify(&mixed, &d3, &operator).await;
        assert!(matches!(r, Err(AnchorError::NotInBatch(_))), "{r:?}");

        // A checkpoint whose signature is wrong, and one by another operator.
        let mut bad_sig = proofs[0].clone();
        let cut = bad_sig.checkpoint.trim_end().len() - 4;
        bad_sig.checkpoint.replace_range(cut..cut + 2, "AA");
        let r = anchor::verify(&bad_sig, &d[0], &operator).await;
        assert!(matches!(r, Err(AnchorError::Checkpoint { .. })), "{r:?}");
        let stranger = NoteSigner::new(ORIGIN, key())?.verifier();
        let r = anchor::verify(&proofs[0], &d[0], &stranger).await;
        assert!(matches!(r, Err(AnchorError::Checkpoint { .. })), "{r:?}");

        // The anchor entry moved to another leaf, and the issuer's log
        // truncated (its latest entry withheld).
        let mut moved = proofs[0].clone();
        moved.anchor.leaf += 1;
        let r = anchor::verify(&moved, &d[0], &operator).await;
        assert!(matches!(r, Err(AnchorError::NotIncluded { .. })), "{r:?}");
        let mut issuer2 = Issuer::new(&env.ledger).await?;
        issuer2.replace_key(&env.ledger, &KeyRemoval::Retired).await?;
        let proofs2 = anchored(&env, &issuer2, &issuer2.method(), &issuer2.signing, 1).await?;
        let mut truncated = proofs2[0].clone();
        truncated.issuer.log.pop();
        let r = anchor::verify(&truncated, &digests(1)[0], &operator).await;
        assert!(matches!(r, Err(AnchorError::IssuerLog(_))), "{r:?}");

        // Anchors signed by keys that are not the DID's: another DID's
        // method, an unknown method of the DID, the DID's method with
        // another key.
        let stranger_key = key();
        for (method, signer) in [
            ("did:didam:QmVFJ7inYhxbLqHmybU1rJMXsofkc6MuAPr3yJVpy2Hrze#key-1".to_owned(), &stranger_key),
            (format!("{}#key-9", issuer.did), &stranger_key),
            (issuer.method(), &stranger_key),
        ] {
            let p = anchored(&env, &issuer, &method, signer, 1).await?;
            let r = anchor::verify(&p[0], &digests(1)[0], &operator).await;
            assert!(
                matches!(r, Err(AnchorError::NotTheIssuersKey { .. } | AnchorError::Signature(_))),
                "{method}: {r:?}"
            );
        }
        Ok(())
    })
}

#[test]
fn anchors_before_a_retirement_survive_it_and_later_ones_fail() -> R {
    block_on(async {
        let env = Env::new("retire")?;
        let operator = env.operator.verifier();
        let mut issuer = Issuer::new(&env.ledger).await?;
        let old = issuer.signing.clone();
        let (batch, receipt) =
            anchor::anchor(&env.ledger, &issuer.did, &issuer.method(), &old, &digests(2)).await?;
        issuer.replace_key(&env.ledger, &KeyRemoval::Retired).await?;
        // A thief with the retired key anchors after the retirement.
        let thief = anchored(&env, &issuer, &issuer.method(), &old, 1).await?;
        // Proven after the retirement, the earlier anchor verifies.
        let proofs = anchor::prove(&env.ledger, &issuer.did, &receipt, &batch).await?;
        anchor::verify(&proofs[1], &digests(2)[1], &operator).await?;
        let r = anchor::verify(&thief[0], &digests(1)[0], &operator).await;
        assert!(matches!(r, Err(AnchorError::Retired { .. })), "{r:?}");
        // The new key anchors fine.
        let fresh = anchored(&env, &issuer, &issuer.method(), &issuer.signing.clone(), 1).await?;
        anchor::verify(&fresh[0], &digests(1)[0], &operator).await?;
        Ok(())
    })
}

#[test]
fn a_compromise_from_a_point_invalidates_exactly_the_anchors_after_it() -> R {
    block_on(async {
        let env = Env::new("compromise")?;
        let operator = env.operator.verifier();
        let mut issuer = Issuer::new(&env.ledger).await?;
        let leaked = issuer.signing.clone();
        let early = anchor::anchor(&env.ledger, &issuer.did, &issuer.method(), &leaked, &digests(1)).await?;
        let point = env.ledger.size().await?;
        let late = anchor::anchor(&env.ledger, &issuer.did, &issuer.method(), &leaked, &digests(2)).await?;
        let since = KeyRemoval::Compromised(CompromisedSince::Leaf(point));
        issuer.replace_key(&env.ledger, &since).await?;
        env.ledger.checkpoint(&env.operator).await?;
        let early = anchor::prove(&env.ledger, &issuer.did, &early.1, &early.0).await?;
        let late = anchor::prove(&env.ledger, &issuer.did, &late.1, &late.0).await?;
        anchor::verify(&early[0], &digests(1)[0], &operator).await?;
        let r = anchor::verify(&late[0], &digests(2)[0], &operator).await;
        assert!(matches!(r, Err(AnchorError::Compromised { from, .. }) if from == point), "{r:?}");
        // Entirely: the early one fails too.
        let mut issuer = Issuer::new(&env.ledger).await?;
        let leaked = issuer.signing.clone();
        let early = anchor::anchor(&env.ledger, &issuer.did, &issuer.method(), &leaked, &digests(1)).await?;
        issuer.replace_key(&env.ledger, &KeyRemoval::Compromised(CompromisedSince::Entirely)).await?;
        env.ledger.checkpoint(&env.operator).await?;
        let early = anchor::prove(&env.ledger, &issuer.did, &early.1, &early.0).await?;
        let r = anchor::verify(&early[0], &digests(1)[0], &operator).await;
        assert!(matches!(r, Err(AnchorError::Compromised { from: 0, .. })), "{r:?}");
        Ok(())
    })
}
