//! A chat's transcript: its log folded into turns (the prompt, the agent's answer, its thoughts,
//! the tool calls with their input, result and the decision on each), for export as Markdown or
//! JSON and for per-turn files. Built from the log alone, so every agent's chats export the same
//! way.

use crate::chat::{
    AgentUpdate, Chat, ChatEvent, Decider, EventPayload, PermissionDecision, StopReason, ToolCallStatus, Usage,
};
use crate::model::Millis;

/// A chat, turn by turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub chat: Chat,
    pub turns: Vec<TranscriptTurn>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptTurn {
    pub prompt: String,
    pub started_at: Millis,
    pub ended_at: Option<Millis>,
    /// The agent's messages, in order.
    pub response: Vec<String>,
    pub thoughts: Vec<String>,
    pub tools: Vec<TranscriptTool>,
    /// Permission requests no announced tool call matched.
    pub permissions: Vec<TranscriptPermission>,
    pub stop_reason: Option<StopReason>,
    pub error: Option<String>,
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptTool {
    pub id: String,
    pub title: String,
    pub kind: String,
    /// JSON text.
    pub input: String,
    pub status: Option<ToolCallStatus>,
    pub output: Option<String>,
    pub decision: Option<(PermissionDecision, Decider)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptPermission {
    pub tool: String,
    /// JSON text.
    pub input: String,
    pub decision: Option<(PermissionDecision, Decider)>,
}

impl Transcript {
    /// Folds `events` (ascending; the whole log, or the events of some whole turns) into turns.
    pub fn from_events(chat: Chat, events: &[ChatEvent]) -> Self {
        let mut turns: Vec<TranscriptTurn> = Vec::new();
        // What the last event that counts was: adjacent chunks of one message (one id) or of
        // thought join. Permission ids to where each went.
        let mut last = Last::Other;
        let mut asked: Vec<(String, Place)> = Vec::new();
        for e in events {
            if let EventPayload::Prompt { text, .. } = &e.payload {
                turns.push(TranscriptTurn { prompt: text.clone(), started_at: e.at, ..TranscriptTurn::default() });
                last = Last::Other;
                asked.clear();
                continue;
            }
            let Some(turn) = turns.last_mut() else { continue };
            match &e.payload {
                EventPayload::Update(AgentUpdate::MessageChunk { text, message_id }) => {
                    match (&last, turn.response.last_mut()) {
                        (Last::Message(open), Some(message)) if open == message_id => message.push_str(text),
                        _ => turn.response.push(text.clone()),
                    }
                    last = Last::Message(message_id.clone());
                    continue;
                }
                EventPayload::Update(AgentUpdate::ThoughtChunk { text }) => {
                    match (&last, turn.thoughts.last_mut()) {
                        (Last::Thought, Some(thought)) => thought.push_str(text),
                        _ => turn.thoughts.push(text.clone()),
                    }
                    last = Last::Thought;
                    continue;
                }
                EventPayload::Update(AgentUpdate::ToolCall { id, title, kind, input, .. }) => {
                    if let Some(t) = turn.tools.iter_mut().find(|t| t.id == *id) {
                        (t.title, t.kind, t.input) = (title.clone(), kind.clone(), input.clone());
                    } else {
                        turn.tools.push(TranscriptTool {
                            id: id.clone(),
                            title: title.clone(),
                            kind: kind.clone(),
                            input: input.clone(),
                            status: None,
                            output: None,
                            decision: None,
                        });
                    }
                }
                EventPayload::Update(AgentUpdate::ToolCallUpdate { id, status, output }) => {
                    if let Some(t) = turn.tools.iter_mut().find(|t| t.id == *id) {
                        t.status = Some(*status);
                        if output.is_some() {
                            t.output = output.clone();
                        }
                    }
                }
                EventPayload::Permission { request_id, tool, input } => {
                    // It belongs to the newest tool call still undecided (agents ask right after
                    // announcing one), else it stands on its own.
                    let undecided = turn.tools.iter().rposition(|t| t.decision.is_none() && t.status.is_none());
                    let place = match undecided {
                        Some(i) if !asked.iter().any(|(_, p)| *p == Place::Tool(i)) => Place::Tool(i),
                        _ => {
                            turn.permissions.push(TranscriptPermission {
                                tool: tool.clone(),
                                input: input.clone(),
                                decision: None,
                            });
                            Place::Alone(turn.permissions.len() - 1)
                        }
                    };
                    asked.push((request_id.clone(), place));
                }
                EventPayload::PermissionResolved { request_id, decision, by } => {
                    match asked.iter().find(|(r, _)| r == request_id).map(|(_, p)| *p) {
                        Some(Place::Tool(i)) => turn.tools[i].decision = Some((*decision, *by)),
                        Some(Place::Alone(i)) => turn.permissions[i].decision = Some((*decision, *by)),
                        None => {}
                    }
                }
                EventPayload::TurnEnded(outcome) => {
                    turn.ended_at = Some(e.at);
                    turn.stop_reason = outcome.stop_reason;
                    turn.error = outcome.error.clone();
                    turn.usage = Some(outcome.usage);
                }
                EventPayload::Error { message: m } => turn.error = Some(m.clone()),
                _ => continue,
            }
            last = Last::Other;
        }
        Self { chat, turns }
    }

    /// The transcript as Markdown: a title, then each turn (`number` counts from 1).
    pub fn to_markdown(&self) -> String {
        let c = &self.chat;
        let mut out = format!("# {} ({}, chat {})\n", c.name, c.agent, c.id.0);
        for (i, turn) in self.turns.iter().enumerate() {
            out.push('\n');
            out.push_str(&turn.to_markdown(i + 1));
        }
        out
    }
}

enum Last {
    Message(Option<String>),
    Thought,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Tool(usize),
    Alone(usize),
}

impl TranscriptTurn {
    /// One turn as Markdown, headed `## Turn <number>`.
    pub fn to_markdown(&self, number: usize) -> String {
        let mut out = format!("## Turn {number}\n\n**Prompt**\n\n{}\n", quote(&self.prompt));
        for thought in &self.thoughts {
            out.push_str(&format!("\n_Thinking_\n\n{}\n", quote(thought)));
        }
        for tool in &self.tools {
            let status = tool.status.map_or("announced", ToolCallStatus::as_str);
            out.push_str(&format!("\n**Tool** `{}` ({}, {status})", one_line(&tool.title), tool.kind));
            if let Some((decision, by)) = tool.decision {
                out.push_str(&format!(", {} by {}", decision.as_str(), decider(by)));
            }
            out.push_str(&format!("\n\n{}", fenced("json", &tool.input)));
            if let Some(output) = tool.output.as_deref().filter(|o| !o.is_empty()) {
                out.push_str(&format!("\n{}", fenced("", output)));
            }
        }
        for p in &self.permissions {
            let decision = p
                .decision
                .map_or_else(|| "unanswered".to_owned(), |(d, by)| format!("{} by {}", d.as_str(), decider(by)));
            out.push_str(&format!(
                "\n**Permission** `{}`: {decision}\n\n{}",
                one_line(&p.tool),
                fenced("json", &p.input)
            ));
        }
        if !self.response.is_empty() {
            out.push_str(&format!("\n**Response**\n\n{}\n", self.response.join("\n\n")));
        }
        let mut end = Vec::new();
        if let Some(r) = self.stop_reason {
            end.push(r.as_str().to_owned());
        }
        if let Some(e) = &self.error {
            end.push(format!("error: {}", one_line(e)));
        }
        if let Some(u) = &self.usage {
            let mut usage = format!("{} tokens in, {} out", u.input_tokens, u.output_tokens);
            if let Some(cost) = u.cost_usd {
                usage.push_str(&format!(", ${cost:.4}"));
            }
            end.push(usage);
        }
        if let Some(ms) = self.ended_at.map(|e| e - self.started_at) {
            end.push(format!("{:.1} s", ms as f64 / 1000.0));
        }
        if !end.is_empty() {
            out.push_str(&format!("\n_{}_\n", end.join(" · ")));
        }
        out
    }
}

fn decider(by: Decider) -> &'static str {
    match by {
        Decider::User => "a person",
        Decider::Mode => "the chat's mode",
        Decider::Policy => "a policy",
        Decider::Budget => "a budget",
    }
}

/// Text as a Markdown block quote.
fn quote(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { ">".to_owned() } else { format!("> {l}") }).collect::<Vec<_>>().join("\n")
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('`', "'")
}

/// A fenced code block long enough never to be closed by the text inside it.
fn fenced(lang: &str, text: &str) -> String {
    let mut fence = "```".to_owned();
    while text.contains(&fence) {
        fence.push('`');
    }
    let nl = if text.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{lang}\n{text}{nl}{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::AgentId;
    use crate::chat::TurnOutcome;
    use crate::model::{ChatId, ChatStatus, PermissionMode, WorkspaceId};
    use crate::names::{ChatName, Labels};

    fn chat() -> Chat {
        Chat {
            id: ChatId(7),
            workspace_id: WorkspaceId(1),
            agent: AgentId::new("gemini").expect("id"),
            model: None,
            mode: PermissionMode::Ask,
            name: ChatName::new("fix").expect("name"),
            labels: Labels::default(),
            via: crate::model::ChatVia::Protocol,
            status: ChatStatus::Completed,
            agent_session_id: None,
            last_seq: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn events(payloads: Vec<EventPayload>) -> Vec<ChatEvent> {
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| ChatEvent { chat_id: ChatId(7), seq: i as u64 + 1, at: 1000 * i as i64, payload })
            .collect()
    }

    fn chunk(text: &str, id: &str) -> EventPayload {
        EventPayload::Update(AgentUpdate::MessageChunk { text: text.into(), message_id: Some(id.into()) })
    }

    #[test]
    fn turns_carry_the_prompt_the_answer_and_each_tool_with_its_decision() {
        let log = events(vec![
            EventPayload::Prompt { text: "write a\nand b".into(), queued: None },
            EventPayload::TurnStarted,
            chunk("I'll ", "m1"),
            chunk("write.", "m1"),
            EventPayload::Update(AgentUpdate::ToolCall {
                id: "t1".into(),
                title: "Write a".into(),
                kind: "edit".into(),
                input: r#"{"path":"a"}"#.into(),
                tool: "Write".into(),
            }),
            EventPayload::Permission { request_id: "r1".into(), tool: "write_file".into(), input: "{}".into() },
            EventPayload::PermissionResolved {
                request_id: "r1".into(),
                decision: PermissionDecision::Deny,
                by: Decider::User,
            },
            EventPayload::Update(AgentUpdate::ToolCallUpdate {
                id: "t1".into(),
                status: ToolCallStatus::Failed,
                output: Some("denied".into()),
            }),
            chunk("Left it.", "m2"),
            chunk(" Done.", "m3"),
            EventPayload::TurnEnded(TurnOutcome {
                stop_reason: Some(StopReason::EndTurn),
                error: None,
                usage: Usage { input_tokens: 10, output_tokens: 2, cost_usd: Some(0.5), ..Usage::default() },
            }),
            EventPayload::Prompt { text: "again".into(), queued: None },
            EventPayload::Permission { request_id: "r2".into(), tool: "Bash".into(), input: r#"{"c":1}"#.into() },
        ]);
        let t = Transcript::from_events(chat(), &log);
        assert_eq!(t.turns.len(), 2);
        let first = &t.turns[0];
        assert_eq!(first.response, ["I'll write.", "Left it.", " Done."]);
        assert_eq!(first.tools.len(), 1);
        assert_eq!(first.tools[0].decision, Some((PermissionDecision::Deny, Decider::User)));
        assert_eq!(
            (first.tools[0].status, first.tools[0].output.as_deref()),
            (Some(ToolCallStatus::Failed), Some("denied"))
        );
        assert_eq!((first.ended_at, first.stop_reason), (Some(10_000), Some(StopReason::EndTurn)));
        assert_eq!(t.turns[1].permissions[0].tool, "Bash");
        assert_eq!(t.turns[1].permissions[0].decision, None);

        let md = t.to_markdown();
        assert!(md.starts_with("# fix (gemini, chat 7)\n\n## Turn 1\n\n**Prompt**\n\n> write a\n> and b\n"), "{md}");
        assert!(
            md.contains("**Tool** `Write a` (edit, failed), deny by a person\n\n```json\n{\"path\":\"a\"}\n```\n"),
            "{md}"
        );
        assert!(md.contains("**Response**\n\nI'll write.\n\nLeft it.\n\n Done.\n"), "{md}");
        assert!(md.contains("_end_turn · 10 tokens in, 2 out, $0.5000 · 10.0 s_"), "{md}");
        assert!(md.contains("## Turn 2") && md.contains("**Permission** `Bash`: unanswered"), "{md}");
    }

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        assert_eq!(fenced("", "a ``` b"), "````\na ``` b\n````\n");
    }
}
