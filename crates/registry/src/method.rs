//! The `did:didam` method: DID syntax and the operations that write its log.
//!
//! Every operation appends one entry signed with `eddsa-jcs-2022`. Pre-rotation
//! is mandatory: each entry commits to the hash of the next update key, and
//! the next entry must be signed by that key (revealed in its `updateKeys`).
//! See: `specs/did-didam.md`.

use chrono::{DateTime, Utc};
use didam_credential::{PublicKey, SecretKey};
use didam_ledger::log::{self, DidState, EntryDraft, Method};
use didam_ledger::{Ledger, Receipt};
use serde_json::{Map, Value, json};

use crate::error::Error;

/// A parsed `did:didam` DID: `did:didam:<scid>` or `did:didam:<network>:<scid>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DidamDid {
    did: String,
    network: Option<String>,
    scid: String,
}

impl DidamDid {
    /// Parses and checks the syntax.
    pub fn parse(did: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidDid(did.to_owned());
        let rest = did.strip_prefix("did:didam:").ok_or_else(invalid)?;
        let (network, scid) = match rest.split_once(':') {
            Some((net, scid)) => (Some(net), scid),
            None => (None, rest),
        };
        let base58 =
            |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'));
        if scid.len() != 46 || !scid.starts_with("Qm") || !base58(scid) {
            return Err(invalid());
        }
        if let Some(net) = network
            && (net.is_empty()
                || net.len() > 32
                || !net.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return Err(invalid());
        }
        Ok(Self { did: did.to_owned(), network: network.map(str::to_owned), scid: scid.to_owned() })
    }

    /// The DID string.
    pub fn as_str(&self) -> &str {
        &self.did
    }

    /// The self-certifying identifier.
    pub fn scid(&self) -> &str {
        &self.scid
    }

    /// The network segment, if any.
    pub fn network(&self) -> Option<&str> {
        self.network.as_deref()
    }
}

impl std::fmt::Display for DidamDid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.did)
    }
}

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

/// Creates a DID: the first entry, signed by `update_key`, committing to
/// `next_key`. `document` uses `{SCID}` where the DID goes (see
/// [`document_with_keys`] with `did:didam:{SCID}`).
pub async fn create<L: Ledger>(
    ledger: &L,
    update_key: &SecretKey,
    next_key: &PublicKey,
    document: Value,
    time: DateTime<Utc>,
) -> Result<(DidamDid, Receipt), Error> {
    let (_, entry) = create_entry(update_key, next_key, document, time).await?;
    let receipt = ledger.append(&entry).await?;
    Ok((DidamDid::parse(&receipt.did)?, receipt))
}

/// Builds (without appending) the first entry of a new DID; returns the DID
/// and the entry. Wallets store the entry before they submit it, so an
/// operation survives a crash between signing and the ledger's reply.
pub async fn create_entry(
    update_key: &SecretKey,
    next_key: &PublicKey,
    document: Value,
    time: DateTime<Utc>,
) -> Result<(DidamDid, Value), Error> {
    let draft = EntryDraft {
        parameters: parameters(&update_key.public_key(), Some(next_key)),
        document,
        version_time: time,
    };
    let entry = log::create_entry(Method::Didam, draft, update_key).await.map_err(Error::Build)?;
    let did = entry.pointer("/state/id").and_then(Value::as_str).unwrap_or_default();
    Ok((DidamDid::parse(did)?, entry))
}

/// Updates a DID (new document, or the same one to rotate only): reveals the
/// committed `revealed_key`, signs with it, and commits to `next_key`.
pub async fn update<L: Ledger>(
    ledger: &L,
    did: &DidamDid,
    revealed_key: &SecretKey,
    next_key: &PublicKey,
    document: Option<Value>,
    time: DateTime<Utc>,
) -> Result<Receipt, Error> {
    let tip = ledger.tip(did.as_str()).await?;
    let entry = next_entry(&tip, revealed_key, Some(next_key), document, false, time).await?;
    Ok(ledger.append(&entry).await?)
}

/// Rotates the update key: [`update`] keeping the document.
pub async fn rotate<L: Ledger>(
    ledger: &L,
    did: &DidamDid,
    revealed_key: &SecretKey,
    next_key: &PublicKey,
    time: DateTime<Utc>,
) -> Result<Receipt, Error> {
    update(ledger, did, revealed_key, next_key, None, time).await
}

/// Deactivates a DID for good, signed with the committed `revealed_key`.
pub async fn deactivate<L: Ledger>(
    ledger: &L,
    did: &DidamDid,
    revealed_key: &SecretKey,
    time: DateTime<Utc>,
) -> Result<Receipt, Error> {
    let tip = ledger.tip(did.as_str()).await?;
    let entry = next_entry(&tip, revealed_key, None, None, true, time).await?;
    Ok(ledger.append(&entry).await?)
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
) -> Result<Value, Error> {
    let mut params = parameters(&key.public_key(), next);
    if deactivate {
        params.insert("deactivated".into(), json!(true));
    }
    let draft = EntryDraft {
        parameters: params,
        document: document.unwrap_or_else(|| tip.document.clone()),
        version_time: time.max(tip.version_time + chrono::Duration::seconds(1)),
    };
    log::next_entry(tip, draft, key).await.map_err(Error::Build)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn did_syntax() {
        let scid = "QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";
        assert!(DidamDid::parse(&format!("did:didam:{scid}")).is_ok());
        assert_eq!(DidamDid::parse(&format!("did:didam:test-1:{scid}")).unwrap().network(), Some("test-1"));
        for bad in [
            "did:didam:".to_owned(),
            format!("did:web:{scid}"),
            format!("did:didam:{}", &scid[1..]),
            format!("did:didam:Test:{scid}"),
            format!("did:didam:{}0", &scid[..45]),
        ] {
            assert!(DidamDid::parse(&bad).is_err(), "{bad}");
        }
    }
}
