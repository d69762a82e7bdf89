//! Multipart uploads, as a browser or `curl -F file=@cv.pdf` sends them.

use axum::body::Body;
use axum::http::Request;

const BOUNDARY: &str = "XtestBOUNDARYx";

/// `POST uri` with one multipart field `field` holding `bytes` as `filename` (a PDF), and an
/// optional bearer credential.
pub fn multipart(
    uri: &str,
    bearer: Option<&str>,
    field: &str,
    filename: &str,
    bytes: &[u8],
) -> Request<Body> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut builder = Request::post(uri).header(
        "content-type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::from(body)).expect("valid request")
}
