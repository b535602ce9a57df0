//! What the load benchmarks share: the daemon (the integration tests'
//! `Daemon`), workload sizes from the environment, and concurrent clients
//! that time every request.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tests/common/mod.rs"]
pub mod daemon;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// Each bench uses part of these (abuse_soak through tests/abuse, etcd_load
// `checkpointed`).
#[allow(unused_imports)]
pub use daemon::{DID_KEY, Daemon, checkpointed, did_key_issuer, didam_did, encode};

/// The number in the environment variable `name`, else `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What one workload measured: its time and every request's latency.
pub struct Outcome {
    pub elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn new(elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Self { elapsed, latencies }
    }

    /// How many requests were made.
    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    pub fn per_second(&self) -> f64 {
        self.count() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at `p` (0.5 for the median), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default().as_secs_f64() * 1e3
    }
}

/// One client of a workload.
pub trait Client: Send + 'static {
    /// Makes the workload's `i`-th request, asserting its answer.
    fn call(&mut self, i: usize) -> impl Future<Output = ()> + Send;
}

/// Requests `0..count` (or fewer, when `cap` passes first), shared out
/// among `clients` concurrent clients; `new_client(c)` makes the `c`-th.
pub async fn run<C: Client>(
    clients: usize,
    count: usize,
    cap: Duration,
    new_client: impl Fn(usize) -> C,
) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + cap;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (mut client, next) = (new_client(c), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || Instant::now() >= deadline {
                    return latencies;
                }
                let t = Instant::now();
                client.call(i).await;
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

/// GETs of one URL; every answer must be a 200.
pub struct Get {
    http: reqwest::Client,
    url: String,
}

impl Client for Get {
    async fn call(&mut self, _: usize) {
        let response = self.http.get(&self.url).send().await.unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK, "{}: {}", self.url, String::from_utf8_lossy(&body));
    }
}

/// `count` GETs of `url` (or fewer, when `cap` passes first) from `clients`
/// concurrent connections; every answer must be a 200.
pub async fn gets(url: &str, clients: usize, count: usize, cap: Duration) -> Outcome {
    run(clients, count, cap, |_| Get {
        http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap(),
        url: url.to_owned(),
    })
    .await
}
