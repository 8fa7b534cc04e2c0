//! What handlers take from a request, checked before they run: the verified caller ([`Authed`]), the caller's
//! backend for the path's workspace ([`Workspace`]) and table ([`TableIn`]), and bodies that are JSON of the
//! expected shape ([`JsonBody`]) or an uncompressed Arrow IPC stream ([`ArrowBody`]), with a clear 4xx
//! otherwise.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use lakefeed_core::validate_table_name;
use serde::de::DeserializeOwned;

use super::Caller;
use super::error::ApiError;
use super::state::Shared;
use crate::backend::Backend;
use crate::wire::ErrorCode;
use crate::wire::ipc;

/// The caller, from a verified bearer token.
pub(super) struct Authed(pub Caller);

impl FromRequestParts<Shared> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "Token required: send Authorization: Bearer <token>",
                )
            })?;
        Ok(Self(s.config.verifier.verify(token.trim())?))
    }
}

/// The path's parameters by name.
async fn path_params(parts: &mut Parts, s: &Shared) -> Result<HashMap<String, String>, ApiError> {
    Path::<HashMap<String, String>>::from_request_parts(parts, s)
        .await
        .map(|Path(p)| p)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.body_text()))
}

/// The path's workspace, which the caller may use, and its backend.
pub(super) struct Workspace {
    pub backend: Backend,
}

impl FromRequestParts<Shared> for Workspace {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, ApiError> {
        let Authed(caller) = Authed::from_request_parts(parts, s).await?;
        let ws = path_params(parts, s)
            .await?
            .remove("ws")
            .unwrap_or_default();
        if !caller.may_use(&ws) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("Forbidden: this token cannot use workspace '{ws}'"),
            ));
        }
        Ok(Self {
            backend: s.backend(&caller, &ws).await?,
        })
    }
}

/// The path's table (a checked name) in the caller's workspace.
pub(super) struct TableIn {
    pub backend: Backend,
    pub table: String,
}

impl FromRequestParts<Shared> for TableIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, ApiError> {
        let Workspace { backend } = Workspace::from_request_parts(parts, s).await?;
        let table = path_params(parts, s)
            .await?
            .remove("table")
            .unwrap_or_default();
        validate_table_name(&table)?;
        Ok(Self { backend, table })
    }
}

/// The whole body, or a 413 past the server's limit.
async fn bytes(req: Request, s: &Shared) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, s).await.map_err(|r| {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::TooLarge
        } else {
            ErrorCode::InvalidRequest
        };
        ApiError::new(code, format!("request body: {}", r.body_text()))
    })
}

/// A JSON body of shape `T`.
pub(super) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Shared> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, s: &Shared) -> Result<Self, ApiError> {
        let body = bytes(req, s).await?;
        serde_json::from_slice(&body).map(Self).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("malformed JSON body: {e}"),
            )
        })
    }
}

/// An Arrow IPC stream body, read whole (compressed messages refused).
pub(super) struct ArrowBody(pub ipc::Decoded);

impl FromRequest<Shared> for ArrowBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, s: &Shared) -> Result<Self, ApiError> {
        let body = bytes(req, s).await?;
        ipc::decode(&body)
            .map(Self)
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))
    }
}
