//! `ecdsa-sd-2023`: selective disclosure with ECDSA (W3C Data Integrity
//! ECDSA Cryptosuites v1.0).
//!
//! Three parties, three steps:
//! 1. **Issue** ([`add_base_proof`]): the credential's RDF dataset is
//!    canonicalized (RDFC-1.0 through [`crate::canon`], with its work budget)
//!    and each canonical blank-node label replaced by an HMAC of it under a
//!    fresh key; the N-Quads the mandatory pointers select are hashed
//!    together, every other N-Quad is signed on its own with a fresh P-256
//!    key scoped to this proof, and the issuer's key (P-256 or P-384) signs
//!    `hash(proof configuration) ‖ proof-scoped public key ‖ hash(mandatory)`.
//!    The base proof carries the HMAC key: it is for the holder only.
//! 2. **Derive** ([`derive()`]): the holder names what to disclose with JSON
//!    pointers; the derived credential holds the mandatory and the chosen
//!    parts, the signatures of the chosen N-Quads, and the map from the
//!    verifier's canonical labels to the HMAC labels (never the HMAC key).
//! 3. **Verify** ([`verify_derived`], reached through
//!    [`crate::verify`]): the verifier canonicalizes what it received,
//!    relabels it with the map, and checks the base signature over the
//!    mandatory N-Quads and each per-N-Quad signature over the rest. Every
//!    N-Quad of the received credential is covered by one of them, so the
//!    covered view ([`crate::canon::covered_view`]) the report's checks read
//!    is exactly what the signatures cover. A base proof presented to a
//!    verifier fails.
//!
//! The hash follows the issuer's key: SHA-256 (and HMAC-SHA-256 with a
//! 32-byte key) for P-256, SHA-384 (HMAC-SHA-384, 48 bytes) for P-384; the
//! proof-scoped key is always P-256 (ES256), as the spec says.
//!
//! See: <https://www.w3.org/TR/vc-di-ecdsa/#ecdsa-sd-2023>

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ciborium::Value as Cbor;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::canon::HashAlgorithm;
use crate::error::{Error, SelectiveError};
use crate::key::{KeyType, PublicKey, SecretKey};
use crate::proof::{self, ProofOptions};
use crate::report::{Check, CheckKind};
use crate::selective::{self, JsonPointer, ProofValueHeaders};
use crate::suite::Suite;

/// The three bytes a base proof value starts with.
const BASE_HEADER: [u8; 3] = [0xd9, 0x5d, 0x00];
/// The three bytes a derived proof value starts with.
const DERIVED_HEADER: [u8; 3] = [0xd9, 0x5d, 0x01];
/// The Multikey header of a P-256 public key (`p256-pub`, 0x1200).
const P256_MULTIKEY: [u8; 2] = [0x80, 0x24];

/// The components of a base proof value.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#serializebaseproofvalue>
pub struct BaseProofValue {
    /// The issuer's signature over the proof hash, the proof-scoped key and
    /// the mandatory hash.
    pub base_signature: Vec<u8>,
    /// The proof-scoped P-256 public key, Multikey bytes (header and
    /// compressed point).
    pub public_key: Vec<u8>,
    /// The HMAC key the blank-node labels were made with.
    pub hmac_key: Zeroizing<Vec<u8>>,
    /// One signature per non-mandatory N-Quad, in order.
    pub signatures: Vec<Vec<u8>>,
    /// The issuer's mandatory pointers, as written.
    pub mandatory_pointers: Vec<String>,
}

/// The components of a derived proof value.
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#serializederivedproofvalue>
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedProofValue {
    /// The issuer's base signature.
    pub base_signature: Vec<u8>,
    /// The proof-scoped P-256 public key, Multikey bytes.
    pub public_key: Vec<u8>,
    /// The signatures of the disclosed non-mandatory N-Quads, in order.
    pub signatures: Vec<Vec<u8>>,
    /// The verifier's canonical label number (`c14nN`) → HMAC digest.
    pub label_map: BTreeMap<u64, Vec<u8>>,
    /// Which of the disclosed N-Quads are mandatory (indexes into them).
    pub mandatory_indexes: Vec<u64>,
}

/// The headers of `ecdsa-sd-2023` proof values.
const HEADERS: ProofValueHeaders = ProofValueHeaders { base: BASE_HEADER, derived: DERIVED_HEADER };

fn encode(header: [u8; 3], components: Vec<Cbor>) -> String {
    selective::encode_proof_value(header, components)
}

/// The five CBOR components after `header`, or why not.
fn decode(proof_value: &str, header: [u8; 3]) -> Result<Vec<Cbor>, SelectiveError> {
    selective::decode_proof_value(proof_value, header, HEADERS, 5, SelectiveError::ProofValue)
}

fn bytes(value: Cbor, what: &'static str) -> Result<Vec<u8>, SelectiveError> {
    selective::cbor_bytes(value, what, SelectiveError::ProofValue)
}

fn byte_list(value: Cbor, what: &'static str) -> Result<Vec<Vec<u8>>, SelectiveError> {
    selective::cbor_byte_list(value, what, SelectiveError::ProofValue)
}

impl BaseProofValue {
    /// The `proofValue` string.
    pub fn encode(&self) -> String {
        encode(
            BASE_HEADER,
            vec![
                Cbor::Bytes(self.base_signature.clone()),
                Cbor::Bytes(self.public_key.clone()),
                Cbor::Bytes(self.hmac_key.to_vec()),
                Cbor::Array(self.signatures.iter().cloned().map(Cbor::Bytes).collect()),
                Cbor::Array(self.mandatory_pointers.iter().cloned().map(Cbor::Text).collect()),
            ],
        )
    }

    /// Reads a base `proofValue`.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#parsebaseproofvalue>
    pub fn decode(proof_value: &str) -> Result<Self, SelectiveError> {
        let mut items = decode(proof_value, BASE_HEADER)?.into_iter();
        let mut next = || items.next().unwrap_or(Cbor::Null);
        let base_signature = bytes(next(), "the base signature is not a byte string")?;
        let public_key = bytes(next(), "the public key is not a byte string")?;
        let hmac_key = Zeroizing::new(bytes(next(), "the HMAC key is not a byte string")?);
        let signatures = byte_list(next(), "the signatures are not a list of byte strings")?;
        let pointers =
            next().into_array().map_err(|_| SelectiveError::ProofValue("no mandatory pointers list"))?;
        let mandatory_pointers = pointers
            .into_iter()
            .map(|p| p.into_text().map_err(|_| SelectiveError::ProofValue("a mandatory pointer is not text")))
            .collect::<Result<_, _>>()?;
        if !matches!(hmac_key.len(), 32 | 48) {
            return Err(SelectiveError::ProofValue("the HMAC key is neither 32 nor 48 bytes"));
        }
        Ok(Self { base_signature, public_key, hmac_key, signatures, mandatory_pointers })
    }
}

impl DerivedProofValue {
    /// The `proofValue` string.
    pub fn encode(&self) -> String {
        encode(
            DERIVED_HEADER,
            vec![
                Cbor::Bytes(self.base_signature.clone()),
                Cbor::Bytes(self.public_key.clone()),
                Cbor::Array(self.signatures.iter().cloned().map(Cbor::Bytes).collect()),
                Cbor::Map(
                    self.label_map
                        .iter()
                        .map(|(k, v)| (Cbor::Integer((*k).into()), Cbor::Bytes(v.clone())))
                        .collect(),
                ),
                Cbor::Array(self.mandatory_indexes.iter().map(|i| Cbor::Integer((*i).into())).collect()),
            ],
        )
    }

    /// Reads a derived `proofValue`: a base proof value, bad CBOR, a
    /// signature not 64 bytes, a label map entry not 32 or 48 bytes or
    /// given twice, are errors.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#parsederivedproofvalue>
    pub fn decode(proof_value: &str) -> Result<Self, SelectiveError> {
        let bad = SelectiveError::ProofValue;
        let mut items = decode(proof_value, DERIVED_HEADER)?.into_iter();
        let mut next = || items.next().unwrap_or(Cbor::Null);
        let base_signature = bytes(next(), "the base signature is not a byte string")?;
        let public_key = bytes(next(), "the public key is not a byte string")?;
        let signatures = byte_list(next(), "the signatures are not a list of byte strings")?;
        let entries = next().into_map().map_err(|_| bad("the label map is not a map"))?;
        let mut label_map = BTreeMap::new();
        for (k, v) in entries {
            let key = k
                .as_integer()
                .and_then(|i| u64::try_from(i).ok())
                .ok_or(bad("a label map key is not a label number"))?;
            let digest = bytes(v, "a label map value is not a byte string")?;
            if !matches!(digest.len(), 32 | 48) || label_map.insert(key, digest).is_some() {
                return Err(bad("a label map entry is repeated or not 32 or 48 bytes"));
            }
        }
        let indexes = next().into_array().map_err(|_| bad("the mandatory indexes are not a list"))?;
        let mandatory_indexes = indexes
            .into_iter()
            .map(|i| {
                i.as_integer()
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or(bad("a mandatory index is not an index"))
            })
            .collect::<Result<_, _>>()?;
        if !matches!(base_signature.len(), 64 | 96) || signatures.iter().any(|s| s.len() != 64) {
            return Err(bad("a signature has the wrong length"));
        }
        Ok(Self { base_signature, public_key, signatures, label_map, mandatory_indexes })
    }
}

/// The hash of the suite with an issuer key of `key_type`.
fn hash_of(key_type: KeyType) -> HashAlgorithm {
    Suite::EcdsaSd2023.hash_algorithm(key_type)
}

/// `proofHash ‖ publicKey ‖ mandatoryHash`, what the issuer's key signs.
async fn sign_data(
    key_type: KeyType,
    config: &Map<String, Value>,
    public_key: &[u8],
    mandatory: &[&String],
) -> Result<Vec<u8>, crate::canon::CanonError> {
    let hash = hash_of(key_type);
    let config_c =
        proof::canonical_form(Suite::EcdsaSd2023, key_type, &Value::Object(config.clone())).await?;
    let mut data = hash.digest(config_c.as_bytes());
    data.extend_from_slice(public_key);
    data.extend(hash.digest(mandatory.iter().map(|s| s.as_str()).collect::<String>().as_bytes()));
    Ok(data)
}

/// Adds an `ecdsa-sd-2023` base proof to `document` with `key` (P-256 or
/// P-384), the options' mandatory pointers always disclosed. The base proof
/// is for the holder, who derives from it ([`derive()`]); it carries the HMAC
/// key. A mandatory pointer into nothing is
/// [`SelectiveError::PointerNotFound`].
pub async fn add_base_proof(
    document: &Value,
    key: &SecretKey,
    options: &ProofOptions,
) -> Result<Value, Error> {
    let hmac_key = {
        use rand_core::RngCore as _;
        let mut bytes = Zeroizing::new(vec![0u8; hash_of(key.key_type()).digest(&[]).len()]);
        rand_core::OsRng.fill_bytes(&mut bytes);
        bytes
    };
    add_base_proof_with(document, key, options, &SecretKey::generate(KeyType::P256), &hmac_key).await
}

/// [`add_base_proof`] with the proof-scoped key and the HMAC key given:
/// for test vectors only (both must be fresh for each proof).
#[doc(hidden)]
pub async fn add_base_proof_with(
    document: &Value,
    key: &SecretKey,
    options: &ProofOptions,
    proof_key: &SecretKey,
    hmac_key: &[u8],
) -> Result<Value, Error> {
    let options = ProofOptions { suite: Suite::EcdsaSd2023, ..options.clone() };
    let mandatory = options.mandatory_pointers.as_slice();
    if !options.previous_proof.is_empty() {
        return Err(Error::Unsignable(
            "an ecdsa-sd-2023 proof cannot chain to other proofs (`previousProof`)",
        ));
    }
    if proof_key.key_type() != KeyType::P256 {
        return Err(Error::KeyMismatch { suite: Suite::EcdsaSd2023.name(), key_type: proof_key.key_type() });
    }
    let (unsecured, existing) = proof::unsecured_for(document, key, &options)?;
    let config = proof::configuration(&options, &unsecured);
    let grouped = selective::canonicalize_and_group(
        &Value::Object(unsecured.clone()),
        selective::hmac_labels(hmac_key),
        &[mandatory],
    )
    .await?;
    let (mandatory_nq, optional) = grouped.split_mandatory();
    let signatures = optional.iter().map(|&i| proof_key.sign(grouped.nquads[i].as_bytes())).collect();
    let mut public_key = P256_MULTIKEY.to_vec();
    public_key.extend(proof_key.public_key().to_bytes());
    let to_sign =
        sign_data(key.key_type(), &config, &public_key, &mandatory_nq).await.map_err(proof::signing_error)?;
    let value = BaseProofValue {
        base_signature: key.sign(&to_sign),
        public_key,
        hmac_key: Zeroizing::new(hmac_key.to_vec()),
        signatures,
        mandatory_pointers: mandatory.iter().map(|p| p.as_str().to_owned()).collect(),
    };
    Ok(proof::attach(unsecured, existing, proof::finish_proof(config, Suite::EcdsaSd2023, value.encode())))
}

/// Derives a credential disclosing what the base proof makes mandatory and
/// what `selective` points at, with a derived proof. The credential is held
/// to `limits` first. Pointers into nothing, a base proof that does not fit
/// the credential, a credential whose one selective-disclosure proof is not
/// an `ecdsa-sd-2023` one, and nothing to disclose are [`SelectiveError`]s.
/// ([`selective::derive`] derives from either suite.)
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#add-derived-proof-ecdsa-sd-2023>
pub async fn derive(
    document: &Value,
    selective: &[JsonPointer],
    limits: &crate::limits::Limits,
) -> Result<Value, Error> {
    limits.check_document(document)?;
    match selective::base_proof_of(document)? {
        (Suite::EcdsaSd2023, proof) => derive_from(document, proof, selective).await,
        _ => Err(SelectiveError::NoBaseProof.into()),
    }
}

/// [`derive()`] from `proof`, the credential's one `ecdsa-sd-2023` proof.
pub(crate) async fn derive_from(
    document: &Value,
    proof: &Map<String, Value>,
    selective: &[JsonPointer],
) -> Result<Value, Error> {
    let proof_value =
        proof.get("proofValue").and_then(Value::as_str).ok_or(SelectiveError::ProofValue("no proofValue"))?;
    let base = BaseProofValue::decode(proof_value)?;
    let mandatory = JsonPointer::parse_list(&base.mandatory_pointers)?;
    let disclosure =
        selective::Disclosure::of(document, selective::hmac_labels(&base.hmac_key), &mandatory, selective)
            .await?;
    if base.signatures.len() != disclosure.non_mandatory.len() {
        return Err(SelectiveError::Mismatch("it signs a different number of statements").into());
    }
    let signatures = disclosure
        .non_mandatory
        .iter()
        .zip(&base.signatures)
        .filter(|(i, _)| disclosure.selected.contains(i))
        .map(|(_, s)| s.clone())
        .collect();
    let mut label_map = BTreeMap::new();
    for (number, label) in &disclosure.label_map {
        let hmac = label.strip_prefix('u').and_then(|l| B64URL.decode(l).ok());
        label_map.insert(*number, hmac.ok_or(SelectiveError::UnknownBlankNode)?);
    }
    let derived = DerivedProofValue {
        base_signature: base.base_signature,
        public_key: base.public_key,
        signatures,
        label_map,
        mandatory_indexes: disclosure.mandatory_indexes.clone(),
    };
    Ok(disclosure.with_proof(proof, derived.encode()))
}

/// Verifies a derived `ecdsa-sd-2023` proof on `unsecured` (the credential
/// without its proofs) against `config` (the proof without `proofValue`) and
/// the issuer's `key`: the `signature` check. A base proof, a proof value
/// that does not parse, reordered, missing or extra signatures, and indexes
/// outside the credential fail the check; an unknown context is an [`Error`].
/// See: <https://www.w3.org/TR/vc-di-ecdsa/#verify-derived-proof-ecdsa-sd-2023>
pub async fn verify_derived(
    unsecured: &Value,
    mut config: Map<String, Value>,
    proof_value: &str,
    key: &PublicKey,
    method_id: &str,
) -> Result<Check, Error> {
    let failed = |why: String| Ok(Check::failed(CheckKind::Signature, why));
    let derived = match DerivedProofValue::decode(proof_value) {
        Ok(d) => d,
        Err(SelectiveError::ProofValue(why)) if why.starts_with("a base proof") => {
            return failed(
                "an ecdsa-sd-2023 base proof is for the holder, who derives a proof from it; a verifier accepts only derived proofs"
                    .into(),
            );
        }
        Err(e) => return failed(e.to_string()),
    };
    let key_type = key.key_type();
    let hmac_len = hash_of(key_type).digest(&[]).len();
    if derived.label_map.values().any(|v| v.len() != hmac_len) {
        return failed(format!(
            "the label map's HMAC digests are not {hmac_len} bytes, as a {key_type} key's are"
        ));
    }
    let proof_key = match derived
        .public_key
        .strip_prefix(&P256_MULTIKEY)
        .map(|b| PublicKey::from_bytes(KeyType::P256, b))
    {
        Some(Ok(k)) => k,
        _ => return failed("the proof-scoped key is not a P-256 Multikey".into()),
    };
    // The reveal document's N-Quads, relabelled as the issuer labelled them.
    let label = |n: u64| derived.label_map.get(&n).map(|hmac| format!("u{}", B64URL.encode(hmac)));
    let (mandatory, optional) =
        match selective::verifier_view(unsecured, label, &derived.mandatory_indexes).await? {
            Ok(split) => split,
            Err(why) => return failed(why),
        };
    if optional.len() != derived.signatures.len() {
        return failed(format!(
            "{} signatures for {} selectively disclosed statements",
            derived.signatures.len(),
            optional.len()
        ));
    }
    if let Some(ctx) = unsecured.get("@context") {
        config.insert("@context".into(), ctx.clone());
    }
    let mandatory: Vec<&String> = mandatory.iter().collect();
    let to_verify = match sign_data(key_type, &config, &derived.public_key, &mandatory).await {
        Ok(d) => d,
        Err(crate::canon::CanonError::Context(e)) => return Err(e),
        Err(e) => return failed(format!("proof configuration: {e}")),
    };
    if key.verify(&to_verify, &derived.base_signature).is_err() {
        return failed("the ecdsa-sd-2023 base signature does not verify".into());
    }
    let bad = optional
        .iter()
        .zip(&derived.signatures)
        .filter(|(nq, sig)| proof_key.verify(nq.as_bytes(), sig).is_err())
        .count();
    if bad > 0 {
        return failed(format!(
            "{bad} of the {} statement signatures do not verify",
            derived.signatures.len()
        ));
    }
    Ok(Check::passed(
        CheckKind::Signature,
        format!(
            "{key_type} ecdsa-sd-2023 signature by {method_id}: {} mandatory and {} selectively disclosed statements",
            mandatory.len(),
            optional.len()
        ),
    ))
}
