//! SECURITY.md R1: `kill -9` at random points of a write loop leaves a database whose integrity
//! check passes and that holds every write the store acknowledged.
//!
//! The test runs this same test binary again as the writer (selected by an environment
//! variable): eight tasks append chat events at once, so appends are group-committed, and print
//! each acknowledged one. The test kills the writer with SIGKILL after a random number of
//! acknowledgements, then opens the file and looks for every one of them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use band_core::ports::{ChatStore, EventLog, ProjectStore, WorkspaceStore};
use band_core::{
    AgentId, BranchName, ChatId, EventPayload, GitRef, NewChat, NewProject, NewWorkspace, PermissionMode, ProjectName,
};
use band_store::SqliteStore;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

const TEST: &str = "crash::kill_9_during_writes_loses_no_acknowledged_write";
const CHILD_DB: &str = "BAND_STORE_CRASH_DB";
const CHILD_CHAT: &str = "BAND_STORE_CRASH_CHAT";
const WRITERS: usize = 8;
const ROUNDS: usize = 6;

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// A small xorshift: the kill points vary per run, and the seed is printed to replay one.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn prepare(path: &Path) -> ChatId {
    let store = SqliteStore::open(path).await.expect("open");
    let project = store
        .insert_project(NewProject {
            name: ProjectName::new("app").expect("name"),
            path: "/repos/app".into(),
            default_branch: BranchName::new("main").expect("branch"),
        })
        .await
        .expect("project");
    let workspace = store
        .insert_workspace(NewWorkspace {
            project_id: project.id,
            branch: BranchName::new("feat").expect("branch"),
            base: GitRef::new("main").expect("ref"),
            path: "/wt/app/feat".into(),
            branch_created: true,
            direct: false,
        })
        .await
        .expect("workspace");
    let chat = store
        .insert_chat(NewChat {
            workspace_id: workspace.id,
            agent: AgentId::default_agent(),
            model: None,
            mode: PermissionMode::Ask,
            name: band_testkit::names::chat_name("crash"),
            labels: Default::default(),
            via: Default::default(),
        })
        .await
        .expect("chat");
    chat.id
}

/// The writer: appends until it is killed, printing `ack <seq> <text>` for each acknowledged event.
async fn write_until_killed(path: &Path, chat: ChatId) -> ! {
    let store = std::sync::Arc::new(SqliteStore::open(path).await.expect("open in the writer"));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0u64.. {
                let text = format!("w{w}-{i}");
                let prompt = EventPayload::Prompt { text: text.clone(), queued: None };
                let events = store.append_events(vec![(chat, vec![prompt])]).await.expect("append");
                // One write per line, after the store said it is stored.
                println!("ack {} {text}", events[0].seq);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    unreachable!("the writers never stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_writes_loses_no_acknowledged_write() {
    if let (Some(db), Some(chat)) = (std::env::var_os(CHILD_DB), std::env::var_os(CHILD_CHAT)) {
        let chat = ChatId(chat.to_str().and_then(|c| c.parse().ok()).expect("a chat id"));
        write_until_killed(Path::new(&db), chat).await;
    }

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    let chat = prepare(&path).await;
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).expect("time").as_nanos() as u64 | 1;
    println!("kill points seeded with {seed}");
    let mut rng = Rng(seed);
    let mut acked: Vec<(u64, String)> = Vec::new();

    for round in 0..ROUNDS {
        let kill_after = 1 + rng.below(400) as usize;
        let mut child = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_DB, &path)
            .env(CHILD_CHAT, chat.0.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the writer");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut seen = 0;
        while seen < kill_after {
            let Some(Ok(line)) = lines.next() else { panic!("round {round}: the writer stopped by itself") };
            if let Some(ack) = line.strip_prefix("ack ") {
                let (seq, text) = ack.split_once(' ').expect("ack <seq> <text>");
                acked.push((seq.parse().expect("a seq"), text.to_owned()));
                seen += 1;
            }
        }
        child.kill().expect("SIGKILL the writer");
        // Whatever it acknowledged before dying is in the pipe still: it counts too.
        for line in lines.map_while(Result::ok) {
            if let Some((seq, text)) = line.strip_prefix("ack ").and_then(|a| a.split_once(' ')) {
                acked.push((seq.parse().expect("a seq"), text.to_owned()));
            }
        }
        child.wait().expect("reap the writer");

        let mut conn = SqliteConnection::establish(path.to_str().expect("utf-8")).expect("connect");
        let check =
            diesel::sql_query("PRAGMA integrity_check").get_result::<Check>(&mut conn).expect("integrity_check");
        assert_eq!(check.integrity_check, "ok", "round {round} (seed {seed}): integrity");
        drop(conn);

        let store = SqliteStore::open(&path).await.expect("reopen after kill -9");
        let events = store.events_after(chat, 0, usize::MAX).await.expect("events");
        let stored: std::collections::HashMap<u64, String> = events
            .into_iter()
            .map(|e| match e.payload {
                EventPayload::Prompt { text, .. } => (e.seq, text),
                other => panic!("unexpected event {other:?}"),
            })
            .collect();
        for (seq, text) in &acked {
            assert_eq!(stored.get(seq), Some(text), "round {round} (seed {seed}): acknowledged event {seq} is missing");
        }
        let mut seqs: Vec<u64> = stored.keys().copied().collect();
        seqs.sort_unstable();
        assert!(seqs.iter().enumerate().all(|(i, s)| *s == i as u64 + 1), "round {round}: sequence numbers have a gap");
    }
    assert!(acked.len() >= ROUNDS, "every round acknowledged writes");
}
