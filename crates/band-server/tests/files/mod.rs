//! A workspace's files through the real server: `files.list` and `files.read` over JSON-RPC and
//! `GET /workspaces/{id}/raw/{path}`, on a real worktree, with every way out of the workspace an
//! agent or a cloned repository could try. Each refusal is checked by its code and exact message.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::support::{Reply, TestServer};
use crate::{INVALID, NOT_FOUND, REFUSED};

const CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'self'";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

struct Ws {
    s: TestServer,
    repo: TestRepo,
    id: i64,
    root: PathBuf,
}

/// A server with project `app` and workspace `app/w`, whose worktree holds text, HTML, SVG, an
/// image, a binary file and a nested directory.
async fn workspace() -> Ws {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file("src/main.rs", "fn main() {}\n", "Add main");
    repo.commit_file("site/index.html", "<script>alert(document.cookie)</script>\n", "Add a page");
    repo.commit_file("site/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>\n", "Logo");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let ws = s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let root = PathBuf::from(ws["path"].as_str().expect("path"));
    std::fs::write(root.join("site/shot.png"), PNG).expect("png");
    std::fs::write(root.join("data.bin"), b"\x00\x01\x02binary\xff").expect("binary");
    Ws { id: ws["id"].as_i64().expect("id"), s, repo, root }
}

impl Ws {
    fn link(&self, target: impl AsRef<Path>, rel: &str) {
        symlink(target, self.root.join(rel)).expect("symlink");
    }

    async fn read_err(&self, path: &str) -> (i64, String) {
        self.s.err("files.read", json!({"workspace": "app/w", "path": path})).await
    }

    async fn raw(&self, path: &str) -> Reply {
        self.s.get("GET", &format!("/workspaces/{}/raw/{path}", self.id)).await
    }
}

fn entries(listing: &Value) -> Vec<(String, String)> {
    listing["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["name"].as_str().unwrap_or_default().to_owned(), e["kind"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test]
async fn the_files_pane_lists_and_reads_a_workspace() {
    let w = workspace().await;
    w.link("src", "src-link");

    let root = w.s.ok("files.list", json!({"workspace": "app/w"})).await;
    assert_eq!(
        (root["workspaceId"].as_i64(), root["path"].as_str(), root["truncated"].as_bool()),
        (Some(w.id), Some(""), Some(false))
    );
    assert_eq!(
        entries(&root),
        pairs(&[("site", "dir"), ("src", "dir"), ("data.bin", "file"), ("README.md", "file"), ("src-link", "symlink")]),
        "directories first, then by name; no .git"
    );
    let readme = &root["entries"][3];
    assert_eq!((readme["path"].as_str(), readme["size"].as_u64()), (Some("README.md"), Some(18)));

    let site = w.s.ok("files.list", json!({"workspace": w.id.to_string(), "path": "site"})).await;
    assert_eq!(entries(&site), pairs(&[("index.html", "file"), ("logo.svg", "file"), ("shot.png", "file")]));
    assert_eq!(site["entries"][0]["path"], "site/index.html");
    let through_link = w.s.ok("files.list", json!({"workspace": "app/w", "path": "src-link"})).await;
    assert_eq!(entries(&through_link), pairs(&[("main.rs", "file")]));

    let main = w.s.ok("files.read", json!({"workspace": "app/w", "path": "src/main.rs"})).await;
    assert_eq!(
        main,
        json!({"workspaceId": w.id, "path": "src/main.rs", "size": 13, "binary": false, "text": "fn main() {}\n", "language": "rust"})
    );
    let md = w.s.ok("files.read", json!({"workspace": w.root.join("src"), "path": "README.md"})).await;
    assert_eq!((md["text"].as_str(), md["language"].as_str()), (Some("# test repository\n"), Some("markdown")));
    let bin = w.s.ok("files.read", json!({"workspace": "app/w", "path": "data.bin"})).await;
    assert_eq!(bin, json!({"workspaceId": w.id, "path": "data.bin", "size": 10, "binary": true}));
    let png = w.s.ok("files.read", json!({"workspace": "app/w", "path": "site/shot.png"})).await;
    assert_eq!((png["binary"].as_bool(), png.get("text")), (Some(true), None), "a NUL byte makes it binary");
    w.s.stop().await;
}

#[tokio::test]
async fn files_read_refuses_every_way_out_with_a_clear_message() {
    let w = workspace().await;
    let home = w.s.home.path().canonicalize().expect("home");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
    w.link("/etc/passwd", "passwd");
    w.link(w.repo.path().join(".git/config"), "repo-config");
    w.link(home.join("settings.json"), "settings");
    w.link("../../../settings.json", "settings-relative");
    w.link(home.join("band.db"), "db");
    w.link(outside.path(), "escape");
    w.link(".git", "gitfile");
    w.link("loop", "loop");
    assert!(std::process::Command::new("mkfifo").arg(w.root.join("pipe")).status().expect("mkfifo").success());
    std::fs::write(w.root.join("big.log"), vec![b'x'; 3 * 1024 * 1024]).expect("big");

    let invalid = |p: &str, why: &str| (INVALID, format!("invalid path '{p}': {why}"));
    let refused = |p: &str, why: &str| (REFUSED, format!("'{p}' {why}"));
    let outside_ws = "resolves outside the workspace; band serves files inside it only";
    let cases: Vec<(&str, (i64, String))> = vec![
        ("../x", invalid("../x", "'..' is not allowed; paths stay inside the workspace")),
        ("src/../../x", invalid("src/../../x", "'..' is not allowed; paths stay inside the workspace")),
        ("/etc/passwd", invalid("/etc/passwd", "it is absolute; give a path relative to the workspace root")),
        (".git/config", invalid(".git/config", "'.git' is not served: git's internals stay private")),
        ("src//main.rs", invalid("src//main.rs", "it has an empty component ('//' or a trailing '/')")),
        ("passwd", refused("passwd", outside_ws)),
        ("repo-config", refused("repo-config", outside_ws)),
        ("escape/secret.txt", refused("escape/secret.txt", outside_ws)),
        ("settings", refused("settings", "resolves to one of band's own files, which band never serves")),
        (
            "settings-relative",
            refused("settings-relative", "resolves to one of band's own files, which band never serves"),
        ),
        ("db", refused("db", "resolves to one of band's own files, which band never serves")),
        ("gitfile", refused("gitfile", "resolves into git's internals (.git), which band never serves")),
        ("loop", refused("loop", "is a symlink loop")),
        ("pipe", refused("pipe", "is a named pipe (FIFO), not a regular file; band serves regular files only")),
        ("big.log", refused("big.log", "is 3.0 MiB (3145728 bytes); band reads files up to 2.0 MiB")),
        ("src", (INVALID, "'src' is a directory; list it with files.list".into())),
        ("", (INVALID, "give the path of a file, relative to the workspace root".into())),
        ("nope.txt", (NOT_FOUND, "'nope.txt' does not exist in this workspace".into())),
    ];
    for (path, expected) in &cases {
        assert_eq!(&w.read_err(path).await, expected, "{path}");
    }
    let (code, msg) = w.s.err("files.read", json!({"workspace": "ghost", "path": "README.md"})).await;
    assert_eq!((code, msg.as_str()), (NOT_FOUND, "no workspace 'ghost'; see workspaces.list"));
    let (code, msg) = w.s.err("files.read", json!({"workspace": "app/w"})).await;
    assert_eq!((code, msg.contains("missing field `path`")), (INVALID, true), "{msg}");

    // Listing is contained the same way.
    let list_err = |path: &'static str| {
        let s = &w.s;
        async move { s.err("files.list", json!({"workspace": "app/w", "path": path})).await }
    };
    assert_eq!(list_err("escape").await, refused("escape", outside_ws));
    assert_eq!(list_err("..").await, invalid("..", "'..' is not allowed; paths stay inside the workspace"));
    assert_eq!(list_err("README.md").await, (INVALID, "'README.md' is not a directory".into()));
    w.s.stop().await;
}

#[tokio::test]
async fn raw_files_are_served_inert_and_contained() {
    let w = workspace().await;
    let home = w.s.home.path().canonicalize().expect("home");
    w.link("/etc/passwd", "passwd");
    w.link(home.join("settings.json"), "settings");
    assert!(std::process::Command::new("mkfifo").arg(w.root.join("pipe")).status().expect("mkfifo").success());
    std::fs::write(w.root.join("big.log"), vec![b'x'; 3 * 1024 * 1024]).expect("3 MiB");
    std::fs::write(w.root.join("huge.bin"), vec![0u8; 17 * 1024 * 1024]).expect("17 MiB");

    let ok = |r: &Reply, content_type: &str, disposition: Option<&str>| {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.headers["content-type"], content_type);
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["content-security-policy"], CSP);
        assert_eq!(r.headers.get("content-disposition").map(|v| v.to_str().unwrap_or_default()), disposition);
        assert_eq!(r.headers["cache-control"], "no-store");
    };
    let r = w.raw("src/main.rs").await;
    ok(&r, "text/plain; charset=utf-8", None);
    assert_eq!(r.bytes, b"fn main() {}\n");
    let r = w.raw("site/index.html").await;
    ok(&r, "text/plain; charset=utf-8", Some("attachment; filename*=UTF-8''index.html"));
    assert_eq!(r.body, "<script>alert(document.cookie)</script>\n");
    let r = w.raw("site/logo.svg").await;
    ok(&r, "image/svg+xml", Some("attachment; filename*=UTF-8''logo.svg"));
    let r = w.raw("site/shot.png").await;
    ok(&r, "image/png", None);
    assert_eq!(r.bytes, PNG);
    let r = w.raw("data.bin").await;
    ok(&r, "application/octet-stream", Some("attachment; filename*=UTF-8''data.bin"));
    let r = w.raw("big.log").await;
    ok(&r, "text/plain; charset=utf-8", None);
    assert_eq!(r.bytes.len(), 3 * 1024 * 1024, "raw files may be larger than files.read's limit");
    let r = w.s.get("HEAD", &format!("/workspaces/{}/raw/src/main.rs", w.id)).await;
    assert_eq!((r.status, r.headers["content-length"].to_str().ok(), r.bytes.len()), (200, Some("13"), 0));

    let id = w.id;
    let cases: Vec<(String, u16, String)> = vec![
        (
            format!("/workspaces/{id}/raw/..%2f..%2f..%2fetc/passwd"),
            400,
            "invalid path '../../../etc/passwd': '..' is not allowed; paths stay inside the workspace".into(),
        ),
        (
            format!("/workspaces/{id}/raw/..%2F..%2Fsettings.json"),
            400,
            "invalid path '../../settings.json': '..' is not allowed; paths stay inside the workspace".into(),
        ),
        (
            format!("/workspaces/{id}/raw/src/../../x"),
            400,
            "invalid path 'src/../../x': '..' is not allowed; paths stay inside the workspace".into(),
        ),
        (
            format!("/workspaces/{id}/raw/%2fetc%2fpasswd"),
            400,
            "invalid path '/etc/passwd': it is absolute; give a path relative to the workspace root".into(),
        ),
        (
            format!("/workspaces/{id}/raw/.git/config"),
            400,
            "invalid path '.git/config': '.git' is not served: git's internals stay private".into(),
        ),
        (
            format!("/workspaces/{id}/raw/.GIT%2fHEAD"),
            400,
            "invalid path '.GIT/HEAD': '.git' is not served: git's internals stay private".into(),
        ),
        (format!("/workspaces/{id}/raw/a%00b"), 400, "invalid path 'a\\0b': it contains a NUL byte".into()),
        (
            format!("/workspaces/{id}/raw/passwd"),
            403,
            "'passwd' resolves outside the workspace; band serves files inside it only".into(),
        ),
        (
            format!("/workspaces/{id}/raw/settings"),
            403,
            "'settings' resolves to one of band's own files, which band never serves".into(),
        ),
        (
            format!("/workspaces/{id}/raw/pipe"),
            403,
            "'pipe' is a named pipe (FIFO), not a regular file; band serves regular files only".into(),
        ),
        (
            format!("/workspaces/{id}/raw/huge.bin"),
            403,
            "'huge.bin' is 17.0 MiB (17825792 bytes); band reads files up to 16.0 MiB".into(),
        ),
        (format!("/workspaces/{id}/raw/src"), 400, "'src' is a directory; list it with files.list".into()),
        (format!("/workspaces/{id}/raw/nope"), 404, "'nope' does not exist in this workspace".into()),
        ("/workspaces/999/raw/README.md".into(), 404, "no workspace '999'; see workspaces.list".into()),
        ("/workspaces/app/raw/README.md".into(), 400, "'app' is not a workspace id; see workspaces.list".into()),
        ("/workspaces/-1/raw/README.md".into(), 400, "'-1' is not a workspace id; see workspaces.list".into()),
    ];
    for (path, status, message) in &cases {
        let r = w.s.get("GET", path).await;
        assert_eq!((r.status, r.error()), (*status, message.clone()), "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["content-security-policy"], CSP, "{path}");
        assert!(r.headers.get("content-disposition").is_none());
    }

    // Without the token, nothing: not even whether the file exists.
    let r = w.s.http("GET", &format!("/workspaces/{id}/raw/src/main.rs"), &[("host", w.s.host())], "").await;
    assert_eq!((r.status, r.error().contains("missing token")), (401, true), "{}", r.body);
    w.s.stop().await;
}
