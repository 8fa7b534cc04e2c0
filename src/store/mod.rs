//! The Lance store: tables in a directory or under an object-store URI, one Lance dataset each, through
//! `lancedb`. It is the data plane only (tables, batches, keyed writes, deletes, columns, indexes, scans); SQL
//! over it is `crate::sql`'s.

mod fragments;
mod index;
mod keyed_commit;
mod keys;
mod lance;
pub(crate) mod lance_error;
mod location;
mod staged;
mod writer;

pub use fragments::Fragments;
pub use index::fts_index_params;
pub use lance::LanceStore;
pub(crate) use lance::table_names;
pub use location::{Location, StorageOptions, is_object_store};
