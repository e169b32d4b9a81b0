//! band-store's integration tests, one binary: the store contract suite on SQLite, kill -9 during writes,
//! and a database band may not write.

mod contract;
mod crash;
mod readonly;
