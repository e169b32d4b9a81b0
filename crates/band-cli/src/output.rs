//! How results are shown: one JSON document in JSON mode, short readable text otherwise.

use band_api as api;
use serde::Serialize;

use crate::Failure;

pub struct Printer {
    pub json: bool,
}

impl Printer {
    /// Prints `value` as JSON, or `text()` in text mode.
    pub fn show<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> Result<(), Failure> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            let t = text();
            if t.ends_with('\n') {
                print!("{t}");
            } else {
                println!("{t}");
            }
        }
        Ok(())
    }

    pub fn health(&self, h: &api::Health, url: &str) -> Result<(), Failure> {
        self.show(h, || format!("{} (band-server {} at {url})", h.status, h.version))
    }

    pub fn settings(&self, s: &api::SettingsInfo) -> Result<(), Failure> {
        self.show(s, || {
            format!(
                "home:          {}\nport:          {}\nbind:          {}\nworktrees dir: {}\nversion:       {}\n\
                 default agent: {}\ndefault mode:  {}\nidle agents:   stopped after {} s\nlive agents:   {}{}",
                s.home,
                s.web_server_port,
                s.bind,
                s.worktrees_dir,
                s.version,
                s.defaults.agent.as_ref().map_or("claude-code", |a| a.0.as_str()),
                s.defaults.mode.map_or("ask", |m| m.as_str()),
                s.agent_idle_timeout_seconds,
                if s.max_live_agents == 0 { "no limit".to_owned() } else { format!("at most {}", s.max_live_agents) },
                if s.restart_needed.is_empty() {
                    String::new()
                } else {
                    format!("\nrestart needed for: {}", s.restart_needed.join(", "))
                }
            )
        })
    }

    pub fn setting_changed(&self, c: &api::SettingChanged) -> Result<(), Failure> {
        self.show(c, || {
            let value = c.value.as_deref().map_or_else(|| "back to its default".to_owned(), |v| format!("= {v}"));
            let when = if c.restart_needed { "; restart band-server for it to take effect" } else { "; in effect now" };
            format!("{} {value}{when}", c.key)
        })
    }

    /// The URL alone (for `$(band tunnel start)`), or the whole state in JSON.
    pub fn tunnel_started(&self, t: &api::TunnelInfo) -> Result<(), Failure> {
        self.show(t, || t.url.clone().unwrap_or_else(|| t.state.to_string()))
    }

    pub fn tunnel(&self, t: &api::TunnelInfo) -> Result<(), Failure> {
        self.show(t, || {
            let provider = t.provider.map_or("tunnel", |p| p.as_str());
            match t.state.as_str() {
                "running" => format!("running: {} ({provider})", t.url.as_deref().unwrap_or("?")),
                "failed" => format!("failed ({provider}): {}", t.error.as_deref().unwrap_or("no reason given")),
                "starting" => format!("starting ({provider})"),
                _ => {
                    "stopped; start one with `band tunnel start [--provider cloudflared|cloudflared-named|bore]`".into()
                }
            }
        })
    }

    pub fn schema(&self, command: &[String]) -> Result<(), Failure> {
        let doc = api::openrpc();
        let value = if command.is_empty() {
            doc
        } else {
            let wanted = command.join(".");
            let methods = doc["methods"].as_array().cloned().unwrap_or_default();
            let Some(method) = methods.into_iter().find(|m| m["name"] == wanted.as_str()) else {
                let names: Vec<&str> = api::METHODS.iter().map(|m| m.name).collect();
                return Err(Failure(format!("no command '{}'; known: {}", command.join(" "), names.join(", "))));
            };
            serde_json::json!({ "method": method, "components": doc["components"] })
        };
        // A schema is JSON in either mode.
        println!("{}", serde_json::to_string_pretty(&value)?);
        Ok(())
    }

    pub fn project_added(&self, p: &api::ProjectInfo) -> Result<(), Failure> {
        self.show(p, || format!("added project {} ({}, default branch {})", p.name, p.path, p.default_branch))
    }

    pub fn project_removed(&self, p: &api::ProjectInfo) -> Result<(), Failure> {
        self.show(p, || format!("removed project {} ({} is untouched)", p.name, p.path))
    }

    pub fn projects(&self, list: &[api::ProjectInfo]) -> Result<(), Failure> {
        self.show(&list, || {
            if list.is_empty() {
                return "no projects; add one with `band projects add <path>`".into();
            }
            table(
                &["NAME", "DEFAULT", "PATH"],
                list.iter().map(|p| vec![p.name.clone(), p.default_branch.clone(), p.path.clone()]).collect(),
            )
        })
    }

    pub fn workspace_created(&self, w: &api::WorkspaceCreated) -> Result<(), Failure> {
        self.show(w, || {
            let verb = if w.created { "created" } else { "exists:" };
            let mut t = format!(
                "{verb} workspace {} {}/{} at {}",
                w.workspace.id, w.workspace.project, w.workspace.branch, w.workspace.path
            );
            if w.workspace.direct {
                t.push_str(
                    "
direct: the agent works in the project's checkout itself; removing the workspace never touches it",
                );
            }
            if let Some(setup) = w.setup.as_ref().map(crate::setup::setup_text).filter(|s| !s.is_empty()) {
                t.push('\n');
                t.push_str(&setup);
            }
            if let Some(c) = &w.chat {
                t.push_str(&format!(
                    "\nstarted chat {} ({}); follow it with `band chats watch {}`",
                    c.id, c.agent, c.id
                ));
            }
            t
        })
    }

    pub fn workspaces(&self, list: &[api::WorkspaceInfo]) -> Result<(), Failure> {
        self.show(&list, || {
            if list.is_empty() {
                return "no workspaces; create one with `band workspaces create <project> <branch>`".into();
            }
            table(
                &["ID", "WORKSPACE", "BASE", "PATH"],
                list.iter()
                    .map(|w| {
                        let path = match (w.missing, w.direct) {
                            _ if w.archived_at.is_some() => format!("{} (archived)", w.path),
                            (true, _) => format!("{} (missing)", w.path),
                            (false, true) => format!("{} (direct: the checkout)", w.path),
                            (false, false) => w.path.clone(),
                        };
                        vec![w.id.to_string(), format!("{}/{}", w.project, w.branch), w.base.clone(), path]
                    })
                    .collect(),
            )
        })
    }

    pub fn workspace(&self, w: &api::WorkspaceInfo) -> Result<(), Failure> {
        self.show(w, || {
            let mut t = format!("{} {}/{} (base {}) at {}", w.id, w.project, w.branch, w.base, w.path);
            if w.direct {
                t.push_str(" (direct: the project's checkout itself)");
            }
            if w.missing {
                t.push_str(&format!(
                    "\nits worktree is missing; remove the workspace with `band workspaces remove {}`",
                    w.id
                ));
            }
            t
        })
    }

    pub fn facts(&self, f: &api::WorkspaceFactsInfo) -> Result<(), Failure> {
        self.show(f, || facts_text(f))
    }

    pub fn gc(&self, r: &api::GcReportInfo) -> Result<(), Failure> {
        self.show(r, || {
            let verb = if r.applied { "archived" } else { "would archive" };
            let mut t = if r.archive.is_empty() {
                format!(
                    "nothing to archive (idle {} day(s) or more, with nothing uncommitted or unpushed)",
                    r.idle_days
                )
            } else {
                format!("{verb} {} workspace(s), reclaiming {}:", r.archive.len(), size(r.reclaim_bytes))
            };
            for i in &r.archive {
                let w = &i.facts.workspace;
                t.push_str(&format!(
                    "\n  {}/{}  {}  {}",
                    w.project,
                    w.branch,
                    size(i.facts.disk_bytes.unwrap_or(0)),
                    i.why
                ));
            }
            if !r.kept.is_empty() {
                t.push_str("\nkept:");
                for i in &r.kept {
                    t.push_str(&format!("\n  {}/{}  {}", i.facts.workspace.project, i.facts.workspace.branch, i.why));
                }
            }
            if !r.applied && !r.archive.is_empty() {
                t.push_str("\narchive them with `band workspaces gc --apply` (branches and chats are kept)");
            }
            t
        })
    }

    pub fn status(&self, s: &api::WorkspaceStatusInfo) -> Result<(), Failure> {
        self.show(s, || {
            let w = &s.workspace;
            let mut t = format!("{}/{}: {} ahead, {} behind {}", w.project, w.branch, s.ahead, s.behind, w.base);
            if s.changes.is_empty() {
                t.push_str("; no uncommitted changes");
            }
            for c in &s.changes {
                t.push_str(&format!("\n  {:<12} {}", c.kind, c.path));
            }
            t
        })
    }

    pub fn diff(&self, d: &api::WorkspaceDiffInfo) -> Result<(), Failure> {
        self.show(d, || d.patch.clone())
    }

    pub fn workspace_removed(&self, r: &api::WorkspaceRemoved) -> Result<(), Failure> {
        self.show(r, || {
            let w = &r.workspace;
            let branch = match (&r.branch_kept_because, r.branch_deleted) {
                (_, true) => format!("branch {} deleted", w.branch),
                (Some(why), _) => format!("branch {} kept: {why}", w.branch),
                (None, false) => format!("branch {} kept", w.branch),
            };
            let mut t = format!("removed workspace {}/{} ({}); {branch}", w.project, w.branch, w.path);
            if let Some(td) = &r.teardown {
                match (&td.run, &td.notice) {
                    (Some(run), _) => t.push_str(&format!(
                        "\nteardown script {}{}",
                        run.status,
                        run.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
                    )),
                    (None, Some(n)) => t.push_str(&format!("\n{n}")),
                    (None, None) => {}
                }
            }
            t
        })
    }
}

pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row));
    }
    out
}

impl Printer {
    /// Installed agents first, with their versions; then how to install the others.
    pub fn agents(&self, list: &[api::AgentInfo]) -> Result<(), Failure> {
        self.show(&list, || {
            let rows = list
                .iter()
                .map(|a| {
                    let state = match (a.installed, a.runnable) {
                        (true, true) => a.version.clone().or(a.problem.clone()).unwrap_or_else(|| "installed".into()),
                        (true, false) => format!("installed, but this band-server does not run {} agents", a.protocol),
                        (false, _) => match &a.install {
                            Some(i) => format!("not installed: {}", i.words()),
                            None => "not installed".into(),
                        },
                    };
                    vec![
                        a.id.to_string(),
                        a.name.clone(),
                        a.protocol.to_string(),
                        if a.proven { "yes".into() } else { "no".into() },
                        state,
                    ]
                })
                .collect();
            table(&["ID", "NAME", "PROTOCOL", "PROVEN", "VERSION / INSTALL"], rows)
        })
    }

    pub fn chat(&self, c: &api::ChatInfo) -> Result<(), Failure> {
        self.show(c, || {
            let model = c.model.as_deref().unwrap_or("default model");
            let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut t = format!("chat {} \"{}\": {} ({model}, {}), {}", c.id, c.name, c.agent, c.mode, c.status);
            if c.via == api::Via::Terminal {
                t.push_str(", in a terminal (watch it with `band terminals list`, the dashboard)");
            }
            if !labels.is_empty() {
                t.push_str(&format!(" [{}]", labels.join(", ")));
            }
            t
        })
    }

    pub fn chats(&self, list: &[api::ChatInfo]) -> Result<(), Failure> {
        self.show(&list, || {
            if list.is_empty() {
                return "no chats; start one with `band chats create` or `band chats send -m ...`".into();
            }
            table(
                &["ID", "WS", "AGENT", "MODE", "STATUS", "NAME"],
                list.iter()
                    .map(|c| {
                        vec![
                            c.id.to_string(),
                            c.workspace_id.to_string(),
                            if c.via == api::Via::Terminal {
                                format!("{} (terminal)", c.agent)
                            } else {
                                c.agent.to_string()
                            },
                            c.mode.to_string(),
                            c.status.to_string(),
                            c.name.clone(),
                        ]
                    })
                    .collect(),
            )
        })
    }

    pub fn sent(&self, chat: i64, r: &api::SendResult) -> Result<(), Failure> {
        self.show(r, || match &r.queued {
            Some(q) => format!("chat {chat} is busy: queued as message {} (position {})", q.id, q.position),
            None => format!("sent to chat {chat}; follow it with `band chats watch {chat}`"),
        })
    }

    pub fn queue(&self, q: &[api::QueuedInfo]) -> Result<(), Failure> {
        self.show(&q, || {
            if q.is_empty() {
                return "the queue is empty".into();
            }
            table(
                &["POS", "ID", "TEXT"],
                q.iter().map(|m| vec![m.position.to_string(), m.id.to_string(), m.text.clone()]).collect(),
            )
        })
    }

    pub fn turns(&self, turns: &[api::TurnInfo]) -> Result<(), Failure> {
        self.show(&turns, || {
            if turns.is_empty() {
                return "no turns yet".into();
            }
            table(
                &["ID", "END", "IN", "OUT", "COST", "MS", "PROMPT"],
                turns
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.stop_reason
                                .map(|r| r.to_string())
                                .or_else(|| t.error.as_ref().map(|_| "error".into()))
                                .unwrap_or("-".into()),
                            t.usage.input_tokens.to_string(),
                            t.usage.output_tokens.to_string(),
                            t.usage.cost_usd.map(|c| format!("${c:.4}")).unwrap_or("-".into()),
                            t.duration_ms.map(|d| d.to_string()).unwrap_or("-".into()),
                            t.prompt.chars().take(60).collect(),
                        ]
                    })
                    .collect(),
            )
        })
    }

    pub fn overview(&self, chats: &[api::ChatOverviewInfo]) -> Result<(), Failure> {
        self.show(&chats, || {
            if chats.is_empty() {
                return "no chats yet".into();
            }
            table(
                &["CHAT", "STATUS", "WHERE", "AGENT", "TOKENS", "COST", "WAITS ON / LAST MESSAGE"],
                chats
                    .iter()
                    .map(|o| {
                        let u = &o.usage.usage;
                        let gist = match o.pending.first() {
                            Some(p) => format!("{} {} (request {})", p.tool, p.summary, p.request_id),
                            None => o.last_message.clone().unwrap_or_default(),
                        };
                        vec![
                            o.chat.id.to_string(),
                            o.chat.status.to_string(),
                            format!("{}/{}", o.project, o.branch),
                            o.chat.agent.0.clone(),
                            (u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens).to_string(),
                            u.cost_usd.map(|c| format!("${c:.4}")).unwrap_or("-".into()),
                            gist.replace('\n', " ").chars().take(70).collect(),
                        ]
                    })
                    .collect(),
            )
        })
    }

    pub fn usage(&self, u: &api::UsageTotalsInfo) -> Result<(), Failure> {
        self.show(u, || {
            format!(
                "{} turn(s): {} tokens in, {} out, {} cache read, {} cache write; cost {}; {} ms",
                u.turns,
                u.usage.input_tokens,
                u.usage.output_tokens,
                u.usage.cache_read_tokens,
                u.usage.cache_write_tokens,
                u.usage.cost_usd.map(|c| format!("${c:.4}")).unwrap_or("unknown".into()),
                u.duration_ms
            )
        })
    }
}

/// "running", or how a terminal's shell ended.
pub fn exit_text(t: &api::TerminalInfo) -> String {
    match (t.exit_code, t.exit_signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => t.status.to_string(),
    }
}

impl Printer {
    pub fn terminal(&self, t: &api::TerminalInfo) -> Result<(), Failure> {
        self.show(t, || {
            format!(
                "terminal {} \"{}\" in workspace {}: {}x{}, {}",
                t.id,
                t.title,
                t.workspace_id,
                t.cols,
                t.rows,
                exit_text(t)
            )
        })
    }

    pub fn terminal_created(&self, t: &api::TerminalInfo) -> Result<(), Failure> {
        self.show(t, || {
            format!(
                "opened terminal {} \"{}\" ({}x{}); type into it with `band terminals send {} '...'`, read it with `band terminals output {} -f`",
                t.id, t.title, t.cols, t.rows, t.id, t.id
            )
        })
    }

    pub fn terminal_sent(&self, t: &api::TerminalInfo) -> Result<(), Failure> {
        self.show(t, || format!("sent to terminal {}; read it with `band terminals output {}`", t.id, t.id))
    }

    pub fn terminal_killed(&self, t: &api::TerminalInfo) -> Result<(), Failure> {
        self.show(t, || format!("killed terminal {} ({})", t.id, exit_text(t)))
    }

    pub fn terminals(&self, list: &[api::TerminalInfo]) -> Result<(), Failure> {
        self.show(&list, || {
            if list.is_empty() {
                return "no terminals; open one with `band terminals create`".into();
            }
            table(
                &["ID", "WS", "SIZE", "STATUS", "TITLE"],
                list.iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.workspace_id.to_string(),
                            format!("{}x{}", t.cols, t.rows),
                            exit_text(t),
                            t.title.clone(),
                        ]
                    })
                    .collect(),
            )
        })
    }

    /// The output as the terminal printed it (escape sequences included), or the JSON object.
    pub fn terminal_output(&self, o: &api::TerminalOutputInfo) -> Result<(), Failure> {
        if self.json {
            return self.show(o, String::new);
        }
        let mut stdout = std::io::stdout().lock();
        std::io::Write::write_all(&mut stdout, o.data.as_bytes())
            .and_then(|()| std::io::Write::flush(&mut stdout))
            .map_err(|e| Failure(format!("writing output: {e}")))
    }
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn when(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Bytes as a person reads them.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn facts_text(f: &api::WorkspaceFactsInfo) -> String {
    let w = &f.workspace;
    let mut t = format!("{}/{}", w.project, w.branch);
    if w.archived_at.is_some() {
        t.push_str(&format!(" (archived; restore it with `band workspaces restore {}`)", w.id));
    } else if w.missing {
        t.push_str(" (its worktree is missing)");
    } else if w.direct {
        t.push_str(" (direct: the project's checkout)");
    }
    match (f.ahead, f.behind) {
        (Some(a), Some(b)) => t.push_str(&format!("\nbase {}: {a} ahead, {b} behind", w.base)),
        _ => t.push_str(&format!("\nbase {}: names no commit", w.base)),
    }
    match &f.remote {
        Some(r) => t.push_str(&format!("\nremote {}: {} ahead, {} behind", r.upstream, r.ahead, r.behind)),
        None => t.push_str("\nremote: no upstream"),
    }
    if f.unsaved_commits > 0 {
        t.push_str(&format!("\n{} commit(s) only on this branch (neither in the base nor pushed)", f.unsaved_commits));
    }
    t.push_str(&format!("\nuncommitted: {} file(s)", f.dirty.len()));
    for p in f.dirty.iter().take(10) {
        t.push_str(&format!("\n  {p}"));
    }
    if f.dirty.len() > 10 {
        t.push_str(&format!("\n  and {} more", f.dirty.len() - 10));
    }
    if let Some(b) = f.disk_bytes {
        t.push_str(&format!("\ndisk: {} (objects shared with the repository not counted)", size(b)));
    }
    t.push_str(&format!("\nlast activity: {}", when(f.last_activity)));
    t
}

#[cfg(test)]
mod when_tests {
    #[test]
    fn times_are_utc_dates() {
        assert_eq!(super::when(0), "1970-01-01 00:00:00");
        assert_eq!(super::when(1_795_000_000_123), "2026-11-18 11:06:40");
    }
}
