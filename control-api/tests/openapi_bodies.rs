//! Every operation the document gives a JSON request body refuses JSON that is not an object:
//! serde alone would build a struct from an array (`[null, null]`), which schemathesis flagged.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{assert_error, memory_state, send_to};
use serde_json::{Value, json};

const EMAIL: &str = "arrays@example.com";
const PASSWORD: &str = "longpassword1";

fn json_request(method: &str, uri: &str, token: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("valid request")
}

#[tokio::test]
async fn json_bodies_must_be_objects() {
    let state = memory_state().await;
    let register = json!({"email": EMAIL, "password": PASSWORD});
    let reply = send_to(
        &state,
        json_request("POST", "/api/v1/auth/register", "", &register),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let login = json!({"username": EMAIL, "password": PASSWORD});
    let reply = send_to(
        &state,
        json_request("POST", "/api/v1/auth/login", "", &login),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let token = reply.json["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let doc = send_to(
        &state,
        Request::get("/openapi.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .json;
    // Arrays shaped like the structs' fields in order, so that a seq-accepting body would pass.
    let arrays = [
        json!([]),
        json!([null, null]),
        json!([EMAIL, PASSWORD]),
        json!([EMAIL, PASSWORD, null, null]),
        json!(["new-name.pdf", null]),
        json!("a string"),
        json!(42),
    ];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["post", "put", "patch"] {
            let Some(op) = item.get(method) else { continue };
            if op["requestBody"]["content"]
                .get("application/json")
                .is_none()
            {
                continue;
            }
            checked += 1;
            let uri = path.replace("{id}", "00000000-0000-4000-8000-000000000000");
            for body in &arrays {
                let reply = send_to(
                    &state,
                    json_request(&method.to_uppercase(), &uri, &token, body),
                )
                .await;
                assert!(
                    reply.status.is_client_error(),
                    "{method} {path} with {body}: {} {}",
                    reply.status,
                    reply.json
                );
                assert_error(&reply, reply.status);
            }
        }
    }
    assert!(checked >= 5, "JSON operations checked: {checked}");
}
