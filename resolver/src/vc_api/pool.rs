//! The verification pool: where the VC API's verifications run, so that no
//! number of them starves DID resolution.
//!
//! Steps of [`VerifyPool::run`]: take one of the pool's permits, or answer
//! [`PoolError::Full`] at once (the handler's 503 with `Retry-After`) → start
//! a thread of its own for the work (not tokio's blocking pool, which the
//! ledger's SQLite calls use; a larger stack than tokio's) holding the
//! permit until the work ends → wait for the result. When the waiting
//! request is dropped (its time limit passed, its client went away), the
//! work is abandoned: its future is dropped at its next await (a fetch, a
//! resolution), and the engine stops at its next step on the
//! [`Cancellation`] flag; the permit comes back when the thread ends, so
//! abandoned work still counts against the pool while it runs.

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use didam_credential::limits::Cancellation;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::problem;

/// At most `workers` verifications at once, each on its own thread.
#[derive(Debug)]
pub struct VerifyPool {
    permits: Arc<Semaphore>,
    workers: usize,
}

/// Why the pool did not run the work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Every worker is busy.
    #[error("every verification worker is busy")]
    Full,
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

    /// A pool of `workers` (at least 1).
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        Self { permits: Arc::new(Semaphore::new(workers)), workers }
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs the future `work` makes on a worker thread, on the current
    /// runtime, and waits for its output. Dropping the returned future
    /// abandons the work (see the module doc).
    pub async fn run<F, Fut, T>(&self, work: F) -> Result<T, PoolError>
    where
        F: FnOnce(Cancellation) -> Fut + Send + 'static,
        Fut: Future<Output = T>,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.permits).try_acquire_owned().map_err(|_| PoolError::Full)?;
        let cancel = Cancellation::new();
        // Dropped with this future: cancels the flag and wakes the worker.
        let (abandon, abandoned) = oneshot::channel::<()>();
        let guard = CancelOnDrop { cancel: cancel.clone(), _abandon: abandon };
        let (done, result) = oneshot::channel();
        let handle = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("didam-verify".into())
            .stack_size(Self::STACK_BYTES)
            .spawn(move || worker(&handle, permit, work(cancel), abandoned, done))
            .map_err(PoolError::Spawn)?;
        let output = result.await.map_err(|_| PoolError::Lost)?;
        drop(guard);
        output.ok_or(PoolError::Lost)
    }
}

/// A worker thread's body: the work until it ends or is abandoned.
fn worker<Fut: Future<Output = T>, T>(
    handle: &tokio::runtime::Handle,
    permit: OwnedSemaphorePermit,
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
    drop(permit);
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

/// The 503 answer of a full pool.
pub(super) fn busy(workers: usize) -> Response {
    let mut response = problem::plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "urn:didam:problem:vc-api:busy",
        "Verification busy",
        &format!("all {workers} verification workers are busy; retry later"),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
