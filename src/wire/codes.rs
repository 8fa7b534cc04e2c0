//! Errors on the wire: the one table of error class ↔ HTTP status and `code`. The server answers each error
//! with [`ErrorCode::of`]; a client turns an answer back into an [`Error`] with [`error_from_answer`], so an
//! error keeps its class through a service (bad SQL is a QueryError locally and remotely). Against the seed's
//! service, whose bodies carry other codes or none, the status decides, as the seed's own clients do.

use lakefeed_core::{Error, ErrorClass};

use super::messages::ErrorBody;

/// An error answer's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 401: no token, or a bad or expired one (AuthError).
    Unauthorized,
    /// 401: a token that cannot be parsed (TokenError).
    TokenError,
    /// 403: the token may not use this workspace (AuthError).
    Forbidden,
    /// 403: the workspace is missing or its name unusable (WorkspaceError).
    WorkspaceError,
    /// 404: the table does not exist.
    NotFound,
    /// 409: the table exists already.
    AlreadyExists,
    /// 400: a malformed request (body, parameters).
    InvalidRequest,
    /// 400: SQL that cannot be parsed, planned or run (QueryError).
    QueryError,
    /// 400: rows or options that cannot be ingested (IngestError).
    IngestError,
    /// 400: a table operation that failed (TableError: a missing column, a type clash).
    TableError,
    /// 413: a body over the server's limit.
    TooLarge,
    /// 500: storage credentials could not be had (CredentialsError).
    CredentialsError,
    /// 500: anything else (ManagedServiceError).
    Internal,
    /// 503: a lost commit race; sending the request again may succeed.
    Retry,
    /// 504: the query ran over its time limit and was stopped.
    Timeout,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [Self; 15] = [
        Self::Unauthorized,
        Self::TokenError,
        Self::Forbidden,
        Self::WorkspaceError,
        Self::NotFound,
        Self::AlreadyExists,
        Self::InvalidRequest,
        Self::QueryError,
        Self::IngestError,
        Self::TableError,
        Self::TooLarge,
        Self::Internal,
        Self::CredentialsError,
        Self::Retry,
        Self::Timeout,
    ];

    /// The code as sent, e.g. `"QUERY_ERROR"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::TokenError => "TOKEN_ERROR",
            Self::Forbidden => "FORBIDDEN",
            Self::WorkspaceError => "WORKSPACE_ERROR",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::QueryError => "QUERY_ERROR",
            Self::IngestError => "INGEST_ERROR",
            Self::TableError => "TABLE_ERROR",
            Self::TooLarge => "TOO_LARGE",
            Self::CredentialsError => "CREDENTIALS_ERROR",
            Self::Internal => "INTERNAL",
            Self::Retry => "RETRY",
            Self::Timeout => "TIMEOUT",
        }
    }

    /// The code a body names, if it is one of these.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status answered with it.
    pub fn status(self) -> u16 {
        match self {
            Self::Unauthorized | Self::TokenError => 401,
            Self::Forbidden | Self::WorkspaceError => 403,
            Self::NotFound => 404,
            Self::AlreadyExists => 409,
            Self::InvalidRequest | Self::QueryError | Self::IngestError | Self::TableError => 400,
            Self::TooLarge => 413,
            Self::CredentialsError | Self::Internal => 500,
            Self::Retry => 503,
            Self::Timeout => 504,
        }
    }

    /// The code the server answers `e` with.
    pub fn of(e: &Error) -> Self {
        if e.is_retryable() {
            return Self::Retry;
        }
        match e.root() {
            Error::TableNotFound(_) => return Self::NotFound,
            Error::TableExists(_) => return Self::AlreadyExists,
            Error::Http { status, .. } => {
                if let Some(c) = Self::ALL.into_iter().find(|c| c.status() == *status) {
                    return c;
                }
            }
            _ => {}
        }
        match e.class() {
            ErrorClass::Auth => Self::Unauthorized,
            ErrorClass::Token => Self::TokenError,
            ErrorClass::Workspace => Self::WorkspaceError,
            ErrorClass::Query => Self::QueryError,
            ErrorClass::Ingest => Self::IngestError,
            ErrorClass::Table => Self::TableError,
            ErrorClass::Credentials => Self::CredentialsError,
            ErrorClass::ManagedService => Self::Internal,
        }
    }
}

/// An error and its causes in one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// The body the server answers `e` with (the request id is the server's to fill in).
pub fn error_body(e: &Error) -> (u16, ErrorBody) {
    let code = ErrorCode::of(e);
    let table = match e.root() {
        Error::TableNotFound(t) | Error::TableExists(t) => Some(t.clone()),
        _ => None,
    };
    let detail = match e.root() {
        Error::Query { message, source } => Some(match source {
            Some(s) => format!("{message}: {}", chain(s.as_ref())),
            None => message.clone(),
        }),
        _ => None,
    };
    let body = ErrorBody {
        error: e.chain(),
        code: code.as_str().to_string(),
        request_id: String::new(),
        table,
        detail,
    };
    (code.status(), body)
}

/// The error a client raises for an answer with HTTP `status` and `text` (the body) to a request for `path`.
/// lakefeed's codes give back the server's error class; otherwise the seed's mapping by status holds (401/403
/// AuthError, 404 not found, 409 TableError, others ManagedServiceError with the body's `error`).
pub fn error_from_answer(status: u16, path: &str, text: &str) -> Error {
    let body: Option<ErrorBody> = serde_json::from_str(text).ok();
    let message = body
        .as_ref()
        .map(|b| b.error.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| text.chars().take(300).collect());
    let code = body.as_ref().and_then(|b| ErrorCode::parse(&b.code));
    let table = body.as_ref().and_then(|b| b.table.clone());
    let body = body.filter(|_| code == Some(ErrorCode::QueryError));
    match (code, table) {
        (Some(ErrorCode::NotFound), Some(t)) => return Error::TableNotFound(t),
        (Some(ErrorCode::AlreadyExists), Some(t)) => return Error::TableExists(t),
        (Some(ErrorCode::QueryError), _) => {
            return Error::Query {
                message: body.and_then(|b| b.detail).unwrap_or(message),
                source: None,
            };
        }
        (Some(ErrorCode::IngestError), _) => return Error::Ingest(message),
        (Some(ErrorCode::TableError), _) => return Error::Table(message),
        (Some(ErrorCode::TokenError), _) => return Error::Token(message),
        (Some(ErrorCode::WorkspaceError), _) => return Error::Workspace(message),
        (Some(ErrorCode::CredentialsError), _) => return Error::Credentials(message),
        _ => {}
    }
    let http = |message: String| Error::Http { status, message };
    match status {
        401 => http(format!(
            "Unauthorized: invalid or expired token ({message})"
        )),
        403 => http(format!("Forbidden: insufficient permissions ({message})")),
        404 => http(format!("Not found: {path} ({message})")),
        409 => Error::Table(message),
        _ => http(format!("API request failed: HTTP {status}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of each class (and the not-found, already-exists and retryable kinds) keeps its class and
    /// classifiers through the server's answer and the client's reading of it.
    #[test]
    fn every_error_class_survives_the_trip() {
        let errors = [
            Error::Other("disk on fire".into()),
            Error::Auth("Token required".into()),
            Error::Token("Invalid token format".into()),
            Error::Credentials("no credentials".into()),
            Error::Ingest("bad rows".into()),
            Error::bad_source("a.jsonl", "line 3: not JSON"),
            Error::Table("no column 'x'".into()),
            Error::TableNotFound("docs".into()),
            Error::TableExists("docs".into()),
            Error::Workspace("no such workspace".into()),
            Error::query("cannot parse SQL"),
            Error::Network("connection reset".into()),
            Error::Query {
                message: "the statement failed".into(),
                source: None,
            }
            .context("while answering"),
        ];
        for e in errors {
            let (status, body) = error_body(&e);
            let text = serde_json::to_string(&body).unwrap();
            let back = error_from_answer(status, "/workspaces/ws/tables/query", &text);
            assert_eq!(back.class(), e.class(), "{e:?} came back as {back:?}");
            assert_eq!(back.is_not_found(), e.is_not_found(), "{e:?}");
            assert_eq!(back.is_retryable(), e.is_retryable(), "{e:?}");
            if e.class() == ErrorClass::Query {
                assert_eq!(
                    back.to_string(),
                    e.root().to_string(),
                    "said once, as locally"
                );
            }
        }
    }

    #[test]
    fn codes_parse_back_and_answers_without_one_follow_the_seed() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        // The seed's service: its own codes, or plain text.
        let e = error_from_answer(400, "/x", r#"{"error": "bad", "code": "INVALID_REQUEST"}"#);
        assert_eq!(e.class(), ErrorClass::ManagedService);
        assert!(error_from_answer(404, "/x", "gone").is_not_found());
        assert_eq!(error_from_answer(401, "/x", "").class(), ErrorClass::Auth);
        assert_eq!(
            error_from_answer(409, "/x", "{\"error\": \"exists\"}").class(),
            ErrorClass::Table
        );
        assert!(error_from_answer(503, "/x", "busy").is_retryable());
    }
}
