//! The chat half of the storage contract: every documented rule of [`ChatStore`], [`EventLog`],
//! [`TurnLog`] and [`MessageQueue`], as stories.
//!
//! Where the ports' docs are silent, the stories pin one reading, which both stores follow:
//! - Reads of a chat that does not exist, or no longer does (`events_after`, `events_before`,
//!   `turns`, `queued`, `usage_totals`), return nothing (zero totals), not `NotFound`: the service
//!   checks the chat itself, and a read never needs a second lookup.
//! - Writes naming a missing chat are `NotFound("chat N")`: `update_chat`, `delete_chat`,
//!   `enqueue`, `append_events`.
//! - A chat may appear in several entries of one batch: its events are numbered on, in order.
//! - `TurnStarted` takes the text of the chat's last `Prompt` earlier in the same batch, however
//!   many events lie between (and even if an earlier turn of the batch took it too); `""` if the
//!   batch has none before it. A prompt of an earlier batch never counts.
//! - The chat's open turn is its newest turn, if that has not ended; `TurnEnded` closes at most it.
//! - `Prompt { queued: Some(id) }` takes the message out only if it is in the same chat's queue; a
//!   message already gone is no error (the event is still appended).
//! - `ChatPatch`: labels are removed first, then set, so a label both removed and set ends up set.
//! - `updated_at` is bumped by `update_chat` and by appending at least one event to the chat.
//! - Deleting a workspace deletes its chats (the schema's cascade; not in the port's docs).

use band_core::ports::{
    AuditLog, ChatStore, DeviceStore, EventLog, LayoutStore, MessageQueue, ProjectStore, TurnLog, UsageScope,
    WorkspaceStore,
};
use band_core::{
    AgentId, AgentUpdate, Chat, ChatEvent, ChatId, ChatPatch, ChatStatus, Decider, EventPayload, NewChat,
    PermissionDecision, PermissionMode, QueuedId, QueuedMessage, StopReason, ToolCallStatus, ToolUse, Turn,
    TurnOutcome, Usage, UsageBy, UsageFilter, UsageReport, UsageTotals, Workspace, WorkspaceId,
};

use super::{assert_not_found, new_project, new_workspace, now, ok};
use crate::names::{chat_name, label_key, labels, model};

/// Every storage port at once: what the whole contract needs of a store.
pub trait FullStore:
    ProjectStore
    + WorkspaceStore
    + ChatStore
    + EventLog
    + TurnLog
    + MessageQueue
    + LayoutStore
    + DeviceStore
    + AuditLog
    + band_core::ports::ProjectTrustStore
    + band_core::ports::ScriptRunStore
    + band_core::ports::ReviewStore
{
}

impl<
    S: ProjectStore
        + WorkspaceStore
        + ChatStore
        + EventLog
        + TurnLog
        + MessageQueue
        + LayoutStore
        + DeviceStore
        + AuditLog
        + band_core::ports::ProjectTrustStore
        + band_core::ports::ReviewStore
        + band_core::ports::ScriptRunStore,
> FullStore for S
{
}

// ---------------------------------------------------------------------------------------------
// Chats

pub async fn chats_start_idle_with_their_settings<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let new = NewChat {
        workspace_id: ws.id,
        agent: AgentId::new("codex").expect("id"),
        model: Some(model("gpt-5")),
        mode: PermissionMode::AcceptEdits,
        name: chat_name("fixer"),
        labels: labels(&[("team", "core"), ("ticket", "B-1")]),
        via: band_core::ChatVia::Terminal,
    };
    let before = now();
    let chat = ok(store.insert_chat(new.clone()).await);
    let plain = ok(store.insert_chat(new_chat(ws.id, "plain")).await);
    let after = now();

    assert_ne!(chat.id, plain.id, "each chat gets its own id");
    assert_eq!(
        (chat.workspace_id, &chat.agent, &chat.model, chat.mode, &chat.name, &chat.labels, chat.via),
        (new.workspace_id, &new.agent, &new.model, new.mode, &new.name, &new.labels, new.via),
        "the settings are stored as given"
    );
    assert_eq!(
        (plain.model.as_deref(), plain.labels.as_map().len(), plain.via),
        (None, 0, band_core::ChatVia::Protocol)
    );
    for c in [&chat, &plain] {
        assert_eq!(c.status, ChatStatus::Idle, "a new chat is idle");
        assert_eq!(c.agent_session_id, None);
        assert_eq!(c.last_seq, 0, "a new chat has no events");
        assert!((before..=after).contains(&c.created_at), "created_at {} is the insertion time", c.created_at);
        assert_eq!(c.updated_at, c.created_at);
        assert_eq!(&ok(store.chat(c.id).await), c, "chat() returns what insert returned");
        assert_eq!(ok(store.events_after(c.id, 0, 100).await), vec![]);
        assert_eq!(ok(store.turns(c.id).await), vec![]);
        assert_eq!(ok(store.queued(c.id).await), vec![]);
    }
}

pub async fn chats_need_an_existing_workspace<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let ghost = WorkspaceId(ws.id.0 + 1000);
    assert_not_found(store.insert_chat(new_chat(ghost, "c")).await, &format!("workspace {}", ghost.0));
    assert_eq!(ok(store.list_chats(None).await), vec![], "a refused insert writes nothing");
}

pub async fn missing_chats_are_not_found<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let chat = ok(store.insert_chat(new_chat(ws.id, "c")).await);
    let ghost = ChatId(chat.id.0 + 1000);
    let named = format!("chat {}", ghost.0);
    assert_not_found(store.chat(ghost).await, &named);
    assert_not_found(
        store.update_chat(ghost, ChatPatch { name: Some(chat_name("x")), ..ChatPatch::default() }).await,
        &named,
    );
    assert_not_found(store.delete_chat(ghost).await, &named);
    assert_not_found(store.enqueue(ghost, "hi".into()).await, &named);
    assert_not_found(store.append_events(vec![(ghost, vec![error("x")])]).await, &named);
    assert_not_found(store.append_events(vec![(ghost, vec![])]).await, &named);
    assert_eq!(ok(store.list_chats(None).await), vec![chat], "failed calls change nothing");

    // Reads of a missing chat find nothing.
    assert_eq!(ok(store.events_after(ghost, 0, 10).await), vec![]);
    assert_eq!(ok(store.events_before(ghost, None, 10).await), vec![]);
    assert_eq!(ok(store.turns(ghost).await), vec![]);
    assert_eq!(ok(store.queued(ghost).await), vec![]);
    assert_eq!(ok(store.usage_totals(UsageScope::Chat(ghost)).await), UsageTotals::default());
    assert_eq!(
        ok(store.usage_totals(UsageScope::Workspace(WorkspaceId(ws.id.0 + 1000))).await),
        UsageTotals::default()
    );
}

pub async fn chats_are_listed_by_id_and_filtered_by_workspace<S: FullStore>(store: &S) {
    let a = workspace(store, "a").await;
    let b = workspace(store, "b").await;
    assert_eq!(ok(store.list_chats(None).await), vec![], "a new store has no chats");
    // Names run against insertion order, so ordering by name would show.
    let a3 = ok(store.insert_chat(new_chat(a.id, "z")).await);
    let b2 = ok(store.insert_chat(new_chat(b.id, "y")).await);
    let a1 = ok(store.insert_chat(new_chat(a.id, "x")).await);

    assert_eq!(ok(store.list_chats(None).await), by_id(vec![a3.clone(), b2.clone(), a1.clone()]));
    assert_eq!(ok(store.list_chats(Some(a.id)).await), by_id(vec![a3, a1]));
    assert_eq!(ok(store.list_chats(Some(b.id)).await), vec![b2]);
    assert_eq!(ok(store.list_chats(Some(WorkspaceId(a.id.0.max(b.id.0) + 1000))).await), vec![]);
}

pub async fn chats_are_found_by_status<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let c1 = ok(store.insert_chat(new_chat(ws.id, "1")).await);
    let c2 = ok(store.insert_chat(new_chat(ws.id, "2")).await);
    let c3 = ok(store.insert_chat(new_chat(ws.id, "3")).await);
    ok(store
        .append_events(vec![(c3.id, vec![status(ChatStatus::Waiting)]), (c1.id, vec![status(ChatStatus::Working)])])
        .await);
    let (c1, c2, c3) = (ok(store.chat(c1.id).await), ok(store.chat(c2.id).await), ok(store.chat(c3.id).await));

    let busy = ok(store.chats_in_status(&[ChatStatus::Waiting, ChatStatus::Working]).await);
    assert_eq!(busy, vec![c1, c3], "any of the statuses, ordered by id");
    assert_eq!(ok(store.chats_in_status(&[ChatStatus::Idle]).await), vec![c2]);
    assert_eq!(ok(store.chats_in_status(&[ChatStatus::Failed, ChatStatus::Interrupted]).await), vec![]);
    assert_eq!(ok(store.chats_in_status(&[]).await), vec![], "no statuses, no chats");
}

pub async fn chat_patches_change_only_what_they_name<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let chat = ok(store
        .insert_chat(NewChat {
            model: Some(model("opus")),
            labels: labels(&[("a", "1"), ("b", "2")]),
            via: band_core::ChatVia::Protocol,
            ..new_chat(ws.id, "first")
        })
        .await);
    ok(store.append_events(vec![(chat.id, vec![status(ChatStatus::Working), session("s1")])]).await);
    let chat = ok(store.chat(chat.id).await);

    let before = now();
    let same = ok(store.update_chat(chat.id, ChatPatch::default()).await);
    assert_eq!(Chat { updated_at: chat.updated_at, ..same.clone() }, chat, "an empty patch changes no setting");
    assert!(same.updated_at >= before, "update_chat bumps updated_at");

    let renamed =
        ok(store.update_chat(chat.id, ChatPatch { name: Some(chat_name("second")), ..ChatPatch::default() }).await);
    assert_eq!(renamed.name, "second");
    assert_eq!((renamed.model.as_deref(), renamed.mode), (Some("opus"), PermissionMode::Ask), "the rest stays");

    let cleared = ok(store.update_chat(chat.id, ChatPatch { model: Some(None), ..ChatPatch::default() }).await);
    assert_eq!(cleared.model, None, "Some(None) clears the model");
    let modeled = ok(store
        .update_chat(
            chat.id,
            ChatPatch {
                model: Some(Some(model("sonnet"))),
                mode: Some(PermissionMode::AllowAll),
                ..ChatPatch::default()
            },
        )
        .await);
    assert_eq!(
        (modeled.model.as_deref(), modeled.mode, modeled.name.as_str()),
        (Some("sonnet"), PermissionMode::AllowAll, "second")
    );

    let relabeled = ok(store
        .update_chat(
            chat.id,
            ChatPatch {
                set_labels: labels(&[("c", "3"), ("a", "9"), ("d", "4")]),
                remove_labels: vec![label_key("b"), label_key("absent"), label_key("d")],
                ..ChatPatch::default()
            },
        )
        .await);
    assert_eq!(relabeled.labels, labels(&[("a", "9"), ("c", "3"), ("d", "4")]), "removed, then set: d is set");

    assert_eq!(
        (relabeled.status, relabeled.agent_session_id.as_deref(), relabeled.last_seq, relabeled.created_at),
        (ChatStatus::Working, Some("s1"), 2, chat.created_at),
        "patches never touch the log's projections"
    );
    assert_eq!(ok(store.chat(chat.id).await), relabeled, "chat() returns what update returned");
}

pub async fn deleted_chats_are_gone_with_their_log_turns_and_queue<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let gone = ok(store.insert_chat(new_chat(ws.id, "gone")).await);
    let kept = ok(store.insert_chat(new_chat(ws.id, "kept")).await);
    let mut queued = Vec::new();
    for chat in [&gone, &kept] {
        ok(store.append_events(vec![(chat.id, turn("hi", ended(Some(0.5))))]).await);
        queued.push(ok(store.enqueue(chat.id, "later".into()).await));
    }
    let kept_events = ok(store.events_after(kept.id, 0, 100).await);
    let kept_turns = ok(store.turns(kept.id).await);
    ok(store.delete_chat(gone.id).await);

    assert_not_found(store.chat(gone.id).await, &format!("chat {}", gone.id.0));
    assert_eq!(ok(store.list_chats(None).await), vec![ok(store.chat(kept.id).await)]);
    assert_eq!(ok(store.events_after(gone.id, 0, 100).await), vec![], "its events are gone");
    assert_eq!(ok(store.events_before(gone.id, None, 100).await), vec![]);
    assert_eq!(ok(store.turns(gone.id).await), vec![], "its turns are gone");
    assert_eq!(ok(store.queued(gone.id).await), vec![], "its queue is gone");
    assert_not_found(store.edit_queued(queued[0].id, "x".into()).await, &format!("queued message {}", queued[0].id.0));
    assert_eq!(ok(store.usage_totals(UsageScope::Chat(gone.id)).await), UsageTotals::default());
    assert_eq!(ok(store.usage_totals(UsageScope::Workspace(ws.id)).await).turns, 1, "only the kept chat's turn");
    assert_not_found(store.delete_chat(gone.id).await, &format!("chat {}", gone.id.0));

    assert_eq!(ok(store.events_after(kept.id, 0, 100).await), kept_events, "other chats keep theirs");
    assert_eq!(ok(store.turns(kept.id).await), kept_turns);
    assert_eq!(ok(store.queued(kept.id).await), vec![queued[1].clone()]);

    let next = ok(store.insert_chat(new_chat(ws.id, "gone")).await);
    assert!(next.id > kept.id, "chat id {} reused", next.id.0);
    let appended = ok(store.append_events(vec![(next.id, vec![error("x")])]).await);
    assert_eq!(appended[0].seq, 1, "a new chat's log starts at 1");
}

/// Not in the port's docs, but the schema's promise, kept by the fake too: a workspace's chats
/// go with it.
pub async fn deleting_a_workspace_deletes_its_chats<S: FullStore>(store: &S) {
    let a = workspace(store, "a").await;
    let b = workspace(store, "b").await;
    let in_a = ok(store.insert_chat(new_chat(a.id, "in-a")).await);
    let in_b = ok(store.insert_chat(new_chat(b.id, "in-b")).await);
    for chat in [&in_a, &in_b] {
        ok(store.append_events(vec![(chat.id, turn("hi", ended(None)))]).await);
        ok(store.enqueue(chat.id, "later".into()).await);
    }
    ok(store.delete_workspace(a.id).await);

    assert_not_found(store.chat(in_a.id).await, &format!("chat {}", in_a.id.0));
    assert_eq!(ok(store.list_chats(None).await), vec![ok(store.chat(in_b.id).await)]);
    assert_eq!(ok(store.events_after(in_a.id, 0, 10).await), vec![]);
    assert_eq!(ok(store.turns(in_a.id).await), vec![]);
    assert_eq!(ok(store.queued(in_a.id).await), vec![]);
    assert_eq!(ok(store.events_after(in_b.id, 0, 10).await).len(), 3);
    assert_eq!(ok(store.queued(in_b.id).await).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The event log

pub async fn events_are_numbered_per_chat_from_one<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);

    let before = now();
    let first = ok(store.append_events(vec![(a.id, vec![chunk("a1"), chunk("a2")])]).await);
    let after = now();
    assert_eq!(seqs(&first), [(a.id, 1), (a.id, 2)]);
    for e in &first {
        assert!((before..=after).contains(&e.at), "at {} is the append time, in Unix ms", e.at);
    }
    assert_eq!(first[0].at, first[1].at, "one batch, one time");
    assert_eq!(first.iter().map(|e| e.payload.clone()).collect::<Vec<_>>(), [chunk("a1"), chunk("a2")]);

    // One batch over several chats, one of them twice: numbered on per chat, returned in order.
    let second = ok(store
        .append_events(vec![
            (b.id, vec![chunk("b1")]),
            (a.id, vec![chunk("a3")]),
            (b.id, vec![]),
            (a.id, vec![chunk("a4"), chunk("a5")]),
            (b.id, vec![chunk("b2")]),
        ])
        .await);
    assert_eq!(seqs(&second), [(b.id, 1), (a.id, 3), (a.id, 4), (a.id, 5), (b.id, 2)]);
    assert_eq!(
        second.iter().map(|e| e.payload.clone()).collect::<Vec<_>>(),
        [chunk("b1"), chunk("a3"), chunk("a4"), chunk("a5"), chunk("b2")]
    );

    let a_log = ok(store.events_after(a.id, 0, 100).await);
    let mut expected: Vec<ChatEvent> = first.clone();
    expected.extend(second.iter().filter(|e| e.chat_id == a.id).cloned());
    assert_eq!(a_log, expected, "the log holds what append returned");
    assert_eq!(
        ok(store.events_after(b.id, 0, 100).await),
        second.iter().filter(|e| e.chat_id == b.id).cloned().collect::<Vec<_>>()
    );

    let (a_now, b_now) = (ok(store.chat(a.id).await), ok(store.chat(b.id).await));
    assert_eq!((a_now.last_seq, b_now.last_seq), (5, 2), "last_seq follows the log");
    assert_eq!(a_now.updated_at, second[1].at, "appending bumps updated_at");

    assert_eq!(ok(store.append_events(vec![]).await), vec![], "an empty batch is fine");
    assert_eq!(ok(store.append_events(vec![(a.id, vec![])]).await), vec![]);
    assert_eq!(ok(store.chat(a.id).await), a_now, "no events, no change");
}

pub async fn a_batch_with_a_missing_chat_writes_nothing<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);
    ok(store.append_events(vec![(b.id, turn("open", vec![]))]).await);
    let waiting = ok(store.enqueue(a.id, "waiting".into()).await);
    let ghost = ChatId(a.id.0.max(b.id.0) + 1000);
    let snapshot = (ok(store.chat(a.id).await), ok(store.chat(b.id).await), ok(store.turns(b.id).await));
    let b_log = ok(store.events_after(b.id, 0, 100).await);

    let busy_a = vec![
        EventPayload::Prompt { text: "waiting".into(), queued: Some(waiting.id) },
        EventPayload::TurnStarted,
        status(ChatStatus::Working),
        session("s"),
    ];
    let end_b = ended(Some(1.0));
    for batch in [
        vec![(a.id, busy_a.clone()), (b.id, end_b.clone()), (ghost, vec![error("x")])],
        vec![(ghost, vec![error("x")]), (a.id, busy_a.clone()), (b.id, end_b.clone())],
        vec![(a.id, busy_a.clone()), (ghost, vec![]), (b.id, end_b.clone())],
    ] {
        assert_not_found(store.append_events(batch).await, &format!("chat {}", ghost.0));
        let now = (ok(store.chat(a.id).await), ok(store.chat(b.id).await), ok(store.turns(b.id).await));
        assert_eq!(now, snapshot, "no chat, turn or projection changed");
        assert_eq!(ok(store.events_after(a.id, 0, 100).await), vec![], "no event was written");
        assert_eq!(ok(store.events_after(b.id, 0, 100).await), b_log);
        assert_eq!(ok(store.turns(a.id).await), vec![]);
        assert_eq!(ok(store.queued(a.id).await), vec![waiting.clone()], "the queue is as it was");
    }
}

pub async fn status_and_agent_session_are_projections_of_the_log<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let chat = ok(store.insert_chat(new_chat(ws.id, "c")).await);
    let other = ok(store.insert_chat(new_chat(ws.id, "other")).await);

    ok(store
        .append_events(vec![(chat.id, vec![status(ChatStatus::Working), chunk("x"), status(ChatStatus::Waiting)])])
        .await);
    let c = ok(store.chat(chat.id).await);
    assert_eq!((c.status, c.agent_session_id.as_deref()), (ChatStatus::Waiting, None), "the last status wins");

    ok(store.append_events(vec![(chat.id, vec![session("s1")])]).await);
    let c = ok(store.chat(chat.id).await);
    assert_eq!(
        (c.status, c.agent_session_id.as_deref()),
        (ChatStatus::Waiting, Some("s1")),
        "a session keeps the status"
    );

    ok(store.append_events(vec![(chat.id, vec![session("s2"), status(ChatStatus::Completed), chunk("y")])]).await);
    let c = ok(store.chat(chat.id).await);
    assert_eq!((c.status, c.agent_session_id.as_deref()), (ChatStatus::Completed, Some("s2")));
    ok(store.append_events(vec![(chat.id, vec![error("boom")])]).await);
    let c = ok(store.chat(chat.id).await);
    assert_eq!(
        (c.status, c.agent_session_id.as_deref(), c.last_seq),
        (ChatStatus::Completed, Some("s2"), 8),
        "other events project nothing"
    );

    let o = ok(store.chat(other.id).await);
    assert_eq!((o.status, o.agent_session_id, o.last_seq), (ChatStatus::Idle, None, 0), "other chats are untouched");
}

pub async fn a_prompt_from_the_queue_takes_it_out<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);
    let m: Vec<QueuedMessage> = [
        ok(store.enqueue(a.id, "m0".into()).await),
        ok(store.enqueue(a.id, "m1".into()).await),
        ok(store.enqueue(a.id, "m2".into()).await),
    ]
    .into();
    let n0 = ok(store.enqueue(b.id, "n0".into()).await);

    ok(store
        .append_events(vec![(a.id, vec![EventPayload::Prompt { text: "m1".into(), queued: Some(m[1].id) }])])
        .await);
    let queue = ok(store.queued(a.id).await);
    assert_eq!(texts(&queue), ["m0", "m2"], "the sent message left the queue");
    assert_positions(&queue);
    assert_not_found(store.edit_queued(m[1].id, "x".into()).await, &format!("queued message {}", m[1].id.0));

    // Another chat's message, or one already gone: the event is appended, no queue changes.
    let r = ok(store
        .append_events(vec![(
            a.id,
            vec![
                EventPayload::Prompt { text: "n0".into(), queued: Some(n0.id) },
                EventPayload::Prompt { text: "m1".into(), queued: Some(m[1].id) },
            ],
        )])
        .await);
    assert_eq!(seqs(&r), [(a.id, 2), (a.id, 3)]);
    assert_eq!(ok(store.queued(b.id).await), vec![n0], "another chat's queue is not touched");
    assert_eq!(ok(store.queued(a.id).await), queue);

    ok(store
        .append_events(vec![(a.id, vec![EventPayload::Prompt { text: "m0".into(), queued: Some(m[0].id) }])])
        .await);
    let queue = ok(store.queued(a.id).await);
    assert_eq!(texts(&queue), ["m2"]);
    assert_positions(&queue);
}

pub async fn a_turn_takes_the_prompt_before_it<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);

    let events = ok(store.append_events(vec![(a.id, turn("one", vec![]))]).await);
    let turns = ok(store.turns(a.id).await);
    assert_eq!(turns.len(), 1);
    let t = &turns[0];
    assert_eq!((t.chat_id, t.prompt.as_str(), t.started_seq, t.started_at), (a.id, "one", 2, events[1].at));
    assert_eq!((t.ended_seq, t.ended_at, &t.outcome, t.duration_ms()), (None, None, &None, None), "the turn is open");

    ok(store.append_events(vec![(a.id, vec![EventPayload::TurnStarted])]).await);
    assert_eq!(ok(store.turns(a.id).await)[1].prompt, "", "no prompt in the batch: empty, not an older batch's");

    ok(store
        .append_events(vec![(
            a.id,
            vec![prompt("two"), chunk("thinking"), status(ChatStatus::Working), EventPayload::TurnStarted],
        )])
        .await);
    assert_eq!(ok(store.turns(a.id).await)[2].prompt, "two", "the last prompt before it, not only right before");

    ok(store
        .append_events(vec![
            (a.id, vec![prompt("three")]),
            (b.id, vec![prompt("for b"), EventPayload::TurnStarted]),
            (a.id, vec![EventPayload::TurnStarted, prompt("four"), prompt("five"), EventPayload::TurnStarted]),
        ])
        .await);
    let a_prompts: Vec<String> = ok(store.turns(a.id).await).into_iter().map(|t| t.prompt).collect();
    assert_eq!(a_prompts, ["one", "", "two", "three", "five"], "per chat, across the batch's entries");
    let b_turns = ok(store.turns(b.id).await);
    assert_eq!((b_turns.len(), b_turns[0].prompt.as_str(), b_turns[0].started_seq), (1, "for b", 2));
}

pub async fn a_turn_end_closes_the_open_turn<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);

    let started = ok(store.append_events(vec![(a.id, turn("go", vec![]))]).await);
    let outcome = TurnOutcome {
        stop_reason: Some(StopReason::MaxTokens),
        error: None,
        usage: Usage {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_tokens: 3,
            cache_write_tokens: 4,
            cost_usd: Some(0.125),
        },
    };
    let ending =
        ok(store.append_events(vec![(a.id, vec![chunk("done"), EventPayload::TurnEnded(outcome.clone())])]).await);
    let turns = ok(store.turns(a.id).await);
    assert_eq!(turns.len(), 1);
    let t = &turns[0];
    assert_eq!(
        (t.ended_seq, t.ended_at, t.outcome.as_ref()),
        (Some(ending[1].seq), Some(ending[1].at), Some(&outcome))
    );
    assert_eq!(t.duration_ms(), Some(ending[1].at - started[1].at));
    assert_eq!(t.started_seq, started[1].seq);

    // Nothing open: nothing closes, the event is still logged.
    let late = TurnOutcome { stop_reason: None, error: Some("late".into()), usage: Usage::default() };
    let r = ok(store
        .append_events(vec![
            (a.id, vec![EventPayload::TurnEnded(late.clone())]),
            (b.id, vec![EventPayload::TurnEnded(late)]),
        ])
        .await);
    assert_eq!(seqs(&r), [(a.id, 5), (b.id, 1)]);
    assert_eq!(ok(store.turns(a.id).await), turns, "an ended turn stays as it ended");
    assert_eq!(ok(store.turns(b.id).await), vec![], "no turn is made up");

    // Started and ended in one batch: a turn of no time; the failure is kept as it came.
    let failed = TurnOutcome {
        stop_reason: None,
        error: Some("the agent did not take the message".into()),
        usage: Usage::default(),
    };
    let r = ok(store.append_events(vec![(b.id, turn("quick", vec![EventPayload::TurnEnded(failed.clone())]))]).await);
    let t = &ok(store.turns(b.id).await)[0];
    assert_eq!(
        (t.prompt.as_str(), t.started_seq, t.ended_seq, t.outcome.as_ref(), t.duration_ms()),
        ("quick", 3, Some(4), Some(&failed), Some(0))
    );
    assert_eq!(r[2].payload, EventPayload::TurnEnded(failed));

    // Two turns started, the older never ended: an end closes the newest, and only it.
    ok(store.append_events(vec![(b.id, turn("older", vec![])), (b.id, turn("newer", ended(None)))]).await);
    let turns = ok(store.turns(b.id).await);
    let open: Vec<(&str, bool)> = turns.iter().map(|t| (t.prompt.as_str(), t.outcome.is_some())).collect();
    assert_eq!(open, [("quick", true), ("older", false), ("newer", true)]);
}

pub async fn turns_are_listed_oldest_first<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);
    for (chat, text) in [(a.id, "a1"), (b.id, "b1"), (a.id, "a2"), (a.id, "a3")] {
        ok(store.append_events(vec![(chat, turn(text, ended(None)))]).await);
    }
    let a_turns = ok(store.turns(a.id).await);
    assert_eq!(a_turns.iter().map(|t| t.prompt.as_str()).collect::<Vec<_>>(), ["a1", "a2", "a3"]);
    assert!(a_turns.windows(2).all(|w| w[0].id < w[1].id && w[0].started_seq < w[1].started_seq), "oldest first");
    assert!(a_turns.iter().all(|t| t.chat_id == a.id));
    assert_eq!(ok(store.turns(b.id).await).iter().map(|t| t.prompt.as_str()).collect::<Vec<_>>(), ["b1"]);
}

pub async fn events_after_pages_forwards<S: FullStore>(store: &S) {
    let (a, _b) = ten_and_three(store).await;
    let page = |after, limit| async move {
        ok(store.events_after(a, after, limit).await).iter().map(|e| e.seq).collect::<Vec<_>>()
    };
    assert_eq!(page(0, 4).await, [1, 2, 3, 4]);
    assert_eq!(page(4, 4).await, [5, 6, 7, 8]);
    assert_eq!(page(8, 4).await, [9, 10], "the last page is short");
    assert_eq!(page(10, 4).await, Vec::<u64>::new(), "nothing after the last");
    assert_eq!(page(0, 0).await, Vec::<u64>::new(), "limit 0");
    assert_eq!(page(0, 100).await, (1..=10).collect::<Vec<_>>(), "only this chat's events");
    assert_eq!(page(0, usize::MAX).await.len(), 10);
    assert_eq!(page(u64::MAX, 10).await, Vec::<u64>::new());
    let events = ok(store.events_after(a, 6, 1).await);
    assert_eq!(events.iter().map(|e| (e.chat_id, e.payload.clone())).collect::<Vec<_>>(), [(a, chunk("a7"))]);
}

pub async fn events_before_pages_backwards<S: FullStore>(store: &S) {
    let (a, _b) = ten_and_three(store).await;
    let page = |before, limit| async move {
        ok(store.events_before(a, before, limit).await).iter().map(|e| e.seq).collect::<Vec<_>>()
    };
    assert_eq!(page(None, 4).await, [7, 8, 9, 10], "the newest, ascending");
    assert_eq!(page(Some(7), 4).await, [3, 4, 5, 6], "the page before");
    assert_eq!(page(Some(3), 4).await, [1, 2], "the first page is short");
    assert_eq!(page(Some(1), 4).await, Vec::<u64>::new(), "nothing before the first");
    assert_eq!(page(Some(0), 4).await, Vec::<u64>::new());
    assert_eq!(page(Some(11), 4).await, [7, 8, 9, 10], "a bound past the end");
    assert_eq!(page(Some(u64::MAX), 2).await, [9, 10]);
    assert_eq!(page(None, 0).await, Vec::<u64>::new(), "limit 0");
    assert_eq!(page(None, usize::MAX).await, (1..=10).collect::<Vec<_>>(), "only this chat's events");

    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = ok(store.events_before(a, before, 3).await);
        let Some(first) = page.first() else { break };
        before = Some(first.seq);
        pages.splice(0..0, page);
    }
    assert_eq!(pages, ok(store.events_after(a, 0, 100).await), "pages backwards join into the log");
}

pub async fn every_payload_is_read_back_as_written<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let chat = ok(store.insert_chat(new_chat(ws.id, "c")).await);
    let q = ok(store.enqueue(chat.id, "queued".into()).await);
    let big = Usage {
        input_tokens: u64::MAX,
        output_tokens: 1 << 40,
        cache_read_tokens: 0,
        cache_write_tokens: 7,
        cost_usd: Some(0.1 + 0.2),
    };
    let outcome = TurnOutcome { stop_reason: Some(StopReason::EndTurn), error: None, usage: big };
    let mut payloads = vec![
        EventPayload::Prompt { text: "fix \"this\"\n\ttab ünïcode ✓ \u{0}".into(), queued: None },
        EventPayload::Prompt { text: "queued".into(), queued: Some(q.id) },
        EventPayload::TurnStarted,
        EventPayload::Update(AgentUpdate::MessageChunk { text: "hello".into(), message_id: Some("m1".into()) }),
        EventPayload::Update(AgentUpdate::ThoughtChunk { text: String::new() }),
        EventPayload::Update(AgentUpdate::ToolCall {
            id: "t1".into(),
            title: "Read a.rs".into(),
            kind: "read".into(),
            input: r#"{"path":"a.rs","n":[1,2]}"#.into(),
            tool: "Read".into(),
        }),
        EventPayload::Update(AgentUpdate::Plan { entries: vec!["one".into(), "two".into()] }),
        EventPayload::Update(AgentUpdate::Plan { entries: vec![] }),
        EventPayload::Update(AgentUpdate::Usage(Usage::default())),
        EventPayload::Update(AgentUpdate::Usage(Usage { cost_usd: Some(1e-300), ..big })),
        EventPayload::Update(AgentUpdate::Usage(Usage { cost_usd: Some(-0.0), ..Usage::default() })),
        EventPayload::Permission { request_id: "r1".into(), tool: "Bash".into(), input: r#"{"cmd":"ls"}"#.into() },
        EventPayload::AgentSession { session_id: "session-1".into() },
        EventPayload::Error { message: "something broke".into() },
        EventPayload::TurnEnded(outcome.clone()),
        EventPayload::TurnEnded(TurnOutcome {
            stop_reason: None,
            error: Some("failed".into()),
            usage: Usage::default(),
        }),
    ];
    for s in [ToolCallStatus::Pending, ToolCallStatus::InProgress, ToolCallStatus::Completed, ToolCallStatus::Failed] {
        payloads.push(EventPayload::Update(AgentUpdate::ToolCallUpdate {
            id: "t1".into(),
            status: s,
            output: Some("out".into()),
        }));
        payloads.push(EventPayload::Update(AgentUpdate::ToolCallUpdate { id: "t1".into(), status: s, output: None }));
    }
    for d in [PermissionDecision::Allow, PermissionDecision::Deny] {
        for by in [Decider::User, Decider::Mode] {
            payloads.push(EventPayload::PermissionResolved { request_id: "r1".into(), decision: d, by });
        }
    }
    for r in [
        StopReason::EndTurn,
        StopReason::MaxTokens,
        StopReason::MaxTurnRequests,
        StopReason::Refusal,
        StopReason::Cancelled,
    ] {
        payloads.push(EventPayload::TurnEnded(TurnOutcome {
            stop_reason: Some(r),
            error: None,
            usage: Usage { cost_usd: Some(12.75), ..Usage::default() },
        }));
    }
    for s in ChatStatus::ALL {
        payloads.push(status(s));
    }
    let kinds: std::collections::BTreeSet<&str> = payloads.iter().map(EventPayload::kind).collect();
    assert_eq!(kinds.len(), 14, "every kind is here: {kinds:?}");

    let appended = ok(store.append_events(vec![(chat.id, payloads.clone())]).await);
    let read: Vec<EventPayload> =
        ok(store.events_after(chat.id, 0, 1000).await).into_iter().map(|e| e.payload).collect();
    assert_eq!(read.len(), payloads.len());
    for (i, (read, written)) in read.iter().zip(&payloads).enumerate() {
        assert_eq!(read, written, "event {} reads back as written", i + 1);
    }
    assert_eq!(appended.into_iter().map(|e| e.payload).collect::<Vec<_>>(), payloads, "append returns them too");
    let turn = &ok(store.turns(chat.id).await)[0];
    assert_eq!(
        (turn.prompt.as_str(), turn.outcome.as_ref()),
        ("queued", Some(&outcome)),
        "the turn's outcome, exactly"
    );
    let c = ok(store.chat(chat.id).await);
    assert_eq!((c.status, c.agent_session_id.as_deref()), (ChatStatus::Interrupted, Some("session-1")));
}

// ---------------------------------------------------------------------------------------------
// Turns and usage

pub async fn usage_totals_add_up_ended_turns<S: FullStore>(store: &S) {
    let w = workspace(store, "w").await;
    let v = workspace(store, "v").await;
    let a = ok(store.insert_chat(new_chat(w.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(w.id, "b")).await);
    let free = ok(store.insert_chat(new_chat(w.id, "free")).await);
    let idle = ok(store.insert_chat(new_chat(w.id, "idle")).await);
    let c = ok(store.insert_chat(new_chat(v.id, "c")).await);
    let usage = |n: u64, cost: Option<f64>| Usage {
        input_tokens: n,
        output_tokens: 2 * n,
        cache_read_tokens: 3 * n,
        cache_write_tokens: 4 * n,
        cost_usd: cost,
    };
    let end = |u: Usage| {
        vec![EventPayload::TurnEnded(TurnOutcome { stop_reason: Some(StopReason::EndTurn), error: None, usage: u })]
    };
    ok(store.append_events(vec![(a.id, turn("a1", end(usage(10, None))))]).await);
    ok(store.append_events(vec![(a.id, turn("a2", vec![]))]).await);
    // Time passes within a turn: durations are more than zero.
    std::thread::sleep(std::time::Duration::from_millis(3));
    ok(store
        .append_events(vec![(a.id, end(usage(1, Some(0.25)))), (b.id, turn("b1", end(usage(100, Some(0.5)))))])
        .await);
    ok(store.append_events(vec![(a.id, turn("a3, still open", vec![]))]).await);
    ok(store
        .append_events(vec![(free.id, turn("f1", end(usage(5, None)))), (free.id, turn("f2", end(usage(6, None))))])
        .await);
    ok(store.append_events(vec![(c.id, turn("c1", end(usage(1000, Some(100.0)))))]).await);
    // An end without an open turn counts for nothing.
    ok(store.append_events(vec![(idle.id, end(usage(7, Some(7.0))))]).await);

    let expected = |turns: &[Vec<Turn>]| {
        let mut t = UsageTotals::default();
        for turn in turns.iter().flatten() {
            if let Some(o) = &turn.outcome {
                t.turns += 1;
                t.usage = t.usage + o.usage;
                t.duration_ms += turn.duration_ms().unwrap_or_default();
            }
        }
        t
    };
    let totals = |scope| async move { ok(store.usage_totals(scope).await) };

    let a_turns = ok(store.turns(a.id).await);
    let ta = totals(UsageScope::Chat(a.id)).await;
    assert_eq!((ta.turns, ta.usage), (2, usage(11, Some(0.25))), "ended turns only; a cost if any turn had one");
    assert!(ta.duration_ms >= 3, "durations add up: {}", ta.duration_ms);
    assert_eq!(ta, expected(&[a_turns.clone()]), "the totals of turns() as listed");

    let tf = totals(UsageScope::Chat(free.id)).await;
    assert_eq!((tf.turns, tf.usage), (2, usage(11, None)), "no turn had a cost: no cost");
    assert_eq!(totals(UsageScope::Chat(idle.id)).await, UsageTotals::default(), "no turns: zero");

    let tw = totals(UsageScope::Workspace(w.id)).await;
    let w_turns = [a_turns, ok(store.turns(b.id).await), ok(store.turns(free.id).await)];
    assert_eq!((tw.turns, tw.usage), (5, usage(122, Some(0.75))), "every chat of the workspace");
    assert_eq!(tw, expected(&w_turns));
    let tv = totals(UsageScope::Workspace(v.id)).await;
    assert_eq!((tv.turns, tv.usage), (1, usage(1000, Some(100.0))), "and only of that workspace");
    // A project's: its workspaces' (one workspace each here); since a time: every chat's turns
    // started then or later.
    assert_eq!(totals(UsageScope::Project(w.project_id)).await, tw, "the project of w");
    assert_eq!(totals(UsageScope::Project(v.project_id)).await, tv, "the project of v");
    let all = totals(UsageScope::Since(0)).await;
    assert_eq!((all.turns, all.usage.input_tokens), (6, 122 + 1000), "every ended turn");
    assert_eq!(totals(UsageScope::Since(now() + 60_000)).await, UsageTotals::default(), "none started later");
}

/// Usage reports group ended turns by chat, workspace, project, agent, model and day, count tool
/// calls by name (a call without one by its kind), round each turn's cost to a millionth of a
/// dollar, and list turns newest first with their tool calls.
pub async fn usage_reports_group_ended_turns<S: FullStore>(store: &S) {
    let w = workspace(store, "w").await;
    let v = workspace(store, "v").await;
    let a = ok(store.insert_chat(new_chat(w.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(w.id, "b")).await);
    let c = ok(store
        .insert_chat(NewChat {
            agent: crate::names::agent_id("codex"),
            model: Some(model("gpt-5")),
            ..new_chat(v.id, "c")
        })
        .await);
    let usage = |n: u64, cost: Option<f64>| Usage {
        input_tokens: n,
        output_tokens: 2 * n,
        cache_read_tokens: 3 * n,
        cache_write_tokens: 4 * n,
        cost_usd: cost,
    };
    let end = |u: Usage| {
        EventPayload::TurnEnded(TurnOutcome { stop_reason: Some(StopReason::EndTurn), error: None, usage: u })
    };
    let call = |tool: &str, kind: &str| {
        EventPayload::Update(AgentUpdate::ToolCall {
            id: "t".into(),
            title: "a call".into(),
            kind: kind.into(),
            input: "{}".into(),
            tool: tool.into(),
        })
    };
    let session = EventPayload::Update(AgentUpdate::SessionInfo {
        modes: vec![],
        current_mode: None,
        models: vec![],
        current_model: Some("claude-x".into()),
    });
    ok(store
        .append_events(vec![(
            a.id,
            turn(
                "a1",
                vec![
                    session,
                    call("Bash", "execute"),
                    call("Bash", "execute"),
                    call("mcp__gh__issue", "other"),
                    end(usage(10, Some(0.25))),
                ],
            ),
        )])
        .await);
    // Less than half a millionth of a dollar rounds to none, but the turn had a cost.
    ok(store.append_events(vec![(a.id, turn("a2", vec![end(usage(1, Some(0.000_000_4)))]))]).await);
    ok(store.append_events(vec![(b.id, turn("b1", vec![call("", "read"), end(usage(100, None))]))]).await);
    ok(store.append_events(vec![(c.id, turn("c1", vec![end(usage(1000, Some(1.5)))]))]).await);
    ok(store.append_events(vec![(c.id, turn("c2, still open", vec![call("shell", "execute")]))]).await);

    // An agent that says its model before its first turn (an ACP session does), outside a turn.
    let d = ok(store.insert_chat(new_chat(v.id, "d")).await);
    let early = EventPayload::Update(AgentUpdate::SessionInfo {
        modes: vec![],
        current_mode: None,
        models: vec![],
        current_model: Some("qwen-max".into()),
    });
    ok(store.append_events(vec![(d.id, vec![early])]).await);
    ok(store.append_events(vec![(d.id, turn("d1", vec![end(usage(0, None))]))]).await);
    let d_turns = ok(store.turns(d.id).await);
    assert_eq!(d_turns[0].model.as_deref(), Some("qwen-max"), "the model said before the first turn");
    ok(store.delete_chat(d.id).await);

    let report = |by, filter| async move { ok(store.usage_report(by, filter).await) };
    let all = UsageFilter::default();
    let groups = |r: &UsageReport| {
        r.groups.iter().map(|g| (g.key.clone(), g.label.clone(), g.totals.turns, g.totals.usage)).collect::<Vec<_>>()
    };

    let by_model = report(UsageBy::Model, all).await;
    assert_eq!(
        groups(&by_model),
        [
            ("gpt-5".into(), "gpt-5".into(), 1, usage(1000, Some(1.5))),
            ("claude-x".into(), "claude-x".into(), 2, usage(11, Some(0.25))),
            (String::new(), "default".into(), 1, usage(100, None)),
        ],
        "the agent's report wins over the chat's model and carries over to the next turn; most cost first"
    );
    assert_eq!((by_model.total.turns, by_model.total.usage), (4, usage(1111, Some(1.75))), "ended turns only");
    assert_eq!(
        by_model.tools,
        [
            ToolUse { tool: "Bash".into(), calls: 2 },
            ToolUse { tool: "mcp__gh__issue".into(), calls: 1 },
            ToolUse { tool: "read".into(), calls: 1 },
            ToolUse { tool: "shell".into(), calls: 1 },
        ],
        "every call of the day, an open turn's too, by name, most called first"
    );
    assert_eq!((by_model.tools[0].mcp_server(), by_model.tools[1].mcp_server()), (None, Some("gh")));

    let by_agent = report(UsageBy::Agent, all).await;
    assert_eq!(
        by_agent.groups.iter().map(|g| (g.key.as_str(), g.totals.turns)).collect::<Vec<_>>(),
        [("codex", 1), (AgentId::default_agent().as_str(), 3)]
    );
    let by_project = report(UsageBy::Project, all).await;
    assert_eq!(
        by_project.groups.iter().map(|g| (g.key.clone(), g.label.as_str(), g.totals.turns)).collect::<Vec<_>>(),
        [(v.project_id.0.to_string(), "v", 1), (w.project_id.0.to_string(), "w", 3)]
    );
    let by_workspace = report(UsageBy::Workspace, UsageFilter { project: Some(w.project_id), ..all }).await;
    assert_eq!(
        by_workspace.groups.iter().map(|g| (g.key.clone(), g.label.as_str())).collect::<Vec<_>>(),
        [(w.id.0.to_string(), "w/feat")],
        "a project's only"
    );
    assert_eq!(by_workspace.tools.iter().map(|t| t.calls).sum::<u64>(), 4, "and its tool calls only");
    let by_chat = report(UsageBy::Chat, UsageFilter { workspace: Some(w.id), ..all }).await;
    assert_eq!(
        by_chat.groups.iter().map(|g| (g.key.clone(), g.label.as_str(), g.totals.turns)).collect::<Vec<_>>(),
        [(a.id.0.to_string(), "w/feat · a", 2), (b.id.0.to_string(), "w/feat · b", 1)],
        "a costs something, b nothing"
    );

    let today = band_core::utc_day(now());
    let by_day = report(UsageBy::Day, all).await;
    assert_eq!(by_day.groups.len(), 1, "{:?}", by_day.groups);
    let key = &by_day.groups[0].key;
    assert!(key.len() == 10 && key.as_bytes()[4] == b'-' && key.as_bytes()[7] == b'-', "YYYY-MM-DD: {key}");
    assert_eq!(by_day.total, by_model.total);
    let later = report(UsageBy::Day, UsageFilter { from_day: Some(today + 1), ..all }).await;
    assert_eq!((later.groups.len(), later.tools.len()), (0, 0), "nothing after today");
    let earlier = report(UsageBy::Day, UsageFilter { to_day: Some(today - 1), ..all }).await;
    assert_eq!(earlier, UsageReport::default(), "nothing before today");
    let chat_a =
        report(UsageBy::Chat, UsageFilter { chat: Some(a.id), from_day: Some(today), to_day: Some(today), ..all })
            .await;
    assert_eq!((chat_a.total.turns, chat_a.tools.len()), (2, 2));

    let turns = ok(store.turn_usage(all, 10, None).await);
    assert_eq!(
        turns.iter().map(|t| (t.turn.prompt.as_str(), t.agent.as_str(), t.turn.model.as_deref())).collect::<Vec<_>>(),
        [
            ("c1", "codex", Some("gpt-5")),
            ("b1", AgentId::default_agent().as_str(), None),
            ("a2", AgentId::default_agent().as_str(), Some("claude-x")),
            ("a1", AgentId::default_agent().as_str(), Some("claude-x")),
        ],
        "ended turns, newest first"
    );
    assert_eq!(
        turns[3].tools,
        [ToolUse { tool: "Bash".into(), calls: 2 }, ToolUse { tool: "mcp__gh__issue".into(), calls: 1 }]
    );
    assert_eq!(turns[2].tools, []);
    assert_eq!(turns[1].tools, [ToolUse { tool: "read".into(), calls: 1 }]);
    assert_eq!(
        (turns[0].workspace_id, turns[0].turn.outcome.as_ref().map(|o| o.usage)),
        (v.id, Some(usage(1000, Some(1.5))))
    );
    let page = ok(store.turn_usage(all, 2, Some(turns[1].turn.id)).await);
    assert_eq!(page.iter().map(|t| t.turn.prompt.as_str()).collect::<Vec<_>>(), ["a2", "a1"], "a page before a turn");
    let of_b = ok(store.turn_usage(UsageFilter { chat: Some(b.id), ..all }, 10, None).await);
    assert_eq!(of_b.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The queue

pub async fn messages_are_queued_in_order<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);
    let before = now();
    let one = ok(store.enqueue(a.id, "one".into()).await);
    let other = ok(store.enqueue(b.id, "other".into()).await);
    let two = ok(store.enqueue(a.id, "two".into()).await);
    let three = ok(store.enqueue(a.id, "three".into()).await);
    let after = now();

    for (m, chat, position, text) in
        [(&one, a.id, 0, "one"), (&two, a.id, 1, "two"), (&three, a.id, 2, "three"), (&other, b.id, 0, "other")]
    {
        assert_eq!(
            (m.chat_id, m.position, m.text.as_str()),
            (chat, position, text),
            "added at the end of its chat's queue"
        );
        assert!((before..=after).contains(&m.created_at), "created_at {} is the enqueue time", m.created_at);
    }
    let mut ids = vec![one.id, two.id, three.id, other.id];
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each message has its own id");
    assert_eq!(ok(store.queued(a.id).await), vec![one, two, three], "by position");
    assert_eq!(ok(store.queued(b.id).await), vec![other]);
}

pub async fn queued_messages_can_be_edited<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let one = ok(store.enqueue(a.id, "one".into()).await);
    let two = ok(store.enqueue(a.id, "two".into()).await);

    let edited = ok(store.edit_queued(two.id, "two, better".into()).await);
    assert_eq!(edited, QueuedMessage { text: "two, better".into(), ..two.clone() }, "only the text changes");
    assert_eq!(ok(store.queued(a.id).await), vec![one, edited]);
    let ghost = QueuedId(two.id.0 + 1000);
    assert_not_found(store.edit_queued(ghost, "x".into()).await, &format!("queued message {}", ghost.0));
}

pub async fn queued_messages_move_and_the_others_shift<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await);
    let mut m = Vec::new();
    for text in ["m0", "m1", "m2", "m3"] {
        m.push(ok(store.enqueue(a.id, text.into()).await));
    }
    let b_queue = vec![ok(store.enqueue(b.id, "n0".into()).await), ok(store.enqueue(b.id, "n1".into()).await)];

    for (id, to, expected) in [
        (m[3].id, 0, ["m3", "m0", "m1", "m2"]),
        (m[3].id, 2, ["m0", "m1", "m3", "m2"]),
        (m[0].id, 99, ["m1", "m3", "m2", "m0"]),
        (m[0].id, 3, ["m1", "m3", "m2", "m0"]),
        (m[3].id, 1, ["m1", "m3", "m2", "m0"]),
        (m[2].id, 0, ["m2", "m1", "m3", "m0"]),
        (m[1].id, u32::MAX, ["m2", "m3", "m0", "m1"]),
    ] {
        let queue = ok(store.move_queued(id, to).await);
        assert_eq!(texts(&queue), expected, "moving {} to {to}", id.0);
        assert_positions(&queue);
        assert_eq!(ok(store.queued(a.id).await), queue, "move_queued returns the chat's queue");
        assert_eq!(ok(store.queued(b.id).await), b_queue, "other chats' queues do not move");
    }
    let moved = ok(store.queued(a.id).await);
    for q in &moved {
        let original = m.iter().find(|o| o.id == q.id).expect("the same messages");
        assert_eq!((&q.text, q.created_at, q.chat_id), (&original.text, original.created_at, original.chat_id));
    }
    let ghost = QueuedId(b_queue[1].id.0 + 1000);
    assert_not_found(store.move_queued(ghost, 0).await, &format!("queued message {}", ghost.0));
    let alone = ok(store.move_queued(b_queue[0].id, 5).await);
    assert_eq!(texts(&alone), ["n1", "n0"]);
}

pub async fn cancelling_a_queued_message_closes_the_gap<S: FullStore>(store: &S) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await);
    let mut m = Vec::new();
    for text in ["m0", "m1", "m2", "m3"] {
        m.push(ok(store.enqueue(a.id, text.into()).await));
    }
    assert_eq!(ok(store.cancel_queued(m[1].id).await), m[1], "the cancelled message is returned");
    let queue = ok(store.queued(a.id).await);
    assert_eq!(texts(&queue), ["m0", "m2", "m3"]);
    assert_positions(&queue);
    ok(store.cancel_queued(m[3].id).await);
    assert_eq!(texts(&ok(store.queued(a.id).await)), ["m0", "m2"]);

    let gone = format!("queued message {}", m[1].id.0);
    assert_not_found(store.cancel_queued(m[1].id).await, &gone);
    assert_not_found(store.edit_queued(m[1].id, "x".into()).await, &gone);
    assert_not_found(store.move_queued(m[1].id, 0).await, &gone);

    let next = ok(store.enqueue(a.id, "m4".into()).await);
    assert_eq!(next.position, 2, "a new message goes at the end, after the gap closed");
    assert!(m.iter().all(|o| o.id < next.id), "queued message ids are never reused");
    ok(store.cancel_queued(m[0].id).await);
    let queue = ok(store.queued(a.id).await);
    assert_eq!(texts(&queue), ["m2", "m4"]);
    assert_positions(&queue);
}

// ---------------------------------------------------------------------------------------------
// Helpers

async fn workspace<S: ProjectStore + WorkspaceStore>(store: &S, name: &str) -> Workspace {
    let project = ok(store.insert_project(new_project(name, &format!("/repos/{name}"))).await);
    ok(store.insert_workspace(new_workspace(project.id, "feat", &format!("/wt/{name}/feat"))).await)
}

/// Chat `a` with 10 message chunks `a1`..`a10` and chat `b` with 3, interleaved.
async fn ten_and_three<S: FullStore>(store: &S) -> (ChatId, ChatId) {
    let ws = workspace(store, "a").await;
    let a = ok(store.insert_chat(new_chat(ws.id, "a")).await).id;
    let b = ok(store.insert_chat(new_chat(ws.id, "b")).await).id;
    for i in 1..=10 {
        let mut batch = vec![(a, vec![chunk(&format!("a{i}"))])];
        if i % 3 == 0 {
            batch.push((b, vec![chunk(&format!("b{i}"))]));
        }
        ok(store.append_events(batch).await);
    }
    (a, b)
}

fn new_chat(workspace_id: WorkspaceId, name: &str) -> NewChat {
    NewChat {
        workspace_id,
        agent: AgentId::default_agent(),
        model: None,
        mode: PermissionMode::Ask,
        name: chat_name(name),
        labels: band_core::Labels::default(),
        via: band_core::ChatVia::Protocol,
    }
}

fn by_id(mut chats: Vec<Chat>) -> Vec<Chat> {
    chats.sort_by_key(|c| c.id);
    chats
}

fn chunk(text: &str) -> EventPayload {
    EventPayload::Update(AgentUpdate::MessageChunk { text: text.into(), message_id: None })
}

fn prompt(text: &str) -> EventPayload {
    EventPayload::Prompt { text: text.into(), queued: None }
}

fn status(status: ChatStatus) -> EventPayload {
    EventPayload::Status { status }
}

fn session(id: &str) -> EventPayload {
    EventPayload::AgentSession { session_id: id.into() }
}

fn error(message: &str) -> EventPayload {
    EventPayload::Error { message: message.into() }
}

/// `Prompt`, `TurnStarted`, then `rest`.
fn turn(text: &str, rest: Vec<EventPayload>) -> Vec<EventPayload> {
    let mut events = vec![prompt(text), EventPayload::TurnStarted];
    events.extend(rest);
    events
}

/// A good end with a little usage.
fn ended(cost: Option<f64>) -> Vec<EventPayload> {
    vec![EventPayload::TurnEnded(TurnOutcome {
        stop_reason: Some(StopReason::EndTurn),
        error: None,
        usage: Usage { input_tokens: 1, output_tokens: 2, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: cost },
    })]
}

fn seqs(events: &[ChatEvent]) -> Vec<(ChatId, u64)> {
    events.iter().map(|e| (e.chat_id, e.seq)).collect()
}

fn texts(queue: &[QueuedMessage]) -> Vec<&str> {
    queue.iter().map(|q| q.text.as_str()).collect()
}

#[track_caller]
fn assert_positions(queue: &[QueuedMessage]) {
    let positions: Vec<u32> = queue.iter().map(|q| q.position).collect();
    let expected: Vec<u32> = (0..).take(queue.len()).collect();
    assert_eq!(positions, expected, "positions are 0..n-1 without gaps");
}
