//! Bundled JSON-LD contexts and the offline loader.
//!
//! The engine resolves a context URL only against [`BUNDLED`]; it never opens
//! a network connection. A document naming any other context is refused with
//! [`Error::UnknownContext`], naming the URL. The files and their provenance are
//! listed in `crates/credential/contexts/README.md`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use ssi::json_ld::{self, IriBuf, LoadError, RemoteDocument, syntax::Value as LdValue};

use crate::error::Error;

/// Context URL and the context document, as published.
pub const BUNDLED: &[(&str, &str)] = &[
    ("https://w3id.org/citizenship/v4rc1", include_str!("../contexts/w3id-org-citizenship-v4rc1.jsonld")),
    ("https://w3id.org/security/bbs/v1", include_str!("../contexts/w3id-org-security-bbs-v1.jsonld")),
    (
        "https://w3id.org/security/data-integrity/v1",
        include_str!("../contexts/w3id-org-security-data-integrity-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        include_str!("../contexts/w3id-org-security-data-integrity-v2.jsonld"),
    ),
    ("https://w3id.org/security/jwk/v1", include_str!("../contexts/w3id-org-security-jwk-v1.jsonld")),
    (
        "https://w3id.org/security/multikey/v1",
        include_str!("../contexts/w3id-org-security-multikey-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/ed25519-2018/v1",
        include_str!("../contexts/w3id-org-security-suites-ed25519-2018-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/ed25519-2020/v1",
        include_str!("../contexts/w3id-org-security-suites-ed25519-2020-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/jws-2020/v1",
        include_str!("../contexts/w3id-org-security-suites-jws-2020-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/x25519-2019/v1",
        include_str!("../contexts/w3id-org-security-suites-x25519-2019-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/x25519-2020/v1",
        include_str!("../contexts/w3id-org-security-suites-x25519-2020-v1.jsonld"),
    ),
    ("https://w3id.org/security/v1", include_str!("../contexts/w3id-org-security-v1.jsonld")),
    ("https://w3id.org/security/v2", include_str!("../contexts/w3id-org-security-v2.jsonld")),
    (
        "https://w3id.org/vc/status-list/2021/v1",
        include_str!("../contexts/w3id-org-vc-status-list-2021-v1.jsonld"),
    ),
    ("https://w3id.org/vdl/aamva/v1", include_str!("../contexts/w3id-org-vdl-aamva-v1.jsonld")),
    ("https://w3id.org/vdl/v1", include_str!("../contexts/w3id-org-vdl-v1.jsonld")),
    (
        "https://www.w3.org/2018/credentials/examples/v1",
        include_str!("../contexts/w3-org-2018-credentials-examples-v1.jsonld"),
    ),
    ("https://www.w3.org/2018/credentials/v1", include_str!("../contexts/w3-org-2018-credentials-v1.jsonld")),
    ("https://www.w3.org/ns/cid/v1", include_str!("../contexts/w3-org-ns-cid-v1.jsonld")),
    (
        "https://www.w3.org/ns/credentials/examples/v2",
        include_str!("../contexts/w3-org-ns-credentials-examples-v2.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/status/v1",
        include_str!("../contexts/w3-org-ns-credentials-status-v1.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/undefined-terms/v2",
        include_str!("../contexts/w3-org-ns-credentials-undefined-terms-v2.jsonld"),
    ),
    ("https://www.w3.org/ns/credentials/v2", include_str!("../contexts/w3-org-ns-credentials-v2.jsonld")),
    ("https://www.w3.org/ns/did/v1", include_str!("../contexts/w3-org-ns-did-v1.jsonld")),
    // Imported by the VCDM 1.1 examples context; the copy ssi ships.
    ("https://www.w3.org/ns/odrl.jsonld", ssi_contexts::ODRL),
];

/// Whether `url` is one of the bundled contexts.
pub fn is_bundled(url: &str) -> bool {
    BUNDLED.iter().any(|(u, _)| *u == url)
}

/// The JSON-LD document loader over [`BUNDLED`]: parsed once, shared, offline.
#[derive(Clone, Copy, Debug, Default)]
pub struct BundledLoader;

#[derive(Debug, thiserror::Error)]
#[error("context is not bundled")]
struct NotBundled;

fn parsed() -> &'static HashMap<&'static str, RemoteDocument> {
    static PARSED: OnceLock<HashMap<&'static str, RemoteDocument>> = OnceLock::new();
    PARSED.get_or_init(|| {
        BUNDLED
            .iter()
            .map(|(url, text)| {
                let (doc, _) = <LdValue as json_syntax::Parse>::parse_str(text)
                    .expect("bundled contexts are valid JSON");
                let iri = IriBuf::new((*url).to_owned()).expect("bundled context URLs are IRIs");
                (*url, RemoteDocument::new(Some(iri), None, doc))
            })
            .collect()
    })
}

impl json_ld::Loader for BundledLoader {
    async fn load(&self, url: &json_ld::Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        parsed().get(url.as_str()).cloned().ok_or_else(|| LoadError::new(url.to_owned(), NotBundled))
    }
}

/// Checks every context URL a document names (at any depth) against the
/// bundle, so that an unknown one is reported by URL before any processing.
pub fn check_contexts(document: &serde_json::Value) -> Result<(), Error> {
    use serde_json::Value;
    fn urls(ctx: &Value, out: &mut Vec<String>) {
        match ctx {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| urls(i, out)),
            Value::Object(map) => {
                if let Some(Value::String(s)) = map.get("@import") {
                    out.push(s.clone());
                }
                // Scoped contexts inside term definitions.
                for def in map.values() {
                    if let Some(scoped) = def.get("@context") {
                        urls(scoped, out);
                    }
                }
            }
            _ => {}
        }
    }
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    if key == "@context" {
                        urls(v, out);
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(document, &mut found);
    match found.into_iter().find(|u| !is_bundled(u)) {
        Some(url) => Err(Error::UnknownContext { url }),
        None => Ok(()),
    }
}

/// A processed active context, shared between documents with the same
/// `@context` value.
pub(crate) type ActiveContext = json_ld::Context<IriBuf, rdf_types::BlankIdBuf>;

/// Cache of processed top-level contexts, keyed by the exact serialised
/// `@context` value.
///
/// Context processing is a pure function of the `@context` value, the loaded
/// documents (immutable: [`BUNDLED`]), the base URL (always none here) and the
/// processing mode (always JSON-LD 1.1), so reusing its result is exactly
/// equivalent to processing again. Bounded: past [`ContextCache::MAX`] entries
/// it stops inserting, so hostile input cannot grow it without limit.
#[derive(Default)]
pub(crate) struct ContextCache {
    map: RwLock<HashMap<String, Arc<crate::expand::Node>>>,
}

impl ContextCache {
    const MAX: usize = 256;

    pub(crate) fn global() -> &'static ContextCache {
        static CACHE: OnceLock<ContextCache> = OnceLock::new();
        CACHE.get_or_init(ContextCache::default)
    }

    /// The processed form of a top-level `@context` value.
    pub(crate) async fn get(&self, context: &serde_json::Value) -> Result<Arc<crate::expand::Node>, String> {
        use json_ld::Process as _;
        let key = context.to_string();
        if let Some(hit) = self.map.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(hit);
        }
        let syntax = <json_ld::syntax::Context as json_ld::syntax::TryFromJson>::try_from_json(
            LdValue::from_serde_json(context.clone()),
        )
        .map_err(|e| format!("invalid @context: {e}"))?;
        let processed = syntax
            .process(&mut (), &BundledLoader, None)
            .await
            .map_err(|e| format!("context processing failed: {e}"))?
            .into_processed();
        let node = crate::expand::Node::root(Arc::new(processed));
        if let Ok(mut map) = self.map.write()
            && map.len() < Self::MAX
        {
            map.insert(key, node.clone());
        }
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bundled_context_parses() {
        assert_eq!(parsed().len(), BUNDLED.len());
    }

    #[test]
    fn unknown_context_is_named() {
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"],
            "type": "VerifiableCredential"
        });
        let err = check_contexts(&doc).unwrap_err();
        assert!(err.to_string().contains("https://evil.example/ctx"), "{err}");
    }

    #[test]
    fn nested_unknown_context_is_found() {
        let doc = json!({
            "@context": "https://www.w3.org/ns/credentials/v2",
            "credentialSubject": { "@context": { "x": { "@id": "urn:x", "@context": "https://evil.example/2" } } }
        });
        assert!(
            matches!(check_contexts(&doc), Err(Error::UnknownContext { url }) if url == "https://evil.example/2")
        );
    }
}
