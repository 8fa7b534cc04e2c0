//! lakefeed's one error type, classified like the managed SDK's error hierarchy.
//!
//! Callers classify errors with [`Error::class`], [`Error::is_not_found`] and [`Error::is_retryable`], never by
//! their text. Context is added with [`Error::context`] (or [`ResultExt::context`]): the wrapped error keeps its
//! class and classifiers and stays reachable through [`std::error::Error::source`]. Messages carry no class
//! prefix; a reporter prints `error.class().name()` in front (the CLI does).

use std::path::PathBuf;

/// Any error from another library kept as a cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The seed SDK's error classes, plus `Query` for local SQL. `ManagedService` is the root of them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// ManagedServiceError: the root class, used for store and server failures.
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
    /// QueryError: SQL that cannot be parsed, planned or run, or whose parameters do not fit (lakefeed's own
    /// class under the root; the seed reports these as TableError "Query failed").
    Query,
}

impl ErrorClass {
    /// The class name, e.g. `"TableError"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ManagedService => "ManagedServiceError",
            Self::Auth => "AuthError",
            Self::Token => "TokenError",
            Self::Credentials => "CredentialsError",
            Self::Ingest => "IngestError",
            Self::Table => "TableError",
            Self::Workspace => "WorkspaceError",
            Self::Query => "QueryError",
        }
    }
}

/// Every failure lakefeed reports. Messages say what went wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token was given for the managed service.
    #[error("{0}")]
    Auth(String),
    /// The token could not be parsed.
    #[error("{0}")]
    Token(String),
    /// Storage credentials could not be obtained.
    #[error("{0}")]
    Credentials(String),
    /// A source path does not exist.
    #[error("File not found: {}", path.display())]
    FileNotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// A source exists but cannot be read or parsed.
    #[error("{}: {reason}", path.display())]
    BadSource {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it (with line/column where known).
        reason: String,
    },
    /// Any other ingest failure: bad options, bad column data.
    #[error("{0}")]
    Ingest(String),
    /// A table that does not exist.
    #[error("Table '{0}' does not exist")]
    TableNotFound(String),
    /// A table that already exists (another writer may have created it first).
    #[error("Table '{0}' already exists")]
    TableExists(String),
    /// Data whose columns clash with the existing table.
    #[error("cannot append to '{table}': {details}")]
    SchemaMismatch {
        /// The table written to.
        table: String,
        /// One entry per clashing column, naming it and both types.
        details: String,
    },
    /// Any other table operation failure.
    #[error("{0}")]
    Table(String),
    /// A workspace that is missing or inaccessible.
    #[error("{0}")]
    Workspace(String),
    /// SQL that cannot be parsed, planned or run, or whose parameters do not fit.
    #[error("query failed: {message}")]
    Query {
        /// What failed.
        message: String,
        /// The SQL engine's error, when it came from there.
        #[source]
        source: Option<BoxError>,
    },
    /// An HTTP error from the managed service.
    #[error("HTTP {status}: {message}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The body's `error` text, or the body itself.
        message: String,
    },
    /// The service could not be reached, or the connection broke (reset, timeout). Retrying may succeed.
    #[error("API request failed: {0}")]
    Network(String),
    /// Another writer committed to the table first and the write could not be rebased. Retrying may succeed.
    #[error("commit conflict on table '{table}'")]
    CommitConflict {
        /// The table written to.
        table: String,
        /// The store's error.
        #[source]
        source: BoxError,
    },
    /// The table store failed.
    #[error("table store: {message}")]
    Store {
        /// What was being done.
        message: String,
        /// The store's error.
        #[source]
        source: Option<BoxError>,
    },
    /// Anything else (I/O outside a source file, a broken pipeline).
    #[error("{0}")]
    Other(String),
    /// An error with context: where it happened (a manifest line, a table). Class and classifiers are the
    /// wrapped error's.
    #[error("{context}")]
    Context {
        /// Where or while doing what.
        context: String,
        /// The error itself.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The class this error belongs to (for a wrapped error, the wrapped one's).
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Auth(_) => ErrorClass::Auth,
            Self::Token(_) => ErrorClass::Token,
            Self::Credentials(_) => ErrorClass::Credentials,
            Self::FileNotFound { .. } | Self::BadSource { .. } | Self::Ingest(_) => {
                ErrorClass::Ingest
            }
            Self::TableNotFound(_)
            | Self::TableExists(_)
            | Self::SchemaMismatch { .. }
            | Self::Table(_) => ErrorClass::Table,
            Self::Workspace(_) => ErrorClass::Workspace,
            Self::Query { .. } => ErrorClass::Query,
            Self::Http { status, .. } => match status {
                401 | 403 => ErrorClass::Auth,
                409 => ErrorClass::Table,
                _ => ErrorClass::ManagedService,
            },
            Self::CommitConflict { .. }
            | Self::Store { .. }
            | Self::Network(_)
            | Self::Other(_) => ErrorClass::ManagedService,
            Self::Context { source, .. } => source.class(),
        }
    }

    /// The innermost lakefeed error under any context.
    pub fn root(&self) -> &Error {
        match self {
            Self::Context { source, .. } => source.root(),
            other => other,
        }
    }

    /// True for AuthError and its TokenError subclass.
    pub fn is_auth(&self) -> bool {
        matches!(self.class(), ErrorClass::Auth | ErrorClass::Token)
    }

    /// True when the error is about a missing file or table (or an HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.root(),
            Self::FileNotFound { .. } | Self::TableNotFound(_) | Self::Http { status: 404, .. }
        )
    }

    /// True when trying the same operation again may succeed: a commit conflict, a broken connection, HTTP 429
    /// (too many requests), 502, 503 or 504 (a gateway or the service busy or timed out). A 500 is the service's
    /// own failure and is not.
    pub fn is_retryable(&self) -> bool {
        match self.root() {
            Self::CommitConflict { .. } | Self::Network(_) => true,
            Self::Http { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Wraps this error with `context` (where it happened), keeping its class.
    pub fn context(self, context: impl Into<String>) -> Self {
        Self::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// This error and every cause under it, joined with `": "`: the full message in one line.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }

    /// An IngestError about one source file.
    pub fn bad_source(path: impl Into<PathBuf>, reason: impl std::fmt::Display) -> Self {
        Self::BadSource {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// A QueryError of our own (no engine error under it).
    pub fn query(message: impl Into<String>) -> Self {
        Self::Query {
            message: message.into(),
            source: None,
        }
    }

    /// A store failure while doing `message`, caused by `source`.
    pub fn store(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Store {
            message: message.into(),
            source: Some(source.into()),
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

/// `.context(..)` on results, keeping the error's class.
pub trait ResultExt<T> {
    /// Wraps the error, if any, with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wraps the error, if any, with the context `f` makes (only on failure).
    fn with_context<C: Into<String>>(self, f: impl FnOnce() -> C) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.context(context))
    }

    fn with_context<C: Into<String>>(self, f: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.context(f()))
    }
}

/// lakefeed's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_class_classifiers_and_cause() {
        let e = Error::FileNotFound {
            path: "/no/such.jsonl".into(),
        }
        .context("m.yaml:4: table 't'")
        .context("running m.yaml");
        assert_eq!(e.class(), ErrorClass::Ingest);
        assert!(e.is_not_found());
        assert!(!e.is_retryable());
        assert_eq!(e.to_string(), "running m.yaml");
        assert_eq!(
            e.chain(),
            "running m.yaml: m.yaml:4: table 't': File not found: /no/such.jsonl"
        );
        let inner = std::error::Error::source(&e).expect("a cause");
        assert_eq!(inner.to_string(), "m.yaml:4: table 't'");
        assert!(matches!(e.root(), Error::FileNotFound { .. }));
    }

    #[test]
    fn retryable_and_http_classes() {
        let conflict = Error::CommitConflict {
            table: "t".into(),
            source: "version 3 was taken".into(),
        }
        .context("appending");
        assert!(conflict.is_retryable());
        assert_eq!(conflict.class(), ErrorClass::ManagedService);
        let http = |status| Error::Http {
            status,
            message: String::new(),
        };
        assert!(http(429).is_retryable() && http(503).is_retryable());
        assert!(!http(400).is_retryable());
        assert_eq!(http(401).class(), ErrorClass::Auth);
        assert_eq!(http(409).class(), ErrorClass::Table);
        assert!(http(404).is_not_found());
        assert_eq!(Error::query("bad").class(), ErrorClass::Query);
    }
}
