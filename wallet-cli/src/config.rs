//! Where `didam` finds its settings: a flag, then an environment variable,
//! then the config file, then the platform default.
//!
//! The config file is TOML, at `<config dir>/config.toml` (on Linux
//! `~/.config/didam/config.toml`), or wherever `--config` / `DIDAM_CONFIG`
//! points. Relative paths in it are relative to the file's folder. Unknown
//! keys are refused, so a typo is not silently ignored. It holds no secret:
//! a passphrase is named by the file that holds it.
//!
//! ```toml
//! wallet = "/home/me/didam/wallet"
//! ledger = "http://127.0.0.1:8080"      # or a ledger file
//! resolver = "http://127.0.0.1:8080"    # asked for did:web and did:webvh
//! passphrase_file = "/run/user/1000/didam-passphrase"
//! require_pq_checkpoints = true        # did:didam only through ML-DSA-44-signed checkpoints
//! ```

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use didam_ledger::LedgerLocation;
use didam_registry::ClientError;
use serde::Deserialize;

use crate::cli::Global;
use crate::error::CliError;

/// The config file's keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    wallet: Option<PathBuf>,
    ledger: Option<String>,
    resolver: Option<String>,
    passphrase_file: Option<PathBuf>,
    require_pq_checkpoints: Option<bool>,
}

/// Where a setting's value came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The config file.
    File,
    /// Not set: the built-in default applies.
    #[default]
    Default,
}

impl Source {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "environment",
            Source::File => "config file",
            Source::Default => "default",
        }
    }
}

/// Where each global setting came from, and which config file was read.
#[derive(Clone, Debug, Default)]
pub(crate) struct Provenance {
    /// The config file consulted, and whether it existed.
    pub(crate) file: Option<(PathBuf, bool)>,
    pub(crate) wallet: Source,
    pub(crate) ledger: Source,
    pub(crate) resolver: Source,
    pub(crate) passphrase_file: Source,
}

/// The platform's config directory for didam (`~/.config/didam` on Linux).
pub(crate) fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "didam").map(|d| d.config_dir().to_owned())
}

fn source(matches: &ArgMatches, id: &str) -> Source {
    // Global arguments are propagated to the subcommand that was given.
    let mut m = matches;
    let mut found = m.value_source(id);
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
        if let Some(s) = m.value_source(id) {
            found = Some(s);
        }
    }
    match found {
        Some(ValueSource::CommandLine) => Source::Flag,
        Some(ValueSource::EnvVariable) => Source::Env,
        _ => Source::Default,
    }
}

/// Fills the settings the command line and environment left unset from the
/// config file, and records where each came from.
pub(crate) fn apply(matches: &ArgMatches, mut g: Global) -> Result<Global, CliError> {
    let mut p = Provenance {
        wallet: source(matches, "wallet"),
        ledger: source(matches, "ledger"),
        resolver: source(matches, "resolver"),
        passphrase_file: source(matches, "passphrase_file"),
        file: None,
    };
    let (path, explicit) = match &g.config {
        Some(path) => (Some(path.clone()), true),
        None => (config_dir().map(|d| d.join("config.toml")), false),
    };
    if let Some(path) = path {
        let file = read(&path, explicit)?;
        p.file = Some((path.clone(), file.is_some()));
        if let Some(file) = file {
            let base = path.parent().unwrap_or(Path::new("."));
            let rel = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
            if g.wallet.is_none()
                && let Some(w) = file.wallet
            {
                g.wallet = Some(rel(w));
                p.wallet = Source::File;
            }
            if g.ledger.is_none()
                && let Some(l) = file.ledger
            {
                let Ok(location) = l.parse::<LedgerLocation>();
                g.ledger = Some(match location {
                    LedgerLocation::File(path) => LedgerLocation::File(rel(path)),
                    url => url,
                });
                p.ledger = Source::File;
            }
            if g.resolver.is_none()
                && let Some(r) = file.resolver
            {
                g.resolver = Some(r.parse().map_err(|e: ClientError| CliError::Input(e.to_string()))?);
                p.resolver = Source::File;
            }
            if g.passphrase_file.is_none()
                && let Some(f) = file.passphrase_file
            {
                g.passphrase_file = Some(rel(f));
                p.passphrase_file = Source::File;
            }
            if file.require_pq_checkpoints == Some(true) {
                g.require_pq_checkpoints = true;
            }
        }
    }
    g.provenance = p;
    Ok(g)
}

/// Reads the config file; a missing default file is no error, a missing
/// file named by `--config` is.
fn read(path: &Path, explicit: bool) -> Result<Option<File>, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(e) => {
            return Err(CliError::Config { path: path.to_owned(), detail: format!("cannot read it: {e}") });
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::Config { path: path.to_owned(), detail: e.message().to_owned() })
}
