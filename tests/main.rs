//! Workspace-wide tests, one binary: the architecture rules (`tidy`) and the real agent CLIs end
//! to end through band-server (`agents`), and the adapter contract suite over every proven agent
//! (`contract`).

mod agents;
mod budgets;
mod contract;
mod cronjobs;
mod policies;
mod terminal;
mod tidy;
mod usage;
