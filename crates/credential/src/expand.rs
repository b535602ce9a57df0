//! A fast path from compacted JSON-LD to RDF, for the shapes credentials take.
//!
//! The general path (json-ld's expansion, then its RDF conversion) re-processes
//! every type-scoped and property-scoped context on every node of every
//! document, deep-cloning the active context each time. For credentials the
//! contexts never change, so this walker:
//!
//! 1. starts from the processed top-level context (cached by
//!    [`crate::contexts`]);
//! 2. applies scoped contexts through json-ld's own context processing, but
//!    memoises each result by (context it was applied to, context the term was
//!    defined in, term, kind); the memoised contexts are immutable and never
//!    evicted while in use (the memo holds them), so the keys stay valid;
//! 3. reads term definitions from json-ld's processed contexts and emits RDF
//!    quads directly, following the JSON-LD 1.1 expansion rules for the
//!    subset below (type-scoped contexts do not propagate and revert on
//!    entering a nested node unless it holds only an id; property-scoped
//!    contexts apply with protected terms overridable, and to string values
//!    as well; `@type` values expand with the context before type scoping).
//!
//! Anything outside the subset returns `None` and the caller uses the general
//! path, which also reports every error: nested `@context`, numbers, booleans,
//! value objects, keywords other than `@id`/`@type`, containers other than
//! `@set`, reverse and nested properties, languages and directions, blank node
//! identifiers, `@json` and `@none` types, relative IRIs, undefined terms.
//! `tests/expand_differential.rs` checks the two paths agree on every JSON file
//! of the W3C vector folders.
//! See: <https://www.w3.org/TR/json-ld11-api/#expansion-algorithm>

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rdf_types::{BlankIdBuf, Id, LexicalQuad, Literal, LiteralType, Quad, Term};
use serde_json::{Map, Value};
use ssi::json_ld::{self, IriBuf, Process as _, context_processing, syntax::Keyword};

use crate::contexts::{ActiveContext, BundledLoader};

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

/// An active context with a stable identity.
pub(crate) struct Node {
    id: u64,
    ctx: Arc<ActiveContext>,
}

impl Node {
    /// A top-level context (the [`crate::contexts`] cache keeps one per
    /// distinct `@context`, so its id is stable).
    pub(crate) fn root(ctx: Arc<ActiveContext>) -> Arc<Node> {
        Arc::new(Node { id: next_id(), ctx })
    }

    /// The processed context.
    pub(crate) fn context(&self) -> &ActiveContext {
        &self.ctx
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Clone, Copy, Hash, PartialEq, Eq)]
enum Scope {
    Type,
    Property,
}

type MemoKey = (u64, u64, String, Scope);

/// The memo of scoped-context results. Bounded: when full it stops inserting.
fn memo() -> &'static Mutex<HashMap<MemoKey, Arc<Node>>> {
    static MEMO: OnceLock<Mutex<HashMap<MemoKey, Arc<Node>>>> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

const MEMO_MAX: usize = 4096;

/// Applies the scoped context of `term`, as defined in `owner`, to `base`.
async fn scoped(base: &Arc<Node>, owner: &Arc<Node>, term: &str, scope: Scope) -> Option<Arc<Node>> {
    let key = (base.id, owner.id, term.to_owned(), scope);
    if let Some(hit) = memo().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Some(hit);
    }
    let def = owner.ctx.get_normal(term)?;
    let local = def.context.as_deref()?;
    let options = context_processing::Options {
        override_protected: scope == Scope::Property,
        propagate: scope == Scope::Property,
        ..Default::default()
    };
    let processed = local
        .process_full(&mut (), &base.ctx, &BundledLoader, def.base_url.clone(), options, ())
        .await
        .ok()?
        .into_processed();
    // A scoped context may itself say `@propagate`; the walker only follows the
    // default behaviour of each kind: type-scoped contexts do not propagate,
    // property-scoped ones leave propagation as it was.
    let expected = match scope {
        Scope::Type => true,
        Scope::Property => base.ctx.previous_context().is_some(),
    };
    if processed.previous_context().is_some() != expected {
        return None;
    }
    let node = Arc::new(Node { id: next_id(), ctx: Arc::new(processed) });
    if let Ok(mut m) = memo().lock()
        && m.len() < MEMO_MAX
    {
        m.insert(key, node.clone());
    }
    Some(node)
}

/// The quads of a document whose top-level `@context` has been processed into
/// `root` (and removed from `body`), or `None` when the document is outside
/// the subset.
pub(crate) async fn quads(body: &Map<String, Value>, root: Arc<Node>) -> Option<Vec<LexicalQuad>> {
    let mut walker = Walker { quads: Vec::new(), blank: 0 };
    walker.node(body, root, None).await?;
    Some(walker.quads)
}

struct Walker {
    quads: Vec<LexicalQuad>,
    blank: u64,
}

/// What a key means in a context.
enum KeyMeaning {
    Id,
    Type,
    Property(IriBuf),
}

fn key_meaning(ctx: &ActiveContext, key: &str) -> Option<KeyMeaning> {
    match key {
        "@id" => return Some(KeyMeaning::Id),
        "@type" => return Some(KeyMeaning::Type),
        k if k.starts_with('@') => return None,
        _ => {}
    }
    match ctx.get_normal(key) {
        Some(def) => match &def.value {
            Some(json_ld::Term::Keyword(Keyword::Id)) => Some(KeyMeaning::Id),
            Some(json_ld::Term::Keyword(Keyword::Type)) => Some(KeyMeaning::Type),
            Some(json_ld::Term::Id(json_ld::Id::Valid(Id::Iri(iri)))) => {
                let plain = def.container.is_empty() || def.container == json_ld::Container::Set;
                let simple = !def.reverse_property && def.nest.is_none() && def.index.is_none();
                (plain && simple).then(|| KeyMeaning::Property(iri.clone()))
            }
            _ => None,
        },
        None => expand_iri(ctx, key, true).map(KeyMeaning::Property),
    }
}

/// IRI expansion of `value` (vocabulary-relative when `vocab`); `None` when the
/// result would not be an absolute IRI (document-relative references have no
/// base here) or needs the general path.
fn expand_iri(ctx: &ActiveContext, value: &str, vocab: bool) -> Option<IriBuf> {
    if value.starts_with('@') {
        return None;
    }
    if vocab && let Some(def) = ctx.get_normal(value) {
        return match &def.value {
            Some(json_ld::Term::Id(json_ld::Id::Valid(Id::Iri(iri)))) => Some(iri.clone()),
            _ => None,
        };
    }
    if let Some((prefix, suffix)) = value.split_once(':') {
        if prefix == "_" {
            return None;
        }
        if !suffix.starts_with("//")
            && let Some(def) = ctx.get_normal(prefix)
        {
            return match (&def.value, def.prefix) {
                (Some(json_ld::Term::Id(json_ld::Id::Valid(Id::Iri(iri)))), true) => {
                    IriBuf::new(format!("{}{suffix}", iri.as_str())).ok()
                }
                _ => None,
            };
        }
        return IriBuf::new(value.to_owned()).ok();
    }
    if vocab && let Some(json_ld::Term::Id(json_ld::Id::Valid(Id::Iri(v)))) = ctx.vocabulary() {
        return IriBuf::new(format!("{}{value}", v.as_str())).ok();
    }
    None
}

fn strings(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

impl Walker {
    fn fresh_blank(&mut self) -> Id {
        self.blank += 1;
        Id::Blank(BlankIdBuf::new(format!("_:f{}", self.blank)).expect("a valid blank node id"))
    }

    fn emit(&mut self, subject: &Id, predicate: IriBuf, object: Term) {
        self.quads.push(Quad(subject.clone(), predicate, object, None));
    }

    /// One node object: returns its subject. `revert` is the context to fall
    /// back to when the incoming context does not propagate.
    async fn node(
        &mut self,
        obj: &Map<String, Value>,
        incoming: Arc<Node>,
        revert: Option<Arc<Node>>,
    ) -> Option<Id> {
        if obj.contains_key("@context") {
            return None;
        }
        // Step 7: a non-propagated context reverts, unless the node is only an id.
        let only_id = obj.len() == 1
            && matches!(obj.keys().next().and_then(|k| key_meaning(&incoming.ctx, k)), Some(KeyMeaning::Id));
        let mut active = match (&revert, only_id) {
            (Some(prev), false) => prev.clone(),
            _ => incoming.clone(),
        };
        if only_id {
            let value = obj.values().next()?.as_str()?;
            return Some(Id::Iri(expand_iri(&active.ctx, value, false)?));
        }
        if active.ctx.previous_context().is_some() {
            return None;
        }

        // Steps 10–11: type-scoped contexts, keys and values in lexicographic order.
        let before_types = active.clone();
        let mut type_keys: Vec<&String> = obj
            .keys()
            .filter(|k| matches!(key_meaning(&before_types.ctx, k), Some(KeyMeaning::Type)))
            .collect();
        type_keys.sort();
        let mut types = Vec::new();
        for key in type_keys {
            let mut values = strings(&obj[key.as_str()])?;
            values.sort_unstable();
            for t in values {
                types.push(t);
                if before_types.ctx.get_normal(t).is_some_and(|d| d.context.is_some()) {
                    active = Box::pin(scoped(&active, &before_types, t, Scope::Type)).await?;
                }
            }
        }
        let propagates = Arc::ptr_eq(&active, &before_types);
        let revert_for_children = if propagates { None } else { Some(before_types.clone()) };

        // The subject.
        let mut subject = None;
        for (key, value) in obj {
            if let Some(KeyMeaning::Id) = key_meaning(&active.ctx, key) {
                let iri = expand_iri(&active.ctx, value.as_str()?, false)?;
                if subject.replace(Id::Iri(iri)).is_some() {
                    return None;
                }
            }
        }
        let subject = match subject {
            Some(s) => s,
            None => self.fresh_blank(),
        };

        for t in &types {
            let iri = expand_iri(&before_types.ctx, t, true)?;
            self.emit(&subject, IriBuf::new(RDF_TYPE.to_owned()).ok()?, Term::Id(Id::Iri(iri)));
        }

        for (key, value) in obj {
            let predicate = match key_meaning(&active.ctx, key)? {
                KeyMeaning::Id | KeyMeaning::Type => continue,
                KeyMeaning::Property(iri) => iri,
            };
            let has_scope = active.ctx.get_normal(key.as_str()).is_some_and(|d| d.context.is_some());
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in items {
                match item {
                    Value::Null => {}
                    Value::String(s) => {
                        // Step 5: a scalar takes the property-scoped context, without reverting.
                        let value_ctx = if has_scope {
                            Box::pin(scoped(&active, &active, key, Scope::Property)).await?
                        } else {
                            active.clone()
                        };
                        let object = string_value(&value_ctx.ctx, key, s)?;
                        self.emit(&subject, predicate.clone(), object);
                    }
                    Value::Object(child) => {
                        if child.keys().any(|k| k.starts_with('@') && k != "@id" && k != "@type") {
                            return None;
                        }
                        let typed = active.ctx.get_normal(key.as_str()).and_then(|d| d.typ.as_ref());
                        if matches!(typed, Some(json_ld::Type::Json | json_ld::Type::None)) {
                            return None;
                        }
                        // Steps 7–8: revert (decided in the child), then the property scope,
                        // defined in this node's active context.
                        let child_only_id = child.len() == 1
                            && matches!(
                                child.keys().next().and_then(|k| key_meaning(&active.ctx, k)),
                                Some(KeyMeaning::Id)
                            );
                        let reverted = match (&revert_for_children, child_only_id) {
                            (Some(prev), false) => prev.clone(),
                            _ => active.clone(),
                        };
                        let child_ctx = if has_scope {
                            Box::pin(scoped(&reverted, &active, key, Scope::Property)).await?
                        } else {
                            reverted
                        };
                        let child_subject = Box::pin(self.node(child, child_ctx, None)).await?;
                        self.emit(&subject, predicate.clone(), Term::Id(child_subject));
                    }
                    _ => return None,
                }
            }
        }
        Some(subject)
    }
}

/// Value expansion of a string under the definition of `key` in `ctx`.
fn string_value(ctx: &ActiveContext, key: &str, s: &str) -> Option<Term> {
    let def = ctx.get_normal(key);
    if def.is_some_and(|d| d.language.is_some() || d.direction.is_some())
        || ctx.default_language().is_some()
        || ctx.default_base_direction().is_some()
    {
        return None;
    }
    let literal = |datatype: &str| {
        Some(Term::Literal(Literal::new(
            s.to_owned(),
            LiteralType::Any(IriBuf::new(datatype.to_owned()).ok()?),
        )))
    };
    match def.and_then(|d| d.typ.as_ref()) {
        None => literal(XSD_STRING),
        Some(json_ld::Type::Id) => Some(Term::Id(Id::Iri(expand_iri(ctx, s, false)?))),
        Some(json_ld::Type::Vocab) => Some(Term::Id(Id::Iri(expand_iri(ctx, s, true)?))),
        Some(json_ld::Type::Iri(datatype)) => literal(datatype.as_str()),
        Some(_) => None,
    }
}
