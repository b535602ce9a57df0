//! The didam verifier: decides whether to trust a credential or presentation.
//!
//! A [`Verifier`] holds how DIDs are resolved and the verification settings, and
//! checks input in every format of the credential engine (`didam-credential`):
//! Data Integrity proofs of every supported suite and VC-JOSE `vc+jwt`. It
//! returns the two levels of the engine: `Err(Error)` when the input could not
//! be checked, `Ok(Report)` with every check when it could.
//!
//! ```
//! use didam_credential::{did::{self, OfflineResolver}, proof, KeyType, ProofOptions, SecretKey, Suite};
//! use didam_verifier::Verifier;
//! use serde_json::json;
//!
//! # futures::executor::block_on(async {
//! let key = SecretKey::generate(KeyType::Ed25519);
//! let (issuer, method) = did::did_key(&key.public_key());
//! let credential = json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
//!     "type": ["VerifiableCredential", "ExampleDegreeCredential"],
//!     "issuer": issuer,
//!     "validFrom": "2025-01-01T00:00:00Z",
//!     "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
//! });
//! let signed = proof::add_proof(&credential, &key, &ProofOptions::assertion(Suite::EddsaRdfc2022, method)).await?;
//!
//! let verifier = Verifier::new(OfflineResolver).with_clock_skew(60);
//! let report = verifier.verify_credential(&signed.to_string()).await?;
//! assert!(report.is_valid(), "{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod cache;

pub use cache::MethodCache;
use chrono::{DateTime, Utc};
pub use didam_credential::verify::Input;
use didam_credential::verify::{self, VerifyOptions};
pub use didam_credential::{Check, CheckKind, Error, Outcome, Report};
use didam_credential::{credential::DocumentKind, did::MethodResolver};

/// Verifies credentials and presentations through one resolver (with the keys
/// of immutable DIDs cached, see [`MethodCache`]).
#[derive(Debug)]
pub struct Verifier<R> {
    resolver: MethodCache<R>,
    skew_seconds: i64,
    now: Option<DateTime<Utc>>,
}

impl<R: MethodResolver> Verifier<R> {
    /// Methods of immutable DIDs kept decoded.
    pub const CACHE_CAPACITY: usize = 4096;

    /// A verifier resolving keys through `resolver`, with no clock skew allowed.
    pub fn new(resolver: R) -> Self {
        Self { resolver: MethodCache::new(resolver, Self::CACHE_CAPACITY), skew_seconds: 0, now: None }
    }

    /// Allows `seconds` of clock difference with issuers and holders.
    pub fn with_clock_skew(mut self, seconds: i64) -> Self {
        self.skew_seconds = seconds;
        self
    }

    /// Judges validity at a fixed time instead of now.
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// The resolver in use.
    pub fn resolver(&self) -> &R {
        self.resolver.inner()
    }

    fn options(&self, challenge: Option<&str>, domain: Option<&str>) -> VerifyOptions {
        VerifyOptions {
            now: self.now,
            skew_seconds: self.skew_seconds,
            challenge: challenge.map(str::to_owned),
            domain: domain.map(str::to_owned),
        }
    }

    /// Verifies a credential given as JSON or compact JWS text.
    pub async fn verify_credential(&self, text: &str) -> Result<Report, Error> {
        let input = Input::parse(text)?;
        self.expect_kind(&input, DocumentKind::Credential, self.options(None, None)).await
    }

    /// Verifies a presentation, which must carry `challenge` and `domain`
    /// when they are given.
    pub async fn verify_presentation(
        &self,
        text: &str,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Report, Error> {
        let input = Input::parse(text)?;
        self.expect_kind(&input, DocumentKind::Presentation, self.options(challenge, domain)).await
    }

    /// Verifies whatever the input is (credential or presentation).
    pub async fn verify(&self, input: &Input) -> Result<Report, Error> {
        verify::verify(input, &self.resolver, &self.options(None, None)).await
    }

    async fn expect_kind(
        &self,
        input: &Input,
        kind: DocumentKind,
        options: VerifyOptions,
    ) -> Result<Report, Error> {
        let mut report = verify::verify(input, &self.resolver, &options).await?;
        if report.kind != kind.name() {
            report.checks.insert(
                0,
                Check::failed(
                    CheckKind::DataModel,
                    format!("expected a {}, got a {}", kind.name(), report.kind),
                ),
            );
            report = Report::new(report.kind, report.securing, report.checks);
        }
        Ok(report)
    }
}
