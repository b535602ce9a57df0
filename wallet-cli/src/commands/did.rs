//! `didam did …`

use didam_credential::did::{DidResolver as _, OfflineResolver};

use crate::cli::ResolveArgs;
use crate::error::{CliError, exit};
use crate::output;

pub(crate) fn resolve(args: &ResolveArgs) -> Result<u8, CliError> {
    let resolution =
        futures::executor::block_on(OfflineResolver.resolve(&args.did)).map_err(CliError::Resolve)?;
    output::print_json(&resolution.to_json(), args.json);
    Ok(exit::OK)
}
