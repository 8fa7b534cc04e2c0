//! `lakefeed serve`: the managed service's REST API (the seed's wire contract, §8) over lakefeed's own store, so a
//! team can self-host and the seed's clients work against it.
//!
//! Every request but `/health` needs a bearer JWT ([`auth`]). The token's org and the path's workspace pick a
//! store directory `{root}/{org}/{workspace}`; SQL runs in that store's session, which knows only that
//! workspace's tables. Errors are JSON `{"error", "code", "request_id"}` with the seed's status codes. Each request
//! gets an id (the `x-request-id` header) and one structured log line. SIGTERM or Ctrl-C stops accepting and lets
//! requests in flight finish.

mod arrow;
pub mod auth;
mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lakefeed_core::{Error, Result, validate_table_name};

use crate::store::{LocalStore, Store};

pub use auth::{Caller, Verifier};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The folder holding `{org}/{workspace}` stores.
    pub root: PathBuf,
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
    pub fn new(root: impl Into<PathBuf>, listen: SocketAddr, verifier: Verifier) -> Self {
        Self {
            root: root.into(),
            listen,
            verifier,
            max_body_bytes: 64 << 20,
            max_result_rows: 100_000,
            query_timeout: Duration::from_secs(60),
        }
    }
}

/// What every handler shares.
pub(crate) struct AppState {
    config: ServeConfig,
    /// Open stores by (org, workspace).
    stores: Mutex<HashMap<(String, String), Store>>,
}

impl AppState {
    /// The store of `caller`'s org and workspace `ws` (opened, and created, on first use).
    fn store(&self, caller: &Caller, ws: &str) -> Result<Store> {
        let key = (caller.org.clone(), ws.to_string());
        if let Some(s) = self
            .stores
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(s.clone());
        }
        validate_table_name(&caller.org).map_err(|_| {
            Error::Auth(format!("the token's org id '{}' is not usable", caller.org))
        })?;
        validate_table_name(ws)
            .map_err(|_| Error::Workspace(format!("invalid workspace name '{ws}'")))?;
        let dir = self.config.root.join(&caller.org).join(ws);
        let max_rows = self.config.max_result_rows;
        let local = crate::store::block_on(async move { LocalStore::open(dir).await })?;
        let store = Store::new(Arc::new(local.with_max_result_rows(max_rows)));
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        Ok(stores.entry(key).or_insert(store).clone())
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
        tracing::info!(%addr, root = %config.root.display(), "serving");
        on_listening(addr);
        let state = Arc::new(AppState {
            config,
            stores: Mutex::new(HashMap::new()),
        });
        axum::serve(listener, routes::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Error::Other(format!("server failed: {e}")))
    })
}

async fn shutdown_signal() {
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
