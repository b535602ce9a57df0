//! `bbs-2023`: selective disclosure with unlinkable proofs (W3C Data
//! Integrity BBS Cryptosuites v1.0, the baseline feature option).
//!
//! The same three parties and steps as [`crate::ecdsa_sd`], on the same
//! machinery ([`crate::selective`]: JSON pointers, skolemization, grouping);
//! what differs is the signature:
//! 1. **Issue** ([`add_base_proof`]): the credential is canonicalized with
//!    each canonical blank-node label replaced by `bN`, `N` the rank of its
//!    HMAC under a fresh key (`selective::shuffled_labels`); the N-Quads the
//!    mandatory pointers select are hashed into the BBS header
//!    (`SHA-256(proof configuration) ‖ SHA-256(mandatory N-Quads)`), and the
//!    issuer's BLS12-381 G2 key makes one BBS signature over that header and
//!    every other N-Quad as a message. The base proof carries the HMAC key:
//!    it is for the holder only.
//! 2. **Derive** ([`selective::derive`]): the holder names what to disclose; the
//!    derived credential holds the mandatory and the chosen parts and a BBS
//!    *proof* of the signature that discloses only the chosen messages. The
//!    proof is made with fresh randomness each time, so two derivations
//!    share no bytes of signature: verifiers cannot link them through it.
//! 3. **Verify** ([`verify_derived`], through [`crate::verify`]): the
//!    verifier canonicalizes what it received, relabels it with the proof's
//!    label map, rebuilds the header from the mandatory N-Quads, and checks
//!    the BBS proof over the others. A base proof presented to a verifier
//!    fails.
//!
//! The BBS arithmetic (ciphersuite `BLS12381-SHA-256`) is done by
//! [`PublicKey::bbs_proof_gen`] and friends in [`crate::key`]. Not
//! implemented: the anonymous holder binding and pseudonym feature options
//! (their proof values are refused as such).
//!
//! See: <https://www.w3.org/TR/vc-di-bbs/>

use std::collections::BTreeMap;

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

/// The three bytes a baseline base proof value starts with.
const BASE_HEADER: [u8; 3] = [0xd9, 0x5d, 0x02];
/// The three bytes a baseline derived proof value starts with.
const DERIVED_HEADER: [u8; 3] = [0xd9, 0x5d, 0x03];
/// Headers of the other feature options (anonymous holder binding,
/// pseudonyms with issuer-known or hidden PID): recognised, not supported.
const FEATURE_HEADERS: [u8; 6] = [0x04, 0x05, 0x06, 0x07, 0x08, 0x09];
/// The headers of `bbs-2023` baseline proof values.
const HEADERS: ProofValueHeaders = ProofValueHeaders { base: BASE_HEADER, derived: DERIVED_HEADER };
/// The length of the HMAC key (HMAC-SHA-256).
const HMAC_KEY_LEN: usize = 32;
/// The most N-Quads a derived proof may keep hidden: each costs a
/// hash-to-curve and a scalar multiplication to verify, so a proof claiming
/// more is refused before any of that work.
pub const MAX_UNDISCLOSED: usize = 4096;

/// The components of a baseline base proof value.
/// See: <https://www.w3.org/TR/vc-di-bbs/#serializebaseproofvalue>
pub struct BaseProofValue {
    /// The BBS signature (80 bytes).
    pub bbs_signature: Vec<u8>,
    /// `SHA-256(proof configuration) ‖ SHA-256(mandatory N-Quads)`.
    pub bbs_header: Vec<u8>,
    /// The issuer's public key, the 96-byte compressed G2 point.
    pub public_key: Vec<u8>,
    /// The HMAC key the blank-node labels were shuffled with.
    pub hmac_key: Zeroizing<Vec<u8>>,
    /// The issuer's mandatory pointers, as written.
    pub mandatory_pointers: Vec<String>,
}

/// The components of a baseline derived proof value.
/// See: <https://www.w3.org/TR/vc-di-bbs/#serializederivedproofvalue>
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedProofValue {
    /// The BBS proof.
    pub bbs_proof: Vec<u8>,
    /// The verifier's canonical label number (`c14nN`) → the issuer's
    /// shuffled label number (`bM`).
    pub label_map: BTreeMap<u64, u64>,
    /// Which of the disclosed N-Quads are mandatory (indexes into them).
    pub mandatory_indexes: Vec<u64>,
    /// Which of the signed (non-mandatory) N-Quads are disclosed.
    pub selective_indexes: Vec<u64>,
    /// The presentation header the proof binds.
    pub presentation_header: Vec<u8>,
}

/// The five CBOR components after `header`, or why not; a proof value of
/// another feature option is named as such.
fn decode(proof_value: &str, header: [u8; 3]) -> Result<Vec<Cbor>, SelectiveError> {
    use base64::Engine as _;
    let bad = SelectiveError::BbsProofValue;
    let option = proof_value
        .strip_prefix('u')
        .and_then(|e| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(e).ok())
        .and_then(|b| match b.as_slice() {
            [0xd9, 0x5d, option, ..] => Some(*option),
            _ => None,
        });
    if option.is_some_and(|o| FEATURE_HEADERS.contains(&o)) {
        return Err(bad(
            "a feature option other than the baseline (holder binding or pseudonyms), not supported",
        ));
    }
    selective::decode_proof_value(proof_value, header, HEADERS, 5, bad)
}

impl BaseProofValue {
    /// The `proofValue` string.
    pub fn encode(&self) -> String {
        selective::encode_proof_value(
            BASE_HEADER,
            vec![
                Cbor::Bytes(self.bbs_signature.clone()),
                Cbor::Bytes(self.bbs_header.clone()),
                Cbor::Bytes(self.public_key.clone()),
                Cbor::Bytes(self.hmac_key.to_vec()),
                Cbor::Array(self.mandatory_pointers.iter().cloned().map(Cbor::Text).collect()),
            ],
        )
    }

    /// Reads a base `proofValue`: a derived proof value, bad CBOR, a
    /// signature not 80 bytes, a header not 64, a key not 96 or an HMAC key
    /// not 32 are errors.
    /// See: <https://www.w3.org/TR/vc-di-bbs/#parsebaseproofvalue>
    pub fn decode(proof_value: &str) -> Result<Self, SelectiveError> {
        let bad = SelectiveError::BbsProofValue;
        let mut items = decode(proof_value, BASE_HEADER)?.into_iter();
        let mut next = || items.next().unwrap_or(Cbor::Null);
        let bbs_signature = selective::cbor_bytes(next(), "the BBS signature is not a byte string", bad)?;
        let bbs_header = selective::cbor_bytes(next(), "the BBS header is not a byte string", bad)?;
        let public_key = selective::cbor_bytes(next(), "the public key is not a byte string", bad)?;
        let hmac_key =
            Zeroizing::new(selective::cbor_bytes(next(), "the HMAC key is not a byte string", bad)?);
        let mandatory_pointers =
            selective::cbor_texts(next(), "the mandatory pointers are not a list of text", bad)?;
        if bbs_signature.len() != 80 {
            return Err(bad("the BBS signature is not 80 bytes"));
        }
        if bbs_header.len() != 64 {
            return Err(bad("the BBS header is not 64 bytes"));
        }
        if public_key.len() != 96 {
            return Err(bad("the public key is not 96 bytes"));
        }
        if hmac_key.len() != HMAC_KEY_LEN {
            return Err(bad("the HMAC key is not 32 bytes"));
        }
        Ok(Self { bbs_signature, bbs_header, public_key, hmac_key, mandatory_pointers })
    }
}

impl DerivedProofValue {
    /// The `proofValue` string.
    pub fn encode(&self) -> String {
        let ints = |list: &[u64]| Cbor::Array(list.iter().map(|i| Cbor::Integer((*i).into())).collect());
        selective::encode_proof_value(
            DERIVED_HEADER,
            vec![
                Cbor::Bytes(self.bbs_proof.clone()),
                Cbor::Map(
                    self.label_map
                        .iter()
                        .map(|(k, v)| (Cbor::Integer((*k).into()), Cbor::Integer((*v).into())))
                        .collect(),
                ),
                ints(&self.mandatory_indexes),
                ints(&self.selective_indexes),
                Cbor::Bytes(self.presentation_header.clone()),
            ],
        )
    }

    /// Reads a derived `proofValue`: a base proof value, bad CBOR, a label
    /// map entry given twice or not a pair of numbers, are errors.
    /// See: <https://www.w3.org/TR/vc-di-bbs/#parsederivedproofvalue>
    pub fn decode(proof_value: &str) -> Result<Self, SelectiveError> {
        let bad = SelectiveError::BbsProofValue;
        let mut items = decode(proof_value, DERIVED_HEADER)?.into_iter();
        let mut next = || items.next().unwrap_or(Cbor::Null);
        let bbs_proof = selective::cbor_bytes(next(), "the BBS proof is not a byte string", bad)?;
        let entries = next().into_map().map_err(|_| bad("the label map is not a map"))?;
        let number = |v: &Cbor| v.as_integer().and_then(|i| u64::try_from(i).ok());
        let mut label_map = BTreeMap::new();
        for (k, v) in &entries {
            let (Some(k), Some(v)) = (number(k), number(v)) else {
                return Err(bad("a label map entry is not a pair of label numbers"));
            };
            if label_map.insert(k, v).is_some() {
                return Err(bad("a label map key is repeated"));
            }
        }
        let mandatory_indexes =
            selective::cbor_indexes(next(), "the mandatory indexes are not a list of indexes", bad)?;
        let selective_indexes =
            selective::cbor_indexes(next(), "the selective indexes are not a list of indexes", bad)?;
        let presentation_header =
            selective::cbor_bytes(next(), "the presentation header is not a byte string", bad)?;
        Ok(Self { bbs_proof, label_map, mandatory_indexes, selective_indexes, presentation_header })
    }
}

/// SHA-256 of the canonical proof configuration.
async fn proof_hash(config: &Map<String, Value>) -> Result<Vec<u8>, crate::canon::CanonError> {
    let canonical =
        proof::canonical_form(Suite::Bbs2023, KeyType::Bls12381G2, &Value::Object(config.clone())).await?;
    Ok(HashAlgorithm::Sha256.digest(canonical.as_bytes()))
}

/// `proofHash ‖ SHA-256(mandatory N-Quads)`: the BBS header.
fn bbs_header(proof_hash: &[u8], mandatory: &[&String]) -> Vec<u8> {
    let mut header = proof_hash.to_vec();
    header.extend(
        HashAlgorithm::Sha256.digest(mandatory.iter().map(|s| s.as_str()).collect::<String>().as_bytes()),
    );
    header
}

/// Adds a `bbs-2023` base proof to `document` with `key` (BLS12-381 G2),
/// the options' mandatory pointers always disclosed. The base proof is for
/// the holder, who derives from it ([`selective::derive`]); it carries the HMAC key.
/// A mandatory pointer into nothing is [`SelectiveError::PointerNotFound`].
/// See: <https://www.w3.org/TR/vc-di-bbs/#create-base-proof-bbs-2023>
pub async fn add_base_proof(
    document: &Value,
    key: &SecretKey,
    options: &ProofOptions,
) -> Result<Value, Error> {
    let hmac_key = {
        use rand_core::RngCore as _;
        let mut bytes = Zeroizing::new(vec![0u8; HMAC_KEY_LEN]);
        rand_core::OsRng.fill_bytes(&mut bytes);
        bytes
    };
    add_base_proof_with(document, key, options, &hmac_key).await
}

/// [`add_base_proof`] with the HMAC key given: for test vectors only (it
/// must be fresh for each proof).
#[doc(hidden)]
pub async fn add_base_proof_with(
    document: &Value,
    key: &SecretKey,
    options: &ProofOptions,
    hmac_key: &[u8],
) -> Result<Value, Error> {
    let options = ProofOptions { suite: Suite::Bbs2023, ..options.clone() };
    if !options.previous_proof.is_empty() {
        return Err(Error::Unsignable("a bbs-2023 proof cannot chain to other proofs (`previousProof`)"));
    }
    if key.key_type() != KeyType::Bls12381G2 || hmac_key.len() != HMAC_KEY_LEN {
        return Err(Error::KeyMismatch { suite: Suite::Bbs2023.name(), key_type: key.key_type() });
    }
    let mandatory = options.mandatory_pointers.as_slice();
    let (unsecured, existing) = proof::unsecured_for(document, key, &options)?;
    let config = proof::configuration(&options, &unsecured);
    let grouped = selective::canonicalize_and_group(
        &Value::Object(unsecured.clone()),
        selective::shuffled_labels(hmac_key),
        &[mandatory],
    )
    .await?;
    let (mandatory_nq, optional) = grouped.split_mandatory();
    let header = bbs_header(&proof_hash(&config).await.map_err(proof::signing_error)?, &mandatory_nq);
    let messages: Vec<Vec<u8>> =
        optional.into_iter().map(|i| grouped.nquads[i].as_bytes().to_vec()).collect();
    let bbs_signature = key.bbs_sign(&header, &messages).map_err(SelectiveError::Bbs)?;
    let value = BaseProofValue {
        bbs_signature,
        bbs_header: header,
        public_key: key.public_key().to_bytes(),
        hmac_key: Zeroizing::new(hmac_key.to_vec()),
        mandatory_pointers: mandatory.iter().map(|p| p.as_str().to_owned()).collect(),
    };
    Ok(proof::attach(unsecured, existing, proof::finish_proof(config, Suite::Bbs2023, value.encode())))
}

/// Derives from a credential with a `bbs-2023` base proof (`proof`, found
/// by [`selective::derive`]) a credential disclosing what the base proof
/// makes mandatory and what `chosen` points at, with a derived proof and
/// an empty presentation header.
/// See: <https://www.w3.org/TR/vc-di-bbs/#add-derived-proof-bbs-2023>
pub(crate) async fn derive_from(
    document: &Value,
    proof: &Map<String, Value>,
    chosen: &[JsonPointer],
) -> Result<Value, Error> {
    let proof_value = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or(SelectiveError::BbsProofValue("no proofValue"))?;
    let base = BaseProofValue::decode(proof_value)?;
    let issuer_key = PublicKey::from_bytes(KeyType::Bls12381G2, &base.public_key)
        .map_err(|_| SelectiveError::BbsProofValue("the public key is not a BLS12-381 G2 point"))?;
    let mandatory = JsonPointer::parse_list(&base.mandatory_pointers)?;
    let disclosure =
        selective::Disclosure::of(document, selective::shuffled_labels(&base.hmac_key), &mandatory, chosen)
            .await?;
    let selective_indexes: Vec<usize> = disclosure
        .non_mandatory
        .iter()
        .enumerate()
        .filter(|(_, absolute)| disclosure.selected.contains(absolute))
        .map(|(relative, _)| relative)
        .collect();
    let messages: Vec<Vec<u8>> =
        disclosure.non_mandatory.iter().map(|&i| disclosure.nquads[i].as_bytes().to_vec()).collect();
    let presentation_header = Vec::new();
    let bbs_proof = issuer_key
        .bbs_proof_gen(
            &base.bbs_signature,
            &base.bbs_header,
            &presentation_header,
            &messages,
            &selective_indexes,
        )
        .map_err(|_| SelectiveError::Mismatch("its BBS signature does not verify over the credential"))?;
    let mut label_map = BTreeMap::new();
    for (number, label) in &disclosure.label_map {
        let shuffled = label.strip_prefix('b').and_then(|n| n.parse().ok());
        label_map.insert(*number, shuffled.ok_or(SelectiveError::UnknownBlankNode)?);
    }
    let derived = DerivedProofValue {
        bbs_proof,
        label_map,
        mandatory_indexes: disclosure.mandatory_indexes.clone(),
        selective_indexes: selective_indexes.into_iter().map(|i| i as u64).collect(),
        presentation_header,
    };
    Ok(disclosure.with_proof(proof, derived.encode()))
}

/// Verifies a derived `bbs-2023` proof on `unsecured` (the credential
/// without its proofs) against `config` (the proof without `proofValue`)
/// and the issuer's `key`: the `signature` check. A base proof, a proof
/// value that does not parse, a label map that misses a blank node,
/// mandatory or selective indexes that repeat, go down or fall outside the
/// credential, and a BBS proof that does not verify fail the check; an
/// unknown context is an [`Error`].
/// See: <https://www.w3.org/TR/vc-di-bbs/#verify-derived-proof-bbs-2023>
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
        Err(SelectiveError::BbsProofValue(why)) if why.starts_with("a base proof") => {
            return failed(
                "a bbs-2023 base proof is for the holder, who derives a proof from it; a verifier accepts only derived proofs"
                    .into(),
            );
        }
        Err(e) => return failed(e.to_string()),
    };
    // The revealed document's N-Quads, labelled as the issuer labelled them.
    let label = |n: u64| derived.label_map.get(&n).map(|shuffled| format!("b{shuffled}"));
    let (mandatory, disclosed) =
        match selective::verifier_view(unsecured, label, &derived.mandatory_indexes).await? {
            Ok(split) => split,
            Err(why) => return failed(why),
        };
    if disclosed.len() != derived.selective_indexes.len() {
        return failed(format!(
            "{} selective indexes for {} selectively disclosed statements",
            derived.selective_indexes.len(),
            disclosed.len()
        ));
    }
    let Ok(indexes) =
        derived.selective_indexes.iter().map(|&i| usize::try_from(i)).collect::<Result<Vec<_>, _>>()
    else {
        return failed("a selective index is out of range".into());
    };
    if let Some(ctx) = unsecured.get("@context") {
        config.insert("@context".into(), ctx.clone());
    }
    let proof_hash = match proof_hash(&config).await {
        Ok(h) => h,
        Err(crate::canon::CanonError::Context(e)) => return Err(e),
        Err(e) => return failed(format!("proof configuration: {e}")),
    };
    let mandatory: Vec<&String> = mandatory.iter().collect();
    let header = bbs_header(&proof_hash, &mandatory);
    let messages: Vec<Vec<u8>> = disclosed.iter().map(|nq| nq.as_bytes().to_vec()).collect();
    if key
        .bbs_proof_verify(
            &derived.bbs_proof,
            &header,
            &derived.presentation_header,
            &messages,
            &indexes,
            MAX_UNDISCLOSED,
        )
        .is_err()
    {
        return failed("the bbs-2023 proof does not verify".into());
    }
    Ok(Check::passed(
        CheckKind::Signature,
        format!(
            "bbs-2023 proof of a BBS signature by {method_id}: {} mandatory and {} selectively disclosed statements",
            mandatory.len(),
            messages.len()
        ),
    ))
}
