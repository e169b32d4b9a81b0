//! The cronjob scheduler against in-memory fakes and a clock the test moves: when jobs fire,
//! where their prompt goes, what a busy chat and missed runs do (each choice recorded in the
//! history), how runs follow their turn to the end, and what bad input is told.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use band_core::ports::{AgentEvent, Clock, CronCalendar, EventSink, GitRepos, Notice, ProjectStore, WorkspaceStore};
use band_core::services::{
    ChatPorts, Chats, CreateChat, CronPatch, CronPorts, CronSpec, Cronjobs, Projects, ScheduleSpec, TargetSpec,
    Workspaces,
};
use band_core::*;
use band_testkit::agent::FakeRuntime;
use band_testkit::events::RecordingSink;
use band_testkit::git::FakeGit;
use band_testkit::memory::MemoryStore;

const MINUTE: i64 = 60_000;
/// 2026-12-02 10:00:00 UTC.
const T0: i64 = 1_796_205_600_000;

struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// Knows one expression, "* * * * *" (every minute on the minute), and the zones UTC and
/// Europe/Berlin; refuses the rest as the real calendar would.
struct MinuteCalendar;

impl CronCalendar for MinuteCalendar {
    fn check(&self, expr: &str, zone: &str) -> Result<(), String> {
        if expr != "* * * * *" {
            return Err(format!("invalid cron expression '{expr}'"));
        }
        if zone != "UTC" && zone != "Europe/Berlin" {
            return Err(format!("unknown time zone '{zone}'"));
        }
        Ok(())
    }
    fn next_after(&self, _expr: &str, _zone: &str, after: Millis) -> Option<Millis> {
        Some((after / MINUTE + 1) * MINUTE)
    }
    fn default_zone(&self) -> String {
        "UTC".into()
    }
}

struct World {
    clock: Arc<TestClock>,
    sink: Arc<RecordingSink>,
    claude: Arc<FakeRuntime>,
    git: Arc<FakeGit>,
    chats: Chats,
    cron: Cronjobs,
    store: Arc<MemoryStore>,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let sink = Arc::new(RecordingSink::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), sink.clone());
    git.add_repo(Path::new("/code/app"), "main", false);
    Projects::new(ps.clone(), ws.clone(), g.clone(), e.clone())
        .add(Path::new("/code/app"), None)
        .await
        .expect("project");
    let workspaces = Arc::new(Workspaces::new(ps.clone(), ws, g, e.clone(), PathBuf::from("/wt")));
    workspaces.create("app", "feat", None).await.expect("workspace");
    let claude = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let chats = Chats::new(
        workspaces.clone(),
        ChatPorts {
            chats: store.clone(),
            log: store.clone(),
            turns: store.clone(),
            queue: store.clone(),
            events: e.clone(),
            agents: vec![claude.clone()],
            registry: Arc::new(AgentRegistry::builtin()),
            prices: Arc::new(Prices::builtin()),
            transcripts: None,
            env: Arc::new(|_| Default::default()),
        },
    );
    let clock = Arc::new(TestClock(AtomicI64::new(T0)));
    let cron = Cronjobs::new(
        CronPorts {
            store: store.clone(),
            calendar: Arc::new(MinuteCalendar),
            clock: clock.clone(),
            projects: ps,
            turns: store.clone(),
            log: store.clone(),
            queue: store.clone(),
            events: e,
        },
        chats.clone(),
        workspaces,
    );
    World { clock, sink, claude, git, chats, cron, store }
}

impl World {
    fn advance(&self, ms: i64) {
        self.clock.0.fetch_add(ms, Ordering::SeqCst);
    }

    async fn chat(&self) -> Chat {
        let req = CreateChat { workspace: "app/feat".into(), ..CreateChat::default() };
        self.chats.create(req).await.expect("chat")
    }

    async fn runs(&self, key: &str) -> Vec<CronRun> {
        let mut runs = self.cron.runs(key, None, 100).await.expect("runs");
        runs.reverse();
        runs
    }
}

fn spec(key: &str, schedule: ScheduleSpec, target: TargetSpec) -> CronSpec {
    CronSpec {
        key: key.into(),
        name: format!("job {key}"),
        prompt: "check the build".into(),
        schedule,
        target,
        agent: None,
        mode: None,
        enabled: true,
        if_busy: None,
        if_missed: None,
        budget: None,
    }
}

fn every(s: &str) -> ScheduleSpec {
    ScheduleSpec::Every(s.into())
}

fn end(input: u64, output: u64) -> AgentEvent {
    AgentEvent::TurnEnded {
        stop_reason: StopReason::EndTurn,
        usage: Some(Usage { input_tokens: input, output_tokens: output, cost_usd: Some(0.02), ..Usage::default() }),
    }
}

#[tokio::test]
async fn an_interval_job_fires_into_its_chat_when_due_and_its_run_follows_the_turn() {
    let w = world().await;
    let chat = w.chat().await;
    let job = w.cron.create(spec("often", every("30s"), TargetSpec::Chat(chat.id))).await.expect("create");
    assert_eq!(job.next_run_at, Some(T0 + 30_000), "the first run is an interval from now");
    assert_eq!(job.schedule, Schedule::Every { ms: 30_000 });

    w.advance(29_999);
    w.cron.tick().await.expect("tick");
    assert!(w.claude.sessions().is_empty(), "not due yet");
    w.advance(1);
    w.cron.tick().await.expect("tick");
    let agent = w.claude.last();
    assert_eq!(agent.prompts(), ["check the build"]);
    let job = w.cron.get("often").await.expect("job");
    assert_eq!((job.last_run_at, job.next_run_at), (Some(T0 + 30_000), Some(T0 + 60_000)));
    let runs = w.runs("often").await;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        (run.trigger, run.outcome, run.scheduled_at, run.chat_id),
        (RunTrigger::Schedule, RunOutcome::Running, T0 + 30_000, Some(chat.id))
    );
    assert_eq!(run.seq, Some(1), "its prompt is the chat's first event");

    agent.emit(end(100, 20)).await;
    w.advance(1000);
    w.cron.tick().await.expect("tick");
    let run = w.runs("often").await.remove(0);
    let turn = w.chats.turns(chat.id).await.expect("turns").remove(0);
    assert_eq!((run.outcome, run.turn_id), (RunOutcome::Completed, Some(turn.id)));
    assert_eq!((run.usage.input_tokens, run.usage.output_tokens, run.usage.cost_usd), (100, 20, Some(0.02)));
    assert_eq!((run.duration_ms, run.ended_at), (turn.duration_ms(), turn.ended_at));

    // A second run a tick late keeps the cadence; each is in the history.
    w.advance(29_500);
    w.cron.tick().await.expect("tick");
    assert_eq!(agent.prompts().len(), 2);
    assert_eq!(w.cron.get("often").await.expect("job").next_run_at, Some(T0 + 90_000));
    assert_eq!(w.runs("often").await.len(), 2);
    let announced = w.sink.take();
    assert!(announced.iter().any(|n| matches!(n, Notice::CronRunChanged(r) if r.outcome == RunOutcome::Completed)));
    assert!(announced.iter().any(|n| matches!(n, Notice::CronJobChanged(j) if j.key.as_str() == "often")));
}

#[tokio::test]
async fn a_busy_chat_queues_the_prompt_or_skips_the_run_as_the_job_says() {
    let w = world().await;
    let chat = w.chat().await;
    w.chats.send(chat.id, "a long task").await.expect("busy");
    let agent = w.claude.last();
    w.cron.create(spec("queued", every("10s"), TargetSpec::Chat(chat.id))).await.expect("queue job");
    let skip = CronSpec { if_busy: Some(IfBusy::Skip), ..spec("skipper", every("10s"), TargetSpec::Chat(chat.id)) };
    w.cron.create(skip).await.expect("skip job");

    w.advance(10_000);
    w.cron.tick().await.expect("tick");
    let skipped = w.runs("skipper").await.remove(0);
    assert_eq!(skipped.outcome, RunOutcome::Skipped);
    assert_eq!(skipped.detail.as_deref(), Some("chat 1 was busy (working); this job skips when busy"));
    let queued = w.runs("queued").await.remove(0);
    assert_eq!(queued.outcome, RunOutcome::Queued);
    assert!(queued.detail.as_deref().is_some_and(|d| d.contains("waits in its queue")), "{queued:?}");
    assert_eq!(w.chats.queue(chat.id).await.expect("queue").len(), 1);

    // The busy turn ends; the queued prompt starts; the run follows it to its end.
    agent.emit(end(1, 1)).await;
    assert_eq!(agent.prompts(), ["a long task", "check the build"]);
    w.cron.tick().await.expect("tick");
    assert_eq!(w.runs("queued").await.remove(0).outcome, RunOutcome::Running);
    agent.emit(end(7, 3)).await;
    w.cron.tick().await.expect("tick");
    let run = w.runs("queued").await.remove(0);
    assert_eq!((run.outcome, run.usage.input_tokens), (RunOutcome::Completed, 7));
    let turns = w.chats.turns(chat.id).await.expect("turns");
    assert_eq!(run.turn_id, Some(turns[1].id), "the run is the second turn, not the busy one");
}

#[tokio::test]
async fn a_queued_prompt_removed_by_a_person_is_a_cancelled_run() {
    let w = world().await;
    let chat = w.chat().await;
    w.chats.send(chat.id, "busy").await.expect("busy");
    w.cron.create(spec("q", every("5s"), TargetSpec::Chat(chat.id))).await.expect("job");
    w.advance(5_000);
    w.cron.tick().await.expect("tick");
    let queued = w.chats.queue(chat.id).await.expect("queue").remove(0);
    w.chats.cancel_queued(chat.id, queued.id).await.expect("cancel");
    w.cron.tick().await.expect("tick");
    let run = w.runs("q").await.remove(0);
    assert_eq!(run.outcome, RunOutcome::Cancelled);
}

#[tokio::test]
async fn missed_runs_are_skipped_or_run_once_at_start_and_recorded() {
    let w = world().await;
    let chat = w.chat().await;
    w.cron.create(spec("skips", every("1m"), TargetSpec::Chat(chat.id))).await.expect("job");
    let once = CronSpec {
        if_missed: Some(IfMissed::RunOnce),
        ..spec(
            "once",
            ScheduleSpec::Cron { expr: "* * * * *".into(), zone: None },
            TargetSpec::Workspace("app/feat".into()),
        )
    };
    let job = w.cron.create(once).await.expect("cron job");
    assert_eq!(job.schedule, Schedule::Cron { expr: "* * * * *".into(), zone: "UTC".into() }, "the default zone");
    assert_eq!(job.next_run_at, Some(T0 + MINUTE));

    // band-server is down for three and a half minutes; at start, catch_up decides.
    w.advance(3 * MINUTE + 30_000);
    assert_eq!(w.cron.catch_up().await.expect("catch up"), 2);
    let skipped = w.runs("skips").await;
    assert_eq!(skipped.len(), 1, "one record for all the missed runs");
    assert_eq!((skipped[0].trigger, skipped[0].outcome), (RunTrigger::Missed, RunOutcome::Skipped));
    assert_eq!(
        skipped[0].detail.as_deref(),
        Some("3 runs fell due while band-server was down; this job skips missed runs")
    );
    assert_eq!(skipped[0].scheduled_at, T0 + MINUTE, "when the first missed run was due");
    let ran = w.runs("once").await;
    assert_eq!(ran.len(), 1);
    assert_eq!((ran[0].trigger, ran[0].outcome), (RunTrigger::Missed, RunOutcome::Running));
    assert_eq!(
        ran[0].detail.as_deref(),
        Some("3 runs fell due while band-server was down; this job runs once at start")
    );
    assert_eq!(w.claude.sessions().len(), 1, "one prompt, not three");
    assert_eq!(w.cron.get("skips").await.expect("job").next_run_at, Some(T0 + 4 * MINUTE + 30_000));
    assert_eq!(w.cron.get("once").await.expect("job").next_run_at, Some(T0 + 4 * MINUTE));
    w.cron.tick().await.expect("nothing more is due");
    assert_eq!(w.claude.sessions().len(), 1);
}

#[tokio::test]
async fn workspace_and_project_targets_get_a_new_chat_and_a_new_workspace_per_run() {
    let w = world().await;
    let ws = CronSpec {
        mode: Some(PermissionMode::AllowAll),
        ..spec("in-ws", every("10s"), TargetSpec::Workspace("app/feat".into()))
    };
    w.cron.create(ws).await.expect("workspace job");
    w.cron.create(spec("fresh", every("10s"), TargetSpec::NewWorkspace("app".into()))).await.expect("project job");
    w.advance(10_000);
    w.cron.tick().await.expect("tick");
    w.advance(10_000);
    w.cron.tick().await.expect("tick");
    let in_ws = w.runs("in-ws").await;
    assert_eq!(in_ws.len(), 2);
    assert_ne!(in_ws[0].chat_id, in_ws[1].chat_id, "a new chat each run");
    let chat = w.chats.get(in_ws[0].chat_id.expect("chat")).await.expect("chat");
    assert_eq!((chat.name.as_str(), chat.mode), ("job in-ws", PermissionMode::AllowAll));
    let fresh = w.runs("fresh").await;
    let branches: Vec<String> = w.git.branches_of(Path::new("/code/app"));
    for run in &fresh {
        assert!(branches.contains(&format!("cron/fresh/{}", run.id.0)), "{branches:?}");
        assert_eq!(run.outcome, RunOutcome::Running);
    }
    assert_ne!(fresh[0].workspace_id, fresh[1].workspace_id);
}

#[tokio::test]
async fn disabled_jobs_wait_and_a_trigger_runs_one_now() {
    let w = world().await;
    let chat = w.chat().await;
    let job = w
        .cron
        .create(CronSpec { enabled: false, ..spec("later", every("10s"), TargetSpec::Chat(chat.id)) })
        .await
        .expect("job");
    assert_eq!(job.next_run_at, None);
    w.advance(60_000);
    w.cron.tick().await.expect("tick");
    assert!(w.runs("later").await.is_empty());

    let run = w.cron.trigger("later").await.expect("trigger");
    assert_eq!((run.trigger, run.outcome), (RunTrigger::Manual, RunOutcome::Running));
    assert_eq!(w.claude.last().prompts(), ["check the build"]);

    let job = w.cron.update("later", CronPatch { enabled: Some(true), ..CronPatch::default() }).await.expect("enable");
    assert_eq!(job.next_run_at, Some(T0 + 70_000), "counted from when it was enabled");
    let job = w
        .cron
        .update("later", CronPatch { schedule: Some(every("1h")), name: Some("hourly".into()), ..CronPatch::default() })
        .await
        .expect("reschedule");
    assert_eq!((job.name.as_str(), job.next_run_at), ("hourly", Some(T0 + 60_000 + 3_600_000)));
    // Moved from a workspace to a chat: the agent and mode of the chats it made no longer apply.
    let in_ws = CronSpec {
        mode: Some(PermissionMode::AllowAll),
        ..spec("moving", every("1h"), TargetSpec::Workspace("app/feat".into()))
    };
    w.cron.create(in_ws).await.expect("workspace job");
    let moved = w
        .cron
        .update("moving", CronPatch { target: Some(TargetSpec::Chat(chat.id)), ..CronPatch::default() })
        .await
        .expect("to a chat");
    assert_eq!((moved.target, moved.mode), (CronTarget::Chat(chat.id), None));
    let job = w.cron.update("later", CronPatch { enabled: Some(false), ..CronPatch::default() }).await.expect("off");
    assert_eq!(job.next_run_at, None);
    w.cron.delete("later").await.expect("delete");
    assert!(matches!(w.cron.get("later").await, Err(CoreError::NotFound(_))));
    assert_eq!(w.cron.list().await.expect("list").iter().map(|j| j.key.to_string()).collect::<Vec<_>>(), ["moving"]);
}

#[tokio::test]
async fn bad_input_says_what_was_wrong_and_stores_nothing() {
    let w = world().await;
    let chat = w.chat().await;
    let target = || TargetSpec::Chat(chat.id);
    let cases: Vec<(CronSpec, &str)> = vec![
        (spec("Bad Key", every("1m"), target()), "invalid cronjob key 'Bad Key'"),
        (spec("k", every("5 minutes"), target()), "'5 minutes' is not an interval"),
        (spec("k", every("0s"), target()), "shorter than one second"),
        (
            spec("k", ScheduleSpec::Cron { expr: "61 * * * *".into(), zone: None }, target()),
            "invalid cron expression '61 * * * *'",
        ),
        (
            spec("k", ScheduleSpec::Cron { expr: "* * * * *".into(), zone: Some("Mars/Olympus".into()) }, target()),
            "unknown time zone 'Mars/Olympus'",
        ),
        (spec("k", every("1m"), TargetSpec::Chat(ChatId(99))), "no chat 99"),
        (spec("k", every("1m"), TargetSpec::Workspace("app/nope".into())), "nope"),
        (spec("k", every("1m"), TargetSpec::NewWorkspace("ghost".into())), "no project 'ghost'"),
        (CronSpec { prompt: "  ".into(), ..spec("k", every("1m"), target()) }, "prompt is empty"),
        (CronSpec { name: "".into(), ..spec("k", every("1m"), target()) }, "invalid cronjob name"),
        (
            CronSpec { mode: Some(PermissionMode::AllowAll), ..spec("k", every("1m"), target()) },
            "chat 1 already has its own",
        ),
        (
            CronSpec {
                agent: Some(AgentId::new("no-such-agent").expect("id")),
                ..spec("k", every("1m"), TargetSpec::Workspace("app/feat".into()))
            },
            "no-such-agent",
        ),
    ];
    for (spec, expected) in cases {
        let e = w.cron.create(spec.clone()).await.expect_err(expected);
        assert!(e.to_string().contains(expected), "{expected}: {e}");
    }
    assert!(w.cron.list().await.expect("list").is_empty(), "nothing was stored");

    w.cron.create(spec("k", every("1m"), target())).await.expect("good");
    let e = w.cron.create(spec("k", every("1m"), target())).await.expect_err("duplicate");
    assert!(
        matches!(&e, CoreError::Conflict(p) if p.what == "a cronjob with the key 'k' already exists" && p.fix == Some(Fix::SeeList(ListOf::Cronjobs))),
        "{e:?}"
    );
    let e = w.cron.trigger("nope").await.expect_err("unknown");
    assert!(matches!(&e, CoreError::NotFound(p) if p.what == "no cronjob 'nope'"), "{e:?}");
    let e =
        w.cron.update("k", CronPatch { schedule: Some(every("soon")), ..CronPatch::default() }).await.expect_err("bad");
    assert!(e.to_string().contains("'soon' is not an interval"), "{e}");
    assert_eq!(w.cron.get("k").await.expect("k").schedule, Schedule::Every { ms: 60_000 }, "unchanged");
}

#[tokio::test]
async fn a_run_whose_chat_is_gone_fails_with_the_reason() {
    let w = world().await;
    let chat = w.chat().await;
    w.cron.create(spec("orphan", every("1s"), TargetSpec::Chat(chat.id))).await.expect("job");
    w.chats.remove(chat.id).await.expect("remove");
    w.advance(1000);
    w.cron.tick().await.expect("tick");
    let run = w.runs("orphan").await.remove(0);
    assert_eq!(run.outcome, RunOutcome::Failed);
    assert_eq!(run.detail.as_deref(), Some("no chat 1"));
    let _ = &w.store;
}
