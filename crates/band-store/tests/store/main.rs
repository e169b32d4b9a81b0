//! band-store's integration tests, one binary: the store contract suite on SQLite, and kill -9 during writes.

mod contract;
mod crash;
