//! Reading what the user gives: files, with `-` for standard input (every
//! input file, passphrase and share files included), and the secrets
//! themselves: passphrase files (which must be private to their owner),
//! terminal prompts with retries, new passphrases with a strength check,
//! and SLIP-39 shares checked word by word as they are typed.
//!
//! Standard input is read once: a second `-` in the same run is refused.

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use didam_wallet::slip39::{self, Share};
use didam_wallet::{RootSecret, WalletError};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Tries at a prompt before a command gives up (a mistyped confirmation, a
/// weak passphrase, a mistyped share).
pub(crate) const ATTEMPTS: usize = 3;

/// The weakest passphrase accepted: zxcvbn's score 3, "safely unguessable:
/// moderate protection from an offline slow-hash scenario" (the wallet's
/// root is wrapped under Argon2id).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Words in a generated passphrase: 10 SLIP-39 words of 10 bits, 100 bits
/// (age generates 10 words too).
const GENERATED_WORDS: usize = 10;

/// Whether standard input was already read in this run.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Reads a file, or standard input for `-`.
pub(crate) fn read(path: &Path) -> Result<String, CliError> {
    read_at_most(path, u64::MAX)
}

/// [`read`], stopping after `max` bytes: what is left of a larger file is
/// never read (the caller refuses the text by its size).
pub(crate) fn read_at_most(path: &Path, max: u64) -> Result<String, CliError> {
    let read_err = |source| CliError::Read { path: path.to_owned(), source };
    let mut bytes = Vec::new();
    if is_stdin(path) {
        take_stdin()?;
        std::io::stdin().take(max).read_to_end(&mut bytes).map_err(read_err)?;
    } else {
        std::fs::File::open(path).map_err(read_err)?.take(max).read_to_end(&mut bytes).map_err(read_err)?;
    }
    if bytes.len() as u64 == max {
        // Cut short, perhaps inside a character: refused by its size anyway.
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    String::from_utf8(bytes).map_err(|e| read_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// Whether `path` names standard input (or standard output, for `--out`).
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn take_stdin() -> Result<(), CliError> {
    if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
        return Err(CliError::StdinTwice);
    }
    Ok(())
}

/// Checks that `path` exists before any secret is asked for (`-` always
/// does): a mistyped path is reported before the user types anything.
pub(crate) fn exists(path: &Path) -> Result<(), CliError> {
    if is_stdin(path) {
        return Ok(());
    }
    std::fs::metadata(path).map(drop).map_err(|source| CliError::Read { path: path.to_owned(), source })
}

/// Reads a file holding a secret, or standard input for `-`. A regular file
/// that others (group or world) may read or write is refused, as ssh refuses
/// a private key file others can read: the file is as good as the wallet's
/// passphrase, and a warning in an unattended run would go unread.
fn read_secret(path: &Path) -> Result<Zeroizing<String>, CliError> {
    if !is_stdin(path) {
        use std::os::unix::fs::PermissionsExt as _;
        let meta =
            std::fs::metadata(path).map_err(|source| CliError::Read { path: path.to_owned(), source })?;
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_file() && mode & 0o077 != 0 {
            return Err(CliError::LoosePermissions { path: path.to_owned(), mode });
        }
    }
    read(path).map(Zeroizing::new)
}

/// The first line of a passphrase file (or of standard input for `-`).
fn passphrase_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let text = read_secret(path)?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(CliError::NoPassphrase { path: path.to_owned() });
    }
    Ok(Zeroizing::new(line.as_bytes().to_vec()))
}

/// Reads a secret at the terminal, not echoed.
fn prompt(text: &str) -> Result<Zeroizing<String>, CliError> {
    rpassword::prompt_password(text).map(Zeroizing::new).map_err(|source| CliError::Prompt { source })
}

fn terminal(what: &'static str) -> Result<(), CliError> {
    if std::io::stdin().is_terminal() { Ok(()) } else { Err(CliError::NoTerminal { what }) }
}

/// The passphrase of an existing wallet: the first line of `file`, or a
/// terminal prompt.
pub(crate) fn passphrase(file: Option<&Path>, text: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(path) = file {
        return passphrase_file(path);
    }
    terminal("passphrase")?;
    let pass = prompt(text)?;
    Ok(Zeroizing::new(pass.as_bytes().to_vec()))
}

/// A new passphrase: the first line of `file` (refused when weak), or typed
/// at a terminal: weak ones are refused with zxcvbn's feedback, the
/// confirmation is asked again on a mismatch, and an empty answer has one
/// generated (and shown once), as age does. At most [`ATTEMPTS`] tries.
pub(crate) fn new_passphrase(file: Option<&Path>) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(path) = file {
        let pass = passphrase_file(path)?;
        let text = Zeroizing::new(String::from_utf8_lossy(&pass).into_owned());
        return match weakness(&text) {
            Some(reason) => Err(CliError::WeakPassphrase { reason }),
            None => Ok(pass),
        };
    }
    terminal("passphrase")?;
    for _ in 0..ATTEMPTS {
        let first = prompt("new wallet passphrase (empty: generate one): ")?;
        if first.is_empty() {
            let generated = generate();
            eprintln!(
                "using this generated passphrase; write it down now, it is not shown again:\n    {}",
                *generated
            );
            return Ok(Zeroizing::new(generated.as_bytes().to_vec()));
        }
        if let Some(reason) = weakness(&first) {
            eprintln!("too weak: {reason}");
            continue;
        }
        let again = prompt("the same passphrase again: ")?;
        if first.as_bytes() == again.as_bytes() {
            return Ok(Zeroizing::new(first.as_bytes().to_vec()));
        }
        eprintln!("the two passphrases differ; once more");
    }
    Err(CliError::NoNewPassphrase { attempts: ATTEMPTS })
}

/// Why `pass` is too weak (zxcvbn's warning and suggestions, and how fast
/// it falls), or `None` when it is strong enough.
fn weakness(pass: &str) -> Option<String> {
    let entropy = zxcvbn::zxcvbn(pass, &["didam", "wallet"]);
    if entropy.score() >= MIN_SCORE {
        return None;
    }
    let mut reason = format!(
        "it would be guessed in {} at 10,000 guesses a second",
        entropy.crack_times().offline_slow_hashing_1e4_per_second()
    );
    if let Some(feedback) = entropy.feedback() {
        if let Some(warning) = feedback.warning() {
            reason.push_str(&format!("; {warning}"));
        }
        for suggestion in feedback.suggestions() {
            reason.push_str(&format!(" {suggestion}"));
        }
    }
    Some(reason)
}

/// A passphrase of [`GENERATED_WORDS`] random SLIP-39 words joined by `-`.
fn generate() -> Zeroizing<String> {
    use rand_core::RngCore as _;
    let words = slip39::wordlist();
    let mut out = Zeroizing::new(String::new());
    for i in 0..GENERATED_WORDS {
        // 1024 words: the low 10 bits of a random u32 pick one uniformly.
        let index = (rand_core::OsRng.next_u32() & 0x3ff) as usize;
        if i > 0 {
            out.push('-');
        }
        out.push_str(words.get(index).copied().unwrap_or("zero"));
    }
    out
}

/// Reads SLIP-39 shares from files (one per line; `-` for standard input),
/// or, with no files, at a terminal prompt, and combines them.
pub(crate) fn shares(files: &[PathBuf], what: &'static str) -> Result<RootSecret, CliError> {
    let mut shares: Vec<Zeroizing<String>> = Vec::new();
    if files.is_empty() {
        terminal(what)?;
        shares = prompt_shares(what)?;
    }
    for path in files {
        let text = Zeroizing::new(read(path)?);
        shares.extend(
            text.lines().filter(|l| !l.trim().is_empty()).map(|l| Zeroizing::new(l.trim().to_owned())),
        );
    }
    let secret = slip39::combine(&shares, b"").map_err(|e| CliError::Wallet(WalletError::Shares(e)))?;
    Ok(RootSecret::from_bytes(&secret)?)
}

/// Asks for shares one at a time: each is checked word by word against the
/// SLIP-39 wordlist, then its checksum and set, before the next is asked
/// for; the prompt says how many are still needed (known from the first
/// share), and stops by itself once there are enough.
fn prompt_shares(what: &str) -> Result<Vec<Zeroizing<String>>, CliError> {
    let mut shares: Vec<Zeroizing<String>> = Vec::new();
    let mut first: Option<Share> = None;
    let mut failures = 0;
    loop {
        let label = match &first {
            None => format!("{what} share 1 (empty line to finish): "),
            Some(s) => {
                let needed = usize::from(s.member_threshold());
                format!(
                    "{what} share {} of {needed} ({} more needed): ",
                    shares.len() + 1,
                    needed - shares.len()
                )
            }
        };
        let line = prompt(&label)?;
        if line.trim().is_empty() {
            return Ok(shares);
        }
        match check_share(&line, first.as_ref(), &shares) {
            Ok(share) => {
                shares.push(Zeroizing::new(line.trim().to_owned()));
                let first = first.get_or_insert(share);
                if first.group_threshold() == 1 && shares.len() >= usize::from(first.member_threshold()) {
                    return Ok(shares);
                }
            }
            Err(problem) => {
                failures += 1;
                eprintln!("{problem}");
                if failures >= ATTEMPTS {
                    return Err(CliError::NoShare { what: what.to_owned(), attempts: ATTEMPTS });
                }
                eprintln!("type that share again");
            }
        }
    }
}

/// What is wrong with a typed share, said so the user can fix it: every
/// word not in the wordlist (by number), a failed checksum, a share of
/// another set, a share given twice.
fn check_share(line: &str, first: Option<&Share>, given: &[Zeroizing<String>]) -> Result<Share, String> {
    let unknown: Vec<String> = line
        .split_whitespace()
        .enumerate()
        .filter(|(_, w)| slip39::word_index(w).is_none())
        .map(|(i, w)| format!("word {} `{w}`", i + 1))
        .collect();
    if !unknown.is_empty() {
        return Err(format!("not SLIP-39 words: {}", unknown.join(", ")));
    }
    let share = Share::parse(line).map_err(|e| format!("not a valid share: {e}"))?;
    if let Some(first) = first
        && first.identifier() != share.identifier()
    {
        return Err(format!(
            "this share belongs to another set (identifier {}, not {})",
            share.identifier(),
            first.identifier()
        ));
    }
    let normalized = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if given.iter().any(|g| g.split_whitespace().collect::<Vec<_>>().join(" ") == normalized) {
        return Err("this share was already given".into());
    }
    Ok(share)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn strength_follows_zxcvbn() {
        assert!(weakness("password1").is_some());
        assert!(weakness("").is_some());
        assert!(weakness("correct horse battery staple").is_none());
        assert!(weakness(&generate()).is_none());
    }

    #[test]
    fn a_generated_passphrase_is_ten_wordlist_words() {
        let pass = generate();
        let words: Vec<&str> = pass.split('-').collect();
        assert_eq!(words.len(), GENERATED_WORDS);
        assert!(words.iter().all(|w| slip39::word_index(w).is_some()));
        assert_ne!(*pass, *generate());
    }
}
