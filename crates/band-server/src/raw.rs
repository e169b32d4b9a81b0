//! `GET /workspaces/{id}/raw/{path}`: a workspace file's bytes, for images in the Files pane and
//! downloads. Behind the guard like every route; reads go through band-core's `Files` service and
//! so through the same containment as `files.read` (SECURITY.md 13), with a larger cap
//! ([`Files::RAW_LIMIT`]).
//!
//! Invariant (SECURITY.md 14): an agent-written file never runs on band's origin. Every reply
//! carries `X-Content-Type-Options: nosniff` and [`CSP`] (no source of anything allowed, a
//! sandbox: no script, no same origin); only known raster images get their own content type;
//! everything else is `text/plain` (UTF-8 text) or `application/octet-stream`, and HTML, SVG and
//! XML — formats a browser would run — and anything that is not text are sent as attachments.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use band_core::services::Files;
use band_core::{CoreError, WorkspacePath};

/// The route, in axum's syntax: the workspace's id, then the file's path (percent-decoded).
pub const ROUTE: &str = "/workspaces/{id}/raw/{*path}";

/// The policy every raw file is served with. `frame-ancestors 'self'` as on every band reply
/// (SECURITY.md 20); `sandbox` without `allow-scripts` or `allow-same-origin`.
pub const CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'self'";

/// The handler.
pub async fn serve(State(files): State<Arc<Files>>, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let Ok(Path((id, rel))) = path else {
        return error(StatusCode::BAD_REQUEST, "the path is not valid UTF-8 once percent-decoded".into());
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("'{}' is not a workspace id; see workspaces.list", id.escape_debug()),
        );
    }
    match files.read(&id, &rel, Files::RAW_LIMIT).await {
        Ok((_, file)) => file_response(&file.path, file.bytes),
        Err(e) => core_error(e),
    }
}

fn file_response(path: &WorkspacePath, bytes: Vec<u8>) -> Response {
    let (content_type, attachment) = kind(path, &bytes);
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    if attachment {
        let name = path.name().unwrap_or("file");
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{}", percent_encode(name))) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    res
}

/// The content type a file is served with, and whether it is sent as an attachment.
pub fn kind(path: &WorkspacePath, bytes: &[u8]) -> (&'static str, bool) {
    const TEXT: &str = "text/plain; charset=utf-8";
    const BINARY: &str = "application/octet-stream";
    let text = !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok();
    match path.extension().as_deref() {
        Some("png") => ("image/png", false),
        Some("jpg" | "jpeg") => ("image/jpeg", false),
        Some("gif") => ("image/gif", false),
        Some("webp") => ("image/webp", false),
        Some("avif") => ("image/avif", false),
        Some("bmp") => ("image/bmp", false),
        Some("ico") => ("image/x-icon", false),
        // An <img> shows it without running it; opened directly, it is a download.
        Some("svg" | "svgz") => ("image/svg+xml", true),
        Some("html" | "htm" | "xhtml" | "xht" | "shtml" | "xml" | "xsl" | "xslt" | "mht" | "mhtml") => {
            (if text { TEXT } else { BINARY }, true)
        }
        _ if text => (TEXT, false),
        _ => (BINARY, true),
    }
}

/// RFC 5987 encoding for `filename*`: everything but unreserved characters as `%XX`.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn core_error(e: CoreError) -> Response {
    let status = match &e {
        CoreError::InvalidInput(_) => StatusCode::BAD_REQUEST,
        CoreError::NotFound(_) => StatusCode::NOT_FOUND,
        CoreError::Refused(_) => StatusCode::FORBIDDEN,
        CoreError::Conflict(_) => StatusCode::CONFLICT,
        CoreError::Internal(source) => {
            tracing::error!(error = %source, "raw file: internal error");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server's log has the details".into());
        }
    };
    error(status, e.problem().map(crate::rpc::problem_message).unwrap_or_default())
}

fn error(status: StatusCode, message: String) -> Response {
    let mut res = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(path: &str, bytes: &[u8]) -> (&'static str, bool) {
        kind(&WorkspacePath::new(path).expect("valid"), bytes)
    }

    #[test]
    fn only_raster_images_keep_their_type_and_active_formats_are_attachments() {
        assert_eq!(kind_of("a/logo.PNG", b"\x89PNG"), ("image/png", false));
        assert_eq!(kind_of("photo.jpeg", b"\xff\xd8"), ("image/jpeg", false));
        assert_eq!(kind_of("icon.svg", b"<svg onload=alert(1)/>"), ("image/svg+xml", true));
        for page in ["index.html", "a.htm", "b.xhtml", "c.xml", "d.shtml"] {
            assert_eq!(kind_of(page, b"<script>alert(1)</script>"), ("text/plain; charset=utf-8", true), "{page}");
        }
        assert_eq!(kind_of("main.rs", b"fn main() {}"), ("text/plain; charset=utf-8", false));
        assert_eq!(kind_of("no-extension", b"<html><script>x</script>"), ("text/plain; charset=utf-8", false));
        assert_eq!(kind_of("doc.pdf", b"%PDF-1.7\n\x00\xff"), ("application/octet-stream", true));
        assert_eq!(kind_of("page.html", b"\xff\xfe<\x00"), ("application/octet-stream", true));
    }

    #[test]
    fn attachment_names_are_encoded() {
        assert_eq!(percent_encode("a b\"ü.html"), "a%20b%22%C3%BC.html");
        assert_eq!(percent_encode("index.html"), "index.html");
    }
}
