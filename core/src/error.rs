//! lakefeed's one error type, classified like the managed SDK's error hierarchy.

use std::path::PathBuf;

/// The seed SDK's error classes. `ManagedService` is the root every other class sits under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// ManagedServiceError: the root class, used for store, query and server failures.
    ManagedService,
    /// AuthError: a missing, invalid or expired token.
    Auth,
    /// TokenError (under AuthError): a token that cannot be parsed.
    Token,
    /// CredentialsError: storage credentials could not be fetched.
    Credentials,
    /// IngestError: input could not be ingested.
    Ingest,
    /// TableError: a table operation failed (missing table, schema clash).
    Table,
    /// WorkspaceError: the workspace is missing or inaccessible.
    Workspace,
}

impl ErrorClass {
    /// The seed's class name, e.g. `"TableError"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ManagedService => "ManagedServiceError",
            Self::Auth => "AuthError",
            Self::Token => "TokenError",
            Self::Credentials => "CredentialsError",
            Self::Ingest => "IngestError",
            Self::Table => "TableError",
            Self::Workspace => "WorkspaceError",
        }
    }
}

/// Every failure lakefeed-core reports. Messages say what went wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token was given for the managed service.
    #[error("AuthError: {0}")]
    Auth(String),
    /// The token could not be parsed.
    #[error("TokenError: {0}")]
    Token(String),
    /// Storage credentials could not be obtained.
    #[error("CredentialsError: {0}")]
    Credentials(String),
    /// A source path does not exist.
    #[error("IngestError: File not found: {}", path.display())]
    FileNotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// A source exists but cannot be read or parsed.
    #[error("IngestError: {}: {reason}", path.display())]
    BadSource {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it (with line/column where known).
        reason: String,
    },
    /// Any other ingest failure: bad options, bad column data.
    #[error("IngestError: {0}")]
    Ingest(String),
    /// A table that does not exist.
    #[error("TableError: Table '{0}' does not exist")]
    TableNotFound(String),
    /// Data whose columns clash with the existing table.
    #[error("TableError: cannot append to '{table}': {details}")]
    SchemaMismatch {
        /// The table written to.
        table: String,
        /// One entry per clashing column, naming it and both types.
        details: String,
    },
    /// Any other table operation failure.
    #[error("TableError: {0}")]
    Table(String),
    /// A workspace that is missing or inaccessible.
    #[error("WorkspaceError: {0}")]
    Workspace(String),
    /// SQL that cannot be parsed, planned or run, or whose parameters do not fit.
    #[error("ManagedServiceError: query failed: {0}")]
    Query(String),
    /// An HTTP error from the managed service.
    #[error("ManagedServiceError: HTTP {status}: {message}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The body's `error` text, or the body itself.
        message: String,
    },
    /// The table store failed.
    #[error("ManagedServiceError: table store: {0}")]
    Store(String),
    /// Anything else (I/O outside a source file, a broken pipeline).
    #[error("ManagedServiceError: {0}")]
    Other(String),
}

impl Error {
    /// The seed's class this error belongs to.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Auth(_) => ErrorClass::Auth,
            Self::Token(_) => ErrorClass::Token,
            Self::Credentials(_) => ErrorClass::Credentials,
            Self::FileNotFound { .. } | Self::BadSource { .. } | Self::Ingest(_) => {
                ErrorClass::Ingest
            }
            Self::TableNotFound(_) | Self::SchemaMismatch { .. } | Self::Table(_) => {
                ErrorClass::Table
            }
            Self::Workspace(_) => ErrorClass::Workspace,
            Self::Query(_) | Self::Http { .. } | Self::Store(_) | Self::Other(_) => {
                ErrorClass::ManagedService
            }
        }
    }

    /// True for AuthError and its TokenError subclass.
    pub fn is_auth(&self) -> bool {
        matches!(self.class(), ErrorClass::Auth | ErrorClass::Token)
    }

    /// True when the error is about a missing file or table.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::FileNotFound { .. } | Self::TableNotFound(_))
    }

    /// An IngestError about one source file.
    pub fn bad_source(path: impl Into<PathBuf>, reason: impl std::fmt::Display) -> Self {
        Self::BadSource {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// The error for a path that cannot be opened: FileNotFound when it is missing, BadSource otherwise.
    pub fn from_io(path: impl Into<PathBuf>, err: &std::io::Error) -> Self {
        let path = path.into();
        if err.kind() == std::io::ErrorKind::NotFound {
            Self::FileNotFound { path }
        } else {
            Self::BadSource {
                path,
                reason: err.to_string(),
            }
        }
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Self::Other(format!("arrow: {e}"))
    }
}

impl From<lancedb::Error> for Error {
    fn from(e: lancedb::Error) -> Self {
        match e {
            lancedb::Error::TableNotFound { name, .. } => Self::TableNotFound(name),
            other => Self::Store(other.to_string()),
        }
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Self::Query(e.to_string())
    }
}

/// lakefeed-core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
