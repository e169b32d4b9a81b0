//! The wire types: every method's params and result. Field names are camelCase on the wire;
//! params refuse unknown fields, so a misspelt field is an error rather than ignored.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Scope;
use crate::enums::*;

// ---- projects -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectInfo {
    pub id: i64,
    pub name: String,
    /// Absolute path of the repository's main working tree.
    pub path: String,
    pub default_branch: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectsAddParams {
    /// Absolute path of the repository (or of any directory inside it).
    pub path: String,
    /// Defaults to the repository's directory name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectNameParams {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectsPurgeParams {
    pub name: String,
    /// Remove workspaces with uncommitted or unmerged work too (a branch with unmerged commits
    /// is still kept).
    #[serde(default)]
    pub force: bool,
}

/// What removing a project with everything in it did: the workspaces removed, a warning for each
/// thing that failed, and whether the project itself went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPurgedInfo {
    pub name: String,
    /// Every workspace went and the project was forgotten.
    pub project_removed: bool,
    pub removed: Vec<WorkspaceRemoved>,
    pub warnings: Vec<String>,
}

// ---- workspaces -----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    pub id: i64,
    pub project: String,
    pub branch: String,
    /// What the branch started from; diffs and merge checks are against it.
    pub base: String,
    /// Absolute path of the worktree.
    pub path: String,
    /// Whether band created the branch (and so deletes it once merged, on removal).
    pub branch_created: bool,
    pub created_at: i64,
    /// Its worktree is gone (deleted by hand, or band stopped in the middle of removing it): the
    /// workspace can only be removed. Absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing: bool,
    /// The project's own checkout rather than a worktree of band's (direct mode): removing it
    /// only forgets it, never touching the checkout. Absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
    /// When it was archived (its worktree removed, its branch and chats kept): restore it with
    /// workspaces.restore. Absent when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesCreateParams {
    pub project: String,
    /// The branch of a new worktree; required unless `direct`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// A workspace that is the project's own checkout, on the branch it has checked out (no
    /// worktree, no branch, no setup script); at most one per project. Not with `branch`/`base`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
    /// Defaults to the project's default branch. Ignored when the workspace exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Start a chat in the workspace with this first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The chat's agent (with `prompt`; default claude-code): an id from `agents.list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    /// The chat's model (with `prompt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The chat's permission mode (with `prompt`; default ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// How the chat's agent runs (with `prompt`; default its protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    /// A pull request of the project's repository (its number, or its URL): the workspace is
    /// made on its branch, fetched first when the repository does not have it. Not with
    /// `branch`, `base` or `direct`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceCreated {
    #[serde(flatten)]
    pub workspace: WorkspaceInfo,
    /// False when the workspace already existed and was returned as it is.
    pub created: bool,
    /// The chat started with `prompt`, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatInfo>,
    /// What was copied in and whether the setup script runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<SetupInfo>,
}

/// A new workspace's files copied in (copyFiles, `.worktreeinclude`) and its setup script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetupInfo {
    pub state: SetupState,
    /// The setup run, when it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<ScriptRunInfo>,
    /// Why nothing ran, when it did not (not approved, an invalid configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// What would let it run, for the client to word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::errors::ErrorFix>,
    /// The scripts' hash, when they are not approved (what projects.trust takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scripts_hash: Option<String>,
    /// Files copied from the project's checkout, relative to its root.
    pub copied: Vec<String>,
    /// Files that matched but were not copied, with why.
    pub copy_skipped: Vec<CopySkippedInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CopySkippedInfo {
    pub path: String,
    pub reason: String,
}

/// One run of a setup or teardown script, with its output (the last 256 KiB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScriptRunInfo {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: ScriptKind,
    pub status: ScriptStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why it failed, in words (a timeout, a failed start, an exit code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its output so far: stdout and stderr as they came, the last 256 KiB.
    pub output: String,
    /// Bytes of output in all (more than `output` holds when its start was dropped): where live
    /// `script_output` notices continue.
    pub output_len: u64,
    /// The hash of the scripts it ran.
    pub scripts_hash: String,
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
}

/// What became of the teardown script before a workspace's removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeardownInfo {
    pub state: TeardownState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<ScriptRunInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

// ---- project configuration ------------------------------------------------------------------

/// A project's configuration as band reads it now (`.band/config.json` in its checkout, or
/// band's override), and whether its scripts are approved. An invalid configuration is shown
/// with `error`, not refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectConfigInfo {
    pub project: String,
    /// The configuration file band reads.
    pub file: String,
    pub source: ConfigSourceName,
    /// The setup script, run with `/bin/sh -c` in each new worktree once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<String>,
    /// The teardown script, run before a worktree is removed once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teardown: Option<String>,
    pub script_timeout_seconds: u64,
    /// Globs of files to copy from the checkout into new worktrees (beside `.worktreeinclude`).
    pub copy_files: Vec<String>,
    pub defaults: ConfigDefaultsInfo,
    /// The hash of exactly the scripts: what projects.trust approves. Absent without scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scripts_hash: Option<String>,
    /// The scripts' hash is approved for this project.
    pub trusted: bool,
    /// What is wrong with the configuration; new workspaces are made without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigDefaultsInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_branch: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectTrustParams {
    pub project: String,
    /// The scripts' hash as shown by projects.config: approved only if the scripts in force
    /// still have it.
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectConfigSetParams {
    pub project: String,
    /// A configuration (the shape of `.band/config.json`) that replaces the repository's for
    /// this project; null returns to the repository's.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesListParams {
    /// Only this project's workspaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceParams {
    /// A workspace id, `project/branch`, a branch unique across projects, or an absolute path
    /// inside the workspace.
    pub workspace: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChangeInfo {
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceStatusInfo {
    pub workspace: WorkspaceInfo,
    /// True when there are uncommitted changes.
    pub dirty: bool,
    pub changes: Vec<FileChangeInfo>,
    /// Commits on the branch that the base lacks.
    pub ahead: u32,
    /// Commits on the base that the branch lacks.
    pub behind: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDiffInfo {
    pub workspace: WorkspaceInfo,
    /// The commit the diff starts from: the merge base of the branch and its base.
    pub from: String,
    /// Unified diff with `diff --git` headers; untracked files appear as new files.
    pub patch: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesRemoveParams {
    pub workspace: String,
    /// Discard uncommitted changes and remove a worktree whose branch is unmerged (the branch
    /// itself is then kept).
    #[serde(default)]
    pub force: bool,
}

/// What is known of a workspace now: how far it is from its base and its upstream, what is
/// uncommitted, what its worktree takes on disk, when it was last active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceFactsInfo {
    pub workspace: WorkspaceInfo,
    /// Paths with uncommitted changes.
    pub dirty: Vec<String>,
    /// Commits the base lacks (absent when the base names no commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ahead: Option<u32>,
    /// Commits of the base the branch lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behind: Option<u32>,
    /// Against the branch's upstream, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteInfo>,
    /// Bytes of the worktree's own files (objects are shared with the repository and not
    /// counted); absent without a worktree of band's (archived, missing, direct).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_bytes: Option<u64>,
    /// Unix ms: the latest of its creation, archiving and its chats' last changes.
    pub last_activity: i64,
    /// Commits neither in the base nor pushed: what only this branch holds.
    pub unsaved_commits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteInfo {
    /// The upstream, e.g. `origin/feat`.
    pub upstream: String,
    pub ahead: u32,
    pub behind: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesGcParams {
    /// Archive those idle at least this many days (default: `retention.archiveIdleDays`, else 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<u32>,
    /// Archive them now; without it, only say what would be archived and reclaimed.
    #[serde(default)]
    pub apply: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesMergeParams {
    pub workspace: String,
    /// The message of the commit made of uncommitted changes (default: drafted from the
    /// workspace's chats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `rebase` (default) or `merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<MergeStrategyName>,
    /// Push the branch to its remote afterwards (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
}

/// What merging back did: the commit made, the conflicts (then everything was put back), the
/// base moved forward or why not, the push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceMergedInfo {
    pub workspace: WorkspaceInfo,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<String>,
    /// Files in conflict; when there are any, nothing changed (the commit was undone into
    /// uncommitted changes again).
    pub conflicts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The base moved forward (where), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_moved: Option<String>,
    /// Why the base was left as it is, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_kept_because: Option<String>,
    /// The remote pushed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed: Option<String>,
    /// Why the push did not happen, when asked and it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_failed: Option<String>,
}

/// What a clean-up archives (or would), what it keeps and why, and the bytes it frees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcReportInfo {
    pub idle_days: u32,
    /// Whether `archive` was done, not only proposed.
    pub applied: bool,
    pub archive: Vec<GcItemInfo>,
    pub kept: Vec<GcItemInfo>,
    /// Bytes the archived worktrees took.
    pub reclaim_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcItemInfo {
    pub facts: WorkspaceFactsInfo,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceRemoved {
    pub workspace: WorkspaceInfo,
    pub branch_deleted: bool,
    /// Why the branch was kept, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_kept_because: Option<String>,
    /// The teardown script, when the project has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teardown: Option<TeardownInfo>,
}

// ---- files ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesListParams {
    /// A workspace selector: id, project/branch, branch or a path inside it.
    pub workspace: String,
    /// A directory relative to the workspace root, `/`-separated; the root when left out or
    /// empty. No `..`, `.`, empty components or `.git`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Start at this entry of the whole listing (default 0): a directory with more entries than
    /// one listing returns (5000) is read page by page, from the `offset` plus the number of
    /// entries of the page before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileEntryInfo {
    pub name: String,
    /// Relative to the workspace root, `/`-separated: what files.read and files.list take.
    pub path: String,
    pub kind: EntryKind,
    /// Bytes, for files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileListing {
    pub workspace_id: i64,
    /// The directory listed; empty for the root.
    pub path: String,
    /// Directories first, then by name. `.git`, band's own files and names that are not UTF-8
    /// are left out.
    pub entries: Vec<FileEntryInfo>,
    /// Where `entries` start in the whole listing.
    pub offset: u32,
    /// How many entries the directory has in all.
    pub total: u32,
    /// More entries follow these (a listing returns at most 5000): ask again with `offset` plus
    /// the number of `entries`.
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesReadParams {
    /// A workspace selector.
    pub workspace: String,
    /// A file relative to the workspace root, `/`-separated.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileContentInfo {
    pub workspace_id: i64,
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// True when the file is not UTF-8 text (or has a NUL byte); `text` is then left out. Get its
    /// bytes from `GET /workspaces/{id}/raw/{path}`.
    pub binary: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A syntax-highlighting hint from the file's name (rust, typescript, markdown...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

// ---- layout ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutParams {
    /// A workspace selector for that workspace's layout; the global layout when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutSetParams {
    /// A workspace selector for that workspace's layout; the global layout when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Any JSON object (open panes, sizes, the active chat...), at most 64 KiB; band keeps it as
    /// it is and never interprets it.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub layout: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayoutInfo {
    /// The workspace whose layout this is; absent for the global layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<i64>,
    /// The layout as it was last set; null when none was.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub layout: Option<serde_json::Value>,
    /// When it was last set (Unix ms, strictly increasing per layout); null when never.
    pub updated_at: Option<i64>,
}

// ---- agents ---------------------------------------------------------------------------------

/// An agent's id, as `agents.list` lists them: lowercase letters, digits and single `-` between
/// them, starting with a letter, at most 40 characters (`claude-code`, `gemini`, `qwen-code`).
/// Settings add ids of their own (`agents.<id>` in settings.json).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentId(pub String);

impl AgentId {
    /// The ids' pattern (also in the schema).
    pub const PATTERN: &'static str = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$";

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl JsonSchema for AgentId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AgentId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": Self::PATTERN,
            "minLength": 1,
            "maxLength": 40,
            "description": "An agent's id, as agents.list lists them (claude-code, codex, gemini, opencode, qwen-code...).",
        })
    }
}

impl std::fmt::Display for AgentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

impl std::str::FromStr for AgentId {
    type Err = String;

    /// Any text: the server says whether it is an agent it knows.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(Self(s.to_owned()))
    }
}

/// How to install an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InstallInfo {
    /// `npm install -g <package>`.
    Npm { package: String },
    /// The page that says how.
    Url { url: String },
}

impl InstallInfo {
    /// The hint in words any client can show.
    pub fn words(&self) -> String {
        match self {
            Self::Npm { package } => format!("npm install -g {package}"),
            Self::Url { url } => format!("see {url}"),
        }
    }
}

/// An agent band knows, and whether it is installed on band-server's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    pub id: AgentId,
    pub name: String,
    pub protocol: AgentProtocol,
    /// The program: a name looked up on the agent's PATH, or an absolute path.
    pub binary: String,
    pub args: Vec<String>,
    /// Its binary was found.
    pub installed: bool,
    /// Where, when installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What its version probe printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why there is no version (the probe failed or timed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// band's contract suite runs its real CLI in CI.
    pub proven: bool,
    /// settings.json defines or changes it.
    pub configured: bool,
    /// band-server runs agents of its protocol.
    pub runnable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<InstallInfo>,
}

// ---- chats ----------------------------------------------------------------------------------

/// Token counts and cost of a turn, or summed over turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageInfo {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatInfo {
    pub id: i64,
    pub workspace_id: i64,
    pub agent: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub mode: Mode,
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    /// How its agent runs: its protocol, or its CLI in a terminal (absent from servers older
    /// than terminal chats: its protocol).
    #[serde(default = "Via::protocol")]
    pub via: Via,
    pub status: ChatStatus,
    /// The agent's own session id (resumed on the next message after a restart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_session_id: Option<String>,
    /// Sequence number of the chat's last event.
    pub last_seq: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsCreateParams {
    /// A workspace selector: id, project/branch, branch or a path inside it.
    pub workspace: String,
    /// An id from `agents.list`; default claude-code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Default ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Default: the agent's protocol (`terminal` for terminal agents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsListParams {
    /// Only this workspace's chats (a selector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatParams {
    pub chat: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsSendParams {
    pub chat: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    pub outcome: SendOutcome,
    /// Sequence number of the `prompt` event, when started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The queued message, when queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<QueuedInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsRespondParams {
    pub chat: i64,
    pub decision: Decision,
    /// The permission request to answer; may be left out when only one is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsUpdateParams {
    pub chat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A model name; an empty string returns to the agent's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Labels to set (key to value).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub set_labels: std::collections::BTreeMap<String, String>,
    /// Label keys to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuedInfo {
    pub id: i64,
    pub chat_id: i64,
    pub position: u32,
    pub text: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueEditParams {
    pub chat: i64,
    pub id: i64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueHoldParams {
    pub chat: i64,
    pub id: i64,
    /// True to hold (or renew the hold), false to release it.
    pub hold: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsRenameParams {
    pub chat: i64,
    /// The new name: 1 to 200 characters, no control characters.
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsDeleteParams {
    pub chat: i64,
    /// Stop the agent first if it is working (otherwise a working chat is not deleted).
    #[serde(default)]
    pub stop: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueMoveParams {
    pub chat: i64,
    pub id: i64,
    /// 0-based; past the end means last.
    pub position: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueItemParams {
    pub chat: i64,
    pub id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsEventsParams {
    pub chat: i64,
    /// Events after this sequence number (ascending from there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Or: the events before this sequence number (a page going back; the newest when neither
    /// `after` nor `before` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// At most this many (default 200, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One entry of a chat's log. Agent updates follow ACP's `session/update` names
/// (`agent_message_chunk`, `tool_call`...); band adds its own (`prompt`, `turn_ended`...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventInfo {
    pub chat_id: i64,
    pub seq: u64,
    /// Unix milliseconds.
    pub at: i64,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum EventBody {
    Prompt {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queued_id: Option<i64>,
    },
    TurnStarted {},
    TurnEnded {
        /// Absent when the turn failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stop_reason: Option<StopReason>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        usage: UsageInfo,
    },
    AgentMessageChunk {
        text: String,
        /// Chunks with the same id are one message; adjacent messages have different ids.
        /// Absent in logs older than message ids.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_id: Option<String>,
    },
    AgentThoughtChunk {
        text: String,
    },
    ToolCall {
        tool_call_id: String,
        title: String,
        /// The tool's kind (read, edit, execute, ...), as the agent reports it.
        tool_kind: String,
        raw_input: serde_json::Value,
        /// The tool's name as the agent calls it (`Bash`, `mcp__github__create_issue`); absent
        /// in events stored before band kept it.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        tool_name: String,
    },
    ToolCallUpdate {
        tool_call_id: String,
        status: ToolCallStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw_output: Option<String>,
    },
    Plan {
        entries: Vec<String>,
    },
    UsageUpdate {
        usage: UsageInfo,
    },
    /// The agent's own modes and models, and which are current.
    SessionInfo {
        modes: Vec<ChoiceInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_mode: Option<String>,
        models: Vec<ChoiceInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_model: Option<String>,
    },
    /// The commands the agent offers (typed as `/name`).
    AvailableCommandsUpdate {
        commands: Vec<CommandInfo>,
    },
    Permission {
        request_id: String,
        tool: String,
        raw_input: serde_json::Value,
    },
    PermissionResolved {
        request_id: String,
        decision: Decision,
        by: DecidedBy,
    },
    Status {
        status: ChatStatus,
    },
    AgentSession {
        session_id: String,
    },
    Error {
        message: String,
    },
    /// One of a terminal agent's own hooks fired (through `band notify`).
    Hook {
        event: String,
        detail: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsExportParams {
    pub chat: i64,
    /// Default md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ExportFormat>,
}

/// A chat's transcript as a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatExport {
    pub format: ExportFormat,
    /// The document: Markdown, or a `TranscriptInfo` as JSON text.
    pub content: String,
}

/// A chat, turn by turn (what `chats.export` writes as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptInfo {
    pub chat: ChatInfo,
    pub turns: Vec<TranscriptTurnInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptTurnInfo {
    pub prompt: String,
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// The agent's messages, in order.
    pub response: Vec<String>,
    pub thoughts: Vec<String>,
    pub tool_calls: Vec<TranscriptToolInfo>,
    /// Permission requests no tool call matched.
    pub permissions: Vec<TranscriptPermissionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptToolInfo {
    pub tool_call_id: String,
    pub title: String,
    pub tool_kind: String,
    pub raw_input: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ToolCallStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<DecidedBy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptPermissionInfo {
    pub tool: String,
    pub raw_input: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<DecidedBy>,
}

/// One of an agent's modes or models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChoiceInfo {
    pub id: String,
    pub name: String,
}

/// A command an agent offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandInfo {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnInfo {
    pub id: i64,
    pub prompt: String,
    pub started_seq: u64,
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub usage: UsageInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotalsInfo {
    pub turns: u64,
    pub usage: UsageInfo,
    pub duration_ms: i64,
}

/// One chat on the overview (`chats.overview`): what it is doing and what it waits on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatOverviewInfo {
    pub chat: ChatInfo,
    /// Its workspace's project and branch (empty for a direct workspace's branch-less checkout).
    pub project: String,
    pub branch: String,
    /// Permission requests waiting for an answer, oldest first.
    pub pending: Vec<PendingPermissionInfo>,
    /// The last message of the agent (or the last prompt, before any answer), cut to 300 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    /// Unix milliseconds: when its current turn started while it works or waits, else its last change.
    pub since: i64,
    /// Usage of its finished turns, plus the one under way as far as reported.
    pub usage: UsageTotalsInfo,
}

/// A permission request waiting for an answer, as the overview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingPermissionInfo {
    pub request_id: String,
    pub tool: String,
    /// The input's gist: a command, a path, a URL or a pattern, else compact JSON; cut to 200 characters.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageParams {
    /// A chat id, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// a workspace selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsSubscribeParams {
    pub chat: i64,
    /// Replay the log from after this sequence number (0: from the start), then follow live.
    #[serde(default)]
    pub after: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesSubscribeParams {
    /// Only this workspace (a selector); all when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

/// Files of a watched workspace that changed on disk (`workspaces.watch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesChangedInfo {
    pub workspace_id: i64,
    /// Relative to the workspace; empty with `degraded`.
    pub paths: Vec<String>,
    /// Why live refresh stopped or is partial (the watch limit was reached...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
}

/// What a workspace subscription carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum WorkspaceNotice {
    /// The workspace's review comments changed (added, resolved, reopened or sent): read them
    /// again with `workspaces.comments`.
    Comments {
        workspace_id: i64,
    },
    /// A chat was created, or its settings or status changed.
    Chat {
        chat: ChatInfo,
    },
    ChatRemoved {
        chat: ChatInfo,
    },
    Queue {
        chat_id: i64,
        queue: Vec<QueuedInfo>,
    },
    WorkspaceCreated {
        workspace: WorkspaceInfo,
    },
    WorkspaceRemoved {
        workspace: WorkspaceInfo,
    },
    /// A workspace was archived or restored (as it is now).
    WorkspaceChanged {
        workspace: WorkspaceInfo,
    },
    /// A setup or teardown script started or ended (with its output as far as kept).
    ScriptRun {
        run: ScriptRunInfo,
    },
    /// Output of a running script: `text` begins at byte `offset` of the run's output (a gap
    /// means notices were missed: read the run again with workspaces.scripts).
    ScriptOutput {
        workspace_id: i64,
        run_id: i64,
        offset: u64,
        text: String,
    },
    /// A project's configuration override or approved scripts changed (read it again with
    /// projects.config).
    ProjectConfig {
        project: String,
    },
    /// A layout was set: the global one (heard by every subscriber) or a workspace's.
    Layout {
        /// Absent for the global layout.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workspace_id: Option<i64>,
        #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
        layout: serde_json::Value,
        updated_at: i64,
    },
}

// ---- terminals ------------------------------------------------------------------------------

/// A shell on a PTY in a workspace. Terminals live as long as band-server's process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalInfo {
    pub id: i64,
    pub workspace_id: i64,
    /// The chat whose terminal agent runs in it; absent for a shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    pub title: String,
    pub cols: u16,
    pub rows: u16,
    /// An exited terminal keeps its output until it is killed.
    pub status: TerminalStatus,
    /// How the shell exited, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the shell, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_signal: Option<i32>,
    /// The shell's process id (also its session and process group id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Bytes of output so far: the offset the next byte will have.
    pub offset: u64,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsCreateParams {
    /// A workspace selector: id, project/branch, branch or a path inside it. The shell starts in
    /// the workspace's directory; the shell, its directory and its environment are the server's
    /// choice, never the client's.
    pub workspace: String,
    /// 1 to 500 (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<i64>,
    /// 1 to 200 (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<i64>,
    /// At most 100 characters (default "terminal <id>").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsListParams {
    /// Only this workspace's terminals (a selector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalParams {
    pub terminal: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsSendParams {
    pub terminal: i64,
    /// Typed literally, as UTF-8: nothing is interpreted and no newline is added (end a command
    /// with "\r" or "\n"). At most 65536 bytes at once.
    pub data: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsResizeParams {
    pub terminal: i64,
    /// 1 to 500.
    pub cols: i64,
    /// 1 to 200.
    pub rows: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsOutputParams {
    pub terminal: i64,
    /// Output after this byte offset (default 0: the whole scrollback). Pass the `offset` of the
    /// previous answer to continue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
}

/// A piece of a terminal's output, as text (invalid UTF-8 replaced by U+FFFD; a character cut
/// at the end is left for the next call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalOutputInfo {
    pub data: String,
    /// Byte offset of the first byte of `data`. More than the `after` asked for when older output
    /// has left the scrollback (256 KiB).
    pub start: u64,
    /// Byte offset just past `data`: the `after` of the next call.
    pub offset: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsSubscribeParams {
    pub terminal: i64,
    /// Replay the scrollback after this byte offset (0: all of it), then follow live.
    #[serde(default)]
    pub after: u64,
}

/// What a terminal subscription carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum TerminalStreamItem {
    /// Output, as text (see [`TerminalOutputInfo`]).
    Output { data: String, start: u64, offset: u64 },
    /// The shell exited and all of its output was sent; the subscription ends.
    Exit { terminal: TerminalInfo },
}

// ---- tunnel ---------------------------------------------------------------------------------

/// The tunnel: a public URL that reaches this server (cloudflared or bore). At most one runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TunnelInfo {
    pub state: TunnelStateName,
    /// Absent when stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<TunnelProvider>,
    /// The public URL, while running (e.g. `https://random-words.trycloudflare.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it started running, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Why it failed: the error, with the tunnel program's last output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TunnelStartParams {
    /// Default: `tunnel.provider` in settings.json, else cloudflared (a quick tunnel: no account,
    /// no configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<TunnelProvider>,
}

// ---- settings and discovery -----------------------------------------------------------------

/// The server's settings as clients may see them: never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInfo {
    /// band's home directory (`BAND_HOME`, default `~/.band`).
    pub home: String,
    pub web_server_port: u16,
    pub bind: String,
    pub worktrees_dir: String,
    /// Always true on a running server; the token itself is never sent.
    pub token_set: bool,
    pub version: String,
    /// What a new chat gets when the request names nothing (`defaults.*`).
    #[serde(default)]
    pub defaults: SettingsDefaults,
    /// Seconds a free chat's agent process is kept (0: kept).
    #[serde(default)]
    pub agent_idle_timeout_seconds: u64,
    /// The most agent processes kept at once (`maxLiveAgents`; 0: no limit).
    #[serde(default)]
    pub max_live_agents: u64,
    /// The terminals' shell as set (`terminals.shell`; none: `$SHELL`, else /bin/bash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_shell: Option<String>,
    /// Keys changed since the server started that take effect only after a restart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restart_needed: Vec<String>,
}

/// The defaults of a new chat (`defaults` in settings.json).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDefaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsSetParams {
    /// One of: defaults.agent, defaults.mode, defaults.model, agentIdleTimeoutSeconds,
    /// maxLiveAgents, worktreesDir, terminals.shell.
    pub key: String,
    /// The new value as text; empty returns to the default.
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FsCompleteParams {
    /// What was typed: an absolute path or one starting with `~`.
    pub prefix: String,
}

/// Directories completing a typed path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FsCompletion {
    /// The directory listed, `~` expanded.
    pub dir: String,
    pub entries: Vec<FsEntryInfo>,
    /// More matched than were returned.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FsEntryInfo {
    /// Absolute path of the directory.
    pub path: String,
    /// It holds a `.git`: a repository (or a worktree of one).
    pub git: bool,
    /// A repository whose current branch has no commit yet (band needs one to branch from).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_commits: bool,
}

/// What `settings.set` did.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingChanged {
    pub key: String,
    /// The value now in settings.json (none: back to the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// True when it takes effect only after band-server restarts.
    pub restart_needed: bool,
}

/// The body of `GET /health` (public, no token needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub version: String,
}

// ---- devices, audit and the main token ------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicesPairParams {
    /// What to call the device (e.g. "phone"): 1 to 64 characters, not only digits.
    pub name: String,
    /// Default: read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<DeviceScope>,
}

/// A pairing started: open `url` on the device (or scan `qr`), or redeem `code` with
/// `POST /pair`. Single use; it expires at `expiresAt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pairing {
    pub name: String,
    pub scope: DeviceScope,
    /// The one-time pairing code (at least 128 random bits, hex).
    pub code: String,
    /// The dashboard's address with `?pair=<code>`: opening it signs the browser in as the device.
    pub url: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// The QR code of `url`, one string per row of modules, `#` dark and ` ` light, without the
    /// quiet zone (draw four light modules around it).
    pub qr: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub id: i64,
    pub name: String,
    pub scope: DeviceScope,
    pub created_at: i64,
    /// When a request with this device's credential was last seen (updated about once a minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicesRevokeParams {
    /// A device id, or the name of exactly one device not yet revoked.
    pub device: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditListParams {
    /// Only entries older than this entry id (for paging back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryInfo {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub kind: AuditKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// The peer's address as the server saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// What happened, never a secret.
    pub detail: String,
}

/// Who the caller is: what its credential may do, and which device it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// admin for the main token.
    pub scope: Scope,
    /// The paired device's id, when the credential is a device's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRotated {
    /// Live sockets closed because they were opened with the old token or a browser session.
    pub sockets_closed: u32,
    /// Where the new token is (it is never sent): settings.json's tokenSecret.
    pub settings_path: String,
}

/// The body of `POST /pair` (public: the code is the credential).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedeemRequest {
    pub code: String,
}

/// The body of `POST /notify` (public: the chat's notify secret is the credential), as `band
/// notify` sends it from a terminal agent's hook.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotifyRequest {
    /// The chat (`BAND_CHAT_ID` in the agent's environment).
    pub chat: i64,
    /// The chat's notify secret (`BAND_NOTIFY_SECRET`): it can do nothing but this.
    pub secret: String,
    /// The hook's JSON document, as the agent wrote it on the hook's stdin.
    pub hook: serde_json::Value,
}

/// The reply of `POST /notify`: what the hook prints on its stdout for the agent (band's
/// decision, for a hook that asks one), if anything.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notified {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<serde_json::Value>,
}

/// The reply of `POST /pair`: the device's own token (shown once, stored only hashed).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redeemed {
    pub token: String,
    pub device: DeviceInfo,
}

// ---- policies and the audit of agent actions -----------------------------------------------

/// Which scope: none of the three for global; at most one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyScopeParams {
    /// A project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// A workspace: its id or `project/branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySetParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// `KEY=VALUE` each: true/false, a whole number, or comma-separated globs; `KEY=` removes the
    /// key from this scope. Keys: canCreateFiles, canEditFiles, canRunCommands, canPushGit,
    /// allowCommands, denyCommands, allowPaths, denyPaths, allowTools, denyTools, maxTurns, and
    /// the budgets maxCostUsd (dollars), maxTokens, dailyMaxCostUsd and dailyMaxTokens (global).
    pub set: Vec<String>,
}

/// A rule: its key, its value as text, and the scope that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRuleInfo {
    pub key: String,
    pub value: String,
    /// `global`, `project NAME`, `workspace PROJECT/BRANCH`, `chat ID`.
    pub from: String,
}

/// What one scope sets itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyLayerInfo {
    pub scope: String,
    pub rules: Vec<PolicyRuleInfo>,
}

/// A scope's effective policy: the merge (a narrower scope only tightens) and where each rule
/// came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInfo {
    pub scope: String,
    /// The effective rules (deny lists of several scopes are listed per scope; each scope's
    /// allow list must match).
    pub effective: Vec<PolicyRuleInfo>,
    /// Broadest first; the last is the scope itself.
    pub layers: Vec<PolicyLayerInfo>,
    /// Every key, for forms.
    pub keys: Vec<String>,
    /// For a chat: each budget in force with what its scope has spent (empty otherwise).
    #[serde(default)]
    pub budgets: Vec<BudgetStatusInfo>,
}

/// A budget in force for a chat, and what its scope has spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetStatusInfo {
    /// `maxCostUsd`, `maxTokens`, `dailyMaxCostUsd` or `dailyMaxTokens`.
    pub key: String,
    /// The scope that sets it, as `policy.set` names it (none: global): raising it goes there.
    pub at: PolicyScopeParams,
    /// As the rule reads: `maxCostUsd=0.5`, `dailyMaxTokens=100000`.
    pub rule: String,
    /// The scope whose turns it counts: `global`, `project app`, `workspace app/fix`, `chat 3`.
    pub scope: String,
    /// Millionths of a dollar for a cost budget, else tokens; `spent` in the same unit.
    pub limit: u64,
    pub spent: u64,
    /// `ok`, `warning` (80 % or more) or `spent` (new turns are refused).
    pub state: String,
    /// Spent of limit as a person reads it: `$0.012 of $0.5`, `900 tokens of 1000 tokens`.
    pub shown: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditActionsParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ActionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// A workspace: its id or `project/branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decider: Option<DecidedBy>,
    /// Unix milliseconds: entries at or after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Only entries older than this entry id (for paging back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// An agent action: a tool call and who or what decided it, a cronjob run, a policy change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionInfo {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub kind: ActionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decider: Option<DecidedBy>,
    /// The rule that decided, with its scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// A command line, paths, a policy change, a job's run.
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
/// Which ended turns a usage report counts (days are UTC), and how it groups them.
pub struct UsageReportParams {
    /// Default `day`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UsageBy>,
    /// The first day: `YYYY-MM-DD`, or a number of days back (`7d`: the last 7 days, today
    /// included; `1d`: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The last day (included): `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// A project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// A workspace: its id or `project/branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
}

/// Usage of ended turns grouped one way, with its total and the same turns' tool calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageReportInfo {
    pub by: UsageBy,
    /// The days counted (`YYYY-MM-DD`), when bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_day: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_day: Option<String>,
    /// Most cost first (then most tokens); days in order.
    pub groups: Vec<UsageGroupInfo>,
    pub total: UsageTotalsInfo,
    /// Most called first: the calls of the filter's chats and days (for `cronjob`, not only the
    /// jobs' turns).
    pub tools: Vec<ToolUseInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageGroupInfo {
    /// A chat, workspace, project or cronjob id; an agent or model name (empty: the agent's
    /// default model); a day `YYYY-MM-DD`.
    pub key: String,
    /// As people read it: `app/feature · fix tests`, `app/feature`, `app`, `default`.
    pub label: String,
    pub totals: UsageTotalsInfo,
}

/// Calls of one tool: its name as the agent calls it, and the MCP server for an MCP tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseInfo {
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_server: Option<String>,
    pub calls: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageTurnsParams {
    /// The first day: `YYYY-MM-DD`, or a number of days back (`7d`: the last 7 days, today
    /// included; `1d`: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The last day (included): `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// A project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// A workspace: its id or `project/branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// At most this many (default 50, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Turns before this turn id (the last of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

/// One ended turn's usage, where it ran and the tools it called.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnUsageInfo {
    pub chat: i64,
    pub workspace_id: i64,
    pub agent: String,
    /// The model it ran on (none: the agent's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub turn: TurnInfo,
    pub tools: Vec<ToolUseInfo>,
}
