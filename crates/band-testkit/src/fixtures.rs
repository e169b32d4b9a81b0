//! [`TestRepo`]: a real git repository in a temporary directory, made and driven with the git
//! command line. Test support: every failure panics with git's own message.

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
