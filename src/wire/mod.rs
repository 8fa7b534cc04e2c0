//! The wire contract between a client and a service: what `lakefeed serve` answers and `crate::remote` sends.
//! It depends on Arrow and serde alone, never on the server framework or the HTTP client, so both sides (and
//! a remote-only build) share it.
//!
//! "The seed" throughout lakefeed is the Deeplake managed-service SDK whose Python and Node APIs and REST
//! contract lakefeed was created to keep: its endpoints, JSON bodies, SQL type names and error codes. Beyond it,
//! lakefeed adds Arrow IPC endpoints, listed as a feature in `/health`.

pub mod codes;
pub mod ipc;
pub mod messages;
pub mod routes;
mod types;

pub use codes::{ErrorCode, error_body, error_from_answer};
pub use types::{pg_column_type, pg_type, sql_field};

/// How rows reach the service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WritePath {
    /// Arrow IPC when the server advertises it, else SQL INSERTs.
    #[default]
    Auto,
    /// SQL INSERTs through the query endpoint, always (what any service of the seed's API takes).
    Insert,
    /// Arrow IPC (fails against a server without it).
    Arrow,
    /// Nothing but the seed's API, even where the server has more (what the client does against the seed's
    /// service): INSERTs, schemas from `information_schema`, `ALTER TABLE`, JSON results.
    SeedApi,
}
