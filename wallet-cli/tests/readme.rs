//! Every command in README.md runs, in order, in one shell, and prints what
//! the README says it prints.
//!
//! The README's ```console blocks are the script: a line starting with `$ `
//! is a command (run by bash, so `export`, `$(...)` and `&` work as in a
//! terminal; a trailing `\` continues it), the lines up to the next command
//! are its output (standard output and standard error, as a terminal shows
//! them). In expected output, `[..]` stands for any text within a line (a
//! DID, a hash, a time: what differs between runs) and a line `...` for any
//! number of lines.
//!
//! The shell starts in an empty folder beside a link to `../shared`, with
//! `HOME` there too, and the workspace's freshly built `didam` and
//! `didam-resolver` first on `PATH`. `cargo run -q -p PACKAGE --` runs that
//! package's built binary (the test is itself a cargo run of them);
//! `cargo build` lines are skipped for the same reason, and `scripts/test`
//! (this very test suite) is not run from inside itself.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

struct Step {
    /// Where the command is in README.md.
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The commands of README.md's console blocks, with their expected output.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    let mut continued = false;
    for (i, line) in readme.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block && line.trim() == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if continued {
            let step = steps.last_mut().unwrap();
            step.command.push('\n');
            step.command.push_str(line);
            continued = line.ends_with('\\');
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step { line: i + 1, command: command.to_owned(), expected: Vec::new() });
            continued = line.ends_with('\\');
        } else if let Some(step) = steps.last_mut() {
            step.expected.push(line.trim_end().to_owned());
        }
    }
    steps
}

/// Does `line` match `pattern`, where `[..]` matches any text?
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Does `actual` match `expected`, where a line `...` matches any lines?
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty() && line_matches(first, actual[0]) && matches(rest, &actual[1..])
        }
    }
}

fn rewrite(command: &str) -> Option<String> {
    let trimmed = command.trim_start();
    if trimmed.starts_with("cargo build") || trimmed == "scripts/test" || trimmed == "bash .ci/run" {
        return None;
    }
    Some(
        command
            .replace("cargo run -q -p didam-cli --", "didam")
            .replace("cargo run -q -p didam-resolver --", "didam-resolver")
            .replace("cargo run -q --release -p didam-resolver --", "didam-resolver"),
    )
}

#[test]
fn rule_wildcards() {
    assert!(line_matches("created did:didam:[..] (1-[..])", "created did:didam:QmA (1-QmB)"));
    assert!(!line_matches("created did:didam:[..] (1-[..])", "created did:key:z (1-QmB)"));
    assert!(!line_matches("a[..]a", "a"));
    let exp = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(matches(&exp(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&exp(&["a", "...", "d"]), &["a", "d"]));
    assert!(!matches(&exp(&["a", "d"]), &["a", "b", "d"]));
    assert!(!matches(&exp(&["a"]), &["a", "b"]));
}

#[test]
fn every_readme_command_prints_what_the_readme_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(steps.len() > 10, "the README has {} commands", steps.len());

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_didam")).parent().unwrap().to_owned();
    assert!(
        bin.join("didam-resolver").exists(),
        "build the daemon first: cargo build -p didam-resolver (cargo test --workspace does)"
    );
    let shared = std::env::var_os("DIDAM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.parent().unwrap().join("shared"));
    assert!(shared.join("w3c-vectors").exists(), "no ../shared/w3c-vectors");

    let top = std::env::temp_dir().join(format!("didam-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    let work = top.join("didam");
    let out = top.join("out");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&shared, top.join("shared")).unwrap();

    let mut script = String::from("set -u\n");
    script.push_str(&format!(
        "export HOME={work:?} PATH={bin:?}:\"$PATH\"\nunset XDG_CONFIG_HOME XDG_DATA_HOME DIDAM_WALLET DIDAM_LEDGER \
         DIDAM_PASSPHRASE_FILE DIDAM_ROTATION_SHARES DIDAM_RESOLVER DIDAM_CONFIG\ncd {work:?}\n",
        work = work.display().to_string(),
        bin = bin.display().to_string(),
    ));
    let mut run = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(command) = rewrite(&step.command) else { continue };
        script.push_str(&format!(
            "{{ {command}\n}} > {:?} 2>&1 < /dev/null\n",
            out.join(i.to_string()).display().to_string()
        ));
        run.push(i);
    }
    // Stop whatever the README started in the background.
    script.push_str("kill $(jobs -p) 2>/dev/null; wait\n");

    let status = Command::new("bash").arg("-c").arg(&script).status().expect("run bash");
    assert!(status.success() || status.code().is_some(), "bash died");

    let mut failures = Vec::new();
    for i in run {
        let step = &steps[i];
        let actual = std::fs::read_to_string(out.join(i.to_string())).unwrap_or_default();
        let actual: Vec<&str> = actual.lines().map(str::trim_end).collect();
        if !matches(&step.expected, &actual) {
            failures.push(format!(
                "README.md:{}: $ {}\n--- the README shows:\n{}\n--- it printed:\n{}\n",
                step.line,
                step.command,
                step.expected.join("\n"),
                actual.join("\n")
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&top);
    assert!(
        failures.is_empty(),
        "{} of {} commands differ:\n\n{}",
        failures.len(),
        steps.len(),
        failures.join("\n")
    );
}
