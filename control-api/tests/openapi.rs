//! The OpenAPI document matches the router both ways, and `/docs` works with no internet.
//!
//! Routes are found by reading the crate's sources for `.route("...", method(...))` calls, so a
//! route added without `#[utoipa::path]` (and a place in `openapi.rs`) fails
//! `every_route_in_the_sources_is_documented`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{memory_state, send};
use http_body_util::BodyExt;
use tower::ServiceExt;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn document() -> serde_json::Value {
    let reply = send(
        Request::get("/openapi.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json
}

/// (path, method) of every operation in the document.
fn operations(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths object");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                out.insert((path.clone(), method.to_owned()));
            }
        }
    }
    out
}

#[tokio::test]
async fn document_parses_as_openapi_3_1_with_unique_operation_ids() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    let parsed: utoipa::openapi::OpenApi =
        serde_json::from_value(doc.clone()).expect("document deserializes as OpenAPI");
    assert!(
        parsed.paths.paths.len() >= 9,
        "paths: {:?}",
        parsed.paths.paths.keys()
    );
    let mut ids = BTreeSet::new();
    for (path, method) in operations(&doc) {
        let id = doc["paths"][&path][&method]["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has an operationId"))
            .to_owned();
        assert!(ids.insert(id.clone()), "duplicate operationId {id}");
    }
    // Every link (followed by schemathesis' stateful phase) names an existing operation.
    let mut links = 0;
    for (path, method) in operations(&doc) {
        let responses = doc["paths"][&path][&method]["responses"]
            .as_object()
            .expect("responses");
        for response in responses.values() {
            for link in response["links"].as_object().into_iter().flatten() {
                let target = link.1["operationId"].as_str().expect("link operationId");
                assert!(ids.contains(target), "link {} to missing {target}", link.0);
                links += 1;
            }
        }
    }
    assert!(links >= 4, "links: {links}");
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "bearer scheme declared"
    );
    // Two types of one name would share a schema: the public state and the agent's state
    // are different answers.
    let answer = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let public = answer("/api/v1/interviews/{id}/state");
    let internal = answer("/api/v1/internal/interviews/{id}/state");
    assert!(
        !public.is_empty() && !internal.is_empty() && public != internal,
        "state schemas: {public:?} and {internal:?}"
    );
    // Every referenced schema exists.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().expect("ref name");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name} referenced but missing"
        );
    }
}

#[tokio::test]
async fn parameters_are_where_the_document_says() {
    let doc = document().await;
    let mut checked = 0;
    for (path, method) in operations(&doc) {
        let params = doc["paths"][&path][&method]["parameters"]
            .as_array()
            .cloned();
        for param in params.into_iter().flatten() {
            let name = param["name"].as_str().expect("parameter name");
            let template = format!("{{{name}}}");
            match param["in"].as_str() {
                Some("path") => assert!(
                    path.contains(&template) && param["required"] == true,
                    "{method} {path}: path parameter {name} is not in the template"
                ),
                Some("query") => assert!(
                    !path.contains(&template),
                    "{method} {path}: {name} is a path parameter"
                ),
                other => panic!("{method} {path}: {name} in {other:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "parameters checked: {checked}");
}

/// `.route("path", get(..).post(..))` calls in the crate's sources: (path, method).
fn routes_in_sources() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    collect_rs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (index, _) in text.match_indices(".route(\"") {
            let call = balanced_call(&text[index + ".route".len()..]);
            let path = call[2..]
                .split('"')
                .next()
                .expect("path literal")
                .to_owned();
            let mut found = false;
            for method in METHODS {
                for (at, _) in call.match_indices(&format!("{method}(")) {
                    let before = call[..at].chars().next_back().unwrap_or(' ');
                    if !before.is_alphanumeric() && before != '_' {
                        out.insert((path.clone(), method.to_owned()));
                        found = true;
                    }
                }
            }
            assert!(found, "no method found in {}: {call}", file.display());
        }
    }
    out
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of a parenthesised call starting at `text[0] == '('`, up to its closing paren.
fn balanced_call(text: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..=i];
                }
            }
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn every_route_in_the_sources_is_documented() {
    let documented = operations(&document().await);
    let routes = routes_in_sources();
    assert!(routes.len() >= 9, "found routes: {routes:?}");
    let mut missing = Vec::new();
    for (path, method) in &routes {
        if control_api::openapi::UNDOCUMENTED.contains(&path.as_str()) {
            continue;
        }
        // Routers are nested (e.g. under /api/v1), so a documented path may add a prefix.
        let covered = documented.iter().any(|(doc_path, doc_method)| {
            doc_method == method
                && (doc_path == path
                    || (doc_path.ends_with(path.as_str())
                        && doc_path[..doc_path.len() - path.len()].starts_with('/')))
        });
        if !covered {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    assert!(
        missing.is_empty(),
        "routes without #[utoipa::path]: {missing:?}"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let state = memory_state().await;
    let doc = document().await;
    for (path, method) in operations(&doc) {
        let uri = fill_params(&path);
        let request = Request::builder()
            .method(Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"))
            .uri(&uri)
            .body(Body::empty())
            .expect("request");
        let response = control_api::app(state.clone())
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(
            !(status == StatusCode::NOT_FOUND && text.contains("no route for")),
            "{method} {uri} is documented but not routed"
        );
    }
}

/// Replaces `{param}` segments with a syntactically valid id.
fn fill_params(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn get_raw(uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = control_api::app(memory_state().await)
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible router");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn docs_page_and_its_assets_are_served_locally() {
    let (status, headers, _) = get_raw("/docs").await;
    assert!(status.is_redirection(), "/docs redirects: {status}");
    assert_eq!(headers["location"], "/docs/");

    let (status, headers, body) = get_raw("/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/html")),
        "{headers:?}"
    );
    let html = String::from_utf8(body).expect("utf-8 page");
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and stylesheet is relative (served by us), none from the internet.
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let target = part.split('"').next().expect("attribute value");
            assert!(
                !target.starts_with("http") && !target.starts_with("//"),
                "external asset {target}"
            );
            assets.push(target.trim_start_matches("./").to_owned());
        }
    }
    assert!(
        assets.iter().any(|a| a.ends_with(".js")),
        "scripts: {assets:?}"
    );
    for asset in &assets {
        let (status, _, body) = get_raw(&format!("/docs/{asset}")).await;
        assert_eq!(status, StatusCode::OK, "/docs/{asset}");
        assert!(body.len() > 100, "/docs/{asset} has content");
    }
    let (status, _, body) = get_raw("/docs/swagger-initializer.js").await;
    assert_eq!(status, StatusCode::OK);
    let init = String::from_utf8(body).expect("utf-8 script");
    assert!(init.contains("/openapi.json"), "{init}");
}
