//! [`FakeTerminalHost`]: terminals without PTYs. A test plays the shell: it prints output
//! ([`FakeTerminal::print`]), ends it ([`FakeTerminal::exit_with`]) and inspects what band sent
//! (input, sizes, kills) and where and how it was started ([`FakeTerminalHost::spawns`]).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use band_core::ports::{OutputFeed, TerminalHost, TerminalProcess, TerminalSpawn};
use band_core::{Millis, TerminalError, TerminalExit, TerminalOutput, TerminalSize};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
pub struct FakeTerminalHost {
    spawns: Mutex<Vec<TerminalSpawn>>,
    terminals: Mutex<Vec<Arc<FakeTerminal>>>,
    next_pid: AtomicU32,
}

impl FakeTerminalHost {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { next_pid: AtomicU32::new(5000), ..Self::default() })
    }

    /// Everything the host was asked to start, oldest first.
    pub fn spawns(&self) -> Vec<TerminalSpawn> {
        lock(&self.spawns).clone()
    }

    /// Every terminal started, oldest first.
    pub fn terminals(&self) -> Vec<Arc<FakeTerminal>> {
        lock(&self.terminals).clone()
    }
}

#[async_trait]
impl TerminalHost for FakeTerminalHost {
    async fn spawn(&self, spawn: TerminalSpawn) -> Result<Arc<dyn TerminalProcess>, TerminalError> {
        if spawn.cwd.to_string_lossy().contains("missing") {
            return Err(TerminalError::Missing(spawn.cwd));
        }
        let t = Arc::new(FakeTerminal {
            pid: self.next_pid.fetch_add(1, Ordering::Relaxed),
            size: Mutex::new(spawn.size),
            input: Mutex::new(Vec::new()),
            output: Mutex::new(Vec::new()),
            exit: Mutex::new(None),
            killed: AtomicBool::new(false),
        });
        lock(&self.spawns).push(spawn);
        lock(&self.terminals).push(t.clone());
        Ok(t)
    }
}

pub struct FakeTerminal {
    pid: u32,
    size: Mutex<TerminalSize>,
    input: Mutex<Vec<u8>>,
    output: Mutex<Vec<u8>>,
    exit: Mutex<Option<TerminalExit>>,
    killed: AtomicBool,
}

impl FakeTerminal {
    /// The shell prints `text`.
    pub fn print(&self, text: &str) {
        lock(&self.output).extend_from_slice(text.as_bytes());
    }

    /// The shell exits on its own with `code`.
    pub fn exit_with(&self, code: i32) {
        *lock(&self.exit) = Some(TerminalExit { code: Some(code), signal: None });
    }

    /// Every byte band wrote to the terminal.
    pub fn input(&self) -> Vec<u8> {
        lock(&self.input).clone()
    }

    pub fn size(&self) -> TerminalSize {
        *lock(&self.size)
    }

    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TerminalProcess for FakeTerminal {
    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }

    fn started_at(&self) -> Millis {
        1_700_000_000_000
    }

    async fn write(&self, data: &[u8]) -> Result<(), TerminalError> {
        if self.exit().is_some() {
            return Err(TerminalError::Exited);
        }
        lock(&self.input).extend_from_slice(data);
        Ok(())
    }

    fn resize(&self, size: TerminalSize) -> Result<(), TerminalError> {
        if self.exit().is_some() {
            return Err(TerminalError::Exited);
        }
        *lock(&self.size) = size;
        Ok(())
    }

    fn output_end(&self) -> u64 {
        lock(&self.output).len() as u64
    }

    fn output(&self, after: u64) -> TerminalOutput {
        let out = lock(&self.output);
        let from = usize::try_from(after).unwrap_or(usize::MAX).min(out.len());
        TerminalOutput { start: from as u64, data: out[from..].to_vec() }
    }

    /// What was printed so far, then the end (the fake has no live output).
    fn subscribe(&self, after: u64) -> Box<dyn OutputFeed> {
        Box::new(Once(Some(self.output(after)).filter(|o| !o.data.is_empty())))
    }

    fn exit(&self) -> Option<TerminalExit> {
        *lock(&self.exit)
    }

    async fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let mut exit = lock(&self.exit);
        if exit.is_none() {
            *exit = Some(TerminalExit { code: None, signal: Some(1) });
        }
    }
}

struct Once(Option<TerminalOutput>);

#[async_trait]
impl OutputFeed for Once {
    async fn next(&mut self) -> Option<TerminalOutput> {
        self.0.take()
    }
}
