//! Policy check benchmark, in-process: what band adds to each tool call when a policy is in force.
//! Three figures, each over many calls (a command, a create, an edit, an MCP tool, in turn):
//! - the pure check (`Policy::check` on the merged rules of four scopes, ~40 globs);
//! - classification (band-adapters' `Classifier` parsing the request's JSON) plus the check;
//! - a cold decision: the four scopes' rules read from a real SQLite file (`PolicyStore`),
//!   merged, the call classified and checked (what the first call of a chat after a change costs);
//! - the decision as the chat service makes it on every call: `Policies::for_chat` (its merged
//!   policy, kept per chat until a policy changes), classification and the check.
//!
//! `cargo bench -p band-server --bench policy` runs it fully; `cargo test --all-targets` runs a
//! small smoke version so it cannot rot.

use std::time::Instant;

use band_adapters::agents::policy::Classifier;
use band_core::ports::{PolicyStore, ToolClassifier};
use band_core::{ChatId, Policy, PolicyAssignment, PolicyRules, PolicyScope, ProjectId, WorkspaceId};

struct Quiet;

impl band_core::ports::EventSink for Quiet {
    fn publish(&self, _: band_core::ports::Notice) {}
}

fn rules(pairs: &[&str]) -> PolicyRules {
    let mut r = PolicyRules::default();
    r.apply(&pairs.iter().map(|p| PolicyAssignment::parse(p).expect("assignment")).collect::<Vec<_>>());
    r
}

fn percentiles(mut ns: Vec<u64>) -> (f64, f64, f64) {
    ns.sort_unstable();
    let at = |p: f64| ns[((ns.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
    (at(0.5), at(0.99), at(1.0))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 200_000 } else { 500 };
    println!("band policy check benchmark ({} run): {n} calls per figure", if full { "full" } else { "smoke" });
    let layers = vec![
        (
            PolicyScope::Global,
            rules(&[
                "canPushGit=false",
                "denyCommands=*rm -rf*,*curl *|*sh*,*sudo *,*mkfs*,*dd if=*",
                "denyTools=mcp__evil__*,WebFetch",
            ]),
        ),
        (
            PolicyScope::Project(ProjectId(1)),
            rules(&[
                "denyPaths=secrets/**,.env,**/*.pem,**/*.key,.git/**",
                "allowCommands=cargo *,git *,npm *,ls*,cat *,echo *,sh *,make *",
            ]),
        ),
        (
            PolicyScope::Workspace(WorkspaceId(1)),
            rules(&["allowPaths=src/**,tests/**,docs/**,*.md,Cargo.*,p.sh,**/*.rs", "maxTurns=50"]),
        ),
        (PolicyScope::Chat(ChatId(1)), rules(&["canCreateFiles=true", "denyPaths=src/generated/**"])),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("src")).expect("ws");
    std::fs::write(ws.join("src/lib.rs"), "").expect("file");
    let requests: Vec<(&str, String)> = vec![
        (
            "Bash",
            serde_json::json!({"command": "cargo test -p band-core --lib policy", "description": "test"}).to_string(),
        ),
        ("Write", serde_json::json!({"file_path": ws.join("src/new.rs"), "content": "fn main() {}\n"}).to_string()),
        (
            "Edit",
            serde_json::json!({"file_path": ws.join("src/lib.rs"), "old_string": "a", "new_string": "b"}).to_string(),
        ),
        ("mcp__band__echo", serde_json::json!({"text": "hi"}).to_string()),
    ];
    let classifier = Classifier;
    let calls: Vec<_> = requests.iter().map(|(t, i)| classifier.classify(t, i, false, &ws)).collect();
    let policy = Policy::merge(&layers);
    let verdicts: Vec<bool> = calls.iter().map(|c| policy.check(c).is_ok()).collect();
    assert_eq!(verdicts, [true, true, true, true], "the benchmark's calls are allowed (every rule is tried)");

    let mut pure = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let ok = std::hint::black_box(&policy).check(std::hint::black_box(&calls[i % calls.len()])).is_ok();
        pure.push(t.elapsed().as_nanos() as u64);
        assert!(ok);
    }
    let mut classified = Vec::with_capacity(n);
    for i in 0..n {
        let (tool, input) = &requests[i % requests.len()];
        let t = Instant::now();
        let call = classifier.classify(tool, input, false, &ws);
        let ok = policy.check(&call).is_ok();
        classified.push(t.elapsed().as_nanos() as u64);
        assert!(ok);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let whole = runtime.block_on(async {
        let store = band_store::SqliteStore::open(&dir.path().join("band.db")).await.expect("store");
        for (scope, r) in &layers {
            store.put_policy(*scope, r.clone()).await.expect("put");
        }
        let mut whole = Vec::with_capacity(n);
        for i in 0..n {
            let (tool, input) = &requests[i % requests.len()];
            let t = Instant::now();
            let mut loaded = Vec::with_capacity(4);
            for (scope, _) in &layers {
                loaded.push((*scope, store.policy(*scope).await.expect("policy")));
            }
            let call = classifier.classify(tool, input, false, &ws);
            let ok = Policy::merge(&loaded).check(&call).is_ok();
            whole.push(t.elapsed().as_nanos() as u64);
            assert!(ok);
        }
        // The service, on a real store with a project, workspace and chat.
        let store = std::sync::Arc::new(store);
        let project = band_core::ports::ProjectStore::insert_project(
            &*store,
            band_core::NewProject {
                name: band_core::ProjectName::new("app").expect("name"),
                path: dir.path().join("app"),
                default_branch: band_core::BranchName::new("main").expect("branch"),
            },
        )
        .await
        .expect("project");
        let workspace = band_core::ports::WorkspaceStore::insert_workspace(
            &*store,
            band_core::NewWorkspace {
                project_id: project.id,
                branch: band_core::BranchName::new("feat").expect("branch"),
                base: band_core::GitRef::new("main").expect("ref"),
                path: ws.clone(),
                branch_created: true,
                direct: false,
            },
        )
        .await
        .expect("workspace");
        let chat = band_core::ports::ChatStore::insert_chat(
            &*store,
            band_core::NewChat {
                workspace_id: workspace.id,
                agent: band_core::AgentId::new("claude-code").expect("agent"),
                model: None,
                mode: band_core::PermissionMode::Ask,
                name: band_core::ChatName::new("bench").expect("name"),
                labels: band_core::Labels::default(),
                via: band_core::ChatVia::Protocol,
            },
        )
        .await
        .expect("chat");
        for (scope, r) in [
            (PolicyScope::Project(project.id), &layers[1].1),
            (PolicyScope::Workspace(workspace.id), &layers[2].1),
            (PolicyScope::Chat(chat.id), &layers[3].1),
        ] {
            store.put_policy(scope, r.clone()).await.expect("put");
        }
        let git = std::sync::Arc::new(band_git::Git::new(band_process::Supervisor::new()));
        let workspaces = std::sync::Arc::new(band_core::services::Workspaces::new(
            store.clone(),
            store.clone(),
            git,
            std::sync::Arc::new(Quiet),
            dir.path().join("worktrees"),
        ));
        let policies = band_core::services::Policies::new(
            workspaces,
            band_core::services::PolicyPorts {
                store: store.clone(),
                audit: store.clone(),
                classifier: std::sync::Arc::new(Classifier),
                chats: store.clone(),
                keep: 1000,
            },
        );
        let mut service = Vec::with_capacity(n);
        for i in 0..n {
            let (tool, input) = &requests[i % requests.len()];
            let t = Instant::now();
            let policy = policies.for_chat(&chat).await.expect("policy");
            let call = policies.classify(tool, input, false, &ws);
            let ok = policy.check(&call).is_ok();
            service.push(t.elapsed().as_nanos() as u64);
            assert!(ok);
        }
        (whole, service)
    });
    let (whole, service) = whole;
    for (name, ns) in [
        ("pure check", pure),
        ("classify + check", classified),
        ("cold: read 4 scopes from SQLite + merge + classify + check", whole),
        ("as chats decide each call: Policies::for_chat + classify + check", service),
    ] {
        let (p50, p99, max) = percentiles(ns);
        println!("{name}: p50 {p50:.2} µs, p99 {p99:.2} µs, max {max:.1} µs");
    }
}
