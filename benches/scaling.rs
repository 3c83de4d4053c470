//! Guard rails for the transform's cost (`cargo bench --bench scaling`), on what the Lambda runs
//! (`transform_json` of the request's text, response freed inside the timing):
//!
//! - 60 services: a deployable input (one stack, under CloudFormation's 500 resources);
//! - 1000 services: far past the quotas, so the render ends in a quota error after every family
//!   was expanded and the template was built and measured.
//!
//! Prints the median and the fastest run of each. Run without `--bench` (as `cargo test
//! --all-targets` does, unoptimised), it makes a few runs only, to check that the bench works.

use composex::macro_io::transform_json;
use std::time::Instant;

/// The allocator of the Lambda (`bootstrap`), so that the bench measures what it runs.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

/// Milliseconds of `runs` transforms of the request `text`, sorted.
fn times(text: &str, runs: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            drop(std::hint::black_box(transform_json(std::hint::black_box(text))));
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument (as for criterion) is ignored.
    let measuring = std::env::args().any(|a| a == "--bench");
    for (n, runs) in [(60, 500), (1000, 40)] {
        let text = common::request(&common::synthetic(n)).to_string();
        let response = transform_json(&text);
        let outcome = match &response.fragment {
            Some(t) => format!("renders, {} resources", t.resource_count()),
            // The first error up to its details, e.g. "the template has 1629 resources, more than …".
            None => format!(
                "{}: {}",
                response.status,
                response.error_message.as_deref().unwrap_or("").split(':').next().unwrap_or("")
            ),
        };
        let runs = if measuring { runs } else { 2 };
        if measuring {
            times(&text, runs / 10);
        }
        let t = times(&text, runs);
        println!("{n} services ({outcome}): median {:.3} ms, fastest {:.3} ms over {runs} runs", t[t.len() / 2], t[0]);
    }
}
