//! Expanding the `paths` option (files, directories, globs) into a sorted, de-duplicated list of files.

use std::path::{Path, PathBuf};

use lakefeed_core::{Error, FormatEnv, Result};

/// Expands each entry: a file stays, a directory is walked recursively (hidden entries skipped), a pattern with
/// `*`, `?` or `[` is a glob. A named file or directory that does not exist, or a glob matching nothing, is an
/// error before any row. Order: entries in the order given, each expanded in sorted order; duplicates dropped.
pub fn expand(entries: &[String], env: &FormatEnv) -> Result<Vec<PathBuf>> {
    if entries.is_empty() {
        return Err(Error::Ingest("FILE columns contain no file paths.".into()));
    }
    let mut out = Vec::new();
    for entry in entries {
        let resolved = env.resolve(entry);
        if entry.contains(['*', '?', '[']) {
            let pattern = resolved.to_string_lossy().to_string();
            let mut hits: Vec<PathBuf> = glob::glob(&pattern)
                .map_err(|e| Error::Ingest(format!("bad glob '{entry}': {e}")))?
                .filter_map(std::result::Result::ok)
                .collect();
            hits.sort();
            if hits.is_empty() {
                return Err(Error::Ingest(format!("no files match '{entry}'")));
            }
            for h in hits {
                push_path(&h, &mut out)?;
            }
        } else if resolved.exists() {
            push_path(&resolved, &mut out)?;
        } else {
            return Err(Error::FileNotFound { path: resolved });
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    Ok(out)
}

fn push_path(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if p.is_dir() {
        walk(p, out).map_err(|e| Error::from_io(p, &e))
    } else {
        out.push(p.to_path_buf());
        Ok(())
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}
