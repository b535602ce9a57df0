//! What the CLI tests share: a temporary home with a passphrase file, and
//! `didam` run in it with one wallet, the shared embedded ledger and that
//! wallet's rotation shares.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

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
        std::fs::write(dir.join("pass.txt"), "correct horse battery staple\n").unwrap();
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
        let share = |n: u8| self.p(&format!("{wallet}-shares/rotation-share-{n}.txt"));
        Command::new(env!("CARGO_BIN_EXE_didam"))
            .args(args)
            .env("HOME", &self.dir)
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("DIDAM_WALLET", self.dir.join(wallet))
            .env("DIDAM_LEDGER", self.dir.join("ledger.db"))
            .env("DIDAM_PASSPHRASE_FILE", self.dir.join("pass.txt"))
            .env("DIDAM_ROTATION_SHARES", format!("{},{}", share(1), share(3)))
            .env_remove("DIDAM_RESOLVER")
            .env_remove("DIDAM_CONFIG")
            .env_remove("DIDAM_STATUS_ALLOW_LOOPBACK")
            .output()
            .expect("run didam")
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

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}
