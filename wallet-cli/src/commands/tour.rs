//! `didam tour`: the main job end to end, in one process.
//!
//! 1. create an Ed25519 `did:key` (the key lives in memory only and is wiped);
//! 2. issue a VC Data Model 2.0 credential with `eddsa-rdfc-2022`;
//! 3. verify it: valid;
//! 4. change one claim;
//! 5. verify again: invalid, on the signature check.

use chrono::{SubsecRound as _, Utc};
use didam_credential::did::{self, OfflineResolver};
use didam_credential::proof::{self, ProofOptions};
use didam_credential::{KeyType, Report, SecretKey, Suite};
use didam_verifier::Verifier;
use serde_json::{Value, json};

use crate::cli::TourArgs;
use crate::error::{CliError, exit};
use crate::output;

fn fail(step: &'static str) -> impl Fn(didam_credential::Error) -> CliError {
    move |e| CliError::Tour { step, detail: e.to_string() }
}

fn summary(report: &Report) -> String {
    match report.failure() {
        None => {
            let checks: Vec<_> = report.checks.iter().map(|c| c.check.name()).collect();
            format!("VALID ({})", checks.join(", "))
        }
        Some(f) => format!("INVALID: {} — {}", f.check.name(), f.detail),
    }
}

pub(crate) fn run(args: &TourArgs) -> Result<u8, CliError> {
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write { path: dir.clone(), source })?;
        for name in ["credential.json", "tampered.json"] {
            let path = dir.join(name);
            if path.exists() && !args.force {
                return Err(CliError::Exists { path });
            }
        }
    }
    let key = SecretKey::generate(KeyType::Ed25519);
    let (issuer, method) = did::did_key(&key.public_key());
    let now = Utc::now().trunc_subsecs(0);
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": issuer,
        "validFrom": proof::xsd_datetime(now),
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "degree": { "type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts" }
        }
    });
    let options =
        ProofOptions { created: Some(now), ..ProofOptions::assertion(Suite::EddsaRdfc2022, method) };
    let signed =
        futures::executor::block_on(proof::add_proof(&credential, &key, &options)).map_err(fail("issue"))?;
    drop(key);

    let verifier = Verifier::new(OfflineResolver);
    let verify = |doc: &Value, step| {
        futures::executor::block_on(verifier.verify_credential(&doc.to_string())).map_err(fail(step))
    };
    let first = verify(&signed, "verify")?;
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["degree"]["name"] = json!("Doctor of Philosophy");
    let second = verify(&tampered, "verify again")?;

    if let Some(dir) = &args.out {
        output::write_file(&dir.join("credential.json"), &pretty(&signed), args.force)?;
        output::write_file(&dir.join("tampered.json"), &pretty(&tampered), args.force)?;
    }
    let worked = first.is_valid() && !second.is_valid();
    if args.json {
        output::print_json(
            &json!({ "issuer": issuer, "credential": signed, "verify": first, "tampered": second, "ok": worked }),
            false,
        );
    } else {
        output::print(&format!(
            "1. issuer        {issuer}\n                 Ed25519 key made for this tour, kept in memory only"
        ));
        output::print("2. issue         ExampleDegreeCredential signed with eddsa-rdfc-2022");
        output::print(&format!("3. verify        {}", summary(&first)));
        output::print("4. tamper        credentialSubject.degree.name := \"Doctor of Philosophy\"");
        output::print(&format!("5. verify again  {}", summary(&second)));
        if let Some(dir) = &args.out {
            output::print(&format!("wrote {0}/credential.json and {0}/tampered.json", dir.display()));
        }
    }
    Ok(if worked { exit::OK } else { exit::INVALID })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}
