//! `band policy show|set` and `band audit [filters] | export`: policies per scope, and the audit
//! of agent actions beside the access audit.

use band_api as api;
use clap::{Args, Subcommand};

use crate::output::{Printer, table, when};
use crate::{Caller, Failure};

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// A scope's effective policy and where each rule came from. SCOPE: `global` (the default),
    /// `project:NAME`, `workspace:PROJECT/BRANCH` (or just PROJECT/BRANCH), `chat:ID`.
    Show { scope: Option<String> },
    /// Set rules at the global scope, or at one project, workspace or chat (a narrower scope can
    /// only tighten). KEY=VALUE: true/false, a number, or comma-separated globs; KEY= removes it.
    Set {
        #[arg(long, conflicts_with_all = ["workspace", "chat"])]
        project: Option<String>,
        #[arg(long, conflicts_with = "chat")]
        workspace: Option<String>,
        #[arg(long)]
        chat: Option<i64>,
        #[arg(required = true, value_name = "KEY=VALUE")]
        rules: Vec<String>,
    },
}

pub async fn run(cmd: PolicyCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let info = match cmd {
        PolicyCmd::Show { scope } => call.call::<api::PolicyShow>(parse_scope(scope.as_deref())?).await?,
        PolicyCmd::Set { project, workspace, chat, rules } => {
            for r in &rules {
                if !r.contains('=') {
                    return Err(Failure(format!(
                        "'{r}' is not KEY=VALUE; the keys are canCreateFiles, canEditFiles, canRunCommands, \
                         canPushGit, allowCommands, denyCommands, allowPaths, denyPaths, allowTools, denyTools, maxTurns, \
                         maxCostUsd, maxTokens, dailyMaxCostUsd, dailyMaxTokens"
                    )));
                }
            }
            call.call::<api::PolicySet>(api::PolicySetParams { project, workspace, chat, set: rules }).await?
        }
    };
    out.show(&info, || policy_text(&info))
}

fn parse_scope(scope: Option<&str>) -> Result<api::PolicyScopeParams, Failure> {
    let mut p = api::PolicyScopeParams::default();
    match scope {
        None | Some("global") => {}
        Some(s) if s.starts_with("project:") => p.project = Some(s["project:".len()..].to_owned()),
        Some(s) if s.starts_with("workspace:") => p.workspace = Some(s["workspace:".len()..].to_owned()),
        Some(s) if s.starts_with("chat:") => {
            let id = &s["chat:".len()..];
            p.chat = Some(id.parse().map_err(|_| Failure(format!("'{id}' is not a chat id (a number)")))?);
        }
        Some(s) if s.contains('/') => p.workspace = Some(s.to_owned()),
        Some(s) => {
            return Err(Failure(format!(
                "'{s}' is not a scope: give global, project:NAME, workspace:PROJECT/BRANCH (or PROJECT/BRANCH) or chat:ID"
            )));
        }
    }
    Ok(p)
}

fn policy_text(info: &api::PolicyInfo) -> String {
    if info.effective.is_empty() {
        return format!("no policy applies to {} (every key is unset: nothing is refused by policy)", info.scope);
    }
    let rows = info.effective.iter().map(|r| vec![r.key.clone(), r.value.clone(), r.from.clone()]).collect();
    let mut out = format!("policy of {}:\n{}", info.scope, table(&["KEY", "VALUE", "FROM"], rows));
    if !info.budgets.is_empty() {
        let rows = info
            .budgets
            .iter()
            .map(|b| vec![b.rule.clone(), b.scope.clone(), b.shown.clone(), b.state.clone()])
            .collect();
        out.push_str(&format!("\nbudgets:\n{}", table(&["BUDGET", "COUNTS", "SPENT", "STATE"], rows)));
    }
    out
}

/// `band audit`'s filters.
#[derive(Args, Default)]
pub struct AuditArgs {
    /// access (sign-ins, pairings, revocations: the default without other filters), actions
    /// (every agent action), or one kind of agent action: tool_call, cron_run, policy_change,
    /// turn_refused.
    #[arg(long)]
    pub kind: Option<String>,
    /// Agent actions of this chat.
    #[arg(long)]
    pub chat: Option<i64>,
    /// Agent actions in this workspace (id or PROJECT/BRANCH).
    #[arg(long)]
    pub workspace: Option<String>,
    /// Agent actions decided by: user, mode, policy, budget.
    #[arg(long)]
    pub decider: Option<String>,
    /// Entries at or after: YYYY-MM-DD (UTC), or an age such as 30m, 12h, 7d.
    #[arg(long)]
    pub since: Option<String>,
    /// Only entries older than this id.
    #[arg(long)]
    pub before: Option<i64>,
    /// At most this many (default 100).
    #[arg(long)]
    pub limit: Option<u32>,
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Every matching entry (all pages) as JSON lines, oldest last.
    Export {
        #[command(flatten)]
        filters: AuditArgs,
    },
}

enum Which {
    Access,
    Actions(Option<api::ActionKind>),
}

fn which(a: &AuditArgs) -> Result<Which, Failure> {
    let agent_filter = a.chat.is_some() || a.workspace.is_some() || a.decider.is_some();
    match a.kind.as_deref() {
        None if agent_filter => Ok(Which::Actions(None)),
        None | Some("access") => Ok(Which::Access),
        Some("actions") => Ok(Which::Actions(None)),
        Some(k) => {
            let kind = serde_json::from_value(serde_json::Value::String(k.to_owned())).map_err(|_| {
                Failure(format!(
                    "'{k}' is not an audit kind: give access, actions, tool_call, cron_run, policy_change or turn_refused"
                ))
            })?;
            Ok(Which::Actions(Some(kind)))
        }
    }
}

fn params(a: &AuditArgs, kind: Option<api::ActionKind>, now_ms: i64) -> Result<api::AuditActionsParams, Failure> {
    let decider = a
        .decider
        .as_deref()
        .map(|d| {
            serde_json::from_value(serde_json::Value::String(d.to_owned()))
                .map_err(|_| Failure(format!("'{d}' is not a decider: give user, mode, policy or budget")))
        })
        .transpose()?;
    Ok(api::AuditActionsParams {
        kind,
        chat: a.chat,
        workspace: a.workspace.clone(),
        decider,
        since: a.since.as_deref().map(|s| since(s, now_ms)).transpose()?,
        before: a.before,
        limit: a.limit,
    })
}

/// `YYYY-MM-DD` (UTC midnight) or an age (`30m`, `12h`, `7d`) in Unix milliseconds.
pub fn since(s: &str, now_ms: i64) -> Result<i64, Failure> {
    let bad = || Failure(format!("'{s}' is not a date: give YYYY-MM-DD (UTC) or an age such as 30m, 12h or 7d"));
    if let Some((n, unit)) = s.len().checked_sub(1).map(|i| s.split_at(i))
        && let Ok(n) = n.parse::<i64>()
    {
        let ms = match unit {
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        return Ok(now_ms - n * ms);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    let (y, m, d): (i64, i64, i64) =
        (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y.to_string().len() != 4 {
        return Err(bad());
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub async fn audit(args: AuditArgs, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match which(&args)? {
        Which::Access => {
            let since = args.since.as_deref().map(|s| since(s, now_ms())).transpose()?;
            let mut list =
                call.call::<api::AuditList>(api::AuditListParams { before: args.before, limit: args.limit }).await?;
            list.retain(|e| since.is_none_or(|s| e.at >= s));
            crate::devices::show_audit(&list, out)
        }
        Which::Actions(kind) => {
            let list = call.call::<api::AuditActions>(params(&args, kind, now_ms())?).await?;
            out.show(&list, || actions_text(&list))
        }
    }
}

fn actions_text(list: &[api::ActionInfo]) -> String {
    if list.is_empty() {
        return "no agent actions match".into();
    }
    let rows = list
        .iter()
        .map(|a| {
            let decided = match (&a.decision, &a.decider) {
                (Some(d), Some(by)) => format!("{d} by {by}"),
                (None, Some(by)) => format!("by {by}"),
                _ => "-".into(),
            };
            vec![
                a.id.to_string(),
                when(a.at),
                a.kind.to_string(),
                a.chat.map_or_else(|| "-".into(), |c| c.to_string()),
                a.tool.clone().unwrap_or_else(|| "-".into()),
                decided,
                a.rule.clone().unwrap_or_else(|| "-".into()),
                a.detail.chars().take(80).collect(),
            ]
        })
        .collect();
    table(&["ID", "AT", "KIND", "CHAT", "TOOL", "DECISION", "RULE", "DETAIL"], rows)
}

/// Every matching entry, page by page, one JSON document a line.
pub async fn export(args: AuditArgs, call: &Caller<'_>) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let page = 1000;
    match which(&args)? {
        Which::Access => {
            let since = args.since.as_deref().map(|s| since(s, now_ms())).transpose()?;
            let mut before = args.before;
            loop {
                let list = call.call::<api::AuditList>(api::AuditListParams { before, limit: Some(page) }).await?;
                for e in list.iter().filter(|e| since.is_none_or(|s| e.at >= s)) {
                    writeln!(stdout, "{}", serde_json::to_string(e)?)?;
                }
                match list.last() {
                    Some(last) if list.len() == page as usize && since.is_none_or(|s| last.at >= s) => {
                        before = Some(last.id);
                    }
                    _ => break,
                }
            }
        }
        Which::Actions(kind) => {
            let mut p = params(&args, kind, now_ms())?;
            p.limit = Some(page);
            loop {
                let list = call.call::<api::AuditActions>(p.clone()).await?;
                for a in &list {
                    writeln!(stdout, "{}", serde_json::to_string(a)?)?;
                }
                match list.last() {
                    Some(last) if list.len() == page as usize => p.before = Some(last.id),
                    _ => break,
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_and_ages() {
        assert_eq!(since("1970-01-02", 0).ok(), Some(86_400_000));
        assert_eq!(since("2026-12-03", 0).ok(), Some(1_796_256_000_000));
        assert_eq!(since("2d", 200_000_000).ok(), Some(200_000_000 - 172_800_000));
        assert!(since("yesterday", 0).is_err());
        assert!(since("2026-13-01", 0).is_err());
    }
}
