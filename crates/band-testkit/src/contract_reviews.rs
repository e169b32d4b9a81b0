//! The review-comment part of the storage contract: every documented rule of
//! [`ReviewStore`](band_core::ports::ReviewStore), as stories.

use band_core::{ChatId, DiffSide, LineRange, NewReviewComment, ReviewCommentId, WorkspaceId, WorkspacePath};

use super::{FullStore, assert_not_found, new_project, new_workspace, now, ok};

fn comment(workspace: WorkspaceId, path: &str, lines: (u32, u32), body: &str) -> NewReviewComment {
    NewReviewComment {
        workspace_id: workspace,
        path: WorkspacePath::new(path).expect("a valid path"),
        side: DiffSide::New,
        lines: LineRange::new(lines.0, lines.1).expect("a valid range"),
        quote: "let x = 1;\n".into(),
        body: body.into(),
    }
}

pub async fn review_comments_are_kept_resolved_sent_and_reopened<S: FullStore>(store: &S) {
    let p = ok(store.insert_project(new_project("app", "/repos/app")).await);
    let a = ok(store.insert_workspace(new_workspace(p.id, "a", "/wt/app/a")).await);
    let b = ok(store.insert_workspace(new_workspace(p.id, "b", "/wt/app/b")).await);
    let before = now();
    let first = ok(store.add_comment(comment(a.id, "src/main.rs", (3, 5), "rename this")).await);
    let second = ok(store
        .add_comment(NewReviewComment { side: DiffSide::Old, ..comment(a.id, "old.txt", (1, 1), "why?") })
        .await);
    let other = ok(store.add_comment(comment(b.id, "x", (2, 2), "b's")).await);
    assert!(first.id != second.id && second.id != other.id, "each comment gets its own id");
    assert!((before..=now()).contains(&first.created_at));
    assert_eq!((first.resolved, first.sent), (false, None), "a new comment is open and unsent");
    assert_eq!(
        (first.path.as_str(), first.lines.to_string(), first.quote.as_str()),
        ("src/main.rs", "3-5".into(), "let x = 1;\n")
    );
    assert_eq!(second.side, DiffSide::Old);
    assert_eq!(ok(store.comments(a.id).await), vec![first.clone(), second.clone()], "per workspace, oldest first");
    assert_eq!(ok(store.comment(other.id).await), other);

    ok(store.mark_sent(&[first.id, ReviewCommentId(9_999)], ChatId(7), 42).await);
    assert_eq!(ok(store.comment(first.id).await).sent, Some((42, ChatId(7))), "sent is recorded, a gone id skipped");
    let resolved = ok(store.set_resolved(first.id, true).await);
    assert_eq!((resolved.resolved, resolved.sent), (true, Some((42, ChatId(7)))), "resolving keeps the sent mark");
    let reopened = ok(store.set_resolved(first.id, false).await);
    assert_eq!((reopened.resolved, reopened.sent), (false, None), "reopening clears the sent mark");
    assert_not_found(store.set_resolved(ReviewCommentId(9_999), true).await, "review comment 9999");
    assert_not_found(store.comment(ReviewCommentId(9_999)).await, "review comment 9999");
    assert_not_found(store.add_comment(comment(WorkspaceId(9_999), "x", (1, 1), "y")).await, "workspace 9999");

    ok(store.delete_workspace(a.id).await);
    assert_eq!(ok(store.comments(a.id).await), vec![], "comments go with their workspace");
    assert_eq!(ok(store.comments(b.id).await), vec![other]);
}
