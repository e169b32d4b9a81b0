//! [`FakeGh`]: a stand-in for the GitHub CLI (`gh`), where GitHub cannot be reached. It is an
//! executable `gh` (a POSIX shell script) that records its arguments and answers each command
//! with what the test gave it: stdout, stderr and exit code, as the real gh prints them (JSON
//! for `--json` fields; exit 1 for a failure, 4 when authentication is required).
//!
//! A response is keyed by the command's first two words (`pr-view`, `pr-list`, `pr-create`,
//! `repo-view`, `auth-status`), or those and the last argument (`pr-view-feat`, `pr-view-7`),
//! which wins when set. [`FakeGh::sign_out`] makes every command but `auth status` exit 4 with
//! gh's own message, as a signed-out gh does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SCRIPT: &str = r#"#!/bin/sh
d=$(dirname "$0")
for a in "$@"; do printf '%s\037' "$a"; done >> "$d/calls"
printf '\036' >> "$d/calls"
for last in "$@"; do :; done
k="$1-$2"
if [ -f "$d/signed-out" ] && [ "$k" != "auth-status" ]; then
  printf 'To get started with GitHub CLI, please run:  gh auth login\nAlternatively, populate the GH_TOKEN environment variable with a GitHub API authentication token.\n' >&2
  exit 4
fi
if [ -f "$d/signed-out" ]; then
  printf 'You are not logged into any GitHub hosts. To log in, run: gh auth login\n' >&2
  exit 1
fi
[ -f "$d/r/$k-$last.code" ] && k="$k-$last"
if [ ! -f "$d/r/$k.code" ]; then
  printf 'unknown command "%s" for "gh"\n' "$1" >&2
  exit 1
fi
[ -f "$d/r/$k.out" ] && cat "$d/r/$k.out"
[ -f "$d/r/$k.err" ] && cat "$d/r/$k.err" >&2
exit "$(cat "$d/r/$k.code")"
"#;

/// A `gh` in a directory of its own, answering as told.
pub struct FakeGh {
    dir: tempfile::TempDir,
}

impl Default for FakeGh {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeGh {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("r")).expect("responses dir");
        let gh = dir.path().join("gh");
        std::fs::write(&gh, SCRIPT).expect("write gh");
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).expect("chmod gh");
        Self { dir }
    }

    /// The `gh` executable.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("gh")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Answers `key` (see the module's doc) with this exit code, stdout and stderr.
    pub fn respond(&self, key: &str, code: u8, stdout: &str, stderr: &str) {
        let r = self.dir.path().join("r");
        std::fs::write(r.join(format!("{key}.out")), stdout).expect("out");
        std::fs::write(r.join(format!("{key}.err")), stderr).expect("err");
        std::fs::write(r.join(format!("{key}.code")), code.to_string()).expect("code");
    }

    /// Signed out (`true`) or in again.
    pub fn sign_out(&self, out: bool) {
        let f = self.dir.path().join("signed-out");
        if out {
            std::fs::write(f, "").expect("signed-out");
        } else {
            let _ = std::fs::remove_file(f);
        }
    }

    /// Every call's arguments so far, in order.
    pub fn calls(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.dir.path().join("calls")).unwrap_or_default();
        text.split('\u{1e}')
            .filter(|c| !c.is_empty())
            .map(|c| c.split('\u{1f}').filter(|a| !a.is_empty()).map(str::to_owned).collect())
            .collect()
    }

    /// A pull request as `gh pr view --json number,url,title,state,isDraft,headRefName,baseRefName,statusCheckRollup`
    /// prints it, with one passing check run and one pending commit status.
    pub fn pr_json(number: u64, head: &str, base: &str, title: &str, state: &str) -> String {
        format!(
            r#"{{"baseRefName":"{base}","headRefName":"{head}","isDraft":false,"number":{number},"state":"{state}","statusCheckRollup":[{{"__typename":"CheckRun","completedAt":"2026-12-01T10:00:00Z","conclusion":"SUCCESS","detailsUrl":"https://github.com/acme/app/actions/runs/1","name":"build","startedAt":"2026-12-01T09:58:00Z","status":"COMPLETED","workflowName":"CI"}},{{"__typename":"StatusContext","context":"ci/lint","startedAt":"2026-12-01T09:58:00Z","state":"PENDING","targetUrl":"https://ci.example/1"}}],"title":"{title}","url":"https://github.com/acme/app/pull/{number}"}}"#
        )
    }
}
