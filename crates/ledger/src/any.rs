//! One ledger type for the front ends (cargo feature `any`): [`AnyLedger`]
//! opens a ledger by where it is ([`LedgerLocation`]) and forwards every call
//! to the backend behind it.
//!
//! Steps of [`AnyLedger::open`]:
//! 1. parse the location once: a path is the embedded SQLite file, an
//!    `http(s)://` URL a daemon's ledger API ([`crate::HttpLedger`], feature
//!    `http`), an `etcd(s)://` URL an etcd cluster (`EtcdLedger`, feature
//!    `etcd`);
//! 2. open that backend with [`OpenOptions`] (the origin named in
//!    checkpoints; for etcd the key prefix and TLS);
//! 3. share it behind an `Arc`: an `AnyLedger` is cheap to clone.
//!
//! Honest async: SQLite calls block (an append fsyncs), so every call on the
//! embedded file runs on tokio's blocking pool (`spawn_blocking`), and the
//! runtime's workers never wait for the disk. Calls therefore need a tokio
//! runtime (outside one they fail as `Unavailable`). The HTTP and etcd
//! backends are plain async I/O.

use std::convert::Infallible;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use didam_credential::Did;
use didam_method::LogEntry;
use didam_method::log::DidState;

use crate::ledger::{Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry, TipProof};
use crate::merkle::Hash;
use crate::note::NoteSigner;
use crate::sqlite::EmbeddedLedger;

/// Where a ledger is: parsed once from a `--ledger` value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerLocation {
    /// An embedded ledger file (SQLite).
    File(PathBuf),
    /// The ledger API of a `didam-resolver` daemon: `http://…` or `https://…`.
    Http(String),
    /// An etcd cluster: `etcd://HOST:PORT,…` or, with TLS, `etcds://…`.
    Etcd(String),
}

impl LedgerLocation {
    /// Whether a daemon or a cluster signs this ledger's checkpoints (every
    /// location but a file, whose operator is a wallet).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::File(_))
    }
}

impl FromStr for LedgerLocation {
    type Err = Infallible;

    /// A URL by its scheme; anything else is a file path.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let scheme = s.split_once("://").map(|(scheme, _)| scheme);
        Ok(match scheme {
            Some("http" | "https") => Self::Http(s.to_owned()),
            Some("etcd" | "etcds") => Self::Etcd(s.to_owned()),
            _ => Self::File(PathBuf::from(s)),
        })
    }
}

impl fmt::Display for LedgerLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Http(url) | Self::Etcd(url) => f.write_str(url),
        }
    }
}

/// How [`AnyLedger::open`] opens a ledger.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenOptions {
    /// The origin line of the ledger's checkpoints (embedded and etcd).
    pub origin: String,
    /// What the ledger admits and reads back (embedded and etcd; a daemon's
    /// ledger API applies its own).
    pub limits: crate::AdmissionLimits,
    /// The prefix of the ledger's keys in etcd (default `didam/`).
    #[cfg(feature = "etcd")]
    pub etcd_prefix: Option<String>,
    /// TLS to the etcd members, for `etcds://`.
    #[cfg(feature = "etcd")]
    pub etcd_tls: Option<crate::etcd::EtcdTls>,
    /// Open to read only: an embedded file must exist and is opened
    /// read-only ([`EmbeddedLedger::open_read_only`]); writes fail as
    /// [`LedgerError::ReadOnly`]. Other backends are unchanged.
    pub read_only: bool,
}

impl OpenOptions {
    /// Options naming the ledger `origin` in its checkpoints.
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            limits: crate::AdmissionLimits::default(),
            read_only: false,
            #[cfg(feature = "etcd")]
            etcd_prefix: None,
            #[cfg(feature = "etcd")]
            etcd_tls: None,
        }
    }

    /// Sets the admission limits.
    pub fn with_limits(mut self, limits: crate::AdmissionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Opens to read only (see [`OpenOptions::read_only`]).
    pub fn reading(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Sets the prefix of the ledger's keys in etcd.
    #[cfg(feature = "etcd")]
    pub fn with_etcd_prefix(mut self, prefix: &str) -> Self {
        self.etcd_prefix = Some(prefix.to_owned());
        self
    }

    /// Sets TLS to the etcd members.
    #[cfg(feature = "etcd")]
    pub fn with_etcd_tls(mut self, tls: crate::etcd::EtcdTls) -> Self {
        self.etcd_tls = Some(tls);
        self
    }
}

/// Any ledger backend built in, cheap to clone, whose calls do not stall the
/// async runtime (see the module doc).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyLedger {
    /// The embedded SQLite file.
    Embedded(Arc<EmbeddedLedger>),
    /// A daemon's ledger API.
    #[cfg(feature = "http")]
    Http(Arc<crate::HttpLedger>),
    /// An etcd cluster.
    #[cfg(feature = "etcd")]
    Etcd(Arc<crate::EtcdLedger>),
}

impl From<EmbeddedLedger> for AnyLedger {
    fn from(ledger: EmbeddedLedger) -> Self {
        Self::Embedded(Arc::new(ledger))
    }
}

#[cfg(feature = "http")]
impl From<crate::HttpLedger> for AnyLedger {
    fn from(ledger: crate::HttpLedger) -> Self {
        Self::Http(Arc::new(ledger))
    }
}

#[cfg(feature = "etcd")]
impl From<crate::EtcdLedger> for AnyLedger {
    fn from(ledger: crate::EtcdLedger) -> Self {
        Self::Etcd(Arc::new(ledger))
    }
}

/// A backend this build lacks.
#[allow(dead_code, reason = "unused when every backend is built in")]
fn not_built(location: &LedgerLocation, feature: &str) -> LedgerError {
    LedgerError::Unavailable(format!(
        "{location}: this program was built without the `{feature}` ledger backend"
    ))
}

/// Runs `call` on the embedded `ledger` on the blocking pool. The call's
/// future need not be `Send`: it is driven to completion on the blocking
/// thread (so the future returned here is `Send`).
async fn blocking<T, F, Fut>(ledger: &Arc<EmbeddedLedger>, call: F) -> Result<T, LedgerError>
where
    T: Send + 'static,
    F: FnOnce(Arc<EmbeddedLedger>) -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    let ledger = Arc::clone(ledger);
    let handle = runtime()?;
    let runner = handle.clone();
    handle
        .spawn_blocking(move || runner.block_on(call(ledger)))
        .await
        .map_err(|e| LedgerError::Unavailable(format!("ledger task failed: {e}")))
}

/// The tokio runtime this call runs in.
fn runtime() -> Result<tokio::runtime::Handle, LedgerError> {
    tokio::runtime::Handle::try_current()
        .map_err(|e| LedgerError::Unavailable(format!("the embedded ledger needs a tokio runtime: {e}")))
}

/// Runs `$call` on the backend: on the embedded file on the blocking pool,
/// with owned copies of the borrowed arguments (`$arg = $owned`, borrowed
/// again under their names); on the others as it is.
macro_rules! dispatch {
    ($self:ident, $l:ident => $call:expr, blocking($($arg:ident = $owned:expr),*)) => {
        match $self {
            AnyLedger::Embedded(ledger) => {
                $(let $arg = $owned;)*
                blocking(ledger, move |$l| async move {
                    $(let $arg = &$arg;)*
                    $call
                })
                .await?
            }
            #[cfg(feature = "http")]
            AnyLedger::Http($l) => $call,
            #[cfg(feature = "etcd")]
            AnyLedger::Etcd($l) => $call,
        }
    };
}

impl AnyLedger {
    /// Opens the ledger at `location` (see the module doc), in a tokio
    /// runtime. Opening an embedded file creates it if needed, unless the
    /// options say to read only.
    pub async fn open(location: &LedgerLocation, options: &OpenOptions) -> Result<Self, LedgerError> {
        match location {
            LedgerLocation::File(path) => {
                let (path, origin, limits) = (path.clone(), options.origin.clone(), options.limits);
                let read_only = options.read_only;
                let ledger = runtime()?
                    .spawn_blocking(move || {
                        let opened = if read_only {
                            EmbeddedLedger::open_read_only(&path, &origin)
                        } else {
                            EmbeddedLedger::open(&path, &origin)
                        };
                        opened.map(|l| l.with_limits(limits))
                    })
                    .await
                    .map_err(|e| LedgerError::Unavailable(format!("ledger task failed: {e}")))??;
                Ok(Self::from(ledger))
            }
            #[cfg(feature = "http")]
            LedgerLocation::Http(url) => Ok(Self::from(crate::HttpLedger::new(url)?)),
            #[cfg(not(feature = "http"))]
            LedgerLocation::Http(_) => Err(not_built(location, "http")),
            #[cfg(feature = "etcd")]
            LedgerLocation::Etcd(url) => Ok(Self::from(open_etcd(url, options).await?)),
            #[cfg(not(feature = "etcd"))]
            LedgerLocation::Etcd(_) => Err(not_built(location, "etcd")),
        }
    }

    /// The embedded ledger, when that is the backend.
    pub fn embedded(&self) -> Option<&Arc<EmbeddedLedger>> {
        match self {
            Self::Embedded(l) => Some(l),
            #[allow(unreachable_patterns, reason = "reachable with the http or etcd feature")]
            _ => None,
        }
    }

    /// The etcd ledger, when that is the backend.
    #[cfg(feature = "etcd")]
    pub fn etcd(&self) -> Option<&Arc<crate::EtcdLedger>> {
        match self {
            Self::Etcd(l) => Some(l),
            _ => None,
        }
    }

    /// The note verifier key (`vkey`) the ledger's checkpoints are signed
    /// with, as the ledger announces it: the operator recorded in the file or
    /// cluster (`None` before one is), or the daemon's checkpoint key. Pin it
    /// on first use (`didam_registry::CheckpointStore::pin_operator`): a
    /// client that takes it from the ledger every time trusts the ledger.
    pub async fn operator(&self) -> Result<Option<String>, LedgerError> {
        Ok(match self {
            Self::Embedded(l) => blocking(l, |l| async move { l.operator() }).await??,
            #[cfg(feature = "http")]
            Self::Http(l) => Some(l.verifier_key().await?.to_vkey()),
            #[cfg(feature = "etcd")]
            Self::Etcd(l) => l.operator().await?,
        })
    }

    /// The ML-DSA-44 checkpoint key (`vkey`, type `0x06`) the ledger
    /// announces beside [`Self::operator`], if any: recorded in the file, or
    /// the daemon's (`GET /ledger/v1/key/ml-dsa-44`). An etcd cluster
    /// records none (its daemons announce theirs). Pin it on first use
    /// (`didam_registry::CheckpointStore::pin_pq_operator`).
    pub async fn pq_operator(&self) -> Result<Option<String>, LedgerError> {
        Ok(match self {
            Self::Embedded(l) => blocking(l, |l| async move { l.pq_operator() }).await??,
            #[cfg(feature = "http")]
            Self::Http(l) => l.pq_verifier_key().await?.map(|k| k.to_vkey()),
            #[cfg(feature = "etcd")]
            Self::Etcd(_) => None,
        })
    }

    /// Records the operator's ML-DSA-44 key on first use and refuses a
    /// different one; only an embedded file records it here.
    pub async fn set_pq_operator(&self, vkey: &str) -> Result<(), LedgerError> {
        match self {
            Self::Embedded(l) => {
                let vkey = vkey.to_owned();
                blocking(l, move |l| async move { l.set_pq_operator(&vkey) }).await?
            }
            #[cfg(feature = "http")]
            Self::Http(l) => Err(LedgerError::Unavailable(format!(
                "{}: a daemon records its own operator key",
                l.base_url()
            ))),
            #[cfg(feature = "etcd")]
            Self::Etcd(_) => Err(LedgerError::Unavailable(
                "an etcd ledger's ML-DSA-44 key is its daemons' (`didam-resolver keygen --ml-dsa`)".into(),
            )),
        }
    }

    /// Records the operator's verifier key on first use and refuses a
    /// different one (a ledger has one operator). A daemon's ledger API
    /// records its own: there this fails.
    pub async fn set_operator(&self, vkey: &str) -> Result<(), LedgerError> {
        match self {
            Self::Embedded(l) => {
                let vkey = vkey.to_owned();
                blocking(l, move |l| async move { l.set_operator(&vkey) }).await?
            }
            #[cfg(feature = "http")]
            Self::Http(l) => Err(LedgerError::Unavailable(format!(
                "{}: a daemon records its own operator key",
                l.base_url()
            ))),
            #[cfg(feature = "etcd")]
            Self::Etcd(l) => l.set_operator(vkey).await,
        }
    }

    /// Recomputes the whole tree and replays every DID log of an embedded
    /// file: the number of leaves and of DIDs. Other backends are checked by
    /// whoever runs them: there this fails.
    pub async fn verify_all(&self) -> Result<(u64, u64), LedgerError> {
        match self {
            Self::Embedded(l) => blocking(l, |l| async move { l.verify_all().await }).await?,
            #[allow(unreachable_patterns, reason = "reachable with the http or etcd feature")]
            _ => Err(LedgerError::Unavailable("only an embedded ledger file is verified whole here".into())),
        }
    }
}

/// Connects to the etcd cluster of `url` with `options`.
#[cfg(feature = "etcd")]
async fn open_etcd(url: &str, options: &OpenOptions) -> Result<crate::EtcdLedger, LedgerError> {
    let mut config = crate::EtcdConfig::from_url(url, &options.origin)?;
    if let Some(prefix) = &options.etcd_prefix {
        config = config.with_prefix(prefix);
    }
    match &options.etcd_tls {
        Some(tls) => config = config.with_tls(tls.clone()),
        None if url.starts_with("etcds://") => {
            return Err(LedgerError::Unavailable(format!("{url}: TLS needs the CA of the etcd members")));
        }
        None => {}
    }
    Ok(crate::EtcdLedger::connect(&config).await?.with_limits(options.limits))
}

impl Ledger for AnyLedger {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        dispatch!(self, l => l.append(entry).await, blocking(entry = entry.clone()))
    }

    async fn append_all(&self, entries: &[LogEntry]) -> Vec<Result<Receipt, LedgerError>> {
        let all = async {
            Ok::<_, LedgerError>(
                dispatch!(self, l => l.append_all(entries).await, blocking(entries = entries.to_vec())),
            )
        };
        all.await.unwrap_or_else(|e| {
            let detail = e.to_string();
            entries.iter().map(|_| Err(LedgerError::Unavailable(detail.clone()))).collect()
        })
    }

    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        dispatch!(self, l => l.log(did).await, blocking(did = did.clone()))
    }

    async fn log_at(&self, did: &Did, size: u64) -> Result<Vec<StoredEntry>, LedgerError> {
        dispatch!(self, l => l.log_at(did, size).await, blocking(did = did.clone()))
    }

    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        dispatch!(self, l => l.tip(did).await, blocking(did = did.clone()))
    }

    async fn size(&self) -> Result<u64, LedgerError> {
        dispatch!(self, l => l.size().await, blocking())
    }

    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        dispatch!(self, l => l.leaf(index).await, blocking())
    }

    async fn integrate(&self) -> Result<u64, LedgerError> {
        dispatch!(self, l => l.integrate().await, blocking())
    }

    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        dispatch!(self, l => l.checkpoint(signer).await, blocking(signer = signer.clone()))
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        dispatch!(self, l => l.latest_checkpoint().await, blocking())
    }

    async fn latest_checkpoint_now(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        dispatch!(self, l => l.latest_checkpoint_now().await, blocking())
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        dispatch!(self, l => l.inclusion_proof(index, size).await, blocking())
    }

    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        dispatch!(self, l => l.consistency_proof(old, new).await, blocking())
    }

    async fn tip_proof(&self, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
        dispatch!(self, l => l.tip_proof(did, size).await, blocking(did = did.clone()))
    }

    async fn replace_operator(
        &self,
        old: &NoteSigner,
        new: &NoteSigner,
    ) -> Result<SignedCheckpoint, LedgerError> {
        dispatch!(self, l => l.replace_operator(old, new).await, blocking(old = old.clone(), new = new.clone()))
    }

    async fn handovers(&self) -> Result<Vec<String>, LedgerError> {
        dispatch!(self, l => l.handovers().await, blocking())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn locations_parse_by_scheme() {
        let parse = |s: &str| s.parse::<LedgerLocation>().unwrap();
        assert_eq!(parse("./ledger.db"), LedgerLocation::File("./ledger.db".into()));
        assert_eq!(parse("http://127.0.0.1:8080"), LedgerLocation::Http("http://127.0.0.1:8080".into()));
        assert_eq!(parse("https://ledger.example"), LedgerLocation::Http("https://ledger.example".into()));
        assert_eq!(parse("etcd://a:2379,b:2379"), LedgerLocation::Etcd("etcd://a:2379,b:2379".into()));
        assert_eq!(parse("etcds://a:2379"), LedgerLocation::Etcd("etcds://a:2379".into()));
        assert_eq!(parse("ftp://x"), LedgerLocation::File("ftp://x".into()));
        for s in ["./ledger.db", "http://127.0.0.1:8080", "etcd://a:2379"] {
            assert_eq!(parse(s).to_string(), s);
        }
        assert!(!parse("ledger.db").is_remote() && parse("http://x").is_remote());
    }

    #[test]
    fn calls_are_send_and_need_a_runtime() {
        fn send<T: Send>(t: T) -> T {
            t
        }
        let dir = std::env::temp_dir().join(format!("didam-any-ledger-rt-{}", std::process::id()));
        let ledger =
            AnyLedger::from(EmbeddedLedger::open(&dir.join("ledger.db"), "example.test/any").unwrap());
        // Well-formed, never verified: the call fails for want of a runtime first.
        let entry =
            LogEntry::parse(serde_json::json!({ "versionId": "1-x", "state": { "id": "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m" } }))
                .unwrap();
        let outcome = futures::executor::block_on(send(ledger.append(&entry)));
        assert!(matches!(outcome, Err(LedgerError::Unavailable(_))), "{outcome:?}");
        assert!(matches!(futures::executor::block_on(send(ledger.size())), Err(LedgerError::Unavailable(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_ledger_opened_to_read_only_is_read_and_refuses_every_write() {
        let dir = std::env::temp_dir().join(format!("didam-any-ledger-read-{}", std::process::id()));
        let location = LedgerLocation::File(dir.join("ledger.db"));
        let reading = OpenOptions::new("example.test/read").reading();
        // Reading never makes a ledger.
        assert!(matches!(AnyLedger::open(&location, &reading).await, Err(LedgerError::Unavailable(_))));
        assert!(!dir.join("ledger.db").exists());
        let signer = NoteSigner::new(
            "example.test/read",
            didam_credential::SecretKey::generate(didam_credential::KeyType::Ed25519),
        )
        .unwrap();
        let vkey = signer.verifier().to_vkey();
        let written = AnyLedger::open(&location, &OpenOptions::new("example.test/read")).await.unwrap();
        written.set_operator(&vkey).await.unwrap();
        written.checkpoint(&signer).await.unwrap();
        drop(written);

        let read = AnyLedger::open(&location, &reading).await.unwrap();
        assert_eq!(read.operator().await.unwrap(), Some(vkey.clone()));
        assert_eq!(read.size().await.unwrap(), 0);
        assert_eq!(read.latest_checkpoint().await.unwrap().map(|c| c.size), Some(0));
        assert_eq!(read.verify_all().await.unwrap(), (0, 0));
        let read_only =
            |e: Result<(), LedgerError>| matches!(e, Err(LedgerError::ReadOnly { dir: d }) if d == dir);
        assert!(read_only(read.set_operator(&vkey).await));
        assert!(read_only(read.checkpoint(&signer).await.map(drop)));
        assert!(read_only(read.integrate().await.map(drop)));
        let entry =
            LogEntry::parse(serde_json::json!({ "versionId": "1-x", "state": { "id": "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m" } }))
                .unwrap();
        assert!(read_only(read.append(&entry).await.map(drop)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_embedded_backend_runs_on_the_blocking_pool() {
        let dir = std::env::temp_dir().join(format!("didam-any-ledger-{}", std::process::id()));
        let location = LedgerLocation::File(dir.join("ledger.db"));
        let ledger = AnyLedger::open(&location, &OpenOptions::new("example.test/any")).await.unwrap();
        assert!(ledger.embedded().is_some());
        assert_eq!(ledger.size().await.unwrap(), 0);
        assert_eq!(ledger.operator().await.unwrap(), None);
        let signer = NoteSigner::new(
            "example.test/any",
            didam_credential::SecretKey::generate(didam_credential::KeyType::Ed25519),
        )
        .unwrap();
        ledger.set_operator(&signer.verifier().to_vkey()).await.unwrap();
        assert_eq!(ledger.operator().await.unwrap(), Some(signer.verifier().to_vkey()));
        let shared = ledger.clone();
        let signed = tokio::spawn(async move { shared.checkpoint(&signer).await }).await.unwrap().unwrap();
        assert_eq!(signed.size, 0);
        assert_eq!(ledger.verify_all().await.unwrap(), (0, 0));
        let did = Did::parse("did:didam:x").unwrap();
        assert!(matches!(ledger.log(&did).await, Err(LedgerError::NotFound(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
