//! Commands about `didam` itself: its settings, completions, man pages.

use std::path::PathBuf;

use clap::CommandFactory as _;
use serde_json::{Value, json};

use crate::cli::{Cli, CompletionsArgs, Global, JsonArg, ManArgs};
use crate::config::Source;
use crate::context;
use crate::error::CliError;
use crate::output;

/// `didam config show`: each setting, its value, where it came from.
pub(crate) fn show(g: &Global, args: &JsonArg) -> Result<u8, CliError> {
    let p = &g.provenance;
    let data = context::data_dir().ok();
    let data_str = |rel: &str| data.as_ref().map(|d| d.join(rel).display().to_string());
    let rows: [(&str, Option<String>, &Source, Option<String>); 4] = [
        ("wallet", g.wallet.as_ref().map(|w| w.display().to_string()), &p.wallet, data_str("wallet")),
        ("ledger", g.ledger.as_ref().map(ToString::to_string), &p.ledger, data_str("ledger.db")),
        ("resolver", g.resolver.as_ref().map(ToString::to_string), &p.resolver, None),
        (
            "passphrase_file",
            g.passphrase_file.as_ref().map(|f| f.display().to_string()),
            &p.passphrase_file,
            None,
        ),
    ];
    let file = p.file.as_ref();
    if args.json {
        let mut settings = serde_json::Map::new();
        for (name, value, source, default) in &rows {
            let value = value.clone().or_else(|| default.clone());
            settings.insert((*name).into(), json!({ "value": value, "source": source.name() }));
        }
        let out = json!({
            "configFile": file.map(|(path, exists)| json!({ "path": path, "exists": exists })).unwrap_or(Value::Null),
            "configDir": crate::config::config_dir(),
            "dataDir": data,
            "settings": settings,
        });
        output::print_json(&out, false);
        return Ok(crate::error::exit::OK);
    }
    let show_path =
        |p: Option<PathBuf>| p.map_or_else(|| "(no home directory)".to_owned(), |p| p.display().to_string());
    match file {
        Some((path, true)) => output::print(&format!("{:<16} {}", "config file", path.display())),
        Some((path, false)) => {
            output::print(&format!("{:<16} {} (not found)", "config file", path.display()))
        }
        None => output::print(&format!("{:<16} (no home directory)", "config file")),
    }
    output::print(&format!("{:<16} {}", "data directory", show_path(data.clone())));
    for (name, value, source, default) in rows {
        let line = match (value, default) {
            (Some(v), _) => format!("{name:<16} {v} ({})", source.name()),
            (None, Some(d)) => format!("{name:<16} {d} (default)"),
            (None, None) => format!("{name:<16} - (not set)"),
        };
        output::print(&line);
    }
    Ok(crate::error::exit::OK)
}

/// `didam completions SHELL`: the script on standard output.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<u8, CliError> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "didam", &mut out);
    Ok(crate::error::exit::OK)
}

/// `didam man --out DIR`: one page per command and subcommand.
pub(crate) fn man(args: &ManArgs) -> Result<u8, CliError> {
    let mut cmd = Cli::command();
    cmd.build();
    std::fs::create_dir_all(&args.out)
        .map_err(|source| CliError::Write { path: args.out.clone(), source })?;
    let mut pages = Vec::new();
    collect(&cmd, "didam", &mut pages)?;
    for (name, _) in &pages {
        let path = args.out.join(name);
        if path.exists() && !args.force {
            return Err(CliError::Replaceable { path });
        }
    }
    for (name, page) in &pages {
        let text = String::from_utf8(page.clone()).map_err(|e| CliError::Input(e.to_string()))?;
        output::write_file(&args.out.join(name), &text, true)?;
    }
    output::print(&format!("wrote {} man pages to {}", pages.len(), args.out.display()));
    Ok(crate::error::exit::OK)
}

fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<(), CliError> {
    if cmd.is_hide_set() {
        return Ok(());
    }
    let page_cmd = cmd.clone().name(name.to_owned()).bin_name(name.replace('-', " "));
    let mut buf = Vec::new();
    clap_mangen::Man::new(page_cmd)
        .render(&mut buf)
        .map_err(|e| CliError::Input(format!("cannot render the man page of {name}: {e}")))?;
    pages.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        collect(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}
