//! The embedded ledger: one SQLite file (bundled SQLite through rusqlite).
//!
//! WAL journal with `synchronous=FULL`, so an append is durable when it
//! returns, and several processes may open the same file (writers take the
//! write lock with `BEGIN IMMEDIATE`; readers never block). An append:
//! 1. reads the DID's tip and verifies the entry against it (no lock held);
//! 2. in one transaction: checks the tip is still the one verified against
//!    (compare-and-swap), stores the entry as the next leaf, stores the new tip
//!    state and the tree nodes the leaf completes.
//!
//! A crash at any point leaves the old or the new state, never neither.
//!
//! Schema: `entries(leaf_index, did, version_number, entry_hash, line)`,
//! `dids(did, state)`, `nodes(level, idx, hash)`, `checkpoints(size, root,
//! note)`, `meta(key, value)`, `tips_tree(hash, node)` and `tips_roots(size,
//! count, root)` (the tips tree, [`tips`]), `handovers(seq, old, new, size, root, note)`
//! (the operator's key handovers, [`crate::handover`]: `old` is unique, so a
//! key hands over once and is retired for good).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::Utc;
use didam_credential::Did;
use didam_method::LogEntry;
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::admission::{Admission, AdmissionLimits, AdmissionView, Admitted, LogBudget, admit, check_tip};
use crate::handover::{self, Handover, OperatorError};
use crate::ledger::{Ledger, LedgerError, Receipt, SignedCheckpoint, StoredEntry};
use crate::merkle::{self, Hash, NodeReader, TreeError};
use crate::note::{Checkpoint, NoteSigner};
use didam_method::log::{self, DidState, Method};

mod tips;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    leaf_index INTEGER PRIMARY KEY,
    did TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    entry_hash TEXT NOT NULL UNIQUE,
    line TEXT NOT NULL,
    UNIQUE (did, version_number)
);
CREATE TABLE IF NOT EXISTS dids (did TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tips_tree (hash BLOB PRIMARY KEY, node BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tips_roots (size INTEGER PRIMARY KEY, count INTEGER NOT NULL, root BLOB NOT NULL);
DROP TABLE IF EXISTS tips;
DROP TABLE IF EXISTS tips_nodes;
DELETE FROM meta WHERE key IN ('tips_size', 'tips_count');
CREATE INDEX IF NOT EXISTS entries_by_did ON entries (did, leaf_index);
CREATE TABLE IF NOT EXISTS handovers (
    seq INTEGER PRIMARY KEY, old TEXT NOT NULL UNIQUE, new TEXT NOT NULL,
    size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL
);
";

/// The ledger in one SQLite file.
#[derive(Debug)]
pub struct EmbeddedLedger {
    conn: Mutex<Connection>,
    path: PathBuf,
    origin: String,
    method: Method,
    limits: AdmissionLimits,
    /// Opened by [`EmbeddedLedger::open_read_only`]: every write is refused.
    read_only: bool,
}

fn storage(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Unavailable(e.to_string())
}

fn tree<E: std::fmt::Display>(e: TreeError<E>) -> LedgerError {
    match e {
        TreeError::Proof(p) => LedgerError::Proof(p),
        TreeError::Store(s) => LedgerError::Corrupt(s.to_string()),
    }
}

/// [`LedgerError::ReadOnly`] for `dir` when `e` says this process may not
/// write there, else the storage error.
fn read_only_or(dir: &Path, e: std::io::Error) -> LedgerError {
    if crate::file::is_read_only(&e) { LedgerError::ReadOnly { dir: dir.to_owned() } } else { storage(e) }
}

/// Tree nodes read from the database (`nodes`).
struct Nodes<'a>(&'a Connection);

/// A tree node the database lacks.
#[derive(Debug, thiserror::Error)]
#[error("tree node ({level}, {index}) is missing or unreadable")]
struct MissingNode {
    level: u8,
    index: u64,
}

impl NodeReader for Nodes<'_> {
    type Error = MissingNode;

    fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        let missing = || MissingNode { level, index };
        let idx = i64::try_from(index).map_err(|_| missing())?;
        let bytes: Vec<u8> = self
            .0
            .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
            .and_then(|mut stmt| stmt.query_row(params![level, idx], |r| r.get(0)))
            .map_err(|_| missing())?;
        Ok(Hash(bytes.try_into().map_err(|_| missing())?))
    }
}

fn to_i64(n: u64) -> Result<i64, LedgerError> {
    i64::try_from(n).map_err(|_| LedgerError::Corrupt(format!("{n} is out of range")))
}

impl EmbeddedLedger {
    /// Opens (creating if needed) the ledger file at `path`. `origin` names the
    /// ledger in its checkpoints.
    ///
    /// A file or folder this process cannot write is [`LedgerError::ReadOnly`]
    /// (naming the folder), never SQLite's own message: reading such a
    /// ledger goes through [`EmbeddedLedger::open_read_only`].
    pub fn open(path: &Path, origin: &str) -> Result<Self, LedgerError> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| read_only_or(dir, e))?;
        if path.exists() {
            // Opening for writing changes nothing, and tells a file this
            // user may not write apart (SQLite would open it read-only).
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|e| read_only_or(dir, e))?;
        }
        let read_only = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly) => {
                LedgerError::ReadOnly { dir: dir.to_owned() }
            }
            _ => storage(e),
        };
        let conn = Connection::open(path).map_err(read_only)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(storage)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(read_only)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(read_only)?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            return Err(LedgerError::ReadOnly { dir: dir.to_owned() });
        }
        Ok(Self::with_connection(conn, path, origin))
    }

    /// Opens the existing ledger file at `path` to read it only: SQLite
    /// opens it read-only and nothing is created beside it. In a folder this
    /// process cannot write, a file whose last writer closed it cleanly (no
    /// `-wal` file beside it) is opened `immutable` (SQLite then needs no
    /// shared-memory file). Appends and checkpoints on it fail as
    /// [`LedgerError::ReadOnly`].
    pub fn open_read_only(path: &Path, origin: &str) -> Result<Self, LedgerError> {
        if !path.is_file() {
            return Err(LedgerError::Unavailable(format!("no ledger file at {}", path.display())));
        }
        let conn = crate::file::open_sqlite_read_only(path).map_err(storage)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(storage)?;
        Ok(Self { read_only: true, ..Self::with_connection(conn, path, origin) })
    }

    fn with_connection(conn: Connection, path: &Path, origin: &str) -> Self {
        Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            origin: origin.to_owned(),
            method: Method::Didam,
            limits: AdmissionLimits::default(),
            read_only: false,
        }
    }

    /// `Ok` unless this ledger was opened to read only.
    fn writable(&self) -> Result<(), LedgerError> {
        if self.read_only { Err(self.read_only_error()) } else { Ok(()) }
    }

    fn read_only_error(&self) -> LedgerError {
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        LedgerError::ReadOnly { dir: dir.to_owned() }
    }

    /// Admits entries, and reads logs, within `limits` (default:
    /// [`AdmissionLimits::default`]).
    pub fn with_limits(mut self, limits: AdmissionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits of what this ledger admits and reads.
    pub fn limits(&self) -> &AdmissionLimits {
        &self.limits
    }

    /// Stores witness cosignatures: `note` must be a stored checkpoint's
    /// note with the same text and every signature it had, plus others.
    pub fn add_cosignatures(&self, note: &str) -> Result<(), LedgerError> {
        let text = note.rsplit_once("\n\n").map(|(t, _)| format!("{t}\n")).unwrap_or_default();
        let checkpoint = Checkpoint::parse(&text)?;
        self.writable()?;
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let stored: Option<String> = tx
                .query_row("SELECT note FROM checkpoints WHERE size = ?1", [to_i64(checkpoint.size)?], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(storage)?;
            let stored = stored.ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "the cosigned note names no stored checkpoint (size {})",
                    checkpoint.size
                ))
            })?;
            let keeps_all = stored.rsplit_once("\n\n").is_some_and(|(t, sigs)| {
                format!("{t}\n") == text && sigs.lines().all(|l| note.lines().any(|m| m == l))
            });
            if !keeps_all {
                return Err(LedgerError::Corrupt(
                    "the cosigned note does not extend the stored checkpoint".into(),
                ));
            }
            tx.execute(
                "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
                params![note, to_i64(checkpoint.size)?],
            )
            .map_err(storage)?;
            tx.commit().map_err(storage)
        })
    }

    /// The note verifier key (`vkey`) of this ledger's operator, the one
    /// key whose checkpoints resolvers of this file accept, if recorded.
    pub fn operator(&self) -> Result<Option<String>, LedgerError> {
        self.meta_value("operator_vkey")
    }

    /// Records the operator's verifier key on first use; refuses to replace
    /// a different one (a ledger has one operator).
    pub fn set_operator(&self, vkey: &str) -> Result<(), LedgerError> {
        self.set_meta_once("operator_vkey", vkey, "operator")
    }

    /// The operator's ML-DSA-44 checkpoint key (`vkey`, type `0x06`), if it
    /// added one: its checkpoints carry that key's cosignature beside the
    /// Ed25519 signature.
    pub fn pq_operator(&self) -> Result<Option<String>, LedgerError> {
        self.meta_value("operator_pq_vkey")
    }

    /// Records the operator's ML-DSA-44 key on first use; refuses a
    /// different one (clients pin it: only a handover replaces it).
    pub fn set_pq_operator(&self, vkey: &str) -> Result<(), LedgerError> {
        self.set_meta_once("operator_pq_vkey", vkey, "ML-DSA-44 operator")
    }

    /// The `meta` row `key`, if any.
    fn meta_value(&self, key: &str) -> Result<Option<String>, LedgerError> {
        self.with_conn(|c| {
            c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(storage)
        })
    }

    /// Writes the `meta` row `key` unless it holds another value (an error
    /// naming `what` it is).
    fn set_meta_once(&self, key: &str, value: &str, what: &str) -> Result<(), LedgerError> {
        self.writable()?;
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let current: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(storage)?;
            match current {
                Some(v) if v == value => return Ok(()),
                Some(v) => {
                    return Err(LedgerError::Corrupt(format!("this ledger's {what} is {v}, not {value}")));
                }
                None => {
                    tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", [key, value])
                        .map_err(storage)?;
                }
            }
            tx.commit().map_err(storage)
        })
    }

    /// Verifies entries as `method` logs (default: `did:didam`).
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The origin line of this ledger's checkpoints.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Checks the whole file: recomputes the tree from every leaf and compares
    /// it with the stored nodes and every signed checkpoint's root, and
    /// replays every DID's log from its first entry. Returns the number of
    /// leaves and DIDs checked.
    pub async fn verify_all(&self) -> Result<(u64, u64), LedgerError> {
        let (lines, checkpoints) = self.with_conn(|c| {
            let mut stmt = c
                .prepare("SELECT leaf_index, did, line FROM entries ORDER BY leaf_index")
                .map_err(storage)?;
            let lines = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
                .map_err(storage)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            let mut stmt = c.prepare("SELECT size, root FROM checkpoints ORDER BY size").map_err(storage)?;
            let checkpoints = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
                .map_err(storage)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            Ok((lines, checkpoints))
        })?;
        let mut rebuilt = merkle::MemoryTree::new();
        let mut states: HashMap<String, DidState> = HashMap::new();
        for (index, did, line) in &lines {
            if *index as u64 != rebuilt.size() {
                return Err(LedgerError::Corrupt(format!("leaf {} is missing", rebuilt.size())));
            }
            rebuilt.push(line.as_bytes());
            let entry: LogEntry =
                line.parse().map_err(|e| LedgerError::Corrupt(format!("leaf {index}: {e}")))?;
            if entry.did().as_str() != did {
                return Err(LedgerError::Corrupt(format!("leaf {index} is filed under another DID")));
            }
            let state = log::verify_entry(self.method, states.get(did), entry.json(), Utc::now())
                .await
                .map_err(|e| LedgerError::Corrupt(format!("leaf {index} ({did}): {e}")))?;
            states.insert(did.clone(), state);
        }
        let stored_root = self.with_conn(|c| merkle::root(&Nodes(c), rebuilt.size()).map_err(tree))?;
        if stored_root != rebuilt.root() {
            return Err(LedgerError::Corrupt("the stored tree differs from the leaves".into()));
        }
        for (size, root) in checkpoints {
            let size = size as u64;
            let recomputed = merkle::root(&rebuilt, size).map_err(|_| {
                LedgerError::Corrupt(format!("checkpoint of size {size} is beyond the leaves"))
            })?;
            if recomputed.as_bytes()[..] != root[..] {
                return Err(LedgerError::Corrupt(format!(
                    "the leaves do not match the signed checkpoint of size {size}"
                )));
            }
        }
        Ok((rebuilt.size(), states.len() as u64))
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut conn =
            self.conn.lock().map_err(|_| LedgerError::Unavailable("connection lock poisoned".into()))?;
        f(&mut conn)
    }

    fn read_tip(&self, did: &Did) -> Result<Option<DidState>, LedgerError> {
        self.with_conn(|c| {
            let state: Option<String> = c
                .query_row("SELECT state FROM dids WHERE did = ?1", [did.as_str()], |r| r.get(0))
                .optional()
                .map_err(storage)?;
            state
                .map(|s| {
                    serde_json::from_str(&s).map_err(|e| LedgerError::Corrupt(format!("tip of {did}: {e}")))
                })
                .transpose()
        })
    }

    /// A number kept in `meta`.
    fn meta(c: &Connection, key: &str) -> Result<Option<u64>, LedgerError> {
        let v: Option<String> = c
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(storage)?;
        v.map(|v| v.parse().map_err(|_| LedgerError::Corrupt(format!("meta `{key}`")))).transpose()
    }

    fn set_meta(c: &Connection, key: &str, value: u64) -> Result<(), LedgerError> {
        c.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value.to_string()],
        )
        .map_err(storage)?;
        Ok(())
    }

    fn integrated(c: &Connection) -> Result<u64, LedgerError> {
        Ok(Self::meta(c, "integrated")?.unwrap_or(0))
    }

    /// The latest signed checkpoint.
    fn latest_signed(c: &Connection) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let row: Option<(i64, Vec<u8>, String)> = c
            .query_row("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(storage)?;
        row.map(|(size, root, note)| {
            let root = Hash(root.try_into().map_err(|_| LedgerError::Corrupt("checkpoint root".into()))?);
            Ok(SignedCheckpoint { size: size as u64, root, note })
        })
        .transpose()
    }

    /// Integrates leaves `integrated..count` into the tree, inside `c`'s transaction.
    fn integrate_in(c: &Connection) -> Result<u64, LedgerError> {
        let mut size = Self::integrated(c)?;
        let count: i64 = c.query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0)).map_err(storage)?;
        let count = u64::try_from(count).map_err(|_| LedgerError::Corrupt("entry count".into()))?;
        while size < count {
            let line: String = c
                .query_row("SELECT line FROM entries WHERE leaf_index = ?1", [to_i64(size)?], |r| r.get(0))
                .map_err(|_| LedgerError::Corrupt(format!("leaf {size} is missing")))?;
            let nodes = merkle::nodes_completed_by(&Nodes(c), size, merkle::leaf_hash(line.as_bytes()))
                .map_err(tree)?;
            for (level, idx, hash) in nodes {
                c.execute(
                    "INSERT OR REPLACE INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
                    params![level, to_i64(idx)?, hash.as_bytes().to_vec()],
                )
                .map_err(storage)?;
            }
            size += 1;
        }
        Self::set_meta(c, "integrated", size)?;
        Ok(size)
    }
}

/// An entry checked and ready to store.
enum Prepared {
    Duplicate(Receipt),
    /// The same entry as the one at this index of the batch.
    SameAs(usize),
    New(Box<Admitted<()>>),
}

/// What the append rule reads from the file: stored entries, and tips, with
/// the tips and bytes of entries earlier in the same batch (`overlay`,
/// `added`) first.
struct View<'a> {
    ledger: &'a EmbeddedLedger,
    overlay: &'a HashMap<Did, DidState>,
    added: &'a HashMap<Did, Vec<usize>>,
}

impl AdmissionView for View<'_> {
    /// The tip's `versionId`, which [`EmbeddedLedger::store`] compares.
    type Token = ();

    async fn stored(&self, hash: &str, line: &str) -> Result<Option<u64>, LedgerError> {
        self.ledger.with_conn(|c| {
            let stored = c
                .query_row("SELECT leaf_index, line FROM entries WHERE entry_hash = ?1", [hash], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .optional()
                .map_err(storage)?;
            Ok(stored.and_then(|(leaf, text)| (text == line).then_some(leaf as u64)))
        })
    }

    async fn tip(&self, did: &Did) -> Result<Option<(DidState, ())>, LedgerError> {
        let tip = match self.overlay.get(did) {
            Some(state) => Some(state.clone()),
            None => self.ledger.read_tip(did)?,
        };
        Ok(tip.map(|t| (t, ())))
    }

    async fn log_bytes(&self, did: &Did, mut budget: LogBudget) -> Result<u64, LedgerError> {
        let mut total = 0u64;
        self.ledger.with_conn(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT LENGTH(CAST(line AS BLOB)) FROM entries WHERE did = ?1 ORDER BY version_number",
                )
                .map_err(storage)?;
            let mut rows = stmt.query([did.as_str()]).map_err(storage)?;
            while let Some(row) = rows.next().map_err(storage)? {
                let bytes: i64 = row.get(0).map_err(storage)?;
                budget.take(bytes as usize)?;
                total += bytes as u64;
            }
            Ok(())
        })?;
        for &bytes in self.added.get(did).into_iter().flatten() {
            budget.take(bytes)?;
            total += bytes as u64;
        }
        Ok(total)
    }
}

impl EmbeddedLedger {
    /// Stores an admitted entry inside `tx` after the compare-and-swap on its
    /// DID's tip (`tips` tracks tips changed earlier in the same transaction).
    fn store(
        tx: &Connection,
        tips: &mut HashMap<Did, Option<String>>,
        admitted: Admitted<()>,
    ) -> Result<Receipt, LedgerError> {
        let Admitted { did, version_id, line, state, tip } = admitted;
        let expected_tip = tip.map(|(version_id, ())| version_id);
        let current = match tips.get(&did) {
            Some(tip) => tip.clone(),
            None => {
                let stored: Option<String> = tx
                    .query_row("SELECT state FROM dids WHERE did = ?1", [did.as_str()], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                stored
                    .as_deref()
                    .map(serde_json::from_str::<DidState>)
                    .transpose()
                    .map_err(|e| LedgerError::Corrupt(e.to_string()))?
                    .map(|s| s.version_id)
            }
        };
        check_tip(&did, &version_id, current.as_deref(), expected_tip.as_deref())?;
        let state_json = serde_json::to_string(&state).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        let leaf: i64 = tx
            .query_row("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM entries", [], |r| r.get(0))
            .map_err(storage)?;
        tx.execute(
            "INSERT INTO entries (leaf_index, did, version_number, entry_hash, line) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![leaf, did.as_str(), to_i64(state.version_number)?, state.entry_hash, line],
        )
        .map_err(storage)?;
        tx.execute(
            "INSERT OR REPLACE INTO dids (did, state) VALUES (?1, ?2)",
            params![did.as_str(), state_json],
        )
        .map_err(storage)?;
        tips.insert(did.clone(), Some(state.version_id.clone()));
        Ok(Receipt { did, version_id, leaf_index: leaf as u64, duplicate: false })
    }

    /// Integrates what was appended, and checks that the tree still holds
    /// the latest signed checkpoint unchanged: the size, the root, and that
    /// checkpoint.
    fn tree_head(tx: &Connection) -> Result<(u64, Hash, Option<SignedCheckpoint>), LedgerError> {
        let size = Self::integrate_in(tx)?;
        let root = merkle::root(&Nodes(tx), size).map_err(tree)?;
        let latest = Self::latest_signed(tx)?;
        if let Some(latest) = &latest {
            let ours = if latest.size <= size {
                Some(merkle::root(&Nodes(tx), latest.size).map_err(tree)?)
            } else {
                None
            };
            if ours != Some(latest.root) {
                return Err(LedgerError::InconsistentCheckpoint { size, signed: latest.size });
            }
        }
        Ok((size, root, latest))
    }

    /// The checkpoint text of the tree of `size` leaves with root `root`
    /// (its tips tree brought up to `size`).
    fn checkpoint_at(&self, tx: &Connection, size: u64, root: Hash) -> Result<Checkpoint, LedgerError> {
        let (count, tips_root) = tips::tips_at(tx, size)?;
        Ok(Checkpoint {
            origin: self.origin.clone(),
            size,
            root: root.0,
            extensions: vec![crate::ledger::tips_extension(count, &tips_root)],
        })
    }

    /// The handover recorded from the key `vkey`, if it handed over: its
    /// successor and the handover note.
    fn handover_from(c: &Connection, vkey: &str) -> Result<Option<(String, SignedCheckpoint)>, LedgerError> {
        let row: Option<(String, i64, Vec<u8>, String)> = c
            .query_row("SELECT new, size, root, note FROM handovers WHERE old = ?1", [vkey], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(storage)?;
        row.map(|(new, size, root, note)| {
            let root = Hash(root.try_into().map_err(|_| LedgerError::Corrupt("handover root".into()))?);
            Ok((new, SignedCheckpoint { size: size as u64, root, note }))
        })
        .transpose()
    }
}

impl Ledger for EmbeddedLedger {
    async fn append(&self, entry: &LogEntry) -> Result<Receipt, LedgerError> {
        self.append_all(std::slice::from_ref(entry))
            .await
            .pop()
            .unwrap_or_else(|| Err(LedgerError::Corrupt("an append of one entry returned nothing".into())))
    }

    /// Group commit: every entry is verified (in order, later entries of a DID
    /// against the earlier ones of the batch), then all accepted entries are
    /// stored in one transaction, with one fsync.
    async fn append_all(&self, entries: &[LogEntry]) -> Vec<Result<Receipt, LedgerError>> {
        if self.read_only {
            return entries.iter().map(|_| Err(self.read_only_error())).collect();
        }
        let mut overlay: HashMap<Did, DidState> = HashMap::new();
        let mut added: HashMap<Did, Vec<usize>> = HashMap::new();
        let mut in_batch: HashMap<&str, usize> = HashMap::new();
        let mut results: Vec<Result<Prepared, LedgerError>> = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            if let Some(&first) = in_batch.get(entry.line()) {
                results.push(Ok(Prepared::SameAs(first)));
                continue;
            }
            in_batch.insert(entry.line(), i);
            let view = View { ledger: self, overlay: &overlay, added: &added };
            let prepared = match admit(&view, self.method, &self.limits, entry).await {
                Ok(Admission::Duplicate(receipt)) => Ok(Prepared::Duplicate(receipt)),
                Ok(Admission::New(admitted)) => {
                    overlay.insert(admitted.did.clone(), admitted.state.clone());
                    added.entry(admitted.did.clone()).or_default().push(admitted.line.len());
                    Ok(Prepared::New(admitted))
                }
                Err(e) => Err(e),
            };
            results.push(prepared);
        }
        let committed = self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let mut tips: HashMap<Did, Option<String>> = HashMap::new();
            let mut out: Vec<Result<Receipt, LedgerError>> = Vec::with_capacity(results.len());
            for prepared in results {
                out.push(match prepared {
                    Err(e) => Err(e),
                    Ok(Prepared::Duplicate(receipt)) => Ok(receipt),
                    Ok(Prepared::SameAs(first)) => match &out[first] {
                        Ok(receipt) => Ok(Receipt { duplicate: true, ..receipt.clone() }),
                        Err(e) => Err(LedgerError::Unavailable(format!(
                            "the same entry earlier in the batch failed: {e}"
                        ))),
                    },
                    Ok(Prepared::New(admitted)) => Self::store(&tx, &mut tips, *admitted),
                });
            }
            Self::integrate_in(&tx)?;
            tx.commit().map_err(storage)?;
            Ok(out)
        });
        match committed {
            Ok(out) => out,
            Err(e) => {
                let message = e.to_string();
                entries.iter().map(|_| Err(LedgerError::Unavailable(message.clone()))).collect()
            }
        }
    }

    /// Reads the log row by row within the limits: a log beyond them is
    /// refused ([`crate::LimitError`]) without loading the rest of it.
    async fn log(&self, did: &Did) -> Result<Vec<StoredEntry>, LedgerError> {
        let mut budget = self.limits.budget(did);
        let entries = self.with_conn(|c| {
            let mut stmt = c
                .prepare_cached("SELECT line, leaf_index FROM entries WHERE did = ?1 ORDER BY version_number")
                .map_err(storage)?;
            let mut rows = stmt.query([did.as_str()]).map_err(storage)?;
            let mut entries = Vec::new();
            while let Some(row) = rows.next().map_err(storage)? {
                // The length first: an oversize line is not copied out.
                let bytes = row.get_ref(0).map_err(storage)?.as_bytes().map_err(storage)?.len();
                budget.take(bytes)?;
                entries.push(StoredEntry {
                    line: row.get(0).map_err(storage)?,
                    leaf_index: row.get::<_, i64>(1).map_err(storage)? as u64,
                });
            }
            Ok(entries)
        })?;
        if entries.is_empty() {
            return Err(LedgerError::NotFound(did.clone()));
        }
        Ok(entries)
    }

    async fn tip(&self, did: &Did) -> Result<DidState, LedgerError> {
        self.read_tip(did)?.ok_or_else(|| LedgerError::NotFound(did.clone()))
    }

    async fn size(&self) -> Result<u64, LedgerError> {
        self.with_conn(|c| Self::integrated(c))
    }

    async fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        self.with_conn(|c| {
            let line: Option<String> = c
                .query_row("SELECT line FROM entries WHERE leaf_index = ?1", [to_i64(index)?], |r| r.get(0))
                .optional()
                .map_err(storage)?;
            line.map(String::into_bytes).ok_or(LedgerError::Proof(merkle::ProofError::IndexOutOfRange {
                index,
                size: Self::integrated(c)?,
            }))
        })
    }

    async fn integrate(&self) -> Result<u64, LedgerError> {
        self.writable()?;
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let size = Self::integrate_in(&tx)?;
            tx.commit().map_err(storage)?;
            Ok(size)
        })
    }

    /// Signs with `signer` unless it is a retired operator key (one that
    /// handed this ledger over).
    async fn checkpoint(&self, signer: &NoteSigner) -> Result<SignedCheckpoint, LedgerError> {
        self.writable()?;
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let key = signer.verifier().to_vkey();
            if let Some((successor, ..)) = Self::handover_from(&tx, &key)? {
                return Err(OperatorError::Retired { key, successor }.into());
            }
            let (size, root, latest) = Self::tree_head(&tx)?;
            if let Some(latest) = latest.filter(|l| l.size == size) {
                // The tree did not grow: the latest checkpoint stands, signed
                // again with the signer's ML-DSA-44 cosignature and the line
                // vouching for its key when it lacks either (the operator
                // just added the key).
                if !handover::needs_pq_vouch(latest.note.as_bytes(), signer) {
                    return Ok(latest);
                }
                let note = handover::vouched(self.checkpoint_at(&tx, size, root)?, signer).sign(signer)?;
                tx.execute("UPDATE checkpoints SET note = ?1 WHERE size = ?2", params![note, to_i64(size)?])
                    .map_err(storage)?;
                tx.commit().map_err(storage)?;
                return Ok(SignedCheckpoint { note, ..latest });
            }
            let checkpoint = handover::vouched(self.checkpoint_at(&tx, size, root)?, signer);
            let note = checkpoint.sign(signer)?;
            tx.execute(
                "INSERT INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)",
                params![to_i64(size)?, root.as_bytes().to_vec(), note],
            )
            .map_err(storage)?;
            tx.commit().map_err(storage)?;
            Ok(SignedCheckpoint { size, root, note })
        })
    }

    /// In one transaction: the handover note (a checkpoint of everything
    /// integrated, signed by both keys) stored as the latest checkpoint and
    /// as a handover, and `new` recorded as the operator.
    async fn replace_operator(
        &self,
        old: &NoteSigner,
        new: &NoteSigner,
    ) -> Result<SignedCheckpoint, LedgerError> {
        let (old_key, new_key) = (old.verifier().to_vkey(), new.verifier().to_vkey());
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            if let Some((successor, signed)) = Self::handover_from(&tx, &old_key)? {
                if successor == new_key {
                    return Ok(signed);
                }
                return Err(OperatorError::Retired { key: old_key, successor }.into());
            }
            let operator: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = 'operator_vkey'", [], |r| r.get(0))
                .optional()
                .map_err(storage)?;
            if operator.as_deref() != Some(old_key.as_str()) {
                return Err(OperatorError::NotOperator { operator, key: old_key }.into());
            }
            let (size, root, _) = Self::tree_head(&tx)?;
            let note = Handover::sign(&self.checkpoint_at(&tx, size, root)?, old, new)?;
            let (size_i, root_bytes) = (to_i64(size)?, root.as_bytes().to_vec());
            tx.execute(
                "INSERT OR REPLACE INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)",
                params![size_i, root_bytes, note],
            )
            .map_err(storage)?;
            tx.execute(
                "INSERT INTO handovers (old, new, size, root, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![old_key, new_key, size_i, root_bytes, note],
            )
            .map_err(storage)?;
            tx.execute("UPDATE meta SET value = ?1 WHERE key = 'operator_vkey'", [&new_key])
                .map_err(storage)?;
            // The new operator's ML-DSA-44 key, if it has one, replaces the old one's.
            match new.pq_verifier() {
                Some(pq) => tx.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('operator_pq_vkey', ?1)",
                    [pq.to_vkey()],
                ),
                None => tx.execute("DELETE FROM meta WHERE key = 'operator_pq_vkey'", []),
            }
            .map_err(storage)?;
            tx.commit().map_err(storage)?;
            Ok(SignedCheckpoint { size, root, note })
        })
    }

    async fn handovers(&self) -> Result<Vec<String>, LedgerError> {
        self.with_conn(|c| {
            let mut stmt = c.prepare("SELECT note FROM handovers ORDER BY seq").map_err(storage)?;
            let notes = stmt.query_map([], |r| r.get(0)).map_err(storage)?;
            notes.collect::<Result<Vec<String>, _>>().map_err(storage)
        })
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.with_conn(|c| Self::latest_signed(c))
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.with_conn(|c| {
            let integrated = Self::integrated(c)?;
            if size > integrated {
                return Err(merkle::ProofError::IndexOutOfRange { index: size, size: integrated }.into());
            }
            merkle::inclusion_proof(&Nodes(c), index, size).map_err(tree)
        })
    }

    async fn tip_proof(&self, did: &Did, size: u64) -> Result<crate::ledger::TipProof, LedgerError> {
        self.with_conn(|c| tips::proof(c, did, size))
    }

    async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.with_conn(|c| {
            let integrated = Self::integrated(c)?;
            if new > integrated {
                return Err(merkle::ProofError::IndexOutOfRange { index: new, size: integrated }.into());
            }
            merkle::consistency_proof(&Nodes(c), old, new).map_err(tree)
        })
    }
}
