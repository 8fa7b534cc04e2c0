//! lakefeed's one integration-test binary; each module is a topic.

mod common;

mod bad_files;
mod cli;
mod client;
mod coco;
mod engine;
mod files;
mod huggingface;
mod lerobot;
mod lerobot_episodes;
mod manifest;
mod python;
mod registry;
mod rerun;
mod search;
mod thumbnails;
