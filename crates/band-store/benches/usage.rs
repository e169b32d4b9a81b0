//! Usage report benchmark: 1,000,000 events appended through `EventLog::append_events` to a real
//! SQLite file (250,000 turns of 4 events each: prompt, start, a tool call, end with usage, over
//! 500 chats in 50 workspaces of 5 projects, three models), then `TurnLog::usage_report` by every
//! grouping and `turn_usage` (a page of 50), each timed over many calls. Then a stress case: the
//! roll-up filled as if every chat had worked every day of a year on two models (365 × 500 × 2
//! rows, written with SQL straight into the file), and the reports again over the whole year.
//!
//! `cargo bench -p band-store --bench usage` runs it fully; `cargo test --all-targets` runs a
//! small smoke version so it cannot rot.

use std::time::Instant;

use band_core::ports::{ChatStore, EventLog, ProjectStore, TurnLog, WorkspaceStore};
use band_core::{
    AgentUpdate, BranchName, ChatId, EventPayload, GitRef, NewChat, NewProject, NewWorkspace, PermissionMode,
    ProjectName, StopReason, TurnOutcome, Usage, UsageBy, UsageFilter,
};
use band_store::SqliteStore;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

fn ms(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[((v.len() as f64 - 1.0) * 0.99).round() as usize])
}

async fn time_reports(store: &SqliteStore, rounds: usize, filter: UsageFilter) {
    for by in UsageBy::ALL {
        let mut took = Vec::new();
        let mut groups = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let r = store.usage_report(by, filter).await.expect("report");
            took.push(t.elapsed().as_secs_f64() * 1000.0);
            groups = r.groups.len();
        }
        let (median, p99) = ms(took);
        println!("  usage_report by {:<9} {groups:>6} groups: median {median:7.2} ms, p99 {p99:7.2} ms", by.as_str());
    }
    let mut took = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let page = store.turn_usage(filter, 50, None).await.expect("turns");
        took.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(page.len() <= 50);
    }
    let (median, p99) = ms(took);
    println!("  turn_usage, a page of 50:        median {median:7.2} ms, p99 {p99:7.2} ms");
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (turns, chats, rounds) = if full { (250_000, 500, 20) } else { (2_000, 50, 2) };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("band.db");
    let store = SqliteStore::open(&path).await.expect("store");
    println!(
        "band usage report benchmark ({} run): {} events ({turns} turns of 4) over {chats} chats",
        if full { "full" } else { "smoke" },
        turns * 4
    );

    let mut ids = Vec::new();
    for p in 0..5 {
        let project = store
            .insert_project(NewProject {
                name: ProjectName::new(&format!("p{p}")).expect("name"),
                path: format!("/repos/p{p}").into(),
                default_branch: BranchName::new("main").expect("branch"),
            })
            .await
            .expect("project");
        for w in 0..10 {
            let ws = store
                .insert_workspace(NewWorkspace {
                    project_id: project.id,
                    branch: BranchName::new(&format!("b{w}")).expect("branch"),
                    base: GitRef::new("main").expect("ref"),
                    path: format!("/wt/p{p}/b{w}").into(),
                    branch_created: true,
                    direct: false,
                })
                .await
                .expect("workspace");
            for c in 0..chats / 50 {
                let chat = store
                    .insert_chat(NewChat {
                        workspace_id: ws.id,
                        agent: band_core::AgentId::new(["claude-code", "codex", "gemini"][c % 3]).expect("agent"),
                        model: None,
                        mode: PermissionMode::Ask,
                        name: band_core::ChatName::new(&format!("c{c}")).expect("name"),
                        labels: band_core::Labels::default(),
                        via: band_core::ChatVia::Protocol,
                    })
                    .await
                    .expect("chat");
                ids.push(chat.id);
            }
        }
    }
    // Each chat reports its model once.
    let models = ["claude-opus-4", "gpt-5", "gemini-3-pro"];
    let infos: Vec<(ChatId, Vec<EventPayload>)> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let info = AgentUpdate::SessionInfo {
                modes: vec![],
                current_mode: None,
                models: vec![],
                current_model: Some(models[i % 3].into()),
            };
            (id, vec![EventPayload::Update(info)])
        })
        .collect();
    store.append_events(infos).await.expect("session info");

    let started = Instant::now();
    let batch_turns = 500;
    for start in (0..turns).step_by(batch_turns) {
        let batch = (start..(start + batch_turns).min(turns))
            .map(|n| {
                let chat = ids[n % ids.len()];
                let usage = Usage {
                    input_tokens: 1000 + (n as u64 % 97),
                    output_tokens: 200,
                    cache_read_tokens: 5000,
                    cache_write_tokens: 100,
                    cost_usd: Some(0.01 + (n % 13) as f64 / 1000.0),
                };
                let tool = ["Bash", "Read", "Edit", "mcp__github__create_issue"][n % 4];
                let events = vec![
                    EventPayload::Prompt { text: format!("turn {n}"), queued: None },
                    EventPayload::TurnStarted,
                    EventPayload::Update(AgentUpdate::ToolCall {
                        id: format!("t{n}"),
                        title: tool.into(),
                        kind: "other".into(),
                        input: "{}".into(),
                        tool: tool.into(),
                    }),
                    EventPayload::TurnEnded(TurnOutcome { stop_reason: Some(StopReason::EndTurn), error: None, usage }),
                ];
                (chat, events)
            })
            .collect();
        store.append_events(batch).await.expect("append");
    }
    let took = started.elapsed().as_secs_f64();
    println!("appended in {took:.1} s ({:.0} events/s, roll-ups included)", (turns * 4) as f64 / took);
    let all = store.usage_report(UsageBy::Agent, UsageFilter::default()).await.expect("report");
    assert_eq!(all.total.turns, turns as u64, "every turn counted");
    assert_eq!(all.tools.iter().map(|t| t.calls).sum::<u64>(), turns as u64, "every call counted");

    println!("the appended turns (one day):");
    time_reports(&store, rounds, UsageFilter::default()).await;
    let one = UsageFilter { project: Some(band_core::ProjectId(1)), ..UsageFilter::default() };
    println!("one project's:");
    time_reports(&store, rounds, one).await;

    // The stress case: a year of every chat on two models every day.
    let today = band_core::utc_day(band_core::now_millis());
    let mut conn = SqliteConnection::establish(path.to_str().expect("utf-8 path")).expect("connect");
    let rows = diesel::sql_query(format!(
        "WITH RECURSIVE d(day) AS (SELECT {first} UNION ALL SELECT day + 1 FROM d WHERE day < {last}) \
         INSERT OR IGNORE INTO usage_daily SELECT d.day, c.id, m.model, 3, 3, 3000, 600, 15000, 300, 30000, 90000 \
         FROM d, chats c, (SELECT 'claude-opus-4' AS model UNION ALL SELECT 'claude-sonnet-4') m",
        first = today - 365,
        last = today - 1
    ))
    .execute(&mut conn)
    .expect("a year of roll-up rows");
    println!("a year of every chat every day on two models ({rows} more roll-up rows):");
    time_reports(&store, rounds, UsageFilter { from_day: Some(today - 365), ..UsageFilter::default() }).await;
    let week = UsageFilter { from_day: Some(today - 6), ..UsageFilter::default() };
    println!("its last 7 days:");
    time_reports(&store, rounds, week).await;
}
