//! Review comments: remarks on lines of a workspace's diff, kept until resolved and sent to an
//! agent as one message.
//!
//! A comment's quoted code and body are the user's words *to the agent*: band stores and
//! forwards them as data (the message is a plain prompt), never runs or interprets them.

use std::fmt;

use crate::files::WorkspacePath;
use crate::model::{ChatId, Millis, WorkspaceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewCommentId(pub i64);

/// Which side of the diff a comment's lines count on: the base's (`Old`, a removed line) or the
/// workspace's (`New`, an added or unchanged line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiffSide {
    Old,
    New,
}

impl DiffSide {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Old => "old",
            Self::New => "new",
        }
    }

    /// `None` for anything but `old` and `new`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "old" => Some(Self::Old),
            "new" => Some(Self::New),
            _ => None,
        }
    }
}

/// Lines `start..=end` (1-based) of one side of a file's diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineRange {
    start: u32,
    end: u32,
}

impl LineRange {
    /// Largest range a comment may cover, in lines.
    pub const MAX_LINES: u32 = 10_000;

    /// `None` unless `1 <= start <= end` and the range is at most [`LineRange::MAX_LINES`].
    pub fn new(start: u32, end: u32) -> Option<Self> {
        (start >= 1 && start <= end && end - start < Self::MAX_LINES).then_some(Self { start, end })
    }

    pub fn start(self) -> u32 {
        self.start
    }

    pub fn end(self) -> u32 {
        self.end
    }
}

impl fmt::Display for LineRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end { write!(f, "{}", self.start) } else { write!(f, "{}-{}", self.start, self.end) }
    }
}

/// A comment to store (checked by the service first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReviewComment {
    pub workspace_id: WorkspaceId,
    pub path: WorkspacePath,
    pub side: DiffSide,
    pub lines: LineRange,
    /// The commented code as the user saw it (may be empty).
    pub quote: String,
    pub body: String,
}

/// A stored review comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub id: ReviewCommentId,
    pub workspace_id: WorkspaceId,
    pub path: WorkspacePath,
    pub side: DiffSide,
    pub lines: LineRange,
    pub quote: String,
    pub body: String,
    pub resolved: bool,
    /// When it was last sent to an agent, and to which chat; `None` while unsent.
    pub sent: Option<(Millis, ChatId)>,
    pub created_at: Millis,
}

/// The one message that carries `comments` to an agent: a short preamble, then per comment the
/// file, side and lines, the quoted code in a fence long enough not to be closed by it, and the
/// comment.
pub fn review_message(comments: &[ReviewComment]) -> String {
    let mut text = format!(
        "Review comments on your changes ({} comment{}). Please address each one:\n",
        comments.len(),
        if comments.len() == 1 { "" } else { "s" }
    );
    for (n, c) in comments.iter().enumerate() {
        let side = match c.side {
            DiffSide::New => "",
            DiffSide::Old => " (removed lines, as they were in the base)",
        };
        let which = if c.lines.start() == c.lines.end() { "line" } else { "lines" };
        text.push_str(&format!("\n{}. {} {which} {}{side}\n", n + 1, c.path, c.lines));
        if !c.quote.is_empty() {
            let longest = longest_backtick_run(&c.quote);
            let fence = "`".repeat(longest.max(2) + 1);
            text.push_str(&format!("{fence}\n{}\n{fence}\n", c.quote.trim_end_matches('\n')));
        }
        text.push_str(&format!("Comment: {}\n", c.body.trim()));
    }
    text
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(path: &str, lines: (u32, u32), side: DiffSide, quote: &str, body: &str) -> ReviewComment {
        ReviewComment {
            id: ReviewCommentId(1),
            workspace_id: WorkspaceId(1),
            path: WorkspacePath::new(path).unwrap(),
            side,
            lines: LineRange::new(lines.0, lines.1).unwrap(),
            quote: quote.into(),
            body: body.into(),
            resolved: false,
            sent: None,
            created_at: 0,
        }
    }

    #[test]
    fn the_message_names_file_lines_quote_and_comment() {
        let text = review_message(&[
            comment("src/a.rs", (3, 3), DiffSide::New, "let x = 1;", "use a constant"),
            comment("b.md", (1, 2), DiffSide::Old, "```\nold\n```", " why removed? "),
        ]);
        assert!(text.starts_with("Review comments on your changes (2 comments)"), "{text}");
        assert!(text.contains("\n1. src/a.rs line 3\n```\nlet x = 1;\n```\nComment: use a constant\n"), "{text}");
        assert!(
            text.contains("2. b.md lines 1-2 (removed lines, as they were in the base)\n````\n```\nold\n```\n````\nComment: why removed?\n"),
            "{text}"
        );
    }

    #[test]
    fn line_ranges_are_checked() {
        assert!(LineRange::new(0, 1).is_none());
        assert!(LineRange::new(5, 4).is_none());
        assert!(LineRange::new(1, LineRange::MAX_LINES + 1).is_none());
        assert_eq!(LineRange::new(2, 2).map(|r| r.to_string()), Some("2".into()));
        assert_eq!(DiffSide::parse("old"), Some(DiffSide::Old));
        assert_eq!(DiffSide::parse("left"), None);
    }
}
