//! humiao core: checks a policy set, compiles it, evaluates cases into decisions and runs the
//! tests written inside policy files. No I/O and no clock: sources, facts, the as-of date and
//! every other input are parameters, so the same inputs give the same bytes on every surface.

pub mod compile;
pub mod compiled;
pub mod decision;
pub mod diag;
pub mod eval;
pub mod facts;
pub mod ir;
pub mod model;
pub mod plan;
pub mod planning;
pub mod policy;
pub mod testrun;
pub mod time;

pub use decision::{Decision, Status};
pub use diag::{render, Diagnostic, Lang, Severity};
pub use eval::{DecisionBuffers, EvalError, EvalOptions};
pub use facts::{FactError, Facts, Strictness};
pub use policy::{
    BatchOutcome, BlockConclusion, BytesError, EvaluateError, FactsOptions, LoadOptions, Outcome,
    Policy, PolicyError, Source,
};
pub use testrun::{TestFailure, TestReport, TestResult};
