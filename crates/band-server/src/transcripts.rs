//! Transcript files (`transcripts.dir` in settings, off by default): each finished turn of every
//! chat appended, as Markdown, to `<dir>/chat-<id>.md`, whose first lines name the chat. The
//! directory is the user's choice and never inside a repository unless they point it there; band
//! creates it (0700) and its files (0600), and a file it cannot write is a warning in its log,
//! never a failed turn.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

use async_trait::async_trait;
use band_core::Chat;
use band_core::ports::TranscriptSink;

pub struct TranscriptFiles {
    dir: PathBuf,
}

impl TranscriptFiles {
    /// `dir` as settings give it (`~/` expanded by the caller).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Where `chat`'s transcript goes.
    pub fn file(&self, chat: &Chat) -> PathBuf {
        self.dir.join(format!("chat-{}.md", chat.id.0))
    }

    fn append(&self, chat: &Chat, number: usize, markdown: &str) -> std::io::Result<()> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir)?;
        let path = self.file(chat);
        let fresh = !path.exists();
        let mut file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&path)?;
        let mut text = String::new();
        if fresh {
            text.push_str(&format!("# {} ({}, chat {})\n", chat.name, chat.agent, chat.id.0));
        }
        if fresh && number > 1 {
            text.push_str(&format!("\n_Turns before turn {number} were not written here._\n"));
        }
        text.push('\n');
        text.push_str(markdown);
        file.write_all(text.as_bytes())
    }
}

#[async_trait]
impl TranscriptSink for TranscriptFiles {
    async fn turn_ended(&self, chat: &Chat, number: usize, markdown: String) {
        let files = TranscriptFiles { dir: self.dir.clone() };
        let chat = chat.clone();
        let path = self.file(&chat);
        let written = tokio::task::spawn_blocking(move || files.append(&chat, number, &markdown)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(path = %path.display(), "cannot write the transcript: {e}"),
            Err(e) => tracing::warn!(path = %path.display(), "cannot write the transcript: {e}"),
        }
    }
}
