//! Load benchmark of the real daemon over loopback: starts the
//! `didam-resolver` binary (of the same profile), creates a did:didam DID
//! through its ledger API, then drives `GET /1.0/identifiers/{did}` with
//! concurrent HTTP clients and prints throughput, p50 and p99 latency for
//! did:key and did:didam, cached and uncached (`noCache=true`), and the
//! daemon's resident memory (`VmRSS` after each workload, and the peak
//! `VmHWM`, which includes start-up).
//!
//! Bounded: each workload stops after its request count or its time cap,
//! whichever comes first, and the daemon is killed at the end.
//!
//! ```text
//! cargo bench -p didam-resolver --bench load
//! LOAD_CLIENTS=32 LOAD_REQUESTS=50000 LOAD_SECONDS=20 cargo bench -p didam-resolver --bench load
//! ```
//!
//! The load generator runs on the same machine, so it takes part of the CPU
//! the daemon would otherwise have: the numbers are a floor.
//!
//! Every feature is on, as in production: the cache, Prometheus metrics, the
//! rate limit (at 1,000,000/s per client, so that it is checked on every
//! request but refuses none) and one JSON log line per request (to a file).
//!
//! `LOAD_WRK=1` (what `scripts/bench-resolver` runs) measures the cached
//! workloads with `wrk -t2 -c32 -d10s --latency` instead, like the reference
//! numbers of other resolvers, then keeps wrk on did:key for
//! `LOAD_MEMORY_SECONDS` (default 60) and samples the daemon's RSS every 5 s.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::daemon::{DID_KEY, Daemon};
use common::{didam_did, env_or, gets};

/// Every feature on, the rate limit at 1,000,000/s per client: checked on
/// every request, refusing none.
fn start_daemon() -> Daemon {
    Daemon::start("load", &["--rate-limit", "1000000", "--rate-limit-burst", "1000000"])
}

/// A `/proc/<pid>/status` memory field (`VmHWM`, `VmRSS`) of the daemon, in MiB.
fn memory_mib(daemon: &Daemon, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", daemon.pid())).unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib as f64 / 1024.0
}

/// Runs `wrk` (from Debian's package) with `args`; its report.
fn wrk(args: &[&str]) -> String {
    let out = Command::new("wrk").args(args).output().expect("wrk is installed (scripts/bench-resolver)");
    assert!(out.status.success(), "wrk: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The cached workloads under `wrk -t2 -c32 -d10s`, then memory under a
/// long did:key run.
fn with_wrk(daemon: &Daemon, runtime: &tokio::runtime::Runtime, workloads: &[(&str, String)]) {
    for (name, url) in workloads {
        runtime.block_on(gets(url, 4, 100, Duration::from_secs(10)));
        let report = wrk(&["-t2", "-c32", "-d10s", "--latency", url]);
        println!("== {name}, cached: wrk -t2 -c32 -d10s --latency\n{report}");
        println!("daemon RSS after: {:.1} MiB\n", memory_mib(daemon, "VmRSS"));
    }
    let seconds = env_or("LOAD_MEMORY_SECONDS", 60);
    println!("== memory: wrk -t2 -c32 -d{seconds}s on did:key, RSS every 5 s");
    let duration = format!("-d{seconds}s");
    let url = workloads[0].1.clone();
    let load = std::thread::spawn(move || wrk(&["-t2", "-c32", &duration, &url]));
    let mut samples = Vec::new();
    while !load.is_finished() {
        std::thread::sleep(Duration::from_secs(5));
        samples.push(format!("{:.1}", memory_mib(daemon, "VmRSS")));
    }
    let report = load.join().expect("wrk ran");
    let rate = report.lines().find(|l| l.starts_with("Requests/sec")).unwrap_or_default();
    println!("RSS MiB: {}\n{rate}", samples.join(" "));
    println!(
        "peak since start (VmHWM, includes the scrypt key decryption): {:.1} MiB",
        memory_mib(daemon, "VmHWM")
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it too:
    // then only a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let clients = env_or("LOAD_CLIENTS", 16);
    let requests = env_or("LOAD_REQUESTS", if smoke { 200 } else { 40_000 });
    let uncached = env_or("LOAD_UNCACHED_REQUESTS", if smoke { 100 } else { 10_000 });
    let cap = Duration::from_secs(env_or("LOAD_SECONDS", if smoke { 5 } else { 15 }) as u64);

    let daemon = start_daemon();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!(
        "daemon started: RSS {:.1} MiB, peak {:.1} MiB",
        memory_mib(&daemon, "VmRSS"),
        memory_mib(&daemon, "VmHWM")
    );
    let didam = runtime.block_on(didam_did(&daemon.base, &daemon.base, Duration::from_secs(20)));
    let url = |did: &str, query: &str| format!("{}/1.0/identifiers/{did}{query}", daemon.base);
    if std::env::var_os("LOAD_WRK").is_some() {
        with_wrk(&daemon, &runtime, &[("did:key", url(DID_KEY, "")), ("did:didam", url(&didam, ""))]);
        return;
    }
    let workloads = [
        ("did:key   cached", url(DID_KEY, ""), requests),
        ("did:key   noCache", url(DID_KEY, "?noCache=true"), uncached),
        ("did:didam cached", url(&didam, ""), requests),
        ("did:didam noCache", url(&didam, "?noCache=true"), uncached),
    ];
    println!("didam-resolver load: {clients} clients, loopback, cap {}s per workload", cap.as_secs());
    println!(
        "{:<18} {:>9} {:>8} {:>12} {:>9} {:>9}",
        "workload", "requests", "secs", "req/s", "p50 ms", "p99 ms"
    );
    for (name, url, count) in &workloads {
        // Warm the cache and the connections.
        runtime.block_on(gets(url, clients, clients * 4, cap));
        let o = runtime.block_on(gets(url, clients, *count, cap));
        println!(
            "{name:<18} {:>9} {:>8.2} {:>12.0} {:>9.3} {:>9.3} {:>13.1}",
            o.count(),
            o.elapsed.as_secs_f64(),
            o.per_second(),
            o.percentile_ms(0.50),
            o.percentile_ms(0.99),
            memory_mib(&daemon, "VmRSS"),
        );
    }
    // The peak includes start-up: scrypt decryption of the checkpoint key
    // (age's work factor, ~1 s) takes far more memory than serving does.
    println!(
        "daemon RSS now (VmRSS) {:.1} MiB; peak since start (VmHWM, includes the scrypt key decryption) {:.1} MiB",
        memory_mib(&daemon, "VmRSS"),
        memory_mib(&daemon, "VmHWM")
    );
}
