//! `band chats ...`: agents in workspaces, from the command line.

use band_api::{self as api, EventBody, EventInfo};
use clap::Subcommand;

use crate::output::Printer;
use crate::{Caller, Failure, selector};

#[derive(Subcommand)]
pub enum ChatsCmd {
    /// Start a chat with an agent in a workspace (default: the one containing the current directory).
    Create {
        workspace: Option<String>,
        /// An agent id from `band agents list` (default claude-code).
        #[arg(long)]
        agent: Option<api::AgentId>,
        #[arg(long)]
        model: Option<String>,
        /// ask (default), accept-edits or allow-all.
        #[arg(long)]
        mode: Option<api::Mode>,
        #[arg(long)]
        name: Option<String>,
        /// A label, key=value (repeatable).
        #[arg(long = "label", value_name = "KEY=VALUE")]
        labels: Vec<String>,
        /// protocol (default) or terminal: the agent's interactive CLI in a terminal you can
        /// watch and type into (`band terminals attach`, the dashboard).
        #[arg(long)]
        via: Option<api::Via>,
    },
    /// List chats, of one workspace or all.
    List {
        workspace: Option<String>,
        /// Chats of every workspace.
        #[arg(long)]
        all: bool,
    },
    /// Show one chat.
    Get { chat: Option<i64> },
    /// Send a message (default chat: the current workspace's most recent, created if none).
    Send {
        chat: Option<i64>,
        #[arg(long, short)]
        message: String,
    },
    /// Print a chat's events as NDJSON: the log, then live until a turn ends with nothing queued.
    Watch {
        chat: Option<i64>,
        /// Start after this sequence number (default: from the beginning).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Keep following after the turn ends.
        #[arg(long)]
        follow: bool,
    },
    /// Answer a pending permission request.
    Respond {
        chat: i64,
        #[arg(long, conflicts_with = "deny", required_unless_present = "deny")]
        allow: bool,
        #[arg(long)]
        deny: bool,
        /// The request to answer, when several are pending.
        #[arg(long)]
        request: Option<String>,
    },
    /// End the current turn and the agent's processes.
    Stop { chat: Option<i64> },
    /// Ask the agent to end its turn early (its process keeps running).
    Interrupt { chat: Option<i64> },
    /// Delete a chat and its log (its agent is stopped first).
    Remove { chat: i64 },
    /// Rename a chat.
    Rename { chat: i64, name: String },
    /// Delete a chat with its events (refused while its agent works, unless --stop).
    Delete {
        chat: i64,
        /// Stop the agent first if it is working.
        #[arg(long)]
        stop: bool,
    },
    /// Set labels: key=value ...
    Label {
        chat: i64,
        #[arg(required = true, value_name = "KEY=VALUE")]
        labels: Vec<String>,
    },
    /// Remove labels by key.
    Unlabel {
        chat: i64,
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Change a chat's model, mode or name.
    Set {
        chat: i64,
        #[arg(long)]
        model: Option<String>,
        /// ask, accept-edits or allow-all.
        #[arg(long)]
        mode: Option<api::Mode>,
        #[arg(long)]
        name: Option<String>,
    },
    /// The queue of messages waiting for a busy chat; edit, move or cancel them.
    Queue {
        chat: i64,
        #[command(subcommand)]
        action: Option<QueueCmd>,
    },
    /// A chat's turns: usage, cost, duration, stop reason.
    Turns { chat: i64 },
    /// A chat's transcript, turn by turn (prompt, response, tool calls with their decisions):
    /// Markdown, or JSON with `--format json`, on stdout.
    Export {
        chat: Option<i64>,
        /// md (default) or json.
        #[arg(long)]
        format: Option<api::ExportFormat>,
    },
    /// Every chat of every workspace, those waiting for you first: status, what it waits on,
    /// its last message, tokens and cost.
    Overview,
    /// Usage totals of a chat, or of a workspace's chats.
    Usage {
        chat: Option<i64>,
        #[arg(long, conflicts_with = "chat")]
        workspace: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum QueueCmd {
    Edit { id: i64, text: String },
    Move { id: i64, position: u32 },
    Cancel { id: i64 },
}

fn labels(pairs: &[String]) -> Result<std::collections::BTreeMap<String, String>, Failure> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| Failure(format!("label '{p}' is not key=value")))
        })
        .collect()
}

/// The chat named, or the most recent chat of the workspace containing the current directory.
async fn chat_or_current(call: &Caller<'_>, chat: Option<i64>, create: bool) -> Result<i64, Failure> {
    if let Some(c) = chat {
        return Ok(c);
    }
    let workspace = selector(None)?;
    let chats = call.call::<api::ChatsList>(api::ChatsListParams { workspace: Some(workspace.clone()) }).await?;
    if let Some(latest) = chats.iter().max_by_key(|c| (c.updated_at, c.id)) {
        return Ok(latest.id);
    }
    if !create {
        return Err(Failure("no chat in this workspace; start one with `band chats create`".into()));
    }
    let params = api::ChatsCreateParams { workspace, ..Default::default() };
    Ok(call.call::<api::ChatsCreate>(params).await?.id)
}

pub async fn run(cmd: ChatsCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match cmd {
        ChatsCmd::Create { workspace, agent, model, mode, name, labels: l, via } => {
            let params = api::ChatsCreateParams {
                workspace: selector(workspace)?,
                agent,
                model,
                mode,
                name,
                labels: labels(&l)?,
                via,
            };
            out.chat(&call.call::<api::ChatsCreate>(params).await?)
        }
        ChatsCmd::List { workspace, all } => {
            let workspace = if all { None } else { Some(selector(workspace)?) };
            out.chats(&call.call::<api::ChatsList>(api::ChatsListParams { workspace }).await?)
        }
        ChatsCmd::Get { chat } => {
            let chat = chat_or_current(call, chat, false).await?;
            out.chat(&call.call::<api::ChatsGet>(api::ChatParams { chat }).await?)
        }
        ChatsCmd::Send { chat, message } => {
            let chat = chat_or_current(call, chat, true).await?;
            let r = call.call::<api::ChatsSend>(api::ChatsSendParams { chat, message }).await?;
            out.sent(chat, &r)
        }
        ChatsCmd::Watch { chat, after, follow } => {
            let chat = chat_or_current(call, chat, false).await?;
            watch(call, chat, after, follow).await
        }
        ChatsCmd::Respond { chat, allow, deny: _, request } => {
            let decision = if allow { api::Decision::Allow } else { api::Decision::Deny };
            out.chat(&call.call::<api::ChatsRespond>(api::ChatsRespondParams { chat, decision, request }).await?)
        }
        ChatsCmd::Stop { chat } => {
            let chat = chat_or_current(call, chat, false).await?;
            out.chat(&call.call::<api::ChatsStop>(api::ChatParams { chat }).await?)
        }
        ChatsCmd::Interrupt { chat } => {
            let chat = chat_or_current(call, chat, false).await?;
            out.chat(&call.call::<api::ChatsInterrupt>(api::ChatParams { chat }).await?)
        }
        ChatsCmd::Remove { chat } => out.chat(&call.call::<api::ChatsRemove>(api::ChatParams { chat }).await?),
        ChatsCmd::Rename { chat, name } => {
            out.chat(&call.call::<api::ChatsRename>(api::ChatsRenameParams { chat, name }).await?)
        }
        ChatsCmd::Delete { chat, stop } => {
            out.chat(&call.call::<api::ChatsDelete>(api::ChatsDeleteParams { chat, stop }).await?)
        }
        ChatsCmd::Label { chat, labels: l } => {
            let params = api::ChatsUpdateParams { chat, set_labels: labels(&l)?, ..Default::default() };
            out.chat(&call.call::<api::ChatsUpdate>(params).await?)
        }
        ChatsCmd::Unlabel { chat, keys } => {
            let params = api::ChatsUpdateParams { chat, remove_labels: keys, ..Default::default() };
            out.chat(&call.call::<api::ChatsUpdate>(params).await?)
        }
        ChatsCmd::Set { chat, model, mode, name } => {
            let params = api::ChatsUpdateParams { chat, model, mode, name, ..Default::default() };
            out.chat(&call.call::<api::ChatsUpdate>(params).await?)
        }
        ChatsCmd::Queue { chat, action } => match action {
            None => out.queue(&call.call::<api::ChatsQueue>(api::ChatParams { chat }).await?),
            Some(QueueCmd::Edit { id, text }) => {
                let q = call.call::<api::ChatsQueueEdit>(api::QueueEditParams { chat, id, text }).await?;
                out.queue(&[q])
            }
            Some(QueueCmd::Move { id, position }) => {
                out.queue(&call.call::<api::ChatsQueueMove>(api::QueueMoveParams { chat, id, position }).await?)
            }
            Some(QueueCmd::Cancel { id }) => {
                let q = call.call::<api::ChatsQueueCancel>(api::QueueItemParams { chat, id }).await?;
                out.queue(&[q])
            }
        },
        ChatsCmd::Turns { chat } => out.turns(&call.call::<api::ChatsTurns>(api::ChatParams { chat }).await?),
        ChatsCmd::Export { chat, format } => {
            let chat = chat_or_current(call, chat, false).await?;
            let export = call.call::<api::ChatsExport>(api::ChatsExportParams { chat, format }).await?;
            out.show(&export, || export.content.clone())
        }
        ChatsCmd::Overview => out.overview(&call.call::<api::ChatsOverview>(api::NoParams {}).await?),
        ChatsCmd::Usage { chat, workspace } => {
            let workspace = if chat.is_none() { Some(selector(workspace)?) } else { None };
            out.usage(&call.call::<api::ChatsUsage>(api::UsageParams { chat, workspace }).await?)
        }
    }
}

/// NDJSON: replay, then live; ends when a turn ends with nothing queued (unless `follow`).
async fn watch(call: &Caller<'_>, chat: i64, after: u64, follow: bool) -> Result<(), Failure> {
    use std::io::Write;
    let start = call.call::<api::ChatsGet>(api::ChatParams { chat }).await?;
    let mut sub = call
        .client
        .subscribe::<EventInfo>(&api::CHATS_SUBSCRIBE, serde_json::json!({"chat": chat, "after": after}))
        .await
        .map_err(|e| crate::explain(e, call.client))?;
    let busy = |s: &api::ChatStatus| matches!(s, api::ChatStatus::Working | api::ChatStatus::Waiting);
    if !follow && !busy(&start.status) && start.last_seq <= after {
        return Ok(());
    }
    let stdout = std::io::stdout();
    while let Some(event) = sub.next().await? {
        let line = serde_json::to_string(&event)?;
        {
            let mut out = stdout.lock();
            writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| Failure(format!("writing output: {e}")))?;
        }
        if follow || event.seq < start.last_seq {
            continue;
        }
        let ended = match &event.body {
            EventBody::Status { status } => !busy(status),
            _ => false,
        };
        if ended || (!busy(&start.status) && event.seq >= start.last_seq) {
            let queue = call.call::<api::ChatsQueue>(api::ChatParams { chat }).await?;
            if queue.is_empty() {
                return Ok(());
            }
        }
    }
    Err(Failure(format!("the server ended the subscription to chat {chat}")))
}
