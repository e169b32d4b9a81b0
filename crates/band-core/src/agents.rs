//! The agent registry, as data: which agents band knows, how each is started (its protocol, its
//! binary and arguments), which of band-server's environment variables it gets, how to install
//! it, how to ask its version, and whether band proves it in CI against its real CLI.
//!
//! Built-in definitions ([`AgentRegistry::builtin`]) are overlaid by the user's settings
//! (`agents.<id>` in settings.json, parsed by the composition root into [`AgentOverride`]s), so a
//! new ACP agent needs no release of band. Ids are stable: chats store them, and a chat keeps
//! working as long as its id is in the registry.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{CoreError, Fix, ListOf, Problem};
use crate::names::{NameError, shown};

/// An agent's id: 1 to 40 characters of lowercase ASCII letters, digits and `-`, starting with a
/// letter, with no `-` at the end or twice in a row (`claude-code`, `gemini`, `qwen-code`). The
/// pattern is [`AgentId::PATTERN`]. It names the agent in chats, settings and the API, so it is
/// also safe in a file name and on a command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(String);

impl AgentId {
    pub const MAX_LEN: usize = 40;
    /// The ids' pattern, as a regular expression (for schemas and documentation).
    pub const PATTERN: &'static str = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$";
    /// The agent a chat gets when none is named.
    pub const DEFAULT: &'static str = "claude-code";

    /// # Errors
    /// Anything outside [`AgentId::PATTERN`] or longer than [`AgentId::MAX_LEN`].
    pub fn new(value: &str) -> Result<Self, NameError> {
        let refuse = |reason: &str| NameError {
            what: "agent id",
            value: shown(value),
            reason: format!(
                "{reason}; an agent id is lowercase letters, digits and single '-' between them, like 'claude-code'"
            ),
        };
        if value.is_empty() {
            return Err(refuse("it is empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(refuse(&format!("it is longer than {} characters", Self::MAX_LEN)));
        }
        if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(refuse("it must start with a lowercase letter"));
        }
        if let Some(c) = value.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
            return Err(refuse(&format!("'{}' is not allowed", c.escape_debug())));
        }
        if value.ends_with('-') || value.contains("--") {
            return Err(refuse("'-' must stand between letters or digits"));
        }
        Ok(Self(value.to_owned()))
    }

    /// The default agent, Claude Code.
    pub fn default_agent() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// How band talks to an agent; each has its own adapter (a terminal agent runs in a PTY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgentProtocol {
    /// Claude Code's stream-json with its control protocol.
    ClaudeStreamJson,
    /// Codex's `app-server` JSON-RPC.
    CodexAppServer,
    /// The Agent Client Protocol: JSON-RPC 2.0 over stdio.
    Acp,
    /// An interactive CLI in a terminal.
    Terminal,
}

impl AgentProtocol {
    pub const ALL: [AgentProtocol; 4] = [Self::ClaudeStreamJson, Self::CodexAppServer, Self::Acp, Self::Terminal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeStreamJson => "claude-stream-json",
            Self::CodexAppServer => "codex-app-server",
            Self::Acp => "acp",
            Self::Terminal => "terminal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How to install an agent, as data each edge words (`npm install -g ...`, a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    /// An npm package that provides the binary.
    Npm(String),
    /// A page that says how.
    Url(String),
}

/// One agent band can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDefinition {
    pub id: AgentId,
    /// What people call it: "Gemini CLI".
    pub name: String,
    pub protocol: AgentProtocol,
    /// The program: a name looked up on the agent's PATH, or an absolute path.
    pub binary: String,
    /// Arguments before anything the adapter adds (`--acp` for Gemini CLI's ACP mode).
    pub args: Vec<String>,
    /// Prefixes of band-server's environment variables the agent gets besides the common ones
    /// (`GEMINI_`, `GOOGLE_`): its own keys and switches.
    pub env_prefixes: Vec<String>,
    /// Variables set for it (from settings), on top of the allow-listed environment.
    pub env: BTreeMap<String, String>,
    pub install: Option<Install>,
    /// The arguments that make it print its version and exit (`--version`).
    pub version_args: Vec<String>,
    /// True when band's contract suite runs its real CLI (at a pinned version) in CI.
    pub proven: bool,
    /// True when settings.json defines or changes it.
    pub configured: bool,
}

/// An agent as settings.json gives it (`agents.<id>`): every field changes a built-in
/// definition; a new id needs at least a protocol and a binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentOverride {
    pub name: Option<String>,
    pub protocol: Option<AgentProtocol>,
    pub binary: Option<String>,
    pub args: Option<Vec<String>>,
    pub env_prefixes: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub install: Option<Install>,
    pub version_args: Option<Vec<String>>,
}

/// Every agent band knows, in a stable order: built-in ones first (proven ones first), then the
/// ones settings add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRegistry {
    agents: Vec<AgentDefinition>,
}

impl AgentRegistry {
    /// The built-in definitions alone.
    pub fn builtin() -> Self {
        Self { agents: builtin() }
    }

    /// The built-in definitions overlaid with settings.
    ///
    /// # Errors
    /// `InvalidInput` for a new agent without a protocol or a binary, or a binary that is empty.
    pub fn with_settings(overrides: BTreeMap<AgentId, AgentOverride>) -> Result<Self, CoreError> {
        let mut agents = builtin();
        for (id, o) in overrides {
            if let Some(b) = &o.binary
                && (b.trim().is_empty() || (b.contains('/') && !b.starts_with('/')))
            {
                return Err(CoreError::InvalidInput(
                    format!(
                        "agents.{id}.binary '{}' must be a program name (looked up on PATH) or an absolute path",
                        shown(b)
                    )
                    .into(),
                ));
            }
            match agents.iter_mut().find(|a| a.id == id) {
                Some(a) => {
                    a.name = o.name.unwrap_or(a.name.clone());
                    a.protocol = o.protocol.unwrap_or(a.protocol);
                    a.binary = o.binary.unwrap_or(a.binary.clone());
                    a.args = o.args.unwrap_or(a.args.clone());
                    a.env_prefixes = o.env_prefixes.unwrap_or(a.env_prefixes.clone());
                    a.env.extend(o.env);
                    a.install = o.install.or(a.install.clone());
                    a.version_args = o.version_args.unwrap_or(a.version_args.clone());
                    a.configured = true;
                }
                None => {
                    let (Some(protocol), Some(binary)) = (o.protocol, o.binary) else {
                        return Err(CoreError::InvalidInput(
                            format!(
                                "agents.{id} is not a built-in agent, so it needs a protocol (one of: {}) and a binary",
                                AgentProtocol::ALL.map(AgentProtocol::as_str).join(", ")
                            )
                            .into(),
                        ));
                    };
                    agents.push(AgentDefinition {
                        name: o.name.unwrap_or_else(|| id.to_string()),
                        id,
                        protocol,
                        binary,
                        args: o.args.unwrap_or_default(),
                        env_prefixes: o.env_prefixes.unwrap_or_default(),
                        env: o.env,
                        install: o.install,
                        version_args: o.version_args.unwrap_or_else(|| vec!["--version".to_owned()]),
                        proven: false,
                        configured: true,
                    });
                }
            }
        }
        Ok(Self { agents })
    }

    pub fn all(&self) -> &[AgentDefinition] {
        &self.agents
    }

    /// # Errors
    /// `NotFound`, with the list of agents as the fix, for an id band does not know.
    pub fn get(&self, id: &AgentId) -> Result<&AgentDefinition, CoreError> {
        self.agents.iter().find(|a| a.id == *id).ok_or_else(|| {
            CoreError::NotFound(
                Problem::new(format!("no agent '{id}' (band knows {} agents)", self.agents.len()))
                    .fix(Fix::SeeList(ListOf::Agents)),
            )
        })
    }
}

/// One built-in definition, in a line.
struct Builtin {
    id: &'static str,
    name: &'static str,
    protocol: AgentProtocol,
    binary: &'static str,
    args: &'static [&'static str],
    env_prefixes: &'static [&'static str],
    install: HowToInstall,
    proven: bool,
}

enum HowToInstall {
    Npm(&'static str),
    Url(&'static str),
}

use AgentProtocol::{Acp, ClaudeStreamJson, CodexAppServer, Terminal};
use HowToInstall::{Npm, Url};

/// The agents band knows without settings. Proven ones are run by the contract suite
/// (`tests/contract.rs`) with their real CLI at the version `scripts/agents.sh` pins; the others
/// are defined from their own documentation and marked unproven.
const BUILTIN: &[Builtin] = &[
    Builtin {
        id: "claude-code",
        name: "Claude Code",
        protocol: ClaudeStreamJson,
        binary: "claude",
        args: &[],
        env_prefixes: &["ANTHROPIC_", "CLAUDE_", "DISABLE_"],
        install: Npm("@anthropic-ai/claude-code"),
        proven: true,
    },
    Builtin {
        id: "codex",
        name: "Codex",
        protocol: CodexAppServer,
        binary: "codex",
        args: &[],
        env_prefixes: &["OPENAI_", "CODEX_", "DISABLE_"],
        install: Npm("@openai/codex"),
        proven: true,
    },
    Builtin {
        id: "gemini",
        name: "Gemini CLI",
        protocol: Acp,
        binary: "gemini",
        args: &["--acp"],
        env_prefixes: &["GEMINI_", "GOOGLE_"],
        install: Npm("@google/gemini-cli"),
        proven: true,
    },
    Builtin {
        id: "opencode",
        name: "OpenCode",
        protocol: Acp,
        binary: "opencode",
        args: &["acp"],
        env_prefixes: &["OPENCODE_", "ANTHROPIC_", "OPENAI_", "GEMINI_", "GOOGLE_", "OPENROUTER_"],
        install: Npm("opencode-ai"),
        proven: true,
    },
    Builtin {
        id: "qwen-code",
        name: "Qwen Code",
        protocol: Acp,
        binary: "qwen",
        args: &["--acp"],
        env_prefixes: &["QWEN_", "OPENAI_", "DASHSCOPE_"],
        install: Npm("@qwen-code/qwen-code"),
        proven: true,
    },
    Builtin {
        id: "claude-acp",
        name: "Claude Code (ACP bridge)",
        protocol: Acp,
        binary: "claude-code-acp",
        args: &[],
        env_prefixes: &["ANTHROPIC_", "CLAUDE_", "DISABLE_"],
        install: Npm("@zed-industries/claude-code-acp"),
        proven: false,
    },
    Builtin {
        id: "codex-acp",
        name: "Codex (ACP bridge)",
        protocol: Acp,
        binary: "codex-acp",
        args: &[],
        env_prefixes: &["OPENAI_", "CODEX_"],
        install: Npm("@zed-industries/codex-acp"),
        proven: false,
    },
    Builtin {
        id: "copilot",
        name: "GitHub Copilot CLI",
        protocol: Acp,
        binary: "copilot",
        args: &["--acp"],
        env_prefixes: &["COPILOT_", "GH_", "GITHUB_"],
        install: Npm("@github/copilot"),
        proven: false,
    },
    Builtin {
        id: "cursor",
        name: "Cursor Agent",
        protocol: Terminal,
        binary: "cursor-agent",
        args: &[],
        env_prefixes: &["CURSOR_"],
        install: Url("https://cursor.com/cli"),
        proven: false,
    },
    Builtin {
        id: "goose",
        name: "Goose",
        protocol: Acp,
        binary: "goose",
        args: &["acp"],
        env_prefixes: &["GOOSE_", "ANTHROPIC_", "OPENAI_", "GOOGLE_", "OLLAMA_"],
        install: Url("https://block.github.io/goose/docs/getting-started/installation"),
        proven: false,
    },
    Builtin {
        id: "amp",
        name: "Amp",
        protocol: Terminal,
        binary: "amp",
        args: &[],
        env_prefixes: &["AMP_"],
        install: Npm("@sourcegraph/amp"),
        proven: false,
    },
    Builtin {
        id: "auggie",
        name: "Auggie (Augment Code)",
        protocol: Acp,
        binary: "auggie",
        args: &["--acp"],
        env_prefixes: &["AUGMENT_"],
        install: Npm("@augmentcode/auggie"),
        proven: false,
    },
    Builtin {
        id: "kilo",
        name: "Kilo Code CLI",
        protocol: Acp,
        binary: "kilo",
        args: &["acp"],
        env_prefixes: &["KILO_", "ANTHROPIC_", "OPENAI_", "OPENROUTER_"],
        install: Npm("@kilocode/cli"),
        proven: false,
    },
    Builtin {
        id: "kimi",
        name: "Kimi CLI",
        protocol: Acp,
        binary: "kimi",
        args: &["--acp"],
        env_prefixes: &["KIMI_", "MOONSHOT_"],
        install: Url("https://github.com/MoonshotAI/kimi-cli"),
        proven: false,
    },
    Builtin {
        id: "mistral-vibe",
        name: "Mistral Vibe",
        protocol: Acp,
        binary: "vibe-acp",
        args: &[],
        env_prefixes: &["MISTRAL_", "VIBE_"],
        install: Url("https://github.com/mistralai/mistral-vibe"),
        proven: false,
    },
    Builtin {
        id: "crush",
        name: "Crush",
        protocol: Terminal,
        binary: "crush",
        args: &[],
        env_prefixes: &["CRUSH_", "ANTHROPIC_", "OPENAI_", "GEMINI_", "OPENROUTER_"],
        install: Npm("@charmland/crush"),
        proven: false,
    },
    Builtin {
        id: "continue",
        name: "Continue CLI",
        protocol: Terminal,
        binary: "cn",
        args: &[],
        env_prefixes: &["CONTINUE_"],
        install: Npm("@continuedev/cli"),
        proven: false,
    },
    Builtin {
        id: "droid",
        name: "Factory Droid",
        protocol: Terminal,
        binary: "droid",
        args: &[],
        env_prefixes: &["FACTORY_"],
        install: Url("https://docs.factory.ai/cli/getting-started/quickstart"),
        proven: false,
    },
    Builtin {
        id: "pi",
        name: "pi",
        protocol: Terminal,
        binary: "pi",
        args: &[],
        env_prefixes: &["PI_", "ANTHROPIC_", "OPENAI_", "GEMINI_"],
        install: Npm("@mariozechner/pi-coding-agent"),
        proven: false,
    },
    Builtin {
        id: "cline",
        name: "Cline CLI",
        protocol: Terminal,
        binary: "cline",
        args: &[],
        env_prefixes: &["CLINE_"],
        install: Npm("cline"),
        proven: false,
    },
    Builtin {
        id: "aider",
        name: "Aider",
        protocol: Terminal,
        binary: "aider",
        args: &[],
        env_prefixes: &["AIDER_", "ANTHROPIC_", "OPENAI_", "GEMINI_", "OLLAMA_"],
        install: Url("https://aider.chat/docs/install.html"),
        proven: false,
    },
    Builtin {
        id: "ollama",
        name: "Local model (Ollama)",
        protocol: Terminal,
        binary: "ollama",
        args: &["run", "qwen3-coder"],
        env_prefixes: &["OLLAMA_"],
        install: Url("https://ollama.com/download"),
        proven: false,
    },
];

fn builtin() -> Vec<AgentDefinition> {
    BUILTIN
        .iter()
        .map(|b| AgentDefinition {
            id: AgentId(b.id.to_owned()),
            name: b.name.to_owned(),
            protocol: b.protocol,
            binary: b.binary.to_owned(),
            args: b.args.iter().map(|s| (*s).to_owned()).collect(),
            env_prefixes: b.env_prefixes.iter().map(|s| (*s).to_owned()).collect(),
            env: BTreeMap::new(),
            install: Some(match b.install {
                Npm(p) => Install::Npm(p.to_owned()),
                Url(u) => Install::Url(u.to_owned()),
            }),
            version_args: vec!["--version".to_owned()],
            proven: b.proven,
            configured: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_words_joined_by_single_dashes() {
        for good in ["claude-code", "codex", "qwen-code", "a", "kimi2", "x-1-y"] {
            assert_eq!(AgentId::new(good).map(|i| i.to_string()), Ok(good.to_owned()));
        }
        for (bad, why) in [
            ("", "it is empty"),
            ("Claude", "must start with a lowercase letter"),
            ("1agent", "must start with a lowercase letter"),
            ("claude_code", "'_' is not allowed"),
            ("gemini ", "' ' is not allowed"),
            ("a--b", "between letters or digits"),
            ("agent-", "between letters or digits"),
            ("../x", "must start with a lowercase letter"),
        ] {
            let e = AgentId::new(bad).expect_err(bad);
            assert!(e.to_string().contains(why), "{bad}: {e}");
            assert!(e.to_string().contains("like 'claude-code'"), "{e}");
        }
        assert!(AgentId::new(&"a".repeat(41)).is_err());
    }

    #[test]
    fn the_builtin_registry_has_twenty_agents_with_valid_unique_ids_and_the_five_proven_ones() {
        let registry = AgentRegistry::builtin();
        let all = registry.all();
        assert!(all.len() >= 20, "{}", all.len());
        let mut ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
        for id in &ids {
            AgentId::new(id).expect("a valid id");
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "ids are unique");
        let proven: Vec<&str> = all.iter().filter(|a| a.proven).map(|a| a.id.as_str()).collect();
        assert_eq!(proven, ["claude-code", "codex", "gemini", "opencode", "qwen-code"]);
        assert!(all.iter().all(|a| a.install.is_some() && !a.binary.is_empty() && !a.name.is_empty()));
        let default = registry.get(&AgentId::default_agent()).expect("the default agent is built in");
        assert_eq!(default.protocol, ClaudeStreamJson);
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    fn id(s: &str) -> AgentId {
        AgentId::new(s).expect("id")
    }

    #[test]
    fn settings_change_a_builtin_agent_and_add_new_ones() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            id("gemini"),
            AgentOverride {
                binary: Some("/opt/gemini/bin/gemini".into()),
                env: BTreeMap::from([("GEMINI_API_KEY".to_owned(), "k".to_owned())]),
                ..AgentOverride::default()
            },
        );
        overrides.insert(
            id("my-agent"),
            AgentOverride {
                protocol: Some(Acp),
                binary: Some("my-agent".into()),
                args: Some(vec!["--stdio".into()]),
                ..AgentOverride::default()
            },
        );
        let registry = AgentRegistry::with_settings(overrides).expect("valid");
        let gemini = registry.get(&id("gemini")).expect("gemini");
        assert_eq!(
            (gemini.binary.as_str(), gemini.args.as_slice()),
            ("/opt/gemini/bin/gemini", &["--acp".to_owned()][..])
        );
        assert!(gemini.configured && gemini.proven);
        assert_eq!(gemini.env["GEMINI_API_KEY"], "k");
        let mine = registry.get(&id("my-agent")).expect("added");
        assert_eq!((mine.name.as_str(), mine.protocol, mine.proven), ("my-agent", Acp, false));
        assert_eq!(registry.all().last().map(|a| a.id.as_str()), Some("my-agent"));
    }

    #[test]
    fn a_new_agent_without_protocol_or_binary_is_refused_and_an_unknown_id_names_the_list() {
        let overrides =
            BTreeMap::from([(id("mystery"), AgentOverride { binary: Some("x".into()), ..Default::default() })]);
        let e = AgentRegistry::with_settings(overrides).expect_err("no protocol");
        assert!(e.to_string().contains("agents.mystery is not a built-in agent, so it needs a protocol (one of: claude-stream-json, codex-app-server, acp, terminal)"), "{e}");
        for bad in [" ", "bin/codex", "./codex"] {
            let o = BTreeMap::from([(id("codex"), AgentOverride { binary: Some(bad.into()), ..Default::default() })]);
            let e = AgentRegistry::with_settings(o).expect_err(bad);
            assert!(e.to_string().contains("must be a program name (looked up on PATH) or an absolute path"), "{e}");
        }
        let e = AgentRegistry::builtin().get(&id("nope")).expect_err("unknown");
        assert!(matches!(&e, CoreError::NotFound(p) if p.fix == Some(Fix::SeeList(ListOf::Agents))), "{e:?}");
        assert!(e.to_string().starts_with("no agent 'nope'"), "{e}");
    }
}
