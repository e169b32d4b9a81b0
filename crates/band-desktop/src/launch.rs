//! Starts the person's own programs (their editor) — the one place band-desktop starts a
//! process itself, and deliberately not through band-process's Supervisor: an editor belongs to
//! the person, not to band, so it must outlive the shell. It gets no scope marker (a sweep of
//! band's processes must never kill it), its own process group, no parent-death signal, `/dev/null`
//! for stdio and the person's environment without band's own variables. A thread reaps it.

use std::ffi::OsString;

/// Starts `argv` detached from band.
///
/// # Errors
/// The program could not be started.
pub fn detached(argv: &[OsString]) -> Result<u32, String> {
    use std::os::unix::process::CommandExt;
    let (program, args) = argv.split_first().ok_or("nothing to start")?;
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("BAND_") {
            command.env_remove(key);
        }
    }
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", program.to_string_lossy()))?;
    let pid = child.id();
    let _ = std::thread::Builder::new().name("reap-editor".into()).spawn(move || {
        let _ = child.wait();
    });
    Ok(pid)
}
