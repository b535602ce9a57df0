//! The `didam-resolver` binary: parse the command line, run, report errors.

use std::process::ExitCode;

use clap::Parser as _;
use didam_resolver::auth::{self, Scope};
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
    let signer = if args.add_ml_dsa {
        keyfile::add_pq(&args.out, passphrase)?
    } else {
        keyfile::generate(args.origin.as_deref().unwrap_or_default(), &args.out, passphrase, args.ml_dsa)?
    };
    println!("{}", signer.verifier());
    if let Some(pq) = signer.pq_verifier() {
        println!("{pq}");
    }
    Ok(())
}

/// Prints a new secret, then the config entry holding its hash.
fn new_secret(table: &str, key: (&str, &str), hash_key: &str, scopes: &[Scope]) {
    let (secret, hash) = auth::new_secret();
    let scopes = if scopes.is_empty() { &Scope::ALL[..] } else { scopes };
    let names: Vec<String> = scopes.iter().map(|s| format!("\"{}\"", s.name())).collect();
    let (name, value) = key;
    println!("{}", secret.as_str());
    println!(
        "[[auth.{table}]]\n{name} = {value:?}\n{hash_key} = \"{hash}\"\nscopes = [{}]",
        names.join(", ")
    );
}

fn run(cli: Cli) -> Result<(), StartError> {
    match &cli.command {
        Some(Command::Keygen(args)) => return keygen(args),
        Some(Command::Token(args)) => {
            new_secret("tokens", ("name", &args.name), "sha256", &args.scope);
            return Ok(());
        }
        Some(Command::Client(args)) => {
            new_secret("clients", ("id", &args.id), "secret-sha256", &args.scope);
            return Ok(());
        }
        None => {}
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
