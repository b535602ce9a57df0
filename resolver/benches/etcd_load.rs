//! Load benchmark of the etcd ledger over loopback: starts three real etcd
//! members and two release `didam-resolver` daemons on them (plus one daemon
//! on the embedded ledger, for comparison), then measures
//! 1. appends (new DIDs) through both daemons from concurrent clients:
//!    appends per second, p50 and p99 latency;
//! 2. `GET /1.0/identifiers/{did}?noCache=true` of a did:didam DID from the
//!    second daemon, against the same on the embedded daemon.
//!
//! Bounded: each workload stops after its count or its time cap, and every
//! process is killed at the end.
//!
//! ```text
//! cargo bench -p didam-resolver --features etcd --bench etcd_load
//! LOAD_CLIENTS=64 LOAD_APPENDS=8000 LOAD_SECONDS=30 cargo bench -p didam-resolver --features etcd --bench etcd_load
//! ```
//!
//! The load generator, both daemons and all three etcd members share the
//! machine's cores: the numbers are a floor.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../crates/ledger/tests/cluster/mod.rs"]
mod cluster;

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cluster::{Cluster, new_entry};
use common::daemon::Daemon;
use common::{Client, Outcome, checkpointed, didam_did, env_or, gets};
use didam_ledger::HttpLedger;
use didam_ledger::Ledger as _;
use didam_method::LogEntry;

/// A daemon on the etcd ledger at `ledger` (`None`: the embedded ledger).
fn start_daemon(name: &str, ledger: Option<&str>) -> Daemon {
    let mut extra = vec!["--checkpoint-interval-ms", "200"];
    if let Some(url) = ledger {
        extra.extend(["--ledger", url]);
    }
    Daemon::start_logging(name, &extra, Some("warn"))
}

/// Appends of new DIDs through one daemon; none may be a duplicate.
struct Append {
    ledger: HttpLedger,
    entries: Arc<Vec<LogEntry>>,
}

impl Client for Append {
    async fn call(&mut self, i: usize) {
        let receipt = self.ledger.append(&self.entries[i]).await.unwrap();
        assert!(!receipt.duplicate);
    }
}

/// Appends `entries` through `bases` (client i uses daemon i % 2) from
/// `clients` concurrent clients, until done or `cap`.
async fn appends(bases: &[String], entries: Vec<LogEntry>, clients: usize, cap: Duration) -> Outcome {
    let entries = Arc::new(entries);
    common::run(clients, entries.len(), cap, |c| Append {
        ledger: HttpLedger::new(&bases[c % bases.len()]).unwrap(),
        entries: Arc::clone(&entries),
    })
    .await
}

/// One row of the table.
fn print_row(name: &str, o: &Outcome) {
    println!(
        "{name:<34} {:>7} {:>7.2} {:>9.0} {:>8.2} {:>8.2}",
        o.count(),
        o.elapsed.as_secs_f64(),
        o.per_second(),
        o.percentile_ms(0.50),
        o.percentile_ms(0.99),
    );
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let clients = env_or("LOAD_CLIENTS", 32);
    let count = env_or("LOAD_APPENDS", if smoke { 200 } else { 6000 });
    let resolves = env_or("LOAD_RESOLVES", if smoke { 100 } else { 5000 });
    let cap = Duration::from_secs(env_or("LOAD_SECONDS", if smoke { 10 } else { 20 }) as u64);

    let cluster = Cluster::start("bench");
    let url = cluster.ledger_url();
    let d1 = start_daemon("etcd-load-d1", Some(&url));
    let d2 = start_daemon("etcd-load-d2", Some(&url));
    let embedded = start_daemon("etcd-load-embedded", None);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    // Entries are made before the clock starts: signing is the client's work.
    let entries: Vec<LogEntry> = runtime.block_on(async {
        let mut v = Vec::with_capacity(count + clients * 2);
        for _ in 0..count + clients * 2 {
            v.push(new_entry().await);
        }
        v
    });
    let warm_count = clients * 2;
    let (warm, entries) = {
        let mut entries = entries;
        let rest = entries.split_off(clients * 2);
        (entries, rest)
    };
    let bases = [d1.base.clone(), d2.base.clone()];
    println!(
        "etcd ledger load: 3 etcd members + 2 daemons on loopback, {clients} clients, cap {}s",
        cap.as_secs()
    );
    println!(
        "{:<34} {:>7} {:>7} {:>9} {:>8} {:>8}",
        "workload", "count", "secs", "per s", "p50 ms", "p99 ms"
    );
    runtime.block_on(appends(&bases, warm, clients, cap));
    let outcome = runtime.block_on(appends(&bases, entries, clients, cap));
    print_row("append (new DID), both daemons", &outcome);
    // Resolve with the tree checkpointed (the sequencer integrates behind the
    // appends); how long it lags is a figure of its own.
    let appended = (warm_count + outcome.count()) as u64;
    let caught_up = Instant::now();
    let reader = HttpLedger::new(&d2.base).unwrap();
    runtime.block_on(checkpointed(&reader, appended, Duration::from_secs(300)));
    println!(
        "checkpoint covering all {appended} entries after {:.2} s more",
        caught_up.elapsed().as_secs_f64()
    );

    let limit = Duration::from_secs(60);
    let on_etcd = runtime.block_on(didam_did(&d1.base, &d2.base, limit));
    let on_file = runtime.block_on(didam_did(&embedded.base, &embedded.base, limit));
    let resolve = |base: &str, did: &str| format!("{base}/1.0/identifiers/{did}?noCache=true");
    for (name, url) in [
        ("resolve noCache, etcd, daemon 2", resolve(&d2.base, &on_etcd)),
        ("resolve noCache, embedded", resolve(&embedded.base, &on_file)),
    ] {
        // One request first: the daemon's checkpoint store takes in the
        // latest checkpoint (concurrent first saves of one checkpoint race in
        // `didam_ledger::file::write_atomic`, whose temp name is per process).
        runtime.block_on(gets(&url, 1, 1, cap));
        runtime.block_on(gets(&url, clients, clients * 4, cap));
        print_row(name, &runtime.block_on(gets(&url, clients, resolves, cap)));
    }
    drop((d1, d2, embedded, cluster));
}
