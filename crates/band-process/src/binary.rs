//! Finding a program: the configured path, else a PATH lookup.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Why a program was not found; each caller says how to install it or which setting to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MissingBinary {
    /// The configured path is not an executable file.
    #[error("'{}' is not an executable file", .0.display())]
    NotExecutable(PathBuf),
    /// No executable of this name in any directory of PATH.
    #[error("'{0}' was not found on PATH")]
    NotOnPath(String),
}

/// `configured` when set (it must be an executable file), else the first executable `name` in
/// the absolute directories of `path` (the PATH the process will get, not necessarily
/// band-server's). Empty and relative entries are skipped: they would be looked up in
/// band-server's own directory, which is not the one the process runs in.
///
/// # Errors
/// [`MissingBinary`] saying which of the two failed.
pub fn find_binary(name: &str, configured: Option<&Path>, path: Option<&OsStr>) -> Result<PathBuf, MissingBinary> {
    if let Some(p) = configured {
        return if is_executable(p) { Ok(p.to_owned()) } else { Err(MissingBinary::NotExecutable(p.to_owned())) };
    }
    std::env::split_paths(path.unwrap_or_default())
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| MissingBinary::NotOnPath(name.to_owned()))
}

/// Is `path` an executable regular file (following symlinks)?
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_must_be_executable_and_path_is_searched_in_order() {
        let sh = Path::new("/bin/sh");
        assert_eq!(find_binary("x", Some(sh), None), Ok(sh.to_owned()));
        assert_eq!(
            find_binary("x", Some(Path::new("/etc/passwd")), None),
            Err(MissingBinary::NotExecutable("/etc/passwd".into()))
        );
        assert_eq!(find_binary("sh", None, Some(OsStr::new("/nonexistent:/bin"))), Ok("/bin/sh".into()));
        assert_eq!(find_binary("sh", None, None), Err(MissingBinary::NotOnPath("sh".into())));
        // Relative entries (an empty one means ".") are not searched: this one is /bin from any
        // directory the test runs in, and is still refused.
        let up = "../".repeat(32);
        for relative in [format!("{up}bin"), format!(":{up}usr/bin")] {
            assert_eq!(
                find_binary("sh", None, Some(OsStr::new(&relative))),
                Err(MissingBinary::NotOnPath("sh".into())),
                "{relative}"
            );
        }
    }
}
