//! The one way this crate runs the `git` binary: [`GitCommand`]. Every hardening rule of the crate
//! doc lives here, so a call site cannot forget one.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Output;

use band_core::GitError;
use band_process::{Io, Spec, Supervisor};

/// Configuration forced on every invocation, after (and so over) every configuration file.
const FORCED_CONFIG: [&str; 4] =
    ["core.fsmonitor=false", "core.hooksPath=/dev/null", "protocol.ext.allow=never", "diff.external="];

/// Whether git may take optional locks (refresh the index as a side effect of reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A read: `GIT_OPTIONAL_LOCKS=0`, the index is never rewritten.
    Read,
    /// A command that changes the repository (worktree add/remove, branch delete).
    Write,
}

/// A hardened `git` invocation: argv only (never a shell), a scrubbed environment, forced
/// configuration that disables every repository-controlled program, no stdin, killed on drop;
/// started by band-process's supervisor (its own process group, the scope marker, killed with
/// band-server).
pub(crate) struct GitCommand {
    supervisor: Supervisor,
    program: PathBuf,
    dir: PathBuf,
    access: Access,
    /// Filter drivers (`filter.<name>.*`) defined by the repository's own configuration; they are
    /// neutralized because git would run them on checkout, status and diff.
    filters: Vec<OsString>,
    globals: Vec<OsString>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl GitCommand {
    /// `git` run in `dir`, a worktree's (or the main checkout's) top-level directory.
    pub(crate) fn new(supervisor: &Supervisor, program: &Path, dir: &Path, access: Access) -> Self {
        Self {
            supervisor: supervisor.clone(),
            program: program.to_owned(),
            dir: dir.to_owned(),
            access,
            filters: Vec::new(),
            globals: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Neutralizes these filter drivers (their clean, smudge and process commands are emptied).
    pub(crate) fn neutralize_filters(mut self, names: &[OsString]) -> Self {
        self.filters.extend(names.iter().cloned());
        self
    }

    /// An option before the subcommand (`--literal-pathspecs`, `-c key=value`).
    pub(crate) fn global(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.globals.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets a `GIT_*` variable this crate controls (only `GIT_INDEX_FILE` today).
    pub(crate) fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.into(), value.as_ref().to_owned()));
        self
    }

    /// The argv after the program name, as it will be passed.
    pub(crate) fn argv(&self) -> Vec<OsString> {
        let mut argv: Vec<OsString> = vec!["--no-pager".into()];
        if self.access == Access::Read {
            argv.push("--no-optional-locks".into());
        }
        for c in FORCED_CONFIG {
            argv.push("-c".into());
            argv.push(c.into());
        }
        argv.extend(self.globals.iter().cloned());
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// The environment changes, in order: `None` removes the variable.
    pub(crate) fn environment(&self) -> Vec<(OsString, Option<OsString>)> {
        self.environment_from(std::env::vars_os())
    }

    fn environment_from(
        &self,
        parent: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Vec<(OsString, Option<OsString>)> {
        let mut env: Vec<(OsString, Option<OsString>)> = Vec::new();
        // Nothing git reads from the environment is inherited: GIT_DIR, GIT_WORK_TREE,
        // GIT_INDEX_FILE, GIT_EXTERNAL_DIFF, GIT_EXEC_PATH, GIT_CONFIG_PARAMETERS, GIT_TRACE...
        for (key, _) in parent {
            if key.to_string_lossy().starts_with("GIT_") {
                env.push((key, None));
            }
        }
        let mut set = |k: &str, v: OsString| env.push((k.into(), Some(v)));
        set("GIT_TERMINAL_PROMPT", "0".into());
        set("GIT_CONFIG_NOSYSTEM", "1".into());
        set("GIT_ADVICE", "0".into());
        set("LC_ALL", "C".into());
        if self.access == Access::Read {
            set("GIT_OPTIONAL_LOCKS", "0".into());
        }
        // Discovery never climbs above the directory git runs in: a worktree that lost its `.git`
        // must fail, not silently report on an enclosing repository.
        if let Some(parent) = self.dir.parent() {
            set("GIT_CEILING_DIRECTORIES", parent.as_os_str().to_owned());
        }
        // Filter overrides go through GIT_CONFIG_COUNT (not `-c`) so that a driver name holding
        // '=' or '.' cannot be misparsed; git passes them on to the git processes it starts.
        let mut count = 0usize;
        for name in &self.filters {
            for (key, value) in [("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")] {
                let mut k = OsString::from("filter.");
                k.push(name);
                k.push(".");
                k.push(key);
                set(&format!("GIT_CONFIG_KEY_{count}"), k);
                set(&format!("GIT_CONFIG_VALUE_{count}"), value.into());
                count += 1;
            }
        }
        if count > 0 {
            set("GIT_CONFIG_COUNT", count.to_string().into());
        }
        for (k, v) in &self.env {
            env.push((k.clone(), Some(v.clone())));
        }
        env
    }

    /// The whole environment git gets: band-server's, with the changes of [`Self::environment`]
    /// applied in order (band-process starts it with exactly this, plus the scope marker).
    fn full_environment(&self, parent: impl IntoIterator<Item = (OsString, OsString)>) -> BTreeMap<OsString, OsString> {
        let mut env: BTreeMap<OsString, OsString> = parent.into_iter().collect();
        for (key, value) in self.environment() {
            match value {
                Some(v) => env.insert(key, v),
                None => env.remove(&key),
            };
        }
        env
    }

    fn spec(&self) -> Spec {
        Spec::new(&self.program)
            .args(self.argv())
            .envs(self.full_environment(std::env::vars_os()))
            .cwd(&self.dir)
            .stdin(Io::Null)
            .stdout(Io::Piped)
            .stderr(Io::Piped)
    }

    /// Runs git to completion, whatever its exit status.
    pub(crate) async fn output(&self) -> Result<Output, GitError> {
        tracing::debug!(dir = %self.dir.display(), args = ?self.args, "git");
        let cannot_run = |e: &dyn std::fmt::Display, not_found: bool| {
            let hint = if not_found {
                format!("could not run '{}': it is not installed or not on PATH", self.program.display())
            } else {
                format!("could not run '{}': {e}", self.program.display())
            };
            internal(hint)
        };
        let child = self.supervisor.spawn(self.spec()).await.map_err(|e| cannot_run(&e.source, e.not_found()))?;
        child.output().await.map_err(|e| cannot_run(&e, false))
    }

    /// Runs git and returns its stdout; a non-zero exit becomes [`Failure`].
    pub(crate) async fn run(&self) -> Result<Vec<u8>, Failure> {
        let out = self.output().await.map_err(Failure::Spawn)?;
        if out.status.success() { Ok(out.stdout) } else { Err(Failure::Git(stderr_message(&out))) }
    }
}

/// Why a git command did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// git could not be started.
    Spawn(GitError),
    /// git ran and failed; its trimmed stderr.
    Git(String),
}

impl Failure {
    /// The default mapping: git's own message becomes [`GitError::Refused`].
    pub(crate) fn refused(self) -> GitError {
        match self {
            Failure::Spawn(e) => e,
            Failure::Git(m) => GitError::Refused(m),
        }
    }
}

/// git's stderr, trimmed; its exit status when it said nothing.
pub(crate) fn stderr_message(out: &Output) -> String {
    let msg = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    if msg.is_empty() { format!("git exited with {}", out.status) } else { msg }
}

pub(crate) fn internal(msg: impl Into<String>) -> GitError {
    GitError::Internal(msg.into().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: Vec<OsString>) -> Vec<String> {
        v.into_iter().map(|s| s.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn argv_forces_the_safety_configuration_before_the_subcommand() {
        let cmd = GitCommand::new(&Supervisor::new(), Path::new("git"), Path::new("/r/w"), Access::Read)
            .arg("status")
            .arg("--");
        let argv = strings(cmd.argv());
        assert_eq!(
            argv,
            [
                "--no-pager",
                "--no-optional-locks",
                "-c",
                "core.fsmonitor=false",
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "protocol.ext.allow=never",
                "-c",
                "diff.external=",
                "status",
                "--"
            ]
        );
        let write = strings(
            GitCommand::new(&Supervisor::new(), Path::new("git"), Path::new("/r"), Access::Write).arg("branch").argv(),
        );
        assert!(!write.contains(&"--no-optional-locks".to_owned()), "{write:?}");
        assert!(write.contains(&"core.hooksPath=/dev/null".to_owned()), "{write:?}");
    }

    #[test]
    fn environment_scrubs_and_sets_what_git_reads() {
        let cmd = GitCommand::new(&Supervisor::new(), Path::new("git"), Path::new("/r/w"), Access::Read)
            .neutralize_filters(&["lfs=x".into()])
            .env("GIT_INDEX_FILE", "/tmp/i");
        let env: Vec<(String, Option<String>)> = cmd
            .environment()
            .into_iter()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        let last = |key: &str| env.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        assert_eq!(last("GIT_TERMINAL_PROMPT"), Some(Some("0".into())));
        assert_eq!(last("GIT_CONFIG_NOSYSTEM"), Some(Some("1".into())));
        assert_eq!(last("GIT_OPTIONAL_LOCKS"), Some(Some("0".into())));
        assert_eq!(last("LC_ALL"), Some(Some("C".into())));
        assert_eq!(last("GIT_CEILING_DIRECTORIES"), Some(Some("/r".into())));
        assert_eq!(last("GIT_INDEX_FILE"), Some(Some("/tmp/i".into())));
        assert_eq!(last("GIT_CONFIG_COUNT"), Some(Some("4".into())));
        assert_eq!(last("GIT_CONFIG_KEY_0"), Some(Some("filter.lfs=x.clean".into())));
        assert_eq!(last("GIT_CONFIG_VALUE_0"), Some(Some(String::new())));
        assert_eq!(last("GIT_CONFIG_KEY_3"), Some(Some("filter.lfs=x.required".into())));
        assert_eq!(last("GIT_CONFIG_VALUE_3"), Some(Some("false".into())));
        let write = GitCommand::new(&Supervisor::new(), Path::new("git"), Path::new("/r"), Access::Write).environment();
        assert!(!write.iter().any(|(k, _)| k == "GIT_OPTIONAL_LOCKS"));
        assert!(!write.iter().any(|(k, _)| k == "GIT_CONFIG_COUNT"));
    }

    #[test]
    fn inherited_git_variables_are_removed() {
        let cmd = GitCommand::new(&Supervisor::new(), Path::new("git"), Path::new("/r"), Access::Write);
        let parent = [("GIT_DIR", "/x"), ("GIT_WORK_TREE", "/y"), ("GIT_EXTERNAL_DIFF", "evil"), ("HOME", "/h")]
            .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let env = cmd.environment_from(parent);
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_EXTERNAL_DIFF"] {
            assert!(env.contains(&(key.into(), None)), "{key} is not removed: {env:?}");
        }
        assert!(!env.iter().any(|(k, _)| k == "HOME"), "{env:?}");
    }

    #[tokio::test]
    async fn the_child_gets_the_argv_and_environment_and_no_stdin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fake = dir.path().join("fake-git");
        // It prints its argv, its environment, its process group and anything on its stdin.
        std::fs::write(
            &fake,
            "#!/bin/sh\nprintf '%s\\n' \"$@\"\nenv\necho \"pid=$$ group=$(cut -d' ' -f5 /proc/$$/stat)\"\ncat\n",
        )
        .expect("write");
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        // Let any concurrently forked child drop its copy of the write descriptor (ETXTBSY).
        std::thread::sleep(std::time::Duration::from_millis(100));
        let supervisor = Supervisor::new();
        let out =
            GitCommand::new(&supervisor, &fake, dir.path(), Access::Read).arg("status").run().await.expect("runs");
        let out = String::from_utf8_lossy(&out);
        // Started by the supervisor: marked as this server's, the leader of its own group.
        let marker = format!("BAND_PROCESS_SCOPE={}.", supervisor.prefix());
        assert!(out.lines().any(|l| l.starts_with(&marker)), "no {marker} in {out}");
        let ids = out.lines().find_map(|l| l.strip_prefix("pid=")).expect("pid line");
        let (pid, group) = ids.split_once(" group=").expect("group");
        assert_eq!(pid, group, "git leads its own process group");
        assert!(out.starts_with("--no-pager\n--no-optional-locks\n-c\ncore.fsmonitor=false\n"), "{out}");
        assert!(out.contains("\nstatus\n"), "{out}");
        for var in ["GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C"] {
            assert!(out.lines().any(|l| l == var), "{var} missing in {out}");
        }
    }
}
