//! `band workspaces pr` and `band projects prs`: pull requests through band-server's GitHub CLI.

use band_api as api;

use crate::output::{Printer, table};
use crate::{Caller, Failure, selector};

fn checks_line(p: &api::PullInfo) -> String {
    if p.checks.is_empty() {
        return "no checks".into();
    }
    let count = |o: api::CheckOutcomeName| p.checks.iter().filter(|c| c.outcome == o).count();
    let mut parts = Vec::new();
    for (o, word) in [
        (api::CheckOutcomeName::Passed, "passed"),
        (api::CheckOutcomeName::Failed, "failed"),
        (api::CheckOutcomeName::Pending, "pending"),
        (api::CheckOutcomeName::Skipped, "skipped"),
    ] {
        let n = count(o);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    format!("checks: {}", parts.join(", "))
}

pub fn pull_text(p: &api::PullInfo) -> String {
    let mut t = format!(
        "#{} {} ({}{}) {} → {}\n{}\n{}",
        p.number,
        p.title,
        p.state,
        if p.draft { ", draft" } else { "" },
        p.head,
        p.base,
        p.url,
        checks_line(p)
    );
    for c in &p.checks {
        t.push_str(&format!("\n  {:<8} {}", c.outcome, c.name));
    }
    t
}

pub async fn pr(
    workspace: Option<String>,
    status: bool,
    title: Option<String>,
    body: Option<String>,
    draft: bool,
    call: &Caller<'_>,
    out: &Printer,
) -> Result<(), Failure> {
    let workspace = selector(workspace)?;
    if status {
        let s = call.call::<api::WorkspacesPrStatus>(api::WorkspaceParams { workspace }).await?;
        return out.show(&s, || match &s.pull {
            Some(p) => pull_text(p),
            None => "no pull request for this workspace's branch (open one with `band workspaces pr`)".into(),
        });
    }
    let made = call.call::<api::WorkspacesPr>(api::WorkspacesPrParams { workspace, title, body, draft }).await?;
    out.show(&made, || {
        let what = if made.created { "opened" } else { "already open:" };
        format!("pushed {} to {}; {what} {}", made.pull.head, made.pushed_to, pull_text(&made.pull))
    })
}

pub async fn prs(project: String, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let list = call.call::<api::ProjectsPrs>(api::ProjectNameParams { name: project.clone() }).await?;
    out.show(&list, || {
        if list.is_empty() {
            return format!("no open pull requests in {project}");
        }
        let rows = list
            .iter()
            .map(|p| {
                vec![
                    format!("#{}", p.number),
                    p.head.clone(),
                    p.title.clone(),
                    checks_line(p).trim_start_matches("checks: ").to_owned(),
                ]
            })
            .collect();
        format!(
            "{}\nopen one as a workspace: band workspaces create {project} --pr <number>",
            table(&["PR", "BRANCH", "TITLE", "CHECKS"], rows)
        )
    })
}
