//! How the transform's cost grows from 100 to 1000 services (`cargo bench --bench scaling`).
//!
//! Criterion measures each input in its own stretch of time; on a shared machine the load of the
//! host moves between those stretches, and the ratio of two medians moves with it (×10 to ×17
//! for the same code, BENCHMARKS.md). Here the two inputs alternate within each round, so both
//! see the same host, and each round gives a ratio of its own:
//!
//! - two paths: `transform_json`, what the Lambda runs, on the request's JSON text; and
//!   `transform` on a fresh copy of the decoded request, made outside the timed section;
//! - per round and path, 200 runs of the 100-service transform, then 20 of the 1000-service one;
//!   each run includes freeing the response (see `times`);
//! - per round, the ratio of the medians and the ratio of the fastest runs;
//! - at the end, the median and the range of each over the rounds (`ROUNDS`, 9 by default).
//!
//! The fastest run is the closest to an idle host; the median of the per-round ratios is the
//! figure the "at most 12×" is checked against.
//!
//! `NEIGHBOUR_MB=48` adds a noisy neighbour: a thread that writes one byte of every cache line of
//! a 48 MB buffer, over and over, for the whole run (on a 2-core machine, on the other core). It
//! evicts the shared L3 cache as a busy tenant of the host does, so that the cost of the
//! 1000-service transform's cache misses can be compared between two versions under the same
//! load, instead of whatever the host happens to run.

use composex::macro_io::{transform, transform_json};
use std::time::Instant;

/// The allocator of the Lambda (`bootstrap`), so that the bench measures what it runs.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

/// One of the inputs, both as the Lambda receives it and decoded.
struct Input {
    text: String,
    value: serde_json::Value,
}

/// Milliseconds of `runs` transforms of `input`, sorted: from its text, or from a fresh copy of
/// its value.
fn times(input: &Input, from_text: bool, runs: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let copy = (!from_text).then(|| input.value.clone());
            let start = Instant::now();
            let response = match copy {
                Some(value) => transform(value),
                None => transform_json(&input.text),
            };
            // Freed inside the timed section: the 1000-service render ends in a quota failure,
            // whose template is freed inside the transform, while the 100-service template is
            // handed to the caller; each pays for freeing what it made.
            drop(response);
            start.elapsed().as_secs_f64() * 1e3
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
    // `cargo bench` passes `--bench`; a filter argument (as for criterion) is ignored. Without
    // it (`cargo test --all-targets` runs benches too, unoptimised) one short round checks that
    // the bench runs, as criterion does in that mode, instead of measuring for minutes.
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(9);
    let (rounds, small_runs, large_runs) = if measuring { (rounds, 200, 20) } else { (1, 3, 1) };
    let input = |n| {
        let value = common::request(&common::synthetic(n));
        Input { text: value.to_string(), value }
    };
    let (small, large) = (input(100), input(1000));
    let _neighbour = std::env::var("NEIGHBOUR_MB").ok().and_then(|m| m.parse().ok()).map(Neighbour::start);
    // Warm-up: caches, the allocator's pages, the CPU's clock.
    for from_text in [true, false] {
        for _ in 0..if measuring { 3 } else { 0 } {
            times(&small, from_text, 20);
            times(&large, from_text, 2);
        }
    }
    println!("round  path            100: median fastest (ms)   1000: median fastest (ms)   ratio: medians fastest");
    let mut ratios: [(Vec<f64>, Vec<f64>); 2] = Default::default();
    for round in 1..=rounds.max(1) {
        for (from_text, (by_median, by_fastest)) in [true, false].into_iter().zip(ratios.iter_mut()) {
            let a = times(&small, from_text, small_runs);
            let b = times(&large, from_text, large_runs);
            let (ma, mb) = (a[a.len() / 2], b[b.len() / 2]);
            by_median.push(mb / ma);
            by_fastest.push(b[0] / a[0]);
            println!(
                "{round:5}  {:14}  {ma:8.3} {:8.3}              {mb:8.3} {:8.3}                ×{:.2}   ×{:.2}",
                if from_text { "transform_json" } else { "transform" },
                a[0],
                b[0],
                mb / ma,
                b[0] / a[0]
            );
        }
    }
    let range = |v: &[f64]| {
        let (lo, hi) = v.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        format!("×{lo:.2}–{hi:.2}")
    };
    // The Lambda's path last: scripts/bench.sh reads the last line.
    for (name, (by_median, by_fastest)) in
        ["transform (decoded request)", "transform_json (the Lambda's path)"].into_iter().zip(ratios.iter_mut().rev())
    {
        let (rm, rf) = (range(by_median), range(by_fastest));
        println!(
            "{name}, 100 → 1000 services over {} rounds: ratio of medians ×{:.2} (median; {rm}), ratio of fastest runs ×{:.2} (median; {rf})",
            by_median.len(),
            median(by_median),
            median(by_fastest),
        );
    }
}

/// A thread that keeps evicting the caches, until dropped.
struct Neighbour {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Neighbour {
    fn start(mb: usize) -> Neighbour {
        use std::sync::atomic::{AtomicBool, Ordering};
        println!("noisy neighbour: a thread writing over {mb} MB");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; mb << 20];
            while !flag.load(Ordering::Relaxed) {
                for i in (0..buf.len()).step_by(64) {
                    buf[i] = buf[i].wrapping_add(1);
                }
                std::hint::black_box(&mut buf);
            }
        });
        Neighbour { stop, thread: Some(thread) }
    }
}

impl Drop for Neighbour {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
