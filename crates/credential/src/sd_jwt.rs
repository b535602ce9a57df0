//! VC-JOSE with selective disclosure: SD-JWT credentials (`vc+sd-jwt`),
//! verification only.
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

use std::collections::HashMap;

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

/// A decoded SD-JWT credential.
#[derive(Clone, Debug)]
pub struct SdJwt {
    /// The issuer-signed JWT (payload still concealed).
    pub jwt: CompactJws,
    disclosures: Vec<String>,
}

impl SdJwt {
    /// Whether `text` looks like an SD-JWT (a JWS followed by `~`).
    pub fn looks_like(text: &str) -> bool {
        text.trim().split('~').next().is_some_and(|jwt| jwt.split('.').count() == 3) && text.contains('~')
    }

    /// Splits and decodes `text`. A key binding JWT, if any, is kept out: the
    /// issuer's credential is what is verified here.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut parts: Vec<&str> = text.trim().split('~').collect();
        let Some(jwt) = parts.first().copied() else {
            return Err(Error::UnreadableInput("empty SD-JWT"));
        };
        let jwt = CompactJws::parse(jwt)?;
        // The last part is empty (no key binding) or a key binding JWT.
        parts.remove(0);
        if parts.last().is_some_and(|p| p.is_empty() || p.contains('.')) {
            parts.pop();
        }
        Ok(Self { jwt, disclosures: parts.into_iter().map(str::to_owned).collect() })
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
        limits.check_disclosures(self.disclosures.len())?;
        let alg = self.jwt.payload.get("_sd_alg").and_then(Value::as_str).unwrap_or("sha-256");
        if alg != "sha-256" {
            return Err(RevealError::UnsupportedAlg(alg.to_owned()));
        }
        let mut by_digest = HashMap::new();
        for d in &self.disclosures {
            let digest = B64URL.encode(sha2::Sha256::digest(d.as_bytes()));
            let raw = B64URL.decode(d).map_err(RevealError::NotBase64url)?;
            let parsed: Vec<Value> = serde_json::from_slice(&raw).map_err(RevealError::NotJsonArray)?;
            if by_digest.insert(digest, (parsed, false)).is_some() {
                return Err(RevealError::DisclosedTwice);
            }
        }
        let mut revealed = self.jwt.payload.clone();
        if let Value::Object(map) = &mut revealed {
            map.remove("_sd_alg");
        }
        let mut walk = Walk { by_digest, limits };
        walk.value(&mut revealed, 1)?;
        let by_digest = walk.by_digest;
        if by_digest.values().any(|(_, used)| !used) {
            return Err(RevealError::Unreferenced);
        }
        Ok(revealed)
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

type Disclosed = HashMap<String, (Vec<Value>, bool)>;

/// The reveal walk: the disclosures by digest, and the limits it keeps to.
struct Walk<'a> {
    by_digest: Disclosed,
    limits: &'a Limits,
}

impl Walk<'_> {
    fn take(&mut self, digest: &str) -> Result<Option<Vec<Value>>, RevealError> {
        match self.by_digest.get_mut(digest) {
            None => Ok(None),
            Some((_, true)) => Err(RevealError::ReferencedTwice),
            Some((parts, used)) => {
                *used = true;
                Ok(Some(parts.clone()))
            }
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
                        self.value(&mut item, depth + 1)?;
                        out.push(item);
                        continue;
                    };
                    // An undisclosed element is dropped.
                    if let Some(parts) = self.take(&d)? {
                        let Ok([_, mut v]) = <[Value; 2]>::try_from(parts) else {
                            return Err(RevealError::BadArrayElement);
                        };
                        self.value(&mut v, depth + 1)?;
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
                if let Some(parts) = self.take(d)? {
                    let Ok([_, Value::String(name), v]) = <[Value; 3]>::try_from(parts) else {
                        return Err(RevealError::BadProperty);
                    };
                    if name == "_sd" || name == "..." || map.contains_key(&name) {
                        return Err(RevealError::Clash(name));
                    }
                    map.insert(name, v);
                }
            }
        }
        for v in map.values_mut() {
            self.value(v, depth + 1)?;
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
    let mut checks = jose::verify_typed(&sd_jwt.jwt, resolver, purpose, &[VC_SD_JWT, "dc+sd-jwt"]).await?;
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
