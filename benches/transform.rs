//! Criterion bench of the in-process transform (stub; filled in with synthetic inputs).
fn main() {}
