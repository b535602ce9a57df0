//! What a secured document says, read without checking it again.
//!
//! The engine verifies signatures; the policy checks that follow need the
//! claims (issuer, types, dates, subjects, status entries), how the document
//! was secured and who signed it. This module reads those from any format the
//! engine verifies, after the engine has verified it.

use didam_credential::cose::{self, CoseCredential};
use didam_credential::jose::{self, CompactJws};
use didam_credential::proof;
use didam_credential::sd_jwt::SdJwt;
use didam_credential::verify::Input;
use didam_credential::{Error, Suite};
use serde_json::Value;

use crate::policy::Format;

/// The claims of a secured credential or presentation.
#[derive(Clone, Debug)]
pub(crate) struct Content {
    /// The document's JSON (for SD-JWT, with the disclosures revealed).
    pub(crate) document: Value,
    /// How it is secured; empty when not at all.
    pub(crate) formats: Vec<Format>,
    /// The verification method ids that signed it.
    pub(crate) signers: Vec<String>,
}

impl Content {
    /// Reads `input` (JSON, enveloped, JWS, SD-JWT or COSE).
    pub(crate) fn of(input: &Input) -> Result<Self, Error> {
        match input {
            Input::Jws(jws) => Self::jws(jws),
            Input::SdJwt(text) => Self::sd_jwt(text),
            Input::Cose(text) => Self::cose(text),
            Input::Json(doc) => {
                if let Some(jws) = jose::unwrap_envelope(doc) {
                    Self::jws(jws)
                } else if let Some(text) = doc.get("id").and_then(Value::as_str).and_then(|id| {
                    id.strip_prefix("data:application/vc+sd-jwt,")
                        .or_else(|| id.strip_prefix("data:application/dc+sd-jwt,"))
                }) {
                    Self::sd_jwt(text)
                } else if let Some(text) = cose::unwrap_envelope(doc) {
                    Self::cose(text)
                } else {
                    Ok(Self::data_integrity(doc))
                }
            }
        }
    }

    fn data_integrity(doc: &Value) -> Self {
        let proofs = proof::proofs_of(doc);
        let formats =
            proofs.iter().filter_map(|p| Suite::of_proof(p).ok()).map(Format::DataIntegrity).collect();
        let signers = proofs
            .iter()
            .filter_map(|p| p.get("verificationMethod").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        Self { document: doc.clone(), formats, signers }
    }

    fn jws(text: &str) -> Result<Self, Error> {
        let jws = CompactJws::parse(text)?;
        let signers = kid(&jws).into_iter().collect();
        Ok(Self { document: jws.payload, formats: vec![Format::Jose], signers })
    }

    fn sd_jwt(text: &str) -> Result<Self, Error> {
        let sd_jwt = SdJwt::parse(text)?;
        let signers = kid(&sd_jwt.jwt).into_iter().collect();
        let document = sd_jwt.reveal().unwrap_or_else(|_| sd_jwt.jwt.payload.clone());
        Ok(Self { document, formats: vec![Format::SdJwt], signers })
    }

    fn cose(text: &str) -> Result<Self, Error> {
        let cose = CoseCredential::parse_base64(text)?;
        let signers = cose.kid().into_iter().collect();
        Ok(Self { document: cose.payload, formats: vec![Format::Cose], signers })
    }

    /// The issuer's id (`issuer` or `issuer.id`).
    pub(crate) fn issuer(&self) -> Option<&str> {
        id_of(self.document.get("issuer")?)
    }

    /// The presentation's holder id (`holder` or `holder.id`).
    pub(crate) fn holder(&self) -> Option<&str> {
        id_of(self.document.get("holder")?)
    }

    /// The document's types.
    pub(crate) fn types(&self) -> Vec<&str> {
        match self.document.get("type") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The ids of the credential's subjects.
    pub(crate) fn subject_ids(&self) -> Vec<&str> {
        as_list(self.document.get("credentialSubject")).filter_map(|s| s.get("id")?.as_str()).collect()
    }

    /// The embedded credentials of a presentation.
    pub(crate) fn credentials(&self) -> Vec<&Value> {
        as_list(self.document.get("verifiableCredential")).collect()
    }

    /// The `created` times of the Data Integrity proofs.
    pub(crate) fn proof_created(&self) -> impl Iterator<Item = &str> {
        proof::proofs_of(&self.document).into_iter().filter_map(|p| p.get("created")?.as_str())
    }
}

/// The key id of a JWS, made absolute against `iss` when relative (as the
/// engine resolves it).
fn kid(jws: &CompactJws) -> Option<String> {
    let kid = jws.header.get("kid")?.as_str()?;
    match (kid.starts_with('#'), jws.payload.get("iss").and_then(Value::as_str)) {
        (true, Some(iss)) => Some(format!("{iss}{kid}")),
        _ => Some(kid.to_owned()),
    }
}

fn id_of(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value.get("id")?.as_str())
}

/// One value or an array, as a list.
pub(crate) fn as_list(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    let items: &[Value] = match value {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(one) => std::slice::from_ref(one),
    };
    items.iter()
}

/// The DID (or URL) a verification method id belongs to: the id without its
/// fragment and query.
pub(crate) fn controller_of(method: &str) -> &str {
    let did = method.split_once('#').map_or(method, |(did, _)| did);
    did.split_once('?').map_or(did, |(did, _)| did)
}
