//! lakefeed: turn videos, images, PDFs, text, COCO, LeRobot and HuggingFace data into typed, searchable tables.
//!
//! This crate is a facade: it re-exports [`lakefeed_core`] (client, formats registry, pipeline, stores), links
//! the built-in formats, and holds the command-line interface in [`cli`]. A binary with extra formats is:
//!
//! ```ignore
//! use my_format_crate as _; // link its registered formats
//! fn main() -> std::process::ExitCode { lakefeed::cli::main() }
//! ```

pub mod cli;

pub use lakefeed_core::*;
pub use lakefeed_formats;

/// Makes sure the built-in formats (and the bundled example plugin) are linked into any binary using this crate.
pub fn link_builtin_formats() {
    lakefeed_formats::link();
    use lakefeed_format_ndjson_stats as _;
}
