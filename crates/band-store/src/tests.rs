//! Tests of what only the inside of the crate can see: connection settings, the read-only
//! readers, corrupt rows and a full disk.

use band_core::ports::{ProjectStore, WorkspaceStore};
use band_core::{BranchName, EventPayload, NewProject, ProjectName};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

use super::*;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    value: String,
}

fn number(conn: &mut SqliteConnection, pragma: &str) -> i64 {
    diesel::sql_query(format!("SELECT (SELECT * FROM pragma_{pragma}()) AS value"))
        .get_result::<Number>(conn)
        .map(|n| n.value)
        .unwrap_or_else(|e| panic!("PRAGMA {pragma}: {e}"))
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("band.db")).await.expect("open the store");
    (dir, store)
}

fn new_project(name: &str) -> NewProject {
    NewProject {
        name: ProjectName::new(name).expect("a valid name"),
        path: format!("/repos/{name}").into(),
        default_branch: BranchName::new("main").expect("a valid branch"),
    }
}

#[derive(Debug, PartialEq)]
struct Settings {
    busy_timeout: i64,
    journal_mode: String,
    foreign_keys: i64,
    synchronous: i64,
}

fn settings(conn: &mut SqliteConnection) -> Settings {
    Settings {
        busy_timeout: number(conn, "busy_timeout"),
        journal_mode: diesel::sql_query("SELECT (SELECT * FROM pragma_journal_mode()) AS value")
            .get_result::<Word>(conn)
            .expect("journal_mode")
            .value,
        foreign_keys: number(conn, "foreign_keys"),
        synchronous: number(conn, "synchronous"),
    }
}

#[tokio::test]
async fn every_connection_waits_on_locks_uses_wal_and_enforces_foreign_keys() {
    let (_dir, store) = open().await;
    let expected = Settings {
        busy_timeout: i64::from(connection::BUSY_TIMEOUT_MS),
        journal_mode: "wal".into(),
        foreign_keys: 1,
        synchronous: 1, // NORMAL
    };
    let writer = store.write(|conn| Ok(settings(conn))).await.expect("the writer");
    assert_eq!(writer, expected, "the write connection");
    let reader = store.read(|conn| Ok(settings(conn))).await.expect("a reader");
    assert_eq!(reader, expected, "a read connection");
}

#[tokio::test]
async fn read_connections_cannot_write() {
    let (_dir, store) = open().await;
    let r = store
        .read(|conn| {
            conn.batch_execute(
                "INSERT INTO projects (name, path, default_branch, created_at) VALUES ('x', '/x', 'main', 0)",
            )
            .map_err(from_diesel)
        })
        .await;
    assert!(matches!(&r, Err(StoreError::Internal(e)) if e.to_string().contains("readonly")), "{r:?}");
    assert_eq!(store.list_projects().await.expect("list").len(), 0);
}

#[tokio::test]
async fn rows_that_fail_validation_are_reported_as_corrupt() {
    let (_dir, store) = open().await;
    store
        .write(|conn| {
            conn.batch_execute(
                "INSERT INTO projects (id, name, path, default_branch, created_at) VALUES (7, '../evil', '/x', 'main', 0)",
            )
            .map_err(from_diesel)
        })
        .await
        .expect("a raw insert");
    let r = store.list_projects().await;
    assert!(
        matches!(&r, Err(StoreError::Internal(e)) if e.to_string().starts_with("corrupt row in projects (id 7): invalid project name")),
        "{r:?}"
    );
    let r = store.project_by_id(band_core::ProjectId(7)).await;
    assert!(matches!(&r, Err(StoreError::Internal(e)) if e.to_string().contains("corrupt row")), "{r:?}");

    store
        .write(|conn| {
            conn.batch_execute(
                "INSERT INTO projects (id, name, path, default_branch, created_at) VALUES (8, 'ok', '/ok', 'main', 0);
                 INSERT INTO workspaces (id, project_id, branch, base, path, branch_created, created_at)
                 VALUES (9, 8, '--upload-pack=x', 'main', '/w', 1, 0)",
            )
            .map_err(from_diesel)
        })
        .await
        .expect("a raw insert");
    let r = store.list_workspaces(None).await;
    assert!(
        matches!(&r, Err(StoreError::Internal(e)) if e.to_string().starts_with("corrupt row in workspaces (id 9): invalid branch name")),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_full_disk_is_reported_reads_keep_working_and_writes_recover() {
    let (_dir, store) = open().await;
    store.insert_project(new_project("before")).await.expect("an insert with room");
    // SQLite answers SQLITE_FULL once the file would outgrow max_page_count, as on a full disk.
    store
        .write(|conn| {
            let pages = number(conn, "page_count");
            conn.batch_execute(&format!("PRAGMA max_page_count = {pages}")).map_err(from_diesel)
        })
        .await
        .expect("cap the file");
    let mut full = None;
    for i in 0..1000 {
        if let Err(e) = store.insert_project(new_project(&format!("p{i}-{}", "x".repeat(50)))).await {
            full = Some(e);
            break;
        }
    }
    assert!(matches!(full, Some(StoreError::DiskFull)), "{full:?}");
    let listed = store.list_projects().await.expect("reads keep working on a full disk");
    assert!(listed.iter().any(|p| p.name.as_str() == "before"));

    store
        .write(|conn| conn.batch_execute("PRAGMA max_page_count = 1073741823").map_err(from_diesel))
        .await
        .expect("space returns");
    store.insert_project(new_project("after")).await.expect("writes work again once there is room");
    store.checkpoint().await.expect("checkpoint");
}

#[test]
fn non_utf8_paths_are_refused_with_a_clear_message() {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = Path::new(std::ffi::OsStr::from_bytes(b"/x/\xff"));
        let e = path_text(bad).expect_err("not UTF-8");
        assert!(e.to_string().contains("is not valid UTF-8"), "{e}");
    }
    assert_eq!(path_text(Path::new("/ünï/x")).ok().as_deref(), Some("/ünï/x"));
}

async fn workspace(store: &SqliteStore) -> band_core::Workspace {
    let p = store.insert_project(new_project("app")).await.expect("project");
    store
        .insert_workspace(band_core::NewWorkspace {
            project_id: p.id,
            branch: BranchName::new("feat").expect("valid"),
            base: band_core::GitRef::new("main").expect("valid"),
            path: "/wt/feat".into(),
            branch_created: true,
            direct: false,
        })
        .await
        .expect("workspace")
}

fn new_chat(workspace: band_core::WorkspaceId) -> band_core::NewChat {
    band_core::NewChat {
        workspace_id: workspace,
        agent: band_core::AgentId::default_agent(),
        model: None,
        mode: band_core::PermissionMode::Ask,
        name: band_testkit::names::chat_name("c"),
        labels: band_testkit::names::labels(&[("k", "v")]),
        via: band_core::ChatVia::Protocol,
    }
}

/// `Prompt`, `TurnStarted`, `Status(working)`: what starting a turn appends.
fn start(text: &str) -> Vec<EventPayload> {
    vec![
        EventPayload::Prompt { text: text.into(), queued: None },
        EventPayload::TurnStarted,
        EventPayload::Status { status: band_core::ChatStatus::Working },
    ]
}

/// Every row of the chat tables, as text.
fn chat_tables(conn: &mut SqliteConnection) -> Result<Vec<String>, StoreError> {
    [
        "SELECT coalesce(group_concat(id || ':' || workspace_id || ':' || labels || ':' || status || ':' || \
         coalesce(agent_session_id, '-') || ':' || last_seq || ':' || updated_at, ' '), '') AS value FROM chats",
        "SELECT coalesce(group_concat(chat_id || ':' || seq || ':' || kind || ':' || payload, ' '), '') AS value \
         FROM events",
        "SELECT coalesce(group_concat(id || ':' || chat_id || ':' || prompt || ':' || coalesce(ended_seq, '-') || \
         ':' || input_tokens || ':' || coalesce(cost_usd, '-'), ' '), '') AS value FROM turns",
        "SELECT coalesce(group_concat(id || ':' || chat_id || ':' || position || ':' || text, ' '), '') AS value \
         FROM queued_messages",
    ]
    .into_iter()
    .map(|q| diesel::sql_query(q).get_result::<Word>(conn).map(|w| w.value).map_err(from_diesel))
    .collect()
}

#[tokio::test]
async fn a_transaction_that_panics_is_rolled_back_and_the_writer_goes_on() {
    let (_dir, store) = open().await;
    let r = store
        .write(|conn| {
            transaction::<()>(conn, |conn| {
                conn.batch_execute(
                    "INSERT INTO projects (name, path, default_branch, created_at) VALUES ('lost', '/lost', 'main', 0)",
                )
                .map_err(from_diesel)?;
                panic!("a bug mid-transaction")
            })
        })
        .await;
    assert!(matches!(&r, Err(StoreError::Internal(e)) if e.to_string().contains("a database task failed")), "{r:?}");
    store.insert_project(new_project("after")).await.expect("the writer still works");
    let names: Vec<String> =
        store.list_projects().await.expect("list").into_iter().map(|p| p.name.to_string()).collect();
    assert_eq!(names, ["after"], "the panicking transaction left nothing; the next write was committed");
}

#[tokio::test]
async fn a_batch_naming_a_missing_chat_leaves_every_row_as_it_was() {
    use band_core::ports::{ChatStore, EventLog, MessageQueue};

    let (_dir, store) = open().await;
    let w = workspace(&store).await;
    let a = store.insert_chat(new_chat(w.id)).await.expect("chat a");
    let b = store.insert_chat(new_chat(w.id)).await.expect("chat b");
    store.append_events(vec![(a.id, start("first"))]).await.expect("a turn");
    let queued = store.enqueue(b.id, "next".into()).await.expect("enqueue");
    let before = store.read(chat_tables).await.expect("dump");
    assert!(before.iter().all(|t| !t.is_empty()), "every table has rows: {before:?}");

    let ghost = band_core::ChatId(b.id.0 + 1);
    let ended = EventPayload::TurnEnded(band_core::TurnOutcome {
        stop_reason: Some(band_core::StopReason::EndTurn),
        error: None,
        usage: band_core::Usage { input_tokens: 5, cost_usd: Some(0.5), ..Default::default() },
    });
    let mut b_events = start("next");
    b_events[0] = EventPayload::Prompt { text: "next".into(), queued: Some(queued.id) };
    b_events.push(EventPayload::AgentSession { session_id: "s".into() });
    let r = store
        .append_events(vec![(a.id, vec![ended]), (b.id, b_events), (ghost, vec![EventPayload::TurnStarted])])
        .await;
    assert!(matches!(&r, Err(StoreError::NotFound(m)) if *m == format!("chat {}", ghost.0)), "{r:?}");
    assert_eq!(store.read(chat_tables).await.expect("dump"), before, "not one row changed");
}

#[tokio::test]
async fn deleting_a_workspace_deletes_its_chats_and_their_rows() {
    use band_core::ports::{ChatStore, EventLog, MessageQueue};

    let (_dir, store) = open().await;
    let w = workspace(&store).await;
    let chat = store.insert_chat(new_chat(w.id)).await.expect("chat");
    store.append_events(vec![(chat.id, start("hi"))]).await.expect("events");
    store.enqueue(chat.id, "next".into()).await.expect("enqueue");
    store.delete_workspace(w.id).await.expect("delete the workspace");
    let left = store
        .read(|conn| {
            Ok(["chats", "turns", "events", "queued_messages"].map(|t| {
                diesel::sql_query(format!("SELECT count(*) AS value FROM {t}"))
                    .get_result::<Number>(conn)
                    .map(|n| n.value)
            }))
        })
        .await
        .expect("count");
    assert_eq!(left.map(|r| r.ok()), [Some(0); 4], "chats and everything under them go with the workspace");
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[tokio::test]
async fn a_page_of_the_log_is_one_range_of_the_primary_key() {
    let (_dir, store) = open().await;
    for sql in events::page_queries_sql() {
        let plan = store
            .read(move |conn| {
                diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                    .bind::<BigInt, _>(1)
                    .bind::<BigInt, _>(0)
                    .bind::<BigInt, _>(100)
                    .load::<Plan>(conn)
                    .map_err(from_diesel)
            })
            .await
            .expect("explain");
        let details: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
        assert!(
            matches!(details.as_slice(), [d] if d.starts_with("SEARCH events USING PRIMARY KEY (chat_id=? AND seq")),
            "one search of the primary key, no sort: {details:?}"
        );
    }
}

#[tokio::test]
async fn corrupt_chat_rows_are_reported_not_guessed() {
    use band_core::ports::{ChatStore, EventLog};

    let (_dir, store) = open().await;
    let w = workspace(&store).await;
    let chat = store.insert_chat(new_chat(w.id)).await.expect("chat");
    let id = chat.id.0;
    store
        .write(move |conn| {
            conn.batch_execute(&format!(
                "INSERT INTO events (chat_id, seq, at, kind, payload) VALUES ({id}, 1, 0, 'status', '{{\"status\":\"asleep\"}}');
                 UPDATE chats SET last_seq = 1, mode = 'yolo' WHERE id = {id};"
            ))
            .map_err(from_diesel)
        })
        .await
        .expect("raw writes");
    let r = store.events_after(chat.id, 0, 10).await;
    assert!(
        matches!(&r, Err(StoreError::Internal(e)) if e.to_string().starts_with(&format!("corrupt row in events (chat {id}, seq 1): unknown variant `asleep`"))),
        "{r:?}"
    );
    let r = store.chat(chat.id).await;
    assert!(
        matches!(&r, Err(StoreError::Internal(e)) if e.to_string() == format!("corrupt row in chats (id {id}): unknown permission mode 'yolo'")),
        "{r:?}"
    );
}

/// diesel knows a migration by the part of its directory's name before the first `_`: two
/// with the same version and only one runs (three branches each added a `2026-12-02-000000_`
/// migration, and a merged server lacked `chats.via`).
#[test]
fn every_migration_has_a_version_of_its_own() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut versions = std::collections::BTreeMap::<String, Vec<String>>::new();
    for entry in std::fs::read_dir(&dir).expect("migrations") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        let version = name.split_once('_').map_or(name.clone(), |(v, _)| v.to_owned());
        versions.entry(version).or_default().push(name);
    }
    let shared: Vec<_> = versions.values().filter(|names| names.len() > 1).collect();
    assert!(shared.is_empty(), "migrations sharing a version (give each its own): {shared:?}");
}

#[tokio::test]
async fn the_migrations_revert_cleanly_and_apply_again() {
    use diesel_migrations::MigrationHarness;

    let (_dir, store) = open().await;
    let tables = |conn: &mut SqliteConnection| {
        diesel::sql_query(
            "SELECT name AS value FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name != '__diesel_schema_migrations' ORDER BY name",
        )
        .load::<Word>(conn)
        .map(|rows| rows.into_iter().map(|r| r.value).collect::<Vec<_>>())
        .map_err(from_diesel)
    };
    let (all, none, again) = store
        .write(move |conn| {
            let all = tables(conn)?;
            conn.revert_all_migrations(connection::MIGRATIONS).map_err(internal)?;
            let none = tables(conn)?;
            conn.run_pending_migrations(connection::MIGRATIONS).map_err(internal)?;
            Ok((all, none, tables(conn)?))
        })
        .await
        .expect("revert and re-apply");
    assert_eq!(
        all,
        [
            "agent_actions",
            "audit",
            "chats",
            "cron_jobs",
            "cron_runs",
            "cron_usage_pruned",
            "devices",
            "events",
            "layouts",
            "policies",
            "project_config_overrides",
            "project_trust",
            "projects",
            "queued_messages",
            "review_comments",
            "script_runs",
            "tool_daily",
            "turns",
            "usage_daily",
            "workspaces"
        ]
    );
    assert_eq!(none, Vec::<String>::new(), "down.sql drops every table");
    assert_eq!(again, all);
}

#[tokio::test]
async fn a_database_from_before_layouts_is_upgraded_with_its_data() {
    use band_core::ports::LayoutStore;
    use band_core::{GitRef, LayoutScope};
    use diesel::Connection;
    use diesel_migrations::MigrationHarness;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    {
        // What the first release wrote: the initial migration only, and some data.
        let mut conn = SqliteConnection::establish(path.to_str().expect("utf8")).expect("connect");
        conn.run_next_migration(connection::MIGRATIONS).expect("the initial migration");
        conn.batch_execute(
            "INSERT INTO projects (name, path, default_branch, created_at) VALUES ('app', '/repos/app', 'main', 1);
             INSERT INTO workspaces (project_id, branch, base, path, branch_created, created_at)
                 VALUES (1, 'feat', 'main', '/wt/app/feat', 1, 2);",
        )
        .expect("old data");
        let has_layouts = diesel::sql_query("SELECT name AS value FROM sqlite_schema WHERE name = 'layouts'")
            .load::<Word>(&mut conn)
            .expect("schema");
        assert!(has_layouts.is_empty(), "the initial migration has no layouts table");
    }
    let store = SqliteStore::open(&path).await.expect("open and migrate");
    let workspaces = store.list_workspaces(None).await.expect("old workspaces");
    assert_eq!(workspaces.len(), 1);
    assert_eq!(
        (workspaces[0].branch.as_str(), workspaces[0].base.clone()),
        ("feat", GitRef::new("main").expect("ref"))
    );
    let scope = LayoutScope::Workspace(workspaces[0].id);
    store.put_layout(scope, "{}".into()).await.expect("layouts work after the upgrade");
    assert_eq!(store.layout(scope).await.expect("read").map(|l| l.document), Some("{}".into()));
}

#[tokio::test]
async fn policies_round_trip_per_scope_and_the_action_audit_is_filtered_and_bounded() {
    use band_core::ports::{ActionAudit, ActionFilter, ActionKind, NewAction, PolicyStore};
    use band_core::{ChatId, Decider, PermissionDecision, PolicyAssignment, PolicyRules, PolicyScope};
    let (_dir, store) = open().await;
    let mut rules = PolicyRules::default();
    rules.apply(&[
        PolicyAssignment::parse("canRunCommands=false").expect("ok"),
        PolicyAssignment::parse("denyPaths=secrets/**,.env").expect("ok"),
        PolicyAssignment::parse("maxTurns=3").expect("ok"),
    ]);
    store.put_policy(PolicyScope::Chat(ChatId(7)), rules.clone()).await.expect("put");
    assert_eq!(store.policy(PolicyScope::Chat(ChatId(7))).await.expect("get"), rules);
    assert!(store.policy(PolicyScope::Global).await.expect("global").is_empty());
    store.put_policy(PolicyScope::Chat(ChatId(7)), PolicyRules::default()).await.expect("clear");
    assert!(store.policy(PolicyScope::Chat(ChatId(7))).await.expect("get").is_empty());

    let action = |chat: i64, decider| NewAction {
        kind: ActionKind::ToolCall,
        chat: Some(ChatId(chat)),
        workspace: None,
        tool: Some("Bash".into()),
        decision: Some(PermissionDecision::Deny),
        decider: Some(decider),
        rule: Some("canRunCommands=false (global)".into()),
        detail: "ls".into(),
    };
    for i in 0..5 {
        store
            .append_action(action(i % 2, if i == 4 { Decider::Policy } else { Decider::User }), 3)
            .await
            .expect("append");
    }
    let all = store.actions(ActionFilter { limit: 100, ..ActionFilter::default() }).await.expect("list");
    assert_eq!(all.len(), 3, "bounded to keep");
    assert_eq!(all[0].action, action(0, Decider::Policy));
    let by = ActionFilter { decider: Some(Decider::Policy), limit: 100, ..ActionFilter::default() };
    assert_eq!(store.actions(by).await.expect("list").len(), 1);
    let chat = ActionFilter { chat: Some(ChatId(1)), limit: 100, ..ActionFilter::default() };
    assert_eq!(store.actions(chat).await.expect("list").len(), 1);
}

/// The usage migration fills its roll-ups from what was there: every ended turn per UTC day, chat
/// and model ('' before turns had one), costs in millionths; tool calls per day by their kind
/// (events from before tool names).
#[tokio::test]
async fn a_database_from_before_usage_reports_has_its_turns_and_tool_calls_rolled_up() {
    use diesel::Connection;
    use diesel_migrations::MigrationHarness;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    {
        let mut conn = SqliteConnection::establish(path.to_str().expect("utf8")).expect("connect");
        // Every migration before the usage one.
        loop {
            let pending = conn.pending_migrations(connection::MIGRATIONS).expect("pending");
            let next = pending.first().expect("the usage migration is pending").name().to_string();
            if next.ends_with("_usage") {
                break;
            }
            conn.run_next_migration(connection::MIGRATIONS).expect("an earlier migration");
        }
        const DAY: i64 = 86_400_000;
        conn.batch_execute(&format!(
            "INSERT INTO projects (name, path, default_branch, created_at) VALUES ('app', '/repos/app', 'main', 1);
             INSERT INTO workspaces (project_id, branch, base, path, branch_created, created_at)
                 VALUES (1, 'feat', 'main', '/wt/app/feat', 1, 2);
             INSERT INTO chats (workspace_id, agent, model, mode, name, labels, status, last_seq, created_at, updated_at)
                 VALUES (1, 'claude-code', NULL, 'ask', 'one', '{{}}', 'completed', 9, 1, 1),
                        (1, 'codex', NULL, 'ask', 'two', '{{}}', 'completed', 2, 1, 1);
             INSERT INTO turns (chat_id, started_seq, ended_seq, prompt, input_tokens, output_tokens, cache_read_tokens,
                                cache_write_tokens, cost_usd, duration_ms, started_at, ended_at) VALUES
                 (1, 1, 2, 'a', 100, 10, 5, 1, 0.1234567, 1000, {d1}, {d1}),
                 (1, 3, 4, 'b', 200, 20, 0, 0, NULL, 2000, {d1b}, {d1b}),
                 (1, 5, 6, 'c', 300, 30, 0, 0, 0.5, NULL, {d2}, {d2}),
                 (1, 7, NULL, 'still going', 999, 999, 0, 0, 9.0, NULL, {d2}, NULL),
                 (2, 1, 2, 'd', 7, 3, 0, 0, 0.25, 500, {d2}, {d2});
             INSERT INTO events (chat_id, seq, at, kind, payload) VALUES
                 (1, 1, {d1}, 'tool_call', '{{\"id\":\"t1\",\"title\":\"ls\",\"kind\":\"execute\",\"input\":\"\"}}'),
                 (1, 2, {d1}, 'tool_call', '{{\"id\":\"t2\",\"title\":\"ls\",\"kind\":\"execute\",\"input\":\"\"}}'),
                 (1, 3, {d1b}, 'tool_call', '{{\"id\":\"t3\",\"title\":\"a.rs\",\"kind\":\"read\",\"input\":\"\"}}'),
                 (1, 4, {d2}, 'tool_call', '{{\"id\":\"t4\",\"title\":\"x\",\"kind\":\"edit\",\"input\":\"\",\"tool\":\"Write\"}}'),
                 (1, 5, {d2}, 'tool_call_update', '{{\"id\":\"t4\",\"status\":\"completed\",\"output\":null}}');",
            d1 = DAY * 20_000 + 5,
            d1b = DAY * 20_000 + 7_200_000,
            d2 = DAY * 20_001 + 1,
        ))
        .expect("old data");
    }
    let store = SqliteStore::open(&path).await.expect("open and migrate");
    let rows = |sql: &'static str| {
        let store = &store;
        async move {
            store
                .read(move |conn| diesel::sql_query(sql).load::<Word>(conn).map_err(from_diesel))
                .await
                .expect("read the roll-up")
                .into_iter()
                .map(|w| w.value)
                .collect::<Vec<_>>()
        }
    };
    let usage = rows(
        "SELECT day || ' ' || chat_id || ' [' || model || '] ' || turns || ' ' || costed_turns || ' ' || input_tokens || ' '
         || output_tokens || ' ' || cache_read_tokens || ' ' || cache_write_tokens || ' ' || cost_micros || ' ' || duration_ms
         AS value FROM usage_daily ORDER BY day, chat_id",
    )
    .await;
    assert_eq!(
        usage,
        [
            // Two turns that day, one without a cost: 0.1234567 rounds to 123457 millionths.
            "20000 1 [] 2 1 300 30 5 1 123457 3000",
            // The turn still going is not counted; a turn without a duration adds none.
            "20001 1 [] 1 1 300 30 0 0 500000 0",
            "20001 2 [] 1 1 7 3 0 0 250000 500",
        ]
    );
    let tools =
        rows("SELECT day || ' ' || chat_id || ' ' || tool || ' ' || calls AS value FROM tool_daily ORDER BY day, tool")
            .await;
    assert_eq!(tools, ["20000 1 execute 2", "20000 1 read 1", "20001 1 Write 1"]);
}
