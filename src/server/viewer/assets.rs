//! The page's files (`viewer/app/`), embedded in the binary when it is built, so the viewer needs no network and
//! no files beside the binary.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::ViewerShared;

/// Each file: its name under `/view/`, its media type and its bytes.
macro_rules! assets {
    ($($name:literal => $mime:literal),* $(,)?) => {
        const ASSETS: &[(&str, &str, &[u8])] = &[
            $(($name, $mime, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/viewer/app/", $name)))),*
        ];
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "dom.js" => "text/javascript; charset=utf-8",
    "tables.js" => "text/javascript; charset=utf-8",
    "table.js" => "text/javascript; charset=utf-8",
    "row.js" => "text/javascript; charset=utf-8",
    "overlay.js" => "text/javascript; charset=utf-8",
    "episode.js" => "text/javascript; charset=utf-8",
    "chart.js" => "text/javascript; charset=utf-8",
}

/// The page's routes: `/` and `/view` lead to `/view/`, which is `index.html`.
pub(super) fn routes() -> Router<ViewerShared> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/view/") }))
        .route("/view", get(|| async { Redirect::to("/view/") }))
        .route("/view/", get(|| async { file("index.html") }))
        .route("/view/{file}", get(|Path(f): Path<String>| async move { file(&f) }))
}

fn file(name: &str) -> Response {
    let Some((_, mime, bytes)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}
