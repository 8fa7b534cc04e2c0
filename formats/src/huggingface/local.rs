//! Finding a dataset's shards on disk, in either layout `datasets` uses:
//! - the Hub's: parquet shards (`data/{split}-00000-of-00001.parquet`, `{config}/{split}/0000.parquet`), with the
//!   README card's `configs:` block naming each split's files when present;
//! - `save_to_disk`'s: Arrow IPC stream files per split (`dataset_dict.json` over `{split}/state.json` and
//!   `{split}/dataset_info.json`), or one split's files at the top.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lakefeed_core::{Error, Result};
use serde_json::Value;

use crate::source_files::load;

/// How a shard is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardKind {
    /// A parquet file.
    Parquet,
    /// An Arrow IPC stream (`save_to_disk`).
    ArrowStream,
}

/// One file of one split.
#[derive(Debug, Clone)]
pub struct Shard {
    /// Its split.
    pub split: String,
    /// Its place among the split's shards.
    pub index: usize,
    /// The file.
    pub path: PathBuf,
    /// Parquet or Arrow stream.
    pub kind: ShardKind,
}

/// The shards of a split (in order) per split, and the features when a metadata file gives them.
#[derive(Debug, Default)]
pub struct Found {
    /// Split → its files, in order.
    pub splits: BTreeMap<String, Vec<PathBuf>>,
    /// How they are stored.
    pub kind: Option<ShardKind>,
    /// `features` from `dataset_info.json`, when there is one.
    pub features: Option<Features>,
}

impl Found {
    /// The shards of `split` (`all`: every split, in name order), or an error naming the splits there are.
    pub fn select(&self, split: &str, what: &Path) -> Result<Vec<Shard>> {
        let kind = self.kind.unwrap_or(ShardKind::Parquet);
        let wanted: Vec<(&String, &Vec<PathBuf>)> = if split == "all" {
            self.splits.iter().collect()
        } else {
            self.splits.get_key_value(split).into_iter().collect()
        };
        if wanted.is_empty() {
            let have: Vec<&str> = self.splits.keys().map(String::as_str).collect();
            return Err(Error::bad_source(
                what,
                format!(
                    "no split '{split}' here; it has {}{}",
                    if have.is_empty() {
                        "none".to_string()
                    } else {
                        have.join(", ")
                    },
                    lakefeed_core::did_you_mean(split, have.iter().copied())
                ),
            ));
        }
        Ok(wanted
            .into_iter()
            .flat_map(|(name, files)| {
                files.iter().enumerate().map(move |(index, path)| Shard {
                    split: name.clone(),
                    index,
                    path: path.clone(),
                    kind,
                })
            })
            .collect())
    }
}

/// The shards of the dataset in `dir` for `config` (the card's default, or the only one, when `None`).
pub fn find(dir: &Path, config: Option<&str>) -> Result<Found> {
    if dir.join("dataset_dict.json").is_file() {
        return saved_dict(dir);
    }
    if dir.join("state.json").is_file() {
        let mut found = Found {
            kind: Some(ShardKind::ArrowStream),
            ..Found::default()
        };
        let (split, files, features) = saved_split(dir)?;
        found
            .splits
            .insert(split.unwrap_or_else(|| "train".into()), files);
        found.features = features;
        return Ok(found);
    }
    let mut found = match card_configs(dir)? {
        Some(configs) => from_card(dir, &configs, config)?,
        None => scanned(dir, config)?,
    };
    found.kind = Some(ShardKind::Parquet);
    if found.splits.is_empty() {
        return Err(Error::bad_source(
            dir,
            "no dataset here: neither parquet shards nor a save_to_disk dataset (dataset_dict.json or state.json)",
        ));
    }
    Ok(found)
}

/// A `DatasetDict.save_to_disk` directory.
fn saved_dict(dir: &Path) -> Result<Found> {
    let dict: Value = load(&dir.join("dataset_dict.json"))?;
    let splits = dict
        .get("splits")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::bad_source(dir.join("dataset_dict.json"), "no \"splits\" list"))?;
    let mut found = Found {
        kind: Some(ShardKind::ArrowStream),
        ..Found::default()
    };
    for name in splits.iter().filter_map(Value::as_str) {
        let (_, files, features) = saved_split(&dir.join(name))?;
        found.splits.insert(name.to_string(), files);
        if found.features.is_none() {
            found.features = features;
        }
    }
    Ok(found)
}

/// What a `Dataset.save_to_disk` directory holds: its split name (if recorded), data files and features.
type SavedSplit = (Option<String>, Vec<PathBuf>, Option<Features>);

/// HF features by column.
type Features = serde_json::Map<String, Value>;

/// One `Dataset.save_to_disk` directory.
fn saved_split(dir: &Path) -> Result<SavedSplit> {
    let state: Value = load(&dir.join("state.json"))?;
    let files: Vec<PathBuf> = state
        .get("_data_files")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter_map(|e| e.get("filename").and_then(Value::as_str))
                .map(|n| dir.join(n))
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        return Err(Error::bad_source(
            dir.join("state.json"),
            "lists no _data_files",
        ));
    }
    let info = dir.join("dataset_info.json");
    let features = if info.is_file() {
        let v: Value = load(&info)?;
        v.get("features").and_then(Value::as_object).cloned()
    } else {
        None
    };
    let split = state
        .get("_split")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((split, files, features))
}

/// The `configs:` block of the README card's YAML front matter, if any.
fn card_configs(dir: &Path) -> Result<Option<Vec<Value>>> {
    let path = dir.join("README.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let Some(rest) = text.strip_prefix("---") else {
        return Ok(None);
    };
    let Some(end) = rest.find("\n---") else {
        return Ok(None);
    };
    let card: Value = serde_saphyr::from_str(&rest[..end])
        .map_err(|e| Error::bad_source(&path, format!("its YAML card does not parse: {e}")))?;
    Ok(card.get("configs").and_then(Value::as_array).cloned())
}

/// The card's configs: pick one and expand each split's file patterns.
fn from_card(dir: &Path, configs: &[Value], config: Option<&str>) -> Result<Found> {
    let name_of = |c: &Value| {
        c.get("config_name")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string()
    };
    let names: Vec<String> = configs.iter().map(name_of).collect();
    let chosen = match config {
        Some(want) => configs.iter().find(|c| name_of(c) == want).ok_or_else(|| {
            Error::bad_source(
                dir.join("README.md"),
                format!(
                    "no config '{want}'; the card has {}{}",
                    names.join(", "),
                    lakefeed_core::did_you_mean(want, names.iter().map(String::as_str))
                ),
            )
        })?,
        None => configs
            .iter()
            .find(|c| c.get("default").and_then(Value::as_bool) == Some(true))
            .or_else(|| configs.iter().find(|c| name_of(c) == "default"))
            .or(configs.first())
            .ok_or_else(|| Error::bad_source(dir.join("README.md"), "its card lists no configs"))?,
    };
    let mut found = Found::default();
    let entries: Vec<(String, Vec<String>)> = match chosen.get("data_files") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(p) => ("train".to_string(), vec![p.clone()]),
                other => (
                    other
                        .get("split")
                        .and_then(Value::as_str)
                        .unwrap_or("train")
                        .to_string(),
                    patterns(other.get("path")),
                ),
            })
            .collect(),
        Some(Value::String(p)) => vec![("train".into(), vec![p.clone()])],
        _ => Vec::new(),
    };
    for (split, pats) in entries {
        let files = found.splits.entry(split).or_default();
        for pat in pats {
            files.extend(glob_files(dir, &pat)?);
        }
    }
    Ok(found)
}

fn patterns(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn glob_files(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>> {
    let full = dir.join(pattern);
    let full = full.to_string_lossy();
    let mut files: Vec<PathBuf> = glob::glob(&full)
        .map_err(|e| {
            Error::bad_source(
                dir.join("README.md"),
                format!("bad data_files pattern '{pattern}': {e}"),
            )
        })?
        .filter_map(std::result::Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// No card: every parquet file below `dir`, its split from its name (`train-00000-of-00002.parquet`) or its
/// folder (`{config}/{split}/0000.parquet`), its config from the first folder when that is not `data`.
fn scanned(dir: &Path, config: Option<&str>) -> Result<Found> {
    let pattern = dir.join("**/*.parquet");
    let mut files: Vec<PathBuf> = glob::glob(&pattern.to_string_lossy())
        .map_err(|e| Error::bad_source(dir, e.to_string()))?
        .filter_map(std::result::Result::ok)
        .collect();
    files.sort();
    let mut found = Found::default();
    for path in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let file = parts.last().cloned().unwrap_or_default();
        let stem = file.trim_end_matches(".parquet");
        let split = match stem.split_once('-') {
            Some((s, _)) if !s.is_empty() && !s.chars().all(|c| c.is_ascii_digit()) => {
                s.to_string()
            }
            _ if parts.len() >= 2 => parts[parts.len() - 2]
                .trim_start_matches("partial-")
                .to_string(),
            _ => "train".to_string(),
        };
        let file_config = (parts.len() >= 3 && parts[0] != "data").then(|| parts[0].clone());
        if let (Some(want), Some(have)) = (config, &file_config)
            && want != have
        {
            continue;
        }
        found.splits.entry(split).or_default().push(path);
    }
    Ok(found)
}
