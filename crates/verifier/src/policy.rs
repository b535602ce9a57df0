//! Verification policies: which issuers to trust, which suites to accept,
//! whether a status is required, how old a credential may be.
//!
//! A policy is a TOML or JSON file, read by [`Policy::from_file`] (by file
//! extension, or by content when there is none: JSON starts with `{`). Every
//! key is optional; an unknown key is an error, so that a typo cannot silently
//! weaken a policy. Durations are strings of whole numbers with a unit, `s`,
//! `m`, `h`, `d` or `w`, possibly several: `"90s"`, `"12h"`, `"30d"`,
//! `"1d12h"`.
//!
//! ```toml
//! # Issuers trusted for any credential type.
//! trusted_issuers = ["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"]
//! # Suites and formats accepted (names of Data Integrity cryptosuites, or
//! # "vc+jwt", "vc+sd-jwt", "dc+sd-jwt", "vc+cose"). Absent: every one the engine verifies.
//! accepted_suites = ["eddsa-rdfc-2022", "ecdsa-rdfc-2019", "vc+jwt"]
//! # Every credential must carry a status entry, and it must be checked.
//! require_status = true
//! max_credential_age = "365d"
//! max_status_age = "1d"
//! clock_skew = "2m"
//! # Whether a presentation's holder must be the subject of each credential.
//! holder_must_be_subject = true
//! # Whether a credential must be signed with a key of its issuer ("required",
//! # the default) or an unbound key is only a warning in the report ("warn").
//! issuer_key_binding = "required"
//! # Quantum-safe signatures (issue 21): "quantum-safe" (an ML-DSA-44 one
//! # among those that verified) or "hybrid" (a classical and a quantum-safe one).
//! signature_security = "hybrid"
//! # How the issuer's DID must be controlled, as its resolution says
//! # (`control.security`): "quantum-safe" (ML-DSA-44 update keys, alone or
//! # with a classical one) or "hybrid" (a classical and an ML-DSA-44 key).
//! issuer_control = "hybrid"
//!
//! # Issuers trusted for one credential type only (in addition to the above).
//! [trusted_issuers_by_type]
//! ExampleDegreeCredential = ["did:web:university.example"]
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use didam_credential::credential::is_url;
use didam_credential::{Securing, Security, Suite};
use serde::{Deserialize, Serialize};

use crate::error::{InvalidDuration, PolicyError, UnknownFormat};

/// What a verifier requires beyond valid signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Policy {
    /// Issuers trusted for every credential type. When this is absent and
    /// [`Self::trusted_issuers_by_type`] is empty, any issuer is accepted
    /// (the `issuer-trust` check is then "not applicable").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_issuers: Option<Vec<String>>,
    /// Issuers trusted for credentials of one type, by type name. An issuer is
    /// trusted for a credential when it is in [`Self::trusted_issuers`] or in
    /// the list of any of the credential's types.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trusted_issuers_by_type: BTreeMap<String, Vec<String>>,
    /// The suites and formats accepted, for credentials and presentations;
    /// absent: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_suites: Option<Vec<Format>>,
    /// Whether every credential must have a status entry that was checked.
    #[serde(default)]
    pub require_status: bool,
    /// The oldest a credential may be, counted from its `validFrom`
    /// (`issuanceDate` in VCDM 1.1; else the JWT `iat`; else its proof's
    /// `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_credential_age: Option<HumanDuration>,
    /// The oldest a status list may be, counted from its `validFrom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_status_age: Option<HumanDuration>,
    /// The clock difference allowed with issuers and holders.
    #[serde(default)]
    pub clock_skew: HumanDuration,
    /// Whether the holder of a presentation must be the subject
    /// (`credentialSubject.id`) of each credential in it. When `false`, any
    /// holder who signs the presentation is accepted.
    #[serde(default = "yes")]
    pub holder_must_be_subject: bool,
    /// Whether a presentation must be verified against a challenge (the
    /// verifier's nonce). When `true` (the default), a presentation verified
    /// without one fails its `replay-protection` check; when `false`, the
    /// check says that nothing prevents the presentation's replay.
    #[serde(default = "yes")]
    pub require_challenge: bool,
    /// Whether a credential's proof must be made with a key of its issuer
    /// (the `issuer-key` check). VC Data Integrity checks a proof against
    /// its `verificationMethod` only and leaves binding that method to the
    /// issuer to the verifier's policy; didam's default,
    /// [`KeyBinding::Required`], refuses a credential signed by anyone
    /// else, since that binding is what stops issuing in another's name.
    #[serde(default, skip_serializing_if = "KeyBinding::is_required")]
    pub issuer_key_binding: KeyBinding,
    /// What the signatures of credentials and presentations must resist
    /// (the `signature-security` check): absent, anything; `quantum-safe`,
    /// at least one quantum-safe signature (ML-DSA-44) among those that
    /// verified; `hybrid`, a classical and a quantum-safe one, so that the
    /// document stays unforgeable while either family holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_security: Option<RequiredSecurity>,
    /// How the issuer's DID must be controlled (the `issuer-control`
    /// check), as its resolution says (`didDocumentMetadata.control.security`,
    /// the security of the update keys that may change a did:didam; a
    /// did:key or did:jwk is its one key): absent, anything; `quantum-safe`,
    /// keys a quantum computer cannot forge for (ML-DSA-44 update keys, or
    /// hybrid control); `hybrid`, a classical and an ML-DSA-44 update key
    /// that must both sign every change, so that control survives a break
    /// of either family. A DID whose resolution does not say fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_control: Option<RequiredSecurity>,
}

/// The [`Policy::signature_security`] a verifier asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RequiredSecurity {
    /// At least one quantum-safe signature.
    QuantumSafe,
    /// A classical and a quantum-safe signature (or a hybrid one).
    Hybrid,
}

impl RequiredSecurity {
    /// Whether `control`, how a DID is controlled, meets this requirement:
    /// quantum-safe or hybrid control for [`Self::QuantumSafe`] (a quantum
    /// computer forges for neither), hybrid control only for [`Self::Hybrid`].
    pub fn met_by_control(self, control: Security) -> bool {
        match self {
            Self::QuantumSafe => matches!(control, Security::QuantumSafe | Security::Hybrid),
            Self::Hybrid => control == Security::Hybrid,
        }
    }
}

impl RequiredSecurity {
    /// The name in policy files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::QuantumSafe => "quantum-safe",
            Self::Hybrid => "hybrid",
        }
    }
}

/// How the `issuer-key` check treats a credential signed with a key that
/// is not its issuer's ([`Policy::issuer_key_binding`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum KeyBinding {
    /// The check fails: the credential does not verify (the default).
    #[default]
    Required,
    /// The check is a warning that names the unbound key; the credential
    /// verifies if nothing else fails. For test suites whose vectors name an
    /// issuer unrelated to their signing key, never for trusting issuers.
    Warn,
}

impl KeyBinding {
    /// Whether this is [`KeyBinding::Required`].
    pub fn is_required(&self) -> bool {
        *self == Self::Required
    }
}

fn yes() -> bool {
    true
}

impl Default for Policy {
    /// Any issuer, any suite, status checked when present but not required,
    /// no age limit, no clock skew, the holder must be the subject, a
    /// presentation must be verified against a challenge, a credential must
    /// be signed with a key of its issuer.
    fn default() -> Self {
        Self {
            trusted_issuers: None,
            trusted_issuers_by_type: BTreeMap::new(),
            accepted_suites: None,
            require_status: false,
            max_credential_age: None,
            max_status_age: None,
            clock_skew: HumanDuration::default(),
            holder_must_be_subject: true,
            require_challenge: true,
            issuer_key_binding: KeyBinding::Required,
            signature_security: None,
            issuer_control: None,
        }
    }
}

/// Whether an issuer is trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Trust {
    /// The policy does not restrict issuers.
    Unrestricted,
    /// Trusted, and why.
    Trusted(String),
    /// Not trusted.
    Untrusted,
}

impl Policy {
    /// Reads a policy file: TOML for `.toml`, JSON for `.json`, otherwise
    /// JSON when the content starts with `{` and TOML when not.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        Self::from_file_over(path, &Self::default())
    }

    /// Reads a policy file whose keys replace those of `base`: a key the
    /// file does not set keeps `base`'s value (a front end's own defaults,
    /// such as the daemon's), never the library default.
    pub fn from_file_over(path: impl AsRef<Path>, base: &Policy) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| PolicyError::Read { path: path.to_owned(), source })?;
        let toml = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => true,
            Some(e) if e.eq_ignore_ascii_case("json") => false,
            _ => !text.trim_start().starts_with('{'),
        };
        // Parsed whole first: errors name the file's own line and key.
        let (_, set): (Self, serde_json::Value) = if toml {
            (Self::from_toml_str(&text)?, toml::from_str(&text)?)
        } else {
            (Self::from_json_str(&text)?, serde_json::from_str(&text)?)
        };
        let mut merged = serde_json::to_value(base)?;
        if let (Some(merged), serde_json::Value::Object(set)) = (merged.as_object_mut(), set) {
            merged.extend(set);
        }
        let policy: Self = serde_json::from_value(merged)?;
        policy.validated()
    }

    /// Reads a policy from TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, PolicyError> {
        let policy: Self = toml::from_str(text)?;
        policy.validated()
    }

    /// Reads a policy from JSON.
    pub fn from_json_str(text: &str) -> Result<Self, PolicyError> {
        let policy: Self = serde_json::from_str(text)?;
        policy.validated()
    }

    fn validated(self) -> Result<Self, PolicyError> {
        let issuers =
            self.trusted_issuers.iter().flatten().chain(self.trusted_issuers_by_type.values().flatten());
        if let Some(bad) = issuers.into_iter().find(|i| !is_url(i)) {
            return Err(PolicyError::InvalidIssuer(bad.clone()));
        }
        Ok(self)
    }

    /// Trusts `issuer` for every credential type.
    pub fn trust_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.trusted_issuers.get_or_insert_with(Vec::new).push(issuer.into());
        self
    }

    /// Trusts `issuer` for credentials of type `credential_type`.
    pub fn trust_issuer_for(mut self, credential_type: impl Into<String>, issuer: impl Into<String>) -> Self {
        self.trusted_issuers_by_type.entry(credential_type.into()).or_default().push(issuer.into());
        self
    }

    /// Whether the policy restricts issuers at all.
    pub fn restricts_issuers(&self) -> bool {
        self.trusted_issuers.is_some() || !self.trusted_issuers_by_type.is_empty()
    }

    pub(crate) fn trust(&self, issuer: &str, types: &[&str]) -> Trust {
        if !self.restricts_issuers() {
            return Trust::Unrestricted;
        }
        if self.trusted_issuers.iter().flatten().any(|i| i == issuer) {
            return Trust::Trusted("trusted for every type".into());
        }
        let by_type = types.iter().find(|t| {
            self.trusted_issuers_by_type.get(**t).is_some_and(|list| list.iter().any(|i| i == issuer))
        });
        match by_type {
            Some(t) => Trust::Trusted(format!("trusted for {t}")),
            None => Trust::Untrusted,
        }
    }

    /// Whether `format` is accepted.
    pub fn accepts(&self, format: Format) -> bool {
        self.accepted_suites.as_ref().is_none_or(|list| list.contains(&format))
    }
}

/// How a document is secured, as a policy names it: a Data Integrity suite
/// (`eddsa-rdfc-2022`, …) or an enveloping format (`vc+jwt`, `vc+sd-jwt`,
/// `dc+sd-jwt`, `vc+cose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A Data Integrity proof of this suite.
    DataIntegrity(Suite),
    /// VC-JOSE compact JWS (`vc+jwt`, `vp+jwt`).
    Jose,
    /// SD-JWT (`vc+sd-jwt`).
    SdJwt,
    /// IETF SD-JWT VC (`dc+sd-jwt`).
    SdJwtVc,
    /// COSE_Sign1 (`vc+cose`).
    Cose,
}

impl Format {
    /// The formats securing a document, as the engine reports them: one per
    /// Data Integrity proof, or the enveloping format; none when not secured.
    pub fn of(securing: &Securing) -> Vec<Self> {
        match securing {
            Securing::DataIntegrity { suites } => suites.iter().copied().map(Self::DataIntegrity).collect(),
            Securing::Jose { .. } => vec![Self::Jose],
            Securing::SdJwt { .. } => vec![Self::SdJwt],
            Securing::SdJwtVc { .. } => vec![Self::SdJwtVc],
            Securing::Cose { .. } => vec![Self::Cose],
            // `None`, or a securing this verifier does not know.
            _ => Vec::new(),
        }
    }

    /// The name in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::DataIntegrity(suite) => suite.name(),
            Self::Jose => "vc+jwt",
            Self::SdJwt => "vc+sd-jwt",
            Self::SdJwtVc => "dc+sd-jwt",
            Self::Cose => "vc+cose",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// A suite name or `vc+jwt` (also `vp+jwt`), `vc+sd-jwt`, `dc+sd-jwt`, `vc+cose`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "vc+jwt" | "vp+jwt" => Ok(Self::Jose),
            "vc+sd-jwt" => Ok(Self::SdJwt),
            "dc+sd-jwt" => Ok(Self::SdJwtVc),
            "vc+cose" => Ok(Self::Cose),
            other => other.parse().map(Self::DataIntegrity).map_err(|_| UnknownFormat(other.to_owned())),
        }
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A duration written for people: whole numbers with units `s`, `m`, `h`,
/// `d` (24 h) or `w` (7 d), e.g. `"30d"` or `"1h30m"`; at most a million days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(std::time::Duration);

impl HumanDuration {
    const UNITS: [(char, u64); 5] = [('w', 604_800), ('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

    /// The longest duration: a million days (about 2,700 years), so that date
    /// arithmetic never overflows.
    pub const MAX_SECS: u64 = 1_000_000 * 86_400;

    /// A duration of `seconds`, at most [`Self::MAX_SECS`].
    pub fn from_secs(seconds: u64) -> Self {
        Self(std::time::Duration::from_secs(seconds.min(Self::MAX_SECS)))
    }

    /// The duration in whole seconds.
    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    /// The duration for date arithmetic.
    pub fn to_chrono(self) -> chrono::Duration {
        let secs = self.as_secs().min(Self::MAX_SECS);
        chrono::Duration::seconds(i64::try_from(secs).expect("at most MAX_SECS, far below i64::MAX"))
    }
}

impl From<std::time::Duration> for HumanDuration {
    /// Whole seconds of `d`, at most [`Self::MAX_SECS`].
    fn from(d: std::time::Duration) -> Self {
        Self::from_secs(d.as_secs())
    }
}

impl FromStr for HumanDuration {
    type Err = InvalidDuration;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidDuration(s.to_owned());
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (_, unit) = Self::UNITS.iter().find(|(u, _)| *u == c).ok_or_else(bad)?;
            let n: u64 = digits.parse().map_err(|_| bad())?;
            total = n.checked_mul(*unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
            digits.clear();
        }
        if !digits.is_empty() || s.trim().is_empty() || total > Self::MAX_SECS {
            return Err(bad());
        }
        Ok(Self::from_secs(total))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.as_secs();
        let (unit, size) = Self::UNITS
            .iter()
            .find(|(_, size)| secs >= *size && secs.is_multiple_of(*size))
            .copied()
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", secs / size)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations_read_and_print() {
        for (text, secs, shown) in [
            ("90s", 90, "90s"),
            ("2m", 120, "2m"),
            ("1h30m", 5400, "90m"),
            ("30d", 2_592_000, "30d"),
            ("2w", 1_209_600, "2w"),
            ("0s", 0, "0s"),
        ] {
            let d: HumanDuration = text.parse().unwrap();
            assert_eq!(d.as_secs(), secs, "{text}");
            assert_eq!(d.to_string(), shown);
        }
        for bad in ["", "30", "d", "3x", "-1d", "1.5h", "99999999999999999999w", "1000001d"] {
            assert!(bad.parse::<HumanDuration>().is_err(), "{bad}");
        }
    }

    #[test]
    fn trust_is_the_union_of_global_and_per_type_lists() {
        let policy =
            Policy::default().trust_issuer("did:example:a").trust_issuer_for("Degree", "did:example:b");
        assert!(matches!(policy.trust("did:example:a", &["Other"]), Trust::Trusted(_)));
        assert!(matches!(
            policy.trust("did:example:b", &["VerifiableCredential", "Degree"]),
            Trust::Trusted(_)
        ));
        assert_eq!(policy.trust("did:example:b", &["Other"]), Trust::Untrusted);
        assert_eq!(Policy::default().trust("did:example:z", &[]), Trust::Unrestricted);
    }
}
