//! The layout part of the storage contract: every documented rule of
//! [`LayoutStore`](band_core::ports::LayoutStore), as stories.
//!
//! Where the port's docs are silent, the stories pin one reading: reading the layout of a
//! workspace that does not exist is `Ok(None)`, not `NotFound` (the service resolves the
//! workspace first).

use band_core::{Layout, LayoutScope, WorkspaceId};

use super::{FullStore, assert_not_found, new_project, new_workspace, now, ok};

async fn two_workspaces<S: FullStore>(store: &S) -> (WorkspaceId, WorkspaceId) {
    let p = ok(store.insert_project(new_project("app", "/repos/app")).await);
    let a = ok(store.insert_workspace(new_workspace(p.id, "a", "/wt/app/a")).await);
    let b = ok(store.insert_workspace(new_workspace(p.id, "b", "/wt/app/b")).await);
    (a.id, b.id)
}

pub async fn layouts_are_kept_per_scope_exactly_as_given<S: FullStore>(store: &S) {
    let (a, b) = two_workspaces(store).await;
    let (global, in_a, in_b) = (LayoutScope::Global, LayoutScope::Workspace(a), LayoutScope::Workspace(b));
    for scope in [global, in_a, in_b] {
        assert_eq!(ok(store.layout(scope).await), None, "a new store has no layout for {scope:?}");
    }

    let before = now();
    let g = ok(store.put_layout(global, r#"{"panes": ["chat", "files"]}"#.into()).await);
    let w = ok(store.put_layout(in_a, "{ \"chat\" : 7 ,\n \"ünï\": \"✓\" }".into()).await);
    let after = now();
    assert_eq!((g.scope, g.document.as_str()), (global, r#"{"panes": ["chat", "files"]}"#));
    assert_eq!((w.scope, w.document.as_str()), (in_a, "{ \"chat\" : 7 ,\n \"ünï\": \"✓\" }"), "byte for byte");
    for l in [&g, &w] {
        assert!(
            (before..=after).contains(&l.updated_at),
            "updated_at {} is the time it was set, in Unix ms ({before}..={after})",
            l.updated_at
        );
    }
    assert_eq!(ok(store.layout(global).await), Some(g.clone()), "layout returns what put_layout returned");
    assert_eq!(ok(store.layout(in_a).await), Some(w));
    assert_eq!(ok(store.layout(in_b).await), None, "each workspace has its own");

    // The store never parses or limits the document: that is the service's and the edge's job.
    let big = format!("not json {}", "x".repeat(200 * 1024));
    let stored = ok(store.put_layout(in_b, big.clone()).await);
    assert_eq!(ok(store.layout(in_b).await).map(|l| l.document), Some(big));
    assert_eq!(stored.scope, in_b);
    assert_eq!(ok(store.layout(global).await), Some(g), "other scopes are untouched");
}

pub async fn setting_a_layout_replaces_it_and_its_time_moves_forward<S: FullStore>(store: &S) {
    let (a, _) = two_workspaces(store).await;
    for scope in [LayoutScope::Global, LayoutScope::Workspace(a)] {
        let mut last: Option<Layout> = None;
        for i in 0..5 {
            let l = ok(store.put_layout(scope, format!("{{\"n\":{i}}}")).await);
            if let Some(prev) = &last {
                assert!(l.updated_at > prev.updated_at, "updated_at strictly increases: {prev:?} then {l:?}");
            }
            last = Some(l);
        }
        assert_eq!(ok(store.layout(scope).await), last, "the last one set is kept");
    }
}

pub async fn layouts_need_an_existing_workspace<S: FullStore>(store: &S) {
    let (a, _) = two_workspaces(store).await;
    let ghost = WorkspaceId(a.0 + 1000);
    assert_not_found(
        store.put_layout(LayoutScope::Workspace(ghost), "{}".into()).await,
        &format!("workspace {}", ghost.0),
    );
    assert_eq!(ok(store.layout(LayoutScope::Workspace(ghost)).await), None, "a refused put writes nothing");
    assert_eq!(ok(store.layout(LayoutScope::Global).await), None);
}

pub async fn deleting_a_workspace_deletes_its_layout<S: FullStore>(store: &S) {
    let (a, b) = two_workspaces(store).await;
    let g = ok(store.put_layout(LayoutScope::Global, "{\"g\":1}".into()).await);
    ok(store.put_layout(LayoutScope::Workspace(a), "{\"a\":1}".into()).await);
    let kept = ok(store.put_layout(LayoutScope::Workspace(b), "{\"b\":1}".into()).await);
    ok(store.delete_workspace(a).await);

    assert_eq!(ok(store.layout(LayoutScope::Workspace(a)).await), None, "gone with its workspace");
    assert_eq!(ok(store.layout(LayoutScope::Workspace(b)).await), Some(kept));
    assert_eq!(ok(store.layout(LayoutScope::Global).await), Some(g));
    assert_not_found(store.put_layout(LayoutScope::Workspace(a), "{}".into()).await, &format!("workspace {}", a.0));
}
