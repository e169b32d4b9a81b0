//! band-files against real directories: a linked git worktree inside a band home, with the
//! symlinks, pipes, sockets, hard links and git internals an agent or a cloned repository could
//! put there. Every refusal is checked by its exact message.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use band_core::ports::WorkspaceFiles;
use band_core::{EntryKind, FileError, Listing, WorkspacePath};
use band_files::LocalFiles;
use band_testkit::fixtures::TestRepo;

/// A band home with its settings and database, and a workspace (a linked worktree of a
/// repository) at `<home>/worktrees/app/w`, as band lays them out.
struct World {
    home: tempfile::TempDir,
    repo: TestRepo,
    root: PathBuf,
    files: LocalFiles,
}

fn world() -> World {
    let home = tempfile::tempdir().expect("tempdir");
    let home_path = home.path().canonicalize().expect("canonical home");
    std::fs::write(home_path.join("settings.json"), r#"{"tokenSecret": "s3cret"}"#).expect("settings");
    std::fs::write(home_path.join("band.db"), b"SQLite format 3\0").expect("db");
    let repo = TestRepo::named("app");
    repo.commit_file("src/main.rs", "fn main() {}\n", "Add main");
    let root = home_path.join("worktrees/app/w");
    repo.git(&["worktree", "add", "-q", "-b", "w", root.to_str().expect("utf8"), "main"]);
    let files = LocalFiles::new(home.path()).expect("files");
    World { home, repo, root, files }
}

impl World {
    fn write(&self, rel: &str, content: &[u8]) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    fn link(&self, target: impl AsRef<Path>, rel: &str) {
        symlink(target, self.root.join(rel)).expect("symlink");
    }

    async fn read(&self, rel: &str) -> Result<Vec<u8>, FileError> {
        self.read_limited(rel, 1024 * 1024).await
    }

    async fn read_limited(&self, rel: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let path = WorkspacePath::new(rel).expect("a valid path");
        let read = self.files.read(&self.root, &path, limit);
        // Nothing may block: a pipe would hang a read forever.
        let bytes = tokio::time::timeout(Duration::from_secs(5), read).await.expect("no read blocks")?;
        assert_eq!(bytes.path, path);
        Ok(bytes.bytes)
    }

    async fn list(&self, rel: &str) -> Result<Listing, FileError> {
        self.files.list(&self.root, &WorkspacePath::new(rel).expect("a valid path"), 0, 100).await
    }

    async fn refusal(&self, rel: &str) -> String {
        match self.read(rel).await {
            Ok(bytes) => panic!("reading {rel} should be refused, got {} bytes", bytes.len()),
            Err(e) => e.to_string(),
        }
    }
}

fn names(listing: &Listing) -> Vec<(&str, EntryKind)> {
    listing.entries.iter().map(|e| (e.name.as_str(), e.kind)).collect()
}

#[tokio::test]
async fn files_are_read_whole_and_directories_listed_dirs_first() {
    let w = world();
    w.write("Zed.md", b"zed\n");
    w.write("a-dir/x", b"");
    w.write("notes/b.txt", b"bee\n");
    w.write("bin.dat", &[0, 159, 146, 150, 255]);
    w.link("README.md", "readme-link");

    assert_eq!(w.read("src/main.rs").await.expect("read"), b"fn main() {}\n");
    assert_eq!(w.read("bin.dat").await.expect("binary"), [0, 159, 146, 150, 255], "bytes as they are");
    assert_eq!(w.read("readme-link").await.expect("a symlink inside"), b"# test repository\n");

    let root = w.list("").await.expect("list the root");
    assert_eq!(
        names(&root),
        [
            ("a-dir", EntryKind::Dir),
            ("notes", EntryKind::Dir),
            ("src", EntryKind::Dir),
            ("bin.dat", EntryKind::File),
            ("readme-link", EntryKind::Symlink),
            ("README.md", EntryKind::File),
            ("Zed.md", EntryKind::File),
        ],
        "directories first, then by name in any case; the worktree's .git file is not listed"
    );
    assert!(!root.truncated);
    let readme = root.entries.iter().find(|e| e.name == "README.md").expect("README");
    assert_eq!((readme.path.as_str(), readme.size), ("README.md", Some(18)));
    let link = root.entries.iter().find(|e| e.name == "readme-link").expect("link");
    assert_eq!(link.size, None, "a symlink is not followed in a listing");
    assert_eq!(root.entries.iter().find(|e| e.name == "src").and_then(|e| e.size), None);

    let notes = w.list("notes").await.expect("list a directory");
    assert_eq!(names(&notes), [("b.txt", EntryKind::File)]);
    assert_eq!(notes.entries[0].path.as_str(), "notes/b.txt");

    // Symlinked directories inside the workspace are fine.
    w.link("notes", "notes-link");
    assert_eq!(names(&w.list("notes-link").await.expect("list through a link")), [("b.txt", EntryKind::File)]);
    assert_eq!(w.read("notes-link/b.txt").await.expect("read through a link"), b"bee\n");
}

#[tokio::test]
async fn long_listings_are_cut_in_order_and_say_so() {
    let w = world();
    for name in ["e", "d", "c", "b", "a"] {
        w.write(&format!("many/{name}"), b"x");
    }
    let listing = w.files.list(&w.root, &WorkspacePath::new("many").expect("path"), 0, 3).await.expect("list");
    assert_eq!(names(&listing), [("a", EntryKind::File), ("b", EntryKind::File), ("c", EntryKind::File)]);
    assert!(listing.truncated);
    assert_eq!((listing.offset, listing.total), (0, 5));
    // The rest, page by page: nothing skipped, nothing twice.
    let next = w.files.list(&w.root, &WorkspacePath::new("many").expect("path"), 3, 3).await.expect("list");
    assert_eq!(names(&next), [("d", EntryKind::File), ("e", EntryKind::File)]);
    assert_eq!((next.offset, next.total, next.truncated), (3, 5, false));
    let past = w.files.list(&w.root, &WorkspacePath::new("many").expect("path"), 99, 3).await.expect("list");
    assert_eq!((past.entries.len(), past.offset, past.truncated), (0, 5, false), "past the end: empty, not an error");
}

#[tokio::test]
async fn listings_leave_out_what_cannot_be_read() {
    let w = world();
    std::fs::create_dir_all(w.root.join("vendor/lib/.GIT")).expect("a nested repository, upper case");
    w.write("vendor/lib/code.c", b"int x;\n");
    w.write("vendor/lib/back\\slash", b"");
    let bad = std::ffi::OsStr::from_bytes(b"not-utf8-\xff");
    std::fs::write(w.root.join("vendor/lib").join(bad), b"").expect("a non-UTF-8 name");
    assert_eq!(
        names(&w.list("vendor/lib").await.expect("list")),
        [("code.c", EntryKind::File)],
        "no .git entry (any case), no name that cannot be asked for"
    );
}

#[tokio::test]
async fn symlinks_out_of_the_workspace_are_refused() {
    let w = world();
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret"), "s").expect("write");
    w.link("/etc/passwd", "passwd");
    w.link(outside.path(), "escape");
    w.link("../../../../..", "up");
    w.link(w.repo.path().join(".git/config"), "repo-config");
    w.link(w.repo.path().join("README.md"), "main-checkout");

    let outside_message = |p: &str| format!("'{p}' resolves outside the workspace; band serves files inside it only");
    for rel in ["passwd", "escape/secret", "up", "repo-config", "main-checkout"] {
        assert_eq!(w.refusal(rel).await, outside_message(rel), "{rel}");
    }
    for rel in ["escape", "up"] {
        let e = w.list(rel).await.expect_err("listing out of the workspace");
        assert_eq!(e.to_string(), outside_message(rel));
    }
    // A workspace whose root is a sibling sharing a name prefix ("w" and "w2") is still outside.
    std::fs::create_dir_all(w.root.with_file_name("w2")).expect("sibling");
    std::fs::write(w.root.with_file_name("w2/x"), "x").expect("write");
    w.link("../w2/x", "prefix");
    assert_eq!(w.refusal("prefix").await, outside_message("prefix"));
}

#[tokio::test]
async fn git_internals_are_refused_however_they_are_reached() {
    let w = world();
    assert!(w.root.join(".git").is_file(), "a linked worktree has a .git file");
    w.link(".git", "dotgit-file");
    std::fs::create_dir_all(w.root.join("sub/.git")).expect("a nested repository");
    w.write("sub/.git/config", b"[core]\n");
    w.link("sub/.git", "dotgit-dir");
    w.link("sub/.git/config", "nested-config");
    std::fs::create_dir_all(w.root.join("sub/.Git/x")).expect("another case");
    w.link("sub/.Git/x", "case");

    let message = |p: &str| format!("'{p}' resolves into git's internals (.git), which band never serves");
    for rel in ["dotgit-file", "dotgit-dir/config", "nested-config"] {
        assert_eq!(w.refusal(rel).await, message(rel), "{rel}");
    }
    for rel in ["dotgit-dir", "case"] {
        assert_eq!(w.list(rel).await.expect_err("git dir").to_string(), message(rel), "{rel}");
    }
    assert!(w.list("sub").await.expect("list").entries.is_empty(), "neither .git nor .Git is listed");
}

#[tokio::test]
async fn bands_own_files_are_refused_through_symlinks_and_hard_links() {
    let w = world();
    let home = w.home.path().canonicalize().expect("home");
    w.link(home.join("settings.json"), "settings");
    w.link("../../../settings.json", "relative-settings");
    w.link(home.join("band.db"), "db");
    std::fs::hard_link(home.join("settings.json"), w.root.join("hard")).expect("hard link");

    let message = |p: &str| format!("'{p}' resolves to one of band's own files, which band never serves");
    for rel in ["settings", "relative-settings", "db", "hard"] {
        assert_eq!(w.refusal(rel).await, message(rel), "{rel}");
    }
    // A project's own file of the same name is just a file.
    w.write("settings.json", b"{}");
    assert_eq!(w.read("settings.json").await.expect("the project's settings.json"), b"{}");
}

#[tokio::test]
async fn a_band_home_inside_a_workspace_keeps_its_files() {
    // An unusual layout: BAND_HOME lies inside a workspace.
    let ws = tempfile::tempdir().expect("tempdir");
    let root = ws.path().canonicalize().expect("canonical");
    std::fs::create_dir(root.join(".band")).expect("home");
    for name in ["settings.json", "settings.json.tmp", "band.db", "band.db-wal", "notes.txt"] {
        std::fs::write(root.join(".band").join(name), name).expect("write");
    }
    let files = LocalFiles::new(&root.join(".band")).expect("files");
    let path = |p: &str| WorkspacePath::new(p).expect("valid");
    for name in ["settings.json", "settings.json.tmp", "band.db", "band.db-wal"] {
        let e = files.read(&root, &path(&format!(".band/{name}")), 1024).await.expect_err("band's file");
        assert_eq!(
            e.to_string(),
            format!("'.band/{name}' resolves to one of band's own files, which band never serves")
        );
    }
    let listing = files.list(&root, &path(".band"), 0, 100).await.expect("list the home");
    assert_eq!(names(&listing), [("notes.txt", EntryKind::File)], "band's files are not listed");
    assert_eq!(files.read(&root, &path(".band/notes.txt"), 1024).await.expect("other files").bytes, b"notes.txt");
}

#[tokio::test]
async fn only_regular_files_are_read_and_nothing_blocks() {
    let w = world();
    let status = std::process::Command::new("mkfifo").arg(w.root.join("pipe")).status().expect("mkfifo");
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(w.root.join("sock")).expect("a socket");
    w.link("pipe", "pipe-link");

    let not_regular =
        |p: &str, kind: &str| format!("'{p}' is {kind}, not a regular file; band serves regular files only");
    assert_eq!(w.refusal("pipe").await, not_regular("pipe", "a named pipe (FIFO)"));
    assert_eq!(w.refusal("pipe-link").await, not_regular("pipe-link", "a named pipe (FIFO)"));
    assert_eq!(w.refusal("sock").await, not_regular("sock", "a socket"));
    assert_eq!(w.refusal("src").await, "'src' is a directory; list it with files.list");
    let listing = w.list("").await.expect("list");
    let others: Vec<&str> =
        listing.entries.iter().filter(|e| e.kind == EntryKind::Other).map(|e| e.name.as_str()).collect();
    assert_eq!(others, ["pipe", "sock"], "listed as other, never read");
    let e = w.list("README.md").await.expect_err("not a directory");
    assert_eq!(e.to_string(), "'README.md' is not a directory");
}

#[tokio::test]
async fn sizes_are_capped_loops_and_missing_files_are_named() {
    let w = world();
    w.write("big.bin", &vec![7; 2048]);
    w.write("exact.bin", &vec![7; 1024]);
    assert_eq!(
        w.read_limited("big.bin", 1024).await.expect_err("too large").to_string(),
        "'big.bin' is 2.0 KiB (2048 bytes); band reads files up to 1.0 KiB"
    );
    assert_eq!(w.read_limited("exact.bin", 1024).await.expect("at the limit").len(), 1024);

    w.link("loop", "loop");
    w.link("ping", "pong");
    w.link("pong", "ping");
    assert_eq!(w.refusal("loop").await, "'loop' is a symlink loop");
    assert_eq!(w.refusal("ping").await, "'ping' is a symlink loop");
    assert_eq!(w.list("loop").await.expect_err("loop").to_string(), "'loop' is a symlink loop");

    assert_eq!(w.refusal("nope.txt").await, "'nope.txt' does not exist in this workspace");
    assert_eq!(w.refusal("README.md/x").await, "'README.md/x' does not exist in this workspace");
    w.link("gone", "dangling");
    assert_eq!(w.refusal("dangling").await, "'dangling' does not exist in this workspace");

    let missing = w.root.with_file_name("removed");
    let e = w.files.read(&missing, &WorkspacePath::new("x").expect("path"), 10).await.expect_err("root gone");
    assert_eq!(e.to_string(), format!("the workspace's directory {} is missing", missing.display()));
}
