//! [`JsonConfigs`]: band-core's [`ProjectConfigs`] on `.band/config.json` (or band's override of
//! it), parsed strictly: an unknown key, a value of the wrong type, a glob that would leave the
//! repository or a script too long is an error naming the key and what is allowed, never
//! ignored. The scripts' hash is the SHA-256 of [`ProjectConfig::scripts_text`].

use std::io::Read;
use std::path::Path;

use async_trait::async_trait;
use band_core::ports::ProjectConfigs;
use band_core::{
    CONFIG_FILE, ConfigDefaults, ConfigError, ConfigSource, CopyGlob, DEFAULT_SCRIPT_TIMEOUT_SECS, GitRef,
    MAX_SCRIPT_BYTES, MAX_SCRIPT_TIMEOUT_SECS, ModelName, PermissionMode, ProjectConfig,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The largest configuration file band reads.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;

const KEYS: &[&str] = &["setup", "teardown", "scriptTimeoutSeconds", "copyFiles", "defaults"];
const DEFAULT_KEYS: &[&str] = &["agent", "model", "mode", "baseBranch"];

/// Reads project configurations from checkouts on the local disk.
#[derive(Debug, Clone, Default)]
pub struct JsonConfigs;

#[async_trait]
impl ProjectConfigs for JsonConfigs {
    async fn load(&self, checkout: &Path, override_json: Option<&str>) -> Result<Option<ProjectConfig>, ConfigError> {
        if let Some(text) = override_json {
            return parse(text, "band's override of the configuration", ConfigSource::Override).map(Some);
        }
        let checkout = checkout.to_owned();
        tokio::task::spawn_blocking(move || {
            let file = checkout.join(CONFIG_FILE);
            let name = file.display().to_string();
            let Some(text) = read_config(&checkout, &name)? else { return Ok(None) };
            parse(&text, &name, ConfigSource::Repository(file)).map(Some)
        })
        .await
        .map_err(|e| ConfigError::Internal(Box::new(e)))?
    }
}

fn invalid(source: &str, what: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { source_name: source.to_owned(), what: what.into() }
}

/// The file's text: `.band` a real directory and `config.json` a regular file (neither a
/// symlink), at most [`MAX_CONFIG_BYTES`], UTF-8. `None` when there is none.
fn read_config(checkout: &Path, name: &str) -> Result<Option<String>, ConfigError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = checkout.join(".band");
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(invalid(name, format!("cannot be read: {e}"))),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(invalid(
                name,
                ".band is a symlink; band reads its configuration only from the repository itself",
            ));
        }
        Ok(m) if !m.is_dir() => return Ok(None),
        Ok(_) => {}
    }
    let path = checkout.join(CONFIG_FILE);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32 | rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(invalid(name, "it is a symlink; band reads its configuration only from the repository itself"));
        }
        Err(e) => return Err(invalid(name, format!("cannot be read: {e}"))),
    };
    let meta = file.metadata().map_err(|e| invalid(name, format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(invalid(name, "it is not a regular file"));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(invalid(
            name,
            format!("it is {} bytes; a configuration may have at most {MAX_CONFIG_BYTES}", meta.len()),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(name, format!("cannot be read: {e}")))?;
    String::from_utf8(bytes).map(Some).map_err(|_| invalid(name, "it is not UTF-8 text"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn unknown_keys(source: &str, object: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), ConfigError> {
    if let Some(key) = object.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(invalid(
            source,
            format!("unknown key '{at}{}'; the keys are: {}", band_core_shown(key), known.join(", ")),
        ));
    }
    Ok(())
}

fn band_core_shown(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect::<String>().escape_debug().to_string();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

fn string<'a>(source: &str, key: &str, v: &'a Value) -> Result<&'a str, ConfigError> {
    v.as_str().ok_or_else(|| invalid(source, format!("'{key}' must be a string, not {}", type_name(v))))
}

fn script(source: &str, key: &str, v: &Value) -> Result<Option<String>, ConfigError> {
    let text = string(source, key, v)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    if text.len() > MAX_SCRIPT_BYTES {
        return Err(invalid(
            source,
            format!("'{key}' is {} bytes; a script may have at most {MAX_SCRIPT_BYTES}", text.len()),
        ));
    }
    if text.contains('\0') {
        return Err(invalid(source, format!("'{key}' contains a NUL character")));
    }
    Ok(Some(text.to_owned()))
}

/// Parses a configuration document; `source` names it in errors.
///
/// # Errors
/// [`ConfigError::Invalid`] saying what is wrong and where.
pub fn parse(text: &str, source: &str, from: ConfigSource) -> Result<ProjectConfig, ConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| invalid(source, format!("it is not valid JSON: {e}")))?;
    let Value::Object(root) = value else {
        return Err(invalid(source, format!("it must be a JSON object, not {}", type_name(&value))));
    };
    unknown_keys(source, &root, KEYS, "")?;
    let setup = root.get("setup").map(|v| script(source, "setup", v)).transpose()?.flatten();
    let teardown = root.get("teardown").map(|v| script(source, "teardown", v)).transpose()?.flatten();
    let script_timeout_secs = match root.get("scriptTimeoutSeconds") {
        None => DEFAULT_SCRIPT_TIMEOUT_SECS,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_SCRIPT_TIMEOUT_SECS).contains(&n) => n,
            _ => {
                return Err(invalid(
                    source,
                    format!(
                        "'scriptTimeoutSeconds' must be a whole number from 1 to {MAX_SCRIPT_TIMEOUT_SECS}, not {v}"
                    ),
                ));
            }
        },
    };
    let copy_files = match root.get("copyFiles") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > 100 {
                return Err(invalid(source, "'copyFiles' may list at most 100 globs"));
            }
            let mut globs = Vec::new();
            for item in items {
                let glob = string(source, "copyFiles[]", item)?;
                globs.push(CopyGlob::new(glob).map_err(|e| invalid(source, format!("in 'copyFiles': {e}")))?);
            }
            globs
        }
        Some(v) => return Err(invalid(source, format!("'copyFiles' must be an array of globs, not {}", type_name(v)))),
    };
    let defaults = match root.get("defaults") {
        None => ConfigDefaults::default(),
        Some(Value::Object(d)) => {
            unknown_keys(source, d, DEFAULT_KEYS, "defaults.")?;
            let agent = d.get("agent").map(|v| string(source, "defaults.agent", v)).transpose()?;
            if let Some(a) = agent
                && (a.is_empty()
                    || a.len() > 64
                    || !a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            {
                return Err(invalid(source, format!("'defaults.agent' '{}' is not an agent id", band_core_shown(a))));
            }
            let model = d
                .get("model")
                .map(|v| {
                    string(source, "defaults.model", v)
                        .and_then(|m| ModelName::new(m).map_err(|e| invalid(source, format!("'defaults.model': {e}"))))
                })
                .transpose()?;
            let mode = d
                .get("mode")
                .map(|v| {
                    string(source, "defaults.mode", v).and_then(|m| {
                        PermissionMode::parse(m).ok_or_else(|| {
                            let all: Vec<&str> = PermissionMode::ALL.iter().map(|m| m.as_str()).collect();
                            invalid(
                                source,
                                format!(
                                    "'defaults.mode' '{}' is not a mode; use one of: {}",
                                    band_core_shown(m),
                                    all.join(", ")
                                ),
                            )
                        })
                    })
                })
                .transpose()?;
            let base_branch = d
                .get("baseBranch")
                .map(|v| {
                    string(source, "defaults.baseBranch", v).and_then(|b| {
                        GitRef::new(b).map_err(|e| invalid(source, format!("'defaults.baseBranch': {e}")))
                    })
                })
                .transpose()?;
            ConfigDefaults { agent: agent.map(str::to_owned), model, mode, base_branch }
        }
        Some(v) => return Err(invalid(source, format!("'defaults' must be an object, not {}", type_name(v)))),
    };
    let scripts_hash = ProjectConfig::scripts_text(setup.as_deref(), teardown.as_deref())
        .map(|text| Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>());
    Ok(ProjectConfig { source: from, setup, teardown, script_timeout_secs, copy_files, defaults, scripts_hash })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> ProjectConfig {
        parse(text, "c", ConfigSource::Override).expect("valid")
    }

    fn err(text: &str) -> String {
        parse(text, "c", ConfigSource::Override).expect_err("invalid").to_string()
    }

    #[test]
    fn a_full_configuration_is_read() {
        let c = ok(r#"{"setup": "npm ci\necho ok", "teardown": "rm -rf tmp", "scriptTimeoutSeconds": 30,
            "copyFiles": [".env", "config/*.local.json"],
            "defaults": {"agent": "codex", "model": "gpt-5", "mode": "accept-edits", "baseBranch": "develop"}}"#);
        assert_eq!(c.setup.as_deref(), Some("npm ci\necho ok"));
        assert_eq!(c.teardown.as_deref(), Some("rm -rf tmp"));
        assert_eq!(c.script_timeout_secs, 30);
        assert_eq!(c.copy_files.iter().map(CopyGlob::as_str).collect::<Vec<_>>(), [".env", "config/*.local.json"]);
        assert_eq!(c.defaults.agent.as_deref(), Some("codex"));
        assert_eq!(c.defaults.mode, Some(PermissionMode::AcceptEdits));
        assert_eq!(c.defaults.base_branch.as_ref().map(GitRef::as_str), Some("develop"));
        assert_eq!(c.scripts_hash.as_ref().map(String::len), Some(64));
        let empty = ok("{}");
        assert_eq!((empty.scripts_hash, empty.script_timeout_secs), (None, DEFAULT_SCRIPT_TIMEOUT_SECS));
    }

    #[test]
    fn the_hash_changes_with_either_script_and_only_with_them() {
        let a = ok(r#"{"setup": "make"}"#).scripts_hash;
        assert_eq!(a, ok(r#"{"setup": "make", "copyFiles": [".env"]}"#).scripts_hash, "copyFiles is not code");
        assert_ne!(a, ok(r#"{"setup": "make "}"#).scripts_hash);
        assert_ne!(a, ok(r#"{"teardown": "make"}"#).scripts_hash);
        assert_ne!(a, ok(r#"{"setup": "make", "teardown": "x"}"#).scripts_hash);
    }

    #[test]
    fn bad_documents_say_what_is_wrong_and_where() {
        assert!(
            err("{\"setup\": ").contains("not valid JSON") && err("{\"setup\": ").contains("line 1"),
            "{}",
            err("{")
        );
        assert_eq!(err("[]"), "c: it must be a JSON object, not an array");
        assert_eq!(
            err(r#"{"setup": "x", "postCreate": "y"}"#),
            "c: unknown key 'postCreate'; the keys are: setup, teardown, scriptTimeoutSeconds, copyFiles, defaults"
        );
        assert!(err(r#"{"defaults": {"agnet": "x"}}"#).contains("unknown key 'defaults.agnet'"));
        assert_eq!(err(r#"{"setup": ["npm ci"]}"#), "c: 'setup' must be a string, not an array");
        assert!(err(r#"{"copyFiles": ["../../etc/passwd"]}"#).contains("'..' would leave the repository"));
        assert!(err(r#"{"copyFiles": ["/etc/passwd"]}"#).contains("absolute"));
        assert!(err(r#"{"copyFiles": [".git/config"]}"#).contains(".git"));
        assert!(err(r#"{"scriptTimeoutSeconds": 0}"#).contains("from 1 to 3600"));
        assert!(err(r#"{"defaults": {"mode": "yolo"}}"#).contains("use one of: ask, accept-edits, allow-all"));
        assert!(err(r#"{"defaults": {"baseBranch": "-x"}}"#).contains("may not start with '-'"));
    }

    #[tokio::test]
    async fn the_file_is_read_from_the_checkout_and_never_through_a_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        assert_eq!(JsonConfigs.load(root, None).await.expect("none"), None);
        std::fs::create_dir(root.join(".band")).expect("mkdir");
        std::fs::write(root.join(".band/config.json"), r#"{"setup": "echo hi"}"#).expect("write");
        let c = JsonConfigs.load(root, None).await.expect("read").expect("some");
        assert_eq!(c.source, ConfigSource::Repository(root.join(".band/config.json")));
        // An override wins over the file.
        let o = JsonConfigs.load(root, Some(r#"{"setup": "echo override"}"#)).await.expect("read").expect("some");
        assert_eq!((o.source, o.setup.as_deref()), (ConfigSource::Override, Some("echo override")));
        // A symlinked file is refused, not followed.
        let elsewhere = root.join("elsewhere.json");
        std::fs::write(&elsewhere, r#"{"setup": "evil"}"#).expect("write");
        std::fs::remove_file(root.join(".band/config.json")).expect("rm");
        std::os::unix::fs::symlink(&elsewhere, root.join(".band/config.json")).expect("symlink");
        let e = JsonConfigs.load(root, None).await.expect_err("symlink");
        assert!(e.to_string().contains("is a symlink"), "{e}");
    }
}
