//! Pull requests: a workspace's branch proposed for review on the repository's host (GitHub,
//! through the GitHub CLI), its state and checks.

use crate::error::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullState {
    Open,
    Closed,
    Merged,
}

/// A check's outcome, folded from GitHub's check runs and commit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Pending,
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullCheck {
    pub name: String,
    pub outcome: CheckOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub state: PullState,
    pub draft: bool,
    /// The branch it proposes.
    pub head: String,
    /// The branch it goes into.
    pub base: String,
    pub checks: Vec<PullCheck>,
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPullRequest {
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: String,
    pub draft: bool,
}

/// Which pull request a user means: its number, or its URL (`https://<host>/<owner>/<repo>/pull/<n>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullRef {
    Number(u64),
    Url { repository: String, number: u64 },
}

impl PullRef {
    /// # Errors
    /// `InvalidInput` for anything but a positive number (`#` allowed) or a pull request URL.
    pub fn parse(value: &str) -> Result<Self, CoreError> {
        let v = value.trim();
        let bad = || {
            CoreError::InvalidInput(
                format!("'{value}' is not a pull request: give its number (42) or its URL (https://github.com/owner/repo/pull/42)")
                    .into(),
            )
        };
        if let Ok(n) = v.trim_start_matches('#').parse::<u64>() {
            return if n > 0 { Ok(Self::Number(n)) } else { Err(bad()) };
        }
        let rest = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://")).ok_or_else(bad)?;
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        match parts.as_slice() {
            [host, owner, repo, "pull", n, ..] if !host.is_empty() && !owner.is_empty() && !repo.is_empty() => {
                let number = n.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(bad)?;
                Ok(Self::Url { repository: format!("{}/{}", owner, repo.trim_end_matches(".git")), number })
            }
            _ => Err(bad()),
        }
    }

    pub fn number(&self) -> u64 {
        match self {
            Self::Number(n) | Self::Url { number: n, .. } => *n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_refs_are_numbers_or_urls() {
        assert_eq!(PullRef::parse("42").ok(), Some(PullRef::Number(42)));
        assert_eq!(PullRef::parse("#7").ok(), Some(PullRef::Number(7)));
        assert_eq!(
            PullRef::parse("https://github.com/acme/app/pull/12/files").ok(),
            Some(PullRef::Url { repository: "acme/app".into(), number: 12 })
        );
        for bad in [
            "0",
            "",
            "abc",
            "https://github.com/acme/app/issues/3",
            "https://github.com/acme/app/pull/x",
            "ftp://h/a/b/pull/1",
        ] {
            assert!(PullRef::parse(bad).is_err(), "{bad}");
        }
    }
}
