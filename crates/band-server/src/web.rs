//! The dashboard's files (`web/dist`, built by the README's run command), served from the same
//! origin as the API. A path with no file behind it gets `index.html` (the dashboard routes in
//! the browser); `/assets/*` are content-hashed and cached for good, the page itself never.
//! Paths are resolved inside the directory only (no `..`, no absolute paths, no symlink out).

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The page's own policy: scripts and styles from this origin only, no framing by others, no
/// forms or base tags pointing elsewhere.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; \
    base-uri 'none'; form-action 'none'; object-src 'none'";

/// Where the built dashboard is, when there is one.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BAND_WEB_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    checkout.join("index.html").is_file().then_some(checkout)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` for a URL path, if it stays inside.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut path = root.to_owned();
    for part in url_path.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." || part.contains('\\') || part.contains('\0') {
            return None;
        }
        path.push(part);
    }
    let root = std::fs::canonicalize(root).ok()?;
    let real = std::fs::canonicalize(&path).ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

pub async fn serve(State(dir): State<Option<PathBuf>>, req: Request) -> Response {
    let Some(dir) = dir else {
        return page(
            StatusCode::OK,
            "<!doctype html><meta charset=utf-8><title>band</title><body style=\"font:16px system-ui;max-width:36em;\
             margin:3em auto;padding:0 1em\"><h1>band</h1><p>band-server is running, but its dashboard is not built. \
             Run <code>./scripts/run.sh</code> from band's checkout, which builds it, or set <code>BAND_WEB_DIR</code> \
             to a built <code>web/dist</code>. The API is at <code>/rpc</code>.</p>"
                .to_owned(),
        );
    };
    let url_path = req.uri().path();
    let asset = resolve(&dir, url_path);
    let (file, immutable) = match asset {
        Some(f) => (f, url_path.starts_with("/assets/")),
        // An asset that is not there is a 404; any other path is a page of the dashboard.
        None if url_path.starts_with("/assets/") || Path::new(url_path).extension().is_some() => {
            return (StatusCode::NOT_FOUND, format!("no file {url_path}")).into_response();
        }
        None => match resolve(&dir, "index.html") {
            Some(index) => (index, false),
            None => return (StatusCode::NOT_FOUND, "the dashboard has no index.html").into_response(),
        },
    };
    let bytes = match tokio::fs::read(&file).await {
        Ok(b) => b,
        Err(e) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", file.display())).into_response();
        }
    };
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
    if immutable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    if file.extension().is_some_and(|e| e == "html") {
        h.insert("content-security-policy", HeaderValue::from_static(PAGE_CSP));
    }
    res
}

fn page(status: StatusCode, html: String) -> Response {
    let mut res = (status, html).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    res.headers_mut().insert("content-security-policy", HeaderValue::from_static(PAGE_CSP));
    res
}
