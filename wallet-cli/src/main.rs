//! `didam`: parse the command line, run the command, print the outcome, exit
//! with a documented code (see `didam --help`).

mod cli;
mod commands;
mod context;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { error::exit::USAGE } else { error::exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(&cli.global, cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
