//! An [`EventSink`] that records what it was told.

use std::sync::Mutex;

use band_core::ports::{EventSink, Notice};

#[derive(Default)]
pub struct RecordingSink {
    notices: Mutex<Vec<Notice>>,
}

impl RecordingSink {
    pub fn take(&self) -> Vec<Notice> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl EventSink for RecordingSink {
    fn publish(&self, notice: Notice) {
        self.notices.lock().unwrap_or_else(|p| p.into_inner()).push(notice);
    }
}
