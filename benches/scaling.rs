//! How the transform's cost grows from 100 to 1000 services (`cargo bench --bench scaling`).
//!
//! Criterion measures each input in its own stretch of time; on a shared machine the load of the
//! host moves between those stretches, and the ratio of two medians moves with it (×10 to ×17
//! for the same code, BENCHMARKS.md). Here the two inputs alternate within each round, so both
//! see the same host, and each round gives a ratio of its own:
//!
//! - per round, 200 runs of the 100-service transform, then 20 of the 1000-service one, each on
//!   a fresh copy of the request made outside the timed section (what `transform` gets in the
//!   Lambda: a request just decoded);
//! - per round, the ratio of the medians and the ratio of the fastest runs;
//! - at the end, the median and the range of each over the rounds (`ROUNDS`, 9 by default).
//!
//! The fastest run is the closest to an idle host; the median of the per-round ratios is the
//! figure the "at most 12×" is checked against.

use composex::macro_io::transform;
use std::time::Instant;

/// The allocator of the Lambda (`bootstrap`), so that the bench measures what it runs.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

/// Milliseconds of `runs` transforms of `request`, sorted.
fn times(request: &serde_json::Value, runs: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let copy = request.clone();
            let start = Instant::now();
            let response = transform(copy);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            drop(response);
            ms
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument (as for criterion) is ignored.
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(9);
    let small = common::request(&common::synthetic(100));
    let large = common::request(&common::synthetic(1000));
    // Warm-up: caches, the allocator's pages, the CPU's clock.
    for _ in 0..3 {
        times(&small, 20);
        times(&large, 2);
    }
    println!("round   100: median fastest (ms)   1000: median fastest (ms)   ratio: medians fastest");
    let (mut by_median, mut by_fastest) = (Vec::new(), Vec::new());
    for round in 1..=rounds.max(1) {
        let a = times(&small, 200);
        let b = times(&large, 20);
        let (ma, mb) = (a[a.len() / 2], b[b.len() / 2]);
        by_median.push(mb / ma);
        by_fastest.push(b[0] / a[0]);
        println!(
            "{round:5}   {ma:8.3} {:8.3}              {mb:8.3} {:8.3}                ×{:.2}   ×{:.2}",
            a[0],
            b[0],
            mb / ma,
            b[0] / a[0]
        );
    }
    let range = |v: &[f64]| {
        let (lo, hi) = v.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        format!("×{lo:.2}–{hi:.2}")
    };
    let (rm, rf) = (range(&by_median), range(&by_fastest));
    println!(
        "100 → 1000 services over {} rounds: ratio of medians ×{:.2} (median; {rm}), ratio of fastest runs ×{:.2} (median; {rf})",
        by_median.len(),
        median(&mut by_median),
        median(&mut by_fastest),
    );
}
