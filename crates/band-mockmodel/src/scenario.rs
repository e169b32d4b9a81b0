//! What the mock says: a scenario is a list of model turns, served in order.

use serde::{Deserialize, Serialize};

/// The model's side of a conversation, one entry per model response.
///
/// In JSON (for `band-mockmodel --scenario FILE`):
/// `{"turns": [{"tool_calls": [{"name": "Write", "input": {...}}]}, {"text": "done"}]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub turns: Vec<MockTurn>,
}

impl Scenario {
    pub fn new(turns: impl IntoIterator<Item = MockTurn>) -> Self {
        Self { turns: turns.into_iter().collect() }
    }
}

/// One model response: optional text first, then tool calls (in that order on the wire).
/// A turn with tool calls ends with stop reason `tool_use`; a turn without, `end_turn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockTurn {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub tool_calls: Vec<MockToolCall>,
    /// Wait this long after the response headers and before the first event, so that a test can
    /// interrupt the agent mid-turn. If the client goes away during the wait, the turn is spent:
    /// it produced nothing, and the conversation moves on to the next turn (see the crate doc).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Instead of a message, fail the request with this HTTP error (after the delay, if any). An
    /// error produces nothing in the conversation, so the turn is spent once served: a client's
    /// retry, or the next prompt, gets the next turn.
    #[serde(default)]
    pub error: Option<MockError>,
}

/// An HTTP error the mock answers with, in the wire API's own error shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockError {
    /// The HTTP status, e.g. 400 (clients do not retry) or 529/500 (clients retry).
    pub status: u16,
    pub message: String,
}

impl MockTurn {
    /// A turn that only says `text` (and so ends the agent's turn).
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: Some(text.into()), ..Self::default() }
    }

    /// A turn that calls one tool.
    pub fn tool(name: impl Into<String>, input: serde_json::Value) -> Self {
        Self { tool_calls: vec![MockToolCall { name: name.into(), input }], ..Self::default() }
    }

    /// Adds a tool call to this turn.
    #[must_use]
    pub fn and_tool(mut self, name: impl Into<String>, input: serde_json::Value) -> Self {
        self.tool_calls.push(MockToolCall { name: name.into(), input });
        self
    }

    /// A turn that fails with HTTP `status` and `message`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self { error: Some(MockError { status, message: message.into() }), ..Self::default() }
    }

    /// Waits `ms` before streaming this turn.
    #[must_use]
    pub fn delayed(mut self, ms: u64) -> Self {
        self.delay_ms = Some(ms);
        self
    }
}

/// A tool call, named as the agent names its tools (Claude `Write`/`Bash`, Codex
/// `exec_command`...). `input` is the arguments object; for a Codex *custom* (freeform) tool such
/// as `apply_patch`, give a JSON string and it is sent as the raw tool input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockToolCall {
    pub name: String,
    #[serde(default)]
    pub input: serde_json::Value,
}

/// The text served when the scenario has no turn left for the conversation.
pub const EXHAUSTED_TEXT: &str = "(mock: no more turns)";

/// The text served to requests that are not the main conversation (titles, probes...).
pub const SIDE_TEXT: &str = "mock";

/// Given the model-produced turns already in a conversation, the index of the scripted turn to
/// serve next, skipping turns that were spent (abandoned by the client before they produced
/// anything). `None` when the scenario is exhausted.
pub(crate) fn select(turns: usize, answered: usize, spent: &std::collections::BTreeSet<usize>) -> Option<usize> {
    (0..turns).filter(|i| !spent.contains(i)).nth(answered)
}

/// Counts the runs of consecutive model-produced items: one run per model response, however the
/// client split or merged its content blocks.
pub(crate) fn count_runs(model_produced: impl IntoIterator<Item = Option<bool>>) -> usize {
    let mut runs = 0;
    let mut in_run = false;
    for item in model_produced {
        match item {
            Some(true) if !in_run => {
                runs += 1;
                in_run = true;
            }
            Some(true) => {}
            Some(false) => in_run = false,
            // Neutral items (a system entry) neither start nor end a run.
            None => {}
        }
    }
    runs
}

/// Cuts `text` into a few pieces at char boundaries, so that clients see several deltas.
pub(crate) fn chunks(text: &str, max_pieces: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    let size = chars.len().div_ceil(max_pieces.max(1)).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// A rough, deterministic token count (about four bytes a token), never zero.
pub(crate) fn tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn runs_count_model_responses() {
        let t = Some(true);
        let f = Some(false);
        assert_eq!(count_runs([f]), 0);
        assert_eq!(count_runs([f, t, f, t, t, f]), 2);
        assert_eq!(count_runs([f, t, None, t, f]), 1);
    }

    #[test]
    fn selection_skips_spent_turns() {
        let none = BTreeSet::new();
        assert_eq!(select(3, 0, &none), Some(0));
        assert_eq!(select(3, 3, &none), None);
        let spent = BTreeSet::from([0]);
        assert_eq!(select(3, 0, &spent), Some(1));
        assert_eq!(select(3, 2, &spent), None);
    }

    #[test]
    fn chunks_keep_the_text() {
        assert_eq!(chunks("héllo wörld", 3).concat(), "héllo wörld");
        assert_eq!(chunks("ab", 3), ["a", "b"]);
        assert_eq!(chunks("", 3), [""]);
    }

    #[test]
    fn scenario_parses_from_json() {
        let s: Scenario = serde_json::from_str(
            r#"{"turns":[{"tool_calls":[{"name":"Bash","input":{"command":"ls"}}]},{"text":"done","delay_ms":5}]}"#,
        )
        .expect("parse");
        assert_eq!(
            s,
            Scenario::new([
                MockTurn::tool("Bash", serde_json::json!({"command": "ls"})),
                MockTurn::text("done").delayed(5)
            ])
        );
    }
}
