//! The setup service on fakes: scripts run only once their exact hash is approved for the
//! project, are asked for again after a change, an invalid configuration never stops a
//! workspace, defaults apply, and a teardown runs only when the removal will go ahead.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use band_core::ports::{EventSink, GitRepos, ProjectStore, WorkspaceStore};
use band_core::services::{ProjectSetup, Projects, TeardownOutcome, Workspaces};
use band_core::*;
use band_testkit::events::RecordingSink;
use band_testkit::git::FakeGit;
use band_testkit::memory::MemoryStore;
use band_testkit::scripts::{FakeConfigs, FakeScripts, config_with, setup_world};

const REPO: &str = "/code/app";

struct World {
    setup: ProjectSetup,
    configs: Arc<FakeConfigs>,
    scripts: Arc<FakeScripts>,
    git: Arc<FakeGit>,
    workspaces: Arc<Workspaces>,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let sink = Arc::new(RecordingSink::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), sink.clone());
    git.add_repo(Path::new(REPO), "main", false);
    Projects::new(ps.clone(), ws.clone(), g.clone(), e.clone()).add(Path::new(REPO), None).await.expect("project");
    let workspaces = Arc::new(Workspaces::new(ps, ws, g.clone(), e.clone(), PathBuf::from("/wt")));
    let w = setup_world(workspaces.clone(), store, g, e);
    World { setup: w.setup, configs: w.configs, scripts: w.scripts, git, workspaces }
}

fn hash_of(c: &ProjectConfig) -> String {
    c.scripts_hash.clone().expect("scripts")
}

#[tokio::test]
async fn setup_runs_only_after_its_exact_hash_is_approved_and_asks_again_after_a_change() {
    let w = world().await;
    let config = config_with(Some("make setup"), Some("make clean"));
    w.configs.set(Path::new(REPO), Some(config.clone()));

    // Not approved: made, nothing ran, and it says which hash would be approved.
    let (ws, created, p) = w.setup.create_workspace("app", "a", None).await.expect("create");
    assert!(created);
    assert_eq!(p.setup, SetupState::NotTrusted { hash: hash_of(&config) });
    assert!(w.scripts.scripts().is_empty(), "an unapproved script ran");
    let e = w.setup.run_setup("app/a").await.expect_err("not approved");
    assert!(
        matches!(&e, CoreError::Refused(p) if p.fix == Some(Fix::ApproveScripts { project: "app".into() })),
        "{e:?}"
    );

    // A hash other than the one in force approves nothing.
    let e = w.setup.trust("app", "0123").await.expect_err("wrong hash");
    assert!(matches!(e, CoreError::Conflict(_)), "{e:?}");
    assert!(!w.setup.view("app").await.expect("view").trusted);

    // Approved: the next workspace's setup runs, in its worktree, with the environment given.
    assert!(w.setup.trust("app", &hash_of(&config)).await.expect("trust").trusted);
    w.scripts.behave(&["building\n"], ScriptEnd::Exited(0));
    let (b, _, p) = w.setup.create_workspace("app", "b", None).await.expect("create");
    let SetupState::Started(run) = p.setup else { panic!("{:?}", p.setup) };
    assert_eq!((run.kind, run.workspace_id), (ScriptKind::Setup, b.id));
    let spec = &w.scripts.started()[0];
    assert_eq!((spec.script.as_str(), spec.dir.as_path()), ("make setup", b.path.as_path()));
    assert_eq!(spec.env.get("BAND_BRANCH").map(String::as_str), Some("b"));
    assert_eq!(spec.timeout, std::time::Duration::from_secs(60));
    let runs = w.setup.runs("app/b").await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].status, runs[0].output.as_str()), (ScriptStatus::Succeeded, "building\n"));
    // The first workspace can be set up now.
    w.setup.run_setup(&ws.id.0.to_string()).await.expect("run setup");
    assert_eq!(w.scripts.scripts(), ["make setup", "make setup"]);

    // Either script changing asks again.
    let changed = config_with(Some("make setup"), Some("rm -rf ~"));
    assert_ne!(hash_of(&changed), hash_of(&config));
    w.configs.set(Path::new(REPO), Some(changed.clone()));
    let (_, _, p) = w.setup.create_workspace("app", "c", None).await.expect("create");
    assert_eq!(p.setup, SetupState::NotTrusted { hash: hash_of(&changed) });
    let (project, b) = w.workspaces.resolve("app/b").await.expect("resolve");
    let outcome = w.setup.teardown(&project, &b, true).await.expect("teardown");
    assert_eq!(outcome, TeardownOutcome::NotTrusted { hash: hash_of(&changed) });
    assert_eq!(w.scripts.scripts().len(), 2, "the changed teardown did not run");

    // Untrust withdraws every approval.
    w.configs.set(Path::new(REPO), Some(config.clone()));
    assert!(w.setup.view("app").await.expect("view").trusted, "back to approved content");
    assert!(!w.setup.untrust("app").await.expect("untrust").trusted);
}

#[tokio::test]
async fn an_invalid_configuration_never_stops_a_workspace_and_defaults_apply() {
    let w = world().await;
    w.configs.set_invalid(Path::new(REPO), "unknown key 'postCreate'");
    let (ws, created, p) = w.setup.create_workspace("app", "a", None).await.expect("made without it");
    assert!(created && w.git.worktree_paths().contains(&ws.path));
    let SetupState::InvalidConfig(why) = &p.setup else { panic!("{:?}", p.setup) };
    assert!(why.contains(".band/config.json") && why.contains("postCreate"), "{why}");
    // `.worktreeinclude` still applies (band-git reads it); no copyFiles globs.
    assert_eq!(w.git.copies(), [(ws.path.clone(), Vec::<String>::new())]);
    let view = w.setup.view("app").await.expect("view");
    assert!(view.config.is_none() && view.error.is_some_and(|e| e.contains("postCreate")));
    let e = w.setup.trust("app", "x").await.expect_err("nothing to approve");
    assert!(matches!(e, CoreError::InvalidInput(_)), "{e:?}");

    // Defaults: the base branch when the request names none; copyFiles globs go to git.
    w.git.add_branch(Path::new(REPO), "develop");
    let mut config = config_with(None, None);
    config.defaults.base_branch = Some(GitRef::new("develop").expect("ref"));
    config.copy_files = vec![CopyGlob::new(".env").expect("glob")];
    w.configs.set(Path::new(REPO), Some(config));
    let (b, _, p) = w.setup.create_workspace("app", "b", None).await.expect("create");
    assert_eq!(b.base.as_str(), "develop");
    assert_eq!(p.setup, SetupState::NoScript);
    assert_eq!(w.git.copies().last(), Some(&(b.path.clone(), vec![".env".to_owned()])));
    let (c, _, _) = w.setup.create_workspace("app", "c", Some("main")).await.expect("create");
    assert_eq!(c.base.as_str(), "main", "the request wins over the default");
    // A workspace that existed is not set up again.
    let (_, created, p) = w.setup.create_workspace("app", "b", None).await.expect("again");
    assert!(!created);
    assert_eq!(p.setup, SetupState::Skipped);
    // An override is checked before it is kept.
    let e = w.setup.set_override("app", Some("{\"bad\": 1}".into())).await.expect_err("invalid");
    assert!(matches!(e, CoreError::InvalidInput(_)), "{e:?}");
}

#[tokio::test]
async fn a_failed_or_unstartable_setup_is_recorded_and_the_workspace_stays() {
    let w = world().await;
    let config = config_with(Some("exit 3"), None);
    w.configs.set(Path::new(REPO), Some(config.clone()));
    w.setup.trust("app", &hash_of(&config)).await.expect("trust");
    w.scripts.behave(&["oops\n"], ScriptEnd::Exited(3));
    let (ws, _, _) = w.setup.create_workspace("app", "a", None).await.expect("create");
    let runs = w.setup.runs("app/a").await.expect("runs");
    assert_eq!((runs[0].status, runs[0].exit_code), (ScriptStatus::Failed, Some(3)));
    assert_eq!(runs[0].error.as_deref(), Some("it exited with code 3"));
    assert!(w.git.worktree_paths().contains(&ws.path), "the workspace stays");
    w.scripts.refuse("the workspace's directory is gone");
    let run = w.setup.run_setup("app/a").await.expect("recorded");
    assert_eq!(run.status, ScriptStatus::Failed);
    assert_eq!(run.error.as_deref(), Some("the script could not be started: the workspace's directory is gone"));
}

#[tokio::test]
async fn a_chat_takes_the_projects_default_agent_model_and_mode_unless_it_names_its_own() {
    use band_core::services::{ChatDefaults, CreateChat};
    let w = world().await;
    w.setup.create_workspace("app", "a", None).await.expect("create");
    let bare = || CreateChat { workspace: "app/a".into(), ..CreateChat::default() };
    // No configuration: nothing filled in.
    let req = w.setup.with_chat_defaults(bare(), ChatDefaults::default()).await.expect("defaults");
    assert_eq!((req.agent, req.model, req.mode), (None, None, None));
    let mut config = config_with(None, None);
    config.defaults.agent = Some("codex".into());
    config.defaults.model = Some(ModelName::new("gpt-5").expect("model"));
    config.defaults.mode = Some(PermissionMode::AcceptEdits);
    w.configs.set(Path::new(REPO), Some(config));
    let req = w.setup.with_chat_defaults(bare(), ChatDefaults::default()).await.expect("defaults");
    assert_eq!(req.agent.as_ref().map(|a| a.as_str()), Some("codex"));
    assert_eq!(req.model.as_ref().map(ModelName::as_str), Some("gpt-5"));
    assert_eq!(req.mode, Some(PermissionMode::AcceptEdits));
    // The request wins.
    let own =
        CreateChat { agent: Some(AgentId::new("claude-code").expect("id")), mode: Some(PermissionMode::Ask), ..bare() };
    let req = w.setup.with_chat_defaults(own, ChatDefaults::default()).await.expect("defaults");
    assert_eq!((req.agent.as_ref().map(|a| a.as_str()), req.mode), (Some("claude-code"), Some(PermissionMode::Ask)));
    // The project's defaults are narrower than band's settings (the fallback): they win, and
    // the settings fill in only what the project leaves out.
    let settings = ChatDefaults {
        agent: Some(AgentId::new("gemini").expect("id")),
        model: Some(ModelName::new("opus").expect("model")),
        mode: Some(PermissionMode::AllowAll),
    };
    let mut config = config_with(None, None);
    config.defaults.mode = Some(PermissionMode::Ask);
    w.configs.set(Path::new(REPO), Some(config));
    let req = w.setup.with_chat_defaults(bare(), settings.clone()).await.expect("defaults");
    assert_eq!(req.mode, Some(PermissionMode::Ask), "the project's mode");
    assert_eq!(req.agent.as_ref().map(|a| a.as_str()), Some("gemini"), "the settings' agent");
    assert_eq!(req.model.as_ref().map(ModelName::as_str), Some("opus"));
    let named = w.setup.chat_defaults("app", settings.clone()).await.expect("defaults");
    assert_eq!((named.mode, named.agent), (req.mode, req.agent));
    // An invalid configuration gives no defaults, and no error: only the settings'.
    w.configs.set_invalid(Path::new(REPO), "not JSON");
    assert_eq!(w.setup.with_chat_defaults(bare(), ChatDefaults::default()).await.expect("defaults").agent, None);
    assert_eq!(w.setup.with_chat_defaults(bare(), settings.clone()).await.expect("defaults").mode, settings.mode);
}
