//! DIDs, DID documents and the resolver traits the engine verifies through.
//!
//! - [`DidResolver`]: DID → [`Resolution`] (document and metadata). The engine
//!   ships [`OfflineResolver`] for `did:key` and `did:jwk` (through ssi);
//!   `didam-registry` adds the ledger-backed methods.
//! - [`MethodResolver`]: verification method id → [`ResolvedMethod`] (key,
//!   controller, and the proof purposes its controller authorised), and a
//!   DID → how it is controlled ([`MethodResolver::control_security`]).
//!
//! See: <https://www.w3.org/TR/did-1.0/>, <https://w3c-ccg.github.io/did-method-key/>,
//! <https://github.com/quartzjer/did-jwk/blob/main/spec.md>

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};
use ssi::dids::DID;

use crate::error::{KeyError, ResolveError};
use crate::key::{KeyType, PublicKey, Security};

/// What a verification method is authorised for (a DID document's verification
/// relationships).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofPurpose {
    /// `assertionMethod`: issuing credentials.
    AssertionMethod,
    /// `authentication`: proving control, e.g. signing presentations.
    Authentication,
    /// `capabilityInvocation`: updating the DID itself.
    CapabilityInvocation,
    /// `capabilityDelegation`.
    CapabilityDelegation,
    /// `keyAgreement` (never valid for a signature).
    KeyAgreement,
}

impl ProofPurpose {
    /// Every purpose, in a stable order.
    pub const ALL: [ProofPurpose; 5] = [
        Self::AssertionMethod,
        Self::Authentication,
        Self::CapabilityInvocation,
        Self::CapabilityDelegation,
        Self::KeyAgreement,
    ];

    /// The name used in proofs and DID documents.
    pub fn name(self) -> &'static str {
        match self {
            Self::AssertionMethod => "assertionMethod",
            Self::Authentication => "authentication",
            Self::CapabilityInvocation => "capabilityInvocation",
            Self::CapabilityDelegation => "capabilityDelegation",
            Self::KeyAgreement => "keyAgreement",
        }
    }
}

impl fmt::Display for ProofPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProofPurpose {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| format!("unknown proof purpose `{s}`"))
    }
}

/// A DID document: a JSON object with a string `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct DidDocument(Value);

impl DidDocument {
    /// Checks the minimal shape (`id` is a DID) and wraps the document.
    pub fn new(document: Value) -> Result<Self, ResolveError> {
        let invalid = |reason: &str| ResolveError::InvalidDocument {
            did: document.get("id").and_then(Value::as_str).unwrap_or("?").to_owned(),
            reason: reason.to_owned(),
        };
        let id = document.get("id").and_then(Value::as_str).ok_or_else(|| invalid("no `id`"))?;
        if !id.starts_with("did:") {
            return Err(invalid("`id` is not a DID"));
        }
        Ok(Self(document))
    }

    /// The DID the document describes.
    pub fn id(&self) -> &str {
        self.0["id"].as_str().unwrap_or_default()
    }

    /// The document as JSON.
    pub fn as_json(&self) -> &Value {
        &self.0
    }

    /// Unwraps the JSON.
    pub fn into_json(self) -> Value {
        self.0
    }

    fn absolute(&self, id: &str) -> String {
        if id.starts_with('#') { format!("{}{id}", self.id()) } else { id.to_owned() }
    }

    /// The verification method with this id (absolute, or relative `#frag`),
    /// listed in `verificationMethod` or embedded in a relationship.
    pub fn method(&self, id: &str) -> Option<&Value> {
        let wanted = self.absolute(id);
        let listed = self.0.get("verificationMethod").and_then(Value::as_array);
        let embedded = ProofPurpose::ALL
            .iter()
            .filter_map(|p| self.0.get(p.name()).and_then(Value::as_array))
            .flatten()
            .filter(|v| v.is_object());
        listed
            .into_iter()
            .flatten()
            .chain(embedded)
            .find(|vm| vm.get("id").and_then(Value::as_str).is_some_and(|i| self.absolute(i) == wanted))
    }

    /// The purposes the document authorises the method for.
    pub fn purposes_of(&self, id: &str) -> Vec<ProofPurpose> {
        let wanted = self.absolute(id);
        ProofPurpose::ALL
            .into_iter()
            .filter(|p| {
                self.0.get(p.name()).and_then(Value::as_array).is_some_and(|entries| {
                    entries.iter().any(|e| {
                        let r = e.as_str().or_else(|| e.get("id").and_then(Value::as_str));
                        r.is_some_and(|r| self.absolute(r) == wanted)
                    })
                })
            })
            .collect()
    }

    /// The method with its key and authorised purposes.
    pub fn resolved_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        let vm = self.method(id).ok_or_else(|| ResolveError::UnknownVerificationMethod(id.to_owned()))?;
        let key =
            method_public_key(vm).map_err(|source| ResolveError::BadKey { id: id.to_owned(), source })?;
        let controller = vm.get("controller").and_then(Value::as_str).unwrap_or(self.id()).to_owned();
        Ok(ResolvedMethod { id: self.absolute(id), controller, key, purposes: self.purposes_of(id) })
    }
}

/// The key a holder proves possession with: the first verification method
/// `did`'s document authorises for `authentication` (an SD-JWT VC's `cnf`).
pub async fn authentication_key<R: DidResolver + ?Sized>(
    resolver: &R,
    did: &str,
) -> Result<ResolvedMethod, ResolveError> {
    let resolution = resolver.resolve(did).await?;
    let document = &resolution.document;
    let entries = document.as_json().get(ProofPurpose::Authentication.name()).and_then(Value::as_array);
    let first = entries
        .into_iter()
        .flatten()
        .find_map(|e| e.as_str().or_else(|| e.get("id").and_then(Value::as_str)))
        .ok_or_else(|| ResolveError::InvalidDocument {
            did: did.to_owned(),
            reason: "no verification method for authentication".to_owned(),
        })?;
    let id = document.absolute(first);
    resolution.verification_method(&id)
}

/// The public key of a verification method object: `publicKeyMultibase`
/// (Multikey, Ed25519VerificationKey2020), `publicKeyJwk` (JsonWebKey,
/// JsonWebKey2020) or `publicKeyBase58` (Ed25519VerificationKey2018,
/// Bls12381G2Key2020, ...).
pub fn method_public_key(vm: &Value) -> Result<PublicKey, KeyError> {
    if let Some(mb) = vm.get("publicKeyMultibase").and_then(Value::as_str) {
        // Ed25519VerificationKey2020 keys carry the multicodec prefix too.
        return PublicKey::from_multikey(mb);
    }
    if let Some(jwk) = vm.get("publicKeyJwk") {
        return PublicKey::from_jwk(jwk);
    }
    if let Some(b58) = vm.get("publicKeyBase58").and_then(Value::as_str) {
        // Legacy types name the curve: Ed25519VerificationKey2018, P256Key2021,
        // P384Key2021, EcdsaSecp256k1VerificationKey2019, ...
        let vm_type = vm.get("type").and_then(Value::as_str).unwrap_or_default();
        let key_type = if vm_type.contains("P256") || vm_type.contains("Secp256r1") {
            KeyType::P256
        } else if vm_type.contains("P384") || vm_type.contains("Secp384r1") {
            KeyType::P384
        } else if vm_type.contains("Secp256k1") {
            KeyType::Secp256k1
        } else if vm_type.contains("Ed25519") {
            KeyType::Ed25519
        } else if vm_type.starts_with("Bls12381G2") {
            // Bls12381G2Key2020: the 96-byte compressed G2 point.
            KeyType::Bls12381G2
        } else {
            return Err(KeyError::UnsupportedKeyType(vm_type.to_owned()));
        };
        let raw = multibase::Base::Base58Btc.decode(b58).map_err(|_| KeyError::InvalidMultibase)?;
        return PublicKey::from_bytes(key_type, &raw);
    }
    Err(KeyError::InvalidJwk("verification method has no supported public key member"))
}

/// A verification method ready for signature checks.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedMethod {
    /// Absolute id of the method.
    pub id: String,
    /// Its controller.
    pub controller: String,
    /// Its public key.
    pub key: PublicKey,
    /// The purposes its controller authorised it for.
    pub purposes: Vec<ProofPurpose>,
}

/// The result of resolving a DID.
/// See: <https://www.w3.org/TR/did-resolution/#did-resolution-result>
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    /// The DID document.
    pub document: DidDocument,
    /// `didDocumentMetadata` (`versionId`, `created`, `deactivated`, …).
    pub document_metadata: Value,
    /// `contentType` of the document representation.
    pub content_type: String,
}

impl Resolution {
    /// Whether the DID is deactivated (`deactivated: true` in its metadata).
    /// See: <https://www.w3.org/TR/did-core/#did-document-metadata>
    pub fn deactivated(&self) -> bool {
        self.document_metadata.get("deactivated") == Some(&Value::Bool(true))
    }

    /// How the DID is controlled: the security of the keys that may change
    /// it, as its resolution metadata says (`didDocumentMetadata.control.security`,
    /// which did:didam reports, `specs/did-didam.md` §6); `None` when the
    /// metadata does not say.
    pub fn control_security(&self) -> Option<Security> {
        let name = self.document_metadata.pointer("/control/security")?.as_str()?;
        Security::from_name(name)
    }

    /// The verification method `id` of this DID, ready for signature checks.
    /// The one place a deactivated DID's keys are refused
    /// ([`ResolveError::Deactivated`]): every [`MethodResolver`] built on a
    /// resolution (the engine's [`resolve_method_via`], the daemon's) goes
    /// through here.
    pub fn verification_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        if self.deactivated() {
            let did = id.split(['#', '?']).next().unwrap_or(id);
            return Err(ResolveError::Deactivated(did.to_owned()));
        }
        self.document.resolved_method(id)
    }

    /// The W3C DID resolution result as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "@context": "https://w3id.org/did-resolution/v1",
            "didDocument": self.document.as_json(),
            "didResolutionMetadata": { "contentType": self.content_type },
            "didDocumentMetadata": self.document_metadata,
        })
    }
}

/// Resolves DIDs to documents.
pub trait DidResolver {
    /// Resolves `did` (a DID, not a DID URL).
    #[allow(async_fn_in_trait)]
    async fn resolve(&self, did: &str) -> Result<Resolution, ResolveError>;
}

/// Resolves verification method ids to keys.
pub trait MethodResolver {
    /// Resolves a verification method id (usually a DID URL with a fragment).
    #[allow(async_fn_in_trait)]
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError>;

    /// How the DID `did` is controlled (the security of the keys that may
    /// change it, [`Resolution::control_security`]), for policies that
    /// require quantum-safe or hybrid control of issuers. `Ok(None)` when
    /// this resolver cannot say (the default), which such a policy refuses.
    #[allow(async_fn_in_trait)]
    async fn control_security(&self, did: &str) -> Result<Option<Security>, ResolveError> {
        let _ = did;
        Ok(None)
    }
}

/// Resolves the key that made a proof and records the `key-authorization`
/// check: `Ok(None)` (with a failed check) when the method is not in its
/// controller's document, `Err` when resolution itself failed. The check fails,
/// but the method is still returned, when it is not authorised for `purpose`.
pub(crate) async fn authorised_method<R: MethodResolver + ?Sized>(
    resolver: &R,
    id: &str,
    purpose: ProofPurpose,
    checks: &mut Vec<crate::report::Check>,
) -> Result<Option<ResolvedMethod>, ResolveError> {
    use crate::report::{Check, CheckKind};
    let method = match resolver.resolve_method(id).await {
        Ok(m) => m,
        Err(ResolveError::UnknownVerificationMethod(id)) => {
            checks.push(Check::failed(
                CheckKind::KeyAuthorization,
                format!("verification method `{id}` is not in its controller's document"),
            ));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    checks.push(if method.purposes.contains(&purpose) {
        Check::passed(CheckKind::KeyAuthorization, format!("{} authorised for {purpose}", method.id))
    } else {
        Check::failed(
            CheckKind::KeyAuthorization,
            format!("key `{}` is not authorised for {purpose}", method.id),
        )
    });
    Ok(Some(method))
}

/// Resolves a verification method through a [`DidResolver`].
pub async fn resolve_method_via<R: DidResolver + ?Sized>(
    resolver: &R,
    id: &str,
) -> Result<ResolvedMethod, ResolveError> {
    let did = id.split_once('#').map_or(id, |(did, _)| did);
    let did = did.split_once('?').map_or(did, |(did, _)| did);
    let resolution = resolver.resolve(did).await?;
    resolution.verification_method(id)
}

/// `did:key` and `did:jwk`, resolved offline.
///
/// The documents are built from the key parsed out of the DID, so a DID whose
/// key does not decode (or is of a type didam cannot verify with) is refused as
/// invalid. ssi's DID syntax parser checks the DID itself. (ssi's own did:key
/// resolver returns a document for any string and knows no P-521, hence the
/// document is built here.)
#[derive(Clone, Copy, Debug, Default)]
pub struct OfflineResolver;

impl OfflineResolver {
    /// The methods this resolver handles.
    pub const METHODS: [&'static str; 2] = ["key", "jwk"];
}

const SIGNING_RELATIONSHIPS: [ProofPurpose; 4] = [
    ProofPurpose::AssertionMethod,
    ProofPurpose::Authentication,
    ProofPurpose::CapabilityInvocation,
    ProofPurpose::CapabilityDelegation,
];

fn single_key_document(did: &str, context: &str, method: Value) -> Value {
    let vm_id = method["id"].clone();
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1", context],
        "id": did,
        "verificationMethod": [method],
    });
    for purpose in SIGNING_RELATIONSHIPS {
        doc[purpose.name()] = json!([vm_id]);
    }
    doc
}

fn did_key_document(did: &str, msid: &str) -> Result<Value, ResolveError> {
    let key = PublicKey::from_multikey(msid).map_err(|_| ResolveError::InvalidDid(did.to_owned()))?;
    let method = json!({
        "id": format!("{did}#{msid}"),
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": key.to_multikey(),
    });
    Ok(single_key_document(did, "https://w3id.org/security/multikey/v1", method))
}

fn did_jwk_document(did: &str, msid: &str) -> Result<Value, ResolveError> {
    use base64::Engine as _;
    let invalid = || ResolveError::InvalidDid(did.to_owned());
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(msid).map_err(|_| invalid())?;
    let jwk: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    if jwk.get("d").is_some() {
        // A private key in a DID: refuse rather than repeat it.
        return Err(invalid());
    }
    PublicKey::from_jwk(&jwk).map_err(|_| invalid())?;
    if jwk.get("use").and_then(Value::as_str) == Some("enc") {
        return Err(invalid());
    }
    let method = json!({
        "id": format!("{did}#0"),
        "type": "JsonWebKey2020",
        "controller": did,
        "publicKeyJwk": jwk,
    });
    Ok(single_key_document(did, "https://w3id.org/security/suites/jws-2020/v1", method))
}

impl DidResolver for OfflineResolver {
    async fn resolve(&self, did: &str) -> Result<Resolution, ResolveError> {
        let parsed = DID::new(did).map_err(|_| ResolveError::InvalidDid(did.to_owned()))?;
        let msid = parsed.method_specific_id();
        let document = match parsed.method_name() {
            "key" => did_key_document(did, msid)?,
            "jwk" => did_jwk_document(did, msid)?,
            other => return Err(ResolveError::MethodNotSupported(other.to_owned())),
        };
        Ok(Resolution {
            document: DidDocument::new(document)?,
            document_metadata: json!({}),
            content_type: "application/did+ld+json".to_owned(),
        })
    }
}

impl MethodResolver for OfflineResolver {
    /// The same answer as resolving the DID and looking the method up in the
    /// document, without building the document: the key is decoded once.
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        let Some((did, fragment)) = id.split_once('#') else {
            return resolve_method_via(self, id).await;
        };
        let Some(msid) = did.strip_prefix("did:key:") else {
            return resolve_method_via(self, id).await;
        };
        if fragment != msid {
            return Err(ResolveError::UnknownVerificationMethod(id.to_owned()));
        }
        DID::new(did).map_err(|_| ResolveError::InvalidDid(did.to_owned()))?;
        let key = PublicKey::from_multikey(msid).map_err(|_| ResolveError::InvalidDid(did.to_owned()))?;
        Ok(ResolvedMethod {
            id: id.to_owned(),
            controller: did.to_owned(),
            key,
            purposes: SIGNING_RELATIONSHIPS.to_vec(),
        })
    }

    /// A did:key or did:jwk is its one key, never changed: whoever holds the
    /// key controls the DID, so its control is as secure as the key's type.
    async fn control_security(&self, did: &str) -> Result<Option<Security>, ResolveError> {
        let document = self.resolve(did).await?.document;
        let first = document.as_json().pointer("/verificationMethod/0/id").and_then(Value::as_str);
        let first = first.ok_or_else(|| ResolveError::InvalidDid(did.to_owned()))?;
        Ok(Some(document.resolved_method(first)?.key.key_type().security()))
    }
}

/// The `did:key` of a public key, and the id of its verification method.
/// See: <https://w3c-ccg.github.io/did-method-key/#format>
pub fn did_key(key: &PublicKey) -> (String, String) {
    let mk = key.to_multikey();
    (format!("did:key:{mk}"), format!("did:key:{mk}#{mk}"))
}

/// The `did:jwk` of a public key, and the id of its verification method (`#0`).
pub fn did_jwk(key: &PublicKey) -> (String, String) {
    use base64::Engine as _;
    let jwk = crate::canon::jcs(&key.to_jwk()).expect("a JWK is JCS-representable");
    let did = format!("did:jwk:{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jwk));
    let vm = format!("{did}#0");
    (did, vm)
}

/// Resolves nothing: every method is unknown. Put behind [`StaticMethods`] when
/// only the listed methods may sign (for example a DID log's update keys).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFallback;

impl MethodResolver for NoFallback {
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        Err(ResolveError::UnknownVerificationMethod(id.to_owned()))
    }
}

/// A fixed set of verification methods (for issuers without a DID, such as the
/// controller documents of test suites), in front of another resolver.
#[derive(Clone, Debug, Default)]
pub struct StaticMethods<R> {
    methods: HashMap<String, ResolvedMethod>,
    fallback: R,
}

impl<R> StaticMethods<R> {
    /// An empty set in front of `fallback`.
    pub fn new(fallback: R) -> Self {
        Self { methods: HashMap::new(), fallback }
    }

    /// Adds a verification method object (`id`, `controller`, key member),
    /// authorised for `purposes`; it is also found by the key's JWK `kid`.
    pub fn insert(&mut self, vm: &Value, purposes: &[ProofPurpose]) -> Result<(), ResolveError> {
        let id = vm.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let key = method_public_key(vm).map_err(|source| ResolveError::BadKey { id: id.clone(), source })?;
        let controller = vm.get("controller").and_then(Value::as_str).unwrap_or_default().to_owned();
        let method = ResolvedMethod { id: id.clone(), controller, key, purposes: purposes.to_vec() };
        if let Some(kid) = vm.pointer("/publicKeyJwk/kid").and_then(Value::as_str) {
            self.methods.insert(kid.to_owned(), method.clone());
        }
        self.methods.insert(id, method);
        Ok(())
    }
}

impl<R: MethodResolver> MethodResolver for StaticMethods<R> {
    async fn resolve_method(&self, id: &str) -> Result<ResolvedMethod, ResolveError> {
        match self.methods.get(id) {
            Some(m) => Ok(m.clone()),
            None => self.fallback.resolve_method(id).await,
        }
    }

    async fn control_security(&self, did: &str) -> Result<Option<Security>, ResolveError> {
        self.fallback.control_security(did).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::key::SecretKey;

    #[test]
    fn did_key_and_did_jwk_resolve_to_the_same_key() {
        for key_type in KeyType::ALL {
            let public = SecretKey::generate(key_type).public_key();
            for (did, vm) in [did_key(&public), did_jwk(&public)] {
                let resolved = futures::executor::block_on(OfflineResolver.resolve(&did)).unwrap();
                assert_eq!(resolved.document.id(), did);
                let method = resolved.document.resolved_method(&vm).unwrap();
                assert_eq!(method.key, public, "{did}");
                assert!(method.purposes.contains(&ProofPurpose::AssertionMethod));
            }
        }
    }

    #[test]
    fn the_did_key_shortcut_agrees_with_the_document() {
        let public = SecretKey::generate(KeyType::P256).public_key();
        let (did, vm) = did_key(&public);
        let fast = futures::executor::block_on(OfflineResolver.resolve_method(&vm)).unwrap();
        let slow = futures::executor::block_on(resolve_method_via(&OfflineResolver, &vm)).unwrap();
        assert_eq!(fast, slow);
        let wrong = format!("{did}#other");
        assert!(matches!(
            futures::executor::block_on(OfflineResolver.resolve_method(&wrong)),
            Err(ResolveError::UnknownVerificationMethod(_))
        ));
        assert!(futures::executor::block_on(resolve_method_via(&OfflineResolver, &wrong)).is_err());
    }

    #[test]
    fn unsupported_and_invalid_dids_are_typed_errors() {
        let r = |d: &str| futures::executor::block_on(OfflineResolver.resolve(d));
        assert!(matches!(r("did:web:example.com"), Err(ResolveError::MethodNotSupported(m)) if m == "web"));
        assert!(matches!(r("not a did"), Err(ResolveError::InvalidDid(_))));
        let bad = r("did:key:zzzz");
        assert!(matches!(bad, Err(ResolveError::InvalidDid(_))), "{bad:?}");
    }
}
