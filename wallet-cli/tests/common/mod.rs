//! What the CLI tests share: a temporary home with a passphrase file, and
//! `didam` run in it with one wallet, the shared embedded ledger and that
//! wallet's rotation shares.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use serde_json::Value;

pub(crate) struct Home {
    pub(crate) dir: PathBuf,
}

impl Home {
    /// A fresh folder `didam-<name>-<pid>-<n>` in the temporary directory
    /// (`n` counts the homes of this process: tests run in parallel).
    pub(crate) fn new(name: &str) -> Home {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("didam-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write_private(&dir.join("pass.txt"), "correct horse battery staple\n");
        Home { dir }
    }

    pub(crate) fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    /// [`Home::path`] as a string, for arguments.
    pub(crate) fn p(&self, p: &str) -> String {
        self.path(p).display().to_string()
    }

    /// Runs didam with the wallet `wallet`, the shared ledger, that wallet's
    /// rotation shares 1 and 3, and an isolated home.
    pub(crate) fn run(&self, wallet: &str, args: &[&str]) -> Output {
        self.command(env!("CARGO_BIN_EXE_didam"), wallet).args(args).output().expect("run didam")
    }

    /// `program` with the environment [`Home::run`] gives didam.
    pub(crate) fn command(&self, program: &str, wallet: &str) -> Command {
        let share = |n: u8| self.p(&format!("{wallet}-shares/rotation-share-{n}.txt"));
        let mut cmd = Command::new(program);
        cmd.env("HOME", &self.dir)
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("DIDAM_WALLET", self.dir.join(wallet))
            .env("DIDAM_LEDGER", self.dir.join("ledger.db"))
            .env("DIDAM_PASSPHRASE_FILE", self.dir.join("pass.txt"))
            .env("DIDAM_ROTATION_SHARES", format!("{},{}", share(1), share(3)))
            .env_remove("DIDAM_RESOLVER")
            .env_remove("DIDAM_CONFIG")
            .env_remove("DIDAM_STATUS_ALLOW_LOOPBACK");
        cmd
    }

    pub(crate) fn ok(&self, wallet: &str, args: &[&str]) -> String {
        let out = self.run(wallet, args);
        assert!(out.status.success(), "didam {args:?}: {}{}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout)
    }

    pub(crate) fn json(&self, wallet: &str, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(wallet, args)).unwrap()
    }

    /// `vp create` as `wallet`: presents `credential` as `holder` with a
    /// challenge and a domain, written to `out`.
    pub(crate) fn present(
        &self,
        wallet: &str,
        holder: &str,
        challenge: &str,
        domain: &str,
        credential: &str,
        out: &str,
    ) {
        let args =
            ["vp", "create", "--holder", holder, "--challenge", challenge, "--domain", domain, credential];
        self.ok(wallet, &[&args[..], &["--out", out]].concat());
    }

    /// `vp verify` as `wallet`, with the challenge and domain the proof must carry.
    pub(crate) fn verify_presentation(
        &self,
        wallet: &str,
        presentation: &str,
        challenge: &str,
        domain: &str,
    ) -> Output {
        self.run(wallet, &["vp", "verify", presentation, "--challenge", challenge, "--domain", domain])
    }

    /// A did:key of `wallet`, and an unsigned credential about it written
    /// to `unsigned.json` (to issue as that DID).
    pub(crate) fn key_and_unsigned(&self, wallet: &str) -> String {
        let did = self.json(wallet, &["did", "create", "--method", "key", "--json"])["did"]
            .as_str()
            .unwrap()
            .to_owned();
        let unsigned = serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": { "id": did }
        });
        std::fs::write(self.path("unsigned.json"), unsigned.to_string()).unwrap();
        did
    }

    /// An unsigned degree credential about `did:example:alice`, written to
    /// `unsigned.json`; returns its path.
    #[allow(dead_code)]
    pub(crate) fn degree_unsigned(&self) -> String {
        let unsigned = serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "ExampleDegreeCredential"],
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": { "id": "did:example:alice", "degree": "BSc" }
        });
        std::fs::write(self.path("unsigned.json"), unsigned.to_string()).unwrap();
        self.p("unsigned.json")
    }

    /// `wallet init` with the cheapest accepted key derivation.
    pub(crate) fn init(&self, wallet: &str) {
        let shares = self.p(&format!("{wallet}-shares"));
        let out = self.json(wallet, &["wallet", "init", "--kdf", "floor", "--shares-out", &shares, "--json"]);
        assert_eq!(out["walletShares"].as_array().unwrap().len(), 3);
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `cmd` with `input` on its standard input (closed after it).
pub(crate) fn feed(mut cmd: Command, input: &str) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Writes `contents` to `path` readable by its owner only (as a passphrase
/// file must be).
pub(crate) fn write_private(path: &std::path::Path, contents: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// The real `didam-resolver`, built beside `didam` (by `cargo test --workspace`).
pub(crate) fn daemon_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_didam")).with_file_name("didam-resolver");
    assert!(
        bin.exists(),
        "build the daemon first: cargo build -p didam-resolver (cargo test --workspace does)"
    );
    bin
}

/// Starts `cmd` (a `didam-resolver` serving, its standard error written to
/// `log`) and returns it with the base URL of its first line `listening on
/// …`; a daemon that does not start fails the test, showing its log.
pub(crate) fn spawn_daemon(cmd: &mut Command, log: &Path) -> (Child, String) {
    use std::io::BufRead as _;
    let mut child = cmd
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let Some(base) = line.trim().strip_prefix("listening on ").map(str::to_owned) else {
        let _ = child.kill();
        panic!("the daemon did not start: {line:?} {}", std::fs::read_to_string(log).unwrap_or_default());
    };
    (child, base)
}
