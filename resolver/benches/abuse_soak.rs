//! The abuse soak of issue 18 (Deliver 6): the release daemon on loopback,
//! configured as an operator would (`abuse::OPERATOR_FLAGS`), first under
//! legitimate load alone (the baseline), then under the same legitimate load
//! while every attack of the issue comes from many other loopback addresses
//! (see `tests/abuse/mod.rs` for the mix). Prints, for each phase, the
//! legitimate requests' error count, p50 and p99, the hostile answers by
//! attack and status, the daemon's RSS every second and failed health
//! checks; then the p50 and p99 ratios. Stops by itself; the daemon is killed
//! at the end (and the hostile and legitimate clients are tasks of this
//! process).
//!
//! ```text
//! scripts/soak-abuse            # 60 s a phase
//! cargo bench -p didam-resolver --bench abuse_soak -- --seconds 10
//! ```
//!
//! Environment: `SOAK_SECONDS` (the length of each phase, when `--seconds`
//! is not given), `SOAK_LEGIT_CLIENTS` (4), `SOAK_HOSTILE_PER_ATTACK` (2),
//! `SOAK_FLOOD_CONNECTIONS` (2).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/abuse/mod.rs"]
mod abuse;
mod common;

use std::time::Duration;

use abuse::{Mix, Phase};
use common::env_or;

/// `--seconds N` (cargo passes `--bench` too), else `SOAK_SECONDS`, else 60.
fn seconds() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| env_or("SOAK_SECONDS", 60) as u64)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let seconds = seconds();
    let setup = runtime.block_on(abuse::setup("abuse-soak-bench"));
    println!(
        "==> daemon pid {} on 127.0.0.1:{}, flags {:?} (+ an issuer with one bearer token)",
        setup.fixtures.pid,
        setup.fixtures.port,
        abuse::OPERATOR_FLAGS
    );
    let legit = Mix {
        duration: Duration::from_secs(seconds),
        legit_clients: env_or("SOAK_LEGIT_CLIENTS", 4),
        legit_interval: Duration::from_millis(100),
        hostile_per_attack: 0,
        flood_connections: 0,
    };
    let hostile = Mix {
        hostile_per_attack: env_or("SOAK_HOSTILE_PER_ATTACK", 2),
        flood_connections: env_or("SOAK_FLOOD_CONNECTIONS", 2),
        ..legit.clone()
    };
    println!("==> baseline: {legit:?}");
    let baseline = runtime.block_on(abuse::run_phase(&setup.fixtures, &legit));
    println!("{}", baseline.summary("baseline (legitimate only)"));
    println!("==> under attack: {hostile:?}");
    let attacked = runtime.block_on(abuse::run_phase(&setup.fixtures, &hostile));
    println!("{}", attacked.summary("under attack"));

    let (b, a) = (baseline.all_latencies(), attacked.all_latencies());
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (before, after) = (Phase::percentile_ms(&b, p), Phase::percentile_ms(&a, p));
        println!("legitimate {name}: {before:.1} ms → {after:.1} ms under attack ({:.2}×)", after / before);
    }
    let alive = abuse::rss_mib(setup.fixtures.pid).is_some();
    let failures = baseline.health_failures.len() + attacked.health_failures.len();
    println!(
        "legitimate errors: {} baseline, {} under attack; daemon alive at the end: {alive}; failed health checks: {failures}",
        baseline.errors.len(),
        attacked.errors.len()
    );
    drop(setup);
}
