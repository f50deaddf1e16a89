//! Timing with `Instant`, interleaved: the engines of one mode take turns on each chunk of
//! cases, so a machine shared with other work slows them alike and their ratios hold.

use std::ops::Range;
use std::time::{Duration, Instant};

/// Cases prepared and timed at a time: a chunk's inputs are built outside the timing.
pub const CHUNK: usize = 10_000;

/// One engine in one mode: builds its inputs for a range of cases, then runs over them.
pub trait Timed {
    fn prepare(&mut self, cases: Range<usize>);
    /// Runs over the prepared inputs; the time it took.
    fn run(&mut self) -> Duration;
}

/// A [`Timed`] from two closures.
pub struct Job<P, F, G> {
    prepare: F,
    run: G,
    items: Vec<P>,
}

impl<P, F, G> Job<P, F, G>
where
    F: FnMut(Range<usize>) -> Vec<P>,
    G: FnMut(&P),
{
    pub fn new(prepare: F, run: G) -> Self {
        Job {
            prepare,
            run,
            items: Vec::new(),
        }
    }
}

impl<P, F, G> Timed for Job<P, F, G>
where
    F: FnMut(Range<usize>) -> Vec<P>,
    G: FnMut(&P),
{
    fn prepare(&mut self, cases: Range<usize>) {
        self.items = Vec::new();
        self.items = (self.prepare)(cases);
    }

    fn run(&mut self) -> Duration {
        let start = Instant::now();
        for item in &self.items {
            (self.run)(item);
        }
        let took = start.elapsed();
        self.items = Vec::new();
        took
    }
}

/// Nanoseconds per case for each job: `reps` passes over cases `0..n`, the jobs taking turns
/// on every chunk; the median pass of each.
pub fn measure(n: usize, reps: usize, jobs: &mut [&mut dyn Timed]) -> Vec<f64> {
    let mut passes: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); jobs.len()];
    for _ in 0..reps.max(1) {
        let mut totals = vec![Duration::ZERO; jobs.len()];
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK).min(n);
            for (job, total) in jobs.iter_mut().zip(totals.iter_mut()) {
                job.prepare(start..end);
                *total += job.run();
            }
            start = end;
        }
        for (p, t) in passes.iter_mut().zip(totals) {
            p.push(t.as_nanos() as f64 / n.max(1) as f64);
        }
    }
    passes.into_iter().map(crate::table::median).collect()
}
