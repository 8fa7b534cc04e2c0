//! lakefeed: turn videos, images, PDFs, text, COCO, LeRobot and HuggingFace data into typed, searchable tables.
//!
//! This crate is the engine and the command line. It builds on [`lakefeed_core`] (the plugin API, re-exported
//! here) with: one ingest path ([`IngestJob`]), the [`pipeline`] and its side [`stages`] (thumbnails), the Lance
//! [`store`] (the data plane), [`sql`] (the query engine over it), [`remote`] (a service as store and engine),
//! the [`wire`] contract `remote` and the [`server`] share, one [`Backend`] (store + engine) that every front
//! holds, the [`blocking`] facade and [`Client`], YAML [`manifest`]s and the [`cli`]. A binary with extra
//! formats is:
//!
//! ```ignore
//! use my_format_crate as _; // link its registered formats
//! fn main() -> std::process::ExitCode { lakefeed::cli::main() }
//! ```

pub mod backend;
pub mod blocking;
#[cfg(feature = "cli")]
pub mod cli;
pub mod client;
pub mod job;
pub mod manifest;
pub mod options;
pub mod pipeline;
#[cfg(feature = "remote")]
pub mod remote;
pub mod retry;
pub mod runtime;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "lance")]
pub mod shard;
#[cfg(feature = "lance")]
pub mod sql;
pub mod stages;
#[cfg(feature = "lance")]
pub mod store;
pub mod uri;
pub mod wire;

pub use backend::{Backend, StorageOptions, Target, WritePath};
pub use blocking::{Store, block_on};
#[cfg(feature = "remote")]
pub use client::ManagedClient;
pub use client::{Client, OpenTable, QueryBuilder, TableQuery};
pub use job::{IngestData, IngestJob, IngestResult};
pub use lakefeed_core::*;
pub use lakefeed_formats;
pub use options::{IngestOptions, ProgressFn, ShardRun, WriteMode};
#[cfg(feature = "remote")]
pub use remote::RemoteStore;
#[cfg(feature = "lance")]
pub use sql::SqlEngine;
#[cfg(feature = "lance")]
pub use store::LanceStore;

/// Makes sure the built-in formats are linked into any binary using this crate.
pub fn link_builtin_formats() {
    lakefeed_formats::link();
}
