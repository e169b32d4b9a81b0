//! Running the real agent CLIs offline against a [`MockModel`]: where `./scripts/agents.sh` put
//! them, and band settings (`$BAND_HOME/settings.json`) that point them at the mock with every
//! outbound switch off (see AGENTS.md). Shared by the end-to-end tests of several crates.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::MockModel;

/// Where ./scripts/agents.sh put the CLIs.
pub fn agents_bin() -> PathBuf {
    let dir = std::env::var_os("BAND_AGENTS_BIN").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/band/agents/node_modules/.bin")
    });
    assert!(
        dir.join("claude").exists() && dir.join("codex").exists(),
        "the agent CLIs are not in {}: run ./scripts/agents.sh (the README's test command does)",
        dir.display()
    );
    dir
}

/// Writes `<home>/settings.json` so that band-server runs the real agents against `mock`,
/// offline, with a scratch HOME under `home` (their own config files go there, never the user's).
pub fn configure_band_home(home: &Path, mock: &MockModel) {
    let scratch = home.join("agent-home");
    std::fs::create_dir_all(scratch.join(".claude")).expect("scratch");
    std::fs::create_dir_all(scratch.join("codex")).expect("scratch");
    std::fs::write(scratch.join("codex/config.toml"), codex_config(mock)).expect("codex config");
    let bin = agents_bin();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let scratch = scratch.display().to_string();
    let settings = json!({
        "agents": {
            "claude-code": {
                "binary": bin.join("claude"),
                "env": {
                    "PATH": path,
                    "HOME": scratch,
                    "CLAUDE_CONFIG_DIR": format!("{scratch}/.claude"),
                    "ANTHROPIC_BASE_URL": mock.url(),
                    "ANTHROPIC_API_KEY": "test",
                    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                    "DISABLE_TELEMETRY": "1",
                    "DISABLE_AUTOUPDATER": "1",
                    "DISABLE_ERROR_REPORTING": "1",
                }
            },
            "codex": {
                "binary": bin.join("codex"),
                "env": {
                    "PATH": path,
                    "HOME": scratch,
                    "CODEX_HOME": format!("{scratch}/codex"),
                    "MOCK_API_KEY": "test",
                }
            }
        }
    });
    std::fs::write(home.join("settings.json"), settings.to_string()).expect("settings");
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
