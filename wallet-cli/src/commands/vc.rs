//! `didam vc …`

use std::io::Read as _;

use didam_credential::did::OfflineResolver;
use didam_verifier::{Input, Verifier};

use crate::cli::VerifyArgs;
use crate::error::{CliError, exit};
use crate::output;

/// Reads a file, or standard input for `-`.
pub(crate) fn read_input(path: &std::path::Path) -> Result<String, CliError> {
    let read_err = |source| CliError::Read { path: path.to_owned(), source };
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(read_err)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(read_err)
    }
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<u8, CliError> {
    let text = read_input(&args.file)?;
    let input = Input::parse(&text).map_err(CliError::from_engine)?;
    let verifier = Verifier::new(OfflineResolver).with_clock_skew(args.clock_skew);
    let report = futures::executor::block_on(async {
        match (&args.challenge, &args.domain) {
            (None, None) => verifier.verify(&input).await,
            (c, d) => verifier.verify_presentation(text.trim(), c.as_deref(), d.as_deref()).await,
        }
    })
    .map_err(CliError::from_engine)?;
    if args.json {
        output::print_json(&serde_json::to_value(&report).unwrap_or_default(), false);
    } else {
        output::print(report.to_string().trim_end());
    }
    Ok(if report.is_valid() { exit::OK } else { exit::INVALID })
}
