//! `band usage`: what ended turns used (tokens in, out and cached, cost, duration) grouped by
//! agent, model, project, workspace, chat, day or cronjob, with their tool calls; `--turns` lists
//! them one by one.

use band_api as api;
use clap::Args;

use crate::output::{Printer, table, when};
use crate::{Caller, Failure};

#[derive(Args)]
pub struct UsageArgs {
    /// How to group: agent, model, project, workspace, chat, day (the default) or cronjob.
    #[arg(long, value_name = "GROUPING")]
    by: Option<api::UsageBy>,
    /// The first day: YYYY-MM-DD (UTC), or a number of days back (7d: the last seven, today
    /// included).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// The last day, included: YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// One project's turns.
    #[arg(long, conflicts_with_all = ["workspace", "chat"])]
    project: Option<String>,
    /// One workspace's turns (PROJECT/BRANCH or its id).
    #[arg(long, conflicts_with = "chat")]
    workspace: Option<String>,
    /// One chat's turns.
    #[arg(long)]
    chat: Option<i64>,
    /// The turns one by one, newest first, instead of grouped.
    #[arg(long, conflicts_with = "by")]
    turns: bool,
    /// With --turns: at most this many (default 50).
    #[arg(long, requires = "turns")]
    limit: Option<u32>,
}

pub async fn run(a: UsageArgs, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    if a.turns {
        let params = api::UsageTurnsParams {
            since: a.since,
            until: a.until,
            project: a.project,
            workspace: a.workspace,
            chat: a.chat,
            limit: a.limit,
            before: None,
        };
        let turns = call.call::<api::UsageTurns>(params).await?;
        return out.show(&turns, || turns_text(&turns));
    }
    let params = api::UsageReportParams {
        by: a.by,
        since: a.since,
        until: a.until,
        project: a.project,
        workspace: a.workspace,
        chat: a.chat,
    };
    let report = call.call::<api::UsageReport>(params).await?;
    out.show(&report, || report_text(&report))
}

fn cost(u: &api::UsageInfo) -> String {
    u.cost_usd.map_or_else(|| "-".to_owned(), |c| format!("${c:.4}"))
}

fn row(first: String, t: &api::UsageTotalsInfo) -> Vec<String> {
    let u = &t.usage;
    vec![
        first,
        t.turns.to_string(),
        u.input_tokens.to_string(),
        u.output_tokens.to_string(),
        (u.cache_read_tokens + u.cache_write_tokens).to_string(),
        cost(u),
        format!("{:.1}", t.duration_ms as f64 / 60_000.0),
    ]
}

fn tools_text(tools: &[api::ToolUseInfo]) -> String {
    tools
        .iter()
        .map(|t| match &t.mcp_server {
            Some(server) => format!("{} {} (MCP {server})", t.tool, t.calls),
            None => format!("{} {}", t.tool, t.calls),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn report_text(r: &api::UsageReportInfo) -> String {
    let days = match (&r.from_day, &r.to_day) {
        (Some(f), Some(t)) => format!(" from {f} to {t}"),
        (Some(f), None) => format!(" since {f}"),
        (None, Some(t)) => format!(" until {t}"),
        (None, None) => String::new(),
    };
    if r.groups.is_empty() {
        return format!(
            "no ended turns{days}{}",
            if r.by == api::UsageBy::Cronjob { " started by a cronjob" } else { "" }
        );
    }
    let heading = r.by.as_str().to_uppercase();
    let mut rows: Vec<Vec<String>> = r.groups.iter().map(|g| row(g.label.clone(), &g.totals)).collect();
    rows.push(row("total".into(), &r.total));
    let mut out = format!(
        "usage by {}{days}:\n{}",
        r.by,
        table(&[heading.as_str(), "TURNS", "IN", "OUT", "CACHED", "COST", "MIN"], rows)
    );
    if !r.tools.is_empty() {
        out.push_str(&format!("\ntool calls: {}", tools_text(&r.tools)));
    }
    out
}

fn turns_text(turns: &[api::TurnUsageInfo]) -> String {
    if turns.is_empty() {
        return "no ended turns".into();
    }
    let rows = turns
        .iter()
        .map(|t| {
            let u = &t.turn.usage;
            vec![
                t.turn.id.to_string(),
                t.chat.to_string(),
                t.turn.ended_at.map(when).unwrap_or_default(),
                t.agent.clone(),
                t.model.clone().unwrap_or_else(|| "default".into()),
                u.input_tokens.to_string(),
                u.output_tokens.to_string(),
                (u.cache_read_tokens + u.cache_write_tokens).to_string(),
                cost(u),
                t.turn.duration_ms.map(|d| format!("{:.1}", d as f64 / 1000.0)).unwrap_or_default(),
                tools_text(&t.tools),
            ]
        })
        .collect();
    table(&["TURN", "CHAT", "ENDED", "AGENT", "MODEL", "IN", "OUT", "CACHED", "COST", "SEC", "TOOLS"], rows)
}
