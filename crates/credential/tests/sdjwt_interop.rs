//! SD-JWT VC (`dc+sd-jwt`) interop with an independent implementation:
//! `tests/sdjwt-interop/sdjwt_interop.mjs`, on Node, with `@sd-jwt/sd-jwt-vc`
//! and ES256 from `@sd-jwt/crypto-nodejs` (pinned in
//! `tests/sdjwt-interop/package-lock.json`). Both ways, key binding
//! included: what the peer issues (nested and array-element disclosures),
//! didam presents and verifies, and verifies the peer's own presentation;
//! what didam issues and presents, the peer verifies; a presentation
//! replayed with another nonce fails on both sides. Token Status Lists
//! (`@sd-jwt/jwt-status-list`) both ways: each side reads the other's
//! Status List Tokens, and a revoked (or suspended) credential fails in both.
//!
//! `scripts/test` installs the packages into `target/sdjwt-interop` (`npm
//! ci`) and sets `DIDAM_SDJWT_INTEROP` to that folder; without it the test
//! fails (it never skips).
#![allow(missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::sd_jwt_vc::{self, Binding, IssueOptions};
use didam_credential::selective::JsonPointer;
use didam_credential::token_status_list::{self, TokenStatus, TokenStatusList};
use didam_credential::verify::{self, Verified, VerifyOptions};
use didam_credential::{CheckKind, DidUrl, KeyType, Outcome, SecretKey};
use serde_json::{Value, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The folder with the peer's `node_modules`.
fn peer_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("DIDAM_SDJWT_INTEROP").ok_or(
        "DIDAM_SDJWT_INTEROP is not set: run scripts/test, which installs @sd-jwt/sd-jwt-vc \
         (crates/credential/tests/sdjwt-interop/package-lock.json) into target/sdjwt-interop and sets it",
    )?;
    let dir = PathBuf::from(dir);
    if !dir.join("node_modules/@sd-jwt/sd-jwt-vc").is_dir() {
        return Err(format!("{}: no @sd-jwt/sd-jwt-vc; run scripts/test", dir.display()).into());
    }
    Ok(dir)
}

/// The peer's script beside its `node_modules`, copied once per process
/// under a name of this process and renamed into place (test processes
/// run side by side; the tests of this one share the copy).
fn script() -> Result<PathBuf> {
    static SCRIPT: std::sync::OnceLock<std::result::Result<PathBuf, String>> = std::sync::OnceLock::new();
    let copy = || -> Result<PathBuf> {
        let dir = peer_dir()?;
        let staged = dir.join(format!("sdjwt_interop.{}.tmp", std::process::id()));
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdjwt-interop/sdjwt_interop.mjs");
        std::fs::copy(source, &staged)?;
        let script = dir.join("sdjwt_interop.mjs");
        std::fs::rename(&staged, &script)?;
        Ok(script)
    };
    Ok(SCRIPT.get_or_init(|| copy().map_err(|e| e.to_string())).clone()?)
}

/// A scratch folder of this test.
fn scratch(name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdjwt-interop").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs the peer: its exit code and stdout. Exit 2 (a crash) is an error.
fn peer(args: &[&str]) -> Result<(i32, String)> {
    let out = Command::new("node").arg(script()?).args(args).output()?;
    let stdout = String::from_utf8(out.stdout)?;
    let code = out.status.code().ok_or("the peer was killed")?;
    if code != 0 && code != 1 {
        return Err(format!(
            "sdjwt_interop.mjs {args:?}: exit {code}\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok((code, stdout))
}

fn ours(text: &str, nonce: &str, aud: &str) -> Result<Verified> {
    let options = VerifyOptions {
        challenge: Some(nonce.to_owned()),
        domain: Some(aud.to_owned()),
        require_challenge: true,
        ..Default::default()
    };
    Ok(run(verify::verify_text(text, &OfflineResolver, &options))?)
}

fn key_binding(verified: &Verified) -> Option<Outcome> {
    verified.report.of(CheckKind::KeyBinding).map(|c| c.outcome).last()
}

#[test]
fn didam_presents_and_verifies_what_the_peer_issues() -> Result {
    let dir = scratch("peer-issues")?;
    let (code, out) = peer(&["issue", dir.to_str().ok_or("path")?])?;
    assert_eq!(code, 0, "{out}");
    let issued = std::fs::read_to_string(dir.join("issued.txt"))?;
    // As issued: signature, disclosures (nested, array element), vct.
    let whole = run(verify::verify_text(&issued, &OfflineResolver, &VerifyOptions::default()))?;
    assert!(whole.report.is_valid(), "{}", whole.report);
    assert_eq!(whole.document["nationalities"], json!(["DE", "FR"]));
    assert_eq!(whole.document["degree"]["name"], "Bachelor of Science");

    // The peer's own presentation of degree.name, key-bound.
    let theirs = std::fs::read_to_string(dir.join("presented.txt"))?;
    let verified = ours(&theirs, "peer-nonce", "https://didam.example")?;
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(key_binding(&verified), Some(Outcome::Passed));
    assert_eq!(
        verified.report.disclosed.as_deref(),
        Some(&["/degree".to_owned(), "/degree/name".to_owned()][..])
    );
    assert!(verified.document.get("birthdate").is_none());
    let replayed = ours(&theirs, "another-nonce", "https://didam.example")?;
    assert_eq!(key_binding(&replayed), Some(Outcome::Failed));

    // didam presents the peer's credential with the holder's key.
    let holder: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("holder.jwk.json"))?)?;
    let holder = SecretKey::from_jwk(&holder)?;
    let pointers = JsonPointer::parse_list(&["/nationalities/1"])?;
    let vp = sd_jwt_vc::present(
        &issued,
        &pointers,
        &holder,
        &Binding::new("n-1", "https://v.example"),
        &Default::default(),
    )?;
    let verified = ours(&vp, "n-1", "https://v.example")?;
    assert!(verified.report.is_valid(), "{}", verified.report);
    assert_eq!(verified.document["nationalities"], json!(["DE", "FR"]));
    assert_eq!(verified.report.disclosed.as_deref(), Some(&["/nationalities/1".to_owned()][..]));
    // And the peer accepts didam's presentation of its credential.
    std::fs::write(dir.join("vp.txt"), &vp)?;
    let issuer_jwk = dir.join("issuer.jwk.json");
    let args = |nonce: &'static str| -> Result<Vec<String>> {
        Ok(vec![
            "verify".into(),
            dir.join("vp.txt").to_str().ok_or("path")?.into(),
            issuer_jwk.to_str().ok_or("path")?.into(),
            nonce.into(),
            "https://v.example".into(),
            dir.join("status-valid.jwt").to_str().ok_or("path")?.into(),
        ])
    };
    let (code, out) = peer(&args("n-1")?.iter().map(String::as_str).collect::<Vec<_>>())?;
    assert_eq!(code, 0, "{out}");
    let (code, out) = peer(&args("n-2")?.iter().map(String::as_str).collect::<Vec<_>>())?;
    assert_eq!(code, 1, "a replayed nonce: {out}");
    Ok(())
}

#[test]
fn the_peer_verifies_what_didam_issues_and_presents() -> Result {
    let dir = scratch("didam-issues")?;
    let issuer = SecretKey::generate(KeyType::P256);
    let (_, kid) = did::did_key(&issuer.public_key());
    let holder = SecretKey::generate(KeyType::P256);
    let mut options = IssueOptions::new("https://example.org/degree", DidUrl::parse(&kid)?);
    options.disclosable = JsonPointer::parse_list(&[
        "/given_name",
        "/birthdate",
        "/degree",
        "/degree/name",
        "/nationalities/1",
    ])?;
    options.decoys = 2;
    let claims = json!({
        "given_name": "Alice",
        "birthdate": "1990-01-01",
        "degree": { "type": "BachelorDegree", "name": "Bachelor of Science" },
        "nationalities": ["DE", "FR"],
    });
    let issued = sd_jwt_vc::issue(&claims, &issuer, &options, &holder.public_key())?;
    let pointers = JsonPointer::parse_list(&["/degree/name"])?;
    let vp = sd_jwt_vc::present(
        &issued,
        &pointers,
        &holder,
        &Binding::new("abc", "https://peer.example"),
        &Default::default(),
    )?;
    std::fs::write(dir.join("vp.txt"), &vp)?;
    std::fs::write(dir.join("issuer.jwk.json"), issuer.public_key().to_jwk().to_string())?;
    let verify = |nonce: &str| -> Result<(i32, String)> {
        let path = |name: &str| dir.join(name).to_str().map(str::to_owned).ok_or("path");
        peer(&["verify", &path("vp.txt")?, &path("issuer.jwk.json")?, nonce, "https://peer.example"])
    };
    let (code, out) = verify("abc")?;
    assert_eq!(code, 0, "{out}");
    let disclosed: Value = serde_json::from_str(&out)?;
    assert_eq!(disclosed["degree"]["name"], "Bachelor of Science");
    assert!(disclosed.get("birthdate").is_none() && disclosed.get("given_name").is_none(), "{disclosed}");
    assert_eq!(disclosed["nationalities"], json!(["DE"]));
    let (code, out) = verify("replayed")?;
    assert_eq!(code, 1, "{out}");
    assert!(ours(&vp, "abc", "https://peer.example")?.report.is_valid());
    Ok(())
}

fn status_outcome(checks: &[didam_credential::Check]) -> Option<Outcome> {
    checks.iter().rfind(|c| c.check == CheckKind::Status).map(|c| c.outcome)
}

#[test]
fn didam_reads_the_peers_status_list_tokens() -> Result {
    let dir = scratch("peer-status")?;
    let (code, out) = peer(&["issue", dir.to_str().ok_or("path")?])?;
    assert_eq!(code, 0, "{out}");
    let issued = std::fs::read_to_string(dir.join("issued.txt"))?;
    let whole = run(verify::verify_text(&issued, &OfflineResolver, &VerifyOptions::default()))?;
    let issuer = whole.issuer().ok_or("no iss")?.to_owned();
    let (uri, idx) = token_status_list::entry_of(&whole.document).ok_or("no status")??;
    assert_eq!((uri.as_str(), idx), ("https://peer.example/status/1", 5));
    for (name, expected) in
        [("valid", Outcome::Passed), ("revoked", Outcome::Failed), ("suspended", Outcome::Failed)]
    {
        let token = std::fs::read_to_string(dir.join(format!("status-{name}.jwt")))?;
        let checks = run(token_status_list::check(
            &token,
            &OfflineResolver,
            &uri,
            idx,
            &issuer,
            chrono::Utc::now(),
            60,
        ))?;
        assert_eq!(status_outcome(&checks), Some(expected), "{name}: {checks:?}");
        assert!(
            checks.iter().any(|c| c.check == CheckKind::StatusListIssuer && c.outcome == Outcome::Passed)
        );
    }
    // A token read for another credential's issuer is refused unresolved.
    let token = std::fs::read_to_string(dir.join("status-valid.jwt"))?;
    let checks = run(token_status_list::check(
        &token,
        &OfflineResolver,
        &uri,
        idx,
        "did:example:other",
        chrono::Utc::now(),
        60,
    ))?;
    assert!(checks.iter().any(|c| c.check == CheckKind::StatusListIssuer && c.outcome == Outcome::Failed));
    Ok(())
}

#[test]
fn the_peer_reads_didams_status_list_tokens() -> Result {
    let dir = scratch("didam-status")?;
    let issuer = SecretKey::generate(KeyType::P256);
    let (_, kid) = did::did_key(&issuer.public_key());
    let kid = DidUrl::parse(&kid)?;
    let holder = SecretKey::generate(KeyType::P256);
    let uri = "https://issuer.example/status/7";
    let mut options = IssueOptions::new("https://example.org/degree", kid.clone());
    options.disclosable = JsonPointer::parse_list(&["/degree"])?;
    options.status = Some((uri.to_owned(), 3));
    let issued = sd_jwt_vc::issue(&json!({ "degree": "BSc" }), &issuer, &options, &holder.public_key())?;
    let vp = sd_jwt_vc::present(
        &issued,
        &[],
        &holder,
        &Binding::new("s", "https://peer.example"),
        &Default::default(),
    )?;
    std::fs::write(dir.join("vp.txt"), &vp)?;
    std::fs::write(dir.join("issuer.jwk.json"), issuer.public_key().to_jwk().to_string())?;
    let mut list = TokenStatusList::new(1024, 2)?;
    let now = chrono::Utc::now();
    std::fs::write(dir.join("valid.jwt"), list.sign(uri, &issuer, &kid, now, None))?;
    list.set(3, TokenStatus::Suspended)?;
    std::fs::write(dir.join("suspended.jwt"), list.sign(uri, &issuer, &kid, now, None))?;
    list.set(3, TokenStatus::Invalid)?;
    std::fs::write(dir.join("revoked.jwt"), list.sign(uri, &issuer, &kid, now, None))?;
    let path = |name: &str| dir.join(name).to_str().map(str::to_owned).ok_or("path");
    for (name, expected) in [("valid.jwt", 0), ("suspended.jwt", 1), ("revoked.jwt", 1)] {
        let (code, out) = peer(&[
            "verify",
            &path("vp.txt")?,
            &path("issuer.jwk.json")?,
            "s",
            "https://peer.example",
            &path(name)?,
        ])?;
        assert_eq!(code, expected, "{name}: {out}");
    }
    // And didam agrees with itself on each.
    for (name, expected) in [("valid.jwt", Outcome::Passed), ("revoked.jwt", Outcome::Failed)] {
        let token = std::fs::read_to_string(dir.join(name))?;
        let checks =
            run(token_status_list::check(&token, &OfflineResolver, uri, 3, kid.did.as_str(), now, 60))?;
        assert_eq!(status_outcome(&checks), Some(expected), "{name}: {checks:?}");
    }
    Ok(())
}
