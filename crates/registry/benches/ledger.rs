//! Ledger benchmark: appends per second on the embedded ledger (each append
//! durable, alone and with group commit), for Ed25519-controlled entries and
//! for hybrid ones (Ed25519 + ML-DSA-44 update keys and an ML-DSA-44 signing
//! key, issue 21 Deliver 7) with their sizes, resolve latency with full
//! verification at large sizes, proof sizes, the checkpoint after 1,000
//! DIDs changed (the measured part is the checkpoint alone), and tip proofs
//! for the checkpoint before it.
//!
//! `cargo bench --workspace --features didam-ledger/etcd,didam-resolver/etcd
//! --bench ledger` (sizes from `DIDAM_BENCH_DIDS`, default `100000,1000000`;
//! empty for none). Writes to a temporary folder and removes it. Bounded: a
//! fixed number of operations per phase.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use didam_credential::{KeyType, PublicKey, SecretKey};
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_method::LogEntry;
use didam_method::entry::{create_controlled, document_with_keys};
use didam_method::log::{self, EntryDraft, Method};
use didam_registry::{CheckpointStore, ResolveOptions, resolve};
use futures::executor::block_on;
use serde_json::{Map, json};

const ORIGIN: &str = "bench.didam/ledger";

struct Keys {
    update: SecretKey,
    next_hash: String,
}

fn entries(keys: &Keys, from: u64, count: u64) -> Vec<LogEntry> {
    let mut out = Vec::with_capacity(count as usize);
    for n in from..from + count {
        let mut parameters = Map::new();
        parameters.insert("updateKeys".into(), json!([keys.update.public_key().to_multikey()]));
        parameters.insert("nextKeyHashes".into(), json!([keys.next_hash]));
        let draft = EntryDraft {
            parameters,
            document: json!({ "id": "did:didam:{SCID}", "alsoKnownAs": [format!("urn:didam-bench:{n}")] }),
            version_time: Utc::now() - chrono::Duration::seconds(5),
        };
        out.push(block_on(log::create_entry(Method::Didam, draft, &keys.update)).unwrap());
    }
    out
}

/// How a DID of the control comparison is controlled.
struct Control {
    name: &'static str,
    update: Vec<SecretKey>,
    next: Vec<PublicKey>,
    /// The signing keys its document lists.
    signing: Vec<PublicKey>,
}

impl Control {
    fn new(name: &'static str, update: &[KeyType], signing: &[KeyType]) -> Control {
        let public = |t: &KeyType| SecretKey::generate(*t).public_key();
        Control {
            name,
            update: update.iter().map(|t| SecretKey::generate(*t)).collect(),
            next: update.iter().map(public).collect(),
            signing: signing.iter().map(public).collect(),
        }
    }

    /// `count` first entries of new DIDs (each document names a distinct
    /// `alsoKnownAs`, so each is a new DID), signed by every update key.
    fn entries(&self, tag: &str, count: u64) -> Vec<LogEntry> {
        let update: Vec<&SecretKey> = self.update.iter().collect();
        (0..count)
            .map(|n| {
                let mut document = document_with_keys("did:didam:{SCID}", &self.signing);
                document["alsoKnownAs"] = json!([format!("urn:didam-bench:{tag}:{n}")]);
                let time = Utc::now() - chrono::Duration::seconds(5);
                block_on(create_controlled(&update, &self.next, document, time)).unwrap().1
            })
            .collect()
    }
}

/// Appends per second for Ed25519-controlled against hybrid entries, in the
/// same run on the same disk: one durable transaction each, then group
/// commits of 100. Each append runs the admission rule, which verifies every
/// proof of the entry. Prints one Markdown table.
fn control_comparison(dir: &std::path::Path) {
    let (singles, grouped) = (300u64, 1000u64);
    let controls = [
        Control::new("Ed25519 control, Ed25519 signing key", &[KeyType::Ed25519], &[KeyType::Ed25519]),
        Control::new(
            "hybrid control (Ed25519 + ML-DSA-44), Ed25519 + ML-DSA-44 signing keys",
            &[KeyType::Ed25519, KeyType::MlDsa44],
            &[KeyType::Ed25519, KeyType::MlDsa44],
        ),
    ];
    println!(
        "| entries | entry bytes (JCS leaf) | document bytes | proofs | appends/s, one durable transaction each | appends/s, group commit of 100 |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, control) in controls.iter().enumerate() {
        let batch = control.entries(control.name, singles + grouped);
        let ledger = EmbeddedLedger::open(&dir.join(format!("control-{i}.db")), ORIGIN).unwrap();
        let start = Instant::now();
        for entry in &batch[..singles as usize] {
            block_on(ledger.append(entry)).unwrap();
        }
        let single = singles as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        for chunk in batch[singles as usize..].chunks(100) {
            for r in block_on(ledger.append_all(chunk)) {
                r.unwrap();
            }
        }
        let group = grouped as f64 / start.elapsed().as_secs_f64();
        let first = &batch[0];
        println!(
            "| {} | {} | {} | {} | {single:.0} | {group:.0} |",
            control.name,
            first.line().len(),
            first.document_len(),
            first.json()["proof"].as_array().map_or(1, Vec::len),
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let sizes: Vec<u64> = std::env::var("DIDAM_BENCH_DIDS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("sizes are numbers"))
        .collect();
    let dir = std::env::temp_dir().join(format!("didam-ledger-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let keys = Keys {
        update: SecretKey::generate(KeyType::Ed25519),
        next_hash: log::key_hash(&SecretKey::generate(KeyType::Ed25519).public_key().to_multikey()),
    };
    let signer = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::Ed25519)).unwrap();

    // Appends, each durable on its own (one transaction, one fsync).
    let ledger = EmbeddedLedger::open(&dir.join("appends.db"), ORIGIN).unwrap();
    let batch = entries(&keys, 0, 3000);
    let mut latencies = Vec::new();
    let start = Instant::now();
    for entry in &batch[..500] {
        let t = Instant::now();
        block_on(ledger.append(entry)).unwrap();
        latencies.push(t.elapsed());
    }
    let single = 500.0 / start.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "append, one durable transaction each: {single:.0}/s (p50 {:?}, p99 {:?})",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    // Group commit: 100 entries per transaction.
    let start = Instant::now();
    for chunk in batch[500..].chunks(100) {
        for r in block_on(ledger.append_all(chunk)) {
            r.unwrap();
        }
    }
    let grouped = 2500.0 / start.elapsed().as_secs_f64();
    println!("append, group commit of 100: {grouped:.0}/s");
    drop(ledger);

    control_comparison(&dir);

    // Resolution at scale.
    let ledger = EmbeddedLedger::open(&dir.join("large.db"), ORIGIN).unwrap();
    let mut stored = 0u64;
    let mut dids: Vec<didam_credential::Did> = Vec::new();
    for target in sizes {
        let started = Instant::now();
        while stored < target {
            let n = (target - stored).min(1000);
            let chunk = entries(&keys, stored, n);
            for r in block_on(ledger.append_all(&chunk)) {
                let receipt = r.unwrap();
                if dids.len() < 100_000 || receipt.leaf_index % 10 == 0 {
                    dids.push(receipt.did);
                }
            }
            stored += n;
        }
        println!("loaded {target} DIDs in {:.0} s", started.elapsed().as_secs_f64());
        let t = Instant::now();
        let checkpoint = block_on(ledger.checkpoint(&signer)).unwrap();
        println!("checkpoint of {target} leaves (tree + tips tree): {:.2} s", t.elapsed().as_secs_f64());

        // The common case: a checkpoint after a few changes. 1,000 new DIDs
        // (loaded outside the measured part), then the checkpoint alone.
        let chunk = entries(&keys, stored, 1000);
        for r in block_on(ledger.append_all(&chunk)) {
            r.unwrap();
        }
        stored += 1000;
        let t = Instant::now();
        let later = block_on(ledger.checkpoint(&signer)).unwrap();
        println!(
            "checkpoint of {} leaves, 1,000 DIDs changed since the last one: {:.3} s",
            later.size,
            t.elapsed().as_secs_f64()
        );
        // A tip proof for the older checkpoint, now that a newer one exists.
        let t = Instant::now();
        let mut proofs = 0u32;
        for did in dids.iter().step_by((dids.len() / 200).max(1)).take(200) {
            match block_on(ledger.tip_proof(did, checkpoint.size)) {
                Ok(_) => proofs += 1,
                Err(e) => {
                    println!("tip proof at the older size {}: {e}", checkpoint.size);
                    break;
                }
            }
        }
        if proofs > 0 {
            println!(
                "tip proof at the older size {}: {:?} each ({proofs} DIDs)",
                checkpoint.size,
                t.elapsed() / proofs
            );
        }
        let checkpoint = later;

        let store = CheckpointStore::new(dir.join(format!("client-{target}")));
        let verifier = signer.verifier();
        block_on(resolve(&ledger, &verifier, &store, dids[0].as_str(), &ResolveOptions::default())).unwrap();
        let mut latencies = Vec::new();
        for i in 0..2000u64 {
            let did = &dids[((i * 7919) % dids.len() as u64) as usize];
            let t = Instant::now();
            let r = block_on(resolve(&ledger, &verifier, &store, did.as_str(), &ResolveOptions::default()))
                .unwrap();
            latencies.push(t.elapsed());
            assert_eq!(r.state.did, did.as_str());
        }
        latencies.sort();
        println!(
            "resolve with full verification at {target} DIDs: p50 {:?}, p99 {:?}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
        let inclusion = block_on(ledger.inclusion_proof(checkpoint.size / 2, checkpoint.size)).unwrap();
        let tip = block_on(ledger.tip_proof(&dids[0], checkpoint.size)).unwrap();
        println!(
            "proof sizes at {target}: inclusion {} hashes ({} bytes), tip {} hashes; log2(n) = {:.1}",
            inclusion.len(),
            inclusion.len() * 32,
            tip.proof.len(),
            (checkpoint.size as f64).log2()
        );
    }
    drop(ledger);
    std::fs::remove_dir_all(&dir).unwrap();
}
