//! Runnable examples and cross-crate integration tests for the looper
//! workspace live in `examples/` and `tests/`. This library only exists so
//! that the guides under `docs/` are compiled and run as doctests.

/// `docs/guide.md`, compiled as doctests.
#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

/// `docs/testing.md`, compiled as doctests.
#[doc = include_str!("../docs/testing.md")]
pub mod testing_guide {}
