//! The terminal service's policy against a fake host: terminals open only in known workspaces,
//! in the workspace's directory with the composition root's environment; sessions, sizes, titles
//! and input are capped; exited terminals make room; kill and shutdown end them all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use band_core::ports::{EventSink, GitRepos, ProjectStore, WorkspaceStore};
use band_core::services::terminals::{MAX_INPUT_BYTES, MAX_PER_WORKSPACE, MAX_TOTAL};
use band_core::services::{CreateTerminal, Projects, Terminals, Workspaces};
use band_core::*;
use band_testkit::events::RecordingSink;
use band_testkit::git::FakeGit;
use band_testkit::memory::MemoryStore;
use band_testkit::terminal::FakeTerminalHost;

struct World {
    host: Arc<FakeTerminalHost>,
    terminals: Terminals,
    workspaces: Arc<Workspaces>,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), Arc::new(RecordingSink::default()));
    git.add_repo(Path::new("/code/app"), "main", false);
    Projects::new(ps.clone(), ws.clone(), g.clone(), e.clone())
        .add(Path::new("/code/app"), None)
        .await
        .expect("project");
    let workspaces = Arc::new(Workspaces::new(ps, ws, g, e, PathBuf::from("/wt")));
    for branch in ["a", "b", "c", "d", "e"] {
        workspaces.create("app", branch, None).await.expect("workspace");
    }
    let host = FakeTerminalHost::new();
    let env = Arc::new(|| [("TERM".to_owned(), "xterm-256color".to_owned())].into_iter().collect());
    World { terminals: Terminals::new(workspaces.clone(), host.clone(), env), host, workspaces }
}

fn create(workspace: &str) -> CreateTerminal {
    CreateTerminal { workspace: workspace.into(), ..CreateTerminal::default() }
}

/// The facts, then the fix as data (each edge words it: see band-server's and band-cli's tests).
fn message(e: CoreError) -> String {
    match e.problem().and_then(|p| p.fix.clone()) {
        Some(fix) => format!("{e}; {fix:?}"),
        None => e.to_string(),
    }
}

#[tokio::test]
async fn a_terminal_starts_in_the_workspace_directory_with_the_servers_environment() {
    let w = world().await;
    let t = w.terminals.create(create("app/a")).await.expect("terminal");
    assert_eq!((t.id, t.title.as_str(), t.size, t.exit), (TerminalId(1), "terminal 1", TerminalSize::DEFAULT, None));
    let spawn = &w.host.spawns()[0];
    assert_eq!(spawn.cwd, PathBuf::from("/wt/app/a"));
    assert_eq!(spawn.env.keys().collect::<Vec<_>>(), ["TERM"]);
    let t = w
        .terminals
        .create(CreateTerminal {
            cols: Some(120),
            rows: Some(40),
            title: Some(" build ".into()),
            ..create("/wt/app/b/src")
        })
        .await
        .expect("by path");
    assert_eq!((t.title.as_str(), t.size.cols(), t.size.rows()), ("build", 120, 40));
    assert_eq!(w.host.spawns()[1].cwd, PathBuf::from("/wt/app/b"));
    let (_, b) = w.workspaces.resolve("app/b").await.expect("b");
    let listed: Vec<TerminalId> = w.terminals.list(Some("app/b")).await.expect("list").iter().map(|t| t.id).collect();
    assert_eq!(listed, [TerminalId(2)]);
    assert_eq!(w.terminals.list(None).await.expect("all").len(), 2);
    assert_eq!(w.terminals.get(TerminalId(2)).expect("get").workspace_id, b.id);
}

#[tokio::test]
async fn bad_requests_are_refused_clearly_and_start_nothing() {
    let w = world().await;
    let e = w.terminals.create(create("app/nope")).await.expect_err("unknown");
    assert!(matches!(&e, CoreError::NotFound(_)), "{e:?}");
    assert_eq!(message(e), "no workspace 'app/nope'; SeeList(Workspaces)");
    for (cols, rows, why) in [
        (Some(0), None, "cols must be between 1 and 500 (got 0)"),
        (Some(501), Some(24), "cols must be between 1 and 500 (got 501)"),
        (None, Some(201), "rows must be between 1 and 200 (got 201)"),
        (Some(80), Some(-1), "rows must be between 1 and 200 (got -1)"),
        (Some(1 << 40), None, "cols must be between 1 and 500 (got 1099511627776)"),
    ] {
        let e = w.terminals.create(CreateTerminal { cols, rows, ..create("app/a") }).await.expect_err(why);
        assert!(matches!(&e, CoreError::InvalidInput(_)), "{e:?}");
        assert_eq!(message(e), why);
    }
    for (title, why) in [
        ("  ", "a terminal's title may not be empty"),
        ("a\u{1b}[31m", "a terminal's title may not contain control characters"),
        (&"x".repeat(101), "a terminal's title may have at most 100 characters"),
    ] {
        let e = w.terminals.create(CreateTerminal { title: Some(title.into()), ..create("app/a") }).await;
        assert_eq!(e.map(|_| ()).map_err(message), Err(why.to_owned()));
    }
    assert!(w.host.spawns().is_empty(), "nothing was started");
    let e = w.terminals.send(TerminalId(9), b"x").await.expect_err("unknown terminal");
    assert_eq!(message(e), "no terminal 9; SeeList(Terminals)");
}

#[tokio::test]
async fn input_is_written_literally_and_capped() {
    let w = world().await;
    let t = w.terminals.create(create("app/a")).await.expect("terminal");
    let fake = &w.host.terminals()[0];
    let typed: &[u8] = b"echo $HOME; rm -rf \\\x03\n";
    w.terminals.send(t.id, typed).await.expect("send");
    assert_eq!(fake.input(), typed, "no quoting, no stripping, no added newline");
    w.terminals.send(t.id, &vec![b'a'; MAX_INPUT_BYTES]).await.expect("exactly the limit");
    let e = w.terminals.send(t.id, &vec![b'a'; MAX_INPUT_BYTES + 1]).await.expect_err("over");
    assert_eq!(message(e), "input of 65537 bytes is over the limit of 65536 bytes at once; send it in pieces");
    assert_eq!(fake.input().len(), typed.len() + MAX_INPUT_BYTES, "the refused input was not written");

    let t = w.terminals.resize(t.id, 100, 30).expect("resize");
    assert_eq!((t.size.cols(), fake.size().rows()), (100, 30));
    let e = w.terminals.resize(t.id, 100, 0).expect_err("bad size");
    assert_eq!(message(e), "rows must be between 1 and 200 (got 0)");

    fake.print("$ hi\n");
    assert_eq!(w.terminals.output(t.id, 2).expect("output"), TerminalOutput { start: 2, data: b"hi\n".to_vec() });
    assert_eq!(w.terminals.get(t.id).expect("get").output_end, 5);

    fake.exit_with(3);
    let e = w.terminals.send(t.id, b"x").await.expect_err("exited");
    assert!(matches!(&e, CoreError::Conflict(_)), "{e:?}");
    assert_eq!(
        message(e),
        "terminal 1 has exited (exit code 3) and keeps its output until it is killed; KillTerminal { terminal: Some(1) }"
    );
    assert_eq!(w.terminals.output(t.id, 0).expect("still readable").data, b"$ hi\n");
}

#[tokio::test]
async fn sessions_are_capped_per_workspace_and_in_all_and_exited_ones_make_room() {
    let w = world().await;
    for _ in 0..MAX_PER_WORKSPACE {
        w.terminals.create(create("app/a")).await.expect("within the cap");
    }
    let e = w.terminals.create(create("app/a")).await.expect_err("one too many");
    assert!(matches!(&e, CoreError::Refused(_)), "{e:?}");
    assert_eq!(
        message(e),
        "workspace 'app/a' already has 8 terminals, the most it may have; KillTerminal { terminal: None }"
    );
    // An exited terminal gives its place up.
    w.host.terminals()[2].exit_with(0);
    let t = w.terminals.create(create("app/a")).await.expect("room was made");
    assert!(w.terminals.get(TerminalId(3)).is_err(), "the exited terminal was dropped");
    assert_eq!(w.terminals.list(Some("app/a")).await.expect("list").len(), MAX_PER_WORKSPACE);
    assert_eq!(t.id, TerminalId(9));

    for ws in ["app/b", "app/c", "app/d"] {
        for _ in 0..MAX_PER_WORKSPACE {
            w.terminals.create(create(ws)).await.expect("within the caps");
        }
    }
    assert_eq!(w.terminals.list(None).await.expect("all").len(), MAX_TOTAL);
    let e = w.terminals.create(create("app/e")).await.expect_err("over the total");
    assert_eq!(message(e), "band already runs 32 terminals, the most it may; KillTerminal { terminal: None }");
    w.terminals.kill(TerminalId(9)).await.expect("kill");
    w.terminals.create(create("app/e")).await.expect("a place was freed");
}

#[tokio::test]
async fn kill_ends_and_forgets_and_shutdown_ends_everything() {
    let w = world().await;
    let a = w.terminals.create(create("app/a")).await.expect("a");
    w.terminals.create(create("app/a")).await.expect("a2");
    w.terminals.create(create("app/b")).await.expect("b");
    let killed = w.terminals.kill(a.id).await.expect("kill");
    assert_eq!(killed.exit, Some(TerminalExit { code: None, signal: Some(1) }));
    assert!(w.host.terminals()[0].killed());
    assert_eq!(message(w.terminals.kill(a.id).await.expect_err("gone")), "no terminal 1; SeeList(Terminals)");

    let (_, ws_a) = w.workspaces.resolve("app/a").await.expect("a");
    assert_eq!(w.terminals.kill_workspace(ws_a.id).await.len(), 1);
    assert!(w.host.terminals()[1].killed() && !w.host.terminals()[2].killed());

    assert_eq!(w.terminals.shutdown().await.len(), 1);
    assert!(w.host.terminals().iter().all(|t| t.killed()));
    assert!(w.terminals.list(None).await.expect("list").is_empty());
    let e = w.terminals.create(create("app/a")).await.expect_err("shutting down");
    assert_eq!(message(e), "band-server is shutting down; no new terminals");
}

#[tokio::test]
async fn a_missing_worktree_is_refused_with_what_to_do() {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), Arc::new(RecordingSink::default()));
    git.add_repo(Path::new("/code/app"), "main", false);
    Projects::new(ps.clone(), ws.clone(), g.clone(), e.clone()).add(Path::new("/code/app"), None).await.expect("p");
    let workspaces = Arc::new(Workspaces::new(ps, ws, g, e, PathBuf::from("/missing")));
    workspaces.create("app", "x", None).await.expect("workspace");
    let terminals = Terminals::new(workspaces, FakeTerminalHost::new(), Arc::new(Default::default));
    let e = terminals.create(create("app/x")).await.expect_err("missing");
    assert!(matches!(&e, CoreError::Refused(_)), "{e:?}");
    assert_eq!(
        message(e),
        "the worktree of workspace 'app/x' is missing (/missing/app/x); RemoveWorkspaceForced { workspace: \"app/x\" }"
    );
}
