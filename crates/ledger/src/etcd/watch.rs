//! The latest checkpoint, kept current by an etcd watch, so that resolving a
//! DID sends no request to etcd: one task per [`super::EtcdLedger`] reads the
//! `checkpoint-latest` key (linearizable), then watches it from the next
//! revision, so no change is missed between the two.
//!
//! The copy is served only while the watch is *live*: created, on a member
//! that has a leader (the watch asks for one, so a member cut off from the
//! cluster ends it), with no error since. Otherwise the ledger reads etcd as
//! before. A live copy lags the store by the watch's delivery time (a
//! moment); [`crate::Ledger::latest_checkpoint_now`] reads past it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, EventType, WatchOptions};

use super::EtcdLedger;
use crate::ledger::SignedCheckpoint;

/// The wait before watching again after the watch ended.
const RETRY: Duration = Duration::from_millis(250);

/// The watched copy.
#[derive(Default)]
pub(crate) struct Watched {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    live: bool,
    latest: Option<SignedCheckpoint>,
}

impl Watched {
    /// The latest checkpoint, when the watch is live (`Some(None)`: live,
    /// and no checkpoint has been signed yet).
    pub(crate) fn get(&self) -> Option<Option<SignedCheckpoint>> {
        let state = self.state.lock().ok()?;
        state.live.then(|| state.latest.clone())
    }

    /// Takes in a checkpoint this process just stored (so that it reads its
    /// own writes before the watch reports them), or one the watch reported:
    /// kept if newer than the copy (the latest only ever grows).
    pub(crate) fn advance(&self, checkpoint: SignedCheckpoint) {
        if let Ok(mut state) = self.state.lock()
            && state.latest.as_ref().is_none_or(|l| l.size < checkpoint.size)
        {
            state.latest = Some(checkpoint);
        }
    }

    fn set(&self, live: bool, latest: Option<SignedCheckpoint>) {
        if let Ok(mut state) = self.state.lock() {
            *state = State { live, latest };
        }
    }

    fn set_live(&self, live: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.live = live;
        }
    }
}

/// Starts the watch task (it runs until aborted).
pub(crate) fn spawn(
    watched: Arc<Watched>,
    endpoints: Vec<String>,
    options: ConnectOptions,
    key: Vec<u8>,
) -> tokio::task::AbortHandle {
    let options = options.with_require_leader(true);
    tokio::spawn(async move {
        for endpoint in endpoints.iter().cycle() {
            // The reason is not logged per attempt: while the cluster is
            // down this repeats four times a second, and reads report it.
            let _ended = watch(&watched, endpoint, &options, &key).await;
            watched.set_live(false);
            tokio::time::sleep(RETRY).await;
        }
    })
    .abort_handle()
}

/// Reads the key, then watches it on `endpoint` until the watch ends.
async fn watch(
    watched: &Watched,
    endpoint: &str,
    options: &ConnectOptions,
    key: &[u8],
) -> Result<(), String> {
    let parse = |note: &[u8]| EtcdLedger::parse_checkpoint(note).map_err(|e| e.to_string());
    let mut client = Client::connect([endpoint], Some(options.clone())).await.map_err(|e| e.to_string())?;
    let response = client.get(key, None).await.map_err(|e| e.to_string())?;
    let revision = response.header().map(|h| h.revision()).ok_or("a reply without a header")?;
    let latest = response.kvs().first().map(|kv| parse(kv.value())).transpose()?;
    watched.set(false, latest);
    let options = WatchOptions::new().with_start_revision(revision + 1);
    let mut stream = client.watch(key, Some(options)).await.map_err(|e| e.to_string())?;
    loop {
        let Some(message) = stream.message().await.map_err(|e| e.to_string())? else {
            return Err("the watch stream ended".into());
        };
        if message.canceled() {
            return Err(format!("the watch was cancelled: {}", message.cancel_reason()));
        }
        for event in message.events() {
            let Some(kv) = event.kv() else { continue };
            match event.event_type() {
                EventType::Put => watched.advance(parse(kv.value())?),
                // Only by hand (a ledger is never deleted): read it again.
                EventType::Delete => return Err("the latest checkpoint was deleted".into()),
            }
        }
        if message.created() {
            watched.set_live(true);
        }
    }
}
