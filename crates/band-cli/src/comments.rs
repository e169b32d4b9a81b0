//! `band workspaces comments ...`: review comments on a workspace's diff, sent to an agent as
//! one message.

use band_api as api;
use clap::Subcommand;

use crate::output::{Printer, table, when};
use crate::{Caller, Failure, selector};

#[derive(Subcommand)]
pub enum CommentsCmd {
    /// The workspace's open review comments (with --all, resolved ones too).
    List {
        workspace: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Comment on a line or a range of a file of the workspace's diff.
    Add {
        workspace: Option<String>,
        /// The file, relative to the workspace (as `band workspaces diff` names it).
        #[arg(long)]
        file: String,
        /// The line, or a range FIRST-LAST (counting from 1 on --side).
        #[arg(long, value_name = "N[-M]")]
        line: String,
        /// new (default: the workspace's lines) or old (the base's, for removed lines).
        #[arg(long)]
        side: Option<api::DiffSide>,
        /// The commented code, quoted to the agent.
        #[arg(long, default_value = "")]
        quote: String,
        /// The comment.
        #[arg(long, short)]
        body: String,
    },
    /// Resolve a comment (--reopen: open it again; it will be sent again).
    Resolve {
        comment: i64,
        #[arg(long)]
        reopen: bool,
    },
    /// Send every open, unsent comment as one message to a chat of the workspace (default: the
    /// one active last); queued when the chat is busy.
    Send {
        workspace: Option<String>,
        /// The chat's id (see `band chats list`).
        #[arg(long)]
        chat: Option<i64>,
    },
}

/// `N` or `N-M` as (first, last).
fn lines(value: &str) -> Result<(u32, Option<u32>), Failure> {
    let bad =
        || Failure(format!("--line '{value}' is not a line or a range: give N or FIRST-LAST, such as 12 or 12-18"));
    let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
    match value.split_once('-') {
        None => Ok((number(value)?, None)),
        Some((a, b)) => Ok((number(a)?, Some(number(b)?))),
    }
}

fn where_(c: &api::ReviewCommentInfo) -> String {
    let lines =
        if c.start_line == c.end_line { c.start_line.to_string() } else { format!("{}-{}", c.start_line, c.end_line) };
    let side = if c.side == api::DiffSide::Old { " (old)" } else { "" };
    format!("{}:{lines}{side}", c.path)
}

fn state(c: &api::ReviewCommentInfo) -> String {
    match (c.resolved, c.sent_at, c.sent_chat_id) {
        (true, _, _) => "resolved".into(),
        (false, Some(at), Some(chat)) => format!("sent to chat {chat} {}", when(at)),
        _ => "open".into(),
    }
}

pub async fn run(cmd: CommentsCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match cmd {
        CommentsCmd::List { workspace, all } => {
            let workspace = selector(workspace)?;
            let list = call.call::<api::WorkspacesComments>(api::CommentsListParams { workspace, all }).await?;
            out.show(&list, || {
                if list.is_empty() {
                    return "no review comments (add one with `band workspaces comments add`)".into();
                }
                let rows = list
                    .iter()
                    .map(|c| {
                        vec![c.id.to_string(), where_(c), state(c), c.body.lines().next().unwrap_or("").to_owned()]
                    })
                    .collect();
                table(&["ID", "WHERE", "STATE", "COMMENT"], rows)
            })
        }
        CommentsCmd::Add { workspace, file, line, side, quote, body } => {
            let (start_line, end_line) = lines(&line)?;
            let workspace = selector(workspace)?;
            let p = api::CommentsAddParams { workspace, path: file, side, start_line, end_line, quote, body };
            let c = call.call::<api::WorkspacesCommentsAdd>(p).await?;
            out.show(&c, || {
                format!("comment {} on {} (send it with `band workspaces comments send`)", c.id, where_(&c))
            })
        }
        CommentsCmd::Resolve { comment, reopen } => {
            let p = api::CommentsResolveParams { comment, resolved: Some(!reopen) };
            let c = call.call::<api::WorkspacesCommentsResolve>(p).await?;
            out.show(&c, || {
                if c.resolved {
                    format!("resolved comment {} on {}", c.id, where_(&c))
                } else {
                    format!("reopened comment {} on {}: it will be sent again", c.id, where_(&c))
                }
            })
        }
        CommentsCmd::Send { workspace, chat } => {
            let workspace = selector(workspace)?;
            let s = call.call::<api::WorkspacesCommentsSend>(api::CommentsSendParams { workspace, chat }).await?;
            out.show(&s, || {
                let how = match s.sent.outcome {
                    api::SendOutcome::Started => "the agent is on it",
                    api::SendOutcome::Queued => "queued: the chat is busy, it goes next",
                };
                format!("sent {} comment(s) to chat {} ({how})", s.comments.len(), s.chat_id)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lines;

    #[test]
    fn line_flags_are_a_line_or_a_range() {
        assert_eq!(lines("12").ok(), Some((12, None)));
        assert_eq!(lines("3-7").ok(), Some((3, Some(7))));
        assert!(lines("a").is_err());
        assert!(lines("3-").is_err());
    }
}
