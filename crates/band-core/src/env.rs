//! The environment an agent process, a terminal's shell or a tunnel process gets: an allow-list, never band's own
//! secrets.

use std::collections::BTreeMap;

use crate::agents::AgentDefinition;

/// What any process needs to work like it would in the user's shell.
const COMMON: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "COLORTERM",
    "TMPDIR",
    "TZ",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
    "SSH_AUTH_SOCK",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "IS_SANDBOX",
];

/// The agent's environment: from `base` (band-server's own environment) the allow-listed
/// common variables (and `LC_*`) plus those starting with one of the agent's own prefixes (its
/// definition's `env_prefixes`: `ANTHROPIC_` for Claude Code...), then the definition's `env`
/// (from settings) on top. Nothing named `BAND_*` ever passes, from `base` or settings: the agent
/// must not hold band's token.
pub fn agent_env(
    base: impl IntoIterator<Item = (String, String)>,
    agent: &AgentDefinition,
) -> BTreeMap<String, String> {
    let own = &agent.env_prefixes;
    let mut env: BTreeMap<String, String> = base
        .into_iter()
        .filter(|(k, _)| {
            COMMON.contains(&k.as_str())
                || k.starts_with("LC_")
                || own.iter().any(|p| !p.is_empty() && k.starts_with(p.as_str()))
        })
        .collect();
    env.extend(agent.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.retain(|k, _| !k.starts_with("BAND_"));
    env
}

/// The terminal emulator band's clients run (xterm.js); what `TERM` says in every terminal.
pub const TERMINAL_TERM: &str = "xterm-256color";

/// A terminal shell's environment: from `base` (band-server's own environment) the allow-listed
/// common variables and `LC_*`, with `TERM` set for the emulator on the other side, then `extras`
/// (the terminal settings) on top. No agent's vendor variables and nothing named `BAND_*`, from
/// `base` or `extras`: a shell in a workspace must not hold band's token. The client has no say
/// in it.
pub fn terminal_env(
    base: impl IntoIterator<Item = (String, String)>,
    extras: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> =
        base.into_iter().filter(|(k, _)| COMMON.contains(&k.as_str()) || k.starts_with("LC_")).collect();
    env.insert("TERM".into(), TERMINAL_TERM.into());
    env.insert("COLORTERM".into(), "truecolor".into());
    env.extend(extras.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.retain(|k, _| !k.starts_with("BAND_"));
    env
}

/// A tunnel process's environment (cloudflared, bore): from `base` the allow-listed common
/// variables and `LC_*`, plus their own configuration variables (`TUNNEL_*` for cloudflared,
/// `BORE_*` for bore). No agent's vendor secrets and nothing named `BAND_*`.
pub fn tunnel_env(base: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    base.into_iter()
        .filter(|(k, _)| COMMON.contains(&k.as_str()) || ["LC_", "TUNNEL_", "BORE_"].iter().any(|p| k.starts_with(p)))
        .filter(|(k, _)| !k.starts_with("BAND_"))
        .collect()
}

/// What a project's setup or teardown script learns about where it runs: set by band after the
/// allow-list, and the only `BAND_*` variables a script sees. Paths and names, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPlace {
    /// The workspace's directory (where the script runs).
    pub workspace: String,
    /// The project's own checkout (where gitignored files such as `.env` live).
    pub project: String,
    pub branch: String,
    pub base: String,
}

/// A setup or teardown script's environment: from `base` the allow-listed common variables and
/// `LC_*` (no agent's vendor secrets, nothing named `BAND_*`), then `BAND_WORKSPACE_PATH`,
/// `BAND_PROJECT_PATH`, `BAND_BRANCH` and `BAND_BASE` from `place`.
pub fn script_env(base: impl IntoIterator<Item = (String, String)>, place: &ScriptPlace) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = base
        .into_iter()
        .filter(|(k, _)| (COMMON.contains(&k.as_str()) || k.starts_with("LC_")) && !k.starts_with("BAND_"))
        .collect();
    for (k, v) in [
        ("BAND_WORKSPACE_PATH", &place.workspace),
        ("BAND_PROJECT_PATH", &place.project),
        ("BAND_BRANCH", &place.branch),
        ("BAND_BASE", &place.base),
    ] {
        env.insert(k.to_owned(), v.clone());
    }
    env
}

/// The GitHub CLI's environment: from `base` the allow-listed common variables and `LC_*`, plus
/// its own (`GH_*`, `GITHUB_*`: its host and token), with prompts, colour and update checks off.
/// Nothing named `BAND_*`.
pub fn gh_env(base: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = base
        .into_iter()
        .filter(|(k, _)| COMMON.contains(&k.as_str()) || ["LC_", "GH_", "GITHUB_"].iter().any(|p| k.starts_with(p)))
        .filter(|(k, _)| !k.starts_with("BAND_"))
        .collect();
    for (k, v) in [("GH_PROMPT_DISABLED", "1"), ("GH_NO_UPDATE_NOTIFIER", "1"), ("NO_COLOR", "1"), ("GH_PAGER", "cat")]
    {
        env.insert(k.to_owned(), v.to_owned());
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentId, AgentRegistry};

    fn base() -> Vec<(String, String)> {
        [
            ("PATH", "/bin"),
            ("HOME", "/home/u"),
            ("LC_ALL", "C"),
            ("BAND_TOKEN", "secret"),
            ("BAND_HOME", "/h"),
            ("AWS_SECRET_ACCESS_KEY", "aws"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:1"),
            ("CLAUDE_CODE_X", "1"),
            ("OPENAI_API_KEY", "o"),
            ("DISABLE_TELEMETRY", "1"),
            ("RANDOM_THING", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn agent(id: &str) -> AgentDefinition {
        AgentRegistry::builtin().get(&AgentId::new(id).expect("id")).expect("built in").clone()
    }

    #[test]
    fn claude_gets_the_common_variables_and_its_own_never_bands() {
        let env = agent_env(base(), &agent("claude-code"));
        let keys: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(keys, ["ANTHROPIC_BASE_URL", "CLAUDE_CODE_X", "DISABLE_TELEMETRY", "HOME", "LC_ALL", "PATH"]);
    }

    #[test]
    fn codex_gets_its_own_and_extras_but_band_is_filtered_even_from_extras() {
        let extras: BTreeMap<String, String> =
            [("MOCK_API_KEY", "k"), ("BAND_TOKEN", "leak")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let mut codex = agent("codex");
        codex.env = extras;
        let env = agent_env(base(), &codex);
        assert_eq!(env.get("OPENAI_API_KEY").map(String::as_str), Some("o"));
        assert_eq!(env.get("MOCK_API_KEY").map(String::as_str), Some("k"));
        assert!(!env.contains_key("ANTHROPIC_BASE_URL") && !env.contains_key("RANDOM_THING"));
        assert!(env.keys().all(|k| !k.starts_with("BAND_")));
        assert!(!env.values().any(|v| v == "secret" || v == "leak"));
    }

    #[test]
    fn a_tunnel_gets_the_common_variables_and_its_own_never_band_or_vendor_secrets() {
        let mut b = base();
        b.push(("TUNNEL_ORIGIN_CERT".into(), "/c.pem".into()));
        b.push(("BORE_SECRET".into(), "s".into()));
        let keys: Vec<String> = tunnel_env(b).into_keys().collect();
        assert_eq!(keys, ["BORE_SECRET", "HOME", "LC_ALL", "PATH", "TUNNEL_ORIGIN_CERT"]);
    }

    #[test]
    fn a_script_gets_the_common_variables_and_where_it_runs_never_band_or_vendor_secrets() {
        let place = ScriptPlace {
            workspace: "/w/app/x".into(),
            project: "/code/app".into(),
            branch: "x".into(),
            base: "main".into(),
        };
        let env = script_env(base(), &place);
        let keys: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["BAND_BASE", "BAND_BRANCH", "BAND_PROJECT_PATH", "BAND_WORKSPACE_PATH", "HOME", "LC_ALL", "PATH"]
        );
        assert!(!env.values().any(|v| v == "secret" || v == "aws" || v == "o"));
    }

    #[test]
    fn gh_gets_its_own_token_and_no_prompts_never_band() {
        let mut b = base();
        b.push(("GH_TOKEN".into(), "ghp".into()));
        let env = gh_env(b);
        assert_eq!(env.get("GH_TOKEN").map(String::as_str), Some("ghp"));
        assert_eq!(env.get("GH_PROMPT_DISABLED").map(String::as_str), Some("1"));
        assert!(env.keys().all(|k| !k.starts_with("BAND_")) && !env.contains_key("OPENAI_API_KEY"));
    }

    #[test]
    fn a_terminal_gets_the_common_variables_and_an_xterm_never_band_or_vendor_secrets() {
        let mut b = base();
        b.push(("TERM".into(), "dumb".into()));
        let extras: BTreeMap<String, String> =
            [("EDITOR", "vi"), ("BAND_TOKEN", "leak")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let env = terminal_env(b, &extras);
        let keys: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(keys, ["COLORTERM", "EDITOR", "HOME", "LC_ALL", "PATH", "TERM"]);
        assert_eq!(env["TERM"], "xterm-256color");
        assert!(!env.values().any(|v| v == "secret" || v == "leak"));
    }
}
