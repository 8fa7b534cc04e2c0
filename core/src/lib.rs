//! lakefeed-core: the data model, the `Format` trait and registry, the pipeline, table stores, SQL and the client.
//!
//! Data flows one way: a [`Format`] yields Arrow batches → side stages (thumbnails) → a [`TableStore`].

pub mod client;
pub mod error;
pub mod format;
pub mod infer;
pub mod manifest;
pub mod pipeline;
pub mod query;
pub mod report;
pub mod rows;
pub mod schema;
pub mod sql;
pub mod store;
pub mod thumbnail;
pub mod types;
mod util;

pub use client::{Client, IngestData, IngestResult, OpenTable, TableQuery};
pub use error::{Error, ErrorClass, Result};
pub use format::{
    Batches, Format, FormatDescriptor, FormatEnv, IngestContext, batches_in_runs, build_format,
    find_format, formats, options_schema, parse_options,
};
pub use pipeline::{IngestOptions, ProgressFn, SideStage, WriteMode};
pub use query::{QueryBuilder, QueryResult};
pub use report::{RunReport, Skip};
pub use schema::Hints;
pub use store::{LocalStore, TableStore};
pub use types::LogicalType;
pub use util::did_you_mean;

/// Re-exported so format crates use the same versions.
pub use arrow;
pub use inventory;
pub use schemars;
pub use serde_json;
