//! The subscriptions of [`band_api::SUBSCRIPTIONS`]: each replays what the client missed, then
//! follows live, with no gap and no duplicate.

use std::future::Future;
use std::sync::Arc;

use band_core::ports::Notice;
use band_core::{ChatEvent, ChatId, LayoutScope, TerminalId, TerminalOutput};
use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::types::Params;
use jsonrpsee::{PendingSubscriptionSink, SubscriptionSink};
use tokio::sync::broadcast::error::RecvError;

use super::convert::*;
use super::*;
use band_api::{self as api};

/// Put by the server into the extensions of each WebSocket request: ends that connection. A
/// subscriber that leaves a notification unread for [`SLOW_CLIENT`] is hung up on, so that its
/// client notices (a subscription that just stopped would leave it waiting forever), reconnects
/// and resubscribes from the last sequence number it has.
#[derive(Clone)]
pub struct Hangup(pub Arc<dyn Fn() + Send + Sync>);

tokio::task_local! {
    /// The connection of the subscription running on this task.
    static HANGUP: Option<Hangup>;
}

/// Runs a subscription with its connection's [`Hangup`] at hand for [`notify`].
pub(super) async fn with_hangup<F: Future>(ext: &jsonrpsee::Extensions, subscription: F) -> F::Output {
    HANGUP.scope(ext.get::<Hangup>().cloned(), subscription).await
}

/// Sends one notification; `false` when the client is gone or too slow (then its connection is
/// hung up on).
pub(super) async fn notify<T: serde::Serialize>(sink: &SubscriptionSink, item: &T) -> bool {
    let Ok(raw) = serde_json::value::to_raw_value(item) else { return false };
    match sink.send_timeout(raw, SLOW_CLIENT).await {
        Ok(()) => true,
        Err(jsonrpsee::core::server::SendTimeoutError::Timeout(_)) => {
            tracing::info!(connection = ?sink.connection_id(), "a client left notifications unread: hanging up");
            let _ = HANGUP.try_with(|h| h.as_ref().map(|h| (h.0)()));
            false
        }
        Err(_) => false,
    }
}

pub(super) async fn subscribe_chat(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::CHATS_SUBSCRIBE.name;
    let p: api::ChatsSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let chat = ChatId(p.chat);
    // Join the live feed before reading the log, so nothing falls between the two.
    let mut live = ctx.notices.subscribe_chat(chat);
    if let Err(e) = ctx.chats.get(chat).await {
        pending.reject(error_object(NAME, e)).await;
        return Ok(());
    }
    let sink = pending.accept().await?;
    let mut last = p.after;
    if !catch_up(&ctx, &sink, chat, &mut last).await {
        return Ok(());
    }
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            events = live.recv() => match events {
                Ok(events) => {
                    for e in events.iter() {
                        if e.seq <= last {
                            continue;
                        }
                        if e.seq > last + 1 && !catch_up(&ctx, &sink, chat, &mut last).await {
                            return Ok(());
                        }
                        if e.seq == last + 1 {
                            if !notify(&sink, &event_info(e)).await {
                                return Ok(());
                            }
                            last = e.seq;
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    if !catch_up(&ctx, &sink, chat, &mut last).await {
                        return Ok(());
                    }
                }
                // The chat was removed.
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}

/// Sends every stored event after `last`, page by page; `false` when the client is gone.
pub(super) async fn catch_up(ctx: &ApiContext, sink: &SubscriptionSink, chat: ChatId, last: &mut u64) -> bool {
    loop {
        let page: Vec<ChatEvent> = match ctx.chats.events_after(chat, *last, 500).await {
            Ok(page) => page,
            Err(_) => return false,
        };
        if page.is_empty() {
            return true;
        }
        for e in &page {
            if !notify(sink, &event_info(e)).await {
                return false;
            }
            *last = e.seq;
        }
    }
}

pub(super) async fn subscribe_workspaces(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::WORKSPACES_SUBSCRIBE.name;
    let p: api::WorkspacesSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let mut live = ctx.notices.subscribe();
    let only = match &p.workspace {
        None => None,
        Some(w) => match ctx.workspaces.resolve(w).await {
            Ok((_, ws)) => Some(ws.id),
            Err(e) => {
                pending.reject(error_object(NAME, e)).await;
                return Ok(());
            }
        },
    };
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            notice = live.recv() => {
                let notice = match notice {
                    Ok(n) => n,
                    // Statuses are state, not history: a lagging client gets the next ones.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return Ok(()),
                };
                let item = match notice {
                    Notice::ChatChanged(c) if only.is_none_or(|w| w == c.workspace_id) => {
                        api::WorkspaceNotice::Chat { chat: chat_info(&c) }
                    }
                    Notice::ChatRemoved(c) if only.is_none_or(|w| w == c.workspace_id) => {
                        api::WorkspaceNotice::ChatRemoved { chat: chat_info(&c) }
                    }
                    Notice::QueueChanged { workspace, chat, queue } if only.is_none_or(|w| w == workspace) => {
                        api::WorkspaceNotice::Queue { chat_id: chat.0, queue: queue.iter().map(queued_info).collect() }
                    }
                    Notice::WorkspaceCreated { project, workspace } if only.is_none_or(|w| w == workspace.id) => {
                        api::WorkspaceNotice::WorkspaceCreated { workspace: workspace_info(project.as_str(), &workspace, false) }
                    }
                    Notice::WorkspaceChanged { project, workspace } if only.is_none_or(|w| w == workspace.id) => {
                        api::WorkspaceNotice::WorkspaceChanged { workspace: workspace_info(project.as_str(), &workspace, false) }
                    }
                    Notice::WorkspaceRemoved { project, workspace } if only.is_none_or(|w| w == workspace.id) => {
                        api::WorkspaceNotice::WorkspaceRemoved { workspace: workspace_info(project.as_str(), &workspace, false) }
                    }
                    Notice::ScriptRunChanged { run, .. } if only.is_none_or(|w| w == run.workspace_id) => {
                        api::WorkspaceNotice::ScriptRun { run: script_run_info(&run) }
                    }
                    Notice::ScriptOutput { workspace, run, offset, text } if only.is_none_or(|w| w == workspace) => {
                        api::WorkspaceNotice::ScriptOutput { workspace_id: workspace.0, run_id: run.0, offset, text }
                    }
                    Notice::ReviewChanged { workspace } if only.is_none_or(|w| w == workspace) => {
                        api::WorkspaceNotice::Comments { workspace_id: workspace.0 }
                    }
                    Notice::ProjectConfigChanged(project) => {
                        api::WorkspaceNotice::ProjectConfig { project: project.to_string() }
                    }
                    Notice::LayoutChanged(layout)
                        if match layout.scope {
                            LayoutScope::Global => true,
                            LayoutScope::Workspace(id) => only.is_none_or(|w| w == id),
                        } =>
                    {
                        let Ok(info) = layout_info(layout.scope, Some(&layout)) else { continue };
                        let Some(document) = info.layout else { continue };
                        api::WorkspaceNotice::Layout {
                            workspace_id: info.workspace_id,
                            layout: document,
                            updated_at: layout.updated_at,
                        }
                    }
                    _ => continue,
                };
                if !notify(&sink, &item).await {
                    return Ok(());
                }
            }
        }
    }
}

/// A workspace's files as they change on disk: the workspace is watched while this
/// subscription (or another on it) lasts; its lease goes with the sink.
pub(super) async fn watch_workspace(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::WORKSPACES_WATCH.name;
    let p: api::WorkspaceParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    // Joined before the watch starts, so no change falls between the two.
    let mut live = ctx.notices.subscribe();
    let (ws, lease) = match ctx.watches.follow(&p.workspace).await {
        Ok(l) => l,
        Err(e) => {
            pending.reject(error_object(NAME, e)).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    // Joining a watch already partial: told at once (the others were told when it happened).
    if let Some(why) = lease.degraded() {
        let item = api::FilesChangedInfo { workspace_id: ws.id.0, paths: Vec::new(), degraded: Some(why.to_owned()) };
        if !notify(&sink, &item).await {
            return Ok(());
        }
    }
    let _lease = lease;
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            notice = live.recv() => {
                let item = match notice {
                    Ok(Notice::FilesChanged { workspace, paths, degraded }) if workspace == ws.id => api::FilesChangedInfo {
                        workspace_id: workspace.0,
                        paths: paths.iter().map(|p| p.to_string()).collect(),
                        degraded,
                    },
                    Ok(_) => continue,
                    // Missed changes: say the whole workspace may have changed.
                    Err(RecvError::Lagged(_)) => api::FilesChangedInfo { workspace_id: ws.id.0, paths: Vec::new(), degraded: None },
                    Err(RecvError::Closed) => return Ok(()),
                };
                if !notify(&sink, &item).await {
                    return Ok(());
                }
            }
        }
    }
}

/// The current state first, then each change. States, not history: a lagging client gets the
/// next one (and the current state is always one `tunnel.status` away).
pub(super) async fn subscribe_tunnel(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    if let Err(e) = parse_params::<api::NoParams>(api::TUNNEL_SUBSCRIBE.name, &params) {
        pending.reject(e).await;
        return Ok(());
    }
    // Joined before the state is read, so no change falls between the two.
    let mut live = ctx.notices.subscribe();
    let sink = pending.accept().await?;
    if !notify(&sink, &tunnel_info(&ctx.tunnels.status())).await {
        return Ok(());
    }
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            notice = live.recv() => {
                let state = match notice {
                    Ok(Notice::TunnelChanged(state)) => state,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => ctx.tunnels.status(),
                    Err(RecvError::Closed) => return Ok(()),
                };
                if !notify(&sink, &tunnel_info(&state)).await {
                    return Ok(());
                }
            }
        }
    }
}

pub(super) async fn subscribe_terminal(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::TERMINALS_SUBSCRIBE.name;
    let p: api::TerminalsSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let mut feed = match ctx.terminals.subscribe(TerminalId(p.terminal), p.after) {
        Ok(feed) => feed,
        Err(e) => {
            pending.reject(error_object(NAME, e)).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    // Bytes of a character cut at the end of a piece, waiting for the rest of it.
    let mut held = TerminalOutput::default();
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            out = feed.next() => {
                let Some(out) = out else {
                    if !held.data.is_empty() && !notify(&sink, &output_item(&held, true)).await {
                        return Ok(());
                    }
                    let _ = notify(&sink, &api::TerminalStreamItem::Exit { terminal: terminal_info(&feed.terminal()) }).await;
                    return Ok(());
                };
                let piece = if held.data.is_empty() {
                    out
                } else if held.end() == out.start {
                    let mut data = std::mem::take(&mut held.data);
                    data.extend_from_slice(&out.data);
                    TerminalOutput { start: held.start, data }
                } else {
                    // A jump in offsets: what was held will never be completed.
                    if !notify(&sink, &output_item(&std::mem::take(&mut held), true)).await {
                        return Ok(());
                    }
                    out
                };
                let text = terminal_output(&piece, false);
                let kept = usize::try_from(text.offset - piece.start).unwrap_or(piece.data.len());
                held = TerminalOutput { start: text.offset, data: piece.data[kept..].to_vec() };
                if kept > 0 {
                    let item = api::TerminalStreamItem::Output { data: text.data, start: text.start, offset: text.offset };
                    if !notify(&sink, &item).await {
                        return Ok(());
                    }
                }
            }
        }
    }
}

pub(super) fn output_item(out: &TerminalOutput, last: bool) -> api::TerminalStreamItem {
    let api::TerminalOutputInfo { data, start, offset } = terminal_output(out, last);
    api::TerminalStreamItem::Output { data, start, offset }
}
