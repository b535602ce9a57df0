//! `ecdsa-sd-2023` and `bbs-2023` interop with Digital Bazaar's
//! implementations (`@digitalbazaar/ecdsa-sd-2023-cryptosuite` and
//! `@digitalbazaar/bbs-2023-cryptosuite` with `bls12-381-multikey`, through
//! `jsonld-signatures` and `@digitalbazaar/data-integrity`, pinned in
//! `tests/interop/ecdsa-sd/package-lock.json`), driven by
//! `tests/interop/ecdsa-sd/ecdsa_sd_interop.mjs` on Node, both ways:
//! a base proof issued there is derived and verified here, and what the
//! peer derives from it verifies here; a base proof issued here is derived
//! and verified there, and the peer's derivation verifies here. A changed
//! claim fails on both sides, and the verifier's report lists exactly the
//! disclosed claims.
//!
//! ecdsa-sd-2023 with P-256 only: the peer (3.4.1) makes and reads P-256 base proofs only (it
//! requires a 64-byte base signature and a 32-byte HMAC key); didam's P-384
//! proofs are tested in `ecdsa_sd.rs` and through the daemon.
//!
//! `scripts/test` installs the packages into `target/ecdsa-sd-interop`
//! (`npm ci`) and sets `DIDAM_ECDSA_SD_INTEROP` to that folder; without it
//! the tests fail. The peer runs offline: the JSON-LD contexts are the
//! engine's bundled ones, handed over in a file.

mod common;

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::limits::Limits;
use didam_credential::proof::{self, ProofOptions};
use didam_credential::selective::{self, JsonPointer};
use didam_credential::verify::{self, VerifyOptions};
use didam_credential::{CheckKind, KeyType, Report, SecretKey, Suite};
use serde_json::{Map, Value, json};

type TestResult = Result<(), Box<dyn StdError>>;

/// Always disclosed (the issuer's mandatory pointers).
const MANDATORY: [&str; 3] = ["/issuer", "/validFrom", "/credentialSubject/id"];
/// What the holder discloses.
const SELECTIVE: [&str; 2] = ["/credentialSubject/degree", "/credentialSubject/awards/1"];

/// The folder with the peer's `node_modules`.
fn peer_dir() -> Result<PathBuf, Box<dyn StdError>> {
    let dir = std::env::var_os("DIDAM_ECDSA_SD_INTEROP").ok_or(
        "DIDAM_ECDSA_SD_INTEROP is not set: run scripts/test, which installs \
         @digitalbazaar/ecdsa-sd-2023-cryptosuite (crates/credential/tests/interop/ecdsa-sd/package-lock.json) \
         into target/ecdsa-sd-interop and sets it",
    )?;
    let dir = PathBuf::from(dir);
    if !dir.join("node_modules/@digitalbazaar/ecdsa-sd-2023-cryptosuite").is_dir() {
        return Err(format!("{}: the peer is not installed; run scripts/test", dir.display()).into());
    }
    Ok(dir)
}

/// A scratch folder of this test, with the contexts.
fn scratch(name: &str) -> Result<PathBuf, Box<dyn StdError>> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ecdsa-sd-interop").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut contexts = Map::new();
    for (url, text) in didam_credential::contexts::BUNDLED {
        contexts.insert((*url).to_owned(), serde_json::from_str(text)?);
    }
    std::fs::write(dir.join("contexts.json"), Value::Object(contexts).to_string())?;
    Ok(dir)
}

/// The peer's script, copied beside its `node_modules` (so Node resolves the
/// packages) under a name of this process, then renamed into place: tests
/// running side by side never read a half-written copy.
fn script() -> Result<PathBuf, Box<dyn StdError>> {
    let dir = peer_dir()?;
    let staged = dir.join(format!("ecdsa_sd_interop.{}.tmp", std::process::id()));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/ecdsa-sd/ecdsa_sd_interop.mjs"),
        &staged,
    )?;
    let script = dir.join("ecdsa_sd_interop.mjs");
    std::fs::rename(&staged, &script)?;
    Ok(script)
}

/// Runs the peer: its exit code (0 or 1) and stdout; anything else is an error.
fn peer(args: &[&str]) -> Result<(i32, String), Box<dyn StdError>> {
    let out = Command::new("node").arg(script()?).args(args).output()?;
    let stdout = String::from_utf8(out.stdout)?;
    match out.status.code() {
        Some(code @ (0 | 1)) => Ok((code, stdout)),
        code => Err(format!(
            "ecdsa_sd_interop.mjs {args:?} failed ({code:?}):\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into()),
    }
}

/// The peer's output for `command` on `document` (written to `name`).
fn peer_on(
    dir: &Path,
    command: &str,
    name: &str,
    doc: &Value,
    extra: &[&str],
) -> Result<(i32, String), Box<dyn StdError>> {
    let path = dir.join(name);
    std::fs::write(&path, doc.to_string())?;
    let contexts = dir.join("contexts.json");
    let mut args = vec![command, path.to_str().ok_or("path")?, contexts.to_str().ok_or("path")?];
    args.extend_from_slice(extra);
    peer(&args)
}

fn peer_verifies(dir: &Path, name: &str, doc: &Value) -> Result<bool, Box<dyn StdError>> {
    let (code, stdout) = peer_on(dir, "verify", name, doc, &[])?;
    let result: Value = serde_json::from_str(&stdout)?;
    assert_eq!(result["verified"], json!(code == 0), "{stdout}");
    Ok(code == 0)
}

fn peer_derives(dir: &Path, name: &str, base: &Value) -> Result<Value, Box<dyn StdError>> {
    let (code, stdout) = peer_on(dir, "derive", name, base, &[&json!(SELECTIVE).to_string()])?;
    assert_eq!(code, 0, "{stdout}");
    Ok(serde_json::from_str(&stdout)?)
}

/// A credential with ten disclosable claims.
fn credential() -> Result<Value, serde_json::Error> {
    serde_json::from_str(include_str!("../../../test-vectors/selective/ten-claims.json"))
}

fn ours_verify(doc: &Value) -> Result<Report, Box<dyn StdError>> {
    Ok(run(verify::verify(&verify::Input::Json(doc.clone()), &OfflineResolver, &VerifyOptions::default()))?
        .report)
}

/// `report` is valid and discloses the mandatory and selected claims only.
fn shows_only_the_disclosed(report: &Report, derived: &Value) -> TestResult {
    assert!(report.is_valid(), "{report}");
    let disclosed = report.disclosed.as_ref().ok_or("no disclosed claims in the report")?;
    for wanted in ["/issuer", "/validFrom", "/credentialSubject/id", "/credentialSubject/degree/name"] {
        assert!(disclosed.iter().any(|p| p == wanted), "{wanted} not in {disclosed:?}");
    }
    assert!(disclosed.iter().any(|p| p.starts_with("/credentialSubject/awards")), "{disclosed:?}");
    for withheld in ["name", "birthDate", "address", "email", "phone", "nationality", "height", "eyeColor"] {
        assert!(!disclosed.iter().any(|p| p == &format!("/credentialSubject/{withheld}")), "{withheld}");
        assert!(derived["credentialSubject"].get(withheld).is_none(), "{withheld} leaked: {derived}");
    }
    let awards = derived["credentialSubject"]["awards"].to_string();
    assert!(awards.contains("second") && !awards.contains("first") && !awards.contains("third"), "{awards}");
    Ok(())
}

fn tampered(derived: &Value) -> Value {
    let mut out = derived.clone();
    out["credentialSubject"]["degree"]["name"] = json!("Doctor of Philosophy");
    out
}

/// The peer's name of the key it issues with for `suite`, and its did:key prefix.
fn peer_curve(suite: Suite) -> (&'static str, &'static str) {
    if suite == Suite::Bbs2023 { ("BBS", "did:key:zUC7") } else { ("P-256", "did:key:zDn") }
}

#[test]
fn the_peer_issues_didam_derives_and_verifies_and_verifies_the_peers_derivation() -> TestResult {
    peer_issues(Suite::EcdsaSd2023, "peer-issues")
}

#[test]
fn bbs_the_peer_issues_didam_derives_and_verifies_and_verifies_the_peers_derivation() -> TestResult {
    peer_issues(Suite::Bbs2023, "bbs-peer-issues")
}

#[test]
fn didam_issues_the_peer_derives_and_verifies_and_didam_verifies_the_peers_derivation() -> TestResult {
    didam_issues(Suite::EcdsaSd2023, KeyType::P256, "didam-issues")
}

#[test]
fn bbs_didam_issues_the_peer_derives_and_verifies_and_didam_verifies_the_peers_derivation() -> TestResult {
    didam_issues(Suite::Bbs2023, KeyType::Bls12381G2, "bbs-didam-issues")
}

fn peer_issues(suite: Suite, name: &str) -> TestResult {
    let dir = scratch(name)?;
    let (curve, prefix) = peer_curve(suite);
    let (code, stdout) =
        peer_on(&dir, "issue", "unsigned.json", &credential()?, &[curve, &json!(MANDATORY).to_string()])?;
    assert_eq!(code, 0, "{stdout}");
    let base: Value = serde_json::from_str(&stdout)?;
    assert!(base["issuer"].as_str().ok_or("issuer")?.starts_with(prefix), "{base}");
    assert_eq!(base["proof"]["cryptosuite"], suite.name());

    // Derived here from the peer's base proof.
    let selective = JsonPointer::parse_list(&SELECTIVE)?;
    let ours = run(selective::derive(&base, &selective, &Limits::default()))?;
    shows_only_the_disclosed(&ours_verify(&ours)?, &ours)?;
    assert!(peer_verifies(&dir, "ours.json", &ours)?, "the peer refused our derivation of its base proof");
    let report = ours_verify(&tampered(&ours))?;
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Signature), "{report}");
    assert!(!peer_verifies(&dir, "ours-tampered.json", &tampered(&ours))?);

    // Derived by the peer, verified here.
    let theirs = peer_derives(&dir, "base.json", &base)?;
    assert!(peer_verifies(&dir, "theirs.json", &theirs)?);
    shows_only_the_disclosed(&ours_verify(&theirs)?, &theirs)?;
    let report = ours_verify(&tampered(&theirs))?;
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Signature), "{report}");
    Ok(())
}

fn didam_issues(suite: Suite, key_type: KeyType, name: &str) -> TestResult {
    let dir = scratch(name)?;
    let key = SecretKey::generate(key_type);
    let (issuer, method) = did::did_key(&key.public_key());
    let mut unsigned = credential()?;
    unsigned["issuer"] = json!(issuer);
    let options = ProofOptions {
        mandatory_pointers: JsonPointer::parse_list(&MANDATORY)?,
        ..ProofOptions::assertion(suite, method)
    };
    let base = run(proof::add_proof(&unsigned, &key, &options))?;

    // Derived and verified by the peer, then verified here.
    let theirs = peer_derives(&dir, "base.json", &base)?;
    assert!(
        peer_verifies(&dir, "theirs.json", &theirs)?,
        "the peer refused its derivation of our base proof"
    );
    assert!(!peer_verifies(&dir, "theirs-tampered.json", &tampered(&theirs))?);
    shows_only_the_disclosed(&ours_verify(&theirs)?, &theirs)?;
    let report = ours_verify(&tampered(&theirs))?;
    assert_eq!(report.failure().map(|c| c.check), Some(CheckKind::Signature), "{report}");

    // Derived here, verified by the peer.
    let ours = run(selective::derive(&base, &JsonPointer::parse_list(&SELECTIVE)?, &Limits::default()))?;
    assert!(peer_verifies(&dir, "ours.json", &ours)?, "the peer refused our derived proof");
    assert!(!peer_verifies(&dir, "ours-tampered.json", &tampered(&ours))?);
    // A base proof is for the holder: neither side accepts it as presented.
    assert!(!ours_verify(&base)?.is_valid());
    Ok(())
}
