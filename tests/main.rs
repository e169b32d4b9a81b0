//! Workspace-wide tests, one binary: the architecture rules (`tidy`) and the real agent CLIs end
//! to end through band-server (`agents`).

mod agents;
mod tidy;
