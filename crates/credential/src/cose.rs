//! VC-COSE: credentials secured as COSE_Sign1 (RFC 9052), verification only.
//!
//! The protected header names `alg`, `kid` and the media type (`typ`, label 16:
//! `application/vc+cose`); the payload is the credential JSON. The signature is
//! checked through [`crate::key`] over the `Sig_structure` that `coset` builds.
//! Text input is the base64 of the COSE_Sign1 bytes (tagged or not); an
//! enveloped credential is `data:application/vc+cose;base64,<…>`.
//! See: <https://www.w3.org/TR/vc-jose-cose/#securing-with-cose>

use base64::Engine as _;
use coset::{
    CborSerializable as _, CoseSign1, Label, RegisteredLabelWithPrivate, TaggedCborSerializable as _, iana,
};
use serde_json::Value;

use crate::did::{MethodResolver, ProofPurpose};
use crate::error::Error;
use crate::key::KeyType;
use crate::report::{Check, CheckKind};

/// Media type of COSE-secured credentials.
pub const VC_COSE: &str = "application/vc+cose";

/// A decoded COSE_Sign1 credential.
#[derive(Clone, Debug)]
pub struct CoseCredential {
    sign1: CoseSign1,
    /// The credential (the payload).
    pub payload: Value,
}

impl CoseCredential {
    /// Decodes the base64 text (standard or URL-safe alphabet) of a COSE_Sign1.
    pub fn parse_base64(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose};
        let lenient = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let bytes = GeneralPurpose::new(&base64::alphabet::STANDARD, lenient)
            .decode(text)
            .or_else(|_| GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient).decode(text))
            .or_else(|_| general_purpose::STANDARD.decode(text))
            .map_err(|_| Error::UnreadableInput("COSE input is not base64"))?;
        Self::parse(&bytes)
    }

    /// Decodes COSE_Sign1 bytes, tagged (18) or not.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let sign1 = CoseSign1::from_tagged_slice(bytes)
            .or_else(|_| CoseSign1::from_slice(bytes))
            .map_err(|_| Error::UnreadableInput("not a COSE_Sign1 structure"))?;
        let payload = sign1.payload.as_deref().ok_or(Error::UnreadableInput("COSE_Sign1 without payload"))?;
        let payload = serde_json::from_slice(payload)?;
        Ok(Self { sign1, payload })
    }

    /// The JOSE-style name of the COSE algorithm, if it is one didam verifies.
    pub fn alg(&self) -> Option<&'static str> {
        match self.sign1.protected.header.alg {
            Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) => Some("ES256"),
            Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES384)) => Some("ES384"),
            Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES512)) => Some("ES512"),
            Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA)) => Some("EdDSA"),
            _ => None,
        }
    }

    /// The `kid` of the protected header (the verification method id), if it
    /// names one as UTF-8 text.
    pub fn kid(&self) -> Option<String> {
        String::from_utf8(self.sign1.protected.header.key_id.clone()).ok().filter(|k| !k.is_empty())
    }

    fn typ(&self) -> Option<String> {
        self.sign1.protected.header.rest.iter().find_map(|(label, value)| match label {
            Label::Int(16) => value.as_text().map(str::to_owned),
            _ => None,
        })
    }
}

/// The COSE credential in an enveloped credential's `data:` URL, if it is one.
pub fn unwrap_envelope(document: &Value) -> Option<&str> {
    let id = document.get("id")?.as_str()?;
    id.strip_prefix("data:application/vc+cose;base64,")
}

/// Verifies media type, key authorisation and signature.
pub async fn verify<R: MethodResolver + ?Sized>(
    cose: &CoseCredential,
    resolver: &R,
    purpose: ProofPurpose,
) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    match cose.typ() {
        Some(t) if t == VC_COSE || t == "application/vc-ld+cose" => {
            checks.push(Check::passed(CheckKind::MediaType, format!("typ {t}")))
        }
        other => checks.push(Check::failed(
            CheckKind::MediaType,
            format!("typ `{}` is not {VC_COSE}", other.unwrap_or_default()),
        )),
    }
    let Some(kid) = cose.kid() else {
        checks.push(Check::failed(CheckKind::Signature, "the COSE header names no `kid`"));
        return Ok(checks);
    };
    let Some(method) = crate::did::authorised_method(resolver, &kid, purpose, &mut checks).await? else {
        return Ok(checks);
    };
    let key_type: KeyType = method.key.key_type();
    let Some(alg) = cose.alg().filter(|a| *a == key_type.jose_alg()) else {
        checks.push(Check::failed(
            CheckKind::Signature,
            format!("the COSE alg does not fit the {key_type} key"),
        ));
        return Ok(checks);
    };
    let verified = cose.sign1.verify_signature(b"", |sig, data| method.key.verify(data, sig));
    checks.push(
        match verified {
            Ok(()) => Check::passed(CheckKind::Signature, format!("{alg} signature by {}", method.id)),
            Err(_) => {
                Check::failed(CheckKind::Signature, format!("the {alg} COSE signature does not verify"))
            }
        }
        .with_security(key_type.security()),
    );
    Ok(checks)
}
