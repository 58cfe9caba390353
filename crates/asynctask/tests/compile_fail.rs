//! The thread rules the compiler enforces (ARCHITECTURE rule 1, D1): the
//! background step, Params, Progress and Result must be `Send`, and the
//! background step cannot reach the UI callbacks' `!Send` state.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite` after a
//! compiler upgrade changes the wording.

#[test]
fn ui_thread_rules_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
