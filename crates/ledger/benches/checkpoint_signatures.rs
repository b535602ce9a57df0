//! Cost of quantum-safe checkpoints: the size of a checkpoint note, and the
//! time to sign it and to open (verify) it, with the Ed25519 signature only
//! and with the ML-DSA-44 cosignature line (C2SP tlog-cosignature `0x06`)
//! beside it (and the line by which the Ed25519 key vouches for the
//! ML-DSA-44 key, as the ledger signs them).
//!
//! `cargo bench --workspace --features didam-ledger/etcd,didam-resolver/etcd
//! --bench checkpoint_signatures` (iterations from `DIDAM_BENCH_ITERATIONS`,
//! default 500). Prints one Markdown table row per case.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use didam_credential::{KeyType, SecretKey};
use didam_ledger::handover;
use didam_ledger::note::{self, Checkpoint, NoteSigner, NoteVerifier};

const ORIGIN: &str = "bench.didam/ledger";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(iterations: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..iterations)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let iterations: usize =
        std::env::var("DIDAM_BENCH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(500);
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: 1_000_000,
        root: [7; 32],
        extensions: vec![format!("didam-tips 1000000 {}", "A".repeat(43) + "=")],
    };
    let ed = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::Ed25519)).unwrap();
    let pq = NoteSigner::new(ORIGIN, SecretKey::generate(KeyType::MlDsa44)).unwrap();
    let both = ed.clone().with_pq(pq.clone()).unwrap();
    println!(
        "| checkpoint signatures | note bytes | sign (median) | open, verifying every known key (median) |"
    );
    println!("|---|---|---|---|");
    let cases: [(&str, &NoteSigner, Vec<NoteVerifier>); 3] = [
        ("Ed25519 only", &ed, vec![ed.verifier()]),
        ("Ed25519 + ML-DSA-44, classical client (Ed25519 key only)", &both, vec![ed.verifier()]),
        ("Ed25519 + ML-DSA-44, PQ client (both keys)", &both, vec![ed.verifier(), pq.verifier()]),
    ];
    for (name, signer, keys) in cases {
        let checkpoint = handover::vouched(checkpoint.clone(), signer);
        let signed = checkpoint.sign(signer).unwrap();
        let sign = time(iterations, || {
            std::hint::black_box(checkpoint.sign(signer).unwrap());
        });
        let open = time(iterations, || {
            std::hint::black_box(note::open(signed.as_bytes(), &keys).unwrap());
        });
        println!("| {name} | {} | {sign:.2?} | {open:.2?} |", signed.len());
    }
}
