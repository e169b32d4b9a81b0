//! [`TestRepo`]: a real git repository in a temporary directory, made and driven with the git
//! command line; [`RiggedRepo`]: one whose configuration and hooks try to run code (SECURITY.md
//! 16). Test support: every failure panics with git's own message.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A git repository at `<tempdir>/<name>` on branch `main`, with one commit adding `README.md`.
/// The directory is deleted when the value is dropped.
pub struct TestRepo {
    _dir: TempDir,
    path: PathBuf,
}

impl Default for TestRepo {
    fn default() -> Self {
        Self::new()
    }
}

impl TestRepo {
    /// A repository in a directory named `repo`.
    pub fn new() -> Self {
        Self::named("repo")
    }

    /// A repository in a directory named `name` (what a project registered from it is named by
    /// default).
    pub fn named(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        // Canonical, as git and band report repository roots (on macOS /tmp is a symlink).
        let path = dir.path().canonicalize().expect("canonicalize the temporary directory").join(name);
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        let repo = Self { _dir: dir, path };
        repo.git(&["init", "--quiet", "-b", "main"]);
        // In the repository's own config, so that git run by the code under test can commit too.
        repo.git(&["config", "user.name", "band test"]);
        repo.git(&["config", "user.email", "test@band.invalid"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.commit_file("README.md", "# test repository\n", "Initial commit");
        repo
    }

    /// The repository's working tree (canonical, absolute).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `content` to `rel` (creating parent directories), commits it with `message` and
    /// returns the new commit's id.
    pub fn commit_file(&self, rel: &str, content: &str, message: &str) -> String {
        let file = self.path.join(rel);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        std::fs::write(&file, content).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
        self.git(&["add", "--", rel]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs git with `args` in the repository and returns its standard output without trailing
    /// whitespace.
    ///
    /// # Panics
    /// When git cannot be run or exits with an error; the message holds git's standard error.
    pub fn git(&self, args: &[&str]) -> String {
        let output = git_command(&self.path)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run git {args:?}: {e}; is git installed?"));
        assert!(
            output.status.success(),
            "git {args:?} in {} failed ({}): {}",
            self.path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
        String::from_utf8_lossy(&output.stdout).trim_end().to_owned()
    }
}

/// A [`TestRepo`] rigged as a hostile repository would be: its configuration (fsmonitor, clean
/// and smudge filters, a long-running filter process in an included file, textconv, an external
/// diff, a pager, ssh, askpass, editor, alternate-refs and gpg programs) and its hooks each name a
/// program that leaves a marker file when run. Git run the ordinary way springs it; band's git
/// must leave [`RiggedRepo::markers`] empty.
///
/// Committed on `main`: `.gitattributes` (every file through the `trap` filter and diff driver,
/// `*.p` through the `proc` filter process) and `file.txt`; a branch `existing` points there.
/// `x.p` is there untracked.
pub struct RiggedRepo {
    repo: TestRepo,
    dir: TempDir,
    markers: PathBuf,
}

impl RiggedRepo {
    pub fn named(name: &str) -> Self {
        let repo = TestRepo::named(name);
        for (file, content) in
            [(".gitattributes", "* filter=trap diff=trap\n*.p filter=proc\n"), ("file.txt", "content\n")]
        {
            std::fs::write(repo.path().join(file), content).unwrap_or_else(|e| panic!("write {file}: {e}"));
        }
        repo.git(&["add", "."]);
        repo.git(&["commit", "--quiet", "-m", "Attributes"]);
        repo.git(&["branch", "existing"]);

        let dir = tempfile::tempdir().expect("create a temporary directory");
        let root = dir.path().canonicalize().expect("canonicalize the temporary directory");
        let (bin, markers) = (root.join("bin"), root.join("markers"));
        for d in [&bin, &markers] {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("create {}: {e}", d.display()));
        }
        let script = |name: &str, tail: &str| -> String {
            let path = bin.join(name);
            executable(&path, &format!("#!/bin/sh\ntouch '{}'\n{tail}\n", markers.join(name).display()));
            path.display().to_string()
        };
        let config = [
            ("core.fsmonitor", script("fsmonitor", "exit 1")),
            ("filter.trap.clean", script("filter-clean", "cat")),
            ("filter.trap.smudge", script("filter-smudge", "cat")),
            ("filter.trap.required", "true".into()),
            ("diff.trap.textconv", script("textconv", "cat \"$1\"")),
            ("diff.external", script("external-diff", "exit 0")),
            ("core.pager", script("pager", "cat")),
            ("pager.status", "true".into()),
            ("core.sshCommand", script("ssh", "exit 1")),
            ("core.askPass", script("askpass", "exit 1")),
            ("core.editor", script("editor", "exit 0")),
            ("core.alternateRefsCommand", script("alternate-refs", "exit 0")),
            ("gpg.program", script("gpg", "exit 1")),
            ("commit.gpgSign", "true".into()),
        ];
        for (key, value) in &config {
            repo.git(&["config", key, value]);
        }
        // A second filter driver through the long-running protocol, in an included file.
        let included = root.join("included.gitconfig");
        let process = script("filter-process", "exit 1");
        std::fs::write(&included, format!("[filter \"proc\"]\n\tprocess = {process}\n\trequired = true\n"))
            .unwrap_or_else(|e| panic!("write {}: {e}", included.display()));
        repo.git(&["config", "include.path", &included.display().to_string()]);
        // Untracked: a failing required filter process would stop plain git's checkouts and
        // diffs before the other traps could show they are armed.
        std::fs::write(repo.path().join("x.p"), "p\n").expect("write x.p");
        for hook in [
            "post-checkout",
            "pre-commit",
            "post-commit",
            "reference-transaction",
            "post-index-change",
            "pre-auto-gc",
            "post-merge",
            "post-rewrite",
            "pre-push",
            "fsmonitor-watchman",
        ] {
            let marker = markers.join(format!("hook-{hook}"));
            let path = repo.path().join(".git/hooks").join(hook);
            executable(&path, &format!("#!/bin/sh\ntouch '{}'\nexit 0\n", marker.display()));
        }
        // A git forked by a concurrent test may briefly hold a script's write descriptor (until
        // its exec); executing the script meanwhile fails with ETXTBSY. Let that pass.
        std::thread::sleep(std::time::Duration::from_millis(100));
        Self { repo, dir, markers }
    }

    /// The rigged repository's working tree.
    pub fn path(&self) -> &Path {
        self.repo.path()
    }

    /// Runs git the ordinary way (no hardening): see [`TestRepo::git`].
    pub fn git(&self, args: &[&str]) -> String {
        self.repo.git(args)
    }

    /// A path outside the repository, in the fixture's own temporary directory (for worktrees).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.path().canonicalize().expect("canonicalize the temporary directory").join(name)
    }

    /// The markers left so far (`fsmonitor`, `hook-post-checkout`...), sorted.
    pub fn markers(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.markers)
            .expect("read the markers directory")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Forgets the markers left so far (after showing the trap is armed).
    pub fn clear_markers(&self) {
        for name in self.markers() {
            std::fs::remove_file(self.markers.join(&name)).unwrap_or_else(|e| panic!("remove marker {name}: {e}"));
        }
    }
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// git isolated from the user's and the system's configuration and from any repository the tests
/// themselves run in (hooks export `GIT_DIR` and friends).
fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    // Hooks export GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_PARAMETERS... none may leak in.
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_repo_has_one_commit_on_main() {
        let repo = TestRepo::new();
        assert!(repo.path().is_absolute());
        assert_eq!(repo.path().file_name().and_then(|n| n.to_str()), Some("repo"));
        assert_eq!(repo.git(&["rev-parse", "--show-toplevel"]), repo.path().to_string_lossy());
        assert_eq!(repo.git(&["branch", "--show-current"]), "main");
        assert_eq!(repo.git(&["log", "--format=%s"]), "Initial commit");
        assert_eq!(repo.git(&["status", "--porcelain"]), "", "the working tree is clean");
    }

    #[test]
    fn commit_file_commits_and_returns_the_id() {
        let repo = TestRepo::named("my-app");
        let id = repo.commit_file("src/lib.rs", "fn f() {}\n", "Add lib");
        assert_eq!(id, repo.git(&["rev-parse", "HEAD"]));
        assert_eq!(id.len(), 40);
        assert_eq!(repo.git(&["show", "HEAD:src/lib.rs"]), "fn f() {}");
        assert_eq!(repo.git(&["log", "--format=%s"]), "Add lib\nInitial commit");
        assert_eq!(repo.git(&["status", "--porcelain"]), "");
    }

    #[test]
    fn git_failures_panic_with_gits_message() {
        let repo = TestRepo::new();
        let panic = std::panic::catch_unwind(|| repo.git(&["rev-parse", "--verify", "no-such-branch"]))
            .expect_err("git failed, so git() panics");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("no-such-branch") && message.contains("fatal"), "{message}");
    }

    #[test]
    fn the_directory_goes_with_the_value() {
        let repo = TestRepo::new();
        let path = repo.path().to_owned();
        drop(repo);
        assert!(!path.exists());
    }
}
