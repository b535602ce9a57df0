//! The command line, as clap types only: no I/O here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// didam: decentralized identifiers and verifiable credentials.
#[derive(Debug, Parser)]
#[command(name = "didam", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 success or valid, 1 invalid, 2 usage error or unreadable input, 3 could not check."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Verifiable credentials.
    #[command(subcommand)]
    Vc(VcCommand),
    /// Decentralized identifiers.
    #[command(subcommand)]
    Did(DidCommand),
    /// Walk through the main job end to end: create a did:key, issue a
    /// credential, verify it, tamper with it, verify again.
    #[command(after_help = "Example:\n  didam tour --out ./tour\n  didam vc verify ./tour/credential.json")]
    Tour(TourArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum VcCommand {
    /// Verify a credential or presentation (JSON with Data Integrity proofs,
    /// an enveloped credential, or a compact vc+jwt). Needs no wallet.
    #[command(
        after_help = "Example:\n  didam vc verify credential.json\n  cat credential.jwt | didam vc verify - --json\n\n\
Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable input, 3 could not check (unknown context, unresolvable DID, unsupported proof)."
    )]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The file to verify, or `-` for standard input.
    #[arg(default_value = "-")]
    pub(crate) file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Challenge a presentation's proof must carry.
    #[arg(long)]
    pub(crate) challenge: Option<String>,
    /// Domain a presentation's proof must carry.
    #[arg(long)]
    pub(crate) domain: Option<String>,
    /// Allowed clock difference with the issuer, in seconds.
    #[arg(long, default_value_t = 0)]
    pub(crate) clock_skew: i64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DidCommand {
    /// Resolve a DID and print the W3C DID resolution result (did:key, did:jwk).
    #[command(
        after_help = "Example:\n  didam did resolve did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2\n\n\
Exit codes: 0 resolved, 2 not a valid DID, 3 could not resolve (unsupported method, not found)."
    )]
    Resolve(ResolveArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// The DID to resolve.
    pub(crate) did: String,
    /// Print the result as compact JSON on one line instead of indented.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TourArgs {
    /// Also write the issued and the tampered credential to this folder.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite files already in the `--out` folder.
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the tour's outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}
