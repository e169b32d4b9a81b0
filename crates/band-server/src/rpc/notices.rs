//! The [`EventSink`] adapter: bounded broadcast channels, one per chat for its events and one for
//! everything else (project, workspace, chat status and queue changes). A subscriber hears only
//! what it asked for, so fifty streaming chats do not wake every subscriber fifty times over.
//! A subscriber that falls behind loses the oldest items and learns it lagged (the chat stream
//! then refills from the store); the publisher never waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use band_core::ChatEvent;
use band_core::ChatId;
use band_core::ports::{EventSink, Notice};
use tokio::sync::broadcast;

/// Live items kept per chat for subscribers that are momentarily behind.
const PER_CHAT: usize = 1024;

pub struct Broadcast {
    general: broadcast::Sender<Notice>,
    /// Bumped on every `Notice::AccessChanged`: what live sockets wait on to check their
    /// credential again, without being woken by every other notice.
    access: tokio::sync::watch::Sender<u64>,
    chats: Mutex<HashMap<ChatId, broadcast::Sender<Arc<[ChatEvent]>>>>,
}

impl Broadcast {
    pub fn new(capacity: usize) -> Self {
        Self {
            general: broadcast::channel(capacity).0,
            access: tokio::sync::watch::channel(0).0,
            chats: Mutex::new(HashMap::new()),
        }
    }

    /// Every notice except chat events.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.general.subscribe()
    }

    /// Changes when a device is revoked or the main token rotated.
    pub fn access_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.access.subscribe()
    }

    /// One chat's events, as they are appended. Closed when the chat is removed.
    pub fn subscribe_chat(&self, chat: ChatId) -> broadcast::Receiver<Arc<[ChatEvent]>> {
        let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
        chats.entry(chat).or_insert_with(|| broadcast::channel(PER_CHAT).0).subscribe()
    }
}

impl EventSink for Broadcast {
    fn publish(&self, notice: Notice) {
        match notice {
            Notice::ChatEvents { events, .. } => {
                let Some(chat) = events.first().map(|e| e.chat_id) else { return };
                let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(tx) = chats.get(&chat) {
                    if tx.receiver_count() == 0 {
                        chats.remove(&chat);
                    } else {
                        let _ = tx.send(events);
                    }
                }
            }
            notice => {
                if matches!(notice, Notice::AccessChanged) {
                    self.access.send_modify(|n| *n += 1);
                }
                if let Notice::ChatRemoved(c) = &notice {
                    self.chats.lock().unwrap_or_else(|p| p.into_inner()).remove(&c.id);
                }
                // No receiver is fine: nobody is listening.
                let _ = self.general.send(notice);
            }
        }
    }
}
