//! Verifying a credential or presentation in any format the engine reads.
//!
//! Steps: read the input (JSON document, enveloped credential, compact JWS,
//! SD-JWT or COSE_Sign1) → data-model rules → proof(s) or signature, with key
//! resolution and authorisation (for an SD-JWT, then its disclosures revealed)
//! → validity period → for a presentation, each credential in it, the same
//! way. Before any of it, and again on every document a step decodes (a JWS
//! or COSE payload, an SD-JWT's revealed credential, each credential of a
//! presentation), the input is held to [`VerifyOptions::limits`] without
//! recursion ([`crate::limits`]); between steps the engine stops when
//! [`VerifyOptions::cancel`] is set. Anything that stops the steps is an [`Error`]; everything checked is
//! in the [`Report`], returned in a [`Verified`] with what was checked: the
//! document the proofs were checked over, its signers and, for a
//! presentation, each credential as verified. Checks made after the engine's
//! (status, policy) build on that, and never decode the input again.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::cose::{self, CoseCredential};
use crate::credential::{self, DocumentKind, Version};
use crate::did::{MethodResolver, ProofPurpose};
use crate::error::Error;
use crate::jose::{self, CompactJws};
use crate::limits::{self, Cancellation, Limits};
use crate::proof::{self, ProofExpectations, Unsecured};
use crate::report::{Check, CheckKind, Outcome, Report, Securing};
use crate::sd_jwt::{self, SdJwt};
use crate::sd_jwt_vc;
use crate::suite::{Canonicalization, Suite};

/// The clock skew allowed when judging a JWT's `exp`, `nbf` and `iat`
/// against now (RFC 7519 §4.1.4–4.1.6 let the verifier "provide for some
/// small leeway"): 60 seconds, or [`VerifyOptions::skew_seconds`] when larger.
pub const JWT_CLOCK_SKEW_SECONDS: i64 = 60;

/// What the verifier expects.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// The time to judge validity at; now when `None`.
    pub now: Option<DateTime<Utc>>,
    /// Allowed clock skew in seconds.
    pub skew_seconds: i64,
    /// The challenge a presentation's proof must carry.
    pub challenge: Option<String>,
    /// The domain a presentation's proof must carry.
    pub domain: Option<String>,
    /// Whether a presentation verified without a [`Self::challenge`] fails
    /// its `replay-protection` check (`true`) or reports it "not
    /// applicable" (`false`, the caller accepts that anyone who saw the
    /// presentation can replay it). The verifier's policy sets this to `true`
    /// by default; the engine's own default is `false`.
    pub require_challenge: bool,
    /// The limits the input is held to ([`Limits::default`] unless set).
    pub limits: Limits,
    /// Set by the caller to abandon the verification; checked between steps.
    pub cancel: Cancellation,
}

/// A document as read from text.
#[derive(Clone, Debug)]
pub enum Input {
    /// A JSON document (possibly an enveloped credential).
    Json(Value),
    /// A compact JWS (`vc+jwt`, `vp+jwt`).
    Jws(String),
    /// An SD-JWT (`vc+sd-jwt`, or an SD-JWT VC `dc+sd-jwt`, with or
    /// without a key binding JWT).
    SdJwt(String),
    /// The base64 of a COSE_Sign1 (`application/vc+cose`).
    Cose(String),
}

impl Input {
    /// Reads a JSON document, a compact JWS, an SD-JWT or a base64
    /// COSE_Sign1, within the default [`Limits`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::parse_within(text, &Limits::default())
    }

    /// [`Input::parse`] within `limits`: the size of `text` and, for JSON,
    /// its nesting depth are checked before it is parsed.
    pub fn parse_within(text: &str, limits: &Limits) -> Result<Self, Error> {
        let text = text.trim();
        if text.starts_with('{') {
            limits::scan_json(text.as_bytes(), limits)?;
            return Ok(Self::Json(serde_json::from_str(text)?));
        }
        limits.check_size(text)?;
        let base64url = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if SdJwt::looks_like(text) {
            return Ok(Self::SdJwt(text.to_owned()));
        }
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() == 3 && parts.iter().all(|p| base64url(p)) {
            return Ok(Self::Jws(text.to_owned()));
        }
        let base64 = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
        if base64 {
            return Ok(Self::Cose(text.to_owned()));
        }
        Err(Error::UnreadableInput("expected a JSON object, a compact JWS, an SD-JWT or a base64 COSE_Sign1"))
    }
}

/// What a verification checked, and what it read to check it: the
/// [`Report`], the document the proofs were checked over, who signed it and,
/// for a presentation, each credential in it as verified. Checks made after
/// the engine's (status, policy) build on exactly this.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Verified {
    /// Every check made, and the verdict.
    pub report: Report,
    /// What the proofs cover, for every check to read: for a Data Integrity
    /// document secured (or, unsecured, checked) through RDFC-1.0, the view
    /// [`covered_view`](crate::canon::covered_view) reads back from the
    /// signed RDF dataset, with the proofs as given (their configurations are
    /// signed too), so no rewrite that keeps the dataset changes what a check
    /// reads; for JCS proofs, the document as given (its JSON is what is
    /// signed); the payload of a JWS or COSE_Sign1; the payload of an SD-JWT
    /// with its disclosures revealed (still concealed when they could not be
    /// revealed, which fails the `disclosures` check).
    pub document: Value,
    /// The verification method ids the proofs name, in order (a JWS `kid`
    /// made absolute against `iss`, as it is resolved).
    pub signers: Vec<String>,
    /// For a presentation, each credential in it as verified, in order;
    /// empty otherwise.
    pub credentials: Vec<Verified>,
}

impl Verified {
    /// How the document was secured (also in the report).
    pub fn securing(&self) -> &Securing {
        &self.report.securing
    }

    /// Whether it is a credential or a presentation (also in the report).
    pub fn kind(&self) -> DocumentKind {
        self.report.kind
    }

    /// The document's issuer (`issuer` or `issuer.id`; for an SD-JWT VC,
    /// `iss`).
    pub fn issuer(&self) -> Option<&str> {
        credential::issuer(&self.document).or_else(|| self.sd_jwt_vc_claim("iss"))
    }

    /// A claim of an SD-JWT VC (`dc+sd-jwt`, which has `vct`); `None` for
    /// other documents.
    fn sd_jwt_vc_claim(&self, claim: &str) -> Option<&str> {
        let sd_jwt_vc = matches!(self.report.securing, Securing::SdJwtVc { .. });
        sd_jwt_vc.then(|| self.document.get(claim).and_then(Value::as_str)).flatten()
    }

    /// Whether this is an SD-JWT VC presented with a Key Binding JWT (the
    /// holder's presentation of it).
    pub fn key_bound(&self) -> bool {
        self.report.of(CheckKind::KeyBinding).any(|c| c.outcome != crate::Outcome::NotApplicable)
    }

    /// The presentation's holder (`holder` or `holder.id`).
    pub fn holder(&self) -> Option<&str> {
        credential::holder(&self.document)
    }

    /// The document's types (for an SD-JWT VC, its `vct`).
    pub fn types(&self) -> Vec<&str> {
        let types = credential::types(&self.document);
        match self.sd_jwt_vc_claim("vct") {
            Some(vct) if types.is_empty() => vec![vct],
            _ => types,
        }
    }

    /// The ids of the credential's subjects.
    pub fn subject_ids(&self) -> Vec<&str> {
        credential::subject_ids(&self.document)
    }
}

/// Verifies a credential or presentation given as text.
pub async fn verify_text<R: MethodResolver + ?Sized>(
    text: &str,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    verify(&Input::parse_within(text, &options.limits)?, resolver, options).await
}

/// Verifies a parsed credential or presentation.
pub async fn verify<R: MethodResolver + ?Sized>(
    input: &Input,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    options.cancel.check()?;
    match input {
        Input::Jws(text) | Input::SdJwt(text) | Input::Cose(text) => options.limits.check_size(text)?,
        Input::Json(doc) => options.limits.check_document(doc)?,
    }
    match input {
        Input::Jws(jws) => verify_jws(jws, resolver, options).await,
        Input::SdJwt(text) => verify_sd_jwt(text, resolver, options).await,
        Input::Cose(text) => verify_cose(text, resolver, options).await,
        Input::Json(doc) => {
            if let Some(jws) = jose::unwrap_envelope(doc) {
                verify_jws(jws, resolver, options).await
            } else if let Some(text) = doc.get("id").and_then(Value::as_str).and_then(|id| {
                id.strip_prefix("data:application/vc+sd-jwt,")
                    .or_else(|| id.strip_prefix("data:application/dc+sd-jwt,"))
            }) {
                verify_sd_jwt(text, resolver, options).await
            } else if let Some(text) = cose::unwrap_envelope(doc) {
                verify_cose(text, resolver, options).await
            } else {
                verify_data_integrity(doc, resolver, options).await
            }
        }
    }
}

/// A document whose securing has been checked, before the steps common to
/// every format.
struct Secured {
    /// The document as received (a presentation's credentials are read from it).
    document: Value,
    /// What the proofs cover (see [`Verified::document`]).
    covered: Value,
    kind: DocumentKind,
    securing: Securing,
    signers: Vec<String>,
    checks: Vec<Check>,
}

impl Secured {
    /// The common steps: the validity period, then each credential of a
    /// presentation.
    async fn finish<R: MethodResolver + ?Sized>(
        self,
        resolver: &R,
        options: &VerifyOptions,
        now: DateTime<Utc>,
    ) -> Result<Verified, Error> {
        let Self { document, covered, kind, securing, signers, mut checks } = self;
        checks.extend(validity_period(&covered, now, options.skew_seconds));
        let mut credentials = Vec::new();
        if kind == DocumentKind::Presentation {
            options.cancel.check()?;
            checks.push(replay_protection(options));
            let (embedded, verified) = embedded_credentials(&document, resolver, options).await?;
            checks.extend(embedded);
            credentials = verified;
        }
        let disclosed = embedded_disclosed(&document, &credentials);
        let report = Report::new(kind, securing, checks).with_disclosed(disclosed);
        Ok(Verified { report, document: covered, signers, credentials })
    }
}

/// For a presentation: what its selectively disclosed credentials
/// disclosed, as JSON pointers into the presentation
/// (`/verifiableCredential/0/credentialSubject/degree/name`); `None` when
/// none of them is selectively disclosed.
fn embedded_disclosed(presentation: &Value, credentials: &[Verified]) -> Option<Vec<String>> {
    let array = presentation.get("verifiableCredential").is_some_and(Value::is_array);
    let mut pointers: Option<Vec<String>> = None;
    for (i, credential) in credentials.iter().enumerate() {
        if let Some(disclosed) = &credential.report.disclosed {
            let base =
                if array { format!("/verifiableCredential/{i}") } else { "/verifiableCredential".into() };
            pointers.get_or_insert_default().extend(disclosed.iter().map(|p| format!("{base}{p}")));
        }
    }
    pointers
}

async fn verify_sd_jwt<R: MethodResolver + ?Sized>(
    text: &str,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let now = options.now.unwrap_or_else(Utc::now);
    let sd_jwt = SdJwt::parse(text)?;
    options.limits.check_document(&sd_jwt.jwt.payload)?;
    let typ = sd_jwt.jwt.header.get("typ").and_then(Value::as_str).unwrap_or_default();
    if typ.strip_prefix("application/").unwrap_or(typ) == sd_jwt_vc::DC_SD_JWT {
        return verify_sd_jwt_vc(&sd_jwt, resolver, options, now).await;
    }
    let kind = DocumentKind::of(&sd_jwt.jwt.payload);
    let (proof_checks, revealed) =
        sd_jwt::verify(&sd_jwt, resolver, purpose_of(kind), &options.limits).await?;
    options.cancel.check()?;
    let alg = sd_jwt.jwt.header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
    let securing = Securing::SdJwt { alg };
    let signers = sd_jwt.jwt.kid().into_iter().collect();
    let kind = kind.unwrap_or(DocumentKind::Credential);
    let Some(credential) = revealed else {
        let mut checks =
            vec![Check::not_applicable(CheckKind::DataModel, "the disclosures could not be revealed")];
        checks.extend(proof_checks);
        let report = Report::new(kind, securing, checks);
        return Ok(Verified { report, document: sd_jwt.jwt.payload, signers, credentials: Vec::new() });
    };
    options.limits.check_document(&credential)?;
    let mut checks = vec![data_model_check(&credential, None).await?];
    checks.extend(proof_checks);
    checks.extend(jwt_times(&sd_jwt.jwt.payload, &credential, now, options.skew_seconds));
    Secured { covered: credential.clone(), document: credential, kind, securing, signers, checks }
        .finish(resolver, options, now)
        .await
}

/// An IETF SD-JWT VC (`dc+sd-jwt`): the `kid` a DID URL of `iss` (checked
/// before anything is resolved), the issuer signature, and only then the
/// disclosures, `vct`, the JWT times and the key binding. The report lists
/// the claims disclosed and how many digests each object withheld.
async fn verify_sd_jwt_vc<R: MethodResolver + ?Sized>(
    sd_jwt: &SdJwt,
    resolver: &R,
    options: &VerifyOptions,
    now: DateTime<Utc>,
) -> Result<Verified, Error> {
    options.limits.check_disclosures(sd_jwt.disclosure_count())?;
    let payload = &sd_jwt.jwt.payload;
    let alg = sd_jwt.jwt.header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
    let securing = Securing::SdJwtVc { alg };
    let signers: Vec<String> = sd_jwt.jwt.kid().into_iter().collect();
    let concealed = |checks: Vec<Check>| Verified {
        report: Report::new(DocumentKind::Credential, securing.clone(), checks),
        document: payload.clone(),
        signers: signers.clone(),
        credentials: Vec::new(),
    };
    // The key is looked up through the issuer's DID only: a `kid` that is
    // not a DID URL of `iss` is never resolved.
    let iss = payload.get("iss").and_then(Value::as_str);
    let kid = sd_jwt.jwt.kid().map(|kid| crate::identifier::DidUrl::parse(&kid));
    let mut checks = vec![match (iss, kid) {
        (None, _) => Check::failed(CheckKind::IssuerKey, "no `iss`"),
        (_, None) => Check::failed(CheckKind::IssuerKey, "the JWS header names no `kid`"),
        (Some(_), Some(Err(e))) => {
            Check::failed(CheckKind::IssuerKey, format!("the `kid` is not a DID URL: {e}"))
        }
        (Some(iss), Some(Ok(url))) if url.did.as_str() != iss => {
            Check::failed(CheckKind::IssuerKey, format!("the `kid` {url} is not a key of the issuer `{iss}`"))
        }
        (Some(iss), Some(Ok(url))) => Check::passed(CheckKind::IssuerKey, format!("{url} is a key of {iss}")),
    }];
    if checks.iter().any(|c| c.outcome == Outcome::Failed) {
        return Ok(concealed(checks));
    }
    checks.extend(
        jose::verify_typed(&sd_jwt.jwt, resolver, ProofPurpose::AssertionMethod, &[sd_jwt_vc::DC_SD_JWT])
            .await?,
    );
    options.cancel.check()?;
    if checks.iter().any(|c| c.outcome == Outcome::Failed) {
        checks.push(Check::not_applicable(
            CheckKind::Disclosures,
            "not revealed: the issuer's signature does not hold",
        ));
        return Ok(concealed(checks));
    }
    let revealed = match sd_jwt.reveal_detailed(&options.limits) {
        Ok(revealed) => revealed,
        Err(sd_jwt::RevealError::Limit(e)) => return Err(e.into()),
        Err(reason) => {
            checks.push(Check::failed(CheckKind::Disclosures, reason.to_string()));
            return Ok(concealed(checks));
        }
    };
    options.limits.check_document(&revealed.document)?;
    checks.push(Check::passed(CheckKind::Disclosures, format!("{} disclosed", sd_jwt.disclosure_count())));
    checks.push(match revealed.document.get("vct") {
        Some(Value::String(vct)) if !vct.is_empty() => {
            Check::passed(CheckKind::CredentialType, format!("vct {vct}"))
        }
        _ => Check::failed(CheckKind::CredentialType, "no `vct` string"),
    });
    checks.extend(jwt_times(payload, payload, now, options.skew_seconds));
    let bound = sd_jwt.key_binding().is_some();
    if bound || options.challenge.is_some() || options.domain.is_some() {
        let expect = sd_jwt_vc::KeyBindingExpectations {
            nonce: options.challenge.clone(),
            aud: options.domain.clone(),
            now,
            skew_seconds: options.skew_seconds,
        };
        checks.push(match sd_jwt_vc::check_key_binding(sd_jwt, &expect) {
            Ok(detail) => Check::passed(CheckKind::KeyBinding, detail),
            Err(reason) => Check::failed(CheckKind::KeyBinding, reason.to_string()),
        });
        checks.push(replay_protection(options));
    } else {
        checks.push(Check::not_applicable(
            CheckKind::KeyBinding,
            "no key binding JWT (the credential as issued)",
        ));
    }
    let mut disclosed = revealed.placed.clone();
    disclosed.sort();
    let report = Report::new(DocumentKind::Credential, securing, checks).with_disclosed(Some(disclosed));
    let report = Report { withheld: Some(revealed.withheld), ..report };
    Ok(Verified { report, document: revealed.document, signers, credentials: Vec::new() })
}

async fn verify_cose<R: MethodResolver + ?Sized>(
    text: &str,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let now = options.now.unwrap_or_else(Utc::now);
    let cose = CoseCredential::parse_base64(text)?;
    options.limits.check_document(&cose.payload)?;
    let kind = DocumentKind::of(&cose.payload);
    let mut checks = vec![data_model_check(&cose.payload, None).await?];
    checks.extend(cose::verify(&cose, resolver, purpose_of(kind)).await?);
    let securing = Securing::Cose { alg: cose.alg().unwrap_or("unsupported").to_owned() };
    let signers = cose.kid().into_iter().collect();
    let kind = kind.unwrap_or(DocumentKind::Credential);
    Secured { covered: cose.payload.clone(), document: cose.payload, kind, securing, signers, checks }
        .finish(resolver, options, now)
        .await
}

fn purpose_of(kind: Option<DocumentKind>) -> ProofPurpose {
    match kind {
        Some(DocumentKind::Presentation) => ProofPurpose::Authentication,
        _ => ProofPurpose::AssertionMethod,
    }
}

fn expectations(
    kind: Option<DocumentKind>,
    options: &VerifyOptions,
    now: DateTime<Utc>,
) -> ProofExpectations {
    let presentation = kind == Some(DocumentKind::Presentation);
    ProofExpectations {
        purpose: purpose_of(kind),
        challenge: options.challenge.clone().filter(|_| presentation),
        domain: options.domain.clone().filter(|_| presentation),
        now,
        skew_seconds: options.skew_seconds,
    }
}

async fn verify_data_integrity<R: MethodResolver + ?Sized>(
    doc: &Value,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let now = options.now.unwrap_or_else(Utc::now);
    let kind = DocumentKind::of(doc);
    let proofs = proof::proofs_of(doc);
    let suites = proofs.iter().copied().map(Suite::of_proof).collect::<Result<Vec<_>, _>>()?;
    let signers = proofs
        .iter()
        .filter_map(|p| p.get("verificationMethod").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let unsecured = Unsecured::new(doc);
    // JCS proofs sign the JSON itself: the checks read it as given. RDFC proofs
    // sign only the RDF dataset (and an unsecured document is checked as
    // JSON-LD): the checks read the view derived from that dataset.
    let jcs_only = !suites.is_empty() && suites.iter().all(|s| s.canonicalization() == Canonicalization::Jcs);
    let (data_model, covered) = if jcs_only {
        (data_model_check(doc, None).await?, doc.clone())
    } else {
        rdfc_view(doc, &unsecured).await?
    };
    options.cancel.check()?;
    let mut checks = vec![data_model];
    checks.extend(proof::verify_proofs(doc, &unsecured, resolver, &expectations(kind, options, now)).await?);
    // A selectively disclosed credential: the claims disclosed, read from
    // what the proofs cover.
    let disclosed =
        suites.iter().any(|s| s.is_selective()).then(|| crate::selective::claim_pointers(&covered));
    let securing = if suites.is_empty() { Securing::None } else { Securing::DataIntegrity { suites } };
    let kind = DocumentKind::of(&covered).or(kind).unwrap_or(DocumentKind::Credential);
    let mut verified = Secured { document: doc.clone(), covered, kind, securing, signers, checks }
        .finish(resolver, options, now)
        .await?;
    // (A presentation's own proof discloses nothing; its credentials' lists stay.)
    if disclosed.is_some() {
        verified.report.disclosed = disclosed;
    }
    Ok(verified)
}

/// The data-model check of a document read as JSON-LD, and the view its
/// RDFC-1.0 dataset gives ([`crate::canon::covered_view`], with the proofs
/// as given). A document that is not valid JSON-LD, or whose JSON is
/// ambiguous, fails the check and keeps its JSON as given (its verdict is
/// invalid whatever else is read from it).
async fn rdfc_view(doc: &Value, unsecured: &Unsecured) -> Result<(Check, Value), Error> {
    if let Err(reason) = unsecured.canonical(Canonicalization::Rdfc).await? {
        let rules = credential::check_rules(doc);
        let reason = if rules.is_empty() { reason.to_string() } else { rules.join("; ") };
        return Ok((Check::failed(CheckKind::DataModel, reason), doc.clone()));
    }
    // A presentation's credentials are checked by their own proofs (each gets
    // its own view); the presentation's view is read without them.
    let mut own = unsecured.value().clone();
    let credentials = own.as_object_mut().and_then(|m| m.remove("verifiableCredential"));
    let mut view = match crate::canon::covered_view(&own).await {
        Ok(view) => view,
        Err(crate::canon::CanonError::Context(e)) => return Err(e),
        Err(reason) => return Ok((Check::failed(CheckKind::DataModel, reason.to_string()), doc.clone())),
    };
    // A credential under another spelling of `verifiableCredential` (its
    // IRI, a compact IRI, an alias) would not be verified as one, yet would
    // be read back into the view as one.
    if view.get("verifiableCredential").is_some() {
        let reason = "the presentation's credentials are not under the term `verifiableCredential`";
        return Ok((Check::failed(CheckKind::DataModel, reason), doc.clone()));
    }
    if let Value::Object(map) = &mut view {
        for (key, value) in [("verifiableCredential", credentials), ("proof", doc.get("proof").cloned())] {
            if let Some(value) = value {
                map.insert(key.into(), value);
            }
        }
    }
    Ok((data_model_check(&view, Some(unsecured)).await?, view))
}

async fn verify_jws<R: MethodResolver + ?Sized>(
    text: &str,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let now = options.now.unwrap_or_else(Utc::now);
    let jws = CompactJws::parse(text)?;
    options.limits.check_document(&jws.payload)?;
    let kind = DocumentKind::of(&jws.payload);
    let mut checks = vec![data_model_check(&jws.payload, None).await?];
    checks.extend(jose::verify(&jws, resolver, purpose_of(kind)).await?);
    checks.extend(jwt_times(&jws.payload, &jws.payload, now, options.skew_seconds));
    let alg = jws.header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
    let signers = jws.kid().into_iter().collect();
    let kind = kind.unwrap_or(DocumentKind::Credential);
    let securing = Securing::Jose { alg };
    Secured { covered: jws.payload.clone(), document: jws.payload, kind, securing, signers, checks }
        .finish(resolver, options, now)
        .await
}

/// The data-model rules, and when `expand` is given, JSON-LD expansion of the
/// unsecured document (undefined terms, protected-term redefinitions).
async fn data_model_check(doc: &Value, expand: Option<&Unsecured>) -> Result<Check, Error> {
    let version = match credential::version(doc) {
        Some(Version::V1) => "VC Data Model 1.1",
        _ => "VC Data Model 2.0",
    };
    let rules = credential::check_rules(doc);
    if !rules.is_empty() {
        return Ok(Check::failed(CheckKind::DataModel, rules.join("; ")));
    }
    Ok(match expand {
        None => Check::passed(CheckKind::DataModel, format!("{version} (JSON, not expanded as JSON-LD)")),
        Some(unsecured) => match unsecured.canonical(Canonicalization::Rdfc).await? {
            Ok(_) => Check::passed(CheckKind::DataModel, version),
            Err(reason) => Check::failed(CheckKind::DataModel, reason.to_string()),
        },
    })
}

/// The validity-period checks (`validFrom`/`validUntil`, or
/// `issuanceDate`/`expirationDate` in VCDM 1.1) at `now` with `skew` seconds.
pub fn validity_period(doc: &Value, now: DateTime<Utc>, skew_seconds: i64) -> Vec<Check> {
    if DocumentKind::of(doc) != Some(DocumentKind::Credential) {
        return Vec::new();
    }
    let skew = chrono::Duration::seconds(skew_seconds);
    let (from, until) = match credential::version(doc) {
        Some(Version::V1) => ("issuanceDate", "expirationDate"),
        _ => ("validFrom", "validUntil"),
    };
    let date = |f: &str| doc.get(f).and_then(Value::as_str).and_then(credential::parse_datetime);
    let stamp = crate::proof::xsd_datetime;
    let mut checks = Vec::new();
    checks.push(match date(from) {
        None => Check::not_applicable(CheckKind::ValidFrom, format!("no {from}")),
        Some(t) if t > now + skew => {
            Check::failed(CheckKind::ValidFrom, format!("not yet valid: {from} {}", stamp(t)))
        }
        Some(t) => Check::passed(CheckKind::ValidFrom, stamp(t)),
    });
    checks.push(match date(until) {
        None => Check::not_applicable(CheckKind::ValidUntil, format!("no {until}")),
        Some(t) if t < now - skew => {
            Check::failed(CheckKind::ValidUntil, format!("expired: {until} {}", stamp(t)))
        }
        Some(t) => Check::passed(CheckKind::ValidUntil, stamp(t)),
    });
    checks
}

/// The JWT time claims of `claims` (`exp`, `nbf`, `iat`: NumericDate seconds,
/// or an XSD dateTime)
/// at `now`, with [`JWT_CLOCK_SKEW_SECONDS`] (or `skew_seconds` when larger),
/// and against the validity period of `credential`: a token must not expire
/// before the credential is valid, nor start or be issued after it expired.
/// A claim that is absent adds no check.
/// See: <https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4>
pub fn jwt_times(claims: &Value, credential: &Value, now: DateTime<Utc>, skew_seconds: i64) -> Vec<Check> {
    let skew = chrono::Duration::seconds(skew_seconds.max(JWT_CLOCK_SKEW_SECONDS));
    let (from_field, until_field) = match credential::version(credential) {
        Some(Version::V1) => ("issuanceDate", "expirationDate"),
        _ => ("validFrom", "validUntil"),
    };
    let date = |f: &str| credential.get(f).and_then(Value::as_str).and_then(credential::parse_datetime);
    let (valid_from, valid_until) = (date(from_field), date(until_field));
    let stamp = crate::proof::xsd_datetime;
    let mut checks = Vec::new();
    for (claim, kind) in [
        ("exp", CheckKind::TokenExpires),
        ("nbf", CheckKind::TokenNotBefore),
        ("iat", CheckKind::TokenIssuedAt),
    ] {
        let Some(value) = claims.get(claim) else { continue };
        // A NumericDate may have a fraction (RFC 7519 §2); whole seconds suffice here.
        let seconds =
            value.as_i64().or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64));
        // The W3C VC-JOSE-COSE suite's inputs also write XSD dateTimes: read those too.
        let t = match seconds {
            Some(s) => DateTime::from_timestamp(s, 0),
            None => value.as_str().and_then(credential::parse_datetime),
        };
        let Some(t) = t else {
            checks.push(Check::failed(kind, format!("`{claim}` is not a NumericDate")));
            continue;
        };
        let failure = match kind {
            CheckKind::TokenExpires if t < now - skew => Some(format!("the token expired at {}", stamp(t))),
            CheckKind::TokenExpires => valid_from.filter(|from| t < *from).map(|from| {
                format!("the token expires at {}, before {from_field} {}", stamp(t), stamp(from))
            }),
            _ if t > now + skew => Some(format!("`{claim}` {} is in the future", stamp(t))),
            _ => valid_until
                .filter(|until| t > *until)
                .map(|until| format!("`{claim}` {} is after {until_field} {}", stamp(t), stamp(until))),
        };
        checks.push(match failure {
            Some(why) => Check::failed(kind, why),
            None => Check::passed(kind, format!("{claim} {}", stamp(t))),
        });
    }
    checks
}

/// Whether a presentation is protected against replay: a challenge was asked
/// for (the `challenge` check, or the verifier's `nonce` check for a
/// `vp+jwt`, says whether the proof carries it); else the check fails when
/// one is required and says that nothing prevents replay when the caller
/// accepted that.
fn replay_protection(options: &VerifyOptions) -> Check {
    match &options.challenge {
        Some(c) => Check::passed(CheckKind::ReplayProtection, format!("challenge `{c}` required")),
        None if options.require_challenge => Check::failed(
            CheckKind::ReplayProtection,
            "no challenge was given, and one is required: without it anyone who saw this presentation can replay it",
        ),
        None => Check::not_applicable(
            CheckKind::ReplayProtection,
            "no challenge was asked for (accepted by the caller): nothing prevents this presentation's replay",
        ),
    }
}

/// Verifies each credential of a presentation: one check each, and what each
/// verification returned.
async fn embedded_credentials<R: MethodResolver + ?Sized>(
    presentation: &Value,
    resolver: &R,
    options: &VerifyOptions,
) -> Result<(Vec<Check>, Vec<Verified>), Error> {
    let list = match presentation.get("verifiableCredential") {
        None => return Ok((Vec::new(), Vec::new())),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    };
    let inner = VerifyOptions { challenge: None, domain: None, ..options.clone() };
    let mut checks = Vec::new();
    let mut credentials = Vec::new();
    for (i, vc) in list.into_iter().enumerate() {
        let verified = Box::pin(verify(&Input::Json(vc), resolver, &inner)).await?;
        checks.push(match verified.report.failure() {
            None => Check::passed(CheckKind::EmbeddedCredential, format!("credential {i} valid")),
            Some(f) => Check::failed(
                CheckKind::EmbeddedCredential,
                format!("credential {i}: {} {}", f.check.name(), f.detail),
            ),
        });
        credentials.push(verified);
    }
    Ok((checks, credentials))
}
