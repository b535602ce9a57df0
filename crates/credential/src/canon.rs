//! The two canonical forms Data Integrity suites hash.
//!
//! - [`rdfc`] / [`rdfc_with`]: RDF Dataset Canonicalization (RDFC-1.0) of the
//!   JSON-LD document, serialised as sorted N-Quads. Steps: check the contexts
//!   are bundled → take the processed top-level context from the cache
//!   (processing it once per distinct `@context`) → expand the rest of the
//!   document with it, rejecting undefined terms → label blank nodes → RDF
//!   quads → RDFC-1.0 (the `rdf-canon` crate, with the hash the suite names:
//!   SHA-256, or SHA-384 for ECDSA with P-384) → N-Quads.
//! - [`jcs`]: the JSON Canonicalization Scheme (RFC 8785).
//!
//! # Work budget
//!
//! RDFC-1.0 can be made to do exponential work by a small "poison" graph (a
//! clique of blank nodes that share first-degree hashes): its Hash N-Degree
//! Quads algorithm recurses over every permutation of them. As the spec
//! requires, canonicalisation here stops after [`HNDQ_CALL_LIMIT`] calls to
//! Hash N-Degree Quads with [`CanonError::Budget`]. Credentials whose blank
//! nodes all have distinct first-degree hashes need no call at all; a few
//! look-alike nodes (two identical addresses, say) need a handful.
//!
//! See: <https://www.w3.org/TR/rdf-canon/>, <https://www.w3.org/TR/rdf-canon/#dataset-poisoning>,
//! <https://www.rfc-editor.org/rfc/rfc8785>
//!
//! ```
//! use didam_credential::canon::{self, HashAlgorithm};
//! use serde_json::json;
//!
//! let doc = json!({
//!     "@context": "https://www.w3.org/ns/credentials/v2",
//!     "type": "VerifiableCredential",
//!     "credentialSubject": {"name": "Alice"}
//! });
//! let sha256 = futures::executor::block_on(canon::rdfc(&doc)).unwrap();
//! assert!(sha256.starts_with("_:c14n0 "));
//! let sha384 = futures::executor::block_on(canon::rdfc_with(&doc, HashAlgorithm::Sha384)).unwrap();
//! assert_eq!(sha384.lines().count(), sha256.lines().count());
//! ```

use std::sync::Arc;

use serde_json::{Map, Value};
use ssi::json_ld::{
    self, Expand as _, RdfQuads as _,
    expansion::{Action, Options, Policy},
    syntax::Value as LdValue,
};
use ssi::rdf::{LexicalQuad, generator};

use crate::contexts::{BundledLoader, ContextCache, check_contexts};
use crate::error::Error;
use crate::expand::Node;

/// Why a document has no canonical form.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CanonError {
    /// A context is not bundled (see [`crate::contexts`]).
    #[error(transparent)]
    Context(Error),
    /// The document is not valid JSON-LD under its contexts (for example a
    /// term no context defines: it would not be covered by the signature).
    #[error("not valid JSON-LD: {0}")]
    JsonLd(String),
    /// The document is not valid for JCS (RFC 8785), e.g. a number JCS cannot
    /// represent.
    #[error("not representable in JCS: {0}")]
    Jcs(String),
    /// The JSON cannot be read back unambiguously from the dataset a proof
    /// covers (see [`covered_view`]): refused rather than guessed.
    #[error("the JSON is ambiguous: {0}")]
    Ambiguous(String),
    /// RDFC-1.0 ran out of its work budget ([`HNDQ_CALL_LIMIT`] calls to Hash
    /// N-Degree Quads): the document's blank nodes form a graph too costly to
    /// canonicalise (a poison graph), so it has no canonical form here.
    #[error(
        "RDFC-1.0 canonicalisation stopped: it exceeded its work budget of {limit} Hash N-Degree Quads calls (a poison graph of look-alike blank nodes)"
    )]
    Budget {
        /// The limit that was reached.
        limit: usize,
        /// What the canonicaliser reported.
        #[source]
        source: rdf_canon::CanonicalizationError,
    },
    /// RDFC-1.0 failed for another reason (an inconsistency the canonicaliser
    /// reports; not expected for datasets built from JSON-LD).
    #[error("RDFC-1.0 canonicalisation failed")]
    Rdfc(#[source] rdf_canon::CanonicalizationError),
}

/// The most calls to RDFC-1.0's Hash N-Degree Quads algorithm one
/// canonicalisation may make before it stops with [`CanonError::Budget`].
///
/// RDFC-1.0 (section "Dataset Poisoning") asks implementations to bound this
/// work. Typical credentials make no call (every blank node has a unique
/// first-degree hash) or a handful (a few look-alike nodes); 256 leaves room
/// for a few dozen look-alike nodes while a poison graph (a clique of blank
/// nodes) stops after milliseconds of work.
pub const HNDQ_CALL_LIMIT: usize = 256;

/// The hash RDFC-1.0 uses inside (for blank-node labels) and a suite uses on
/// the canonical forms: ECDSA suites with P-384 use SHA-384 for both, every
/// other suite SHA-256.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#transformation-ecdsa-rdfc-2019>
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl HashAlgorithm {
    /// The digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Self::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(bytes).to_vec(),
        }
    }
}

/// Refuses a document with a key or string whose percent-encoded bytes
/// (`%XX`) do not decode to UTF-8: such a string can become an IRI (a term
/// expanded against `@vocab`, an `@id`), and the JSON-LD stack's IRI type
/// (`pct-str` 2, through `iref`) panics when it hashes or compares one. One
/// iterative walk, before any JSON-LD processing.
fn check_percent_encoding(document: &Value) -> Result<(), CanonError> {
    fn decodes(s: &str) -> bool {
        if !s.contains('%') {
            return true;
        }
        let hex = |b: u8| (b as char).to_digit(16);
        let bytes = s.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let (Some(&hi), Some(&lo)) = (bytes.get(i + 1), bytes.get(i + 2))
                && let (Some(hi), Some(lo)) = (hex(hi), hex(lo))
            {
                // Two hex digits: at most 0xff.
                decoded.push(u8::try_from(hi * 16 + lo).unwrap_or(u8::MAX));
                i += 3;
            } else {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
        std::str::from_utf8(&decoded).is_ok()
    }
    let mut stack = vec![document];
    while let Some(value) = stack.pop() {
        let bad = match value {
            Value::String(s) => (!decodes(s)).then_some(s),
            Value::Array(items) => {
                stack.extend(items);
                None
            }
            Value::Object(map) => {
                stack.extend(map.values());
                map.keys().find(|k| !decodes(k))
            }
            _ => None,
        };
        if let Some(bad) = bad {
            let shown: String = bad.chars().take(64).collect();
            return Err(CanonError::JsonLd(format!(
                "`{shown}` holds percent-encoded bytes that are not UTF-8, so it is no IRI"
            )));
        }
    }
    Ok(())
}

/// RFC 8785 canonical JSON.
pub fn jcs(value: &Value) -> Result<String, CanonError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| CanonError::Jcs(e.to_string()))
}

/// The document without its `@context`, and the processed context.
async fn prepare(document: &Value) -> Result<(Map<String, Value>, Option<Arc<Node>>), CanonError> {
    check_contexts(document).map_err(CanonError::Context)?;
    check_percent_encoding(document)?;
    let Value::Object(map) = document else {
        return Err(CanonError::JsonLd("document is not a JSON object".into()));
    };
    let mut body = map.clone();
    let root = match body.remove("@context") {
        Some(ctx) => Some(ContextCache::global().get(&ctx).await.map_err(CanonError::JsonLd)?),
        None => None,
    };
    Ok((body, root))
}

/// RDFC-1.0 canonical N-Quads of a compacted JSON-LD document, with SHA-256
/// as RDFC-1.0's hash (what every suite but ECDSA with P-384 uses, and what
/// the dataset comparisons here use: the hash only picks blank-node labels).
pub async fn rdfc(document: &Value) -> Result<String, CanonError> {
    rdfc_with(document, HashAlgorithm::Sha256).await
}

/// RDFC-1.0 canonical N-Quads of a compacted JSON-LD document, with `hash` as
/// RDFC-1.0's hash algorithm, within the work budget ([`HNDQ_CALL_LIMIT`]).
pub async fn rdfc_with(document: &Value, hash: HashAlgorithm) -> Result<String, CanonError> {
    let (body, root) = prepare(document).await?;
    if let Some(root) = &root
        && let Some(quads) = crate::expand::quads(&body, root.clone()).await
    {
        return normalize(&quads, hash);
    }
    general(body, root, hash).await
}

/// The document as the RDF dataset its RDFC proofs cover says it, for the
/// checks to read: the document is expanded (JSON-LD 1.1), then compacted again
/// against its own URL contexts, in order (inline contexts are dropped, so
/// aliases and redefinitions they make do not reach the checks), with
/// compacted arrays and absolute IRIs; the result must canonicalize to the
/// same dataset as `document`. Any JSON-LD spelling of the same dataset
/// (arrays or single values, full IRIs or terms, `@type` or `type`, inline
/// contexts, key order, value objects) gives the same view.
///
/// [`CanonError::Ambiguous`] when the dataset does not read back as one
/// top-level node, or the view is not the same dataset.
/// See: <https://www.w3.org/TR/json-ld11-api/#compaction-algorithm>
pub async fn covered_view(document: &Value) -> Result<Value, CanonError> {
    let (body, root) = prepare(document).await?;
    let urls: Vec<Value> = match document.get("@context") {
        Some(Value::Array(items)) => items.iter().filter(|c| c.is_string()).cloned().collect(),
        Some(one @ Value::String(_)) => vec![one.clone()],
        _ => return Err(CanonError::Ambiguous("the document names no context URL".into())),
    };
    let context = Value::Array(urls);
    let expanded = expand(body, root).await?;
    let Value::Object(mut view) = compact(expanded, &context).await? else {
        return Err(CanonError::Ambiguous("the document is not one JSON-LD node".into()));
    };
    if view.contains_key("@graph") {
        return Err(CanonError::Ambiguous("the document holds more than one top-level node".into()));
    }
    // Compaction writes a node reference under an `@id`-typed term as a bare
    // IRI; the data model's rules want the subject as the object it was
    // signed as (`{"id": …}`). The equality check below proves the spelling
    // keeps the dataset.
    if let Some(subject) = view.get_mut("credentialSubject") {
        let as_node = |v: &mut Value| {
            if let Value::String(iri) = v {
                *v = serde_json::json!({ "id": iri });
            }
        };
        match subject {
            Value::Array(items) => items.iter_mut().for_each(as_node),
            one => as_node(one),
        }
    }
    view.insert("@context".into(), context);
    let view = Value::Object(view);
    if rdfc(&view).await? != rdfc(document).await? {
        return Err(CanonError::Ambiguous("its compacted form is not the same RDF dataset".into()));
    }
    Ok(view)
}

/// `expanded` compacted against `context` (JSON-LD 1.1 compaction with
/// compacted arrays and absolute IRIs), without an `@context` member.
async fn compact(expanded: json_ld::ExpandedDocument, context: &Value) -> Result<Value, CanonError> {
    use json_ld::Compact as _;
    let processed = ContextCache::global().get(context).await.map_err(CanonError::JsonLd)?;
    let syntax = <json_ld::syntax::Context as json_ld::syntax::TryFromJson>::try_from_json(
        LdValue::from_serde_json(context.clone()),
    )
    .map_err(|e| CanonError::JsonLd(e.to_string()))?;
    let options = json_ld::compaction::Options {
        compact_to_relative: false,
        compact_arrays: true,
        ordered: true,
        ..Default::default()
    };
    let compacted = expanded
        .compact_full(
            &mut (),
            json_ld::context_processing::ProcessedRef::new(&syntax, processed.context()),
            &BundledLoader,
            options,
        )
        .await
        .map_err(|e| CanonError::Ambiguous(format!("compaction failed: {e}")))?;
    let mut compacted = compacted.into_serde_json();
    if let Value::Object(map) = &mut compacted {
        map.remove("@context");
    }
    Ok(compacted)
}

/// A compacted JSON-LD document with `rewrite` applied to its expanded form,
/// compacted again against the document's own `@context` (which the result
/// keeps). The selective-disclosure suites skolemize blank nodes this way.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#skolemizecompactjsonld>
pub(crate) async fn rewrite_expanded(
    document: &Value,
    rewrite: impl FnOnce(Value) -> Value,
) -> Result<Value, CanonError> {
    let (body, root) = prepare(document).await?;
    let Some(context) = document.get("@context").cloned() else {
        return Err(CanonError::JsonLd("the document has no @context".into()));
    };
    use json_ld::syntax::IntoJsonWithContext as _;
    let objects = expand(body, root).await?.into_iter();
    let rewritten = rewrite(Value::Array(objects.map(|o| o.into_json_with(&()).into_serde_json()).collect()));
    let options = Options {
        policy: Policy { invalid: Action::Reject, allow_undefined: false, ..Default::default() },
        ..Default::default()
    };
    let expanded = LdValue::from_serde_json(rewritten)
        .expand_full(&mut (), Default::default(), None, &BundledLoader, options, ())
        .await
        .map_err(|e| CanonError::JsonLd(e.to_string()))?;
    let Value::Object(compacted) = compact(expanded, &context).await? else {
        return Err(CanonError::Ambiguous("the document is not one JSON-LD node".into()));
    };
    let mut with_context = Map::new();
    with_context.insert("@context".into(), context);
    with_context.extend(compacted);
    Ok(Value::Object(with_context))
}

/// The RDF dataset of a compacted JSON-LD document, blank nodes labelled
/// as expansion labels them (not canonical): for the selective-disclosure
/// suites, which canonicalize it with [`issue`] and relabel it themselves.
pub(crate) async fn dataset(document: &Value) -> Result<oxrdf::Dataset, CanonError> {
    let (body, root) = prepare(document).await?;
    if let Some(root) = &root
        && let Some(quads) = crate::expand::quads(&body, root.clone()).await
    {
        return Ok(quads.iter().map(ox_quad).collect());
    }
    Ok(general_quads(body, root).await?.iter().map(ox_quad).collect())
}

/// RDFC-1.0's canonical labels for the blank nodes of `dataset` (input label
/// → `c14nN`, without `_:`), with `hash`, within [`HNDQ_CALL_LIMIT`].
pub(crate) fn issue(
    dataset: &oxrdf::Dataset,
    hash: HashAlgorithm,
) -> Result<std::collections::HashMap<String, String>, CanonError> {
    let options = rdf_canon::CanonicalizationOptions { hndq_call_limit: Some(HNDQ_CALL_LIMIT) };
    let issued = match hash {
        HashAlgorithm::Sha256 => rdf_canon::issue_with::<sha2::Sha256>(dataset, &options),
        HashAlgorithm::Sha384 => rdf_canon::issue_with::<sha2::Sha384>(dataset, &options),
    };
    issued.map_err(budget_error)
}

fn budget_error(e: rdf_canon::CanonicalizationError) -> CanonError {
    match e {
        rdf_canon::CanonicalizationError::HndqCallLimitExceeded(limit) => {
            CanonError::Budget { limit, source: e }
        }
        other => CanonError::Rdfc(other),
    }
}

/// The JSON-LD expanded form of `document` (no `@context`, full IRIs, value
/// objects): another spelling of the same dataset. For the rewrite tests only.
#[doc(hidden)]
pub async fn expanded(document: &Value) -> Result<Value, CanonError> {
    let (body, root) = prepare(document).await?;
    use json_ld::syntax::IntoJsonWithContext as _;
    let objects = expand(body, root).await?.into_iter();
    Ok(Value::Array(objects.map(|o| o.into_json_with(&()).into_serde_json()).collect()))
}

/// RDFC-1.0 of `quads` with `hash`, within [`HNDQ_CALL_LIMIT`], as sorted
/// canonical N-Quads (duplicates removed).
fn normalize(quads: &[LexicalQuad], hash: HashAlgorithm) -> Result<String, CanonError> {
    let dataset: oxrdf::Dataset = quads.iter().map(ox_quad).collect();
    let options = rdf_canon::CanonicalizationOptions { hndq_call_limit: Some(HNDQ_CALL_LIMIT) };
    let canonical = match hash {
        HashAlgorithm::Sha256 => rdf_canon::canonicalize_with::<sha2::Sha256>(&dataset, &options),
        HashAlgorithm::Sha384 => rdf_canon::canonicalize_with::<sha2::Sha384>(&dataset, &options),
    };
    canonical.map_err(budget_error)
}

/// One of our quads as the canonicaliser's (oxrdf) quad, term by term.
fn ox_quad(quad: &LexicalQuad) -> oxrdf::Quad {
    use oxrdf::{BlankNode, GraphName, Literal, NamedNode, NamedOrBlankNode, Term as OxTerm};
    let node = |id: &rdf_types::Id| -> NamedOrBlankNode {
        match id {
            rdf_types::Id::Iri(iri) => NamedNode::new_unchecked(iri.as_str()).into(),
            rdf_types::Id::Blank(b) => BlankNode::new_unchecked(b.suffix()).into(),
        }
    };
    let rdf_types::Quad(s, p, o, g) = quad;
    let object: OxTerm = match o {
        rdf_types::Term::Id(id) => node(id).into(),
        rdf_types::Term::Literal(lit) => match &lit.type_ {
            rdf_types::LiteralType::Any(datatype) => {
                Literal::new_typed_literal(lit.value.as_str(), NamedNode::new_unchecked(datatype.as_str()))
                    .into()
            }
            rdf_types::LiteralType::LangString(tag) => {
                Literal::new_language_tagged_literal_unchecked(lit.value.as_str(), tag.as_str()).into()
            }
        },
    };
    let graph = g.as_ref().map_or(GraphName::DefaultGraph, |id| node(id).into());
    oxrdf::Quad::new(node(s), NamedNode::new_unchecked(p.as_str()), object, graph)
}

/// Both paths to the canonical form: the fast walker (`None` when the document
/// is outside its subset) and json-ld's general expansion. For differential
/// tests only.
#[doc(hidden)]
pub async fn rdfc_both_paths(
    document: &Value,
) -> Result<(Option<String>, Result<String, CanonError>), CanonError> {
    let (body, root) = prepare(document).await?;
    let fast = match &root {
        Some(root) => match crate::expand::quads(&body, root.clone()).await {
            Some(q) => Some(normalize(&q, HashAlgorithm::Sha256)?),
            None => None,
        },
        None => None,
    };
    Ok((fast, general(body, root, HashAlgorithm::Sha256).await))
}

/// JSON-LD expansion of `body` with `root` as the initial context, undefined
/// terms rejected.
async fn expand(
    body: Map<String, Value>,
    root: Option<Arc<Node>>,
) -> Result<json_ld::ExpandedDocument, CanonError> {
    let input = LdValue::from_serde_json(Value::Object(body));
    let options = Options {
        policy: Policy { invalid: Action::Reject, allow_undefined: false, ..Default::default() },
        ..Default::default()
    };
    let initial = root.map(|r| r.context().clone()).unwrap_or_default();
    input
        .expand_full(&mut (), initial, None, &BundledLoader, options, ())
        .await
        .map_err(|e| CanonError::JsonLd(e.to_string()))
}

async fn general(
    body: Map<String, Value>,
    root: Option<Arc<Node>>,
    hash: HashAlgorithm,
) -> Result<String, CanonError> {
    normalize(&general_quads(body, root).await?, hash)
}

/// The quads of `body` by json-ld's general expansion.
async fn general_quads(
    body: Map<String, Value>,
    root: Option<Arc<Node>>,
) -> Result<Vec<LexicalQuad>, CanonError> {
    let mut expanded = expand(body, root).await?;
    let mut blank = generator::Blank::new();
    expanded.identify_all(&mut blank);
    Ok(expanded.rdf_quads(&mut blank, None).cloned().filter_map(lexical).collect())
}

fn lexical(
    quad: json_ld::rdf::Quad<json_ld::IriBuf, rdf_types::BlankIdBuf, rdf_types::Literal>,
) -> Option<LexicalQuad> {
    let rdf_types::Quad(s, p, o, g) = quad;
    let p = p.into_iri()?;
    Some(rdf_types::Quad(s, p, o, g))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn undefined_terms_are_rejected() {
        let doc = json!({
            "@context": "https://www.w3.org/2018/credentials/v1",
            "type": "VerifiableCredential",
            "notATerm": "x"
        });
        let err = futures::executor::block_on(rdfc(&doc)).unwrap_err();
        assert!(matches!(err, CanonError::JsonLd(_)), "{err}");
    }

    #[test]
    fn percent_encoded_bytes_that_are_not_utf8_are_refused_before_json_ld() {
        // Expanded against the examples context's `@vocab`, this key became
        // an IRI whose hash panicked inside the JSON-LD stack (found by the
        // `verify` fuzz target).
        let context =
            json!(["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]);
        for doc in [
            json!({ "@context": context, "type": "VerifiableCredential", "cr%dentialSubject": {} }),
            json!({ "@context": context, "type": "VerifiableCredential", "id": "urn:x:%C3%28" }),
        ] {
            let err = futures::executor::block_on(rdfc(&doc)).unwrap_err();
            assert!(err.to_string().contains("not UTF-8"), "{err}");
        }
        // Valid percent-encodings and a lone `%` pass this check.
        let fine = json!({ "@context": context, "type": "VerifiableCredential", "id": "urn:x:caf%C3%A9", "name": "100%" });
        assert!(check_percent_encoding(&fine).is_ok());
    }

    #[test]
    fn jcs_sorts_keys() {
        assert_eq!(jcs(&json!({"b": 1, "a": [true, "x"]})).unwrap(), r#"{"a":[true,"x"],"b":1}"#);
    }
}
