//! The `band` CLI: every capability of band-server, scriptable.
//!
//! Readable text by default; `--output json` (or `BAND_OUTPUT=json`) prints exactly one JSON
//! document on stdout. An error is one line on stderr, `error: ...` (with `--output json`:
//! `{"error": "..."}`), and exit code 1.
//! The server is `BAND_SERVER_URL` (default `http://127.0.0.1:<webServerPort>`), the token
//! `BAND_TOKEN` or else `tokenSecret` from `$BAND_HOME/settings.json` (read, never written).
//! A workspace argument left out means the workspace containing the current directory.
//!
//! Invariant: the CLI speaks only the API in band-adapters' `api` module, with its types; it
//! never reads band's database or runs git itself.

mod chats;
mod comments;
mod cronjobs;
mod devices;
mod notify;
mod output;
mod policy;
mod pulls;
mod setup;
mod terminals;
mod tunnel;
mod usage;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use band_api::client::{Client, ClientError};
use band_api::{self as api, Method};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "band", version, about = "Drive band-server: projects, workspaces and agents.")]
struct Cli {
    /// Output format.
    #[arg(long, short, global = true, env = "BAND_OUTPUT", value_enum, default_value_t = Format::Text)]
    output: Format,
    /// band-server's URL (default http://127.0.0.1:<webServerPort from settings, else 3456>).
    #[arg(long, global = true, env = "BAND_SERVER_URL")]
    server: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum SettingsCmd {
    /// Change one setting (main token only): defaults.agent, defaults.mode, defaults.model,
    /// agentIdleTimeoutSeconds, maxLiveAgents, worktreesDir, terminals.shell. An empty value returns to the
    /// default.
    Set {
        #[arg(value_name = "KEY=VALUE")]
        pair: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Is the server up? (needs no token)
    Health,
    /// Show the server's settings (never the token), or change one: `band settings set KEY=VALUE`.
    Settings {
        #[command(subcommand)]
        action: Option<SettingsCmd>,
    },
    /// Print the API's OpenRPC description, or one method's (e.g. `band schema workspaces create`).
    Schema { command: Vec<String> },
    /// Registered git repositories.
    #[command(subcommand)]
    Projects(ProjectsCmd),
    /// Git worktrees, one per piece of work.
    #[command(subcommand)]
    Workspaces(WorkspacesCmd),
    /// The agents band can run: installed or not, their versions, how to install the others.
    #[command(subcommand)]
    Agents(AgentsCmd),
    /// Chats: coding agents at work in workspaces.
    #[command(subcommand)]
    Chats(chats::ChatsCmd),
    /// Terminals: shells in workspaces.
    #[command(subcommand)]
    Terminals(terminals::TerminalsCmd),
    /// Cronjobs: prompts sent on a schedule, with their history.
    #[command(subcommand)]
    Cronjobs(cronjobs::CronjobsCmd),
    /// Paired devices (main token only).
    #[command(subcommand)]
    Devices(devices::DevicesCmd),
    /// Pair a device: print a QR code (and URL) that opens the dashboard signed in as it.
    Qr {
        /// read (watch only) or control (send, approve, terminals).
        #[arg(long, default_value = "read")]
        scope: api::DeviceScope,
        /// What to call the device.
        #[arg(long, default_value = "phone")]
        name: String,
    },
    /// The main token (main token only).
    #[command(subcommand)]
    Token(devices::TokenCmd),
    /// The audit, newest first: sign-ins, pairings, refusals, revocations and rotations
    /// (`--kind access`, the default), or agent actions (tool calls with their decision and who or
    /// what decided, cronjob runs, policy changes, refused turns) with the filters. `export`
    /// prints every matching entry as JSON lines.
    Audit {
        #[command(subcommand)]
        cmd: Option<policy::AuditCmd>,
        #[command(flatten)]
        filters: policy::AuditArgs,
    },
    /// Policies: rules band applies to every agent's tool calls before anyone is asked.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
    /// Usage of ended turns (tokens in, out and cached, cost, duration) grouped by day (or
    /// --by agent, model, project, workspace, chat, cronjob), with their tool calls; --turns
    /// lists them one by one.
    Usage(usage::UsageArgs),
    /// The tunnel: a public URL for this server (cloudflared or bore).
    #[command(subcommand)]
    Tunnel(tunnel::TunnelCmd),
    /// For a terminal agent's hooks: forward the hook's JSON document (on stdin) to band-server,
    /// for the chat band started the agent for, and print band's decision when the hook asks
    /// one. Needs BAND_CHAT_ID and BAND_NOTIFY_SECRET, which band puts in that agent's
    /// environment; it needs no token.
    Notify,
}

#[derive(Subcommand)]
enum AgentsCmd {
    /// Every agent band knows (built in, or from settings.json), installed ones first.
    List,
}

#[derive(Subcommand)]
enum ProjectsCmd {
    /// Register the git repository at PATH.
    Add {
        path: PathBuf,
        /// Project name (default: the repository's directory name).
        #[arg(long)]
        name: Option<String>,
    },
    /// List projects.
    List,
    /// Forget a project (its repository is left untouched); refused while it has workspaces,
    /// unless --everything.
    Remove {
        name: String,
        /// Also stop its chats and terminals and remove its workspaces (refusing those with
        /// uncommitted or unmerged work unless --force), warning for each failure.
        #[arg(long)]
        everything: bool,
        /// With --everything: remove workspaces with uncommitted or unmerged work too (a branch
        /// with unmerged commits is still kept).
        #[arg(long)]
        force: bool,
    },
    /// Show the project's configuration (.band/config.json, or band's override): scripts,
    /// copyFiles, defaults, and whether its scripts are approved.
    Config {
        project: String,
        /// Replace the repository's configuration with this JSON file (band's override).
        #[arg(long, value_name = "FILE")]
        set: Option<PathBuf>,
        /// Return to the repository's configuration.
        #[arg(long)]
        clear: bool,
    },
    /// Show the project's setup and teardown scripts, then approve exactly them: they run in its
    /// workspaces from then on, until they change (as direnv's allow).
    Trust {
        project: String,
        /// Approve only if the scripts still have this hash (what `band projects config` showed).
        #[arg(long)]
        hash: Option<String>,
    },
    /// Withdraw every approval of the project's scripts.
    Untrust { project: String },
    /// The project's open pull requests with their checks (through band-server's `gh`).
    Prs { project: String },
}

#[derive(Subcommand)]
enum WorkspacesCmd {
    /// Create a worktree on BRANCH (new from --base, default the project's default branch).
    Create {
        project: String,
        /// The new worktree's branch (new from --base, or existing).
        #[arg(required_unless_present_any = ["direct", "pr"])]
        branch: Option<String>,
        #[arg(long, conflicts_with_all = ["direct", "pr"])]
        base: Option<String>,
        /// A pull request of the project's repository (its number or URL): the workspace is made
        /// on its branch, fetched first if needed.
        #[arg(long, conflicts_with_all = ["direct", "branch"])]
        pr: Option<String>,
        /// Work in the project's own checkout (on the branch it has checked out) instead of a new
        /// worktree; removing the workspace never touches the checkout.
        #[arg(long, conflicts_with = "branch")]
        direct: bool,
        /// Start a chat in the new workspace with this first message.
        #[arg(long)]
        prompt: Option<String>,
        /// The chat's agent (with --prompt): an id from `band agents list` (default claude-code).
        #[arg(long, requires = "prompt")]
        agent: Option<api::AgentId>,
        /// The chat's model (with --prompt).
        #[arg(long, requires = "prompt")]
        model: Option<String>,
        /// The chat's permission mode (with --prompt): ask, accept-edits or allow-all.
        #[arg(long, requires = "prompt")]
        mode: Option<api::Mode>,
        /// How the chat's agent runs (with --prompt): protocol (default) or terminal (its
        /// interactive CLI in a terminal you can watch and type into).
        #[arg(long, requires = "prompt")]
        via: Option<api::Via>,
    },
    /// List workspaces, of one project or all.
    List { project: Option<String> },
    /// Show one workspace (default: the one containing the current directory).
    Get { workspace: Option<String> },
    /// Uncommitted changes and ahead/behind counts.
    Status { workspace: Option<String> },
    /// Unified diff against the merge base with the workspace's base.
    Diff { workspace: Option<String> },
    /// Run the workspace's setup script (again) and follow its output to its end.
    Setup { workspace: Option<String> },
    /// The workspace's setup and teardown runs, and the last one's output.
    Scripts {
        workspace: Option<String>,
        /// Follow a running script's output to its end.
        #[arg(long)]
        follow: bool,
    },
    /// Remove a workspace's worktree; refused with uncommitted or unmerged work unless --force.
    Remove {
        workspace: Option<String>,
        /// Discard uncommitted changes; a branch with unmerged commits is still kept.
        #[arg(long)]
        force: bool,
    },
    /// Merge the workspace back: commit everything, rebase onto (or merge) the base, move the base
    /// forward in the checkout when safe, push the branch. A conflict lists the files and changes
    /// nothing.
    Merge {
        workspace: Option<String>,
        /// The commit message for uncommitted changes (default: drafted from the chats).
        #[arg(short, long)]
        message: Option<String>,
        /// rebase (default) or merge.
        #[arg(long)]
        strategy: Option<api::MergeStrategyName>,
        /// Do not push the branch.
        #[arg(long)]
        no_push: bool,
    },
    /// Open a pull request for the workspace's branch (pushed first; title and body drafted from
    /// its chats unless given), or with --status show its state and checks.
    Pr {
        workspace: Option<String>,
        /// Show the workspace's pull request and its checks instead.
        #[arg(long, conflicts_with_all = ["title", "body", "draft"])]
        status: bool,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        /// Open it as a draft.
        #[arg(long)]
        draft: bool,
    },
    /// Review comments on the workspace's diff: list, add, resolve, send to the agent.
    #[command(subcommand)]
    Comments(comments::CommentsCmd),
    /// Ahead/behind the base and the remote, uncommitted files, disk use, last activity.
    Facts { workspace: Option<String> },
    /// Remove the worktree but keep the branch and the chats; refused with uncommitted changes.
    Archive { workspace: Option<String> },
    /// Make an archived workspace's worktree again.
    Restore { workspace: String },
    /// Say what a clean-up would archive and reclaim (idle, nothing uncommitted or unpushed), and
    /// what it keeps and why; --apply archives them.
    Gc {
        /// Idle at least this many days (default: retention.archiveIdleDays, else 14).
        #[arg(long)]
        idle_days: Option<u32>,
        #[arg(long)]
        apply: bool,
    },
}

/// A failure to report: the message shown to the user.
#[derive(Debug)]
pub struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

/// Runs the CLI with the process's arguments and environment.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            // "the following required arguments were not provided:" names them on the next line.
            let first = match (first.ends_with(':'), lines.next()) {
                (true, Some(what)) => format!("{first} {what}"),
                _ => first.to_owned(),
            };
            return fail(&format!("{first} (see `band --help`)"));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => fail(&message),
    }
}

/// Reports a failure on stderr: one line `error: ...` for a person, or `{"error": "..."}` with
/// `--output json` (or `BAND_OUTPUT=json`); exit code 1 either way.
fn fail(message: &str) -> ExitCode {
    if json_output() {
        eprintln!("{}", serde_json::json!({ "error": message }));
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::FAILURE
}

/// Whether JSON output was asked for, read from the raw arguments so that it holds even when
/// the arguments did not parse.
fn json_output() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = args.iter().enumerate().find_map(|(i, a)| match a.as_str() {
        "--output" | "-o" => args.get(i + 1).map(String::as_str),
        a => a.strip_prefix("--output=").or_else(|| a.strip_prefix("-o")).filter(|v| !v.is_empty()),
    });
    match flag {
        Some(format) => format == "json",
        None => std::env::var("BAND_OUTPUT").is_ok_and(|v| v == "json"),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let out = output::Printer { json: cli.output == Format::Json };
    match cli.command {
        Command::Schema { command } => return out.schema(&command),
        Command::Health => {
            let client = connect(cli.server.as_deref(), false)?;
            let health = client.health().await.map_err(|e| explain(e, &client))?;
            return out.health(&health, client.base_url());
        }
        Command::Notify => return notify::run(cli.server.as_deref()).await,
        _ => {}
    }
    let client = connect(cli.server.as_deref(), true)?;
    let call = Caller { client: &client };
    match cli.command {
        Command::Health | Command::Schema { .. } | Command::Notify => Ok(()),
        Command::Settings { action: None } => out.settings(&call.call::<api::SettingsGet>(api::NoParams {}).await?),
        Command::Settings { action: Some(SettingsCmd::Set { pair }) } => {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(Failure(format!("'{pair}' is not KEY=VALUE (e.g. defaults.mode=accept-edits)")));
            };
            let params = api::SettingsSetParams { key: key.trim().to_owned(), value: value.to_owned() };
            out.setting_changed(&call.call::<api::SettingsSet>(params).await?)
        }
        Command::Projects(cmd) => match cmd {
            ProjectsCmd::Add { path, name } => {
                let path = absolute(&path)?;
                let p = call.call::<api::ProjectsAdd>(api::ProjectsAddParams { path, name }).await?;
                out.project_added(&p)
            }
            ProjectsCmd::List => out.projects(&call.call::<api::ProjectsList>(api::NoParams {}).await?),
            ProjectsCmd::Remove { everything: false, force: true, .. } => Err(Failure(
                "--force goes with --everything (it removes workspaces with unsaved work); a project alone is removed without it".into(),
            )),
            ProjectsCmd::Remove { name, everything: false, .. } => {
                out.project_removed(&call.call::<api::ProjectsRemove>(api::ProjectNameParams { name }).await?)
            }
            ProjectsCmd::Remove { name, everything: true, force } => {
                let r = call.call::<api::ProjectsPurge>(api::ProjectsPurgeParams { name, force }).await?;
                for w in &r.warnings {
                    eprintln!("warning: {w}");
                }
                if !r.project_removed {
                    return Err(Failure(format!(
                        "project {} was kept: {} workspace(s) removed, {} warning(s) above; `--force` removes workspaces with uncommitted or unmerged work too",
                        r.name,
                        r.removed.len(),
                        r.warnings.len()
                    )));
                }
                out.show(&r, || {
                    let mut t = String::new();
                    for w in &r.removed {
                        t.push_str(&format!("removed workspace {}/{}\n", w.workspace.project, w.workspace.branch));
                    }
                    t.push_str(&format!("removed project {} (its repository is untouched)", r.name));
                    t
                })
            }
            ProjectsCmd::Config { project, set, clear } => setup::config(project, set, clear, &call, &out).await,
            ProjectsCmd::Trust { project, hash } => setup::trust(project, hash, &call, &out).await,
            ProjectsCmd::Untrust { project } => setup::untrust(project, &call, &out).await,
            ProjectsCmd::Prs { project } => pulls::prs(project, &call, &out).await,
        },
        Command::Workspaces(cmd) => match cmd {
            WorkspacesCmd::Create { project, branch, base, pr, direct, prompt, agent, model, mode, via } => {
                let params =
                    api::WorkspacesCreateParams { project, branch, direct, base, prompt, agent, model, mode, via, pr };
                out.workspace_created(&call.call::<api::WorkspacesCreate>(params).await?)
            }
            WorkspacesCmd::List { project } => {
                out.workspaces(&call.call::<api::WorkspacesList>(api::WorkspacesListParams { project }).await?)
            }
            WorkspacesCmd::Get { workspace } => {
                let workspace = selector(workspace)?;
                out.workspace(&call.call::<api::WorkspacesGet>(api::WorkspaceParams { workspace }).await?)
            }
            WorkspacesCmd::Status { workspace } => {
                let workspace = selector(workspace)?;
                out.status(&call.call::<api::WorkspacesStatus>(api::WorkspaceParams { workspace }).await?)
            }
            WorkspacesCmd::Diff { workspace } => {
                let workspace = selector(workspace)?;
                out.diff(&call.call::<api::WorkspacesDiff>(api::WorkspaceParams { workspace }).await?)
            }
            WorkspacesCmd::Setup { workspace } => setup::setup(selector(workspace)?, &call, &out).await,
            WorkspacesCmd::Scripts { workspace, follow } => {
                setup::scripts(selector(workspace)?, follow, &call, &out).await
            }
            WorkspacesCmd::Remove { workspace, force } => {
                let workspace = selector(workspace)?;
                let p = api::WorkspacesRemoveParams { workspace, force };
                out.workspace_removed(&call.call::<api::WorkspacesRemove>(p).await?)
            }
            WorkspacesCmd::Merge { workspace, message, strategy, no_push } => {
                let workspace = selector(workspace)?;
                let p = api::WorkspacesMergeParams { workspace, message, strategy, push: Some(!no_push) };
                let m = call.call::<api::WorkspacesMerge>(p).await?;
                if !m.conflicts.is_empty() && !out.json {
                    return Err(Failure(format!(
                        "merging {}/{} into {} stopped at conflicts in {} file(s): {}; nothing was changed (the workspace is as it was). Resolve them in the workspace (merge or rebase {} there, or ask the agent), then merge again",
                        m.workspace.project,
                        m.workspace.branch,
                        m.workspace.base,
                        m.conflicts.len(),
                        m.conflicts.join(", "),
                        m.workspace.base
                    )));
                }
                out.show(&m, || {
                    let mut t =
                        format!("merged {}/{} onto {}", m.workspace.project, m.workspace.branch, m.workspace.base);
                    if let Some(c) = &m.committed {
                        t.push_str(&format!(
                            "\ncommitted the uncommitted changes as {} ({})",
                            &c[..c.len().min(12)],
                            m.message
                        ));
                    }
                    match (&m.base_moved, &m.base_kept_because) {
                        (Some(w), _) => t.push_str(&format!("\n{w}")),
                        (None, Some(why)) => t.push_str(&format!("\nbase left as it is: {why}")),
                        _ => {}
                    }
                    match (&m.pushed, &m.push_failed) {
                        (Some(r), _) => t.push_str(&format!("\npushed {} to {r}", m.workspace.branch)),
                        (None, Some(why)) => t.push_str(&format!("\nnot pushed: {why}")),
                        _ => {}
                    }
                    t
                })
            }
            WorkspacesCmd::Pr { workspace, status, title, body, draft } => {
                pulls::pr(workspace, status, title, body, draft, &call, &out).await
            }
            WorkspacesCmd::Comments(cmd) => comments::run(cmd, &call, &out).await,
            WorkspacesCmd::Facts { workspace } => {
                let workspace = selector(workspace)?;
                out.facts(&call.call::<api::WorkspacesFacts>(api::WorkspaceParams { workspace }).await?)
            }
            WorkspacesCmd::Archive { workspace } => {
                let workspace = selector(workspace)?;
                let w = call.call::<api::WorkspacesArchive>(api::WorkspaceParams { workspace }).await?;
                out.show(&w, || {
                    format!(
                        "archived workspace {}/{}: its worktree is removed; branch {} and its chats are kept (`band workspaces restore {}`)",
                        w.project, w.branch, w.branch, w.id
                    )
                })
            }
            WorkspacesCmd::Restore { workspace } => {
                let w = call.call::<api::WorkspacesRestore>(api::WorkspaceParams { workspace }).await?;
                out.show(&w, || format!("restored workspace {}/{} at {}", w.project, w.branch, w.path))
            }
            WorkspacesCmd::Gc { idle_days, apply } => {
                out.gc(&call.call::<api::WorkspacesGc>(api::WorkspacesGcParams { idle_days, apply }).await?)
            }
        },
        Command::Agents(AgentsCmd::List) => out.agents(&call.call::<api::AgentsList>(api::NoParams {}).await?),
        Command::Chats(cmd) => chats::run(cmd, &call, &out).await,
        Command::Terminals(cmd) => terminals::run(cmd, &call, &out).await,
        Command::Cronjobs(cmd) => cronjobs::run(cmd, &call, &out).await,
        Command::Devices(cmd) => devices::devices(cmd, &call, &out).await,
        Command::Qr { scope, name } => devices::qr(name, scope, &call, &out).await,
        Command::Token(devices::TokenCmd::Rotate) => {
            devices::rotate(&call, &out).await?;
            // The new token is in settings.json when this machine runs the server.
            let fresh = connect(cli.server.as_deref(), true).ok();
            if let Some(link) = fresh.as_ref().and_then(sign_in_link).filter(|_| !out.json) {
                println!("Sign in again with {link}");
            }
            Ok(())
        }
        Command::Audit { cmd: None, filters } => policy::audit(filters, &call, &out).await,
        Command::Audit { cmd: Some(policy::AuditCmd::Export { filters }), .. } => policy::export(filters, &call).await,
        Command::Policy(cmd) => policy::run(cmd, &call, &out).await,
        Command::Usage(args) => usage::run(args, &call, &out).await,
        Command::Tunnel(cmd) => tunnel::run(cmd, &call, &out).await,
    }
}

pub(crate) struct Caller<'a> {
    pub(crate) client: &'a Client,
}

impl Caller<'_> {
    pub(crate) async fn call<M: Method>(&self, params: M::Params) -> Result<M::Result, Failure> {
        self.client.call::<M>(&params).await.map_err(|e| explain(e, self.client))
    }
}

/// Turns a client error into what the user should read.
pub(crate) fn explain(e: ClientError, client: &Client) -> Failure {
    match e {
        ClientError::Unreachable { url } => Failure(format!(
            "band-server is not running at {url}; start it with `band-server` (or `./scripts/run.sh` in band's checkout), or point BAND_SERVER_URL at it"
        )),
        ClientError::Http { status: 401, message } => Failure(format!(
            "{message} (the server at {} refused the token; set BAND_TOKEN or BAND_HOME to match it)",
            client.base_url()
        )),
        ClientError::Rpc { data: Some(data), .. } => Failure(match data.fix {
            Some(fix) => format!("{}; {}", data.what, fix_words(&fix)),
            None => data.what,
        }),
        e => Failure(e.to_string()),
    }
}

/// What would fix a failure, in the CLI's own terms: its commands and flags.
pub(crate) fn fix_words(fix: &api::ErrorFix) -> String {
    use api::ErrorFix as F;
    match fix {
        F::SeeList { of } => format!("see `band {} list`", of.as_str()),
        F::ChooseName {} => "choose another with --name".into(),
        F::CommitOrForce {} => "commit them, or pass --force to discard them".into(),
        F::MergeOrForce {} => "merge them, or pass --force to remove the worktree (the branch is kept)".into(),
        F::RemoveWorkspacesFirst { project } => {
            format!("remove them first with `band workspaces remove {project}/<branch>`")
        }
        F::RemoveWorkspaceForced { workspace } => {
            format!("remove the workspace with `band workspaces remove {workspace} --force`")
        }
        F::StopChat { chat } => format!("stop it first (`band chats stop {chat}`)"),
        F::KillTerminal { terminal: Some(t) } => format!("kill it with `band terminals kill {t}`"),
        F::KillTerminal { terminal: None } => "kill one with `band terminals kill <id>`".into(),
        F::StopTunnel {} => "stop it first (`band tunnel stop`)".into(),
        F::NameRequest {} => "name one with --request".into(),
        F::PairAgain { scope } => {
            format!("pair it again with {} access (`band qr --scope {}`)", scope.as_str(), scope.as_str())
        }
        F::UseMainToken {} => "only the main token (on the machine running band-server) may do that".into(),
        F::NewPairingCode {} => "ask for a new one with `band qr`".into(),
        F::ApproveScripts { project } => format!("read and approve them with `band projects trust {project}`"),
        F::RestoreWorkspace { workspace } => format!("restore it first with `band workspaces restore {workspace}`"),
        F::InstallAgent { agent, install } => api::errors::install_words(agent, install.as_ref()),
        F::SetUpGh { signed_out } => api::errors::gh_words(*signed_out),
    }
}

/// The main-token sign-in link, when the token comes from this machine's settings.json.
fn sign_in_link(client: &Client) -> Option<String> {
    if std::env::var("BAND_TOKEN").is_ok_and(|t| !t.is_empty()) {
        return None;
    }
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home().join("settings.json")).ok()?).ok()?;
    let token = settings.get("tokenSecret")?.as_str()?;
    Some(format!("{}/?token={token}", client.base_url().trim_end_matches('/')))
}

fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("BAND_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join(".band")
}

/// The client for the configured server, with the token when `with_token`.
fn connect(server: Option<&str>, with_token: bool) -> Result<Client, Failure> {
    let settings_path = home().join("settings.json");
    let settings: serde_json::Value = match std::fs::read(&settings_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Failure(format!("{} is not valid JSON: {e}", settings_path.display())))?,
        Err(_) => serde_json::Value::Null,
    };
    let url = match server.filter(|s| !s.is_empty()) {
        Some(s) => s.to_owned(),
        None => {
            let port = settings.get("webServerPort").and_then(serde_json::Value::as_u64).unwrap_or(3456);
            format!("http://127.0.0.1:{port}")
        }
    };
    let token = match std::env::var("BAND_TOKEN").ok().filter(|t| !t.is_empty()) {
        Some(t) => Some(t),
        None => settings.get("tokenSecret").and_then(serde_json::Value::as_str).map(str::to_owned),
    };
    if with_token && token.is_none() {
        return Err(Failure(format!(
            "no token: set BAND_TOKEN, or start band-server once so that it creates {}",
            settings_path.display()
        )));
    }
    Ok(Client::new(&url, token)?)
}

fn absolute(path: &Path) -> Result<String, Failure> {
    let abs = std::path::absolute(path).map_err(|e| Failure(format!("cannot resolve {}: {e}", path.display())))?;
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    abs.to_str()
        .map(str::to_owned)
        .ok_or_else(|| Failure(format!("{} is not valid UTF-8; band needs UTF-8 paths", abs.display())))
}

/// The named workspace, or the one containing the current directory.
pub(crate) fn selector(workspace: Option<String>) -> Result<String, Failure> {
    match workspace {
        Some(w) => Ok(w),
        None => {
            let cwd =
                std::env::current_dir().map_err(|e| Failure(format!("cannot read the current directory: {e}")))?;
            absolute(&cwd)
        }
    }
}
