//! Classifies every adapter's permission requests for band's policies ([`ToolClassifier`]):
//! Claude Code's tools (`Bash`, `Write`, `Edit`, `MultiEdit`, `NotebookEdit`, `Read`...) and
//! terminal agents' PreToolUse payloads (the same `tool_input`), Codex's approvals (`exec_command`
//! with `command`, `apply_patch` with `changes[].path` and their `kind`), and ACP tool calls
//! (`rawInput` with `command`/`file_path`/`filePath`/`path`, or the call's `kind` and
//! `locations`). A file call creates when none of its paths exists in the workspace yet, else it
//! edits. Paths are made relative to the workspace (lexically: `..` is folded, symlinks are not
//! followed); a path outside it stays absolute so policies judge it as such.

use std::path::{Component, Path, PathBuf};

use band_core::ports::ToolClassifier;
use band_core::{ToolAction, ToolCall};
use serde_json::Value;

use super::tool_kind;

/// The classifier every runtime's requests go through.
#[derive(Debug, Default, Clone, Copy)]
pub struct Classifier;

const PATH_KEYS: [&str; 6] = ["file_path", "filePath", "path", "notebook_path", "absolute_path", "filename"];

impl ToolClassifier for Classifier {
    fn classify(&self, tool: &str, input: &str, edit: bool, workspace: &Path) -> ToolCall {
        let v: Value = serde_json::from_str(input).unwrap_or(Value::Null);
        let kind = match tool_kind(tool) {
            "other" => acp_kind(tool, &v),
            k => k,
        };
        let mut paths = Vec::new();
        let mut created = None;
        for key in PATH_KEYS {
            if let Some(p) = v.get(key).and_then(Value::as_str) {
                paths.push(p.to_owned());
            }
        }
        for list in ["changes", "locations"] {
            for item in v.get(list).and_then(Value::as_array).into_iter().flatten() {
                if let Some(p) = item.get("path").and_then(Value::as_str) {
                    paths.push(p.to_owned());
                    // Codex says whether a change adds the file.
                    let t = item["kind"]["type"].as_str().or_else(|| item["kind"].as_str());
                    if let Some(t) = t {
                        created = Some(created.unwrap_or(true) && t == "add");
                    }
                }
            }
        }
        // Codex (older shapes) keys changes by path.
        if let Some(map) = v.get("changes").and_then(Value::as_object) {
            paths.extend(map.keys().cloned());
        }
        let paths: Vec<String> = paths.iter().map(|p| relative(workspace, p)).collect();
        let command = match v.get("command") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(a)) => Some(a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
            _ => None,
        };
        let action = match (kind, command) {
            ("execute", Some(command)) => ToolAction::RunCommand { command },
            ("execute", None) => ToolAction::RunCommand { command: String::new() },
            (k, _) if k == "edit" || edit => {
                let exists = paths.iter().any(|p| workspace.join(p).exists());
                match created {
                    Some(true) => ToolAction::CreateFile,
                    Some(false) => ToolAction::EditFile,
                    None if exists => ToolAction::EditFile,
                    None => ToolAction::CreateFile,
                }
            }
            _ => ToolAction::Other,
        };
        ToolCall { tool: tool.to_owned(), action, paths }
    }
}

/// The kind of an ACP agent's tool, from its name or the `kind` it gave.
fn acp_kind(tool: &str, v: &Value) -> &'static str {
    let named = tool.to_ascii_lowercase();
    match v.get("kind").and_then(Value::as_str) {
        Some("execute") => return "execute",
        Some("edit" | "delete" | "move") => return "edit",
        _ => {}
    }
    if ["run_shell_command", "bash", "shell", "terminal", "execute"].contains(&named.as_str()) {
        "execute"
    } else if ["write_file", "write", "edit", "replace", "patch", "multiedit", "delete", "move"]
        .contains(&named.as_str())
    {
        "edit"
    } else {
        "other"
    }
}

/// `p` relative to `workspace` (`/`-separated) when inside it, else absolute; `..` folded.
fn relative(workspace: &Path, p: &str) -> String {
    let joined = if Path::new(p).is_absolute() { PathBuf::from(p) } else { workspace.join(p) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    match out.strip_prefix(workspace) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => out.to_string_lossy().into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(tool: &str, input: Value, edit: bool, ws: &Path) -> ToolCall {
        Classifier.classify(tool, &input.to_string(), edit, ws)
    }

    #[test]
    fn every_adapters_shapes_are_classified() {
        let dir = tempfile::tempdir().expect("dir");
        let ws = dir.path();
        std::fs::write(ws.join("old.txt"), "x").expect("write");
        let run = |c: &str| ToolAction::RunCommand { command: c.into() };
        // Claude Code (and terminal agents' PreToolUse tool_input).
        assert_eq!(classify("Bash", serde_json::json!({"command": "ls"}), false, ws).action, run("ls"));
        let w = classify("Write", serde_json::json!({"file_path": ws.join("new.txt"), "content": ""}), true, ws);
        assert_eq!((w.action, w.paths), (ToolAction::CreateFile, vec!["new.txt".to_owned()]));
        let e = classify("Edit", serde_json::json!({"file_path": ws.join("old.txt")}), true, ws);
        assert_eq!(e.action, ToolAction::EditFile);
        let out = classify("Write", serde_json::json!({"file_path": "../../etc/x"}), true, ws);
        assert!(out.paths[0].starts_with('/'), "{:?}", out.paths);
        // Codex.
        let c = classify("exec_command", serde_json::json!({"command": "git push", "cwd": "/x"}), false, ws);
        assert_eq!(c.action, run("git push"));
        let p = serde_json::json!({"changes": [{"path": ws.join("a/b.rs"), "kind": {"type": "add"}}]});
        let p = classify("apply_patch", p, true, ws);
        assert_eq!((p.action, p.paths), (ToolAction::CreateFile, vec!["a/b.rs".to_owned()]));
        // ACP: Gemini/Qwen, OpenCode, and a call with only its kind and locations.
        assert_eq!(classify("run_shell_command", serde_json::json!({"command": "ls"}), false, ws).action, run("ls"));
        assert_eq!(classify("bash", serde_json::json!({"command": "ls"}), false, ws).action, run("ls"));
        let o = classify("write", serde_json::json!({"filePath": ws.join("old.txt")}), true, ws);
        assert_eq!(o.action, ToolAction::EditFile);
        let k = serde_json::json!({"title": "Delete", "kind": "delete", "locations": [{"path": ws.join("old.txt")}]});
        assert_eq!(classify("Delete", k, false, ws).action, ToolAction::EditFile);
        let mcp = classify("mcp__band__echo", serde_json::json!({"text": "hi"}), false, ws);
        assert_eq!(mcp.action, ToolAction::Other);
        assert_eq!(classify("Read", serde_json::json!({"file_path": "src/x"}), false, ws).paths, ["src/x"]);
    }
}
