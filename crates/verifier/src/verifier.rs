//! The [`Verifier`]: the engine's verification, then the policy.
//!
//! Steps for a credential: the engine's checks (data model, proofs or JWS,
//! key authorisation, validity period with the policy's clock skew) → the key
//! is the issuer's → accepted suite → issuer trust → credential age → each status entry (status list
//! fetched, verified, issuer, freshness, bit).
//!
//! Steps for a presentation: the engine's checks (including challenge and
//! domain for Data Integrity proofs, and each embedded credential's proofs) →
//! challenge and domain for other securing (`nonce`/`aud` of a `vp+jwt`) →
//! accepted suite → holder binding (signed by the holder) → for each
//! credential: the holder is its subject, then the credential steps above
//! after the engine's.
//!
//! Every step after the engine's reads what the engine returned
//! ([`Verified`]: the document its proofs were checked over, the securing,
//! the signers, each credential of a presentation), never the input again.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use didam_credential::credential::DocumentKind;
use didam_credential::did::MethodResolver;
use didam_credential::limits::{Cancellation, Limits};
use didam_credential::verify::{self, Input, Verified, VerifyOptions};
use didam_credential::{Check, CheckKind, Error, Outcome, Report};

use crate::cache::MethodCache;
use crate::checks::{self, about_credential};
use crate::policy::{HumanDuration, Policy};
use crate::status::check::{Entry, FetchedList, entries};
use crate::status::verified::{StatusListCacheOptions, StatusListCacheStats, VerifiedLists};
use crate::status::{NoStatusSource, StatusSource};

/// Most `credentialStatus` entries of one credential a verifier checks
/// (each can name a list to fetch and verify); a credential with more
/// fails its status check.
pub const MAX_STATUS_ENTRIES: usize = 8;

/// Verifies credentials and presentations through one resolver (with the keys
/// of immutable DIDs cached, see [`MethodCache`]), under a [`Policy`], with
/// status lists from a [`StatusSource`] (none by default: status entries are
/// then reported as not checked, and fail when the policy requires a status),
/// keeping the status lists it verified for a short while
/// ([`StatusListCacheOptions`], [`crate::status::verified`]).
#[derive(Debug)]
pub struct Verifier<R, S = NoStatusSource> {
    resolver: MethodCache<R>,
    status: Option<S>,
    lists: VerifiedLists,
    policy: Policy,
    now: Option<DateTime<Utc>>,
    limits: Limits,
}

/// Status lists fetched during one verification, by URL.
type Lists = HashMap<String, Arc<FetchedList>>;

impl<R: MethodResolver> Verifier<R> {
    /// Methods of immutable DIDs kept decoded.
    pub const CACHE_CAPACITY: usize = 4096;

    /// A verifier resolving keys through `resolver`, with the default
    /// [`Policy`] and no status source.
    pub fn new(resolver: R) -> Self {
        Self {
            resolver: MethodCache::new(resolver, Self::CACHE_CAPACITY),
            status: None,
            lists: VerifiedLists::new(StatusListCacheOptions::default()),
            policy: Policy::default(),
            now: None,
            limits: Limits::default(),
        }
    }
}

impl<R: MethodResolver, S: StatusSource> Verifier<R, S> {
    /// Checks status entries with lists from `source`.
    pub fn with_status_source<T: StatusSource>(self, source: T) -> Verifier<R, T> {
        Verifier {
            resolver: self.resolver,
            status: Some(source),
            lists: self.lists,
            policy: self.policy,
            now: self.now,
            limits: self.limits,
        }
    }

    /// Keeps the status lists it verified as `options` say (by default
    /// [`StatusListCacheOptions::default`]: 256 lists, 16 MiB, 5 minutes;
    /// [`StatusListCacheOptions::disabled`] verifies every list at each use).
    /// What it holds is emptied.
    pub fn with_status_list_cache(mut self, options: StatusListCacheOptions) -> Self {
        self.lists = VerifiedLists::new(options);
        self
    }

    /// The options of the cache of verified status lists.
    pub fn status_list_cache(&self) -> &StatusListCacheOptions {
        self.lists.options()
    }

    /// Hits, misses and size of the cache of verified status lists.
    pub fn status_list_cache_stats(&self) -> StatusListCacheStats {
        self.lists.stats()
    }

    /// Verifies under `policy`.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Allows `seconds` of clock difference with issuers and holders (sets the
    /// policy's `clock_skew`; negative values count as zero).
    pub fn with_clock_skew(mut self, seconds: i64) -> Self {
        self.policy.clock_skew = HumanDuration::from_secs(u64::try_from(seconds).unwrap_or(0));
        self
    }

    /// Holds every input to `limits` instead of [`Limits::default`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits inputs are held to.
    pub fn limits(&self) -> &Limits {
        &self.limits
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

    /// The policy in use.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The status source, if any.
    pub fn status_source(&self) -> Option<&S> {
        self.status.as_ref()
    }

    fn options(
        &self,
        now: DateTime<Utc>,
        challenge: Option<&str>,
        domain: Option<&str>,
        cancel: &Cancellation,
    ) -> VerifyOptions {
        VerifyOptions {
            limits: self.limits.clone(),
            cancel: cancel.clone(),
            now: Some(now),
            skew_seconds: self.policy.clock_skew.to_chrono().num_seconds(),
            challenge: challenge.map(str::to_owned),
            domain: domain.map(str::to_owned),
            require_challenge: self.policy.require_challenge,
        }
    }

    /// Verifies a credential given as text (JSON, enveloped, JWS, SD-JWT or
    /// COSE).
    pub async fn verify_credential(&self, text: &str) -> Result<Report, Error> {
        self.verify_credential_cancellable(text, &Cancellation::new()).await
    }

    /// [`Verifier::verify_credential`], abandoned with
    /// [`Error::Cancelled`] at the next step once `cancel` is set.
    pub async fn verify_credential_cancellable(
        &self,
        text: &str,
        cancel: &Cancellation,
    ) -> Result<Report, Error> {
        let input = Input::parse_within(text, &self.limits)?;
        self.run(&input, Some(DocumentKind::Credential), None, None, cancel).await
    }

    /// Verifies a presentation, which must carry `challenge` and `domain`
    /// when they are given, be signed by its holder, and hold credentials that
    /// each pass the credential steps.
    pub async fn verify_presentation(
        &self,
        text: &str,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Report, Error> {
        self.verify_presentation_cancellable(text, challenge, domain, &Cancellation::new()).await
    }

    /// [`Verifier::verify_presentation`], abandoned with
    /// [`Error::Cancelled`] at the next step once `cancel` is set.
    pub async fn verify_presentation_cancellable(
        &self,
        text: &str,
        challenge: Option<&str>,
        domain: Option<&str>,
        cancel: &Cancellation,
    ) -> Result<Report, Error> {
        let input = Input::parse_within(text, &self.limits)?;
        self.run(&input, Some(DocumentKind::Presentation), challenge, domain, cancel).await
    }

    /// Verifies whatever the input is (credential or presentation; no
    /// challenge or domain is expected).
    pub async fn verify(&self, input: &Input) -> Result<Report, Error> {
        self.run(input, None, None, None, &Cancellation::new()).await
    }

    async fn run(
        &self,
        input: &Input,
        expected: Option<DocumentKind>,
        challenge: Option<&str>,
        domain: Option<&str>,
        cancel: &Cancellation,
    ) -> Result<Report, Error> {
        let now = self.now.unwrap_or_else(Utc::now);
        let options = self.options(now, challenge, domain, cancel);
        let verified = verify::verify(input, &self.resolver, &options).await?;
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let kind = verified.kind();
        let mut checks = verified.report.checks.clone();
        // An SD-JWT VC with its Key Binding JWT is the holder's
        // presentation of it (the engine checked the binding).
        let key_bound = verified.key_bound();
        if let Some(expected) = expected.filter(|k| *k != kind && !key_bound) {
            checks.insert(
                0,
                Check::failed(CheckKind::DataModel, format!("expected a {expected}, got a {kind}")),
            );
        }
        let mut lists = Lists::new();
        if kind == DocumentKind::Presentation {
            checks.extend(self.presentation_checks(&verified, challenge, domain, now, &mut lists).await?);
        } else {
            checks.extend(self.credential_checks(&verified, None, now, &mut lists).await?);
        }
        let mut report =
            Report::new(kind, verified.report.securing, checks).with_disclosed(verified.report.disclosed);
        report.withheld = verified.report.withheld;
        Ok(report)
    }

    async fn presentation_checks(
        &self,
        presentation: &Verified,
        challenge: Option<&str>,
        domain: Option<&str>,
        now: DateTime<Utc>,
        lists: &mut Lists,
    ) -> Result<Vec<Check>, Error> {
        let mut checks = checks::challenge_and_domain(presentation, challenge, domain);
        checks.push(checks::accepted_suite(&self.policy, presentation));
        checks.extend(checks::signature_security(&self.policy, presentation));
        let (signed, holder) = checks::holder_signed(presentation);
        checks.push(signed);
        for (i, credential) in presentation.credentials.iter().enumerate() {
            let bound = checks::subject_is_holder(&self.policy, holder.as_deref(), credential);
            checks.push(about_credential(Some(i), bound));
            checks.extend(self.credential_checks(credential, Some(i), now, lists).await?);
        }
        Ok(checks)
    }

    /// The policy and status checks of one credential (the `index`-th of a
    /// presentation, or a credential on its own), on what the engine verified.
    async fn credential_checks(
        &self,
        credential: &Verified,
        index: Option<usize>,
        now: DateTime<Utc>,
        lists: &mut Lists,
    ) -> Result<Vec<Check>, Error> {
        let mut checks = vec![
            checks::issuer_key_under(&self.policy, credential),
            checks::accepted_suite(&self.policy, credential),
            checks::issuer_trust(&self.policy, credential),
            checks::credential_age(&self.policy, credential, now),
        ];
        checks.extend(checks::signature_security(&self.policy, credential));
        checks.extend(self.issuer_control(credential).await?);
        checks.extend(self.status_checks(credential, now, lists).await?);
        Ok(checks.into_iter().map(|c| about_credential(index, c)).collect())
    }

    /// The `issuer-control` check, when the policy asks for one: how the
    /// issuer's DID is controlled, from its resolution.
    async fn issuer_control(&self, credential: &Verified) -> Result<Option<Check>, Error> {
        if self.policy.issuer_control.is_none() {
            return Ok(None);
        }
        let Some(issuer) = credential.issuer() else {
            return Ok(Some(Check::failed(CheckKind::IssuerControl, "the credential names no issuer")));
        };
        if !issuer.starts_with("did:") {
            let detail = format!("the issuer {issuer} is not a DID: nothing says how it is controlled");
            return Ok(Some(Check::failed(CheckKind::IssuerControl, detail)));
        }
        let control = self.resolver.control_security(issuer).await?;
        Ok(checks::issuer_control(&self.policy, issuer, control))
    }

    async fn status_checks(
        &self,
        credential: &Verified,
        now: DateTime<Utc>,
        lists: &mut Lists,
    ) -> Result<Vec<Check>, Error> {
        let required = self.policy.require_status;
        let unchecked = |why: String| {
            if required {
                Check::failed(CheckKind::Status, format!("{why}, and the policy requires a status"))
            } else {
                Check::not_applicable(CheckKind::Status, why)
            }
        };
        if let Some(entry) = didam_credential::token_status_list::entry_of(&credential.document) {
            return self.token_status_checks(credential, entry, now, required).await;
        }
        let entries = entries(&credential.document);
        if entries.is_empty() {
            return Ok(vec![unchecked("no credentialStatus".into())]);
        }
        // Status lists are fetched and verified: work a credential whose
        // signature failed, or that names many lists, must not buy. (An
        // unsigned one is checked, within the fetch policy and the cap.)
        let forged = credential
            .report
            .checks
            .iter()
            .any(|c| c.outcome == didam_credential::Outcome::Failed && c.check == CheckKind::Signature);
        if forged {
            return Ok(vec![Check::not_applicable(
                CheckKind::Status,
                "not checked: the credential's signature failed, so its status lists were not fetched",
            )]);
        }
        if entries.len() > MAX_STATUS_ENTRIES {
            return Ok(vec![Check::failed(
                CheckKind::Status,
                format!(
                    "{} credentialStatus entries; a verifier checks at most {MAX_STATUS_ENTRIES}",
                    entries.len()
                ),
            )]);
        }
        let mut checks = Vec::new();
        let mut checked = false;
        for entry in entries {
            let (url, purpose, index) = match entry {
                Entry::Bitstring { url, purpose, index } => (url, purpose, index),
                Entry::Ignored(why) => {
                    checks.push(Check::not_applicable(CheckKind::Status, why));
                    continue;
                }
                Entry::Malformed(why) => {
                    checks.push(Check::failed(CheckKind::Status, why));
                    checked = true;
                    continue;
                }
                Entry::Unsupported { url, error } => return Err(Error::Status { url, source: error.into() }),
            };
            let Some(source) = &self.status else {
                checks.push(unchecked(format!("{purpose} not checked: no status source is configured")));
                continue;
            };
            if !lists.contains_key(&url) {
                let fetched = self.fetch_list(source, &url, credential.issuer(), now).await?;
                lists.insert(url.clone(), fetched);
            }
            let list = &lists[&url];
            let list_checks = [
                list.check(&url, purpose),
                list.issuer_check(credential.issuer()),
                list.freshness_check(&self.policy, now),
            ];
            let usable = list_checks.iter().all(|c| c.outcome != didam_credential::Outcome::Failed);
            checks.extend(list_checks);
            checks.push(if usable {
                list.bit_check(&url, purpose, index)
            } else {
                Check::not_applicable(
                    CheckKind::Status,
                    format!("{purpose} not read: the status list failed its checks"),
                )
            });
            checked = true;
        }
        if !checked && required {
            checks.push(Check::failed(
                CheckKind::Status,
                "no status entry could be checked, and the policy requires a status",
            ));
        }
        Ok(checks)
    }

    /// The status of an SD-JWT VC from its Token Status List: fetched only
    /// once the credential's own signature held (the URI is the issuer's
    /// choice), then judged by the engine
    /// ([`didam_credential::token_status_list::check`]).
    async fn token_status_checks(
        &self,
        credential: &Verified,
        entry: Result<(String, usize), didam_credential::StatusError>,
        now: DateTime<Utc>,
        required: bool,
    ) -> Result<Vec<Check>, Error> {
        let (uri, idx) = match entry {
            Ok(entry) => entry,
            Err(e) => return Ok(vec![Check::failed(CheckKind::Status, e.to_string())]),
        };
        let signed = credential
            .report
            .checks
            .iter()
            .any(|c| c.check == CheckKind::Signature && c.outcome == Outcome::Passed)
            && credential.report.is_valid();
        if !signed {
            return Ok(vec![Check::not_applicable(
                CheckKind::Status,
                "not checked: the credential does not verify, so its status list was not fetched",
            )]);
        }
        let Some(source) = &self.status else {
            let why = format!("{uri} not checked: no status source is configured");
            return Ok(vec![if required {
                Check::failed(CheckKind::Status, format!("{why}, and the policy requires a status"))
            } else {
                Check::not_applicable(CheckKind::Status, why)
            }]);
        };
        let input =
            source.fetch(&uri).await.map_err(|e| Error::Status { url: uri.clone(), source: e.into() })?;
        let token = match input {
            Input::Jws(text) => text,
            Input::Json(serde_json::Value::String(text)) => text,
            _ => {
                let why = format!("{uri}: not a status list token (statuslist+jwt)");
                return Ok(vec![Check::failed(CheckKind::StatusList, why)]);
            }
        };
        let issuer = credential.issuer().unwrap_or_default();
        let skew = self.policy.clock_skew.to_chrono().num_seconds();
        didam_credential::token_status_list::check(&token, &self.resolver, &uri, idx, issuer, now, skew).await
    }

    /// Fetches the status list at `url` and verifies it as a credential, with
    /// the same resolver and clock but no policy or status of its own,
    /// unless the same bytes were verified for `issuer` before and are still
    /// in the cache of verified lists.
    async fn fetch_list(
        &self,
        source: &S,
        url: &str,
        issuer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Arc<FetchedList>, Error> {
        let input =
            source.fetch(url).await.map_err(|e| Error::Status { url: url.to_owned(), source: e.into() })?;
        let lookup = match self.lists.get(url, issuer, &input).await {
            Ok(cached) => return Ok(cached),
            Err(lookup) => lookup,
        };
        let options = self.options(now, None, None, &Cancellation::new());
        let verified = verify::verify(&input, &self.resolver, &options).await?;
        let list = Arc::new(FetchedList::new(verified));
        self.lists.put(lookup, &list, now).await;
        Ok(list)
    }
}
