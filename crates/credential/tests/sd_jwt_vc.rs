//! IETF SD-JWT VC (`dc+sd-jwt`) through the engine: issue with nested and
//! array-element disclosures, present with a Key Binding JWT, verify; batch
//! copies that share nothing; and a hostile version of each input, each
//! failing its own check (or refused with a typed error).
#![allow(missing_docs)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{Duration, Utc};
use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::sd_jwt::SdJwt;
use didam_credential::sd_jwt_vc::{
    self, Binding, IssueOptions, KeyBindingError, KeyBindingExpectations, SdJwtVcError,
};
use didam_credential::selective::JsonPointer;
use didam_credential::verify::{self, Verified, VerifyOptions};
use didam_credential::{CheckKind, DidUrl, Error, KeyType, Outcome, SecretKey, jose};
use serde_json::{Value, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Issuer {
    key: SecretKey,
    did: String,
    kid: String,
}

fn issuer() -> Issuer {
    let key = SecretKey::generate(KeyType::P256);
    let (did, kid) = did::did_key(&key.public_key());
    Issuer { key, did, kid }
}

fn claims() -> Value {
    json!({
        "given_name": "Alice",
        "birthdate": "1990-01-01",
        "degree": { "type": "BachelorDegree", "name": "Bachelor of Science" },
        "nationalities": ["DE", "FR"],
    })
}

fn pointers(list: &[&str]) -> Result<Vec<JsonPointer>> {
    Ok(JsonPointer::parse_list(list)?)
}

fn options(issuer: &Issuer, disclosable: &[&str]) -> Result<IssueOptions> {
    let mut options = IssueOptions::new("https://example.org/degree", DidUrl::parse(&issuer.kid)?);
    options.disclosable = pointers(disclosable)?;
    options.expires = Some(Utc::now() + Duration::days(365));
    Ok(options)
}

const ALL: [&str; 6] =
    ["/given_name", "/birthdate", "/degree", "/degree/name", "/nationalities/0", "/nationalities/1"];

fn verify_with(text: &str, nonce: Option<&str>, aud: Option<&str>) -> Result<Verified> {
    let options = VerifyOptions {
        challenge: nonce.map(str::to_owned),
        domain: aud.map(str::to_owned),
        ..Default::default()
    };
    Ok(run(verify::verify_text(text, &OfflineResolver, &options))?)
}

fn outcome(verified: &Verified, kind: CheckKind) -> Option<Outcome> {
    verified.report.of(kind).map(|c| c.outcome).last()
}

/// Issued by one issuer for one holder, presented disclosing `disclose`.
fn presented(disclose: &[&str], nonce: &str, aud: &str) -> Result<(String, String, SecretKey)> {
    let issuer = issuer();
    let holder = SecretKey::generate(KeyType::Ed25519);
    let issued = sd_jwt_vc::issue(&claims(), &issuer.key, &options(&issuer, &ALL)?, &holder.public_key())?;
    let vp = sd_jwt_vc::present(
        &issued,
        &pointers(disclose)?,
        &holder,
        &Binding::new(nonce, aud),
        &Default::default(),
    )?;
    Ok((issued, vp, holder))
}

#[test]
fn one_claim_disclosed_and_key_bound() -> Result {
    let (issued, vp, _) = presented(&["/degree/name"], "n-1", "https://verifier.example")?;
    // As issued: every claim disclosable, nothing withheld.
    let whole = verify_with(&issued, None, None)?;
    assert!(whole.report.is_valid(), "{}", whole.report);
    assert_eq!(outcome(&whole, CheckKind::KeyBinding), Some(Outcome::NotApplicable));
    assert_eq!(whole.document["degree"]["name"], "Bachelor of Science");

    let verified = verify_with(&vp, Some("n-1"), Some("https://verifier.example"))?;
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(outcome(&verified, CheckKind::KeyBinding), Some(Outcome::Passed));
    assert_eq!(outcome(&verified, CheckKind::ReplayProtection), Some(Outcome::Passed));
    // The nested claim brought its parent's disclosure, and nothing else.
    assert_eq!(
        verified.report.disclosed.as_deref(),
        Some(&["/degree".to_owned(), "/degree/name".to_owned()][..])
    );
    let withheld = verified.report.withheld.clone().ok_or("no withheld")?;
    assert_eq!(withheld.get(""), Some(&2), "{withheld:?}");
    assert_eq!(withheld.get("/nationalities"), Some(&2), "{withheld:?}");
    let doc = &verified.document;
    assert_eq!(doc["degree"], json!({ "name": "Bachelor of Science", "type": "BachelorDegree" }));
    assert!(doc.get("birthdate").is_none() && doc.get("given_name").is_none());
    assert_eq!(doc["nationalities"], json!([]));
    assert_eq!(doc["vct"], "https://example.org/degree");
    // The report's text names the disclosed and the withheld.
    let text = verified.report.to_string();
    assert!(text.contains("/degree/name") && text.contains("(top level): 2"), "{text}");
    Ok(())
}

#[test]
fn array_elements_and_decoys() -> Result {
    let issuer = issuer();
    let holder = SecretKey::generate(KeyType::P256);
    let mut opts = options(&issuer, &["/nationalities/1", "/birthdate"])?;
    opts.decoys = 3;
    let issued = sd_jwt_vc::issue(&claims(), &issuer.key, &opts, &holder.public_key())?;
    let payload = SdJwt::parse(&issued)?.jwt.payload;
    assert_eq!(payload["_sd_alg"], "sha-256");
    assert_eq!(payload["_sd"].as_array().map(Vec::len), Some(4), "one claim and three decoys");
    assert_eq!(payload["nationalities"][0], "DE");
    assert!(payload["nationalities"][1].get("...").is_some());
    let vp = sd_jwt_vc::present(
        &issued,
        &pointers(&["/nationalities/1"])?,
        &holder,
        &Binding::new("n", "a"),
        &Default::default(),
    )?;
    let verified = verify_with(&vp, Some("n"), Some("a"))?;
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(verified.document["nationalities"], json!(["DE", "FR"]));
    assert_eq!(verified.report.disclosed.as_deref(), Some(&["/nationalities/1".to_owned()][..]));
    assert_eq!(verified.report.withheld.as_ref().and_then(|w| w.get("")), Some(&4));
    Ok(())
}

#[test]
fn batch_copies_share_nothing() -> Result {
    let issuer = issuer();
    let holders: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate(KeyType::P256)).collect();
    let publics: Vec<_> = holders.iter().map(SecretKey::public_key).collect();
    let copies = sd_jwt_vc::issue_batch(&claims(), &issuer.key, &options(&issuer, &ALL)?, &publics)?;
    assert_eq!(copies.len(), 3);
    let mut disclosures = std::collections::HashSet::new();
    for (copy, holder) in copies.iter().zip(&holders) {
        let parsed = SdJwt::parse(copy)?;
        assert_eq!(parsed.jwt.payload["cnf"]["jwk"], holder.public_key().to_jwk());
        for d in parsed.disclosures() {
            assert!(disclosures.insert(d.clone()), "a disclosure repeats across copies");
        }
        let vp = sd_jwt_vc::present(
            copy,
            &pointers(&["/given_name"])?,
            holder,
            &Binding::new("n", "a"),
            &Default::default(),
        )?;
        assert!(verify_with(&vp, Some("n"), Some("a"))?.report.is_valid());
    }
    // A copy presented with another copy's holder key is refused.
    let wrong =
        sd_jwt_vc::present(&copies[0], &[], &holders[1], &Binding::new("n", "a"), &Default::default());
    assert!(matches!(wrong, Err(Error::SdJwtVc(SdJwtVcError::NotHolderKey))), "{wrong:?}");
    assert!(matches!(
        sd_jwt_vc::issue_batch(&claims(), &issuer.key, &options(&issuer, &[])?, &[]),
        Err(Error::SdJwtVc(SdJwtVcError::NoHolder))
    ));
    Ok(())
}

#[test]
fn issuing_refuses_what_does_not_fit() -> Result {
    let issuer = issuer();
    let holder = SecretKey::generate(KeyType::P256).public_key();
    let issue = |claims: &Value, disclosable: &[&str]| -> Result<std::result::Result<String, Error>> {
        Ok(sd_jwt_vc::issue(claims, &issuer.key, &options(&issuer, disclosable)?, &holder))
    };
    assert!(matches!(issue(&json!({"iss": "x"}), &[])?, Err(Error::SdJwtVc(SdJwtVcError::ReservedClaim(_)))));
    assert!(matches!(
        issue(&json!({"a": {"_sd": []}}), &[])?,
        Err(Error::SdJwtVc(SdJwtVcError::ReservedName(_)))
    ));
    assert!(matches!(
        issue(&json!({"a": [{"...": "x"}]}), &[])?,
        Err(Error::SdJwtVc(SdJwtVcError::ReservedName(_)))
    ));
    assert!(matches!(issue(&claims(), &["/nope"])?, Err(Error::SdJwtVc(SdJwtVcError::PointerNotFound(_)))));
    assert!(matches!(
        issue(&claims(), &["/nationalities/7"])?,
        Err(Error::SdJwtVc(SdJwtVcError::PointerNotFound(_)))
    ));
    assert!(matches!(issue(&claims(), &["/vct"])?, Err(Error::SdJwtVc(SdJwtVcError::NotDisclosable(_)))));
    assert!(matches!(issue(&json!([1]), &[])?, Err(Error::SdJwtVc(SdJwtVcError::NotAnObject))));
    Ok(())
}

#[test]
fn replayed_or_misdirected_key_binding_fails() -> Result {
    let (_, vp, _) = presented(&["/given_name"], "nonce-1", "https://verifier.example")?;
    // Replayed to a verifier that asked for another nonce.
    let replayed = verify_with(&vp, Some("nonce-2"), Some("https://verifier.example"))?;
    assert!(!replayed.report.is_valid());
    assert_eq!(outcome(&replayed, CheckKind::KeyBinding), Some(Outcome::Failed));
    // Shown to another verifier.
    let elsewhere = verify_with(&vp, Some("nonce-1"), Some("https://other.example"))?;
    assert_eq!(outcome(&elsewhere, CheckKind::KeyBinding), Some(Outcome::Failed));
    // The typed reasons.
    let parsed = SdJwt::parse(&vp)?;
    let expect = |nonce: &str, aud: &str, now| KeyBindingExpectations {
        nonce: Some(nonce.into()),
        aud: Some(aud.into()),
        now,
        skew_seconds: 0,
    };
    let now = Utc::now();
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&parsed, &expect("nonce-2", "https://verifier.example", now)),
        Err(KeyBindingError::Nonce { .. })
    ));
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&parsed, &expect("nonce-1", "x", now)),
        Err(KeyBindingError::Aud { .. })
    ));
    // Replayed an hour later.
    let later = now + Duration::hours(1);
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&parsed, &expect("nonce-1", "https://verifier.example", later)),
        Err(KeyBindingError::IssuedAt(_))
    ));
    // A presentation without key binding, where the verifier gave a nonce.
    let unbound = vp.rsplit_once('~').map(|(head, _)| format!("{head}~")).ok_or("no ~")?;
    let verified = verify_with(&unbound, Some("nonce-1"), None)?;
    assert_eq!(outcome(&verified, CheckKind::KeyBinding), Some(Outcome::Failed));
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&SdJwt::parse(&unbound)?, &expect("nonce-1", "a", now)),
        Err(KeyBindingError::Missing)
    ));
    Ok(())
}

#[test]
fn wrong_sd_hash_or_signer_fails_key_binding() -> Result {
    let (issued, vp, _) = presented(&["/given_name", "/birthdate"], "n", "a")?;
    // A disclosure dropped after the holder signed: sd_hash no longer matches.
    let parts: Vec<&str> = vp.split('~').collect();
    let dropped = format!("{}~{}~{}", parts[0], parts[1], parts[parts.len() - 1]);
    let verified = verify_with(&dropped, Some("n"), Some("a"))?;
    assert_eq!(outcome(&verified, CheckKind::KeyBinding), Some(Outcome::Failed), "{}", verified.report);
    let now = Utc::now();
    let expect = KeyBindingExpectations { nonce: None, aud: None, now, skew_seconds: 0 };
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&SdJwt::parse(&dropped)?, &expect),
        Err(KeyBindingError::SdHash)
    ));
    // Bound by a key that is not the credential's `cnf`: a thief's presentation.
    let thief = SecretKey::generate(KeyType::Ed25519);
    let kb_header = json!({ "alg": "EdDSA", "typ": "kb+jwt" });
    let presented_part = format!("{}~{}~", parts[0], parts[1]);
    let kb_payload = json!({ "iat": now.timestamp(), "aud": "a", "nonce": "n", "sd_hash": sd_jwt_vc::sd_hash(&presented_part) });
    let forged = format!("{presented_part}{}", compact(&kb_header, &kb_payload, &thief));
    let verified = verify_with(&forged, Some("n"), Some("a"))?;
    assert_eq!(outcome(&verified, CheckKind::KeyBinding), Some(Outcome::Failed));
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&SdJwt::parse(&forged)?, &expect),
        Err(KeyBindingError::Signature(_))
    ));
    // A key binding JWT with `alg: none` and no signature.
    let none = format!(
        "{presented_part}{}.{}.",
        B64URL.encode(json!({ "alg": "none", "typ": "kb+jwt" }).to_string()),
        B64URL.encode(kb_payload.to_string())
    );
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&SdJwt::parse(&none)?, &expect),
        Err(KeyBindingError::Alg { .. })
    ));
    // A key binding JWT with another `typ`.
    let typ =
        format!("{presented_part}{}", compact(&json!({ "alg": "EdDSA", "typ": "JWT" }), &kb_payload, &thief));
    assert!(matches!(
        sd_jwt_vc::check_key_binding(&SdJwt::parse(&typ)?, &expect),
        Err(KeyBindingError::Typ(_))
    ));
    // Presenting an already key-bound SD-JWT again is refused.
    let holder = SecretKey::generate(KeyType::Ed25519);
    let again = sd_jwt_vc::present(&vp, &[], &holder, &Binding::new("n", "a"), &Default::default());
    assert!(matches!(again, Err(Error::SdJwtVc(SdJwtVcError::AlreadyBound))));
    assert!(verify_with(&issued, None, None)?.report.is_valid());
    Ok(())
}

/// A compact JWS of `payload` under `header` (for forged inputs).
fn compact(header: &Value, payload: &Value, key: &SecretKey) -> String {
    let input = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(payload.to_string()));
    format!("{input}.{}", B64URL.encode(key.sign(input.as_bytes())))
}

/// A disclosure of `parts` and its digest.
fn disclosure(parts: Value) -> (String, String) {
    let d = B64URL.encode(parts.to_string());
    let digest = didam_credential::sd_jwt::disclosure_digest(&d);
    (d, digest)
}

/// An issuer JWT over `payload`, signed by `issuer` as a dc+sd-jwt.
fn signed(issuer: &Issuer, payload: &Value) -> Result<String> {
    Ok(jose::sign(payload, &issuer.key, &issuer.kid, "dc+sd-jwt")?)
}

fn base(issuer: &Issuer) -> Value {
    json!({ "iss": issuer.did, "iat": Utc::now().timestamp(), "vct": "https://example.org/t", "_sd_alg": "sha-256" })
}

#[test]
fn hostile_disclosures_fail() -> Result {
    let issuer = issuer();
    let (d, digest) = disclosure(json!(["salt", "name", "Alice"]));
    // A digest referenced twice.
    let mut payload = base(&issuer);
    payload["_sd"] = json!([digest, digest]);
    let twice = format!("{}~{d}~", signed(&issuer, &payload)?);
    let verified = verify_with(&twice, None, None)?;
    assert_eq!(outcome(&verified, CheckKind::Disclosures), Some(Outcome::Failed), "{}", verified.report);
    // The same digest in `_sd` and as an array element, undisclosed both times.
    payload["_sd"] = json!([digest]);
    payload["list"] = json!([{ "...": digest }]);
    let undisclosed_twice = format!("{}~", signed(&issuer, &payload)?);
    assert_eq!(
        outcome(&verify_with(&undisclosed_twice, None, None)?, CheckKind::Disclosures),
        Some(Outcome::Failed)
    );
    // A disclosure the credential does not reference.
    let mut payload = base(&issuer);
    payload["_sd"] = json!([digest]);
    let (extra, _) = disclosure(json!(["salt2", "age", 42]));
    let unreferenced = format!("{}~{d}~{extra}~", signed(&issuer, &payload)?);
    let verified = verify_with(&unreferenced, None, None)?;
    assert_eq!(outcome(&verified, CheckKind::Disclosures), Some(Outcome::Failed));
    assert!(verified.report.to_string().contains("not referenced"), "{}", verified.report);
    // The same disclosure given twice.
    let doubled = format!("{}~{d}~{d}~", signed(&issuer, &payload)?);
    assert_eq!(outcome(&verify_with(&doubled, None, None)?, CheckKind::Disclosures), Some(Outcome::Failed));
    // Reserved claim names in a disclosure: `_sd` and `...`.
    for name in ["_sd", "..."] {
        let (bad, bad_digest) = disclosure(json!(["salt", name, ["x"]]));
        let mut payload = base(&issuer);
        payload["_sd"] = json!([bad_digest]);
        let verified = verify_with(&format!("{}~{bad}~", signed(&issuer, &payload)?), None, None)?;
        assert_eq!(outcome(&verified, CheckKind::Disclosures), Some(Outcome::Failed), "{name}");
    }
    // A disclosed claim that is already in the clear.
    let (clash, clash_digest) = disclosure(json!(["salt", "vct", "other"]));
    let mut payload = base(&issuer);
    payload["_sd"] = json!([clash_digest]);
    let verified = verify_with(&format!("{}~{clash}~", signed(&issuer, &payload)?), None, None)?;
    assert_eq!(outcome(&verified, CheckKind::Disclosures), Some(Outcome::Failed));
    // An `_sd_alg` the verifier does not know.
    let mut payload = base(&issuer);
    payload["_sd_alg"] = json!("md5");
    payload["_sd"] = json!([digest]);
    let verified = verify_with(&format!("{}~{d}~", signed(&issuer, &payload)?), None, None)?;
    assert_eq!(outcome(&verified, CheckKind::Disclosures), Some(Outcome::Failed));
    assert!(verified.report.to_string().contains("unsupported _sd_alg `md5`"));
    Ok(())
}

#[test]
fn unsigned_foreign_or_stale_credentials_fail() -> Result {
    let issuer = issuer();
    let payload = base(&issuer);
    let good = format!("{}~", signed(&issuer, &payload)?);
    assert!(verify_with(&good, None, None)?.report.is_valid());
    // `alg: none`, no signature.
    let header = json!({ "alg": "none", "kid": issuer.kid, "typ": "dc+sd-jwt" });
    let none = format!("{}.{}.~", B64URL.encode(header.to_string()), B64URL.encode(payload.to_string()));
    let verified = verify_with(&none, None, None)?;
    assert!(!verified.report.is_valid());
    assert_eq!(outcome(&verified, CheckKind::Signature), Some(Outcome::Failed));
    assert_eq!(outcome(&verified, CheckKind::Disclosures), Some(Outcome::NotApplicable));
    // A changed claim after signing.
    let (jwt, _) = good.split_once('~').ok_or("~")?;
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut changed = payload.clone();
    changed["vct"] = json!("https://example.org/other");
    parts[1] = B64URL.encode(changed.to_string());
    let tampered = format!("{}~", parts.join("."));
    assert_eq!(outcome(&verify_with(&tampered, None, None)?, CheckKind::Signature), Some(Outcome::Failed));
    // Signed by a key of another DID than `iss`: refused before resolving.
    let other = self::issuer();
    let foreign = format!("{}~", jose::sign(&payload, &other.key, &other.kid, "dc+sd-jwt")?);
    let verified = verify_with(&foreign, None, None)?;
    assert_eq!(outcome(&verified, CheckKind::IssuerKey), Some(Outcome::Failed));
    assert!(
        verified.report.of(CheckKind::Signature).next().is_none(),
        "nothing resolved: {}",
        verified.report
    );
    // A `kid` that is a URL, not a DID URL: never fetched.
    let header = json!({ "alg": "ES256", "kid": "https://attacker.example/key", "typ": "dc+sd-jwt" });
    let url_kid = format!("{}~", compact(&header, &payload, &issuer.key));
    assert_eq!(outcome(&verify_with(&url_kid, None, None)?, CheckKind::IssuerKey), Some(Outcome::Failed));
    // No `vct`.
    let mut no_vct = payload.clone();
    no_vct.as_object_mut().ok_or("object")?.remove("vct");
    let verified = verify_with(&format!("{}~", signed(&issuer, &no_vct)?), None, None)?;
    assert_eq!(outcome(&verified, CheckKind::CredentialType), Some(Outcome::Failed));
    // Expired, and not yet valid, beyond the verifier's skew.
    let mut expired = payload.clone();
    expired["exp"] = json!(Utc::now().timestamp() - 3600);
    let verified = verify_with(&format!("{}~", signed(&issuer, &expired)?), None, None)?;
    assert_eq!(outcome(&verified, CheckKind::TokenExpires), Some(Outcome::Failed));
    let mut early = payload.clone();
    early["nbf"] = json!(Utc::now().timestamp() + 3600);
    let text = format!("{}~", signed(&issuer, &early)?);
    assert_eq!(outcome(&verify_with(&text, None, None)?, CheckKind::TokenNotBefore), Some(Outcome::Failed));
    let lenient = VerifyOptions { skew_seconds: 7200, ..Default::default() };
    assert!(run(verify::verify_text(&text, &OfflineResolver, &lenient))?.report.is_valid());
    Ok(())
}

mod token_status_list {
    use std::io::Write as _;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use didam_credential::StatusError;
    use didam_credential::token_status_list::{TokenStatus, TokenStatusList};
    use serde_json::json;

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn entries_sit_least_significant_bits_first() -> Result {
        // The draft's example: bits 1, statuses 1,0,0,1,1,1,0,1 | 1,1,0,0,0,1,0,1 → 0xB9 0xA3.
        let mut list = TokenStatusList::new(16, 1)?;
        for i in [0, 3, 4, 5, 7, 8, 9, 13, 15] {
            list.set(i, TokenStatus::Invalid)?;
        }
        let claim = list.to_claim();
        let back = TokenStatusList::from_claim(&claim, 1024)?;
        assert_eq!(back, list);
        let mut raw = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(
                B64URL.decode(claim["lst"].as_str().ok_or("lst")?)?.as_slice(),
            ),
            &mut raw,
        )?;
        assert_eq!(raw, vec![0xB9, 0xA3]);
        // Two bits an entry: entry 1 is bits 2..4 of byte 0.
        let mut list = TokenStatusList::new(8, 2)?;
        list.set(1, TokenStatus::Suspended)?;
        assert_eq!(list.get(1)?, TokenStatus::Suspended);
        assert_eq!(list.get(0)?, TokenStatus::Valid);
        let back = TokenStatusList::from_claim(&list.to_claim(), 1024)?;
        assert_eq!(back.get(1)?, TokenStatus::Suspended);
        Ok(())
    }

    #[test]
    fn hostile_lists_are_refused() -> Result {
        assert!(matches!(TokenStatusList::new(8, 3), Err(StatusError::UnsupportedBits(3))));
        let mut list = TokenStatusList::new(8, 1)?;
        assert!(matches!(list.set(8, TokenStatus::Invalid), Err(StatusError::IndexOutOfRange { .. })));
        assert!(matches!(list.set(0, TokenStatus::Suspended), Err(StatusError::UnsupportedBits(1))));
        list.set(0, TokenStatus::Invalid)?;
        assert!(matches!(list.set(0, TokenStatus::Valid), Err(StatusError::RevocationIsFinal(0))));
        // A ZLIB bomb: 64 MiB of zeros in a few KiB, refused at the cap.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            z.write_all(&zeros)?;
        }
        let bomb = json!({ "bits": 1, "lst": B64URL.encode(z.finish()?) });
        assert!(matches!(
            TokenStatusList::from_claim(&bomb, TokenStatusList::DEFAULT_MAX_BYTES),
            Err(StatusError::TooLarge { .. })
        ));
        for bad in [
            json!({ "bits": 3, "lst": "eNoDAAAAAAE" }),
            json!({ "bits": 1, "lst": "not base64!" }),
            json!({ "bits": 1, "lst": "AAAA" }),
            json!({ "lst": "eNoDAAAAAAE" }),
        ] {
            assert!(TokenStatusList::from_claim(&bad, 1024).is_err(), "{bad}");
        }
        Ok(())
    }
}
