//! The `composex` command line: render / event / check. (stub)
fn main() {}
