//! Compile-fail proofs of thread confinement (D1, X3) and message ownership
//! (D4): each file under `tests/ui/` must be rejected by the compiler with
//! the committed `.stderr`. Regenerate with `TRYBUILD=overwrite` after a
//! toolchain change, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
