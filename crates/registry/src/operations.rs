//! DID operations on a ledger: `create`, `update`, `rotate` and `deactivate`
//! build their entry with [`didam_method::entry`] and append it through any
//! [`didam_ledger::Ledger`].
//!
//! Every operation appends one entry signed with `eddsa-jcs-2022`. Pre-rotation
//! is mandatory: each entry commits to the hash of the next update key, and
//! the next entry must be signed by that key (revealed in its `updateKeys`).
//! See: `specs/did-didam.md`.

use chrono::{DateTime, Utc};
use didam_credential::{PublicKey, SecretKey};
use didam_ledger::{Ledger, Receipt};
use didam_method::DidamDid;
use didam_method::entry::{create_entry, next_entry};
use serde_json::Value;

use crate::error::Error;

/// Creates a DID: the first entry, signed by `update_key`, committing to
/// `next_key`. `document` uses `{SCID}` where the DID goes (see
/// [`didam_method::entry::document_with_keys`] with `did:didam:{SCID}`).
pub async fn create<L: Ledger>(
    ledger: &L,
    update_key: &SecretKey,
    next_key: &PublicKey,
    document: Value,
    time: DateTime<Utc>,
) -> Result<(DidamDid, Receipt), Error> {
    let (did, entry) = create_entry(update_key, next_key, document, time).await?;
    let receipt = ledger.append(&entry).await?;
    Ok((did, receipt))
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
    let tip = ledger.tip(did.as_did()).await?;
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
    let tip = ledger.tip(did.as_did()).await?;
    let entry = next_entry(&tip, revealed_key, None, None, true, time).await?;
    Ok(ledger.append(&entry).await?)
}
