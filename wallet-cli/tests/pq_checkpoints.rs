//! Quantum-safe checkpoints through the real `didam` binary and the real
//! `didam-resolver` daemon on loopback (issue 21, Deliver 4): the operator
//! adds an ML-DSA-44 key beside its Ed25519 key (`didam ledger operator
//! --add-ml-dsa`; a daemon's `keygen --add-ml-dsa`), checkpoints carry both
//! signatures, clients that pinned the Ed25519 key keep resolving, clients
//! with `--require-pq-checkpoints` refuse a ledger without the ML-DSA-44
//! signature, and the reports say which signature is classical and which
//! quantum-safe. Hostile checkpoints: the ML-DSA-44 line stripped, with a
//! wrong key ID, truncated.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{Home, code, text};

/// `didam` as wallet `w` of `h` with its own data folder `data`: its own pins
/// and stored checkpoints, as another machine reading the same ledger.
fn client(h: &Home, data: &str, args: &[&str]) -> Output {
    h.command(env!("CARGO_BIN_EXE_didam"), "w")
        .env("XDG_DATA_HOME", h.path(data))
        .args(args)
        .output()
        .unwrap()
}

fn resolved_ok(h: &Home, data: &str, args: &[&str]) -> (Value, String) {
    let out = client(h, data, args);
    assert_eq!(code(&out), 0, "didam {args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    (serde_json::from_slice(&out.stdout).unwrap(), text(&out.stderr))
}

fn securities(resolution: &Value) -> Vec<String> {
    resolution["didDocumentMetadata"]["checkpoint"]["signatures"]
        .as_array()
        .unwrap_or_else(|| panic!("no checkpoint signatures: {resolution}"))
        .iter()
        .map(|s| s["security"].as_str().unwrap().to_owned())
        .collect()
}

/// The latest checkpoint's note in the ledger file, rewritten by `edit`.
fn rewrite_latest(ledger: &std::path::Path, edit: impl FnOnce(&str) -> String) {
    let db = rusqlite::Connection::open(ledger).unwrap();
    let (size, note): (i64, String) = db
        .query_row("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    db.execute("UPDATE checkpoints SET note = ?1 WHERE size = ?2", rusqlite::params![edit(&note), size])
        .unwrap();
}

#[test]
fn an_embedded_ledger_operator_adds_ml_dsa_and_clients_keep_or_require_it() {
    let h = Home::new("pq-checkpoints");
    h.init("w");
    let did = h.json("w", &["did", "create", "--json"])["did"].as_str().unwrap().to_owned();
    let strict = ["--require-pq-checkpoints", "did", "resolve", did.as_str()];

    // Before: a classical ledger. Clients resolve; a strict one refuses, saying how to fix it.
    let (before, _) = resolved_ok(&h, "old", &["did", "resolve", &did]);
    assert_eq!(securities(&before), ["classical"]);
    let refused = client(&h, "strict", &strict);
    assert_ne!(code(&refused), 0);
    let said = text(&refused.stderr);
    assert!(said.contains("no ML-DSA-44 key is known") && said.contains("--add-ml-dsa"), "{said}");

    // The operator adds the ML-DSA-44 key (derived from the wallet root).
    let operator = h.json("w", &["ledger", "operator", "--add-ml-dsa", "--json"]);
    assert_eq!(operator["operatorMlDsa44"]["security"], "quantum-safe", "{operator}");
    assert_eq!(operator["operator"]["security"], "classical", "{operator}");
    let checkpoint = h.json("w", &["ledger", "checkpoint", "--json"]);
    let kinds: Vec<&str> = checkpoint["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["security"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["classical", "quantum-safe"], "{checkpoint}");
    // Again: nothing changes (the key is the same, derived).
    let again = h.json("w", &["ledger", "operator", "--add-ml-dsa", "--json"]);
    assert_eq!(again["operatorMlDsa44"], operator["operatorMlDsa44"]);

    // The client that pinned the Ed25519 key keeps resolving, and pins the new key once.
    let (after, said) = resolved_ok(&h, "old", &["did", "resolve", &did]);
    assert_eq!(securities(&after), ["classical", "quantum-safe"]);
    assert!(said.contains("pinned the ML-DSA-44 checkpoint key"), "{said}");
    let (_, said) = resolved_ok(&h, "old", &["did", "resolve", &did]);
    assert!(!said.contains("ML-DSA-44"), "said once: {said}");
    // The strict client resolves now; also from the config file.
    let (strict_resolution, _) = resolved_ok(&h, "strict", &strict);
    assert_eq!(securities(&strict_resolution), ["classical", "quantum-safe"]);
    std::fs::write(h.path("strict.toml"), "require_pq_checkpoints = true\n").unwrap();
    resolved_ok(&h, "strict-config", &["--config", &h.p("strict.toml"), "did", "resolve", &did]);

    // Hostile checkpoints: the ML-DSA-44 line with a wrong key ID, stripped,
    // truncated. Each is refused by every client that pinned the key.
    let ledger = h.path("ledger.db");
    let good = {
        let db = rusqlite::Connection::open(&ledger).unwrap();
        db.query_row("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1", [], |r| r.get::<_, String>(0))
            .unwrap()
    };
    let pq_line = good.lines().last().unwrap().to_owned();
    let (head, sig) = pq_line.rsplit_once(' ').unwrap();
    let cases: [(&str, String, &str); 3] = [
        (
            "wrong key ID",
            good.replace(
                &pq_line,
                &format!("{head} {}{}", if sig.starts_with('A') { 'B' } else { 'A' }, &sig[1..]),
            ),
            "carries no ML-DSA-44 signature",
        ),
        ("stripped", good.replace(&format!("{pq_line}\n"), ""), "carries no ML-DSA-44 signature"),
        (
            "truncated",
            good.replace(&pq_line, &format!("{head} {}", &sig[..sig.len() - 8])),
            "invalid signature",
        ),
    ];
    for (name, note, expected) in cases {
        rewrite_latest(&ledger, |_| note.clone());
        for data in ["old", "strict"] {
            let out = client(&h, data, &["--require-pq-checkpoints", "did", "resolve", &did]);
            assert_ne!(code(&out), 0, "{name}: {}", text(&out.stdout));
            assert!(text(&out.stderr).contains(expected), "{name}: {}", text(&out.stderr));
        }
        // Without the flag, the client that pinned the key refuses it too (a downgrade).
        let out = client(&h, "old", &["did", "resolve", &did]);
        assert_ne!(code(&out), 0, "{name}: {}", text(&out.stdout));
    }
    rewrite_latest(&ledger, |_| good.clone());
    resolved_ok(&h, "old", &["did", "resolve", &did]);

    // Someone who can write the ledger file, but holds no operator key,
    // announces an ML-DSA-44 key of theirs (same name). The Ed25519 key
    // vouches for the operator's key only: a new client requiring quantum-safe
    // checkpoints refuses it with the reason; a new classical client says so
    // and keeps reading on the Ed25519 signature; clients that pinned the
    // operator's key refuse the change.
    let db = rusqlite::Connection::open(&ledger).unwrap();
    let genuine: String =
        db.query_row("SELECT value FROM meta WHERE key = 'operator_pq_vkey'", [], |r| r.get(0)).unwrap();
    let origin = genuine.split('+').next().unwrap();
    let key = didam_credential::SecretKey::generate(didam_credential::KeyType::MlDsa44);
    let stranger = didam_ledger::note::NoteSigner::new(origin, key).unwrap().verifier().to_vkey();
    db.execute("UPDATE meta SET value = ?1 WHERE key = 'operator_pq_vkey'", [&stranger]).unwrap();
    let out = client(&h, "new-strict", &strict);
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    let said = text(&out.stderr);
    assert!(said.contains("does not vouch for it"), "{said}");
    let (resolution, said) = resolved_ok(&h, "new-classical", &["did", "resolve", &did]);
    assert!(said.contains("does not vouch for it"), "{said}");
    assert_eq!(securities(&resolution), ["classical"], "the stranger's key is not pinned");
    let out = client(&h, "old", &["did", "resolve", &did]);
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("ML-DSA-44 checkpoint key changed"), "{}", text(&out.stderr));
}

/// The real `didam-resolver` (beside `didam`) on a loopback port, with its
/// data in `h`'s `daemon/` folder and its checkpoint key `daemon.age`;
/// killed when dropped.
struct Daemon {
    child: Child,
    base: String,
}

fn daemon_command(h: &Home, extra: &[&str]) -> Command {
    daemon_command_on(h, "127.0.0.1:0", extra)
}

/// [`daemon_command`] listening on `listen`.
fn daemon_command_on(h: &Home, listen: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(common::daemon_bin());
    cmd.args(["--listen", listen, "--data-dir", &h.p("daemon/data")])
        .args([
            "--checkpoint-key",
            &h.p("daemon.age"),
            "--checkpoint-key-passphrase-file",
            &h.p("daemon-pass"),
        ])
        .args(["--checkpoint-interval-ms", "100", "--rate-limit", "0", "--append-rate-limit", "0"])
        .args(extra);
    cmd
}

impl Daemon {
    fn start(h: &Home, extra: &[&str]) -> Daemon {
        let (child, base) = common::spawn_daemon(&mut daemon_command(h, extra), &h.path("daemon.log"));
        Daemon { child, base }
    }

    /// [`Daemon::start`] again at the address `base` of an earlier run (a
    /// restart: clients know a ledger by its URL, so their pins carry over).
    fn restart_at(h: &Home, base: &str, extra: &[&str]) -> Daemon {
        let listen = base.trim_start_matches("http://");
        let (child, base) =
            common::spawn_daemon(&mut daemon_command_on(h, listen, extra), &h.path("daemon.log"));
        Daemon { child, base }
    }

    fn get(&self, path: &str) -> (String, Value) {
        let out = Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}"])
            .arg(format!("{}{path}", self.base))
            .output()
            .unwrap();
        let body = text(&out.stdout);
        let (body, status) = body.rsplit_once('\n').unwrap();
        (status.to_owned(), serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(h: &Home, args: &[&str]) -> Vec<String> {
    let out = Command::new(common::daemon_bin())
        .arg("keygen")
        .args(args)
        .args(["--out", &h.p("daemon.age"), "--passphrase-file", &h.p("daemon-pass")])
        .output()
        .unwrap();
    assert!(out.status.success(), "keygen {args:?}: {}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn a_daemon_migrates_its_checkpoint_key_to_ml_dsa_with_an_overlap() {
    let h = Home::new("pq-daemon");
    common::write_private(&h.path("daemon-pass"), "the daemon's checkpoint passphrase\n");
    let keys = keygen(&h, &["--origin", "didam.test/pq"]);
    assert_eq!(keys.len(), 1, "a classical key: {keys:?}");

    // Requiring quantum-safe checkpoints with a classical key: the daemon does not start, saying why.
    let refused = daemon_command(&h, &["--require-pq-checkpoints"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr)
            .contains("--require-pq-checkpoints needs a checkpoint key with an ML-DSA-44 key"),
        "{}",
        text(&refused.stderr)
    );

    // The same from the daemon's config file.
    std::fs::write(h.path("daemon.toml"), "require-pq-checkpoints = true\n").unwrap();
    let refused = daemon_command(&h, &["--config", &h.p("daemon.toml")]).output().unwrap();
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("--require-pq-checkpoints needs"), "{}", text(&refused.stderr));

    let daemon = Daemon::start(&h, &[]);
    let url = daemon.base.clone();
    h.init("w");
    let created = h.json("w", &["--ledger", &url, "did", "create", "--json"]);
    assert_eq!(created["checkpointed"], true, "{created}");
    let did = created["did"].as_str().unwrap().to_owned();
    let (before, _) = resolved_ok(&h, "old", &["--ledger", &url, "did", "resolve", &did]);
    assert_eq!(securities(&before), ["classical"]);
    assert_eq!(daemon.get("/ledger/v1/key/ml-dsa-44").0, "404");
    drop(daemon);

    // The migration: an ML-DSA-44 key added to the key file; the daemon
    // restarted requiring it. It adds its line to the latest checkpoint.
    let keys = keygen(&h, &["--add-ml-dsa"]);
    assert_eq!(keys.len(), 2, "{keys:?}");
    let daemon = Daemon::start(&h, &["--require-pq-checkpoints"]);
    let url = daemon.base.clone();
    let (status, pq_key) = daemon.get("/ledger/v1/key/ml-dsa-44");
    assert_eq!((status.as_str(), pq_key.as_str()), ("200", Some(keys[1].as_str())));
    let deadline = Instant::now() + Duration::from_secs(30);
    let strict_resolution = loop {
        let out =
            client(&h, "strict", &["--ledger", &url, "--require-pq-checkpoints", "did", "resolve", &did]);
        if code(&out) == 0 {
            break serde_json::from_slice::<Value>(&out.stdout).unwrap();
        }
        assert!(Instant::now() < deadline, "never quantum-safe: {}", text(&out.stderr));
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(securities(&strict_resolution), ["classical", "quantum-safe"]);
    // The client that pinned the classical key keeps resolving; the daemon resolves too.
    let (after, said) = resolved_ok(&h, "old", &["--ledger", &url, "did", "resolve", &did]);
    assert_eq!(securities(&after), ["classical", "quantum-safe"]);
    assert!(said.contains("pinned the ML-DSA-44 checkpoint key"), "{said}");
    let (status, resolution) = daemon.get(&format!("/1.0/identifiers/{did}?noCache=true"));
    assert_eq!(status, "200", "{resolution}");
    assert_eq!(securities(&resolution), ["classical", "quantum-safe"]);
    // New entries are checkpointed with both signatures.
    let second = h.json("w", &["--ledger", &url, "did", "create", "--json"]);
    let (_, said) =
        resolved_ok(&h, "old", &["--ledger", &url, "did", "resolve", second["did"].as_str().unwrap()]);
    assert!(!said.contains("ML-DSA-44"), "{said}");
}

/// Issue 21's "done when", through the real `didam` and the real daemon: a
/// did:didam created with Ed25519 control on the daemon's ledger moves to
/// hybrid control, gains an ML-DSA-44 signing key, issues an
/// `mldsa44-rdfc-2024` credential that an independent implementation
/// (`@noble/post-quantum` with `jsonld`, `crates/credential/tests/interop`)
/// verifies, and resolves — for a client that requires it — through a
/// checkpoint carrying the daemon's ML-DSA-44 signature; the daemon's VC API
/// verifies the credential too.
#[test]
fn a_classical_did_goes_hybrid_and_resolves_through_a_quantum_safe_checkpoint() {
    let h = Home::new("pq-done");
    common::write_private(&h.path("daemon-pass"), "the daemon's checkpoint passphrase\n");
    keygen(&h, &["--origin", "didam.test/pq-done", "--ml-dsa"]);
    let daemon = Daemon::start(&h, &["--require-pq-checkpoints"]);
    let url = daemon.base.clone();
    h.init("w");
    let created = h.json("w", &["--ledger", &url, "did", "create", "--json"]);
    let did = created["did"].as_str().unwrap().to_owned();
    let strict = |h: &Home| {
        resolved_ok(h, "strict", &["--ledger", &url, "--require-pq-checkpoints", "did", "resolve", &did]).0
    };
    assert_eq!(strict(&h)["didDocumentMetadata"]["control"]["security"], "classical");

    // To hybrid control (the move, then the first entry both keys sign),
    // and an ML-DSA-44 signing key.
    h.ok("w", &["--ledger", &url, "did", "rotate", &did, "--control", "ed25519,ml-dsa-44"]);
    h.ok("w", &["--ledger", &url, "did", "rotate", &did]);
    h.ok("w", &["--ledger", &url, "did", "update", &did, "--new-keys", "ed25519,ml-dsa-44"]);
    let resolution = strict(&h);
    let metadata = &resolution["didDocumentMetadata"];
    assert_eq!(metadata["control"]["security"], "hybrid", "{resolution}");
    assert_eq!(metadata["control"]["updateKeyTypes"], serde_json::json!(["ed25519", "ml-dsa-44"]));
    assert_eq!(securities(&resolution), ["classical", "quantum-safe"], "{resolution}");
    let ml_dsa_key = resolution["didDocument"]["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["publicKeyMultibase"].as_str())
        .find(|k| k.starts_with('u'))
        .unwrap()
        .to_owned();

    // A quantum-safe credential.
    h.degree_unsigned();
    let vc = h.p("pq.json");
    h.ok(
        "w",
        &[
            "vc",
            "issue",
            &h.p("unsigned.json"),
            "--issuer",
            &did,
            "--suite",
            "mldsa44-rdfc-2024",
            "--out",
            &vc,
        ],
    );
    let out =
        client(&h, "strict", &["--ledger", &url, "--require-pq-checkpoints", "vc", "verify", "--json", &vc]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));

    // The daemon's VC API verifies it (resolving the issuer on its ledger).
    let body = serde_json::json!({ "verifiableCredential": serde_json::from_str::<Value>(&std::fs::read_to_string(&vc).unwrap()).unwrap() });
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "-H", "content-type: application/json", "--data-binary", "@-"])
        .arg(format!("{url}/credentials/verify"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(body.to_string().as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let said = text(&out.stdout);
    assert!(said.ends_with("\n200"), "{said}");

    // The independent implementation, with the key the strict client resolved.
    let peer = std::path::PathBuf::from(std::env::var_os("DIDAM_PQ_INTEROP").expect(
        "DIDAM_PQ_INTEROP is not set: run scripts/test, which installs @noble/post-quantum into target/pq-interop",
    ));
    let script = peer.join(format!("pq_interop.done.{}.mjs", std::process::id()));
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/credential/tests/interop/pq_interop.mjs"),
        &script,
    )
    .unwrap();
    let contexts: serde_json::Map<String, Value> = didam_credential::contexts::BUNDLED
        .iter()
        .map(|(url, text)| ((*url).to_owned(), serde_json::from_str(text).unwrap()))
        .collect();
    std::fs::write(h.path("contexts.json"), Value::Object(contexts).to_string()).unwrap();
    let verify = |file: &str| {
        Command::new("node")
            .arg(&script)
            .args(["verify", file, &h.p("contexts.json"), &ml_dsa_key])
            .output()
            .unwrap()
    };
    let out = verify(&vc);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    // And it refuses a tampered copy: the check can fail.
    let mut tampered: Value = serde_json::from_str(&std::fs::read_to_string(&vc).unwrap()).unwrap();
    tampered["credentialSubject"]["degree"] = "PhD".into();
    std::fs::write(h.path("tampered.json"), tampered.to_string()).unwrap();
    let out = verify(&h.p("tampered.json"));
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let _ = std::fs::remove_file(&script);
}

/// The two kinds of client of a ledger during its migration to quantum-safe
/// checkpoints (issue 21, Deliver 5), each run as `didam` with its own data
/// folder (its own pins) against the daemon at `url`.
#[derive(Clone, Copy)]
enum Kind {
    /// No `--require-pq-checkpoints`, a policy without `signature_security`.
    Classical,
    /// `--require-pq-checkpoints` and `signature_security = "hybrid"`.
    Pq,
}

/// `didam` as client `data` of kind `kind` against `url`, running `args`.
fn as_client(h: &Home, data: &str, kind: Kind, url: &str, args: &[&str]) -> Output {
    let mut all = vec!["--ledger", url];
    if let Kind::Pq = kind {
        all.push("--require-pq-checkpoints");
    }
    all.extend_from_slice(args);
    if args.first() == Some(&"vc") {
        let policy = match kind {
            Kind::Classical => h.p("classical.toml"),
            Kind::Pq => h.p("pq.toml"),
        };
        return client(h, data, &[&all[..], &["--policy", &policy]].concat());
    }
    client(h, data, &all)
}

fn resolves(h: &Home, data: &str, kind: Kind, url: &str, did: &str) -> Value {
    let out = as_client(h, data, kind, url, &["did", "resolve", did]);
    assert_eq!(code(&out), 0, "{data} {did}: {}{}", text(&out.stdout), text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn verifies(h: &Home, data: &str, kind: Kind, url: &str, file: &str) {
    let out = as_client(h, data, kind, url, &["vc", "verify", file]);
    assert_eq!(code(&out), 0, "{data} {file}: {}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("VALID credential"), "{}", text(&out.stdout));
}

/// The PQ-requiring client refuses a credential with only classical
/// signatures, saying why.
fn refused_by_policy(h: &Home, url: &str, file: &str) {
    let out = as_client(h, "pq-client", Kind::Pq, url, &["vc", "verify", file]);
    assert_eq!(code(&out), 1, "{file}: {}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.starts_with("INVALID credential"), "{said}");
    assert!(said.contains("FAIL signature-security"), "{said}");
    assert!(said.contains("the policy requires hybrid signatures; this has classical"), "{said}");
}

/// Issue 21, Deliver 5: a mixed population through the operator's
/// migration of its checkpoint key, through the real daemon and the real
/// `didam`. A classical-only client and a PQ-requiring one ([`Kind`])
/// resolve a classical and a hybrid DID and verify a credential of each:
/// before the operator adds its ML-DSA-44 key, during the overlap in which
/// checkpoints carry both signatures, after (the daemon requiring its
/// ML-DSA-44 key), and when checkpoints come signed without the ML-DSA-44
/// line again (the pre-migration key file put back: a downgrade).
#[test]
fn a_mixed_population_keeps_working_through_the_checkpoint_key_migration() {
    let h = Home::new("pq-mixed");
    common::write_private(&h.path("daemon-pass"), "the daemon's checkpoint passphrase\n");
    keygen(&h, &["--origin", "didam.test/pq-mixed"]);
    std::fs::copy(h.path("daemon.age"), h.path("daemon-classical.age")).unwrap();
    std::fs::write(h.path("classical.toml"), "require_status = false\n").unwrap();
    std::fs::write(h.path("pq.toml"), "signature_security = \"hybrid\"\n").unwrap();
    let (classical_client, pq_client) = (("classical-client", Kind::Classical), ("pq-client", Kind::Pq));

    // Before: a classical ledger. The holders make a classical did:didam and
    // a hybrid one with an ML-DSA-44 signing key; each issues a credential
    // (the hybrid one a proof set of ML-DSA-44 and Ed25519).
    let daemon = Daemon::start(&h, &[]);
    let url = daemon.base.clone();
    h.init("w");
    let did_of = |v: Value| v["did"].as_str().unwrap().to_owned();
    let classical = did_of(h.json("w", &["--ledger", &url, "did", "create", "--json"]));
    let hybrid = did_of(h.json(
        "w",
        &[
            "--ledger",
            &url,
            "did",
            "create",
            "--control",
            "ed25519,ml-dsa-44",
            "--key-type",
            "ed25519,ml-dsa-44",
            "--json",
        ],
    ));
    h.degree_unsigned();
    let issue = |issuer: &str, suite: &str, input: &str, out: &str| {
        let out = h.p(out);
        h.ok(
            "w",
            &["--ledger", &url, "vc", "issue", input, "--issuer", issuer, "--suite", suite, "--out", &out],
        );
    };
    issue(&classical, "eddsa-rdfc-2022", &h.p("unsigned.json"), "classical.json");
    issue(&hybrid, "mldsa44-rdfc-2024", &h.p("unsigned.json"), "pq-only.json");
    issue(&hybrid, "eddsa-rdfc-2022", &h.p("pq-only.json"), "hybrid.json");
    let (classical_vc, hybrid_vc) = (h.p("classical.json"), h.p("hybrid.json"));

    // The classical client resolves both DIDs (their control as it is) and
    // verifies both credentials; the PQ-requiring client refuses the
    // ledger, saying why.
    for (did, control) in [(&classical, "classical"), (&hybrid, "hybrid")] {
        let resolution = resolves(&h, classical_client.0, classical_client.1, &url, did);
        assert_eq!(securities(&resolution), ["classical"]);
        assert_eq!(resolution["didDocumentMetadata"]["control"]["security"], control);
        let out = as_client(&h, pq_client.0, pq_client.1, &url, &["did", "resolve", did]);
        assert_ne!(code(&out), 0, "{}", text(&out.stdout));
        assert!(text(&out.stderr).contains("no ML-DSA-44 key is known"), "{}", text(&out.stderr));
    }
    verifies(&h, classical_client.0, classical_client.1, &url, &classical_vc);
    verifies(&h, classical_client.0, classical_client.1, &url, &hybrid_vc);
    let out = as_client(&h, pq_client.0, pq_client.1, &url, &["vc", "verify", &hybrid_vc]);
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("no ML-DSA-44 key is known"), "{said}");
    drop(daemon);

    // The overlap: the operator adds its ML-DSA-44 key; checkpoints carry
    // both signatures; nobody is required to have it yet.
    keygen(&h, &["--add-ml-dsa"]);
    let daemon = Daemon::restart_at(&h, &url, &[]);
    assert_eq!(daemon.base, url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while code(&as_client(&h, pq_client.0, pq_client.1, &url, &["did", "resolve", &classical])) != 0 {
        assert!(Instant::now() < deadline, "the daemon never signed with its ML-DSA-44 key");
        std::thread::sleep(Duration::from_millis(200));
    }
    let during = did_of(h.json("w", &["--ledger", &url, "did", "create", "--json"]));
    let stage = |url: &str, clients: &[(&str, Kind)], dids: &[&String]| {
        for did in dids {
            for (data, kind) in clients {
                let resolution = resolves(&h, data, *kind, url, did);
                assert_eq!(securities(&resolution), ["classical", "quantum-safe"], "{data}");
            }
        }
        // Both verify the hybrid credential; the PQ-requiring one refuses
        // the classical credential, with the reason.
        verifies(&h, classical_client.0, classical_client.1, url, &hybrid_vc);
        verifies(&h, pq_client.0, pq_client.1, url, &hybrid_vc);
        verifies(&h, classical_client.0, classical_client.1, url, &classical_vc);
        refused_by_policy(&h, url, &classical_vc);
    };
    stage(&url, &[classical_client, pq_client], &[&classical, &hybrid, &during]);
    drop(daemon);

    // After: the daemon requires its ML-DSA-44 key. Everyone keeps working
    // as during the overlap, and so does a classical client new to the ledger.
    let daemon = Daemon::restart_at(&h, &url, &["--require-pq-checkpoints"]);
    let late_client = ("late-client", Kind::Classical);
    stage(&url, &[classical_client, pq_client, late_client], &[&classical, &hybrid, &during]);
    drop(daemon);

    // A downgrade: the pre-migration key file put back. The next checkpoint
    // has no ML-DSA-44 line: every client that pinned the ML-DSA-44 key
    // refuses it, required or not; a client that never saw that key still
    // reads the ledger.
    std::fs::copy(h.path("daemon-classical.age"), h.path("daemon.age")).unwrap();
    let _daemon = Daemon::restart_at(&h, &url, &[]);
    let created = as_client(&h, "writer", Kind::Classical, &url, &["did", "create", "--json"]);
    assert_eq!(code(&created), 0, "{}", text(&created.stderr));
    let newest = did_of(serde_json::from_slice(&created.stdout).unwrap());
    for (data, kind) in [classical_client, pq_client, late_client] {
        let out = as_client(&h, data, kind, &url, &["did", "resolve", &newest]);
        let said = text(&out.stderr);
        assert_ne!(code(&out), 0, "{data}: {said} {}", text(&out.stdout));
        assert!(said.contains("carries no ML-DSA-44 signature"), "{data}: {said}");
    }
    let resolution = resolves(&h, "new-client", Kind::Classical, &url, &newest);
    assert_eq!(securities(&resolution), ["classical"]);
}
