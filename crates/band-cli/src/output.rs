//! How results are shown: one JSON document in JSON mode, short readable text otherwise.

use band_adapters::api;
use serde::Serialize;

use crate::Failure;

pub struct Printer {
    pub json: bool,
}

impl Printer {
    /// Prints `value` as JSON, or `text()` in text mode.
    fn show<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> Result<(), Failure> {
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
                "home:          {}\nport:          {}\nbind:          {}\nworktrees dir: {}\nversion:       {}",
                s.home, s.web_server_port, s.bind, s.worktrees_dir, s.version
            )
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
            format!(
                "{verb} workspace {} {}/{} at {}",
                w.workspace.id, w.workspace.project, w.workspace.branch, w.workspace.path
            )
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
                        vec![w.id.to_string(), format!("{}/{}", w.project, w.branch), w.base.clone(), w.path.clone()]
                    })
                    .collect(),
            )
        })
    }

    pub fn workspace(&self, w: &api::WorkspaceInfo) -> Result<(), Failure> {
        self.show(w, || format!("{} {}/{} (base {}) at {}", w.id, w.project, w.branch, w.base, w.path))
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
            format!("removed workspace {}/{} ({}); {branch}", w.project, w.branch, w.path)
        })
    }
}

fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
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
