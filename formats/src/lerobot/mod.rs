//! LeRobot datasets: layouts v2.0, v2.1 and v3.0, read from `meta/info.json`. Registered formats:
//! `lerobot-tasks` (one row per task), `lerobot-frames` (one row per frame) and `lerobot-episodes` (one row per
//! episode with a video per camera).

mod episodes;
mod frames;
mod info;
mod layout;
mod tasks;

use lakefeed_core::{
    Format, FormatDescriptor, FormatEnv, FormatGroup, Result, options_schema, parse_options,
};
use schemars::JsonSchema;
use serde::Deserialize;

pub use episodes::Episodes;
pub use frames::Frames;
pub use info::{Dataset, Info, Layout};
pub use layout::{DataFile, EpisodeMeta, Present, Selection, VideoSpan};
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
    let sel = Selection::new(o.chunk_start, o.chunk_end, o.episodes);
    let present = layout::present(&dataset, &sel)?;
    Ok(Box::new(Frames::new(
        dataset,
        present,
        sel.episodes,
        o.keep_vectors,
    )?))
}

/// Options of `lerobot-episodes`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodesOptions {
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
}

fn build_episodes(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    let o: EpisodesOptions = parse_options("lerobot-episodes", options)?;
    let dataset = Dataset::open(&env.resolve(&o.dataset_dir))?;
    let sel = Selection::new(o.chunk_start, o.chunk_end, o.episodes);
    let present = layout::present(&dataset, &sel)?;
    Ok(Box::new(Episodes::new(dataset, present)?))
}

inventory::submit! {
    FormatDescriptor {
        name: "lerobot-episodes",
        description: "LeRobot dataset episodes (v2.0/v2.1/v3.0): episode_index, task, length, and a standalone MP4 per camera (v3.0: cut exactly out of the shared file by stream copy).",
        example: r#"{"dataset_dir": "lerobot-v30/open50_episode0_partial"}"#,
        options_schema: options_schema::<EpisodesOptions>,
        build: build_episodes,
    }
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

inventory::submit! {
    FormatGroup {
        name: "lerobot",
        description: "A whole LeRobot dataset into {prefix}_tasks, {prefix}_frames and {prefix}_episodes.",
        source_option: "dataset_dir",
        members: &[
            ("tasks", "lerobot-tasks"),
            ("frames", "lerobot-frames"),
            ("episodes", "lerobot-episodes"),
        ],
    }
}
