//! One resolver for every DID method didam supports, for the front ends (the
//! daemon and the CLI) to share.
//!
//! Steps of [`Resolver::resolve`]:
//! 1. check the DID syntax ([`Did::parse`]; DID URLs are split by
//!    [`DidUrl::parse`](didam_credential::DidUrl::parse) first, and
//!    dereferencing is left to the caller);
//! 2. dispatch on the method: `did:key` and `did:jwk` offline
//!    ([`OfflineResolver`]); `did:didam` through the ledger with its proofs
//!    verified ([`crate::resolve()`]), the ledger set up on first use when the
//!    resolver was built with [`Resolver::with_ledger_on_demand`];
//!    `did:web` and `did:webvh` over HTTPS ([`crate::web`], with the `net`
//!    feature);
//! 3. select the version asked for, where the method keeps a history.
//!
//! See: <https://www.w3.org/TR/did-resolution/#resolving>

use std::pin::Pin;
use std::sync::OnceLock;

use didam_credential::did::{DidDocument, DidResolver as _, OfflineResolver, Resolution};
use didam_credential::{Did, ResolveError};
use didam_ledger::Ledger;
use didam_ledger::note::NoteVerifier;
use didam_method::log::DidState;
use serde_json::json;

use crate::checkpoints::CheckpointStore;
use crate::error::Error;
use crate::resolve::{ResolveOptions, resolve};

/// A ledger for `did:didam`, with the key its checkpoints must be signed by
/// and the client's store of checkpoints seen.
#[derive(Debug)]
struct LedgerSource<L> {
    ledger: L,
    key: NoteVerifier,
    store: CheckpointStore,
}

/// What sets up `did:didam` resolution on first use: the ledger, the key its
/// checkpoints must be signed by, and the client's checkpoint store.
pub type LedgerSetup<L> =
    Pin<Box<dyn Future<Output = Result<(L, NoteVerifier, CheckpointStore), Error>> + Send>>;

/// How this resolver reaches a ledger, if at all.
enum LedgerSlot<L> {
    None,
    Ready(LedgerSource<L>),
    OnDemand { setup: Box<dyn Fn() -> LedgerSetup<L> + Send + Sync>, source: OnceLock<LedgerSource<L>> },
}

impl<L: std::fmt::Debug> std::fmt::Debug for LedgerSlot<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Ready(source) => f.debug_tuple("Ready").field(source).finish(),
            Self::OnDemand { source, .. } => {
                f.debug_struct("OnDemand").field("source", &source.get()).finish()
            }
        }
    }
}

/// Resolves DIDs of every method didam supports (see the module doc).
#[derive(Debug)]
pub struct Resolver<L> {
    ledger: LedgerSlot<L>,
    #[cfg(feature = "net")]
    web: Option<crate::web::WebFetcher>,
}

impl<L> Default for Resolver<L> {
    fn default() -> Self {
        Self {
            ledger: LedgerSlot::None,
            #[cfg(feature = "net")]
            web: None,
        }
    }
}

impl<L: Ledger> Resolver<L> {
    /// Every method this code can resolve, when configured for it.
    pub const METHODS: [&'static str; 5] = ["key", "jwk", "didam", "web", "webvh"];

    /// A resolver of the offline methods (`did:key`, `did:jwk`) only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolves `did:didam` through `ledger`, trusting checkpoints signed by
    /// `key` and consistent with those in `store`.
    pub fn with_ledger(mut self, ledger: L, key: NoteVerifier, store: CheckpointStore) -> Self {
        self.ledger = LedgerSlot::Ready(LedgerSource { ledger, key, store });
        self
    }

    /// Resolves `did:didam` through the ledger `setup` gives, run when a
    /// `did:didam` DID (or resource) is first resolved: a caller that does
    /// not know yet which DIDs it will meet (a verifier) opens and trusts a
    /// ledger only when one is needed. A failed set-up is that resolution's
    /// error, and is tried again on the next one.
    pub fn with_ledger_on_demand(
        mut self,
        setup: impl Fn() -> LedgerSetup<L> + Send + Sync + 'static,
    ) -> Self {
        self.ledger = LedgerSlot::OnDemand { setup: Box::new(setup), source: OnceLock::new() };
        self
    }

    /// The ledger source, set up now if it is set up on demand.
    async fn ledger_source(&self) -> Result<&LedgerSource<L>, Error> {
        match &self.ledger {
            LedgerSlot::None => Err(Error::MethodNotSupported("didam".into())),
            LedgerSlot::Ready(source) => Ok(source),
            LedgerSlot::OnDemand { setup, source } => {
                if let Some(ready) = source.get() {
                    return Ok(ready);
                }
                let (ledger, key, store) = setup().await?;
                // A concurrent resolution may have set it up first: keep one.
                Ok(source.get_or_init(|| LedgerSource { ledger, key, store }))
            }
        }
    }

    /// Resolves `did:web` and `did:webvh` with `fetcher`.
    #[cfg(feature = "net")]
    pub fn with_web(mut self, fetcher: crate::web::WebFetcher) -> Self {
        self.web = Some(fetcher);
        self
    }

    /// The methods this resolver is configured for.
    pub fn methods(&self) -> Vec<&'static str> {
        Self::METHODS.into_iter().filter(|m| self.supports(m)).collect()
    }

    /// Whether `method` is resolvable here.
    pub fn supports(&self, method: &str) -> bool {
        match method {
            "key" | "jwk" => true,
            "didam" => !matches!(self.ledger, LedgerSlot::None),
            #[cfg(feature = "net")]
            "web" | "webvh" => self.web.is_some(),
            _ => false,
        }
    }

    /// Resolves `did` (a DID, not a DID URL) with `options`.
    pub async fn resolve(&self, did: &Did, options: &ResolveOptions) -> Result<Resolution, Error> {
        if options.version_id.is_some() && options.version_time.is_some() {
            return Err(Error::InvalidOptions("versionId and versionTime are mutually exclusive".into()));
        }
        let method = did.method();
        if !self.supports(method) {
            return Err(Error::MethodNotSupported(method.to_owned()));
        }
        let versioned = options.version_id.is_some() || options.version_time.is_some();
        match method {
            "key" | "jwk" => {
                if versioned {
                    return Err(Error::FeatureNotSupported(format!("did:{method} DIDs have no versions")));
                }
                OfflineResolver.resolve(did.as_str()).await.map_err(from_resolve_error)
            }
            "didam" => {
                let source = self.ledger_source().await?;
                let resolved =
                    resolve(&source.ledger, &source.key, &source.store, did.as_str(), options).await?;
                resolved.resolution()
            }
            #[cfg(feature = "net")]
            "web" => {
                if versioned {
                    return Err(Error::FeatureNotSupported("did:web DIDs have no versions".into()));
                }
                let web = self.web.as_ref().ok_or_else(|| Error::MethodNotSupported(method.into()))?;
                web.resolve_web(did.as_str()).await
            }
            #[cfg(feature = "net")]
            "webvh" => {
                let web = self.web.as_ref().ok_or_else(|| Error::MethodNotSupported(method.into()))?;
                let history = web.webvh_history(did.as_str()).await?;
                history_resolution(did.as_str(), &history, options)
            }
            other => Err(Error::MethodNotSupported(other.to_owned())),
        }
    }
}

impl<L: Ledger> Resolver<L> {
    /// Waits until `did` resolves, with every proof checked, at version
    /// `version_id`, polling every 200 ms for at most `deadline`; returns
    /// whether it did. A daemon's sequencer signs a checkpoint within its
    /// interval, so an entry just appended through it becomes resolvable a
    /// moment later: a front end waits here so that the DID resolves, with
    /// this version, anywhere once it reports success. Failures while
    /// waiting (not found yet, no checkpoint yet) are retried. Awaits a
    /// timer (tokio's): no thread sleeps.
    #[cfg(feature = "net")]
    pub async fn wait_for_version(&self, did: &Did, version_id: &str, deadline: std::time::Duration) -> bool {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            if let Ok(resolution) = self.resolve(did, &ResolveOptions::default()).await
                && resolution.document_metadata.get("versionId").and_then(serde_json::Value::as_str)
                    == Some(version_id)
            {
                return true;
            }
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(
                std::time::Duration::from_millis(200).min(until - tokio::time::Instant::now()),
            )
            .await;
        }
    }

    /// Dereferences a resource DID URL of a `did:didam` DID
    /// (`<DID>/resources/<resource SCID>`, see [`crate::resource`]): the
    /// resource log proven by the ledger like a DID, its content verified with
    /// the parent DID's current keys, resolved through this resolver.
    /// See: <https://www.w3.org/TR/did-resolution/#dereferencing>
    pub async fn dereference(&self, url: &str) -> Result<crate::resource::Dereferenced, Error> {
        let url = crate::resource::ResourceUrl::parse(url)?;
        let source = self.ledger_source().await?;
        crate::resource::dereference(&source.ledger, &source.key, &source.store, self, &url).await
    }
}

/// The resolution of a verified history (oldest first) at the version
/// `options` select: the same metadata as [`crate::Resolved::resolution`].
pub fn history_resolution(
    did: &str,
    history: &[DidState],
    options: &ResolveOptions,
) -> Result<Resolution, Error> {
    let latest = history.last().ok_or_else(|| Error::NotFound(did.to_owned()))?;
    let state = match (&options.version_id, options.version_time) {
        (Some(id), _) => history
            .iter()
            .find(|s| &s.version_id == id)
            .ok_or_else(|| Error::NotFound(format!("{did} version {id}")))?,
        (None, Some(t)) => history
            .iter()
            .rev()
            .find(|s| s.version_time <= t)
            .ok_or_else(|| Error::NotFound(format!("{did} at {t}")))?,
        (None, None) => latest,
    };
    let stamp = didam_credential::proof::xsd_datetime;
    let mut metadata = json!({
        "created": stamp(state.created),
        "updated": stamp(state.version_time),
        "versionId": state.version_id,
        "versionTime": stamp(state.version_time),
    });
    if latest.deactivated {
        metadata["deactivated"] = json!(true);
    }
    if let Some(next) = history.iter().find(|s| s.version_number == state.version_number + 1) {
        metadata["nextUpdate"] = json!(stamp(next.version_time));
        metadata["nextVersionId"] = json!(next.version_id);
    }
    let document = DidDocument::new(state.document.clone())
        .map_err(|e| Error::InvalidDocument { did: did.to_owned(), reason: e.to_string() })?;
    Ok(Resolution { document, document_metadata: metadata, content_type: "application/did+ld+json".into() })
}

fn from_resolve_error(e: ResolveError) -> Error {
    match e {
        ResolveError::InvalidDid(did) => Error::InvalidDid(did),
        ResolveError::MethodNotSupported(m) => Error::MethodNotSupported(m),
        ResolveError::NotFound(did) => Error::NotFound(did),
        ResolveError::InvalidDocument { did, reason } => Error::InvalidDocument { did, reason },
        ResolveError::InvalidLedgerProof { reason, .. } => Error::InvalidLedgerProof(reason),
        other => Error::InvalidDocument { did: String::new(), reason: other.to_string() },
    }
}

/// Verifiers resolve the keys of proofs through the same resolver: the
/// latest version of each DID, with the ledger's proofs checked.
impl<L: Ledger> didam_credential::did::DidResolver for Resolver<L> {
    async fn resolve(&self, did: &str) -> Result<Resolution, ResolveError> {
        let parsed = Did::parse(did).map_err(|_| ResolveError::InvalidDid(did.to_owned()))?;
        Resolver::resolve(self, &parsed, &ResolveOptions::default())
            .await
            .map_err(|e| e.to_resolve_error(did))
    }
}

impl<L: Ledger> didam_credential::did::MethodResolver for Resolver<L> {
    async fn resolve_method(&self, id: &str) -> Result<didam_credential::did::ResolvedMethod, ResolveError> {
        didam_credential::did::resolve_method_via(self, id).await
    }

    /// As the DID's resolution says (did:didam: its update keys); a did:key
    /// or did:jwk as the engine's offline resolver says (its one key).
    async fn control_security(&self, did: &str) -> Result<Option<didam_credential::Security>, ResolveError> {
        if did.starts_with("did:key:") || did.starts_with("did:jwk:") {
            return didam_credential::did::OfflineResolver.control_security(did).await;
        }
        Ok(didam_credential::did::DidResolver::resolve(self, did).await?.control_security())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use didam_credential::{KeyType, SecretKey};
    use didam_ledger::EmbeddedLedger;
    use didam_ledger::note::NoteSigner;
    use didam_method::entry;

    use super::*;

    #[test]
    fn an_on_demand_ledger_is_set_up_at_the_first_didam_did() {
        futures::executor::block_on(async {
            let dir = std::env::temp_dir().join(format!("didam-on-demand-{}", std::process::id()));
            let path = dir.join("ledger.db");
            let ledger = EmbeddedLedger::open(&path, "example.test/ledger").unwrap();
            let signer =
                NoteSigner::new("example.test/ledger", SecretKey::generate(KeyType::Ed25519)).unwrap();
            let (update, next, signing) = (
                SecretKey::generate(KeyType::Ed25519),
                SecretKey::generate(KeyType::Ed25519),
                SecretKey::generate(KeyType::Ed25519),
            );
            let document = entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
            let (did, _) =
                crate::operations::create(&ledger, &update, &next.public_key(), document, chrono::Utc::now())
                    .await
                    .unwrap();
            ledger.checkpoint(&signer).await.unwrap();

            let setups = Arc::new(AtomicUsize::new(0));
            let (counted, key, store) = (Arc::clone(&setups), signer.verifier(), dir.join("client"));
            let resolver = Resolver::new().with_ledger_on_demand(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let (path, key, store) = (path.clone(), key.clone(), CheckpointStore::new(store.clone()));
                Box::pin(async move { Ok((EmbeddedLedger::open(&path, "example.test/ledger")?, key, store)) })
            });
            assert!(resolver.supports("didam"));
            let offline: Did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".parse().unwrap();
            resolver.resolve(&offline, &ResolveOptions::default()).await.unwrap();
            assert_eq!(setups.load(Ordering::SeqCst), 0, "no ledger for a did:key");
            let did: Did = did.as_str().parse().unwrap();
            for _ in 0..2 {
                let resolution = resolver.resolve(&did, &ResolveOptions::default()).await.unwrap();
                assert_eq!(resolution.document.as_json()["id"], did.as_str());
            }
            assert_eq!(setups.load(Ordering::SeqCst), 1, "set up once");
            std::fs::remove_dir_all(&dir).unwrap();
        });
    }

    #[test]
    fn a_failed_set_up_is_the_resolution_error() {
        futures::executor::block_on(async {
            let resolver: Resolver<EmbeddedLedger> = Resolver::new()
                .with_ledger_on_demand(|| Box::pin(async { Err(crate::PinError::NoOperator.into()) }));
            let did: Did = "did:didam:QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m".parse().unwrap();
            let err = resolver.resolve(&did, &ResolveOptions::default()).await.unwrap_err();
            assert!(matches!(err, Error::Pin(crate::PinError::NoOperator)), "{err:?}");
        });
    }
}
