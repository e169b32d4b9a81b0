//! band-desktop end to end, under Xvfb: a real window, the real WebKitGTK webview, band-server
//! embedded in-process (or a running one attached to), the real dashboard (web/dist). Test
//! doubles stand in only for what a test cannot drive: the native folder dialog, the quit
//! question (a native dialog too) and the desktop's notification service (support.rs).
//!
//! Tests that need the shell's insides (the doubles, a fake agent) run it in a child process of
//! this binary, one per test (GTK allows one event loop per process); the others run the real
//! `band-desktop` binary.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use band_api::client::Client;
use band_core::AgentProtocol;
use band_core::ports::AgentEvent;
use band_desktop::os::ChatRef;
use band_desktop::shell::Probe;
use band_testkit::agent::FakeRuntime;
use band_testkit::fixtures::TestRepo;
use support::*;

fn token(home: &Path) -> String {
    band_server::settings::load_or_create(home).expect("settings").token().to_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

#[test]
fn the_dashboard_renders_and_the_folder_picker_adds_a_project() {
    in_child("the_dashboard_renders_and_the_folder_picker_adds_a_project", || {
        let home = tempfile::tempdir().expect("tempdir");
        let repo = TestRepo::named("desk-picked");
        repo.commit_file("README.md", "hello\n", "first");
        let doubles = Doubles::new();
        *doubles.dialog.answer.lock().expect("lock") = Some(repo.path().to_owned());
        let dialog = doubles.dialog.clone();
        run_shell(home.path(), doubles.os(), None, move |probe| {
            let o = probe.wait_for("the dashboard", STARTUP, |o| o.ready.is_some()).expect("ready");
            assert!(o.embedded, "a fresh home gets an embedded server");
            assert_eq!(o.ready.as_ref().map(|r| r.1.clone()), Some(vec![]));
            // The token never stays in the window's address.
            wait_eval(probe, "location.href.includes('token')", "false", SOON);
            wait_eval(probe, "typeof window.bandDesktop", "\"object\"", SOON);
            // Choose… opens the native dialog (its double answers), and the project is added.
            probe.eval("document.querySelector('[data-testid=choose-folder]').click(); true").expect("click");
            wait_until("the dialog", SOON, || dialog.asked.load(Ordering::SeqCst) == 1);
            wait_eval(probe, "document.querySelector('nav').textContent.includes('desk-picked')", "true", SOON);
            let display = std::env::var("DISPLAY").expect("DISPLAY");
            let (path, colours) = screenshot_drawn(&display, "project-list", 30);
            assert!(colours > 30, "{} looks blank ({colours} colours)", path.display());
            assert!(probe.observed().answered.contains(&"pickFolder".to_owned()));
        });
        // The window's size and position are remembered.
        assert!(band_desktop::geometry::load(home.path()).is_some(), "no window.json");
    });
}

/// A stand-in for the person's editor ($VISUAL): a script that writes down its arguments.
fn recording_editor() -> (tempfile::TempDir, String, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("my-editor");
    let out = dir.path().join("opened");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$@\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n", out.display()))
        .expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, script.display().to_string(), out.display().to_string())
}

#[test]
fn a_working_agent_shows_in_the_tray_notifies_and_quitting_asks_then_leaves_nothing() {
    let (_editor_dir, editor, opened) = recording_editor();
    let env = [("VISUAL", editor.as_str()), ("BAND_TEST_OPENED", opened.as_str())];
    in_child_with("a_working_agent_shows_in_the_tray_notifies_and_quitting_asks_then_leaves_nothing", &env, || {
        let home = tempfile::tempdir().expect("tempdir");
        let repo = TestRepo::named("desk-agents");
        repo.commit_file("README.md", "hello\n", "first");
        let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
        let doubles = Doubles::new();
        doubles.confirm.script.lock().expect("lock").extend([false, true]);
        let (notes, confirm) = (doubles.notes.clone(), doubles.confirm.clone());
        let home_path = home.path().to_owned();
        let repo_path = repo.path().to_owned();
        let agent = fake.clone();
        let chat_id = Arc::new(std::sync::Mutex::new(None));
        let chat_seen = chat_id.clone();
        run_shell(home.path(), doubles.os(), Some(vec![fake.clone()]), move |probe| {
            let o = probe.wait_for("the dashboard", STARTUP, |o| o.ready.is_some()).expect("ready");
            assert!(o.tray_available, "the tray's library is installed by the test command");
            assert_eq!(o.tray.as_deref(), Some("no agent working"));
            let api = Client::new(&o.url, Some(token(&home_path))).expect("client");
            let (ws, chat) = block_on(async {
                let p = api
                    .call::<band_api::ProjectsAdd>(&band_api::ProjectsAddParams {
                        path: repo_path.display().to_string(),
                        name: None,
                    })
                    .await
                    .expect("project");
                let ws = api
                    .call::<band_api::WorkspacesCreate>(&band_api::WorkspacesCreateParams {
                        project: p.name,
                        branch: Some("feature".into()),
                        ..Default::default()
                    })
                    .await
                    .expect("workspace")
                    .workspace;
                let chat = api
                    .call::<band_api::ChatsCreate>(&band_api::ChatsCreateParams {
                        workspace: ws.id.to_string(),
                        ..Default::default()
                    })
                    .await
                    .expect("chat");
                api.call::<band_api::ChatsSend>(&band_api::ChatsSendParams { chat: chat.id, message: "work".into() })
                    .await
                    .expect("send");
                // A real process of the server's too: a terminal's shell.
                api.call::<band_api::TerminalsCreate>(&band_api::TerminalsCreateParams {
                    workspace: ws.id.to_string(),
                    ..Default::default()
                })
                .await
                .expect("terminal");
                (ws, chat)
            });
            *chat_seen.lock().expect("lock") = Some(chat.id);
            probe
                .wait_for("the tray to count the agent", SOON, |o| o.tray.as_deref() == Some("1 working"))
                .expect("tray");
            // The agent asks: the tray says so, and a notification is raised.
            block_on(agent.last().emit(AgentEvent::PermissionRequest {
                request_id: "r1".into(),
                tool: "Bash".into(),
                input: "{\"command\":\"ls\"}".into(),
                edit: false,
            }));
            probe.wait_for("waiting in the tray", SOON, |o| o.tray.as_deref() == Some("1 waiting")).expect("tray");
            wait_until("the notification", SOON, || {
                notes.raised.lock().expect("lock").iter().any(|n| n.summary.contains("is waiting for you"))
            });
            let note = notes
                .raised
                .lock()
                .expect("lock")
                .iter()
                .find(|n| n.summary.contains("waiting"))
                .cloned()
                .expect("note");
            assert_eq!(note.chat, Some(ChatRef { workspace: ws.id, chat: chat.id }));
            // Clicking it opens that chat.
            probe.click_notification(note.chat.expect("chat"));
            wait_eval(
                probe,
                "location.pathname + location.search",
                &format!("\"/w/{}?chat={}\"", ws.id, chat.id),
                SOON,
            );
            // Quitting asks while it works; "Cancel" keeps band running...
            probe.quit(true);
            probe.wait_for("the question", SOON, |o| o.quit_declined == 1).expect("declined");
            assert!(confirm.asked.lock().expect("lock")[0].contains("1 waiting for you"));
            assert_eq!(probe.eval("1 + 1").as_deref(), Ok("2"), "still running");
            // ...and "Quit" stops it.
            // (Events are handled in order: this is answered before the scenario's end quits.)
            probe.quit(true);
        });
        assert_eq!(doubles.confirm.asked.lock().expect("lock").len(), 2, "asked once more, answered Quit");
        // The chat was interrupted, not lost: it resumes with the next message.
        let chat = chat_id.lock().expect("lock").expect("chat id");
        let status = block_on(async {
            let running = band_server::start(band_server::Config::local(home.path())).await.expect("restart");
            let api = Client::new(&running.url(), Some(token(home.path()))).expect("client");
            let c = api.call::<band_api::ChatsGet>(&band_api::ChatParams { chat }).await.expect("chat");
            running.stop().await.expect("stop");
            c.status
        });
        assert_eq!(status, band_api::ChatStatus::Interrupted);
        assert_nothing_left("no-run", Some(std::process::id()));
    });
}

/// A page from another origin: it tries the bridge with a guessed key.
fn foreign_page() -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let page = "<!doctype html><title>elsewhere</title><script>\
        window.ipc && window.ipc.postMessage(JSON.stringify({key: 'guess', id: 1, method: 'pickFolder', params: {}}));\
        </script><p>a page that is not the dashboard</p>";
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(false).expect("blocking");
        for stream in listener.incoming().take(8).flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = std::io::Write::write_all(&mut stream, reply.as_bytes());
        }
    });
    (port, handle)
}

#[test]
fn the_bridge_refuses_a_page_that_is_not_the_embedded_dashboard() {
    in_child("the_bridge_refuses_a_page_that_is_not_the_embedded_dashboard", || {
        let home = tempfile::tempdir().expect("tempdir");
        let doubles = Doubles::new();
        let dialog = doubles.dialog.clone();
        let (port, _server) = foreign_page();
        run_shell(home.path(), doubles.os(), None, move |probe| {
            let o = probe.wait_for("the dashboard", STARTUP, |o| o.ready.is_some()).expect("ready");
            let elsewhere = format!("http://127.0.0.1:{port}/");
            // The dashboard itself, with a wrong key: refused.
            probe
                .eval(
                    "window.ipc.postMessage(JSON.stringify({key: 'x', id: 9, method: 'pickFolder', params: {}})); true",
                )
                .expect("eval");
            probe
                .wait_for("the key's refusal", SOON, |o| {
                    o.refused.iter().any(|r| r.contains("without this window's key"))
                })
                .expect("refused");
            // The window does not leave the dashboard's origin.
            probe.eval(&format!("location.href = '{elsewhere}'; true")).expect("eval");
            probe
                .wait_for("the navigation's refusal", SOON, |o| {
                    o.refused.contains(&format!("navigation to {elsewhere}"))
                })
                .expect("refused");
            wait_eval(probe, "location.origin", &format!("\"{}\"", o.url), SOON);
            // A page of another origin that got into the window anyway: no bridge object, and
            // its message (with a guessed key) is refused for its origin.
            probe.load_foreign(&elsewhere);
            probe
                .wait_for("the origin's refusal", SOON, |o| {
                    o.refused.iter().any(|r| r.contains(&format!("not a page at {elsewhere}")))
                })
                .expect("refused");
            wait_eval(probe, "document.title + ' ' + typeof window.bandDesktop", "\"elsewhere undefined\"", SOON);
            assert_eq!(dialog.asked.load(Ordering::SeqCst), 0, "the dialog was never opened");
            assert!(!probe.observed().answered.contains(&"pickFolder".to_owned()));
        });
    });
}

fn band_desktop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_band-desktop"))
}

/// Waits for `needle` in the file `log`; its text.
fn wait_log(log: &Path, needle: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in the log:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigterm(pid: u32) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("kill");
}

fn wait_exit(child: &mut std::process::Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "band-desktop did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_binary_starts_renders_and_stops_on_sigterm_leaving_nothing() {
    let display = Display::start();
    let home = tempfile::tempdir().expect("tempdir");
    let log = home.path().join("shell.log");
    let run = nonce();
    let mut cmd = band_desktop();
    cmd.args(["--port", "0", "--home"])
        .arg(home.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"));
    gui_env(&mut cmd, &display, &run);
    let mut shell = cmd.spawn().expect("band-desktop starts");
    let text = wait_log(&log, "dashboard visible", STARTUP);
    let (path, colours) = screenshot_drawn(&display.name, "binary", 30);
    assert!(colours > 30, "{} looks blank ({colours} colours)", path.display());
    // The token is never in the log.
    assert!(!text.contains(&token(home.path())), "the token is in the log");
    // One shell per home: a second one shows the first's window and exits.
    let mut second = band_desktop();
    second.args(["--port", "0", "--home"]).arg(home.path());
    gui_env(&mut second, &display, &run);
    let out = second.output().expect("second");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("already running"),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    sigterm(shell.id());
    let status = wait_exit(&mut shell, Duration::from_secs(20));
    assert!(status.success(), "{status:?}: {}", std::fs::read_to_string(&log).unwrap_or_default());
    assert!(wait_log(&log, "band-server stopped", SOON).contains("band-server stopped"));
    assert_nothing_left(&run, Some(shell.id()));
}

#[test]
fn a_home_whose_server_is_running_is_attached_to_not_served_twice() {
    let display = Display::start();
    let home = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut config = band_server::Config::local(home.path());
    config.web_dir = band_server::web::default_dir();
    let running = runtime.block_on(band_server::start(config)).expect("server");
    let log = home.path().join("shell.log");
    let run = nonce();
    let mut cmd = band_desktop();
    cmd.arg("--home").arg(home.path()).stdout(Stdio::null()).stderr(std::fs::File::create(&log).expect("log"));
    gui_env(&mut cmd, &display, &run);
    let mut shell = cmd.spawn().expect("band-desktop starts");
    let text = wait_log(&log, "dashboard visible", STARTUP);
    assert!(text.contains("attached to the band-server already running on this home"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{}", running.addr.port())), "{text}");
    sigterm(shell.id());
    assert!(wait_exit(&mut shell, Duration::from_secs(20)).success());
    // The server it attached to is still there.
    let api = Client::new(&running.url(), Some(token(home.path()))).expect("client");
    runtime.block_on(api.health()).expect("the attached server still runs");
    runtime.block_on(running.stop()).expect("stop");
    assert_nothing_left(&run, None);
}

#[test]
fn an_unwritable_home_and_a_missing_webview_library_get_clear_messages() {
    // A home that cannot be made (its parent is a file): even root cannot write there.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let home = file.join("home");
    let out = band_desktop().arg("--home").arg(&home).env_remove("DISPLAY").output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&home.display().to_string()) && err.contains("choose another"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // WebKitGTK hidden (an empty file mounted over it in a mount namespace of this test): the
    // launcher names the package instead of the loader's error.
    let lib = band_desktop::libs::system_search_dirs()
        .into_iter()
        .map(|d| d.join("libwebkit2gtk-4.1.so.0"))
        .find(|p| p.is_file())
        .expect("WebKitGTK is installed for these tests");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").expect("write");
    let script = format!(
        "mount --bind '{}' '{}' && exec '{}' --home '{}'",
        empty.display(),
        lib.display(),
        env!("CARGO_BIN_EXE_band-desktop"),
        dir.path().join("home").display()
    );
    let out = Command::new("unshare").args(["-r", "-m", "sh", "-c", &script]).output().expect("unshare runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("needs WebKitGTK 4.1") && err.contains("sudo apt install libwebkit2gtk-4.1-0"), "{err}");
}

/// A desktop of the test's own for GIO: a "browser" and "file manager" (one recording script,
/// the default for https links and folders through XDG's mimeapps.list) that write down what
/// they were asked to open. With no session bus (the tests remove it), reveal falls back to the
/// folder's default handler, as on a desktop without a FileManager1 service.
fn recording_desktop() -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let opened = dir.path().join("opened");
    let script = dir.path().join("recorder");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", opened.display())).expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let apps = dir.path().join("data/applications");
    std::fs::create_dir_all(&apps).expect("mkdir");
    std::fs::write(
        apps.join("band-recorder.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nName=Recorder\nExec={} %u\nMimeType=x-scheme-handler/https;inode/directory;\n",
            script.display()
        ),
    )
    .expect("write");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("mimeapps.list"),
        "[Default Applications]\nx-scheme-handler/https=band-recorder.desktop\ninode/directory=band-recorder.desktop\n",
    )
    .expect("write");
    let env = vec![
        ("XDG_DATA_HOME", dir.path().join("data").display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
    ];
    (dir, env)
}

/// Calls the bridge from the page as the dashboard does; waits for its answer.
fn bridge_call(probe: &Probe, method: &str, params: &str) -> String {
    probe
        .eval(&format!(
            "window.__answer = null; window.bandDesktop.call('{method}', {params}).then(\
             function () {{ window.__answer = 'ok'; }}, function (e) {{ window.__answer = 'refused: ' + e.message; }}); true"
        ))
        .expect("eval");
    let deadline = Instant::now() + SOON;
    loop {
        let got = probe.eval("window.__answer").unwrap_or_else(|e| e);
        if got != "null" {
            return got;
        }
        assert!(Instant::now() < deadline, "the bridge never answered {method}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_opened(opened: &Path, needle: &str) {
    wait_until(&format!("{needle} opened"), SOON, || {
        std::fs::read_to_string(opened).unwrap_or_default().contains(needle)
    });
}

#[test]
fn the_bridge_reveals_copies_and_opens_links_through_the_desktop() {
    let (_desktop, mut env) = recording_desktop();
    let (_editor_dir, editor, edited) = recording_editor();
    env.push(("VISUAL", editor));
    env.push(("BAND_TEST_OPENED", edited));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    in_child_with("the_bridge_reveals_copies_and_opens_links_through_the_desktop", &env, || {
        // (The recorder of the parent's desktop: the child runs this function again.)
        let opened = std::path::PathBuf::from(std::env::var("XDG_CONFIG_HOME").expect("config"))
            .parent()
            .expect("parent")
            .join("opened");
        let home = tempfile::tempdir().expect("tempdir");
        let repo = TestRepo::named("desk-reveal");
        repo.commit_file("README.md", "hello\n", "first");
        let home_path = home.path().to_owned();
        let repo_path = repo.path().to_owned();
        run_shell(home.path(), Doubles::new().os(), None, move |probe| {
            let o = probe.wait_for("the dashboard", STARTUP, |o| o.ready.is_some()).expect("ready");
            let api = Client::new(&o.url, Some(token(&home_path))).expect("client");
            let ws = block_on(async {
                let p = api
                    .call::<band_api::ProjectsAdd>(&band_api::ProjectsAddParams {
                        path: repo_path.display().to_string(),
                        name: None,
                    })
                    .await
                    .expect("project");
                api.call::<band_api::WorkspacesCreate>(&band_api::WorkspacesCreateParams {
                    project: p.name,
                    branch: Some("reveal-me".into()),
                    ..Default::default()
                })
                .await
                .expect("workspace")
                .workspace
            });
            // The workspace's header in the window has the desktop's buttons. Reveal: the
            // workspace's folder goes to the file manager (here, the recorder).
            probe
                .eval(&format!(
                    "history.pushState(null, '', '/w/{}'); dispatchEvent(new PopStateEvent('popstate')); true",
                    ws.id
                ))
                .expect("eval");
            wait_eval(probe, "!!document.querySelector('[data-testid=reveal]')", "true", SOON);
            probe.eval("document.querySelector('[data-testid=reveal]').click(); true").expect("click");
            let folder = std::fs::canonicalize(&ws.path).expect("worktree");
            // (GIO hands a local folder to the handler's %u as its path.)
            wait_opened(&opened, &folder.display().to_string());
            // A file outside the workspace is refused, and nothing is opened for it.
            let outside = bridge_call(probe, "reveal", &format!("{{workspace: {}, file: '../../etc'}}", ws.id));
            assert!(outside.starts_with("\"refused"), "{outside}");
            // Links: https to the default browser; anything else refused.
            assert_eq!(bridge_call(probe, "openLink", "{url: 'https://example.com/band?x=1'}"), "\"ok\"");
            wait_opened(&opened, "https://example.com/band?x=1");
            let plain = bridge_call(probe, "openLink", "{url: 'file:///etc/passwd'}");
            assert!(plain.starts_with("\"refused"), "{plain}");
            // A link the page opens in a new window (a chat's markdown link) goes there too.
            probe
                .eval(
                    "var a = document.createElement('a'); a.href = 'https://example.com/from-a-chat'; \
                     a.target = '_blank'; a.rel = 'noopener'; document.body.appendChild(a); a.click(); true",
                )
                .expect("eval");
            wait_opened(&opened, "https://example.com/from-a-chat");
            assert!(!std::fs::read_to_string(&opened).unwrap_or_default().contains("passwd"));
            // The clipboard: the workspace's path from its header, then any text the page
            // copies; another X client reads it.
            probe.eval("document.querySelector('[data-testid=copy-path]').click(); true").expect("click");
            wait_eval(probe, "document.querySelector('[data-testid=copy-path]').textContent", "\"Copied\"", SOON);
            let display = std::env::var("DISPLAY").expect("DISPLAY");
            let paste = || {
                let out = Command::new("xclip")
                    .args(["-o", "-selection", "clipboard"])
                    .env("DISPLAY", &display)
                    .output()
                    .expect("xclip runs (scripts/test.sh installs it)");
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            wait_until("the path on the clipboard", SOON, || paste() == ws.path);
            assert_eq!(bridge_call(probe, "copy", "{text: 'band copied this ✓'}"), "\"ok\"");
            wait_until("the text on the clipboard", SOON, || paste() == "band copied this ✓");
            // A file in the Files pane opens in the editor (a new window with its raw page would go
            // nowhere in the shell).
            probe
                .eval(&format!(
                    "history.pushState(null, '', '/w/{}?tab=files'); dispatchEvent(new PopStateEvent('popstate')); true",
                    ws.id
                ))
                .expect("eval");
            let readme = "[...document.querySelectorAll('button')].find(b => b.textContent.includes('README.md'))";
            wait_eval(probe, &format!("!!{readme}"), "true", SOON);
            probe.eval(&format!("{readme}.click(); true")).expect("click");
            wait_eval(probe, "!!document.querySelector('[data-testid=open-file-in-editor]')", "true", SOON);
            probe.eval("document.querySelector('[data-testid=open-file-in-editor]').click(); true").expect("click");
            let edited = std::env::var("BAND_TEST_OPENED").expect("BAND_TEST_OPENED");
            wait_until("the file in the editor", SOON, || {
                std::fs::read_to_string(&edited).is_ok_and(|said| said.contains(&format!("{}/README.md", ws.path)))
            });
        });
    });
}
