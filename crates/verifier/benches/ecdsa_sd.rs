//! `ecdsa-sd-2023` and `bbs-2023` speed: issue (base proof), derive and
//! verify a credential with ten disclosable claims, didam beside Digital
//! Bazaar's `@digitalbazaar/ecdsa-sd-2023-cryptosuite` and
//! `@digitalbazaar/bbs-2023-cryptosuite` in the same run (their medians
//! over the same number of rounds, measured by
//! `crates/credential/tests/interop/ecdsa-sd/ecdsa_sd_interop.mjs bench`).
//!
//! Run with `DIDAM_ECDSA_SD_INTEROP=$PWD/target/ecdsa-sd-interop cargo bench
//! -p didam-verifier --bench ecdsa_sd` after `scripts/test` installed the
//! peer; without the variable only didam's figures are printed.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;
use didam_credential::did::{self, OfflineResolver};
use didam_credential::limits::Limits;
use didam_credential::proof::{self, ProofOptions};
use didam_credential::selective::{self, JsonPointer};
use didam_credential::verify::{self, VerifyOptions};
use didam_credential::{KeyType, SecretKey, Suite};
use futures::executor::block_on;
use serde_json::{Map, Value, json};

/// Always disclosed.
const MANDATORY: [&str; 3] = ["/issuer", "/validFrom", "/credentialSubject/id"];
/// What the holder discloses of the ten other claims.
const SELECTIVE: [&str; 2] = ["/credentialSubject/degree", "/credentialSubject/awards/1"];
/// The rounds the peer measures (its figure is their median).
const PEER_ROUNDS: usize = 30;

/// Ten disclosable claims besides the mandatory ones.
fn credential() -> Value {
    serde_json::from_str(include_str!("../../../test-vectors/selective/ten-claims.json")).unwrap()
}

/// The suites measured, the key type didam signs with and the peer's name of it.
const SUITES: [(Suite, KeyType, &str); 2] =
    [(Suite::EcdsaSd2023, KeyType::P256, "P-256"), (Suite::Bbs2023, KeyType::Bls12381G2, "BBS")];

fn ours(c: &mut Criterion, suite: Suite, key_type: KeyType) {
    let key = SecretKey::generate(key_type);
    let (issuer, method) = did::did_key(&key.public_key());
    let mut unsigned = credential();
    unsigned["issuer"] = json!(issuer);
    let options = ProofOptions {
        mandatory_pointers: JsonPointer::parse_list(&MANDATORY).unwrap(),
        ..ProofOptions::assertion(suite, method)
    };
    let selective = JsonPointer::parse_list(&SELECTIVE).unwrap();
    let limits = Limits::default();
    c.bench_function(&format!("didam/{suite}/issue"), |b| {
        b.iter(|| block_on(proof::add_proof(black_box(&unsigned), &key, &options)).unwrap())
    });
    let base = block_on(proof::add_proof(&unsigned, &key, &options)).unwrap();
    c.bench_function(&format!("didam/{suite}/derive"), |b| {
        b.iter(|| block_on(selective::derive(black_box(&base), &selective, &limits)).unwrap())
    });
    let derived = block_on(selective::derive(&base, &selective, &limits)).unwrap();
    let input = verify::Input::Json(derived);
    let verify_options = VerifyOptions::default();
    let verified = block_on(verify::verify(&input, &OfflineResolver, &verify_options)).unwrap();
    assert!(verified.report.is_valid(), "{}", verified.report);
    c.bench_function(&format!("didam/{suite}/verify"), |b| {
        b.iter(|| block_on(verify::verify(black_box(&input), &OfflineResolver, &verify_options)).unwrap())
    });
}

/// The peer's medians in milliseconds with its key `curve`, or why not.
fn peer(curve: &str) -> Result<Value, String> {
    let dir = std::env::var_os("DIDAM_ECDSA_SD_INTEROP")
        .map(PathBuf::from)
        .ok_or("DIDAM_ECDSA_SD_INTEROP is not set (scripts/test installs the peer)")?;
    let script = dir.join("ecdsa_sd_interop.mjs");
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../credential/tests/interop/ecdsa-sd/ecdsa_sd_interop.mjs");
    std::fs::copy(source, &script).map_err(|e| e.to_string())?;
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ecdsa-sd-bench");
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let contexts: Map<String, Value> = didam_credential::contexts::BUNDLED
        .iter()
        .map(|(url, text)| ((*url).to_owned(), serde_json::from_str(text).unwrap()))
        .collect();
    std::fs::write(scratch.join("contexts.json"), Value::Object(contexts).to_string()).unwrap();
    std::fs::write(scratch.join("credential.json"), credential().to_string()).unwrap();
    let out = Command::new("node")
        .arg(&script)
        .arg("bench")
        .arg(scratch.join("credential.json"))
        .arg(scratch.join("contexts.json"))
        .arg(json!(MANDATORY).to_string())
        .arg(json!(SELECTIVE).to_string())
        .arg(PEER_ROUNDS.to_string())
        .arg(curve)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn mean_ms(id: &str) -> Option<f64> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion");
    let path = dir.join(id.replace(['/', ':'], "_")).join("new/estimates.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(v["mean"]["point_estimate"].as_f64()? / 1e6)
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for (suite, key_type, _) in SUITES {
        ours(&mut c, suite, key_type);
    }
    c.final_summary();
    for (suite, _, curve) in SUITES {
        let theirs = peer(curve);
        println!(
            "{suite}, 10 disclosable claims, 2 disclosed (ms; didam: criterion mean; peer: median of {PEER_ROUNDS})"
        );
        for step in ["issue", "derive", "verify"] {
            let mine = mean_ms(&format!("didam/{suite}/{step}"));
            let other = theirs.as_ref().ok().and_then(|t| t[step].as_f64());
            let fmt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
            println!("  {step:<7} didam {:>8}   @digitalbazaar {:>8}", fmt(mine), fmt(other));
        }
        if let Err(why) = theirs {
            println!("  the peer did not run: {why}");
        }
    }
}
