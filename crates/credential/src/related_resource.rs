//! `relatedResource`: the shape of its objects and their digests.
//!
//! Each object names a resource by a URL `id` (unique in the list) and gives
//! its digest as `digestSRI` (`sha256-`, `sha384-` or `sha512-` and base64, as
//! in Subresource Integrity) and/or `digestMultibase` (a multibase SHA-256
//! digest, bare or as a multihash). The engine fetches nothing: a digest is
//! checked against the resources it holds (the bundled contexts), and a
//! resource it does not hold is left to the application. An issuer adds the
//! digests of resources the engine holds ([`add_digests`]).
//!
//! See: <https://www.w3.org/TR/vc-data-model-2.0/#integrity-of-related-resources>

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::contexts::BUNDLED;

/// Gives each `relatedResource` object that names a resource the engine
/// holds (a bundled context) and carries no digest a `digestSRI` (SHA-384)
/// of it, as an issuer does before signing; returns how many it added.
/// Objects that already carry a digest are left as they are (the checks at
/// issue and verify compare them), and so are resources the engine does not
/// hold: their issuer must give the digest, and the data-model check says so.
///
/// ```
/// use didam_credential::related_resource;
/// use serde_json::json;
///
/// let mut vc = json!({ "relatedResource": [{ "id": "https://www.w3.org/ns/credentials/v2" }] });
/// assert_eq!(related_resource::add_digests(&mut vc), 1);
/// assert!(vc["relatedResource"][0]["digestSRI"].as_str().unwrap().starts_with("sha384-"));
/// ```
pub fn add_digests(document: &mut Value) -> usize {
    let items: Vec<&mut Value> = match document.get_mut("relatedResource") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => return 0,
    };
    let mut added = 0;
    for item in items {
        let Some(object) = item.as_object_mut() else { continue };
        if object.contains_key("digestSRI") || object.contains_key("digestMultibase") {
            continue;
        }
        let held = object
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| BUNDLED.iter().find(|(url, _)| *url == id))
            .map(|(_, text)| text.as_bytes());
        if let Some(bytes) = held {
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes));
            object.insert("digestSRI".into(), Value::String(format!("sha384-{digest}")));
            added += 1;
        }
    }
    added
}

/// The rule violations of a document's `relatedResource`, if it has one.
pub(crate) fn violations(document: &Value) -> Vec<String> {
    let Some(value) = document.get("relatedResource") else { return Vec::new() };
    let items: Vec<&Value> = match value {
        Value::Array(items) if !items.is_empty() => items.iter().collect(),
        Value::Object(_) => vec![value],
        _ => return vec!["`relatedResource` must be one or more objects".into()],
    };
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for item in items {
        let Some(object) = item.as_object() else {
            out.push("each `relatedResource` must be an object".into());
            continue;
        };
        let id = object.get("id").and_then(Value::as_str);
        match id {
            Some(id) if crate::credential::is_url(id) => {
                if ids.contains(&id) {
                    out.push(format!("`relatedResource` names `{id}` twice"));
                }
                ids.push(id);
            }
            _ => out.push("each `relatedResource` needs a URL `id`".into()),
        }
        let sri = object.get("digestSRI");
        let multibase = object.get("digestMultibase");
        if sri.is_none() && multibase.is_none() {
            out.push("each `relatedResource` needs `digestSRI` or `digestMultibase`".into());
        }
        let held =
            id.and_then(|id| BUNDLED.iter().find(|(url, _)| *url == id)).map(|(_, text)| text.as_bytes());
        for (field, value, check) in [
            ("digestSRI", sri, sri_matches as fn(&str, Option<&[u8]>) -> Result<(), String>),
            ("digestMultibase", multibase, multibase_matches),
        ] {
            let Some(value) = value else { continue };
            match value.as_str() {
                Some(digest) => {
                    if let Err(why) = check(digest, held) {
                        out.push(format!("`relatedResource` `{}`: {field} {why}", id.unwrap_or("?")));
                    }
                }
                None => out.push(format!("`relatedResource` `{field}` must be a string")),
            }
        }
    }
    out
}

/// `digest` is a well-formed SRI digest, of `held` when given.
fn sri_matches(digest: &str, held: Option<&[u8]>) -> Result<(), String> {
    let (algorithm, encoded) = digest.split_once('-').ok_or("is not `<algorithm>-<base64>`")?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "is not standard base64".to_owned())?;
    let computed = |bytes: &[u8]| -> Option<Vec<u8>> {
        Some(match algorithm {
            "sha256" => Sha256::digest(bytes).to_vec(),
            "sha384" => Sha384::digest(bytes).to_vec(),
            "sha512" => Sha512::digest(bytes).to_vec(),
            _ => return None,
        })
    };
    let expected_len =
        computed(b"").ok_or_else(|| format!("names `{algorithm}`, not sha256, sha384 or sha512"))?.len();
    if given.len() != expected_len {
        return Err(format!("is not a {algorithm} digest"));
    }
    match held.and_then(computed) {
        Some(actual) if actual != given => Err("does not match the resource".into()),
        _ => Ok(()),
    }
}

/// `digest` is a multibase SHA-256 digest (bare, or a multihash), of `held`
/// when given.
fn multibase_matches(digest: &str, held: Option<&[u8]>) -> Result<(), String> {
    let (_, bytes) = multibase::decode(digest).map_err(|_| "is not multibase".to_owned())?;
    let given = match bytes.as_slice() {
        [0x12, 0x20, rest @ ..] if rest.len() == 32 => rest,
        bare if bare.len() == 32 => bare,
        _ => return Err("is not a SHA-256 digest".into()),
    };
    match held {
        Some(bytes) if Sha256::digest(bytes)[..] != *given => Err("does not match the resource".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(related: Value) -> Vec<String> {
        violations(&json!({ "relatedResource": related }))
    }

    #[test]
    fn an_issuer_adds_the_digests_it_can() {
        let v2 = "https://www.w3.org/ns/credentials/v2";
        let given = format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode([1u8; 32]));
        let mut doc = json!({ "relatedResource": [
            { "id": v2 },
            { "id": "https://example.org/not-held" },
            { "id": "https://example.org/other", "digestSRI": given },
        ] });
        assert_eq!(add_digests(&mut doc), 1);
        assert!(doc["relatedResource"][0]["digestSRI"].as_str().is_some_and(|d| d.starts_with("sha384-")));
        assert!(doc["relatedResource"][1].get("digestSRI").is_none());
        assert_eq!(doc["relatedResource"][2]["digestSRI"], given.as_str());
        // What it added passes the check; the resource it does not hold still
        // needs a digest from the caller.
        let violations = violations(&doc);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(violations[0].contains("digestSRI"), "{violations:?}");
        // A single object, and again: nothing more to add.
        let mut one = json!({ "relatedResource": { "id": v2 } });
        assert_eq!(add_digests(&mut one), 1);
        assert_eq!(add_digests(&mut one), 0);
        assert!(super::violations(&one).is_empty());
    }

    #[test]
    fn shapes_and_digests() {
        let v2 = "https://www.w3.org/ns/credentials/v2";
        let text = BUNDLED.iter().find(|(u, _)| *u == v2).map(|(_, t)| t.as_bytes()).unwrap_or_default();
        let sri =
            format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(text)));
        let mb = multibase::encode(multibase::Base::Base64Url, Sha256::digest(text));
        assert!(check(json!({ "id": v2, "digestSRI": sri })).is_empty());
        assert!(
            check(json!([{ "id": v2, "digestMultibase": mb, "mediaType": "application/ld+json" }]))
                .is_empty()
        );
        // Not held: only the shape is checked.
        assert!(check(json!({ "id": "https://example.org/x", "digestSRI": sri })).is_empty());
        for bad in [
            json!([v2]),
            json!([]),
            json!([{ "digestSRI": sri }]),
            json!([{ "id": v2 }]),
            json!([{ "id": v2, "digestSRI": sri }, { "id": v2, "digestMultibase": mb }]),
            json!({ "id": v2, "digestSRI": format!("sha384-{}", "A".repeat(64)) }),
            json!({ "id": v2, "digestMultibase": multibase::encode(multibase::Base::Base64Url, [7u8; 32]) }),
            json!({ "id": v2, "digestSRI": "md5-AAAA" }),
            json!({ "id": v2, "digestSRI": 7 }),
        ] {
            assert!(!check(bad.clone()).is_empty(), "{bad}");
        }
    }
}
