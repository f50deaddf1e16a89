//! The native half of the Python package `humiao` (`humiao._humiao`): the core's `Policy` and
//! `Decision` as Python classes. The pure-Python half (`python/humiao/`) holds the exception
//! classes, the small value dataclasses and the table helpers, and re-exports everything.
//!
//! Invariants: every entry point runs inside [`errors::guard`], so a Rust panic becomes
//! `humiao.InternalError` and never a `PanicException`; evaluation runs with the GIL released;
//! `Decision.to_json()` is the core's `Decision::to_json`, the bytes the CLI prints.

mod arrow_out;

/// The Rust half's allocator. glibc's malloc, after a batch had freed its results (100,000
/// decisions: millions of small blocks), made the next batch's first large allocations merge
/// every freed small block of its arena first (`malloc_consolidate`): `outcome_table` right
/// after `evaluate_many` took ~2.4 µs a row against ~0.8 µs. mimalloc keeps free lists per
/// page and thread and has no such pass. Python's own objects keep Python's allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod batch;
mod columns;
mod convert;
mod decision;
mod dictread;
mod errors;
mod plan;
mod policy;
mod table;

use pyo3::prelude::*;

/// Proves the panic boundary: panics inside the guard (with `in_worker`, inside the worker
/// threads of a batch) so the tests can check that Python sees `humiao.InternalError` and never
/// a `PanicException`. Not public API. `resume_unwind` skips the panic hook, so nothing is printed.
#[pyfunction]
#[pyo3(signature = (in_worker=false))]
fn _selftest_panic(py: Python<'_>, in_worker: bool) -> PyResult<()> {
    errors::guard(py, || {
        if in_worker {
            let items = [0u8; 256];
            let out = py.detach(|| {
                batch::par_map(&items, 2, |_, _| -> u8 {
                    std::panic::resume_unwind(Box::new("deliberate panic in a worker"))
                })
            });
            return match out {
                Some(_) => Ok(()),
                None => Err(errors::internal_error(py, "a worker thread was lost", None)),
            };
        }
        std::panic::resume_unwind(Box::new("deliberate panic from _selftest_panic"))
    })
}

/// The core's own time for one case, for `bench/`: evaluates `facts` `n` times in Rust (facts
/// converted once, GIL released) and returns the seconds per evaluation. Not public API.
#[pyfunction]
fn _time_core(
    py: Python<'_>,
    facts: &Bound<'_, PyAny>,
    as_of: &Bound<'_, PyAny>,
    n: u32,
    policy: &Bound<'_, policy::PyPolicy>,
) -> PyResult<f64> {
    errors::guard(py, || {
        let json = convert::py_to_json(facts)
            .map_err(|e| errors::facts_error(py, &[e.to_fact_error()], None))?;
        let run = policy.get().run(py, as_of, false, false, false)?;
        let secs = py.detach(|| {
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(run.evaluate_json(std::hint::black_box(&json)));
            }
            start.elapsed().as_secs_f64()
        });
        Ok(secs / f64::from(n.max(1)))
    })
}

#[pymodule]
fn _humiao(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<policy::PyPolicy>()?;
    m.add_class::<decision::PyDecision>()?;
    m.add_class::<plan::PyPlan>()?;
    m.add_function(wrap_pyfunction!(policy::check, m)?)?;
    m.add_function(wrap_pyfunction!(policy::_policy_from_state, m)?)?;
    m.add_function(wrap_pyfunction!(policy::_policy_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(decision::_decision_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(columns::_decision_columns, m)?)?;
    m.add_class::<table::EncodedColumn>()?;
    m.add_function(wrap_pyfunction!(table::_encoded_column, m)?)?;
    m.add_function(wrap_pyfunction!(table::_truth_bits, m)?)?;
    m.add_function(wrap_pyfunction!(plan::_plan_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(_selftest_panic, m)?)?;
    m.add_function(wrap_pyfunction!(_time_core, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
