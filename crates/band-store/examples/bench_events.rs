// THROWAWAY: timing of the event log; not committed.
use std::time::Instant;

use band_core::ports::{ChatStore, EventLog, ProjectStore, WorkspaceStore};
use band_core::*;
use band_store::SqliteStore;

fn chunk(i: usize) -> EventPayload {
    EventPayload::Update(AgentUpdate::MessageChunk {
        text: format!("chunk {i}: some text the agent streams, about this long ..."),
    })
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("band.db")).await.unwrap();
    let p = store
        .insert_project(NewProject {
            name: ProjectName::new("p").unwrap(),
            path: "/p".into(),
            default_branch: BranchName::new("main").unwrap(),
        })
        .await
        .unwrap();
    let w = store
        .insert_workspace(NewWorkspace {
            project_id: p.id,
            branch: BranchName::new("f").unwrap(),
            base: GitRef::new("main").unwrap(),
            path: "/w".into(),
            branch_created: true,
        })
        .await
        .unwrap();
    let new = || NewChat {
        workspace_id: w.id,
        agent: AgentKind::ClaudeCode,
        model: None,
        mode: PermissionMode::Ask,
        name: "c".into(),
        labels: Default::default(),
    };
    let chat = store.insert_chat(new()).await.unwrap();

    let t = Instant::now();
    for b in 0..1000 {
        let batch: Vec<EventPayload> = (0..100).map(|i| chunk(b * 100 + i)).collect();
        store.append_events(vec![(chat.id, batch)]).await.unwrap();
    }
    let total = t.elapsed();
    println!(
        "append 100k events in 1000 batches of 100: {total:?} ({:?}/batch, {:?}/event)",
        total / 1000,
        total / 100_000
    );

    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let page = store.events_before(chat.id, None, 100).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(page.len(), 100);
        assert_eq!(page[99].seq, 100_000);
    }
    times.sort();
    println!(
        "events_before(None, 100) on a 100k-event chat: min {:?} median {:?} p99 {:?} max {:?}",
        times[0], times[100], times[198], times[199]
    );
    let mut times = Vec::new();
    for i in 0..200u64 {
        let t = Instant::now();
        let page = store.events_before(chat.id, Some(50_000 + i * 10), 100).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(page.len(), 100);
    }
    times.sort();
    println!("events_before(Some(~50k), 100): min {:?} median {:?} max {:?}", times[0], times[100], times[199]);
    let mut times = Vec::new();
    for i in 0..200u64 {
        let t = Instant::now();
        let page = store.events_after(chat.id, 50_000 + i * 10, 100).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(page.len(), 100);
    }
    times.sort();
    println!("events_after(~50k, 100): min {:?} median {:?} max {:?}", times[0], times[100], times[199]);

    // The service's usual shape: one event per append.
    let single = store.insert_chat(new()).await.unwrap();
    let t = Instant::now();
    for i in 0..10_000 {
        store.append_events(vec![(single.id, vec![chunk(i)])]).await.unwrap();
    }
    let total = t.elapsed();
    println!("append 10k events one per batch: {total:?} ({:?}/append)", total / 10_000);

    // A turn's worth: prompt, start, status; then end + status.
    let t = Instant::now();
    for i in 0..1000 {
        store
            .append_events(vec![(
                single.id,
                vec![
                    EventPayload::Prompt { text: format!("p{i}"), queued: None },
                    EventPayload::TurnStarted,
                    EventPayload::Status { status: ChatStatus::Working },
                ],
            )])
            .await
            .unwrap();
        store
            .append_events(vec![(
                single.id,
                vec![
                    EventPayload::TurnEnded(TurnOutcome {
                        stop_reason: Some(StopReason::EndTurn),
                        error: None,
                        usage: Usage { input_tokens: 10, cost_usd: Some(0.01), ..Default::default() },
                    }),
                    EventPayload::Status { status: ChatStatus::Completed },
                ],
            )])
            .await
            .unwrap();
    }
    println!("1000 turns (2 appends each): {:?}", t.elapsed());

    let t = Instant::now();
    store.delete_chat(chat.id).await.unwrap();
    println!("delete a 100k-event chat: {:?}", t.elapsed());
}
