//! The stock lakefeed CLI plus your own formats, in one binary. Link each format crate (a crate the binary never
//! mentions is dropped by the linker, and its formats with it) and hand over to the CLI:
//! `cargo run --example lakefeed_plus -- formats` lists `image-manifest` and `ndjson-stats` next to the
//! built-in formats, and `--format image-manifest`, manifests and the JSON Schema all see them.

use lakefeed_format_image_manifest as _;
use lakefeed_format_ndjson_stats as _;

fn main() -> std::process::ExitCode {
    lakefeed::cli::main()
}
