//! The real `didam` binary: settings (flag, environment, config file,
//! default), shell completions and man pages.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("didam-meta-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// didam with `home` as its home folder and no didam variable inherited.
fn didam(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_didam"));
    cmd.args(args).env("HOME", home).env_remove("XDG_CONFIG_HOME").env_remove("XDG_DATA_HOME");
    for var in ["DIDAM_WALLET", "DIDAM_LEDGER", "DIDAM_PASSPHRASE_FILE", "DIDAM_RESOLVER", "DIDAM_CONFIG"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).output().expect("run didam")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn settings(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["config", "show", "--json"];
    all.extend_from_slice(args);
    let out = didam(home, &all, env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn settings_come_from_flag_then_environment_then_config_file_then_default() {
    let h = home("precedence");
    // No config file: platform defaults under the home folder.
    let s = settings(&h, &[], &[]);
    assert_eq!(s["configFile"]["path"], h.join(".config/didam/config.toml").display().to_string());
    assert_eq!(s["configFile"]["exists"], false);
    assert_eq!(s["settings"]["wallet"]["value"], h.join(".local/share/didam/wallet").display().to_string());
    assert_eq!(s["settings"]["wallet"]["source"], "default");
    assert_eq!(
        s["settings"]["ledger"]["value"],
        h.join(".local/share/didam/ledger.db").display().to_string()
    );
    assert_eq!(s["settings"]["resolver"]["value"], Value::Null);

    // The config file, with a path relative to its folder.
    std::fs::create_dir_all(h.join(".config/didam")).unwrap();
    std::fs::write(
        h.join(".config/didam/config.toml"),
        "wallet = \"w\"\nledger = \"http://127.0.0.1:8080\"\nresolver = \"http://127.0.0.1:8081\"\n",
    )
    .unwrap();
    let s = settings(&h, &[], &[]);
    assert_eq!(s["configFile"]["exists"], true);
    assert_eq!(s["settings"]["wallet"]["value"], h.join(".config/didam/w").display().to_string());
    assert_eq!(s["settings"]["wallet"]["source"], "config file");
    assert_eq!(s["settings"]["ledger"]["value"], "http://127.0.0.1:8080");
    assert_eq!(s["settings"]["resolver"]["value"], "http://127.0.0.1:8081");

    // The environment beats the file; a flag beats both.
    let s = settings(&h, &[], &[("DIDAM_WALLET", "/from/env")]);
    assert_eq!(s["settings"]["wallet"]["value"], "/from/env");
    assert_eq!(s["settings"]["wallet"]["source"], "environment");
    assert_eq!(s["settings"]["ledger"]["source"], "config file");
    let s = settings(&h, &["--wallet", "/from/flag"], &[("DIDAM_WALLET", "/from/env")]);
    assert_eq!(s["settings"]["wallet"]["value"], "/from/flag");
    assert_eq!(s["settings"]["wallet"]["source"], "flag");

    // Another config file, named by --config or DIDAM_CONFIG.
    let other = h.join("other.toml");
    std::fs::write(&other, "ledger = \"ledger.db\"\n").unwrap();
    let s = settings(&h, &["--config", other.to_str().unwrap()], &[]);
    assert_eq!(s["settings"]["ledger"]["value"], h.join("ledger.db").display().to_string());
    assert_eq!(s["settings"]["wallet"]["source"], "default");
    let s = settings(&h, &[], &[("DIDAM_CONFIG", other.to_str().unwrap())]);
    assert_eq!(s["configFile"]["path"], other.display().to_string());

    // The plain text form says the same.
    let out = didam(&h, &["config", "show"], &[("DIDAM_WALLET", "/from/env")]);
    let shown = text(&out.stdout);
    assert!(shown.contains("wallet           /from/env (environment)"), "{shown}");
    assert!(shown.contains("ledger           http://127.0.0.1:8080 (config file)"), "{shown}");
}

#[test]
fn a_bad_config_file_is_a_usage_error_that_names_the_file() {
    let h = home("bad");
    let bad = h.join("bad.toml");
    std::fs::write(&bad, "walet = \"typo\"\n").unwrap();
    let out = didam(&h, &["--config", bad.to_str().unwrap(), "did", "list"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("unknown field `walet`"), "{err}");
    assert!(err.contains("hint:"), "{err}");

    std::fs::write(&bad, "wallet = [1, 2]\n").unwrap();
    let out = didam(&h, &["--config", bad.to_str().unwrap(), "config", "show"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let missing = h.join("missing.toml");
    let out = didam(&h, &["--config", missing.to_str().unwrap(), "config", "show"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.toml"));

    let out = didam(&h, &["--resolver", "ftp://example.com", "config", "show"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not an http:// or https:// URL"));
}

#[test]
fn a_resolver_that_is_not_running_is_reported_with_a_hint() {
    let h = home("resolver");
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = didam(&h, &["did", "resolve", "did:web:example.com"], &[("DIDAM_RESOLVER", &url)]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains(&url) && err.contains("hint: check that the daemon runs"), "{err}");
}

#[test]
fn completions_for_every_shell_name_every_command() {
    let h = home("completions");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = didam(&h, &["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["verify", "issue", "create", "rotate", "compromise", "recover", "completions", "config"]
        {
            assert!(script.contains(word), "{shell} completions lack `{word}`");
        }
    }
    // The bash script parses.
    let out = didam(&h, &["completions", "bash"], &[]);
    let script = h.join("didam.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let check = Command::new("bash").arg("-n").arg(&script).output().unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));

    let out = didam(&h, &["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_pages_cover_every_command_render_cleanly_and_show_an_example() {
    let h = home("man");
    let dir = h.join("man1");
    let out = didam(&h, &["man", "--out", dir.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Every command `didam --help` lists (and theirs) has a page.
    let mut expected = vec!["didam".to_owned()];
    let mut i = 0;
    while i < expected.len() {
        let words: Vec<&str> = expected[i].split('-').skip(1).collect();
        let mut args: Vec<&str> = words.clone();
        args.push("--help");
        let help = text(&didam(&h, &args, &[]).stdout);
        if let Some(section) = help.split("Commands:\n").nth(1) {
            let entries = section.lines().take_while(|l| l.starts_with("  "));
            // Wrapped descriptions are indented further than command names.
            for line in entries.filter(|l| !l.starts_with("   ")) {
                let name = line.split_whitespace().next().unwrap();
                if name != "help" {
                    expected.push(format!("{}-{name}", expected[i]));
                }
            }
        }
        i += 1;
    }
    assert!(expected.len() > 30, "{expected:?}");
    for name in &expected {
        let page = dir.join(format!("{name}.1"));
        let roff = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("no man page {name}.1"));
        assert!(roff.starts_with(".ie") || roff.contains(".TH"), "{name}.1 is not a man page");
        assert!(roff.contains("Example"), "{name}.1 shows no example");
        // groff renders it without a warning.
        let man = Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l"])
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .expect("run man (package man-db)");
        assert!(man.status.success(), "{name}: {}", text(&man.stderr));
        assert!(man.stderr.is_empty(), "{name}.1: {}", text(&man.stderr));
        assert!(text(&man.stdout).contains("SYNOPSIS"), "{name}.1");
    }
    let written = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(written, expected.len(), "pages for commands --help does not list");

    // Pages are not overwritten without --force.
    let again = didam(&h, &["man", "--out", dir.to_str().unwrap()], &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"));
    let forced = didam(&h, &["man", "--out", dir.to_str().unwrap(), "--force"], &[]);
    assert!(forced.status.success());
}

#[test]
fn progress_shows_on_a_terminal_and_stays_quiet_when_piped() {
    let h = home("progress");
    std::fs::write(h.join("pass.txt"), "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(h.join("pass.txt"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_didam");
    let init = |wallet: &str| {
        format!(
            "{bin} --wallet {w} wallet init --kdf floor --shares-out {s} --new-passphrase-file {p}",
            w = h.join(wallet).display(),
            s = h.join(format!("{wallet}-shares")).display(),
            p = h.join("pass.txt").display()
        )
    };
    // Piped: standard error stays empty.
    let piped = Command::new("sh").arg("-c").arg(init("piped")).env("HOME", &h).output().unwrap();
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert!(piped.stderr.is_empty(), "{}", text(&piped.stderr));
    // On a terminal (script(1) gives the command a pseudo-terminal): a spinner.
    let tty = Command::new("script")
        .args(["-qec", &init("tty"), "/dev/null"])
        .env("HOME", &h)
        .output()
        .expect("run script (package bsdutils)");
    assert!(tty.status.success(), "{}", text(&tty.stdout));
    assert!(text(&tty.stdout).contains("creating the wallet"), "{}", text(&tty.stdout));
    // Unlocking (key derivation) and a backup, on a terminal.
    let backup = format!(
        "{bin} --wallet {w} --passphrase-file {p} wallet backup --out {o}",
        w = h.join("tty").display(),
        p = h.join("pass.txt").display(),
        o = h.join("b.age").display()
    );
    let tty = Command::new("script").args(["-qec", &backup, "/dev/null"]).env("HOME", &h).output().unwrap();
    let shown = text(&tty.stdout);
    assert!(tty.status.success(), "{shown}");
    assert!(shown.contains("unlocking the wallet") && shown.contains("backup"), "{shown}");
}
