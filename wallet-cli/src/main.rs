//! `didam`: parse the command line, build the run's one context (settings and
//! the one async runtime), run the command, print the outcome, exit with a
//! documented code (see `didam --help`).

mod cli;
mod commands;
mod config;
mod context;
mod error;
mod input;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

fn main() -> ExitCode {
    let parsed = cli::Cli::command().try_get_matches().and_then(|m| Ok((cli::Cli::from_arg_matches(&m)?, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let code = if e.use_stderr() { error::exit::USAGE } else { error::exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let context = config::apply(&matches, cli.global).and_then(|global| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| error::CliError::Input(format!("cannot start the async runtime: {e}")))?;
        Ok(context::Context::new(global, runtime))
    });
    match context.and_then(|context| commands::run(&context, cli.command)) {
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
