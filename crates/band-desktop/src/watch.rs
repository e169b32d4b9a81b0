//! What the tray and the notifications show, followed through band's own API (the same for an
//! embedded server and an attached one): `chats.list` once, then `workspaces.subscribe` for every
//! chat's status, and `tunnel.subscribe` for the tunnel. A dropped connection is made again.

use std::collections::HashMap;
use std::time::Duration;

use band_api::client::Client;
use band_api::{ChatInfo, ChatStatus, TunnelInfo, TunnelStateName, WorkspaceNotice};
use serde_json::json;

use crate::os::{ChatRef, Notification};

/// The counts the tray shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub working: usize,
    pub waiting: usize,
}

impl Counts {
    /// "2 working · 1 waiting", or "no agent working".
    pub fn label(&self) -> String {
        match (self.working, self.waiting) {
            (0, 0) => "no agent working".into(),
            (w, 0) => format!("{w} working"),
            (0, q) => format!("{q} waiting"),
            (w, q) => format!("{w} working · {q} waiting"),
        }
    }
}

/// What the watcher reports to the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    Counts(Counts),
    Notify(Notification),
    Tunnel(Option<String>),
}

/// Every chat's last known status; turns a new status into the notification it deserves.
#[derive(Debug, Default)]
pub struct Chats {
    known: HashMap<i64, ChatInfo>,
}

impl Chats {
    pub fn counts(&self) -> Counts {
        let count = |s: ChatStatus| self.known.values().filter(|c| c.status == s).count();
        Counts { working: count(ChatStatus::Working), waiting: count(ChatStatus::Waiting) }
    }

    pub fn replace_all(&mut self, chats: Vec<ChatInfo>) {
        self.known = chats.into_iter().map(|c| (c.id, c)).collect();
    }

    pub fn remove(&mut self, id: i64) {
        self.known.remove(&id);
    }

    /// Records `chat`; the notification its new status calls for, if any: it waits on the
    /// person, finished a turn, or failed.
    pub fn update(&mut self, chat: ChatInfo) -> Option<Notification> {
        let before = self.known.insert(chat.id, chat.clone()).map(|c| c.status);
        if before == Some(chat.status) {
            return None;
        }
        let was_busy = matches!(before, Some(ChatStatus::Working | ChatStatus::Waiting));
        let (summary, body) = match chat.status {
            ChatStatus::Waiting => {
                (format!("{} is waiting for you", chat.name), "An agent asks for permission or an answer.".to_owned())
            }
            ChatStatus::Failed => (format!("{} failed", chat.name), "The agent stopped with an error.".to_owned()),
            ChatStatus::Idle | ChatStatus::Completed if was_busy => {
                (format!("{} finished", chat.name), "The agent's turn is done.".to_owned())
            }
            _ => return None,
        };
        Some(Notification { summary, body, chat: Some(ChatRef { workspace: chat.workspace_id, chat: chat.id }) })
    }
}

/// The tunnel's URL while it runs.
fn tunnel_url(info: &TunnelInfo) -> Option<String> {
    (info.state == TunnelStateName::Running).then(|| info.url.clone()).flatten()
}

/// Follows the server at `client` until the channel closes, sending each change.
pub async fn run(client: Client, send: impl Fn(Update) -> bool + Send + Sync + Clone + 'static) {
    let tunnel = {
        let (client, send) = (client.clone(), send.clone());
        tokio::spawn(async move {
            loop {
                if let Ok(info) = client.call::<band_api::TunnelStatus>(&Default::default()).await
                    && !send(Update::Tunnel(tunnel_url(&info)))
                {
                    return;
                }
                if let Ok(mut sub) = client.subscribe::<TunnelInfo>(&band_api::TUNNEL_SUBSCRIBE, json!({})).await {
                    while let Ok(Some(info)) = sub.next().await {
                        if !send(Update::Tunnel(tunnel_url(&info))) {
                            return;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let mut chats = Chats::default();
    'outer: loop {
        // Subscribe first, then list: no change falls between the two.
        let sub = client.subscribe::<WorkspaceNotice>(&band_api::WORKSPACES_SUBSCRIBE, json!({})).await;
        let list = client.call::<band_api::ChatsList>(&Default::default()).await;
        let (Ok(mut sub), Ok(list)) = (sub, list) else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        chats.replace_all(list);
        if !send(Update::Counts(chats.counts())) {
            break;
        }
        loop {
            let counts = chats.counts();
            match sub.next().await {
                Ok(Some(WorkspaceNotice::Chat { chat })) => {
                    if let Some(n) = chats.update(chat)
                        && !send(Update::Notify(n))
                    {
                        break 'outer;
                    }
                }
                Ok(Some(WorkspaceNotice::ChatRemoved { chat })) => chats.remove(chat.id),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
            if chats.counts() != counts && !send(Update::Counts(chats.counts())) {
                break 'outer;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tunnel.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(id: i64, status: ChatStatus) -> ChatInfo {
        serde_json::from_value(json!({
            "id": id, "workspaceId": 7, "agent": "claude-code", "mode": "ask", "name": format!("chat {id}"),
            "labels": {}, "status": status.as_str(), "lastSeq": 0, "createdAt": 0, "updatedAt": 0
        }))
        .expect("chat")
    }

    #[test]
    fn counts_and_notifications_follow_statuses() {
        let mut c = Chats::default();
        c.replace_all(vec![chat(1, ChatStatus::Idle), chat(2, ChatStatus::Working)]);
        assert_eq!(c.counts(), Counts { working: 1, waiting: 0 });
        assert_eq!(c.update(chat(1, ChatStatus::Working)), None);
        let n = c.update(chat(2, ChatStatus::Waiting)).expect("waiting notifies");
        assert_eq!(
            (n.summary.as_str(), n.chat),
            ("chat 2 is waiting for you", Some(ChatRef { workspace: 7, chat: 2 }))
        );
        assert_eq!(c.counts(), Counts { working: 1, waiting: 1 });
        assert_eq!(c.counts().label(), "1 working · 1 waiting");
        assert_eq!(c.update(chat(2, ChatStatus::Waiting)), None, "no second notification for the same status");
        assert_eq!(c.update(chat(1, ChatStatus::Idle)).map(|n| n.summary), Some("chat 1 finished".into()));
        assert_eq!(c.update(chat(2, ChatStatus::Failed)).map(|n| n.summary), Some("chat 2 failed".into()));
        assert_eq!(c.update(chat(3, ChatStatus::Idle)), None, "a new idle chat is no news");
        c.remove(2);
        assert_eq!(c.counts(), Counts::default());
        assert_eq!(c.counts().label(), "no agent working");
    }
}
