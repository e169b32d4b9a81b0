//! band-adapters' integration tests, one binary: each adapter against its real program (the agent CLIs' recorded transcripts, PTYs, stand-in tunnel programs).

mod claude;
mod codex;
mod process;
mod terminals;
mod tunnels;
