//! `/metrics`: Prometheus text with request counts and latency histograms by route template.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::memory_state;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn call(app: &Router, method: &str, uri: &str) -> (StatusCode, String, String) {
    // The default metrics token is the service token.
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", "Bearer dev-service-token")
        .body(Body::empty())
        .expect("valid request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The value of the sample whose name and labels are exactly `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn counts_and_times_requests_by_route_template_and_status() {
    let app = control_api::app(memory_state().await);
    for _ in 0..3 {
        assert_eq!(call(&app, "GET", "/health").await.0, StatusCode::OK);
    }
    let (status, _, _) = call(&app, "GET", "/api/v1/resumes/some-id").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(&app, "GET", "/no/such/path-4711").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(&app, "DELETE", "/health").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    let (status, content_type, text) = call(&app, "GET", "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE http_request_duration_seconds histogram"),
        "{text}"
    );
    let expected = [
        (
            r#"http_requests_total{method="GET",route="/health",status="200"}"#,
            3.0,
        ),
        (
            r#"http_requests_total{method="GET",route="/api/v1/resumes/{id}",status="401"}"#,
            1.0,
        ),
        (
            r#"http_requests_total{method="GET",route="unmatched",status="404"}"#,
            1.0,
        ),
        (
            r#"http_request_duration_seconds_count{method="GET",route="/health",status="200"}"#,
            3.0,
        ),
        (
            r#"http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="+Inf"}"#,
            3.0,
        ),
    ];
    for (series, value) in expected {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
    let latency_sum = sample(
        &text,
        r#"http_request_duration_seconds_sum{method="GET",route="/health",status="200"}"#,
    )
    .expect("latency sum");
    assert!(latency_sum > 0.0 && latency_sum < 3.0, "{latency_sum}");
    assert!(!text.contains("path-4711"), "raw paths never become labels");
    assert!(text.contains(r#"status="405""#), "{text}");
}

#[tokio::test]
async fn each_app_has_its_own_registry() {
    let first = control_api::app(memory_state().await);
    let second = control_api::app(memory_state().await);
    for _ in 0..2 {
        call(&first, "GET", "/health").await;
    }
    let (_, _, text) = call(&second, "GET", "/metrics").await;
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="/health",status="200"}"#
        ),
        None,
        "{text}"
    );
}
