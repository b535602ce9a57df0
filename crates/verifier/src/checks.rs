//! The policy checks that need no network: accepted suites, issuer trust,
//! credential age, challenge and domain of enveloped presentations, and holder
//! binding. Each reads what the engine verified (a [`Verified`]: the document
//! the proofs were checked over, its securing and its signers) and returns
//! the [`Check`]s to add to the report.

use chrono::{DateTime, Utc};
use didam_credential::credential::parse_datetime;
use didam_credential::verify::Verified;
use didam_credential::{Check, CheckKind, Outcome, Securing, Security, proof};
use serde_json::Value;

use crate::policy::{Format, KeyBinding, Policy, RequiredSecurity, Trust};

/// The suites or formats securing `verified` are accepted.
pub(crate) fn accepted_suite(policy: &Policy, verified: &Verified) -> Check {
    let kind = CheckKind::AcceptedSuite;
    let formats = Format::of(verified.securing());
    let names = || formats.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
    if policy.accepted_suites.is_none() {
        return Check::not_applicable(kind, "the policy accepts every suite");
    }
    if formats.is_empty() {
        return Check::failed(kind, "the document is not secured");
    }
    match formats.iter().find(|f| !policy.accepts(**f)) {
        Some(refused) => Check::failed(kind, format!("{refused} is not accepted by the policy")),
        None => Check::passed(kind, names()),
    }
}

/// The signatures that verified resist a quantum computer as the policy
/// asks ([`Policy::signature_security`]); no check when it asks nothing.
pub(crate) fn signature_security(policy: &Policy, verified: &Verified) -> Option<Check> {
    let kind = CheckKind::SignatureSecurity;
    let required = policy.signature_security?;
    // The security of each signature that verified: a JWS or COSE
    // `signature` check carries its own; a Data Integrity proof's is on its
    // `proof` check, which comes before the proof's `signature` check.
    let mut verified_kinds: Vec<Security> = Vec::new();
    let mut current = None;
    for c in &verified.report.checks {
        if c.security.is_some() {
            current = c.security;
        }
        if c.check == CheckKind::Signature
            && c.outcome == Outcome::Passed
            && let Some(security) = c.security.or(current)
        {
            verified_kinds.push(security);
        }
    }
    let has = |s: Security| verified_kinds.iter().any(|k| *k == s || *k == Security::Hybrid);
    let (quantum, classical) = (has(Security::QuantumSafe), has(Security::Classical));
    let shown = |k: &[Security]| {
        let names: Vec<&str> = k.iter().map(|s| s.name()).collect();
        if names.is_empty() { "no verified signature".to_owned() } else { names.join(", ") }
    };
    let met = match required {
        RequiredSecurity::QuantumSafe => quantum,
        RequiredSecurity::Hybrid => quantum && classical,
    };
    Some(if met {
        Check::passed(kind, format!("{} required: {}", required.name(), shown(&verified_kinds)))
    } else {
        Check::failed(
            kind,
            format!(
                "the policy requires {} signatures; this has {}",
                required.name(),
                shown(&verified_kinds)
            ),
        )
    })
}

/// The issuer's DID is controlled as the policy asks
/// ([`Policy::issuer_control`]), given how its resolution says it is
/// controlled (`None`: it does not say); no check when the policy asks
/// nothing.
pub(crate) fn issuer_control(policy: &Policy, issuer: &str, control: Option<Security>) -> Option<Check> {
    let kind = CheckKind::IssuerControl;
    let required = policy.issuer_control?;
    Some(match control {
        Some(control) if required.met_by_control(control) => {
            Check::passed(kind, format!("{} required: {issuer} has {control} control", required.name()))
        }
        Some(control) => Check::failed(
            kind,
            format!(
                "the policy requires {} control of the issuer; {issuer} has {control} control",
                required.name()
            ),
        ),
        None => Check::failed(
            kind,
            format!(
                "the policy requires {} control of the issuer; the resolution of {issuer} does not say how it is controlled",
                required.name()
            ),
        ),
    })
}

/// The credential was signed with a key of its issuer: each proof's
/// verification method (or the JWS/COSE `kid`) is a DID URL of the issuer's
/// DID. The engine checks that the key is authorised in its own DID document,
/// not whose document that is.
pub(crate) fn issuer_key(verified: &Verified) -> Check {
    let kind = CheckKind::IssuerKey;
    let Some(issuer) = verified.issuer() else {
        return Check::failed(kind, "the credential names no issuer");
    };
    if verified.signers.is_empty() {
        return Check::not_applicable(kind, "no proof names its key");
    }
    match verified.signers.iter().find(|m| controller_of(m) != issuer) {
        Some(other) => Check::failed(kind, format!("signed with {other}, not a key of the issuer {issuer}")),
        None => Check::passed(kind, format!("signed with a key of the issuer {issuer}")),
    }
}

/// [`issuer_key`] under the policy's [`Policy::issuer_key_binding`]: with
/// [`KeyBinding::Warn`] a key that is not the issuer's is a warning naming
/// it, not a failure (a credential naming no issuer still fails).
pub(crate) fn issuer_key_under(policy: &Policy, verified: &Verified) -> Check {
    let check = issuer_key(verified);
    let unbound = check.outcome == didam_credential::Outcome::Failed && !verified.signers.is_empty();
    match policy.issuer_key_binding {
        KeyBinding::Warn if unbound && verified.issuer().is_some() => Check::warning(
            check.check,
            format!("{}; accepted because the policy's issuer_key_binding is \"warn\"", check.detail),
        ),
        _ => check,
    }
}

/// The credential's issuer is trusted for one of its types.
pub(crate) fn issuer_trust(policy: &Policy, verified: &Verified) -> Check {
    let kind = CheckKind::IssuerTrust;
    let Some(issuer) = verified.issuer() else {
        return Check::failed(kind, "the credential names no issuer");
    };
    let types = verified.types();
    match policy.trust(issuer, &types) {
        Trust::Unrestricted => Check::not_applicable(kind, "the policy does not restrict issuers"),
        Trust::Trusted(why) => Check::passed(kind, format!("{issuer} {why}")),
        Trust::Untrusted => Check::failed(kind, format!("{issuer} is not trusted for {}", types.join(", "))),
    }
}

/// When the credential was issued: `validFrom` (`issuanceDate`), else the JWT
/// `iat`, else its earliest proof's `created`.
fn issued(verified: &Verified) -> Option<(DateTime<Utc>, &'static str)> {
    let doc = &verified.document;
    let date = |field: &str| doc.get(field).and_then(Value::as_str).and_then(parse_datetime);
    if let Some(t) = date("validFrom") {
        return Some((t, "validFrom"));
    }
    if let Some(t) = date("issuanceDate") {
        return Some((t, "issuanceDate"));
    }
    if let Some(t) = doc.get("iat").and_then(Value::as_i64).and_then(|s| DateTime::from_timestamp(s, 0)) {
        return Some((t, "iat"));
    }
    let created = proof::proofs_of(doc).into_iter().filter_map(|p| p.get("created")?.as_str());
    created.filter_map(parse_datetime).min().map(|t| (t, "proof created"))
}

/// The credential is not older than the policy allows.
pub(crate) fn credential_age(policy: &Policy, verified: &Verified, now: DateTime<Utc>) -> Check {
    let kind = CheckKind::CredentialAge;
    let Some(max) = policy.max_credential_age else {
        return Check::not_applicable(kind, "the policy sets no maximum credential age");
    };
    let Some((issued, field)) = issued(verified) else {
        return Check::failed(kind, "the credential states no issuance time to judge its age by");
    };
    let stamp = didam_credential::proof::xsd_datetime(issued);
    if now - issued > max.to_chrono() + policy.clock_skew.to_chrono() {
        Check::failed(kind, format!("issued {stamp} ({field}), older than the maximum age {max}"))
    } else {
        Check::passed(kind, format!("issued {stamp} ({field}), within {max}"))
    }
}

/// Challenge and domain of a presentation whose securing the engine does not
/// check them for: a `vp+jwt` carries them as `nonce` and `aud`; anything else
/// that was asked for and is not in the report fails.
pub(crate) fn challenge_and_domain(
    presentation: &Verified,
    challenge: Option<&str>,
    domain: Option<&str>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let reported = &presentation.report.checks;
    let jose = matches!(presentation.securing(), Securing::Jose { .. });
    for (kind, wanted, claim) in
        [(CheckKind::Challenge, challenge, "nonce"), (CheckKind::Domain, domain, "aud")]
    {
        let Some(wanted) = wanted else { continue };
        if reported.iter().any(|c| c.check == kind) {
            continue;
        }
        let found: Vec<&str> = match presentation.document.get(claim) {
            Some(Value::String(s)) if jose => vec![s.as_str()],
            Some(Value::Array(items)) if jose => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        checks.push(if found.contains(&wanted) {
            Check::passed(kind, format!("`{wanted}` ({claim})"))
        } else if found.is_empty() {
            Check::failed(kind, format!("missing, expected `{wanted}`"))
        } else {
            Check::failed(kind, format!("is `{}`, expected `{wanted}`", found.join(", ")))
        });
    }
    checks
}

/// The presentation is signed by its holder. Returns the check and the holder
/// it establishes (the declared one, or the signer when none is declared).
pub(crate) fn holder_signed(presentation: &Verified) -> (Check, Option<String>) {
    let kind = CheckKind::HolderBinding;
    let mut signers: Vec<&str> = presentation.signers.iter().map(|m| controller_of(m)).collect();
    signers.sort_unstable();
    signers.dedup();
    let declared = presentation.holder();
    let check = match (declared, signers.as_slice()) {
        (_, []) => Check::failed(kind, "no proof of the presentation names its signer"),
        (Some(holder), signers) if signers.iter().all(|s| *s == holder) => {
            Check::passed(kind, format!("signed by the holder {holder}"))
        }
        (Some(holder), signers) => {
            Check::failed(kind, format!("signed by {}, not by the holder {holder}", signers.join(", ")))
        }
        (None, [one]) => Check::passed(kind, format!("no `holder`; signed by {one}, taken as the holder")),
        (None, many) => Check::failed(kind, format!("no `holder`, and several signers: {}", many.join(", "))),
    };
    let holder = declared.map(str::to_owned).or_else(|| match signers.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    });
    (check, holder)
}

/// The holder is the subject of the credential (unless the policy accepts
/// other holders).
pub(crate) fn subject_is_holder(policy: &Policy, holder: Option<&str>, credential: &Verified) -> Check {
    let kind = CheckKind::HolderBinding;
    if !policy.holder_must_be_subject {
        return Check::not_applicable(kind, "the policy accepts holders who are not the subject");
    }
    let subjects = credential.subject_ids();
    match holder {
        None => Check::failed(kind, "the presentation has no holder to bind the subject to"),
        Some(h) if subjects.contains(&h) => Check::passed(kind, format!("the holder {h} is the subject")),
        Some(_) if subjects.is_empty() => {
            Check::failed(kind, "the subject has no id, so it cannot be the holder")
        }
        Some(h) => Check::failed(kind, format!("the subject is {}, not the holder {h}", subjects.join(", "))),
    }
}

/// `check` about the `index`-th credential of a presentation.
pub(crate) fn about_credential(index: Option<usize>, mut check: Check) -> Check {
    if let Some(i) = index {
        check.detail = format!("credential {i}: {}", check.detail);
    }
    check
}

/// The DID (or URL) a verification method id belongs to: the id without its
/// fragment and query.
fn controller_of(method: &str) -> &str {
    let did = method.split_once('#').map_or(method, |(did, _)| did);
    did.split_once('?').map_or(did, |(did, _)| did)
}
