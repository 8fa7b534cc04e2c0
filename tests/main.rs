//! lakefeed's one integration-test binary; each module is a topic.

mod common;

// The example plugins, linked so the registry test sees every format a user could link.
use lakefeed_format_image_manifest as _;
use lakefeed_format_ndjson_stats as _;

mod bad_files;
mod cli;
mod client;
mod coco;
mod engine;
mod files;
mod golden;
mod huggingface;
mod layout;
mod lerobot;
mod lerobot_episodes;
mod managed;
mod manifest;
mod object_store;
mod plugins;
mod python;
mod registry;
mod remote;
mod rerun;
mod search;
mod server;
mod shards;
mod thumbnails;
