//! Running the real agent CLIs offline against a [`MockModel`]: where `./scripts/agents.sh` put
//! them, each CLI's offline settings (AGENTS.md: every outbound switch off, the mock as its
//! model), and band settings (`$BAND_HOME/settings.json`) that run them so. Every CLI gets
//! scratch HOME, XDG and config directories under band's home: never the user's own `~/.gemini`,
//! `~/.qwen`, `~/.config/opencode`... Shared by the end-to-end tests of several crates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{MockModel, MockTurn};

/// One CLI band proves: its agent id, binary, and the tools the mock must call it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cli {
    /// Its id in band's agent registry.
    pub id: &'static str,
    pub binary: &'static str,
    /// The npm package and version `scripts/agents.sh` pins (read from the script).
    pub package: &'static str,
}

/// The five CLIs band runs for real: Claude Code, Codex, Gemini CLI, OpenCode, Qwen Code.
pub const CLIS: [Cli; 5] = [CLAUDE, CODEX, GEMINI, OPENCODE, QWEN];
pub const CLAUDE: Cli = Cli { id: "claude-code", binary: "claude", package: "@anthropic-ai/claude-code" };
pub const CODEX: Cli = Cli { id: "codex", binary: "codex", package: "@openai/codex" };
pub const GEMINI: Cli = Cli { id: "gemini", binary: "gemini", package: "@google/gemini-cli" };
pub const OPENCODE: Cli = Cli { id: "opencode", binary: "opencode", package: "opencode-ai" };
pub const QWEN: Cli = Cli { id: "qwen-code", binary: "qwen", package: "@qwen-code/qwen-code" };

impl Cli {
    /// A model turn that writes `content` to `path` with the CLI's own file tool (Codex: an
    /// `apply_patch` adding the file).
    pub fn write(&self, path: &Path, content: &str) -> MockTurn {
        let p = path.display().to_string();
        match self.id {
            "claude-code" => MockTurn::tool("Write", json!({"file_path": p, "content": content})),
            "codex" => {
                let lines: String = content.lines().map(|l| format!("+{l}\n")).collect();
                MockTurn::tool(
                    "apply_patch",
                    json!(format!("*** Begin Patch\n*** Add File: {p}\n{lines}*** End Patch\n")),
                )
            }
            "opencode" => MockTurn::tool("write", json!({"filePath": p, "content": content})),
            _ => MockTurn::tool("write_file", json!({"file_path": p, "content": content})),
        }
    }

    /// A model turn that runs `command` with the CLI's own shell tool.
    pub fn shell(&self, command: &str) -> MockTurn {
        match self.id {
            "claude-code" => MockTurn::tool("Bash", json!({"command": command, "description": "run it"})),
            "codex" => MockTurn::tool("exec_command", json!({"cmd": command})),
            "opencode" => MockTurn::tool("bash", json!({"command": command, "description": "run it"})),
            _ => MockTurn::tool("run_shell_command", json!({"command": command})),
        }
    }

    /// The version `scripts/agents.sh` pins for it.
    pub fn pinned_version(&self) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/agents.sh");
        let text = std::fs::read_to_string(&script).unwrap_or_default();
        let prefix = format!("\"{}@", self.package);
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(&prefix))
            .filter_map(|rest| rest.split_whitespace().next())
            .next()
            .unwrap_or_else(|| panic!("{} pins no version of {}", script.display(), self.package))
            .to_owned()
    }
}

/// Where ./scripts/agents.sh put the CLIs.
pub fn agents_bin() -> PathBuf {
    let dir = std::env::var_os("BAND_AGENTS_BIN").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/band/agents/node_modules/.bin")
    });
    let missing: Vec<&str> = CLIS.iter().map(|c| c.binary).filter(|b| !dir.join(b).exists()).collect();
    assert!(
        missing.is_empty(),
        "the agent CLIs {missing:?} are not in {}: run ./scripts/agents.sh (the README's test command does)",
        dir.display()
    );
    dir
}

/// Writes `<home>/settings.json` so that band-server runs the five real agents against `mock`,
/// offline, each with scratch directories under `<home>/agent-home/<id>` (their own config files
/// go there, never the user's).
pub fn configure_band_home(home: &Path, mock: &MockModel) {
    let agents: serde_json::Map<String, Value> = CLIS
        .iter()
        .map(|cli| {
            let binary = agents_bin().join(cli.binary);
            let settings = json!({"binary": binary, "env": cli_env(cli, &home.join("agent-home"), mock)});
            (cli.id.to_owned(), settings)
        })
        .collect();
    // OpenCode's and Qwen Code's model is the mock's own: priced here, so their cost is estimated.
    let prices = json!({"mock-model": {"input": 1.0, "output": 2.0}});
    std::fs::write(home.join("settings.json"), json!({ "agents": agents, "prices": prices }).to_string())
        .expect("settings");
}

/// The environment that runs `cli` offline against `mock`, its config files written under
/// `<scratch>/<id>` (created here).
pub fn cli_env(cli: &Cli, scratch: &Path, mock: &MockModel) -> BTreeMap<String, String> {
    let dir = scratch.join(cli.id);
    let d = |sub: &str| {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).expect("scratch dir");
        p.display().to_string()
    };
    let path = format!("{}:{}", agents_bin().display(), std::env::var("PATH").unwrap_or_default());
    let mut env: BTreeMap<String, String> = [
        ("PATH", path),
        ("HOME", d("")),
        ("XDG_CONFIG_HOME", d("config")),
        ("XDG_DATA_HOME", d("data")),
        ("XDG_CACHE_HOME", d("cache")),
        ("XDG_STATE_HOME", d("state")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    match cli.id {
        "claude-code" => {
            set("CLAUDE_CONFIG_DIR", d(".claude"));
            set("ANTHROPIC_BASE_URL", mock.url());
            set("ANTHROPIC_API_KEY", "test".into());
            for switch in [
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
                "DISABLE_TELEMETRY",
                "DISABLE_AUTOUPDATER",
                "DISABLE_ERROR_REPORTING",
            ] {
                set(switch, "1".into());
            }
        }
        "codex" => {
            let codex_home = d("codex");
            std::fs::write(Path::new(&codex_home).join("config.toml"), codex_config(mock)).expect("codex config");
            set("CODEX_HOME", codex_home);
            set("MOCK_API_KEY", "test".into());
        }
        "gemini" => {
            let settings = json!({
                "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}},
                "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                // A model named: no router call.
                "model": {"name": "gemini-2.5-flash"},
            });
            std::fs::write(Path::new(&d(".gemini")).join("settings.json"), settings.to_string())
                .expect("gemini settings");
            set("GEMINI_API_KEY", "test".into());
            set("GOOGLE_GEMINI_BASE_URL", mock.url());
            set("GEMINI_CLI_NO_RELAUNCH", "true".into());
        }
        "opencode" => {
            let config = json!({
                "$schema": "https://opencode.ai/config.json",
                "provider": {"mock": {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "Mock",
                    "options": {"baseURL": format!("{}/v1", mock.url()), "apiKey": "test"},
                    "models": {"mock-model": {"name": "Mock"}},
                }},
                "model": "mock/mock-model",
                "small_model": "mock/mock-model",
                // Without it, OpenCode edits and runs commands without asking.
                "permission": {"edit": "ask", "bash": "ask"},
                "autoupdate": false,
                "share": "disabled",
            });
            let file = Path::new(&d("")).join("opencode.json");
            std::fs::write(&file, config.to_string()).expect("opencode config");
            // Its plugin directory, already "installed": else it runs npm in the background.
            let plugins = PathBuf::from(d("config/opencode"));
            std::fs::create_dir_all(plugins.join("node_modules")).expect("plugin dir");
            let deps = json!({"@opencode-ai/plugin": OPENCODE.pinned_version()});
            std::fs::write(plugins.join("package.json"), json!({"dependencies": deps}).to_string()).expect("stub");
            let lock = json!({"name": "opencode", "lockfileVersion": 3, "requires": true,
                "packages": {"": {"dependencies": deps}}});
            std::fs::write(plugins.join("package-lock.json"), lock.to_string()).expect("stub lock");
            set("OPENCODE_CONFIG", file.display().to_string());
            for switch in ["AUTOUPDATE", "MODELS_FETCH", "LSP_DOWNLOAD", "DEFAULT_PLUGINS", "SHARE", "CLAUDE_CODE"] {
                set(&format!("OPENCODE_DISABLE_{switch}"), "1".into());
            }
        }
        "qwen-code" => {
            let settings = json!({
                "security": {"auth": {"selectedType": "openai"}, "folderTrust": {"enabled": false}},
                "general": {"enableAutoUpdate": false},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                "model": {"name": "mock-model"},
                // Its default, `auto`, writes without asking.
                "tools": {"approvalMode": "default"},
                // Else two more model calls a turn.
                "ui": {"enableFollowupSuggestions": false},
                "memory": {"enableManagedAutoMemory": false},
            });
            std::fs::write(Path::new(&d(".qwen")).join("settings.json"), settings.to_string()).expect("qwen settings");
            set("OPENAI_BASE_URL", format!("{}/v1", mock.url()));
            set("OPENAI_API_KEY", "test".into());
            set("OPENAI_MODEL", "mock-model".into());
        }
        other => panic!("no offline settings for {other}"),
    }
    env
}

/// Codex's `config.toml` for `mock`: its provider (key in `MOCK_API_KEY`), no retries, and every
/// feature that would reach the network off.
pub fn codex_config(mock: &MockModel) -> String {
    format!(
        r#"model_provider = "mock"
model = "gpt-5.5"
check_for_update_on_startup = false

[model_providers.mock]
name = "mock"
base_url = "{}/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false
remote_plugin = false
apps = false
tool_suggest = false
plugin_sharing = false

[analytics]
enabled = false

[otel]
exporter = "none"
"#,
        mock.url()
    )
}
