//! `band-desktop-shell`: the window, the embedded server and the tray (see the crate's docs).
//! Started by the `band-desktop` launcher, which checks the webview's libraries first.

fn main() -> std::process::ExitCode {
    band_desktop::shell_main()
}
