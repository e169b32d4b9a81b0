//! "Install the CLI": a link to `band` in `~/.local/bin`, and a sentence saying what was done.

use std::path::{Path, PathBuf};

/// The `band` binary shipped beside this program (the packages put both in the same place).
pub fn shipped_band() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("band"), dir.join("../../bin/band")]
        .into_iter()
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
}

/// Links `bin_dir/band` to `band`; says what it did, or why not.
///
/// # Errors
/// `bin_dir` cannot be made, or holds a `band` that is not this link (left alone).
pub fn install(band: &Path, bin_dir: &Path, path_var: Option<&std::ffi::OsStr>) -> Result<String, String> {
    let link = bin_dir.join("band");
    std::fs::create_dir_all(bin_dir).map_err(|e| format!("cannot create {}: {e}", bin_dir.display()))?;
    let on_path = path_var.is_some_and(|p| std::env::split_paths(p).any(|d| d == bin_dir));
    let hint = if on_path {
        String::new()
    } else {
        format!(
            "; {} is not on your PATH yet: add it (e.g. in ~/.profile) to run `band` from a terminal",
            bin_dir.display()
        )
    };
    match std::fs::read_link(&link) {
        Ok(target) if target == band => {
            return Ok(format!("`band` was already installed: {} → {}{hint}", link.display(), band.display()));
        }
        Ok(target) if !target.exists() || target.file_name().is_some_and(|n| n == "band") => {
            // A link to an older or removed band: replaced.
            std::fs::remove_file(&link).map_err(|e| format!("cannot replace {}: {e}", link.display()))?;
        }
        Ok(target) => {
            return Err(format!(
                "{} already links to {}; remove it first to install band's CLI there",
                link.display(),
                target.display()
            ));
        }
        Err(_) if link.symlink_metadata().is_ok() => {
            return Err(format!(
                "{} already exists and is not a link; remove it first to install band's CLI there",
                link.display()
            ));
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink(band, &link).map_err(|e| format!("cannot create {}: {e}", link.display()))?;
    Ok(format!("installed the CLI: {} → {}{hint}", link.display(), band.display()))
}

/// `~/.local/bin`.
pub fn default_bin_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".local/bin"))
}

/// Installs the shipped `band` into `~/.local/bin`.
///
/// # Errors
/// As [`install`]; no `band` beside this program; no home directory.
pub fn install_default() -> Result<String, String> {
    let band = shipped_band().ok_or("no `band` binary is installed beside band-desktop")?;
    let bin_dir = default_bin_dir().ok_or("HOME is not set")?;
    install(&band, &bin_dir, std::env::var_os("PATH").as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_once_says_so_and_never_clobbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let band = dir.path().join("opt/band");
        std::fs::create_dir_all(band.parent().expect("parent")).expect("mkdir");
        std::fs::write(&band, "").expect("write");
        let bin = dir.path().join("home/.local/bin");
        let said = install(&band, &bin, None).expect("installed");
        assert!(said.starts_with("installed the CLI:") && said.contains("is not on your PATH"), "{said}");
        assert_eq!(std::fs::read_link(bin.join("band")).expect("link"), band);
        let said = install(&band, &bin, Some(bin.as_os_str())).expect("again");
        assert!(said.starts_with("`band` was already installed") && !said.contains("PATH"), "{said}");
        // Someone else's file is left alone.
        std::fs::remove_file(bin.join("band")).expect("rm");
        std::fs::write(bin.join("band"), "mine").expect("write");
        let e = install(&band, &bin, None).expect_err("refused");
        assert!(e.contains("already exists and is not a link"), "{e}");
        assert_eq!(std::fs::read_to_string(bin.join("band")).expect("read"), "mine");
    }
}
