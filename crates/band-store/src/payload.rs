//! The stored shape of an [`EventPayload`]: `events.kind` is [`EventPayload::kind`] and
//! `events.payload` a JSON object whose shape the kind names. The shapes are a private mirror of
//! band-core's types (which have no serde by design), written out field by field so that a
//! change to a domain type cannot silently change what is on disk: every conversion below is an
//! exhaustive match, and the tests pin each kind's JSON.
//!
//! | kind | payload |
//! | --- | --- |
//! | `prompt` | `{"text": str, "queued": int \| null}` |
//! | `turn_started` | `{}` |
//! | `turn_ended` | `{"stop_reason": StopReason \| null, "error": str \| null, "usage": Usage}` |
//! | `agent_message_chunk` | `{"text": str, "message_id"?: str}` (no `message_id` before band 0.2) |
//! | `agent_thought_chunk` | `{"text": str}` |
//! | `tool_call` | `{"id": str, "title": str, "kind": str, "input": str, "tool": str}` (`tool` absent in older rows) |
//! | `tool_call_update` | `{"id": str, "status": ToolCallStatus, "output": str \| null}` |
//! | `plan` | `{"entries": [str]}` |
//! | `usage_update` | `Usage` |
//! | `session_info` | `{"modes": [Choice], "current_mode": str \| null, "models": [Choice], "current_model": str \| null}` |
//! | `available_commands_update` | `{"commands": [{"name": str, "description": str}]}` |
//! | `hook` | `{"event": str, "detail": str}` |
//! | `permission` | `{"request_id": str, "tool": str, "input": str}` |
//! | `permission_resolved` | `{"request_id": str, "decision": "allow" \| "deny", "by": "user" \| "mode"}` |
//! | `status` | `{"status": ChatStatus}` |
//! | `agent_session` | `{"session_id": str}` |
//! | `error` | `{"message": str}` |
//!
//! `Usage` is `{"input_tokens": int, "output_tokens": int, "cache_read_tokens": int,
//! "cache_write_tokens": int, "cost_usd": float | null}`, `Choice` is `{"id": str, "name": str}`; enums are their `as_str` spellings
//! (`end_turn`, `in_progress`, `interrupted`...). Unknown fields are ignored when reading, so a
//! later version may add optional ones.

use std::borrow::Cow;

use band_core::{
    AgentChoice, AgentCommand, AgentUpdate, ChatStatus, Decider, EventPayload, PermissionDecision, QueuedId,
    StopReason, ToolCallStatus, TurnOutcome, Usage,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Serializes a payload for `events.payload`.
pub(crate) fn encode(payload: &EventPayload) -> Result<String, serde_json::Error> {
    match payload {
        EventPayload::Prompt { text, queued } => {
            serde_json::to_string(&Prompt { text: text.into(), queued: queued.map(|q| q.0) })
        }
        EventPayload::TurnStarted => serde_json::to_string(&Empty {}),
        EventPayload::TurnEnded(outcome) => serde_json::to_string(&TurnEnded {
            stop_reason: outcome.stop_reason.map(Into::into),
            error: outcome.error.as_deref().map(Cow::Borrowed),
            usage: outcome.usage.into(),
        }),
        EventPayload::Update(update) => match update {
            AgentUpdate::MessageChunk { text, message_id } => serde_json::to_string(&MessageText {
                text: text.into(),
                message_id: message_id.as_deref().map(Cow::Borrowed),
            }),
            AgentUpdate::ThoughtChunk { text } => serde_json::to_string(&Text { text: text.into() }),
            AgentUpdate::ToolCall { id, title, kind, input, tool } => serde_json::to_string(&ToolCall {
                id: id.into(),
                title: title.into(),
                kind: kind.into(),
                input: input.into(),
                tool: tool.into(),
            }),
            AgentUpdate::ToolCallUpdate { id, status, output } => serde_json::to_string(&ToolCallUpdate {
                id: id.into(),
                status: (*status).into(),
                output: output.as_deref().map(Cow::Borrowed),
            }),
            AgentUpdate::Plan { entries } => serde_json::to_string(&Plan { entries: entries.into() }),
            AgentUpdate::Usage(usage) => serde_json::to_string(&UsageJson::from(*usage)),
            AgentUpdate::SessionInfo { modes, current_mode, models, current_model } => {
                serde_json::to_string(&SessionInfo {
                    modes: modes.iter().map(ChoiceJson::from).collect(),
                    current_mode: current_mode.as_deref().map(Cow::Borrowed),
                    models: models.iter().map(ChoiceJson::from).collect(),
                    current_model: current_model.as_deref().map(Cow::Borrowed),
                })
            }
            AgentUpdate::Commands { commands } => serde_json::to_string(&Commands {
                commands: commands
                    .iter()
                    .map(|c| CommandJson { name: (&c.name).into(), description: (&c.description).into() })
                    .collect(),
            }),
            AgentUpdate::Hook { event, detail } => {
                serde_json::to_string(&Hook { event: event.into(), detail: detail.into() })
            }
        },
        EventPayload::Permission { request_id, tool, input } => {
            serde_json::to_string(&Permission { request_id: request_id.into(), tool: tool.into(), input: input.into() })
        }
        EventPayload::PermissionResolved { request_id, decision, by } => serde_json::to_string(&PermissionResolved {
            request_id: request_id.into(),
            decision: (*decision).into(),
            by: (*by).into(),
        }),
        EventPayload::Status { status } => serde_json::to_string(&Status { status: (*status).into() }),
        EventPayload::AgentSession { session_id } => {
            serde_json::to_string(&AgentSession { session_id: session_id.into() })
        }
        EventPayload::Error { message } => serde_json::to_string(&Error { message: message.into() }),
    }
}

/// Rebuilds a payload from its stored kind and JSON.
pub(crate) fn decode(kind: &str, json: &str) -> Result<EventPayload, String> {
    fn de<T: DeserializeOwned>(json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
    Ok(match kind {
        "prompt" => {
            let p: Prompt = de(json)?;
            EventPayload::Prompt { text: p.text.into_owned(), queued: p.queued.map(QueuedId) }
        }
        "turn_started" => {
            let Empty {} = de(json)?;
            EventPayload::TurnStarted
        }
        "turn_ended" => {
            let t: TurnEnded = de(json)?;
            EventPayload::TurnEnded(TurnOutcome {
                stop_reason: t.stop_reason.map(Into::into),
                error: t.error.map(Cow::into_owned),
                usage: t.usage.into(),
            })
        }
        "agent_message_chunk" => {
            let m: MessageText = de(json)?;
            EventPayload::Update(AgentUpdate::MessageChunk {
                text: m.text.into_owned(),
                message_id: m.message_id.map(Cow::into_owned),
            })
        }
        "agent_thought_chunk" => {
            EventPayload::Update(AgentUpdate::ThoughtChunk { text: de::<Text>(json)?.text.into_owned() })
        }
        "tool_call" => {
            let t: ToolCall = de(json)?;
            EventPayload::Update(AgentUpdate::ToolCall {
                id: t.id.into_owned(),
                title: t.title.into_owned(),
                kind: t.kind.into_owned(),
                input: t.input.into_owned(),
                tool: t.tool.into_owned(),
            })
        }
        "tool_call_update" => {
            let t: ToolCallUpdate = de(json)?;
            EventPayload::Update(AgentUpdate::ToolCallUpdate {
                id: t.id.into_owned(),
                status: t.status.into(),
                output: t.output.map(Cow::into_owned),
            })
        }
        "plan" => EventPayload::Update(AgentUpdate::Plan { entries: de::<Plan>(json)?.entries.into_owned() }),
        "usage_update" => EventPayload::Update(AgentUpdate::Usage(de::<UsageJson>(json)?.into())),
        "session_info" => {
            let s: SessionInfo = de(json)?;
            let choices = |list: Vec<ChoiceJson>| {
                list.into_iter().map(|c| AgentChoice { id: c.id.into_owned(), name: c.name.into_owned() }).collect()
            };
            EventPayload::Update(AgentUpdate::SessionInfo {
                modes: choices(s.modes),
                current_mode: s.current_mode.map(Cow::into_owned),
                models: choices(s.models),
                current_model: s.current_model.map(Cow::into_owned),
            })
        }
        "available_commands_update" => {
            let c: Commands = de(json)?;
            EventPayload::Update(AgentUpdate::Commands {
                commands: c
                    .commands
                    .into_iter()
                    .map(|c| AgentCommand { name: c.name.into_owned(), description: c.description.into_owned() })
                    .collect(),
            })
        }
        "hook" => {
            let h: Hook = de(json)?;
            EventPayload::Update(AgentUpdate::Hook { event: h.event.into_owned(), detail: h.detail.into_owned() })
        }
        "permission" => {
            let p: Permission = de(json)?;
            EventPayload::Permission {
                request_id: p.request_id.into_owned(),
                tool: p.tool.into_owned(),
                input: p.input.into_owned(),
            }
        }
        "permission_resolved" => {
            let p: PermissionResolved = de(json)?;
            EventPayload::PermissionResolved {
                request_id: p.request_id.into_owned(),
                decision: p.decision.into(),
                by: p.by.into(),
            }
        }
        "status" => EventPayload::Status { status: de::<Status>(json)?.status.into() },
        "agent_session" => EventPayload::AgentSession { session_id: de::<AgentSession>(json)?.session_id.into_owned() },
        "error" => EventPayload::Error { message: de::<Error>(json)?.message.into_owned() },
        other => return Err(format!("unknown event kind '{other}'")),
    })
}

// Field types borrow when writing and own when reading (serde reads a `Cow` as owned).

#[derive(Serialize, Deserialize)]
struct Empty {}

#[derive(Serialize, Deserialize)]
struct Prompt<'a> {
    text: Cow<'a, str>,
    queued: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct TurnEnded<'a> {
    stop_reason: Option<StopReasonJson>,
    error: Option<Cow<'a, str>>,
    usage: UsageJson,
}

#[derive(Serialize, Deserialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct MessageText<'a> {
    text: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct ToolCall<'a> {
    id: Cow<'a, str>,
    title: Cow<'a, str>,
    kind: Cow<'a, str>,
    input: Cow<'a, str>,
    /// Absent in events stored before it was kept.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    tool: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct ToolCallUpdate<'a> {
    id: Cow<'a, str>,
    status: ToolCallStatusJson,
    output: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct Plan<'a> {
    entries: Cow<'a, [String]>,
}

#[derive(Serialize, Deserialize)]
struct ChoiceJson<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
}

impl<'a> From<&'a AgentChoice> for ChoiceJson<'a> {
    fn from(c: &'a AgentChoice) -> Self {
        Self { id: (&c.id).into(), name: (&c.name).into() }
    }
}

#[derive(Serialize, Deserialize)]
struct SessionInfo<'a> {
    modes: Vec<ChoiceJson<'a>>,
    current_mode: Option<Cow<'a, str>>,
    models: Vec<ChoiceJson<'a>>,
    current_model: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct CommandJson<'a> {
    name: Cow<'a, str>,
    description: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct Commands<'a> {
    commands: Vec<CommandJson<'a>>,
}

#[derive(Serialize, Deserialize)]
struct Permission<'a> {
    request_id: Cow<'a, str>,
    tool: Cow<'a, str>,
    input: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct PermissionResolved<'a> {
    request_id: Cow<'a, str>,
    decision: DecisionJson,
    by: DeciderJson,
}

#[derive(Serialize, Deserialize)]
struct Status {
    status: ChatStatusJson,
}

#[derive(Serialize, Deserialize)]
struct AgentSession<'a> {
    session_id: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct Hook<'a> {
    event: Cow<'a, str>,
    detail: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct Error<'a> {
    message: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct UsageJson {
    input_tokens: u64,
    output_tokens: u64,
    cache_read_tokens: u64,
    cache_write_tokens: u64,
    cost_usd: Option<f64>,
}

impl From<Usage> for UsageJson {
    fn from(u: Usage) -> Self {
        let Usage { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd } = u;
        Self { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd }
    }
}

impl From<UsageJson> for Usage {
    fn from(u: UsageJson) -> Self {
        let UsageJson { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd } = u;
        Self { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd }
    }
}

/// A serde mirror of a band-core enum, with conversions both ways; the strings are band-core's
/// `as_str` spellings (checked by the tests).
macro_rules! mirror {
    ($json:ident, $domain:ident { $($variant:ident),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum $json {
            $($variant),+
        }

        impl From<$domain> for $json {
            fn from(v: $domain) -> Self {
                match v {
                    $($domain::$variant => Self::$variant),+
                }
            }
        }

        impl From<$json> for $domain {
            fn from(v: $json) -> Self {
                match v {
                    $($json::$variant => Self::$variant),+
                }
            }
        }
    };
}

mirror!(StopReasonJson, StopReason { EndTurn, MaxTokens, MaxTurnRequests, Refusal, Cancelled });
mirror!(ToolCallStatusJson, ToolCallStatus { Pending, InProgress, Completed, Failed });
mirror!(DecisionJson, PermissionDecision { Allow, Deny });
mirror!(DeciderJson, Decider { User, Mode, Policy, Budget });
mirror!(ChatStatusJson, ChatStatus { Idle, Working, Waiting, Completed, Failed, Interrupted });

#[cfg(test)]
mod tests {
    use super::*;

    fn json_string<T: Serialize>(v: T) -> String {
        serde_json::to_string(&v).expect("serializes")
    }

    #[test]
    fn enums_are_stored_as_band_core_spells_them() {
        for r in [
            StopReason::EndTurn,
            StopReason::MaxTokens,
            StopReason::MaxTurnRequests,
            StopReason::Refusal,
            StopReason::Cancelled,
        ] {
            assert_eq!(json_string(StopReasonJson::from(r)), format!("\"{}\"", r.as_str()));
        }
        for s in
            [ToolCallStatus::Pending, ToolCallStatus::InProgress, ToolCallStatus::Completed, ToolCallStatus::Failed]
        {
            assert_eq!(json_string(ToolCallStatusJson::from(s)), format!("\"{}\"", s.as_str()));
        }
        for d in [PermissionDecision::Allow, PermissionDecision::Deny] {
            assert_eq!(json_string(DecisionJson::from(d)), format!("\"{}\"", d.as_str()));
        }
        assert_eq!(json_string(DeciderJson::from(Decider::User)), "\"user\"");
        assert_eq!(json_string(DeciderJson::from(Decider::Mode)), "\"mode\"");
        for s in ChatStatus::ALL {
            assert_eq!(json_string(ChatStatusJson::from(s)), format!("\"{}\"", s.as_str()));
        }
    }

    fn usage(cost: Option<f64>) -> Usage {
        Usage {
            input_tokens: 12,
            output_tokens: 3456,
            cache_read_tokens: 0,
            cache_write_tokens: u64::MAX,
            cost_usd: cost,
        }
    }

    /// Every variant, with the JSON it is stored as: the stored shape is a promise to files
    /// already written.
    fn every_payload() -> Vec<(EventPayload, &'static str)> {
        let mut all = vec![
            (
                EventPayload::Prompt { text: "fix \"it\"\n".into(), queued: None },
                r#"{"text":"fix \"it\"\n","queued":null}"#,
            ),
            (
                EventPayload::Prompt { text: "next".into(), queued: Some(QueuedId(42)) },
                r#"{"text":"next","queued":42}"#,
            ),
            (EventPayload::TurnStarted, "{}"),
            (
                EventPayload::TurnEnded(TurnOutcome {
                    stop_reason: Some(StopReason::EndTurn),
                    error: None,
                    usage: usage(Some(0.1 + 0.2)),
                }),
                r#"{"stop_reason":"end_turn","error":null,"usage":{"input_tokens":12,"output_tokens":3456,"cache_read_tokens":0,"cache_write_tokens":18446744073709551615,"cost_usd":0.30000000000000004}}"#,
            ),
            (
                EventPayload::TurnEnded(TurnOutcome {
                    stop_reason: None,
                    error: Some("boom".into()),
                    usage: Usage::default(),
                }),
                r#"{"stop_reason":null,"error":"boom","usage":{"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":null}}"#,
            ),
            (
                EventPayload::Update(AgentUpdate::MessageChunk { text: "héllo ✓".into(), message_id: None }),
                r#"{"text":"héllo ✓"}"#,
            ),
            (
                EventPayload::Update(AgentUpdate::MessageChunk { text: "a".into(), message_id: Some("msg_1".into()) }),
                r#"{"text":"a","message_id":"msg_1"}"#,
            ),
            (EventPayload::Update(AgentUpdate::ThoughtChunk { text: String::new() }), r#"{"text":""}"#),
            (
                EventPayload::Update(AgentUpdate::ToolCall {
                    id: "t1".into(),
                    title: "Read".into(),
                    kind: "read".into(),
                    input: r#"{"path":"a.rs"}"#.into(),
                    tool: "Read".into(),
                }),
                r#"{"id":"t1","title":"Read","kind":"read","input":"{\"path\":\"a.rs\"}","tool":"Read"}"#,
            ),
            (
                EventPayload::Update(AgentUpdate::ToolCallUpdate {
                    id: "t1".into(),
                    status: ToolCallStatus::Completed,
                    output: Some("ok".into()),
                }),
                r#"{"id":"t1","status":"completed","output":"ok"}"#,
            ),
            (
                EventPayload::Update(AgentUpdate::Plan { entries: vec!["a".into(), "b".into()] }),
                r#"{"entries":["a","b"]}"#,
            ),
            (EventPayload::Update(AgentUpdate::Plan { entries: vec![] }), r#"{"entries":[]}"#),
            (
                EventPayload::Update(AgentUpdate::Usage(usage(None))),
                r#"{"input_tokens":12,"output_tokens":3456,"cache_read_tokens":0,"cache_write_tokens":18446744073709551615,"cost_usd":null}"#,
            ),
            (
                EventPayload::Update(AgentUpdate::Usage(Usage { cost_usd: Some(1e-300), ..Usage::default() })),
                r#"{"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":1e-300}"#,
            ),
            (
                EventPayload::Permission {
                    request_id: "r1".into(),
                    tool: "Bash".into(),
                    input: r#"{"cmd":"ls"}"#.into(),
                },
                r#"{"request_id":"r1","tool":"Bash","input":"{\"cmd\":\"ls\"}"}"#,
            ),
            (
                EventPayload::PermissionResolved {
                    request_id: "r1".into(),
                    decision: PermissionDecision::Deny,
                    by: Decider::User,
                },
                r#"{"request_id":"r1","decision":"deny","by":"user"}"#,
            ),
            (
                EventPayload::PermissionResolved {
                    request_id: "r2".into(),
                    decision: PermissionDecision::Allow,
                    by: Decider::Mode,
                },
                r#"{"request_id":"r2","decision":"allow","by":"mode"}"#,
            ),
            (EventPayload::AgentSession { session_id: "s-1".into() }, r#"{"session_id":"s-1"}"#),
            (
                EventPayload::Update(AgentUpdate::SessionInfo {
                    modes: vec![AgentChoice { id: "default".into(), name: "Default".into() }],
                    current_mode: Some("default".into()),
                    models: vec![],
                    current_model: None,
                }),
                r#"{"modes":[{"id":"default","name":"Default"}],"current_mode":"default","models":[],"current_model":null}"#,
            ),
            (
                EventPayload::Update(AgentUpdate::Commands {
                    commands: vec![AgentCommand { name: "memory".into(), description: "Manage memory.".into() }],
                }),
                r#"{"commands":[{"name":"memory","description":"Manage memory."}]}"#,
            ),
            (EventPayload::Error { message: "the agent exited".into() }, r#"{"message":"the agent exited"}"#),
            (
                EventPayload::Update(AgentUpdate::Hook { event: "Stop".into(), detail: "done".into() }),
                r#"{"event":"Stop","detail":"done"}"#,
            ),
        ];
        for s in ChatStatus::ALL {
            let json: &'static str = format!(r#"{{"status":"{}"}}"#, s.as_str()).leak();
            all.push((EventPayload::Status { status: s }, json));
        }
        for r in [StopReason::MaxTokens, StopReason::MaxTurnRequests, StopReason::Refusal, StopReason::Cancelled] {
            let json: &'static str = format!(
                r#"{{"stop_reason":"{}","error":null,"usage":{{"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":2.5}}}}"#,
                r.as_str()
            )
            .leak();
            all.push((
                EventPayload::TurnEnded(TurnOutcome {
                    stop_reason: Some(r),
                    error: None,
                    usage: Usage { cost_usd: Some(2.5), ..Usage::default() },
                }),
                json,
            ));
        }
        for s in [ToolCallStatus::Pending, ToolCallStatus::InProgress, ToolCallStatus::Failed] {
            let json: &'static str = format!(r#"{{"id":"x","status":"{}","output":null}}"#, s.as_str()).leak();
            all.push((
                EventPayload::Update(AgentUpdate::ToolCallUpdate { id: "x".into(), status: s, output: None }),
                json,
            ));
        }
        all
    }

    #[test]
    fn every_payload_is_stored_as_its_documented_json_and_read_back_the_same() {
        let all = every_payload();
        let kinds: std::collections::BTreeSet<&str> = all.iter().map(|(p, _)| p.kind()).collect();
        assert_eq!(kinds.len(), 17, "every kind is covered: {kinds:?}");
        for (payload, json) in all {
            let stored = encode(&payload).expect("encodes");
            assert_eq!(stored, json, "the stored shape of {payload:?}");
            assert_eq!(decode(payload.kind(), &stored), Ok(payload.clone()), "{stored}");
        }
    }

    #[test]
    fn costs_read_back_bit_for_bit() {
        // A cheap generator of f64 bit patterns across the whole range (finite ones only: JSON
        // has no NaN or infinity).
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut checked = 0;
        let specials = [0.0, -0.0, f64::MIN_POSITIVE, 5e-324, f64::MAX, f64::MIN, 0.1, 1.0 / 3.0, 123_456.789e-12];
        let randoms = std::iter::from_fn(|| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Some(f64::from_bits(x))
        });
        for cost in specials.into_iter().chain(randoms.filter(|c| c.is_finite()).take(20_000)) {
            let payload = EventPayload::Update(AgentUpdate::Usage(Usage { cost_usd: Some(cost), ..Usage::default() }));
            let back = decode("usage_update", &encode(&payload).expect("encodes")).expect("decodes");
            let EventPayload::Update(AgentUpdate::Usage(u)) = back else { panic!("{back:?}") };
            assert_eq!(u.cost_usd.map(f64::to_bits), Some(cost.to_bits()), "{cost:e}");
            checked += 1;
        }
        assert!(checked > 20_000);
    }

    #[test]
    fn damaged_payloads_are_errors_not_guesses() {
        assert_eq!(decode("telepathy", "{}"), Err("unknown event kind 'telepathy'".into()));
        assert!(decode("prompt", r#"{"queued":null}"#).is_err(), "a missing field");
        assert!(decode("status", r#"{"status":"asleep"}"#).is_err(), "an unknown status");
        assert!(decode("turn_started", "null").is_err());
        assert!(decode("plan", r#"{"entries":"one"}"#).is_err());
        assert!(decode("error", "not json").is_err());
        assert_eq!(
            decode("error", r#"{"message":"m","added_later":1}"#),
            Ok(EventPayload::Error { message: "m".into() }),
            "fields added by a later version are ignored"
        );
    }
}
