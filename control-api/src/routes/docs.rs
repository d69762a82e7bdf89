//! `/docs`: Swagger UI over `/openapi.json`, served from files compiled into the binary
//! (the `vendored` feature of utoipa-swagger-ui), so the page works with no internet.

use axum::Router;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::AppState;

/// Routes of this module: `/docs` (redirects to `/docs/`), `/docs/` and its assets.
pub fn router() -> Router<AppState> {
    SwaggerUi::new("/docs")
        .config(Config::new(["/openapi.json"]))
        .into()
}
