//! `usage.report` and `usage.turns`: the filter's days (`YYYY-MM-DD`, or `7d` for the last seven
//! days, today included) and its project, workspace or chat are resolved to band-core's
//! [`UsageFilter`]; what comes back is converted as it is.

use band_core::{ChatId, CoreError, Problem, ToolUse, TurnId, UsageBy, UsageFilter, date_day, day_date, utc_day};
use jsonrpsee::RpcModule;

use super::convert::{totals_info, turn_info};
use super::{ApiContext, Reg, add};
use band_api::{self as api};

pub(super) fn methods(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::UsageReport, _, _>(m, |c, p| async move {
        let filter =
            filter(&c, p.since.as_deref(), p.until.as_deref(), p.project.as_deref(), p.workspace.as_deref(), p.chat)
                .await?;
        let by = p.by.unwrap_or(api::UsageBy::Day);
        let report = c.chats.usage_report(usage_by(by), filter).await?;
        Ok(api::UsageReportInfo {
            by,
            from_day: filter.from_day.map(day_date),
            to_day: filter.to_day.map(day_date),
            groups: report
                .groups
                .iter()
                .map(|g| api::UsageGroupInfo {
                    key: g.key.clone(),
                    label: g.label.clone(),
                    totals: totals_info(&g.totals),
                })
                .collect(),
            total: totals_info(&report.total),
            tools: report.tools.iter().map(tool_info).collect(),
        })
    })?;
    add::<api::UsageTurns, _, _>(m, |c, p| async move {
        let filter =
            filter(&c, p.since.as_deref(), p.until.as_deref(), p.project.as_deref(), p.workspace.as_deref(), p.chat)
                .await?;
        let limit = p.limit.unwrap_or(50) as usize;
        let turns = c.chats.turn_usage(filter, limit, p.before.map(TurnId)).await?;
        Ok(turns
            .iter()
            .map(|t| api::TurnUsageInfo {
                chat: t.turn.chat_id.0,
                workspace_id: t.workspace_id.0,
                agent: t.agent.clone(),
                model: t.turn.model.clone(),
                turn: turn_info(&t.turn),
                tools: t.tools.iter().map(tool_info).collect(),
            })
            .collect())
    })
}

fn tool_info(t: &ToolUse) -> api::ToolUseInfo {
    api::ToolUseInfo { tool: t.tool.clone(), mcp_server: t.mcp_server().map(str::to_owned), calls: t.calls }
}

fn usage_by(by: api::UsageBy) -> UsageBy {
    match by {
        api::UsageBy::Chat => UsageBy::Chat,
        api::UsageBy::Workspace => UsageBy::Workspace,
        api::UsageBy::Project => UsageBy::Project,
        api::UsageBy::Agent => UsageBy::Agent,
        api::UsageBy::Model => UsageBy::Model,
        api::UsageBy::Day => UsageBy::Day,
        api::UsageBy::Cronjob => UsageBy::Cronjob,
    }
}

/// A day as the params give it: `YYYY-MM-DD`, or `Nd` (the last N days, today included).
pub(crate) fn day(text: &str, what: &str, today: i64) -> Result<i64, CoreError> {
    let t = text.trim();
    if let Some(n) = t.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()).filter(|n| (1..=36_500).contains(n)) {
        return Ok(today - (n - 1));
    }
    date_day(t).ok_or_else(|| {
        CoreError::InvalidInput(Problem::new(format!(
            "{what} '{text}' is not a day: write a date as YYYY-MM-DD (2026-12-01) or a number of days back (7d)"
        )))
    })
}

async fn filter(
    c: &ApiContext,
    since: Option<&str>,
    until: Option<&str>,
    project: Option<&str>,
    workspace: Option<&str>,
    chat: Option<i64>,
) -> Result<UsageFilter, CoreError> {
    let today = utc_day(band_core::now_millis());
    let mut f = UsageFilter {
        from_day: since.map(|s| day(s, "since", today)).transpose()?,
        to_day: until.map(|s| day(s, "until", today)).transpose()?,
        ..UsageFilter::default()
    };
    match (project, workspace, chat) {
        (None, None, None) => {}
        (Some(p), None, None) => f.project = Some(c.projects.get(p).await?.id),
        (None, Some(w), None) => f.workspace = Some(c.workspaces.resolve(w).await?.1.id),
        (None, None, Some(id)) => f.chat = Some(c.chats.get(ChatId(id)).await?.id),
        _ => {
            return Err(CoreError::InvalidInput(Problem::new(
                "name at most one of project, workspace and chat (or none for every chat)",
            )));
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::day;

    #[test]
    fn days_are_dates_or_days_back() {
        assert_eq!(day("2026-12-03", "since", 0).ok(), Some(20_790));
        assert_eq!(day("7d", "since", 100).ok(), Some(94), "the last 7 days, today included");
        assert_eq!(day("1d", "since", 100).ok(), Some(100), "today");
        for bad in ["0d", "-3d", "yesterday", "2026-02-30", "d"] {
            let e = day(bad, "since", 100).expect_err(bad).to_string();
            assert!(e.contains(&format!("since '{bad}' is not a day")) && e.contains("YYYY-MM-DD"), "{e}");
        }
    }
}
