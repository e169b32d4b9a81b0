//! band-adapters' integration tests, one binary: each adapter against its real program (the agent CLIs' recorded transcripts, a fake ACP agent and misbehaving stand-ins, PTYs, stand-in tunnel programs).

mod acp;
mod claude;
mod codex;
mod process;
mod terminals;
mod tunnels;
