//! Parsing `git status --porcelain=v2 -z` (see git-status(1), "Porcelain Format Version 2").

use band_core::{ChangeKind, FileChange};

/// One entry of the status, path kept as git's raw bytes (for pathspecs) as well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) path: Vec<u8>,
    pub(crate) kind: ChangeKind,
}

impl Entry {
    pub(crate) fn to_change(&self) -> FileChange {
        FileChange { path: String::from_utf8_lossy(&self.path).into_owned(), kind: self.kind }
    }
}

/// The kind of a tracked change from its `XY` field: X is the index against HEAD, Y the working
/// tree against the index.
fn kind_of(xy: &[u8]) -> ChangeKind {
    let (x, y) = match xy {
        [x, y] => (*x, *y),
        _ => (b'.', b'M'),
    };
    match (x, y) {
        (b'R', _) | (_, b'R') => ChangeKind::Renamed,
        (b'A' | b'C', _) | (_, b'A') => ChangeKind::Added,
        (b'D', _) | (_, b'D') => ChangeKind::Deleted,
        (b'T', _) | (_, b'T') => ChangeKind::TypeChanged,
        _ => ChangeKind::Modified,
    }
}

fn nth_field(record: &[u8], n: usize) -> Option<&[u8]> {
    record.splitn(n + 1, |b| *b == b' ').nth(n)
}

/// Parses porcelain v2 records; `Err` names the record git's output did not match.
pub(crate) fn parse(out: &[u8]) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    // Every record ends with NUL; drop the last so that a missing record is noticed.
    let out = out.strip_suffix(b"\0").unwrap_or(out);
    let mut records = out.split(|b| *b == 0);
    let bad = |r: &[u8]| format!("unexpected status record '{}'", String::from_utf8_lossy(r));
    while let Some(record) = records.next() {
        let entry = match record.first() {
            None | Some(b'#' | b'!') => continue,
            // `1 XY sub mH mI mW hH hI path`
            Some(b'1') => {
                let path = nth_field(record, 8).ok_or_else(|| bad(record))?;
                let xy = nth_field(record, 1).and_then(|f| f.split(|b| *b == b' ').next()).unwrap_or(b"");
                Entry { path: path.to_vec(), kind: kind_of(xy) }
            }
            // `2 XY sub mH mI mW hH hI Xscore path` then the original path as its own record.
            Some(b'2') => {
                let path = nth_field(record, 9).ok_or_else(|| bad(record))?;
                let xy = nth_field(record, 1).and_then(|f| f.split(|b| *b == b' ').next()).unwrap_or(b"");
                records.next().ok_or_else(|| bad(record))?;
                Entry { path: path.to_vec(), kind: kind_of(xy) }
            }
            // `u XY sub m1 m2 m3 mW h1 h2 h3 path`
            Some(b'u') => {
                let path = nth_field(record, 10).ok_or_else(|| bad(record))?;
                Entry { path: path.to_vec(), kind: ChangeKind::Conflicted }
            }
            // `? path`; an untracked nested repository is listed as `dir/`.
            Some(b'?') => {
                let path = record.get(2..).filter(|p| !p.is_empty()).ok_or_else(|| bad(record))?;
                let path = path.strip_suffix(b"/").unwrap_or(path);
                Entry { path: path.to_vec(), kind: ChangeKind::Untracked }
            }
            Some(_) => return Err(bad(record)),
        };
        entries.push(entry);
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.kind.as_str().cmp(b.kind.as_str())));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(out: &str) -> Vec<(String, ChangeKind)> {
        parse(out.as_bytes()).expect("parses").iter().map(|e| (e.to_change().path, e.kind)).collect()
    }

    const H: &str =
        "100644 100644 100644 0123456789012345678901234567890123456789 0123456789012345678901234567890123456789";

    #[test]
    fn ordinary_changes() {
        let out = format!(
            "1 .M N... {H} src/a b.rs\01 A. N... {H} new.txt\01 D. N... {H} gone\01 .D N... {H} rm\0\
             1 MD N... {H} md\01 .T N... {H} link\01 AM N... {H} am\0? dir/x y.txt\0"
        );
        assert_eq!(
            changes(&out),
            [
                ("am".to_owned(), ChangeKind::Added),
                ("dir/x y.txt".to_owned(), ChangeKind::Untracked),
                ("gone".to_owned(), ChangeKind::Deleted),
                ("link".to_owned(), ChangeKind::TypeChanged),
                ("md".to_owned(), ChangeKind::Deleted),
                ("new.txt".to_owned(), ChangeKind::Added),
                ("rm".to_owned(), ChangeKind::Deleted),
                ("src/a b.rs".to_owned(), ChangeKind::Modified),
            ]
        );
    }

    #[test]
    fn renames_consume_the_original_path_and_conflicts_are_flagged() {
        let out = format!(
            "2 R. N... {H} R100 to name\0from name\0u UU N... 100644 100644 100644 100644 {} conflict.txt\0? z/\0",
            "0123456789012345678901234567890123456789 0123456789012345678901234567890123456789 0123456789012345678901234567890123456789"
        );
        assert_eq!(
            changes(&out),
            [
                ("conflict.txt".to_owned(), ChangeKind::Conflicted),
                ("to name".to_owned(), ChangeKind::Renamed),
                ("z".to_owned(), ChangeKind::Untracked),
            ]
        );
    }

    #[test]
    fn headers_and_ignored_entries_are_skipped_and_garbage_is_an_error() {
        assert_eq!(changes("# branch.oid abc\0! target/\0"), []);
        assert!(parse(b"X what\0").is_err());
        assert!(parse(b"1 .M N...\0").is_err());
        assert!(parse(format!("2 R. N... {H} R100 only-new\0").as_bytes()).is_err());
    }

    #[test]
    fn intent_to_add_is_added() {
        assert_eq!(changes(&format!("1 .A N... {H} ita\0")), [("ita".to_owned(), ChangeKind::Added)]);
    }
}
