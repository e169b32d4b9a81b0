//! Test support: a display (Xvfb), a child process per shell (GTK allows one event loop per
//! process), the two test doubles (the folder dialog and the notifier; the quit question is a
//! native dialog too), screenshots, and the check that nothing a run started is left.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use band_desktop::os::{ChatRef, Confirm, FolderDialog, Notification, Notifier, Os};
use band_desktop::shell::{Options, Probe};
use band_desktop::single;

/// One window at a time: a WebKit process each, on 2 cores, beside other builds, would make
/// every start-up slow enough to time out.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// An X server of its own for one test (and the turn to use it).
pub struct Display {
    child: Child,
    pub name: String,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Display {
    pub fn start() -> Self {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x860x24", "-nolisten", "tcp", "-noreset"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts (apt install xvfb; scripts/test.sh installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("Xvfb names its display");
        let n: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb said {line:?}"));
        Self { child, name: format!(":{n}"), _turn: turn }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment every shell in the tests gets.
pub fn gui_env(cmd: &mut Command, display: &Display, run: &str) {
    cmd.env("DISPLAY", &display.name)
        .env("NO_AT_BRIDGE", "1")
        .env("BAND_DESKTOP_TEST_RUN", run)
        .env_remove("BAND_HOME")
        .env_remove("BAND_PORT")
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
}

pub const CHILD: &str = "BAND_DESKTOP_TEST_CHILD";

pub fn nonce() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `body` in a child process of this test binary (its own GTK, its own display); in the
/// parent, checks that the child passed and left no process behind.
pub fn in_child(test: &str, body: impl FnOnce()) {
    in_child_with(test, &[], body);
}

/// As [`in_child`], with more environment for the child.
pub fn in_child_with(test: &str, env: &[(&str, &str)], body: impl FnOnce()) {
    if std::env::var(CHILD).is_ok_and(|c| c == test) {
        // The child ends here, not by returning: when the thread that ran GTK exits, WebKit's
        // per-thread teardown can wait forever (seen under load: the test thread parked in
        // `RunLoop::threadWillExit`), and the harness would join it for ever.
        let passed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).is_ok();
        if passed {
            println!("{CHILD_PASSED}");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(if passed { 0 } else { 101 });
    }
    let display = Display::start();
    let run = nonce();
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]).env(CHILD, test);
    cmd.stdout(std::fs::File::create(&out_path).expect("stdout file"));
    cmd.stderr(std::fs::File::create(&err_path).expect("stderr file"));
    gui_env(&mut cmd, &display, &run);
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().expect("the child runs");
    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    let Some(status) = status else { panic!("the shell's child did not end within {CHILD_LIMIT:?}:\n{text}") };
    assert!(status.success() && text.contains(CHILD_PASSED), "the shell's child failed:\n{text}");
    assert_nothing_left(&run, None);
}

/// What a child prints when its body passed.
const CHILD_PASSED: &str = "band-desktop test child: passed";
/// How long one child may take, start-up on a loaded machine included; past it, the test fails
/// with the child's output instead of hanging the suite.
const CHILD_LIMIT: Duration = Duration::from_secs(420);

/// Processes (not zombies) whose environment holds `needle`.
pub fn processes_with(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for pid in std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
    {
        if pid == std::process::id() {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
        if !zombie && environ.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
        }
    }
    found
}

/// Nothing of run `run` (the shell, WebKit's processes: they inherit its environment) nor of
/// the server in process `pid` (agents, terminals: band-process marks them) is left.
pub fn assert_nothing_left(run: &str, pid: Option<u32>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut left = processes_with(&format!("BAND_DESKTOP_TEST_RUN={run}"));
        if let Some(pid) = pid {
            left.extend(processes_with(&format!("BAND_PROCESS_SCOPE={pid}.")));
        }
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A screenshot of the whole display; the number of distinct colours in it.
pub fn screenshot(display: &str, name: &str) -> (PathBuf, usize) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("desktop-screenshots");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join(format!("{name}.png"));
    let ok = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .env("DISPLAY", display)
        .status()
        .expect("import runs (apt install imagemagick)");
    assert!(ok.success(), "import failed");
    let out = Command::new("convert").arg(&path).args(["-format", "%k", "info:"]).output().expect("convert runs");
    let colours = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    (path, colours)
}

/// Screenshots until one has more than `colours` distinct colours (what a drawn dashboard has;
/// an empty X screen has 1 or 2); its path and count.
pub fn screenshot_drawn(display: &str, name: &str, colours: usize) -> (PathBuf, usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (path, n) = screenshot(display, name);
        if n > colours || Instant::now() > deadline {
            return (path, n);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The folder dialog's double: answers with the folder it was given.
#[derive(Default)]
pub struct Dialog {
    pub answer: Mutex<Option<PathBuf>>,
    pub asked: AtomicUsize,
}

impl FolderDialog for Dialog {
    fn pick_folder(&self, _title: &str, _start: Option<&Path>) -> Option<PathBuf> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.answer.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The quit question's double: answers from a script, records what was asked.
#[derive(Default)]
pub struct Answers {
    pub script: Mutex<VecDeque<bool>>,
    pub asked: Mutex<Vec<String>>,
}

impl Confirm for Answers {
    fn ask(&self, title: &str, text: &str) -> bool {
        self.asked.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{title} {text}"));
        self.script.lock().unwrap_or_else(|p| p.into_inner()).pop_front().unwrap_or(false)
    }
}

/// The notifier's double: records notifications; a test clicks one through the shell.
#[derive(Default)]
pub struct Notes {
    pub raised: Mutex<Vec<Notification>>,
}

impl Notifier for Notes {
    fn start(&self, _clicked: Box<dyn Fn(ChatRef) + Send + Sync>) {}
    fn notify(&self, n: &Notification) -> Result<(), String> {
        self.raised.lock().unwrap_or_else(|p| p.into_inner()).push(n.clone());
        Ok(())
    }
}

pub struct Doubles {
    pub dialog: Arc<Dialog>,
    pub confirm: Arc<Answers>,
    pub notes: Arc<Notes>,
}

impl Doubles {
    pub fn new() -> Self {
        Self { dialog: Arc::default(), confirm: Arc::default(), notes: Arc::default() }
    }
    pub fn os(&self) -> Os {
        Os { dialog: self.dialog.clone(), confirm: self.confirm.clone(), notifier: self.notes.clone() }
    }
}

/// Runs the shell on this thread (in the child) with `os` and `agents`, and `scenario` beside
/// it; quits (without asking) when the scenario ends, and fails if the scenario did.
pub fn run_shell(
    home: &Path,
    os: Os,
    agents: Option<Vec<Arc<dyn band_core::ports::AgentRuntime>>>,
    scenario: impl FnOnce(&Probe) + Send + 'static,
) {
    let single = match single::take(home).expect("the home is free") {
        single::Taken::First(s) => s,
        single::Taken::Shown { .. } => panic!("another shell holds the home"),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let scenario = std::thread::spawn(move || {
        let probe: Probe = rx.recv_timeout(Duration::from_secs(120)).expect("the shell came up");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(&probe)));
        probe.quit(false);
        result
    });
    let options = Options { home: home.to_owned(), port: Some(0), os, agents, started: Instant::now() };
    band_desktop::shell::run(options, single, Some(tx)).expect("the shell ran");
    if let Err(panic) = scenario.join().expect("the scenario thread") {
        std::panic::resume_unwind(panic);
    }
}

/// Waits until the page's `js` evaluates to `want` (as JSON).
pub fn wait_eval(probe: &Probe, js: &str, want: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let got = probe.eval(js).unwrap_or_else(|e| e);
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "`{js}` gave {got}, not {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn wait_until(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

pub const STARTUP: Duration = Duration::from_secs(90);
pub const SOON: Duration = Duration::from_secs(20);
