//! Budgets with the real Claude Code on the mock model (issue 11, item 3): at 80 % of a budget
//! one warning, at 100 % the running turn is interrupted before its next command runs, the next
//! message is refused with the reason, and raising the budget lets the chat go on; a tiny
//! `maxCostUsd` interrupts a turn at its first model response.

use std::time::Duration;

use band_mockmodel::offline::{self, CLAUDE};
use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::agents::{Band, new_home, project_with_workspace};

const PATIENCE: Duration = Duration::from_secs(120);

/// What a turn counts against a token budget: every token (in, out, cache read and written).
fn tokens_of(turn: &Value) -> u64 {
    let u = &turn["usage"];
    ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens"]
        .iter()
        .map(|k| u[*k].as_u64().unwrap_or(0))
        .sum()
}

fn said_with(events: &[Value], prefix: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "error")
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Budgets (issue 11, item 3) with the real Claude Code: at 80 % of a token budget one warning,
/// at 100 % the running turn is interrupted before its next command runs, the next message is
/// refused with the reason, and raising the budget lets the chat go on. A tiny `maxCostUsd`
/// interrupts a turn at its first model response.
#[tokio::test]
async fn claude_code_turns_are_warned_then_interrupted_by_their_budget() {
    let repo = TestRepo::named("app");
    let (home, wt) = new_home();
    let turns = vec![
        MockTurn::text("First."),
        MockTurn::text("Second."),
        CLAUDE.shell("echo one > one.txt"),
        CLAUDE.shell("echo two > two.txt"),
        MockTurn::text("Third."),
        MockTurn::text("After the raise."),
        CLAUDE.shell("echo costly > costly.txt"),
        MockTurn::text("Too late."),
    ];
    let mock = MockModel::start(Scenario::new(turns)).await;
    offline::configure_band_home(home.path(), &mock);
    let band = Band::start(home).await;
    let chat = project_with_workspace(&band, &repo, "Say something.", CLAUDE.id, "allow-all").await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    let first = band.call("chats.turns", json!({"chat": chat})).await;
    let per_turn = tokens_of(&first[0]);
    assert!(per_turn > 0, "{first}");
    // Room for a bit more than two such turns: the second crosses 80 %, the third 100 %.
    let limit = per_turn * 22 / 10;
    band.call("policy.set", json!({"workspace": "app/feat", "set": [format!("maxTokens={limit}")]})).await;
    band.call("chats.send", json!({"chat": chat, "message": "Again."})).await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    let events = band.events(chat).await;
    let warned = said_with(&events, "Budget warning: 80 % of maxTokens=");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("of workspace app/feat"), "{warned:?}");
    // The status is in the API (and so in band policy show chat:N and the dashboard).
    let shown = band.call("policy.show", json!({"chat": chat})).await;
    let budget = &shown["budgets"][0];
    assert_eq!(
        (budget["rule"].as_str(), budget["state"].as_str()),
        (Some(&*format!("maxTokens={limit}")), Some("warning")),
        "{shown}"
    );
    assert_eq!(budget["scope"], "workspace app/feat");
    // The third turn runs two commands; the budget is spent at its first model response.
    band.call("chats.send", json!({"chat": chat, "message": "Run both."})).await;
    band.wait_status(chat, &["completed", "interrupted"], PATIENCE).await;
    let events = band.events(chat).await;
    let reached = said_with(&events, "Budget reached: maxTokens=");
    assert_eq!(reached.len(), 1, "{events:#?}");
    assert!(reached[0].contains("the turn is interrupted"), "{reached:?}");
    assert!(!wt.join("two.txt").exists(), "the turn was stopped before its second command");
    assert_eq!(said_with(&events, "Budget warning").len(), 1, "the warning was said once");
    let refused = band.client.call_raw("chats.send", json!({"chat": chat, "message": "More?"})).await;
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains(&format!("the budget maxTokens={limit} of workspace app/feat is spent")), "{message}");
    let shown = band.call("policy.show", json!({"chat": chat})).await;
    assert_eq!(shown["budgets"][0]["state"], "spent", "{shown}");
    // Raised (here: unset), the chat goes on.
    band.call("policy.set", json!({"workspace": "app/feat", "set": ["maxTokens="]})).await;
    band.call("chats.send", json!({"chat": chat, "message": "Go on."})).await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    // A tiny cost budget on a new chat: its turn is interrupted at its first model response
    // (priced by band from the model Claude Code said it runs), before its command runs.
    let fresh =
        band.call("chats.create", json!({"workspace": "app/feat", "agent": "claude-code", "mode": "allow-all"})).await;
    let fresh = fresh["id"].as_i64().expect("id");
    band.call("policy.set", json!({"chat": fresh, "set": ["maxCostUsd=0.000001"]})).await;
    band.call("chats.send", json!({"chat": fresh, "message": "Spend."})).await;
    band.wait_status(fresh, &["completed", "interrupted"], PATIENCE).await;
    let events = band.events(fresh).await;
    let reached = said_with(&events, "Budget reached: maxCostUsd=0.000001 of chat");
    assert_eq!(reached.len(), 1, "{events:#?}");
    assert!(!wt.join("costly.txt").exists(), "interrupted before its command");
    let refused = band.client.call_raw("chats.send", json!({"chat": fresh, "message": "More."})).await;
    assert!(refused.expect_err("refused").to_string().contains("maxCostUsd=0.000001 of chat"));
    band.stop().await;
    mock.stop().await;
}
