//! lakefeed's built-in formats, one module folder each. Each folder registers its format with
//! `inventory::submit!`; nothing else lists them.

pub mod coco;
mod coco_panoptic;
pub mod files;
pub mod huggingface;
pub mod lerobot;
pub mod media;
mod ordered;
pub mod rows;
mod source_files;

/// Call (or `use lakefeed_formats as _;`) from a binary so the linker keeps the built-in formats.
pub fn link() {}
