//! The shell: one window with the dashboard in a webview, a tray icon, and the bridge, on one
//! event loop (GTK's main loop on Linux). The server runs on a tokio runtime beside it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use band_api::client::Client;
use band_core::ports::AgentRuntime;
use tao::dpi::{PhysicalPosition, PhysicalSize};
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoop, EventLoopBuilder, EventLoopProxy};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::window::{Window, WindowBuilder};
use tray_icon::menu::{Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};
use wry::{NewWindowResponse, WebView, WebViewBuilder};

use crate::backend::{self, Server};
use crate::bridge::{self, Call};
use crate::os::{ChatRef, Notification, Os};
use crate::watch::{Counts, Update};
use crate::{DesktopError, geometry, single};

/// What the shell is started with.
pub struct Options {
    pub home: PathBuf,
    /// Overrides the settings' port (0 picks a free one).
    pub port: Option<u16>,
    pub os: Os,
    /// Agent runtimes for the embedded server (tests use fakes); `None` for the real adapters.
    pub agents: Option<Vec<Arc<dyn AgentRuntime>>>,
    /// When the process started (the cold-start figure counts from here).
    pub started: Instant,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options").field("home", &self.home).field("port", &self.port).finish_non_exhaustive()
    }
}

/// Events the event loop handles.
#[derive(Debug)]
pub enum UserEvent {
    /// A message from the page (the top frame's URL when it was posted, and the body).
    Ipc {
        page: String,
        body: String,
    },
    Watch(Update),
    /// Another band-desktop on this home asked for the window.
    Show,
    Menu(MenuId),
    OpenChat(ChatRef),
    /// Quit: `ask` when a person asked (the tray, the window's close button), not for a signal.
    Quit {
        ask: bool,
    },
    /// A probe's script, and where its result goes.
    Eval(String, std::sync::mpsc::Sender<String>),
    /// A probe loads a page bypassing the navigation rule (to check the bridge's own check).
    LoadForeign(String),
    Notice(String),
}

/// What the shell has shown, for tests and benchmarks (read through [`Probe`]).
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub url: String,
    pub embedded: bool,
    /// The dashboard said it rendered: after how long, and the project list it shows.
    pub ready: Option<(Duration, Vec<String>)>,
    pub counts: Counts,
    /// The tray's title and its status item's text (`None` without a tray).
    pub tray: Option<String>,
    pub tray_available: bool,
    pub tunnel: Option<String>,
    /// Bridge messages and navigations refused, as logged.
    pub refused: Vec<String>,
    /// Bridge calls answered (method names).
    pub answered: Vec<String>,
    pub notices: Vec<String>,
    /// The quit question was asked and answered no.
    pub quit_declined: usize,
}

#[derive(Clone)]
struct Events(Arc<Mutex<EventLoopProxy<UserEvent>>>);

impl Events {
    fn send(&self, e: UserEvent) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).send_event(e).is_ok()
    }
}

/// A handle on a running shell: what it shows, and a few things a person would do. For tests,
/// benchmarks and embedders; the binary has no such door (no socket, no flag).
#[derive(Clone)]
pub struct Probe {
    events: Events,
    observed: Arc<Mutex<Observed>>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

impl Probe {
    pub fn observed(&self) -> Observed {
        self.observed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until `f` holds for what the shell shows.
    pub fn wait_for(&self, what: &str, timeout: Duration, f: impl Fn(&Observed) -> bool) -> Result<Observed, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let o = self.observed();
            if f(&o) {
                return Ok(o);
            }
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}; the shell shows {o:?}"));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Runs `js` in the page; its value as JSON.
    pub fn eval(&self, js: &str) -> Result<String, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        if !self.events.send(UserEvent::Eval(js.to_owned(), tx)) {
            return Err("the shell is gone".into());
        }
        rx.recv_timeout(Duration::from_secs(10)).map_err(|e| format!("no answer from the page: {e}"))
    }

    pub fn quit(&self, ask: bool) {
        self.events.send(UserEvent::Quit { ask });
    }

    pub fn click_menu(&self, id: &str) {
        self.events.send(UserEvent::Menu(MenuId::new(id)));
    }

    pub fn click_notification(&self, chat: ChatRef) {
        self.events.send(UserEvent::OpenChat(chat));
    }

    pub fn load_foreign(&self, url: &str) {
        self.events.send(UserEvent::LoadForeign(url.to_owned()));
    }
}

/// The tray menu's items.
pub const MENU_OPEN: &str = "open";
pub const MENU_TUNNEL: &str = "tunnel";
pub const MENU_INSTALL_CLI: &str = "install-cli";
pub const MENU_QUIT: &str = "quit";

struct Tray {
    icon: TrayIcon,
    status: MenuItem,
    tunnel: MenuItem,
}

/// A 32×32 icon drawn here: a filled circle in band's colour.
fn icon() -> Option<Icon> {
    let size = 32u32;
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let (dx, dy) = (x as f32 - 15.5, y as f32 - 15.5);
            let inside = dx * dx + dy * dy <= 15.0 * 15.0;
            rgba.extend_from_slice(if inside { &[0x5b, 0x6c, 0xff, 0xff] } else { &[0, 0, 0, 0] });
        }
    }
    Icon::from_rgba(rgba, size, size).ok()
}

/// Whether the tray's library (libayatana-appindicator3, or libappindicator3) is installed; the
/// tray crate would panic without it, so the shell asks first.
fn tray_library_present() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let dirs = crate::libs::system_search_dirs();
    crate::libs::TRAY.iter().any(|name| crate::libs::found(name, &dirs))
}

fn build_tray(home: &std::path::Path) -> Result<Tray, String> {
    if !tray_library_present() {
        return Err(
            "no tray: libayatana-appindicator3 is not installed (apt install libayatana-appindicator3-1)".into()
        );
    }
    let status = MenuItem::with_id("status", Counts::default().label(), false, None);
    let tunnel = MenuItem::with_id(MENU_TUNNEL, "Start the tunnel", true, None);
    let menu = Menu::new();
    let items: [&dyn tray_icon::menu::IsMenuItem; 7] = [
        &status,
        &PredefinedMenuItem::separator(),
        &MenuItem::with_id(MENU_OPEN, "Open band", true, None),
        &tunnel,
        &MenuItem::with_id(MENU_INSTALL_CLI, "Install the CLI", true, None),
        &PredefinedMenuItem::separator(),
        &MenuItem::with_id(MENU_QUIT, "Quit band", true, None),
    ];
    menu.append_items(&items).map_err(|e| e.to_string())?;
    let mut builder = TrayIconBuilder::new()
        .with_menu(Box::new(menu))
        .with_tooltip("band")
        .with_title(Counts::default().label())
        // The icon's file goes with the shell's own files, not a shared temporary directory.
        .with_temp_dir_path(single::dir(home).join("tray"));
    if let Some(icon) = icon() {
        builder = builder.with_icon(icon);
    }
    let icon = builder.build().map_err(|e| e.to_string())?;
    Ok(Tray { icon, status, tunnel })
}

fn random_key() -> Result<String, DesktopError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| DesktopError::Server(format!("no random source: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The JSON-RPC client for the server (the main token, never logged).
fn client(server: &Server) -> Result<Client, DesktopError> {
    Client::new(&server.url, Some(server.token().to_owned())).map_err(|e| DesktopError::Server(e.to_string()))
}

/// Runs the shell until it quits. `probe`, when given, receives a [`Probe`] once the window is
/// up. The home must already be taken ([`single::take`]).
///
/// # Errors
/// The server could not start or be attached to, or the window could not be made.
pub fn run(
    options: Options,
    single: single::Single,
    probe: Option<std::sync::mpsc::Sender<Probe>>,
) -> Result<(), DesktopError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("band-desktop")
        .build()
        .map_err(|e| DesktopError::Server(format!("cannot start the async runtime: {e}")))?;
    let server = runtime.block_on(backend::start_or_attach(&options.home, options.port, options.agents))?;
    let result = run_window(&runtime, &options.home, options.os, options.started, server, &single, probe);
    let _ = std::fs::remove_file(&single.socket);
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

#[allow(clippy::too_many_lines)]
fn run_window(
    runtime: &tokio::runtime::Runtime,
    home: &std::path::Path,
    os: Os,
    started: Instant,
    server: Server,
    single: &single::Single,
    probe: Option<std::sync::mpsc::Sender<Probe>>,
) -> Result<(), DesktopError> {
    let mut event_loop: EventLoop<UserEvent> = {
        let mut builder = EventLoopBuilder::<UserEvent>::with_user_event();
        #[cfg(target_os = "linux")]
        {
            use tao::platform::unix::EventLoopBuilderExtUnix;
            builder.with_any_thread(true);
        }
        builder.build()
    };
    let events = Events(Arc::new(Mutex::new(event_loop.create_proxy())));
    let observed = Arc::new(Mutex::new(Observed {
        url: server.url.clone(),
        embedded: server.is_embedded(),
        ..Default::default()
    }));
    let observe = {
        let observed = observed.clone();
        move |f: &dyn Fn(&mut Observed)| f(&mut observed.lock().unwrap_or_else(|p| p.into_inner()))
    };
    let dashboard = server.url.clone();
    let key = random_key()?;
    let api = client(&server)?;

    // The window, where it was last time.
    let mut wb = WindowBuilder::new()
        .with_title("band")
        .with_inner_size(PhysicalSize::new(geometry::DEFAULT_SIZE.0, geometry::DEFAULT_SIZE.1));
    if let Some(g) = geometry::load(home) {
        wb = wb
            .with_inner_size(PhysicalSize::new(g.width, g.height))
            .with_position(PhysicalPosition::new(g.x, g.y))
            .with_maximized(g.maximized);
    }
    let window = wb.build(&event_loop).map_err(|e| DesktopError::Window(format!("cannot open a window: {e}")))?;

    // The webview: the dashboard, signed in by its own link (a 303 drops the token at once).
    let allow_foreign = Arc::new(AtomicBool::new(false));
    let ipc_events = events.clone();
    let nav_dashboard = dashboard.clone();
    let nav_observed = observed.clone();
    let nav_foreign = allow_foreign.clone();
    let new_window_observed = observed.clone();
    let builder = WebViewBuilder::new()
        .with_url(format!("{dashboard}/?token={}", server.token()))
        .with_incognito(true)
        .with_background_color((0x14, 0x16, 0x1c, 0xff))
        .with_initialization_script_for_main_only(bridge::init_script(&dashboard, &key), true)
        .with_ipc_handler(move |req: wry::http::Request<String>| {
            ipc_events.send(UserEvent::Ipc { page: req.uri().to_string(), body: req.into_body() });
        })
        .with_navigation_handler(move |url: String| {
            if bridge::may_navigate(&url, &nav_dashboard) || nav_foreign.load(Ordering::SeqCst) {
                return true;
            }
            let shown = url.split(['?', '#']).next().unwrap_or_default().to_owned();
            if let Ok(link) = bridge::https_link(&url)
                && let Err(e) = crate::os::open_link(link)
            {
                tracing::warn!("{e}");
            }
            tracing::info!(url = %shown, "navigation away from the dashboard refused (https links open in the browser)");
            nav_observed.lock().unwrap_or_else(|p| p.into_inner()).refused.push(format!("navigation to {shown}"));
            false
        })
        .with_new_window_req_handler(move |url: String, _features| {
            if let Ok(link) = bridge::https_link(&url)
                && let Err(e) = crate::os::open_link(link)
            {
                tracing::warn!("{e}");
            }
            let shown = url.split(['?', '#']).next().unwrap_or_default().to_owned();
            new_window_observed.lock().unwrap_or_else(|p| p.into_inner()).refused.push(format!("new window {shown}"));
            NewWindowResponse::Deny
        });
    let webview = build_webview(builder, &window)?;
    let mut webview = Some(webview);

    let mut tray = match build_tray(home) {
        Ok(t) => {
            observe(&|o| {
                o.tray_available = true;
                o.tray = Some(Counts::default().label());
            });
            Some(t)
        }
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    };
    {
        let events = events.clone();
        MenuEvent::set_event_handler(Some(move |e: MenuEvent| {
            events.send(UserEvent::Menu(e.id));
        }));
    }
    {
        let events = events.clone();
        os.notifier.start(Box::new(move |chat| {
            events.send(UserEvent::OpenChat(chat));
        }));
    }

    // Beside the window: the watcher, the signals, the other shells' "show".
    {
        let events = events.clone();
        runtime.spawn(crate::watch::run(api.clone(), move |u| events.send(UserEvent::Watch(u))));
    }
    {
        let events = events.clone();
        runtime.spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
                tracing::error!("cannot install the signal handlers");
                return;
            };
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            tracing::info!("shutting down (a second signal forces exit)");
            events.send(UserEvent::Quit { ask: false });
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            let killed = band_process::kill_everything_started_here();
            tracing::warn!(killed, "second signal: exiting now");
            std::process::exit(130);
        });
    }
    {
        let events = events.clone();
        let listener = {
            let _guard = runtime.enter();
            tokio::net::UnixListener::bind(&single.socket)
        };
        match listener {
            Ok(listener) => {
                runtime.spawn(async move {
                    use tokio::io::AsyncReadExt;
                    while let Ok((mut stream, _)) = listener.accept().await {
                        let mut buf = [0u8; 16];
                        let n = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await;
                        if matches!(n, Ok(Ok(n)) if buf[..n].starts_with(b"show")) {
                            events.send(UserEvent::Show);
                        }
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, path = %single.socket.display(), "another band-desktop cannot ask for this window")
            }
        }
    }
    if let Some(tx) = probe {
        let _ = tx.send(Probe { events: events.clone(), observed: observed.clone() });
    }

    let mut server = Some(server);
    let mut counts = Counts::default();
    let mut quitting = false;
    event_loop.run_return(|event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            Event::WindowEvent { event: WindowEvent::CloseRequested, .. } => {
                let _ = events.send(UserEvent::Quit { ask: true });
            }
            Event::UserEvent(UserEvent::Ipc { page, body }) => {
                let Some(view) = webview.as_ref() else { return };
                match bridge::admit(&page, &body, &dashboard, &key) {
                    Ok(message) => {
                        let method = message.call.method();
                        let answer = answer(message.call, &os, &api, runtime, started, &observe, &window);
                        observe(&|o| o.answered.push(method.to_owned()));
                        let (ok, value) = match answer {
                            Ok(v) => (true, v),
                            Err(e) => {
                                tracing::warn!(method, "bridge call failed: {e}");
                                (false, serde_json::Value::String(e))
                            }
                        };
                        let _ = view.evaluate_script(&format!(
                            "window.__bandDesktopReply&&window.__bandDesktopReply({}, {ok}, {value})",
                            message.id
                        ));
                    }
                    Err(refusal) => {
                        tracing::warn!("{refusal}");
                        observe(&|o| o.refused.push(refusal.to_string()));
                    }
                }
            }
            Event::UserEvent(UserEvent::Watch(Update::Counts(c))) => {
                counts = c;
                let label = c.label();
                if let Some(t) = &tray {
                    t.icon.set_title(Some(&label));
                    let _ = t.icon.set_tooltip(Some(format!("band — {label}")));
                    t.status.set_text(&label);
                }
                window.set_title(&if c == Counts::default() { "band".to_owned() } else { format!("band — {label}") });
                let has_tray = tray.is_some();
                observe(&|o| {
                    o.counts = c;
                    if has_tray {
                        o.tray = Some(label.clone());
                    }
                });
            }
            Event::UserEvent(UserEvent::Watch(Update::Notify(n))) => raise(&os, &n, &observe),
            Event::UserEvent(UserEvent::Watch(Update::Tunnel(url))) => {
                if let Some(t) = &tray {
                    t.tunnel.set_text(match &url {
                        Some(u) => format!("Stop the tunnel ({u})"),
                        None => "Start the tunnel".to_owned(),
                    });
                }
                observe(&|o| o.tunnel = url.clone());
            }
            Event::UserEvent(UserEvent::Show) => {
                window.set_visible(true);
                window.set_minimized(false);
                window.set_focus();
            }
            Event::UserEvent(UserEvent::OpenChat(chat)) => {
                window.set_visible(true);
                window.set_focus();
                if let Some(view) = &webview {
                    let _ = view.load_url(&format!("{dashboard}/w/{}?chat={}", chat.workspace, chat.chat));
                }
            }
            Event::UserEvent(UserEvent::Menu(id)) => match id.as_ref() {
                MENU_OPEN => {
                    window.set_visible(true);
                    window.set_minimized(false);
                    window.set_focus();
                }
                MENU_QUIT => {
                    let _ = events.send(UserEvent::Quit { ask: true });
                }
                MENU_INSTALL_CLI => {
                    let said = crate::cli::install_default();
                    let text = match &said {
                        Ok(s) => s.clone(),
                        Err(e) => format!("the CLI was not installed: {e}"),
                    };
                    tracing::info!("{text}");
                    raise(&os, &Notification { summary: "band CLI".into(), body: text, chat: None }, &observe);
                }
                MENU_TUNNEL => {
                    let running = observed.lock().unwrap_or_else(|p| p.into_inner()).tunnel.is_some();
                    let (api, events) = (api.clone(), events.clone());
                    runtime.spawn(async move {
                        let result = if running {
                            api.call::<band_api::TunnelStop>(&Default::default())
                                .await
                                .map(|_| "the tunnel stopped".to_owned())
                        } else {
                            api.call::<band_api::TunnelStart>(&Default::default())
                                .await
                                .map(|t| format!("the tunnel runs at {}", t.url.unwrap_or_default()))
                        };
                        events.send(UserEvent::Notice(match result {
                            Ok(s) => s,
                            Err(e) => format!("tunnel: {e}"),
                        }));
                    });
                }
                _ => {}
            },
            Event::UserEvent(UserEvent::Notice(text)) => {
                tracing::info!("{text}");
                raise(&os, &Notification { summary: "band".into(), body: text, chat: None }, &observe);
            }
            Event::UserEvent(UserEvent::Eval(js, reply)) => {
                if let Some(view) = &webview {
                    let _ = view.evaluate_script_with_callback(&js, move |v| {
                        let _ = reply.send(v);
                    });
                }
            }
            Event::UserEvent(UserEvent::LoadForeign(url)) => {
                allow_foreign.store(true, Ordering::SeqCst);
                if let Some(view) = &webview {
                    let _ = view.load_url(&url);
                }
            }
            Event::UserEvent(UserEvent::Quit { ask }) => {
                if quitting {
                    return;
                }
                let busy = counts.working + counts.waiting;
                let embedded = server.as_ref().is_some_and(Server::is_embedded);
                if ask && embedded && busy > 0 {
                    let text = format!(
                        "{} working and {} waiting for you. Quitting stops band: their chats are interrupted, and each \
                         resumes when you send it the next message.",
                        agents(counts.working),
                        counts.waiting
                    );
                    if !os.confirm.ask("Quit band while agents work?", &text) {
                        observe(&|o| o.quit_declined += 1);
                        return;
                    }
                }
                quitting = true;
                if let (Ok(pos), size) = (window.outer_position(), window.inner_size()) {
                    geometry::save(
                        home,
                        &geometry::Geometry {
                            x: pos.x,
                            y: pos.y,
                            width: size.width,
                            height: size.height,
                            maximized: window.is_maximized(),
                        },
                    );
                }
                window.set_visible(false);
                // The webview's processes end with it; the server's agents, terminals and tunnel
                // with the server.
                webview = None;
                tray = None;
                if let Some(server) = server.take() {
                    runtime.block_on(server.stop());
                }
                *control_flow = ControlFlow::Exit;
            }
            _ => {}
        }
    });
    drop(webview);
    drop(tray);
    if let Some(server) = server.take() {
        runtime.block_on(server.stop());
    }
    Ok(())
}

fn agents(n: usize) -> String {
    if n == 1 { "1 agent is".into() } else { format!("{n} agents are") }
}

fn raise(os: &Os, n: &Notification, observe: &dyn Fn(&dyn Fn(&mut Observed))) {
    if let Err(e) = os.notifier.notify(n) {
        tracing::warn!("notification not shown: {e}");
    }
    let line = format!("{}: {}", n.summary, n.body);
    observe(&|o| o.notices.push(line.clone()));
}

#[cfg(target_os = "linux")]
fn build_webview(builder: WebViewBuilder<'_>, window: &Window) -> Result<WebView, DesktopError> {
    use tao::platform::unix::WindowExtUnix;
    use wry::WebViewBuilderExtUnix;
    let vbox = window
        .default_vbox()
        .ok_or_else(|| DesktopError::Window("the window has no container for the webview".into()))?;
    builder.build_gtk(vbox).map_err(|e| DesktopError::Window(format!("cannot start the webview: {e}")))
}

#[cfg(not(target_os = "linux"))]
fn build_webview(builder: WebViewBuilder<'_>, window: &Window) -> Result<WebView, DesktopError> {
    builder.build(window).map_err(|e| DesktopError::Window(format!("cannot start the webview: {e}")))
}

/// A workspace's directory (and a file in it), through the API.
fn resolve(
    api: &Client,
    runtime: &tokio::runtime::Runtime,
    workspace: i64,
    file: Option<&str>,
) -> Result<PathBuf, String> {
    let params = band_api::WorkspaceParams { workspace: workspace.to_string() };
    let ws = runtime
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(5), api.call::<band_api::WorkspacesGet>(&params)).await
        })
        .map_err(|_| "band-server did not answer".to_owned())?
        .map_err(|e| e.to_string())?;
    bridge::inside(std::path::Path::new(&ws.path), file)
}

/// Does what the dashboard asked; the answer as JSON.
fn answer(
    call: Call,
    os: &Os,
    api: &Client,
    runtime: &tokio::runtime::Runtime,
    started: Instant,
    observe: &dyn Fn(&dyn Fn(&mut Observed)),
    window: &Window,
) -> Result<serde_json::Value, String> {
    use serde_json::{Value, json};
    match call {
        Call::Ready { projects } => {
            let first = std::sync::atomic::AtomicBool::new(false);
            let elapsed = started.elapsed();
            observe(&|o| {
                if o.ready.is_none() {
                    o.ready = Some((elapsed, projects.clone()));
                    first.store(true, Ordering::SeqCst);
                }
            });
            if first.load(Ordering::SeqCst) {
                tracing::info!(ms = elapsed.as_millis() as u64, projects = projects.len(), "dashboard visible");
            }
            Ok(Value::Null)
        }
        Call::Info {} => Ok(json!({
            "editor": crate::editor::from_env().map(|e| e.name),
            "platform": std::env::consts::OS,
        })),
        Call::PickFolder { title } => {
            let start = std::env::var_os("HOME").map(PathBuf::from);
            let chosen =
                os.dialog.pick_folder(title.as_deref().unwrap_or("Add a project: choose its folder"), start.as_deref());
            window.set_focus();
            Ok(chosen.map_or(Value::Null, |p| Value::String(p.display().to_string())))
        }
        Call::Reveal { workspace, file } => {
            let path = resolve(api, runtime, workspace, file.as_deref())?;
            crate::os::reveal(&path)?;
            Ok(Value::Null)
        }
        Call::OpenInEditor { workspace, file, line } => {
            let path = resolve(api, runtime, workspace, file.as_deref())?;
            let editor = crate::editor::from_env().ok_or(
                "no editor found: set $VISUAL (or $EDITOR), or install VS Code, Cursor, Zed or a JetBrains IDE with its command on the PATH",
            )?;
            crate::launch::detached(&editor.argv(&path, line))?;
            Ok(json!({ "editor": editor.name }))
        }
        Call::Copy { text } => {
            if text.len() > bridge::MAX_COPY {
                return Err(format!(
                    "{} bytes is more than the bridge copies ({} at most)",
                    text.len(),
                    bridge::MAX_COPY
                ));
            }
            crate::os::copy_to_clipboard(&text)?;
            Ok(Value::Null)
        }
        Call::OpenLink { url } => {
            crate::os::open_link(bridge::https_link(&url)?)?;
            Ok(Value::Null)
        }
    }
}
