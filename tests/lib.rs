//! band-tests: checks that span the whole workspace. `tidy.rs` enforces the architecture
//! (dependency direction, crate docs); later, end-to-end suites with real agents live here.
