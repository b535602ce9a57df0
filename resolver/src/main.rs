//! The `didam-resolver` binary: parse the command line, run, report errors.

use std::process::ExitCode;

use clap::Parser as _;
use didam_resolver::cli::{Cli, Command};
use didam_resolver::{Config, StartError};
use didam_wallet::operator::keyfile;

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "text" {
        builder.init();
    } else {
        builder.json().init();
    }
}

fn keygen(args: &didam_resolver::cli::KeygenArgs) -> Result<(), StartError> {
    let passphrase = keyfile::read_passphrase(&args.passphrase_file)?;
    let signer = keyfile::generate(&args.origin, &args.out, passphrase)?;
    println!("{}", signer.verifier());
    Ok(())
}

fn run(cli: Cli) -> Result<(), StartError> {
    if let Some(Command::Keygen(args)) = &cli.command {
        return keygen(args);
    }
    let config = Config::load(&cli.serve)?;
    init_logs(&config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| StartError::Setup(format!("runtime: {e}")))?;
    runtime.block_on(didam_resolver::serve(config))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("didam-resolver: {e}");
            ExitCode::FAILURE
        }
    }
}
