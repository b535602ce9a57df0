//! The abuse soak of issue 18 (Deliver 6), shared by the bench
//! (`benches/abuse_soak.rs`: the release daemon, 60 s a phase, figures for
//! BENCHMARKS.md) and the CI test (`tests/abuse_soak.rs`: the debug daemon,
//! a few seconds, assertions only).
//!
//! Steps:
//! 1. [`setup`] starts the real daemon on loopback configured as an operator
//!    would (see [`OPERATOR_FLAGS`]: a per-client rate limit, the append rate
//!    limit, issuing behind a bearer token, the default verification pool),
//!    creates a did:didam DID through its ledger API and waits until a
//!    checkpoint covers it, and builds every request of the mix once;
//! 2. [`run_phase`] sends, until its deadline, legitimate traffic from
//!    `127.0.1.1`… (each client within the rate limit, one request every
//!    [`Mix::legit_interval`], cycling through did:key and did:didam
//!    resolutions and a credential verification; each answer checked) and,
//!    with [`Mix::hostile_per_attack`] > 0, every attack of issue 18 from
//!    other loopback addresses (`127.0.2.1`–`127.0.9.254`, a new one for each
//!    request; the flood from `127.16.0.1` on, never the same address twice);
//!    meanwhile it samples the daemon's RSS and `/health` every second;
//! 3. the caller reads the [`Phase`]: legitimate latencies and errors, the
//!    hostile answers by attack and status, RSS samples, failed health
//!    checks.
//!
//! 127.0.0.0/8 is all loopback on Linux, so a socket can be bound to any of
//! its addresses without configuration. Nothing leaves the machine.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use didam_credential::did::did_key;
use didam_credential::{KeyType, ProofOptions, SecretKey, Suite, proof};
use didam_method::log;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::{DID_KEY, Daemon, did_key_issuer, didam_did, encode};

#[path = "../entries/mod.rs"]
mod entries;
use entries::{first_entry, keys};

/// The daemon's flags besides the issuer's (a did:key wallet, one bearer
/// token): each client address may send 20 requests a second with bursts of
/// 40 (a legitimate client here sends 10), ledger appends keep their default
/// quota (1 a second, bursts of 20), checkpoints every 200 ms (the default);
/// the verification pool, time limits, body limit, admission limits and
/// cache keep their defaults.
pub const OPERATOR_FLAGS: [&str; 6] =
    ["--rate-limit", "20", "--rate-limit-burst", "40", "--checkpoint-interval-ms", "200"];

/// What a phase sends.
#[derive(Clone, Debug)]
pub struct Mix {
    /// How long the phase sends.
    pub duration: Duration,
    /// Legitimate clients, each from its own address.
    pub legit_clients: usize,
    /// The time between two requests of one legitimate client.
    pub legit_interval: Duration,
    /// Concurrent connections per attack (0: no hostile traffic).
    pub hostile_per_attack: usize,
    /// Concurrent connections of the address flood.
    pub flood_connections: usize,
}

/// A legitimate request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Legit {
    /// `GET /1.0/identifiers/did:key:…`
    DidKey,
    /// `GET /1.0/identifiers/did:didam:…`
    DidDidam,
    /// `POST /credentials/verify` of a valid eddsa-rdfc-2022 credential.
    Verify,
}

impl Legit {
    const ALL: [Self; 3] = [Self::DidKey, Self::DidDidam, Self::Verify];

    pub fn name(self) -> &'static str {
        match self {
            Self::DidKey => "resolve did:key",
            Self::DidDidam => "resolve did:didam",
            Self::Verify => "verify credential",
        }
    }
}

/// One hostile request, ready to send.
pub struct Attack {
    pub name: &'static str,
    /// The status the daemon refuses it with when nothing else (a rate
    /// limit, a busy pool) comes first.
    pub refused_with: u16,
    request: Vec<u8>,
}

/// What the daemon and the mix need, built once.
pub struct Fixtures {
    pub port: u16,
    pub pid: u32,
    pub did_didam: String,
    did_key_path: String,
    did_didam_path: String,
    verify_body: Value,
    pub attacks: Vec<Attack>,
    flood: Vec<u8>,
}

/// The daemon and the fixtures.
pub struct Setup {
    pub daemon: Daemon,
    pub fixtures: Arc<Fixtures>,
}

/// What one phase saw.
#[derive(Debug, Default)]
pub struct Phase {
    /// Latencies of the legitimate requests answered as expected, by kind.
    pub latencies: BTreeMap<Legit, Vec<Duration>>,
    /// Every legitimate request not answered as expected.
    pub errors: Vec<String>,
    /// Hostile answers by attack and status (or client-side error).
    pub hostile: BTreeMap<(&'static str, String), u64>,
    /// The daemon's RSS, in MiB, every second.
    pub rss_mib: Vec<f64>,
    /// `/health` checks that failed (the daemon gone, or not answering 200).
    pub health_failures: Vec<String>,
    pub elapsed: Duration,
}

impl Phase {
    /// Every legitimate latency, sorted.
    pub fn all_latencies(&self) -> Vec<Duration> {
        let mut all: Vec<Duration> = self.latencies.values().flatten().copied().collect();
        all.sort_unstable();
        all
    }

    /// The latency at `p` (0.5 for the median) of `latencies` (sorted), in ms.
    pub fn percentile_ms(latencies: &[Duration], p: f64) -> f64 {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or_default().as_secs_f64() * 1e3
    }

    /// Hostile requests answered, in all.
    pub fn hostile_total(&self) -> u64 {
        self.hostile.values().sum()
    }

    /// A human-readable summary.
    pub fn summary(&self, name: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let all = self.all_latencies();
        let secs = self.elapsed.as_secs_f64();
        let _ = writeln!(
            out,
            "== {name}: {:.0} s; legitimate: {} answered as expected ({:.1}/s), {} errors; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            secs,
            all.len(),
            all.len() as f64 / secs,
            self.errors.len(),
            Self::percentile_ms(&all, 0.5),
            Self::percentile_ms(&all, 0.99),
            Self::percentile_ms(&all, 1.0),
        );
        for (kind, latencies) in &self.latencies {
            let mut sorted = latencies.clone();
            sorted.sort_unstable();
            let _ = writeln!(
                out,
                "   {:<18} {:>6}  p50 {:>7.1} ms  p99 {:>7.1} ms",
                kind.name(),
                sorted.len(),
                Self::percentile_ms(&sorted, 0.5),
                Self::percentile_ms(&sorted, 0.99)
            );
        }
        for error in self.errors.iter().take(10) {
            let _ = writeln!(out, "   error: {error}");
        }
        if !self.hostile.is_empty() {
            let _ = writeln!(
                out,
                "   hostile: {} answered ({:.0}/s)",
                self.hostile_total(),
                self.hostile_total() as f64 / secs
            );
            for ((attack, status), count) in &self.hostile {
                let _ = writeln!(out, "   {attack:<24} {status:<24} {count:>8}");
            }
        }
        let rss: Vec<String> = self.rss_mib.iter().map(|m| format!("{m:.0}")).collect();
        let max = self.rss_mib.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(out, "   RSS MiB every 1 s (max {max:.1}): {}", rss.join(" "));
        let _ = writeln!(out, "   failed health checks: {}", self.health_failures.len());
        out
    }
}

/// Starts the daemon and builds the mix (see the module doc).
pub async fn setup(name: &str) -> Setup {
    let (daemon, _issuer) = did_key_issuer(name, &OPERATOR_FLAGS);
    let port: u16 = daemon.base.rsplit(':').next().unwrap().parse().unwrap();
    let did_didam = didam_did(&daemon.base, &daemon.base, Duration::from_secs(30)).await;
    let attacks = attacks(port).await;
    let fixtures = Fixtures {
        port,
        pid: daemon.pid(),
        did_key_path: format!("/1.0/identifiers/{}", encode(DID_KEY)),
        did_didam_path: format!("/1.0/identifiers/{}", encode(&did_didam)),
        did_didam,
        verify_body: json!({ "verifiableCredential": valid_credential().await }),
        attacks,
        flood: raw_request(port, "GET", &format!("/1.0/identifiers/{}", encode(DID_KEY)), None),
    };
    Setup { daemon, fixtures: Arc::new(fixtures) }
}

/// A credential about Alice signed (eddsa-rdfc-2022) by a fresh did:key.
async fn valid_credential() -> Value {
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, method) = did_key(&key.public_key());
    let document = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": { "id": "did:example:alice" },
    });
    proof::add_proof(&document, &key, &ProofOptions::assertion(Suite::EddsaRdfc2022, &method)).await.unwrap()
}

/// Every hostile request of issue 18, as bytes for `127.0.0.1:port`.
async fn attacks(port: u16) -> Vec<Attack> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    // The 133 KB SD-JWT whose disclosures nest 1,600 deep.
    let sd_jwt = json!({ "verifiableCredential": read("tests/fuzz_regressions/sd_jwt/r18_nested_1600") });
    // The RDFC-1.0 poison graph: a clique of blank nodes.
    let clique: Value = serde_json::from_str(&read("../test-vectors/rdfc-poison/clique.json")).unwrap();
    let poison = json!({ "verifiableCredential": clique });
    let issue = json!({ "credential": {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": { "id": "did:example:mallory", "role": "admin" },
    }});
    let a_minute_ago = Utc::now() - chrono::Duration::minutes(1);
    // The attack's 250 KB document.
    let oversized = first_entry(&keys(3), 250_000, a_minute_ago).await.json().clone();
    let mut foreign = first_entry(&keys(3), 0, a_minute_ago).await.json().clone();
    foreign["state"]["id"] = json!("did:example:not-didam");
    let skewed = first_entry(&keys(3), 0, Utc::now() + log::MAX_CLOCK_SKEW + chrono::Duration::hours(1))
        .await
        .json()
        .clone();
    let post = |path: &str, body: &Value| raw_request(port, "POST", path, Some(body));
    vec![
        Attack {
            name: "deep SD-JWT (verify)",
            refused_with: 422,
            request: post("/credentials/verify", &sd_jwt),
        },
        Attack {
            name: "RDFC poison (verify)",
            refused_with: 422,
            request: post("/credentials/verify", &poison),
        },
        Attack { name: "issue, no token", refused_with: 401, request: post("/credentials/issue", &issue) },
        Attack {
            name: "append 250 KB entry",
            refused_with: 413,
            request: post("/ledger/v1/entries", &oversized),
        },
        Attack {
            name: "append not did:didam",
            refused_with: 400,
            request: post("/ledger/v1/entries", &foreign),
        },
        Attack {
            name: "append skewed +1 h",
            refused_with: 422,
            request: post("/ledger/v1/entries", &skewed),
        },
    ]
}

/// An HTTP/1.1 request that closes its connection.
fn raw_request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Vec<u8> {
    let body = body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend(body);
    request
}

/// The `n`-th hostile address: `127.0.2.1` to `127.0.9.254`, round and round.
fn hostile_address(n: usize) -> Ipv4Addr {
    let n = n % (8 * 254);
    Ipv4Addr::new(127, 0, 2 + (n / 254) as u8, 1 + (n % 254) as u8)
}

/// The `n`-th address of the flood, from `127.16.0.1` on (about 13 million
/// before it wraps).
fn flood_address(n: usize) -> Ipv4Addr {
    let n = n % (200 * 254 * 254);
    Ipv4Addr::new(127, 16 + (n / (254 * 254)) as u8, (n / 254 % 254) as u8, 1 + (n % 254) as u8)
}

/// Sends `request` from `source` to the daemon on a new connection; the
/// status of the answer, or what went wrong.
async fn send_raw(source: Ipv4Addr, port: u16, request: &[u8]) -> String {
    let exchange = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
        let stream = socket.connect(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        // The daemon may answer (and close) before reading a refused body:
        // a failed write still leaves an answer to read.
        let _ = write_all(&stream, request).await;
        read_to_end(&stream, 1 << 20).await
    };
    match tokio::time::timeout(Duration::from_secs(30), exchange).await {
        Ok(Ok(answer)) => {
            let head = String::from_utf8_lossy(&answer[..answer.len().min(32)]).into_owned();
            head.split_whitespace().nth(1).map_or_else(|| "no answer".to_owned(), str::to_owned)
        }
        Ok(Err(e)) => format!("io {:?}", e.kind()),
        Err(_) => "client timeout 30 s".to_owned(),
    }
}

/// Writes all of `buf` (tokio's `io-util` is not among the features).
async fn write_all(stream: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        stream.writable().await?;
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads until the peer closes, keeping at most `limit` bytes.
async fn read_to_end(stream: &TcpStream, limit: usize) -> std::io::Result<Vec<u8>> {
    let (mut answer, mut chunk) = (Vec::new(), [0u8; 4096]);
    loop {
        stream.readable().await?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return Ok(answer),
            Ok(n) if answer.len() < limit => answer.extend_from_slice(&chunk[..n]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if answer.is_empty() => return Err(e),
            Err(_) => return Ok(answer),
        }
    }
}

type Counts = Arc<Mutex<BTreeMap<(&'static str, String), u64>>>;

/// One attack's connection: sends it over and over until `deadline`, each
/// time from the next hostile address.
async fn hostile(f: Arc<Fixtures>, attack: usize, first: usize, deadline: Instant, counts: Counts) {
    let mut n = first;
    while Instant::now() < deadline {
        let a = &f.attacks[attack];
        let status = send_raw(hostile_address(n), f.port, &a.request).await;
        *counts.lock().unwrap().entry((a.name, status)).or_default() += 1;
        n += 7;
    }
}

/// One connection of the flood: a did:key resolution from a new address
/// each time, so that each request is a new client of the rate limit.
async fn flood(f: Arc<Fixtures>, first: usize, step: usize, deadline: Instant, counts: Counts) {
    let mut n = first;
    while Instant::now() < deadline {
        let status = send_raw(flood_address(n), f.port, &f.flood).await;
        *counts.lock().unwrap().entry(("flood, new address each", status)).or_default() += 1;
        n += step;
    }
}

/// Whether a legitimate answer is the expected one.
async fn check(kind: Legit, f: &Fixtures, response: reqwest::Response) -> Result<(), String> {
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("{status}, unreadable body: {e}"))?;
    let ok = status == reqwest::StatusCode::OK
        && match kind {
            Legit::DidKey => body["didDocument"]["id"] == DID_KEY,
            Legit::DidDidam => body["didDocument"]["id"] == f.did_didam.as_str(),
            Legit::Verify => body["verified"] == true,
        };
    if ok { Ok(()) } else { Err(format!("{status}: {body}")) }
}

/// A client of its own address, keeping its connections.
fn client_from(address: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(address))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A legitimate client from `127.0.1.{c + 1}`: one request every `interval`
/// until `deadline`, each checked.
async fn legit(f: Arc<Fixtures>, c: usize, interval: Duration, deadline: Instant) -> Phase {
    let http = client_from(Ipv4Addr::new(127, 0, 1, 1 + c as u8));
    let base = format!("http://127.0.0.1:{}", f.port);
    let start = tokio::time::Instant::now();
    let mut phase = Phase::default();
    for i in 0.. {
        let due = start + interval * i;
        if due.into_std() >= deadline {
            break;
        }
        tokio::time::sleep_until(due).await;
        let kind = Legit::ALL[(i as usize + c) % Legit::ALL.len()];
        let t = Instant::now();
        let sent = match kind {
            Legit::DidKey => http.get(format!("{base}{}", f.did_key_path)).send().await,
            Legit::DidDidam => http.get(format!("{base}{}", f.did_didam_path)).send().await,
            Legit::Verify => {
                http.post(format!("{base}/credentials/verify")).json(&f.verify_body).send().await
            }
        };
        let outcome = match sent {
            Ok(response) => check(kind, &f, response).await,
            Err(e) => Err(format!("no answer: {e}")),
        };
        match outcome {
            Ok(()) => phase.latencies.entry(kind).or_default().push(t.elapsed()),
            Err(e) => phase.errors.push(format!("{} (client {c}): {e}", kind.name())),
        }
    }
    phase
}

/// The daemon's resident memory, in MiB; `None` when it is gone.
pub fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// RSS and `/health` every second until `deadline`.
async fn watch(f: Arc<Fixtures>, deadline: Instant) -> Phase {
    let http = client_from(Ipv4Addr::new(127, 0, 1, 250));
    let url = format!("http://127.0.0.1:{}/health", f.port);
    let mut phase = Phase::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while Instant::now() < deadline {
        tick.tick().await;
        match rss_mib(f.pid) {
            Some(rss) => phase.rss_mib.push(rss),
            None => phase.health_failures.push("the daemon's process is gone".into()),
        }
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => phase.health_failures.push(format!("/health answered {}", r.status())),
            Err(e) => phase.health_failures.push(format!("/health: {e}")),
        }
    }
    phase
}

/// Runs one phase of `mix` against the daemon of `f` (see the module doc).
/// The runtime the hostile clients run on: two threads at the lowest CPU
/// priority (nice 19). On one machine the attackers' CPU is the daemon's CPU,
/// which a server under attack from elsewhere would not share with them; at
/// nice 19 the generator takes what the daemon and the legitimate clients
/// leave, so the soak measures the daemon's answer to the attack rather than
/// the scheduler's split between the daemon and its attackers. The hostile
/// rate reached is printed with each phase.
fn attacker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("soak-attacker")
        .on_thread_start(|| {
            // Linux: the nice value of the calling thread only.
            let _ = rustix::process::setpriority_process(None, 19);
        })
        .enable_all()
        .build()
        .expect("a runtime for the attackers")
}

pub async fn run_phase(f: &Arc<Fixtures>, mix: &Mix) -> Phase {
    let started = Instant::now();
    let deadline = started + mix.duration;
    let counts: Counts = Arc::default();
    let attack_runtime = attacker_runtime();
    let mut attackers = Vec::new();
    for attack in 0..f.attacks.len() {
        for k in 0..mix.hostile_per_attack {
            let first = attack * 300 + k * 150;
            attackers.push(attack_runtime.spawn(hostile(
                Arc::clone(f),
                attack,
                first,
                deadline,
                Arc::clone(&counts),
            )));
        }
    }
    for k in 0..mix.flood_connections {
        attackers.push(attack_runtime.spawn(flood(
            Arc::clone(f),
            k,
            mix.flood_connections,
            deadline,
            Arc::clone(&counts),
        )));
    }
    let legit: Vec<_> = (0..mix.legit_clients)
        .map(|c| tokio::spawn(legit(Arc::clone(f), c, mix.legit_interval, deadline)))
        .collect();
    let mut phase = watch(Arc::clone(f), deadline).await;
    for client in legit {
        let seen = client.await.unwrap();
        for (kind, latencies) in seen.latencies {
            phase.latencies.entry(kind).or_default().extend(latencies);
        }
        phase.errors.extend(seen.errors);
    }
    for attacker in attackers {
        attacker.await.unwrap();
    }
    attack_runtime.shutdown_background();
    phase.elapsed = started.elapsed();
    phase.hostile = std::mem::take(&mut *counts.lock().unwrap());
    phase
}
