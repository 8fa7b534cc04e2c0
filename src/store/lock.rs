//! Per-table lock files for the local store: creating a table, and keyed writers' probe + commit, are serialised
//! across processes. Lance alone would let a second "create" land as an overwrite of the first table (an overwrite
//! commutes with every other commit), and two keyed writers could both find a key absent.

use lakefeed_core::{Error, Result};

/// Takes the table's lock (blocking in a thread of its own); released when the file is dropped, or by
/// the OS when the process dies.
pub(super) async fn lock(path: &std::path::Path) -> Result<std::fs::File> {
    let path = path.to_path_buf();
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
    .map_err(|e| Error::store("cannot take the table's lock", e))
}
