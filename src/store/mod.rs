//! The Lance store: tables in a directory or under an object-store URI, one Lance dataset each, through
//! `lancedb`. It is the data plane only (tables, batches, keyed writes, deletes, columns, indexes, scans); SQL
//! over it is `crate::sql`'s.

mod index;
mod keys;
mod lance;
pub(crate) mod lance_error;
mod lock;
mod writer;

pub use index::fts_index_params;
pub use lance::LanceStore;
pub(crate) use lance::table_names;
