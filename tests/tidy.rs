//! Architecture rules, checked from the files themselves so that a wrong arrow fails CI:
//! - band-core depends on no band crate and no I/O crate (an allow-list, not a deny-list);
//! - adapters depend on band-core, never on each other or on a binary crate;
//! - the CLI reaches the server only through the API (no store, no git), and links none of the
//!   server's machinery (checked on its resolved dependency tree, not only its manifest);
//! - every crate root opens with a `//!` doc saying what the crate is for;
//! - every process band starts goes through band-process, and band-process's one `pre_exec` is
//!   the only `unsafe` code in the workspace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

/// Crate directories: everything under crates/ plus tests/.
fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.push(root().join("tests"));
    dirs.sort();
    dirs
}

/// The package name and dependency names per section (`dependencies`, `dev-dependencies`...).
fn manifest(dir: &Path) -> (String, BTreeMap<String, Vec<String>>) {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    let mut name = String::new();
    let mut section = String::new();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).to_owned();
            // `[dependencies.foo]`: a dependency written as a table; its keys are not deps.
            if let Some((table, dep)) = section.clone().rsplit_once('.')
                && table.ends_with("dependencies")
            {
                deps.entry(table.to_owned()).or_default().push(dep.trim_matches('"').to_owned());
                section.clear();
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim();
        if section == "package" && key == "name" {
            name = value.trim().trim_matches('"').to_owned();
        } else if section.ends_with("dependencies") && !key.is_empty() && !key.starts_with('#') {
            let dep = key.split('.').next().unwrap_or(key).trim_matches('"').to_owned();
            deps.entry(section.clone()).or_default().push(dep);
        }
    }
    assert!(!name.is_empty(), "{} has no package name", dir.display());
    (name, deps)
}

fn runtime_deps(dir: &Path) -> Vec<String> {
    manifest(dir).1.get("dependencies").cloned().unwrap_or_default()
}

#[test]
fn band_core_depends_only_on_pure_crates() {
    // futures-util: runtime-agnostic async locks; no I/O.
    let allowed = ["async-trait", "thiserror", "futures-util"];
    let (_, sections) = manifest(&root().join("crates/band-core"));
    for (section, deps) in &sections {
        if section == "dev-dependencies" {
            continue;
        }
        for dep in deps {
            assert!(
                allowed.contains(&dep.as_str()),
                "band-core must stay free of I/O and adapters, but its [{section}] lists `{dep}`; \
                 put the code that needs it in an adapter crate behind a port"
            );
        }
    }
}

#[test]
fn dependencies_point_inwards() {
    // crate -> band crates it may depend on at run time.
    let rules: &[(&str, &[&str])] = &[
        ("band-core", &[]),
        ("band-testkit", &["band-core"]),
        ("band-store", &["band-core"]),
        ("band-git", &["band-core", "band-process"]),
        ("band-files", &["band-core"]),
        ("band-adapters", &["band-core", "band-process"]),
        ("band-api", &[]),
        ("band-cli", &["band-api"]),
        (
            "band-server",
            &["band-core", "band-api", "band-adapters", "band-store", "band-git", "band-files", "band-process"],
        ),
        ("band-process", &[]),
        // A composition root like band-server: it embeds the server, speaks the API to it (the
        // same client for an embedded and an attached server), and hands agent runtimes
        // (band-core's port) to the embedded one.
        ("band-desktop", &["band-core", "band-api", "band-server", "band-process"]),
        ("band-mockmodel", &[]),
        ("band-tests", &[]),
    ];
    for dir in crate_dirs() {
        let (name, _) = manifest(&dir);
        let Some((_, allowed)) = rules.iter().find(|(n, _)| *n == name) else {
            panic!("crate {name} has no dependency rule in tests/tidy.rs: decide where it sits and add one");
        };
        for dep in runtime_deps(&dir).iter().filter(|d| d.starts_with("band-")) {
            assert!(allowed.contains(&dep.as_str()), "{name} must not depend on {dep} (allowed: {allowed:?})");
        }
    }
}

#[test]
fn no_library_crate_depends_on_test_support() {
    for dir in crate_dirs() {
        let (name, _) = manifest(&dir);
        assert!(!runtime_deps(&dir).iter().any(|d| d == "band-testkit"), "{name} depends on band-testkit at run time");
    }
}

#[test]
fn every_crate_root_opens_with_a_doc_comment() {
    let mut roots = Vec::new();
    for dir in crate_dirs() {
        for file in ["src/lib.rs", "src/main.rs", "lib.rs"] {
            let path = dir.join(file);
            if path.is_file() {
                roots.push(path);
            }
        }
    }
    assert!(roots.len() >= 8, "found only {roots:?}");
    for path in roots {
        let text = std::fs::read_to_string(&path).expect("read");
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        assert!(first.starts_with("//!"), "{} must open with a `//!` doc saying what the crate is for", path.display());
    }
}

#[test]
fn the_manifest_parser_sees_what_it_checks() {
    // Guards the guard: if parsing broke, the rules above would pass vacuously.
    let deps = runtime_deps(&root().join("crates/band-server"));
    for expected in ["band-core", "band-store", "band-git", "tokio", "axum", "jsonrpsee"] {
        assert!(deps.iter().any(|d| d == expected), "parser missed {expected} in {deps:?}");
    }
    assert_eq!(runtime_deps(&root().join("crates/band-core")), ["async-trait", "thiserror", "futures-util"]);
}

/// The resolved crates `band` links (normal dependencies only, all features as built).
fn cli_dependency_tree() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["tree", "--offline", "--locked", "-p", "band-cli", "-e", "normal", "--prefix", "none", "-f", "{p} {f}"])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn the_cli_links_no_server_machinery() {
    let tree = cli_dependency_tree();
    // Guards the guard: the tree is read (the CLI's own client stack is in it).
    assert!(tree.iter().any(|l| l.starts_with("band-api ")), "band-api missing from {tree:?}");
    assert!(tree.iter().any(|l| l.starts_with("hyper ")), "hyper missing from {tree:?}");
    for forbidden in
        ["pty-process", "diesel", "libsqlite3-sys", "gix", "band-core", "band-adapters", "band-store", "band-git"]
    {
        assert!(
            !tree.iter().any(|l| l.split_whitespace().next() == Some(forbidden)),
            "band (the CLI) links {forbidden}; it must speak only the API (band-api)"
        );
    }
    // jsonrpsee's server half: neither the crate nor the feature.
    for line in tree.iter().filter(|l| l.starts_with("jsonrpsee")) {
        assert!(
            !line.starts_with("jsonrpsee-server") && !line.contains("server"),
            "the CLI links JSON-RPC server code: {line}"
        );
    }
}

/// The non-test Rust source of a crate: `src/**/*.rs` (the root `lib.rs` of band-tests), each
/// cut at its first `#[cfg(test)]` (the unit tests at the end of a file).
fn non_test_sources(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&dir.join("src"), &mut files);
    if dir.join("lib.rs").is_file() {
        files.push(dir.join("lib.rs"));
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read");
            let cut = text.find("#[cfg(test)]").unwrap_or(text.len());
            (path, text[..cut].to_owned())
        })
        .collect()
}

/// Whether a line of code starts a process: `Command::new(` (std's, tokio's or pty-process's,
/// not e.g. `GitCommand::new(`), a process `.spawn()` (std's and tokio's take no argument, which
/// tells them from a task's or a thread's), or naming a process command type at all
/// (pty-process's `spawn(pts)` needs `pty_process::Command`). Comments do not count.
fn starts_a_process(line: &str) -> bool {
    let code = line.trim_start();
    if code.starts_with("//") {
        return false;
    }
    let bare_command_new = code
        .match_indices("Command::new(")
        .any(|(at, _)| !code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'));
    bare_command_new
        || code.contains(".spawn()")
        || ["std::process::Command", "tokio::process::Command", "pty_process::Command", ".pre_exec("]
            .iter()
            .any(|p| code.contains(p))
}

/// Where a process may be started other than through band-process, and why.
const MAY_START_PROCESSES: &[(&str, &str)] = &[
    ("crates/band-process/", "the supervisor itself"),
    ("crates/band-testkit/src/fixtures.rs", "test support: builds git repositories for tests"),
    ("crates/band-mockmodel/", "test support: the mock model, and the real CLIs it records"),
    (
        "crates/band-desktop/src/launch.rs",
        "the person's own editor: it must outlive band, so it is deliberately not in band's scope (a sweep of \
         band's processes would kill it); detached, reaped, without band's variables",
    ),
    ("crates/band-desktop/src/main.rs", "the launcher exec()s the shell: it replaces itself and starts no process"),
];

/// Lines of non-test source that start a process, outside `allowed` (paths relative to the root).
fn process_starts(allowed: &[(&str, &str)]) -> Vec<String> {
    let root = root();
    let mut found = Vec::new();
    for dir in crate_dirs() {
        for (path, text) in non_test_sources(&dir) {
            let rel = path.strip_prefix(&root).expect("inside the root").to_string_lossy().into_owned();
            if allowed.iter().any(|(prefix, _)| rel.starts_with(prefix)) {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                if starts_a_process(line) {
                    found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn every_process_is_started_by_band_process() {
    let found = process_starts(MAY_START_PROCESSES);
    assert!(
        found.is_empty(),
        "these lines start a process without band-process's Supervisor (which marks it, groups it, ties it to \
         the server's life and sweeps what it leaves); start it through a Supervisor the composition root hands \
         over instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_process_rule_sees_what_it_checks() {
    // Guards the guard: planted lines are seen, look-alikes are not...
    for planted in [
        "let mut child = Command::new(\"sh\")",
        "    let c = std::process::Command::new(program);",
        "use tokio::process::Command;",
        "let child = pty_process::Command::new(&shell).spawn(pts)?;",
        "        .spawn()",
        "unsafe { cmd.pre_exec(hook) };",
    ] {
        assert!(starts_a_process(planted), "missed: {planted}");
    }
    for innocent in [
        "GitCommand::new(&self.supervisor, &self.program, dir, access)",
        "tokio::spawn(async move {",
        "std::thread::Builder::new().name(x).spawn(move || {})",
        "runtime.spawn(async move { waiter.await })",
        "// spawned with tokio::process::Command, once",
    ] {
        assert!(!starts_a_process(innocent), "flagged: {innocent}");
    }
    // ...and the walk reaches the source: without its allow-list entry, band-process's own spawns
    // would be reported.
    let found = process_starts(&MAY_START_PROCESSES[1..]);
    assert!(found.iter().any(|f| f.starts_with("crates/band-process/src/")), "{found:?}");
}

/// A line with the contents of its string literals blanked (one line at a time: enough for the
/// strings this workspace writes).
fn without_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in line.chars() {
        match (in_string, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (true, _, _) => escaped = false,
            (false, _, '"') => in_string = true,
            _ => {}
        }
        out.push(if in_string && c != '"' { ' ' } else { c });
    }
    out
}

/// The lines (1-based) where the keyword `unsafe` is code: not in a comment or a string, not
/// part of a longer word.
fn unsafe_keywords(text: &str) -> Vec<usize> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let line = without_strings(line);
        let hit = line.match_indices("unsafe").any(|(at, _)| {
            !line[..at].chars().next_back().is_some_and(word) && !line[at + 6..].chars().next().is_some_and(word)
        });
        if hit {
            found.push(n + 1);
        }
    }
    found
}

/// Every Rust file of a crate: sources, tests, benches, examples.
fn all_rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target" && n != "node_modules") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
}

#[test]
fn the_only_unsafe_code_is_band_process_pre_exec() {
    let root = root();
    let mut elsewhere = Vec::new();
    let mut in_band_process = Vec::new();
    for dir in crate_dirs() {
        for path in all_rust_files(&dir) {
            let rel = path.strip_prefix(&root).expect("inside the root").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("read");
            for line in unsafe_keywords(&text) {
                if rel.starts_with("crates/band-process/") {
                    in_band_process.push(format!("{rel}:{line}"));
                } else {
                    elsewhere.push(format!("{rel}:{line}"));
                }
            }
        }
    }
    assert!(
        elsewhere.is_empty(),
        "unsafe code outside band-process (the workspace forbids it; the one exception is the pre_exec that arms \
         the parent-death signal): {elsewhere:?}"
    );
    assert_eq!(
        in_band_process.len(),
        1,
        "band-process has exactly one unsafe block (src/spawner.rs): {in_band_process:?}"
    );
    assert!(in_band_process[0].starts_with("crates/band-process/src/spawner.rs:"), "{in_band_process:?}");
    // Guards the guard.
    assert_eq!(unsafe_keywords("fn f() {\n    unsafe { g() }\n}\nunsafe impl Send for X {}\n"), [2, 4]);
    assert_eq!(
        unsafe_keywords(
            "// unsafe code is forbidden\nconst CSP: &str = \"'unsafe-inline' \\\" unsafe {\";\nlet unsafe_code = 1;\n"
        ),
        Vec::<usize>::new()
    );
}

/// `key = value` lines of the TOML sections whose names start with `section`, keyed by section
/// suffix and key (a small reader, enough for the lint tables).
fn toml_table(text: &str, section: &str) -> BTreeMap<String, String> {
    let mut table = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line.trim_matches(['[', ']']).strip_prefix(section).map(str::to_owned);
            continue;
        }
        if let (Some(name), Some((key, value))) = (&current, line.split_once('='))
            && !line.starts_with('#')
        {
            table.insert(format!("{name}.{}", key.trim()), value.trim().to_owned());
        }
    }
    table
}

#[test]
fn every_crate_uses_the_workspace_lints_and_band_process_differs_only_in_unsafe_code() {
    let workspace = toml_table(&std::fs::read_to_string(root().join("Cargo.toml")).expect("read"), "workspace.lints");
    assert!(workspace.get(".rust.unsafe_code").is_some_and(|v| v == "\"forbid\""), "{workspace:?}");
    for dir in crate_dirs() {
        let (name, _) = manifest(&dir);
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read");
        if name == "band-process" {
            let mut own = toml_table(&text, "lints");
            assert_eq!(own.insert(".rust.unsafe_code".into(), "\"forbid\"".into()).as_deref(), Some("\"deny\""));
            assert_eq!(
                own, workspace,
                "band-process's lints must stay the workspace's, but for unsafe_code = \"deny\""
            );
        } else {
            assert_eq!(
                toml_table(&text, "lints").get(".workspace").map(String::as_str),
                Some("true"),
                "{name} must use the workspace lints ([lints] workspace = true), which forbid unsafe code"
            );
        }
    }
}

/// The integration-test binaries of a crate: `[[test]]` entries, and what cargo finds by itself
/// (`tests/*.rs`, `tests/*/main.rs`).
fn test_binaries(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    let mut found: Vec<String> =
        text.lines().filter(|l| l.trim() == "[[test]]").map(|_| "[[test]] in Cargo.toml".to_owned()).collect();
    for entry in std::fs::read_dir(dir.join("tests")).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs") || path.join("main.rs").is_file() {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn each_crate_has_at_most_one_integration_test_binary() {
    // Each test binary is a separate link, about a minute on 2 cores: a crate's integration
    // tests are modules of one (tests/<crate>/main.rs, or a single tests/<name>.rs).
    for dir in crate_dirs() {
        let (name, _) = manifest(&dir);
        let binaries = test_binaries(&dir);
        assert!(binaries.len() <= 1, "{name} has {} integration-test binaries: {binaries:?}", binaries.len());
    }
    // Guards the guard: it sees the binaries that exist.
    assert_eq!(test_binaries(&root().join("crates/band-server")).len(), 1);
    assert_eq!(test_binaries(&root().join("tests")).len(), 1);
}
