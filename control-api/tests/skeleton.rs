//! The service skeleton: probes, error shape for unknown routes, wrong methods, bad JSON,
//! oversized bodies, request ids, and serving on a real socket with graceful shutdown.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{assert_error, send};

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .body(Body::empty())
        .expect("valid request")
}

#[tokio::test]
async fn health_and_ready_answer_ok() {
    for (uri, status) in [
        ("/health", "healthy"),
        ("/ready", "ok"),
        ("/api/v1/health", "healthy"),
        ("/api/v1/ready", "ok"),
    ] {
        let reply = send(get(uri)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.json["status"], status, "{uri}");
    }
}

#[tokio::test]
async fn unknown_route_is_404_in_error_shape() {
    let reply = send(get("/api/v1/nope")).await;
    assert_error(&reply, StatusCode::NOT_FOUND);
    assert!(
        reply.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/api/v1/nope"))
    );
}

#[tokio::test]
async fn wrong_method_is_405_in_error_shape() {
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/health")
        .body(Body::empty())
        .expect("valid request");
    assert_error(&send(request).await, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn request_id_is_generated_and_propagated() {
    let reply = send(get("/health")).await;
    let generated = reply.headers.get("x-request-id").expect("generated id");
    assert_eq!(generated.len(), 36, "a UUID: {generated:?}");

    let request = Request::get("/health")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .expect("valid request");
    let reply = send(request).await;
    assert_eq!(
        reply.headers.get("x-request-id").expect("echoed"),
        "abc-123"
    );
}

#[tokio::test]
async fn json_extractor_rejections_use_error_shape() {
    use control_api::json::Json;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        name: String,
    }
    async fn probe(Json(_): Json<Probe>) -> &'static str {
        "ok"
    }
    let router = axum::Router::new()
        .route("/p", axum::routing::post(probe))
        .layer(axum::extract::DefaultBodyLimit::max(64));
    let cases: [(&str, &str, StatusCode); 5] = [
        ("application/json", "{not json", StatusCode::BAD_REQUEST),
        (
            "application/json",
            r#"{"name": 5}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("application/json", "{}", StatusCode::UNPROCESSABLE_ENTITY),
        ("text/plain", r#"{"name":"a"}"#, StatusCode::BAD_REQUEST),
        (
            "application/json",
            &*Box::leak(format!(r#"{{"name":"{}"}}"#, "x".repeat(200)).into_boxed_str()),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (content_type, body, status) in cases {
        let request = Request::post("/p")
            .header("content-type", content_type)
            .body(Body::from(body.to_owned()))
            .expect("valid request");
        let response = router.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), status, "{content_type} {body}");
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("in-memory body")
            .to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON error body");
        assert_eq!(json["status_code"], status.as_u16());
        assert!(json["detail"].is_string());
    }
}

#[tokio::test]
async fn serves_on_a_socket_and_shuts_down() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = common::memory_state().await;
    let server = tokio::spawn(control_api::run(listener, state, async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#"{"status":"healthy"}"#), "{response}");
    stop.send(()).expect("server still running");
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("shutdown within 5 s")
        .expect("server task")
        .expect("server result");
}
