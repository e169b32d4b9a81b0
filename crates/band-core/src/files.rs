//! A workspace's files as clients see them: [`WorkspacePath`], the only way to name one, and the
//! records the [`WorkspaceFiles`](crate::ports::WorkspaceFiles) port returns.

use std::fmt;

use crate::names::NameError;

/// A path inside a workspace, relative to its root, with one spelling per file: components
/// separated by single `/`s. The empty path is the root itself.
///
/// Invariant: a `WorkspacePath` never names anything outside the workspace or inside git's
/// internals *by its spelling*: it is not absolute, has no `..` or `.` component, no empty
/// component, no NUL and no `\`, and no component named `.git` (in any letter case, as on a
/// case-insensitive file system). Symlinks can still lead elsewhere; the adapter resolves them
/// and checks again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkspacePath(String);

impl WorkspacePath {
    /// Longest accepted path, in bytes (Linux's `PATH_MAX`).
    pub const MAX_LEN: usize = 4096;

    /// # Errors
    /// Refuses what the type's invariant excludes; the message says which rule was broken.
    pub fn new(value: &str) -> Result<Self, NameError> {
        const WHAT: &str = "path";
        let refuse =
            |reason: &str| NameError { what: WHAT, value: value.escape_debug().to_string(), reason: reason.to_owned() };
        if value.is_empty() {
            return Ok(Self::root());
        }
        if value.len() > Self::MAX_LEN {
            return Err(refuse(&format!("it is longer than {} bytes", Self::MAX_LEN)));
        }
        if value.contains('\0') {
            return Err(refuse("it contains a NUL byte"));
        }
        if value.starts_with('/') {
            return Err(refuse("it is absolute; give a path relative to the workspace root"));
        }
        if value.contains('\\') {
            return Err(refuse("'\\' is not allowed; separate directories with '/'"));
        }
        for part in value.split('/') {
            match part {
                "" => return Err(refuse("it has an empty component ('//' or a trailing '/')")),
                "." => return Err(refuse("'.' is not allowed; write the path without it")),
                ".." => return Err(refuse("'..' is not allowed; paths stay inside the workspace")),
                p if is_git_dir_name(p) => {
                    return Err(refuse("'.git' is not served: git's internals stay private"));
                }
                _ => {}
            }
        }
        Ok(Self(value.to_owned()))
    }

    /// The workspace root.
    pub fn root() -> Self {
        Self(String::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// `/`-separated; empty for the root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The components, outermost first; none for the root.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The path of `name` inside this directory.
    ///
    /// # Errors
    /// When `name` is not a single valid component.
    pub fn join(&self, name: &str) -> Result<Self, NameError> {
        if name.contains('/') || name.is_empty() {
            return Err(NameError {
                what: "file name",
                value: name.escape_debug().to_string(),
                reason: "it must be one non-empty component".into(),
            });
        }
        if self.is_root() { Self::new(name) } else { Self::new(&format!("{}/{name}", self.0)) }
    }

    /// The last component; `None` for the root.
    pub fn name(&self) -> Option<&str> {
        self.0.rsplit('/').next().filter(|n| !n.is_empty())
    }

    /// The last component's extension (after its last `.`, not a leading one), lowercased.
    pub fn extension(&self) -> Option<String> {
        let name = self.name()?;
        let (stem, ext) = name.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
    }
}

impl fmt::Display for WorkspacePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() { f.write_str(".") } else { f.write_str(&self.0) }
    }
}

/// Is `name` git's directory (`.git`), in any letter case? Adapters check resolved paths with it.
pub fn is_git_dir_name(name: &str) -> bool {
    name.eq_ignore_ascii_case(".git")
}

/// What a directory entry is, as the directory says (a symlink is not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
    /// A named pipe, socket or device: listed, never read.
    Other,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dir => "dir",
            Self::File => "file",
            Self::Symlink => "symlink",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub path: WorkspacePath,
    pub kind: EntryKind,
    /// Bytes, for regular files.
    pub size: Option<u64>,
}

/// A directory's entries: directories first, then by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<DirEntry>,
    /// Where `entries` start in the whole listing (0: the first).
    pub offset: usize,
    /// How many entries the directory has in all (what a listing shows of it).
    pub total: usize,
    /// More entries follow these: ask again from `offset + entries.len()`.
    pub truncated: bool,
}

/// A regular file's content, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBytes {
    pub path: WorkspacePath,
    pub bytes: Vec<u8>,
}

/// A size for people: `512 bytes`, `3.5 KiB`, `2.0 MiB`.
#[allow(clippy::cast_precision_loss)] // one decimal is all that is shown
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        b if b < KIB => format!("{b} bytes"),
        b if b < MIB => format!("{:.1} KiB", b as f64 / KIB as f64),
        b => format!("{:.1} MiB", b as f64 / MIB as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(value: &str) -> String {
        WorkspacePath::new(value).expect_err(value).to_string()
    }

    #[test]
    fn ordinary_paths_are_kept_as_written() {
        for good in ["README.md", "src/main.rs", "a/b/c.d.e", "...", "..a", "a..", ".gitignore", ".github/x", "ü n/ï"]
        {
            assert_eq!(WorkspacePath::new(good).map(|p| p.as_str().to_owned()), Ok(good.to_owned()));
        }
        assert!(WorkspacePath::new("").expect("root").is_root());
        assert_eq!(WorkspacePath::root().to_string(), ".");
    }

    #[test]
    fn escapes_and_git_internals_are_refused_with_the_rule_broken() {
        let cases = [
            ("/etc/passwd", "invalid path '/etc/passwd': it is absolute; give a path relative to the workspace root"),
            ("../x", "invalid path '../x': '..' is not allowed; paths stay inside the workspace"),
            ("a/../../x", "invalid path 'a/../../x': '..' is not allowed; paths stay inside the workspace"),
            ("a/..", "invalid path 'a/..': '..' is not allowed; paths stay inside the workspace"),
            ("./a", "invalid path './a': '.' is not allowed; write the path without it"),
            ("a//b", "invalid path 'a//b': it has an empty component ('//' or a trailing '/')"),
            ("a/", "invalid path 'a/': it has an empty component ('//' or a trailing '/')"),
            ("a\0b", "invalid path 'a\\0b': it contains a NUL byte"),
            ("..\\x", "invalid path '..\\\\x': '\\' is not allowed; separate directories with '/'"),
            (".git", "invalid path '.git': '.git' is not served: git's internals stay private"),
            (".git/config", "invalid path '.git/config': '.git' is not served: git's internals stay private"),
            ("sub/.GIT/HEAD", "invalid path 'sub/.GIT/HEAD': '.git' is not served: git's internals stay private"),
        ];
        for (value, message) in cases {
            assert_eq!(refusal(value), message, "{value:?}");
        }
        assert!(refusal(&"a/".repeat(2049)).contains("longer than 4096 bytes"));
    }

    #[test]
    fn joining_names_and_extensions() {
        let src = WorkspacePath::new("src").expect("valid");
        assert_eq!(src.join("main.rs").map(|p| p.as_str().to_owned()), Ok("src/main.rs".into()));
        assert_eq!(WorkspacePath::root().join("a").map(|p| p.as_str().to_owned()), Ok("a".into()));
        for bad in ["", "a/b", "..", ".git"] {
            assert!(src.join(bad).is_err(), "{bad:?}");
        }
        let ext = |p: &str| WorkspacePath::new(p).expect("valid").extension();
        assert_eq!(ext("a/B.RS"), Some("rs".into()));
        assert_eq!(ext("x.tar.gz"), Some("gz".into()));
        assert_eq!((ext(".bashrc"), ext("Makefile"), ext("a.")), (None, None, None));
        assert_eq!(WorkspacePath::new("a/b.c").expect("valid").name(), Some("b.c"));
        assert_eq!(WorkspacePath::root().name(), None);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1023), "1023 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(2 * 1024 * 1024), "2.0 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 + 100 * 1024), "3.1 MiB");
    }
}
