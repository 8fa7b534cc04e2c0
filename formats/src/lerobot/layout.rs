//! Where a dataset's data files are: from `meta/episodes.jsonl` (v2) or `meta/episodes/**.parquet` (v3), through
//! info.json's `data_path` template, never a hard-coded path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use lakefeed_core::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array};
use lakefeed_core::arrow::compute::cast;
use lakefeed_core::arrow::datatypes::{DataType, Float64Type, Int64Type};
use lakefeed_core::{Error, IngestContext, Result};
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
    /// A chunk range (inclusive) and an episode list; `None` selects all.
    pub fn new(
        chunk_start: Option<u64>,
        chunk_end: Option<u64>,
        episodes: Option<Vec<i64>>,
    ) -> Self {
        Self {
            chunk_start,
            chunk_end,
            episodes: episodes.map(|e| e.into_iter().collect()),
        }
    }

    pub fn wants(&self, chunk: u64, episode: i64) -> bool {
        self.chunk_start.is_none_or(|s| chunk >= s)
            && self.chunk_end.is_none_or(|e| chunk <= e)
            && self.episodes.as_ref().is_none_or(|e| e.contains(&episode))
    }
}

/// What the metadata says about one episode.
#[derive(Debug, Clone, Default)]
pub struct EpisodeMeta {
    /// Its index.
    pub index: i64,
    /// Its tasks, in order.
    pub tasks: Vec<String>,
    /// Its frame count.
    pub length: Option<i64>,
    /// The chunk of its data file.
    pub chunk: u64,
    /// Its data file's index in the chunk (v3), or the episode index (v2).
    pub file: i64,
    /// Per camera feature: where its frames are in a shared video file (v3 only).
    pub videos: BTreeMap<String, VideoSpan>,
}

/// Where an episode's frames are in a v3 video file.
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoSpan {
    /// The video file's chunk.
    pub chunk: i64,
    /// The video file's index in the chunk.
    pub file: i64,
    /// Start of the episode in the file (seconds).
    pub from: f64,
    /// End of the episode in the file (seconds, exclusive).
    pub to: f64,
}

/// Every episode the metadata lists (v2 `meta/episodes.jsonl`, v3 `meta/episodes/**.parquet`).
pub fn episodes(ds: &Dataset) -> Result<Vec<EpisodeMeta>> {
    match ds.layout {
        Layout::V2 => {
            let size = ds.info.chunks_size.unwrap_or(1000).max(1);
            let lines: Vec<EpisodeLine> = load_jsonl(&ds.path("meta/episodes.jsonl"))?;
            Ok(lines
                .into_iter()
                .map(|e| EpisodeMeta {
                    index: e.episode_index,
                    tasks: e.tasks,
                    length: e.length,
                    chunk: e.episode_index.max(0) as u64 / size,
                    file: e.episode_index,
                    videos: BTreeMap::new(),
                })
                .collect())
        }
        Layout::V3 => v3_episodes(ds),
    }
}

/// The selected episodes whose data files are on disk, those files, and the data files the metadata lists but
/// the directory lacks (a partial download: the files win).
#[derive(Debug, Default)]
pub struct Present {
    /// Episodes with their data file.
    pub episodes: Vec<EpisodeMeta>,
    /// Their data files, in order.
    pub files: Vec<DataFile>,
    /// Listed data files that are not on disk.
    pub missing: Vec<PathBuf>,
    /// Episodes selected from the metadata.
    pub selected: usize,
    /// Episodes info.json declares in all (`total_episodes`).
    pub declared: Option<u64>,
    /// Episodes the metadata lists in all.
    pub listed: usize,
}

/// Where the metadata and the files disagree, for the report.
#[derive(Debug, Clone, Default)]
pub struct Gaps {
    /// A summary, when they disagree.
    pub note: Option<String>,
    /// Listed data files that are not on disk.
    pub missing: Vec<PathBuf>,
}

impl Gaps {
    /// Puts the summary and each missing file (with what that leaves out, `consequence`) in the report.
    pub fn report(&self, ctx: &IngestContext, consequence: &str) {
        if let Some(note) = &self.note {
            ctx.warn(note.clone());
        }
        for path in &self.missing {
            ctx.skip(
                path,
                format!("listed by the dataset's metadata but not on disk (a partial download?){consequence}"),
            );
        }
    }
}

impl Present {
    /// What the report should say about the metadata and the files disagreeing.
    pub fn gaps(&self) -> Gaps {
        Gaps {
            note: self.disagreement(),
            missing: self.missing.clone(),
        }
    }

    /// A note for the report when the metadata and the files disagree.
    fn disagreement(&self) -> Option<String> {
        let mut notes = Vec::new();
        if let Some(d) = self.declared.filter(|d| *d != self.listed as u64) {
            notes.push(format!(
                "meta/info.json declares {d} episodes but the episode metadata lists {}",
                self.listed
            ));
        }
        if self.episodes.len() != self.selected {
            notes.push(format!(
                "{} of the {} selected episodes have no data file here ({} files missing), so they are left out",
                self.selected - self.episodes.len(),
                self.selected,
                self.missing.len()
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }
}

/// The selected episodes and data files that are present.
pub fn present(ds: &Dataset, sel: &Selection) -> Result<Present> {
    let template = ds.template("data_path", ds.info.data_path.as_ref())?;
    let (chunk_name, file_name) = match ds.layout {
        Layout::V2 => ("episode_chunk", "episode_index"),
        Layout::V3 => ("chunk_index", "file_index"),
    };
    let all = episodes(ds)?;
    let mut out = Present {
        declared: ds.info.total_episodes,
        listed: all.len(),
        ..Present::default()
    };
    let mut seen: BTreeMap<(u64, i64), bool> = BTreeMap::new();
    let mut chosen: Vec<EpisodeMeta> = all
        .into_iter()
        .filter(|e| sel.wants(e.chunk, e.index))
        .collect();
    chosen.sort_by_key(|e| (e.chunk, e.file, e.index));
    out.selected = chosen.len();
    for ep in chosen {
        let at = (ep.chunk, ep.file);
        let here = match seen.get(&at) {
            Some(here) => *here,
            None => {
                let values = [
                    (chunk_name, ep.chunk.to_string()),
                    (file_name, ep.file.to_string()),
                ];
                let path = ds.path(&render(&template, &values)?);
                let here = path.is_file();
                if here {
                    out.files.push(DataFile { path });
                } else {
                    out.missing.push(path);
                }
                seen.insert(at, here);
                here
            }
        };
        if here {
            out.episodes.push(ep);
        }
    }
    Ok(out)
}

/// The video file of `episode` for camera `key`.
pub fn video_file(ds: &Dataset, episode: &EpisodeMeta, key: &str) -> Result<PathBuf> {
    let template = ds.template("video_path", ds.info.video_path.as_ref())?;
    let values: Vec<(&str, String)> = match ds.layout {
        Layout::V2 => vec![
            ("episode_chunk", episode.chunk.to_string()),
            ("episode_index", episode.index.to_string()),
            ("video_key", key.to_string()),
        ],
        Layout::V3 => {
            let span = episode.videos.get(key).ok_or_else(|| {
                Error::bad_source(
                    ds.path("meta/episodes"),
                    format!("episode {} has no videos/{key}/ columns", episode.index),
                )
            })?;
            vec![
                ("chunk_index", span.chunk.to_string()),
                ("file_index", span.file.to_string()),
                ("video_key", key.to_string()),
            ]
        }
    };
    Ok(ds.path(&render(&template, &values)?))
}

#[derive(Deserialize)]
struct EpisodeLine {
    episode_index: i64,
    #[serde(default)]
    tasks: Vec<String>,
    #[serde(default)]
    length: Option<i64>,
}

/// The episodes of `meta/episodes/**.parquet`.
fn v3_episodes(ds: &Dataset) -> Result<Vec<EpisodeMeta>> {
    let mut files = Vec::new();
    parquet_files(&ds.path("meta/episodes"), &mut files)?;
    files.sort();
    let keys = ds.video_keys();
    let mut out = Vec::new();
    for path in files {
        let bad = |why: String| Error::bad_source(&path, why);
        let file = File::open(&path).map_err(|e| Error::from_io(&path, &e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| bad(e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(e.to_string()))?;
            let int = |name: &str| -> Result<Int64Array> {
                let c = batch
                    .column_by_name(name)
                    .ok_or_else(|| bad(format!("no column '{name}'")))?;
                let c =
                    cast(c, &DataType::Int64).map_err(|e| bad(format!("column '{name}': {e}")))?;
                Ok(c.as_primitive::<Int64Type>().clone())
            };
            let float = |name: &str| -> Result<Float64Array> {
                let c = batch
                    .column_by_name(name)
                    .ok_or_else(|| bad(format!("no column '{name}'")))?;
                let c = cast(c, &DataType::Float64)
                    .map_err(|e| bad(format!("column '{name}': {e}")))?;
                Ok(c.as_primitive::<Float64Type>().clone())
            };
            let (ep, chunk, file) = (
                int("episode_index")?,
                int("data/chunk_index")?,
                int("data/file_index")?,
            );
            let length = batch
                .column_by_name("length")
                .map(|_| int("length"))
                .transpose()?;
            let tasks = batch.column_by_name("tasks").map(task_lists);
            let mut spans = Vec::new();
            for key in &keys {
                let col = |part: &str| format!("videos/{key}/{part}");
                if batch.column_by_name(&col("from_timestamp")).is_none() {
                    continue;
                }
                spans.push((
                    key.clone(),
                    int(&col("chunk_index"))?,
                    int(&col("file_index"))?,
                    float(&col("from_timestamp"))?,
                    float(&col("to_timestamp"))?,
                ));
            }
            for i in 0..batch.num_rows() {
                out.push(EpisodeMeta {
                    index: ep.value(i),
                    tasks: tasks.as_ref().map(|t| t[i].clone()).unwrap_or_default(),
                    length: length
                        .as_ref()
                        .filter(|l| l.is_valid(i))
                        .map(|l| l.value(i)),
                    chunk: chunk.value(i).max(0) as u64,
                    file: file.value(i),
                    videos: spans
                        .iter()
                        .map(|(k, c, f, a, b)| {
                            let span = VideoSpan {
                                chunk: c.value(i),
                                file: f.value(i),
                                from: a.value(i),
                                to: b.value(i),
                            };
                            (k.clone(), span)
                        })
                        .collect(),
                });
            }
        }
    }
    Ok(out)
}

/// Each row's tasks: a list of strings, or one string.
fn task_lists(col: &ArrayRef) -> Vec<Vec<String>> {
    let strings = |a: &dyn Array| -> Vec<String> {
        cast(a, &DataType::Utf8)
            .ok()
            .map(|s| {
                s.as_string::<i32>()
                    .iter()
                    .flatten()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let col = match col.data_type() {
        DataType::LargeList(f) => {
            cast(col, &DataType::List(f.clone())).unwrap_or_else(|_| col.clone())
        }
        _ => col.clone(),
    };
    match col.data_type() {
        DataType::List(_) => {
            let l = col.as_list::<i32>();
            (0..l.len())
                .map(|i| {
                    if l.is_null(i) {
                        Vec::new()
                    } else {
                        strings(l.value(i).as_ref())
                    }
                })
                .collect()
        }
        _ => {
            let all = cast(&col, &DataType::Utf8).ok();
            let s = all.as_ref().map(|a| a.as_string::<i32>());
            (0..col.len())
                .map(|i| {
                    s.filter(|s| s.is_valid(i))
                        .map(|s| vec![s.value(i).to_string()])
                        .unwrap_or_default()
                })
                .collect()
        }
    }
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
fn render(template: &str, values: &[(&str, String)]) -> Result<String> {
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
            .map(|(_, v)| v.as_str())
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
        match value.parse::<i64>() {
            Ok(n) if width > 0 => out.push_str(&format!("{n:0width$}")),
            _ => out.push_str(value),
        }
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
        let values = [
            ("episode_chunk", "0".into()),
            ("episode_index", "29".into()),
        ];
        let got = super::render(t, &values).unwrap();
        assert_eq!(got, "data/chunk-000/episode_000029.parquet");
        assert!(super::render("x/{nope}", &[]).is_err());
    }
}
