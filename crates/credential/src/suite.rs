//! The Data Integrity cryptosuites didam implements, always named explicitly.
//!
//! There is no automatic choice of suite: a signer names one, and a verifier
//! reads the proof's `type` and `cryptosuite` and refuses anything else.
//!
//! The two ML-DSA suites of the W3C CCG "Quantum-Safe Cryptosuites" (v0.3,
//! the same names in the VC WG's "Quantum-Resistant Cryptosuites" draft) are
//! the quantum-safe ones ([`Suite::security`]): `hashData` is SHA-256 of the
//! canonical proof configuration followed by SHA-256 of the canonical
//! document, signed with pure ML-DSA-44 and an empty context, and the
//! `proofValue` is base64url multibase (`u`). Not implemented yet: the
//! SLH-DSA, FALCON and SQIsign suites of the same documents, `mldsa44-sd-2024`,
//! and ML-DSA-65/87 (which the documents do not define).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::canon::HashAlgorithm;
use crate::error::Error;
use crate::key::{KeyType, Security};

/// A Data Integrity proof suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// `DataIntegrityProof` / `eddsa-rdfc-2022`: Ed25519 over RDFC-1.0.
    /// See: <https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022>
    EddsaRdfc2022,
    /// `DataIntegrityProof` / `eddsa-jcs-2022`: Ed25519 over JCS.
    /// See: <https://www.w3.org/TR/vc-di-eddsa/#eddsa-jcs-2022>
    EddsaJcs2022,
    /// `DataIntegrityProof` / `ecdsa-rdfc-2019`: P-256 or P-384 over RDFC-1.0.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#ecdsa-rdfc-2019>
    EcdsaRdfc2019,
    /// `DataIntegrityProof` / `ecdsa-jcs-2019`: P-256 or P-384 over JCS.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#ecdsa-jcs-2019>
    EcdsaJcs2019,
    /// `DataIntegrityProof` / `ecdsa-sd-2023`: selective disclosure with a
    /// P-256 or P-384 issuer key over RDFC-1.0 with HMAC'd blank-node
    /// labels ([`crate::ecdsa_sd`]). The issuer makes a base proof for the
    /// holder; the holder derives a proof disclosing what it chooses; a
    /// verifier accepts only derived proofs.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#ecdsa-sd-2023>
    EcdsaSd2023,
    /// `DataIntegrityProof` / `bbs-2023`: selective disclosure with a
    /// BLS12-381 G2 issuer key signing with BBS ([`crate::bbs`]): like
    /// `ecdsa-sd-2023`, the issuer makes a base proof and the holder derives;
    /// each derived proof is a fresh zero-knowledge proof, so two of them
    /// cannot be linked through their signature bytes.
    /// See: <https://www.w3.org/TR/vc-di-bbs/#bbs-2023>
    Bbs2023,
    /// The legacy `Ed25519Signature2020` proof type (RDFC-1.0, Ed25519).
    /// See: <https://www.w3.org/TR/vc-di-eddsa/#the-ed25519signature2020-suite>
    Ed25519Signature2020,
    /// `DataIntegrityProof` / `mldsa44-rdfc-2024`: ML-DSA-44 over RDFC-1.0.
    /// See: <https://w3c-ccg.github.io/di-quantum-safe/#mldsa44-rdfc-2024>
    Mldsa44Rdfc2024,
    /// `DataIntegrityProof` / `mldsa44-jcs-2024`: ML-DSA-44 over JCS.
    /// See: <https://w3c-ccg.github.io/di-quantum-safe/#mldsa44-jcs-2024>
    Mldsa44Jcs2024,
}

/// How a suite turns a document into bytes to hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonicalization {
    /// RDF Dataset Canonicalization of the JSON-LD document.
    Rdfc,
    /// JSON Canonicalization Scheme (RFC 8785).
    Jcs,
}

impl Suite {
    /// Every suite, in a stable order.
    pub const ALL: [Suite; 9] = [
        Self::EddsaRdfc2022,
        Self::EddsaJcs2022,
        Self::EcdsaRdfc2019,
        Self::EcdsaJcs2019,
        Self::EcdsaSd2023,
        Self::Bbs2023,
        Self::Ed25519Signature2020,
        Self::Mldsa44Rdfc2024,
        Self::Mldsa44Jcs2024,
    ];

    /// The suite's name: the `cryptosuite` value, or the proof `type` for the
    /// legacy suite.
    pub fn name(self) -> &'static str {
        match self {
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
            Self::EcdsaRdfc2019 => "ecdsa-rdfc-2019",
            Self::EcdsaJcs2019 => "ecdsa-jcs-2019",
            Self::EcdsaSd2023 => "ecdsa-sd-2023",
            Self::Bbs2023 => "bbs-2023",
            Self::Ed25519Signature2020 => "Ed25519Signature2020",
            Self::Mldsa44Rdfc2024 => "mldsa44-rdfc-2024",
            Self::Mldsa44Jcs2024 => "mldsa44-jcs-2024",
        }
    }

    /// Whether the suite's signatures resist a quantum computer: the
    /// [security](KeyType::security) of the key type it signs with.
    pub fn security(self) -> Security {
        self.default_key_type().security()
    }

    /// Whether the suite discloses selectively: the issuer makes a base
    /// proof with mandatory pointers, the holder derives
    /// ([`crate::selective::derive`]), a verifier accepts only derived
    /// proofs.
    pub fn is_selective(self) -> bool {
        matches!(self, Self::EcdsaSd2023 | Self::Bbs2023)
    }

    /// The multibase of the suite's `proofValue`: base64url (`u`) for the
    /// quantum-safe and the selective-disclosure suites, base58btc (`z`)
    /// for the others.
    pub fn proof_value_base(self) -> multibase::Base {
        match self {
            Self::Mldsa44Rdfc2024 | Self::Mldsa44Jcs2024 | Self::EcdsaSd2023 | Self::Bbs2023 => {
                multibase::Base::Base64Url
            }
            _ => multibase::Base::Base58Btc,
        }
    }

    /// The proof `type`.
    pub fn proof_type(self) -> &'static str {
        match self {
            Self::Ed25519Signature2020 => "Ed25519Signature2020",
            _ => "DataIntegrityProof",
        }
    }

    /// The `cryptosuite` value, when the proof type has one.
    pub fn cryptosuite(self) -> Option<&'static str> {
        match self {
            Self::Ed25519Signature2020 => None,
            other => Some(other.name()),
        }
    }

    /// The canonicalization the suite hashes.
    pub fn canonicalization(self) -> Canonicalization {
        match self {
            Self::EddsaJcs2022 | Self::EcdsaJcs2019 | Self::Mldsa44Jcs2024 => Canonicalization::Jcs,
            _ => Canonicalization::Rdfc,
        }
    }

    /// Whether the suite signs with keys of this type.
    pub fn accepts(self, key_type: KeyType) -> bool {
        match self {
            Self::EddsaRdfc2022 | Self::EddsaJcs2022 | Self::Ed25519Signature2020 => {
                key_type == KeyType::Ed25519
            }
            Self::EcdsaRdfc2019 | Self::EcdsaJcs2019 | Self::EcdsaSd2023 => {
                matches!(key_type, KeyType::P256 | KeyType::P384)
            }
            Self::Mldsa44Rdfc2024 | Self::Mldsa44Jcs2024 => key_type == KeyType::MlDsa44,
            Self::Bbs2023 => key_type == KeyType::Bls12381G2,
        }
    }

    /// The key type the suite uses by default when creating a key for it.
    pub fn default_key_type(self) -> KeyType {
        match self {
            Self::EcdsaRdfc2019 | Self::EcdsaJcs2019 | Self::EcdsaSd2023 => KeyType::P256,
            Self::Mldsa44Rdfc2024 | Self::Mldsa44Jcs2024 => KeyType::MlDsa44,
            Self::Bbs2023 => KeyType::Bls12381G2,
            _ => KeyType::Ed25519,
        }
    }

    /// The hash the suite uses with keys of `key_type`, both inside RDFC-1.0
    /// and on the canonical forms: SHA-384 for ECDSA with P-384, SHA-256
    /// otherwise.
    /// See: <https://www.w3.org/TR/vc-di-ecdsa/#transformation-ecdsa-rdfc-2019>,
    /// <https://www.w3.org/TR/vc-di-ecdsa/#hashing-ecdsa-rdfc-2019>
    pub fn hash_algorithm(self, key_type: KeyType) -> HashAlgorithm {
        match (self, key_type) {
            (Self::EcdsaRdfc2019 | Self::EcdsaJcs2019 | Self::EcdsaSd2023, KeyType::P384) => {
                HashAlgorithm::Sha384
            }
            _ => HashAlgorithm::Sha256,
        }
    }

    /// The suite's hash of a canonical form ([`Suite::hash_algorithm`]).
    pub fn hash(self, key_type: KeyType, canonical: &[u8]) -> Vec<u8> {
        self.hash_algorithm(key_type).digest(canonical)
    }

    /// The suite a proof object claims, from its `type` and `cryptosuite`.
    pub fn of_proof(proof: &Value) -> Result<Self, Error> {
        let proof_type = proof.get("type").and_then(Value::as_str).unwrap_or_default();
        let cryptosuite = proof.get("cryptosuite").and_then(Value::as_str);
        match (proof_type, cryptosuite) {
            ("DataIntegrityProof", Some(cs)) => {
                cs.parse().map_err(|_| Error::UnsupportedProof(format!("cryptosuite `{cs}`")))
            }
            ("Ed25519Signature2020", None) => Ok(Self::Ed25519Signature2020),
            ("DataIntegrityProof", None) => {
                Err(Error::UnsupportedProof("DataIntegrityProof without a cryptosuite".into()))
            }
            (t, None) => Err(Error::UnsupportedProof(format!("proof type `{t}`"))),
            (t, Some(cs)) => {
                Err(Error::UnsupportedProof(format!("proof type `{t}` with cryptosuite `{cs}`")))
            }
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Suite {
    /// The suite's [name](Suite::name).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A name that is not one of the suites didam implements.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown suite `{0}` (known: {known})", known = Suite::ALL.map(Suite::name).join(", "))]
pub struct UnknownSuite(pub String);

impl FromStr for Suite {
    type Err = UnknownSuite;

    /// The suite of this [name](Suite::name), exactly (a proof's
    /// `cryptosuite` is compared as it is written).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|suite| suite.name() == s).ok_or_else(|| UnknownSuite(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_suite_parses_from_its_name_and_nothing_else_does() {
        for suite in Suite::ALL {
            assert_eq!(suite.name().parse::<Suite>(), Ok(suite));
        }
        let err = "EDDSA-RDFC-2022".parse::<Suite>().unwrap_err();
        assert_eq!(err, UnknownSuite("EDDSA-RDFC-2022".into()));
        assert_eq!(
            err.to_string(),
            "unknown suite `EDDSA-RDFC-2022` (known: eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019, \
             ecdsa-jcs-2019, ecdsa-sd-2023, bbs-2023, Ed25519Signature2020, mldsa44-rdfc-2024, \
             mldsa44-jcs-2024)"
        );
    }

    #[test]
    fn only_the_ml_dsa_suites_are_quantum_safe() {
        for suite in Suite::ALL {
            let pq = matches!(suite, Suite::Mldsa44Rdfc2024 | Suite::Mldsa44Jcs2024);
            assert_eq!(suite.security() == Security::QuantumSafe, pq, "{suite}");
            assert_eq!(suite.accepts(KeyType::MlDsa44), pq, "{suite}");
            assert_eq!(
                suite.proof_value_base() == multibase::Base::Base64Url,
                pq || suite.is_selective(),
                "{suite}"
            );
        }
        assert_eq!(Suite::Mldsa44Jcs2024.canonicalization(), Canonicalization::Jcs);
        assert_eq!(Suite::Mldsa44Rdfc2024.canonicalization(), Canonicalization::Rdfc);
        assert_eq!(Suite::Mldsa44Rdfc2024.hash_algorithm(KeyType::MlDsa44), HashAlgorithm::Sha256);
    }
}
