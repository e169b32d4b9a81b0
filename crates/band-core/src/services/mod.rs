//! Use cases. Each service holds the ports it needs and nothing else.

mod projects;
mod workspaces;

pub use projects::Projects;
pub use workspaces::Workspaces;
