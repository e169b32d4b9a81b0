//! A project's configuration and scripts: [`JsonConfigs`] reads and checks `.band/config.json`,
//! [`ShellScripts`] runs approved setup and teardown scripts through band-process.

mod config;
mod scripts;

pub use config::{JsonConfigs, MAX_CONFIG_BYTES, parse};
pub use scripts::ShellScripts;
