//! Bounded work for every input: the [`Limits`] a verification enforces
//! before any expensive step, and the [`Cancellation`] flag it checks
//! between steps.
//!
//! Steps, each before the next one may walk the input recursively:
//! 1. the text: its size ([`Limits::max_bytes`]) and, for JSON text, its
//!    nesting depth, by an iterative scan of the bytes ([`scan_json`]), so
//!    that neither `serde_json` (whose own recursion limit is 128) nor
//!    anything after it sees a deeper document;
//! 2. the parsed document, by an iterative walk of the value
//!    ([`Limits::check_document`]): depth, number of JSON values (every
//!    node and quad that JSON-LD expansion and RDFC-1.0 can produce comes
//!    from one of them), objects without an id (each can become a blank
//!    node), proofs and `@context` entries;
//! 3. for an SD-JWT, the number of disclosures, and the depth of the
//!    credential as its disclosures are revealed (a disclosure can hold the
//!    digest of the next one, so a small SD-JWT reveals a deep document).
//!
//! A limit that is exceeded is a [`LimitError`] naming the [`Limit`], the
//! limit and what was found; the verification stops with
//! [`Error::Limit`](crate::Error::Limit). The defaults ([`Limits::default`])
//! are far above what real credentials use and far below what costs a
//! verifier more than milliseconds before the proofs are checked. The
//! RDFC-1.0 canonicaliser bounds its own work separately (poison graphs are
//! small).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

/// Limits on a document to verify. Every field is a maximum; `Default`
/// gives the documented defaults. Build other limits from them
/// (`Limits { max_depth: 64, ..Limits::default() }`), so that a limit added
/// later keeps its default.
///
/// ```
/// use didam_credential::limits::{Limit, Limits};
///
/// let limits = Limits { max_depth: 4, ..Limits::default() };
/// let deep: serde_json::Value = serde_json::from_str(r#"{"a":{"b":{"c":{"d":{}}}}}"#)?;
/// let refused = limits.check_document(&deep).unwrap_err();
/// assert_eq!((refused.what, refused.limit), (Limit::Depth, 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Size of the document's text in bytes (a JSON document, a compact
    /// JWS, an SD-JWT with its disclosures, a base64 COSE_Sign1).
    /// Default: 256 KiB ([`Limits::DEFAULT_MAX_BYTES`]).
    pub max_bytes: usize,
    /// Nesting depth of JSON objects and arrays (a top-level object is 1),
    /// in the document as given and in an SD-JWT's revealed credential.
    /// Default: 32.
    pub max_depth: usize,
    /// JSON values in the document (objects, arrays, strings, numbers,
    /// booleans, nulls). Default: 20,000.
    pub max_values: usize,
    /// JSON objects outside `@context` without an `id` or `@id` string, or
    /// whose id names a blank node (`_:…`): each can become a blank node
    /// in the RDF dataset. Default: 2,000.
    pub max_blank_nodes: usize,
    /// Proofs in the document, counting those of a presentation's
    /// credentials. Default: 16.
    pub max_proofs: usize,
    /// `@context` entries (each URL or inline context) in the whole
    /// document. Default: 64.
    pub max_contexts: usize,
    /// Disclosures of an SD-JWT. Default: 512.
    pub max_disclosures: usize,
}

impl Limits {
    /// The default of [`Limits::max_bytes`]: 256 KiB.
    pub const DEFAULT_MAX_BYTES: usize = 256 * 1024;

    /// Checks the size of `text`.
    pub fn check_size(&self, text: &str) -> Result<(), LimitError> {
        LimitError::check(Limit::Bytes, self.max_bytes, text.len())
    }

    /// Checks a parsed document without recursion: depth, values, blank
    /// nodes, proofs and contexts.
    pub fn check_document(&self, document: &Value) -> Result<(), LimitError> {
        let mut counts = Counts::default();
        // (value, depth of the value, inside an `@context`)
        let mut stack = vec![(document, 1usize, false)];
        while let Some((value, depth, in_context)) = stack.pop() {
            counts.values += 1;
            LimitError::check(Limit::Values, self.max_values, counts.values)?;
            match value {
                Value::Array(items) => {
                    LimitError::check(Limit::Depth, self.max_depth, depth)?;
                    stack.extend(items.iter().map(|v| (v, depth + 1, in_context)));
                }
                Value::Object(map) => {
                    LimitError::check(Limit::Depth, self.max_depth, depth)?;
                    let node = !in_context && !map.contains_key("@value");
                    // An id naming a blank node (`_:b0`) leaves it one.
                    let named = ["id", "@id"]
                        .iter()
                        .any(|k| map.get(*k).and_then(Value::as_str).is_some_and(|id| !id.starts_with("_:")));
                    if node && !named {
                        counts.blank_nodes += 1;
                        LimitError::check(Limit::BlankNodes, self.max_blank_nodes, counts.blank_nodes)?;
                    }
                    for (key, v) in map {
                        let entries = || match v {
                            Value::Array(items) => items.len(),
                            Value::Null => 0,
                            _ => 1,
                        };
                        if key == "@context" {
                            counts.contexts += entries();
                            LimitError::check(Limit::Contexts, self.max_contexts, counts.contexts)?;
                        } else if key == "proof" && !in_context {
                            counts.proofs += entries();
                            LimitError::check(Limit::Proofs, self.max_proofs, counts.proofs)?;
                        }
                        stack.push((v, depth + 1, in_context || key == "@context"));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks the number of an SD-JWT's disclosures.
    pub fn check_disclosures(&self, count: usize) -> Result<(), LimitError> {
        LimitError::check(Limit::Disclosures, self.max_disclosures, count)
    }

    /// Checks a depth reached while walking a document (an SD-JWT's
    /// disclosures as they are revealed).
    pub fn check_depth(&self, depth: usize) -> Result<(), LimitError> {
        LimitError::check(Limit::Depth, self.max_depth, depth)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_depth: 32,
            max_values: 20_000,
            max_blank_nodes: 2_000,
            max_proofs: 16,
            max_contexts: 64,
            max_disclosures: 512,
        }
    }
}

#[derive(Default)]
struct Counts {
    values: usize,
    blank_nodes: usize,
    proofs: usize,
    contexts: usize,
}

/// Checks the size of JSON `text` and the nesting depth of its arrays and
/// objects, byte by byte (no recursion, no parse). Text that is not JSON
/// passes or fails here by its brackets only; the parser judges the rest.
pub fn scan_json(text: &[u8], limits: &Limits) -> Result<(), LimitError> {
    LimitError::check(Limit::Bytes, limits.max_bytes, text.len())?;
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                LimitError::check(Limit::Depth, limits.max_depth, depth)?;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// What a [`LimitError`] counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// The size of the document's text in bytes ([`Limits::max_bytes`]).
    Bytes,
    /// The nesting depth of arrays and objects ([`Limits::max_depth`]).
    Depth,
    /// The number of JSON values ([`Limits::max_values`]).
    Values,
    /// Objects that can become blank nodes ([`Limits::max_blank_nodes`]).
    BlankNodes,
    /// Proofs ([`Limits::max_proofs`]).
    Proofs,
    /// `@context` entries ([`Limits::max_contexts`]).
    Contexts,
    /// SD-JWT disclosures ([`Limits::max_disclosures`]).
    Disclosures,
}

impl Limit {
    /// A short name (`depth`, `bytes`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Bytes => "bytes",
            Self::Depth => "depth",
            Self::Values => "values",
            Self::BlankNodes => "blank nodes",
            Self::Proofs => "proofs",
            Self::Contexts => "contexts",
            Self::Disclosures => "disclosures",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A document over one of the [`Limits`]: not checked further.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the document exceeds the limit on {what}: {found} found, at most {limit} allowed")]
#[non_exhaustive]
pub struct LimitError {
    /// What was counted.
    pub what: Limit,
    /// The limit.
    pub limit: usize,
    /// The count when the check stopped: the whole count for sizes, else
    /// the first count over the limit (`limit + 1`).
    pub found: usize,
}

impl LimitError {
    fn check(what: Limit, limit: usize, found: usize) -> Result<(), Self> {
        if found > limit { Err(Self { what, limit, found }) } else { Ok(()) }
    }
}

/// A flag that abandons a verification: set by whoever gave up waiting for
/// it (the daemon, when the request timed out or its client went away), read
/// by the engine between its steps, which then stops with
/// [`Error::Cancelled`](crate::Error::Cancelled). Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct Cancellation(Arc<AtomicBool>);

impl Cancellation {
    /// A flag not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the flag is set.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once the flag is set.
    pub(crate) fn check(&self) -> Result<(), crate::Error> {
        if self.is_cancelled() { Err(crate::Error::Cancelled) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn scan_counts_brackets_outside_strings() {
        let limits = Limits { max_depth: 3, ..Limits::default() };
        assert!(scan_json(nested(3).as_bytes(), &limits).is_ok());
        assert!(scan_json(br#"{"a":"[[[[[[\"[[[["}"#, &limits).is_ok());
        let e = scan_json(nested(100_000).as_bytes(), &limits).unwrap_err();
        assert_eq!((e.what, e.limit, e.found), (Limit::Depth, 3, 4));
    }

    #[test]
    fn scan_refuses_large_text() {
        let limits = Limits { max_bytes: 10, ..Limits::default() };
        let e = scan_json(b"\"0123456789\"", &limits).unwrap_err();
        assert_eq!((e.what, e.found), (Limit::Bytes, 12));
    }

    #[test]
    fn document_check_walks_deep_values_without_recursion() {
        // Built by hand: deeper than serde_json would parse.
        let mut deep = Value::Null;
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        let e = Limits::default().check_document(&deep).unwrap_err();
        assert_eq!((e.what, e.found), (Limit::Depth, 33));
        // Dropping a value this deep recurses in serde_json: take it apart.
        while let Value::Array(mut items) = deep {
            deep = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn document_check_counts_proofs_contexts_and_blank_nodes() {
        let limits = Limits { max_proofs: 2, max_contexts: 2, max_blank_nodes: 2, ..Limits::default() };
        let proofs =
            serde_json::json!({"id": "urn:x", "proof": [{"id": "urn:a"}, {"id": "urn:b"}, {"id": "urn:c"}]});
        assert_eq!(limits.check_document(&proofs).unwrap_err().what, Limit::Proofs);
        let contexts = serde_json::json!({"id": "urn:x", "@context": ["a", "b", {"@context": "c"}]});
        assert_eq!(limits.check_document(&contexts).unwrap_err().what, Limit::Contexts);
        let blank = serde_json::json!({"a": {"b": {}}});
        assert_eq!(limits.check_document(&blank).unwrap_err().what, Limit::BlankNodes);
        let fine =
            serde_json::json!({"id": "urn:x", "@context": ["a", {"t": {"@id": "u"}}], "v": {"@value": 1}});
        assert!(limits.check_document(&fine).is_ok());
    }
}
