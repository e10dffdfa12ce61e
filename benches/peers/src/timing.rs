//! Medians of wall-clock times, with `std::time::Instant`.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One timed batch lasts about this long.
const BATCH: Duration = Duration::from_millis(20);
/// Batches per measurement; the median batch is reported.
const BATCHES: usize = 11;

/// The median time of one call of `f`, in nanoseconds: `f` runs in batches of about
/// [`BATCH`], and the median over [`BATCHES`] batches is taken.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "iteration counts and nanoseconds are far within f64's exact range"
)]
pub fn per_call_ns<T>(mut f: impl FnMut() -> T) -> f64 {
    // Calibrate: double the batch until it takes a quarter of BATCH, then scale.
    let mut iterations: u64 = 1;
    let per_call = loop {
        let elapsed = run(&mut f, iterations);
        if elapsed >= BATCH / 4 || iterations >= 1 << 30 {
            break elapsed.as_secs_f64() / iterations as f64;
        }
        iterations *= 2;
    };
    let iterations = ((BATCH.as_secs_f64() / per_call).ceil() as u64).max(1);
    let mut samples: Vec<f64> = (0..BATCHES)
        .map(|_| run(&mut f, iterations).as_secs_f64() * 1e9 / iterations as f64)
        .collect();
    median(&mut samples)
}

/// The median of `repetitions` timings of `f` (one call each), in nanoseconds, and the last
/// value `f` returned.
pub fn median_once<T>(repetitions: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut samples = Vec::with_capacity(repetitions);
    let mut last = None;
    for _ in 0..repetitions.max(1) {
        let start = Instant::now();
        let value = black_box(f());
        samples.push(start.elapsed().as_secs_f64() * 1e9);
        last = Some(value);
    }
    let last = last.unwrap_or_else(|| unreachable!("at least one repetition"));
    (median(&mut samples), last)
}

fn run<T>(f: &mut impl FnMut() -> T, iterations: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    start.elapsed()
}

/// The median (the mean of the two middle values for an even count); NaN when empty.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        f64::midpoint(values[mid - 1], values[mid])
    }
}
