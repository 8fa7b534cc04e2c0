//! `lakefeed serve`: the managed service's REST API ([`crate::wire`]: the seed's contract and lakefeed's Arrow
//! endpoints) over lakefeed's own store, so a team can self-host and the seed's clients work against it.
//!
//! Every request but `/health` needs a bearer JWT ([`auth`]). The token's org and the path's workspace pick a
//! store `{root}/{org}/{workspace}` ([`state`]); SQL runs in that store's engine, which knows only that
//! workspace's tables. Handlers await the [`Backend`](crate::Backend) directly on the server's runtime. Errors are
//! JSON `{"error", "code", "request_id"}` with the seed's status codes ([`crate::wire::codes`]). Each request
//! gets an id (the `x-request-id` header) and one structured log line. SIGTERM or Ctrl-C stops accepting and lets
//! requests in flight finish.
//!
//! The parts: [`auth`] (tokens), `error` (error answers), `extract` (the caller, workspace, table and bodies a
//! handler takes), `seed_api` and `arrow_api` (handlers), `router` (merges their routes, logs requests), and
//! [`viewer`], the web app to browse the tables (also served alone by [`view`]).

mod arrow_api;
pub mod auth;
mod error;
mod extract;
mod router;
mod seed_api;
mod state;
pub mod viewer;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lakefeed_core::{Error, Result};

use crate::store::Location;

pub use auth::{Caller, Verifier};
pub use viewer::view;
use state::AppState;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The folder or object-store URI holding `{org}/{workspace}` stores.
    pub root: Location,
    /// Where to listen.
    pub listen: SocketAddr,
    /// How tokens are checked.
    pub verifier: Verifier,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// The most rows a query may return.
    pub max_result_rows: usize,
    /// The longest a query may run (a request's `timeout_ms` may ask for less).
    pub query_timeout: Duration,
}

impl ServeConfig {
    /// Defaults: 64 MiB bodies, 100,000 result rows, 60 s queries.
    pub fn new(root: Location, listen: SocketAddr, verifier: Verifier) -> Self {
        Self {
            root,
            listen,
            verifier,
            max_body_bytes: 64 << 20,
            max_result_rows: 100_000,
            query_timeout: Duration::from_secs(60),
        }
    }
}

/// Serves until SIGTERM or Ctrl-C; requests in flight finish first. Blocks the calling thread; `on_listening`
/// gets the bound address (useful with port 0).
pub fn serve(config: ServeConfig, on_listening: impl FnOnce(SocketAddr) + Send) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lakefeed-http")
        .build()
        .map_err(|e| Error::Other(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::Other(format!("cannot listen on {}: {e}", config.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Other(e.to_string()))?;
        tracing::info!(%addr, root = config.root.uri(), "serving");
        on_listening(addr);
        let state = Arc::new(AppState::new(config));
        axum::serve(listener, router::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Error::Other(format!("server failed: {e}")))
    })
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down: finishing requests in flight");
}
