//! The one `/proc` scanner: which live processes belong to a scope.

use crate::SCOPE_VAR;
use crate::child::Tree;

/// What to look for.
pub(crate) enum Find<'a> {
    /// The scope marker is exactly this scope.
    Scope(&'a str),
    /// The scope marker starts with this (`<pid>.` or `<pid>.<nonce>.`).
    ScopeStartsWith(&'a str),
    /// The members of `leader`'s process group or session, and everything marked with `scope`.
    Members { leader: i32, tree: Tree, scope: &'a str },
}

/// Live processes (not zombies, not this one) that match. Processes that cannot be read (another
/// user's, or gone meanwhile) do not match.
pub(crate) fn find(what: &Find<'_>) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| matches(*pid, what))
        .collect()
}

fn matches(pid: i32, what: &Find<'_>) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // After the command's closing parenthesis (the command may hold any character):
    // state ppid pgrp session ...
    let Some((_, rest)) = stat.rsplit_once(')') else { return false };
    let fields: Vec<&str> = rest.split_whitespace().take(4).collect();
    if fields.first().is_none_or(|state| *state == "Z" || *state == "X") {
        return false;
    }
    let field = |i: usize| fields.get(i).and_then(|s| s.parse::<i32>().ok());
    let (scope, exact) = match what {
        Find::Scope(scope) => (*scope, true),
        Find::ScopeStartsWith(start) => (*start, false),
        Find::Members { leader, tree, scope } => {
            let id = match tree {
                Tree::Group => field(2),
                Tree::Session => field(3),
            };
            if id == Some(*leader) {
                return true;
            }
            (*scope, true)
        }
    };
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { return false };
    env.split(|b| *b == 0).any(|kv| {
        kv.strip_prefix(SCOPE_VAR.as_bytes())
            .and_then(|v| v.strip_prefix(b"="))
            .is_some_and(|value| if exact { value == scope.as_bytes() } else { value.starts_with(scope.as_bytes()) })
    })
}
