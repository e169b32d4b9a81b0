//! Cronjobs end to end with the real Claude Code CLI (and OpenCode, an ACP agent) on the mock
//! model: band-server's scheduler
//! (a background task on the real clock) fires a job with a seconds-long interval into a chat and
//! its history records each run with the turn, tokens, cost and duration; a busy chat follows the
//! job's busy setting; runs missed while band-server was stopped follow the missed-run setting
//! after a restart on the same home.

use std::time::{Duration, Instant};

use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::agents::{Band, new_home};

/// A band with a project `app`, its workspace `app/feat` and a Claude Code chat there.
async fn band_with_chat(turns: Vec<MockTurn>) -> (Band, MockModel, TestRepo, i64) {
    band_with_agent_chat(turns, "claude-code").await
}

async fn band_with_agent_chat(turns: Vec<MockTurn>, agent: &str) -> (Band, MockModel, TestRepo, i64) {
    let repo = TestRepo::named("app");
    let (home, _) = new_home();
    let mock = MockModel::start(Scenario::new(turns)).await;
    band_mockmodel::offline::configure_band_home(home.path(), &mock);
    let band = Band::start(home).await;
    band.call("projects.add", json!({"path": repo.path()})).await;
    band.call("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let chat = band.call("chats.create", json!({"workspace": "app/feat", "agent": agent})).await;
    (band, mock, repo, chat["id"].as_i64().expect("chat id"))
}

/// A job's runs, oldest first.
async fn runs(band: &Band, key: &str) -> Vec<Value> {
    let mut runs =
        band.call("cronjobs.runs", json!({"key": key, "limit": 100})).await.as_array().cloned().unwrap_or_default();
    runs.reverse();
    runs
}

/// Polls a job's runs (oldest first) until `done` holds.
async fn wait_runs(band: &Band, key: &str, within: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let r = runs(band, key).await;
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "cronjob {key}'s runs after {within:?}: {r:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn outcomes(runs: &[Value]) -> Vec<&str> {
    runs.iter().filter_map(|r| r["outcome"].as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_every_two_seconds_fires_into_its_chat_and_records_each_run() {
    let turns = (1..=6).map(|i| MockTurn::text(format!("report {i}"))).collect();
    let (band, mock, _repo, chat) = band_with_chat(turns).await;
    let mut ticks =
        band.client.subscribe::<Value>(&band_api::CRONJOBS_SUBSCRIBE, json!({})).await.expect("cronjobs.subscribe");

    let job = band
        .call(
            "cronjobs.create",
            json!({"key": "report", "name": "Report", "prompt": "Report on the build.", "every": "2s", "chat": chat}),
        )
        .await;
    assert_eq!((job["every"].clone(), job["enabled"].clone()), (json!("2s"), json!(true)));
    assert_eq!(job["target"], json!({"kind": "chat", "chat": chat, "workspaceId": 1, "label": "app/feat"}));
    let runs = wait_runs(&band, "report", Duration::from_secs(120), |r| {
        outcomes(r).iter().filter(|o| **o == "completed").count() >= 2
    })
    .await;
    band.call("cronjobs.update", json!({"key": "report", "enabled": false})).await;

    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    let turn_ids: Vec<i64> = turns.as_array().expect("turns").iter().filter_map(|t| t["id"].as_i64()).collect();
    for run in runs.iter().filter(|r| r["outcome"] == "completed") {
        assert_eq!((run["trigger"].clone(), run["chatId"].clone()), (json!("schedule"), json!(chat)), "{run}");
        let turn = run["turnId"].as_i64().expect("a turn");
        assert!(turn_ids.contains(&turn), "{run}");
        assert!(run["usage"]["inputTokens"].as_u64().unwrap_or(0) > 0, "{run}");
        assert!(run["usage"]["costUsd"].as_f64().unwrap_or(0.0) > 0.0, "{run}");
        assert!(run["durationMs"].as_i64().unwrap_or(0) > 0, "{run}");
        assert!(run["endedAt"].as_i64() >= run["at"].as_i64(), "{run}");
    }
    let completed: Vec<i64> =
        runs.iter().filter(|r| r["outcome"] == "completed").filter_map(|r| r["turnId"].as_i64()).collect();
    assert_eq!(completed.len(), completed.iter().collect::<std::collections::BTreeSet<_>>().len(), "one turn per run");
    let text: String = band
        .events(chat)
        .await
        .iter()
        .filter(|e| e["type"] == "prompt")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("|");
    assert!(text.starts_with("Report on the build.|Report on the build."), "{text}");
    // Usage by cronjob (issue 11, item 5): the completed runs' turns, their usage as the runs
    // recorded it.
    let by_job = band.call("usage.report", json!({"by": "cronjob"})).await;
    let group = &by_job["groups"][0];
    let done: Vec<&Value> = runs.iter().filter(|r| r["outcome"] == "completed").collect();
    assert_eq!(
        (group["label"].as_str(), by_job["groups"].as_array().map(Vec::len)),
        (Some("report"), Some(1)),
        "{by_job}"
    );
    assert!(group["totals"]["turns"].as_u64() >= Some(done.len() as u64), "{by_job}");
    let input: u64 = done.iter().map(|r| r["usage"]["inputTokens"].as_u64().unwrap_or(0)).sum();
    assert!(group["totals"]["usage"]["inputTokens"].as_u64() >= Some(input) && input > 0, "{by_job}");
    // Each run is in the audit of agent actions, started and ended.
    let audited = band.call("audit.actions", json!({"kind": "cron_run", "chat": chat, "limit": 1000})).await;
    let details: Vec<&str> = audited.as_array().expect("list").iter().filter_map(|a| a["detail"].as_str()).collect();
    assert!(details.iter().filter(|d| d.contains(": schedule, completed")).count() >= 2, "{details:?}");

    // The subscription saw the job and its runs move on.
    let mut kinds = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while kinds.len() < 2 && Instant::now() < deadline {
        if let Ok(Ok(Some(item))) = tokio::time::timeout(Duration::from_secs(5), ticks.next()).await {
            if item["type"] == "run" {
                assert_eq!(item["run"]["key"], "report");
            }
            kinds.insert(item["type"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(kinds, ["job", "run"].map(str::to_owned).into_iter().collect());
    band.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_chat_gets_the_prompt_queued_or_the_run_skipped_as_each_job_says() {
    // The first turn takes a while, so the chat is busy when the jobs run.
    let (band, mock, _repo, chat) =
        band_with_chat(vec![MockTurn::text("slow answer").delayed(6000), MockTurn::text("queued answer")]).await;
    for (key, busy) in [("queuer", "queue"), ("skipper", "skip")] {
        band.call(
            "cronjobs.create",
            json!({"key": key, "name": key, "prompt": format!("From {key}."), "every": "1h", "chat": chat, "ifBusy": busy}),
        )
        .await;
    }
    band.call("chats.send", json!({"chat": chat, "message": "Take your time."})).await;
    band.wait_status(chat, &["working"], Duration::from_secs(30)).await;

    let skipped = band.call("cronjobs.trigger", json!({"key": "skipper"})).await;
    assert_eq!((skipped["trigger"].clone(), skipped["outcome"].clone()), (json!("manual"), json!("skipped")));
    assert_eq!(skipped["detail"], format!("chat {chat} was busy (working); this job skips when busy"));
    let queued = band.call("cronjobs.trigger", json!({"key": "queuer"})).await;
    assert_eq!(queued["outcome"], "queued", "{queued}");
    assert_eq!(band.call("chats.queue", json!({"chat": chat})).await.as_array().map(Vec::len), Some(1));

    // The slow turn ends; the queued prompt runs next; the run follows it to its end.
    let runs = wait_runs(&band, "queuer", Duration::from_secs(90), |r| outcomes(r) == ["completed"]).await;
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    assert_eq!(turns[1]["prompt"], "From queuer.");
    assert_eq!(runs[0]["turnId"], turns[1]["id"], "the run is the queued turn, not the busy one");
    assert!(runs[0]["detail"].as_str().is_some_and(|d| d.contains("waits in its queue")), "{runs:?}");
    assert_eq!(outcomes(&crate::cronjobs::runs(&band, "skipper").await), ["skipped"]);
    let prompts: Vec<Value> =
        band.events(chat).await.into_iter().filter(|e| e["type"] == "prompt").map(|e| e["text"].clone()).collect();
    assert_eq!(prompts, [json!("Take your time."), json!("From queuer.")], "the skipped run sent nothing");
    band.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_missed_while_band_server_was_stopped_follow_each_jobs_setting_after_the_restart() {
    let turns = (1..=4).map(|i| MockTurn::text(format!("caught up {i}"))).collect();
    let (band, mock, _repo, chat) = band_with_chat(turns).await;
    let create = |key: &str, missed: &str| json!({"key": key, "name": key, "prompt": format!("Catch up ({key})."), "every": "4s", "chat": chat, "ifMissed": missed});
    band.call("cronjobs.create", create("skips", "skip")).await;
    band.call("cronjobs.create", create("once", "run-once")).await;
    let home = band.stop().await;
    // Down long enough for both jobs to fall due twice.
    tokio::time::sleep(Duration::from_secs(9)).await;

    let band = Band::start(home).await;
    let skips = wait_runs(&band, "skips", Duration::from_secs(30), |r| !r.is_empty()).await;
    assert_eq!((skips[0]["trigger"].clone(), skips[0]["outcome"].clone()), (json!("missed"), json!("skipped")));
    let detail = skips[0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.ends_with("fell due while band-server was down; this job skips missed runs") && detail.starts_with('2'),
        "{detail}"
    );
    let once =
        wait_runs(&band, "once", Duration::from_secs(90), |r| r.first().is_some_and(|r| r["outcome"] == "completed"))
            .await;
    assert_eq!(once[0]["trigger"], "missed");
    assert!(
        once[0]["detail"]
            .as_str()
            .is_some_and(|d| d.ends_with("fell due while band-server was down; this job runs once at start")),
        "{once:?}"
    );
    assert!(once[0]["turnId"].as_i64().is_some() && once[0]["usage"]["outputTokens"].as_u64() > Some(0), "{once:?}");
    for key in ["skips", "once"] {
        band.call("cronjobs.update", json!({"key": key, "enabled": false})).await;
    }
    let prompts: Vec<Value> =
        band.events(chat).await.into_iter().filter(|e| e["type"] == "prompt").map(|e| e["text"].clone()).collect();
    assert_eq!(prompts.first(), Some(&json!("Catch up (once).")), "the run-once job ran first: {prompts:?}");
    band.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acp_agent_gets_its_prompts_from_a_job_too() {
    let turns = (1..=4).map(|i| MockTurn::text(format!("acp report {i}"))).collect();
    let (band, mock, _repo, chat) = band_with_agent_chat(turns, "opencode").await;
    band.call(
        "cronjobs.create",
        json!({"key": "acp", "name": "ACP", "prompt": "Report, please.", "every": "2s", "chat": chat}),
    )
    .await;
    let runs = wait_runs(&band, "acp", Duration::from_secs(120), |r| {
        outcomes(r).iter().filter(|o| **o == "completed").count() >= 2
    })
    .await;
    band.call("cronjobs.update", json!({"key": "acp", "enabled": false})).await;
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    let turn_ids: Vec<i64> = turns.as_array().expect("turns").iter().filter_map(|t| t["id"].as_i64()).collect();
    for run in runs.iter().filter(|r| r["outcome"] == "completed") {
        assert!(run["turnId"].as_i64().is_some_and(|t| turn_ids.contains(&t)), "{run}");
        assert!(run["durationMs"].as_i64().unwrap_or(0) > 0, "{run}");
    }
    let said: String = band
        .events(chat)
        .await
        .iter()
        .filter(|e| e["type"] == "agent_message_chunk")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    assert!(said.contains("acp report 1") && said.contains("acp report 2"), "{said}");
    band.stop().await;
    mock.stop().await;
}

/// A cronjob's budget (issue 11, item 3) with the real Claude Code: its first run's turn spends
/// `maxTokens=1` at the agent's first usage report and is stopped, saying so in the chat; the
/// next runs are skipped with the reason; the budget is shown, refused when it is nonsense, and
/// once it is removed the runs go on.
#[tokio::test(flavor = "multi_thread")]
async fn a_cronjob_whose_budget_is_spent_is_stopped_then_skipped_until_it_is_raised() {
    let turns = (1..=8).map(|i| MockTurn::text(format!("report {i}"))).collect();
    let (band, mock, _repo, chat) = band_with_chat(turns).await;
    let bad = band
        .client
        .call_raw(
            "cronjobs.create",
            json!({"key": "report", "name": "Report", "prompt": "Report.", "every": "2s", "chat": chat, "budget": "maxTokens=lots"}),
        )
        .await
        .expect_err("nonsense budget");
    assert!(bad.to_string().contains("the budget 'maxTokens=lots' is not understood"), "{bad}");
    let job = band
        .call(
            "cronjobs.create",
            json!({"key": "report", "name": "Report", "prompt": "Report.", "every": "2s", "chat": chat, "budget": "maxTokens=1"}),
        )
        .await;
    assert_eq!(job["budget"], "maxTokens=1");
    let skipped = |r: &Value| {
        r["outcome"] == "skipped" && r["detail"].as_str().is_some_and(|d| d.contains("its budget maxTokens=1 is spent"))
    };
    let runs_before = wait_runs(&band, "report", Duration::from_secs(120), |r| r.iter().any(skipped)).await;
    let first = &runs_before[0];
    assert_ne!(first["outcome"], "skipped", "the first run had the whole budget: {runs_before:#?}");
    let said: Vec<String> = band
        .events(chat)
        .await
        .iter()
        .filter(|e| e["type"] == "error")
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect();
    assert!(
        said.iter().any(|m| m.starts_with("Budget reached: maxTokens=1 of cronjob report")
            && m.contains("its next runs are skipped")),
        "{said:?}"
    );

    // Removed, the runs go on.
    let job = band.call("cronjobs.update", json!({"key": "report", "budget": ""})).await;
    assert!(job.get("budget").is_none(), "{job}");
    let count = runs_before.len();
    wait_runs(&band, "report", Duration::from_secs(120), |r| {
        r[count.min(r.len())..].iter().any(|r| r["outcome"] == "completed")
    })
    .await;
    band.call("cronjobs.update", json!({"key": "report", "enabled": false})).await;
    band.stop().await;
    mock.stop().await;
}
