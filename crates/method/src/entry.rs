//! Entry builders for `did:didam`: the first entry of a new DID and the entry
//! that follows a tip, each signed and ready for any ledger (see
//! `specs/did-didam.md`, operations). Writing them to a ledger is
//! `didam_registry::operations`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use didam_credential::{PublicKey, SecretKey};
use serde_json::{Map, Value, json};

use crate::error::EntryError;
use crate::history::{self, KeyRemoval};
use crate::log::{self, DidState, EntryDraft, Method};
use crate::{DidamDid, LogEntry};

/// The pre-rotation parameters of an entry signed by `update` that commits
/// to `next`: `updateKeys`, `nextKeyHashes` and, naming the next keys' types
/// in the same order, `nextKeyTypes`.
fn parameters(update: &[PublicKey], next: &[PublicKey]) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("updateKeys".into(), json!(update.iter().map(PublicKey::to_multikey).collect::<Vec<_>>()));
    p.insert(
        "nextKeyHashes".into(),
        json!(next.iter().map(|n| log::key_hash(&n.to_multikey())).collect::<Vec<_>>()),
    );
    p.insert("nextKeyTypes".into(), json!(next.iter().map(|n| n.key_type().name()).collect::<Vec<_>>()));
    p
}

/// A DID document for a new DID: its id (`did:didam:{SCID}` until the SCID is
/// known) and verification methods for `keys` (fragments `#key-1`, `#key-2`,
/// ...), each authorised for authentication and assertion.
pub fn document_with_keys(did: &str, keys: &[PublicKey]) -> Value {
    let named: Vec<(String, PublicKey)> =
        keys.iter().enumerate().map(|(i, k)| (format!("key-{}", i + 1), k.clone())).collect();
    document_with_methods(did, &named)
}

/// A DID document with one `Multikey` verification method per
/// `(fragment, key)`, each authorised for authentication and assertion.
pub fn document_with_methods(did: &str, keys: &[(String, PublicKey)]) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .map(|(fragment, k)| {
            json!({ "id": format!("{did}#{fragment}"), "type": "Multikey", "controller": did, "publicKeyMultibase": k.to_multikey() })
        })
        .collect();
    let ids: Vec<Value> = methods.iter().map(|m| m["id"].clone()).collect();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "authentication": ids,
        "assertionMethod": ids,
    })
}

/// A service of a DID document, written `id=type=endpoint` (the form the
/// command line takes): id `#<id>`, its `type` and its `serviceEndpoint`.
///
/// ```
/// use didam_method::entry::Service;
///
/// let hub: Service = "hub=LinkedDomains=https://example.com/a=b".parse()?;
/// assert_eq!(hub.endpoint(), "https://example.com/a=b");
/// assert_eq!(hub.to_json()["id"], "#hub");
/// assert!("hub=LinkedDomains".parse::<Service>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// See: <https://www.w3.org/TR/did-1.0/#services>
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    id: String,
    kind: String,
    endpoint: String,
}

/// A string that is not `id=type=endpoint`; keeps the offending input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a service: expected id=type=endpoint, the id and type without `#`, `=` or spaces")]
pub struct InvalidService(pub String);

impl Service {
    /// The id, without its `#`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The service type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The service endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The service as a DID document's `service` member holds it.
    pub fn to_json(&self) -> Value {
        json!({ "id": format!("#{}", self.id), "type": self.kind, "serviceEndpoint": self.endpoint })
    }
}

impl FromStr for Service {
    type Err = InvalidService;
    /// Parses `id=type=endpoint`: the endpoint is everything after the
    /// second `=`; no part is empty or holds whitespace, and the id holds
    /// no `#`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidService(s.to_owned());
        let (id, rest) = s.split_once('=').ok_or_else(invalid)?;
        let (kind, endpoint) = rest.split_once('=').ok_or_else(invalid)?;
        let word = |part: &str| !part.is_empty() && !part.contains(char::is_whitespace);
        if !word(id) || !word(kind) || !word(endpoint) || id.contains('#') {
            return Err(invalid());
        }
        Ok(Self { id: id.to_owned(), kind: kind.to_owned(), endpoint: endpoint.to_owned() })
    }
}

/// Builds (without appending) the first entry of a new DID; returns the DID
/// and the entry. Wallets store the entry before they submit it, so an
/// operation survives a crash between signing and the ledger's reply.
pub async fn create_entry(
    update_key: &SecretKey,
    next_key: &PublicKey,
    document: Value,
    time: DateTime<Utc>,
) -> Result<(DidamDid, LogEntry), EntryError> {
    create_controlled(&[update_key], std::slice::from_ref(next_key), document, time).await
}

/// [`create_entry`] for a DID controlled by several update keys (hybrid
/// control: one Ed25519 and one ML-DSA-44 key): every key of `update_keys`
/// signs, and `next_keys` (their successors, of the types they will have)
/// are committed by hash with their types.
pub async fn create_controlled(
    update_keys: &[&SecretKey],
    next_keys: &[PublicKey],
    document: Value,
    time: DateTime<Utc>,
) -> Result<(DidamDid, LogEntry), EntryError> {
    let public: Vec<PublicKey> = update_keys.iter().map(|k| k.public_key()).collect();
    let draft = EntryDraft { parameters: parameters(&public, next_keys), document, version_time: time };
    let entry = log::create_entry_signed(Method::Didam, draft, update_keys).await?;
    Ok((DidamDid::try_from(entry.did())?, entry))
}

/// The entry-time rule for the entry that follows `tip`, made at `now`:
/// `versionTime` is in whole seconds, strictly later than the tip's and never
/// in the future (`specs/did-didam.md` §5.3). Returns the instant to wait
/// for before the entry can be dated `now` (the second after the tip's), or
/// `None` when `now` is already late enough. Pure: the caller waits (an
/// async caller awaits a timer).
pub fn not_before(tip: &DidState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let earliest = tip.version_time + chrono::Duration::seconds(1);
    (now < earliest).then_some(earliest)
}

/// Builds (without appending) the entry that follows `tip`: signed with the
/// committed `key`, committing to `next` (none when deactivating), with a new
/// `document` or the tip's, and `deactivated: true` when `deactivate`.
pub async fn next_entry(
    tip: &DidState,
    key: &SecretKey,
    next: Option<&PublicKey>,
    document: Option<Value>,
    deactivate: bool,
    time: DateTime<Utc>,
) -> Result<LogEntry, EntryError> {
    next_controlled(
        tip,
        &[key],
        next.map(std::slice::from_ref).unwrap_or_default(),
        document,
        deactivate,
        time,
    )
    .await
}

/// [`next_entry`] for a DID controlled by several update keys: `keys` are
/// every key `tip` committed to (all sign), `next` the keys the entry
/// commits to (empty when deactivating); a `next` of other types than `keys`
/// moves the DID's control (to ML-DSA-44, or to hybrid control). Methods the
/// new document removes are recorded as retired.
pub async fn next_controlled(
    tip: &DidState,
    keys: &[&SecretKey],
    next: &[PublicKey],
    document: Option<Value>,
    deactivate: bool,
    time: DateTime<Utc>,
) -> Result<LogEntry, EntryError> {
    next_removing(tip, keys, next, document, deactivate, time, &KeyRemoval::Retired).await
}

/// [`next_controlled`] recording `removal` (retired, or compromised from a
/// point) for every verification method the new document removes, in the
/// entry's `removedKeys` (`specs/did-didam.md` §4.5).
#[allow(clippy::too_many_arguments)] // one per part of the entry; a struct would only rename them
pub async fn next_removing(
    tip: &DidState,
    keys: &[&SecretKey],
    next: &[PublicKey],
    document: Option<Value>,
    deactivate: bool,
    time: DateTime<Utc>,
    removal: &KeyRemoval,
) -> Result<LogEntry, EntryError> {
    let public: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let mut params = parameters(&public, next);
    if deactivate {
        params.insert("deactivated".into(), json!(true));
    }
    if let Some(doc) = &document
        && let Some(records) = history::removal_records(&tip.did, &tip.document, doc, removal)
    {
        params.insert(history::REMOVED_KEYS.into(), records);
    }
    let draft = EntryDraft {
        parameters: params,
        document: document.unwrap_or_else(|| tip.document.clone()),
        version_time: not_before(tip, time).unwrap_or(time),
    };
    log::next_entry_signed(tip, draft, keys).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tip_at(seconds: i64) -> DidState {
        let t = DateTime::from_timestamp(seconds, 0).unwrap();
        DidState {
            did: "did:didam:scid".into(),
            scid: "scid".into(),
            version_id: "1-hash".into(),
            version_number: 1,
            entry_hash: "hash".into(),
            version_time: t,
            created: t,
            parameters: Map::new(),
            document: json!({}),
            deactivated: false,
            removed_keys: Default::default(),
        }
    }

    #[test]
    fn services_parse_from_id_type_endpoint() {
        let s: Service = "hub=LinkedDomains=https://example.com".parse().unwrap();
        assert_eq!((s.id(), s.kind(), s.endpoint()), ("hub", "LinkedDomains", "https://example.com"));
        assert_eq!(
            s.to_json(),
            json!({ "id": "#hub", "type": "LinkedDomains", "serviceEndpoint": "https://example.com" })
        );
        let with_query: Service = "q=T=https://x.example/?a=1&b=2".parse().unwrap();
        assert_eq!(with_query.endpoint(), "https://x.example/?a=1&b=2");
        for bad in [
            "",
            "nope",
            "hub=LinkedDomains",
            "hub=LinkedDomains=",
            "=LinkedDomains=https://x",
            "hub==https://x",
            "#hub=T=https://x",
            "h ub=T=https://x",
            "hub=T=https://x y",
            "hub=T=\n",
        ] {
            let err = bad.parse::<Service>().unwrap_err();
            assert_eq!(err, InvalidService(bad.to_owned()), "{bad}");
        }
    }

    #[test]
    fn an_entry_waits_for_the_second_after_its_tip() {
        let tip = tip_at(100);
        let at = |s: i64, ms: u32| DateTime::from_timestamp(s, ms * 1_000_000).unwrap();
        assert_eq!(not_before(&tip, at(100, 0)), Some(at(101, 0)));
        assert_eq!(not_before(&tip, at(100, 999)), Some(at(101, 0)));
        assert_eq!(not_before(&tip, at(101, 0)), None);
        assert_eq!(not_before(&tip, at(250, 0)), None);
    }
}
