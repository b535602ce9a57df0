//! The distributed ledger on an etcd cluster (cargo feature `etcd`).
//!
//! Every daemon connects to the same cluster and serves reads and proofs;
//! appends from any daemon are safe together:
//! - an append verifies the entry against the DID's tip (no lock held), then
//!   one etcd transaction compares the global sequence, the DID's tip key and
//!   the entry hash, and stores the leaf, the hash index, the new tip and the
//!   log index while bumping the sequence. A task per ledger groups the
//!   entries waiting into one transaction (group commit).
//! - appends are idempotent by entry hash; a transaction with no reply is
//!   "unknown": the entry is looked up again before anything else, so it is
//!   never stored twice.
//! - one sequencer at a time ([`SequencerElection`], an etcd lease) integrates
//!   leaves into the tree (node keys) and signs checkpoints; its writes are
//!   fenced by the election key. Without a fence (as in the conformance
//!   suite) integration and checkpoints are still safe: they are
//!   compare-and-swap writes of a deterministic tree.
//! - reads are linearizable; when the cluster cannot answer one (no quorum),
//!   reads fall back to serializable reads of a live member for a few
//!   seconds, so already checkpointed data stays readable and verifiable.
//!
//! Key layout and limits: `specs/ledger-etcd.md`.

mod commit;
mod election;
mod keys;
mod members;
mod tips;
mod tree;
mod watch;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use didam_credential::Did;
use didam_method::LogEntry;
use etcd_client::{Certificate, ConnectOptions, GetOptions, Identity, KeyValue, TlsOptions, Txn, TxnOp};

pub use election::{SequencerElection, SequencerFence};

use self::commit::{Committer, NewEntry, Outcome, parse_u64, unchanged};
use self::keys::{Keys, prefix_end};
use self::members::Members;
use self::tree::{NodeMap, Pass, Recorder};
use self::watch::Watched;
use crate::admission::{Admission, AdmissionLimits, AdmissionView, Admitted, LimitError, LogBudget, admit};
use crate::ledger::{Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof};
use crate::merkle::{self, Hash, ProofError, TreeError};
use crate::note::{Checkpoint, NoteSigner};
use didam_method::log::{self, DidState, Method};

/// Most operations per read transaction (etcd's `--max-txn-ops` is 128).
const READ_BATCH: usize = 100;
/// Most keys per range page.
const PAGE: i64 = 500;
/// How long reads stay serializable after a linearizable read failed.
const DEGRADED_FOR: Duration = Duration::from_secs(3);

/// TLS to the etcd members: the CA that signed their certificates and,
/// when the cluster asks for one, this client's certificate and key (PEM).
#[derive(Clone)]
pub struct EtcdTls {
    /// The CA certificate (PEM).
    pub ca_pem: Vec<u8>,
    /// The client certificate and its private key (PEM), for `--client-cert-auth`.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for EtcdTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdTls")
            .field("client_certificate", &self.identity.is_some())
            .finish_non_exhaustive()
    }
}

/// Where and how to reach the cluster.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EtcdConfig {
    /// Member client URLs (`http://host:port`, or `https://` with [`Self::tls`]).
    pub endpoints: Vec<String>,
    /// The prefix of every key of this ledger (default `didam/`).
    pub prefix: String,
    /// The origin line of this ledger's checkpoints.
    pub origin: String,
    /// The time limit of one etcd request.
    pub request_timeout: Duration,
    /// TLS, for `https://` endpoints.
    pub tls: Option<EtcdTls>,
}

impl EtcdConfig {
    /// A configuration from a ledger URL: `etcd://HOST:PORT,HOST:PORT,…`
    /// (plain gRPC) or `etcds://…` (TLS; set [`Self::tls`]).
    pub fn from_url(url: &str, origin: &str) -> Result<Self, LedgerError> {
        let (scheme, hosts) = if let Some(hosts) = url.strip_prefix("etcd://") {
            ("http", hosts)
        } else if let Some(hosts) = url.strip_prefix("etcds://") {
            ("https", hosts)
        } else {
            return Err(unavailable(format!("not an etcd ledger URL (etcd://HOST:PORT,…): {url}")));
        };
        let endpoints: Vec<String> = hosts
            .trim_end_matches('/')
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| format!("{scheme}://{h}"))
            .collect();
        if endpoints.is_empty() {
            return Err(unavailable(format!("no etcd endpoints in {url}")));
        }
        Ok(Self {
            endpoints,
            prefix: "didam/".into(),
            origin: origin.to_owned(),
            request_timeout: Duration::from_secs(3),
            tls: None,
        })
    }

    /// Sets the key prefix.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    /// Sets TLS.
    pub fn with_tls(mut self, tls: EtcdTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets the time limit of one etcd request.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

/// A connection to the cluster, shared by ledgers of several prefixes.
#[derive(Clone)]
pub struct EtcdConnection {
    members: Arc<Members>,
    timeout: Duration,
    endpoints: Vec<String>,
    /// Options for watches: no request time limit (a watch lasts).
    watch_options: ConnectOptions,
}

impl std::fmt::Debug for EtcdConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdConnection").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl EtcdConnection {
    /// Connects to `config`'s endpoints (no request is sent yet).
    pub async fn connect(config: &EtcdConfig) -> Result<Self, LedgerError> {
        let mut options = ConnectOptions::new()
            .with_connect_timeout(config.request_timeout)
            .with_keep_alive(Duration::from_secs(5), config.request_timeout);
        if let Some(tls) = &config.tls {
            let mut tls_options = TlsOptions::new().ca_certificate(Certificate::from_pem(&tls.ca_pem));
            if let Some((cert, key)) = &tls.identity {
                tls_options = tls_options.identity(Identity::from_pem(cert, key));
            }
            options = options.with_tls(tls_options);
        }
        let members =
            Members::connect(&config.endpoints, options.clone().with_timeout(config.request_timeout))
                .await
                .map_err(unavailable)?;
        Ok(Self {
            members: Arc::new(members),
            timeout: config.request_timeout,
            endpoints: config.endpoints.clone(),
            watch_options: options,
        })
    }

    /// The ledger of `config`'s prefix and origin on this connection. Needs
    /// a tokio runtime (it starts the commit task and the checkpoint watch).
    pub fn ledger(&self, config: &EtcdConfig) -> EtcdLedger {
        let keys = Keys::new(&config.prefix);
        let watched = Arc::new(Watched::default());
        let watch = watch::spawn(
            Arc::clone(&watched),
            self.endpoints.clone(),
            self.watch_options.clone(),
            keys.latest_checkpoint(),
        );
        EtcdLedger {
            watched,
            watch,
            members: Arc::clone(&self.members),
            committer: Committer::spawn(Arc::clone(&self.members), keys.clone(), self.timeout),
            keys,
            origin: config.origin.clone(),
            method: Method::Didam,
            limits: AdmissionLimits::default(),
            timeout: self.timeout,
            degraded_until: StdMutex::new(None),
            known_size: AtomicU64::new(0),
            cache: StdMutex::new(Cache::default()),
            tips_cache: StdMutex::new(tips::TipsCache::default()),
        }
    }
}

/// The ledger in an etcd cluster (see the module doc).
pub struct EtcdLedger {
    members: Arc<Members>,
    committer: Committer,
    keys: Keys,
    origin: String,
    method: Method,
    limits: AdmissionLimits,
    timeout: Duration,
    /// Until when reads are serializable (the cluster lost quorum).
    degraded_until: StdMutex<Option<Instant>>,
    /// The largest integrated tree size seen (it never shrinks).
    known_size: AtomicU64,
    /// Immutable data read before: tree nodes and leaves.
    cache: StdMutex<Cache>,
    /// Tips roots, tip proofs and DID logs below a size, read before.
    tips_cache: StdMutex<tips::TipsCache>,
    /// The latest checkpoint, kept current by a watch.
    watched: Arc<Watched>,
    watch: tokio::task::AbortHandle,
}

impl Drop for EtcdLedger {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

impl std::fmt::Debug for EtcdLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdLedger")
            .field("keys", &self.keys)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Unavailable(format!("etcd: {e}"))
}

fn corrupt(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(e.to_string())
}

fn tree_error(e: TreeError<merkle::MissingNode>) -> LedgerError {
    match e {
        TreeError::Proof(p) => LedgerError::Proof(p),
        TreeError::Store(s) => LedgerError::Corrupt(format!("etcd: {s}")),
    }
}

/// Most cached tree nodes, and bytes of cached leaves, per ledger object.
const CACHED_NODES: usize = 200_000;
const CACHED_LEAF_BYTES: usize = 32 * 1024 * 1024;

/// Tree nodes and leaves, which never change once written: read once.
/// Emptied when full (simple and bounded; hot data comes back at once).
#[derive(Default)]
struct Cache {
    nodes: HashMap<(u8, u64), Hash>,
    tips_nodes: HashMap<Hash, crate::tips::Node>,
    leaves: HashMap<u64, String>,
    leaf_bytes: usize,
}

impl Cache {
    fn add_node(&mut self, at: (u8, u64), hash: Hash) {
        if self.nodes.len() >= CACHED_NODES {
            self.nodes.clear();
        }
        self.nodes.insert(at, hash);
    }

    fn add_tips_node(&mut self, hash: Hash, node: crate::tips::Node) {
        if self.tips_nodes.len() >= CACHED_NODES {
            self.tips_nodes.clear();
        }
        self.tips_nodes.insert(hash, node);
    }

    fn add_leaf(&mut self, index: u64, line: &str) {
        if self.leaf_bytes + line.len() > CACHED_LEAF_BYTES {
            self.leaves.clear();
            self.leaf_bytes = 0;
        }
        self.leaf_bytes += line.len();
        self.leaves.insert(index, line.to_owned());
    }
}

/// How a read may be served.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Linearizable only (appends, sequencing).
    Strict,
    /// Linearizable, falling back to a serializable read of a live member.
    Available,
}

/// An append, verified and ready to store, or a retry of a stored entry.
enum Prepared {
    Duplicate(Receipt),
    New(NewEntry, String),
}

impl EtcdLedger {
    /// Connects and returns the ledger of `config` (one connection per
    /// ledger; see [`EtcdConnection::ledger`] to share one).
    pub async fn connect(config: &EtcdConfig) -> Result<Self, LedgerError> {
        Ok(EtcdConnection::connect(config).await?.ledger(config))
    }

    /// Verifies entries as `method` logs (default: `did:didam`).
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Admits entries, and reads logs, within `limits` (default:
    /// [`AdmissionLimits::default`]).
    pub fn with_limits(mut self, limits: AdmissionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits of what this ledger admits and reads.
    pub fn limits(&self) -> &AdmissionLimits {
        &self.limits
    }

    /// The origin line of this ledger's checkpoints.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A candidate for the sequencer role named `node` with lease `ttl`.
    pub fn election(&self, node: &str, ttl: Duration) -> SequencerElection {
        SequencerElection::new(Arc::clone(&self.members), self.keys.clone(), node, ttl, self.timeout)
    }

    /// Records the operator's verifier key on first use; refuses a
    /// different one (every daemon of a ledger signs with the same key).
    pub async fn set_operator(&self, vkey: &str) -> Result<(), LedgerError> {
        let key = self.keys.operator();
        let txn = Txn::new()
            .when([etcd_client::Compare::version(key.clone(), etcd_client::CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key.clone(), vkey, None)])
            .or_else([TxnOp::get(key, None)]);
        let response = self.txn(txn).await?;
        if response.succeeded() {
            return Ok(());
        }
        let current = match response.op_responses().first() {
            Some(etcd_client::TxnOpResponse::Get(get)) => {
                get.kvs().first().map(|kv| String::from_utf8_lossy(kv.value()).into_owned())
            }
            _ => None,
        };
        match current {
            Some(v) if v == vkey => Ok(()),
            Some(v) => Err(LedgerError::Corrupt(format!("this ledger's operator is {v}, not {vkey}"))),
            None => Err(unavailable("the operator key vanished")),
        }
    }

    /// The operator's verifier key, once recorded.
    pub async fn operator(&self) -> Result<Option<String>, LedgerError> {
        let kv = self.get(&self.keys.operator(), Read::Available).await?;
        Ok(kv.map(|kv| String::from_utf8_lossy(kv.value()).into_owned()))
    }

    async fn txn(&self, txn: Txn) -> Result<etcd_client::TxnResponse, LedgerError> {
        self.members.txn(self.timeout, &txn).await.map_err(unavailable)
    }

    fn degraded(&self) -> bool {
        let until = self.degraded_until.lock().ok().and_then(|g| *g);
        until.is_some_and(|t| Instant::now() < t)
    }

    fn set_degraded(&self) {
        if let Ok(mut g) = self.degraded_until.lock() {
            *g = Some(Instant::now() + DEGRADED_FOR);
        }
    }

    /// One range read (`end` empty: one key), linearizable or, when the
    /// cluster cannot serve that and `mode` allows, serializable.
    async fn range(
        &self,
        key: &[u8],
        end: &[u8],
        limit: i64,
        mode: Read,
    ) -> Result<Vec<KeyValue>, LedgerError> {
        let options = |serializable: bool| {
            let mut o = GetOptions::new();
            if !end.is_empty() {
                o = o.with_range(end.to_vec());
            }
            if limit > 0 {
                o = o.with_limit(limit);
            }
            if serializable { o.with_serializable() } else { o }
        };
        if mode == Read::Strict || !self.degraded() {
            match self.members.get(self.timeout / 2, key, options(false)).await {
                Ok(mut response) => return Ok(response.take_kvs()),
                Err(e) if mode == Read::Strict => return Err(unavailable(e)),
                Err(_) => self.set_degraded(),
            }
        }
        let mut response = self.members.get(self.timeout, key, options(true)).await.map_err(unavailable)?;
        Ok(response.take_kvs())
    }

    async fn get(&self, key: &[u8], mode: Read) -> Result<Option<KeyValue>, LedgerError> {
        Ok(self.range(key, &[], 0, mode).await?.into_iter().next())
    }

    /// Every key in `[start, end)`, page by page.
    async fn range_all(&self, start: Vec<u8>, end: &[u8], mode: Read) -> Result<Vec<KeyValue>, LedgerError> {
        let mut out = Vec::new();
        let mut from = start;
        loop {
            let page = self.range(&from, end, PAGE, mode).await?;
            let full = page.len() as i64 == PAGE;
            if let Some(last) = page.last() {
                from = last.key().to_vec();
                from.push(0);
            }
            out.extend(page);
            if !full {
                return Ok(out);
            }
        }
    }

    /// Values of `keys`, in order (`None`: absent), in batched transactions.
    async fn get_many(&self, keys: &[Vec<u8>], mode: Read) -> Result<Vec<Option<Vec<u8>>>, LedgerError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(READ_BATCH) {
            if chunk.len() == 1 {
                out.push(self.get(&chunk[0], mode).await?.map(|kv| kv.value().to_vec()));
                continue;
            }
            // Serializable reads in a txn are not supported by etcd: read
            // key by key in the fallback.
            if mode == Read::Available && self.degraded() {
                for key in chunk {
                    out.push(self.get(key, mode).await?.map(|kv| kv.value().to_vec()));
                }
                continue;
            }
            let ops: Vec<TxnOp> = chunk.iter().map(|k| TxnOp::get(k.clone(), None)).collect();
            let response = match self.txn(Txn::new().and_then(ops)).await {
                Ok(r) => r,
                Err(e) if mode == Read::Strict => return Err(e),
                Err(_) => {
                    self.set_degraded();
                    for key in chunk {
                        out.push(self.get(key, mode).await?.map(|kv| kv.value().to_vec()));
                    }
                    continue;
                }
            };
            for op in response.op_responses() {
                out.push(match op {
                    etcd_client::TxnOpResponse::Get(get) => get.kvs().first().map(|kv| kv.value().to_vec()),
                    _ => None,
                });
            }
        }
        Ok(out)
    }

    /// A counter key (absent: 0) with its `mod_revision`.
    async fn counter(&self, key: &[u8], mode: Read) -> Result<(u64, i64), LedgerError> {
        match self.get(key, mode).await? {
            None => Ok((0, 0)),
            Some(kv) => Ok((parse_u64(kv.value()).map_err(corrupt)?, kv.mod_revision())),
        }
    }

    async fn integrated(&self, mode: Read) -> Result<u64, LedgerError> {
        let size = self.counter(&self.keys.tree_size(), mode).await?.0;
        self.known_size.fetch_max(size, Ordering::Relaxed);
        Ok(size)
    }

    /// Runs `compute` over the tree nodes it needs, read in one batch.
    async fn with_nodes<T>(
        &self,
        mode: Read,
        compute: impl Fn(&Pass) -> Result<T, TreeError<merkle::MissingNode>>,
    ) -> Result<T, LedgerError> {
        let asked = {
            let recorder = Pass::Record(Recorder::default());
            compute(&recorder).map_err(tree_error)?;
            match recorder {
                Pass::Record(r) => r.into_asked(),
                Pass::Read(_) => Vec::new(),
            }
        };
        let map = Pass::Read(self.read_nodes(&asked, mode).await?);
        compute(&map).map_err(tree_error)
    }

    async fn read_nodes(&self, wanted: &[(u8, u64)], mode: Read) -> Result<NodeMap, LedgerError> {
        let mut map = NodeMap::default();
        let missing: Vec<(u8, u64)> = {
            let cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
            wanted
                .iter()
                .filter(|at| match cache.nodes.get(at) {
                    Some(hash) => {
                        map.0.insert(**at, *hash);
                        false
                    }
                    None => true,
                })
                .copied()
                .collect()
        };
        if missing.is_empty() {
            return Ok(map);
        }
        let keys: Vec<Vec<u8>> = missing.iter().map(|&(l, i)| self.keys.node(l, i)).collect();
        let values = self.get_many(&keys, mode).await?;
        let mut cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
        for (&(level, index), value) in missing.iter().zip(values) {
            let Some(bytes) = value else { continue };
            let hash: [u8; 32] = bytes
                .try_into()
                .map_err(|_| corrupt(format!("tree node ({level}, {index}) is not 32 bytes")))?;
            map.0.insert((level, index), Hash(hash));
            cache.add_node((level, index), Hash(hash));
        }
        Ok(map)
    }

    /// The lines of leaves `indices`, from the cache or etcd.
    async fn read_leaves(&self, indices: &[u64], mode: Read) -> Result<Vec<Option<String>>, LedgerError> {
        let mut out: Vec<Option<String>> = {
            let cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
            indices.iter().map(|i| cache.leaves.get(i).cloned()).collect()
        };
        let missing: Vec<usize> = (0..indices.len()).filter(|&k| out[k].is_none()).collect();
        if missing.is_empty() {
            return Ok(out);
        }
        let keys: Vec<Vec<u8>> = missing.iter().map(|&k| self.keys.leaf(indices[k])).collect();
        let values = self.get_many(&keys, mode).await?;
        let mut cache = self.cache.lock().map_err(|_| corrupt("cache lock poisoned"))?;
        for (&k, value) in missing.iter().zip(values) {
            if let Some(bytes) = value {
                let line = String::from_utf8(bytes).map_err(corrupt)?;
                cache.add_leaf(indices[k], &line);
                out[k] = Some(line);
            }
        }
        Ok(out)
    }

    /// Checks that `size` is within the integrated tree, reading the tree
    /// size only when `size` is beyond the largest one seen.
    async fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        if size <= self.known_size.load(Ordering::Relaxed) {
            return Ok(());
        }
        let integrated = self.integrated(Read::Available).await?;
        if size > integrated {
            return Err(ProofError::IndexOutOfRange { index: size, size: integrated }.into());
        }
        Ok(())
    }

    async fn read_tip(&self, did: &Did, mode: Read) -> Result<Option<(DidState, i64)>, LedgerError> {
        let Some(kv) = self.get(&self.keys.did(did), mode).await? else { return Ok(None) };
        let state = serde_json::from_slice(kv.value()).map_err(|e| corrupt(format!("tip of {did}: {e}")))?;
        Ok(Some((state, kv.mod_revision())))
    }

    /// Passes `entry` through the ledger's one append rule
    /// ([`crate::admission`]) against its DID's tip (no lock held), and
    /// prepares the transaction that stores it.
    async fn prepare(&self, entry: &LogEntry) -> Result<Prepared, LedgerError> {
        let admitted = match admit(self, self.method, &self.limits, entry).await? {
            Admission::Duplicate(receipt) => return Ok(Prepared::Duplicate(receipt)),
            Admission::New(admitted) => *admitted,
        };
        let Admitted { did, version_id, line, state, tip } = admitted;
        let state_json = serde_json::to_string(&state).map_err(corrupt)?;
        let new = NewEntry {
            did,
            version_number: state.version_number,
            entry_hash: state.entry_hash.clone(),
            line,
            state_json,
            tip_revision: tip.map(|(_, revision)| revision),
        };
        if new.bytes() > commit::MAX_BYTES {
            return Err(unavailable(format!(
                "an entry of {} bytes exceeds what one etcd request may carry",
                new.bytes()
            )));
        }
        Ok(Prepared::New(new, version_id))
    }

    /// The leaf index of the entry with `hash` and JCS text `line`, if
    /// stored (a linearizable read).
    async fn stored_at(&self, hash: &str, line: &str) -> Result<Option<u64>, LedgerError> {
        let Some(kv) = self.get(&self.keys.hash(hash), Read::Strict).await? else { return Ok(None) };
        let leaf = parse_u64(kv.value()).map_err(corrupt)?;
        let stored = self.get(&self.keys.leaf(leaf), Read::Strict).await?;
        Ok(stored.is_some_and(|kv| kv.value() == line.as_bytes()).then_some(leaf))
    }

    /// Integrates appended leaves into the tree, `fence` (if any) permitting.
    pub async fn integrate_fenced(&self, fence: Option<&SequencerFence>) -> Result<u64, LedgerError> {
        loop {
            let (size, revision) = self.counter(&self.keys.tree_size(), Read::Strict).await?;
            let (appended, _) = self.counter(&self.keys.seq(), Read::Strict).await?;
            if size >= appended {
                return Ok(size);
            }
            let end = appended.min(size + 32);
            let leaves = self.range_all(self.keys.leaf(size), &self.keys.leaf(end), Read::Strict).await?;
            if leaves.len() as u64 != end - size {
                return Err(corrupt(format!("leaves {size}..{end} are not all stored")));
            }
            let mut nodes = self.read_nodes(&tree::frontier(size), Read::Strict).await?;
            let mut puts = Vec::new();
            for (i, kv) in leaves.iter().enumerate() {
                let index = size + i as u64;
                let completed = merkle::nodes_completed_by(&nodes, index, merkle::leaf_hash(kv.value()))
                    .map_err(tree_error)?;
                for (level, idx, hash) in completed {
                    nodes.0.insert((level, idx), hash);
                    puts.push(TxnOp::put(self.keys.node(level, idx), hash.as_bytes().to_vec(), None));
                }
            }
            puts.push(TxnOp::put(self.keys.tree_size(), end.to_string(), None));
            let mut compares = vec![unchanged(self.keys.tree_size(), revision)];
            compares.extend(fence.map(SequencerFence::compare));
            let response = self.txn(Txn::new().when(compares).and_then(puts)).await?;
            if !response.succeeded() && fence.is_some() {
                self.check_fence(fence).await?;
            }
            // Otherwise another integrator got there first: read again.
        }
    }

    async fn check_fence(&self, fence: Option<&SequencerFence>) -> Result<(), LedgerError> {
        let Some(fence) = fence else { return Ok(()) };
        let held = self.get(&fence.key, Read::Strict).await?;
        if held.is_some_and(|kv| kv.create_revision() == fence.create_revision) {
            Ok(())
        } else {
            Err(unavailable("this daemon is no longer the sequencer (its lease ended)"))
        }
    }

    /// `did`'s entries at `leaves`, read from the cache or etcd.
    /// The entries at `leaves` of `did`'s log, read a batch at a time
    /// within `budget`: a log beyond the limits is refused before the rest
    /// of it is read.
    async fn entries(
        &self,
        did: &Did,
        leaves: &[u64],
        mut budget: LogBudget,
    ) -> Result<Vec<StoredEntry>, LedgerError> {
        let mut out = Vec::with_capacity(leaves.len());
        for chunk in leaves.chunks(READ_BATCH) {
            let lines = self.read_leaves(chunk, Read::Available).await?;
            for (&leaf_index, line) in chunk.iter().zip(lines) {
                let line = line.ok_or_else(|| corrupt(format!("leaf {leaf_index} of {did} is missing")))?;
                budget.take(line.len())?;
                out.push(StoredEntry { line, leaf_index });
            }
        }
        Ok(out)
    }

    /// The leaf indices of `did`'s log, at most `max` of them read: one
    /// more is a [`LimitError::LogTooLong`].
    async fn log_leaves(&self, did: &Did, max: u64) -> Result<Vec<u64>, LedgerError> {
        let start = self.keys.log_prefix(did);
        let end = prefix_end(&start);
        let limit = i64::try_from(max.saturating_add(1)).unwrap_or(i64::MAX);
        let index = self.range(&start, &end, limit, Read::Available).await?;
        if index.len() as u64 > max {
            return Err(LimitError::LogTooLong { did: did.clone(), entries: index.len() as u64, max }.into());
        }
        index.iter().map(|kv| parse_u64(kv.value()).map_err(corrupt)).collect()
    }

    fn parse_checkpoint(note: &[u8]) -> Result<SignedCheckpoint, LedgerError> {
        let note = std::str::from_utf8(note).map_err(corrupt)?;
        let text = note.split_once("\n\n").map(|(t, _)| format!("{t}\n")).unwrap_or_default();
        let checkpoint = Checkpoint::parse(&text)?;
        Ok(SignedCheckpoint { size: checkpoint.size, root: Hash(checkpoint.root), note: note.to_owned() })
    }

    /// Signs a checkpoint of the integrated tree, `fence` (if any) permitting.
    /// Never signs one inconsistent with the latest signed checkpoint.
    pub async fn checkpoint_fenced(
        &self,
        signer: &NoteSigner,
        fence: Option<&SequencerFence>,
    ) -> Result<SignedCheckpoint, LedgerError> {
        loop {
            let size = self.integrate_fenced(fence).await?;
            let latest_kv = self.get(&self.keys.latest_checkpoint(), Read::Strict).await?;
            let latest_revision = latest_kv.as_ref().map_or(0, KeyValue::mod_revision);
            let mut latest_size = None;
            if let Some(kv) = &latest_kv {
                let latest = Self::parse_checkpoint(kv.value())?;
                latest_size = Some(latest.size);
                let ours = if latest.size <= size { Some(self.root_of(latest.size).await?) } else { None };
                if ours != Some(latest.root) {
                    return Err(LedgerError::InconsistentCheckpoint { size, signed: latest.size });
                }
                if latest.size == size {
                    return Ok(latest);
                }
            }
            let root = self.root_of(size).await?;
            let (count, tips_root) = self.build_tips(latest_size, size).await?;
            let checkpoint = Checkpoint {
                origin: self.origin.clone(),
                size,
                root: root.0,
                extensions: vec![crate::ledger::tips_extension(count, &tips_root)],
            };
            let note = crate::handover::vouched(checkpoint, signer).sign(signer)?;
            let mut compares = vec![unchanged(self.keys.latest_checkpoint(), latest_revision)];
            compares.extend(fence.map(SequencerFence::compare));
            let txn = Txn::new().when(compares).and_then([
                TxnOp::put(self.keys.checkpoint(size), note.as_bytes(), None),
                TxnOp::put(self.keys.latest_checkpoint(), note.as_bytes(), None),
                TxnOp::put(self.keys.tips_root(size), Self::tips_root_value(count, &tips_root), None),
            ]);
            if self.txn(txn).await?.succeeded() {
                let signed = SignedCheckpoint { size, root, note };
                self.watched.advance(signed.clone());
                return Ok(signed);
            }
            self.check_fence(fence).await?;
        }
    }

    async fn root_of(&self, size: u64) -> Result<Hash, LedgerError> {
        self.with_nodes(Read::Strict, |nodes| merkle::root(nodes, size)).await
    }

    /// The stored checkpoint of `size` leaves, if one was signed.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let kv = self.get(&self.keys.checkpoint(size), Read::Available).await?;
        kv.map(|kv| Self::parse_checkpoint(kv.value())).transpose()
    }
}

/// What the append rule reads from the cluster (serializable reads of a live
/// member are enough: the transaction's compares decide).
impl AdmissionView for EtcdLedger {
    /// The mod revision of the DID's tip key, which the transaction compares.
    type Token = i64;

    async fn stored(&self, hash: &str, line: &str) -> Result<Option<u64>, LedgerError> {
        let Some(kv) = self.get(&self.keys.hash(hash), Read::Available).await? else { return Ok(None) };
        let leaf = parse_u64(kv.value()).map_err(corrupt)?;
        let stored = self.get(&self.keys.leaf(leaf), Read::Available).await?;
        Ok(stored.is_some_and(|kv| kv.value() == line.as_bytes()).then_some(leaf))
    }

    async fn tip(&self, did: &Did) -> Result<Option<(DidState, i64)>, LedgerError> {
        self.read_tip(did, Read::Available).await
    }

    async fn log_bytes(&self, did: &Did, budget: LogBudget) -> Result<u64, LedgerError> {
        let leaves = self.log_leaves(did, self.limits.max_log_entries).await?;
        let entries = self.entries(did, &leaves, budget).await?;
        Ok(entries.iter().map(|e| e.line.len() as u64).sum())
    }

    /// Verifies on a blocking thread: verification is CPU work, and its
    /// future (ssi's) is not `Send`.
    async fn verify(
        &self,
        method: Method,
        tip: Option<&DidState>,
        entry: &LogEntry,
    ) -> Result<DidState, LedgerError> {
        let (tip, entry) = (tip.cloned(), entry.json().clone());
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(log::verify_entry(method, tip.as_ref(), &entry, Utc::now()))
        })
        .await
        .map_err(|e| LedgerError::Unavailable(format!("verification task failed: {e}")))?
        .map_err(LedgerError::from)
    }
}

impl Ledger for EtcdLedger {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        let mut unknown: Option<String> = None;
        for _ in 0..8 {
            let (new, version_id) = match self.prepare(entry).await? {
                // Our own earlier attempt (with no answer) went through.
                Prepared::Duplicate(receipt) if unknown.is_some() => {
                    return Ok(Receipt { duplicate: false, ..receipt });
                }
                Prepared::Duplicate(receipt) => return Ok(receipt),
                Prepared::New(new, version_id) => (new, version_id),
            };
            let (did, hash, line) = (new.did.clone(), new.entry_hash.clone(), new.line.clone());
            match self.committer.submit(new).await {
                Outcome::Stored(leaf_index) => {
                    return Ok(Receipt { did, version_id, leaf_index, duplicate: false });
                }
                Outcome::Retry => {}
                Outcome::Unknown(why) => {
                    // The transaction may be applied, now or later: look
                    // before anything else (the compares stop a second copy).
                    match self.stored_at(&hash, &line).await {
                        Ok(Some(leaf_index)) => {
                            return Ok(Receipt { did, version_id, leaf_index, duplicate: false });
                        }
                        Ok(None) => unknown = Some(why),
                        Err(e) => {
                            return Err(unavailable(format!(
                                "{why}; then {e}. The entry may be stored: retry the same entry \
                                 (appends are idempotent)"
                            )));
                        }
                    }
                }
            }
        }
        Err(unavailable(format!(
            "the append did not settle after 8 attempts{}",
            unknown.map(|w| format!(" (last: {w})")).unwrap_or_default()
        )))
    }

    /// Reads the log within the limits: a log beyond them is refused
    /// ([`LimitError`]) without loading the rest of it.
    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        let leaves = self.log_leaves(did, self.limits.max_log_entries).await?;
        if leaves.is_empty() {
            return Err(LedgerError::NotFound(did.clone()));
        }
        self.entries(did, &leaves, self.limits.budget(did)).await
    }

    async fn log_at(&self, did: &Did, size: u64) -> Result<Vec<StoredEntry>, LedgerError> {
        let leaves = self.leaves_below(did, size).await?;
        if leaves.is_empty() {
            return Err(LedgerError::NotFound(did.clone()));
        }
        self.entries(did, &leaves, self.limits.budget(did)).await
    }

    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        let tip = self.read_tip(did, Read::Available).await?;
        tip.map(|(state, _)| state).ok_or_else(|| LedgerError::NotFound(did.clone()))
    }

    async fn size(&self) -> Result<u64, LedgerError> {
        self.integrated(Read::Available).await
    }

    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        match self.get(&self.keys.leaf(index), Read::Available).await? {
            Some(kv) => Ok(kv.value().to_vec()),
            None => {
                Err(ProofError::IndexOutOfRange { index, size: self.integrated(Read::Available).await? }
                    .into())
            }
        }
    }

    async fn integrate(&self) -> Result<u64, LedgerError> {
        self.integrate_fenced(None).await
    }

    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        self.checkpoint_fenced(signer, None).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        match self.watched.get() {
            Some(latest) => Ok(latest),
            None => self.latest_checkpoint_now().await,
        }
    }

    async fn latest_checkpoint_now(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let kv = self.get(&self.keys.latest_checkpoint(), Read::Available).await?;
        kv.map(|kv| Self::parse_checkpoint(kv.value())).transpose()
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(size).await?;
        self.with_nodes(Read::Available, |nodes| merkle::inclusion_proof(nodes, index, size)).await
    }

    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(new).await?;
        self.with_nodes(Read::Available, |nodes| merkle::consistency_proof(nodes, old, new)).await
    }

    async fn tip_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
        self.tips_proof(did, size).await
    }
}

#[cfg(test)]
mod tests {
    #[allow(dead_code)]
    fn futures_are_send(l: &super::EtcdLedger, v: &didam_method::LogEntry, did: &didam_credential::Did) {
        use crate::ledger::Ledger as _;
        fn is_send<T: Send>(_: T) {}
        is_send(l.append(v));
        is_send(l.log(did));
        is_send(l.tip_proof(did, 0));
        is_send(l.checkpoint_fenced(unreachable_signer(), None));
    }
    #[allow(dead_code)]
    fn unreachable_signer() -> &'static crate::note::NoteSigner {
        unreachable!()
    }
}
