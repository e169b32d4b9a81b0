//! `band devices`, `band qr`, `band token rotate` and `band audit`: who may reach band-server,
//! managed with the main token.

use band_api as api;
use clap::Subcommand;

use crate::output::Printer;
use crate::{Caller, Failure};

#[derive(Subcommand)]
pub enum DevicesCmd {
    /// Paired devices, their scope and when they were last seen.
    List,
    /// Revoke a device by id or name: its token stops working and its sessions end at once.
    Revoke { device: String },
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Replace the main token: every browser session and old-token socket ends; device tokens stay.
    Rotate,
}

pub async fn devices(cmd: DevicesCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match cmd {
        DevicesCmd::List => {
            let list = call.call::<api::DevicesList>(api::NoParams {}).await?;
            out.show(&list, || device_table(&list))
        }
        DevicesCmd::Revoke { device } => {
            let d = call.call::<api::DevicesRevoke>(api::DevicesRevokeParams { device }).await?;
            out.show(&d, || format!("revoked device {} '{}'; its sessions and sockets have ended", d.id, d.name))
        }
    }
}

pub async fn qr(name: String, scope: api::DeviceScope, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let p = call.call::<api::DevicesPair>(api::DevicesPairParams { name, scope: Some(scope) }).await?;
    out.show(&p, || {
        format!(
            "{}\nScan it, or open {}\nThis signs '{}' in with {} access. The code works once, for 10 minutes.\n",
            half_blocks(&p.qr),
            p.url,
            p.name,
            p.scope
        )
    })
}

pub async fn rotate(call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    let r = call.call::<api::TokenRotate>(api::NoParams {}).await?;
    out.show(&r, || {
        format!(
            "The main token was replaced (tokenSecret in {}); every browser session ended ({} sockets closed).",
            r.settings_path, r.sockets_closed
        )
    })
}

pub fn show_audit(list: &[api::AuditEntryInfo], out: &Printer) -> Result<(), Failure> {
    out.show(&list, || {
        let rows = list
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    crate::output::when(e.at),
                    e.kind.to_string(),
                    e.device_name.clone().map_or_else(|| "-".into(), |n| format!("{n} ({})", e.device_id.unwrap_or(0))),
                    e.remote.clone().unwrap_or_else(|| "-".into()),
                    e.detail.clone(),
                ]
            })
            .collect();
        crate::output::table(&["ID", "AT", "KIND", "DEVICE", "FROM", "DETAIL"], rows)
    })
}

fn device_table(list: &[api::DeviceInfo]) -> String {
    if list.is_empty() {
        return "no devices; pair one with `band qr`".into();
    }
    let rows = list
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.name.clone(),
                d.scope.to_string(),
                d.last_seen_at.map_or_else(|| "never".into(), crate::output::when),
                d.revoked_at.map_or_else(|| "active".into(), |t| format!("revoked {}", crate::output::when(t))),
            ]
        })
        .collect();
    crate::output::table(&["ID", "NAME", "SCOPE", "LAST SEEN", "STATE"], rows)
}

/// A QR matrix (`#` dark) drawn with Unicode half blocks, two rows of modules per line, dark
/// modules as dark cells on a light quiet zone of four modules.
pub fn half_blocks(rows: &[String]) -> String {
    const QUIET: usize = 4;
    let width = rows.first().map_or(0, |r| r.chars().count()) + 2 * QUIET;
    let dark = |y: usize, x: usize| -> bool {
        y.checked_sub(QUIET).and_then(|y| rows.get(y)).zip(x.checked_sub(QUIET)).and_then(|(row, x)| row.chars().nth(x))
            == Some('#')
    };
    let height = rows.len() + 2 * QUIET;
    let mut out = String::new();
    for y in (0..height).step_by(2) {
        for x in 0..width {
            // Light modules are drawn (full block on a dark terminal background), dark ones left blank.
            out.push(match (!dark(y, x), y + 1 < height && !dark(y + 1, x)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_blocks_draw_two_rows_per_line_inside_a_quiet_zone() {
        let drawn = half_blocks(&["# ".into(), " #".into()]);
        let lines: Vec<&str> = drawn.lines().collect();
        assert_eq!(lines.len(), 5, "(2 + 8) rows of modules, two per line");
        assert!(lines.iter().all(|l| l.chars().count() == 10));
        assert_eq!(lines[0], "█".repeat(10), "the quiet zone is light");
        assert_eq!(lines[2].chars().nth(4), Some('▄'), "dark above, light below");
        assert_eq!(lines[2].chars().nth(5), Some('▀'), "light above, dark below");
    }
}
