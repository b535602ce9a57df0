//! Ledger benchmark: appends per second on the embedded ledger (each append
//! durable, alone and with group commit), resolve latency with full
//! verification at large sizes, proof sizes, the checkpoint after 1,000
//! DIDs changed (the measured part is the checkpoint alone), and tip proofs
//! for the checkpoint before it.
//!
//! `cargo bench -p didam-registry --bench ledger` (sizes from
//! `DIDAM_BENCH_DIDS`, default `100000,1000000`). Writes to a temporary folder
//! and removes it. Bounded: a fixed number of operations per phase.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use didam_credential::{KeyType, SecretKey};
use didam_ledger::note::NoteSigner;
use didam_ledger::{EmbeddedLedger, Ledger};
use didam_method::LogEntry;
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let sizes: Vec<u64> = std::env::var("DIDAM_BENCH_DIDS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
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
