//! Resources of a `did:didam` DID on the ledger (status lists first): publish
//! and dereference (`specs/did-didam.md`, §9.2 "Resources").
//!
//! A resource is a log of its own on the ledger, with the did:didam entry
//! format, so the ledger's append rule, checkpoints, inclusion and tips proofs
//! cover it unchanged. Its first entry names the parent DID and carries no
//! content; each later entry is one version, whose `state.didamResource.content`
//! is a document the parent DID signed. The DID URL
//! `<parent DID>/resources/<resource SCID>` names it.
//!
//! Steps of [`dereference`]:
//! 1. parse the DID URL ([`ResourceUrl::parse`]): `invalidDidUrl`;
//! 2. resolve the resource log exactly as a DID (checkpoint signature,
//!    consistency with the client store, inclusion of its latest entry, tips
//!    record, replay): the errors of [`crate::resolve()`];
//! 3. select the version (`versionId`/`versionTime` in the query, else the
//!    latest); the resource must name the URL's parent DID and hold content;
//! 4. verify the content's proof with keys resolved through the same
//!    resolver (so the parent DID's *current* document, itself proven by the
//!    ledger): every proof by a verification method of the parent, the
//!    document's `issuer` (when present) the parent, its `id` the DID URL;
//!    and the content is no earlier version's again (its proofs are new, its
//!    `validFrom` not before an earlier one's); otherwise `invalidResource`;
//! 5. return the content with its metadata (versions, times, checkpoint).

use chrono::{DateTime, Utc};
use didam_credential::did::MethodResolver;
use didam_credential::proof::xsd_datetime;
use didam_credential::verify::{self, Input, VerifyOptions};
use didam_credential::{CheckKind, Outcome, PublicKey, SecretKey};
use didam_ledger::note::NoteVerifier;
use didam_ledger::{Ledger, Receipt};
use didam_method::log::DidState;
use serde_json::{Value, json};

use crate::checkpoints::CheckpointStore;
use crate::error::Error;
use crate::operations;
use crate::resolve::{ResolveOptions, resolve};
use didam_method::{DidamDid, entry};

/// The member of a resource log's `state` that holds the resource.
pub const RESOURCE_MEMBER: &str = "didamResource";

/// The path segment of resource DID URLs.
const SEGMENT: &str = "/resources/";

/// A resource DID URL: `<parent DID>/resources/<resource SCID>`, with an
/// optional `?versionId=…` or `?versionTime=…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceUrl {
    parent: DidamDid,
    log: DidamDid,
    version_id: Option<String>,
    version_time: Option<DateTime<Utc>>,
}

impl ResourceUrl {
    /// Parses a resource DID URL.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidDidUrl(url.to_owned());
        if url.contains('#') {
            return Err(invalid());
        }
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (url, None),
        };
        let (parent, scid) = path.split_once(SEGMENT).ok_or_else(invalid)?;
        let parent = DidamDid::parse(parent).map_err(|_| invalid())?;
        let log = match parent.network() {
            Some(network) => format!("did:didam:{network}:{scid}"),
            None => format!("did:didam:{scid}"),
        };
        let log = DidamDid::parse(&log).map_err(|_| invalid())?;
        let (mut version_id, mut version_time) = (None, None);
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("versionId", v)) if version_id.is_none() && !v.is_empty() => {
                    version_id = Some(v.to_owned());
                }
                Some(("versionTime", v)) if version_time.is_none() => {
                    let t = DateTime::parse_from_rfc3339(v).map_err(|_| invalid())?;
                    version_time = Some(t.with_timezone(&Utc));
                }
                _ => return Err(invalid()),
            }
        }
        if version_id.is_some() && version_time.is_some() {
            return Err(Error::InvalidOptions("versionId and versionTime are mutually exclusive".into()));
        }
        Ok(Self { parent, log, version_id, version_time })
    }

    /// The URL of resource log `log` of `parent`.
    pub fn new(parent: &DidamDid, log: &DidamDid) -> Self {
        Self { parent: parent.clone(), log: log.clone(), version_id: None, version_time: None }
    }

    /// The parent DID.
    pub fn parent(&self) -> &DidamDid {
        &self.parent
    }

    /// The resource log's identifier on the ledger (`did:didam:<resource SCID>`).
    pub fn log(&self) -> &DidamDid {
        &self.log
    }

    /// The DID URL without query: the `id` of every version's content.
    pub fn base(&self) -> String {
        format!("{}{SEGMENT}{}", self.parent, self.log.scid())
    }
}

impl std::fmt::Display for ResourceUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base())?;
        match (&self.version_id, self.version_time) {
            (Some(id), _) => write!(f, "?versionId={id}"),
            (None, Some(t)) => write!(f, "?versionTime={}", xsd_datetime(t)),
            (None, None) => Ok(()),
        }
    }
}

/// A dereferenced resource version.
/// See: <https://www.w3.org/TR/did-resolution/#dereferencing-result>
#[derive(Clone, Debug)]
pub struct Dereferenced {
    /// The resource (for a status list, the status list credential).
    pub content: Value,
    /// Its media type, as published.
    pub content_type: String,
    /// `contentMetadata`: `versionId`, `versionTime`, `created`, `updated`,
    /// `nextVersionId`, `parent`, `checkpoint` (`origin`, `size`).
    pub metadata: Value,
}

/// Creates the resource log of `parent` named `name` (informational): its
/// first entry, signed with `update_key` and committing to `next_key` (keys
/// of the resource log, not of the parent). Returns the resource's URL.
pub async fn create<L: Ledger>(
    ledger: &L,
    parent: &DidamDid,
    name: &str,
    update_key: &SecretKey,
    next_key: &PublicKey,
    time: DateTime<Utc>,
) -> Result<(ResourceUrl, Receipt), Error> {
    let id = match parent.network() {
        Some(network) => format!("did:didam:{network}:{{SCID}}"),
        None => "did:didam:{SCID}".to_owned(),
    };
    let state = json!({ "id": id, RESOURCE_MEMBER: { "parent": parent.as_str(), "name": name } });
    let (log, receipt) = operations::create(ledger, update_key, next_key, state, time).await?;
    Ok((ResourceUrl::new(parent, &log), receipt))
}

/// Publishes a new version of the resource at `url`: `content` (signed by the
/// parent, `id` = [`ResourceUrl::base`]) of `content_type`, appended with the
/// committed `revealed_key`, committing to `next_key`.
pub async fn publish<L: Ledger>(
    ledger: &L,
    url: &ResourceUrl,
    content: &Value,
    content_type: &str,
    revealed_key: &SecretKey,
    next_key: &PublicKey,
    time: DateTime<Utc>,
) -> Result<Receipt, Error> {
    let tip = ledger.tip(url.log.as_did()).await?;
    let mut state = tip.document.clone();
    let resource = state
        .get_mut(RESOURCE_MEMBER)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| Error::InvalidDidUrl(url.to_string()))?;
    if resource.get("parent").and_then(Value::as_str) != Some(url.parent.as_str()) {
        return Err(Error::InvalidResource { url: url.to_string(), reason: "another DID's resource".into() });
    }
    resource.insert("mediaType".into(), json!(content_type));
    resource.insert("content".into(), content.clone());
    let entry = entry::next_entry(&tip, revealed_key, Some(next_key), Some(state), false, time).await?;
    Ok(ledger.append(&entry).await?)
}

/// Dereferences `url` through `ledger` (proofs checked as for DID
/// resolution), verifying the content with keys from `methods` (see the
/// module doc).
pub async fn dereference<L: Ledger, M: MethodResolver + ?Sized>(
    ledger: &L,
    ledger_key: &NoteVerifier,
    store: &CheckpointStore,
    methods: &M,
    url: &ResourceUrl,
) -> Result<Dereferenced, Error> {
    let options = ResolveOptions { version_id: url.version_id.clone(), version_time: url.version_time };
    let resolved = resolve(ledger, ledger_key, store, url.log.as_str(), &options).await?;
    let refused = |reason: String| Error::InvalidResource { url: url.to_string(), reason };
    let resource = resolved
        .state
        .document
        .get(RESOURCE_MEMBER)
        .ok_or_else(|| refused("the log is not a resource".into()))?;
    if resource.get("parent").and_then(Value::as_str) != Some(url.parent.as_str()) {
        return Err(refused("the log is a resource of another DID".into()));
    }
    let content = resource
        .get("content")
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("{url}: the version holds no content")))?;
    let content_type = resource
        .get("mediaType")
        .and_then(Value::as_str)
        .ok_or_else(|| refused("the version names no mediaType".into()))?
        .to_owned();
    authorised(&content, url, methods).await.map_err(refused)?;
    let state = &resolved.state;
    not_replayed(&content, state.version_number, &resolved.history).map_err(refused)?;

    let mut metadata = json!({
        "parent": url.parent.as_str(),
        "created": xsd_datetime(state.created),
        "updated": xsd_datetime(state.version_time),
        "versionId": state.version_id,
        "versionTime": xsd_datetime(state.version_time),
        "checkpoint": {
            "origin": resolved.checkpoint.origin,
            "size": resolved.checkpoint.size,
            "signatures": resolved.signatures,
        },
    });
    if let Some(next) = resolved.history.iter().find(|s| s.version_number == state.version_number + 1) {
        metadata["nextVersionId"] = json!(next.version_id);
        metadata["nextUpdate"] = json!(xsd_datetime(next.version_time));
    }
    Ok(Dereferenced { content, content_type, metadata })
}

/// Step 4, continued: the content is not an earlier version's again. The
/// resource's own update key orders versions but cannot sign content, so
/// whoever holds it (a thief of the issuer's wallet, say) can append only
/// content the parent signed before: an old status list, to undo a
/// revocation. So a version's content must carry proofs no earlier version
/// carries, and must not be valid from before an earlier version's
/// `validFrom`. A replayed latest version fails the dereference (closed: the
/// reader cannot tell what the parent's latest content is).
fn not_replayed(content: &Value, version_number: u64, history: &[DidState]) -> Result<(), String> {
    let valid_from = |c: &Value| {
        c.get("validFrom").and_then(Value::as_str).and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    };
    let ours = valid_from(content);
    for earlier in history.iter().filter(|s| s.version_number < version_number) {
        let Some(before) = earlier.document.get(RESOURCE_MEMBER).and_then(|r| r.get("content")) else {
            continue;
        };
        if content.get("proof").is_some() && before.get("proof") == content.get("proof") {
            return Err(format!("the content replays version {}", earlier.version_id));
        }
        if let (Some(ours), Some(theirs)) = (ours, valid_from(before))
            && ours < theirs
        {
            return Err(format!("the content is valid from before version {}", earlier.version_id));
        }
    }
    Ok(())
}

/// Step 4: the content is the parent's, for this URL.
async fn authorised<M: MethodResolver + ?Sized>(
    content: &Value,
    url: &ResourceUrl,
    methods: &M,
) -> Result<(), String> {
    let parent = url.parent.as_str();
    if content.get("id").and_then(Value::as_str) != Some(url.base().as_str()) {
        return Err(format!("the content's id is not {}", url.base()));
    }
    if let Some(issuer) = content.get("issuer") {
        let issuer = issuer.as_str().or_else(|| issuer.get("id").and_then(Value::as_str));
        if issuer != Some(parent) {
            return Err(format!("the content is issued by {}", issuer.unwrap_or("nobody")));
        }
    }
    let proofs: Vec<&Value> = match content.get("proof") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(p @ Value::Object(_)) => vec![p],
        _ => return Err("the content carries no Data Integrity proof".into()),
    };
    for proof in &proofs {
        let method = proof.get("verificationMethod").and_then(Value::as_str).unwrap_or_default();
        if method.split_once('#').map(|(did, _)| did) != Some(parent) {
            return Err(format!("signed with `{method}`, not a key of {parent}"));
        }
    }
    let report = verify::verify(&Input::Json(content.clone()), methods, &VerifyOptions::default())
        .await
        .map_err(|e| format!("the content cannot be verified: {e}"))?
        .report;
    // The content's own validity period is its reader's to judge.
    let failed = report.checks.iter().find(|c| {
        c.outcome == Outcome::Failed && !matches!(c.check, CheckKind::ValidFrom | CheckKind::ValidUntil)
    });
    match failed {
        Some(c) => Err(format!("the content does not verify: {} {}", c.check.name(), c.detail)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const P: &str = "did:didam:QmVFJ7inYhxbLqHmybU1rJMXsofkc6MuAPr3yJVpy2Hrze";
    const R: &str = "QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";

    #[test]
    fn resource_urls() {
        let url = ResourceUrl::parse(&format!("{P}/resources/{R}")).unwrap();
        assert_eq!(url.log().as_str(), format!("did:didam:{R}"));
        assert_eq!(url.to_string(), format!("{P}/resources/{R}"));
        let test = ResourceUrl::parse(&format!("did:didam:test:{}/resources/{R}", &P[10..])).unwrap();
        assert_eq!(test.log().as_str(), format!("did:didam:test:{R}"));
        let v = ResourceUrl::parse(&format!("{P}/resources/{R}?versionId=2-abc")).unwrap();
        assert_eq!(v.to_string(), format!("{P}/resources/{R}?versionId=2-abc"));
        for bad in [
            format!("{P}/resource/{R}"),
            format!("{P}/resources/{R}#x"),
            format!("{P}/resources/x"),
            format!("{P}/resources/{R}?service=x"),
            format!("{P}/resources/{R}?versionTime=yesterday"),
            format!("did:web:example.com/resources/{R}"),
        ] {
            assert!(matches!(ResourceUrl::parse(&bad), Err(Error::InvalidDidUrl(_))), "{bad}");
        }
        assert!(matches!(
            ResourceUrl::parse(&format!("{P}/resources/{R}?versionId=1-a&versionTime=2026-01-01T00:00:00Z")),
            Err(Error::InvalidOptions(_))
        ));
    }
}
