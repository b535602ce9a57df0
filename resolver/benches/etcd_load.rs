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

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use didam_credential::{KeyType, SecretKey};
use didam_ledger::Ledger as _;
use didam_ledger::log::{self, EntryDraft, Method};
use didam_registry::{HttpLedger, method};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_didam-resolver");
const ORIGIN: &str = "bench.test/ledger";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A daemon, killed when dropped.
struct Daemon {
    child: Child,
    base: String,
}

impl Daemon {
    fn start(dir: &Path, key: &Path, pass: &Path, ledger: Option<&str>) -> Self {
        let mut command = Command::new(BIN);
        command
            .args(["--listen", "127.0.0.1:0", "--rate-limit", "0", "--checkpoint-interval-ms", "200"])
            .arg("--data-dir")
            .arg(dir)
            .arg("--checkpoint-key")
            .arg(key)
            .arg("--checkpoint-key-passphrase-file")
            .arg(pass)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(dir.with_extension("log")).map_or_else(|_| Stdio::null(), Stdio::from),
            );
        if let Some(ledger) = ledger {
            command.args(["--ledger", ledger]);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!("the daemon did not start: {line:?}");
        };
        Self { base: base.to_owned(), child }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latencies of one workload.
struct Outcome {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn new(elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Self { elapsed, latencies }
    }

    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }

    fn print(&self, name: &str) {
        println!(
            "{name:<34} {:>7} {:>7.2} {:>9.0} {:>8.2} {:>8.2}",
            self.latencies.len(),
            self.elapsed.as_secs_f64(),
            self.latencies.len() as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
        );
    }
}

async fn new_entry() -> Value {
    let (key, next) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
    let mut parameters = serde_json::Map::new();
    parameters.insert("updateKeys".into(), json!([key.public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&next.public_key().to_multikey())]));
    let draft = EntryDraft {
        parameters,
        document: json!({ "@context": ["https://www.w3.org/ns/did/v1"], "id": "did:didam:{SCID}" }),
        version_time: chrono::Utc::now() - chrono::Duration::seconds(10),
    };
    log::create_entry(Method::Didam, draft, &key).await.unwrap()
}

/// Appends `entries` through `bases` (client i uses daemon i % 2) from
/// `clients` concurrent clients, until done or `cap`.
async fn appends(bases: &[String], entries: Vec<Value>, clients: usize, cap: Duration) -> Outcome {
    let entries = Arc::new(entries);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + cap;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let ledger = HttpLedger::new(&bases[c % bases.len()]).unwrap();
        let (entries, next) = (Arc::clone(&entries), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= entries.len() || Instant::now() >= deadline {
                    return latencies;
                }
                let t = Instant::now();
                let receipt = ledger.append(&entries[i]).await.unwrap();
                assert!(!receipt.duplicate);
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Outcome::new(started.elapsed(), latencies)
}

/// `count` GETs of `url` (or fewer, when `cap` passes first); every answer a 200.
async fn gets(url: &str, clients: usize, count: usize, cap: Duration) -> Outcome {
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
                let status = response.status();
                let body = response.bytes().await.unwrap();
                assert_eq!(status, reqwest::StatusCode::OK, "{url}: {}", String::from_utf8_lossy(&body));
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Outcome::new(started.elapsed(), latencies)
}

/// Creates a did:didam DID through `base` and waits until `reader` serves a
/// checkpoint covering it.
async fn didam_did(base: &str, reader: &str) -> String {
    let ledger = HttpLedger::new(base).unwrap();
    let (update, next, signing) = (
        SecretKey::generate(KeyType::Ed25519),
        SecretKey::generate(KeyType::Ed25519),
        SecretKey::generate(KeyType::Ed25519),
    );
    let doc = method::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (did, receipt) =
        method::create(&ledger, &update, &next.public_key(), doc, chrono::Utc::now()).await.unwrap();
    let reader = HttpLedger::new(reader).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while reader.latest_checkpoint().await.unwrap().is_none_or(|c| c.size <= receipt.leaf_index) {
        assert!(Instant::now() < deadline, "no checkpoint");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    did.as_str().to_owned()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-etcd-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let clients = env_or("LOAD_CLIENTS", 32);
    let count = env_or("LOAD_APPENDS", if smoke { 200 } else { 6000 });
    let resolves = env_or("LOAD_RESOLVES", if smoke { 100 } else { 5000 });
    let cap = Duration::from_secs(env_or("LOAD_SECONDS", if smoke { 10 } else { 20 }) as u64);

    let dir = temp_dir();
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

    let cluster = cluster::Cluster::start("bench");
    let url = cluster.ledger_url();
    let d1 = Daemon::start(&dir.join("d1"), &key, &pass, Some(&url));
    let d2 = Daemon::start(&dir.join("d2"), &key, &pass, Some(&url));
    let embedded = Daemon::start(&dir.join("embedded"), &key, &pass, None);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    // Entries are made before the clock starts: signing is the client's work.
    let entries: Vec<Value> = runtime.block_on(async {
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
    outcome.print("append (new DID), both daemons");
    // Resolve with the tree checkpointed (the sequencer integrates behind the
    // appends); how long it lags is a figure of its own.
    let appended = (warm_count + outcome.latencies.len()) as u64;
    let caught_up = Instant::now();
    runtime.block_on(async {
        let reader = HttpLedger::new(&d2.base).unwrap();
        let deadline = Instant::now() + Duration::from_secs(300);
        while reader.latest_checkpoint().await.unwrap().is_none_or(|c| c.size < appended) {
            assert!(Instant::now() < deadline, "the sequencer did not catch up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    println!(
        "checkpoint covering all {appended} entries after {:.2} s more",
        caught_up.elapsed().as_secs_f64()
    );

    let on_etcd = runtime.block_on(didam_did(&d1.base, &d2.base));
    let on_file = runtime.block_on(didam_did(&embedded.base, &embedded.base));
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
        runtime.block_on(gets(&url, clients, resolves, cap)).print(name);
    }
    drop((d1, d2, embedded, cluster));
    let _ = std::fs::remove_dir_all(&dir);
}
