//! `didam wallet init` and `didam recover` killed (SIGKILL) at a random
//! moment, over and over (issue 19, Deliver 2): each kill leaves either no
//! wallet at the target, or a complete one (for `init`, with its root and
//! rotation shares all written); a complete one passes `wallet check`, and
//! an initialised one creates a DID with its rotation shares and is
//! recovered from its root shares.
//!
//! `DIDAM_INIT_KILLS` sets the number of kills (6 by default, for CI; the
//! soak in BENCHMARKS.md sets 1,000).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hash::{BuildHasher as _, Hasher as _};
use std::time::{Duration, Instant};

mod common;

use common::{Home, text};

/// A random number below `n` (std's randomly keyed hasher: no extra crate).
fn below(n: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish() % n.max(1)
}

fn init_command(h: &Home) -> std::process::Command {
    let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), "w");
    cmd.args(["wallet", "init", "--kdf", "floor", "--shares-out", &h.p("w-shares"), "--json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

#[test]
fn a_killed_wallet_init_leaves_no_wallet_or_a_complete_one() {
    let kills: usize = std::env::var("DIDAM_INIT_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(6);
    // One whole run sets the window the kills fall in; every round that
    // leaves no wallet runs `init` again to the end and re-measures it, so
    // the window follows the machine's speed through a long soak.
    let h = Home::new("init-kill-time");
    let start = Instant::now();
    assert!(init_command(&h).status().unwrap().success());
    let mut whole = start.elapsed().as_micros() as u64;
    drop(h);
    let (mut complete, mut none, mut cleared) = (0, 0, 0);
    let soak = Instant::now();
    for round in 0..kills {
        if round > 0 {
            // Progress for a soak cut short: every round so far passed.
            eprintln!(
                "round {round}: {complete} complete, {none} no wallet ({cleared} with shares cleared by the rerun), {} ms",
                soak.elapsed().as_millis()
            );
        }
        let h = Home::new("init-kill");
        let mut child = init_command(&h).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(below(whole + whole / 5)));
        let _ = child.kill();
        child.wait().unwrap();
        let wallet = h.path("w");
        if !wallet.join("wallet.db").exists() {
            none += 1;
            let empty = std::fs::read_dir(&wallet).map(|mut d| d.next().is_none()).unwrap_or(true);
            assert!(empty, "no wallet.db, but the wallet folder holds files");
            // Nothing is left in the way: `init` simply runs again, and
            // removes the shares (and the staging folder) the killed run
            // left, which belong to no wallet.
            let start = Instant::now();
            let out = init_command(&h).stderr(std::process::Stdio::piped()).output().unwrap();
            assert!(out.status.success(), "init after a kill that left no wallet: {}", text(&out.stderr));
            if text(&out.stderr).contains("removed") {
                cleared += 1;
            }
            whole = start.elapsed().as_micros() as u64;
            h.ok("w", &["wallet", "check"]);
            let litter: Vec<_> = std::fs::read_dir(h.path(""))
                .unwrap()
                .chain(std::fs::read_dir(h.path("w-shares")).unwrap())
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n.starts_with(".w.init-")
                        || n.starts_with(".wallet-share")
                        || n.starts_with(".rotation-share")
                })
                .collect();
            assert!(litter.is_empty(), "left by the killed run: {litter:?}");
            continue;
        }
        complete += 1;
        for prefix in ["wallet", "rotation"] {
            for n in 1..=3 {
                let share = h.path(&format!("w-shares/{prefix}-share-{n}.txt"));
                assert!(share.is_file(), "a wallet in place without its share {}", share.display());
            }
        }
        h.ok("w", &["wallet", "check"]);
        h.ok("w", &["did", "create", "--json"]);
        let backups = wallet.join("backups");
        let backup = std::fs::read_dir(&backups).unwrap().next().unwrap().unwrap().path();
        let shares = format!("{},{}", h.p("w-shares/wallet-share-1.txt"), h.p("w-shares/wallet-share-3.txt"));
        let out = h.run(
            "restored",
            &["recover", "--kdf", "floor", "--shares", &shares, "--backup", backup.to_str().unwrap()],
        );
        assert!(out.status.success(), "recover: {}", text(&out.stderr));
    }
    let per = soak.elapsed().as_millis() / kills.max(1) as u128;
    eprintln!(
        "{kills} kills: {complete} complete wallets, {none} left no wallet ({cleared} with shares the rerun removed), 0 unusable, 0 keys lost; {per} ms a round (kill, checks, DID, recover)"
    );
}

#[test]
fn a_killed_recover_leaves_no_wallet_or_a_complete_one() {
    let kills: usize = std::env::var("DIDAM_INIT_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(6);
    let h = Home::new("recover-kill");
    h.init("w");
    let backup = std::fs::read_dir(h.path("w/backups")).unwrap().next().unwrap().unwrap().path();
    let shares = format!("{},{}", h.p("w-shares/wallet-share-1.txt"), h.p("w-shares/wallet-share-2.txt"));
    let recover = |target: &str| {
        let mut cmd = h.command(env!("CARGO_BIN_EXE_didam"), target);
        cmd.args(["recover", "--kdf", "floor", "--shares", &shares, "--backup", backup.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let start = Instant::now();
    assert!(recover("timed").status().unwrap().success());
    let whole = start.elapsed().as_micros() as u64;
    for i in 0..kills {
        let target = format!("r{i}");
        let mut child = recover(&target).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(below(whole + whole / 5)));
        let _ = child.kill();
        child.wait().unwrap();
        if h.path(&target).join("wallet.db").exists() {
            h.ok(&target, &["wallet", "check"]);
        } else {
            let empty = std::fs::read_dir(h.path(&target)).map(|mut d| d.next().is_none()).unwrap_or(true);
            assert!(empty, "no wallet.db, but the wallet folder holds files");
            // And recover can simply be run again.
            h.ok(
                &target,
                &["recover", "--kdf", "floor", "--shares", &shares, "--backup", backup.to_str().unwrap()],
            );
            h.ok(&target, &["wallet", "check"]);
        }
    }
}
