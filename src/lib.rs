//! Examples and integration tests for the looper workspace live in `examples/` and `tests/`.
