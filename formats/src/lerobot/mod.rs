//! LeRobot datasets (§5.5): layouts v2.0, v2.1 and v3.0, read from `meta/info.json`. Registered formats:
//! `lerobot-tasks` (one row per task) and `lerobot-frames` (one row per frame). Episodes are to come (issue 11).

mod frames;
mod info;
mod layout;
mod tasks;

use lakefeed_core::{Format, FormatDescriptor, FormatEnv, Result, options_schema, parse_options};
use schemars::JsonSchema;
use serde::Deserialize;

pub use frames::Frames;
pub use info::{Dataset, Info, Layout};
pub use layout::{DataFile, Selection};
pub use tasks::Tasks;

/// Options of the LeRobot formats.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeRobotOptions {
    /// The dataset's root directory (holding `meta/info.json`).
    pub dataset_dir: String,
}

fn build_tasks(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    let o: LeRobotOptions = parse_options("lerobot-tasks", options)?;
    let dataset = Dataset::open(&env.resolve(&o.dataset_dir))?;
    Ok(Box::new(Tasks::read(&dataset)?))
}

/// Options of `lerobot-frames`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FramesOptions {
    /// The dataset's root directory (holding `meta/info.json`).
    pub dataset_dir: String,
    /// First chunk to read.
    #[serde(default)]
    pub chunk_start: Option<u64>,
    /// Last chunk to read (inclusive).
    #[serde(default)]
    pub chunk_end: Option<u64>,
    /// Only these episodes.
    #[serde(default)]
    pub episodes: Option<Vec<i64>>,
    /// Keep vector features whole (one EMBEDDING column each) instead of one FLOAT column per element.
    #[serde(default)]
    pub keep_vectors: bool,
}

fn build_frames(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    let o: FramesOptions = parse_options("lerobot-frames", options)?;
    let dataset = Dataset::open(&env.resolve(&o.dataset_dir))?;
    let sel = Selection {
        chunk_start: o.chunk_start,
        chunk_end: o.chunk_end,
        episodes: o.episodes.map(|e| e.into_iter().collect()),
    };
    let (files, missing) = layout::data_files(&dataset, &sel)?;
    Ok(Box::new(Frames::new(
        dataset,
        files,
        missing,
        sel.episodes,
        o.keep_vectors,
    )?))
}

inventory::submit! {
    FormatDescriptor {
        name: "lerobot-frames",
        description: "LeRobot dataset frames (v2.0/v2.1/v3.0): one row per frame, vector features unpacked into FLOAT columns.",
        example: r#"{"dataset_dir": "lerobot-v30/so101_record_test_no_videos"}"#,
        options_schema: options_schema::<FramesOptions>,
        build: build_frames,
    }
}

inventory::submit! {
    FormatDescriptor {
        name: "lerobot-tasks",
        description: "LeRobot dataset tasks (v2.0/v2.1/v3.0): task_index, task.",
        example: r#"{"dataset_dir": "lerobot-v21/g1_pick_bottle_partial"}"#,
        options_schema: options_schema::<LeRobotOptions>,
        build: build_tasks,
    }
}
