//! One gRPC client per etcd member, with failover: a request goes to the
//! member that last answered; when that member cannot be reached (connection
//! refused, reset) it goes to the next one. Every write of the ledger is a
//! compare-and-swap, so sending one again after a failure is safe.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, GetOptions, GetResponse, Txn, TxnResponse};

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// No member answered in time (no quorum, or overloaded).
    Timeout,
    /// A member answered with an error, or none could be reached.
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Timeout => f.write_str("no answer in time (is a quorum of members up?)"),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

/// The members' clients.
pub(crate) struct Members {
    clients: Vec<Client>,
    current: AtomicUsize,
}

/// Whether the request surely did not reach a member able to serve it
/// (gRPC `UNAVAILABLE`: connection refused or lost, member stopping).
fn not_served(e: &etcd_client::Error) -> bool {
    match e {
        etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => true,
        etcd_client::Error::GRpcStatus(status) => status.code() as i32 == 14,
        _ => false,
    }
}

impl Members {
    /// One client per endpoint (connections are made on first use).
    pub(crate) async fn connect(endpoints: &[String], options: ConnectOptions) -> Result<Self, String> {
        let mut clients = Vec::with_capacity(endpoints.len());
        for endpoint in endpoints {
            let client = Client::connect([endpoint], Some(options.clone()))
                .await
                .map_err(|e| format!("{endpoint}: {e}"))?;
            clients.push(client);
        }
        Ok(Self { clients, current: AtomicUsize::new(0) })
    }

    /// Runs `request` on the current member, moving on to the next ones
    /// while members cannot be reached; each try is limited to `limit`.
    pub(crate) async fn call<T, F, Fut>(&self, limit: Duration, request: F) -> Result<T, CallError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let n = self.clients.len();
        let start = self.current.load(Ordering::Relaxed);
        let mut last = String::from("no etcd endpoint");
        for k in 0..n {
            let i = (start + k) % n;
            match tokio::time::timeout(limit, request(self.clients[i].clone())).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(e)) if not_served(&e) => {
                    last = e.to_string();
                    let _ =
                        self.current.compare_exchange(i, (i + 1) % n, Ordering::Relaxed, Ordering::Relaxed);
                }
                Ok(Err(e)) => return Err(CallError::Failed(e.to_string())),
                Err(_) => {
                    // Next time, try another member first.
                    let _ =
                        self.current.compare_exchange(i, (i + 1) % n, Ordering::Relaxed, Ordering::Relaxed);
                    return Err(CallError::Timeout);
                }
            }
        }
        Err(CallError::Failed(format!("no member could be reached (last: {last})")))
    }

    /// A range read.
    pub(crate) async fn get(
        &self,
        limit: Duration,
        key: &[u8],
        options: GetOptions,
    ) -> Result<GetResponse, CallError> {
        self.call(limit, |mut c| {
            let (key, options) = (key.to_vec(), options.clone());
            async move { c.get(key, Some(options)).await }
        })
        .await
    }

    /// A transaction.
    pub(crate) async fn txn(&self, limit: Duration, txn: &Txn) -> Result<TxnResponse, CallError> {
        self.call(limit, |mut c| {
            let txn = txn.clone();
            async move { c.txn(txn).await }
        })
        .await
    }
}
