//! The pages people open: the recruiter's console at `/` (and `/console`) and the
//! candidate's page at `/i/{token}`, one single-page bundle built from `web/` into
//! `WEB_DIR`, with its hashed assets under `/assets/`.
//!
//! Every page response carries a Content-Security-Policy that allows only this origin's
//! scripts and styles; connections may go to the LiveKit server wherever it runs.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

/// The pages' Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; script-src 'self'; \
     connect-src 'self' ws: wss: http: https:; media-src 'self' blob:; \
     img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; \
     object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Routes of this module.
pub fn router(web_dir: &Path) -> Router<AppState> {
    let index = web_dir.join("index.html");
    let (console, candidate) = (index.clone(), index.clone());
    let assets = Router::new()
        .nest_service("/assets", ServeDir::new(web_dir.join("assets")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    Router::new()
        .route("/", get(move || index_page(index.clone())))
        .route("/console", get(move || index_page(console.clone())))
        .route("/i/{token}", get(move || index_page(candidate.clone())))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .merge(assets)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// The bundle's `index.html`, or a plain page saying how to build it.
async fn index_page(index: PathBuf) -> Response {
    match tokio::fs::read_to_string(&index).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::warn!(path = %index.display(), error = %e, "pages not built");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(
                    "<!doctype html><html lang=\"en\"><title>Not built</title><main>\
                     <h1>The pages are not built</h1><p>Run <code>scripts/setup.sh</code> \
                     (it builds <code>web/</code> into <code>web/dist</code>) or set \
                     <code>WEB_DIR</code>.</p></main></html>",
                ),
            )
                .into_response()
        }
    }
}
