//! Terminal agents: an agent's interactive CLI in a PTY, driven like a person would (`--via
//! terminal`, and every agent whose protocol is terminal).
//!
//! - **The process.** The agent's binary with its terminal profile's arguments (Claude Code:
//!   `--settings <band's file>`, `--model`, `--resume`), on a PTY of its own
//!   ([`crate::terminals::spawn_on_pty`]: band-process, its own session, the scope marker), in
//!   the workspace, with the allow-listed environment plus `TERM`, `BAND_CHAT_ID`,
//!   `BAND_NOTIFY_SECRET` and `BAND_SERVER_URL` (what `band notify` needs; never band's token).
//!   The terminal is listed with the workspace's terminals, so people watch it and type into it.
//! - **Typing.** A message is typed literally; several lines go as one bracketed paste
//!   (`ESC [200~ ... ESC [201~`); Enter follows after a short pause, as a person's would.
//! - **Status from hooks** (agents with [`TerminalHooks`]): `band notify` forwards each hook's JSON
//!   document to band-server, which hands it to [`TerminalRuntime::notify`] with the chat and
//!   its secret (minted per launch, compared in constant time). Every hook is logged
//!   (`AgentUpdate::Hook`); Claude Code's `SessionStart` gives the session id, `PreToolUse` the
//!   tool call and, for tools that are not read-only, a permission request band decides (a
//!   person or the chat's mode): the hook waits and prints band's decision, so band never types
//!   into a dialog; `PostToolUse` completes the tool call and `Stop` ends the turn.
//! - **Status from the screen** (agents without hooks): the screen is rendered (vt100; ANSI
//!   stripped) while a turn runs and matched against the profile's patterns: a waiting pattern
//!   becomes a permission request answered by typing the profile's keys; an idle pattern after
//!   the prompt ends the turn; with no idle pattern, a screen quiet for [`QUIET`] does.
//! - **Capture.** At a prompt the screen (with the scrollback the PTY still holds) is rendered as
//!   the baseline; at the turn's end it is rendered again and what is new — the lines after the
//!   part both share, without blank edges, the prompt's echo and the profile's status lines — is
//!   the turn's message (CommandMate's differential capture). Claude Code's `Stop` hook carries
//!   the last message itself, which is used when present. Between turns no screen is kept: an
//!   idle terminal chat holds only the PTY's scrollback ring.
//! - **Stop** kills the terminal's session (hang-up, TERM, a grace period, KILL; whatever left
//!   the session goes by the scope marker). Interrupt types Esc.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime, TerminalProcess};
use band_core::{
    AgentError, AgentProtocol, AgentUpdate, PermissionDecision, ScreenPatterns, StopReason, TerminalError,
    TerminalExit, TerminalHooks, TerminalOutput, TerminalSize, ToolCallStatus, Usage,
};
use band_process::Supervisor;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{process, tool_kind, truncate};
use crate::terminals::{PtyProcess, Spec, spawn_on_pty};

/// How long a launch waits for the agent's screen to be ready for a message.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// With no idle pattern, a screen unchanged this long (after output since the prompt) ends a turn.
pub const QUIET: Duration = Duration::from_secs(3);
/// How often the screen is looked at while it changes.
const TICK: Duration = Duration::from_millis(100);
/// Lines of scrollback rendered during a turn.
const SCROLLBACK_LINES: usize = 2000;
/// The pause between a message's text and its Enter.
const ENTER_DELAY: Duration = Duration::from_millis(150);

/// What band gives terminal agents so their hooks reach it.
pub struct HookSetup {
    /// The `band` CLI that hooks run (`band notify`).
    pub band: PathBuf,
    /// Where band keeps the agents' hook settings (one file per chat; never the user's own
    /// agent configuration).
    pub dir: PathBuf,
}

/// Makes and compares the per-launch notify secrets (band-server's secrets module).
pub trait NotifySecrets: Send + Sync {
    fn mint(&self) -> String;
    /// Constant-time equality.
    fn equal(&self, a: &str, b: &str) -> bool;
}

/// Why a hook notification was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum NotifyError {
    /// No terminal agent of that chat runs with that secret (forged, another chat's, or a
    /// stopped agent's): refused, and the server audits it.
    Refused,
    /// The document is not a hook's.
    Malformed(String),
}

/// Runs every agent in a terminal; one per band-server.
pub struct TerminalRuntime {
    supervisor: Supervisor,
    hooks: HookSetup,
    /// Where each chat's tmux server listens, when terminal agents run inside tmux.
    tmux: Option<PathBuf>,
    secrets: Arc<dyn NotifySecrets>,
    server_url: Mutex<String>,
    live: Mutex<HashMap<i64, Weak<Agent>>>,
}

impl TerminalRuntime {
    pub fn new(supervisor: Supervisor, hooks: HookSetup, secrets: Arc<dyn NotifySecrets>) -> Self {
        Self {
            supervisor,
            hooks,
            tmux: None,
            secrets,
            server_url: Mutex::new(String::new()),
            live: Mutex::new(HashMap::new()),
        }
    }

    /// Runs every terminal agent inside tmux: one tmux server per chat, its socket
    /// `<dir>/chat-<id>.sock`, so a person can `tmux -S <socket> attach`, and the agent outlives
    /// a band-server restart (the next message attaches to it again). A chat's stop ends the
    /// tmux server and everything in it.
    #[must_use]
    pub fn in_tmux(mut self, dir: PathBuf) -> Self {
        self.tmux = Some(dir);
        self
    }

    /// Runs `tmux -S socket <args>` to completion, through the supervisor.
    async fn tmux(&self, tmux: &std::path::Path, socket: &std::path::Path, args: &[&str]) -> bool {
        let spec = Spec::new(tmux).arg("-S").arg(socket).args(args);
        match self.supervisor.spawn(spec).await {
            Ok(child) => child.output().await.is_ok_and(|o| o.status.success()),
            Err(_) => false,
        }
    }

    /// The URL `band notify` posts to (known once the server listens).
    pub fn set_server_url(&self, url: String) {
        *self.server_url.lock().unwrap_or_else(|p| p.into_inner()) = url;
    }

    /// One hook document from `band notify`: attributed to `chat` if `secret` is that chat's
    /// running agent's. Returns what the hook prints for the agent (a decision), if anything;
    /// waits for band's decision when the hook asks one.
    ///
    /// # Errors
    /// [`NotifyError::Refused`] for a wrong secret or a chat with no terminal agent running;
    /// [`NotifyError::Malformed`] for a document that is not a hook's.
    pub async fn notify(&self, chat: i64, secret: &str, hook: &Value) -> Result<Option<Value>, NotifyError> {
        let agent = self.live.lock().unwrap_or_else(|p| p.into_inner()).get(&chat).and_then(Weak::upgrade);
        let Some(agent) = agent.filter(|a| self.secrets.equal(&a.secret, secret)) else {
            return Err(NotifyError::Refused);
        };
        agent.hook(hook).await
    }

    /// The terminal agents running now (for benchmarks and tests).
    pub fn running(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).values().filter(|w| w.strong_count() > 0).count()
    }

    /// Writes band's hook settings for Claude Code (every hook runs `band notify`) and returns
    /// their path. The file holds no secret: that is in the agent's environment.
    fn claude_settings(&self, chat: i64) -> Result<PathBuf, AgentError> {
        std::fs::create_dir_all(&self.hooks.dir)
            .map_err(|e| AgentError::Internal(format!("cannot create {}: {e}", self.hooks.dir.display()).into()))?;
        let command = format!("{} notify", shell_quote(&self.hooks.band.display().to_string()));
        let hook = |timeout: u64| json!([{"matcher": "*", "hooks": [{"type": "command", "command": command, "timeout": timeout}]}]);
        let mut hooks = serde_json::Map::new();
        for event in ["SessionStart", "UserPromptSubmit", "PostToolUse", "Notification", "Stop", "SessionEnd"] {
            hooks.insert(event.to_owned(), hook(30));
        }
        // A permission waits for a person: a day.
        hooks.insert("PreToolUse".to_owned(), hook(86_400));
        let path = self.hooks.dir.join(format!("chat-{chat}.json"));
        std::fs::write(&path, json!({ "hooks": hooks }).to_string())
            .map_err(|e| AgentError::Internal(format!("cannot write {}: {e}", path.display()).into()))?;
        Ok(path)
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[async_trait]
impl AgentRuntime for TerminalRuntime {
    fn protocol(&self) -> AgentProtocol {
        AgentProtocol::Terminal
    }

    fn check(
        &self,
        agent: &band_core::AgentDefinition,
        env: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), AgentError> {
        process::find_binary(agent, env).map(|_| ())
    }

    async fn launch(
        &self,
        launch: AgentLaunch,
        events: Arc<dyn AgentEvents>,
    ) -> Result<Arc<dyn AgentHandle>, AgentError> {
        let program = process::find_binary(&launch.agent, &launch.env)?;
        let profile = launch.agent.terminal.clone();
        let mut args = profile.args.clone();
        if profile.hooks == Some(TerminalHooks::ClaudeCode) {
            args.extend(["--settings".to_owned(), self.claude_settings(launch.chat.0)?.display().to_string()]);
            if let Some(model) = &launch.model {
                args.extend(["--model".to_owned(), model.to_string()]);
            }
            if let Some(resume) = &launch.resume {
                args.extend(["--resume".to_owned(), resume.clone()]);
            }
        }
        let mut env = launch.env.clone();
        env.entry("TERM".to_owned()).or_insert_with(|| "xterm-256color".to_owned());
        env.insert("BAND_CHAT_ID".to_owned(), launch.chat.0.to_string());
        env.insert("BAND_SERVER_URL".to_owned(), self.server_url.lock().unwrap_or_else(|p| p.into_inner()).clone());
        let size = TerminalSize::AGENT;
        let (spec, secret, tmux) = match &self.tmux {
            None => {
                let secret = self.secrets.mint();
                env.insert("BAND_NOTIFY_SECRET".to_owned(), secret.clone());
                (Spec::new(&program).args(&args).cwd(&launch.cwd).envs(&env), secret, None)
            }
            Some(dir) => {
                let tmux = band_process::find_binary("tmux", None, env.get("PATH").map(std::ffi::OsStr::new)).map_err(
                    |_| {
                        AgentError::Protocol(
                            "tmux was not found on band-server's PATH: install it (apt install tmux), or set \
                             terminals.tmux to false in settings.json"
                                .into(),
                        )
                    },
                )?;
                std::fs::create_dir_all(dir)
                    .map_err(|e| AgentError::Internal(format!("cannot create {}: {e}", dir.display()).into()))?;
                let socket = dir.join(format!("chat-{}.sock", launch.chat.0));
                let name = format!("chat-{}", launch.chat.0);
                let secret_file = dir.join(format!("chat-{}.secret", launch.chat.0));
                let running = self.tmux(&tmux, &socket, &["has-session", "-t", &name]).await;
                // An agent left running in tmux (band restarted) keeps the secret it was given.
                let kept = if running { std::fs::read_to_string(&secret_file).ok() } else { None };
                let secret = match kept {
                    Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
                    _ => {
                        let s = self.secrets.mint();
                        write_private(&secret_file, &s)?;
                        s
                    }
                };
                env.insert("BAND_NOTIFY_SECRET".to_owned(), secret.clone());
                let scope = format!("band-tmux.{}", socket.display());
                // The tmux client runs on band's PTY; its server (one per chat) and the agent in it
                // carry no mark of this band-server, so they outlive it; the agent carries a scope
                // of its own, for the stop.
                let mut tmux_args: Vec<String> =
                    vec!["-u".into(), band_process::SCOPE_VAR.into(), tmux.display().to_string()];
                tmux_args.extend(["-S".into(), socket.display().to_string()]);
                if running {
                    tmux_args.extend(["attach-session".into(), "-t".into(), name.clone()]);
                } else {
                    tmux_args.extend(
                        ["new-session", "-s", &name, "-x", &size.cols().to_string(), "-y", &size.rows().to_string()]
                            .map(str::to_owned),
                    );
                    tmux_args.extend(["-e".into(), format!("{}={scope}", band_process::SCOPE_VAR), "--".into()]);
                    tmux_args.push(program.display().to_string());
                    tmux_args.extend(args.iter().cloned());
                }
                let spec = Spec::new("/usr/bin/env").args(&tmux_args).cwd(&launch.cwd).envs(&env);
                (spec, secret, Some(Tmux { binary: tmux, socket, scope }))
            }
        };
        let pty = spawn_on_pty(&self.supervisor, spec, size).await.map_err(|e| match e {
            TerminalError::Missing(p) => AgentError::Internal(format!("no directory {}", p.display()).into()),
            e => AgentError::Internal(Box::new(e)),
        })?;
        if let Some(t) = &tmux {
            // No status bar: the screen is the agent's.
            self.tmux(&t.binary, &t.socket, &["set-option", "-g", "status", "off"]).await;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let agent = Arc::new(Agent {
            tmux,
            supervisor: self.supervisor.clone(),
            pty: pty.clone(),
            secret,
            hooks: profile.hooks,
            screen_patterns: profile.screen.clone(),
            allow_keys: profile.allow_keys.clone(),
            deny_keys: profile.deny_keys.clone(),
            ask_every_call: launch.ask_every_call,
            size: Mutex::new(size),
            screen: Mutex::new(ScreenState::new(size, &pty.output(0), true)),
            pending: Mutex::new(HashMap::new()),
            pump: tx,
            stopped: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            turns: AtomicU64::new(0),
            ready: tokio::sync::Notify::new(),
            counted: Mutex::new(std::collections::HashSet::new()),
            model: Mutex::new(None),
        });
        tokio::spawn(pump(rx, events));
        tokio::spawn(watch(Arc::downgrade(&agent), pty.clone()));
        // Its hooks may speak before its screen is ready (SessionStart does).
        self.live.lock().unwrap_or_else(|p| p.into_inner()).insert(launch.chat.0, Arc::downgrade(&agent));
        // Ready when the screen says so; a screen that never does is an error with what it shows.
        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            loop {
                let waiting = agent.ready.notified();
                if agent.screen().launching.is_none() {
                    return;
                }
                waiting.await;
            }
        })
        .await;
        let exited = pty.exit();
        if ready.is_err() || exited.is_some() {
            let lines = agent.screen_lines();
            agent.stopped.store(true, Ordering::SeqCst);
            pty.kill().await;
            let shown = lines.iter().filter(|l| !l.trim().is_empty()).cloned().collect::<Vec<_>>().join(" | ");
            let trust = if shown.to_lowercase().contains("trust") {
                " It asks whether to trust the workspace: band does not answer that for you. Run the agent once in \
                 band's worktrees directory in your own terminal and trust it; every workspace below it is trusted then."
            } else {
                ""
            };
            let why = match exited {
                Some(x) => format!("the agent exited before it was ready ({x})"),
                None => format!("the agent's screen was not ready for a message within {}s", READY_TIMEOUT.as_secs()),
            };
            self.live.lock().unwrap_or_else(|p| p.into_inner()).remove(&launch.chat.0);
            return Err(AgentError::Protocol(format!("{why}; its screen shows: {}.{trust}", truncate_line(&shown))));
        }
        Ok(Arc::new(Handle { agent }))
    }
}

fn truncate_line(s: &str) -> String {
    if s.len() <= 600 {
        return s.to_owned();
    }
    let mut end = 600;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// What goes to the chat, in order.
enum Pumped {
    Event(AgentEvent),
    Exit(AgentExit),
}

/// Delivers events one at a time (the port's rule), whoever produced them: the screen watcher
/// or a hook.
async fn pump(mut rx: mpsc::UnboundedReceiver<Pumped>, events: Arc<dyn AgentEvents>) {
    while let Some(p) = rx.recv().await {
        match p {
            Pumped::Event(e) => events.on_event(e).await,
            Pumped::Exit(x) => {
                events.on_exit(x).await;
                return;
            }
        }
    }
}

/// A terminal agent's tmux server.
struct Tmux {
    binary: PathBuf,
    socket: PathBuf,
    /// The scope marker of the agent in it.
    scope: String,
}

fn write_private(path: &std::path::Path, text: &str) -> Result<(), AgentError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        f.write_all(text.as_bytes())
    };
    write().map_err(|e| AgentError::Internal(format!("cannot write {}: {e}", path.display()).into()))
}

/// One running terminal agent.
struct Agent {
    /// Its tmux server, when it runs inside tmux.
    tmux: Option<Tmux>,
    supervisor: Supervisor,
    pty: Arc<PtyProcess>,
    secret: String,
    hooks: Option<TerminalHooks>,
    screen_patterns: ScreenPatterns,
    allow_keys: String,
    deny_keys: String,
    /// A policy judges calls: reads and searches go through band too.
    ask_every_call: bool,
    size: Mutex<TerminalSize>,
    screen: Mutex<ScreenState>,
    /// Permission requests band has not answered yet: a hook waiting for its decision, or a
    /// dialog on screen.
    pending: Mutex<HashMap<String, Pending>>,
    pump: mpsc::UnboundedSender<Pumped>,
    stopped: AtomicBool,
    requests: AtomicU64,
    turns: AtomicU64,
    ready: tokio::sync::Notify,
    /// Model responses of the agent's transcript already counted in a turn's usage.
    counted: Mutex<std::collections::HashSet<String>>,
    /// The model last announced.
    model: Mutex<Option<String>>,
}

enum Pending {
    /// A PreToolUse hook waiting for the decision and, for a deny, the reason told to the agent.
    Hook(oneshot::Sender<(PermissionDecision, Option<String>)>),
    Screen,
}

/// The screen, rendered while it matters (the launch and each turn).
struct ScreenState {
    parser: Option<vt100::Parser>,
    /// Output offset the parser has been fed up to.
    fed: u64,
    /// Since when the launch waits for the screen to be ready (`None` once it is).
    launching: Option<Instant>,
    turn: Option<TurnState>,
    last_output: Instant,
    dirty: bool,
}

struct TurnState {
    prompt: String,
    baseline: Vec<String>,
    started: Instant,
    output_since: bool,
    saw_working: bool,
    /// A dialog seen on screen and asked about (agents without hooks).
    asked: Option<String>,
    interrupted: bool,
}

impl ScreenState {
    fn new(size: TerminalSize, output: &TerminalOutput, launching: bool) -> Self {
        let mut s = Self {
            parser: None,
            fed: 0,
            launching: launching.then(Instant::now),
            turn: None,
            last_output: Instant::now(),
            dirty: true,
        };
        s.render(size, output);
        s
    }

    /// A fresh parser fed with the scrollback the PTY still holds.
    fn render(&mut self, size: TerminalSize, output: &TerminalOutput) {
        let mut parser = vt100::Parser::new(size.rows(), size.cols(), SCROLLBACK_LINES);
        parser.process(&output.data);
        self.fed = output.end();
        self.parser = Some(parser);
    }

    fn feed(&mut self, out: &TerminalOutput) {
        self.last_output = Instant::now();
        self.dirty = true;
        if let Some(t) = &mut self.turn {
            t.output_since = true;
        }
        let Some(parser) = &mut self.parser else {
            self.fed = out.end();
            return;
        };
        if out.end() <= self.fed {
            return;
        }
        let skip = usize::try_from(self.fed.saturating_sub(out.start)).unwrap_or(usize::MAX).min(out.data.len());
        parser.process(&out.data[skip..]);
        self.fed = out.end();
    }

    /// The screen's visible lines (ANSI stripped).
    fn visible(&self) -> Vec<String> {
        self.parser.as_ref().map(|p| p.screen().rows(0, p.screen().size().1).collect()).unwrap_or_default()
    }
}

/// Every line the parser holds: the scrollback, then the screen.
fn all_lines(parser: &mut vt100::Parser) -> Vec<String> {
    let (rows, cols) = parser.screen().size();
    let rows = usize::from(rows);
    parser.screen_mut().set_scrollback(usize::MAX);
    let total = parser.screen().scrollback();
    let mut lines: Vec<Option<String>> = vec![None; total + rows];
    let mut off = total;
    loop {
        parser.screen_mut().set_scrollback(off);
        for (i, line) in parser.screen().rows(0, cols).enumerate() {
            let at = total - off + i;
            if at < lines.len() && lines[at].is_none() {
                lines[at] = Some(line);
            }
        }
        if off == 0 {
            break;
        }
        off = off.saturating_sub(rows);
    }
    parser.screen_mut().set_scrollback(0);
    lines.into_iter().map(Option::unwrap_or_default).collect()
}

/// What is new in `after` compared with `before` (see the module's doc): the lines after the
/// part both share, without blank edges, the prompt's echo and the status lines.
pub fn captured(before: &[String], after: &[String], prompt: &str, chrome: &[String]) -> String {
    let same = before.iter().zip(after).take_while(|(a, b)| a.trim_end() == b.trim_end()).count();
    let prompt_lines: Vec<&str> = prompt.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let tail: Vec<&str> = before.iter().rev().take(8).map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    let kept: Vec<&str> = after[same..]
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| {
            let bare = l.trim().trim_start_matches(['>', '❯', '›', '$', '#']).trim();
            !prompt_lines.contains(&bare)
                && !chrome.iter().any(|c| !c.is_empty() && l.contains(c.as_str()))
                && !tail.contains(&l.trim())
                && !l.chars().all(|c| c.is_whitespace() || "─━-═│|╭╮╰╯".contains(c))
        })
        .collect();
    let start = kept.iter().position(|l| !l.trim().is_empty()).unwrap_or(kept.len());
    let end = kept.iter().rposition(|l| !l.trim().is_empty()).map_or(start, |e| e + 1);
    kept[start..end].join("\n")
}

fn matches(lines: &[String], patterns: &[String]) -> bool {
    !patterns.is_empty() && lines.iter().any(|l| patterns.iter().any(|p| !p.is_empty() && l.contains(p.as_str())))
}

impl Agent {
    fn screen(&self) -> std::sync::MutexGuard<'_, ScreenState> {
        self.screen.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, e: AgentEvent) {
        let _ = self.pump.send(Pumped::Event(e));
    }

    fn screen_lines(&self) -> Vec<String> {
        let mut s = self.screen();
        if s.parser.is_none() {
            let size = *self.size.lock().unwrap_or_else(|p| p.into_inner());
            s.render(size, &self.pty.output(0));
        }
        s.visible()
    }

    fn chrome(&self) -> Vec<String> {
        let p = &self.screen_patterns;
        p.idle.iter().chain(&p.working).chain(&p.waiting).cloned().collect()
    }

    /// Looks at the screen: readiness at launch, and for agents without hooks the turn's state.
    fn evaluate(&self) {
        let mut s = self.screen();
        if !s.dirty && s.turn.is_none() && s.launching.is_none() {
            return;
        }
        s.dirty = false;
        let lines = s.visible();
        let p = &self.screen_patterns;
        let waiting = matches(&lines, &p.waiting);
        let working = matches(&lines, &p.working);
        let idle = matches(&lines, &p.idle) && !waiting && !working;
        let quiet = s.last_output.elapsed() >= QUIET;
        if let Some(since) = s.launching {
            let settled = if p.idle.is_empty() { quiet || since.elapsed() >= QUIET } else { idle };
            if settled {
                s.launching = None;
                // Nothing to render until the first message.
                s.parser = None;
                self.ready.notify_waiters();
            }
            return;
        }
        let hooks = self.hooks.is_some();
        let Some(turn) = &mut s.turn else { return };
        turn.saw_working |= working;
        if hooks && !turn.interrupted {
            return; // the hooks say when the turn ends
        }
        if waiting && !hooks {
            if turn.asked.is_none() {
                let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
                let id = format!("screen-{n}");
                turn.asked = Some(id.clone());
                let shown: Vec<&str> = lines.iter().map(|l| l.trim_end()).filter(|l| !l.trim().is_empty()).collect();
                self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), Pending::Screen);
                self.send(AgentEvent::PermissionRequest {
                    request_id: id,
                    tool: "dialog".into(),
                    input: json!({ "screen": shown.join("\n") }).to_string(),
                    edit: false,
                });
            }
            return;
        }
        let done = if p.idle.is_empty() {
            turn.output_since && quiet
        } else {
            idle && (turn.saw_working || turn.started.elapsed() >= Duration::from_secs(1))
        };
        if done {
            let reason = if turn.interrupted { StopReason::Cancelled } else { StopReason::EndTurn };
            drop(s);
            self.end_turn(None, reason, None);
        }
    }

    /// The usage of the model responses in Claude Code's transcript (`transcript_path`, a JSONL
    /// file of its session) not counted yet: each assistant message once, by its id. The model
    /// it names is announced once (for a cost estimate from band's price table). Only numbers and
    /// the model's name are read from it; a path that is not a `.jsonl` file gives nothing.
    async fn transcript_usage(&self, path: &str) -> Option<Usage> {
        if !path.ends_with(".jsonl") {
            return None;
        }
        let text = tokio::fs::read_to_string(path).await.ok()?;
        let mut usage = Usage::default();
        let mut model = None;
        let mut counted = self.counted.lock().unwrap_or_else(|p| p.into_inner());
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
            if v.get("type").and_then(Value::as_str) != Some("assistant") {
                continue;
            }
            let m = &v["message"];
            let Some(id) = m.get("id").and_then(Value::as_str) else { continue };
            if !counted.insert(id.to_owned()) {
                continue;
            }
            let n = |k: &str| m["usage"].get(k).and_then(Value::as_u64).unwrap_or(0);
            usage.input_tokens += n("input_tokens");
            usage.output_tokens += n("output_tokens");
            usage.cache_read_tokens += n("cache_read_input_tokens");
            usage.cache_write_tokens += n("cache_creation_input_tokens");
            model = m.get("model").and_then(Value::as_str).map(str::to_owned).or(model);
        }
        drop(counted);
        if let Some(model) = model {
            let mut announced = self.model.lock().unwrap_or_else(|p| p.into_inner());
            if announced.as_deref() != Some(model.as_str()) {
                *announced = Some(model.clone());
                self.send(AgentEvent::Update(AgentUpdate::SessionInfo {
                    modes: vec![],
                    current_mode: None,
                    models: vec![],
                    current_model: Some(model),
                }));
            }
        }
        (usage.input_tokens + usage.output_tokens > 0).then_some(usage)
    }

    /// Ends the turn: the captured text (or `message`, the agent's own), then the end.
    fn end_turn(&self, message: Option<String>, reason: StopReason, usage: Option<Usage>) {
        let mut s = self.screen();
        let Some(turn) = s.turn.take() else { return };
        let after = s.parser.as_mut().map(all_lines).unwrap_or_default();
        s.parser = None;
        drop(s);
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, p| matches!(p, Pending::Hook(_)));
        let text = message
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| captured(&turn.baseline, &after, &turn.prompt, &self.chrome()));
        if !text.is_empty() {
            let n = self.turns.load(Ordering::Relaxed);
            self.send(AgentEvent::Update(AgentUpdate::MessageChunk {
                text: truncate(&text),
                message_id: Some(format!("terminal-turn-{n}")),
            }));
        }
        self.send(AgentEvent::TurnEnded { stop_reason: reason, usage });
    }

    /// One hook document (Claude Code's shape: `hook_event_name` and the event's fields).
    async fn hook(&self, doc: &Value) -> Result<Option<Value>, NotifyError> {
        let Some(event) = doc.get("hook_event_name").and_then(Value::as_str) else {
            return Err(NotifyError::Malformed(
                "the hook document has no \"hook_event_name\" (band notify takes the JSON an agent's hook gets on stdin)"
                    .into(),
            ));
        };
        let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let tool = text("tool_name");
        let detail = match event {
            "UserPromptSubmit" => text("prompt"),
            "PreToolUse" | "PermissionRequest" => {
                format!("{tool} {}", doc.get("tool_input").map(Value::to_string).unwrap_or_default())
            }
            "PostToolUse" => tool.clone(),
            "Notification" => text("message"),
            "SessionStart" => text("source"),
            "SessionEnd" => text("reason"),
            "Stop" => text("last_assistant_message"),
            _ => String::new(),
        };
        let detail: String = detail.chars().take(500).collect();
        self.send(AgentEvent::Update(AgentUpdate::Hook { event: event.to_owned(), detail }));
        match event {
            "SessionStart" => {
                let id = text("session_id");
                if !id.is_empty() {
                    self.send(AgentEvent::SessionStarted { session_id: id });
                }
            }
            "PreToolUse" => {
                let id = text("tool_use_id");
                let input = doc.get("tool_input").cloned().unwrap_or(Value::Null).to_string();
                let kind = tool_kind(&tool);
                self.send(AgentEvent::Update(AgentUpdate::ToolCall {
                    id: id.clone(),
                    title: tool.clone(),
                    kind: kind.to_owned(),
                    input: input.clone(),
                    tool: tool.clone(),
                }));
                // Reads and searches go on as the agent itself decides; so does a tool of a
                // message a person typed into the terminal themselves (no turn of band's): they
                // answer its dialog where they typed.
                let in_turn = self.screen().turn.is_some();
                // With a policy in force, reads and searches are judged too (denyPaths, denyTools).
                let unasked = matches!(kind, "read" | "search" | "think") && !self.ask_every_call;
                if unasked || tool == "TodoWrite" || !in_turn {
                    return Ok(None);
                }
                let request = if id.is_empty() {
                    format!("hook-{}", self.requests.fetch_add(1, Ordering::Relaxed) + 1)
                } else {
                    id
                };
                let (tx, rx) = oneshot::channel();
                self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(request.clone(), Pending::Hook(tx));
                self.send(AgentEvent::PermissionRequest { request_id: request, tool, input, edit: kind == "edit" });
                // A stop (or the end of the turn) drops the sender: deny.
                let (decision, why) = rx.await.unwrap_or((PermissionDecision::Deny, None));
                let (word, reason) = match decision {
                    PermissionDecision::Allow => ("allow", "allowed in band".to_owned()),
                    PermissionDecision::Deny => {
                        ("deny", why.unwrap_or_else(|| "The user denied this in band.".to_owned()))
                    }
                };
                return Ok(Some(json!({
                    "hookSpecificOutput": {
                        "hookEventName": "PreToolUse",
                        "permissionDecision": word,
                        "permissionDecisionReason": reason,
                    }
                })));
            }
            "PostToolUse" => {
                let output = doc.get("tool_response").map(|v| match v {
                    Value::String(s) => truncate(s),
                    v => truncate(&v.to_string()),
                });
                self.send(AgentEvent::Update(AgentUpdate::ToolCallUpdate {
                    id: text("tool_use_id"),
                    status: ToolCallStatus::Completed,
                    output,
                }));
            }
            "Stop" => {
                let message = doc.get("last_assistant_message").and_then(Value::as_str).map(str::to_owned);
                let usage = match doc.get("transcript_path").and_then(Value::as_str) {
                    Some(path) => self.transcript_usage(path).await,
                    None => None,
                };
                self.end_turn(message, StopReason::EndTurn, usage);
            }
            _ => {}
        }
        Ok(None)
    }

    async fn type_text(&self, text: &str) -> Result<(), AgentError> {
        let write = |e: TerminalError| AgentError::Protocol(format!("the agent's terminal did not take the text: {e}"));
        if text.contains('\n') {
            let mut pasted = b"\x1b[200~".to_vec();
            pasted.extend(text.replace("\r\n", "\n").as_bytes());
            pasted.extend(b"\x1b[201~");
            self.pty.write(&pasted).await.map_err(write)?;
        } else {
            self.pty.write(text.as_bytes()).await.map_err(write)?;
        }
        tokio::time::sleep(ENTER_DELAY).await;
        self.pty.write(b"\r").await.map_err(write)
    }
}

/// Follows the terminal's output: feeds the screen, looks at it, reports the exit.
async fn watch(agent: Weak<Agent>, pty: Arc<PtyProcess>) {
    let mut feed = pty.subscribe(0);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            out = feed.next() => match out {
                Some(out) => {
                    let Some(a) = agent.upgrade() else { return };
                    a.screen().feed(&out);
                }
                None => break,
            },
            _ = tick.tick() => {
                let Some(a) = agent.upgrade() else { return };
                a.evaluate();
            }
        }
    }
    let Some(a) = agent.upgrade() else { return };
    let exit = pty.exit().map_or_else(|| "exited".to_owned(), |x: TerminalExit| x.to_string());
    let lines: Vec<String> = a.screen_lines().into_iter().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines.iter().rev().take(5).rev().cloned().collect::<Vec<_>>().join("\n");
    a.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let _ = a.pump.send(Pumped::Exit(AgentExit {
        requested: a.stopped.load(Ordering::SeqCst),
        status: exit,
        stderr_tail: tail,
    }));
}

struct Handle {
    agent: Arc<Agent>,
}

impl Handle {
    async fn answer(
        &self,
        request_id: &str,
        decision: PermissionDecision,
        why: Option<String>,
    ) -> Result<(), AgentError> {
        let pending = self.agent.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(request_id);
        match pending {
            Some(Pending::Hook(tx)) => {
                let _ = tx.send((decision, why));
                Ok(())
            }
            Some(Pending::Screen) => {
                let keys = match decision {
                    PermissionDecision::Allow => &self.agent.allow_keys,
                    PermissionDecision::Deny => &self.agent.deny_keys,
                };
                if let Some(t) = &mut self.agent.screen().turn {
                    t.asked = None;
                }
                self.agent
                    .pty
                    .write(keys.as_bytes())
                    .await
                    .map_err(|e| AgentError::Protocol(format!("the agent's terminal did not take the answer: {e}")))
            }
            None => Err(AgentError::Protocol(format!("no pending permission request '{request_id}'"))),
        }
    }
}

#[async_trait]
impl AgentHandle for Handle {
    async fn prompt(&self, text: &str) -> Result<(), AgentError> {
        {
            let size = *self.agent.size.lock().unwrap_or_else(|p| p.into_inner());
            let mut s = self.agent.screen();
            s.render(size, &self.agent.pty.output(0));
            let baseline = s.parser.as_mut().map(all_lines).unwrap_or_default();
            self.agent.turns.fetch_add(1, Ordering::Relaxed);
            s.turn = Some(TurnState {
                prompt: text.to_owned(),
                baseline,
                started: Instant::now(),
                output_since: false,
                saw_working: false,
                asked: None,
                interrupted: false,
            });
        }
        self.agent.type_text(text).await
    }

    async fn respond(&self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError> {
        self.answer(request_id, decision, None).await
    }

    async fn refuse(&self, request_id: &str, reason: &str) -> Result<(), AgentError> {
        self.answer(request_id, PermissionDecision::Deny, Some(reason.to_owned())).await
    }
    async fn interrupt(&self) -> Result<(), AgentError> {
        if let Some(t) = &mut self.agent.screen().turn {
            t.interrupted = true;
        }
        self.agent.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.agent.pty.write(b"\x1b").await.map_err(|e| AgentError::Protocol(e.to_string()))
    }

    async fn stop(&self) -> Result<(), AgentError> {
        self.agent.stopped.store(true, Ordering::SeqCst);
        self.agent.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
        if let Some(t) = &self.agent.tmux {
            // The tmux server and its panes, then whatever of the agent's left them.
            let spec = Spec::new(&t.binary).arg("-S").arg(&t.socket).arg("kill-server");
            if let Ok(child) = self.agent.supervisor.spawn(spec).await {
                let _ = child.output().await;
            }
            let scope = t.scope.clone();
            let _ = tokio::task::spawn_blocking(move || kill_scope(&scope)).await;
            let _ = std::fs::remove_file(&t.socket);
        }
        self.agent.pty.kill().await;
        Ok(())
    }

    async fn detach(&self) -> Result<(), AgentError> {
        if self.agent.tmux.is_none() {
            return self.stop().await;
        }
        // Only band's tmux client goes: the agent lives on in tmux.
        self.agent.stopped.store(true, Ordering::SeqCst);
        self.agent.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.agent.pty.kill().await;
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        self.agent.pty.pid()
    }

    fn terminal(&self) -> Option<Arc<dyn TerminalProcess>> {
        Some(Arc::new(Watched { agent: self.agent.clone() }))
    }
}

/// The agent's terminal as people see it: a resize is remembered for the screen's rendering.
struct Watched {
    agent: Arc<Agent>,
}

#[async_trait]
impl TerminalProcess for Watched {
    fn pid(&self) -> Option<u32> {
        self.agent.pty.pid()
    }
    fn started_at(&self) -> band_core::Millis {
        self.agent.pty.started_at()
    }
    async fn write(&self, data: &[u8]) -> Result<(), TerminalError> {
        self.agent.pty.write(data).await
    }
    fn resize(&self, size: TerminalSize) -> Result<(), TerminalError> {
        self.agent.pty.resize(size)?;
        *self.agent.size.lock().unwrap_or_else(|p| p.into_inner()) = size;
        if let Some(p) = &mut self.agent.screen().parser {
            p.screen_mut().set_size(size.rows(), size.cols());
        }
        Ok(())
    }
    fn output_end(&self) -> u64 {
        self.agent.pty.output_end()
    }
    fn output(&self, after: u64) -> TerminalOutput {
        self.agent.pty.output(after)
    }
    fn subscribe(&self, after: u64) -> Box<dyn band_core::ports::OutputFeed> {
        self.agent.pty.subscribe(after)
    }
    fn exit(&self) -> Option<TerminalExit> {
        self.agent.pty.exit()
    }
    async fn kill(&self) {
        // Not the chat's stop: the chat hears of an exit it did not ask for.
        self.agent.pty.kill().await;
    }
}

/// TERM, then KILL after a grace period, to every process marked `scope`, until none is left.
fn kill_scope(scope: &str) {
    use rustix::process::{Pid, Signal, kill_process};
    let deadline = Instant::now() + band_process::GRACE;
    let mut signal = Signal::TERM;
    loop {
        let found = band_process::marked(scope);
        if found.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            signal = Signal::KILL;
        }
        for pid in found {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = kill_process(pid, signal);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The environment variables band gives a terminal agent (besides its allow-listed ones).
pub const NOTIFY_VARS: [&str; 3] = ["BAND_CHAT_ID", "BAND_NOTIFY_SECRET", "BAND_SERVER_URL"];

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_owned).collect()
    }

    #[test]
    fn the_capture_is_what_is_new_without_the_echo_blank_edges_and_status_lines() {
        let before = lines("welcome\n\nready>\n? for shortcuts");
        let after = lines("welcome\n\n> add two numbers\n\nThe sum is 4.\nDone.\n\nready>\n? for shortcuts");
        let chrome = vec!["? for shortcuts".to_owned()];
        assert_eq!(captured(&before, &after, "add two numbers", &chrome), "The sum is 4.\nDone.");
        assert_eq!(captured(&before, &before, "x", &chrome), "");
    }

    #[test]
    fn every_line_the_parser_holds_comes_back_in_order_with_the_scrollback() {
        let mut p = vt100::Parser::new(3, 20, 100);
        for i in 0..10 {
            p.process(format!("line {i}\r\n").as_bytes());
        }
        let all = all_lines(&mut p);
        let text: Vec<&str> = all.iter().map(|l| l.trim_end()).filter(|l| !l.is_empty()).collect();
        assert_eq!(text, (0..10).map(|i| format!("line {i}")).collect::<Vec<_>>());
        assert_eq!(p.screen().scrollback(), 0, "the view is back at the screen");
    }
}
