//! band-mockmodel's integration tests, one binary: the mock model's wire APIs, and the real agent CLIs run against it.

mod mock;
mod real_agents;
