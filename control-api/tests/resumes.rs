//! Resumes on both backends: upload, stateless parse, get, list, update, delete, download,
//! ownership, and every bad-PDF case. PDFs are written at test time with `lopdf`.

mod common;
mod resumes_pdfs;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::uploads::multipart;
use common::{assert_error, send_to};
use control_api::AppState;
use http_body_util::BodyExt;
use lopdf::{Stream, dictionary};
use resumes_pdfs::{
    RESUME, bomb_pdf, encrypted_pdf, image_only_document, lzw_pdf, resume_pdf, save, text_document,
};
use serde_json::{Value, json};
use tower::ServiceExt;

fn with_token(method: &str, uri: &str, token: &str, body: Option<&Value>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    match body {
        Some(json) => builder
            .header("content-type", "application/json")
            .body(Body::from(json.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("valid request")
}

/// Registers `email` and returns an access token.
async fn login(state: &AppState, email: &str) -> String {
    let register = Request::post("/api/v1/auth/register")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"email": email, "password": "securepassword"}).to_string(),
        ))
        .expect("valid request");
    let reply = send_to(state, register).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let login = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": email, "password": "securepassword"}).to_string(),
        ))
        .expect("valid request");
    let reply = send_to(state, login).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn total(state: &AppState, token: &str) -> i64 {
    let reply = send_to(state, with_token("GET", "/api/v1/resumes", token, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["total"].as_i64().expect("total")
}

fn assert_seed_shape(parsed: &Value) {
    let contact = &parsed["contact"];
    assert_eq!(contact["name"], "Jane Doe", "{parsed:#}");
    assert_eq!(contact["email"], "jane.doe@example.com");
    assert_eq!(contact["phone"], "+1-555-123-4567");
    assert_eq!(contact["location"], "San Francisco, CA");
    assert_eq!(contact["linkedin"], "https://linkedin.com/in/janedoe");
    assert!(
        parsed["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Senior software engineer"))
    );
    let exp = parsed["experiences"].as_array().expect("experiences");
    assert_eq!(exp.len(), 2, "{exp:#?}");
    assert_eq!(exp[0]["title"], "Senior Software Engineer");
    assert_eq!(exp[0]["company"], "Tech Corp");
    assert_eq!(exp[0]["start_date"], "Jan 2020");
    assert_eq!(exp[0]["end_date"], "Present");
    assert_eq!(
        exp[0]["description"],
        "Lead backend development for core platform services."
    );
    assert_eq!(
        exp[0]["highlights"],
        json!([
            "Led migration to microservices architecture",
            "Improved API latency by 40%"
        ])
    );
    assert_eq!(exp[1]["title"], "Software Engineer");
    assert_eq!(exp[1]["company"], "StartupXYZ");
    assert_eq!(exp[1]["start_date"], "Jun 2017");
    assert_eq!(exp[1]["end_date"], "Dec 2019");
    let edu = parsed["education"].as_array().expect("education");
    assert_eq!(edu.len(), 2, "{edu:#?}");
    assert_eq!(edu[0]["institution"], "Stanford University");
    assert_eq!(edu[0]["degree"], "Master of Science");
    assert_eq!(edu[0]["field"], "Computer Science");
    assert_eq!(edu[0]["graduation_date"], "2017");
    assert_eq!(edu[1]["institution"], "UC Berkeley");
    assert_eq!(
        parsed["skills"],
        json!([
            "Python",
            "TypeScript",
            "Rust",
            "AWS",
            "Kubernetes",
            "PostgreSQL"
        ])
    );
    assert_eq!(
        parsed["certifications"],
        json!([
            "AWS Solutions Architect Professional",
            "Kubernetes Administrator (CKA)"
        ])
    );
    assert!(
        parsed["raw_text"]
            .as_str()
            .is_some_and(|t| t.contains("StartupXYZ"))
    );
}

backend_tests! {
    async fn upload_get_list_update_download_delete(state: AppState) {
        let token = login(&state, "jane@example.com").await;
        let pdf = resume_pdf();
        let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "file", "jane's cv.pdf", &pdf)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        let resume = reply.json;
        let id = resume["id"].as_str().expect("id").to_owned();
        assert_eq!(resume["filename"], "jane's cv.pdf");
        assert_eq!(resume["content_type"], "application/pdf");
        assert_eq!(resume["size_bytes"], pdf.len());
        assert_seed_shape(&resume["parsed"]);

        let reply = send_to(&state, with_token("GET", &format!("/api/v1/resumes/{id}"), &token, None)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json, resume);

        for uri in ["/api/v1/resumes", "/api/v1/resumes/user?skip=0&limit=5"] {
            let reply = send_to(&state, with_token("GET", uri, &token, None)).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}");
            assert_eq!(reply.json["total"], 1);
            assert_eq!(reply.json["items"][0]["id"], id.as_str());
        }
        let reply = send_to(&state, with_token("GET", "/api/v1/resumes?skip=1", &token, None)).await;
        assert_eq!(reply.json["items"], json!([]));

        let response = control_api::app(state.clone())
            .oneshot(with_token("GET", &format!("/api/v1/resumes/{id}/file"), &token, None))
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&bytes[..], &pdf[..], "the stored bytes come back unchanged");

        let mut corrected = resume["parsed"].clone();
        corrected["skills"] = json!(["Rust", "Go"]);
        corrected["contact"]["name"] = json!("Jane Q. Doe");
        let update = json!({"filename": "jane.pdf", "parsed": corrected});
        let reply = send_to(&state, with_token("PUT", &format!("/api/v1/resumes/{id}"), &token, Some(&update))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["filename"], "jane.pdf");
        assert_eq!(reply.json["parsed"]["skills"], json!(["Rust", "Go"]));
        assert_eq!(reply.json["parsed"]["contact"]["name"], "Jane Q. Doe");

        let reply = send_to(&state, with_token("DELETE", &format!("/api/v1/resumes/{id}"), &token, None)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        let reply = send_to(&state, with_token("GET", &format!("/api/v1/resumes/{id}"), &token, None)).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
        assert_eq!(total(&state, &token).await, 0);
    }

    async fn another_users_resume_is_404(state: AppState) {
        let owner = login(&state, "owner@example.com").await;
        let other = login(&state, "other@example.com").await;
        let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&owner), "file", "cv.pdf", &resume_pdf())).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let id = reply.json["id"].as_str().expect("id").to_owned();
        let update = json!({"filename": "stolen.pdf"});
        for (method, uri, body) in [
            ("GET", format!("/api/v1/resumes/{id}"), None),
            ("GET", format!("/api/v1/resumes/{id}/file"), None),
            ("PUT", format!("/api/v1/resumes/{id}"), Some(&update)),
            ("DELETE", format!("/api/v1/resumes/{id}"), None),
        ] {
            let reply = send_to(&state, with_token(method, &uri, &other, body)).await;
            assert_error(&reply, StatusCode::NOT_FOUND);
        }
        assert_eq!(total(&state, &other).await, 0);
        let reply = send_to(&state, with_token("GET", &format!("/api/v1/resumes/{id}"), &owner, None)).await;
        assert_eq!(reply.json["filename"], "cv.pdf", "untouched by the other user");
    }

    async fn bad_pdfs_get_clear_4xx_and_store_nothing(state: AppState) {
        let token = login(&state, "bad@example.com").await;
        let good = resume_pdf();
        let mut corrupt = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n".to_vec();
        corrupt.extend_from_slice(b"garbage garbage\ntrailer << /Root 1 0 R >>\n%%EOF\n");
        let mut too_big = b"%PDF-1.5\n".to_vec();
        too_big.resize(10 * 1024 * 1024 + 1, b' ');
        let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
            ("empty", Vec::new(), StatusCode::BAD_REQUEST, "empty"),
            ("not a PDF", b"Jane Doe\nEngineer\n".to_vec(), StatusCode::BAD_REQUEST, "only PDF"),
            ("over 10 MB", too_big, StatusCode::BAD_REQUEST, "10 MB"),
            ("encrypted", encrypted_pdf(), StatusCode::UNPROCESSABLE_ENTITY, "password"),
            ("scanned", save(image_only_document()), StatusCode::UNPROCESSABLE_ENTITY, "no text layer"),
            ("truncated", good[..good.len() / 2].to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "truncated"),
            ("corrupt", corrupt, StatusCode::UNPROCESSABLE_ENTITY, "corrupt"),
            ("zip bomb", bomb_pdf(), StatusCode::UNPROCESSABLE_ENTITY, "inflates"),
            ("large LZW stream", lzw_pdf(), StatusCode::UNPROCESSABLE_ENTITY, "inflates"),
        ];
        for (name, bytes, status, detail) in cases {
            for uri in ["/api/v1/resumes/upload", "/api/v1/resume/parse"] {
                let reply = send_to(&state, multipart(uri, Some(&token), "file", "x.pdf", &bytes)).await;
                assert_error(&reply, status);
                let text = reply.json["detail"].as_str().unwrap_or_default();
                assert!(text.contains(detail), "{name} at {uri}: {text}");
            }
        }
        // A body that is not multipart, and a multipart body without a `file` field.
        let reply = send_to(&state, with_token("POST", "/api/v1/resumes/upload", &token, Some(&json!({"file": "x"})))).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "document", "x.pdf", &good)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        assert_eq!(total(&state, &token).await, 0, "nothing partially written");
    }

    async fn stateless_parse_stores_nothing(state: AppState) {
        let token = login(&state, "parse@example.com").await;
        let mut compressed = text_document(RESUME);
        compressed.compress();
        for pdf in [resume_pdf(), save(compressed)] {
            let reply = send_to(&state, multipart("/api/v1/resume/parse", Some(&token), "file", "cv.pdf", &pdf)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_seed_shape(&reply.json);
        }
        assert_eq!(total(&state, &token).await, 0);
    }

    async fn bad_updates_are_rejected_and_change_nothing(state: AppState) {
        let token = login(&state, "upd@example.com").await;
        let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "file", "cv.pdf", &resume_pdf())).await;
        let before = reply.json;
        let uri = format!("/api/v1/resumes/{}", before["id"].as_str().expect("id"));
        let mut long_skill = before["parsed"].clone();
        long_skill["skills"] = json!(["x".repeat(501)]);
        let mut missing_name = before["parsed"].clone();
        missing_name["contact"].as_object_mut().expect("contact").remove("name");
        let cases = [
            (json!({"filename": 42}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"owner": "someone"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"filename": ""}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"filename": "a".repeat(256)}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"filename": "ok.pdf", "parsed": long_skill}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"parsed": missing_name}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!(["evil.pdf", null]), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (body, status) in cases {
            let reply = send_to(&state, with_token("PUT", &uri, &token, Some(&body))).await;
            assert_error(&reply, status);
        }
        let malformed = Request::put(&uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from("{\"filename\": "))
            .expect("valid request");
        assert_error(&send_to(&state, malformed).await, StatusCode::BAD_REQUEST);
        let injection = json!({"filename": "x'); DROP TABLE resumes; --"});
        let reply = send_to(&state, with_token("PUT", &uri, &token, Some(&injection))).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json["filename"], "x'); DROP TABLE resumes; --");
        let after = send_to(&state, with_token("GET", &uri, &token, None)).await.json;
        assert_eq!(after["parsed"], before["parsed"], "failed updates wrote nothing");
        assert_eq!(total(&state, &token).await, 1);
    }

    async fn unauthenticated_and_bad_paging_are_refused(state: AppState) {
        let reply = send_to(&state, Request::get("/api/v1/resumes").body(Body::empty()).expect("request")).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, multipart("/api/v1/resume/parse", Some("not-a-token"), "file", "cv.pdf", &resume_pdf())).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let token = login(&state, "page@example.com").await;
        for query in ["limit=0", "limit=101", "skip=-1", "limit=abc"] {
            let reply = send_to(&state, with_token("GET", &format!("/api/v1/resumes?{query}"), &token, None)).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}

/// Random byte damage to a valid PDF never panics or hangs the service: every answer is a
/// 2xx or a 4xx in the error shape.
#[tokio::test]
async fn mutated_pdfs_never_cause_server_errors() {
    let state = common::memory_state().await;
    let token = login(&state, "fuzz@example.com").await;
    let good = resume_pdf();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..40 {
        let mut bytes = good.clone();
        let flips = 1 + (next() % 40) as usize;
        for _ in 0..flips {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        if round % 5 == 0 {
            // Also cut a random middle chunk out while keeping the trailer.
            let from = (next() as usize) % (bytes.len() / 2);
            bytes.drain(from..from + bytes.len() / 8);
        }
        let reply = send_to(
            &state,
            multipart(
                "/api/v1/resume/parse",
                Some(&token),
                "file",
                "f.pdf",
                &bytes,
            ),
        )
        .await;
        assert!(
            reply.status.is_success() || reply.status.is_client_error(),
            "round {round}: {} {}",
            reply.status,
            reply.json
        );
        if !reply.status.is_success() {
            assert_error(&reply, reply.status);
        }
    }
}

/// A large but legal upload (a resume with a 9.5 MB scanned photo) passes every body limit.
#[tokio::test]
async fn a_nine_and_a_half_megabyte_pdf_is_accepted() {
    let state = common::memory_state().await;
    let token = login(&state, "big@example.com").await;
    let mut doc = text_document(RESUME);
    let pixels: Vec<u8> = (0..9_500_000u32).map(|i| (i % 251) as u8).collect();
    doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 2500, "Height" => 3800,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        pixels,
    ));
    let pdf = save(doc);
    assert!(
        pdf.len() > 9_500_000 && pdf.len() < 10 * 1024 * 1024,
        "{}",
        pdf.len()
    );
    let reply = send_to(
        &state,
        multipart(
            "/api/v1/resumes/upload",
            Some(&token),
            "file",
            "big.pdf",
            &pdf,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["size_bytes"], pdf.len());
    assert_eq!(reply.json["parsed"]["contact"]["name"], "Jane Doe");
}
