//! Agent sessions with real processes (SECURITY.md R2): a stop is reported as requested and
//! leaves nothing running, an agent's own exit is reported with its status and stderr and takes
//! its children with it, and a missing binary names the package to install. The process hygiene
//! underneath (groups, markers, sweeps, the environment, zombies, parent death) is band-process's
//! and tested there (crates/band-process/tests/process.rs).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use band_testkit::procs::running;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use band_adapters::agents::process::{self, LineParser, Parsed, Spec};
use band_core::AgentUpdate;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit};
use band_process::Supervisor;

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<AgentEvent>>,
    exit: Mutex<Option<AgentExit>>,
}

#[async_trait]
impl AgentEvents for Recorder {
    async fn on_event(&self, event: AgentEvent) {
        self.events.lock().unwrap().push(event);
    }
    async fn on_exit(&self, exit: AgentExit) {
        *self.exit.lock().unwrap() = Some(exit);
    }
}

impl Recorder {
    async fn wait_exit(&self) -> AgentExit {
        for _ in 0..500 {
            if let Some(e) = self.exit.lock().unwrap().clone() {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no exit reported within 5 s");
    }
}

/// Each stdout line becomes a message chunk.
struct Lines;
impl LineParser for Lines {
    fn parse(&mut self, line: &str) -> Parsed {
        Parsed {
            events: vec![AgentEvent::Update(AgentUpdate::MessageChunk { text: line.to_owned(), message_id: None })],
            replies: vec![],
        }
    }
}

fn env() -> BTreeMap<String, String> {
    [("PATH".to_owned(), std::env::var("PATH").unwrap_or_default())].into_iter().collect()
}

/// A shell "agent" that leaves children behind, one in its group and one in a new session.
fn leaver(dir: &Path, tag: &str) -> Spec<'static> {
    let script = dir.join("agent.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/bash\n(exec -a band-test-{tag}-a sleep 1000) &\nsetsid bash -c 'exec -a band-test-{tag}-b sleep 1000' &\necho ready\nexec -a band-test-{tag}-c sleep 1000\n"
        ),
    )
    .unwrap();
    Spec {
        program: Path::new("/bin/bash"),
        args: vec![script.display().to_string()],
        cwd: Box::leak(Box::new(dir.to_owned())),
        env: Box::leak(Box::new(env())),
    }
}

async fn wait_for(needle: &str, n: usize) {
    for _ in 0..300 {
        if running(needle).len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} processes matching {needle}, found {:?}", running(needle));
}

#[tokio::test]
async fn stop_leaves_nothing_running_not_even_what_left_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let rec = Arc::new(Recorder::default());
    let tag = format!("stop{}", std::process::id());
    let session = process::start(&Supervisor::new(), leaver(dir.path(), &tag), Lines, rec.clone()).await.unwrap();
    let needle = format!("band-test-{tag}-");
    wait_for(&needle, 3).await;

    session.stop().await;
    let exit = rec.wait_exit().await;
    assert!(exit.requested);
    assert!(exit.status.contains("signal"), "{}", exit.status);
    assert_eq!(running(&needle), Vec::<i32>::new(), "survivors after stop");
    assert_eq!(
        rec.events.lock().unwrap().as_slice(),
        [AgentEvent::Update(AgentUpdate::MessageChunk { text: "ready".into(), message_id: None })]
    );
}

#[tokio::test]
async fn an_agent_that_exits_on_its_own_takes_its_children_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("agent.sh");
    std::fs::write(
        &script,
        format!("#!/bin/bash\n(exec -a band-test-exit{0}-a sleep 1000) &\nsetsid bash -c 'exec -a band-test-exit{0}-b sleep 1000' &\necho 'oops' >&2\nsleep 0.3\nexit 3\n", std::process::id()),
    )
    .unwrap();
    let env = env();
    let spec =
        Spec { program: Path::new("/bin/bash"), args: vec![script.display().to_string()], cwd: dir.path(), env: &env };
    let rec = Arc::new(Recorder::default());
    let _session = process::start(&Supervisor::new(), spec, Lines, rec.clone()).await.unwrap();
    let exit = rec.wait_exit().await;
    assert!(!exit.requested);
    assert_eq!(exit.status, "exit code 3");
    assert_eq!(exit.stderr_tail, "oops");
    assert_eq!(
        running(&format!("band-test-exit{}-", std::process::id())),
        Vec::<i32>::new(),
        "orphans outlived their agent"
    );
}

#[tokio::test]
async fn a_missing_binary_carries_how_to_install_it() {
    let env = env();
    let mut claude = band_testkit::names::agent("claude-code");
    claude.binary = "claude-nonexistent".into();
    let e = process::find_binary(&claude, &env).unwrap_err();
    assert_eq!(e.to_string(), "the claude-code agent's binary 'claude-nonexistent' was not found");
    let npm = Some(band_core::Install::Npm("@anthropic-ai/claude-code".into()));
    assert!(matches!(e, band_core::AgentError::BinaryMissing { ref install, .. } if *install == npm), "{e:?}");
    let mut codex = band_testkit::names::agent("codex");
    codex.binary = "/nope/codex".into();
    assert!(process::find_binary(&codex, &env).unwrap_err().to_string().contains("'/nope/codex' was not found"));
    let mut sh = band_testkit::names::agent("gemini");
    sh.binary = "sh".into();
    assert!(process::find_binary(&sh, &env).is_ok());
}
