//! The reproducible benchmark of issue 7 ("Fast at every scale"): a fixed workload of
//! generated cases, hand-written baselines of the same rules, humiao, and the agreement check
//! that keeps them answering alike. `scripts/bench` (the binary of this crate) prints the table,
//! `cargo bench -p humiao-bench` runs the criterion benches; docs/performance.md has the
//! figures.

pub mod agreement;
pub mod answers;
pub mod baseline;
pub mod cli;
pub mod engines;
pub mod policy;
pub mod synth;
pub mod table;
pub mod timing;
pub mod workload;
