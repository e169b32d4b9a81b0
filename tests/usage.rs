//! Usage reports with the real Claude Code on the mock model (issue 11, item 5): two turns, one
//! with a Bash call, reported by agent, model and day through the API and the `band` CLI, turn
//! by turn with their tool calls, and nonsense refused with what to write.

use std::time::Duration;

use band_mockmodel::offline::{self, CLAUDE};
use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::agents::{Band, new_home, project_with_workspace};
use crate::terminal::band_cli;

const PATIENCE: Duration = Duration::from_secs(120);

/// Runs `band ARGS` against this server, without blocking the runtime that serves it.
async fn cli(band: &Band, args: &[&str]) -> std::process::Output {
    let url = band.running.as_ref().expect("running").url();
    tokio::process::Command::new(band_cli())
        .args(args)
        .env("BAND_HOME", band.home())
        .env("BAND_SERVER_URL", url)
        .env_remove("BAND_TOKEN")
        .env_remove("BAND_OUTPUT")
        .output()
        .await
        .expect("band")
}

fn sum(turns: &Value, key: &str) -> u64 {
    turns.as_array().expect("turns").iter().map(|t| t["usage"][key].as_u64().unwrap_or(0)).sum()
}

#[tokio::test]
async fn claude_code_turns_are_reported_by_agent_model_day_and_turn_with_their_tools() {
    let repo = TestRepo::named("app");
    let (home, _wt) = new_home();
    let turns = vec![CLAUDE.shell("echo hi > hi.txt"), MockTurn::text("Done."), MockTurn::text("Again.")];
    let mock = MockModel::start(Scenario::new(turns)).await;
    offline::configure_band_home(home.path(), &mock);
    let band = Band::start(home).await;
    let chat = project_with_workspace(&band, &repo, "Write hi.", CLAUDE.id, "allow-all").await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    band.call("chats.send", json!({"chat": chat, "message": "Once more."})).await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    assert_eq!(turns.as_array().map(Vec::len), Some(2), "{turns}");

    // By agent: both turns, their tokens as chats.turns has them, their tool calls by name.
    let by_agent = band.call("usage.report", json!({"by": "agent"})).await;
    let group = &by_agent["groups"][0];
    assert_eq!(
        (group["key"].as_str(), group["totals"]["turns"].as_u64()),
        (Some("claude-code"), Some(2)),
        "{by_agent}"
    );
    for key in ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens"] {
        assert_eq!(group["totals"]["usage"][key].as_u64(), Some(sum(&turns, key)), "{key}: {by_agent}");
    }
    assert!(group["totals"]["durationMs"].as_i64().is_some_and(|d| d > 0), "{by_agent}");
    let bash = by_agent["tools"].as_array().expect("tools").iter().find(|t| t["tool"] == "Bash").cloned();
    assert_eq!(bash.as_ref().and_then(|b| b["calls"].as_u64()), Some(1), "{by_agent}");
    assert_eq!(by_agent["total"], group["totals"]);

    // By model: the one Claude Code said it runs (its init), not "default".
    let by_model = band.call("usage.report", json!({"by": "model", "project": "app"})).await;
    let model = by_model["groups"][0]["key"].as_str().unwrap_or_default().to_owned();
    assert!(!model.is_empty() && by_model["groups"].as_array().map(Vec::len) == Some(1), "{by_model}");
    // By day, the last day only: today's date.
    let by_day = band.call("usage.report", json!({"by": "day", "since": "1d"})).await;
    assert_eq!(by_day["groups"][0]["key"], by_day["fromDay"], "{by_day}");
    assert_eq!(by_day["groups"][0]["totals"]["turns"], 2);

    // Turn by turn, newest first, with the model and the tools.
    let each = band.call("usage.turns", json!({"chat": chat})).await;
    let each = each.as_array().expect("turns");
    assert_eq!(each.len(), 2);
    assert_eq!(each[1]["tools"], json!([{"tool": "Bash", "calls": 1}]), "{each:?}");
    assert_eq!(each[0]["tools"], json!([]));
    assert_eq!((each[0]["model"].as_str(), each[0]["agent"].as_str()), (Some(&*model), Some("claude-code")));
    assert_eq!(each[1]["turn"]["id"], turns[0]["id"]);

    // The CLI says the same.
    let out = cli(&band, &["usage", "--by", "agent"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.starts_with("usage by agent:") && text.contains("claude-code") && text.contains("tool calls: Bash 1"),
        "{text}"
    );
    let out = cli(&band, &["-o", "json", "usage", "--turns", "--chat", &chat.to_string()]).await;
    let listed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    let out = cli(&band, &["usage", "--by", "model", "--since", "7d"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains(&model));

    // Nonsense is refused, saying what to write.
    let out = cli(&band, &["usage", "--since", "yesterday"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("since 'yesterday' is not a day") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    let out = cli(&band, &["usage", "--by", "colour"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("colour") && err.contains("agent"), "{err}");
    let out = cli(&band, &["usage", "--since", "2026-12-03", "--until", "2026-12-01"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("first day is after its last"), "{err}");
}
