//! The two canonical forms Data Integrity suites hash.
//!
//! - [`rdfc`]: RDF Dataset Canonicalization (RDFC-1.0) of the JSON-LD document,
//!   serialised as sorted N-Quads. Steps: check the contexts are bundled →
//!   take the processed top-level context from the cache (processing it once per
//!   distinct `@context`) → expand the rest of the document with it, rejecting
//!   undefined terms → label blank nodes → RDF quads → RDFC-1.0 (ssi-rdf) →
//!   N-Quads.
//! - [`jcs`]: the JSON Canonicalization Scheme (RFC 8785).
//!
//! See: <https://www.w3.org/TR/rdf-canon/>, <https://www.rfc-editor.org/rfc/rfc8785>

use std::sync::Arc;

use serde_json::{Map, Value};
use ssi::json_ld::{
    self, Expand as _, RdfQuads as _,
    expansion::{Action, Options, Policy},
    syntax::Value as LdValue,
};
use ssi::rdf::{LexicalQuad, generator, urdna2015};

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
}

/// RFC 8785 canonical JSON.
pub fn jcs(value: &Value) -> Result<String, CanonError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| CanonError::Jcs(e.to_string()))
}

/// The document without its `@context`, and the processed context.
async fn prepare(document: &Value) -> Result<(Map<String, Value>, Option<Arc<Node>>), CanonError> {
    check_contexts(document).map_err(CanonError::Context)?;
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

/// RDFC-1.0 canonical N-Quads of a compacted JSON-LD document.
pub async fn rdfc(document: &Value) -> Result<String, CanonError> {
    let (body, root) = prepare(document).await?;
    if let Some(root) = &root
        && let Some(quads) = crate::expand::quads(&body, root.clone()).await
    {
        return Ok(normalize(&quads));
    }
    general(body, root).await
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
    use json_ld::Compact as _;
    let (body, root) = prepare(document).await?;
    let urls: Vec<Value> = match document.get("@context") {
        Some(Value::Array(items)) => items.iter().filter(|c| c.is_string()).cloned().collect(),
        Some(one @ Value::String(_)) => vec![one.clone()],
        _ => return Err(CanonError::Ambiguous("the document names no context URL".into())),
    };
    let context = Value::Array(urls);
    let processed = ContextCache::global().get(&context).await.map_err(CanonError::JsonLd)?;
    let syntax = <json_ld::syntax::Context as json_ld::syntax::TryFromJson>::try_from_json(
        LdValue::from_serde_json(context.clone()),
    )
    .map_err(|e| CanonError::JsonLd(e.to_string()))?;
    let expanded = expand(body, root).await?;
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
    let Value::Object(mut view) = compacted.into_serde_json() else {
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

/// The JSON-LD expanded form of `document` (no `@context`, full IRIs, value
/// objects): another spelling of the same dataset. For the rewrite tests only.
#[doc(hidden)]
pub async fn expanded(document: &Value) -> Result<Value, CanonError> {
    let (body, root) = prepare(document).await?;
    use json_ld::syntax::IntoJsonWithContext as _;
    let objects = expand(body, root).await?.into_iter();
    Ok(Value::Array(objects.map(|o| o.into_json_with(&()).into_serde_json()).collect()))
}

fn normalize(quads: &[LexicalQuad]) -> String {
    urdna2015::normalize(quads.iter().map(LexicalQuad::as_lexical_quad_ref)).into_nquads()
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
        Some(root) => crate::expand::quads(&body, root.clone()).await.map(|q| normalize(&q)),
        None => None,
    };
    Ok((fast, general(body, root).await))
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

async fn general(body: Map<String, Value>, root: Option<Arc<Node>>) -> Result<String, CanonError> {
    let mut expanded = expand(body, root).await?;
    let mut blank = generator::Blank::new();
    expanded.identify_all(&mut blank);
    let quads: Vec<LexicalQuad> = expanded.rdf_quads(&mut blank, None).cloned().filter_map(lexical).collect();
    Ok(normalize(&quads))
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
    fn jcs_sorts_keys() {
        assert_eq!(jcs(&json!({"b": 1, "a": [true, "x"]})).unwrap(), r#"{"a":[true,"x"],"b":1}"#);
    }
}
