//! Where a dataset's data files are: from `meta/episodes.jsonl` (v2) or `meta/episodes/**.parquet` (v3), through
//! info.json's `data_path` template, never a hard-coded path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use lakefeed_core::arrow::array::AsArray;
use lakefeed_core::arrow::datatypes::Int64Type;
use lakefeed_core::{Error, Result};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;

use super::info::{Dataset, Layout};
use crate::source_files::load_jsonl;

/// A data file of the selection.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// Its path.
    pub path: PathBuf,
}

/// Which data files to read: a chunk range (inclusive) and an episode list.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// First chunk.
    pub chunk_start: Option<u64>,
    /// Last chunk (inclusive).
    pub chunk_end: Option<u64>,
    /// Only these episodes.
    pub episodes: Option<BTreeSet<i64>>,
}

impl Selection {
    fn wants(&self, chunk: u64, episode: i64) -> bool {
        self.chunk_start.is_none_or(|s| chunk >= s)
            && self.chunk_end.is_none_or(|e| chunk <= e)
            && self.episodes.as_ref().is_none_or(|e| e.contains(&episode))
    }
}

/// The selected data files that exist, and those the metadata lists but the directory lacks.
pub fn data_files(ds: &Dataset, sel: &Selection) -> Result<(Vec<DataFile>, Vec<PathBuf>)> {
    let template = ds
        .info
        .data_path
        .clone()
        .ok_or_else(|| Error::bad_source(ds.path("meta/info.json"), "no data_path template"))?;
    // (chunk, file or episode) → the template's values.
    let mut wanted: BTreeMap<(u64, i64), Vec<(&str, i64)>> = BTreeMap::new();
    match ds.layout {
        Layout::V2 => {
            let size = ds.info.chunks_size.unwrap_or(1000).max(1);
            for ep in v2_episodes(ds)? {
                let chunk = ep as u64 / size;
                if sel.wants(chunk, ep) {
                    wanted.insert(
                        (chunk, ep),
                        vec![("episode_chunk", chunk as i64), ("episode_index", ep)],
                    );
                }
            }
        }
        Layout::V3 => {
            for (ep, chunk, file) in v3_episodes(ds)? {
                if sel.wants(chunk as u64, ep) {
                    wanted.insert(
                        (chunk as u64, file),
                        vec![("chunk_index", chunk), ("file_index", file)],
                    );
                }
            }
        }
    }
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for (_, values) in wanted {
        let path = ds.path(&render(&template, &values)?);
        if path.is_file() {
            found.push(DataFile { path });
        } else {
            missing.push(path);
        }
    }
    Ok((found, missing))
}

#[derive(Deserialize)]
struct EpisodeLine {
    episode_index: i64,
}

fn v2_episodes(ds: &Dataset) -> Result<Vec<i64>> {
    let lines: Vec<EpisodeLine> = load_jsonl(&ds.path("meta/episodes.jsonl"))?;
    Ok(lines.into_iter().map(|e| e.episode_index).collect())
}

/// (episode, data chunk, data file) of every episode in `meta/episodes/**.parquet`.
fn v3_episodes(ds: &Dataset) -> Result<Vec<(i64, i64, i64)>> {
    let mut files = Vec::new();
    parquet_files(&ds.path("meta/episodes"), &mut files)?;
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let bad = |why: String| Error::bad_source(&path, why);
        let file = File::open(&path).map_err(|e| Error::from_io(&path, &e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| bad(e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(e.to_string()))?;
            let col = |name: &str| {
                batch
                    .column_by_name(name)
                    .and_then(|c| c.as_primitive_opt::<Int64Type>())
                    .ok_or_else(|| bad(format!("no INT64 column '{name}'")))
            };
            let (ep, chunk, file) = (
                col("episode_index")?,
                col("data/chunk_index")?,
                col("data/file_index")?,
            );
            for i in 0..batch.num_rows() {
                out.push((ep.value(i), chunk.value(i), file.value(i)));
            }
        }
    }
    Ok(out)
}

fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::from_io(dir, &e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::from_io(dir, &e))?.path();
        if path.is_dir() {
            parquet_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    Ok(())
}

/// Fills a Python-style template: `{name}` and `{name:0Nd}`.
fn render(template: &str, values: &[(&str, i64)]) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| Error::Ingest(format!("unclosed '{{' in path template '{template}'")))?;
        let field = &rest[open + 1..close];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                Error::Ingest(format!(
                    "path template '{template}' uses an unknown field '{name}'"
                ))
            })?;
        let width: usize = spec
            .trim_start_matches('0')
            .trim_end_matches('d')
            .parse()
            .unwrap_or(0);
        out.push_str(&format!("{value:0width$}"));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn python_style_templates() {
        let t = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet";
        let got = super::render(t, &[("episode_chunk", 0), ("episode_index", 29)]).unwrap();
        assert_eq!(got, "data/chunk-000/episode_000029.parquet");
        assert!(super::render("x/{nope}", &[]).is_err());
    }
}
