//! Durable file writes, the one way didam writes files it must not lose:
//! write a temporary file beside the target, fsync it, rename it over the
//! target, fsync the directory. A crash leaves the old file or the new one.

use std::io::Write as _;
use std::path::Path;

/// Writes `contents` to `path` atomically and durably.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // Unique per call: two threads of one process may write the same file.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{call}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether `e` says this process may not write there (permissions, or a
/// read-only file system).
pub fn is_read_only(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem)
}

/// Opens the existing SQLite file at `path` to read it only, creating
/// nothing that stays beside it, and refusing writes itself (`PRAGMA
/// query_only`):
/// 1. a file this process may write is opened as usual but without
///    `SQLITE_OPEN_CREATE` (its last connection then removes the WAL files
///    as SQLite always does);
/// 2. otherwise with `SQLITE_OPEN_READ_ONLY`;
/// 3. when SQLite cannot read it so (no shared-memory file, and a folder it
///    cannot make one in) and the last writer left no WAL frames (no `-wal`
///    file, or an empty one), `immutable=1`: SQLite then needs no
///    shared-memory file. A WAL file holding frames is an error instead
///    (reading past it would miss committed writes).
///
/// The first read is tried here, so an error shows now.
/// See: <https://www.sqlite.org/wal.html#readonly> and
/// <https://www.sqlite.org/uri.html#uriimmutable>
#[cfg(feature = "sqlite")]
pub fn open_sqlite_read_only(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::{Connection, ErrorCode, OpenFlags};
    let common = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let probe = |conn: &Connection| {
        conn.pragma_update(None, "query_only", "ON")?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
    };
    let writable = std::fs::OpenOptions::new().read(true).write(true).open(path).is_ok();
    let flags = if writable { OpenFlags::SQLITE_OPEN_READ_WRITE } else { OpenFlags::SQLITE_OPEN_READ_ONLY };
    let conn = Connection::open_with_flags(path, flags | common)?;
    let failed = match probe(&conn) {
        Ok(_) => return Ok(conn),
        Err(e) => e,
    };
    drop(conn);
    if !matches!(failed.sqlite_error_code(), Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)) {
        return Err(failed);
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(Path::new(&wal)).is_ok_and(|m| m.len() > 0) {
        return Err(failed);
    }
    let uri = immutable_uri(path).ok_or(failed)?;
    let conn = Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | common)?;
    probe(&conn)?;
    Ok(conn)
}

/// The `file:` URI of `path` with `immutable=1`, its path percent-encoded
/// where the URI syntax needs it (`None`: not valid UTF-8, or no absolute
/// form).
#[cfg(feature = "sqlite")]
fn immutable_uri(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    let mut uri = String::from("file:");
    for b in absolute.to_str()?.bytes() {
        match b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(b)),
        }
    }
    uri.push_str("?immutable=1");
    Some(uri)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("didam-file-{}", std::process::id()));
        let path = dir.join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn threads_writing_one_file_at_once_all_succeed() {
        let dir = std::env::temp_dir().join(format!("didam-file-threads-{}", std::process::id()));
        let path = dir.join("checkpoint");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_atomic(path, &[i; 64]).unwrap();
                    }
                });
            }
        });
        let contents = std::fs::read(&path).unwrap();
        assert!(contents.len() == 64 && contents.iter().all(|b| *b == contents[0]), "one whole write");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
