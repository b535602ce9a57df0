//! IETF SD-JWT VC (`dc+sd-jwt`): issuing, the holder's presentation with a
//! Key Binding JWT, and the checks only this format has.
//!
//! An SD-JWT VC is an SD-JWT (RFC 9901) whose issuer JWT has `typ`
//! `dc+sd-jwt` and carries `vct` (the credential type), `iss` (here the
//! issuer's DID, the `kid` a DID URL of one of its verification methods),
//! `cnf` (the holder's public JWK), `iat` and optionally `nbf`/`exp`. The
//! issuer conceals the claims it is asked to ([`IssueOptions::disclosable`],
//! JSON pointers: object members and array elements, nested ones too; a
//! nested claim is concealed inside its parent's disclosure) with fresh
//! 128-bit salts and `_sd_alg` `sha-256`; optional decoy digests hide how
//! many claims an object has. [`issue_batch`] issues one copy per holder key,
//! each with its own salts, so that presentations of two copies share
//! nothing.
//!
//! The holder ([`present`]) picks disclosures by JSON pointer into the
//! credential as issued: a claim brings the disclosures of its parents and
//! of everything under it. A Key Binding JWT (`typ` `kb+jwt`: `iat`, `aud`,
//! `nonce`, `sd_hash`) signed with the `cnf` key ends the presentation.
//!
//! Verification is in [`crate::verify`] (a `dc+sd-jwt` is recognised by its
//! `typ`): the `kid` must be a DID URL of `iss` before anything is resolved,
//! then the issuer signature; only a signed credential has its disclosures
//! revealed (the reveal walk of [`crate::sd_jwt`], shared with `vc+sd-jwt`:
//! each disclosure referenced once, no digest twice, no reserved name),
//! then `vct`, the JWT times, and the key binding ([`check_key_binding`]).
//! See: <https://www.rfc-editor.org/rfc/rfc9901>,
//! <https://datatracker.ietf.org/doc/draft-ietf-oauth-sd-jwt-vc/>

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use rand_core::RngCore as _;
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::error::Error;
use crate::error::KeyError;
use crate::identifier::DidUrl;
use crate::jose::{self, CompactJws};
use crate::key::{PublicKey, SecretKey};
use crate::limits::Limits;
use crate::sd_jwt::{self, SdJwt};
use crate::selective::JsonPointer;

/// Media type (`typ`) of an IETF SD-JWT VC's issuer JWT.
pub const DC_SD_JWT: &str = "dc+sd-jwt";
/// Media type (`typ`) of a Key Binding JWT.
pub const KB_JWT: &str = "kb+jwt";
/// How old a Key Binding JWT's `iat` may be (beyond the clock skew) when it
/// is verified: 5 minutes. A presentation is made for one verification.
pub const KB_MAX_AGE_SECONDS: i64 = 300;

/// Claims the issuer sets from [`IssueOptions`] (a credential's own claims
/// may not carry them), and which are never selectively disclosable
/// (draft-ietf-oauth-sd-jwt-vc, "Registered JWT Claims", plus `iat` and
/// `_sd_alg`, which this issuer always writes in the clear).
const SET_BY_ISSUER: [&str; 9] =
    ["iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "_sd_alg"];

/// Why an SD-JWT VC could not be issued or presented (a usage error: the
/// request does not fit the credential). A credential that was checked and
/// found bad is a failed check of the report instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdJwtVcError {
    /// The claims to issue are not a JSON object.
    #[error("the claims of an SD-JWT VC must be a JSON object")]
    NotAnObject,
    /// The claims carry a claim the issuer sets itself.
    #[error("the claims may not carry `{0}`: the issuer sets it")]
    ReservedClaim(String),
    /// The claims use `_sd` or `...`, which SD-JWT reserves.
    #[error("a claim is named `{0}`, which SD-JWT reserves")]
    ReservedName(String),
    /// A pointer names nothing in the credential.
    #[error("`{0}` points at nothing in the credential")]
    PointerNotFound(String),
    /// A pointer names a claim that must stay in the clear.
    #[error("`{0}` cannot be selectively disclosable")]
    NotDisclosable(String),
    /// The same pointer was given twice.
    #[error("`{0}` is given twice")]
    DuplicatePointer(String),
    /// The `vct` is empty.
    #[error("the `vct` is empty")]
    EmptyVct,
    /// A batch issue without a holder key.
    #[error("a batch issue needs at least one holder key")]
    NoHolder,
    /// The SD-JWT to present already ends with a Key Binding JWT.
    #[error("the SD-JWT is already key-bound: present the credential as issued")]
    AlreadyBound,
    /// The credential has no usable `cnf.jwk`.
    #[error("the credential has no usable `cnf.jwk`")]
    NoHolderKey(#[source] Option<KeyError>),
    /// The holder's key is not the credential's `cnf` key.
    #[error("the key given is not the credential's holder key (`cnf.jwk`)")]
    NotHolderKey,
    /// The credential's disclosures could not be revealed.
    #[error("the credential's disclosures could not be revealed")]
    Reveal(#[source] sd_jwt::RevealError),
}

/// What an issuer puts around the claims.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IssueOptions {
    /// The credential type (`vct`).
    pub vct: String,
    /// The issuer's verification method: `kid`; its DID is `iss`.
    pub kid: DidUrl,
    /// `iat`.
    pub issued_at: DateTime<Utc>,
    /// `nbf`, if any.
    pub not_before: Option<DateTime<Utc>>,
    /// `exp`, if any.
    pub expires: Option<DateTime<Utc>>,
    /// The claims made selectively disclosable, by JSON pointer into the claims.
    pub disclosable: Vec<JsonPointer>,
    /// Decoy digests added to each `_sd` array.
    pub decoys: usize,
    /// The entry of a Token Status List ([`crate::token_status_list`]):
    /// its URI and index, written as `status.status_list`.
    pub status: Option<(String, usize)>,
}

impl IssueOptions {
    /// Options for `vct` issued by the method `kid` now, nothing disclosable yet.
    pub fn new(vct: impl Into<String>, kid: DidUrl) -> Self {
        Self {
            vct: vct.into(),
            kid,
            issued_at: Utc::now(),
            not_before: None,
            expires: None,
            disclosable: Vec::new(),
            decoys: 0,
            status: None,
        }
    }
}

/// Issues `claims` as an SD-JWT VC signed with `key` (the key of
/// `options.kid`) for the holder key `holder` (its `cnf`): the compact
/// `<issuer JWT>~<disclosure>~…~`.
pub fn issue(
    claims: &Value,
    key: &SecretKey,
    options: &IssueOptions,
    holder: &PublicKey,
) -> Result<String, Error> {
    let Value::Object(claims) = claims else { return Err(SdJwtVcError::NotAnObject.into()) };
    if options.vct.is_empty() {
        return Err(SdJwtVcError::EmptyVct.into());
    }
    if let Some(reserved) = SET_BY_ISSUER.iter().find(|c| claims.contains_key(**c)) {
        return Err(SdJwtVcError::ReservedClaim((*reserved).to_owned()).into());
    }
    reserved_names(&Value::Object(claims.clone()))?;
    let mut payload = Map::new();
    payload.insert("iss".into(), json!(options.kid.did.as_str()));
    payload.insert("iat".into(), json!(options.issued_at.timestamp()));
    if let Some(nbf) = options.not_before {
        payload.insert("nbf".into(), json!(nbf.timestamp()));
    }
    if let Some(exp) = options.expires {
        payload.insert("exp".into(), json!(exp.timestamp()));
    }
    payload.insert("vct".into(), json!(options.vct));
    payload.insert("cnf".into(), json!({ "jwk": holder.to_jwk() }));
    if let Some((uri, idx)) = &options.status {
        payload.insert("status".into(), json!({ "status_list": { "idx": idx, "uri": uri } }));
    }
    let mut body = Value::Object(claims.clone());
    let disclosures = conceal(&mut body, &options.disclosable, options.decoys)?;
    if let Value::Object(body) = body {
        payload.extend(body);
    }
    payload.insert("_sd_alg".into(), json!(sd_jwt::SHA_256));
    let header = json!({
        "alg": key.key_type().jose_alg(),
        "kid": options.kid.to_string(),
        "typ": DC_SD_JWT,
    });
    let jwt = jose::sign_compact(&header, &Value::Object(payload), key);
    let mut out = jwt;
    out.push('~');
    for d in disclosures {
        out.push_str(&d);
        out.push('~');
    }
    Ok(out)
}

/// Issues one copy of `claims` per holder key, each with its own salts (and
/// decoys): two copies share no disclosure and no digest.
pub fn issue_batch(
    claims: &Value,
    key: &SecretKey,
    options: &IssueOptions,
    holders: &[PublicKey],
) -> Result<Vec<String>, Error> {
    if holders.is_empty() {
        return Err(SdJwtVcError::NoHolder.into());
    }
    holders.iter().map(|holder| issue(claims, key, options, holder)).collect()
}

/// Refuses `_sd` and `...` as claim names anywhere in `value`.
fn reserved_names(value: &Value) -> Result<(), SdJwtVcError> {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(name) = ["_sd", "..."].into_iter().find(|n| map.contains_key(*n)) {
                    return Err(SdJwtVcError::ReservedName(name.to_owned()));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Ok(())
}

/// 128 random bits, base64url.
fn salt() -> String {
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    B64URL.encode(bytes)
}

/// Conceals what `pointers` name in `body` (deepest first, so a nested
/// claim's digest travels inside its parent's disclosure), adds `decoys`
/// digests to each `_sd` array and sorts it; returns the disclosures.
fn conceal(body: &mut Value, pointers: &[JsonPointer], decoys: usize) -> Result<Vec<String>, SdJwtVcError> {
    let mut seen = HashSet::new();
    for p in pointers {
        if !seen.insert(p.as_str()) {
            return Err(SdJwtVcError::DuplicatePointer(p.to_string()));
        }
    }
    let mut ordered: Vec<&JsonPointer> = pointers.iter().collect();
    ordered.sort_by_key(|p| std::cmp::Reverse(p.segments().len()));
    let mut disclosures = Vec::with_capacity(pointers.len());
    for pointer in ordered {
        let not_found = || SdJwtVcError::PointerNotFound(pointer.to_string());
        let Some((last, parents)) = pointer.segments().split_last() else { return Err(not_found()) };
        if parents.is_empty() && SET_BY_ISSUER.contains(&last.as_str()) {
            return Err(SdJwtVcError::NotDisclosable(pointer.to_string()));
        }
        let mut parent = &mut *body;
        for segment in parents {
            parent = match parent {
                Value::Object(map) => map.get_mut(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
                _ => None,
            }
            .ok_or_else(not_found)?;
        }
        match parent {
            Value::Object(map) => {
                let value = map.remove(last).ok_or_else(not_found)?;
                let disclosure = encode(&json!([salt(), last, value]));
                let digest = sd_jwt::disclosure_digest(&disclosure);
                match map.entry("_sd").or_insert_with(|| json!([])) {
                    Value::Array(sd) => sd.push(json!(digest)),
                    _ => return Err(SdJwtVcError::ReservedName("_sd".into())),
                }
                disclosures.push(disclosure);
            }
            Value::Array(items) => {
                let item = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)).ok_or_else(not_found)?;
                let disclosure = encode(&json!([salt(), item.take()]));
                *item = json!({ "...": sd_jwt::disclosure_digest(&disclosure) });
                disclosures.push(disclosure);
            }
            _ => return Err(not_found()),
        }
    }
    add_decoys(body, decoys);
    Ok(disclosures)
}

/// A disclosure: the base64url of its JSON array.
fn encode(parts: &Value) -> String {
    B64URL.encode(parts.to_string())
}

/// Adds `decoys` random digests to every `_sd` array under `value` and
/// sorts each (the order of the digests says nothing then).
fn add_decoys(value: &mut Value, decoys: usize) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(sd)) = map.get_mut("_sd") {
                    for _ in 0..decoys {
                        sd.push(json!(B64URL.encode(sha2::Sha256::digest(salt().as_bytes()))));
                    }
                    sd.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                stack.extend(map.values_mut().filter(|v| v.is_object() || v.is_array()));
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

/// What the verifier asked the holder to bind a presentation to.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Binding {
    /// The verifier's nonce.
    pub nonce: String,
    /// The verifier (`aud`).
    pub aud: String,
    /// `iat` of the Key Binding JWT.
    pub issued_at: DateTime<Utc>,
}

impl Binding {
    /// A binding to `nonce` and `aud`, made now.
    pub fn new(nonce: impl Into<String>, aud: impl Into<String>) -> Self {
        Self { nonce: nonce.into(), aud: aud.into(), issued_at: Utc::now() }
    }
}

/// The holder's presentation of `sd_jwt` (as issued): the disclosures
/// `disclose` needs (each pointer's parents and everything under it), and a
/// Key Binding JWT signed with `holder` (the credential's `cnf` key).
pub fn present(
    sd_jwt: &str,
    disclose: &[JsonPointer],
    holder: &SecretKey,
    binding: &Binding,
    limits: &Limits,
) -> Result<String, Error> {
    limits.check_size(sd_jwt)?;
    let parsed = SdJwt::parse(sd_jwt)?;
    if parsed.key_binding().is_some() {
        return Err(SdJwtVcError::AlreadyBound.into());
    }
    let cnf = holder_key(&parsed.jwt.payload).map_err(|e| SdJwtVcError::NoHolderKey(Some(e)))?;
    if cnf.to_jwk() != holder.public_key().to_jwk() {
        return Err(SdJwtVcError::NotHolderKey.into());
    }
    let revealed = parsed.reveal_detailed(limits).map_err(|e| match e {
        sd_jwt::RevealError::Limit(limit) => Error::Limit(limit),
        other => SdJwtVcError::Reveal(other).into(),
    })?;
    let mut seen = HashSet::new();
    for p in disclose {
        if !seen.insert(p.as_str()) {
            return Err(SdJwtVcError::DuplicatePointer(p.to_string()).into());
        }
        if p.resolve(&revealed.document).is_none() {
            return Err(SdJwtVcError::PointerNotFound(p.to_string()).into());
        }
    }
    let under = |outer: &str, inner: &str| {
        inner == outer || inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('/'))
    };
    let jwt = parsed.presented().split('~').next().unwrap_or_default();
    let mut presented = format!("{jwt}~");
    for (disclosure, placed) in parsed.disclosures().iter().zip(&revealed.placed) {
        if disclose.iter().any(|p| under(placed, p.as_str()) || under(p.as_str(), placed)) {
            presented.push_str(disclosure);
            presented.push('~');
        }
    }
    let header = json!({ "alg": holder.key_type().jose_alg(), "typ": KB_JWT });
    let payload = json!({
        "iat": binding.issued_at.timestamp(),
        "aud": binding.aud,
        "nonce": binding.nonce,
        "sd_hash": sd_hash(&presented),
    });
    presented.push_str(&jose::sign_compact(&header, &payload, holder));
    Ok(presented)
}

/// The `sd_hash` of a presentation: the base64url SHA-256 of the issuer
/// JWT and the disclosures, each followed by `~`.
pub fn sd_hash(presented: &str) -> String {
    B64URL.encode(sha2::Sha256::digest(presented.as_bytes()))
}

/// The holder's key from a payload's `cnf.jwk`.
pub fn holder_key(payload: &Value) -> Result<PublicKey, KeyError> {
    let jwk = payload.pointer("/cnf/jwk").ok_or(KeyError::InvalidJwk("no `cnf.jwk`"))?;
    PublicKey::from_jwk(jwk)
}

/// What a Key Binding JWT must match.
#[derive(Clone, Debug)]
pub struct KeyBindingExpectations {
    /// The nonce the verifier gave; `None` accepts any (the report's
    /// `replay-protection` check says so).
    pub nonce: Option<String>,
    /// The audience the verifier is; `None` accepts any.
    pub aud: Option<String>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Allowed clock skew in seconds.
    pub skew_seconds: i64,
}

/// Why a Key Binding JWT does not hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyBindingError {
    /// No Key Binding JWT follows the disclosures.
    #[error("no key binding JWT: the presentation is not bound to its holder or to this verifier")]
    Missing,
    /// The credential has no usable `cnf.jwk`.
    #[error("the credential has no usable `cnf.jwk`")]
    NoHolderKey(#[source] KeyError),
    /// The Key Binding JWT is not a compact JWS.
    #[error("the key binding JWT is unreadable")]
    Unreadable(#[source] Box<Error>),
    /// Its `typ` is not `kb+jwt`.
    #[error("the key binding JWT's typ is `{0}`, not kb+jwt")]
    Typ(String),
    /// Its `alg` does not fit the `cnf` key (`none` among them).
    #[error("the key binding JWT's alg `{found}` does not fit the holder key ({expected})")]
    Alg {
        /// The `alg` given.
        found: String,
        /// The `cnf` key's algorithm.
        expected: &'static str,
    },
    /// The signature is not the `cnf` key's.
    #[error("the key binding JWT is not signed by the holder key (`cnf`)")]
    Signature(#[source] KeyError),
    /// A claim is missing or not of its type.
    #[error("the key binding JWT has no valid `{0}`")]
    MissingClaim(&'static str),
    /// `sd_hash` is not over the SD-JWT as presented.
    #[error("sd_hash does not match the SD-JWT presented")]
    SdHash,
    /// The nonce is not the verifier's.
    #[error("nonce `{found}` is not the verifier's `{expected}`")]
    Nonce {
        /// The nonce the verifier gave.
        expected: String,
        /// The nonce in the Key Binding JWT.
        found: String,
    },
    /// The audience is not this verifier.
    #[error("aud `{found}` is not `{expected}`")]
    Aud {
        /// The verifier's audience.
        expected: String,
        /// The `aud` in the Key Binding JWT.
        found: String,
    },
    /// `iat` is in the future or too old.
    #[error("the key binding JWT's iat {0} is outside the accepted window")]
    IssuedAt(i64),
}

/// Checks the Key Binding JWT of `sd_jwt` against its `cnf` key and what
/// the verifier expects; returns what was bound.
pub fn check_key_binding(sd_jwt: &SdJwt, expect: &KeyBindingExpectations) -> Result<String, KeyBindingError> {
    let kb = sd_jwt.key_binding().ok_or(KeyBindingError::Missing)?;
    let cnf = holder_key(&sd_jwt.jwt.payload).map_err(KeyBindingError::NoHolderKey)?;
    let kb = CompactJws::parse(kb).map_err(|e| KeyBindingError::Unreadable(Box::new(e)))?;
    let typ = kb.header.get("typ").and_then(Value::as_str).unwrap_or_default();
    if typ != KB_JWT {
        return Err(KeyBindingError::Typ(typ.to_owned()));
    }
    let alg = kb.header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let expected = cnf.key_type().jose_alg();
    if alg != expected {
        return Err(KeyBindingError::Alg { found: alg.to_owned(), expected });
    }
    kb.verify_with(&cnf).map_err(KeyBindingError::Signature)?;
    let claim = |name: &'static str| {
        kb.payload.get(name).and_then(Value::as_str).ok_or(KeyBindingError::MissingClaim(name))
    };
    if claim("sd_hash")? != sd_hash(sd_jwt.presented()) {
        return Err(KeyBindingError::SdHash);
    }
    let nonce = claim("nonce")?;
    if let Some(expected) = expect.nonce.as_deref().filter(|e| *e != nonce) {
        return Err(KeyBindingError::Nonce { expected: expected.to_owned(), found: nonce.to_owned() });
    }
    let aud = claim("aud")?;
    if let Some(expected) = expect.aud.as_deref().filter(|e| *e != aud) {
        return Err(KeyBindingError::Aud { expected: expected.to_owned(), found: aud.to_owned() });
    }
    let iat = kb.payload.get("iat").and_then(Value::as_i64).ok_or(KeyBindingError::MissingClaim("iat"))?;
    let now = expect.now.timestamp();
    let skew = expect.skew_seconds.max(crate::verify::JWT_CLOCK_SKEW_SECONDS);
    if iat > now.saturating_add(skew) || iat < now.saturating_sub(skew).saturating_sub(KB_MAX_AGE_SECONDS) {
        return Err(KeyBindingError::IssuedAt(iat));
    }
    Ok(format!("signed by the holder key ({alg}), nonce `{nonce}`, aud `{aud}`"))
}
