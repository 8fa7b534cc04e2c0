//! Reading a source's own files (JSON metadata, required directories) with errors that name the file.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use lakefeed_core::{Error, Result};
use serde::de::DeserializeOwned;

/// Reads and parses a JSON file; a syntax or shape error names the file, line and column.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
    serde_json::from_reader(BufReader::with_capacity(1 << 20, file)).map_err(|e| {
        Error::bad_source(
            path,
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })
}

/// A directory that must exist, else an error before any row.
pub fn require_dir(path: &Path, what: &str) -> Result<()> {
    if path.is_dir() {
        Ok(())
    } else if path.exists() {
        Err(Error::bad_source(
            path,
            format!("{what} is not a directory"),
        ))
    } else {
        Err(Error::FileNotFound {
            path: path.to_path_buf(),
        })
    }
}

/// Reads a JSON Lines file (blank lines skipped); an error names the file and line.
pub fn load_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::from_io(path, &e))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .map_err(|e| Error::bad_source(path, format!("line {}: {e}", n + 1)))?,
        );
    }
    Ok(out)
}
