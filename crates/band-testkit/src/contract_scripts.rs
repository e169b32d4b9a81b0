//! The scripts part of the storage contract: every documented rule of
//! [`ProjectTrustStore`](band_core::ports::ProjectTrustStore) and
//! [`ScriptRunStore`](band_core::ports::ScriptRunStore), as stories.

use band_core::ports::FinishedRun;
use band_core::{NewScriptRun, ProjectId, ScriptKind, ScriptRunId, ScriptStatus, WorkspaceId};

use super::{FullStore, assert_not_found, new_project, new_workspace, now, ok};

pub async fn approvals_are_per_project_and_hash_and_go_with_the_project<S: FullStore>(store: &S) {
    let a = ok(store.insert_project(new_project("a", "/repos/a")).await);
    let b = ok(store.insert_project(new_project("b", "/repos/b")).await);
    assert!(!ok(store.is_trusted(a.id, "h1").await), "nothing is approved at first");
    ok(store.trust(a.id, "h1").await);
    ok(store.trust(a.id, "h1").await);
    assert!(ok(store.is_trusted(a.id, "h1").await));
    assert!(!ok(store.is_trusted(a.id, "h2").await), "another hash is another approval");
    assert!(!ok(store.is_trusted(b.id, "h1").await), "approvals are per project");
    ok(store.trust(a.id, "h2").await);
    assert_eq!(ok(store.untrust(a.id).await), 2, "untrust forgets every approval of the project");
    assert!(!ok(store.is_trusted(a.id, "h1").await) && !ok(store.is_trusted(a.id, "h2").await));
    assert_not_found(store.trust(ProjectId(999), "h").await, "project 999");
    ok(store.trust(b.id, "h3").await);
    ok(store.delete_project(b.id).await);
    let again = ok(store.insert_project(new_project("b", "/repos/b")).await);
    assert!(!ok(store.is_trusted(again.id, "h3").await), "a project's approvals went with it");
}

pub async fn an_override_is_kept_replaced_and_cleared<S: FullStore>(store: &S) {
    let p = ok(store.insert_project(new_project("a", "/repos/a")).await);
    assert_eq!(ok(store.config_override(p.id).await), None);
    ok(store.set_config_override(p.id, Some("{\"setup\": \"x\"}".into())).await);
    assert_eq!(ok(store.config_override(p.id).await).as_deref(), Some("{\"setup\": \"x\"}"), "as given");
    ok(store.set_config_override(p.id, Some("{}".into())).await);
    assert_eq!(ok(store.config_override(p.id).await).as_deref(), Some("{}"), "replaced");
    ok(store.set_config_override(p.id, None).await);
    assert_eq!(ok(store.config_override(p.id).await), None, "cleared");
    assert_not_found(store.set_config_override(ProjectId(999), Some("{}".into())).await, "project 999");
}

pub async fn script_runs_start_running_and_end_as_finished<S: FullStore>(store: &S) {
    let p = ok(store.insert_project(new_project("a", "/repos/a")).await);
    let w = ok(store.insert_workspace(new_workspace(p.id, "x", "/wt/a/x")).await);
    let before = now();
    let run = ok(store
        .insert_script_run(NewScriptRun { workspace_id: w.id, kind: ScriptKind::Setup, scripts_hash: "h".into() })
        .await);
    assert_eq!(
        (run.status, run.kind, run.output.as_str(), run.ended_at),
        (ScriptStatus::Running, ScriptKind::Setup, "", None)
    );
    assert!(run.started_at >= before);
    let second = ok(store
        .insert_script_run(NewScriptRun { workspace_id: w.id, kind: ScriptKind::Teardown, scripts_hash: "h".into() })
        .await);
    assert!(second.id > run.id);
    let end = FinishedRun {
        status: ScriptStatus::Failed,
        exit_code: Some(3),
        error: Some("it exited with code 3".into()),
        output: "one\ntwo ✓\n".into(),
        output_len: 12,
    };
    let done = ok(store.finish_script_run(run.id, end).await);
    assert_eq!(
        (done.status, done.exit_code, done.output.as_str(), done.output_len),
        (ScriptStatus::Failed, Some(3), "one\ntwo ✓\n", 12)
    );
    assert!(done.ended_at.is_some_and(|t| t >= done.started_at));
    let runs = ok(store.script_runs(w.id).await);
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [run.id, second.id], "oldest first");
    assert_eq!(runs[0], done);
    assert_not_found(
        store
            .insert_script_run(NewScriptRun {
                workspace_id: WorkspaceId(999),
                kind: ScriptKind::Setup,
                scripts_hash: "h".into(),
            })
            .await,
        "workspace 999",
    );
    let end = FinishedRun {
        status: ScriptStatus::Succeeded,
        exit_code: Some(0),
        error: None,
        output: String::new(),
        output_len: 0,
    };
    assert_not_found(store.finish_script_run(ScriptRunId(999), end).await, "script run 999");
}

pub async fn runs_left_running_are_stopped_and_go_with_their_workspace<S: FullStore>(store: &S) {
    let p = ok(store.insert_project(new_project("a", "/repos/a")).await);
    let w = ok(store.insert_workspace(new_workspace(p.id, "x", "/wt/a/x")).await);
    let run = ok(store
        .insert_script_run(NewScriptRun { workspace_id: w.id, kind: ScriptKind::Setup, scripts_hash: "h".into() })
        .await);
    assert_eq!(ok(store.stop_running_scripts().await), 1);
    let runs = ok(store.script_runs(w.id).await);
    assert_eq!(runs[0].status, ScriptStatus::Stopped);
    assert!(runs[0].ended_at.is_some() && runs[0].error.is_some());
    assert_eq!(ok(store.stop_running_scripts().await), 0);
    ok(store.delete_workspace(w.id).await);
    assert_eq!(ok(store.script_runs(w.id).await), vec![], "runs go with their workspace");
    assert_not_found(
        store
            .finish_script_run(
                run.id,
                FinishedRun {
                    status: ScriptStatus::Succeeded,
                    exit_code: Some(0),
                    error: None,
                    output: String::new(),
                    output_len: 0,
                },
            )
            .await,
        &format!("script run {}", run.id.0),
    );
}
