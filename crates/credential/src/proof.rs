//! Data Integrity proofs: add a proof to a document, check the proofs on one.
//!
//! Signing (W3C VC Data Integrity, "Add Proof", and each suite's "Create Proof"):
//! 1. build the proof configuration (`type`, `cryptosuite`, `created`,
//!    `verificationMethod`, `proofPurpose`, `challenge`, `domain`, and the
//!    document's `@context`);
//! 2. canonicalize the document without its `proof` and the configuration
//!    (RDFC-1.0 or JCS, per suite; RDFC-1.0 uses the suite's hash inside);
//! 3. hash each (SHA-256; SHA-384 for ECDSA with P-384: [`Suite::hash_algorithm`])
//!    and sign `hash(config) ‖ hash(doc)`;
//! 4. encode the signature as multibase in `proofValue`: base58btc, or
//!    base64url for the ML-DSA suites ([`Suite::proof_value_base`]).
//!
//! Verifying runs the same steps on the received proof and records each check
//! (purpose, key authorisation, dates, challenge, domain, signature) in the
//! report. See: <https://www.w3.org/TR/vc-data-integrity/>

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::canon::{self, CanonError, HashAlgorithm};
use crate::did::{MethodResolver, ProofPurpose};
use crate::error::Error;
use crate::key::SecretKey;
use crate::report::{Check, CheckKind};
use crate::selective::JsonPointer;
use crate::suite::{Canonicalization, Suite};

/// What a new proof says about itself.
#[derive(Clone, Debug)]
pub struct ProofOptions {
    /// The suite, named explicitly.
    pub suite: Suite,
    /// The verification method id (a DID URL) of the signing key.
    pub verification_method: String,
    /// Why the proof was made.
    pub proof_purpose: ProofPurpose,
    /// When; defaults to now, without fractions of a second.
    pub created: Option<DateTime<Utc>>,
    /// Verifier's challenge (presentations).
    pub challenge: Option<String>,
    /// Verifier's domain (presentations).
    pub domain: Option<String>,
    /// An `id` for the new proof, so later proofs can chain to it.
    pub id: Option<String>,
    /// Ids of existing proofs this one chains to (`previousProof`): the new
    /// proof then also signs them.
    pub previous_proof: Vec<String>,
    /// For `ecdsa-sd-2023`: what every derived credential discloses.
    pub mandatory_pointers: Vec<JsonPointer>,
}

/// The suite a signer names and what it needs besides a key: for
/// `ecdsa-sd-2023`, the mandatory pointers. A [`Suite`] converts into it
/// with none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteOptions {
    /// The suite.
    pub suite: Suite,
    /// For `ecdsa-sd-2023`: what every derived credential discloses.
    pub mandatory_pointers: Vec<JsonPointer>,
}

impl From<Suite> for SuiteOptions {
    fn from(suite: Suite) -> Self {
        Self { suite, mandatory_pointers: Vec::new() }
    }
}

impl SuiteOptions {
    /// Options for an issuer's assertion proof with this suite.
    pub fn assertion(&self, verification_method: impl Into<String>) -> ProofOptions {
        ProofOptions {
            mandatory_pointers: self.mandatory_pointers.clone(),
            ..ProofOptions::assertion(self.suite, verification_method)
        }
    }
}

impl ProofOptions {
    /// Options for an issuer's assertion proof.
    pub fn assertion(suite: Suite, verification_method: impl Into<String>) -> Self {
        Self {
            suite,
            verification_method: verification_method.into(),
            proof_purpose: ProofPurpose::AssertionMethod,
            created: None,
            challenge: None,
            domain: None,
            id: None,
            previous_proof: Vec::new(),
            mandatory_pointers: Vec::new(),
        }
    }
}

/// What a verifier expects of the proofs it checks.
#[derive(Clone, Debug)]
pub struct ProofExpectations {
    /// The purpose the proof must state and its key must be authorised for.
    pub purpose: ProofPurpose,
    /// The challenge the proof must carry, if any.
    pub challenge: Option<String>,
    /// The domain the proof must carry, if any.
    pub domain: Option<String>,
    /// The time proofs are judged at (`created` not in the future, `expires` not
    /// past), with the allowed clock skew.
    pub now: DateTime<Utc>,
    /// Allowed clock skew, in seconds.
    pub skew_seconds: i64,
}

/// The canonical form `suite` hashes for `value` when signing with a key of
/// `key_type` (which picks RDFC-1.0's hash: [`Suite::hash_algorithm`]).
pub async fn canonical_form(
    suite: Suite,
    key_type: crate::key::KeyType,
    value: &Value,
) -> Result<String, CanonError> {
    match suite.canonicalization() {
        Canonicalization::Jcs => canon::jcs(value),
        Canonicalization::Rdfc => canon::rdfc_with(value, suite.hash_algorithm(key_type)).await,
    }
}

/// The bytes a proof signs: `hash(canonical config) ‖ hash(canonical document)`.
pub async fn hash_data(
    suite: Suite,
    key_type: crate::key::KeyType,
    config: &Value,
    unsecured: &Value,
) -> Result<Vec<u8>, CanonError> {
    let config_c = canonical_form(suite, key_type, config).await?;
    let doc_c = canonical_form(suite, key_type, unsecured).await?;
    let mut out = suite.hash(key_type, config_c.as_bytes());
    out.extend(suite.hash(key_type, doc_c.as_bytes()));
    Ok(out)
}

/// Formats a time as an XSD dateTime in UTC without fractions.
pub fn xsd_datetime(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Adds a proof to `document` (a JSON object). An existing `proof` becomes a
/// proof set with the new one appended. With [`Suite::EcdsaSd2023`] this is
/// a base proof ([`crate::ecdsa_sd::add_base_proof`]) with the options'
/// mandatory pointers, and with [`Suite::Bbs2023`] likewise
/// ([`crate::bbs::add_base_proof`]).
pub async fn add_proof(document: &Value, key: &SecretKey, options: &ProofOptions) -> Result<Value, Error> {
    let suite = options.suite;
    match suite {
        Suite::EcdsaSd2023 => return crate::ecdsa_sd::add_base_proof(document, key, options).await,
        Suite::Bbs2023 => return crate::bbs::add_base_proof(document, key, options).await,
        _ => {}
    }
    let (unsecured, existing) = unsecured_for(document, key, options)?;
    let all: Vec<&Value> = match &existing {
        Some(Value::Array(set)) => set.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let matching = matching_proofs(&all, &options.previous_proof)
        .map_err(|_| Error::Unsignable("`previousProof` names a proof the document does not have"))?;
    let config = configuration(options, &unsecured);
    let mut input = unsecured.clone();
    if !matching.is_empty() {
        input.insert("proof".into(), Value::Array(matching));
    }
    let data = hash_data(suite, key.key_type(), &Value::Object(config.clone()), &Value::Object(input))
        .await
        .map_err(signing_error)?;
    let signature = key.sign(&data);
    let proof_value = multibase::encode(suite.proof_value_base(), signature);
    Ok(attach(unsecured, existing, finish_proof(config, suite, proof_value)))
}

/// The document to sign without its proofs (with the suite's context added
/// for RDFC suites), and the proofs it had; refuses a key of the wrong type
/// and a document that is not an object.
pub(crate) fn unsecured_for(
    document: &Value,
    key: &SecretKey,
    options: &ProofOptions,
) -> Result<(Map<String, Value>, Option<Value>), Error> {
    let suite = options.suite;
    if !suite.accepts(key.key_type()) {
        return Err(Error::KeyMismatch { suite: suite.name(), key_type: key.key_type() });
    }
    let Value::Object(doc) = document else {
        return Err(Error::Unsignable("the document is not a JSON object"));
    };
    let mut unsecured = doc.clone();
    let existing = unsecured.remove("proof");
    if suite.canonicalization() == Canonicalization::Rdfc {
        add_suite_context(&mut unsecured, suite);
    }
    Ok((unsecured, existing))
}

/// A canonicalization failure while signing, as the engine's error.
pub(crate) fn signing_error(e: CanonError) -> Error {
    match e {
        CanonError::Context(e) => e,
        other => Error::JsonLd(other.to_string()),
    }
}

/// The proof configuration of `options` for `unsecured`, with the
/// document's `@context`.
pub(crate) fn configuration(options: &ProofOptions, unsecured: &Map<String, Value>) -> Map<String, Value> {
    let suite = options.suite;
    let mut config = Map::new();
    if let Some(id) = &options.id {
        config.insert("id".into(), id.clone().into());
    }
    config.insert("type".into(), suite.proof_type().into());
    if let Some(cs) = suite.cryptosuite() {
        config.insert("cryptosuite".into(), cs.into());
    }
    let created = options.created.unwrap_or_else(Utc::now);
    config.insert("created".into(), xsd_datetime(created).into());
    config.insert("verificationMethod".into(), options.verification_method.clone().into());
    config.insert("proofPurpose".into(), options.proof_purpose.name().into());
    if let Some(c) = &options.challenge {
        config.insert("challenge".into(), c.clone().into());
    }
    if let Some(d) = &options.domain {
        config.insert("domain".into(), d.clone().into());
    }
    match options.previous_proof.as_slice() {
        [] => {}
        [one] => {
            config.insert("previousProof".into(), one.clone().into());
        }
        many => {
            config.insert("previousProof".into(), many.to_vec().into());
        }
    }
    if let Some(ctx) = unsecured.get("@context") {
        config.insert("@context".into(), ctx.clone());
    }
    config
}

/// The proof from its configuration and `proofValue`: RDFC proofs inherit
/// the document's context, JCS proofs keep it.
pub(crate) fn finish_proof(mut config: Map<String, Value>, suite: Suite, proof_value: String) -> Value {
    if suite.canonicalization() == Canonicalization::Rdfc {
        config.remove("@context");
    }
    config.insert("proofValue".into(), proof_value.into());
    Value::Object(config)
}

/// The secured document: `unsecured` with `proof`, appended to the proofs
/// it had.
pub(crate) fn attach(mut unsecured: Map<String, Value>, existing: Option<Value>, proof: Value) -> Value {
    let proof = match existing {
        None => proof,
        Some(Value::Array(mut set)) => {
            set.push(proof);
            Value::Array(set)
        }
        Some(other) => Value::Array(vec![other, proof]),
    };
    unsecured.insert("proof".into(), proof);
    Value::Object(unsecured)
}

/// The context that defines a suite's proof terms, unless the document's
/// contexts already do (credentials v2 includes Data Integrity).
fn suite_context(suite: Suite) -> &'static str {
    match suite {
        Suite::Ed25519Signature2020 => "https://w3id.org/security/suites/ed25519-2020/v1",
        _ => "https://w3id.org/security/data-integrity/v2",
    }
}

/// RDFC proofs are canonicalized under the document's contexts, so those must
/// define the proof's terms: add the suite's context when none does (as the
/// Data Integrity "add proof" algorithm allows), e.g. to a VCDM 1.1 credential.
fn add_suite_context(document: &mut Map<String, Value>, suite: Suite) {
    let wanted = suite_context(suite);
    let covered = |ctx: &Value| {
        let s = ctx.as_str().unwrap_or_default();
        s == wanted
            || (suite != Suite::Ed25519Signature2020
                && (s == crate::credential::V2_CONTEXT || s == "https://w3id.org/security/data-integrity/v1"))
    };
    let Some(context) = document.get_mut("@context") else { return };
    let already = match &*context {
        Value::Array(list) => list.iter().any(covered),
        single => covered(single),
    };
    if already {
        return;
    }
    match context {
        Value::Array(list) => list.push(wanted.into()),
        single => *single = Value::Array(vec![single.clone(), wanted.into()]),
    }
}

/// The proofs named by `previousProof` ids, in the order named; `Err` with the
/// first id no proof has.
fn matching_proofs(all: &[&Value], ids: &[String]) -> Result<Vec<Value>, String> {
    ids.iter()
        .map(|id| {
            all.iter()
                .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
                .map(|p| (*p).clone())
                .ok_or_else(|| id.clone())
        })
        .collect()
}

fn previous_proof_ids(proof: &Value) -> Option<Vec<String>> {
    match proof.get("previousProof") {
        None => Some(Vec::new()),
        Some(Value::String(id)) => Some(vec![id.clone()]),
        Some(Value::Array(ids)) => ids.iter().map(|i| i.as_str().map(str::to_owned)).collect(),
        Some(_) => None,
    }
}

/// The proofs of a secured document (one object or a proof set).
pub fn proofs_of(document: &Value) -> Vec<&Value> {
    match document.get("proof") {
        Some(Value::Array(set)) => set.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    }
}

/// A secured document with its proofs taken off, and its canonical forms,
/// each computed at most once however many proofs (and checks) need it.
#[derive(Debug)]
pub struct Unsecured {
    value: Value,
    rdfc: std::cell::OnceCell<Result<String, CanonError>>,
    rdfc_sha384: std::cell::OnceCell<Result<String, CanonError>>,
    jcs: std::cell::OnceCell<Result<String, CanonError>>,
}

impl Unsecured {
    /// `document` without its `proof` member.
    pub fn new(document: &Value) -> Self {
        let mut value = document.clone();
        if let Value::Object(map) = &mut value {
            map.remove("proof");
        }
        Self::new_with_proofs(value)
    }

    /// A document to hash as it is, `proof` member included (proof chains).
    fn new_with_proofs(value: Value) -> Self {
        Self { value, rdfc: Default::default(), rdfc_sha384: Default::default(), jcs: Default::default() }
    }

    /// The document without proofs.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Its canonical form under `canonicalization` (RDFC-1.0 with SHA-256).
    /// An unknown context is an [`Error`] (the document could not be
    /// checked); any other reason the document has no canonical form (not
    /// valid JSON-LD under its contexts, not representable in JCS, RDFC-1.0's
    /// work budget exceeded) is the inner error, for a failed check.
    pub async fn canonical(
        &self,
        canonicalization: Canonicalization,
    ) -> Result<Result<&str, &CanonError>, Error> {
        self.canonical_hashed(canonicalization, HashAlgorithm::Sha256).await
    }

    /// As [`Unsecured::canonical`], with `hash` as RDFC-1.0's hash (JCS
    /// ignores it).
    pub async fn canonical_hashed(
        &self,
        canonicalization: Canonicalization,
        hash: HashAlgorithm,
    ) -> Result<Result<&str, &CanonError>, Error> {
        let cell = match (canonicalization, hash) {
            (Canonicalization::Rdfc, HashAlgorithm::Sha384) => &self.rdfc_sha384,
            (Canonicalization::Rdfc, _) => &self.rdfc,
            (Canonicalization::Jcs, _) => &self.jcs,
        };
        if cell.get().is_none() {
            let computed = match canonicalization {
                Canonicalization::Rdfc => canon::rdfc_with(&self.value, hash).await,
                Canonicalization::Jcs => canon::jcs(&self.value),
            };
            if let Err(CanonError::Context(e)) = computed {
                return Err(e);
            }
            let _ = cell.set(computed);
        }
        Ok(cell.get().expect("set above").as_ref().map(String::as_str))
    }
}

/// Checks every proof on `document`; returns one [`Check`] per property
/// checked. A document without a proof gets a failed `proof` check.
pub async fn verify_proofs<R: MethodResolver + ?Sized>(
    document: &Value,
    unsecured: &Unsecured,
    resolver: &R,
    expect: &ProofExpectations,
) -> Result<Vec<Check>, Error> {
    let proofs = proofs_of(document);
    if proofs.is_empty() {
        return Ok(vec![Check::failed(CheckKind::Proof, "the document has no proof")]);
    }
    // Verify Proof Sets and Chains: a proof with `previousProof` signed the
    // document with the proofs it names (as a `proof` array).
    let mut checks = Vec::new();
    for proof in &proofs {
        let Some(ids) = previous_proof_ids(proof) else {
            checks.push(Check::failed(CheckKind::Proof, "`previousProof` is not an id or a list of ids"));
            continue;
        };
        if ids.is_empty() {
            checks.extend(verify_one(unsecured, proof, resolver, expect).await?);
            continue;
        }
        match matching_proofs(&proofs, &ids) {
            Err(missing) => checks.push(Check::failed(
                CheckKind::Proof,
                format!("`previousProof` names `{missing}`, which the document does not have"),
            )),
            Ok(matching) => {
                let mut chained = unsecured.value().clone();
                chained["proof"] = Value::Array(matching);
                let chained = Unsecured::new_with_proofs(chained);
                checks.extend(verify_one(&chained, proof, resolver, expect).await?);
            }
        }
    }
    Ok(checks)
}

async fn verify_one<R: MethodResolver + ?Sized>(
    unsecured: &Unsecured,
    proof: &Value,
    resolver: &R,
    expect: &ProofExpectations,
) -> Result<Vec<Check>, Error> {
    let suite = Suite::of_proof(proof)?;
    let mut checks =
        vec![Check::passed(CheckKind::Proof, format!("suite {suite}")).with_security(suite.security())];
    let Some(Value::Object(proof)) = Some(proof) else {
        return Ok(vec![Check::failed(CheckKind::Proof, "the proof is not a JSON object")]);
    };
    // The proof's options are signed as RDF, but read here as JSON: a key
    // spelled as an IRI or a compact IRI (`sec:expiration`) would be signed
    // yet not read (an expired proof passing as one without `expires`). So a
    // proof holds the Data Integrity properties by their terms, and nothing
    // else.
    if let Some(key) = proof.keys().find(|k| !PROOF_PROPERTIES.contains(&k.as_str())) {
        checks[0] = Check::failed(
            CheckKind::Proof,
            format!(
                "the proof has `{key}`, which is not a Data Integrity proof property written as its term"
            ),
        );
        return Ok(checks);
    }
    let text = |name: &str| proof.get(name).and_then(Value::as_str);
    let (Some(vm_id), Some(purpose), Some(proof_value)) =
        (text("verificationMethod"), text("proofPurpose"), text("proofValue"))
    else {
        checks[0] =
            Check::failed(CheckKind::Proof, "the proof lacks verificationMethod, proofPurpose or proofValue")
                .with_security(suite.security());
        return Ok(checks);
    };

    // Purpose, challenge, domain, dates: what the proof says of itself.
    if purpose != expect.purpose.name() {
        checks.push(Check::failed(
            CheckKind::ProofPurpose,
            format!("proof purpose is `{purpose}`, expected `{}`", expect.purpose),
        ));
    }
    checks.extend(expected_value(CheckKind::Challenge, text("challenge"), expect.challenge.as_deref()));
    checks.extend(expected_value(CheckKind::Domain, text("domain"), expect.domain.as_deref()));
    checks.extend(proof_dates(proof, expect));

    // The key: resolved, of the suite's type, authorised for the purpose.
    let Some(method) = crate::did::authorised_method(resolver, vm_id, expect.purpose, &mut checks).await?
    else {
        return Ok(checks);
    };
    let key_type = method.key.key_type();
    if !suite.accepts(key_type) {
        checks.push(Check::failed(CheckKind::Signature, format!("{suite} does not use {key_type} keys")));
        return Ok(checks);
    }
    if suite.is_selective() {
        let mut config = proof.clone();
        config.remove("proofValue");
        let (document, key, id) = (unsecured.value(), &method.key, &method.id);
        checks.push(if suite == Suite::Bbs2023 {
            crate::bbs::verify_derived(document, config, proof_value, key, id).await?
        } else {
            crate::ecdsa_sd::verify_derived(document, config, proof_value, key, id).await?
        });
        return Ok(checks);
    }

    // The signature over hash(config) ‖ hash(document).
    let mut config = proof.clone();
    config.remove("proofValue");
    let doc_context = unsecured.value().get("@context");
    let mut replaced_context = None;
    match suite.canonicalization() {
        Canonicalization::Rdfc => {
            if let Some(ctx) = doc_context {
                config.insert("@context".into(), ctx.clone());
            }
        }
        Canonicalization::Jcs => {
            if let Some(proof_ctx) = config.get("@context") {
                if !context_prefix(doc_context, proof_ctx) {
                    checks.push(Check::failed(
                        CheckKind::Signature,
                        "the proof's @context does not match the document's",
                    ));
                    return Ok(checks);
                }
                if doc_context != Some(proof_ctx) {
                    // The proof covers the document under the proof's context list.
                    let mut value = unsecured.value().clone();
                    value["@context"] = proof_ctx.clone();
                    replaced_context = Some(Unsecured::new_with_proofs(value));
                }
            } else if let Some(ctx) = doc_context {
                // "Set proofConfig.@context to unsecuredDocument.@context"
                // (the suites' Proof Configuration): a proof that does not
                // repeat the context was still made over it, as the
                // quantum-safe suites' vectors are.
                config.insert("@context".into(), ctx.clone());
            }
        }
    }
    let document = replaced_context.as_ref().unwrap_or(unsecured);
    let config_c = match canonical_form(suite, key_type, &Value::Object(config)).await {
        Ok(c) => c,
        Err(CanonError::Context(e)) => return Err(e),
        Err(other) => {
            checks.push(Check::failed(CheckKind::Signature, format!("proof configuration: {other}")));
            return Ok(checks);
        }
    };
    let doc_c =
        match document.canonical_hashed(suite.canonicalization(), suite.hash_algorithm(key_type)).await? {
            Ok(c) => c,
            Err(reason) => {
                checks.push(Check::failed(CheckKind::Signature, format!("document: {reason}")));
                return Ok(checks);
            }
        };
    let mut data = suite.hash(key_type, config_c.as_bytes());
    data.extend(suite.hash(key_type, doc_c.as_bytes()));
    let signature = match multibase::decode(proof_value) {
        Ok((base, bytes)) if base == suite.proof_value_base() => bytes,
        _ => {
            let base = match suite.proof_value_base() {
                multibase::Base::Base64Url => "base64url",
                _ => "base58btc",
            };
            checks.push(Check::failed(CheckKind::Signature, format!("proofValue is not {base} multibase")));
            return Ok(checks);
        }
    };
    checks.push(match method.key.verify(&data, &signature) {
        Ok(()) => Check::passed(CheckKind::Signature, format!("{key_type} signature by {}", method.id)),
        Err(_) => Check::failed(CheckKind::Signature, format!("the {suite} signature does not verify")),
    });
    Ok(checks)
}

fn expected_value(kind: CheckKind, found: Option<&str>, wanted: Option<&str>) -> Option<Check> {
    match (wanted, found) {
        (None, _) => None,
        (Some(w), Some(f)) if w == f => Some(Check::passed(kind, format!("`{f}`"))),
        (Some(w), Some(f)) => Some(Check::failed(kind, format!("is `{f}`, expected `{w}`"))),
        (Some(w), None) => Some(Check::failed(kind, format!("missing, expected `{w}`"))),
    }
}

/// The properties a Data Integrity proof may have, as the terms of the
/// Data Integrity context (<https://www.w3.org/TR/vc-data-integrity/#proofs>).
const PROOF_PROPERTIES: [&str; 13] = [
    "@context",
    "id",
    "type",
    "cryptosuite",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
    "created",
    "expires",
    "challenge",
    "domain",
    "nonce",
    "previousProof",
];

fn proof_dates(proof: &Map<String, Value>, expect: &ProofExpectations) -> Vec<Check> {
    let skew = chrono::Duration::seconds(expect.skew_seconds);
    let mut checks = Vec::new();
    for (name, kind) in [("created", CheckKind::ProofCreated), ("expires", CheckKind::ProofExpires)] {
        let Some(value) = proof.get(name) else { continue };
        let Some(t) = value.as_str().and_then(crate::credential::parse_datetime) else {
            checks.push(Check::failed(kind, format!("`{name}` is not an XSD dateTime")));
            continue;
        };
        let bad = match kind {
            CheckKind::ProofCreated => t > expect.now + skew,
            _ => t < expect.now - skew,
        };
        checks.push(if bad {
            Check::failed(kind, format!("{name} {}", xsd_datetime(t)))
        } else {
            Check::passed(kind, xsd_datetime(t))
        });
    }
    checks
}

fn context_prefix(document: Option<&Value>, proof: &Value) -> bool {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    match document {
        None => false,
        Some(doc) => {
            let doc = as_list(doc);
            let proof = as_list(proof);
            doc.len() >= proof.len() && doc.iter().zip(&proof).all(|(a, b)| a == b)
        }
    }
}
