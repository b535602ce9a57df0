//! Signed did:didam entries for the tests and benches that attack or fill the
//! ledger API (`ledger_admission`, the abuse mix): one fixture, included by
//! path where needed.
#![allow(dead_code)]

use chrono::Utc;
use didam_credential::{KeyType, SecretKey};
use didam_method::log::{self, EntryDraft, Method};
use didam_method::{LogEntry, entry};
use serde_json::{Map, json};

/// `n` fresh Ed25519 keys.
pub(crate) fn keys(n: usize) -> Vec<SecretKey> {
    (0..n).map(|_| SecretKey::generate(KeyType::Ed25519)).collect()
}

/// A signed first entry dated `time` (update key `k[0]`, next key `k[1]`
/// committed, document key `k[2]`), its document padded with about `pad`
/// bytes.
pub(crate) async fn first_entry(k: &[SecretKey], pad: usize, time: chrono::DateTime<Utc>) -> LogEntry {
    let mut parameters = Map::new();
    parameters.insert("updateKeys".into(), json!([k[0].public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&k[1].public_key().to_multikey())]));
    let mut document = entry::document_with_keys("did:didam:{SCID}", &[k[2].public_key()]);
    if pad > 0 {
        document["alsoKnownAs"] = json!([format!("https://example.com/{}", "a".repeat(pad))]);
    }
    let draft = EntryDraft { parameters, document, version_time: time };
    log::create_entry(Method::Didam, draft, &k[0]).await.unwrap()
}
