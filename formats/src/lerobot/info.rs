//! `meta/info.json` of a LeRobot dataset: which layout it uses, and the facts every table needs.

use std::path::{Path, PathBuf};

use lakefeed_core::{Error, Result};
use serde::Deserialize;

use crate::source_files::{load, require_dir};

/// The two on-disk layouts LeRobot has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// v2.0 / v2.1: one data file and one video per episode and camera, `meta/tasks.jsonl`, `meta/episodes.jsonl`.
    V2,
    /// v3.0: many episodes per file, `meta/tasks.parquet`, `meta/episodes/**.parquet`.
    V3,
}

/// The parts of `meta/info.json` lakefeed reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Info {
    /// `v2.0`, `v2.1` or `v3.0`.
    pub codebase_version: String,
    /// Episodes per chunk (v2).
    #[serde(default)]
    pub chunks_size: Option<u64>,
    /// Template of data file paths.
    #[serde(default)]
    pub data_path: Option<String>,
    /// Template of video file paths.
    #[serde(default)]
    pub video_path: Option<String>,
    /// Episodes in the whole dataset.
    #[serde(default)]
    pub total_episodes: Option<u64>,
    /// Frames per second.
    #[serde(default)]
    pub fps: Option<f64>,
    /// Feature name → its description (dtype, shape, names).
    #[serde(default)]
    pub features: serde_json::Map<String, serde_json::Value>,
}

/// A dataset directory with its info.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The dataset's root.
    pub dir: PathBuf,
    /// Its `meta/info.json`.
    pub info: Info,
    /// Its layout, from `codebase_version`.
    pub layout: Layout,
}

impl Dataset {
    /// Opens `dir`: reads `meta/info.json` and checks the layout is one lakefeed reads.
    pub fn open(dir: &Path) -> Result<Self> {
        require_dir(dir, "dataset_dir")?;
        let path = dir.join("meta/info.json");
        let info: Info = load(&path)?;
        let layout = match info.codebase_version.as_str() {
            "v2.0" | "v2.1" => Layout::V2,
            "v3.0" => Layout::V3,
            other => {
                return Err(Error::bad_source(
                    &path,
                    format!(
                        "codebase_version '{other}' is not supported; lakefeed reads LeRobot v2.0, v2.1 and v3.0"
                    ),
                ));
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            info,
            layout,
        })
    }

    /// The camera features (dtype `video`), in info.json order.
    pub fn video_keys(&self) -> Vec<String> {
        self.info
            .features
            .iter()
            .filter(|(_, f)| f.get("dtype").and_then(|d| d.as_str()) == Some("video"))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A path template of info.json (`data_path`, `video_path`).
    pub fn template(&self, name: &str, value: Option<&String>) -> Result<String> {
        value.cloned().ok_or_else(|| {
            Error::bad_source(self.path("meta/info.json"), format!("no {name} template"))
        })
    }

    /// A path inside the dataset.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
}
