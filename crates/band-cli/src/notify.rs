//! `band notify`: run by a terminal agent's hooks (Claude Code's, from the settings file band
//! gives it). One hook document on stdin goes to band-server's `POST /notify` with the chat and
//! its notify secret from the environment band gave the agent; what band answers (a decision,
//! for a hook that asks one) is printed on stdout for the agent. No token is read or needed.

use std::io::Read;

use band_api::client::{Client, ClientError};
use band_api::{self as api};

use crate::Failure;

/// The largest hook document read from stdin.
const MAX_DOCUMENT: u64 = 1024 * 1024;

pub async fn run(server: Option<&str>) -> Result<(), Failure> {
    let outside = "band notify is run by the hooks of a terminal agent band started; \
                   it needs BAND_CHAT_ID and BAND_NOTIFY_SECRET from that agent's environment";
    let chat = std::env::var("BAND_CHAT_ID").map_err(|_| Failure(format!("BAND_CHAT_ID is not set: {outside}")))?;
    let chat: i64 = chat
        .trim()
        .parse()
        .map_err(|_| Failure(format!("BAND_CHAT_ID '{chat}' is not a chat id (a number): {outside}")))?;
    let secret = std::env::var("BAND_NOTIFY_SECRET")
        .map_err(|_| Failure(format!("BAND_NOTIFY_SECRET is not set: {outside}")))?;
    let Some(server) = server.filter(|s| !s.is_empty()) else {
        return Err(Failure(format!("BAND_SERVER_URL is not set: {outside}")));
    };
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_DOCUMENT + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure(format!("cannot read the hook document on stdin: {e}")))?;
    if text.len() as u64 > MAX_DOCUMENT {
        return Err(Failure(format!("the hook document on stdin is over {} KiB", MAX_DOCUMENT / 1024)));
    }
    let hook = parse(&text)?;
    let client = Client::new(server, None)?;
    let reply = client.notify(&api::NotifyRequest { chat, secret, hook }).await.map_err(|e| match e {
        ClientError::Unreachable { url } => Failure(format!("no band-server answers at {url} (BAND_SERVER_URL)")),
        e => Failure(e.to_string()),
    })?;
    if let Some(output) = reply.output {
        println!("{output}");
    }
    Ok(())
}

/// The hook document: a JSON object naming its event.
fn parse(text: &str) -> Result<serde_json::Value, Failure> {
    let hook: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Failure(format!(
            "stdin is not a hook's JSON document ({e}); band notify reads the JSON an agent's hook gets on stdin"
        ))
    })?;
    if !hook.is_object() || hook.get("hook_event_name").and_then(serde_json::Value::as_str).is_none() {
        return Err(Failure(
            "the document on stdin is not a hook's: it needs a \"hook_event_name\" (like {\"hook_event_name\": \"Stop\", ...})"
                .into(),
        ));
    }
    Ok(hook)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_json_object_naming_its_hook_event_is_a_hook_document() {
        assert!(parse(r#"{"hook_event_name": "Stop", "session_id": "s"}"#).is_ok());
        for (bad, says) in [
            ("", "stdin is not a hook's JSON document"),
            ("{not json", "stdin is not a hook's JSON document"),
            ("[1, 2]", "needs a \"hook_event_name\""),
            (r#"{"session_id": "s"}"#, "needs a \"hook_event_name\""),
        ] {
            let Failure(e) = parse(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
