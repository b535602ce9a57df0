//! Verification reports: every check made, with its outcome and why.
//!
//! A report is the "checked" level of a verification: the credential was read,
//! its keys resolved and every check ran. [`Report::is_valid`] holds when no
//! check failed. Could-not-check situations are [`Error`](crate::Error)s instead.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::credential::DocumentKind;
use crate::key::Security;
use crate::suite::Suite;

/// What was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CheckKind {
    /// The VC Data Model rules (contexts, types, issuer, subject, dates, ids).
    DataModel,
    /// A proof is present and well formed.
    Proof,
    /// The proof's purpose matches what the verifier expects.
    ProofPurpose,
    /// The key is listed in its controller's document for that purpose.
    KeyAuthorization,
    /// The signature verifies.
    Signature,
    /// The proof was not created in the future.
    ProofCreated,
    /// The proof has not expired.
    ProofExpires,
    /// The proof carries the verifier's challenge.
    Challenge,
    /// The proof carries the verifier's domain.
    Domain,
    /// The credential is valid from a time that has come.
    ValidFrom,
    /// The credential has not expired.
    ValidUntil,
    /// The securing mechanism's media type and header (JOSE).
    MediaType,
    /// The JWT `iss` matches the credential's issuer (JOSE).
    IssuerClaim,
    /// A credential inside a presentation verifies.
    EmbeddedCredential,
    /// Every SD-JWT disclosure is referenced exactly once and well formed.
    Disclosures,
    /// The credential's proof was made with a key of its issuer (the
    /// verification method is a DID URL of the issuer's DID).
    IssuerKey,
    /// A presentation is signed by its holder, who is the subject of each
    /// credential in it (or a holder the verification policy accepts).
    HolderBinding,
    /// The issuer is trusted by the verification policy (for the credential's type).
    IssuerTrust,
    /// The credential is not older than the verification policy allows.
    CredentialAge,
    /// The suite or format securing the document is one the policy accepts.
    AcceptedSuite,
    /// The credential's status (revoked, suspended) read from its status list.
    Status,
    /// The status list credential verifies and matches the status entry.
    StatusList,
    /// The status list was issued by the credential's issuer.
    StatusListIssuer,
    /// The status list is within its validity period and recent enough.
    StatusListFreshness,
    /// A JWT's `exp` has not passed, and is not before the credential's
    /// validity starts (JOSE, SD-JWT).
    TokenExpires,
    /// A JWT's `nbf` has come, and is not after the credential's validity ends.
    TokenNotBefore,
    /// A JWT's `iat` is not in the future, nor after the credential's
    /// validity ends.
    TokenIssuedAt,
    /// A presentation is bound to this verification by a challenge; skipped
    /// (shown, never silent) when none was asked for.
    ReplayProtection,
    /// An SD-JWT VC's Key Binding JWT: signed by the `cnf` key, over the
    /// SD-JWT presented (`sd_hash`), for this verifier's nonce and audience,
    /// made recently.
    KeyBinding,
    /// An SD-JWT VC names its type (`vct`).
    CredentialType,
    /// The signatures resist a quantum computer as the verification policy
    /// requires: a quantum-safe one among them, or (hybrid) a classical and
    /// a quantum-safe one, all verified.
    SignatureSecurity,
    /// A credential whose signing key has left its issuer's DID document
    /// was anchored on the ledger before the key left (historical
    /// verification, `specs/did-didam.md` §9.4).
    Anchor,
    /// The issuer's DID is controlled as the verification policy requires:
    /// by quantum-safe keys (or hybrid control), or by a classical and a
    /// quantum-safe key together (hybrid), as its resolution says.
    IssuerControl,
}

impl CheckKind {
    /// The name in reports and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Self::DataModel => "data-model",
            Self::Proof => "proof",
            Self::ProofPurpose => "proof-purpose",
            Self::KeyAuthorization => "key-authorization",
            Self::Signature => "signature",
            Self::ProofCreated => "proof-created",
            Self::ProofExpires => "proof-expires",
            Self::Challenge => "challenge",
            Self::Domain => "domain",
            Self::ValidFrom => "valid-from",
            Self::ValidUntil => "valid-until",
            Self::MediaType => "media-type",
            Self::IssuerClaim => "issuer-claim",
            Self::EmbeddedCredential => "embedded-credential",
            Self::Disclosures => "disclosures",
            Self::IssuerKey => "issuer-key",
            Self::HolderBinding => "holder-binding",
            Self::IssuerTrust => "issuer-trust",
            Self::CredentialAge => "credential-age",
            Self::AcceptedSuite => "accepted-suite",
            Self::Status => "status",
            Self::StatusList => "status-list",
            Self::StatusListIssuer => "status-list-issuer",
            Self::StatusListFreshness => "status-list-freshness",
            Self::TokenExpires => "token-expires",
            Self::TokenNotBefore => "token-not-before",
            Self::TokenIssuedAt => "token-issued-at",
            Self::ReplayProtection => "replay-protection",
            Self::KeyBinding => "key-binding",
            Self::CredentialType => "credential-type",
            Self::SignatureSecurity => "signature-security",
            Self::Anchor => "anchor",
            Self::IssuerControl => "issuer-control",
        }
    }
}

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed: the input is invalid.
    Failed,
    /// The check does not apply to this input.
    NotApplicable,
    /// The check found what the verifier's policy lets pass (for example a
    /// credential not signed with its issuer's key, under a relaxed policy):
    /// shown in the report and the VC API's `warnings`, never a failure.
    Warning,
}

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub check: CheckKind,
    /// Its outcome.
    pub outcome: Outcome,
    /// Why, in words.
    pub detail: String,
    /// On a Data Integrity proof's `proof` entry (one per proof) and on a JWS
    /// or COSE `signature` check: whether the signature is classical or
    /// quantum-safe. Absent (and not serialized) on other checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
}

impl Check {
    /// A passed check.
    pub fn passed(check: CheckKind, detail: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::Passed, detail: detail.into(), security: None }
    }

    /// A failed check.
    pub fn failed(check: CheckKind, detail: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::Failed, detail: detail.into(), security: None }
    }

    /// A check that does not apply.
    pub fn not_applicable(check: CheckKind, detail: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::NotApplicable, detail: detail.into(), security: None }
    }

    /// A warning: the check found what the policy lets pass ([`Outcome::Warning`]).
    pub fn warning(check: CheckKind, detail: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::Warning, detail: detail.into(), security: None }
    }

    /// This check, saying whether the signature it is about is classical or
    /// quantum-safe.
    pub fn with_security(mut self, security: Security) -> Self {
        self.security = Some(security);
        self
    }
}

/// The securing mechanism of a verified document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Securing {
    /// Embedded Data Integrity proof(s).
    DataIntegrity {
        /// The suite of each proof (by name in JSON).
        suites: Vec<Suite>,
    },
    /// An enveloping JWS (`vc+jwt` or `vp+jwt`).
    Jose {
        /// The JOSE `alg`.
        alg: String,
    },
    /// A W3C SD-JWT credential (`vc+sd-jwt`).
    SdJwt {
        /// The JOSE `alg` of the issuer JWT.
        alg: String,
    },
    /// An IETF SD-JWT VC (`dc+sd-jwt`), with or without key binding.
    SdJwtVc {
        /// The JOSE `alg` of the issuer JWT.
        alg: String,
    },
    /// A COSE_Sign1 (`application/vc+cose`).
    Cose {
        /// The algorithm, by its JOSE name.
        alg: String,
    },
    /// No proof at all.
    None,
}

/// The result of a verification that could be carried out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// `true` when no check failed.
    pub valid: bool,
    /// What the document is (`credential` or `presentation` in JSON).
    pub kind: DocumentKind,
    /// How the document was secured.
    pub securing: Securing,
    /// Every check, in the order made.
    pub checks: Vec<Check>,
    /// For a selectively disclosed credential (`ecdsa-sd-2023`, `bbs-2023`), JSON
    /// pointers to each claim the holder disclosed (every value of what the
    /// proofs cover, `@context` and the proof aside); what was withheld
    /// never reaches the verifier. For an SD-JWT VC (`dc+sd-jwt`), JSON
    /// pointers to each claim or array element a disclosure revealed (the
    /// claims always in the clear are in the document). For a presentation
    /// holding such credentials, the same pointers into the presentation
    /// (`/verifiableCredential/0/credentialSubject/degree/name`), credential
    /// by credential. `None` for other documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosed: Option<Vec<String>>,
    /// For an SD-JWT VC, each object or array that kept digests undisclosed
    /// (its JSON pointer, `""` for the top level) and how many (decoys
    /// included: they cannot be told apart). `None` for other documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<BTreeMap<String, usize>>,
}

impl Report {
    /// A report from its checks.
    pub fn new(kind: DocumentKind, securing: Securing, checks: Vec<Check>) -> Self {
        let valid = !checks.iter().any(|c| c.outcome == Outcome::Failed);
        Self { valid, kind, securing, checks, disclosed: None, withheld: None }
    }

    /// The report with the claims a selectively disclosed credential
    /// disclosed ([`Report::disclosed`]).
    pub fn with_disclosed(mut self, disclosed: Option<Vec<String>>) -> Self {
        self.disclosed = disclosed;
        self
    }

    /// Whether every check passed or did not apply.
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// The first failed check.
    pub fn failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.outcome == Outcome::Failed)
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Failed)
    }

    /// The checks of one kind.
    pub fn of(&self, kind: CheckKind) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |c| c.check == kind)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.valid { "VALID" } else { "INVALID" };
        writeln!(f, "{verdict} {}", self.kind)?;
        for c in &self.checks {
            let mark = match c.outcome {
                Outcome::Passed => "ok  ",
                Outcome::Failed => "FAIL",
                Outcome::NotApplicable => "n/a ",
                Outcome::Warning => "warn",
            };
            match c.security {
                Some(security) => writeln!(f, "  {mark} {:<18} {} ({security})", c.check.name(), c.detail)?,
                None => writeln!(f, "  {mark} {:<18} {}", c.check.name(), c.detail)?,
            }
        }
        if let Some(disclosed) = &self.disclosed {
            writeln!(f, "  disclosed ({}; the rest was withheld by the holder):", disclosed.len())?;
            for pointer in disclosed {
                writeln!(f, "    {pointer}")?;
            }
        }
        if let Some(withheld) = &self.withheld {
            let total: usize = withheld.values().sum();
            writeln!(f, "  withheld ({total} undisclosed digests, decoys included):")?;
            for (pointer, count) in withheld {
                let at = if pointer.is_empty() { "(top level)" } else { pointer.as_str() };
                writeln!(f, "    {at}: {count}")?;
            }
        }
        Ok(())
    }
}
