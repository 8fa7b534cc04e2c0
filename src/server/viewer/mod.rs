//! The viewer: a web app to look at a store's tables (thumbnail grids, masks, pages, video, LeRobot episodes with
//! their state/action charts, filters and search). Its page (`viewer/app/`, plain ES modules, no build step) is
//! embedded in the binary ([`assets`]), so it works with no network.
//!
//! `lakefeed serve` serves it under `/view/` beside the API: the page asks for a token once and trades it for an
//! HttpOnly, SameSite=Strict cookie ([`access`]), so tokens are never in URLs or logs and `<img>`/`<video>`
//! requests are authorised too. `lakefeed view` serves one store on loopback with no token (the Host header must
//! be a loopback name, which stops DNS rebinding).
//!
//! The page's data comes from read-only JSON endpoints under `/view/api/ws/{ws}/…`: tables ([`pages`]), a
//! table's rows a page at a time, facets, search through the SQL engine ([`search`]), a cell's bytes with HTTP
//! ranges ([`cells`]) and a LeRobot episode's time series ([`episode`]). Everything runs in the same engine as
//! the CLI and the API.

mod access;
mod assets;
mod cells;
mod episode;
mod pages;
mod rows;
mod search;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use lakefeed_core::{Error, Result};

use super::state::Shared;
use crate::backend::Backend;
use crate::sql::SqlEngine;
use crate::store::{LanceStore, Location};
use access::{Access, Ws};

/// What every viewer request shares.
pub(super) struct Viewer {
    access: Access,
    cells: cells::Cache,
}

type ViewerShared = Arc<Viewer>;

impl Viewer {
    /// The viewer of `lakefeed serve`: the API's tokens and workspaces.
    pub(super) fn service(state: Shared) -> Self {
        Self::with(Access::Service(state))
    }

    fn with(access: Access) -> Self {
        Self {
            access,
            cells: cells::Cache::default(),
        }
    }
}

/// The viewer's routes: the page and its API.
pub(super) fn router(viewer: Viewer) -> Router {
    let api = Router::new()
        .route(
            "/view/api/session",
            get(access::session)
                .post(access::login)
                .delete(access::logout),
        )
        .route("/view/api/ws/{ws}/tables", get(pages::tables))
        .route("/view/api/ws/{ws}/tables/{table}/rows", get(pages::rows))
        .route("/view/api/ws/{ws}/tables/{table}/count", get(pages::count))
        .route("/view/api/ws/{ws}/tables/{table}/facets", get(pages::facets))
        .route("/view/api/ws/{ws}/tables/{table}/search", get(search::search))
        .route("/view/api/ws/{ws}/tables/{table}/rows/{rowid}", get(pages::row))
        .route(
            "/view/api/ws/{ws}/tables/{table}/rows/{rowid}/cells/{column}",
            get(cells::cell),
        )
        .route(
            "/view/api/ws/{ws}/tables/{table}/rows/{rowid}/episode",
            get(episode::episode),
        );
    api.merge(assets::routes())
        .layer(middleware::from_fn(security_headers))
        .with_state(Arc::new(viewer))
}

/// Every viewer answer: a content security policy that runs only the page's own scripts (an injected `<script>`
/// or `onerror=` does nothing even if it reached the DOM), no sniffing, no framing.
async fn security_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// `lakefeed view`: serves the viewer of the store at `store` on `listen` (a loopback address) until SIGTERM or
/// Ctrl-C; `on_listening` gets the bound address.
pub fn view(
    store: Location,
    listen: SocketAddr,
    on_listening: impl FnOnce(SocketAddr) + Send,
) -> Result<()> {
    if !listen.ip().is_loopback() {
        return Err(Error::Other(format!(
            "lakefeed view serves on loopback only (got {listen}); to share a store, run lakefeed serve, which \
             serves the viewer behind tokens"
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lakefeed-view")
        .build()
        .map_err(|e| Error::Other(format!("cannot start the viewer's runtime: {e}")))?;
    runtime.block_on(async move {
        let lance = LanceStore::at(store).await?;
        let ws = Ws {
            backend: Backend::sql(SqlEngine::new(lance.clone())),
            lance,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::Other(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Other(e.to_string()))?;
        tracing::info!(%addr, store = ws.lance.uri(), "viewing");
        on_listening(addr);
        let app = router(Viewer::with(Access::Local(ws)))
            .layer(middleware::from_fn(super::router::log_requests));
        axum::serve(listener, app)
            .with_graceful_shutdown(super::shutdown_signal())
            .await
            .map_err(|e| Error::Other(format!("the viewer failed: {e}")))
    })
}
