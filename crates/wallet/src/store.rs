//! The sealed record store: one SQLite file (WAL, `synchronous=FULL`).
//!
//! Tables:
//! - `wallet`: one row: wallet id, format, Argon2id parameters and salt, the
//!   Wallet Root Secret wrapped by the key-encryption key, the generation (a
//!   counter bumped by every write) and the store MAC;
//! - `records(kind, id, version, sealed)`: every record sealed with
//!   XChaCha20-Poly1305 under the record key; the associated data binds wallet
//!   id, kind, id and version, so a record cannot be moved to another row,
//!   another wallet or another version.
//!
//! The store MAC (HMAC-SHA256 under a key derived from the root) covers the
//! generation and every row's kind, id, version and sealed-blob hash, so a
//! deleted, added or rolled-back row is detected. Every write runs in one
//! `BEGIN IMMEDIATE` transaction that first checks the MAC (a tampered store
//! is never written to), applies its changes, bumps the generation and stores
//! the new MAC: a crash leaves the old or the new state. Several processes may
//! use one wallet: SQLite serialises the writers.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rand_core::{OsRng, RngCore as _};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use zeroize::Zeroizing;

use crate::WalletError;
use crate::error::BackupError;
use crate::kdf::{self, KdfParams};
use crate::keys::{RootSecret, unhex};

mod seal;

use seal::{Keys, RootRow, unwrap_root, wrap_root};

/// A record's id and plaintext.
pub type Plain = (String, Zeroizing<Vec<u8>>);

/// The format this code writes and reads.
pub const FORMAT: u32 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS wallet (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id BLOB NOT NULL,
    format INTEGER NOT NULL,
    kdf TEXT NOT NULL,
    salt BLOB NOT NULL,
    wrapped_root BLOB NOT NULL,
    generation INTEGER NOT NULL,
    mac BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, sealed BLOB NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
";

/// The wallet row as stored.
struct Header {
    wallet_id: [u8; 16],
    format: u32,
    kdf: String,
    salt: Vec<u8>,
    wrapped_root: Vec<u8>,
    generation: u64,
    mac: Vec<u8>,
}

impl Header {
    fn root_row(&self) -> RootRow<'_> {
        RootRow { kdf: &self.kdf, salt: &self.salt, wrapped: &self.wrapped_root }
    }
}

fn header(conn: &Connection) -> Result<Option<Header>, WalletError> {
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'wallet'",
        [],
        |r| r.get(0),
    )?;
    if tables == 0 {
        // A wallet.db cut short while being made (before its tables).
        return Err(WalletError::Tampered("wallet.db has no tables".into()));
    }
    conn.query_row(
        "SELECT id, format, kdf, salt, wrapped_root, generation, mac FROM wallet WHERE singleton = 1",
        [],
        |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Vec<u8>>(6)?,
            ))
        },
    )
    .optional()?
    .map(|(id, format, kdf, salt, wrapped_root, generation, mac)| {
        let bad = |what: &str| WalletError::Tampered(format!("the wallet row's {what} is malformed"));
        Ok(Header {
            wallet_id: id.try_into().map_err(|_| bad("id"))?,
            format: u32::try_from(format).map_err(|_| bad("format"))?,
            kdf,
            salt,
            wrapped_root,
            generation: u64::try_from(generation).map_err(|_| bad("generation"))?,
            mac,
        })
    })
    .transpose()
}

/// Opens `path` to write to it. A file or folder this process may not
/// write is [`WalletError::ReadOnly`] naming the folder, never SQLite's
/// message (SQLite would open such a file read-only, or fail to make its
/// WAL files).
fn connect(path: &Path) -> Result<Connection, WalletError> {
    let read_only = || WalletError::ReadOnly { dir: folder(path).to_owned() };
    if path.exists() {
        // Opening for writing changes nothing.
        std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| {
            if didam_ledger::file::is_read_only(&e) { read_only() } else { crate::error::io(path)(e) }
        })?;
    }
    let sqlite_read_only = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly) => read_only(),
        _ => WalletError::Storage(e),
    };
    let conn = Connection::open(path).map_err(sqlite_read_only)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite_read_only)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(read_only());
    }
    Ok(conn)
}

/// Opens the existing `path` to read it only, creating nothing beside it
/// (see `didam_ledger::file::open_sqlite_read_only`).
fn connect_read_only(path: &Path) -> Result<Connection, WalletError> {
    let conn = didam_ledger::file::open_sqlite_read_only(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

/// The folder of the store file `path`.
fn folder(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// An open, unlocked store.
pub struct Store {
    conn: Mutex<Connection>,
    keys: Keys,
    path: PathBuf,
    /// Opened by [`Store::open_read_only`]: every write is refused.
    read_only: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

/// A write transaction: reads see the transaction's own writes.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    keys: &'a Keys,
    generation: u64,
}

impl Tx<'_> {
    /// The plaintext of record `kind`/`id`, if present.
    pub fn get(&self, kind: &str, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>, WalletError> {
        get(&self.tx, self.keys, kind, id)
    }

    /// Every record of `kind`, by id.
    pub fn list(&self, kind: &str) -> Result<Vec<Plain>, WalletError> {
        list(&self.tx, self.keys, kind)
    }

    /// Writes record `kind`/`id`.
    pub fn put(&mut self, kind: &str, id: &str, plain: &[u8]) -> Result<(), WalletError> {
        let sealed = self.keys.seal(kind, id, self.generation, plain)?;
        self.tx.execute(
            "INSERT INTO records (kind, id, version, sealed) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, sealed = excluded.sealed",
            params![kind, id, self.generation as i64, sealed],
        )?;
        Ok(())
    }

    /// Writes record `kind`/`id` only if there is none yet: `Ok(false)`, and
    /// nothing written, when one exists. The check and the write are one
    /// statement on the table's primary key, so two writers racing for one
    /// id cannot both succeed.
    pub fn insert(&mut self, kind: &str, id: &str, plain: &[u8]) -> Result<bool, WalletError> {
        let sealed = self.keys.seal(kind, id, self.generation, plain)?;
        let written = self.tx.execute(
            "INSERT INTO records (kind, id, version, sealed) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, id) DO NOTHING",
            params![kind, id, self.generation as i64, sealed],
        )?;
        Ok(written == 1)
    }

    /// Deletes record `kind`/`id` (no error when absent).
    pub fn delete(&mut self, kind: &str, id: &str) -> Result<(), WalletError> {
        self.tx.execute("DELETE FROM records WHERE kind = ?1 AND id = ?2", params![kind, id])?;
        Ok(())
    }
}

fn get(
    conn: &Connection,
    keys: &Keys,
    kind: &str,
    id: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>, WalletError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT version, sealed FROM records WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(v, sealed)| keys.open(kind, id, v as u64, &sealed)).transpose()
}

fn list(conn: &Connection, keys: &Keys, kind: &str) -> Result<Vec<Plain>, WalletError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, version, sealed FROM records WHERE kind = ?1 ORDER BY id")?;
    let rows = stmt
        .query_map(params![kind], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, v, sealed)| Ok((id.clone(), keys.open(kind, &id, v as u64, &sealed)?)))
        .collect()
}

/// One record in plain form, for backups.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PlainRecord {
    /// Kind.
    pub kind: String,
    /// Id.
    pub id: String,
    /// The plaintext (JSON).
    pub value: serde_json::Value,
}

impl Store {
    /// Creates a store at `path` (which must not exist) holding `root`.
    pub fn create(
        path: &Path,
        passphrase: &[u8],
        params: &KdfParams,
        root: &RootSecret,
    ) -> Result<Store, WalletError> {
        let mut wallet_id = [0u8; 16];
        OsRng.fill_bytes(&mut wallet_id);
        Self::create_inner(path, passphrase, params, root, wallet_id)
    }

    fn create_inner(
        path: &Path,
        passphrase: &[u8],
        params: &KdfParams,
        root: &RootSecret,
        wallet_id: [u8; 16],
    ) -> Result<Store, WalletError> {
        if path.exists() {
            return Err(WalletError::Exists(path.display().to_string()));
        }
        let (kdf_text, salt, wrapped) = wrap_root(root, passphrase, params, &wallet_id)?;
        let mut conn = connect(path)?;
        conn.execute_batch(SCHEMA)?;
        let keys = Keys::new(wallet_id, root);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mac = keys.mac(&tx, 0, &RootRow { kdf: &kdf_text, salt: &salt, wrapped: &wrapped })?;
        tx.execute(
            "INSERT INTO wallet (singleton, id, format, kdf, salt, wrapped_root, generation, mac)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, 0, ?6)",
            params![&wallet_id[..], FORMAT, kdf_text, &salt[..], wrapped, &mac[..]],
        )?;
        tx.commit()?;
        Ok(Store { conn: Mutex::new(conn), keys, path: path.to_owned(), read_only: false })
    }

    /// Creates a store with a given wallet id (a restore onto a new machine
    /// keeps the wallet's identity, so its backups stay its own).
    pub fn create_with_id(
        path: &Path,
        passphrase: &[u8],
        params: &KdfParams,
        root: &RootSecret,
        wallet_id_hex: &str,
    ) -> Result<Store, WalletError> {
        let id: [u8; 16] = unhex(wallet_id_hex)
            .and_then(|id| id.as_slice().try_into().ok())
            .ok_or(BackupError::MalformedField("wallet id"))?;
        Self::create_inner(path, passphrase, params, root, id)
    }

    /// Opens and unlocks the store at `path`: checks the KDF bounds, unwraps
    /// the root, then checks the MAC and every record.
    pub fn open(path: &Path, passphrase: &[u8]) -> Result<(Store, RootSecret), WalletError> {
        Self::open_with(path, false, |kdf, salt| kdf::derive(passphrase, salt, kdf))
    }

    /// Opens and unlocks the store at `path` to read it only: SQLite opens
    /// it read-only and nothing is created beside it, so a wallet in a
    /// folder this process cannot write is read; every write is refused
    /// with [`WalletError::ReadOnly`].
    pub fn open_read_only(path: &Path, passphrase: &[u8]) -> Result<(Store, RootSecret), WalletError> {
        Self::open_with(path, true, |kdf, salt| kdf::derive(passphrase, salt, kdf))
    }

    /// Opens the store with the root secret itself (recovery from shares).
    pub fn open_with_root(path: &Path, root: &RootSecret) -> Result<Store, WalletError> {
        if !path.exists() {
            return Err(WalletError::NotFound(path.display().to_string()));
        }
        let conn = connect(path)?;
        let h = header(&conn)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        let store = Store {
            keys: Keys::new(h.wallet_id, root),
            conn: Mutex::new(conn),
            path: path.to_owned(),
            read_only: false,
        };
        store.verify()?;
        Ok(store)
    }

    /// Opens with the root but without checking the MAC: only to restore a
    /// tampered wallet from a backup.
    pub(crate) fn open_unchecked(path: &Path, root: &RootSecret) -> Result<Store, WalletError> {
        let conn = connect(path)?;
        let h = header(&conn)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        Ok(Store {
            keys: Keys::new(h.wallet_id, root),
            conn: Mutex::new(conn),
            path: path.to_owned(),
            read_only: false,
        })
    }

    fn open_with(
        path: &Path,
        read_only: bool,
        kek: impl FnOnce(&KdfParams, &[u8]) -> Result<Zeroizing<[u8; 32]>, WalletError>,
    ) -> Result<(Store, RootSecret), WalletError> {
        if !path.exists() {
            return Err(WalletError::NotFound(path.display().to_string()));
        }
        let conn = if read_only { connect_read_only(path)? } else { connect(path)? };
        let h = header(&conn)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        if h.format != FORMAT {
            return Err(WalletError::Format(h.format));
        }
        let params: KdfParams = serde_json::from_str(&h.kdf)
            .map_err(|_| WalletError::Tampered("the key-derivation parameters are malformed".into()))?;
        params.check()?;
        let kek = kek(&params, &h.salt)?;
        let root = unwrap_root(&kek, &h.wallet_id, &h.kdf, &h.wrapped_root)?;
        let store = Store {
            keys: Keys::new(h.wallet_id, &root),
            conn: Mutex::new(conn),
            path: path.to_owned(),
            read_only,
        };
        store.verify()?;
        Ok((store, root))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, WalletError> {
        self.conn.lock().map_err(|_| WalletError::Interrupted)
    }

    /// The connection, to write: refused on a store opened to read only.
    fn lock_to_write(&self) -> Result<std::sync::MutexGuard<'_, Connection>, WalletError> {
        if self.read_only {
            return Err(WalletError::ReadOnly { dir: folder(&self.path).to_owned() });
        }
        self.lock()
    }

    /// Whether the store was opened to read only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Checks the store MAC and that every record decrypts.
    pub fn verify(&self) -> Result<(), WalletError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let h = header(&tx)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        check_mac(&tx, &self.keys, &h)?;
        let mut stmt = tx.prepare("SELECT kind, id, version, sealed FROM records")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (kind, id, v, sealed): (String, String, i64, Vec<u8>) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            self.keys.open(&kind, &id, v as u64, &sealed)?;
        }
        Ok(())
    }

    /// The wallet's id (public).
    pub fn wallet_id(&self) -> [u8; 16] {
        self.keys.wallet_id
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The generation: bumped by every write.
    pub fn generation(&self) -> Result<u64, WalletError> {
        let conn = self.lock()?;
        Ok(header(&conn)?.map(|h| h.generation).unwrap_or(0))
    }

    /// The plaintext of record `kind`/`id`, if present.
    pub fn get(&self, kind: &str, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>, WalletError> {
        get(&*self.lock()?, &self.keys, kind, id)
    }

    /// Every record of `kind`.
    pub fn list(&self, kind: &str) -> Result<Vec<Plain>, WalletError> {
        list(&*self.lock()?, &self.keys, kind)
    }

    /// Runs `f` in one write transaction: the MAC is checked first, the
    /// generation bumped and the MAC renewed at the end. Returns `f`'s value
    /// and the new generation.
    pub fn update<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, WalletError>,
    ) -> Result<(T, u64), WalletError> {
        let mut conn = self.lock_to_write()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = header(&tx)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        check_mac(&tx, &self.keys, &h)?;
        let generation = h.generation + 1;
        let mut t = Tx { tx, keys: &self.keys, generation };
        let value = f(&mut t)?;
        let mac = self.keys.mac(&t.tx, generation, &h.root_row())?;
        t.tx.execute(
            "UPDATE wallet SET generation = ?1, mac = ?2 WHERE singleton = 1",
            params![generation as i64, &mac[..]],
        )?;
        t.tx.commit()?;
        Ok((value, generation))
    }

    /// Re-wraps the root under a new passphrase (and parameters). Records are
    /// untouched: only the root row changes.
    pub fn change_passphrase(
        &self,
        root: &RootSecret,
        new: &[u8],
        params: &KdfParams,
    ) -> Result<(), WalletError> {
        let (kdf_text, salt, wrapped) = wrap_root(root, new, params, &self.keys.wallet_id)?;
        let mut conn = self.lock_to_write()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = header(&tx)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        check_mac(&tx, &self.keys, &h)?;
        let mac =
            self.keys.mac(&tx, h.generation, &RootRow { kdf: &kdf_text, salt: &salt, wrapped: &wrapped })?;
        tx.execute(
            "UPDATE wallet SET kdf = ?1, salt = ?2, wrapped_root = ?3, mac = ?4 WHERE singleton = 1",
            params![kdf_text, &salt[..], wrapped, &mac[..]],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Re-keys: every record re-sealed under keys from `new_root`, the root
    /// re-wrapped under `passphrase`, a new MAC; one transaction. `updates`
    /// (kind, id, new plaintext) replace or add records in the same
    /// transaction.
    pub fn rekey(
        &mut self,
        new_root: &RootSecret,
        passphrase: &[u8],
        params: &KdfParams,
        updates: &[(&str, &str, &[u8])],
    ) -> Result<u64, WalletError> {
        let new_keys = Keys::new(self.keys.wallet_id, new_root);
        let (kdf_text, salt, wrapped) = wrap_root(new_root, passphrase, params, &self.keys.wallet_id)?;
        let generation = {
            let mut conn = self.lock_to_write()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let h = header(&tx)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
            check_mac(&tx, &self.keys, &h)?;
            let generation = h.generation + 1;
            let rows: Vec<(String, String, i64, Vec<u8>)> = tx
                .prepare("SELECT kind, id, version, sealed FROM records")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            for (kind, id, new) in
                updates.iter().filter(|(k, i, _)| !rows.iter().any(|r| r.0 == *k && r.1 == *i))
            {
                let sealed = new_keys.seal(kind, id, generation, new)?;
                tx.execute(
                    "INSERT INTO records (kind, id, version, sealed) VALUES (?1, ?2, ?3, ?4)",
                    params![kind, id, generation as i64, sealed],
                )?;
            }
            for (kind, id, v, sealed) in rows {
                let plain = self.keys.open(&kind, &id, v as u64, &sealed)?;
                let plain = match updates.iter().find(|(k, i, _)| *k == kind && *i == id) {
                    Some((_, _, new)) => Zeroizing::new(new.to_vec()),
                    None => plain,
                };
                let resealed = new_keys.seal(&kind, &id, generation, &plain)?;
                tx.execute(
                    "UPDATE records SET version = ?1, sealed = ?2 WHERE kind = ?3 AND id = ?4",
                    params![generation as i64, resealed, kind, id],
                )?;
            }
            let mac =
                new_keys.mac(&tx, generation, &RootRow { kdf: &kdf_text, salt: &salt, wrapped: &wrapped })?;
            tx.execute(
                "UPDATE wallet SET kdf = ?1, salt = ?2, wrapped_root = ?3, generation = ?4, mac = ?5 WHERE singleton = 1",
                params![kdf_text, &salt[..], wrapped, generation as i64, &mac[..]],
            )?;
            tx.commit()?;
            generation
        };
        self.keys = new_keys;
        Ok(generation)
    }

    /// Every record in plain form (for a backup), with the generation they
    /// were read at.
    pub fn export(&self) -> Result<(u64, Vec<PlainRecord>), WalletError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let h = header(&tx)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        check_mac(&tx, &self.keys, &h)?;
        let rows: Vec<(String, String, i64, Vec<u8>)> = tx
            .prepare("SELECT kind, id, version, sealed FROM records ORDER BY kind, id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (kind, id, v, sealed) in rows {
            let plain = self.keys.open(&kind, &id, v as u64, &sealed)?;
            let value = serde_json::from_slice(&plain)
                .map_err(|_| WalletError::Tampered(format!("record {kind}/{id} is not JSON")))?;
            out.push(PlainRecord { kind, id, value });
        }
        Ok((h.generation, out))
    }

    /// Replaces every record with `records` and sets the generation to at
    /// least `generation` (restore from a backup), in one transaction. Works
    /// on a tampered store: restoring is how a tampered wallet is repaired.
    pub fn replace_all(&self, generation: u64, records: &[PlainRecord]) -> Result<u64, WalletError> {
        let mut conn = self.lock_to_write()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = header(&tx)?.ok_or_else(|| WalletError::Tampered("the wallet row is missing".into()))?;
        let generation = generation.max(h.generation) + 1;
        tx.execute("DELETE FROM records", [])?;
        for r in records {
            let plain = Zeroizing::new(serde_json::to_vec(&r.value).map_err(WalletError::Encode)?);
            let sealed = self.keys.seal(&r.kind, &r.id, generation, &plain)?;
            tx.execute(
                "INSERT INTO records (kind, id, version, sealed) VALUES (?1, ?2, ?3, ?4)",
                params![r.kind, r.id, generation as i64, sealed],
            )?;
        }
        let mac = self.keys.mac(&tx, generation, &h.root_row())?;
        tx.execute(
            "UPDATE wallet SET generation = ?1, mac = ?2 WHERE singleton = 1",
            params![generation as i64, &mac[..]],
        )?;
        tx.commit()?;
        Ok(generation)
    }
}

fn check_mac(conn: &Connection, keys: &Keys, h: &Header) -> Result<(), WalletError> {
    let expected = keys.mac(conn, h.generation, &h.root_row())?;
    // Constant time: no early exit on the first differing byte.
    let diff = expected.iter().zip(h.mac.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if h.mac.len() != expected.len() || diff != 0 {
        return Err(WalletError::Tampered(
            "the store MAC does not match its records (a row was deleted, added or rolled back)".into(),
        ));
    }
    Ok(())
}
