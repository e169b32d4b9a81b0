//! [`FakeRuntime`]: an in-memory agent. A test plays the agent's part: it emits events exactly as
//! an adapter's reader would ([`FakeSession::emit`]) and inspects what band sent (prompts,
//! permission answers, interrupts, stops).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{AgentError, AgentProtocol, PermissionDecision};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct FakeRuntime {
    protocol: AgentProtocol,
    sessions: Mutex<Vec<Arc<FakeSession>>>,
    launches: Mutex<Vec<AgentLaunch>>,
    fail_next: Mutex<Option<AgentError>>,
    next_pid: AtomicU32,
}

impl FakeRuntime {
    /// A runtime for the agents of `protocol` (Claude Code's is
    /// [`AgentProtocol::ClaudeStreamJson`], the default agent's).
    pub fn new(protocol: AgentProtocol) -> Arc<Self> {
        Arc::new(Self {
            protocol,
            sessions: Mutex::new(Vec::new()),
            launches: Mutex::new(Vec::new()),
            fail_next: Mutex::new(None),
            next_pid: AtomicU32::new(1000),
        })
    }

    /// Every session launched so far, oldest first.
    pub fn sessions(&self) -> Vec<Arc<FakeSession>> {
        lock(&self.sessions).clone()
    }

    /// The newest session.
    ///
    /// # Panics
    /// When none was launched.
    pub fn last(&self) -> Arc<FakeSession> {
        lock(&self.sessions).last().cloned().expect("no agent was launched")
    }

    pub fn launches(&self) -> Vec<AgentLaunch> {
        lock(&self.launches).clone()
    }

    /// The next launch fails with `e` (a missing binary, say).
    pub fn fail_next_launch(&self, e: AgentError) {
        *lock(&self.fail_next) = Some(e);
    }
}

#[async_trait]
impl AgentRuntime for FakeRuntime {
    fn protocol(&self) -> AgentProtocol {
        self.protocol
    }

    async fn launch(
        &self,
        launch: AgentLaunch,
        events: Arc<dyn AgentEvents>,
    ) -> Result<Arc<dyn AgentHandle>, AgentError> {
        if let Some(e) = lock(&self.fail_next).take() {
            return Err(e);
        }
        lock(&self.launches).push(launch);
        let session = Arc::new(FakeSession {
            events,
            pid: self.next_pid.fetch_add(1, Ordering::Relaxed),
            prompts: Mutex::new(Vec::new()),
            responses: Mutex::new(Vec::new()),
            pending: Mutex::new(BTreeSet::new()),
            interrupts: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        });
        lock(&self.sessions).push(session.clone());
        Ok(session)
    }
}

pub struct FakeSession {
    events: Arc<dyn AgentEvents>,
    pid: u32,
    prompts: Mutex<Vec<String>>,
    responses: Mutex<Vec<(String, PermissionDecision)>>,
    pending: Mutex<BTreeSet<String>>,
    interrupts: AtomicUsize,
    stopped: AtomicBool,
}

impl FakeSession {
    /// Delivers an event, as the adapter's reader would, and waits until band has handled it.
    pub async fn emit(&self, event: AgentEvent) {
        if let AgentEvent::PermissionRequest { request_id, .. } = &event {
            lock(&self.pending).insert(request_id.clone());
        }
        self.events.on_event(event).await;
    }

    /// The process dies on its own (a crash, `kill -9`).
    pub async fn crash(&self, status: &str, stderr_tail: &str) {
        self.events
            .on_exit(AgentExit { requested: false, status: status.into(), stderr_tail: stderr_tail.into() })
            .await;
    }

    pub fn prompts(&self) -> Vec<String> {
        lock(&self.prompts).clone()
    }

    pub fn responses(&self) -> Vec<(String, PermissionDecision)> {
        lock(&self.responses).clone()
    }

    pub fn interrupts(&self) -> usize {
        self.interrupts.load(Ordering::SeqCst)
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl AgentHandle for FakeSession {
    async fn prompt(&self, text: &str) -> Result<(), AgentError> {
        if self.stopped() {
            return Err(AgentError::Exited("stopped".into()));
        }
        lock(&self.prompts).push(text.to_owned());
        Ok(())
    }

    async fn respond(&self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError> {
        if !lock(&self.pending).remove(request_id) {
            return Err(AgentError::Protocol(format!("no pending request {request_id}")));
        }
        lock(&self.responses).push((request_id.to_owned(), decision));
        Ok(())
    }

    async fn interrupt(&self) -> Result<(), AgentError> {
        self.interrupts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn stop(&self) -> Result<(), AgentError> {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            self.events
                .on_exit(AgentExit {
                    requested: true,
                    status: "killed by signal 15".into(),
                    stderr_tail: String::new(),
                })
                .await;
        }
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }
}
