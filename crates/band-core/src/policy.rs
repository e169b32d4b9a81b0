//! Policies: rules band applies to every tool call of every agent, before a person or the chat's
//! mode is asked.
//!
//! Pure and fast: a [`PolicyRules`] is what one scope says (global, project, workspace, chat); a
//! [`Policy`] is the merge of the scopes that apply to a chat, compiled once and checked per call
//! ([`Policy::check`]) without allocation on the allow path. Merge is an intersection, so a
//! narrower scope can only tighten: booleans are AND-ed (a `false` anywhere wins), `maxTurns` is
//! the minimum, deny lists are the union, and every scope's allow list must match (a call passes
//! only if each scope that has an allow list allows it). Setting a narrower value that would
//! loosen a broader one (`canRunCommands=true` under a global `false`, a larger `maxTurns`) is
//! refused with the broader rule named ([`check_tightens`]), so nobody believes a rule holds
//! that does not.
//!
//! Globs: `*` any run of characters but `/`, `**` any run including `/`, `?` one character but
//! `/`. Path globs are relative to the workspace; a path outside it is given as an absolute path
//! and matched as such, so `allowPaths=src/**` refuses `/etc/passwd` and `denyPaths=/etc/**`
//! names it. Command globs match the whole command line, and there `*` also crosses `/`.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{CoreError, Problem};
use crate::model::{ChatId, ProjectId, WorkspaceId};

/// Where a rule is set, broadest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyScope {
    Global,
    Project(ProjectId),
    Workspace(WorkspaceId),
    Chat(ChatId),
}

impl fmt::Display for PolicyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("global"),
            Self::Project(p) => write!(f, "project {}", p.0),
            Self::Workspace(w) => write!(f, "workspace {}", w.0),
            Self::Chat(c) => write!(f, "chat {}", c.0),
        }
    }
}

/// A policy setting's key, spelled on every edge as [`PolicyKey::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKey {
    CanCreateFiles,
    CanEditFiles,
    CanRunCommands,
    CanPushGit,
    AllowCommands,
    DenyCommands,
    AllowPaths,
    DenyPaths,
    AllowTools,
    DenyTools,
    MaxTurns,
    /// Budgets: what the scope's turns may cost, and use in tokens; the daily ones are the whole
    /// server's per day (UTC), set at the global scope only.
    MaxCostUsd,
    MaxTokens,
    DailyMaxCostUsd,
    DailyMaxTokens,
}

/// The kind of value a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyValueKind {
    Bool,
    Globs,
    Count,
    /// An amount in US dollars, kept in millionths.
    Dollars,
    /// A number of tokens above 0.
    Tokens,
}

impl PolicyKey {
    pub const ALL: [Self; 15] = [
        Self::CanCreateFiles,
        Self::CanEditFiles,
        Self::CanRunCommands,
        Self::CanPushGit,
        Self::AllowCommands,
        Self::DenyCommands,
        Self::AllowPaths,
        Self::DenyPaths,
        Self::AllowTools,
        Self::DenyTools,
        Self::MaxTurns,
        Self::MaxCostUsd,
        Self::MaxTokens,
        Self::DailyMaxCostUsd,
        Self::DailyMaxTokens,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CanCreateFiles => "canCreateFiles",
            Self::CanEditFiles => "canEditFiles",
            Self::CanRunCommands => "canRunCommands",
            Self::CanPushGit => "canPushGit",
            Self::AllowCommands => "allowCommands",
            Self::DenyCommands => "denyCommands",
            Self::AllowPaths => "allowPaths",
            Self::DenyPaths => "denyPaths",
            Self::AllowTools => "allowTools",
            Self::DenyTools => "denyTools",
            Self::MaxTurns => "maxTurns",
            Self::MaxCostUsd => "maxCostUsd",
            Self::MaxTokens => "maxTokens",
            Self::DailyMaxCostUsd => "dailyMaxCostUsd",
            Self::DailyMaxTokens => "dailyMaxTokens",
        }
    }

    pub fn kind(self) -> PolicyValueKind {
        match self {
            Self::CanCreateFiles | Self::CanEditFiles | Self::CanRunCommands | Self::CanPushGit => {
                PolicyValueKind::Bool
            }
            Self::MaxTurns => PolicyValueKind::Count,
            Self::MaxCostUsd | Self::DailyMaxCostUsd => PolicyValueKind::Dollars,
            Self::MaxTokens | Self::DailyMaxTokens => PolicyValueKind::Tokens,
            _ => PolicyValueKind::Globs,
        }
    }

    /// The valid keys, for error messages.
    pub fn names() -> String {
        Self::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
    }

    /// # Errors
    /// `InvalidInput` naming the valid keys.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        Self::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            CoreError::InvalidInput(Problem::new(format!("unknown policy key '{s}'; the keys are {}", Self::names())))
        })
    }
}

impl fmt::Display for PolicyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A glob, validated and kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Glob(String);

impl Glob {
    /// # Errors
    /// `InvalidInput` for an empty glob, a control character or more than 1024 bytes.
    pub fn new(s: &str) -> Result<Self, CoreError> {
        let s = s.trim();
        if s.is_empty() || s.len() > 1024 || s.chars().any(char::is_control) {
            return Err(CoreError::InvalidInput(Problem::new(format!(
                "bad glob '{s}': it must be 1 to 1024 characters, without control characters"
            ))));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` matches; `slash` says whether `*` crosses `/` (commands) or not (paths).
    pub fn matches(&self, text: &str, slash: bool) -> bool {
        glob_match(self.0.as_bytes(), text.as_bytes(), slash)
    }
}

/// Glob match by recursion on stars (patterns are short and set by people; text is any length).
fn glob_match(p: &[u8], t: &[u8], star_crosses_slash: bool) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            let rest = &p[2..];
            // `**/` also matches no directory at all.
            if rest.first() == Some(&b'/') && glob_match(&rest[1..], t, star_crosses_slash) {
                return true;
            }
            (0..=t.len()).any(|i| glob_match(rest, &t[i..], star_crosses_slash))
        }
        Some(b'*') => {
            let rest = &p[1..];
            for i in 0..=t.len() {
                if glob_match(rest, &t[i..], star_crosses_slash) {
                    return true;
                }
                if i < t.len() && t[i] == b'/' && !star_crosses_slash {
                    return false;
                }
            }
            false
        }
        Some(&c) => match t.first() {
            Some(&u) if u == c || (c == b'?' && u != b'/') => glob_match(&p[1..], &t[1..], star_crosses_slash),
            _ => false,
        },
    }
}

/// A value of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyValue {
    Bool(bool),
    Globs(Vec<Glob>),
    Count(u32),
    /// Millionths of a dollar.
    Dollars(u64),
    Tokens(u64),
}

impl PolicyValue {
    /// Parses `text` as `key`'s value: `true`/`false`, a whole number from 0, or comma-separated
    /// globs.
    ///
    /// # Errors
    /// `InvalidInput` saying what the key takes.
    pub fn parse(key: PolicyKey, text: &str) -> Result<Self, CoreError> {
        let text = text.trim();
        let bad = |takes: &str| {
            CoreError::InvalidInput(Problem::new(format!("bad value '{text}' for {key}: it takes {takes}")))
        };
        match key.kind() {
            PolicyValueKind::Bool => match text {
                "true" => Ok(Self::Bool(true)),
                "false" => Ok(Self::Bool(false)),
                _ => Err(bad("true or false")),
            },
            PolicyValueKind::Count => text.parse().map(Self::Count).map_err(|_| bad("a whole number from 0")),
            PolicyValueKind::Dollars => dollars(text)
                .map(Self::Dollars)
                .ok_or_else(|| bad("an amount in US dollars above 0 and at most 1000000, such as 0.50 or 20")),
            PolicyValueKind::Tokens => match text.replace('_', "").parse::<u64>() {
                Ok(n) if n > 0 => Ok(Self::Tokens(n)),
                _ => Err(bad("a whole number of tokens above 0")),
            },
            PolicyValueKind::Globs => {
                let globs =
                    text.split(',').filter(|g| !g.trim().is_empty()).map(Glob::new).collect::<Result<Vec<_>, _>>()?;
                if globs.is_empty() {
                    return Err(bad("comma-separated glob patterns"));
                }
                Ok(Self::Globs(globs))
            }
        }
    }
}

impl fmt::Display for PolicyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Count(n) => write!(f, "{n}"),
            Self::Dollars(m) => f.write_str(&usd(*m)),
            Self::Tokens(n) => write!(f, "{n}"),
            Self::Globs(g) => f.write_str(&g.iter().map(Glob::as_str).collect::<Vec<_>>().join(",")),
        }
    }
}

/// One assignment: `KEY=VALUE`, or `KEY=` to remove the key from the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAssignment {
    pub key: PolicyKey,
    pub value: Option<PolicyValue>,
}

impl PolicyAssignment {
    /// # Errors
    /// `InvalidInput` for no `=`, an unknown key (naming the valid ones) or a bad value.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let Some((key, value)) = text.split_once('=') else {
            return Err(CoreError::InvalidInput(Problem::new(format!(
                "'{text}' is not KEY=VALUE; the keys are {}",
                PolicyKey::names()
            ))));
        };
        let key = PolicyKey::parse(key.trim())?;
        let value = if value.trim().is_empty() { None } else { Some(PolicyValue::parse(key, value)?) };
        Ok(Self { key, value })
    }
}

/// What one scope sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyRules {
    pub values: BTreeMap<PolicyKey, PolicyValue>,
}

impl PolicyRules {
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Applies assignments (a `None` value removes the key).
    pub fn apply(&mut self, assignments: &[PolicyAssignment]) {
        for a in assignments {
            match &a.value {
                Some(v) => {
                    self.values.insert(a.key, v.clone());
                }
                None => {
                    self.values.remove(&a.key);
                }
            }
        }
    }
}

/// Refuses assignments at `scope` that would loosen what a broader scope in `broader` says.
///
/// # Errors
/// `Refused` naming the broader rule.
pub fn check_tightens(
    scope: PolicyScope,
    broader: &[(PolicyScope, PolicyRules)],
    assignments: &[PolicyAssignment],
) -> Result<(), CoreError> {
    for a in assignments {
        for (at, rules) in broader.iter().filter(|(at, _)| *at < scope) {
            let loosens = match (&a.value, rules.values.get(&a.key)) {
                (Some(PolicyValue::Bool(true)), Some(PolicyValue::Bool(false))) => true,
                (Some(PolicyValue::Count(n)), Some(PolicyValue::Count(m))) => n > m,
                _ => false,
            };
            if loosens {
                return Err(CoreError::Refused(Problem::new(format!(
                    "{}={} at {scope} would loosen {}={} set at {at}: a narrower scope can only tighten \
                     (change or remove the {at} rule instead)",
                    a.key,
                    a.value.as_ref().map(ToString::to_string).unwrap_or_default(),
                    a.key,
                    rules.values[&a.key],
                ))));
            }
        }
    }
    Ok(())
}

/// What a tool call does, as the adapters classify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolAction {
    /// Runs a command line.
    RunCommand { command: String },
    /// Writes a file that does not exist yet.
    CreateFile,
    /// Changes (or deletes, or moves) a file that exists.
    EditFile,
    /// Anything else (reads, searches, MCP tools...).
    Other,
}

/// A tool call to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The agent's name for the tool (`Bash`, `mcp__server__tool`, `run_shell_command`...).
    pub tool: String,
    pub action: ToolAction,
    /// The paths it touches: relative to the workspace, `/`-separated; absolute when outside.
    pub paths: Vec<String>,
}

/// Why a call is refused: the rule and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub key: PolicyKey,
    /// The rule as set (`canRunCommands=false`, `denyPaths=secrets/**`).
    pub rule: String,
    pub scope: PolicyScope,
    /// What of the call broke it (a path, the command line), when not the whole call.
    pub subject: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.rule, self.scope)?;
        if let Some(s) = &self.subject {
            write!(f, " for {s}")?;
        }
        Ok(())
    }
}

/// One key's effective value and the scope it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveRule {
    pub key: PolicyKey,
    pub value: PolicyValue,
    pub scope: PolicyScope,
}

#[derive(Debug, Clone, Copy)]
struct Flag {
    allowed: bool,
    scope: PolicyScope,
}

/// The merged, compiled rules of every scope that applies.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    create: Option<Flag>,
    edit: Option<Flag>,
    run: Option<Flag>,
    push: Option<Flag>,
    max_turns: Option<(u32, PolicyScope)>,
    deny_commands: Vec<(Glob, PolicyScope)>,
    deny_paths: Vec<(Glob, PolicyScope)>,
    deny_tools: Vec<(Glob, PolicyScope)>,
    allow_commands: Vec<(Vec<Glob>, PolicyScope)>,
    allow_paths: Vec<(Vec<Glob>, PolicyScope)>,
    allow_tools: Vec<(Vec<Glob>, PolicyScope)>,
    /// Every scope's budgets: each counts its own scope's turns, so none replaces another.
    budgets: Vec<(PolicyKey, u64, PolicyScope)>,
}

impl Policy {
    /// Merges the scopes' rules (any order; sorted broadest first).
    pub fn merge(layers: &[(PolicyScope, PolicyRules)]) -> Self {
        let mut sorted: Vec<&(PolicyScope, PolicyRules)> = layers.iter().collect();
        sorted.sort_by_key(|(s, _)| *s);
        let mut p = Self::default();
        for (scope, rules) in sorted {
            for (key, value) in &rules.values {
                let scope = *scope;
                match (key, value) {
                    (PolicyKey::CanCreateFiles, PolicyValue::Bool(b)) => and(&mut p.create, *b, scope),
                    (PolicyKey::CanEditFiles, PolicyValue::Bool(b)) => and(&mut p.edit, *b, scope),
                    (PolicyKey::CanRunCommands, PolicyValue::Bool(b)) => and(&mut p.run, *b, scope),
                    (PolicyKey::CanPushGit, PolicyValue::Bool(b)) => and(&mut p.push, *b, scope),
                    (PolicyKey::MaxTurns, PolicyValue::Count(n)) if p.max_turns.is_none_or(|(m, _)| *n < m) => {
                        p.max_turns = Some((*n, scope));
                    }
                    (PolicyKey::DenyCommands, PolicyValue::Globs(g)) => {
                        p.deny_commands.extend(g.iter().map(|g| (g.clone(), scope)));
                    }
                    (PolicyKey::DenyPaths, PolicyValue::Globs(g)) => {
                        p.deny_paths.extend(g.iter().map(|g| (g.clone(), scope)));
                    }
                    (PolicyKey::DenyTools, PolicyValue::Globs(g)) => {
                        p.deny_tools.extend(g.iter().map(|g| (g.clone(), scope)));
                    }
                    (PolicyKey::AllowCommands, PolicyValue::Globs(g)) => p.allow_commands.push((g.clone(), scope)),
                    (PolicyKey::AllowPaths, PolicyValue::Globs(g)) => p.allow_paths.push((g.clone(), scope)),
                    (PolicyKey::AllowTools, PolicyValue::Globs(g)) => p.allow_tools.push((g.clone(), scope)),
                    (PolicyKey::MaxCostUsd | PolicyKey::DailyMaxCostUsd, PolicyValue::Dollars(m)) => {
                        p.budgets.push((*key, *m, scope));
                    }
                    (PolicyKey::MaxTokens | PolicyKey::DailyMaxTokens, PolicyValue::Tokens(n)) => {
                        p.budgets.push((*key, *n, scope));
                    }
                    // A value of the wrong kind cannot be parsed; a store that returns one is
                    // corrupt, and the key is left out rather than guessed.
                    _ => {}
                }
            }
        }
        p
    }

    /// Whether no rule is in force (then adapters need not route calls through band).
    pub fn is_empty(&self) -> bool {
        self.create.is_none()
            && self.edit.is_none()
            && self.run.is_none()
            && self.push.is_none()
            && self.max_turns.is_none()
            && self.deny_commands.is_empty()
            && self.deny_paths.is_empty()
            && self.deny_tools.is_empty()
            && self.allow_commands.is_empty()
            && self.allow_paths.is_empty()
            && self.allow_tools.is_empty()
            && self.budgets.is_empty()
    }

    /// Whether a tool-call rule is in force (everything but `maxTurns`).
    pub fn judges_calls(&self) -> bool {
        let mut calls = self.clone();
        calls.max_turns = None;
        calls.budgets.clear();
        !calls.is_empty()
    }

    /// Every budget in force: its key, its limit (millionths of a dollar, or tokens) and the
    /// scope whose turns it counts.
    pub fn budgets(&self) -> &[(PolicyKey, u64, PolicyScope)] {
        &self.budgets
    }

    /// The most turns a chat may run, and where that was set.
    pub fn max_turns(&self) -> Option<(u32, PolicyScope)> {
        self.max_turns
    }

    /// Whether `git push` is forbidden, and by which scope.
    pub fn push_refused(&self) -> Option<PolicyScope> {
        self.push.filter(|f| !f.allowed).map(|f| f.scope)
    }

    /// The effective value of each key set anywhere, with the scope it came from (for lists, the
    /// narrowest scope that adds to it; every glob of every scope is listed).
    pub fn rules(&self) -> Vec<EffectiveRule> {
        let mut out = Vec::new();
        let flag = |out: &mut Vec<EffectiveRule>, key, f: Option<Flag>| {
            if let Some(f) = f {
                out.push(EffectiveRule { key, value: PolicyValue::Bool(f.allowed), scope: f.scope });
            }
        };
        flag(&mut out, PolicyKey::CanCreateFiles, self.create);
        flag(&mut out, PolicyKey::CanEditFiles, self.edit);
        flag(&mut out, PolicyKey::CanRunCommands, self.run);
        flag(&mut out, PolicyKey::CanPushGit, self.push);
        for (key, list) in [
            (PolicyKey::AllowCommands, &self.allow_commands),
            (PolicyKey::AllowPaths, &self.allow_paths),
            (PolicyKey::AllowTools, &self.allow_tools),
        ] {
            for (globs, scope) in list {
                out.push(EffectiveRule { key, value: PolicyValue::Globs(globs.clone()), scope: *scope });
            }
        }
        for (key, list) in [
            (PolicyKey::DenyCommands, &self.deny_commands),
            (PolicyKey::DenyPaths, &self.deny_paths),
            (PolicyKey::DenyTools, &self.deny_tools),
        ] {
            let mut by_scope: BTreeMap<PolicyScope, Vec<Glob>> = BTreeMap::new();
            for (g, s) in list {
                by_scope.entry(*s).or_default().push(g.clone());
            }
            for (scope, globs) in by_scope {
                out.push(EffectiveRule { key, value: PolicyValue::Globs(globs), scope });
            }
        }
        if let Some((n, scope)) = self.max_turns {
            out.push(EffectiveRule { key: PolicyKey::MaxTurns, value: PolicyValue::Count(n), scope });
        }
        for (key, limit, scope) in &self.budgets {
            let value = match key {
                PolicyKey::MaxCostUsd | PolicyKey::DailyMaxCostUsd => PolicyValue::Dollars(*limit),
                _ => PolicyValue::Tokens(*limit),
            };
            out.push(EffectiveRule { key: *key, value, scope: *scope });
        }
        out
    }

    /// Judges one tool call.
    ///
    /// # Errors
    /// The first rule the call breaks.
    pub fn check(&self, call: &ToolCall) -> Result<(), Refusal> {
        let refuse = |key: PolicyKey, rule: String, scope: PolicyScope, subject: Option<&str>| Refusal {
            key,
            rule,
            scope,
            subject: subject.map(str::to_owned),
        };
        let tool = call.tool.as_str();
        if let Some((g, s)) = self.deny_tools.iter().find(|(g, _)| g.matches(tool, true)) {
            return Err(refuse(PolicyKey::DenyTools, format!("denyTools={}", g.as_str()), *s, Some(tool)));
        }
        for (globs, s) in &self.allow_tools {
            if !globs.iter().any(|g| g.matches(tool, true)) {
                return Err(refuse(PolicyKey::AllowTools, format!("allowTools={}", join(globs)), *s, Some(tool)));
            }
        }
        match &call.action {
            ToolAction::RunCommand { command } => {
                if let Some(f) = self.run.filter(|f| !f.allowed) {
                    return Err(refuse(PolicyKey::CanRunCommands, "canRunCommands=false".into(), f.scope, None));
                }
                if let Some(f) = self.push.filter(|f| !f.allowed)
                    && mentions_git_push(command)
                {
                    return Err(refuse(PolicyKey::CanPushGit, "canPushGit=false".into(), f.scope, Some(command)));
                }
                let line = command.trim();
                if let Some((g, s)) = self.deny_commands.iter().find(|(g, _)| g.matches(line, true)) {
                    return Err(refuse(
                        PolicyKey::DenyCommands,
                        format!("denyCommands={}", g.as_str()),
                        *s,
                        Some(line),
                    ));
                }
                for (globs, s) in &self.allow_commands {
                    if !globs.iter().any(|g| g.matches(line, true)) {
                        return Err(refuse(
                            PolicyKey::AllowCommands,
                            format!("allowCommands={}", join(globs)),
                            *s,
                            Some(line),
                        ));
                    }
                }
            }
            ToolAction::CreateFile => {
                if let Some(f) = self.create.filter(|f| !f.allowed) {
                    return Err(refuse(PolicyKey::CanCreateFiles, "canCreateFiles=false".into(), f.scope, None));
                }
            }
            ToolAction::EditFile => {
                if let Some(f) = self.edit.filter(|f| !f.allowed) {
                    return Err(refuse(PolicyKey::CanEditFiles, "canEditFiles=false".into(), f.scope, None));
                }
            }
            ToolAction::Other => {}
        }
        for path in &call.paths {
            if let Some((g, s)) = self.deny_paths.iter().find(|(g, _)| g.matches(path, false)) {
                return Err(refuse(PolicyKey::DenyPaths, format!("denyPaths={}", g.as_str()), *s, Some(path)));
            }
            for (globs, s) in &self.allow_paths {
                if !globs.iter().any(|g| g.matches(path, false)) {
                    return Err(refuse(PolicyKey::AllowPaths, format!("allowPaths={}", join(globs)), *s, Some(path)));
                }
            }
        }
        Ok(())
    }
}

fn and(slot: &mut Option<Flag>, allowed: bool, scope: PolicyScope) {
    match slot {
        // An earlier (broader) false stays; a narrower value replaces a true.
        Some(f) if !f.allowed => {}
        _ => *slot = Some(Flag { allowed, scope }),
    }
}

fn join(globs: &[Glob]) -> String {
    globs.iter().map(Glob::as_str).collect::<Vec<_>>().join(",")
}

/// Whether a command line runs `git ... push` somewhere (a first line of defence; the
/// environment band gives processes is the one that holds, see SECURITY.md 24).
pub fn mentions_git_push(command: &str) -> bool {
    let words = command
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(' | ')' | '`' | '"' | '\''))
        .filter(|w| !w.is_empty());
    // After `git`: its options (and the argument of those that take one), then the subcommand.
    let mut after_git = false;
    let mut skip_next = false;
    for word in words {
        if word == "git" || word.ends_with("/git") {
            after_git = true;
            skip_next = false;
        } else if after_git {
            if skip_next {
                skip_next = false;
            } else if word.starts_with('-') {
                skip_next = matches!(word, "-C" | "-c" | "--git-dir" | "--work-tree" | "--namespace");
            } else {
                if word == "push" {
                    return true;
                }
                after_git = false;
            }
        }
    }
    false
}

/// Where a refused `git push` goes: a path under `/proc/self`, where nobody can create a
/// repository, named so that git's error says why.
pub const PUSH_REFUSED_URL: &str = "/proc/self/band-policy-canPushGit-false/";

/// Makes every `git push` of a process with this environment fail (`canPushGit=false`), in
/// whatever form it runs (directly, in a pipeline, in a script file, through an alias): git's
/// environment configuration (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`, after
/// any the environment already has) sets `url.<PUSH_REFUSED_URL>.pushInsteadOf` to the empty
/// prefix, which every remote URL starts with, so each push is rewritten to a path that cannot
/// exist; fetches are untouched. Limits (SECURITY.md 24): a remote with its own `pushurl`, a
/// longer `pushInsteadOf` the agent sets itself, or a process that clears its environment pushes
/// anyway; the real bound is credentials the agent does not have.
pub fn refuse_git_push(env: &mut BTreeMap<String, String>) {
    let n: usize = env.get("GIT_CONFIG_COUNT").and_then(|c| c.parse().ok()).unwrap_or(0);
    env.insert(format!("GIT_CONFIG_KEY_{n}"), format!("url.{PUSH_REFUSED_URL}.pushInsteadOf"));
    env.insert(format!("GIT_CONFIG_VALUE_{n}"), String::new());
    env.insert("GIT_CONFIG_COUNT".to_owned(), (n + 1).to_string());
}

/// How the chat says a budget's 80 % warning (an `error` event of its log starting so).
pub const BUDGET_WARNING: &str = "Budget warning: ";
/// How the chat says a budget is spent.
pub const BUDGET_REACHED: &str = "Budget reached: ";

/// Dollars as text (`0.50`, `$12`) in millionths of a dollar; `None` unless above 0 and at most
/// a million.
fn dollars(text: &str) -> Option<u64> {
    let text = text.trim_start_matches('$');
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: u64 = format!("{frac:0<6}").parse().ok()?;
    let micros = whole.checked_mul(1_000_000)?.checked_add(frac)?;
    (micros > 0 && whole <= 1_000_000).then_some(micros)
}

/// Dollars as text (`0.50`, `$12`) in millionths of a dollar, for budgets outside policies.
///
/// # Errors
/// What the amount must be.
pub fn dollars_to_micros(text: &str) -> Result<u64, String> {
    dollars(text.trim())
        .ok_or_else(|| format!("'{text}' is not an amount of dollars above 0 (at most 1000000): write e.g. 0.50"))
}

/// Millionths of a dollar as text, without trailing zeros (`0.5`, `12`).
pub fn usd(micros: u64) -> String {
    let whole = micros / 1_000_000;
    let frac = micros % 1_000_000;
    if frac == 0 { whole.to_string() } else { format!("{whole}.{}", format!("{frac:06}").trim_end_matches('0')) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(pairs: &[&str]) -> PolicyRules {
        let mut r = PolicyRules::default();
        let a: Vec<_> = pairs.iter().map(|p| PolicyAssignment::parse(p).expect("assignment")).collect();
        r.apply(&a);
        r
    }

    fn run(command: &str) -> ToolCall {
        ToolCall { tool: "Bash".into(), action: ToolAction::RunCommand { command: command.into() }, paths: vec![] }
    }

    fn write(path: &str, exists: bool) -> ToolCall {
        ToolCall {
            tool: "Write".into(),
            action: if exists { ToolAction::EditFile } else { ToolAction::CreateFile },
            paths: vec![path.into()],
        }
    }

    #[test]
    fn budgets_parse_as_dollars_and_tokens_and_every_scopes_count() {
        let global = rules(&["dailyMaxCostUsd=$20", "maxTokens=1_000_000"]);
        let chat = rules(&["maxCostUsd=0.50", "maxTokens=5000"]);
        assert_eq!(chat.values[&PolicyKey::MaxCostUsd], PolicyValue::Dollars(500_000));
        assert_eq!(chat.values[&PolicyKey::MaxCostUsd].to_string(), "0.5");
        for bad in ["maxCostUsd=cheap", "maxCostUsd=0", "maxCostUsd=1.0000001", "maxTokens=-3", "maxTokens=0"] {
            assert!(PolicyAssignment::parse(bad).is_err(), "{bad}");
        }
        let p = Policy::merge(&[(PolicyScope::Global, global), (PolicyScope::Chat(ChatId(3)), chat)]);
        // A budget counts its own scope's turns: a narrower one never replaces a broader one.
        assert_eq!(p.budgets().len(), 4);
        assert!(p.budgets().contains(&(PolicyKey::MaxTokens, 1_000_000, PolicyScope::Global)));
        assert!(p.budgets().contains(&(PolicyKey::MaxTokens, 5000, PolicyScope::Chat(ChatId(3)))));
        assert!(!p.judges_calls(), "budgets judge turns, not calls");
        assert!(!p.is_empty());
        assert_eq!(usd(10_000), "0.01");
    }

    #[test]
    fn globs_match_paths_and_commands() {
        let g = |s: &str| Glob::new(s).expect("glob");
        assert!(g("src/**").matches("src/a/b.rs", false));
        assert!(g("src/*.rs").matches("src/a.rs", false));
        assert!(!g("src/*.rs").matches("src/a/b.rs", false));
        assert!(g("**/*.rs").matches("a.rs", false));
        assert!(g("**/*.rs").matches("x/y/a.rs", false));
        assert!(!g("src/**").matches("/etc/passwd", false));
        assert!(g("/etc/**").matches("/etc/passwd", false));
        assert!(g("a?c").matches("abc", false));
        assert!(!g("a?c").matches("a/c", false));
        assert!(g("cargo *").matches("cargo test -p x/y", true));
        assert!(!g("cargo *").matches("rm -rf /", true));
        assert!(g("*rm -rf*").matches("cd x && rm -rf /", true));
        assert!(g("mcp__band__*").matches("mcp__band__echo", true));
    }

    #[test]
    fn assignments_parse_and_name_the_valid_keys() {
        let a = PolicyAssignment::parse("canRunCommands=false").expect("ok");
        assert_eq!(a, PolicyAssignment { key: PolicyKey::CanRunCommands, value: Some(PolicyValue::Bool(false)) });
        let a = PolicyAssignment::parse("denyPaths=secrets/**, .env").expect("ok");
        assert_eq!(a.value.map(|v| v.to_string()).as_deref(), Some("secrets/**,.env"));
        assert_eq!(PolicyAssignment::parse("maxTurns=").expect("ok").value, None);
        let e = PolicyAssignment::parse("canFly=true").expect_err("unknown");
        assert!(e.to_string().contains("canFly") && e.to_string().contains("canRunCommands, canPushGit"), "{e}");
        let e = PolicyAssignment::parse("maxTurns=many").expect_err("bad");
        assert!(e.to_string().contains("whole number"), "{e}");
        let e = PolicyAssignment::parse("canPushGit=yes").expect_err("bad");
        assert!(e.to_string().contains("true or false"), "{e}");
        assert!(PolicyAssignment::parse("canPushGit").is_err());
    }

    #[test]
    fn merge_is_an_intersection_and_names_the_scope() {
        let p = Policy::merge(&[
            (PolicyScope::Chat(ChatId(1)), rules(&["canRunCommands=true", "maxTurns=9", "denyPaths=b/**"])),
            (PolicyScope::Global, rules(&["canRunCommands=false", "maxTurns=3", "denyPaths=a/**"])),
        ]);
        let e = p.check(&run("ls")).expect_err("refused");
        assert_eq!(e.to_string(), "canRunCommands=false (global)");
        assert_eq!(p.max_turns(), Some((3, PolicyScope::Global)));
        assert!(p.check(&write("a/x", false)).is_err());
        assert!(p.check(&write("b/x", false)).is_err());
        assert!(p.check(&write("c/x", false)).is_ok());
        // Allow lists of two scopes must both match.
        let p = Policy::merge(&[
            (PolicyScope::Global, rules(&["allowPaths=src/**,docs/**"])),
            (PolicyScope::Project(ProjectId(1)), rules(&["allowPaths=src/**"])),
        ]);
        assert!(p.check(&write("src/a", true)).is_ok());
        let e = p.check(&write("docs/a", true)).expect_err("narrower allow list");
        assert_eq!(e.to_string(), "allowPaths=src/** (project 1) for docs/a");
        assert!(p.check(&write("/etc/passwd", true)).is_err(), "outside the workspace");
    }

    #[test]
    fn narrower_scopes_cannot_loosen() {
        let broader = vec![(PolicyScope::Global, rules(&["canRunCommands=false", "maxTurns=5"]))];
        let set = |s: &str| vec![PolicyAssignment::parse(s).expect("ok")];
        let scope = PolicyScope::Workspace(WorkspaceId(2));
        let e = check_tightens(scope, &broader, &set("canRunCommands=true")).expect_err("loosens");
        assert!(e.to_string().contains("set at global"), "{e}");
        assert!(check_tightens(scope, &broader, &set("maxTurns=6")).is_err());
        assert!(check_tightens(scope, &broader, &set("maxTurns=2")).is_ok());
        assert!(check_tightens(scope, &broader, &set("canPushGit=false")).is_ok());
        // The global scope itself may change anything.
        assert!(check_tightens(PolicyScope::Global, &broader, &set("canRunCommands=true")).is_ok());
    }

    #[test]
    fn calls_are_judged_by_kind() {
        let p = Policy::merge(&[(
            PolicyScope::Global,
            rules(&["canCreateFiles=false", "canPushGit=false", "denyCommands=*rm -rf*", "denyTools=mcp__evil__*"]),
        )]);
        assert!(p.check(&write("new.txt", false)).is_err());
        assert!(p.check(&write("old.txt", true)).is_ok());
        assert!(p.check(&run("git status")).is_ok());
        assert!(p.check(&run("git -C x push origin main")).is_err());
        assert!(p.check(&run("echo hi | git push")).is_err());
        assert!(p.check(&run("cd / && rm -rf tmp")).is_err());
        let mcp = ToolCall { tool: "mcp__evil__x".into(), action: ToolAction::Other, paths: vec![] };
        assert_eq!(p.check(&mcp).expect_err("denied").key, PolicyKey::DenyTools);
        assert!(Policy::default().is_empty());
        assert!(p.judges_calls());
        assert!(!Policy::merge(&[(PolicyScope::Global, rules(&["maxTurns=1"]))]).judges_calls());
    }

    #[test]
    fn push_refusal_appends_to_the_environment_git_config() {
        let mut env = BTreeMap::from([("GIT_CONFIG_COUNT".to_owned(), "1".to_owned())]);
        refuse_git_push(&mut env);
        assert_eq!(env["GIT_CONFIG_COUNT"], "2");
        assert_eq!(env["GIT_CONFIG_KEY_1"], format!("url.{PUSH_REFUSED_URL}.pushInsteadOf"));
        assert_eq!(env["GIT_CONFIG_VALUE_1"], "");
    }

    #[test]
    fn git_push_is_spotted_in_lines() {
        assert!(mentions_git_push("git push"));
        assert!(mentions_git_push("/usr/bin/git push -f"));
        assert!(mentions_git_push("(cd x; git push)"));
        assert!(!mentions_git_push("git commit -m push"));
        assert!(mentions_git_push("git status && git push"));
    }
}
