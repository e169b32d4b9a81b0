//! band-tests: workspace-wide checks (see tidy.rs).
