//! SD-JWT (RFC 9901): splitting, disclosure hashing and the reveal walk,
//! shared by W3C `vc+sd-jwt` credentials (verified here) and IETF SD-JWT VCs
//! (`dc+sd-jwt`, issued, presented and verified in [`crate::sd_jwt_vc`]).
//!
//! Steps: split `<issuer JWT>~<disclosure>~…~[<key binding JWT>]` → verify the
//! issuer JWT like any VC-JOSE JWS (media type `vc+sd-jwt`) → hash each
//! disclosure (SHA-256, base64url) → replace the digests in `_sd` arrays and
//! `{"...": digest}` array elements by the disclosed claims, dropping the
//! undisclosed ones → the result is the credential. Every disclosure must be
//! referenced exactly once. (ssi's SD-JWT reveal returns typed JWT claims with
//! the registered claims split out; verifiers here need the credential JSON as
//! issued, so the reveal step is written here against the RFC.)
//! See: <https://www.rfc-editor.org/rfc/rfc9901>, <https://www.w3.org/TR/vc-jose-cose/#with-sd-jwt>

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Map, Value};
use sha2::Digest as _;

use crate::did::{MethodResolver, ProofPurpose};
use crate::error::Error;
use crate::jose::{self, CompactJws};
use crate::limits::{LimitError, Limits};
use crate::report::{Check, CheckKind};

/// Media type of SD-JWT credentials.
pub const VC_SD_JWT: &str = "vc+sd-jwt";

/// The digest of a disclosure as it appears in `_sd` and `...`: the
/// base64url SHA-256 of its base64url text (the only `_sd_alg` didam reads
/// and writes, `sha-256`).
/// See: <https://www.rfc-editor.org/rfc/rfc9901#name-hashing-disclosures>
pub fn disclosure_digest(disclosure: &str) -> String {
    B64URL.encode(sha2::Sha256::digest(disclosure.as_bytes()))
}

/// The `_sd_alg` didam reads and writes (the default when absent).
pub const SHA_256: &str = "sha-256";

/// A decoded SD-JWT credential.
#[derive(Clone, Debug)]
pub struct SdJwt {
    /// The issuer-signed JWT (payload still concealed).
    pub jwt: CompactJws,
    disclosures: Vec<String>,
    /// The key binding JWT, when one follows the disclosures.
    key_binding: Option<String>,
    /// The text a key binding JWT's `sd_hash` covers: the issuer JWT and
    /// the disclosures, each followed by `~`.
    presented: String,
}

/// What [`SdJwt::reveal_detailed`] found: the document with the disclosed
/// claims in place, where each disclosure landed, and what was withheld.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Revealed {
    /// The payload with the disclosures in place, `_sd` and `_sd_alg` gone.
    pub document: Value,
    /// For each disclosure in the order given, the JSON pointer (in
    /// [`Self::document`]) of the claim or array element it disclosed.
    pub placed: Vec<String>,
    /// For each object or array with digests left undisclosed, its JSON
    /// pointer (`""` for the top level) and how many (decoys included:
    /// they cannot be told apart).
    pub withheld: BTreeMap<String, usize>,
}

/// A JSON pointer (RFC 6901) from reference tokens.
pub(crate) fn pointer_of(segments: &[String]) -> String {
    segments.iter().map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

impl SdJwt {
    /// Whether `text` looks like an SD-JWT (a JWS followed by `~`).
    pub fn looks_like(text: &str) -> bool {
        text.trim().split('~').next().is_some_and(|jwt| jwt.split('.').count() == 3) && text.contains('~')
    }

    /// Splits and decodes `text`. A key binding JWT, if any, is kept apart
    /// ([`Self::key_binding`]); the disclosures are what the issuer's
    /// credential reveals.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut parts: Vec<&str> = text.trim().split('~').collect();
        let Some(jwt) = parts.first().copied() else {
            return Err(Error::UnreadableInput("empty SD-JWT"));
        };
        let jwt = CompactJws::parse(jwt)?;
        // The last part is empty (no key binding) or a key binding JWT.
        parts.remove(0);
        let mut key_binding = None;
        if parts.last().is_some_and(|p| p.is_empty() || p.contains('.')) {
            key_binding = parts.pop().filter(|p| !p.is_empty()).map(str::to_owned);
        }
        let text = text.trim();
        let presented = match &key_binding {
            Some(kb) => text.strip_suffix(kb.as_str()).unwrap_or(text).to_owned(),
            None if text.ends_with('~') => text.to_owned(),
            None => format!("{text}~"),
        };
        Ok(Self { jwt, disclosures: parts.into_iter().map(str::to_owned).collect(), key_binding, presented })
    }

    /// The key binding JWT that followed the disclosures, if any.
    pub fn key_binding(&self) -> Option<&str> {
        self.key_binding.as_deref()
    }

    /// The text a key binding JWT's `sd_hash` is computed over: the
    /// issuer JWT and each disclosure, each followed by `~`.
    pub fn presented(&self) -> &str {
        &self.presented
    }

    /// The disclosures, as given (base64url).
    pub fn disclosures(&self) -> &[String] {
        &self.disclosures
    }

    /// The disclosures given (not the key binding JWT).
    pub fn disclosure_count(&self) -> usize {
        self.disclosures.len()
    }

    /// The disclosed credential, or why it cannot be revealed: within
    /// `limits`, the number of disclosures and the depth of the credential
    /// as it is revealed (checked at every level before the walk goes
    /// deeper, so the walk's recursion is bounded by `limits.max_depth`).
    pub fn reveal(&self, limits: &Limits) -> Result<Value, RevealError> {
        self.reveal_detailed(limits).map(|r| r.document)
    }

    /// [`Self::reveal`], also saying where each disclosure landed and how
    /// many digests each object kept undisclosed.
    pub fn reveal_detailed(&self, limits: &Limits) -> Result<Revealed, RevealError> {
        limits.check_disclosures(self.disclosures.len())?;
        let alg = match self.jwt.payload.get("_sd_alg") {
            None => SHA_256,
            Some(Value::String(alg)) => alg.as_str(),
            Some(other) => return Err(RevealError::UnsupportedAlg(other.to_string())),
        };
        if alg != SHA_256 {
            return Err(RevealError::UnsupportedAlg(alg.to_owned()));
        }
        let mut by_digest = HashMap::new();
        for (i, d) in self.disclosures.iter().enumerate() {
            let digest = disclosure_digest(d);
            let raw = B64URL.decode(d).map_err(RevealError::NotBase64url)?;
            let parsed: Vec<Value> = serde_json::from_slice(&raw).map_err(RevealError::NotJsonArray)?;
            if by_digest.insert(digest, Slot { parts: parsed, index: i, used: false }).is_some() {
                return Err(RevealError::DisclosedTwice);
            }
        }
        let mut revealed = self.jwt.payload.clone();
        if let Value::Object(map) = &mut revealed {
            map.remove("_sd_alg");
        }
        let mut walk = Walk {
            by_digest,
            limits,
            path: Vec::new(),
            placed: vec![String::new(); self.disclosures.len()],
            withheld: BTreeMap::new(),
            seen: HashSet::new(),
        };
        walk.value(&mut revealed, 1)?;
        if walk.by_digest.values().any(|slot| !slot.used) {
            return Err(RevealError::Unreferenced);
        }
        Ok(Revealed { document: revealed, placed: walk.placed, withheld: walk.withheld })
    }
}

/// Why the disclosures of an SD-JWT cannot be revealed (a failed
/// `disclosures` check).
/// See: <https://www.rfc-editor.org/rfc/rfc9901#name-verifying-the-issuer-signed-jwt>
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevealError {
    /// An `_sd_alg` other than `sha-256`.
    #[error("unsupported _sd_alg `{0}`")]
    UnsupportedAlg(String),
    /// A disclosure that does not decode as base64url.
    #[error("a disclosure is not base64url")]
    NotBase64url(#[source] base64::DecodeError),
    /// A disclosure that is not a JSON array.
    #[error("a disclosure is not a JSON array")]
    NotJsonArray(#[source] serde_json::Error),
    /// The same disclosure given twice.
    #[error("the same disclosure is given twice")]
    DisclosedTwice,
    /// A disclosure whose digest the credential does not contain.
    #[error("a disclosure is not referenced by the credential")]
    Unreferenced,
    /// A digest found twice in the credential.
    #[error("a digest is referenced twice")]
    ReferencedTwice,
    /// An array element disclosure that is not `[salt, value]`.
    #[error("an array element disclosure must have two parts")]
    BadArrayElement,
    /// An object property disclosure that is not `[salt, name, value]`.
    #[error("an object property disclosure must have three parts")]
    BadProperty,
    /// An `_sd` member that is not an array of digests.
    #[error("`_sd` is not an array")]
    SdNotArray,
    /// A digest in `_sd` that is not a string.
    #[error("an `_sd` digest is not a string")]
    DigestNotString,
    /// A disclosed claim named `_sd` or `...`, or already in the object.
    #[error("disclosed claim `{0}` clashes")]
    Clash(String),
    /// Too many disclosures, or a credential nested too deep once revealed.
    #[error(transparent)]
    Limit(#[from] LimitError),
}

/// A disclosure by its digest: its parts, its place in the SD-JWT, and
/// whether a digest referenced it yet.
struct Slot {
    parts: Vec<Value>,
    index: usize,
    used: bool,
}

/// The reveal walk: the disclosures by digest, the limits it keeps to, the
/// path it is at, where each disclosure landed and what was withheld.
struct Walk<'a> {
    by_digest: HashMap<String, Slot>,
    limits: &'a Limits,
    path: Vec<String>,
    placed: Vec<String>,
    withheld: BTreeMap<String, usize>,
    /// Every digest met, disclosed or not: none may appear twice.
    seen: HashSet<String>,
}

impl Walk<'_> {
    /// The disclosure `digest` names (its parts and its index), marked
    /// used; `None` (counted as withheld here) when it was not disclosed.
    fn take(&mut self, digest: &str) -> Result<Option<(Vec<Value>, usize)>, RevealError> {
        if !self.seen.insert(digest.to_owned()) {
            return Err(RevealError::ReferencedTwice);
        }
        match self.by_digest.get_mut(digest) {
            None => {
                *self.withheld.entry(pointer_of(&self.path)).or_default() += 1;
                Ok(None)
            }
            Some(Slot { used: true, .. }) => Err(RevealError::ReferencedTwice),
            Some(slot) => {
                slot.used = true;
                Ok(Some((slot.parts.clone(), slot.index)))
            }
        }
    }

    /// Reveals `value` at `depth`, one level below the walk's path, under `segment`.
    fn child(&mut self, segment: String, value: &mut Value, depth: usize) -> Result<(), RevealError> {
        self.path.push(segment);
        let result = self.value(value, depth);
        self.path.pop();
        result
    }

    /// Records that disclosure `index` landed at the walk's path plus `segment`.
    fn place(&mut self, index: usize, segment: &str) {
        if let Some(slot) = self.placed.get_mut(index) {
            *slot = format!("{}{}", pointer_of(&self.path), pointer_of(&[segment.to_owned()]));
        }
    }

    /// Reveals `value`, found at `depth` (the top-level object is 1).
    fn value(&mut self, value: &mut Value, depth: usize) -> Result<(), RevealError> {
        match value {
            Value::Object(map) => {
                self.limits.check_depth(depth)?;
                self.object(map, depth)
            }
            Value::Array(items) => {
                self.limits.check_depth(depth)?;
                let mut out = Vec::with_capacity(items.len());
                for mut item in std::mem::take(items) {
                    let digest = match &item {
                        Value::Object(m) if m.len() == 1 => {
                            m.get("...").and_then(Value::as_str).map(str::to_owned)
                        }
                        _ => None,
                    };
                    let Some(d) = digest else {
                        self.child(out.len().to_string(), &mut item, depth + 1)?;
                        out.push(item);
                        continue;
                    };
                    // An undisclosed element is dropped.
                    if let Some((parts, index)) = self.take(&d)? {
                        let Ok([_, mut v]) = <[Value; 2]>::try_from(parts) else {
                            return Err(RevealError::BadArrayElement);
                        };
                        let segment = out.len().to_string();
                        self.place(index, &segment);
                        self.child(segment, &mut v, depth + 1)?;
                        out.push(v);
                    }
                }
                *items = out;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, depth: usize) -> Result<(), RevealError> {
        if let Some(sd) = map.remove("_sd") {
            let Value::Array(digests) = sd else { return Err(RevealError::SdNotArray) };
            for d in digests {
                let d = d.as_str().ok_or(RevealError::DigestNotString)?;
                if let Some((parts, index)) = self.take(d)? {
                    let Ok([_, Value::String(name), v]) = <[Value; 3]>::try_from(parts) else {
                        return Err(RevealError::BadProperty);
                    };
                    if name == "_sd" || name == "..." || map.contains_key(&name) {
                        return Err(RevealError::Clash(name));
                    }
                    self.place(index, &name);
                    map.insert(name, v);
                }
            }
        }
        for (name, v) in map.iter_mut() {
            self.child(name.clone(), v, depth + 1)?;
        }
        Ok(())
    }
}

/// Verifies the issuer JWT and reveals the disclosures within `limits`;
/// returns the checks and the credential when it could be revealed. Too
/// many disclosures, or a revealed credential nested too deep, is an
/// [`Error::Limit`], before the signature is checked for the count.
pub async fn verify<R: MethodResolver + ?Sized>(
    sd_jwt: &SdJwt,
    resolver: &R,
    purpose: ProofPurpose,
    limits: &Limits,
) -> Result<(Vec<Check>, Option<Value>), Error> {
    limits.check_disclosures(sd_jwt.disclosures.len())?;
    let mut checks = jose::verify_typed(&sd_jwt.jwt, resolver, purpose, &[VC_SD_JWT]).await?;
    let revealed = match sd_jwt.reveal(limits) {
        Ok(v) => {
            checks.push(Check::passed(
                CheckKind::Disclosures,
                format!("{} disclosed", sd_jwt.disclosures.len()),
            ));
            Some(v)
        }
        Err(RevealError::Limit(e)) => return Err(e.into()),
        Err(reason) => {
            checks.push(Check::failed(CheckKind::Disclosures, reason.to_string()));
            None
        }
    };
    Ok((checks, revealed))
}
