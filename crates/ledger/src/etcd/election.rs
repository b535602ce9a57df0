//! Choosing the one sequencer: whoever creates the sequencer key under its
//! own lease holds the role while it keeps the lease alive. When the holder
//! dies, its lease expires (after its TTL), etcd deletes the key, and the next
//! candidate to poll creates it.
//!
//! The holder's writes of tree nodes and checkpoints compare the key's
//! `create_revision` (a fencing token): a sequencer that lost its lease
//! without noticing cannot write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_client::{Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};

use super::keys::Keys;
use super::members::Members;
use super::unavailable;
use crate::ledger::LedgerError;

/// Proof of holding the sequencer role: the election key and its creation
/// revision, which writes of the sequencer compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerFence {
    pub(crate) key: Vec<u8>,
    pub(crate) create_revision: i64,
}

impl SequencerFence {
    pub(crate) fn compare(&self) -> Compare {
        Compare::create_revision(self.key.clone(), CompareOp::Equal, self.create_revision)
    }
}

/// One candidate for the sequencer role (see the module doc).
pub struct SequencerElection {
    members: Arc<Members>,
    keys: Keys,
    node: String,
    ttl: Duration,
    timeout: Duration,
    lease: Option<i64>,
    fence: Option<SequencerFence>,
    renewed: Instant,
}

impl std::fmt::Debug for SequencerElection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequencerElection")
            .field("node", &self.node)
            .field("ttl", &self.ttl)
            .field("holding", &self.fence.is_some())
            .finish_non_exhaustive()
    }
}

impl SequencerElection {
    pub(crate) fn new(
        members: Arc<Members>,
        keys: Keys,
        node: &str,
        ttl: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            members,
            keys,
            node: node.to_owned(),
            ttl: ttl.max(Duration::from_secs(2)),
            timeout,
            lease: None,
            fence: None,
            renewed: Instant::now(),
        }
    }

    /// This candidate's name (stored in the election key).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether this candidate held the role at the last poll.
    pub fn is_sequencer(&self) -> bool {
        self.fence.is_some()
    }

    /// Renews the lease when due and tries to take the role if free. Returns
    /// the fence while this candidate holds the role. Call it more often than
    /// a third of the TTL.
    pub async fn poll(&mut self) -> Result<Option<SequencerFence>, LedgerError> {
        match self.poll_inner().await {
            Ok(fence) => Ok(fence),
            Err(e) => {
                // Unsure whether the lease lives: stop acting as sequencer.
                self.fence = None;
                self.lease = None;
                Err(e)
            }
        }
    }

    async fn poll_inner(&mut self) -> Result<Option<SequencerFence>, LedgerError> {
        let ttl_secs = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let lease = match self.lease {
            Some(id) => {
                if self.renewed.elapsed() >= self.ttl / 3 {
                    self.members
                        .call(self.timeout, |mut c| async move { c.lease_keep_alive(id).await })
                        .await
                        .map_err(|e| unavailable(format!("sequencer lease not renewed: {e}")))?;
                    self.renewed = Instant::now();
                }
                id
            }
            None => {
                let granted = self
                    .members
                    .call(self.timeout, |mut c| async move { c.lease_grant(ttl_secs, None).await })
                    .await
                    .map_err(unavailable)?;
                self.renewed = Instant::now();
                self.lease = Some(granted.id());
                granted.id()
            }
        };
        if self.fence.is_some() {
            return Ok(self.fence.clone());
        }
        let key = self.keys.sequencer();
        let txn = Txn::new()
            .when([Compare::version(key.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(
                key.clone(),
                self.node.as_bytes(),
                Some(PutOptions::new().with_lease(lease)),
            )])
            .or_else([TxnOp::get(key.clone(), None)]);
        let response = self.members.txn(self.timeout, &txn).await.map_err(unavailable)?;
        if response.succeeded() {
            let revision = response.header().map_or(0, |h| h.revision());
            self.fence = Some(SequencerFence { key, create_revision: revision });
        } else if let Some(TxnOpResponse::Get(get)) = response.op_responses().first()
            && let Some(kv) = get.kvs().first()
            && kv.lease() == lease
        {
            // An earlier attempt of ours went through without an answer.
            self.fence = Some(SequencerFence { key, create_revision: kv.create_revision() });
        }
        Ok(self.fence.clone())
    }

    /// Gives the role up at once (revokes the lease), so another candidate
    /// takes over without waiting for the TTL.
    pub async fn resign(&mut self) {
        self.fence = None;
        if let Some(id) = self.lease.take() {
            let _ = self.members.call(self.timeout, |mut c| async move { c.lease_revoke(id).await }).await;
        }
    }
}
