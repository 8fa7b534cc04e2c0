//! lakefeed: turn videos, images, PDFs, text, COCO, LeRobot and HuggingFace data into typed, searchable tables.
//!
//! This crate is the engine and the command line. It builds on [`lakefeed_core`] (the plugin API, re-exported
//! here) with: one ingest path ([`IngestJob`]), the [`pipeline`] and its side [`stages`] (thumbnails), the
//! stores ([`store`]: the async [`TableStore`] trait's Lance implementation and the blocking [`Store`]
//! facade), SQL ([`sql`]), the blocking [`Client`], YAML [`manifest`]s and the [`cli`]. A binary with extra
//! formats is:
//!
//! ```ignore
//! use my_format_crate as _; // link its registered formats
//! fn main() -> std::process::ExitCode { lakefeed::cli::main() }
//! ```

pub mod cli;
pub mod client;
pub mod ipc;
pub mod job;
pub mod manifest;
pub mod options;
pub mod pipeline;
pub mod remote;
pub mod server;
pub mod sql;
pub mod stages;
pub mod store;

pub use client::{Client, ManagedClient, OpenTable, QueryBuilder, TableQuery};
pub use job::{IngestData, IngestJob, IngestResult};
pub use lakefeed_core::*;
pub use lakefeed_formats;
pub use options::{IngestOptions, ProgressFn, WriteMode};
pub use remote::{RemoteStore, WritePath};
pub use store::{LocalStore, Store};

/// Makes sure the built-in formats are linked into any binary using this crate.
pub fn link_builtin_formats() {
    lakefeed_formats::link();
}
