//! The OS bridge: what the dashboard may ask of the desktop, and who may ask.
//!
//! **The origin rule.** Only the embedded dashboard calls the bridge: a page whose top frame is
//! exactly `http://127.0.0.1:<port>` of the server the shell signed in to. Three checks, each
//! enough on its own to refuse a page loaded from elsewhere:
//! 1. the window never shows another origin: navigation to anything else is cancelled (https
//!    links go to the default browser), and new windows are never opened;
//! 2. the script that defines `window.bandDesktop` is injected into the top frame only and
//!    defines nothing unless `self.origin` is the dashboard's (a sandboxed or foreign page gets
//!    nothing), and it holds this run's random key, which every message must carry;
//! 3. the shell checks every message: the top frame's URL must be on the dashboard's origin
//!    (and not a raw workspace file), and the key must match (constant time).
//!
//! A browser tab on the same dashboard has no `window.ipc` at all: the bridge exists only in the
//! shell's webview. Requests are parsed into [`Call`] (unknown methods and fields refused), paths
//! come back through the API (a workspace by id, a file relative to it, checked to stay inside),
//! and links must be https.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

/// A message from the page: `{"key", "id", "method", "params"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub key: String,
    pub id: u64,
    #[serde(flatten)]
    pub call: Call,
}

/// What the dashboard may ask.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "camelCase", deny_unknown_fields)]
pub enum Call {
    /// The dashboard has rendered its lists: the window is shown (first time) and the start-up
    /// time recorded. `projects` is what the project list shows.
    #[serde(rename_all = "camelCase")]
    Ready { projects: Vec<String> },
    /// What the shell offers (the editor it found).
    Info {},
    /// The native folder dialog; the chosen folder's path, or null.
    #[serde(rename_all = "camelCase")]
    PickFolder { title: Option<String> },
    /// Shows a workspace (or a file in it) in the file manager.
    #[serde(rename_all = "camelCase")]
    Reveal { workspace: i64, file: Option<String> },
    /// Opens a workspace, or a file in it at a line, in the person's editor.
    #[serde(rename_all = "camelCase")]
    OpenInEditor { workspace: i64, file: Option<String>, line: Option<u32> },
    /// Puts text on the clipboard (at most [`MAX_COPY`] bytes).
    Copy { text: String },
    /// Opens an https link in the default browser.
    OpenLink { url: String },
}

/// The largest text the bridge copies.
pub const MAX_COPY: usize = 1 << 20;

impl Call {
    pub fn method(&self) -> &'static str {
        match self {
            Call::Ready { .. } => "ready",
            Call::Info {} => "info",
            Call::PickFolder { .. } => "pickFolder",
            Call::Reveal { .. } => "reveal",
            Call::OpenInEditor { .. } => "openInEditor",
            Call::Copy { .. } => "copy",
            Call::OpenLink { .. } => "openLink",
        }
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the bridge answers only the embedded dashboard ({expected}), not a page at {got}")]
    Origin { expected: String, got: String },
    #[error("the bridge refused a message without this window's key")]
    Key,
    #[error("not a bridge message: {0}")]
    Malformed(String),
}

/// The origin (`scheme://host:port`) of a URL, lowercased; `None` unless http(s) with a host.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let with_port = match authority.rsplit_once(':') {
        Some((_, port)) if !authority.ends_with(']') => {
            port.parse::<u16>().ok()?;
            authority
        }
        _ => format!("{authority}:{default}"),
    };
    Some(format!("{scheme}://{with_port}"))
}

/// The path of a URL (without query or fragment).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// Checks a message's source and key; parses it.
///
/// # Errors
/// [`Refusal`]: the wrong page, the wrong key, or not a bridge message.
pub fn admit(page_url: &str, body: &str, dashboard: &str, key: &str) -> Result<Message, Refusal> {
    let from_dashboard = origin_of(page_url).is_some_and(|o| Some(o) == origin_of(dashboard));
    // Raw workspace files are served on the dashboard's origin, sandboxed; never a caller.
    let raw_file = path_of(page_url).starts_with("/workspaces/");
    if !from_dashboard || raw_file {
        return Err(Refusal::Origin {
            expected: dashboard.to_owned(),
            got: page_url.split(['?', '#']).next().unwrap_or_default().to_owned(),
        });
    }
    if body.len() > MAX_COPY + 4096 {
        return Err(Refusal::Malformed("message too large".into()));
    }
    let message: Message = serde_json::from_str(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if !same(message.key.as_bytes(), key.as_bytes()) {
        return Err(Refusal::Key);
    }
    Ok(message)
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// May the window navigate to `url`? Only within the dashboard's origin.
pub fn may_navigate(url: &str, dashboard: &str) -> bool {
    url == "about:blank" || origin_of(url).is_some_and(|o| Some(o) == origin_of(dashboard))
}

/// An https link, checked (no credentials, a host).
///
/// # Errors
/// Anything but an https URL with a host.
pub fn https_link(url: &str) -> Result<&str, String> {
    let ok = url.len() <= 8192
        && url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        && origin_of(url).is_some()
        && !url.chars().any(|c| c.is_control() || c == ' ');
    if ok {
        Ok(url)
    } else {
        Err(format!("only https links open in the browser, not '{}'", url.chars().take(200).collect::<String>()))
    }
}

/// `root` joined with `file`, a relative path inside it (no `..`, no absolute path), resolved
/// and checked to stay inside.
///
/// # Errors
/// A path that is absolute, climbs out, or does not exist.
pub fn inside(root: &Path, file: Option<&str>) -> Result<PathBuf, String> {
    let Some(file) = file.filter(|f| !f.is_empty()) else { return Ok(root.to_owned()) };
    let rel = Path::new(file);
    if file.contains('\0') || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!("'{file}' is not a path inside the workspace"));
    }
    let real_root = std::fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let real = std::fs::canonicalize(root.join(rel)).map_err(|_| format!("'{file}' is not in the workspace"))?;
    if !real.starts_with(&real_root) {
        return Err(format!("'{file}' leads outside the workspace"));
    }
    Ok(real)
}

/// The script that gives the dashboard `window.bandDesktop` (top frame only, dashboard origin
/// only). Calls return promises; the shell answers through `__bandDesktopReply`.
pub fn init_script(dashboard: &str, key: &str) -> String {
    // As a browser writes it: the default port left out.
    let full = origin_of(dashboard).unwrap_or_default();
    let shown = full.strip_suffix(":80").filter(|_| full.starts_with("http:")).unwrap_or(&full);
    let origin = serde_json::to_string(shown).unwrap_or_default();
    let key = serde_json::to_string(key).unwrap_or_default();
    format!(
        r#"(function () {{
  if (window.top !== window || self.origin !== {origin} || !window.ipc) return;
  var key = {key}, next = 1, pending = new Map();
  function call(method, params) {{
    return new Promise(function (resolve, reject) {{
      var id = next++;
      pending.set(id, {{ resolve: resolve, reject: reject }});
      window.ipc.postMessage(JSON.stringify({{ key: key, id: id, method: method, params: params || {{}} }}));
    }});
  }}
  Object.defineProperty(window, "__bandDesktopReply", {{
    value: function (id, ok, value) {{
      var p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      if (ok) p.resolve(value); else p.reject(new Error(value));
    }},
  }});
  Object.defineProperty(window, "bandDesktop", {{
    value: Object.freeze({{ version: 1, call: call }}),
  }});
}})();"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DASH: &str = "http://127.0.0.1:4567";

    fn body(key: &str, rest: &str) -> String {
        format!(r#"{{"key":"{key}","id":1,{rest}}}"#)
    }

    #[test]
    fn only_the_dashboard_with_the_key_is_admitted() {
        let ok = body("k1", r#""method":"pickFolder","params":{}"#);
        let m = admit("http://127.0.0.1:4567/w/3?chat=1", &ok, DASH, "k1").expect("admitted");
        assert_eq!(m.call, Call::PickFolder { title: None });
        for page in [
            "https://evil.example/",
            "http://127.0.0.1:4568/",
            "http://localhost:4567/",
            "http://127.0.0.1:4567.evil.example/",
            "http://user@127.0.0.1:4567/",
            "file:///tmp/x.html",
            "about:blank",
            "",
            "http://127.0.0.1:4567/workspaces/1/raw/page.html",
        ] {
            assert!(matches!(admit(page, &ok, DASH, "k1"), Err(Refusal::Origin { .. })), "{page}");
        }
        assert_eq!(admit(DASH, &body("k2", r#""method":"info","params":{}"#), DASH, "k1").err(), Some(Refusal::Key));
        assert_eq!(admit(DASH, &body("", r#""method":"info","params":{}"#), DASH, "k1").err(), Some(Refusal::Key));
    }

    #[test]
    fn calls_are_parsed_strictly() {
        let parse = |rest: &str| admit(DASH, &body("k", rest), DASH, "k").map(|m| m.call);
        assert_eq!(
            parse(r#""method":"openInEditor","params":{"workspace":3,"file":"src/a.rs","line":12}"#),
            Ok(Call::OpenInEditor { workspace: 3, file: Some("src/a.rs".into()), line: Some(12) })
        );
        for bad in [
            r#""method":"exec","params":{"cmd":"rm"}"#,
            r#""method":"reveal","params":{"path":"/etc"}"#,
            r#""method":"openInEditor","params":{"workspace":"x"}"#,
            r#""method":"copy","params":{}"#,
        ] {
            assert!(matches!(parse(bad), Err(Refusal::Malformed(_))), "{bad}");
        }
        assert!(matches!(admit(DASH, "not json", DASH, "k"), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn origins_and_navigation() {
        assert_eq!(origin_of("HTTP://127.0.0.1:4567/x?y#z").as_deref(), Some("http://127.0.0.1:4567"));
        assert_eq!(origin_of("https://example.com/a").as_deref(), Some("https://example.com:443"));
        assert_eq!(origin_of("http://example.com").as_deref(), Some("http://example.com:80"));
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("http://a:b/"), None);
        assert!(may_navigate("http://127.0.0.1:4567/w/1", DASH));
        assert!(!may_navigate("https://example.com/", DASH));
        assert!(!may_navigate("http://127.0.0.1:9999/", DASH));
        assert!(https_link("https://example.com/a?b=1").is_ok());
        for bad in ["http://example.com", "javascript:alert(1)", "https://", "https://a b", "file:///etc/passwd"] {
            assert!(https_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn files_stay_inside_their_workspace() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("src")).expect("mkdir");
        std::fs::write(dir.path().join("src/a.rs"), "").expect("write");
        std::os::unix::fs::symlink("/etc", dir.path().join("out")).expect("symlink");
        assert!(inside(dir.path(), Some("src/a.rs")).expect("inside").ends_with("src/a.rs"));
        assert_eq!(inside(dir.path(), None).expect("root"), dir.path());
        for bad in ["../x", "/etc/passwd", "src/../../x", "out/passwd", "missing.rs", "./src/a.rs"] {
            assert!(inside(dir.path(), Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_script_defines_the_bridge_only_for_the_dashboard() {
        let s = init_script(DASH, "secret-key");
        assert!(s.contains(r#"self.origin !== "http://127.0.0.1:4567""#), "{s}");
        assert!(s.contains("window.top !== window"), "{s}");
        assert!(s.contains(r#"var key = "secret-key""#), "{s}");
    }
}
