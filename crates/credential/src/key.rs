//! Keys: the one home for signing and signature verification.
//!
//! Every signature didam makes or checks goes through [`SecretKey::sign`] and
//! [`PublicKey::verify`]. Keys travel as Multikey strings
//! (<https://www.w3.org/TR/cid-1.0/#Multikey>) or as JWKs (RFC 7517).
//!
//! | key type | signature | hash inside the signature | multicodec (public / secret) |
//! |---|---|---|---|
//! | Ed25519 | EdDSA (RFC 8032) | – | `0xed` / `0x1300` |
//! | P-256 | ECDSA, RFC 6979 nonces, `r‖s` | SHA-256 | `0x1200` / `0x1306` |
//! | P-384 | ECDSA, RFC 6979 nonces, `r‖s` | SHA-384 | `0x1201` / `0x1307` |
//! | P-521 | ECDSA, hedged RFC 6979 nonces, `r‖s` | SHA-512 | `0x1202` / `0x1308` |
//! | secp256k1 | ECDSA, RFC 6979 nonces, low-S `r‖s` | SHA-256 | `0xe7` / `0x1301` |
//! | ML-DSA-44 | pure ML-DSA (FIPS 204), hedged, empty context | – | `0x1210` / `0x131a` (seed) |
//! | BLS12-381 G2 | BBS, `BLS12381-SHA-256` (draft-irtf-cfrg-bbs-signatures) | SHA-256 (expand_message_xmd) | `0xeb` / `0x130a` |
//!
//! BLS12-381 G2 keys sign with BBS ([`SecretKey::bbs_sign`]), the scheme of
//! the `bbs-2023` cryptosuite: one signature over a header and a list of
//! messages, from which a holder makes unlinkable zero-knowledge proofs that
//! disclose some of the messages ([`PublicKey::bbs_proof_gen`]). The BBS
//! arithmetic is the `zkryptium` crate's (draft-irtf-cfrg-bbs-signatures-13,
//! on `bls12_381_plus`); this module only checks lengths and encodings before
//! handing bytes to it. The secret is the 32-byte big-endian scalar `SK`, the
//! public key the 96-byte compressed G2 point `PK` (the identity refused, as
//! the draft's `KeyValidate` requires); a wallet derives the secret with the
//! draft's `KeyGen` ([`SecretKey::bbs_key_gen`]). [`SecretKey::sign`] with a
//! BBS key signs the one message `[message]` with an empty header. The JWK is
//! draft-ietf-cose-bls-key-representations' (`kty` `EC`, `crv`
//! `BLS12381G2`, `x` and `y` the 96-byte coordinates).
//!
//! ML-DSA-44 is the one quantum-safe type ([`KeyType::security`]). Its secret
//! is the 32-byte seed of FIPS 204 key generation (`ML-DSA.KeyGen_internal`),
//! so a wallet derives it from its root like any other key. Its public key is
//! 1312 bytes and its signatures 2420 bytes. Multikey strings of ML-DSA keys
//! use base64url (`u`), as the W3C quantum-safe cryptosuites require; the
//! classical types use base58btc (`z`). Reading accepts either base.
//! Signing follows `ML-DSA.Sign` (FIPS 204, Algorithm 2) with fresh
//! randomness from the operating system (the hedged variant) and an empty
//! context string; verification `ML-DSA.Verify` with the same empty context.
//! Its JWK is the `AKP` key type of draft-ietf-cose-dilithium (`alg`
//! `ML-DSA-44`, `pub`, and `priv` the seed).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::KeyError;

/// ML-DSA-44 as the `ml-dsa` crate names it.
type MlDsa44Params = ml_dsa::MlDsa44;

/// BBS with the `BLS12381-SHA-256` ciphersuite, as `zkryptium` names it.
type Bbs = zkryptium::schemes::algorithms::BbsBls12381Sha256;

/// The compressed encoding of the identity of G2 (the point at infinity):
/// the one 96-byte string `G2Affine::from_compressed` accepts that is not a
/// valid BBS public key.
const G2_IDENTITY: [u8; 96] = {
    let mut bytes = [0u8; 96];
    bytes[0] = 0xc0;
    bytes
};

/// Bytes of a BBS proof before its undisclosed-message responses: `Abar`,
/// `Bbar`, `D` (48 each), `e^`, `r1^`, `r3^` (32 each); the challenge (32)
/// follows the responses.
const BBS_PROOF_FIXED: usize = 3 * 48 + 3 * 32;

/// Whether a signature stays unforgeable against an attacker with a
/// cryptographically relevant quantum computer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Security {
    /// Elliptic-curve signatures (EdDSA, ECDSA): forgeable once discrete
    /// logarithms can be computed (Shor's algorithm).
    Classical,
    /// A post-quantum signature (ML-DSA, FIPS 204).
    QuantumSafe,
    /// Classical and post-quantum signatures that must all verify (a
    /// did:didam whose update keys mix both): unforgeable while either
    /// family holds.
    Hybrid,
}

impl Security {
    /// The name in reports and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Classical => "classical",
            Self::QuantumSafe => "quantum-safe",
            Self::Hybrid => "hybrid",
        }
    }

    /// The security named `name` ([`Self::name`]), as reports and DID
    /// resolution metadata write it.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Classical, Self::QuantumSafe, Self::Hybrid].into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kinds of key didam signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// Ed25519 (EdDSA).
    Ed25519,
    /// NIST P-256 (ECDSA with SHA-256).
    P256,
    /// NIST P-384 (ECDSA with SHA-384).
    P384,
    /// NIST P-521 (ECDSA with SHA-512).
    P521,
    /// secp256k1 (ECDSA with SHA-256).
    Secp256k1,
    /// ML-DSA-44 (FIPS 204, security category 2): quantum-safe.
    MlDsa44,
    /// BLS12-381 G2 public keys, signing with BBS (`bbs-2023`).
    Bls12381G2,
}

impl KeyType {
    /// Every key type, in a stable order.
    pub const ALL: [KeyType; 7] =
        [Self::Ed25519, Self::P256, Self::P384, Self::P521, Self::Secp256k1, Self::MlDsa44, Self::Bls12381G2];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::P256 => "p256",
            Self::P384 => "p384",
            Self::P521 => "p521",
            Self::Secp256k1 => "secp256k1",
            Self::MlDsa44 => "ml-dsa-44",
            Self::Bls12381G2 => "bls12-381-g2",
        }
    }

    /// Whether signatures of this type resist a quantum computer.
    pub fn security(self) -> Security {
        match self {
            Self::MlDsa44 => Security::QuantumSafe,
            _ => Security::Classical,
        }
    }

    /// The JOSE `alg` for this key type (RFC 7518, RFC 8037, RFC 8812;
    /// draft-ietf-cose-dilithium for ML-DSA; draft-ietf-jose-json-proof-algorithms
    /// for BBS, which only JSON Web Proofs use).
    pub fn jose_alg(self) -> &'static str {
        match self {
            Self::Ed25519 => "EdDSA",
            Self::P256 => "ES256",
            Self::P384 => "ES384",
            Self::P521 => "ES512",
            Self::Secp256k1 => "ES256K",
            Self::MlDsa44 => "ML-DSA-44",
            Self::Bls12381G2 => "BBS",
        }
    }

    /// The multibase of this type's Multikey strings: base64url for ML-DSA
    /// (W3C quantum-safe cryptosuites, "Multikey"), base58btc otherwise.
    pub(crate) fn multibase(self) -> multibase::Base {
        match self {
            Self::MlDsa44 => multibase::Base::Base64Url,
            _ => multibase::Base::Base58Btc,
        }
    }

    /// The multicodec names of the public and the secret key, as in the
    /// multicodec table (`ed25519-pub`, `ed25519-priv`, ...).
    pub fn multicodec_names(self) -> (&'static str, &'static str) {
        match self {
            Self::Ed25519 => ("ed25519-pub", "ed25519-priv"),
            Self::P256 => ("p256-pub", "p256-priv"),
            Self::P384 => ("p384-pub", "p384-priv"),
            Self::P521 => ("p521-pub", "p521-priv"),
            Self::Secp256k1 => ("secp256k1-pub", "secp256k1-priv"),
            Self::MlDsa44 => ("mldsa-44-pub", "mldsa-44-priv-seed"),
            Self::Bls12381G2 => ("bls12_381-g2-pub", "bls12_381-g2-priv"),
        }
    }

    fn public_codec(self) -> [u8; 2] {
        match self {
            Self::Ed25519 => [0xed, 0x01],
            Self::P256 => [0x80, 0x24],
            Self::P384 => [0x81, 0x24],
            Self::P521 => [0x82, 0x24],
            Self::Secp256k1 => [0xe7, 0x01],
            Self::MlDsa44 => [0x90, 0x24],
            Self::Bls12381G2 => [0xeb, 0x01],
        }
    }

    fn secret_codec(self) -> [u8; 2] {
        match self {
            Self::Ed25519 => [0x80, 0x26],
            Self::P256 => [0x86, 0x26],
            Self::P384 => [0x87, 0x26],
            Self::P521 => [0x88, 0x26],
            Self::Secp256k1 => [0x81, 0x26],
            Self::MlDsa44 => [0x9a, 0x26],
            Self::Bls12381G2 => [0x8a, 0x26],
        }
    }

    fn from_public_codec(prefix: [u8; 2]) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.public_codec() == prefix)
    }

    fn from_secret_codec(prefix: [u8; 2]) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.secret_codec() == prefix)
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KeyType {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| KeyError::UnsupportedKeyType(s.to_owned()))
    }
}

/// A private signing key. Its memory is wiped when it is dropped; it has no
/// `Debug` output beyond its type.
#[derive(Clone)]
pub struct SecretKey(SecretInner);

#[derive(Clone)]
enum SecretInner {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Secp256k1(k256::ecdsa::SigningKey),
    MlDsa44(Box<MlDsaSecret>),
    Bls12381G2(Box<BbsSecret>),
}

/// A BBS secret: the 32-byte big-endian scalar `SK`, wiped on drop, and its
/// public key (a G2 multiplication, made once). `zkryptium`'s own secret key
/// type is built from the bytes for each signature and is not wiped by it.
#[derive(Clone)]
struct BbsSecret {
    scalar: Zeroizing<[u8; 32]>,
    public: zkryptium::bbsplus::keys::BBSplusPublicKey,
}

impl BbsSecret {
    /// The key of scalar `bytes`, or `None` when they are not a scalar in
    /// `1..r`.
    fn from_scalar(bytes: &[u8]) -> Option<Box<Self>> {
        let scalar: [u8; 32] = bytes.try_into().ok()?;
        let scalar = Zeroizing::new(scalar);
        if scalar.iter().all(|b| *b == 0) {
            return None;
        }
        let sk = zkryptium::bbsplus::keys::BBSplusSecretKey::from_bytes(scalar.as_ref()).ok()?;
        Some(Box::new(Self { scalar, public: sk.public_key() }))
    }

    fn secret(&self) -> Result<zkryptium::bbsplus::keys::BBSplusSecretKey, KeyError> {
        zkryptium::bbsplus::keys::BBSplusSecretKey::from_bytes(self.scalar.as_ref())
            .map_err(|_| KeyError::InvalidSecretKey(KeyType::Bls12381G2))
    }
}

/// An ML-DSA-44 secret: the FIPS 204 key-generation seed (what the wallet
/// derives and exports) and the expanded signing key it gives. Both are
/// wiped on drop (the expanded key by `ml-dsa`'s `zeroize` feature).
#[derive(Clone)]
struct MlDsaSecret {
    seed: Zeroizing<[u8; 32]>,
    expanded: ml_dsa::ExpandedSigningKey<MlDsa44Params>,
}

impl MlDsaSecret {
    /// `ML-DSA.KeyGen_internal` (FIPS 204, Algorithm 6) from `seed`.
    fn from_seed(seed: Zeroizing<[u8; 32]>) -> Box<Self> {
        let xi = Zeroizing::new(ml_dsa::Seed::from(*seed));
        let expanded = ml_dsa::ExpandedSigningKey::from_seed(&xi);
        Box::new(Self { seed, expanded })
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}, <redacted>)", self.key_type())
    }
}

impl SecretKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate(key_type: KeyType) -> Self {
        let mut rng = rand_core::OsRng;
        Self(match key_type {
            KeyType::Ed25519 => SecretInner::Ed25519(ed25519_dalek::SigningKey::generate(&mut rng)),
            KeyType::P256 => SecretInner::P256(p256::ecdsa::SigningKey::random(&mut rng)),
            KeyType::P384 => SecretInner::P384(p384::ecdsa::SigningKey::random(&mut rng)),
            KeyType::P521 => SecretInner::P521(p521::ecdsa::SigningKey::random(&mut rng)),
            KeyType::Secp256k1 => SecretInner::Secp256k1(k256::ecdsa::SigningKey::random(&mut rng)),
            KeyType::MlDsa44 => {
                use rand_core::RngCore as _;
                let mut seed = Zeroizing::new([0u8; 32]);
                rng.fill_bytes(seed.as_mut());
                SecretInner::MlDsa44(MlDsaSecret::from_seed(seed))
            }
            KeyType::Bls12381G2 => {
                use rand_core::RngCore as _;
                let mut material = Zeroizing::new([0u8; 32]);
                rng.fill_bytes(material.as_mut());
                // KeyGen with 32 random bytes: a scalar in 1..r, never an error.
                return Self::bbs_key_gen(material.as_ref())
                    .unwrap_or_else(|_| unreachable!("BBS KeyGen takes any 32-byte key material"));
            }
        })
    }

    /// The BBS key `KeyGen(key_material, "", default key_dst)` gives
    /// (draft-irtf-cfrg-bbs-signatures, "Secret Key", `BLS12381-SHA-256`):
    /// how a wallet derives a BLS12-381 G2 key from its root. At least 32
    /// bytes of key material.
    /// See: <https://www.ietf.org/archive/id/draft-irtf-cfrg-bbs-signatures-10.html#name-secret-key>
    pub fn bbs_key_gen(key_material: &[u8]) -> Result<Self, KeyError> {
        let bad = || KeyError::InvalidSecretKey(KeyType::Bls12381G2);
        if key_material.len() < 32 {
            return Err(bad());
        }
        let pair =
            zkryptium::keys::pair::KeyPair::<Bbs>::generate(key_material, None, None).map_err(|_| bad())?;
        let scalar = Zeroizing::new(pair.private_key().to_bytes());
        BbsSecret::from_scalar(scalar.as_ref()).map(|k| Self(SecretInner::Bls12381G2(k))).ok_or_else(bad)
    }

    /// A BBS signature (80 bytes) over `header` and `messages`
    /// (draft-irtf-cfrg-bbs-signatures `Sign`, `BLS12381-SHA-256`); a key of
    /// another type is [`KeyError::UnsupportedKeyType`].
    pub fn bbs_sign(&self, header: &[u8], messages: &[Vec<u8>]) -> Result<Vec<u8>, KeyError> {
        let SecretInner::Bls12381G2(k) = &self.0 else {
            return Err(KeyError::UnsupportedKeyType(format!("BBS with {}", self.key_type())));
        };
        let signature = zkryptium::schemes::generics::Signature::<Bbs>::sign(
            Some(messages),
            &k.secret()?,
            &k.public,
            Some(header),
        )
        .map_err(|_| KeyError::InvalidSecretKey(KeyType::Bls12381G2))?;
        Ok(signature.to_bytes().to_vec())
    }

    /// A key from its raw secret bytes (32 bytes; 48 for P-384, 66 for
    /// P-521; for ML-DSA-44 the 32-byte seed of FIPS 204 key generation; for
    /// BLS12-381 G2 the big-endian scalar, in `1..r`).
    pub fn from_bytes(key_type: KeyType, bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = || KeyError::InvalidSecretKey(key_type);
        Ok(Self(match key_type {
            KeyType::Ed25519 => {
                let seed: &[u8; 32] = bytes.try_into().map_err(|_| bad())?;
                SecretInner::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed))
            }
            KeyType::P256 => {
                SecretInner::P256(p256::ecdsa::SigningKey::from_slice(bytes).map_err(|_| bad())?)
            }
            KeyType::P384 => {
                SecretInner::P384(p384::ecdsa::SigningKey::from_slice(bytes).map_err(|_| bad())?)
            }
            KeyType::P521 => {
                SecretInner::P521(p521::ecdsa::SigningKey::from_slice(bytes).map_err(|_| bad())?)
            }
            KeyType::Secp256k1 => {
                SecretInner::Secp256k1(k256::ecdsa::SigningKey::from_slice(bytes).map_err(|_| bad())?)
            }
            KeyType::MlDsa44 => {
                let seed: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
                SecretInner::MlDsa44(MlDsaSecret::from_seed(Zeroizing::new(seed)))
            }
            KeyType::Bls12381G2 => SecretInner::Bls12381G2(BbsSecret::from_scalar(bytes).ok_or_else(bad)?),
        }))
    }

    /// A key from a Multikey `secretKeyMultibase` value.
    pub fn from_multibase(encoded: &str) -> Result<Self, KeyError> {
        let (_, bytes) = multibase::decode(encoded).map_err(|_| KeyError::InvalidMultibase)?;
        let bytes = Zeroizing::new(bytes);
        let (prefix, rest) = split_codec(&bytes)?;
        let key_type = KeyType::from_secret_codec(prefix).ok_or(KeyError::UnknownMulticodec(prefix))?;
        Self::from_bytes(key_type, rest)
    }

    /// The Multikey `secretKeyMultibase` form of this key (base58btc;
    /// base64url of the seed for ML-DSA).
    pub fn to_multibase(&self) -> Zeroizing<String> {
        let raw = self.to_bytes();
        let mut buf = Zeroizing::new(Vec::with_capacity(raw.len() + 2));
        buf.extend_from_slice(&self.key_type().secret_codec());
        buf.extend_from_slice(&raw);
        Zeroizing::new(multibase::encode(self.key_type().multibase(), &*buf))
    }

    /// The raw secret bytes (the seed for ML-DSA).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match &self.0 {
            SecretInner::Ed25519(k) => k.to_bytes().to_vec(),
            SecretInner::P256(k) => k.to_bytes().to_vec(),
            SecretInner::P384(k) => k.to_bytes().to_vec(),
            SecretInner::P521(k) => k.to_bytes().to_vec(),
            SecretInner::Secp256k1(k) => k.to_bytes().to_vec(),
            SecretInner::MlDsa44(k) => k.seed.to_vec(),
            SecretInner::Bls12381G2(k) => k.scalar.to_vec(),
        })
    }

    /// The type of this key.
    pub fn key_type(&self) -> KeyType {
        match &self.0 {
            SecretInner::Ed25519(_) => KeyType::Ed25519,
            SecretInner::P256(_) => KeyType::P256,
            SecretInner::P384(_) => KeyType::P384,
            SecretInner::P521(_) => KeyType::P521,
            SecretInner::Secp256k1(_) => KeyType::Secp256k1,
            SecretInner::MlDsa44(_) => KeyType::MlDsa44,
            SecretInner::Bls12381G2(_) => KeyType::Bls12381G2,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(match &self.0 {
            SecretInner::Ed25519(k) => PublicInner::Ed25519(k.verifying_key()),
            SecretInner::P256(k) => PublicInner::P256(*k.verifying_key()),
            SecretInner::P384(k) => PublicInner::P384(*k.verifying_key()),
            SecretInner::P521(k) => PublicInner::P521(p521::ecdsa::VerifyingKey::from(k)),
            SecretInner::Secp256k1(k) => PublicInner::Secp256k1(*k.verifying_key()),
            SecretInner::MlDsa44(k) => PublicInner::MlDsa44(Box::new(k.expanded.verifying_key())),
            SecretInner::Bls12381G2(k) => PublicInner::Bls12381G2(Box::new(k.public.clone())),
        })
    }

    /// Signs `message` (see the module table for the algorithm of each key type).
    ///
    /// ML-DSA signing is hedged: when the operating system's random number
    /// generator fails it falls back to FIPS 204's deterministic variant. Its
    /// rejection sampling gives up only after 16384 rounds (about 4 are
    /// needed, so never in practice); then the signature is empty, which no
    /// verifier accepts.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use signature::Signer as _;
        match &self.0 {
            SecretInner::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SecretInner::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_bytes().to_vec()
            }
            SecretInner::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(message);
                sig.to_bytes().to_vec()
            }
            SecretInner::P521(k) => {
                use signature::RandomizedSigner as _;
                // p521 0.13 offers only hedged nonces (RFC 6979 plus OS randomness).
                let sig: p521::ecdsa::Signature = k.sign_with_rng(&mut rand_core::OsRng, message);
                sig.to_bytes().to_vec()
            }
            SecretInner::Secp256k1(k) => {
                let sig: k256::ecdsa::Signature = k.sign(message);
                sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
            }
            SecretInner::MlDsa44(k) => {
                let mut rng = ml_dsa::common::getrandom::SysRng;
                k.expanded
                    .sign_randomized(message, &[], &mut rng)
                    .or_else(|_| k.expanded.sign_deterministic(message, &[]))
                    .map(|sig| sig.encode().to_vec())
                    .unwrap_or_default()
            }
            // Signing cannot fail with a valid key; an empty signature never verifies.
            SecretInner::Bls12381G2(_) => self.bbs_sign(&[], &[message.to_vec()]).unwrap_or_default(),
        }
    }

    /// The private JWK of this key (RFC 7517, with `d`; `AKP` with `priv`,
    /// the seed, for ML-DSA).
    pub fn to_jwk(&self) -> Zeroizing<String> {
        let mut jwk = self.public_key().to_jwk();
        if let Value::Object(map) = &mut jwk {
            let member = private_jwk_member(self.key_type());
            map.insert(member.into(), Value::String(B64URL.encode(&*self.to_bytes())));
        }
        Zeroizing::new(jwk.to_string())
    }

    /// A key from a private JWK (`kty` OKP or EC with `d`, `AKP` with `priv`).
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let key_type = jwk_key_type(jwk)?;
        let d = jwk_field(jwk, private_jwk_member(key_type))?;
        let secret = Self::from_bytes(key_type, &d)?;
        if secret.public_key() != PublicKey::from_jwk(jwk)? {
            return Err(KeyError::InvalidJwk("`d` does not match the public key"));
        }
        Ok(secret)
    }
}

/// A public verification key.
#[derive(Clone)]
pub struct PublicKey(PublicInner);

#[derive(Clone)]
enum PublicInner {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Secp256k1(k256::ecdsa::VerifyingKey),
    MlDsa44(Box<ml_dsa::VerifyingKey<MlDsa44Params>>),
    Bls12381G2(Box<zkryptium::bbsplus::keys::BBSplusPublicKey>),
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key_type() == other.key_type() && self.to_bytes() == other.to_bytes()
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.key_type(), self.to_multikey())
    }
}

impl PublicKey {
    /// A key from its raw bytes: 32 bytes for Ed25519, a SEC1 point (compressed
    /// or not) for the ECDSA curves, the 1312-byte encoding (FIPS 204
    /// `pkEncode`) for ML-DSA-44, the 96-byte compressed G2 point for
    /// BLS12-381 G2.
    pub fn from_bytes(key_type: KeyType, bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = || KeyError::InvalidPublicKey(key_type);
        Ok(Self(match key_type {
            KeyType::Ed25519 => {
                let raw: &[u8; 32] = bytes.try_into().map_err(|_| bad())?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(raw).map_err(|_| bad())?;
                // A small-order key would verify forged signatures: refuse it here,
                // once, so verification can use the RFC 8032 check.
                if key.is_weak() {
                    return Err(bad());
                }
                PublicInner::Ed25519(key)
            }
            KeyType::P256 => {
                PublicInner::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(|_| bad())?)
            }
            KeyType::P384 => {
                PublicInner::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(|_| bad())?)
            }
            KeyType::P521 => {
                PublicInner::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(|_| bad())?)
            }
            KeyType::Secp256k1 => {
                PublicInner::Secp256k1(k256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(|_| bad())?)
            }
            KeyType::MlDsa44 => {
                // Every 1312-byte string is a public key (`pkDecode` reads 10-bit
                // fields); only its length is checked.
                let encoded =
                    ml_dsa::EncodedVerifyingKey::<MlDsa44Params>::try_from(bytes).map_err(|_| bad())?;
                PublicInner::MlDsa44(Box::new(ml_dsa::VerifyingKey::decode(&encoded)))
            }
            KeyType::Bls12381G2 => {
                // `from_bytes` reads the first 96 bytes (and panics on fewer):
                // the length is checked first. It checks the point is on the
                // curve and in G2; the identity is refused here.
                if bytes.len() != G2_IDENTITY.len() || bytes == G2_IDENTITY {
                    return Err(bad());
                }
                let key = zkryptium::bbsplus::keys::BBSplusPublicKey::from_bytes(bytes).map_err(|_| bad())?;
                PublicInner::Bls12381G2(Box::new(key))
            }
        }))
    }

    /// A key from a Multikey `publicKeyMultibase` value (also the method-specific
    /// part of a `did:key`).
    pub fn from_multikey(encoded: &str) -> Result<Self, KeyError> {
        let (_, bytes) = multibase::decode(encoded).map_err(|_| KeyError::InvalidMultibase)?;
        let (prefix, rest) = split_codec(&bytes)?;
        let key_type = KeyType::from_public_codec(prefix).ok_or(KeyError::UnknownMulticodec(prefix))?;
        Self::from_bytes(key_type, rest)
    }

    /// The Multikey `publicKeyMultibase` form: base58btc of the multicodec
    /// prefix and the key (compressed point for the ECDSA curves); base64url
    /// (`u`) for ML-DSA.
    /// See: <https://w3c-ccg.github.io/di-quantum-safe/#multikey>
    pub fn to_multikey(&self) -> String {
        let mut buf = self.key_type().public_codec().to_vec();
        buf.extend_from_slice(&self.to_bytes());
        multibase::encode(self.key_type().multibase(), buf)
    }

    /// Raw key bytes: 32 bytes for Ed25519, the compressed SEC1 point for the
    /// ECDSA curves, 1312 bytes for ML-DSA-44.
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.0 {
            PublicInner::Ed25519(k) => k.to_bytes().to_vec(),
            PublicInner::P256(k) => k.to_encoded_point(true).as_bytes().to_vec(),
            PublicInner::P384(k) => k.to_encoded_point(true).as_bytes().to_vec(),
            PublicInner::P521(k) => k.to_encoded_point(true).as_bytes().to_vec(),
            PublicInner::Secp256k1(k) => k.to_encoded_point(true).as_bytes().to_vec(),
            PublicInner::MlDsa44(k) => k.encode().to_vec(),
            PublicInner::Bls12381G2(k) => k.to_bytes().to_vec(),
        }
    }

    /// The type of this key.
    pub fn key_type(&self) -> KeyType {
        match &self.0 {
            PublicInner::Ed25519(_) => KeyType::Ed25519,
            PublicInner::P256(_) => KeyType::P256,
            PublicInner::P384(_) => KeyType::P384,
            PublicInner::P521(_) => KeyType::P521,
            PublicInner::Secp256k1(_) => KeyType::Secp256k1,
            PublicInner::MlDsa44(_) => KeyType::MlDsa44,
            PublicInner::Bls12381G2(_) => KeyType::Bls12381G2,
        }
    }

    /// Checks `signature` over `message`. Ed25519 per RFC 8032 §5.1.7 (the key
    /// was checked not to be of small order when decoded); ECDSA accepts only the
    /// fixed-size `r‖s` form, and for secp256k1 only low-S signatures;
    /// ML-DSA-44 per FIPS 204 `ML-DSA.Verify` with an empty context (a
    /// signature of any length but 2420 bytes fails).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        use signature::Verifier as _;
        let ok = match &self.0 {
            PublicInner::Ed25519(k) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            PublicInner::P256(k) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            PublicInner::P384(k) => {
                p384::ecdsa::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            PublicInner::P521(k) => {
                p521::ecdsa::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            PublicInner::Secp256k1(k) => k256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| s.normalize_s().is_none() && k.verify(message, &s).is_ok()),
            PublicInner::MlDsa44(k) => ml_dsa::Signature::<MlDsa44Params>::try_from(signature)
                .is_ok_and(|s| k.verify_with_context(message, &[], &s)),
            PublicInner::Bls12381G2(_) => self.bbs_verify(signature, &[], &[message.to_vec()]).is_ok(),
        };
        if ok { Ok(()) } else { Err(KeyError::BadSignature) }
    }

    /// A BBS signature's check (draft-irtf-cfrg-bbs-signatures `Verify`):
    /// `signature` over `header` and `messages`. A key of another type, or a
    /// signature not 80 bytes, is an error like a signature that does not
    /// verify.
    pub fn bbs_verify(&self, signature: &[u8], header: &[u8], messages: &[Vec<u8>]) -> Result<(), KeyError> {
        let PublicInner::Bls12381G2(k) = &self.0 else {
            return Err(KeyError::UnsupportedKeyType(format!("BBS with {}", self.key_type())));
        };
        let bytes: &[u8; 80] = signature.try_into().map_err(|_| KeyError::BadSignature)?;
        let signature = zkryptium::schemes::generics::Signature::<Bbs>::from_bytes(bytes)
            .map_err(|_| KeyError::BadSignature)?;
        signature.verify(k, Some(messages), Some(header)).map_err(|_| KeyError::BadSignature)
    }

    /// A BBS proof (draft-irtf-cfrg-bbs-signatures `ProofGen`) of this
    /// key's `signature` over `header` and `messages`, disclosing the
    /// messages at `disclosed` (strictly increasing indexes) and binding
    /// `presentation_header`. Fresh randomness each time: two proofs of one
    /// signature share no bytes a verifier could link. A signature that does
    /// not verify, or indexes outside the messages, are errors.
    pub fn bbs_proof_gen(
        &self,
        signature: &[u8],
        header: &[u8],
        presentation_header: &[u8],
        messages: &[Vec<u8>],
        disclosed: &[usize],
    ) -> Result<Vec<u8>, KeyError> {
        let PublicInner::Bls12381G2(k) = &self.0 else {
            return Err(KeyError::UnsupportedKeyType(format!("BBS with {}", self.key_type())));
        };
        let increasing = disclosed.windows(2).all(|w| w[0] < w[1]);
        if !increasing || disclosed.last().is_some_and(|&i| i >= messages.len()) {
            return Err(KeyError::BadSignature);
        }
        // ProofGen does not check the signature; a proof of a bad one would not verify.
        self.bbs_verify(signature, header, messages)?;
        let proof = zkryptium::schemes::generics::PoKSignature::<Bbs>::proof_gen(
            k,
            signature,
            Some(header),
            Some(presentation_header),
            Some(messages),
            Some(disclosed),
        )
        .map_err(|_| KeyError::BadSignature)?;
        Ok(proof.to_bytes())
    }

    /// A BBS proof's check (draft-irtf-cfrg-bbs-signatures `ProofVerify`):
    /// `proof` shows a signature of this key over `header` and messages of
    /// which `disclosed` are those at `indexes` (strictly increasing). A
    /// proof whose length is not `272 + 32·u` (`u` undisclosed messages, at
    /// most `max_undisclosed`), and indexes that repeat, go down or do not
    /// match the messages, fail like a proof that does not verify.
    pub fn bbs_proof_verify(
        &self,
        proof: &[u8],
        header: &[u8],
        presentation_header: &[u8],
        disclosed: &[Vec<u8>],
        indexes: &[usize],
        max_undisclosed: usize,
    ) -> Result<(), KeyError> {
        let PublicInner::Bls12381G2(k) = &self.0 else {
            return Err(KeyError::UnsupportedKeyType(format!("BBS with {}", self.key_type())));
        };
        // `from_bytes` slices the fixed part without checking the length, and
        // ignores a tail shorter than a scalar: both are checked here.
        let responses = proof.len().checked_sub(BBS_PROOF_FIXED + 32).ok_or(KeyError::BadSignature)?;
        if responses % 32 != 0 || responses / 32 > max_undisclosed {
            return Err(KeyError::BadSignature);
        }
        let total = responses / 32 + indexes.len();
        let increasing = indexes.windows(2).all(|w| w[0] < w[1]);
        if disclosed.len() != indexes.len() || !increasing || indexes.last().is_some_and(|&i| i >= total) {
            return Err(KeyError::BadSignature);
        }
        let proof = zkryptium::schemes::generics::PoKSignature::<Bbs>::from_bytes(proof)
            .map_err(|_| KeyError::BadSignature)?;
        proof
            .proof_verify(k, Some(disclosed), Some(indexes), Some(header), Some(presentation_header))
            .map_err(|_| KeyError::BadSignature)
    }

    /// The public JWK of this key (RFC 7517; RFC 8037 for Ed25519;
    /// draft-ietf-cose-dilithium's `AKP` for ML-DSA; for BLS12-381 G2 `kty`
    /// `EC` with `crv` `BLS12381G2` and the uncompressed coordinates, as
    /// draft-ietf-cose-bls-key-representations has it).
    pub fn to_jwk(&self) -> Value {
        match self.jwk_members() {
            JwkMembers::Okp { crv, x } => json!({ "kty": "OKP", "crv": crv, "x": x }),
            JwkMembers::Ec { crv, x, y } => json!({ "kty": "EC", "crv": crv, "x": x, "y": y }),
            JwkMembers::Akp { alg, public } => json!({ "kty": "AKP", "alg": alg, "pub": public }),
        }
    }

    /// The required members of the public JWK, base64url-encoded.
    fn jwk_members(&self) -> JwkMembers {
        match &self.0 {
            PublicInner::Ed25519(k) => JwkMembers::Okp { crv: "Ed25519", x: B64URL.encode(k.to_bytes()) },
            PublicInner::P256(k) => JwkMembers::ec("P-256", k.to_encoded_point(false).as_bytes()),
            PublicInner::P384(k) => JwkMembers::ec("P-384", k.to_encoded_point(false).as_bytes()),
            PublicInner::P521(k) => JwkMembers::ec("P-521", k.to_encoded_point(false).as_bytes()),
            PublicInner::Secp256k1(k) => JwkMembers::ec("secp256k1", k.to_encoded_point(false).as_bytes()),
            PublicInner::MlDsa44(k) => {
                JwkMembers::Akp { alg: KeyType::MlDsa44.jose_alg(), public: B64URL.encode(k.encode()) }
            }
            PublicInner::Bls12381G2(k) => {
                let (x, y) = k.to_coordinates();
                JwkMembers::Ec { crv: "BLS12381G2", x: B64URL.encode(x), y: B64URL.encode(y) }
            }
        }
    }

    /// A key from a public JWK (`kty` OKP, EC or AKP). Private members are
    /// ignored.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let key_type = jwk_key_type(jwk)?;
        if key_type == KeyType::MlDsa44 {
            return Self::from_bytes(key_type, &jwk_field(jwk, "pub")?);
        }
        let x = jwk_field(jwk, "x")?;
        if key_type == KeyType::Ed25519 {
            return Self::from_bytes(key_type, &x);
        }
        let y = jwk_field(jwk, "y")?;
        if key_type == KeyType::Bls12381G2 {
            let bad = || KeyError::InvalidPublicKey(key_type);
            let x: &[u8; 96] = x.as_slice().try_into().map_err(|_| bad())?;
            let y: &[u8; 96] = y.as_slice().try_into().map_err(|_| bad())?;
            let key =
                zkryptium::bbsplus::keys::BBSplusPublicKey::from_coordinates(x, y).map_err(|_| bad())?;
            return Self::from_bytes(key_type, &key.to_bytes());
        }
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Self::from_bytes(key_type, &point)
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn jwk_thumbprint(&self) -> String {
        use sha2::Digest as _;
        // RFC 7638 §3.2: the required members in lexicographic order, no spaces.
        let canonical = match self.jwk_members() {
            JwkMembers::Okp { crv, x } => format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{x}"}}"#),
            JwkMembers::Ec { crv, x, y } => format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#),
            JwkMembers::Akp { alg, public } => format!(r#"{{"alg":"{alg}","kty":"AKP","pub":"{public}"}}"#),
        };
        B64URL.encode(sha2::Sha256::digest(canonical.as_bytes()))
    }
}

/// The required members of a public JWK (RFC 7638 §3.2), base64url-encoded.
enum JwkMembers {
    /// `kty` OKP (RFC 8037).
    Okp { crv: &'static str, x: String },
    /// `kty` EC (RFC 7518 §6.2).
    Ec { crv: &'static str, x: String, y: String },
    /// `kty` AKP (draft-ietf-cose-dilithium): the algorithm and the public key.
    Akp { alg: &'static str, public: String },
}

impl JwkMembers {
    /// The members of an EC key from its uncompressed SEC1 point.
    fn ec(crv: &'static str, uncompressed: &[u8]) -> Self {
        let coords = &uncompressed[1..];
        let (x, y) = coords.split_at(coords.len() / 2);
        Self::Ec { crv, x: B64URL.encode(x), y: B64URL.encode(y) }
    }
}

/// The member of a private JWK that holds the secret: `priv` (the seed) in
/// an `AKP` key, `d` otherwise.
fn private_jwk_member(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::MlDsa44 => "priv",
        _ => "d",
    }
}

fn jwk_key_type(jwk: &Value) -> Result<KeyType, KeyError> {
    let kty = jwk["kty"].as_str().ok_or(KeyError::InvalidJwk("missing `kty`"))?;
    if kty == "AKP" {
        return match jwk["alg"].as_str().ok_or(KeyError::InvalidJwk("missing `alg`"))? {
            "ML-DSA-44" => Ok(KeyType::MlDsa44),
            alg => Err(KeyError::UnsupportedKeyType(format!("AKP/{alg}"))),
        };
    }
    let crv = jwk["crv"].as_str().ok_or(KeyError::InvalidJwk("missing `crv`"))?;
    match (kty, crv) {
        ("OKP", "Ed25519") => Ok(KeyType::Ed25519),
        ("EC", "P-256") => Ok(KeyType::P256),
        ("EC", "P-384") => Ok(KeyType::P384),
        ("EC", "P-521") => Ok(KeyType::P521),
        ("EC", "secp256k1") => Ok(KeyType::Secp256k1),
        ("EC", "BLS12381G2") => Ok(KeyType::Bls12381G2),
        _ => Err(KeyError::UnsupportedKeyType(format!("{kty}/{crv}"))),
    }
}

fn jwk_field(jwk: &Value, name: &'static str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let text = jwk[name].as_str().ok_or(KeyError::InvalidJwk(name))?;
    B64URL.decode(text).map(Zeroizing::new).map_err(|_| KeyError::InvalidJwk(name))
}

fn split_codec(bytes: &[u8]) -> Result<([u8; 2], &[u8]), KeyError> {
    match bytes {
        [a, b, rest @ ..] => Ok(([*a, *b], rest)),
        _ => Err(KeyError::InvalidMultibase),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_key_type_round_trips_and_signs() {
        for key_type in KeyType::ALL {
            let secret = SecretKey::generate(key_type);
            let public = secret.public_key();
            assert_eq!(PublicKey::from_multikey(&public.to_multikey()).unwrap(), public);
            assert_eq!(PublicKey::from_jwk(&public.to_jwk()).unwrap(), public);
            let again = SecretKey::from_multibase(&secret.to_multibase()).unwrap();
            assert_eq!(again.public_key(), public);
            let jwk: Value = serde_json::from_str(&secret.to_jwk()).unwrap();
            assert_eq!(SecretKey::from_jwk(&jwk).unwrap().public_key(), public);
            let sig = secret.sign(b"message");
            public.verify(b"message", &sig).unwrap();
            assert!(public.verify(b"messagf", &sig).is_err());
        }
    }

    #[test]
    fn multikey_prefixes_match_the_did_key_spec() {
        let prefixes = [
            (KeyType::Ed25519, "z6Mk"),
            (KeyType::P256, "zDn"),
            (KeyType::P384, "z82"),
            (KeyType::P521, "z2J9"),
            (KeyType::Secp256k1, "zQ3s"),
            (KeyType::MlDsa44, "ukC"),
            (KeyType::Bls12381G2, "zUC7"),
        ];
        for (key_type, prefix) in prefixes {
            let mk = SecretKey::generate(key_type).public_key().to_multikey();
            assert!(mk.starts_with(prefix), "{key_type}: {mk}");
        }
    }

    #[test]
    fn small_order_ed25519_keys_are_refused() {
        // The identity point, encoded: order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(KeyType::Ed25519, &identity).is_err());
    }

    #[test]
    fn every_key_type_parses_from_its_name_in_any_case() {
        for key_type in KeyType::ALL {
            assert_eq!(key_type.name().parse::<KeyType>(), Ok(key_type));
            assert_eq!(key_type.name().to_uppercase().parse::<KeyType>(), Ok(key_type));
        }
        assert_eq!("rsa".parse::<KeyType>(), Err(KeyError::UnsupportedKeyType("rsa".into())));
    }

    #[test]
    fn rfc_8037_a_3_jwk_thumbprint() {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let key = PublicKey::from_jwk(&jwk).unwrap();
        assert_eq!(key.jwk_thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!(key.to_jwk(), jwk);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let secret = SecretKey::generate(KeyType::Ed25519);
        let shown = format!("{secret:?}");
        assert_eq!(shown, "SecretKey(ed25519, <redacted>)");
    }
}
