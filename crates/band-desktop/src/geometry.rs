//! The window's size and position, remembered in `$BAND_HOME/desktop/window.json` between runs.
//! A file that is missing, unreadable or absurd gives the default size, centred.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Geometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub maximized: bool,
}

pub const DEFAULT_SIZE: (u32, u32) = (1280, 820);

pub fn path(home: &Path) -> PathBuf {
    crate::single::dir(home).join("window.json")
}

impl Geometry {
    /// Sizes from 320×240 to 16384×16384, positions within ±32768.
    pub fn is_sane(&self) -> bool {
        (320..=16384).contains(&self.width)
            && (240..=16384).contains(&self.height)
            && self.x.abs() <= 32768
            && self.y.abs() <= 32768
    }
}

/// The remembered geometry, if there is a sane one.
pub fn load(home: &Path) -> Option<Geometry> {
    let text = std::fs::read(path(home)).ok()?;
    serde_json::from_slice::<Geometry>(&text).ok().filter(Geometry::is_sane)
}

/// Remembers `g` (written to a temporary file, then renamed).
pub fn save(home: &Path, g: &Geometry) {
    if !g.is_sane() {
        return;
    }
    let path = path(home);
    let tmp = path.with_extension("json.tmp");
    let result = serde_json::to_vec_pretty(g)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = result {
        tracing::warn!(error = %e, path = %path.display(), "cannot remember the window's size and position");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_and_absurd_geometries() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(crate::single::dir(home.path())).expect("mkdir");
        assert_eq!(load(home.path()), None);
        let g = Geometry { x: 40, y: 30, width: 900, height: 700, maximized: false };
        save(home.path(), &g);
        assert_eq!(load(home.path()), Some(g));
        for junk in
            ["{", "{\"x\":0,\"y\":0,\"width\":5,\"height\":5}", "{\"x\":0,\"y\":0,\"width\":99999,\"height\":500}"]
        {
            std::fs::write(path(home.path()), junk).expect("write");
            assert_eq!(load(home.path()), None, "{junk}");
        }
    }
}
