//! The [`EventSink`] adapter: a bounded broadcast channel. A subscriber that falls behind loses
//! the oldest notices (and learns it lagged); the publisher never waits.

use band_core::ports::{EventSink, Notice};
use tokio::sync::broadcast;

pub struct Broadcast {
    tx: broadcast::Sender<Notice>,
}

impl Broadcast {
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity).0 }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }
}

impl EventSink for Broadcast {
    fn publish(&self, notice: Notice) {
        // No receiver is fine: nobody is listening.
        let _ = self.tx.send(notice);
    }
}
