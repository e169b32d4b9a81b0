//! Where each finished turn's transcript goes when the user asked for transcript files
//! (`transcripts.dir` in settings; off by default).

use async_trait::async_trait;

use crate::chat::Chat;

#[async_trait]
pub trait TranscriptSink: Send + Sync {
    /// Keeps turn `number` (from 1) of `chat`, as Markdown (`## Turn <number>` and what follows),
    /// after the chat's earlier turns. MUST NOT fail the turn: a sink that cannot write says so
    /// in band-server's log.
    async fn turn_ended(&self, chat: &Chat, number: usize, markdown: String);
}
