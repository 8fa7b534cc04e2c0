//! Error answers: an [`Error`] becomes the status and `{"error", "code"}` body the wire contract gives it
//! ([`crate::wire::error_body`]); the request-logging middleware adds the request id when it renders it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lakefeed_core::Error;

use crate::wire::ErrorCode;
use crate::wire::messages::ErrorBody;

/// An error answer (its body boxed: handlers return it often and fail rarely).
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    body: Box<ErrorBody>,
}

/// What a handler returns.
pub(super) type Answer = Result<Response, ApiError>;

impl ApiError {
    /// An answer with `code` (its status) and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: status(code.status()),
            body: Box::new(ErrorBody {
                error: message.into(),
                code: code.as_str().to_string(),
                ..Default::default()
            }),
        }
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let (code, body) = crate::wire::error_body(&e);
        Self {
            status: status(code),
            body: Box::new(body),
        }
    }
}

/// The body, left on the response for the middleware to render with the request id.
#[derive(Debug, Clone)]
struct Pending(Box<ErrorBody>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(Pending(self.body));
        resp
    }
}

/// Renders an error answer's body with the request's `id` (a no-op for other answers); server errors are logged.
pub(super) fn render(mut resp: Response, id: &str) -> Response {
    let Some(Pending(mut body)) = resp.extensions_mut().remove::<Pending>() else {
        return resp;
    };
    if resp.status().is_server_error() {
        tracing::error!(request_id = %id, error = %body.error, "request failed");
    }
    body.request_id = id.to_string();
    (resp.status(), Json(*body)).into_response()
}
