//! The compose model: loading (YAML with CloudFormation tags, merge, interpolation) and the
//! validated model of services. Nothing in here knows about AWS.

pub mod env_file;
pub mod extends;
pub mod host;
pub mod include;
pub mod interpolate;
pub mod lines;
pub mod merge;
pub mod model;
pub mod project;
pub mod read;
pub mod service;
pub mod units;
pub mod yaml;

pub use model::*;
pub use project::load;

/// For the unit tests that read the shared corpus: `COMPOSEX_CORPUS` when set (it must then be a
/// folder), else `../shared/corpus` beside the project; `None`, with a notice that the test is
/// skipped, when neither is there.
#[cfg(test)]
pub(crate) fn test_corpus() -> Option<std::path::PathBuf> {
    match std::env::var_os("COMPOSEX_CORPUS").map(std::path::PathBuf::from) {
        Some(p) if p.is_dir() => Some(p),
        Some(p) => panic!("COMPOSEX_CORPUS={} is not a folder", p.display()),
        None => {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
            if p.is_dir() {
                Some(p)
            } else {
                eprintln!("no corpus (COMPOSEX_CORPUS is not set and ../shared/corpus is missing): skipped");
                None
            }
        }
    }
}
