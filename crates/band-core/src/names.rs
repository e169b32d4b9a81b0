//! Validated names. Git is strict about refs, band is stricter: a branch name must be a valid git
//! ref component *and* harmless on a command line and in a file path.

use std::fmt;

/// Why a name was refused; the message says what was wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{value}': {reason}")]
pub struct NameError {
    pub what: &'static str,
    pub value: String,
    pub reason: String,
}

fn refuse(what: &'static str, value: &str, reason: impl Into<String>) -> NameError {
    // Control characters would make the message itself misleading; show them escaped. A long
    // value is cut: a megabyte of it in every error helps nobody.
    NameError { what, value: shown(value), reason: reason.into() }
}

/// A value as an error message shows it: control characters escaped, and cut after 64
/// characters, saying how long it was.
pub fn shown(value: &str) -> String {
    const KEEP: usize = 64;
    if value.chars().count() <= KEEP {
        return value.escape_debug().to_string();
    }
    let head: String = value.chars().take(KEEP).collect();
    format!("{}… ({} bytes)", head.escape_debug(), value.len())
}

/// A project's name: also a directory name under the worktrees directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectName(String);

impl ProjectName {
    pub const MAX_LEN: usize = 64;

    /// # Errors
    /// Refuses empty names, names over 64 bytes, names starting with `.` or `-`, and any character
    /// other than ASCII letters, digits, `.`, `_` and `-`.
    pub fn new(value: &str) -> Result<Self, NameError> {
        const WHAT: &str = "project name";
        if value.is_empty() {
            return Err(refuse(WHAT, value, "it is empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(refuse(WHAT, value, format!("it is longer than {} bytes", Self::MAX_LEN)));
        }
        if value.starts_with('.') || value.starts_with('-') {
            return Err(refuse(WHAT, value, "it may not start with '.' or '-'"));
        }
        if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return Err(refuse(
                WHAT,
                value,
                format!("'{}' is not allowed; use letters, digits, '.', '_' and '-'", c.escape_debug()),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// A valid name derived from a directory name: disallowed characters become `-`.
    pub fn derive_from(dir_name: &str) -> Result<Self, NameError> {
        let mut s: String = dir_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
            .collect();
        while s.starts_with(['.', '-']) {
            s.remove(0);
        }
        s.truncate(Self::MAX_LEN);
        Self::new(&s).map_err(|_| refuse("project name", dir_name, "cannot derive a name from this directory"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const REF_CHARS: &str = "letters, digits, '.', '_', '-', '/', '+' and '@'";

/// Checks git's ref-format rules (see `git check-ref-format`) plus band's own: no leading `-`
/// (it would read as an option), and a small character set that is inert in shells and paths.
fn check_ref(what: &'static str, value: &str, extra: &[char]) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(refuse(what, value, "it is empty"));
    }
    if value.len() > 200 {
        return Err(refuse(what, value, "it is longer than 200 bytes"));
    }
    if value.starts_with('-') {
        return Err(refuse(what, value, "it may not start with '-'"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+' | '@') || extra.contains(c)))
    {
        return Err(refuse(what, value, format!("'{}' is not allowed; use {REF_CHARS}", c.escape_debug())));
    }
    if value == "@" || value.contains("@{") {
        return Err(refuse(what, value, "'@' alone and '@{' are reserved by git"));
    }
    if value.contains("..") {
        return Err(refuse(what, value, "'..' is not allowed"));
    }
    if value.starts_with('/') || value.ends_with('/') || value.contains("//") {
        return Err(refuse(what, value, "it may not start or end with '/' or contain '//'"));
    }
    if value.ends_with('.') {
        return Err(refuse(what, value, "it may not end with '.'"));
    }
    for part in value.split('/') {
        if part.starts_with('.') {
            return Err(refuse(what, value, "no part between '/' may start with '.'"));
        }
        if part.ends_with(".lock") {
            return Err(refuse(what, value, "no part between '/' may end with '.lock'"));
        }
    }
    Ok(())
}

/// A branch name band may create or check out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BranchName(String);

impl BranchName {
    /// # Errors
    /// Refuses what `git check-ref-format --branch` refuses, a leading `-`, `HEAD`, and characters
    /// outside letters, digits, `.`, `_`, `-`, `/`, `+`, `@`.
    pub fn new(value: &str) -> Result<Self, NameError> {
        check_ref("branch name", value, &[])?;
        if value == "HEAD" {
            return Err(refuse("branch name", value, "'HEAD' is reserved by git"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BranchName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A revision to start from or compare with: a branch, a remote branch, a tag or a commit id,
/// optionally with `~N` / `^` suffixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GitRef(String);

impl GitRef {
    /// # Errors
    /// The same rules as [`BranchName`], except that `~` and `^` are allowed.
    pub fn new(value: &str) -> Result<Self, NameError> {
        check_ref("git ref", value, &['~', '^'])?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<BranchName> for GitRef {
    fn from(b: BranchName) -> Self {
        Self(b.0)
    }
}

impl fmt::Display for GitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a caller names a workspace: its id, `project/branch`, a bare branch (when unique), or any
/// path inside it (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspaceSelector {
    Id(i64),
    ProjectBranch(ProjectName, BranchName),
    Branch(BranchName),
    Path(std::path::PathBuf),
}

impl WorkspaceSelector {
    /// # Errors
    /// Refuses empty selectors and parts that are not valid names.
    pub fn parse(value: &str) -> Result<Self, NameError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(refuse("workspace", value, "it is empty; give an id, project/branch or a path"));
        }
        if value.starts_with('/') {
            return Ok(Self::Path(value.into()));
        }
        if value.bytes().all(|b| b.is_ascii_digit()) {
            return value.parse().map(Self::Id).map_err(|_| refuse("workspace", value, "the id is too large"));
        }
        match value.split_once('/') {
            Some((project, branch)) if ProjectName::new(project).is_ok() => {
                Ok(Self::ProjectBranch(ProjectName::new(project)?, BranchName::new(branch)?))
            }
            _ => Ok(Self::Branch(BranchName::new(value)?)),
        }
    }
}

/// A chat's name: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatName(String);

impl ChatName {
    /// # Errors
    /// An empty or over-long name, or one with control characters.
    pub fn new(value: &str) -> Result<Self, NameError> {
        let name = value.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(refuse("chat name", name, "use 1 to 200 characters, no control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ChatName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for ChatName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for ChatName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A model name handed to an agent's `--model` (or its protocol's equivalent): harmless on a
/// command line — no leading `-`, a small character set, at most 100 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelName(String);

impl ModelName {
    /// # Errors
    /// An empty or over-long name, a leading `-`, or a character outside the set.
    pub fn new(value: &str) -> Result<Self, NameError> {
        let ok = !value.is_empty()
            && value.len() <= 100
            && !value.starts_with('-')
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '[' | ']'));
        if !ok {
            return Err(refuse("model", value, "use letters, digits and . _ - / : [ ]"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ModelName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for ModelName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A label's key: 1 to 64 ASCII letters, digits, `.`, `_`, `-` or `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelKey(String);

impl LabelKey {
    /// # Errors
    /// An empty or over-long key, or a character outside the set.
    pub fn new(value: &str) -> Result<Self, NameError> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
        if !ok {
            return Err(refuse("label key", value, "use 1 to 64 letters, digits, '.', '_', '-', '/'"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A chat's labels: valid keys ([`LabelKey`]) to values of at most 256 characters without
/// control characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(std::collections::BTreeMap<String, String>);

impl Labels {
    /// # Errors
    /// The first bad key or value.
    pub fn new(map: std::collections::BTreeMap<String, String>) -> Result<Self, NameError> {
        for (k, v) in &map {
            LabelKey::new(k)?;
            if v.chars().count() > 256 || v.chars().any(char::is_control) {
                return Err(refuse("value for label", k, "at most 256 characters, no control characters"));
            }
        }
        Ok(Self(map))
    }

    pub fn as_map(&self) -> &std::collections::BTreeMap<String, String> {
        &self.0
    }

    pub fn into_map(self) -> std::collections::BTreeMap<String, String> {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes `remove`, then sets `set`: a label both removed and set ends up set.
    pub fn patch(&mut self, set: &Labels, remove: &[LabelKey]) {
        for k in remove {
            self.0.remove(&k.0);
        }
        for (k, v) in &set.0 {
            self.0.insert(k.clone(), v.clone());
        }
    }
}

/// A paired device's name: 1 to 64 characters after trimming, no control characters, not only
/// digits (a number names a device by id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceName(String);

impl DeviceName {
    /// # Errors
    /// What is wrong with it.
    pub fn new(value: &str) -> Result<Self, NameError> {
        const WHAT: &str = "device name";
        let name = value.trim();
        if name.is_empty() {
            return Err(refuse(WHAT, name, "a device needs a name (e.g. 'phone')"));
        }
        if name.chars().count() > 64 {
            return Err(refuse(WHAT, name, "it is longer than 64 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(refuse(WHAT, name, "it contains control characters"));
        }
        if name.chars().all(|c| c.is_ascii_digit()) {
            return Err(refuse(WHAT, name, "it looks like a device id; give a name with a letter in it"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for DeviceName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for DeviceName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_git_rejects_or_that_read_as_options_are_refused() {
        for bad in [
            "",
            "--upload-pack=x",
            "-b",
            "a..b",
            "$(id)",
            "`id`",
            "a b",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "/a",
            "a/",
            "a//b",
            "a.",
            ".a",
            "a/.b",
            "a.lock",
            "a/b.lock/c",
            "@",
            "a@{1}",
            "HEAD",
            "a\u{7f}",
            "a\nb",
            "a;rm",
            "a|b",
            "a&b",
            "a>b",
        ] {
            assert!(BranchName::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ordinary_branch_names_are_accepted() {
        for good in ["main", "feat/login-form", "fix_1.2", "user@host", "v1+2", "ünïcode"] {
            assert_eq!(BranchName::new(good).map(|b| b.as_str().to_owned()), Ok(good.to_owned()));
        }
    }

    #[test]
    fn refusals_say_what_was_wrong() {
        let e = BranchName::new("--upload-pack=x").unwrap_err();
        assert_eq!(e.to_string(), "invalid branch name '--upload-pack=x': it may not start with '-'");
        let e = BranchName::new("$(id)").unwrap_err();
        assert!(e.to_string().contains("'$' is not allowed"), "{e}");
    }

    #[test]
    fn git_refs_allow_ancestry_suffixes() {
        assert!(GitRef::new("main~2").is_ok());
        assert!(GitRef::new("origin/main^").is_ok());
        assert!(GitRef::new("-main").is_err());
    }

    #[test]
    fn project_names_are_directory_safe() {
        assert!(ProjectName::new("my-app.v2_x").is_ok());
        for bad in ["", ".", "..", ".hidden", "-x", "a/b", "a b", &"x".repeat(65)] {
            assert!(ProjectName::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(ProjectName::derive_from("My App (2)").map(|n| n.to_string()), Ok("My-App--2-".into()));
        assert!(ProjectName::derive_from("...").is_err());
    }

    #[test]
    fn workspace_selectors() {
        assert_eq!(WorkspaceSelector::parse("12"), Ok(WorkspaceSelector::Id(12)));
        assert_eq!(
            WorkspaceSelector::parse("app/feat/x"),
            Ok(WorkspaceSelector::ProjectBranch(ProjectName::new("app").unwrap(), BranchName::new("feat/x").unwrap()))
        );
        assert_eq!(WorkspaceSelector::parse("/tmp/w"), Ok(WorkspaceSelector::Path("/tmp/w".into())));
        assert_eq!(WorkspaceSelector::parse("topic"), Ok(WorkspaceSelector::Branch(BranchName::new("topic").unwrap())));
        assert!(WorkspaceSelector::parse("").is_err());
        assert!(WorkspaceSelector::parse("app/$(id)").is_err());
    }

    #[test]
    fn chat_names_models_labels_and_device_names_are_checked() {
        assert_eq!(ChatName::new("  fix login ").map(|n| n.to_string()), Ok("fix login".into()));
        assert!(ChatName::new(" ").is_err() && ChatName::new(&"x".repeat(201)).is_err());
        assert_eq!(
            ChatName::new("a\u{7}").unwrap_err().to_string(),
            "invalid chat name 'a\\u{7}': use 1 to 200 characters, no control characters"
        );
        assert!(ModelName::new("claude-sonnet-4-5[1m]").is_ok() && ModelName::new("openai/gpt-5.5:high").is_ok());
        for bad in ["", "-x", "a b", "a;b", &"m".repeat(101)] {
            assert!(ModelName::new(bad).is_err(), "{bad:?}");
        }
        let map = |k: &str, v: &str| std::collections::BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(Labels::new(map("team/x", "ok")).is_ok());
        assert_eq!(
            Labels::new(map("a b", "x")).unwrap_err().to_string(),
            "invalid label key 'a b': use 1 to 64 letters, digits, '.', '_', '-', '/'"
        );
        assert!(Labels::new(map("k", &"v".repeat(257))).is_err());
        assert_eq!(DeviceName::new("  my phone ").map(|n| n.to_string()), Ok("my phone".into()));
        for bad in ["", "   ", "12", "a\u{7}b", &"x".repeat(65)] {
            assert!(DeviceName::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let e = ProjectName::new(&"x".repeat(1_000_000)).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
        assert!(e.starts_with(&format!("invalid project name '{}… (1000000 bytes)'", "x".repeat(64))), "{e}");
        assert_eq!(shown("a\u{7}b"), "a\\u{7}b");
    }
}
