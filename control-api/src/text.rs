//! Text that may reach the database: one rule for both backends.
//!
//! PostgreSQL refuses NUL in `TEXT` while SQLite stores it, so the same request used to be a 500
//! on one backend and a stored row on the other. Every string of a request (JSON values and
//! keys, form fields, path segments, query values) is checked here before any handler runs: no
//! control character except tab, line feed and carriage return (which multi-line fields such as
//! job descriptions and code need). A refused request is a 422 and writes nothing.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;

/// Whether `c` is refused in request text: C0 controls except `\t` `\n` `\r`, DEL and C1.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The 422 for text with a control character; `field` names where it was.
pub fn forbidden(field: &str) -> ApiError {
    ApiError::Unprocessable(format!(
        "{field} must not contain NUL or other control characters"
    ))
}

/// Checks one string.
pub fn check(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().any(is_forbidden) {
        return Err(forbidden(field));
    }
    Ok(())
}

/// Checks every string and object key inside a JSON value; the error names the first path.
pub fn check_json(value: &Value) -> Result<(), ApiError> {
    fn walk(value: &Value, path: &mut String) -> Result<(), ApiError> {
        match value {
            Value::String(s) => check(if path.is_empty() { "body" } else { path }, s),
            Value::Array(items) => items.iter().try_for_each(|item| walk(item, path)),
            Value::Object(map) => map.iter().try_for_each(|(key, item)| {
                check("a field name", key)?;
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let result = walk(item, path);
                path.truncate(len);
                result
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        }
    }
    walk(value, &mut String::new())
}

/// Middleware: refuses a request whose percent-decoded path or query holds a control character.
pub async fn reject_control_in_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if percent_decoded_has_control(uri.path()) {
        return forbidden("the path").into_response();
    }
    if uri.query().is_some_and(percent_decoded_has_control) {
        return forbidden("the query").into_response();
    }
    next.run(request).await
}

/// Whether `raw` (percent-encoded) decodes to bytes that hold a forbidden control character.
/// Bytes of multi-byte UTF-8 sequences are at least 0x80, so C0 and DEL show as single bytes;
/// C1 controls (U+0080 to U+009F) are found by decoding the whole string.
fn percent_decoded_has_control(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            decoded.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        decoded.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).chars().any(is_forbidden)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_before_looking() {
        assert!(percent_decoded_has_control("/a%00b"));
        assert!(percent_decoded_has_control("status=%1F"));
        assert!(percent_decoded_has_control("x=%7f"));
        assert!(percent_decoded_has_control("x=%C2%85"));
        assert!(!percent_decoded_has_control("x=%0A")); // line feed is allowed
        assert!(!percent_decoded_has_control("/api/v1/interviews/%E2%82%AC"));
        assert!(!percent_decoded_has_control("/trailing%"));
        assert!(!percent_decoded_has_control("/short%0"));
        assert!(!percent_decoded_has_control("/bad%zz"));
    }

    #[test]
    fn names_the_first_bad_field() {
        let v = serde_json::json!({"a": {"b": ["ok", "x\u{0}y"]}});
        let err = check_json(&v).expect_err("NUL refused");
        assert!(err.to_string().starts_with("a.b "), "{err}");
        assert!(check_json(&serde_json::json!({"code": "fn main() {\n\tx\r\n}"})).is_ok());
        assert!(check_json(&serde_json::json!({"k\u{1b}": 1})).is_err());
    }
}
