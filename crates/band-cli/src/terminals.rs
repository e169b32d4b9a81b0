//! `band terminals ...`: shells in workspaces, from the command line.

use std::io::{Read, Write};

use band_api::{self as api, TerminalStreamItem};
use clap::Subcommand;

use crate::output::Printer;
use crate::{Caller, Failure, selector};

#[derive(Subcommand)]
pub enum TerminalsCmd {
    /// List terminals, of one workspace (default: the one containing the current directory) or all.
    List {
        workspace: Option<String>,
        /// Terminals of every workspace.
        #[arg(long)]
        all: bool,
    },
    /// Open a shell in a workspace (default: the one containing the current directory).
    Create {
        workspace: Option<String>,
        /// Columns, 1 to 500 (default 80).
        #[arg(long)]
        cols: Option<i64>,
        /// Rows, 1 to 200 (default 24).
        #[arg(long)]
        rows: Option<i64>,
        #[arg(long)]
        title: Option<String>,
    },
    /// Type TEXT into a terminal, literally, then Enter (unless --no-enter).
    Send {
        terminal: i64,
        #[arg(required_unless_present = "stdin", conflicts_with = "stdin")]
        text: Option<String>,
        /// Send standard input as it is instead (no Enter is added).
        #[arg(long)]
        stdin: bool,
        /// Do not press Enter after TEXT.
        #[arg(long, short = 'n')]
        no_enter: bool,
    },
    /// Print a terminal's output: its scrollback, or with -f everything live until it exits.
    Output {
        terminal: i64,
        /// Keep printing output as it comes, until the shell exits (or Ctrl-C).
        #[arg(long, short)]
        follow: bool,
        /// Start after this byte offset (default: the whole scrollback).
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
    /// Change a terminal's size.
    Resize { terminal: i64, cols: i64, rows: i64 },
    /// End a terminal's shell and everything it started.
    Kill { terminal: i64 },
}

/// What a terminal's Enter key sends.
const ENTER: &str = "\r";

pub async fn run(cmd: TerminalsCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match cmd {
        TerminalsCmd::List { workspace, all } => {
            let workspace = if all { None } else { Some(selector(workspace)?) };
            out.terminals(&call.call::<api::TerminalsList>(api::TerminalsListParams { workspace }).await?)
        }
        TerminalsCmd::Create { workspace, cols, rows, title } => {
            let params = api::TerminalsCreateParams { workspace: selector(workspace)?, cols, rows, title };
            out.terminal_created(&call.call::<api::TerminalsCreate>(params).await?)
        }
        TerminalsCmd::Send { terminal, text, stdin, no_enter } => {
            let data = match text {
                Some(mut text) if !stdin => {
                    if !no_enter {
                        text.push_str(ENTER);
                    }
                    text
                }
                _ => {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|e| Failure(format!("reading standard input: {e} (it must be UTF-8 text)")))?;
                    text
                }
            };
            let t = call.call::<api::TerminalsSend>(api::TerminalsSendParams { terminal, data }).await?;
            out.terminal_sent(&t)
        }
        TerminalsCmd::Output { terminal, follow: false, after } => {
            let params = api::TerminalsOutputParams { terminal, after: Some(after) };
            out.terminal_output(&call.call::<api::TerminalsOutput>(params).await?)
        }
        TerminalsCmd::Output { terminal, follow: true, after } => follow(call, out, terminal, after).await,
        TerminalsCmd::Resize { terminal, cols, rows } => {
            let params = api::TerminalsResizeParams { terminal, cols, rows };
            out.terminal(&call.call::<api::TerminalsResize>(params).await?)
        }
        TerminalsCmd::Kill { terminal } => {
            out.terminal_killed(&call.call::<api::TerminalsKill>(api::TerminalParams { terminal }).await?)
        }
    }
}

/// The scrollback, then live output until the shell exits: raw text, or NDJSON items in JSON mode.
async fn follow(call: &Caller<'_>, out: &Printer, terminal: i64, after: u64) -> Result<(), Failure> {
    let mut sub = call
        .client
        .subscribe::<TerminalStreamItem>(
            &api::TERMINALS_SUBSCRIBE,
            serde_json::json!({"terminal": terminal, "after": after}),
        )
        .await
        .map_err(|e| crate::explain(e, call.client))?;
    let stdout = std::io::stdout();
    let write = |bytes: &[u8]| {
        let mut o = stdout.lock();
        o.write_all(bytes).and_then(|()| o.flush()).map_err(|e| Failure(format!("writing output: {e}")))
    };
    while let Some(item) = sub.next().await? {
        if out.json {
            write(format!("{}\n", serde_json::to_string(&item)?).as_bytes())?;
        } else if let TerminalStreamItem::Output { data, .. } = &item {
            write(data.as_bytes())?;
        }
        if let TerminalStreamItem::Exit { terminal: t } = &item {
            if !out.json {
                eprintln!("\n[terminal {} exited: {}]", t.id, crate::output::exit_text(t));
            }
            return Ok(());
        }
    }
    Err(Failure(format!("the server ended the subscription to terminal {terminal}")))
}
