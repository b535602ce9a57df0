//! Selective disclosure over JSON-LD: the functions the W3C selective
//! disclosure suites share (`ecdsa-sd-2023` in [`crate::ecdsa_sd`] and
//! `bbs-2023` in [`crate::bbs`]).
//!
//! A holder discloses parts of a credential named by JSON pointers
//! ([`JsonPointer`], RFC 6901). The steps, as in the spec's
//! `canonicalizeAndGroup`:
//! 1. skolemize: give every blank node of the document an IRI
//!    (`urn:custom-scheme:…`), on its expanded form, compacted back against
//!    the document's own context, so that a selection keeps the identity
//!    of every node it copies;
//! 2. the document's RDF dataset with the IRIs turned back into blank
//!    nodes, canonicalized with RDFC-1.0 through [`crate::canon`] (with its
//!    work budget), each canonical label replaced by a label a function
//!    gives (for `ecdsa-sd-2023` an HMAC of it, `hmac_labels`; for
//!    `bbs-2023` the rank of that HMAC among all of them,
//!    `shuffled_labels`), as sorted N-Quads;
//! 3. for each group of pointers, the selection of the skolemized document
//!    ([`select`]: the values pointed at, with the `id` and `type` of every
//!    object on the way), its quads labelled the same way, and the indexes
//!    of those quads among the document's.
//!
//!
//! Both suites' proof values are a three-byte header and a CBOR array
//! (`encode_proof_value`, `decode_proof_value`).
//!
//! See: <https://www.w3.org/TR/vc-di-ecdsa/#selective-disclosure-functions>

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ciborium::Value as Cbor;
use std::fmt;
use std::str::FromStr;

use oxrdf::{BlankNode, Dataset, GraphName, NamedOrBlankNode, Quad, Subject, Term};
use serde_json::{Map, Value};

use crate::canon::{self, HashAlgorithm};
use crate::error::SelectiveError;
use crate::suite::Suite;

/// The URN prefix skolemized blank nodes get.
const SKOLEM_PREFIX: &str = "urn:custom-scheme:";

/// A JSON pointer (RFC 6901) into a credential, naming what to disclose
/// (or what an issuer makes mandatory). Parsed once: it starts with `/`
/// and every `~` is `~0` or `~1`. The whole document (the empty pointer)
/// is not a pointer here: disclose its members instead.
/// See: <https://www.rfc-editor.org/rfc/rfc6901>
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JsonPointer {
    text: String,
    segments: Vec<String>,
}

impl JsonPointer {
    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its reference tokens, unescaped.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The value it points at in `document`, if any.
    pub fn resolve<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        self.segments.iter().try_fold(document, |value, segment| child(value, segment))
    }

    /// The pointers in `list`, parsed, refusing a pointer given twice.
    pub fn parse_list<S: AsRef<str>>(list: &[S]) -> Result<Vec<Self>, SelectiveError> {
        let mut seen = BTreeSet::new();
        list.iter()
            .map(|text| {
                let pointer: Self = text.as_ref().parse()?;
                if !seen.insert(pointer.text.clone()) {
                    return Err(SelectiveError::DuplicatePointer(pointer.text));
                }
                Ok(pointer)
            })
            .collect()
    }
}

impl FromStr for JsonPointer {
    type Err = SelectiveError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| SelectiveError::InvalidPointer { pointer: text.to_owned(), reason };
        let Some(rest) = text.strip_prefix('/') else {
            return Err(invalid("a JSON pointer starts with `/`"));
        };
        let segments = rest
            .split('/')
            .map(|token| {
                let mut out = String::with_capacity(token.len());
                let mut chars = token.chars();
                while let Some(c) = chars.next() {
                    match (c, c == '~') {
                        (_, false) => out.push(c),
                        (_, true) => match chars.next() {
                            Some('0') => out.push('~'),
                            Some('1') => out.push('/'),
                            _ => return Err(invalid("`~` is followed by neither `0` nor `1`")),
                        },
                    }
                }
                Ok(out)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { text: text.to_owned(), segments })
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for JsonPointer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// JSON pointers to every value of `document` that is not an object or an
/// array with members (its claims), `@context` and `proof` aside, in
/// document order. Iterative: the depth was bounded before.
pub fn claim_pointers(document: &Value) -> Vec<String> {
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Value)> = match document {
        Value::Object(map) => map
            .iter()
            .rev()
            .filter(|(k, _)| !matches!(k.as_str(), "@context" | "proof"))
            .map(|(k, v)| (format!("/{}", escape(k)), v))
            .collect(),
        _ => Vec::new(),
    };
    while let Some((pointer, value)) = stack.pop() {
        match value {
            Value::Object(map) if !map.is_empty() => {
                stack.extend(map.iter().rev().map(|(k, v)| (format!("{pointer}/{}", escape(k)), v)));
            }
            Value::Array(items) if !items.is_empty() => {
                stack.extend(items.iter().enumerate().rev().map(|(i, v)| (format!("{pointer}/{i}"), v)));
            }
            _ => out.push(pointer),
        }
    }
    out
}

/// The member or element `segment` names in `value`.
fn child<'a>(value: &'a Value, segment: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => {
            // RFC 6901: an array index is `0` or digits without a leading zero.
            let index_like = segment == "0" || (!segment.starts_with('0') && !segment.is_empty());
            segment.parse::<usize>().ok().filter(|_| index_like).and_then(|i| items.get(i))
        }
        _ => None,
    }
}

/// A selection being built: objects keep their `id` and `type`, arrays
/// the elements selected (dense, in order, once built).
enum Selection {
    Node(Vec<(String, Selection)>),
    List(BTreeMap<usize, Selection>),
    Whole(Value),
}

impl Selection {
    /// The initial selection of `source`: its `id` (unless a blank node
    /// identifier) and its `type`.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#createinitialselection>
    fn initial(source: &Value) -> Self {
        if source.is_array() {
            return Self::List(BTreeMap::new());
        }
        let mut members = Vec::new();
        if let Some(id) = source.get("id").filter(|id| !id.as_str().is_some_and(|s| s.starts_with("_:"))) {
            members.push(("id".to_owned(), Self::Whole(id.clone())));
        }
        if let Some(types) = source.get("type") {
            members.push(("type".to_owned(), Self::Whole(types.clone())));
        }
        Self::Node(members)
    }

    /// The selection one step down, created when new.
    fn step(&mut self, segment: &str, value: &Value) -> Option<&mut Self> {
        match self {
            Self::Whole(_) => None,
            Self::Node(members) => {
                let at = match members.iter().position(|(k, _)| k == segment) {
                    Some(at) => at,
                    None => {
                        members.push((segment.to_owned(), Self::initial(value)));
                        members.len() - 1
                    }
                };
                Some(&mut members[at].1)
            }
            Self::List(items) => {
                let index = segment.parse::<usize>().ok()?;
                Some(items.entry(index).or_insert_with(|| Self::initial(value)))
            }
        }
    }

    fn into_value(self) -> Value {
        match self {
            Self::Whole(value) => value,
            Self::Node(members) => {
                Value::Object(members.into_iter().map(|(k, s)| (k, s.into_value())).collect())
            }
            Self::List(items) => Value::Array(items.into_values().map(Self::into_value).collect()),
        }
    }
}

/// The part of a compacted JSON-LD `document` the `pointers` select, with
/// the document's `@context` and the `id` and `type` of every object on
/// the way; `None` when there are no pointers. A pointer into nothing is
/// [`SelectiveError::PointerNotFound`].
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#selectjsonld>
pub fn select(document: &Value, pointers: &[JsonPointer]) -> Result<Option<Value>, SelectiveError> {
    if pointers.is_empty() {
        return Ok(None);
    }
    let mut root = Selection::initial(document);
    for pointer in pointers {
        let mut value = document;
        let mut selected = Some(&mut root);
        for segment in pointer.segments() {
            value =
                child(value, segment).ok_or_else(|| SelectiveError::PointerNotFound(pointer.text.clone()))?;
            selected = selected.and_then(|s| s.step(segment, value));
        }
        // Inside a value already selected whole there is nothing to add.
        if let Some(selected) = selected {
            *selected = Selection::Whole(value.clone());
        }
    }
    let mut selection = root.into_value();
    if let (Value::Object(map), Some(context)) = (&mut selection, document.get("@context")) {
        let mut with_context = Map::new();
        with_context.insert("@context".into(), context.clone());
        with_context.extend(std::mem::take(map));
        *map = with_context;
    }
    Ok(Some(selection))
}

/// Gives every node object of an expanded JSON-LD document an `@id`: a
/// blank node identifier `_:x` becomes `urn:custom-scheme:x`, a node
/// without one `urn:custom-scheme:_<random>_<n>`. Value and list objects
/// are left as they are (lists are walked).
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#skolemizeexpandedjsonld>
fn skolemize_expanded(value: Value, random: &str, count: &mut usize) -> Value {
    match value {
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|item| skolemize_expanded(item, random, count)).collect())
        }
        Value::Object(map) if map.contains_key("@value") => Value::Object(map),
        Value::Object(map) => {
            let list = map.contains_key("@list");
            let mut node: Map<String, Value> = map
                .into_iter()
                .map(|(key, value)| {
                    let value = if key.starts_with('@')
                        && !matches!(key.as_str(), "@graph" | "@list" | "@included")
                    {
                        value
                    } else {
                        skolemize_expanded(value, random, count)
                    };
                    (key, value)
                })
                .collect();
            if !list {
                let id = match node.get("@id").and_then(Value::as_str) {
                    None => {
                        let id = format!("{SKOLEM_PREFIX}_{random}_{count}");
                        *count += 1;
                        Some(id)
                    }
                    Some(blank) => blank.strip_prefix("_:").map(|label| format!("{SKOLEM_PREFIX}{label}")),
                };
                if let Some(id) = id {
                    node.insert("@id".into(), id.into());
                }
            }
            Value::Object(node)
        }
        other => other,
    }
}

/// The document with every blank node skolemized, compacted against its
/// own context.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#skolemizecompactjsonld>
async fn skolemize(document: &Value) -> Result<Value, SelectiveError> {
    let random = {
        use rand_core::RngCore as _;
        let mut bytes = [0u8; 8];
        rand_core::OsRng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let mut count = 0;
    canon::rewrite_expanded(document, |expanded| skolemize_expanded(expanded, &random, &mut count))
        .await
        .map_err(|e| SelectiveError::Canon(Box::new(e)))
}

/// `quad` with each of its subject, object and graph name that is an IRI or
/// a blank node mapped by `node`.
fn map_nodes(
    quad: Quad,
    node: &impl Fn(NamedOrBlankNode) -> Result<NamedOrBlankNode, SelectiveError>,
) -> Result<Quad, SelectiveError> {
    let subject = match quad.subject {
        Subject::NamedNode(n) => node(n.into())?,
        Subject::BlankNode(b) => node(b.into())?,
        #[allow(unreachable_patterns)]
        _ => return Err(SelectiveError::Mismatch("an RDF-star triple as a subject")),
    };
    let object = match quad.object {
        Term::NamedNode(n) => node(n.into())?.into(),
        Term::BlankNode(b) => node(b.into())?.into(),
        other => other,
    };
    let graph = match quad.graph_name {
        GraphName::NamedNode(n) => node(n.into())?.into(),
        GraphName::BlankNode(b) => node(b.into())?.into(),
        GraphName::DefaultGraph => GraphName::DefaultGraph,
    };
    Ok(Quad::new(subject, quad.predicate, object, graph))
}

/// The dataset of a skolemized document with the skolem IRIs turned back
/// into blank nodes.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#todeskolemizednquads>
async fn deskolemized(document: &Value) -> Result<Dataset, SelectiveError> {
    let dataset = canon::dataset(document).await.map_err(|e| SelectiveError::Canon(Box::new(e)))?;
    let node = |n: NamedOrBlankNode| -> Result<NamedOrBlankNode, SelectiveError> {
        match n {
            NamedOrBlankNode::NamedNode(iri) => match iri.as_str().strip_prefix(SKOLEM_PREFIX) {
                Some(label) => BlankNode::new(label)
                    .map(Into::into)
                    .map_err(|_| SelectiveError::Mismatch("a blank node identifier is not a valid label")),
                None => Ok(iri.into()),
            },
            blank => Ok(blank),
        }
    };
    dataset.iter().map(|q| map_nodes(q.into_owned(), &node)).collect()
}

/// The N-Quads of `dataset`, sorted, with every blank node relabelled by
/// `labels` (input label → new label); a blank node `labels` lacks is
/// [`SelectiveError::UnknownBlankNode`].
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#relabelblanknodes>
pub(crate) fn relabelled_nquads(
    dataset: &Dataset,
    labels: &HashMap<String, String>,
) -> Result<Vec<String>, SelectiveError> {
    let node = |n: NamedOrBlankNode| -> Result<NamedOrBlankNode, SelectiveError> {
        match n {
            NamedOrBlankNode::BlankNode(b) => {
                let label = labels.get(b.as_str()).ok_or(SelectiveError::UnknownBlankNode)?;
                let relabelled = BlankNode::new(label)
                    .map_err(|_| SelectiveError::Mismatch("a blank node label is not a valid label"))?;
                Ok(relabelled.into())
            }
            other => Ok(other),
        }
    };
    let mut lines = dataset
        .iter()
        .map(|q| Ok(format!("{} .\n", map_nodes(q.into_owned(), &node)?)))
        .collect::<Result<Vec<_>, SelectiveError>>()?;
    lines.sort();
    lines.dedup();
    Ok(lines)
}

/// The RDFC-1.0 canonical labels of `dataset` (input label → `c14nN`),
/// within the canonicalizer's budget.
pub(crate) fn canonical_labels(dataset: &Dataset) -> Result<HashMap<String, String>, SelectiveError> {
    canon::issue(dataset, HashAlgorithm::Sha256).map_err(|e| SelectiveError::Canon(Box::new(e)))
}

/// A group of pointers, grouped: the indexes of the document's N-Quads the
/// selection holds, and the selection's own (deskolemized) dataset.
pub(crate) struct Group {
    pub(crate) matching: BTreeSet<usize>,
    pub(crate) dataset: Dataset,
}

/// A document canonicalized with replaced labels and grouped by pointers.
pub(crate) struct Grouped {
    /// The document's canonical N-Quads with the replaced labels, sorted.
    pub(crate) nquads: Vec<String>,
    /// Input blank node label → replaced label.
    pub(crate) labels: HashMap<String, String>,
    /// One per group of pointers, in the order given.
    pub(crate) groups: Vec<Group>,
}

/// The HMAC of a canonical label: `u` + base64url(HMAC(`c14nN`)),
/// HMAC-SHA-256 with a 32-byte key, HMAC-SHA-384 with a 48-byte key.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#createhmacidlabelmapfunction>
pub(crate) fn hmac_label(key: &[u8], label: &str) -> String {
    use hmac::Mac as _;
    let digest = if key.len() == 48 {
        let mut mac = <hmac::Hmac<sha2::Sha384>>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    format!("u{}", B64URL.encode(digest))
}

/// The `ecdsa-sd-2023` label map: each canonical label (input label →
/// `c14nN`) replaced by its [`hmac_label`] under `key`.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#createhmacidlabelmapfunction>
pub(crate) fn hmac_labels(
    key: &[u8],
) -> impl FnOnce(HashMap<String, String>) -> HashMap<String, String> + '_ {
    move |canonical| canonical.into_iter().map(|(input, c14n)| (input, hmac_label(key, &c14n))).collect()
}

/// The `bbs-2023` label map: each canonical label replaced by `bN`, `N` the
/// rank of its [`hmac_label`] among all of them, so that the labels a
/// verifier sees say nothing of the HMAC'd ones and the order of the
/// N-Quads stays that of the HMAC'd labels.
/// See: <https://www.w3.org/TR/vc-di-bbs/#createshuffledidlabelmapfunction>
pub(crate) fn shuffled_labels(
    key: &[u8],
) -> impl FnOnce(HashMap<String, String>) -> HashMap<String, String> + '_ {
    move |canonical| {
        let hmac: Vec<(String, String)> =
            canonical.into_iter().map(|(input, c14n)| (input, hmac_label(key, &c14n))).collect();
        let mut sorted: Vec<&str> = hmac.iter().map(|(_, h)| h.as_str()).collect();
        sorted.sort_unstable();
        hmac.iter()
            .map(|(input, h)| {
                let rank = sorted.binary_search(&h.as_str()).unwrap_or_default();
                (input.clone(), format!("b{rank}"))
            })
            .collect()
    }
}

/// The three-byte headers of a suite's base and derived proof values.
#[derive(Clone, Copy)]
pub(crate) struct ProofValueHeaders {
    /// The base proof's.
    pub(crate) base: [u8; 3],
    /// The derived proof's.
    pub(crate) derived: [u8; 3],
}

/// Nesting the CBOR of a proof value may have (it has two levels).
const CBOR_DEPTH: usize = 4;

/// `u` + base64url(`header` ‖ CBOR array of `components`).
pub(crate) fn encode_proof_value(header: [u8; 3], components: Vec<Cbor>) -> String {
    let mut bytes = header.to_vec();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&Cbor::Array(components), &mut bytes);
    format!("u{}", B64URL.encode(bytes))
}

/// The `count` CBOR components after `header` (one of `headers`), or why
/// not, as the suite's error `bad`.
pub(crate) fn decode_proof_value(
    proof_value: &str,
    header: [u8; 3],
    headers: ProofValueHeaders,
    count: usize,
    bad: fn(&'static str) -> SelectiveError,
) -> Result<Vec<Cbor>, SelectiveError> {
    let encoded = proof_value.strip_prefix('u').ok_or(bad("not multibase base64url (`u…`)"))?;
    let bytes = B64URL.decode(encoded).map_err(|_| bad("not base64url without padding"))?;
    let body = match bytes.strip_prefix(&header) {
        Some(body) => body,
        None if bytes.starts_with(&headers.base) => {
            return Err(bad("a base proof, where a derived proof is needed"));
        }
        None if bytes.starts_with(&headers.derived) => {
            return Err(bad("a derived proof, where a base proof is needed"));
        }
        None => return Err(bad("not a proof value of this suite (unknown header)")),
    };
    let mut reader = body;
    let value: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut reader, CBOR_DEPTH)
        .map_err(|_| bad("not CBOR"))?;
    if !reader.is_empty() {
        return Err(bad("bytes after the CBOR value"));
    }
    match value {
        Cbor::Array(items) if items.len() == count => Ok(items),
        _ => Err(bad("not an array of the suite's components")),
    }
}

/// A CBOR byte string, or `bad(what)`.
pub(crate) fn cbor_bytes(
    value: Cbor,
    what: &'static str,
    bad: fn(&'static str) -> SelectiveError,
) -> Result<Vec<u8>, SelectiveError> {
    value.into_bytes().map_err(|_| bad(what))
}

/// A CBOR array of byte strings, or `bad(what)`.
pub(crate) fn cbor_byte_list(
    value: Cbor,
    what: &'static str,
    bad: fn(&'static str) -> SelectiveError,
) -> Result<Vec<Vec<u8>>, SelectiveError> {
    let items = value.into_array().map_err(|_| bad(what))?;
    items.into_iter().map(|item| cbor_bytes(item, what, bad)).collect()
}

/// A CBOR array of unsigned integers, or `bad(what)`.
pub(crate) fn cbor_indexes(
    value: Cbor,
    what: &'static str,
    bad: fn(&'static str) -> SelectiveError,
) -> Result<Vec<u64>, SelectiveError> {
    let items = value.into_array().map_err(|_| bad(what))?;
    items.into_iter().map(|i| i.as_integer().and_then(|i| u64::try_from(i).ok()).ok_or(bad(what))).collect()
}

/// A CBOR array of text strings (mandatory pointers), or `bad(what)`.
pub(crate) fn cbor_texts(
    value: Cbor,
    what: &'static str,
    bad: fn(&'static str) -> SelectiveError,
) -> Result<Vec<String>, SelectiveError> {
    let items = value.into_array().map_err(|_| bad(what))?;
    items.into_iter().map(|p| p.into_text().map_err(|_| bad(what))).collect()
}

/// Canonicalizes `document` replacing its canonical labels by those
/// `label_map` makes of them (input label → `c14nN` in, input label → new
/// label out), and groups its N-Quads by the selection of each group of
/// pointers.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#canonicalizeandgroup>
pub(crate) async fn canonicalize_and_group(
    document: &Value,
    label_map: impl FnOnce(HashMap<String, String>) -> HashMap<String, String>,
    groups: &[&[JsonPointer]],
) -> Result<Grouped, SelectiveError> {
    let skolemized = skolemize(document).await?;
    let dataset = deskolemized(&skolemized).await?;
    let labels = label_map(canonical_labels(&dataset)?);
    let nquads = relabelled_nquads(&dataset, &labels)?;
    let mut grouped = Vec::with_capacity(groups.len());
    for pointers in groups {
        let (matching, dataset) = match select(&skolemized, pointers)? {
            None => (BTreeSet::new(), Dataset::new()),
            Some(selection) => {
                let dataset = deskolemized(&selection).await?;
                let selected: BTreeSet<String> = relabelled_nquads(&dataset, &labels)?.into_iter().collect();
                let matching =
                    nquads.iter().enumerate().filter(|(_, nq)| selected.contains(*nq)).map(|(i, _)| i);
                (matching.collect(), dataset)
            }
        };
        grouped.push(Group { matching, dataset });
    }
    Ok(Grouped { nquads, labels, groups: grouped })
}

impl Grouped {
    /// The N-Quads the first group (the mandatory pointers) selects, and
    /// the indexes of the others (what the issuer signs one by one, or as
    /// BBS messages), in order.
    pub(crate) fn split_mandatory(&self) -> (Vec<&String>, Vec<usize>) {
        let mandatory = self.groups.first().map(|g| &g.matching);
        let is_mandatory = |i: &usize| mandatory.is_some_and(|m| m.contains(i));
        let (m, others): (Vec<_>, Vec<_>) = (0..self.nquads.len()).partition(is_mandatory);
        (m.into_iter().map(|i| &self.nquads[i]).collect(), others)
    }
}

/// What a holder's derivation discloses, whatever the suite.
pub(crate) struct Disclosure {
    /// The credential's N-Quads, labelled as the issuer labelled them.
    pub(crate) nquads: Vec<String>,
    /// The indexes of the non-mandatory N-Quads among them, in order.
    pub(crate) non_mandatory: Vec<usize>,
    /// The indexes of the N-Quads the holder's pointers select.
    pub(crate) selected: BTreeSet<usize>,
    /// Which of the disclosed N-Quads are mandatory (indexes into them).
    pub(crate) mandatory_indexes: Vec<u64>,
    /// The verifier's canonical label number (`c14nN`) → the issuer's label.
    pub(crate) label_map: BTreeMap<u64, String>,
    /// The disclosed document (without a proof).
    reveal: Map<String, Value>,
}

impl Disclosure {
    /// Groups `document` (its proofs set aside) labelled by `label_map` for
    /// the issuer's `mandatory` pointers and the holder's `chosen` ones.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#createdisclosuredata>
    pub(crate) async fn of(
        document: &Value,
        label_map: impl FnOnce(HashMap<String, String>) -> HashMap<String, String>,
        mandatory: &[JsonPointer],
        chosen: &[JsonPointer],
    ) -> Result<Self, SelectiveError> {
        let mut unsecured = document.clone();
        if let Value::Object(map) = &mut unsecured {
            map.remove("proof");
        }
        let combined: Vec<JsonPointer> = mandatory.iter().chain(chosen).cloned().collect();
        let mut grouped =
            canonicalize_and_group(&unsecured, label_map, &[mandatory, chosen, &combined]).await?;
        let (_, non_mandatory) = grouped.split_mandatory();
        let [mandatory_g, _, combined_g] = grouped.groups.as_slice() else {
            unreachable!("three groups were asked for")
        };
        let mandatory_indexes = combined_g
            .matching
            .iter()
            .enumerate()
            .filter(|(_, absolute)| mandatory_g.matching.contains(absolute))
            .map(|(relative, _)| relative as u64)
            .collect();
        let Some(Value::Object(reveal)) = select(&unsecured, &combined)? else {
            return Err(SelectiveError::NothingSelected);
        };
        let mut label_map = BTreeMap::new();
        for (input, c14n) in canonical_labels(&combined_g.dataset)? {
            let number = c14n.strip_prefix("c14n").and_then(|n| n.parse::<u64>().ok());
            let (Some(number), Some(label)) = (number, grouped.labels.get(&input)) else {
                return Err(SelectiveError::UnknownBlankNode);
            };
            label_map.insert(number, label.clone());
        }
        let selected = std::mem::take(&mut grouped.groups[1].matching);
        Ok(Self { nquads: grouped.nquads, non_mandatory, selected, mandatory_indexes, label_map, reveal })
    }

    /// The disclosed document with `proof` (the base proof's options) and
    /// the derived `proof_value`.
    pub(crate) fn with_proof(mut self, proof: &Map<String, Value>, proof_value: String) -> Value {
        let mut new_proof = proof.clone();
        new_proof.insert("proofValue".into(), proof_value.into());
        self.reveal.insert("proof".into(), Value::Object(new_proof));
        Value::Object(self.reveal)
    }
}

/// What a verifier reads of a derived credential (`unsecured`, without its
/// proofs): its N-Quads with each blank node labelled as the issuer labelled
/// it (`issuer_label` of the verifier's canonical label number), sorted, and
/// split at `mandatory_indexes` into the mandatory N-Quads and the others.
/// `Ok(Err(why))` when the label map or the indexes do not fit the
/// credential (the signature check fails); an unknown context is an
/// [`crate::Error`].
pub(crate) async fn verifier_view(
    unsecured: &Value,
    issuer_label: impl Fn(u64) -> Option<String>,
    mandatory_indexes: &[u64],
) -> Result<Result<(Vec<String>, Vec<String>), String>, crate::Error> {
    let dataset = match canon::dataset(unsecured).await {
        Ok(d) => d,
        Err(canon::CanonError::Context(e)) => return Err(e),
        Err(e) => return Ok(Err(format!("document: {e}"))),
    };
    let canonical = match canonical_labels(&dataset) {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("document: {e}"))),
    };
    let mut labels = HashMap::new();
    for (input, c14n) in canonical {
        let label = c14n.strip_prefix("c14n").and_then(|n| n.parse::<u64>().ok()).and_then(&issuer_label);
        let Some(label) = label else {
            return Ok(Err(format!("the label map has no label for the blank node `_:{c14n}`")));
        };
        labels.insert(input, label);
    }
    let nquads = match relabelled_nquads(&dataset, &labels) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let increasing = mandatory_indexes.windows(2).all(|w| w[0] < w[1]);
    if !increasing || mandatory_indexes.last().is_some_and(|&i| i >= nquads.len() as u64) {
        return Ok(Err(format!(
            "the mandatory indexes are not increasing indexes of the credential's {} statements",
            nquads.len()
        )));
    }
    let (mandatory, others): (Vec<_>, Vec<_>) = nquads
        .into_iter()
        .enumerate()
        .partition(|(i, _)| mandatory_indexes.binary_search(&(*i as u64)).is_ok());
    Ok(Ok((
        mandatory.into_iter().map(|(_, nq)| nq).collect(),
        others.into_iter().map(|(_, nq)| nq).collect(),
    )))
}

/// The one selective-disclosure proof of `document` and its suite.
pub(crate) fn base_proof_of(document: &Value) -> Result<(Suite, &Map<String, Value>), SelectiveError> {
    let sd: Vec<(Suite, &Value)> = crate::proof::proofs_of(document)
        .into_iter()
        .filter_map(|p| {
            let suite = p.get("cryptosuite").and_then(Value::as_str)?.parse::<Suite>().ok()?;
            suite.is_selective().then_some((suite, p))
        })
        .collect();
    match sd.as_slice() {
        [] => Err(SelectiveError::NoBaseProof),
        [(suite, Value::Object(one))] => Ok((*suite, one)),
        [_] => Err(SelectiveError::NoBaseProof),
        many => Err(SelectiveError::SeveralBaseProofs(many.len())),
    }
}

/// The holder's derivation: a credential disclosing what its base proof
/// (`ecdsa-sd-2023` or `bbs-2023`, whichever it has) makes mandatory and
/// what `chosen` points at, with a derived proof. The credential is held to
/// `limits` first. Pointers into nothing, a base proof that does not fit the
/// credential, and nothing to disclose are [`SelectiveError`]s.
pub async fn derive(
    document: &Value,
    chosen: &[JsonPointer],
    limits: &crate::limits::Limits,
) -> Result<Value, crate::Error> {
    limits.check_document(document)?;
    match base_proof_of(document)? {
        (Suite::Bbs2023, proof) => crate::bbs::derive_from(document, proof, chosen).await,
        (_, proof) => crate::ecdsa_sd::derive_from(document, proof, chosen).await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_parse_with_escapes_and_refuse_what_is_not_one() {
        let p: JsonPointer = "/a~1b/c~0d/0".parse().unwrap();
        assert_eq!(p.segments(), ["a/b", "c~d", "0"]);
        for bad in ["", "a", "/a~2", "/a~"] {
            assert!(
                matches!(bad.parse::<JsonPointer>(), Err(SelectiveError::InvalidPointer { .. })),
                "{bad}"
            );
        }
        let twice = JsonPointer::parse_list(&["/a", "/b", "/a"]).unwrap_err();
        assert!(matches!(twice, SelectiveError::DuplicatePointer(p) if p == "/a"));
    }

    #[test]
    fn selection_keeps_ids_and_types_on_the_way_and_makes_arrays_dense() {
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:x", "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "_:b0", "type": "Person", "name": "A", "list": [{"a": 1}, {"b": 2}, {"c": 3}]}
        });
        let pointers =
            JsonPointer::parse_list(&["/credentialSubject/list/2/c", "/credentialSubject/list/0"]).unwrap();
        let selected = select(&doc, &pointers).unwrap().unwrap();
        assert_eq!(
            selected,
            json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": "urn:x", "type": ["VerifiableCredential"],
                "credentialSubject": {"type": "Person", "list": [{"a": 1}, {"c": 3}]}
            })
        );
        let missing = JsonPointer::parse_list(&["/credentialSubject/age"]).unwrap();
        assert!(
            matches!(select(&doc, &missing), Err(SelectiveError::PointerNotFound(p)) if p == "/credentialSubject/age")
        );
        let past_a_leaf = JsonPointer::parse_list(&["/credentialSubject/name/x"]).unwrap();
        assert!(matches!(select(&doc, &past_a_leaf), Err(SelectiveError::PointerNotFound(_))));
        let leading_zero = JsonPointer::parse_list(&["/credentialSubject/list/00"]).unwrap();
        assert!(matches!(select(&doc, &leading_zero), Err(SelectiveError::PointerNotFound(_))));
    }
}
