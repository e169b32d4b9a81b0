//! Agent adapters, one module per protocol, behind band-core's agent port; [`process`] is what
//! they share (process groups, stopping so nothing survives, line reading).

pub mod process;

use std::collections::BTreeMap;
use std::sync::Arc;

use band_core::ports::AgentRuntime;

/// The real agent runtimes, with binaries configured in settings (agent name to path).
pub fn runtimes(binaries: &BTreeMap<String, String>) -> Vec<Arc<dyn AgentRuntime>> {
    let _ = binaries;
    Vec::new()
}
