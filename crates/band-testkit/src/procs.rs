//! Looking at the machine's processes, for tests that prove nothing was left running.

/// Processes (not zombies) whose command line contains `needle`.
///
/// # Panics
/// When `/proc` cannot be read (not Linux).
pub fn running(needle: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
            !zombie && String::from_utf8_lossy(&cmd).replace('\0', " ").contains(needle)
        })
        .collect()
}

/// Processes (not zombies) whose working directory is inside one of `dirs` (canonical paths):
/// what a killed server's git commands look like once their parent is gone.
///
/// # Panics
/// When `/proc` cannot be read (not Linux).
pub fn working_in(dirs: &[&std::path::Path]) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            !zombie && dirs.iter().any(|d| cwd.starts_with(d))
        })
        .collect()
}
