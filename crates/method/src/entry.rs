//! Entry builders for `did:didam`: the first entry of a new DID and the entry
//! that follows a tip, each signed and ready for any ledger (see
//! `specs/did-didam.md`, operations). Writing them to a ledger is
//! `didam_registry::operations`.

use chrono::{DateTime, Utc};
use didam_credential::{PublicKey, SecretKey};
use serde_json::{Map, Value, json};

use crate::DidamDid;
use crate::error::EntryError;
use crate::log::{self, DidState, EntryDraft, Method};

fn parameters(update: &PublicKey, next: Option<&PublicKey>) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("updateKeys".into(), json!([update.to_multikey()]));
    p.insert(
        "nextKeyHashes".into(),
        json!(next.map(|n| vec![log::key_hash(&n.to_multikey())]).unwrap_or_default()),
    );
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

/// Builds (without appending) the first entry of a new DID; returns the DID
/// and the entry. Wallets store the entry before they submit it, so an
/// operation survives a crash between signing and the ledger's reply.
pub async fn create_entry(
    update_key: &SecretKey,
    next_key: &PublicKey,
    document: Value,
    time: DateTime<Utc>,
) -> Result<(DidamDid, Value), EntryError> {
    let draft = EntryDraft {
        parameters: parameters(&update_key.public_key(), Some(next_key)),
        document,
        version_time: time,
    };
    let entry = log::create_entry(Method::Didam, draft, update_key).await?;
    let did = entry.pointer("/state/id").and_then(Value::as_str).unwrap_or_default();
    Ok((DidamDid::parse(did)?, entry))
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
) -> Result<Value, EntryError> {
    let mut params = parameters(&key.public_key(), next);
    if deactivate {
        params.insert("deactivated".into(), json!(true));
    }
    let draft = EntryDraft {
        parameters: params,
        document: document.unwrap_or_else(|| tip.document.clone()),
        version_time: time.max(tip.version_time + chrono::Duration::seconds(1)),
    };
    log::next_entry(tip, draft, key).await
}
