//! Writing results: standard output (a closed pipe is not an error) and files
//! (never overwritten without `--force`, written whole or not at all).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Prints `text` and a newline; a reader that went away is not an error.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// Prints a hint (what to do next) on standard error, as `main` prints a
/// failed command's hint.
pub(crate) fn hint(text: &str) {
    eprintln!("hint: {text}");
}

/// `n` and `noun`, plural unless `n` is 1: `1 key`, `2 keys`, `0 DIDs`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Prints JSON, indented or on one line.
pub(crate) fn print_json(value: &serde_json::Value, compact: bool) {
    let text =
        if compact { value.to_string() } else { serde_json::to_string_pretty(value).unwrap_or_default() };
    print(&text);
}

/// Writes `contents` to `path` atomically and durably (the project's one
/// helper for that), refusing to replace an existing file unless `force`;
/// `-` is standard output.
pub(crate) fn write_file(path: &Path, contents: &str, force: bool) -> Result<(), CliError> {
    if crate::input::is_stdin(path) {
        print(contents.trim_end());
        return Ok(());
    }
    if path.exists() && !force {
        return Err(CliError::Replaceable { path: path.to_owned() });
    }
    didam_ledger::file::write_atomic(path, contents.as_bytes())
        .map_err(|source| CliError::Write { path: path.to_owned(), source })
}

/// The temporary file [`write_secret`] writes `path`'s contents to first.
pub(crate) fn secret_temporary(path: &Path) -> PathBuf {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("secret");
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes a secret (a share) to a new file `path`, readable by its owner
/// only from the moment it exists: a temporary file created with mode 0600 is
/// written and synced, then linked to `path` (which fails if `path` exists:
/// nothing is overwritten), then the folder is synced. A crash leaves no
/// file at `path` or the whole one.
pub(crate) fn write_secret(path: &Path, contents: &[u8]) -> Result<(), CliError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let fail = |source| CliError::Write { path: path.to_owned(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = secret_temporary(path);
    let result = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::hard_link(&tmp, path)?;
        std::fs::remove_file(&tmp)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.exists() => {
            Err(CliError::Exists { path: path.to_owned() })
        }
        other => other.map_err(fail),
    }
}

/// Writes binary `bytes` to standard output, refused when it is a terminal
/// (as age refuses binary output to a terminal).
pub(crate) fn write_binary_stdout(bytes: &[u8], what: &'static str) -> Result<(), CliError> {
    use std::io::IsTerminal as _;
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        return Err(CliError::BinaryToTerminal { what });
    }
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Write { path: "-".into(), source: e })
        }
        _ => Ok(()),
    }
}

/// A spinner on a terminal's standard error for slow steps (key derivation,
/// ledger verification, backup, recovery); nothing when piped.
pub(crate) struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub(crate) fn start(message: &'static str) -> Self {
        use std::io::IsTerminal as _;
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new_spinner().with_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Self(Some(bar))
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
