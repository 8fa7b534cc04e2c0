//! LeRobot datasets (§5.5): layouts v2.0, v2.1 and v3.0, read from `meta/info.json`. Registered formats:
//! `lerobot-tasks` (one row per task). Frames and episodes are to come (issue 11).

mod info;
mod tasks;

use lakefeed_core::{Format, FormatDescriptor, FormatEnv, Result, options_schema, parse_options};
use schemars::JsonSchema;
use serde::Deserialize;

pub use info::{Dataset, Info, Layout};
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

inventory::submit! {
    FormatDescriptor {
        name: "lerobot-tasks",
        description: "LeRobot dataset tasks (v2.0/v2.1/v3.0): task_index, task.",
        example: r#"{"dataset_dir": "lerobot-v21/g1_pick_bottle_partial"}"#,
        options_schema: options_schema::<LeRobotOptions>,
        build: build_tasks,
    }
}
