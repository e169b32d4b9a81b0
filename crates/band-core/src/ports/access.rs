//! What the access service needs besides its store: secrets, time, the main token's home, and a
//! way to run a write without making the caller wait.

use async_trait::async_trait;
use futures_util::future::BoxFuture;

use crate::error::CoreError;
use crate::model::Millis;

/// Randomness and hashing. The domain decides what is minted and when; the adapter owns how.
pub trait Secrets: Send + Sync {
    /// `bytes` random bytes from the operating system's generator, as lowercase hex.
    ///
    /// # Errors
    /// `Internal` when no random source is available (nothing is minted then).
    fn random_hex(&self, bytes: usize) -> Result<String, CoreError>;

    /// The lowercase hex SHA-256 of `secret`: what is stored and compared instead of the secret.
    fn hash(&self, secret: &str) -> String;

    /// Whether two secrets are equal, in time independent of where they differ.
    fn same(&self, a: &str, b: &str) -> bool;
}

/// The wall clock.
pub trait Clock: Send + Sync {
    /// Unix milliseconds now.
    fn now_ms(&self) -> Millis;
}

/// Where the main token lives (settings.json).
#[async_trait]
pub trait MainTokenStore: Send + Sync {
    /// Writes a new main token, atomically, and returns it. Nothing changed on error.
    ///
    /// # Errors
    /// The file cannot be written.
    async fn rotate(&self) -> Result<String, CoreError>;

    /// Where the token is, to tell a person (never the token itself).
    fn location(&self) -> String;
}

/// Runs work the caller must not wait for (a last-seen time, an audit entry of a refusal).
pub trait Background: Send + Sync {
    fn spawn(&self, task: BoxFuture<'static, ()>);
}
