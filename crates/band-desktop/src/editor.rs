//! Which editor opens a workspace or a file at a line, and with which arguments.
//!
//! Order: `$VISUAL`, then the GUI editors found on the PATH (VS Code, Cursor, Zed, the JetBrains
//! IDEs), then `$EDITOR`. A terminal editor (vi, vim, nvim, nano, emacs -nw, micro, helix,
//! kakoune...) runs inside a terminal emulator found on the PATH. The command is an argv array,
//! never a shell line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How an editor takes a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `code --goto FILE:LINE` (VS Code, Cursor).
    Goto,
    /// `zed FILE:LINE`, `hx FILE:LINE`.
    Colon,
    /// `idea --line LINE FILE` (JetBrains).
    LineFlag,
    /// `vim +LINE FILE` (and most terminal editors).
    Plus,
}

/// A detected editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    /// What the person would call it ("VS Code", "$EDITOR (vim)").
    pub name: String,
    /// The program and the arguments given in the variable.
    pub program: PathBuf,
    pub args: Vec<String>,
    pub style: Style,
    /// Runs in a terminal emulator: this one, with its flag.
    pub terminal: Option<(PathBuf, Vec<String>)>,
}

/// GUI editors looked for on the PATH, in order.
pub const GUI_EDITORS: &[(&str, &str, Style)] = &[
    ("code", "VS Code", Style::Goto),
    ("cursor", "Cursor", Style::Goto),
    ("zed", "Zed", Style::Colon),
    ("zeditor", "Zed", Style::Colon),
    ("idea", "IntelliJ IDEA", Style::LineFlag),
    ("rustrover", "RustRover", Style::LineFlag),
    ("webstorm", "WebStorm", Style::LineFlag),
    ("pycharm", "PyCharm", Style::LineFlag),
    ("goland", "GoLand", Style::LineFlag),
    ("clion", "CLion", Style::LineFlag),
    ("phpstorm", "PhpStorm", Style::LineFlag),
    ("rubymine", "RubyMine", Style::LineFlag),
    ("fleet", "Fleet", Style::LineFlag),
];

/// Editors that need a terminal.
const TERMINAL_EDITORS: &[&str] =
    &["vi", "vim", "nvim", "nano", "pico", "micro", "hx", "helix", "kak", "joe", "ne", "mg", "emacs", "ed"];

/// Terminal emulators looked for, with the flag before the command.
const TERMINALS: &[(&str, &[&str])] = &[
    ("x-terminal-emulator", &["-e"]),
    ("gnome-terminal", &["--"]),
    ("konsole", &["-e"]),
    ("xfce4-terminal", &["-x"]),
    ("alacritty", &["-e"]),
    ("kitty", &[]),
    ("foot", &[]),
    ("wezterm", &["start", "--"]),
    ("xterm", &["-e"]),
];

/// An executable named `name` in one of `path`'s directories (or `name` itself when it is a path).
pub fn which(name: &str, path: &[PathBuf]) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_exec(&p).then_some(p);
    }
    path.iter().filter(|d| d.is_absolute()).map(|d| d.join(name)).find(|p| is_exec(p))
}

fn from_variable(var: &str, value: &str, path: &[PathBuf]) -> Option<Editor> {
    let mut words = value.split_whitespace();
    let program_word = words.next()?;
    let program = which(program_word, path)?;
    let args: Vec<String> = words.map(str::to_owned).collect();
    let base = program.file_name()?.to_string_lossy().into_owned();
    let gui = GUI_EDITORS.iter().find(|(b, _, _)| *b == base);
    let style = match (gui, base.as_str()) {
        (Some((_, _, style)), _) => *style,
        (None, "hx" | "helix") => Style::Colon,
        _ => Style::Plus,
    };
    // emacs is a GUI editor unless told -nw.
    let no_window = args.iter().any(|a| a == "-nw" || a == "--no-window-system");
    let in_terminal = TERMINAL_EDITORS.contains(&base.as_str()) && (base != "emacs" || no_window);
    let terminal = if in_terminal {
        Some(
            TERMINALS
                .iter()
                .find_map(|(t, flag)| which(t, path).map(|p| (p, flag.iter().map(|s| (*s).to_owned()).collect())))?,
        )
    } else {
        None
    };
    Some(Editor { name: format!("${var} ({base})"), program, args, style, terminal })
}

/// The editor to use, given the environment's `VISUAL`, `EDITOR` and `PATH`.
pub fn detect(visual: Option<&str>, editor: Option<&str>, path: Option<OsString>) -> Option<Editor> {
    let path: Vec<PathBuf> = path.map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Some(e) = visual.filter(|v| !v.trim().is_empty()).and_then(|v| from_variable("VISUAL", v, &path)) {
        return Some(e);
    }
    for (bin, name, style) in GUI_EDITORS {
        if let Some(program) = which(bin, &path) {
            return Some(Editor { name: (*name).to_owned(), program, args: Vec::new(), style: *style, terminal: None });
        }
    }
    editor.filter(|v| !v.trim().is_empty()).and_then(|v| from_variable("EDITOR", v, &path))
}

/// The editor of this process's environment.
pub fn from_env() -> Option<Editor> {
    detect(std::env::var("VISUAL").ok().as_deref(), std::env::var("EDITOR").ok().as_deref(), std::env::var_os("PATH"))
}

impl Editor {
    /// The argv that opens `target` (a directory, or a file at `line`).
    pub fn argv(&self, target: &Path, line: Option<u32>) -> Vec<OsString> {
        let mut argv: Vec<OsString> = Vec::new();
        if let Some((terminal, flag)) = &self.terminal {
            argv.push(terminal.clone().into());
            argv.extend(flag.iter().map(OsString::from));
        }
        argv.push(self.program.clone().into());
        argv.extend(self.args.iter().map(OsString::from));
        let target_os: OsString = target.into();
        let with_colon = |line: u32| {
            let mut s = target_os.clone();
            s.push(format!(":{line}"));
            s
        };
        match (line, self.style) {
            (None, _) => argv.push(target_os),
            (Some(l), Style::Goto) => {
                argv.push("--goto".into());
                argv.push(with_colon(l));
            }
            (Some(l), Style::Colon) => argv.push(with_colon(l)),
            (Some(l), Style::LineFlag) => {
                argv.push("--line".into());
                argv.push(l.to_string().into());
                argv.push(target_os);
            }
            (Some(l), Style::Plus) => {
                argv.push(format!("+{l}").into());
                argv.push(target_os);
            }
        }
        argv
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn bin_dir(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for n in names {
            let p = dir.path().join(n);
            std::fs::write(&p, "#!/bin/sh\n").expect("write");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        dir
    }

    fn args(e: &Editor, target: &str, line: Option<u32>) -> Vec<String> {
        e.argv(Path::new(target), line)
            .into_iter()
            .map(|a| {
                let a = a.to_string_lossy().into_owned();
                a.rsplit('/').next().unwrap_or(&a).to_owned()
            })
            .collect()
    }

    #[test]
    fn visual_first_then_gui_editors_then_editor() {
        let dir = bin_dir(&["code", "zed", "vim", "idea", "x-terminal-emulator", "cursor"]);
        let path = Some(dir.path().as_os_str().to_owned());
        let e = detect(Some("zed --wait"), Some("vim"), path.clone()).expect("editor");
        assert_eq!((e.name.as_str(), e.style), ("$VISUAL (zed)", Style::Colon));
        assert_eq!(args(&e, "/w/a.rs", Some(12)), ["zed", "--wait", "a.rs:12"]);
        let e = detect(None, Some("vim"), path.clone()).expect("editor");
        assert_eq!(e.name, "VS Code");
        assert_eq!(args(&e, "/w/a.rs", Some(3)), ["code", "--goto", "a.rs:3"]);
        assert_eq!(args(&e, "/w", None), ["code", "w"]);
        let only_vim = bin_dir(&["vim", "x-terminal-emulator"]);
        let e = detect(Some(""), Some("vim"), Some(only_vim.path().as_os_str().to_owned())).expect("editor");
        assert_eq!(args(&e, "/w/a.rs", Some(7)), ["x-terminal-emulator", "-e", "vim", "+7", "a.rs"]);
    }

    #[test]
    fn jetbrains_cursor_and_gui_emacs_take_their_own_arguments() {
        let dir = bin_dir(&["idea", "emacs"]);
        let path = Some(dir.path().as_os_str().to_owned());
        let e = detect(None, None, path.clone()).expect("idea");
        assert_eq!(args(&e, "/w/a.kt", Some(40)), ["idea", "--line", "40", "a.kt"]);
        let e = detect(Some("emacs"), None, path.clone()).expect("emacs");
        assert_eq!(e.terminal, None, "emacs without -nw opens its own window");
        assert_eq!(args(&e, "/w/a.el", Some(2)), ["emacs", "+2", "a.el"]);
        let cursor = bin_dir(&["cursor"]);
        let e = detect(None, None, Some(cursor.path().as_os_str().to_owned())).expect("cursor");
        assert_eq!(
            (e.name.as_str(), args(&e, "/w/b", Some(1))),
            ("Cursor", vec!["cursor".into(), "--goto".into(), "b:1".into()])
        );
    }

    #[test]
    fn nothing_usable_is_no_editor() {
        let empty = bin_dir(&[]);
        let path = Some(empty.path().as_os_str().to_owned());
        assert_eq!(detect(None, None, path.clone()), None);
        assert_eq!(detect(Some("nonexistent-editor"), Some("  "), path.clone()), None);
        // A terminal editor with no terminal emulator to run it in.
        let vim_only = bin_dir(&["vim"]);
        assert_eq!(detect(None, Some("vim"), Some(vim_only.path().as_os_str().to_owned())), None);
        // Relative PATH entries are never searched.
        assert_eq!(which("code", &[PathBuf::from(".")]), None);
    }
}
