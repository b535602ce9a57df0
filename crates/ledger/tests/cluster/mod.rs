//! A real three-member etcd cluster on loopback ports for tests: its own
//! temp folder, every member stopped when the cluster is dropped; and the
//! entries (new DIDs) appended to it.
//!
//! Shared by crates/ledger/tests/etcd.rs, resolver/tests/etcd_cluster.rs and
//! resolver/benches/etcd_load.rs (through `#[path]`). Needs the `etcd` binary (Debian `etcd-server`;
//! scripts/test installs it) and fails, never skips, without it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use didam_credential::{KeyType, SecretKey};
use didam_method::log::{self, EntryDraft, Method};
use serde_json::json;

/// The etcd binary: `$DIDAM_ETCD_BIN` or `etcd` on the PATH.
pub fn etcd_bin() -> String {
    std::env::var("DIDAM_ETCD_BIN").unwrap_or_else(|_| "etcd".into())
}

/// Where member data goes: `$DIDAM_ETCD_DIR`, else `/dev/shm` when there is
/// one (etcd preallocates ~120 MiB of WAL per member, and a tmpfs spares
/// the disk and its fsyncs), else the temp folder.
fn base_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("DIDAM_ETCD_DIR") {
        return PathBuf::from(dir);
    }
    let shm = PathBuf::from("/dev/shm");
    let writable = std::fs::metadata(&shm).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
    if writable { shm } else { std::env::temp_dir() }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// One member.
pub struct Member {
    pub name: String,
    pub client_port: u16,
    pub peer_port: u16,
    child: Option<Child>,
}

/// Three members on loopback.
pub struct Cluster {
    pub dir: PathBuf,
    pub members: Vec<Member>,
    initial: String,
    token: String,
}

impl Cluster {
    /// Starts three members and waits until all are healthy (with a leader).
    pub fn start(name: &str) -> Self {
        let dir = base_dir().join(format!("didam-etcd-{name}-{}-{}", std::process::id(), unique()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let members: Vec<Member> = (0..3)
            .map(|i| Member {
                name: format!("m{i}"),
                client_port: free_port(),
                peer_port: free_port(),
                child: None,
            })
            .collect();
        let initial = members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!("didam-{name}-{}-{}", std::process::id(), unique());
        let mut cluster = Self { dir, members, initial, token };
        for i in 0..3 {
            cluster.spawn(i);
        }
        cluster.wait_healthy(&[0, 1, 2], Duration::from_secs(60));
        cluster
    }

    fn spawn(&mut self, i: usize) {
        let m = &self.members[i];
        let client = format!("http://127.0.0.1:{}", m.client_port);
        let peer = format!("http://127.0.0.1:{}", m.peer_port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", m.name)))
            .unwrap();
        let child = Command::new(etcd_bin())
            .args(["--name", &m.name, "--data-dir"])
            .arg(self.dir.join(&m.name))
            .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &self.initial, "--initial-cluster-token", &self.token])
            .args(["--initial-cluster-state", "new", "--logger", "zap", "--log-outputs", "stderr"])
            // Faster elections on loopback than the WAN-friendly defaults.
            .args(["--heartbeat-interval", "100", "--election-timeout", "1000"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}` (install Debian's etcd-server): {e}", etcd_bin()));
        self.members[i].child = Some(child);
    }

    /// Client URLs of every member.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| format!("http://127.0.0.1:{}", m.client_port)).collect()
    }

    /// The ledger URL of the daemon's `--ledger`.
    pub fn ledger_url(&self) -> String {
        let hosts: Vec<String> =
            self.members.iter().map(|m| format!("127.0.0.1:{}", m.client_port)).collect();
        format!("etcd://{}", hosts.join(","))
    }

    /// Kills member `i` (SIGKILL).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts member `i` again on its data folder.
    pub fn restart(&mut self, i: usize) {
        assert!(self.members[i].child.is_none(), "member {i} is running");
        self.spawn(i);
    }

    /// Member `i`'s answer to `GET path` on its client port (`None`: no answer).
    fn http_get(&self, i: usize, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.members[i].client_port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).ok()?;
        let mut body = String::new();
        let _ = stream.read_to_string(&mut body);
        Some(body)
    }

    /// Whether member `i` answers `/health` with a leader.
    pub fn healthy(&self, i: usize) -> bool {
        self.http_get(i, "/health").is_some_and(|body| body.contains("\"health\":\"true\""))
    }

    /// The key-value requests (range, put, txn, …) all members have been
    /// sent so far, from their metrics.
    pub fn kv_requests(&self) -> u64 {
        let counted = |line: &str| {
            line.starts_with("grpc_server_started_total{")
                && line.contains("grpc_service=\"etcdserverpb.KV\"")
        };
        (0..self.members.len())
            .filter_map(|i| self.http_get(i, "/metrics"))
            .flat_map(|body| {
                body.lines()
                    .filter(|l| counted(l))
                    .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                    .collect::<Vec<_>>()
            })
            .sum::<f64>() as u64
    }

    /// Waits until the members `which` are healthy.
    pub fn wait_healthy(&self, which: &[usize], limit: Duration) {
        let deadline = Instant::now() + limit;
        while !which.iter().all(|&i| self.healthy(i)) {
            if Instant::now() > deadline {
                let logs: Vec<String> = self
                    .members
                    .iter()
                    .map(|m| {
                        std::fs::read_to_string(self.dir.join(format!("{}.log", m.name))).unwrap_or_default()
                    })
                    .map(|l| l.lines().rev().take(5).collect::<Vec<_>>().join("\n"))
                    .collect();
                panic!("etcd members {which:?} not healthy in {limit:?}; last log lines: {logs:#?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The index of the member that is the raft leader, as the members say.
    pub async fn leader(&self) -> Option<usize> {
        for (i, endpoint) in self.endpoints().iter().enumerate() {
            if self.members[i].child.is_none() {
                continue;
            }
            let options = etcd_client::ConnectOptions::new()
                .with_timeout(Duration::from_secs(3))
                .with_connect_timeout(Duration::from_secs(3));
            let Ok(mut client) = etcd_client::Client::connect([endpoint], Some(options)).await else {
                continue;
            };
            let Ok(status) = client.status().await else { continue };
            let me = status.header().map(|h| h.member_id());
            if me == Some(status.leader()) {
                return Some(i);
            }
        }
        None
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
            // etcd preallocates ~120 MiB per member: never leave that behind.
            let _ = std::fs::remove_dir_all(self.dir.join(&self.members[i].name));
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A first did:didam entry of a new DID.
pub async fn new_entry() -> didam_method::LogEntry {
    let (key, next) = (SecretKey::generate(KeyType::Ed25519), SecretKey::generate(KeyType::Ed25519));
    let mut parameters = serde_json::Map::new();
    parameters.insert("updateKeys".into(), json!([key.public_key().to_multikey()]));
    parameters.insert("nextKeyHashes".into(), json!([log::key_hash(&next.public_key().to_multikey())]));
    let draft = EntryDraft {
        parameters,
        document: json!({ "@context": ["https://www.w3.org/ns/did/v1"], "id": "did:didam:{SCID}" }),
        version_time: chrono::Utc::now() - chrono::Duration::seconds(10),
    };
    log::create_entry(Method::Didam, draft, &key).await.unwrap()
}
