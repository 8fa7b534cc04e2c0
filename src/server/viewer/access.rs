//! Who may look: in `lakefeed serve`, the API's bearer tokens (sent as a header, or kept in an HttpOnly cookie
//! the login sets, so images and videos load too); in `lakefeed view`, anyone on loopback whose Host header is a
//! loopback name. [`Ws`] and [`TableRef`] are what a handler gets once that is checked.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lakefeed_core::{Error, validate_table_name};
use serde::Deserialize;
use serde_json::json;

use super::super::Caller;
use super::super::error::{Answer, ApiError};
use super::super::state::Shared;
use super::ViewerShared;
use crate::backend::Backend;
use crate::store::LanceStore;
use crate::wire::ErrorCode;

/// The cookie the login sets: the token itself, sent back by the browser to `/view/` only.
const COOKIE: &str = "lakefeed_token";

/// How requests are let in.
pub(super) enum Access {
    /// `lakefeed view`: one store, on loopback.
    Local(Ws),
    /// `lakefeed serve`: tokens and `{org}/{workspace}` stores.
    Service(Shared),
}

/// A workspace's backend and the store under it.
#[derive(Clone)]
pub(super) struct Ws {
    pub backend: Backend,
    pub lance: LanceStore,
}

/// A table of a workspace the caller may use.
pub(super) struct TableRef {
    pub ws: Ws,
    pub table: String,
}

/// The token of a request: the bearer header, else the login's cookie.
fn token(headers: &HeaderMap) -> Option<String> {
    if let Some(t) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(t.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn unauthorized() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "Token required: sign in to the viewer")
}

/// Whether a Host header names loopback (`localhost`, `127.0.0.1`, `[::1]`, any port).
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Access {
    /// The caller of a service request (`None` for a local viewer), or why not.
    fn caller(&self, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
        match self {
            Self::Local(_) if loopback_host(headers) => Ok(None),
            Self::Local(_) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "the viewer answers only requests addressed to a loopback host name",
            )),
            Self::Service(s) => {
                let token = token(headers).ok_or_else(unauthorized)?;
                Ok(Some(s.config.verifier.verify(&token)?))
            }
        }
    }

    /// Workspace `ws` as `caller` may use it.
    async fn workspace(&self, caller: Option<&Caller>, ws: &str) -> Result<Ws, ApiError> {
        match (self, caller) {
            (Self::Local(w), _) => Ok(w.clone()),
            (Self::Service(s), Some(c)) => {
                if !c.may_use(ws) {
                    return Err(ApiError::new(
                        ErrorCode::Forbidden,
                        format!("Forbidden: this token cannot use workspace '{ws}'"),
                    ));
                }
                let (backend, lance) = s.workspace(c, ws).await?;
                Ok(Ws { backend, lance })
            }
            (Self::Service(_), None) => Err(unauthorized()),
        }
    }
}

async fn path_params(parts: &mut Parts, s: &ViewerShared) -> Result<HashMap<String, String>, ApiError> {
    Path::<HashMap<String, String>>::from_request_parts(parts, s)
        .await
        .map(|Path(p)| p)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.body_text()))
}

impl FromRequestParts<ViewerShared> for TableRef {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &ViewerShared) -> Result<Self, ApiError> {
        let caller = s.access.caller(&parts.headers)?;
        let mut params = path_params(parts, s).await?;
        let ws = params.remove("ws").unwrap_or_default();
        let table = params.remove("table").unwrap_or_default();
        let ws = s.access.workspace(caller.as_ref(), &ws).await?;
        if !table.is_empty() {
            validate_table_name(&table)?;
        }
        Ok(Self { ws, table })
    }
}

/// `GET /view/api/session`: who the viewer is signed in as and the workspaces it may open (401 when not).
pub(super) async fn session(State(s): State<ViewerShared>, headers: HeaderMap) -> Answer {
    let caller = s.access.caller(&headers)?;
    let body = match (&s.access, caller) {
        (Access::Service(state), Some(c)) => {
            validate_table_name(&c.org).map_err(|_| {
                Error::Auth(format!("the token's org id '{}' is not usable", c.org))
            })?;
            let mut names = state.config.root.list_dirs(&c.org).await?;
            names.retain(|n| c.may_use(n));
            names.sort();
            json!({"mode": "service", "org": c.org, "workspaces": names})
        }
        _ => json!({"mode": "local", "workspaces": ["local"]}),
    };
    Ok(Json(body).into_response())
}

/// A login: the token to keep.
#[derive(Deserialize)]
pub(super) struct Login {
    token: String,
}

fn cookie(value: &str, max_age: Option<u64>) -> Result<HeaderValue, ApiError> {
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/view; HttpOnly; SameSite=Strict{age}"
    ))
    .map_err(|_| ApiError::new(ErrorCode::InvalidRequest, "the token holds characters a cookie cannot"))
}

/// `POST /view/api/session` `{"token"}`: checks the token and keeps it in the viewer's cookie.
pub(super) async fn login(State(s): State<ViewerShared>, Json(login): Json<Login>) -> Answer {
    let Access::Service(state) = &s.access else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let token = login.token.trim();
    state.config.verifier.verify(token)?;
    let mut resp: Response = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie(token, None)?);
    Ok(resp)
}

/// `DELETE /view/api/session`: forgets the token.
pub(super) async fn logout() -> Answer {
    let mut resp: Response = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie("", Some(0))?);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn loopback_hosts_only() {
        for ok in ["localhost:8080", "127.0.0.1:1", "[::1]:80", "LOCALHOST", "127.0.0.2"] {
            assert!(loopback_host(&with("host", ok)), "{ok}");
        }
        for bad in ["evil.example:8080", "10.0.0.1", "localhost.evil.example", "[fe80::1]:80"] {
            assert!(!loopback_host(&with("host", bad)), "{bad}");
        }
        assert!(!loopback_host(&HeaderMap::new()));
    }

    #[test]
    fn token_from_header_or_cookie() {
        assert_eq!(token(&with("authorization", "Bearer abc ")).as_deref(), Some("abc"));
        assert_eq!(
            token(&with("cookie", "a=1; lakefeed_token=xyz; b=2")).as_deref(),
            Some("xyz")
        );
        assert_eq!(token(&with("cookie", "other=1")), None);
    }
}
