//! What only the operating system can do, behind small traits so that the two things a test
//! cannot drive — the native folder dialog and the desktop's notification service — can be
//! replaced by doubles ([`Os`]); everything else is the real thing in tests too.
//!
//! Linux is the tested platform: dialogs through GTK (rfd), notifications over D-Bus
//! (`org.freedesktop.Notifications`), the file manager over D-Bus (`org.freedesktop.FileManager1`)
//! with the default handler (GIO) as the fallback, links through GIO's default handler, the
//! clipboard through GTK. Other platforms get what the crates offer there (rfd's dialogs) and
//! say "not supported yet" for the rest: untested.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A notification the shell raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub summary: String,
    pub body: String,
    /// The chat it is about: clicking it opens that chat.
    pub chat: Option<ChatRef>,
}

/// A chat by its ids (the dashboard's route is `/w/<workspace>?chat=<chat>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatRef {
    pub workspace: i64,
    pub chat: i64,
}

/// The native folder dialog.
pub trait FolderDialog: Send + Sync {
    /// The folder the person chose, or `None` if they cancelled.
    fn pick_folder(&self, title: &str, start: Option<&Path>) -> Option<PathBuf>;
}

/// The question asked before quitting while agents work.
pub trait Confirm: Send + Sync {
    /// `true` to go ahead.
    fn ask(&self, title: &str, text: &str) -> bool;
}

/// The desktop's notification service. A click on a notification comes back through the
/// callback given at [`Notifier::start`].
pub trait Notifier: Send + Sync {
    /// Called once on the UI thread, before the first notification.
    fn start(&self, clicked: Box<dyn Fn(ChatRef) + Send + Sync>);
    /// # Errors
    /// No notification service, or it refused.
    fn notify(&self, n: &Notification) -> Result<(), String>;
}

/// The OS services the shell uses; [`Os::native`] for the real ones.
#[derive(Clone)]
pub struct Os {
    pub dialog: Arc<dyn FolderDialog>,
    pub confirm: Arc<dyn Confirm>,
    pub notifier: Arc<dyn Notifier>,
}

impl std::fmt::Debug for Os {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Os")
    }
}

impl Os {
    pub fn native() -> Self {
        Self {
            dialog: Arc::new(NativeDialog),
            confirm: Arc::new(NativeDialog),
            notifier: Arc::new(native::DbusNotifier::default()),
        }
    }
}

/// rfd's dialogs (GTK on Linux; the platform's own elsewhere).
#[derive(Debug)]
pub struct NativeDialog;

impl FolderDialog for NativeDialog {
    fn pick_folder(&self, title: &str, start: Option<&Path>) -> Option<PathBuf> {
        let mut dialog = rfd::FileDialog::new().set_title(title);
        if let Some(start) = start {
            dialog = dialog.set_directory(start);
        }
        dialog.pick_folder()
    }
}

impl Confirm for NativeDialog {
    fn ask(&self, title: &str, text: &str) -> bool {
        let answer = rfd::MessageDialog::new()
            .set_title(title)
            .set_description(text)
            .set_level(rfd::MessageLevel::Warning)
            .set_buttons(rfd::MessageButtons::OkCancelCustom("Quit".into(), "Cancel".into()))
            .show();
        matches!(answer, rfd::MessageDialogResult::Custom(ref b) if b == "Quit")
            || answer == rfd::MessageDialogResult::Ok
    }
}

pub use native::{copy_to_clipboard, open_link, reveal};

#[cfg(target_os = "linux")]
mod native {
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::Mutex;

    use gio::prelude::*;
    use glib::variant::ToVariant;

    use super::{ChatRef, Notification, Notifier};

    fn session_bus() -> Result<gio::DBusConnection, String> {
        gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE)
            .map_err(|e| format!("no D-Bus session bus ({e})"))
    }

    fn file_uri(path: &Path) -> String {
        gio::File::for_path(path).uri().to_string()
    }

    /// Shows `path` in the file manager: a directory opened, a file selected in its folder.
    ///
    /// # Errors
    /// Neither the file manager's D-Bus service nor a default handler could show it.
    pub fn reveal(path: &Path) -> Result<(), String> {
        let method = if path.is_dir() { "ShowFolders" } else { "ShowItems" };
        let over_dbus = session_bus().and_then(|bus| {
            let args = (vec![file_uri(path)], String::new()).to_variant();
            bus.call_sync(
                Some("org.freedesktop.FileManager1"),
                "/org/freedesktop/FileManager1",
                "org.freedesktop.FileManager1",
                method,
                Some(&args),
                None,
                gio::DBusCallFlags::NONE,
                3000,
                gio::Cancellable::NONE,
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        });
        if over_dbus.is_ok() {
            return Ok(());
        }
        // No FileManager1 service: open the folder (a file's parent) with the default handler.
        let folder = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
        gio::AppInfo::launch_default_for_uri(&file_uri(folder), gio::AppLaunchContext::NONE)
            .map_err(|e| format!("no file manager could show {} ({e})", path.display()))
    }

    /// Opens an https link in the default browser.
    ///
    /// # Errors
    /// No default browser.
    pub fn open_link(url: &str) -> Result<(), String> {
        gio::AppInfo::launch_default_for_uri(url, gio::AppLaunchContext::NONE)
            .map_err(|e| format!("no browser could open the link ({e})"))
    }

    /// Puts `text` on the clipboard (and hands it to the clipboard manager, so it outlives the
    /// shell). Must run on the UI thread.
    ///
    /// # Errors
    /// No display.
    pub fn copy_to_clipboard(text: &str) -> Result<(), String> {
        let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
        clipboard.set_text(text);
        clipboard.store();
        Ok(())
    }

    /// `org.freedesktop.Notifications` on the session bus, with a "default" action that opens
    /// the chat a notification is about.
    #[derive(Default)]
    pub struct DbusNotifier {
        /// Notification id -> chat.
        raised: std::sync::Arc<Mutex<HashMap<u32, ChatRef>>>,
        bus: Mutex<Option<gio::DBusConnection>>,
    }

    impl Notifier for DbusNotifier {
        fn start(&self, clicked: Box<dyn Fn(ChatRef) + Send + Sync>) {
            let bus = match session_bus() {
                Ok(bus) => bus,
                Err(e) => {
                    tracing::warn!("notifications are off: {e}");
                    return;
                }
            };
            let raised = self.raised.clone();
            #[allow(deprecated)] // signal_subscribe: the non-deprecated form needs glib 0.19
            bus.signal_subscribe(
                Some("org.freedesktop.Notifications"),
                Some("org.freedesktop.Notifications"),
                Some("ActionInvoked"),
                Some("/org/freedesktop/Notifications"),
                None,
                gio::DBusSignalFlags::NONE,
                move |_, _, _, _, _, params| {
                    let Some((id, _action)) = params.get::<(u32, String)>() else { return };
                    let chat = raised.lock().unwrap_or_else(|p| p.into_inner()).get(&id).copied();
                    if let Some(chat) = chat {
                        clicked(chat);
                    }
                },
            );
            *self.bus.lock().unwrap_or_else(|p| p.into_inner()) = Some(bus);
        }

        fn notify(&self, n: &Notification) -> Result<(), String> {
            let bus = self.bus.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or("no D-Bus session bus")?;
            let actions: Vec<String> =
                if n.chat.is_some() { vec!["default".into(), "Open".into()] } else { Vec::new() };
            let hints: HashMap<String, glib::Variant> = HashMap::new();
            let args = ("band", 0u32, "", n.summary.as_str(), n.body.as_str(), actions, hints, -1i32).to_variant();
            let reply = bus
                .call_sync(
                    Some("org.freedesktop.Notifications"),
                    "/org/freedesktop/Notifications",
                    "org.freedesktop.Notifications",
                    "Notify",
                    Some(&args),
                    Some(glib::VariantTy::new("(u)").map_err(|e| e.to_string())?),
                    gio::DBusCallFlags::NONE,
                    3000,
                    gio::Cancellable::NONE,
                )
                .map_err(|e| format!("the notification service refused ({e})"))?;
            if let (Some((id,)), Some(chat)) = (reply.get::<(u32,)>(), n.chat) {
                let mut raised = self.raised.lock().unwrap_or_else(|p| p.into_inner());
                if raised.len() > 256 {
                    raised.clear();
                }
                raised.insert(id, chat);
            }
            Ok(())
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod native {
    //! Untested here: what the crates in use do not offer says so.
    use std::path::Path;

    use super::{ChatRef, Notification, Notifier};

    const NOT_YET: &str = "not supported on this platform yet";

    pub fn reveal(_path: &Path) -> Result<(), String> {
        Err(NOT_YET.into())
    }
    pub fn open_link(_url: &str) -> Result<(), String> {
        Err(NOT_YET.into())
    }
    pub fn copy_to_clipboard(_text: &str) -> Result<(), String> {
        Err(NOT_YET.into())
    }

    #[derive(Default)]
    pub struct DbusNotifier;

    impl Notifier for DbusNotifier {
        fn start(&self, _clicked: Box<dyn Fn(ChatRef) + Send + Sync>) {}
        fn notify(&self, _n: &Notification) -> Result<(), String> {
            Err(NOT_YET.into())
        }
    }
}
