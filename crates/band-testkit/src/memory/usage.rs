//! Usage reports over [`MemoryStore`](super::MemoryStore)'s turns, events and cronjob runs, by
//! walking them: what band-store reads from its roll-ups, computed the same way (each turn's
//! cost rounded to a millionth of a dollar, days in UTC, the same order).

use std::collections::BTreeMap;

use band_core::{
    AgentUpdate, CronRun, EventPayload, ToolUse, Turn, TurnId, TurnUsage, Usage, UsageBy, UsageFilter, UsageGroup,
    UsageReport, UsageTotals, day_date, utc_day,
};

use super::State;

/// Sums as band-store keeps them: costs in millionths.
#[derive(Default, Clone, Copy)]
struct Sum {
    turns: u64,
    costed: u64,
    tokens: [u64; 4],
    cost: i64,
    duration: i64,
}

impl Sum {
    fn add(&mut self, u: &Usage, duration: i64) {
        self.turns += 1;
        if let Some(c) = u.cost_usd.filter(|c| c.is_finite()) {
            self.costed += 1;
            #[allow(clippy::cast_possible_truncation)]
            let micros = (c.max(0.0) * 1e6).round() as i64;
            self.cost += micros;
        }
        self.tokens[0] += u.input_tokens;
        self.tokens[1] += u.output_tokens;
        self.tokens[2] += u.cache_read_tokens;
        self.tokens[3] += u.cache_write_tokens;
        self.duration += duration.max(0);
    }

    fn merge(mut self, o: &Self) -> Self {
        self.turns += o.turns;
        self.costed += o.costed;
        for i in 0..4 {
            self.tokens[i] += o.tokens[i];
        }
        self.cost += o.cost;
        self.duration += o.duration;
        self
    }

    fn totals(&self) -> UsageTotals {
        #[allow(clippy::cast_precision_loss)]
        let cost_usd = (self.costed > 0).then(|| self.cost as f64 / 1e6);
        UsageTotals {
            turns: self.turns,
            usage: Usage {
                input_tokens: self.tokens[0],
                output_tokens: self.tokens[1],
                cache_read_tokens: self.tokens[2],
                cache_write_tokens: self.tokens[3],
                cost_usd,
            },
            duration_ms: self.duration,
        }
    }
}

/// Whether a chat's event or turn on `day` is in `filter`.
fn selected(state: &State, filter: &UsageFilter, chat: i64, day: i64) -> bool {
    let Some(c) = state.chats.get(&chat) else { return false };
    let Some(w) = state.workspaces.get(&c.workspace_id.0) else { return false };
    filter.from_day.is_none_or(|d| day >= d)
        && filter.to_day.is_none_or(|d| day <= d)
        && filter.project.is_none_or(|p| w.project_id == p)
        && filter.workspace.is_none_or(|x| c.workspace_id == x)
        && filter.chat.is_none_or(|x| c.id == x)
}

fn key_of(state: &State, by: UsageBy, turn: &Turn, day: i64) -> (String, String) {
    let chat = &state.chats[&turn.chat_id.0];
    let ws = &state.workspaces[&chat.workspace_id.0];
    let project = state.projects.get(&ws.project_id.0).map(|p| p.name.to_string()).unwrap_or_default();
    match by {
        UsageBy::Chat => (chat.id.0.to_string(), format!("{project}/{} · {}", ws.branch, chat.name)),
        UsageBy::Workspace => (ws.id.0.to_string(), format!("{project}/{}", ws.branch)),
        UsageBy::Project => (ws.project_id.0.to_string(), project),
        UsageBy::Agent => (chat.agent.as_str().to_owned(), chat.agent.as_str().to_owned()),
        UsageBy::Model => {
            let m = turn.model.clone().unwrap_or_default();
            let label = if m.is_empty() { "default".to_owned() } else { m.clone() };
            (m, label)
        }
        UsageBy::Day | UsageBy::Cronjob => (day_date(day), day_date(day)),
    }
}

/// What a call counts as: the tool's name, else (events stored before it was kept) its kind.
fn tool_name(tool: &str, kind: &str) -> String {
    [tool, kind].into_iter().find(|s| !s.is_empty()).unwrap_or("other").to_owned()
}

/// Counts by tool, most called first, then by name.
fn most_called(counts: BTreeMap<String, u64>) -> Vec<ToolUse> {
    let mut tools: Vec<ToolUse> = counts.into_iter().map(|(tool, calls)| ToolUse { tool, calls }).collect();
    tools.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.tool.cmp(&b.tool)));
    tools
}

pub(super) fn report(state: &State, runs: &[(CronRun, String)], by: UsageBy, filter: UsageFilter) -> UsageReport {
    let mut groups: BTreeMap<String, (String, Sum)> = BTreeMap::new();
    if by == UsageBy::Cronjob {
        for (run, key) in runs {
            let (Some(chat), Some(_), Some(ended)) = (run.chat_id, run.turn_id, run.ended_at) else { continue };
            if !selected(state, &filter, chat.0, utc_day(ended)) {
                continue;
            }
            let g = groups.entry(run.job_id.0.to_string()).or_insert_with(|| (key.clone(), Sum::default()));
            g.1.add(&run.usage, run.duration_ms.unwrap_or_default());
        }
    } else {
        for turn in state.turns.values() {
            let (Some(ended), Some(outcome)) = (turn.ended_at, &turn.outcome) else { continue };
            let day = utc_day(ended);
            if !selected(state, &filter, turn.chat_id.0, day) {
                continue;
            }
            let (key, label) = key_of(state, by, turn, day);
            let g = groups.entry(key).or_insert_with(|| (label, Sum::default()));
            g.1.add(&outcome.usage, turn.duration_ms().unwrap_or_default());
        }
    }
    let mut rows: Vec<(String, String, Sum)> = groups.into_iter().map(|(k, (l, s))| (k, l, s)).collect();
    if by != UsageBy::Day {
        let tokens = |s: &Sum| s.tokens.iter().sum::<u64>();
        rows.sort_by(|a, b| b.2.cost.cmp(&a.2.cost).then(tokens(&b.2).cmp(&tokens(&a.2))).then(a.0.cmp(&b.0)));
    }
    let total = rows.iter().fold(Sum::default(), |t, r| t.merge(&r.2)).totals();
    let mut tools: BTreeMap<String, u64> = BTreeMap::new();
    for (chat, events) in &state.events {
        for e in events {
            if let EventPayload::Update(AgentUpdate::ToolCall { tool, kind, .. }) = &e.payload
                && selected(state, &filter, *chat, utc_day(e.at))
            {
                *tools.entry(tool_name(tool, kind)).or_default() += 1;
            }
        }
    }
    UsageReport {
        groups: rows.into_iter().map(|(key, label, s)| UsageGroup { key, label, totals: s.totals() }).collect(),
        total,
        tools: most_called(tools),
    }
}

pub(super) fn turns(state: &State, filter: UsageFilter, limit: usize, before: Option<TurnId>) -> Vec<TurnUsage> {
    state
        .turns
        .values()
        .rev()
        .filter(|t| before.is_none_or(|b| t.id < b))
        .filter(|t| {
            t.ended_seq.is_some() && t.ended_at.is_some_and(|e| selected(state, &filter, t.chat_id.0, utc_day(e)))
        })
        .take(limit)
        .map(|t| {
            let chat = &state.chats[&t.chat_id.0];
            let mut tools: BTreeMap<String, u64> = BTreeMap::new();
            let range = t.started_seq..=t.ended_seq.unwrap_or(t.started_seq);
            for e in state.events.get(&t.chat_id.0).into_iter().flatten().filter(|e| range.contains(&e.seq)) {
                if let EventPayload::Update(AgentUpdate::ToolCall { tool, kind, .. }) = &e.payload {
                    *tools.entry(tool_name(tool, kind)).or_default() += 1;
                }
            }
            TurnUsage {
                turn: t.clone(),
                workspace_id: chat.workspace_id,
                agent: chat.agent.as_str().to_owned(),
                tools: most_called(tools),
            }
        })
        .collect()
}
