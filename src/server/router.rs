//! The router: the seed's routes, the Arrow routes and the viewer merged, each request logged with its id.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::MethodFilter;

use super::state::Shared;
use super::{arrow_api, error, seed_api, viewer};
use crate::wire::routes::{Endpoint, Method};

/// Every route, with the body limit and the request log.
pub(super) fn router(state: Shared) -> Router {
    let limit = state.config.max_body_bytes;
    seed_api::routes()
        .merge(arrow_api::routes())
        .with_state(state.clone())
        .merge(viewer::router(viewer::Viewer::service(state)))
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(log_requests))
}

/// Adds a handler at an endpoint of the wire contract: its path pattern and its method, named once.
pub(super) trait Endpoints {
    /// `handler` at `endpoint`.
    fn endpoint<H, T>(self, endpoint: Endpoint, handler: H) -> Self
    where
        H: Handler<T, Shared>,
        T: 'static;
}

impl Endpoints for Router<Shared> {
    fn endpoint<H, T>(self, endpoint: Endpoint, handler: H) -> Self
    where
        H: Handler<T, Shared>,
        T: 'static,
    {
        let filter = match endpoint.method {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        };
        self.route(endpoint.pattern, axum::routing::on(filter, handler))
    }
}

/// One log line per request, with its id, status and time; the id is also the `x-request-id` header and goes
/// into error bodies.
pub(super) async fn log_requests(req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let started = Instant::now();
    let mut resp = error::render(next.run(req).await, &id);
    let status = resp.status().as_u16();
    tracing::info!(request_id = %id, %method, %path, status, ms = started.elapsed().as_millis() as u64, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
