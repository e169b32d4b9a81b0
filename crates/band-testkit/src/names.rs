//! Valid names for tests, built in one line (each panics on an invalid literal, which is a bug in
//! the test).

use band_core::{ChatName, DeviceName, Labels, ModelName};

pub fn chat_name(name: &str) -> ChatName {
    ChatName::new(name).expect("a valid chat name")
}

pub fn model(name: &str) -> ModelName {
    ModelName::new(name).expect("a valid model name")
}

pub fn device_name(name: &str) -> DeviceName {
    DeviceName::new(name).expect("a valid device name")
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::new(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()).expect("valid labels")
}

pub fn label_key(key: &str) -> band_core::LabelKey {
    band_core::LabelKey::new(key).expect("a valid label key")
}

pub fn agent_id(id: &str) -> band_core::AgentId {
    band_core::AgentId::new(id).expect("a valid agent id")
}

/// A built-in agent's definition.
pub fn agent(id: &str) -> band_core::AgentDefinition {
    band_core::AgentRegistry::builtin().get(&agent_id(id)).expect("a built-in agent").clone()
}
