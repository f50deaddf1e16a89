//! The hand-written baselines: the workload's rules written in plain Rust, once over typed
//! structs (the limit any engine can be held to) and once over `serde_json::Value` (what a
//! service that keeps its cases as JSON would write).
//!
//! They are written for the workload: every fact the generator gives is there, so two-valued
//! logic suffices (humiao's three-valued answers agree on these cases, and the agreement check
//! says so case by case). They compute what humiao computes for these conclusions and the
//! obligations' who, what and to whom; not due times, traces, `missing` or the other files'
//! conclusions.

pub mod typed;
pub mod value;
