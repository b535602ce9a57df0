//! The tips tree in the ledger file: its nodes by hash (`tips_tree`), and
//! the record count and root of each checkpoint's tree (`tips_roots`).
//!
//! A checkpoint's tree is built from the latest stored one below it by the
//! DIDs with entries in between ([`crate::tips::update`]), in the
//! checkpoint's transaction: a crash leaves both or neither. Nodes are never
//! overwritten, so every checkpoint's tree keeps its proofs.

use didam_credential::Did;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::{storage, to_i64};
use crate::ledger::{LedgerError, TipProof, TipRecord};
use crate::merkle::Hash;
use crate::tips::{self, Change, Lookup, Node, NodeSource, TipsError};

/// DIDs applied to the tree at a time: bounds the memory of a large build
/// (the first checkpoint of a ledger written before this tree).
const CHUNK: usize = 16_384;

/// Tips tree nodes read from the file.
struct TreeNodes<'a>(&'a Connection);

impl NodeSource for TreeNodes<'_> {
    type Error = LedgerError;

    fn node(&self, hash: &Hash) -> Result<Option<Node>, LedgerError> {
        let bytes: Option<Vec<u8>> = self
            .0
            .prepare_cached("SELECT node FROM tips_tree WHERE hash = ?1")
            .and_then(|mut stmt| stmt.query_row([hash.as_bytes().as_slice()], |r| r.get(0)).optional())
            .map_err(storage)?;
        let Some(bytes) = bytes else { return Ok(None) };
        let node = Node::decode(&bytes).filter(|n| n.hash() == *hash);
        node.map(Some)
            .ok_or_else(|| LedgerError::Corrupt(format!("tips tree node {hash} does not match its hash")))
    }
}

fn tree_error(e: TipsError<LedgerError>) -> LedgerError {
    match e {
        TipsError::Store(e) => e,
        TipsError::Missing(hashes) => LedgerError::Corrupt(format!(
            "tips tree node {} is missing",
            hashes.first().map(Hash::to_hex).unwrap_or_default()
        )),
        e => LedgerError::Corrupt(e.to_string()),
    }
}

/// The stored tips tree of the checkpoint of `size` leaves: (count, root).
fn stored(c: &Connection, size: u64) -> Result<Option<(u64, Hash)>, LedgerError> {
    let size_i = to_i64(size)?;
    let row: Option<(i64, Vec<u8>)> = c
        .prepare_cached("SELECT count, root FROM tips_roots WHERE size = ?1")
        .and_then(|mut stmt| stmt.query_row([size_i], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(storage)?;
    row.map(|(count, root)| {
        let root = root.try_into().map_err(|_| LedgerError::Corrupt(format!("tips root of size {size}")))?;
        Ok((count as u64, Hash(root)))
    })
    .transpose()
}

/// The tips tree of the checkpoint of `size` leaves, (count, root): the
/// stored one, or one built (and stored) from the latest stored tree below
/// `size` and the DIDs with entries since.
pub(super) fn tips_at(c: &Connection, size: u64) -> Result<(u64, Hash), LedgerError> {
    if let Some(found) = stored(c, size)? {
        return Ok(found);
    }
    let below: Option<(i64, i64, Vec<u8>)> = c
        .query_row(
            "SELECT size, count, root FROM tips_roots WHERE size < ?1 ORDER BY size DESC LIMIT 1",
            [to_i64(size)?],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(storage)?;
    let (from, mut count, mut root) = match below {
        Some((from, count, root)) => {
            let root =
                root.try_into().map_err(|_| LedgerError::Corrupt(format!("tips root of size {from}")))?;
            (from, count as u64, Hash(root))
        }
        None => (0, 0, tips::EMPTY),
    };
    // Each DID with entries in [from, size), with its latest one there.
    let mut stmt = c
        .prepare(
            "SELECT did, MAX(leaf_index), entry_hash FROM entries \
             WHERE leaf_index >= ?1 AND leaf_index < ?2 GROUP BY did",
        )
        .map_err(storage)?;
    let mut rows = stmt.query(params![from, to_i64(size)?]).map_err(storage)?;
    let mut changes: Vec<Change> = Vec::with_capacity(CHUNK.min(1024));
    loop {
        let row = rows.next().map_err(storage)?;
        let done = row.is_none();
        if let Some(row) = row {
            let record = TipRecord {
                did: row.get(0).map_err(storage)?,
                leaf_index: row.get::<_, i64>(1).map_err(storage)? as u64,
                entry_hash: row.get(2).map_err(storage)?,
            };
            changes.push((tips::key(&record.did), tips::value_hash(&record)));
        }
        if changes.len() >= CHUNK || (done && !changes.is_empty()) {
            let update =
                tips::update(&TreeNodes(c), root, std::mem::take(&mut changes)).map_err(tree_error)?;
            let mut insert = c
                .prepare_cached("INSERT OR IGNORE INTO tips_tree (hash, node) VALUES (?1, ?2)")
                .map_err(storage)?;
            for node in &update.nodes {
                insert
                    .execute(params![node.hash().as_bytes().as_slice(), node.encode().as_slice()])
                    .map_err(storage)?;
            }
            root = update.root;
            count += update.added;
        }
        if done {
            break;
        }
    }
    c.execute(
        "INSERT INTO tips_roots (size, count, root) VALUES (?1, ?2, ?3)",
        params![to_i64(size)?, to_i64(count)?, root.as_bytes().as_slice()],
    )
    .map_err(storage)?;
    Ok((count, root))
}

/// `did`'s record and its proof in the tips tree of the checkpoint of
/// `size` leaves (any checkpoint, not only the latest).
pub(super) fn proof(c: &Connection, did: &Did, size: u64) -> Result<TipProof, LedgerError> {
    let (count, root) = stored(c, size)?
        .ok_or_else(|| LedgerError::Unavailable(format!("no tips tree for a checkpoint of size {size}")))?;
    let size_i = to_i64(size)?;
    let row: Option<(i64, String)> = c
        .prepare_cached(
            "SELECT leaf_index, entry_hash FROM entries WHERE did = ?1 AND leaf_index < ?2 \
             ORDER BY leaf_index DESC LIMIT 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![did.as_str(), size_i], |r| Ok((r.get(0)?, r.get(1)?))).optional()
        })
        .map_err(storage)?;
    let (leaf_index, entry_hash) = row.ok_or_else(|| LedgerError::NotFound(did.clone()))?;
    let record = TipRecord { did: did.to_string(), leaf_index: leaf_index as u64, entry_hash };
    match tips::lookup(&TreeNodes(c), root, &tips::key(did.as_str())).map_err(tree_error)? {
        Lookup::Found { value, siblings } if value == tips::value_hash(&record) => {
            Ok(TipProof { record, count, proof: siblings })
        }
        _ => Err(LedgerError::Corrupt(format!(
            "the tips tree of size {size} does not hold the latest entry of {did}"
        ))),
    }
}
