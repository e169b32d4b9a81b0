//! A project's configuration and scripts from the command line: `band projects config`,
//! `band projects trust` (shows the scripts, then approves exactly them), `band projects
//! untrust`, `band workspaces setup` and `band workspaces scripts` (their output, live with
//! `--follow`).

use std::io::Write;
use std::path::PathBuf;

use band_api as api;

use crate::output::{Printer, table, when};
use crate::{Caller, Failure, fix_words};

/// The configuration as a person reads it.
pub fn config_text(c: &api::ProjectConfigInfo) -> String {
    let mut t = match c.source {
        api::ConfigSourceName::None => format!("project {}: no configuration ({} does not exist)", c.project, c.file),
        api::ConfigSourceName::Repository => format!("project {}: configuration from {}", c.project, c.file),
        api::ConfigSourceName::Override => format!("project {}: band's override of {}", c.project, c.file),
    };
    if let Some(e) = &c.error {
        t.push_str(&format!("\ninvalid: {e}\nnew workspaces are made without it until it is fixed"));
        return t;
    }
    for (role, script) in [("setup", &c.setup), ("teardown", &c.teardown)] {
        if let Some(s) = script {
            t.push_str(&format!("\n{role} script:\n"));
            for line in s.lines() {
                t.push_str(&format!("  | {line}\n"));
            }
            t.pop();
        }
    }
    if c.setup.is_some() || c.teardown.is_some() {
        t.push_str(&format!("\nscript timeout: {} s", c.script_timeout_seconds));
    }
    if !c.copy_files.is_empty() {
        t.push_str(&format!("\ncopy files: {}", c.copy_files.join(", ")));
    }
    let d = &c.defaults;
    let defaults: Vec<String> = [
        d.agent.as_ref().map(|a| format!("agent {a}")),
        d.model.as_ref().map(|m| format!("model {m}")),
        d.mode.map(|m| format!("mode {m}")),
        d.base_branch.as_ref().map(|b| format!("base {b}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !defaults.is_empty() {
        t.push_str(&format!("\ndefaults: {}", defaults.join(", ")));
    }
    match (&c.scripts_hash, c.trusted) {
        (Some(h), true) => t.push_str(&format!("\nscripts approved (hash {h})")),
        (Some(h), false) => t.push_str(&format!(
            "\nscripts NOT approved (hash {h}): they do not run until you approve them with `band projects trust {}`",
            c.project
        )),
        (None, _) => {}
    }
    t
}

pub async fn config(
    project: String,
    set: Option<PathBuf>,
    clear: bool,
    call: &Caller<'_>,
    out: &Printer,
) -> Result<(), Failure> {
    let info = match (set, clear) {
        (Some(_), true) => return Err(Failure("give --set FILE or --clear, not both".into())),
        (Some(file), false) => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
            let config: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Failure(format!("{} is not valid JSON: {e}", file.display())))?;
            call.call::<api::ProjectsConfigSet>(api::ProjectConfigSetParams { project, config: Some(config) }).await?
        }
        (None, true) => {
            call.call::<api::ProjectsConfigSet>(api::ProjectConfigSetParams { project, config: None }).await?
        }
        (None, false) => call.call::<api::ProjectsConfig>(api::ProjectNameParams { name: project }).await?,
    };
    out.show(&info, || config_text(&info))
}

/// Shows the scripts, then approves exactly them (the hash shown, or `--hash`'s).
pub async fn trust(project: String, hash: Option<String>, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let shown = call.call::<api::ProjectsConfig>(api::ProjectNameParams { name: project.clone() }).await?;
    if let Some(e) = &shown.error {
        return Err(Failure(format!(
            "project {project} has an invalid configuration, so there is nothing to approve: {e}"
        )));
    }
    let Some(current) = shown.scripts_hash.clone() else {
        return Err(Failure(format!("project {project} has no setup or teardown script to approve")));
    };
    // What is being approved, before it is (unless the hash was given: then it was seen
    // already, and a stale one fails with nothing printed).
    if !out.json && hash.is_none() {
        println!("{}", config_text(&shown));
    }
    let hash = hash.unwrap_or(current);
    let info = call.call::<api::ProjectsTrust>(api::ProjectTrustParams { project: project.clone(), hash }).await?;
    out.show(&info, || {
        format!(
            "approved the scripts of project {project} (hash {}); new workspaces run them, and `band workspaces setup <workspace>` runs setup in one that exists",
            info.scripts_hash.as_deref().unwrap_or_default()
        )
    })
}

pub async fn untrust(project: String, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let info = call.call::<api::ProjectsUntrust>(api::ProjectNameParams { name: project.clone() }).await?;
    out.show(&info, || {
        format!("withdrew every approval of project {project}'s scripts; none runs until approved again")
    })
}

/// Lines about a new workspace's copied files and setup.
pub fn setup_text(s: &api::SetupInfo) -> String {
    let mut lines = Vec::new();
    if !s.copied.is_empty() {
        lines.push(format!("copied {} file(s) from the checkout: {}", s.copied.len(), s.copied.join(", ")));
    }
    for skipped in &s.copy_skipped {
        lines.push(format!("not copied {}: {}", skipped.path, skipped.reason));
    }
    match s.state {
        api::SetupState::Started => {
            if let Some(run) = &s.run {
                lines.push(format!(
                    "setup script running (run {}); follow it with `band workspaces scripts {} --follow`",
                    run.id, run.workspace_id
                ));
            }
        }
        api::SetupState::NotTrusted | api::SetupState::InvalidConfig => {
            let mut line = s.notice.clone().unwrap_or_default();
            if let Some(fix) = &s.fix {
                line.push_str(&format!("; {}", fix_words(fix)));
            }
            lines.push(line);
        }
        api::SetupState::None | api::SetupState::Skipped => {}
    }
    lines.join("\n")
}

fn run_line(r: &api::ScriptRunInfo) -> String {
    let mut t = format!("{} run {} {}", r.kind, r.id, r.status);
    if let Some(e) = &r.error {
        t.push_str(&format!(": {e}"));
    }
    t
}

/// Follows run `run` of `workspace` on `sub`, printing its output from byte `from` on, until it
/// ends; returns the ended run.
async fn follow(
    call: &Caller<'_>,
    sub: &mut band_api::client::Subscription<api::WorkspaceNotice>,
    workspace: &str,
    run: i64,
    mut printed: u64,
) -> Result<api::ScriptRunInfo, Failure> {
    let mut stdout = std::io::stdout();
    loop {
        let Some(notice) = sub.next().await.map_err(|e| crate::explain(e, call.client))? else {
            return Err(Failure("the server ended the subscription before the script ended".into()));
        };
        match notice {
            api::WorkspaceNotice::ScriptOutput { run_id, offset, text, .. } if run_id == run => {
                let end = offset + text.len() as u64;
                if end <= printed {
                    continue;
                }
                if offset > printed {
                    // Notices were missed: what was kept fills the gap.
                    let runs = call
                        .call::<api::WorkspacesScripts>(api::WorkspaceParams { workspace: workspace.into() })
                        .await?;
                    if let Some(r) = runs.iter().find(|r| r.id == run) {
                        print_from(&mut stdout, r, &mut printed);
                    }
                    continue;
                }
                let skip = usize::try_from(printed - offset).unwrap_or(0);
                let _ = stdout.write_all(text.as_bytes().get(skip..).unwrap_or_default());
                let _ = stdout.flush();
                printed = end;
            }
            api::WorkspaceNotice::ScriptRun { run: r } if r.id == run && r.status != api::ScriptStatus::Running => {
                print_from(&mut stdout, &r, &mut printed);
                return Ok(r);
            }
            _ => {}
        }
    }
}

/// Prints what of `r`'s kept output lies past `printed`.
fn print_from(stdout: &mut std::io::Stdout, r: &api::ScriptRunInfo, printed: &mut u64) {
    let kept_from = r.output_len.saturating_sub(r.output.len() as u64);
    let from = (*printed).max(kept_from);
    let skip = usize::try_from(from - kept_from).unwrap_or(usize::MAX);
    if let Some(rest) = r.output.as_bytes().get(skip..) {
        let _ = stdout.write_all(rest);
        let _ = stdout.flush();
    }
    *printed = r.output_len.max(*printed);
}

fn ended(r: &api::ScriptRunInfo) -> Result<(), Failure> {
    match r.status {
        api::ScriptStatus::Succeeded => Ok(()),
        _ => Err(Failure(run_line(r))),
    }
}

/// `band workspaces setup`: runs setup and (unless JSON) follows its output to its end.
pub async fn setup(workspace: String, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    if out.json {
        let run = call.call::<api::WorkspacesSetup>(api::WorkspaceParams { workspace }).await?;
        return out.show(&run, String::new);
    }
    let mut sub = call
        .client
        .subscribe::<api::WorkspaceNotice>(&api::WORKSPACES_SUBSCRIBE, serde_json::json!({ "workspace": workspace }))
        .await
        .map_err(|e| crate::explain(e, call.client))?;
    let run = call.call::<api::WorkspacesSetup>(api::WorkspaceParams { workspace: workspace.clone() }).await?;
    let done = follow(call, &mut sub, &workspace, run.id, 0).await?;
    eprintln!("{}", run_line(&done));
    ended(&done)
}

/// `band workspaces scripts`: the runs, the last one's output; `--follow` follows a running one.
pub async fn scripts(workspace: String, follow_it: bool, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let mut sub = if follow_it && !out.json {
        Some(
            call.client
                .subscribe::<api::WorkspaceNotice>(
                    &api::WORKSPACES_SUBSCRIBE,
                    serde_json::json!({ "workspace": workspace }),
                )
                .await
                .map_err(|e| crate::explain(e, call.client))?,
        )
    } else {
        None
    };
    let runs = call.call::<api::WorkspacesScripts>(api::WorkspaceParams { workspace: workspace.clone() }).await?;
    if let (Some(sub), Some(last)) = (sub.as_mut(), runs.last()) {
        let mut printed = 0;
        print_from(&mut std::io::stdout(), last, &mut printed);
        if last.status == api::ScriptStatus::Running {
            let done = follow(call, sub, &workspace, last.id, printed).await?;
            eprintln!("{}", run_line(&done));
            return ended(&done);
        }
        eprintln!("{}", run_line(last));
        return Ok(());
    }
    out.show(&runs, || {
        if runs.is_empty() {
            return "no setup or teardown run in this workspace".into();
        }
        let mut t = table(
            &["RUN", "SCRIPT", "STATUS", "STARTED", "EXIT"],
            runs.iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.kind.to_string(),
                        r.status.to_string(),
                        when(r.started_at),
                        r.exit_code.map(|c| c.to_string()).unwrap_or_default(),
                    ]
                })
                .collect(),
        );
        if let Some(last) = runs.last() {
            t.push_str(&format!("\noutput of run {}:\n{}", last.id, last.output));
        }
        t
    })
}
