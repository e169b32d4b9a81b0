//! Architecture rules, checked from the files themselves so that a wrong arrow fails CI:
//! - band-core depends on no band crate and no I/O crate (an allow-list, not a deny-list);
//! - adapters depend on band-core, never on each other or on a binary crate;
//! - the CLI reaches the server only through the API (no store, no git);
//! - every crate root opens with a `//!` doc saying what the crate is for.

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
        ("band-cli", &["band-adapters"]),
        ("band-server", &["band-core", "band-adapters", "band-store", "band-git", "band-files", "band-process"]),
        ("band-process", &[]),
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
