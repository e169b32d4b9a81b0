//! `band-desktop`, the launcher: checks that the webview's libraries are installed (naming the
//! package to install when they are not), then replaces itself with the shell,
//! `band-desktop-shell`, found beside it (or in `../lib/band/`, where the packages put it).
//! It links no GUI library itself, so it runs on any machine.

#[path = "libs.rs"]
#[allow(dead_code)] // the tray's names are the shell's business
mod libs;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

const SHELL: &str = "band-desktop-shell";

fn shell_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join(SHELL), dir.join("../lib/band").join(SHELL)].into_iter().find(|p| p.is_file())
}

fn main() -> ExitCode {
    if cfg!(target_os = "linux") {
        let missing = libs::missing(&libs::system_search_dirs());
        if !missing.is_empty() {
            eprintln!("band-desktop: {}", libs::message(&missing));
            return ExitCode::FAILURE;
        }
    }
    let Some(shell) = shell_binary() else {
        eprintln!("band-desktop: {SHELL} is not installed beside band-desktop (reinstall band-desktop)");
        return ExitCode::FAILURE;
    };
    // exec: this process becomes the shell (same pid, same arguments); nothing is started.
    let error = std::process::Command::new(&shell).args(std::env::args_os().skip(1)).exec();
    eprintln!("band-desktop: cannot start {}: {error}", shell.display());
    ExitCode::FAILURE
}
