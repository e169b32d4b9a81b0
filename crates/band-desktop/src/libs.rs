//! Is the webview's library there? Asked by the launcher before it starts the shell: a missing
//! shared library would otherwise stop the shell before `main` with the dynamic loader's terse
//! error. It looks where the loader looks — `LD_LIBRARY_PATH`, the directories listed in
//! `/etc/ld.so.conf.d/*.conf`, and the system directories — for a non-empty file of each name;
//! no library is loaded.

use std::path::{Path, PathBuf};

/// A shared library the shell needs, and the package that brings it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needed {
    pub soname: &'static str,
    pub what: &'static str,
    /// Debian and Ubuntu's package.
    pub debian: &'static str,
    /// Fedora's package.
    pub fedora: &'static str,
}

/// What the shell links on Linux (the tray's library is loaded at run time and optional).
pub const NEEDED: &[Needed] = &[
    Needed {
        soname: "libwebkit2gtk-4.1.so.0",
        what: "WebKitGTK 4.1",
        debian: "libwebkit2gtk-4.1-0",
        fedora: "webkit2gtk4.1",
    },
    Needed { soname: "libgtk-3.so.0", what: "GTK 3", debian: "libgtk-3-0", fedora: "gtk3" },
];

/// The tray's library (optional: without it there is no tray icon).
pub const TRAY: &[&str] = &["libayatana-appindicator3.so.1", "libappindicator3.so.1"];

/// Where the dynamic loader looks: `library_path` (LD_LIBRARY_PATH), the directories in the
/// `ld.so.conf.d` files given as text, then the system directories.
pub fn search_dirs(library_path: Option<&str>, conf_files: &[String]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        library_path.into_iter().flat_map(|p| p.split(':')).filter(|d| d.starts_with('/')).map(PathBuf::from).collect();
    for text in conf_files {
        dirs.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| l.starts_with('/'))
                .map(PathBuf::from),
        );
    }
    let arch = std::env::consts::ARCH;
    for d in [
        format!("/lib/{arch}-linux-gnu"),
        format!("/usr/lib/{arch}-linux-gnu"),
        "/lib64".into(),
        "/usr/lib64".into(),
        "/lib".into(),
        "/usr/lib".into(),
    ] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

/// The search directories of this machine.
pub fn system_search_dirs() -> Vec<PathBuf> {
    let conf: Vec<String> = std::fs::read_dir("/etc/ld.so.conf.d")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "conf"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    search_dirs(std::env::var("LD_LIBRARY_PATH").ok().as_deref(), &conf)
}

/// Is there a non-empty file named `soname` in one of `dirs`?
pub fn found(soname: &str, dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| Path::new(d).join(soname).metadata().is_ok_and(|m| m.len() > 0))
}

/// The libraries of [`NEEDED`] found in none of `dirs`.
pub fn missing(dirs: &[PathBuf]) -> Vec<Needed> {
    NEEDED.iter().copied().filter(|n| !found(n.soname, dirs)).collect()
}

/// What to tell the person about `missing` libraries.
pub fn message(missing: &[Needed]) -> String {
    let names: Vec<&str> = missing.iter().map(|n| n.what).collect();
    let debian: Vec<&str> = missing.iter().map(|n| n.debian).collect();
    let fedora: Vec<&str> = missing.iter().map(|n| n.fedora).collect();
    let sonames: Vec<&str> = missing.iter().map(|n| n.soname).collect();
    format!(
        "band-desktop needs {} ({}), which this machine does not have; install it with \
         `sudo apt install {}` (Debian, Ubuntu) or `sudo dnf install {}` (Fedora). \
         band-server and the dashboard in a browser work without it.",
        names.join(" and "),
        sonames.join(", "),
        debian.join(" "),
        fedora.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libraries_are_looked_for_where_the_loader_looks_and_named_when_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = dir.path().join("lib");
        std::fs::create_dir(&lib).expect("mkdir");
        let dirs = vec![lib.clone()];
        assert_eq!(missing(&dirs), NEEDED.to_vec());
        let m = message(&missing(&dirs));
        assert!(m.contains("sudo apt install libwebkit2gtk-4.1-0 libgtk-3-0"), "{m}");
        assert!(m.contains("WebKitGTK 4.1 and GTK 3"), "{m}");
        // An empty file is no library.
        std::fs::write(lib.join("libgtk-3.so.0"), b"").expect("write");
        assert_eq!(missing(&dirs).len(), 2);
        std::fs::write(lib.join("libgtk-3.so.0"), b"\x7fELF").expect("write");
        assert_eq!(missing(&dirs), vec![NEEDED[0]]);
        // LD_LIBRARY_PATH and ld.so.conf.d come first; relative entries are ignored.
        let found_dirs = search_dirs(Some(&format!("rel:{}", lib.display())), &["# comment\n/opt/x/lib\n".into()]);
        assert_eq!(found_dirs[..2], [lib, PathBuf::from("/opt/x/lib")]);
        assert!(found_dirs.iter().any(|d| d == Path::new("/usr/lib")));
    }
}
