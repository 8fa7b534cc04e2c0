//! Per-table lock files for a local store: creating a table, and keyed writers' probe + commit, are serialised
//! across processes (an object store has no lock files; its writers rely on Lance's commit checks alone). Lance alone would let a second "create" land as an overwrite of the first table (an overwrite
//! commutes with every other commit), and two keyed writers could both find a key absent.

use lakefeed_core::{Error, Result};

/// Takes the table's lock at `path` (blocking in a thread of its own); released when the file is dropped, or by
/// the OS when the process dies. No path (an object store): nothing to take.
pub(super) async fn lock(path: Option<&std::path::Path>) -> Result<Option<std::fs::File>> {
    let Some(path) = path.map(std::path::Path::to_path_buf) else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        f.lock()?;
        Ok::<_, std::io::Error>(f)
    })
    .await
    .map_err(|e| Error::Other(format!("lock task failed: {e}")))?
    .map(Some)
    .map_err(|e| Error::store("cannot take the table's lock", e))
}
