//! VC-JOSE: credentials and presentations secured as compact JWS.
//!
//! The payload is the credential itself (no `vc`/`vp` claim); the header names
//! `alg`, `kid`, `typ` (`vc+jwt`, `vp+jwt`; the older `vc-ld+jwt` is read too)
//! and `cty`. Signatures go through [`crate::key`], like every other signature.
//! An enveloped credential is `{"type": "EnvelopedVerifiableCredential",
//! "id": "data:application/vc+jwt,<jws>"}`.
//! See: <https://www.w3.org/TR/vc-jose-cose/>, RFC 7515.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};

use crate::credential;
use crate::did::{MethodResolver, ProofPurpose};
use crate::error::Error;
use crate::key::SecretKey;
use crate::report::{Check, CheckKind};

/// Media types of JOSE-secured documents.
pub const VC_JWT: &str = "vc+jwt";
/// Presentation media type.
pub const VP_JWT: &str = "vp+jwt";

/// A compact JWS split into its parts.
#[derive(Clone, Debug)]
pub struct CompactJws {
    /// The protected header.
    pub header: Value,
    /// The payload (the credential or presentation).
    pub payload: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl CompactJws {
    /// Splits and decodes `jws`.
    pub fn parse(jws: &str) -> Result<Self, Error> {
        let jws = jws.trim();
        let mut parts = jws.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::UnreadableInput("a compact JWS has three dot-separated parts"));
        };
        let decode =
            |part: &str| B64URL.decode(part).map_err(|_| Error::UnreadableInput("JWS part is not base64url"));
        let header = serde_json::from_slice(&decode(h)?)?;
        let payload = serde_json::from_slice(&decode(p)?)?;
        let signature = decode(s)?;
        Ok(Self { header, payload, signing_input: format!("{h}.{p}"), signature })
    }

    /// Whether `key` signed this JWS (the `alg` is the caller's to check).
    pub fn verify_with(&self, key: &crate::key::PublicKey) -> Result<(), crate::KeyError> {
        key.verify(self.signing_input.as_bytes(), &self.signature)
    }

    /// The `kid` header (the verification method id), made absolute against
    /// the `iss` claim when it is a fragment (`#key-1`).
    pub fn kid(&self) -> Option<String> {
        let kid = self.header.get("kid")?.as_str()?;
        match (kid.starts_with('#'), self.payload.get("iss").and_then(Value::as_str)) {
            (true, Some(iss)) => Some(format!("{iss}{kid}")),
            _ => Some(kid.to_owned()),
        }
    }
}

/// Signs `document` as a compact JWS with media type `typ` (`vc+jwt` or
/// `vp+jwt`), naming `kid`.
pub fn sign(document: &Value, key: &SecretKey, kid: &str, typ: &str) -> Result<String, Error> {
    if !document.is_object() {
        return Err(Error::Unsignable("the document is not a JSON object"));
    }
    let cty = if typ == VP_JWT { "vp" } else { "vc" };
    let header = json!({ "alg": key.key_type().jose_alg(), "kid": kid, "typ": typ, "cty": cty });
    Ok(sign_compact(&header, document, key))
}

/// The compact JWS of `payload` under the protected `header`, signed with
/// `key` (every JWS the engine makes: VC-JOSE, SD-JWT VC, Key Binding JWTs).
pub(crate) fn sign_compact(header: &Value, payload: &Value, key: &SecretKey) -> String {
    let input = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(payload.to_string()));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(signature))
}

/// Wraps a JWS as an `EnvelopedVerifiableCredential`.
pub fn envelope(jws: &str) -> Value {
    json!({
        "@context": crate::credential::V2_CONTEXT,
        "id": format!("data:application/{VC_JWT},{jws}"),
        "type": "EnvelopedVerifiableCredential",
    })
}

/// The JWS inside an enveloped credential, if it is one.
pub fn unwrap_envelope(document: &Value) -> Option<&str> {
    let id = document.get("id")?.as_str()?;
    id.strip_prefix("data:application/vc+jwt,")
        .or_else(|| id.strip_prefix("data:application/vc-ld+jwt,"))
        .or_else(|| id.strip_prefix("data:application/vp+jwt,"))
}

/// Verifies a parsed JWS: media type, forbidden claims, `iss`, key and
/// signature, and that the key is authorised for `purpose`. Returns the
/// checks; the payload is in `jws.payload`.
pub async fn verify<R: MethodResolver + ?Sized>(
    jws: &CompactJws,
    resolver: &R,
    purpose: ProofPurpose,
) -> Result<Vec<Check>, Error> {
    verify_typed(jws, resolver, purpose, &["vc+jwt", "vp+jwt", "vc-ld+jwt", "vp-ld+jwt"]).await
}

/// [`verify`], accepting the media types `typs` in the `typ` header.
pub(crate) async fn verify_typed<R: MethodResolver + ?Sized>(
    jws: &CompactJws,
    resolver: &R,
    purpose: ProofPurpose,
    typs: &[&str],
) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    let typ = jws.header.get("typ").and_then(Value::as_str).unwrap_or_default();
    let typ = typ.strip_prefix("application/").unwrap_or(typ);
    if typs.contains(&typ) {
        checks.push(Check::passed(CheckKind::MediaType, format!("typ {typ}")));
    } else {
        checks.push(Check::failed(CheckKind::MediaType, format!("typ `{typ}` is not {}", typs.join(" or "))));
    }
    if jws.payload.get("vc").is_some() || jws.payload.get("vp").is_some() {
        checks.push(Check::failed(CheckKind::MediaType, "the claims `vc` and `vp` are not allowed"));
    }
    if let Some(iss) = jws.payload.get("iss").and_then(Value::as_str) {
        let issuer_id = credential::issuer(&jws.payload).or_else(|| credential::holder(&jws.payload));
        checks.push(match issuer_id {
            Some(id) if id != iss => {
                Check::failed(CheckKind::IssuerClaim, format!("iss `{iss}` differs from issuer `{id}`"))
            }
            _ => Check::passed(CheckKind::IssuerClaim, format!("iss {iss}")),
        });
    }
    let Some(kid) = jws.kid() else {
        checks.push(Check::failed(CheckKind::Signature, "the JWS header names no `kid`"));
        return Ok(checks);
    };
    let Some(method) = crate::did::authorised_method(resolver, &kid, purpose, &mut checks).await? else {
        return Ok(checks);
    };
    let alg = jws.header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let expected = method.key.key_type().jose_alg();
    if alg != expected {
        checks.push(Check::failed(
            CheckKind::Signature,
            format!("alg `{alg}` does not fit the key ({expected})"),
        ));
        return Ok(checks);
    }
    let security = method.key.key_type().security();
    checks.push(
        match method.key.verify(jws.signing_input.as_bytes(), &jws.signature) {
            Ok(()) => Check::passed(CheckKind::Signature, format!("{alg} signature by {}", method.id)),
            Err(_) => Check::failed(CheckKind::Signature, format!("the {alg} signature does not verify")),
        }
        .with_security(security),
    );
    Ok(checks)
}
