//! The spawner thread: every process band starts is forked here, with the parent-death signal
//! armed.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not when the process
//! does. A tokio blocking-pool thread exits after idling for a few seconds, and a runtime's
//! worker threads exit with the runtime, so a child forked on one of them would be SIGKILLed while
//! band is still running. This thread is started once and never returns (its channel's sender is
//! a static), so the signal fires only when the whole process dies. It enters the caller's
//! runtime to build the tokio child, so the child's pipes and its exit are driven by the caller's
//! runtime, exactly as if it had been spawned there.
//!
//! The price of the `pre_exec` hook: std can no longer start the child with `posix_spawn` (a
//! `vfork`), it `fork`s, which copies band's page tables. Measured at about 0.1 ms per MiB of
//! band's resident memory (1–2 ms at band-server's usual 10–25 MiB; the spine benchmark's
//! workspace creation stayed at 1.02x plain git).

use std::sync::OnceLock;
use std::sync::mpsc;

use rustix::io::Errno;
use rustix::process::{Pid, Signal, getpid, getppid, set_parent_process_death_signal};
use tokio::runtime::Handle;

/// What to fork.
pub(crate) enum Job {
    /// A process-group leader (the group is set on the command).
    Group(tokio::process::Command),
    /// A session leader on a PTY.
    Pty(tokio::process::Command, pty_process::Pts),
}

type Work = Box<dyn FnOnce() + Send>;

/// Forks `job` on the spawner thread, in the caller's runtime.
pub(crate) async fn spawn(job: Job) -> std::io::Result<(tokio::process::Child, Handle)> {
    let handle = Handle::try_current()
        .map_err(|e| std::io::Error::other(format!("a process can only be started on a tokio runtime: {e}")))?;
    let runtime = handle.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let work: Work = Box::new(move || {
        let _runtime = handle.enter();
        let result = match job {
            Job::Group(mut cmd) => {
                arm(&mut cmd, getpid());
                cmd.spawn()
            }
            Job::Pty(mut cmd, pts) => {
                arm(&mut cmd, getpid());
                // pty-process adds its own pre_exec (setsid, the controlling terminal) after ours.
                pty_process::Command::from(cmd).spawn(pts).map_err(|e| match e {
                    pty_process::Error::Io(e) => e,
                    other => std::io::Error::other(other.to_string()),
                })
            }
        };
        // A caller that went away drops the child here, which kills it (kill_on_drop).
        let _ = tx.send(result);
    });
    thread()?.send(work).map_err(|_| gone())?;
    let child = rx.await.map_err(|_| gone())??;
    Ok((child, runtime))
}

fn gone() -> std::io::Error {
    std::io::Error::other("band's process spawner thread is gone; restart band-server")
}

/// The spawner thread's queue, started on first use.
fn thread() -> std::io::Result<&'static mpsc::Sender<Work>> {
    static QUEUE: OnceLock<Result<mpsc::Sender<Work>, String>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Work>();
            std::thread::Builder::new()
                .name("band-spawner".into())
                .spawn(move || {
                    for work in rx {
                        // A panic in one spawn must not take the thread, and every later
                        // spawn, with it.
                        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).is_err() {
                            tracing::error!("a process spawn panicked");
                        }
                    }
                })
                .map(|_| tx)
                .map_err(|e| format!("cannot start band's process spawner thread: {e}"))
        })
        .as_ref()
        .map_err(|e| std::io::Error::other(e.clone()))
}

/// Arms the child, between fork and exec: SIGKILL when its parent thread dies, and no exec at all
/// if the parent is already gone (the child was reparented before it could ask, so the signal
/// would never come).
fn arm(cmd: &mut tokio::process::Command, parent: Pid) {
    let hook = move || {
        set_parent_process_death_signal(Some(Signal::KILL))?;
        if getppid() != Some(parent) {
            return Err(std::io::Error::from(Errno::SRCH));
        }
        Ok(())
    };
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // work is allowed. It makes two raw system calls through rustix (prctl, getppid), compares
    // two integers and builds an io::Error from an errno (no allocation); it takes no lock,
    // allocates nothing and touches no state shared with other threads.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(hook);
    }
}
