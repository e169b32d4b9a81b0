//! A project's configuration (`.band/config.json` in its checkout, or band's override of it):
//! setup and teardown scripts, files to copy into new worktrees, and defaults. Scripts are code
//! from the repository: band runs them only after the user approved that exact content (its
//! hash) for that project, and asks again when it changes.

use std::fmt;
use std::path::PathBuf;

use crate::model::{Millis, PermissionMode, WorkspaceId};
use crate::names::{GitRef, ModelName, NameError};

/// Where a project's configuration lives in its checkout.
pub const CONFIG_FILE: &str = ".band/config.json";

/// How long a script may run when the configuration does not say.
pub const DEFAULT_SCRIPT_TIMEOUT_SECS: u64 = 600;
/// The longest timeout a configuration may ask for (an hour).
pub const MAX_SCRIPT_TIMEOUT_SECS: u64 = 3600;
/// The longest script band accepts.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024;
/// Output of a script run kept (its last bytes).
pub const SCRIPT_OUTPUT_KEEP: usize = 256 * 1024;

/// A glob of files to copy from the project's checkout into a new worktree (`.env`,
/// `config/*.local.json`, `**/.env`): relative to the repository's root, `/`-separated. One that
/// could reach outside the repository, or into git's internals, cannot be constructed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CopyGlob(String);

impl CopyGlob {
    /// # Errors
    /// An empty glob, one over 512 bytes, an absolute one, one with a `..`, `.` or empty
    /// component, a `\`, a control character, or a `.git` component (any letter case).
    pub fn new(value: &str) -> Result<Self, NameError> {
        let refuse = |reason: &str| NameError {
            what: "copyFiles glob",
            value: crate::names::shown(value),
            reason: reason.to_owned(),
        };
        if value.is_empty() {
            return Err(refuse("it is empty"));
        }
        if value.len() > 512 {
            return Err(refuse("it is longer than 512 bytes"));
        }
        if value.starts_with('/') || value.starts_with('~') {
            return Err(refuse("it is absolute; globs are relative to the repository's root and stay inside it"));
        }
        if value.contains('\\') {
            return Err(refuse("'\\' is not allowed; separate directories with '/'"));
        }
        if value.chars().any(char::is_control) {
            return Err(refuse("control characters are not allowed"));
        }
        for part in value.split('/') {
            match part {
                ".." => return Err(refuse("'..' would leave the repository; globs stay inside it")),
                "." | "" => return Err(refuse("empty and '.' components are not allowed")),
                p if p.eq_ignore_ascii_case(".git") => {
                    return Err(refuse("git's internals (.git) are never copied"));
                }
                _ => {}
            }
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CopyGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What new chats and workspaces of the project get when the request does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigDefaults {
    /// An agent's id (`claude-code`, `codex`), checked when a chat is created.
    pub agent: Option<String>,
    pub model: Option<ModelName>,
    pub mode: Option<PermissionMode>,
    /// What a new workspace's branch starts from.
    pub base_branch: Option<GitRef>,
}

/// Where the configuration in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `.band/config.json` in the project's checkout (this file).
    Repository(PathBuf),
    /// band's own override for the project (set through band, kept in its database).
    Override,
}

/// A project's configuration, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectConfig {
    pub source: ConfigSource,
    /// A shell script run in each new worktree (`/bin/sh -c`), once approved.
    pub setup: Option<String>,
    /// A shell script run in a worktree before it is removed, once approved.
    pub teardown: Option<String>,
    pub script_timeout_secs: u64,
    pub copy_files: Vec<CopyGlob>,
    pub defaults: ConfigDefaults,
    /// The hash of exactly the scripts (setup and teardown, each with its role): what the user
    /// approves. `None` when there is no script.
    pub scripts_hash: Option<String>,
}

impl ProjectConfig {
    /// The text whose hash is approved: each script with its role, so that moving a script from
    /// setup to teardown is a change too.
    pub fn scripts_text(setup: Option<&str>, teardown: Option<&str>) -> Option<String> {
        if setup.is_none() && teardown.is_none() {
            return None;
        }
        let mut text = String::from("band scripts v1\n");
        for (role, script) in [("setup", setup), ("teardown", teardown)] {
            if let Some(s) = script {
                text.push_str(&format!("{role} {}\n{s}\n", s.len()));
            }
        }
        Some(text)
    }

    pub fn script(&self, kind: ScriptKind) -> Option<&str> {
        match kind {
            ScriptKind::Setup => self.setup.as_deref(),
            ScriptKind::Teardown => self.teardown.as_deref(),
        }
    }
}

/// A project's configuration as band sees it now: the parsed configuration (none when the
/// project has none), or what is wrong with it; and whether its scripts are approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigView {
    pub project: crate::names::ProjectName,
    /// The file band reads (`<checkout>/.band/config.json`).
    pub file: PathBuf,
    pub config: Option<ProjectConfig>,
    /// Why the configuration could not be used (not JSON, an unknown key...).
    pub error: Option<String>,
    /// Its scripts' hash is approved for this project (false when there is no script).
    pub trusted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptKind {
    Setup,
    Teardown,
}

impl ScriptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::Teardown => "teardown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Setup, Self::Teardown].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptStatus {
    Running,
    Succeeded,
    /// It exited with a status other than 0, was killed by a signal, or could not start.
    Failed,
    /// It ran longer than the timeout and was stopped.
    TimedOut,
    /// It was stopped (its workspace was removed, or band-server stopped).
    Stopped,
}

impl ScriptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed-out",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Succeeded, Self::Failed, Self::TimedOut, Self::Stopped]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScriptRunId(pub i64);

/// One run of a setup or teardown script in a workspace, with its output (the last
/// [`SCRIPT_OUTPUT_KEEP`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRun {
    pub id: ScriptRunId,
    pub workspace_id: WorkspaceId,
    pub kind: ScriptKind,
    pub status: ScriptStatus,
    pub exit_code: Option<i32>,
    /// Why it failed, when band knows more than the exit code (a timeout, a failed start).
    pub error: Option<String>,
    pub output: String,
    /// Bytes of output so far (more than `output` holds when its start was dropped).
    pub output_len: u64,
    pub scripts_hash: String,
    pub started_at: Millis,
    pub ended_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScriptRun {
    pub workspace_id: WorkspaceId,
    pub kind: ScriptKind,
    pub scripts_hash: String,
}

/// How a script run ended, as the runner saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptEnd {
    Exited(i32),
    Signaled(i32),
    TimedOut,
    Stopped,
    /// It could not be started; why.
    NotStarted(String),
}

/// What was copied into a new worktree (copyFiles and `.worktreeinclude`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Paths relative to the repository's root, copied.
    pub copied: Vec<String>,
    /// Paths that matched but were not copied, with why (already in the worktree, a symlink...).
    pub skipped: Vec<(String, String)>,
    pub bytes: u64,
}

/// Whether, and why not, a new workspace's setup script runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupState {
    /// The project has no configuration, or no setup script.
    NoScript,
    /// The configuration could not be used; the workspace was made without it.
    InvalidConfig(String),
    /// The scripts are not approved (this hash): nothing ran.
    NotTrusted {
        hash: String,
    },
    Started(ScriptRun),
    /// Not a worktree band made (direct mode, or an existing workspace): nothing to set up.
    Skipped,
}

/// What happened around a new workspace beyond its worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    pub copy: CopyReport,
    pub setup: SetupState,
}

impl Provisioned {
    pub fn skipped() -> Self {
        Self { copy: CopyReport::default(), setup: SetupState::Skipped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_globs_stay_inside_the_repository() {
        for ok in [".env", "config/*.local.json", "**/.env", "a/[ab]?.txt", ".envrc", "dir/.gitignore"] {
            assert!(CopyGlob::new(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("~/x", "absolute"),
            ("../secrets", "'..'"),
            ("a/../../b", "'..'"),
            ("a\\b", "'\\'"),
            (".git/config", ".git"),
            ("sub/.GIT/hooks/*", ".git"),
            ("a//b", "empty"),
            ("./a", "'.'"),
        ] {
            let e = CopyGlob::new(bad).expect_err(bad);
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_approved_text_names_each_scripts_role() {
        assert_eq!(ProjectConfig::scripts_text(None, None), None);
        let a = ProjectConfig::scripts_text(Some("make"), None);
        let b = ProjectConfig::scripts_text(None, Some("make"));
        assert_ne!(a, b);
        assert_eq!(a.as_deref(), Some("band scripts v1\nsetup 4\nmake\n"));
    }
}
