//! Starts the real `didam-resolver` binary in a temp dir, with its own
//! ledger and checkpoint key, and stops it when dropped.
//!
//! The load benchmarks include this file too (through `#[path]` from
//! resolver/benches/common/mod.rs).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_didam-resolver");
pub const ORIGIN: &str = "didam.test/ledger";
pub const DID_KEY: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

/// One checkpoint key per test binary (scrypt makes keygen take a second).
pub fn shared_key() -> &'static (PathBuf, PathBuf) {
    static KEY: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "resolver-key-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, pass) = (dir.join("checkpoint.age"), dir.join("passphrase"));
        std::fs::write(&pass, "a test passphrase\n").unwrap();
        let out = Command::new(BIN)
            .args(["keygen", "--origin", ORIGIN, "--out"])
            .arg(&key)
            .arg("--passphrase-file")
            .arg(&pass)
            .output()
            .unwrap();
        assert!(out.status.success(), "keygen: {}", String::from_utf8_lossy(&out.stderr));
        let vkey = String::from_utf8(out.stdout).unwrap();
        assert!(vkey.starts_with(&format!("{ORIGIN}+")), "keygen prints the verifier key: {vkey}");
        (key, pass)
    })
}

fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "resolver-{name}-{}-{}",
        std::process::id(),
        unique()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running daemon; killed (if still running) when dropped.
pub struct Daemon {
    child: Child,
    pub base: String,
    pub dir: PathBuf,
    /// The `listening on …` lines after the first (an HTTPS listener).
    more: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

impl Daemon {
    /// Starts a daemon with a checkpoint key and `extra` flags; no rate limit
    /// and a checkpoint every 50 ms unless `extra` says otherwise.
    pub fn start(name: &str, extra: &[&str]) -> Self {
        Self::start_logging(name, extra, None)
    }

    /// As [`Daemon::start`], with `RUST_LOG` set to `filter` (`None`: unset,
    /// so the daemon logs every request).
    pub fn start_logging(name: &str, extra: &[&str], filter: Option<&str>) -> Self {
        let (key, pass) = shared_key();
        let dir = temp_dir(name);
        let mut args: Vec<String> = vec![
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            dir.join("data").display().to_string(),
            "--checkpoint-key".into(),
            key.display().to_string(),
            "--checkpoint-key-passphrase-file".into(),
            pass.display().to_string(),
        ];
        for (flag, default) in
            [("--checkpoint-interval-ms", "50"), ("--rate-limit", "0"), ("--append-rate-limit", "0")]
        {
            if !extra.contains(&flag) {
                args.extend([flag.into(), default.into()]);
            }
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn_logging(dir, &args, filter)
    }

    /// Starts the binary with exactly `args`.
    pub fn spawn(dir: PathBuf, args: &[String]) -> Self {
        Self::spawn_logging(dir, args, None)
    }

    fn spawn_logging(dir: PathBuf, args: &[String], filter: Option<&str>) -> Self {
        let stderr = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let mut command = Command::new(BIN);
        match filter {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        let mut child =
            command.args(args).stdout(Stdio::piped()).stderr(Stdio::from(stderr)).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                if !matches!(stdout.read_line(&mut line), Ok(n) if n > 0) || tx.send(line).is_err() {
                    break;
                }
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let log = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
            panic!("the daemon did not start: stdout {line:?}, stderr {log}");
        };
        Self { base: base.to_owned(), child, dir, more: std::sync::Mutex::new(rx) }
    }

    /// The base URL of the daemon's second listener (`--tls-listen`).
    pub fn second_base(&self) -> String {
        let line = self.more.lock().unwrap().recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        line.trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no second listener: {line:?}"))
            .to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, up to `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the daemon did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn ledger_path(&self) -> PathBuf {
        self.dir.join("data").join("ledger.db")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Polls `check` until it returns `Some`, up to `limit`.
pub async fn poll<T, F: AsyncFnMut() -> Option<T>>(limit: Duration, mut check: F) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not met in {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

/// Percent-encodes a DID for the path (all but unreserved characters).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn is_problem(content_type: Option<&reqwest::header::HeaderValue>) -> bool {
    content_type.and_then(|v| v.to_str().ok()) == Some("application/problem+json")
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// The bearer token the tests' issuing daemons accept (`token_flag`).
pub const TOKEN: &str = "dGVzdCB0b2tlbiBvZiB0aGUgcmVzb2x2ZXIgdGVzdHM";

/// The flag that makes a daemon accept [`TOKEN`]: its SHA-256, never the token.
pub fn token_flag() -> [String; 2] {
    ["--auth-token-sha256".into(), didam_resolver::auth::SecretHash::of(TOKEN).to_string()]
}

/// A fresh wallet in `dir` with an Ed25519 did:key: its folder, passphrase
/// file and DID.
pub fn did_key_wallet(dir: &Path) -> (PathBuf, PathBuf, String) {
    did_key_wallet_of(dir, didam_credential::KeyType::Ed25519)
}

/// [`did_key_wallet`] with a did:key of `key_type`.
pub fn did_key_wallet_of(dir: &Path, key_type: didam_credential::KeyType) -> (PathBuf, PathBuf, String) {
    use didam_wallet::{InitOptions, KdfParams, Wallet};
    let (wallet_dir, pass_file) = (dir.join("wallet"), dir.join("wallet-pass"));
    std::fs::write(&pass_file, "issuer passphrase\n").unwrap();
    let (wallet, _) =
        Wallet::init(&wallet_dir, b"issuer passphrase", &InitOptions { kdf: Some(KdfParams::FLOOR) })
            .unwrap();
    let did = wallet.create_did_key(key_type).unwrap().did;
    (wallet_dir, pass_file, did)
}

/// The flags of an issuer daemon for the wallet of [`did_key_wallet`].
pub fn issuer_flags(wallet_dir: &Path, pass_file: &Path, did: &str) -> Vec<String> {
    vec![
        "--issuer-wallet".into(),
        wallet_dir.display().to_string(),
        "--issuer-passphrase-file".into(),
        pass_file.display().to_string(),
        "--issuer-did".into(),
        did.to_owned(),
    ]
}

/// A daemon issuing as a did:key of a fresh wallet, accepting [`TOKEN`]
/// (`extra`: more flags); returns it with its DID.
pub fn did_key_issuer(name: &str, extra: &[&str]) -> (Daemon, String) {
    let dir = temp_dir(name);
    let (wallet_dir, pass_file, did) = did_key_wallet(&dir);
    let mut args = issuer_flags(&wallet_dir, &pass_file, &did);
    args.extend(token_flag());
    args.extend(extra.iter().map(|s| s.to_string()));
    (Daemon::start(name, &args.iter().map(String::as_str).collect::<Vec<_>>()), did)
}

/// Creates a did:didam DID through `base` and waits (up to `limit`) until
/// `reader` serves a checkpoint covering it.
pub async fn didam_did(base: &str, reader: &str, limit: Duration) -> String {
    let ledger = didam_ledger::HttpLedger::new(base).unwrap();
    let (update, next, signing) = (
        didam_credential::SecretKey::generate(didam_credential::KeyType::Ed25519),
        didam_credential::SecretKey::generate(didam_credential::KeyType::Ed25519),
        didam_credential::SecretKey::generate(didam_credential::KeyType::Ed25519),
    );
    let doc = didam_method::entry::document_with_keys("did:didam:{SCID}", &[signing.public_key()]);
    let (did, receipt) =
        didam_registry::operations::create(&ledger, &update, &next.public_key(), doc, chrono::Utc::now())
            .await
            .unwrap();
    checkpointed(&didam_ledger::HttpLedger::new(reader).unwrap(), receipt.leaf_index + 1, limit).await;
    did.as_str().to_owned()
}

/// Waits (up to `limit`) until `reader` serves a checkpoint of `size` leaves
/// or more.
pub async fn checkpointed(reader: &didam_ledger::HttpLedger, size: u64, limit: Duration) {
    poll(limit, async || {
        didam_ledger::Ledger::latest_checkpoint(reader)
            .await
            .unwrap()
            .is_some_and(|c| c.size >= size)
            .then_some(())
    })
    .await;
}
