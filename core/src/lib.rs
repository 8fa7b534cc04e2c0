//! lakefeed-core: what a format author needs, and nothing heavier.
//!
//! Logical types and inference, schema hints, the [`Format`] trait and registry, [`SideStage`]s, the
//! [`TableStore`] and [`QueryEngine`] traits (to write a sink or a SQL front), run reports, errors and deterministic ids. No table store, SQL engine,
//! async runtime or media codec is compiled in: those are the engine's (the `lakefeed` crate).
//!
//! Data flows one way: a [`Format`] yields Arrow batches → side stages → a [`TableStore`].

pub mod columns;
pub mod error;
pub mod format;
pub mod group;
pub mod ids;
pub mod infer;
pub mod inputs;
mod names;
pub mod query;
pub mod report;
pub mod schema;
pub mod stage;
pub mod store;
pub mod types;
mod util;

pub use columns::{Columns, InMemory};
pub use error::{BoxError, Error, ErrorClass, Result, ResultExt};
pub use format::{
    Batches, Format, FormatDescriptor, FormatEnv, IngestContext, batches_in_runs, build_format,
    find_format, formats, options_schema, parse_options,
};
pub use group::{FormatGroup, GroupTable, find_group, format_groups};
pub use inputs::Input;
pub use names::column_name;
pub use query::QueryResult;
pub use report::{RunReport, Skip};
pub use schema::Hints;
pub use stage::SideStage;
pub use store::{
    BatchStream, Capabilities, QueryEngine, ScanSpec, Staged, TableStore, TableWriter, WriteMode,
    WriteSpec, Written, validate_table_name,
};
pub use types::LogicalType;
pub use util::did_you_mean;

/// Re-exported so a format crate can depend on `lakefeed-core` alone and use the same versions
/// (`#[serde(crate = "lakefeed_core::serde")]`, `#[schemars(crate = "lakefeed_core::schemars")]`).
pub use arrow;
pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json;
