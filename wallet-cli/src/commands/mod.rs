//! One module per subcommand. Each returns the exit code on success.

mod did;
mod tour;
mod vc;

use crate::cli::{Command, DidCommand, VcCommand};
use crate::error::CliError;

pub(crate) fn run(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Vc(VcCommand::Verify(args)) => vc::verify(&args),
        Command::Did(DidCommand::Resolve(args)) => did::resolve(&args),
        Command::Tour(args) => tour::run(&args),
    }
}
