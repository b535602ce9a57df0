//! The verification pool: where the VC API's verifications run, so that no
//! number of them starves DID resolution, and no expensive one holds up the
//! cheap ones.
//!
//! Two lanes, each with its own workers and wait queue ([`Lane`]):
//! - **light**: documents within [`Lane::LIGHT`] (16 KiB, a few dozen blank
//!   nodes, shallow): what credentials and small presentations are. Their work
//!   is bounded by those limits, so a request here waits only behind other
//!   bounded work;
//! - **heavy**: everything else the engine's limits still accept (large
//!   presentations, many blank nodes, long SD-JWTs), and with them what an
//!   attacker sends to make work (RDFC-1.0 poison graphs, deep disclosures).
//!   Half as many workers as the light lane (at least one), a short queue, and
//!   threads at a lower CPU priority ([`HEAVY_NICE`]), so that a flood of
//!   expensive requests costs the light lane and DID resolution little CPU and
//!   no place in their queues.
//!
//! Steps of [`VerifyPool::run`], in the lane the caller chose:
//! 1. take one of the lane's `workers` permits; when every worker is busy,
//!    take a place in its wait queue and wait for a permit (within the
//!    request's own time limit: the daemon's time limit drops the waiting
//!    request, which gives its place back); only when `queue` requests are
//!    already waiting is the answer [`PoolError::Full`] at once (the
//!    handler's 503 with `Retry-After`);
//! 2. start a thread of its own for the work (not tokio's blocking pool,
//!    which the ledger's SQLite calls use; a larger stack than tokio's)
//!    holding the permit until the work ends;
//! 3. wait for the result.
//!
//! When the waiting request is dropped (its time limit passed, its client
//! went away), the work is abandoned: its future is dropped at its next await
//! (a fetch, a resolution), and the engine stops at its next step on the
//! [`Cancellation`] flag; the permit comes back when the thread ends, so
//! abandoned work still counts against the pool while it runs.
//!
//! Metrics, each with a `lane` label (`light`, `heavy`):
//! `didam_verify_queue_depth` (requests waiting now),
//! `didam_verify_busy_workers` (permits taken now) and
//! `didam_verify_rejected_total` (requests turned away because the queue was
//! full).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use didam_credential::limits::{Cancellation, Limits};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::problem;

/// Which of the pool's lanes a verification runs in (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Documents within [`Lane::LIGHT`].
    Light,
    /// Everything else.
    Heavy,
}

impl Lane {
    /// The bounds of the light lane: a document over any of them runs in
    /// the heavy lane. A credential, with its proof, status and evidence,
    /// is well within them; each bound keeps the work of one light
    /// verification to a few milliseconds (a clique of look-alike blank
    /// nodes small enough to stay under 32 blank nodes is canonicalised in
    /// well under a millisecond).
    pub const LIGHT: Limits = Limits {
        max_bytes: 16 * 1024,
        max_depth: 12,
        max_values: 1_000,
        max_blank_nodes: 32,
        max_proofs: 4,
        max_contexts: 8,
        max_disclosures: 32,
    };

    /// The lane of a document given as JSON (a Data Integrity credential or
    /// presentation) or as a string (a JWT, SD-JWT or COSE encoding), whose
    /// text is `text`. Cheap: one walk over the parsed value, no recursion.
    pub fn of(document: &Value, text: &str) -> Self {
        let light = &Self::LIGHT;
        let within = match document {
            Value::String(compact) => {
                light.check_size(compact).is_ok()
                    && light.check_disclosures(compact.matches('~').count()).is_ok()
            }
            _ => light.check_size(text).is_ok() && light.check_document(document).is_ok(),
        };
        if within { Self::Light } else { Self::Heavy }
    }

    /// `light` or `heavy` (the metrics' label).
    pub fn name(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Heavy => "heavy",
        }
    }
}

/// The nice value the heavy lane's threads run at (Linux): the scheduler
/// gives them about a tenth of the CPU time a thread at the default 0 gets
/// when both want it, and all of it when nothing else does.
pub const HEAVY_NICE: i32 = 10;

/// Two lanes of at most `workers` verifications at once, each on its own
/// thread, and at most `queue` more waiting for a worker.
#[derive(Debug)]
pub struct VerifyPool {
    light: LanePool,
    heavy: LanePool,
}

/// One lane's workers and queue.
#[derive(Debug)]
struct LanePool {
    lane: Lane,
    permits: Arc<Semaphore>,
    workers: usize,
    queue: usize,
    waiting: Arc<AtomicUsize>,
}

/// Why the pool did not run the work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Every worker is busy and the wait queue is full.
    #[error("every verification worker is busy and {queue} requests are already waiting")]
    Full {
        /// The queue's length.
        queue: usize,
    },
    /// The worker thread could not be started.
    #[error("a verification thread could not be started")]
    Spawn(#[source] std::io::Error),
    /// The worker thread ended without a result (it panicked).
    #[error("the verification thread ended without a result")]
    Lost,
}

impl VerifyPool {
    /// Stack of a worker thread: room for the JSON-LD processing of a
    /// document at the engine's depth limit.
    const STACK_BYTES: usize = 8 * 1024 * 1024;

    /// A pool whose light lane has `workers` (at least 1) with room for
    /// `queue` waiting requests (0: a request finding every worker busy is
    /// refused at once), and whose heavy lane has half as many workers (at
    /// least 1) with two waiting places each.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        let heavy = (workers / 2).max(1);
        Self {
            light: LanePool::new(Lane::Light, workers, queue),
            heavy: LanePool::new(Lane::Heavy, heavy, heavy * 2),
        }
    }

    /// The default number of light workers on this machine: one per CPU, at
    /// least two (so one slow verification never holds every worker).
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
    }

    /// The default wait queue for `workers`: four waiting requests a worker,
    /// enough for bursts of concurrent clients (each verification takes
    /// milliseconds) while a flood is refused before it piles up.
    pub fn default_queue(workers: usize) -> usize {
        workers.max(1) * 4
    }

    fn lane(&self, lane: Lane) -> &LanePool {
        match lane {
            Lane::Light => &self.light,
            Lane::Heavy => &self.heavy,
        }
    }

    /// The number of workers of `lane`.
    pub fn workers(&self, lane: Lane) -> usize {
        self.lane(lane).workers
    }

    /// The length of `lane`'s wait queue.
    pub fn queue(&self, lane: Lane) -> usize {
        self.lane(lane).queue
    }

    /// How many requests wait for a worker of `lane` now.
    pub fn waiting(&self, lane: Lane) -> usize {
        self.lane(lane).waiting.load(Ordering::Relaxed)
    }

    /// Runs the future `work` makes on a worker thread of `lane`, on the
    /// current runtime, and waits for its output (after a wait in the lane's
    /// queue when every worker is busy). Dropping the returned future
    /// abandons the wait or the work (see the module doc).
    pub async fn run<F, Fut, T>(&self, lane: Lane, work: F) -> Result<T, PoolError>
    where
        F: FnOnce(Cancellation) -> Fut + Send + 'static,
        Fut: Future<Output = T>,
        T: Send + 'static,
    {
        let pool = self.lane(lane);
        let permit = pool.permit().await?;
        let busy = BusyWorker::new(permit, pool);
        let cancel = Cancellation::new();
        // Dropped with this future: cancels the flag and wakes the worker.
        let (abandon, abandoned) = oneshot::channel::<()>();
        let guard = CancelOnDrop { cancel: cancel.clone(), _abandon: abandon };
        let (done, result) = oneshot::channel();
        let handle = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name(format!("didam-verify-{}", lane.name()))
            .stack_size(Self::STACK_BYTES)
            .spawn(move || {
                if lane == Lane::Heavy {
                    lower_priority();
                }
                worker(&handle, busy, work(cancel), abandoned, done);
            })
            .map_err(PoolError::Spawn)?;
        let output = result.await.map_err(|_| PoolError::Lost)?;
        drop(guard);
        output.ok_or(PoolError::Lost)
    }
}

impl LanePool {
    fn new(lane: Lane, workers: usize, queue: usize) -> Self {
        Self {
            lane,
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            queue,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A worker's permit: at once when one is free, else after a wait in
    /// the queue; [`PoolError::Full`] when the queue is full.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, PoolError> {
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(permit);
        }
        let Some(_place) = QueuePlace::take(self) else {
            metrics::counter!("didam_verify_rejected_total", "lane" => self.lane.name()).increment(1);
            return Err(PoolError::Full { queue: self.queue });
        };
        // The semaphore is never closed; `Lost` only names the impossible.
        Arc::clone(&self.permits).acquire_owned().await.map_err(|_| PoolError::Lost)
    }
}

/// Lowers the calling thread's CPU priority to [`HEAVY_NICE`]. On Linux a
/// nice value belongs to the thread (`setpriority(PRIO_PROCESS, 0)` is the
/// calling thread), and any thread may lower its own priority. Elsewhere,
/// and if the call fails, the thread keeps its priority: the lane's own
/// workers and queue still bound it.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(None, HEAVY_NICE) {
        tracing::debug!(error = %e, "a heavy verification thread keeps its priority");
    }
}

/// A place in the wait queue, given back when dropped (the permit came, or
/// the waiting request was dropped).
struct QueuePlace {
    waiting: Arc<AtomicUsize>,
    lane: Lane,
}

impl QueuePlace {
    /// A place, if fewer than `queue` requests are waiting.
    fn take(pool: &LanePool) -> Option<Self> {
        let queue = pool.queue;
        let before =
            pool.waiting.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < queue).then_some(n + 1));
        let depth = before.ok()? + 1;
        metrics::gauge!("didam_verify_queue_depth", "lane" => pool.lane.name()).set(depth as f64);
        Some(Self { waiting: Arc::clone(&pool.waiting), lane: pool.lane })
    }
}

impl Drop for QueuePlace {
    fn drop(&mut self) {
        let depth = self.waiting.fetch_sub(1, Ordering::AcqRel).saturating_sub(1);
        metrics::gauge!("didam_verify_queue_depth", "lane" => self.lane.name()).set(depth as f64);
    }
}

/// A taken permit, counted in `didam_verify_busy_workers` until dropped.
struct BusyWorker {
    _permit: OwnedSemaphorePermit,
    permits: Arc<Semaphore>,
    workers: usize,
    lane: Lane,
}

impl BusyWorker {
    fn new(permit: OwnedSemaphorePermit, pool: &LanePool) -> Self {
        let busy = Self {
            _permit: permit,
            permits: Arc::clone(&pool.permits),
            workers: pool.workers,
            lane: pool.lane,
        };
        busy.report(0);
        busy
    }

    /// Sets the gauge, with `freed` permits about to come back.
    fn report(&self, freed: usize) {
        let busy = self.workers.saturating_sub(self.permits.available_permits() + freed);
        metrics::gauge!("didam_verify_busy_workers", "lane" => self.lane.name()).set(busy as f64);
    }
}

impl Drop for BusyWorker {
    fn drop(&mut self) {
        self.report(1);
    }
}

/// A worker thread's body: the work until it ends or is abandoned.
fn worker<Fut: Future<Output = T>, T>(
    handle: &tokio::runtime::Handle,
    busy: BusyWorker,
    work: Fut,
    abandoned: oneshot::Receiver<()>,
    done: oneshot::Sender<Option<T>>,
) {
    let output = handle.block_on(async {
        tokio::select! {
            output = work => Some(output),
            _ = abandoned => None,
        }
    });
    drop(busy);
    let _ = done.send(output);
}

/// Sets the cancellation flag when the waiting request is dropped.
struct CancelOnDrop {
    cancel: Cancellation,
    _abandon: oneshot::Sender<()>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The 503 answer of a full lane and queue.
pub(super) fn busy(pool: &VerifyPool, lane: Lane) -> Response {
    let mut response = problem::plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "urn:didam:problem:vc-api:busy",
        "Verification busy",
        &format!(
            "all {} {} verification workers are busy and {} requests are already waiting; retry later",
            pool.workers(lane),
            lane.name(),
            pool.queue(lane)
        ),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// Work that ends when `release` is sent (or dropped).
    fn held(release: mpsc::Receiver<()>) -> impl FnOnce(Cancellation) -> std::future::Ready<()> + Send {
        move |_| {
            // The worker's own thread waits here, outside the runtime's.
            let _ = release.recv();
            std::future::ready(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_pool_queues_up_to_its_queue_then_refuses() -> Result<(), Box<dyn std::error::Error>> {
        let pool = Arc::new(VerifyPool::new(1, 1));
        let (release_first, first) = mpsc::channel();
        let running = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(Lane::Light, held(first)).await }
        });
        while pool.light.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let queued = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(Lane::Light, |_| async { 7 }).await }
        });
        while pool.waiting(Lane::Light) < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(pool.run(Lane::Light, |_| async {}).await, Err(PoolError::Full { queue: 1 })));
        let _ = release_first.send(());
        running.await??;
        assert_eq!(queued.await??, 7, "the queued request ran once a worker was free");
        assert_eq!(pool.waiting(Lane::Light), 0);
        assert_eq!(pool.run(Lane::Light, |_| async { 8 }).await?, 8);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_waiter_gives_its_place_back() -> Result<(), Box<dyn std::error::Error>> {
        let pool = Arc::new(VerifyPool::new(1, 1));
        let (release, first) = mpsc::channel();
        let running = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(Lane::Light, held(first)).await }
        });
        while pool.light.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let gave_up =
            tokio::time::timeout(Duration::from_millis(50), pool.run(Lane::Light, |_| async {})).await;
        assert!(gave_up.is_err(), "it waited for the busy worker");
        assert_eq!(pool.waiting(Lane::Light), 0, "its place is free again");
        let _ = release.send(());
        running.await??;
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_heavy_lane_leaves_the_light_lane_free() -> Result<(), Box<dyn std::error::Error>> {
        let pool = Arc::new(VerifyPool::new(2, 1));
        assert_eq!((pool.workers(Lane::Heavy), pool.queue(Lane::Heavy)), (1, 2));
        let (release, first) = mpsc::channel();
        let running = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(Lane::Heavy, held(first)).await }
        });
        while pool.heavy.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let light =
            tokio::time::timeout(Duration::from_secs(30), pool.run(Lane::Light, |_| async { 9 })).await;
        assert_eq!(light??, 9, "a light verification ran while the heavy worker was held");
        assert_eq!(pool.waiting(Lane::Heavy), 0);
        let _ = release.send(());
        running.await??;
        Ok(())
    }

    #[test]
    fn a_credential_is_light_and_what_an_attacker_makes_work_of_is_heavy()
    -> Result<(), Box<dyn std::error::Error>> {
        let lane = |v: &Value| Lane::of(v, &v.to_string());
        let credential: Value =
            serde_json::from_str(include_str!("../../../test-vectors/selective/ten-claims.json"))?;
        assert_eq!(lane(&credential), Lane::Light);
        let poison: Value =
            serde_json::from_str(include_str!("../../../test-vectors/rdfc-poison/clique.json"))?;
        assert_eq!(lane(&poison), Lane::Heavy, "a clique of blank nodes");
        let big = serde_json::json!({"a": "x".repeat(20_000)});
        assert_eq!(lane(&big), Lane::Heavy, "over 16 KiB");
        let mut deep = serde_json::json!({});
        for _ in 0..13 {
            deep = serde_json::json!({ "a": deep });
        }
        assert_eq!(lane(&deep), Lane::Heavy, "deeper than 12");
        let sd_jwt = Value::String(format!("eyJ.eyJ.sig{}", "~WyJzIiwiYSIsMV0".repeat(40)));
        assert_eq!(lane(&sd_jwt), Lane::Heavy, "40 disclosures");
        let jwt = Value::String("eyJ.eyJ.sig~".into());
        assert_eq!(lane(&jwt), Lane::Light);
        Ok(())
    }
}
