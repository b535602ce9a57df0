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

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use didam_credential::{KeyType, SecretKey};
use didam_ledger::Ledger as _;
use didam_registry::{HttpLedger, method};

const BIN: &str = env!("CARGO_BIN_EXE_didam-resolver");
const ORIGIN: &str = "bench.test/ledger";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The daemon, killed when dropped.
struct Daemon {
    child: Child,
    base: String,
}

impl Daemon {
    fn start(dir: &Path) -> Self {
        let (key, pass) = (dir.join("checkpoint.age"), dir.join("passphrase"));
        std::fs::write(&pass, "bench passphrase\n").unwrap();
        let out = Command::new(BIN)
            .args(["keygen", "--origin", ORIGIN, "--out"])
            .arg(&key)
            .arg("--passphrase-file")
            .arg(&pass)
            .output()
            .unwrap();
        assert!(out.status.success(), "keygen: {}", String::from_utf8_lossy(&out.stderr));
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--checkpoint-interval-ms", "50"])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--checkpoint-key")
            .arg(&key)
            .arg("--checkpoint-key-passphrase-file")
            .arg(&pass)
            .args(["--rate-limit", "1000000", "--rate-limit-burst", "1000000"])
            // The request log goes to a file, as it would to a log collector.
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("daemon.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("listening on ").expect("the daemon started").to_owned();
        Self { child, base }
    }

    /// A `/proc/<pid>/status` memory field (`VmHWM`, `VmRSS`), in MiB.
    fn memory_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        kib as f64 / 1024.0
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one workload measured.
struct Outcome {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }
}

/// `count` GETs of `url` (or fewer, when `cap` passes first) from `clients`
/// concurrent connections; every answer must be a 200.
async fn drive(url: &str, clients: usize, count: usize, cap: Duration) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + cap;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (url, next) = (url.to_owned(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count && Instant::now() < deadline {
                let t = Instant::now();
                let response = client.get(&url).send().await.unwrap();
                assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
                response.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Outcome { requests: latencies.len(), elapsed, latencies }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Creates a did:didam DID through the daemon and waits for its checkpoint.
async fn didam_did(base: &str) -> String {
    let ledger = HttpLedger::new(base).unwrap();
    let (update, next, signing) = (
        SecretKey::generate(KeyType::Ed25519),
        SecretKey::generate(KeyType::Ed25519),
        SecretKey::generate(KeyType::Ed25519),
    );
    let doc = method::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (did, receipt) =
        method::create(&ledger, &update, &next.public_key(), doc, chrono::Utc::now()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while ledger.latest_checkpoint().await.unwrap().is_none_or(|c| c.size <= receipt.leaf_index) {
        assert!(Instant::now() < deadline, "no checkpoint");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    did.as_str().to_owned()
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
        runtime.block_on(drive(url, 4, 100, Duration::from_secs(10)));
        let report = wrk(&["-t2", "-c32", "-d10s", "--latency", url]);
        println!("== {name}, cached: wrk -t2 -c32 -d10s --latency\n{report}");
        println!("daemon RSS after: {:.1} MiB\n", daemon.memory_mib("VmRSS"));
    }
    let seconds = env_or("LOAD_MEMORY_SECONDS", 60);
    println!("== memory: wrk -t2 -c32 -d{seconds}s on did:key, RSS every 5 s");
    let duration = format!("-d{seconds}s");
    let url = workloads[0].1.clone();
    let load = std::thread::spawn(move || wrk(&["-t2", "-c32", &duration, &url]));
    let mut samples = Vec::new();
    while !load.is_finished() {
        std::thread::sleep(Duration::from_secs(5));
        samples.push(format!("{:.1}", daemon.memory_mib("VmRSS")));
    }
    let report = load.join().expect("wrk ran");
    let rate = report.lines().find(|l| l.starts_with("Requests/sec")).unwrap_or_default();
    println!("RSS MiB: {}\n{rate}", samples.join(" "));
    println!(
        "peak since start (VmHWM, includes the scrypt key decryption): {:.1} MiB",
        daemon.memory_mib("VmHWM")
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

    let dir = temp_dir();
    let daemon = Daemon::start(&dir);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let key = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    println!(
        "daemon started: RSS {:.1} MiB, peak {:.1} MiB",
        daemon.memory_mib("VmRSS"),
        daemon.memory_mib("VmHWM")
    );
    let didam = runtime.block_on(didam_did(&daemon.base));
    let url = |did: &str, query: &str| format!("{}/1.0/identifiers/{did}{query}", daemon.base);
    if std::env::var_os("LOAD_WRK").is_some() {
        with_wrk(&daemon, &runtime, &[("did:key", url(key, "")), ("did:didam", url(&didam, ""))]);
        drop(daemon);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let workloads = [
        ("did:key   cached", url(key, ""), requests),
        ("did:key   noCache", url(key, "?noCache=true"), uncached),
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
        runtime.block_on(drive(url, clients, clients * 4, cap));
        let o = runtime.block_on(drive(url, clients, *count, cap));
        println!(
            "{name:<18} {:>9} {:>8.2} {:>12.0} {:>9.3} {:>9.3} {:>13.1}",
            o.requests,
            o.elapsed.as_secs_f64(),
            o.requests as f64 / o.elapsed.as_secs_f64(),
            o.percentile(0.50).as_secs_f64() * 1e3,
            o.percentile(0.99).as_secs_f64() * 1e3,
            daemon.memory_mib("VmRSS"),
        );
    }
    // The peak includes start-up: scrypt decryption of the checkpoint key
    // (age's work factor, ~1 s) takes far more memory than serving does.
    println!(
        "daemon RSS now (VmRSS) {:.1} MiB; peak since start (VmHWM, includes the scrypt key decryption) {:.1} MiB",
        daemon.memory_mib("VmRSS"),
        daemon.memory_mib("VmHWM")
    );
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
}
