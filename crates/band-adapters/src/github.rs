//! Pull requests through the user's own GitHub CLI (`gh`), behind band-core's
//! [`PullRequests`] port.
//!
//! `gh` runs through band-process with [`band_core::gh_env`]'s environment (its own `GH_*` and
//! `GITHUB_*` variables, so its sign-in is the user's; prompts, colour and update checks off),
//! in the repository's directory, with arguments only (no shell). Its exit codes: 0 done, 1
//! failed (for `pr view`, "no pull requests found"), 4 authentication required — a signed-out
//! `gh`, which is [`PullError::SignedOut`]; a `gh` that is not found is
//! [`PullError::NotInstalled`]. Nothing here reaches the network itself.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use band_core::ports::PullRequests;
use band_core::{CheckOutcome, NewPullRequest, PullCheck, PullError, PullRequest, PullState};
use band_process::{Spec, Supervisor};
use serde_json::Value;

/// The fields band asks `gh pr view` and `gh pr list` for.
pub const PR_FIELDS: &str = "number,url,title,state,isDraft,headRefName,baseRefName,statusCheckRollup";

/// `gh`, found on PATH or at a configured path.
pub struct GhCli {
    supervisor: Supervisor,
    /// A configured path, else `gh` looked up on PATH at each call (it may be installed later).
    program: Option<PathBuf>,
}

impl GhCli {
    pub fn new(supervisor: Supervisor, program: Option<PathBuf>) -> Self {
        Self { supervisor, program }
    }

    async fn gh(&self, dir: &Path, args: &[&str]) -> Result<String, PullError> {
        let program = band_process::find_binary("gh", self.program.as_deref(), std::env::var_os("PATH").as_deref())
            .map_err(|_| PullError::NotInstalled)?;
        let spec = Spec::new(program)
            .args(args)
            .envs(band_core::gh_env(std::env::vars()))
            .cwd(dir)
            .stdin(band_process::Io::Null)
            .stdout(band_process::Io::Piped)
            .stderr(band_process::Io::Piped);
        let child = self.supervisor.spawn(spec).await.map_err(|e| {
            if e.not_found() { PullError::NotInstalled } else { PullError::Failed(e.source.to_string()) }
        })?;
        let out = child.output().await.map_err(|e| PullError::Failed(e.to_string()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            Some(4) => Err(PullError::SignedOut),
            _ if stderr.contains("gh auth login") => Err(PullError::SignedOut),
            _ => Err(PullError::Failed(last_lines(&stderr))),
        }
    }
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    if tail.is_empty() { "it exited without saying why".into() } else { tail.join(" ") }
}

fn parse_json(text: &str) -> Result<Value, PullError> {
    serde_json::from_str(text).map_err(|e| PullError::Failed(format!("gh printed something that is not JSON ({e})")))
}

/// A pull request from `gh`'s JSON (the [`PR_FIELDS`]).
pub fn pull_from_json(v: &Value) -> Result<PullRequest, PullError> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let missing = |k: &str| PullError::Failed(format!("gh's pull request has no '{k}'"));
    let state = match v.get("state").and_then(Value::as_str) {
        Some("OPEN") => PullState::Open,
        Some("MERGED") => PullState::Merged,
        Some("CLOSED") => PullState::Closed,
        other => return Err(PullError::Failed(format!("gh's pull request state {other:?} is unknown"))),
    };
    let checks = v
        .get("statusCheckRollup")
        .and_then(Value::as_array)
        .map(|all| all.iter().filter_map(check_from_json).collect())
        .unwrap_or_default();
    Ok(PullRequest {
        number: v.get("number").and_then(Value::as_u64).ok_or_else(|| missing("number"))?,
        url: text("url").ok_or_else(|| missing("url"))?,
        title: text("title").unwrap_or_default(),
        state,
        draft: v.get("isDraft").and_then(Value::as_bool).unwrap_or(false),
        head: text("headRefName").ok_or_else(|| missing("headRefName"))?,
        base: text("baseRefName").ok_or_else(|| missing("baseRefName"))?,
        checks,
    })
}

/// A check run (`name`, `status`, `conclusion`) or a commit status (`context`, `state`).
fn check_from_json(v: &Value) -> Option<PullCheck> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    let (name, outcome) = if v.get("__typename").and_then(Value::as_str) == Some("StatusContext") {
        let outcome = match s("state") {
            "SUCCESS" => CheckOutcome::Passed,
            "FAILURE" | "ERROR" => CheckOutcome::Failed,
            _ => CheckOutcome::Pending,
        };
        (s("context"), outcome)
    } else {
        let outcome = match (s("status"), s("conclusion")) {
            ("COMPLETED", "SUCCESS") => CheckOutcome::Passed,
            ("COMPLETED", "SKIPPED" | "NEUTRAL") => CheckOutcome::Skipped,
            ("COMPLETED", _) => CheckOutcome::Failed,
            _ => CheckOutcome::Pending,
        };
        (s("name"), outcome)
    };
    (!name.is_empty()).then(|| PullCheck { name: name.to_owned(), outcome })
}

#[async_trait]
impl PullRequests for GhCli {
    async fn repository(&self, dir: &Path) -> Result<String, PullError> {
        let v = parse_json(&self.gh(dir, &["repo", "view", "--json", "nameWithOwner"]).await?)?;
        v.get("nameWithOwner")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| PullError::Failed("gh did not say which repository this is".into()))
    }

    async fn create(&self, dir: &Path, new: &NewPullRequest) -> Result<String, PullError> {
        let mut args =
            vec!["pr", "create", "--head", &new.head, "--base", &new.base, "--title", &new.title, "--body", &new.body];
        if new.draft {
            args.push("--draft");
        }
        let out = self.gh(dir, &args).await?;
        // gh prints the new pull request's URL last.
        out.lines()
            .map(str::trim)
            .rfind(|l| l.starts_with("https://") || l.starts_with("http://"))
            .map(str::to_owned)
            .ok_or_else(|| {
                PullError::Failed(format!("gh did not print the new pull request's URL: {}", last_lines(&out)))
            })
    }

    async fn view(&self, dir: &Path, branch_or_number: &str) -> Result<Option<PullRequest>, PullError> {
        match self.gh(dir, &["pr", "view", "--json", PR_FIELDS, "--", branch_or_number]).await {
            Ok(out) => pull_from_json(&parse_json(&out)?).map(Some),
            Err(PullError::Failed(m)) if m.contains("no pull requests found") => Ok(None),
            Err(PullError::Failed(m)) if m.contains("Could not resolve to a PullRequest") => {
                Err(PullError::NoPullRequest(format!("no pull request #{branch_or_number}")))
            }
            Err(e) => Err(e),
        }
    }

    async fn list(&self, dir: &Path) -> Result<Vec<PullRequest>, PullError> {
        let out = self.gh(dir, &["pr", "list", "--state", "open", "--limit", "100", "--json", PR_FIELDS]).await?;
        match parse_json(&out)? {
            Value::Array(all) => all.iter().map(pull_from_json).collect(),
            _ => Err(PullError::Failed("gh pr list printed no list".into())),
        }
    }
}
