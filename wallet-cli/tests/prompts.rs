//! The real `didam` binary asking for secrets (issue 19, Deliver 6 and the
//! inputs of Deliver 7): passphrase files must be private and new
//! passphrases strong; a terminal prompt lets the user retry a weak
//! passphrase, a mismatched confirmation or a mistyped share (checked word
//! by word, with the count still needed); cheap checks run before any
//! secret is asked for; `-` reads a passphrase or shares from standard input.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Output;

mod common;

use common::{Home, code, feed, text, write_private};

/// Runs `didam args` on a pseudo-terminal (script(1)) with the environment
/// of `h.run` minus the variables in `unset`, typing `typed` (one answer a
/// line). Returns the terminal's output (standard output and error).
fn on_terminal(h: &Home, wallet: &str, args: &[&str], unset: &[&str], typed: &[&str]) -> Output {
    let mut cmd = env!("CARGO_BIN_EXE_didam").to_owned();
    for a in args {
        cmd.push_str(&format!(" '{a}'"));
    }
    let mut script = h.command("script", wallet);
    script.args(["-qec", &cmd, "/dev/null"]);
    for name in unset {
        script.env_remove(name);
    }
    // script(1) types end-of-file after the answers, so a prompt the test
    // did not expect ends the command instead of hanging.
    let answers: String = typed.iter().map(|line| format!("{line}\n")).collect();
    feed(script, &answers)
}

fn first_line(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap().lines().next().unwrap().to_owned()
}

#[test]
fn a_weak_or_empty_new_passphrase_file_is_refused_with_feedback() {
    let h = Home::new("weak-file");
    write_private(&h.path("weak.txt"), "password1\n");
    let shares = h.p("shares");
    let args = ["wallet", "init", "--kdf", "floor", "--shares-out", &shares, "--new-passphrase-file"];
    let out = h.run("w", &[&args[..], &[&h.p("weak.txt")]].concat());
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("too weak") && err.contains("guessed in"), "{err}");
    assert!(err.contains("hint: use five or more random words"), "{err}");
    assert!(!h.path("w").join("wallet.db").exists(), "no wallet is made with a weak passphrase");

    write_private(&h.path("empty.txt"), "\n");
    let out = h.run("w", &[&args[..], &[&h.p("empty.txt")]].concat());
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("holds no passphrase"), "{}", text(&out.stderr));
}

#[test]
fn a_passphrase_file_others_can_read_is_refused_with_the_fix() {
    let h = Home::new("loose");
    h.init("w");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(h.path("pass.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = h.run("w", &["did", "list"]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("can be read or written by other users (mode 644)"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(h.path("pass.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
    h.ok("w", &["did", "list"]);
}

#[test]
fn a_dash_reads_the_passphrase_and_shares_from_standard_input() {
    let h = Home::new("stdin");
    h.init("w");
    let run = |args: &[&str], input: &str| {
        let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), "w");
        cmd.args(args).env_remove("DIDAM_PASSPHRASE_FILE").env_remove("DIDAM_ROTATION_SHARES");
        feed(cmd, input)
    };
    let out = run(&["--passphrase-file", "-", "did", "list", "--json"], "correct horse battery staple\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Shares on standard input (the passphrase from a file).
    let shares = format!(
        "{}\n{}\n",
        first_line(&h.path("w-shares/rotation-share-1.txt")),
        first_line(&h.path("w-shares/rotation-share-2.txt"))
    );
    let out = run(
        &["--passphrase-file", &h.p("pass.txt"), "--rotation-shares", "-", "did", "create", "--json"],
        &shares,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Standard input is read once: two `-` are refused.
    let out = run(&["--passphrase-file", "-", "--rotation-shares", "-", "did", "create"], "x\n");
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("can be read only once"), "{}", text(&out.stderr));
}

#[test]
fn cheap_checks_come_before_any_secret() {
    let h = Home::new("cheap");
    h.init("w");
    let unknown = "did:didam:QmUnknownDidUnknownDidUnknownDidUnknownDid1234";
    // A DID not in the wallet is reported before the rotation shares are
    // asked for (no share files: they would be prompted for).
    let out = on_terminal(&h, "w", &["did", "rotate", unknown], &["DIDAM_ROTATION_SHARES"], &[]);
    let shown = text(&out.stdout);
    assert_eq!(code(&out), 2, "{shown}");
    assert!(shown.contains("in this wallet") && shown.contains("didam did list"), "{shown}");
    assert!(!shown.contains("share"), "no share was asked for: {shown}");
    // A missing share file is reported before the passphrase is asked for.
    let missing = h.p("missing-share.txt");
    let out = on_terminal(
        &h,
        "w",
        &["--rotation-shares", &missing, "did", "rotate", unknown],
        &["DIDAM_PASSPHRASE_FILE"],
        &[],
    );
    let shown = text(&out.stdout);
    assert_eq!(code(&out), 2, "{shown}");
    assert!(shown.contains("cannot read") && shown.contains("missing-share.txt"), "{shown}");
    assert!(!shown.contains("passphrase:"), "no passphrase was asked for: {shown}");
    // recover: a missing backup before any share or passphrase.
    let share = h.p("w-shares/wallet-share-1.txt");
    let out = on_terminal(
        &h,
        "w2",
        &["recover", "--shares", &share, "--backup", &h.p("no-backup.age")],
        &["DIDAM_PASSPHRASE_FILE"],
        &[],
    );
    let shown = text(&out.stdout);
    assert_eq!(code(&out), 2, "{shown}");
    assert!(shown.contains("no-backup.age") && !shown.contains("passphrase"), "{shown}");
}

#[test]
fn a_new_passphrase_at_the_prompt_is_checked_and_can_be_retried() {
    let h = Home::new("prompt-new");
    let (s1, s2, s3) = (h.p("shares-1"), h.p("shares-2"), h.p("shares-3"));
    // Weak, then strong with a mistyped confirmation, then strong twice.
    let strong = "violet anchor drifts past seven quiet lanterns";
    let out = on_terminal(
        &h,
        "w",
        &["wallet", "init", "--kdf", "floor", "--shares-out", &s1],
        &["DIDAM_PASSPHRASE_FILE"],
        &["password1", strong, "violet anchor drifts past seven quiet lantern", strong, strong],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("too weak"), "{shown}");
    assert!(shown.contains("the two passphrases differ; once more"), "{shown}");
    assert!(shown.contains("wallet created"), "{shown}");
    write_private(&h.path("strong.txt"), &format!("{strong}\n"));
    h.ok("w", &["--passphrase-file", &h.p("strong.txt"), "did", "list"]);

    // The tries are bounded.
    let out = on_terminal(
        &h,
        "w2",
        &["wallet", "init", "--kdf", "floor", "--shares-out", &s2],
        &["DIDAM_PASSPHRASE_FILE"],
        &["a", "b", "c"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("no new passphrase after 3 tries"), "{}", text(&out.stdout));
    assert!(!h.path("w2").join("wallet.db").exists());

    // An empty answer generates a passphrase, shown once, that opens the wallet.
    let out = on_terminal(
        &h,
        "w3",
        &["wallet", "init", "--kdf", "floor", "--shares-out", &s3],
        &["DIDAM_PASSPHRASE_FILE"],
        &[""],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}");
    let generated = shown
        .lines()
        .skip_while(|l| !l.contains("generated passphrase"))
        .nth(1)
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    assert_eq!(generated.split('-').count(), 10, "{shown}");
    write_private(&h.path("generated.txt"), &format!("{generated}\n"));
    h.ok("w3", &["--passphrase-file", &h.p("generated.txt"), "did", "list"]);
}

#[test]
fn shares_typed_at_the_prompt_are_checked_word_by_word() {
    let h = Home::new("prompt-shares");
    h.init("w");
    let (one, three) = (
        first_line(&h.path("w-shares/rotation-share-1.txt")),
        first_line(&h.path("w-shares/rotation-share-3.txt")),
    );
    let mut words: Vec<&str> = one.split(' ').collect();
    words[2] = "notaword";
    let typo = words.join(" ");
    let out = on_terminal(
        &h,
        "w",
        &["did", "create", "--json"],
        &["DIDAM_ROTATION_SHARES"],
        &[&typo, &one, &one, &three],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("not SLIP-39 words: word 3 `notaword`"), "{shown}");
    assert!(shown.contains("rotation share 2 of 2 (1 more needed)"), "{shown}");
    assert!(shown.contains("this share was already given"), "{shown}");
    assert!(shown.contains("did:didam:"), "{shown}");
}

#[test]
fn a_dash_out_writes_documents_and_backups_to_standard_output() {
    let h = Home::new("dash-out");
    h.init("w");
    // The wallet backup: binary to a pipe, refused to a terminal.
    let out = h.run("w", &["wallet", "backup", "--out", "-"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.starts_with(b"age-encryption.org/v1"), "an age file on standard output");
    assert!(!h.dir.join("-").exists() && !std::path::Path::new("-").exists(), "no file named `-`");
    let share = |n: u8| h.p(&format!("w-shares/wallet-share-{n}.txt"));
    std::fs::write(h.path("piped.age"), &out.stdout).unwrap();
    let shares = format!("{},{}", share(1), share(2));
    h.ok("r", &["recover", "--kdf", "floor", "--shares", &shares, "--backup", &h.p("piped.age")]);
    let tty = on_terminal(&h, "w", &["wallet", "backup", "--out", "-"], &[], &[]);
    assert_eq!(code(&tty), 2, "{}", text(&tty.stdout));
    assert!(text(&tty.stdout).contains("refusing to write the wallet backup (binary) to a terminal"));
    // A credential: `vc issue --out -` prints it.
    let did = h.key_and_unsigned("w");
    let vc: serde_json::Value = serde_json::from_str(
        &h.ok("w", &["vc", "issue", &h.p("unsigned.json"), "--issuer", &did, "--out", "-"]),
    )
    .unwrap();
    assert!(vc["proof"].is_object(), "{vc}");
}
