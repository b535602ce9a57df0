//! The verification pool: where the VC API's verifications run, so that no
//! number of them starves DID resolution.
//!
//! Steps of [`VerifyPool::run`]:
//! 1. take one of the pool's `workers` permits; when every worker is busy,
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
//! Metrics: `didam_verify_queue_depth` (requests waiting now),
//! `didam_verify_busy_workers` (permits taken now) and
//! `didam_verify_rejected_total` (requests turned away because the queue was
//! full).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use didam_credential::limits::Cancellation;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::problem;

/// At most `workers` verifications at once, each on its own thread, and at
/// most `queue` more waiting for a worker.
#[derive(Debug)]
pub struct VerifyPool {
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

    /// A pool of `workers` (at least 1) with room for `queue` waiting
    /// requests (0: a request finding every worker busy is refused at once).
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            queue,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The default number of workers on this machine: one per CPU, at least
    /// two (so one slow verification never holds every worker).
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
    }

    /// The default wait queue for `workers`: four waiting requests a worker,
    /// enough for bursts of concurrent clients (each verification takes
    /// milliseconds) while a flood is refused before it piles up.
    pub fn default_queue(workers: usize) -> usize {
        workers.max(1) * 4
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The length of the wait queue.
    pub fn queue(&self) -> usize {
        self.queue
    }

    /// How many requests wait for a worker now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A worker's permit: at once when one is free, else after a wait in
    /// the queue; [`PoolError::Full`] when the queue is full.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, PoolError> {
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(permit);
        }
        let Some(_place) = QueuePlace::take(&self.waiting, self.queue) else {
            metrics::counter!("didam_verify_rejected_total").increment(1);
            return Err(PoolError::Full { queue: self.queue });
        };
        // The semaphore is never closed; `Lost` only names the impossible.
        Arc::clone(&self.permits).acquire_owned().await.map_err(|_| PoolError::Lost)
    }

    /// Runs the future `work` makes on a worker thread, on the current
    /// runtime, and waits for its output (after a wait in the queue when
    /// every worker is busy). Dropping the returned future abandons the wait
    /// or the work (see the module doc).
    pub async fn run<F, Fut, T>(&self, work: F) -> Result<T, PoolError>
    where
        F: FnOnce(Cancellation) -> Fut + Send + 'static,
        Fut: Future<Output = T>,
        T: Send + 'static,
    {
        let permit = self.permit().await?;
        let busy = BusyWorker::new(permit, &self.permits, self.workers);
        let cancel = Cancellation::new();
        // Dropped with this future: cancels the flag and wakes the worker.
        let (abandon, abandoned) = oneshot::channel::<()>();
        let guard = CancelOnDrop { cancel: cancel.clone(), _abandon: abandon };
        let (done, result) = oneshot::channel();
        let handle = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("didam-verify".into())
            .stack_size(Self::STACK_BYTES)
            .spawn(move || worker(&handle, busy, work(cancel), abandoned, done))
            .map_err(PoolError::Spawn)?;
        let output = result.await.map_err(|_| PoolError::Lost)?;
        drop(guard);
        output.ok_or(PoolError::Lost)
    }
}

/// A place in the wait queue, given back when dropped (the permit came, or
/// the waiting request was dropped).
struct QueuePlace {
    waiting: Arc<AtomicUsize>,
}

impl QueuePlace {
    /// A place, if fewer than `queue` requests are waiting.
    fn take(waiting: &Arc<AtomicUsize>, queue: usize) -> Option<Self> {
        let before =
            waiting.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < queue).then_some(n + 1));
        let depth = before.ok()? + 1;
        metrics::gauge!("didam_verify_queue_depth").set(depth as f64);
        Some(Self { waiting: Arc::clone(waiting) })
    }
}

impl Drop for QueuePlace {
    fn drop(&mut self) {
        let depth = self.waiting.fetch_sub(1, Ordering::AcqRel).saturating_sub(1);
        metrics::gauge!("didam_verify_queue_depth").set(depth as f64);
    }
}

/// A taken permit, counted in `didam_verify_busy_workers` until dropped.
struct BusyWorker {
    _permit: OwnedSemaphorePermit,
    permits: Arc<Semaphore>,
    workers: usize,
}

impl BusyWorker {
    fn new(permit: OwnedSemaphorePermit, permits: &Arc<Semaphore>, workers: usize) -> Self {
        let busy = Self { _permit: permit, permits: Arc::clone(permits), workers };
        busy.report(0);
        busy
    }

    /// Sets the gauge, with `freed` permits about to come back.
    fn report(&self, freed: usize) {
        let busy = self.workers.saturating_sub(self.permits.available_permits() + freed);
        metrics::gauge!("didam_verify_busy_workers").set(busy as f64);
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

/// The 503 answer of a full pool and queue.
pub(super) fn busy(pool: &VerifyPool) -> Response {
    let mut response = problem::plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "urn:didam:problem:vc-api:busy",
        "Verification busy",
        &format!(
            "all {} verification workers are busy and {} requests are already waiting; retry later",
            pool.workers(),
            pool.queue()
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
            async move { pool.run(held(first)).await }
        });
        while pool.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let queued = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(|_| async { 7 }).await }
        });
        while pool.waiting() < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(pool.run(|_| async {}).await, Err(PoolError::Full { queue: 1 })));
        let _ = release_first.send(());
        running.await??;
        assert_eq!(queued.await??, 7, "the queued request ran once a worker was free");
        assert_eq!(pool.waiting(), 0);
        assert_eq!(pool.run(|_| async { 8 }).await?, 8);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_waiter_gives_its_place_back() -> Result<(), Box<dyn std::error::Error>> {
        let pool = Arc::new(VerifyPool::new(1, 1));
        let (release, first) = mpsc::channel();
        let running = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(held(first)).await }
        });
        while pool.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let gave_up = tokio::time::timeout(Duration::from_millis(50), pool.run(|_| async {})).await;
        assert!(gave_up.is_err(), "it waited for the busy worker");
        assert_eq!(pool.waiting(), 0, "its place is free again");
        let _ = release.send(());
        running.await??;
        Ok(())
    }
}
