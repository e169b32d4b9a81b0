//! Use cases. Each service holds the ports it needs and nothing else.

pub mod chats;
mod files;
mod layouts;
mod projects;
mod workspaces;

pub use chats::{ChatPorts, Chats, CreateChat, EnvSource, Sent};
pub use files::Files;
pub use layouts::Layouts;
pub use projects::Projects;
pub use workspaces::Workspaces;
