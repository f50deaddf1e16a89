//! Evaluating many cases: inputs are read from Python while holding the GIL, then evaluated
//! on worker threads with the GIL released, each case in input order in the result.

use crate::convert::{py_to_json_text, ConvertError};
use crate::errors::panic_message;
use crate::table::View;
use humiao_core::facts::Cell as CoreCell;
use humiao_core::time::Date;
use humiao_core::{
    Decision, EvalError, EvalOptions, EvaluateError, FactError, FactsOptions, Policy,
};
use serde_json::{Map, Number, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One case as read from Python: JSON text (given, or written from a dict while the GIL is
/// held), or a dict's cells (walked and checked while the GIL is held); read into facts on a
/// worker thread, so every input uses every core for the rest.
#[allow(clippy::large_enum_variant)]
pub(crate) enum CaseInput {
    Text(String),
    /// A dict's cells, read and checked while the GIL was held (`crate::dictread`).
    Row(crate::dictread::RowCells),
    /// A value that could not become JSON; reported as a facts problem at its place.
    Unreadable(FactError),
}

/// What became of one case. (A decision is larger than the failures; outcomes live briefly in
/// one vector, so boxing would only add an allocation per case.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Outcome {
    Decided(Decision),
    Facts(Vec<FactError>),
    Eval(EvalError),
    /// A panic inside the engine, caught per case.
    Internal(String),
}

/// The options every case of a call shares.
pub(crate) struct Run<'a> {
    pub policy: &'a Policy,
    /// How case dicts are read straight into cells (`None`: the schema has no fact a cell holds).
    pub dicts: Option<&'a crate::dictread::DictReader>,
    pub as_of: Date,
    pub eval: EvalOptions,
    pub facts: FactsOptions,
}

impl Run<'_> {
    pub(crate) fn evaluate_json(&self, json: &Value) -> Outcome {
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.policy
                .evaluate_json(json, self.as_of, &self.eval, &self.facts)
        }));
        match result {
            Ok(Ok(d)) => Outcome::Decided(d),
            Ok(Err(EvaluateError::Facts(errs))) => Outcome::Facts(errs),
            Ok(Err(EvaluateError::Eval(e))) => Outcome::Eval(e),
            Err(payload) => Outcome::Internal(panic_message(payload.as_ref())),
        }
    }

    /// JSON text read into the fact slots as the CLI reads a line (`Policy::load_facts_text`:
    /// the one-pass reader, and for text it finds a problem in the reader that names every
    /// problem at its path, duplicated keys and nesting included), or the outcome to report.
    fn facts_of_text(&self, text: &str) -> Result<humiao_core::Facts, Box<Outcome>> {
        match catch_unwind(AssertUnwindSafe(|| {
            self.policy.load_facts_text(text, &self.facts)
        })) {
            Ok(Ok(facts)) => Ok(facts),
            Ok(Err(errs)) => Err(Box::new(Outcome::Facts(errs))),
            Err(payload) => Err(Box::new(Outcome::Internal(panic_message(payload.as_ref())))),
        }
    }

    /// [`Run::facts_of_text`] into `facts`, reusing its buffers from case to case; `false` when
    /// the text has any problem (the caller then takes the way that reports it). A panic
    /// leaves `facts` fresh.
    fn facts_of_text_into(&self, text: &str, facts: &mut humiao_core::Facts) -> bool {
        let read = catch_unwind(AssertUnwindSafe(|| {
            self.policy
                .load_facts_text_into(text, &self.facts, facts)
                .is_ok()
        }));
        read.unwrap_or_else(|_| {
            *facts = humiao_core::Facts::default();
            false
        })
    }

    /// A table's row read straight into `facts` by the core's row reader: false when the row
    /// is to be read as JSON instead (a cell of another kind, a problem to report). A panic
    /// leaves `facts` fresh.
    pub(crate) fn read_row(
        &self,
        reader: &humiao_core::facts::RowReader,
        columns: &[Column],
        row: usize,
        facts: &mut humiao_core::Facts,
    ) -> bool {
        let read = catch_unwind(AssertUnwindSafe(|| {
            self.policy.load_row_into(
                reader,
                |i| {
                    columns
                        .get(i)
                        .map_or(CoreCell::Other, |c| c.data.view(row).core())
                },
                &self.facts,
                facts,
            )
        }));
        read.unwrap_or_else(|_| {
            *facts = humiao_core::Facts::default();
            false
        })
    }

    /// Each column's distinct values worked out once for its fact (codes into distinct values,
    /// truth values), for [`Run::read_rows`]; other columns' cells are worked out where read.
    pub(crate) fn resolve_columns(
        &self,
        reader: &humiao_core::facts::RowReader,
        columns: &[Column],
    ) -> Vec<Resolving> {
        use crate::table::ColData;
        let resolve =
            |i: usize, c: CoreCell<'_>| self.policy.resolve_cell(reader, i, c, &self.facts);
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| match &c.data {
                ColData::Codes { values, .. } => Resolving::Codes(
                    self.policy.code_table(
                        reader,
                        i,
                        values
                            .iter()
                            .map(|v| match v {
                                Cell::Absent => resolve(i, CoreCell::Absent),
                                Cell::Value(v) => resolve(i, View::Json(v).core()),
                                Cell::Bad(_) => resolve(i, CoreCell::Other),
                            })
                            .collect(),
                        resolve(i, CoreCell::Absent),
                    ),
                ),
                ColData::Bools(_) | ColData::Bits(_) => Resolving::Bools(self.policy.code_table(
                    reader,
                    i,
                    vec![
                        resolve(i, CoreCell::Bool(false)),
                        resolve(i, CoreCell::Bool(true)),
                    ],
                    resolve(i, CoreCell::Absent),
                )),
                // Small integers (ages, counts) through a table of 0..=127 made once; a block
                // with any other value is read cell by cell.
                ColData::Ints(_) => Resolving::Ints(
                    self.policy.code_table(
                        reader,
                        i,
                        (0..=SMALL_INT)
                            .map(|v| resolve(i, CoreCell::Int(v)))
                            .collect(),
                        resolve(i, CoreCell::Absent),
                    ),
                ),
                _ => Resolving::Each,
            })
            .collect()
    }

    /// Rows `start..start + n` (at most 64) of a table read into `block` column by column
    /// (`Policy::rows_writer`); the rows read, bit `i` for row `start + i`. The others are
    /// read row by row.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn read_rows(
        &self,
        reader: &humiao_core::facts::RowReader,
        columns: &[Column],
        resolving: &[Resolving],
        start: usize,
        n: usize,
        block: &mut humiao_core::facts::RowsBlock,
        caches: &mut Vec<TextCache>,
    ) -> u64 {
        use crate::table::ColData;
        let read = catch_unwind(AssertUnwindSafe(|| {
            let mut w = self.policy.rows_writer(reader, &self.facts, block, n);
            for (col, (c, how)) in columns.iter().zip(resolving).enumerate() {
                match (how, &c.data) {
                    (Resolving::Codes(table), ColData::Codes { codes, .. }) => {
                        w.put_codes(
                            col,
                            codes
                                .range(start, n)
                                .map(|c| usize::try_from(c).unwrap_or(usize::MAX)),
                            table,
                        );
                    }
                    (Resolving::Bools(table), ColData::Bools(v)) => {
                        // 0 and 1; 2 (any other byte) is a missing value.
                        let (values, valid) = crate::table::bytes_block(v, start, n);
                        w.put_bits(col, values, valid, table);
                    }
                    (Resolving::Ints(table), ColData::Ints(v))
                        if v.len() >= start + n
                            && v.range(start, n).all(|x| (0..=SMALL_INT).contains(&x)) =>
                    {
                        w.put_codes(col, v.range(start, n).map(|x| x as usize), table);
                    }
                    (Resolving::Bools(table), ColData::Bits(b)) => {
                        let (values, valid) = b.block(start, n);
                        w.put_bits(col, values, valid, table);
                    }
                    (_, ColData::Text(t)) => {
                        // A text column: each text worked out once while it keeps coming
                        // back (an enum's names), else cell by cell (times).
                        let cache = match caches.get_mut(col) {
                            Some(c) => c,
                            None => {
                                caches.resize_with(col + 1, TextCache::default);
                                match caches.get_mut(col) {
                                    Some(c) => c,
                                    None => continue,
                                }
                            }
                        };
                        let t = t.slices();
                        // A time column's texts of the common shape are read straight from
                        // their bytes (no UTF-8 check, no cell worked out); others as below.
                        let times = w.is_datetime(col);
                        for i in 0..n {
                            let raw = t.raw(start + i);
                            if times && raw.is_some_and(|b| w.put_datetime(col, i, b)) {
                                continue;
                            }
                            if let Some(r) = raw.and_then(|b| cache.get(b)) {
                                w.put(col, i, r);
                                continue;
                            }
                            let cell = c.data.view(start + i).core();
                            let r = self.policy.resolve_cell(reader, col, cell, &self.facts);
                            w.put(col, i, &r);
                            if let Some(b) = raw {
                                cache.insert(b, r);
                            }
                        }
                    }
                    (_, data) => {
                        for i in 0..n {
                            let cell = data.view(start + i).core();
                            w.put(
                                col,
                                i,
                                &self.policy.resolve_cell(reader, col, cell, &self.facts),
                            );
                        }
                    }
                }
            }
            w.finish()
        }));
        read.unwrap_or(0)
    }

    /// A dict's cells (checked on the calling thread) read into `facts`.
    fn load_row(
        &self,
        row: &crate::dictread::RowCells,
        facts: &mut humiao_core::Facts,
    ) -> Option<()> {
        let reader = self.dicts?;
        let read = catch_unwind(AssertUnwindSafe(|| {
            reader.load(self.policy, row, &self.facts, facts)
        }));
        read.ok()?.then_some(())
    }

    /// Loaded facts, evaluated into a decision.
    pub(crate) fn evaluate_facts(&self, facts: &humiao_core::Facts) -> Outcome {
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.policy.evaluate(facts, self.as_of, &self.eval)
        }));
        match result {
            Ok(Ok(d)) => Outcome::Decided(d),
            Ok(Err(e)) => Outcome::Eval(e),
            Err(payload) => Outcome::Internal(panic_message(payload.as_ref())),
        }
    }

    /// A table's row written as JSON text ([`RowText`]), evaluated: `None` when the reader finds
    /// a problem in it, so the row takes [`row_facts`] and reports it as it always has.
    pub(crate) fn evaluate_row_text(
        &self,
        text: &str,
        facts: &mut humiao_core::Facts,
    ) -> Option<Outcome> {
        if !self.facts_of_text_into(text, facts) {
            return None;
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.policy.evaluate(facts, self.as_of, &self.eval)
        }));
        Some(match result {
            Ok(Ok(d)) => Outcome::Decided(d),
            Ok(Err(e)) => Outcome::Eval(e),
            Err(payload) => Outcome::Internal(panic_message(payload.as_ref())),
        })
    }

    /// [`Run::evaluate_row_text`] for the conclusions only.
    pub(crate) fn conclude_row_text(
        &self,
        text: &str,
        keys: &[usize],
        bufs: &mut ConcludeBuffers,
    ) -> Option<Concluded> {
        if !self.facts_of_text_into(text, &mut bufs.facts) {
            return None;
        }
        Some(self.conclude_facts(&bufs.facts, keys, &mut bufs.out))
    }

    pub(crate) fn evaluate_input(&self, input: &CaseInput) -> Outcome {
        self.evaluate_input_with(input, &mut humiao_core::Facts::default())
    }

    /// [`Run::evaluate_input`] with facts buffers kept between cases (for a dict's cells).
    pub(crate) fn evaluate_input_with(
        &self,
        input: &CaseInput,
        scratch: &mut humiao_core::Facts,
    ) -> Outcome {
        match input {
            CaseInput::Text(t) => {
                let facts = match self.facts_of_text(t) {
                    Ok(facts) => facts,
                    Err(failed) => return *failed,
                };
                let result = catch_unwind(AssertUnwindSafe(|| {
                    self.policy.evaluate(&facts, self.as_of, &self.eval)
                }));
                match result {
                    Ok(Ok(d)) => Outcome::Decided(d),
                    Ok(Err(e)) => Outcome::Eval(e),
                    Err(payload) => Outcome::Internal(panic_message(payload.as_ref())),
                }
            }
            CaseInput::Row(row) => match self.load_row(row, scratch) {
                Some(()) => self.evaluate_facts(scratch),
                None => Outcome::Internal("a checked row did not read".into()),
            },
            CaseInput::Unreadable(e) => Outcome::Facts(vec![e.clone()]),
        }
    }
}

/// What became of one case evaluated for its conclusions only. (A failure is rare and larger
/// than a result; results live briefly in one vector, as [`Outcome`]s do.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Concluded {
    /// Whether every conclusion settled, and the asked conclusions' values (unknown where a
    /// conclusion has no value or is undecided), made into what the decision's `conclusions`
    /// would give by [`crate::policy::ConclusionCells`].
    Done(bool, Vec<humiao_core::model::Value>),
    /// Boxed: an `Outcome` can hold a `Decision`, hundreds of bytes, and a batch's results are
    /// a vector of these.
    Failed(Box<Outcome>),
}

/// The results of a block of rows, held together: one allocation a block, not one per row (a
/// row's values, allocated on a worker thread and freed on the caller's, cost more than
/// working them out).
#[derive(Default)]
pub(crate) struct ConcludedBlock {
    /// Per row, whether every conclusion settled (false for a failed row).
    pub settled: Vec<bool>,
    /// The asked conclusions' values, `keys` per row (unknown for a failed row).
    pub values: Vec<humiao_core::model::Value>,
    /// The failed rows (their place in the block), in order.
    pub failed: Vec<(usize, Box<Outcome>)>,
}

impl ConcludedBlock {
    pub(crate) fn len(&self) -> usize {
        self.settled.len()
    }

    pub(crate) fn push(&mut self, c: Concluded, keys: usize) {
        let at = self.settled.len();
        match c {
            Concluded::Done(s, values) => {
                self.settled.push(s);
                let given = values.len();
                self.values.extend(values.into_iter().take(keys));
                self.values.extend(std::iter::repeat_n(
                    humiao_core::model::Value::Unknown,
                    keys.saturating_sub(given),
                ));
            }
            Concluded::Failed(o) => {
                self.settled.push(false);
                self.values.extend(std::iter::repeat_n(
                    humiao_core::model::Value::Unknown,
                    keys,
                ));
                self.failed.push((at, o));
            }
        }
    }

    /// Results one per row, in blocks.
    pub(crate) fn of_rows(rows: Vec<Concluded>, keys: usize) -> Vec<ConcludedBlock> {
        let mut blocks = Vec::new();
        let mut b = ConcludedBlock::default();
        for c in rows {
            if b.len() == BLOCK {
                blocks.push(std::mem::take(&mut b));
            }
            b.push(c, keys);
        }
        if b.len() > 0 {
            blocks.push(b);
        }
        blocks
    }
}

/// One row of a [`ConcludedBlock`], as its consumer meets it.
pub(crate) enum RowResult<'a> {
    Done(bool, &'a [humiao_core::model::Value]),
    Failed(Box<Outcome>),
}

/// Calls `f` with each row of `blocks` in order and its number.
pub(crate) fn for_each_row<E>(
    blocks: Vec<ConcludedBlock>,
    keys: usize,
    mut f: impl FnMut(usize, RowResult<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut row = 0;
    for b in blocks {
        let mut failed = b.failed.into_iter().peekable();
        for (i, &s) in b.settled.iter().enumerate() {
            if failed.peek().is_some_and(|(at, _)| *at == i) {
                if let Some((_, o)) = failed.next() {
                    f(row, RowResult::Failed(o))?;
                }
            } else {
                let values = b.values.get(i * keys..(i + 1) * keys).unwrap_or(&[]);
                f(row, RowResult::Done(s, values))?;
            }
            row += 1;
        }
    }
    Ok(())
}

impl Run<'_> {
    /// Evaluate only: loads the facts and evaluates them into `out` (buffers reused from case
    /// to case); no `Decision` is built. `keys` are conclusion indexes.
    pub(crate) fn conclude_json(
        &self,
        json: &Value,
        keys: &[usize],
        out: &mut humiao_core::Outcome,
    ) -> Concluded {
        let facts = match catch_unwind(AssertUnwindSafe(|| {
            self.policy.load_facts(json, &self.facts)
        })) {
            Ok(Ok(f)) => f,
            Ok(Err(errs)) => return Concluded::Failed(Box::new(Outcome::Facts(errs))),
            Err(payload) => {
                return Concluded::Failed(Box::new(Outcome::Internal(panic_message(
                    payload.as_ref(),
                ))))
            }
        };
        self.conclude_facts(&facts, keys, out)
    }

    /// [`Run::conclude_json`] once the facts are loaded.
    pub(crate) fn conclude_facts(
        &self,
        facts: &humiao_core::Facts,
        keys: &[usize],
        out: &mut humiao_core::Outcome,
    ) -> Concluded {
        let result = catch_unwind(AssertUnwindSafe(|| {
            if let Err(e) = self
                .policy
                .evaluate_outcome(facts, self.as_of, &self.eval, out)
            {
                return Concluded::Failed(Box::new(Outcome::Eval(e)));
            }
            let values = keys
                .iter()
                .map(|&i| match out.conclusion(i) {
                    Some(v) if v.is_known() => v.clone(),
                    _ => humiao_core::model::Value::Unknown,
                })
                .collect();
            Concluded::Done(out.settled(), values)
        }));
        result.unwrap_or_else(|payload| {
            *out = humiao_core::Outcome::new();
            Concluded::Failed(Box::new(Outcome::Internal(panic_message(payload.as_ref()))))
        })
    }

    /// A case of a batch ([`Policy::evaluate_batch`]) as [`Run::conclude_facts`] gives it.
    pub(crate) fn conclude_batched(
        &self,
        batch: &humiao_core::BatchOutcome,
        case: usize,
        keys: &[usize],
    ) -> Concluded {
        if let Some(e) = batch.error(case) {
            return Concluded::Failed(Box::new(Outcome::Eval(e.clone())));
        }
        let values = keys
            .iter()
            .map(|&i| match batch.conclusion(case, i) {
                Some(v) if v.is_known() => v,
                _ => humiao_core::model::Value::Unknown,
            })
            .collect();
        Concluded::Done(batch.settled(case), values)
    }

    /// Facts read for a block of cases, evaluated together: one result per case of `facts`.
    pub(crate) fn conclude_block(
        &self,
        facts: &[humiao_core::Facts],
        batch: &mut humiao_core::BatchOutcome,
        keys: &[usize],
    ) -> Vec<Concluded> {
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.policy
                .evaluate_batch(facts, self.as_of, &self.eval, batch);
            (0..facts.len())
                .map(|k| self.conclude_batched(batch, k, keys))
                .collect()
        }));
        result.unwrap_or_else(|payload| {
            *batch = humiao_core::BatchOutcome::new();
            let msg = panic_message(payload.as_ref());
            (0..facts.len())
                .map(|_| Concluded::Failed(Box::new(Outcome::Internal(msg.clone()))))
                .collect()
        })
    }

    /// A block of cases: dicts read into cells are evaluated together
    /// ([`Run::conclude_block`]), anything else one by one ([`Run::conclude_input`]).
    pub(crate) fn conclude_inputs(
        &self,
        inputs: &[CaseInput],
        keys: &[usize],
        st: &mut BlockBuffers,
    ) -> Vec<Concluded> {
        let mut results: Vec<Option<Concluded>> = Vec::with_capacity(inputs.len());
        st.read_at.clear();
        for input in inputs {
            if let CaseInput::Row(row) = input {
                let k = st.read_at.len();
                if st.facts.len() <= k {
                    st.facts.push(humiao_core::Facts::default());
                }
                if let Some(f) = st.facts.get_mut(k) {
                    if self.load_row(row, f).is_some() {
                        st.read_at.push(results.len());
                        results.push(None);
                        continue;
                    }
                }
            }
            results.push(Some(self.conclude_input(input, keys, &mut st.one)));
        }
        self.finish_block(results, keys, st)
    }

    /// A block of a table's rows read into `st.rows` (`read`: bit `i` for `results[i]`),
    /// evaluated together into their places (`Policy::evaluate_rows`); the other rows' results
    /// are in `results` already. Written into `out`, whose buffers are reused (values written
    /// into memory already touched, not into a new allocation per block).
    ///
    /// `laid_out` is offered the evaluated block when every row was read and evaluated
    /// together; when it takes the conclusions from there itself (true: an Arrow writer reading
    /// the lanes' masks), `out` gets only the rows' settled flags, no values.
    pub(crate) fn finish_rows(
        &self,
        results: Vec<Option<Concluded>>,
        read: u64,
        keys: &[usize],
        st: &mut BlockBuffers,
        out: &mut ConcludedBlock,
        laid_out: impl FnOnce(&humiao_core::BatchOutcome) -> bool,
    ) {
        let mut done = Ok(());
        if read != 0 {
            done = catch_unwind(AssertUnwindSafe(|| {
                self.policy
                    .evaluate_rows(&st.rows, self.as_of, &self.eval, &mut st.batch);
            }));
        }
        let k = keys.len();
        let n = results.len();
        out.settled.clear();
        out.values.clear();
        out.failed.clear();
        if done.is_ok() && results.iter().all(Option::is_none) && laid_out(&st.batch) {
            out.settled.resize(n, true);
            return;
        }
        out.settled.reserve(n);
        out.values.reserve(n * k);
        // The rows the block decided: their values filled in below, a key at a time.
        let mut together = 0u64;
        for (i, r) in results.into_iter().enumerate() {
            let c = match (r, &done) {
                (Some(c), _) => c,
                (None, Ok(())) if read >> i & 1 == 1 => {
                    let b = &st.batch;
                    if let Some(e) = b.error(i) {
                        Concluded::Failed(Box::new(Outcome::Eval(e.clone())))
                    } else {
                        out.settled.push(b.settled(i));
                        out.values
                            .extend(std::iter::repeat_n(humiao_core::model::Value::Unknown, k));
                        together |= 1 << i;
                        continue;
                    }
                }
                (None, Err(payload)) => {
                    Concluded::Failed(Box::new(Outcome::Internal(panic_message(payload.as_ref()))))
                }
                (None, _) => Concluded::Failed(Box::new(Outcome::Internal(
                    "a case of a block was not evaluated".into(),
                ))),
            };
            out.push(c, k);
        }
        if together != 0 {
            // A block's masks read once per value of a key, not once per row.
            for (kk, &ci) in keys.iter().enumerate() {
                st.batch.conclusion_column(ci, &mut st.column);
                let mut rest = together;
                while rest != 0 {
                    let i = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if let (Some(x), Some(v)) =
                        (out.values.get_mut(i * k + kk), st.column.get_mut(i))
                    {
                        *x = std::mem::take(v);
                    }
                }
            }
        }
        if done.is_err() {
            st.batch = humiao_core::BatchOutcome::new();
        }
    }

    /// The cases of a block read into `st.facts` (their places in `results` in
    /// `st.read_at`), evaluated together into their places.
    pub(crate) fn finish_block(
        &self,
        mut results: Vec<Option<Concluded>>,
        keys: &[usize],
        st: &mut BlockBuffers,
    ) -> Vec<Concluded> {
        let n_read = st.read_at.len();
        if n_read > 0 {
            let done =
                self.conclude_block(st.facts.get(..n_read).unwrap_or(&[]), &mut st.batch, keys);
            for (&at, c) in st.read_at.iter().zip(done) {
                if let Some(slot) = results.get_mut(at) {
                    *slot = Some(c);
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Concluded::Failed(Box::new(Outcome::Internal(
                        "a case of a block was not evaluated".into(),
                    )))
                })
            })
            .collect()
    }

    pub(crate) fn conclude_input(
        &self,
        input: &CaseInput,
        keys: &[usize],
        bufs: &mut ConcludeBuffers,
    ) -> Concluded {
        match input {
            CaseInput::Text(t) => {
                if let Some(done) = self.conclude_row_text(t, keys, bufs) {
                    return done;
                }
                // Read again as `evaluate` reads it, for its problems.
                match self.facts_of_text(t) {
                    Ok(facts) => self.conclude_facts(&facts, keys, &mut bufs.out),
                    Err(failed) => Concluded::Failed(failed),
                }
            }
            CaseInput::Row(row) => match self.load_row(row, &mut bufs.facts) {
                Some(()) => self.conclude_facts(&bufs.facts, keys, &mut bufs.out),
                None => Concluded::Failed(Box::new(Outcome::Internal(
                    "a checked row did not read".into(),
                ))),
            },
            CaseInput::Unreadable(e) => {
                Concluded::Failed(Box::new(Outcome::Facts(vec![e.clone()])))
            }
        }
    }
}

/// What a worker thread keeps from case to case when it evaluates conclusions only: the
/// evaluation's buffers and the facts' slots.
#[derive(Default)]
pub(crate) struct ConcludeBuffers {
    pub out: humiao_core::Outcome,
    pub facts: humiao_core::Facts,
}

/// What a worker keeps from block to block when it evaluates a table's rows 64 at a time:
/// the facts of the rows read straight into slots, where each sits in the block, the batch's
/// buffers, and what rows read the other ways use.
/// A text column's cells worked out lately, by their bytes, on one worker thread: a direct-
/// mapped table of 64 entries. It turns itself off for a column whose texts seldom come back
/// (times, names): after 128 lookups with fewer than half found.
#[derive(Default)]
pub(crate) struct TextCache {
    slots: Vec<Option<(Box<[u8]>, humiao_core::facts::Resolved)>>,
    lookups: u32,
    hits: u32,
    off: bool,
}

impl TextCache {
    const SLOTS: usize = 64;

    fn slot(b: &[u8]) -> usize {
        let word = |x: &[u8]| {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(x) {
                *d = *s;
            }
            u64::from_le_bytes(w)
        };
        let head = word(b);
        let tail = word(b.get(b.len().saturating_sub(8)..).unwrap_or(&[]));
        let h = (head ^ tail.rotate_left(29) ^ b.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 58) as usize
    }

    fn get(&mut self, b: &[u8]) -> Option<&humiao_core::facts::Resolved> {
        if self.off {
            return None;
        }
        // Counted up to the decision only (no overflow on a table of billions of rows).
        if self.lookups < 128 {
            self.lookups += 1;
            if self.lookups == 128 && self.hits < 64 {
                self.off = true;
                self.slots = Vec::new();
                return None;
            }
        }
        match self.slots.get(Self::slot(b)) {
            Some(Some((k, r))) if **k == *b => {
                self.hits = self.hits.saturating_add(1);
                Some(r)
            }
            _ => None,
        }
    }

    fn insert(&mut self, b: &[u8], r: humiao_core::facts::Resolved) {
        if self.off {
            return;
        }
        if self.slots.is_empty() {
            self.slots.resize_with(Self::SLOTS, || None);
        }
        if let Some(s) = self.slots.get_mut(Self::slot(b)) {
            *s = Some((b.into(), r));
        }
    }
}

#[derive(Default)]
pub(crate) struct BlockBuffers {
    pub facts: Vec<humiao_core::Facts>,
    /// A table's rows written column by column.
    pub rows: humiao_core::facts::RowsBlock,
    /// A conclusion of the block's rows.
    pub column: Vec<humiao_core::model::Value>,
    pub read_at: Vec<usize>,
    pub batch: humiao_core::BatchOutcome,
    pub one: ConcludeBuffers,
    pub text: Vec<u8>,
    /// A block's results, reused when they are not handed on.
    pub done: ConcludedBlock,
    /// Per column, its texts worked out lately.
    pub texts: Vec<TextCache>,
}

pub(crate) fn unreadable(e: &ConvertError) -> CaseInput {
    CaseInput::Unreadable(e.to_fact_error())
}

/// A Python value as a case: a mapping becomes JSON text now; `str` and `bytes` are kept as text.
pub(crate) fn case_input(obj: &pyo3::Bound<'_, pyo3::PyAny>) -> pyo3::PyResult<CaseInput> {
    use pyo3::types::{PyBytes, PyBytesMethods, PyString, PyStringMethods};
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(CaseInput::Text(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(match std::str::from_utf8(b.as_bytes()) {
            Ok(t) => CaseInput::Text(t.to_string()),
            Err(e) => CaseInput::Unreadable(FactError {
                code: "F0109",
                path: String::new(),
                expected: "UTF-8 text".into(),
                found: format!("bytes that are not UTF-8 ({e})"),
                message: format!("the facts are not UTF-8: {e}"),
                message_zh: "案件事实不是 UTF-8 文本".into(),
            }),
        });
    }
    // Written as JSON text here (the GIL held), read into the fact slots on a worker thread.
    Ok(match py_to_json_text(obj) {
        Ok(t) => CaseInput::Text(t),
        Err(e) => unreadable(&e),
    })
}

/// The number of worker threads: as asked, else one per core; never more than there are
/// blocks of work.
pub(crate) fn thread_count(asked: Option<usize>, items: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = asked.unwrap_or(cores).max(1);
    wanted.min(items.div_ceil(BLOCK)).max(1)
}

/// The most threads a batch starts (`threads=` past it is refused, as the CLI's `--jobs`): past
/// the cores any machine has, a thread only adds its stack.
pub(crate) const MAX_THREADS: usize = 256;

/// Cases handed to a worker at a time: large enough that the shared counter is not contended,
/// small enough that uneven cases still spread over the threads.
const BLOCK: usize = 64;

/// `f` over every item on `threads` threads, results in input order. `None` when a worker
/// thread died (it cannot, as `f` catches panics per case, but a lost result must not pass
/// silently).
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Option<Vec<R>> {
    par_map_with(items, threads, || (), |(), i, x| f(i, x))
}

/// [`par_map`] with a state per worker thread, made by `init` (e.g. buffers reused from one
/// case to the next).
pub(crate) fn par_map_with<T: Sync, R: Send, S>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &T) -> R + Sync,
) -> Option<Vec<R>> {
    par_map_blocks(items, threads, init, |state, lo, chunk| {
        chunk
            .iter()
            .enumerate()
            .map(|(i, x)| f(state, lo + i, x))
            .collect()
    })
}

/// [`par_map_blocks`] with one result per block (a block's results held together).
pub(crate) fn par_blocks<T: Sync, R: Send, S>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &[T]) -> R + Sync,
) -> Option<Vec<R>> {
    if threads <= 1 {
        let mut state = init();
        return Some(
            items
                .chunks(BLOCK)
                .enumerate()
                .map(|(b, chunk)| f(&mut state, b * BLOCK, chunk))
                .collect(),
        );
    }
    let blocks = items.len().div_ceil(BLOCK);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut state = init();
        let mut done: Vec<(usize, R)> = Vec::new();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            let lo = b * BLOCK;
            let hi = (lo + BLOCK).min(items.len());
            done.push((b, f(&mut state, lo, items.get(lo..hi).unwrap_or(&[]))));
        }
        done
    };
    let mut parts: Vec<(usize, R)> = Vec::with_capacity(blocks);
    let complete = std::thread::scope(|s| {
        let handles = spawn_workers(s, threads, &work);
        if handles.is_empty() {
            parts.extend(work());
            return true;
        }
        let mut ok = true;
        for h in handles {
            match h.join() {
                Ok(p) => parts.extend(p),
                Err(_) => ok = false,
            }
        }
        ok
    });
    if !complete || parts.len() != blocks {
        return None;
    }
    parts.sort_unstable_by_key(|(b, _)| *b);
    Some(parts.into_iter().map(|(_, r)| r).collect())
}

/// [`par_map_with`] a block of up to 64 items at a time (for work done 64 cases together):
/// `f` gets the index of the block's first item and the block, and returns one result per
/// item, in order. `None` when a worker died or a block's results are not one per item.
pub(crate) fn par_map_blocks<T: Sync, R: Send, S>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &[T]) -> Vec<R> + Sync,
) -> Option<Vec<R>> {
    let blocks = par_blocks(items, threads, init, |st, lo, chunk| {
        let r = f(st, lo, chunk);
        (r.len() == chunk.len()).then_some(r)
    })?;
    let mut out = Vec::with_capacity(items.len());
    for b in blocks {
        out.extend(b?);
    }
    Some(out)
}

/// Starts up to `threads` worker threads running `work` (fewer if the system refuses one).
fn spawn_workers<'scope, T: Send + 'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    threads: usize,
    work: &'scope (impl Fn() -> T + Sync),
) -> Vec<std::thread::ScopedJoinHandle<'scope, T>> {
    let mut handles = Vec::new();
    for _ in 0..threads {
        // The main thread's stack size, so deep policies behave as in the CLI.
        let spawned = std::thread::Builder::new()
            .name("humiao-eval".into())
            .stack_size(8 << 20)
            .spawn_scoped(s, work);
        match spawned {
            Ok(h) => handles.push(h),
            Err(_) => break,
        }
    }
    handles
}

/// One cell of a table of cases.
pub(crate) enum Cell {
    Absent,
    Value(Value),
    /// A value that could not become JSON.
    Bad(FactError),
}

/// The largest integer of [`Resolving::Ints`]' table (the largest a fact's tag holds).
const SMALL_INT: i64 = 127;

/// How a column's cells are worked out for [`Run::read_rows`].
pub(crate) enum Resolving {
    /// Each distinct value once, and the missing value.
    Codes(humiao_core::facts::CodeTable),
    /// `false` and `true`, and the missing value.
    Bools(humiao_core::facts::CodeTable),
    /// The integers `0..=SMALL_INT`, and the missing value.
    Ints(humiao_core::facts::CodeTable),
    /// Cell by cell.
    Each,
}

/// One column of a table: its fact path split at dots, and its cells.
pub(crate) struct Column {
    pub name: String,
    pub segments: Vec<String>,
    pub data: crate::table::ColData,
}

/// Row `row` of the columns as a nested facts object. Absent values leave their fact out, so an
/// optional section with no value in a row is absent from that row's case.
#[allow(clippy::result_large_err)]
pub(crate) fn row_facts(columns: &[Column], row: usize) -> Result<Value, FactError> {
    let mut root = Map::new();
    for c in columns {
        let v = match c.data.view(row).json()? {
            Some(v) => v,
            None => continue,
        };
        insert(&mut root, &c.segments, v).map_err(|()| FactError {
            code: "F0111",
            path: c.name.clone(),
            expected: "one value per fact".into(),
            found: "columns that overlap".into(),
            message: format!(
                "column `{}` overlaps another column that sets a value on its path",
                c.name
            ),
            message_zh: format!("列 `{}` 与另一列的路径重叠", c.name),
        })?;
    }
    Ok(Value::Object(root))
}

/// A table's rows as JSON text, for the one-pass reader the CLI reads lines with (no
/// `serde_json::Value` per row, the facts read straight into their slots). Columns are written
/// in path order, so a section's fields go out together; an object is opened only for a value
/// inside it, so a row with no value in an optional section has no such section, as with
/// [`row_facts`]. Text that the reader finds any problem in is read through [`row_facts`]
/// instead, so a row's errors are the ones it always had.
pub(crate) struct RowText<'a> {
    /// The columns in path order, each with its keys ready to copy.
    order: Vec<TextColumn<'a>>,
}

struct TextColumn<'a> {
    column: &'a Column,
    /// Per segment, `"segment":` as JSON; all but the last open an object.
    keys: Vec<Vec<u8>>,
}

/// Objects nested deeper than this are left to [`row_facts`] (the schema's are 2 deep).
const MAX_TEXT_DEPTH: usize = 32;

impl<'a> RowText<'a> {
    /// `None` when a column's path lies inside another's (a section column beside its field
    /// columns, or the same path twice): only [`row_facts`] merges those.
    pub(crate) fn new(columns: &'a [Column]) -> Option<RowText<'a>> {
        let mut sorted: Vec<&Column> = columns.iter().collect();
        sorted.sort_by(|a, b| a.segments.cmp(&b.segments));
        // In path order, a path lying inside another comes right after it or after another
        // path inside it: comparing neighbours finds every such pair.
        for pair in sorted.windows(2) {
            if let [a, b] = pair {
                if b.segments.starts_with(&a.segments) {
                    return None;
                }
            }
        }
        if sorted
            .iter()
            .any(|c| c.segments.is_empty() || c.segments.len() > MAX_TEXT_DEPTH)
        {
            return None;
        }
        let order = sorted
            .into_iter()
            .map(|column| TextColumn {
                column,
                keys: column
                    .segments
                    .iter()
                    .map(|s| {
                        // A JSON string, quoted and escaped by serde_json (into a Vec: no error).
                        let mut k = serde_json::to_vec(s).unwrap_or_default();
                        k.push(b':');
                        k
                    })
                    .collect(),
            })
            .collect();
        Some(RowText { order })
    }

    /// Row `row` as compact JSON text, written into `out`; `None` when a cell could not become
    /// JSON (the row then takes [`row_facts`], which reports it).
    pub(crate) fn write<'b>(&self, row: usize, out: &'b mut Vec<u8>) -> Option<&'b str> {
        out.clear();
        out.push(b'{');
        // The objects open below the root, and per level (the root is level 0) whether something
        // was written in it yet: bit `l` of `written`.
        let mut depth = 0usize;
        let mut written = 0u64;
        let mut last: Option<&TextColumn> = None;
        for c in &self.order {
            let v = match c.column.data.view(row) {
                View::Absent => continue,
                View::Bad(_) => return None,
                v => v,
            };
            let parents = c.keys.len().saturating_sub(1);
            // The objects this column shares with the last one written stay open.
            let keep = last.map_or(0, |l| {
                l.keys
                    .iter()
                    .take(l.keys.len().saturating_sub(1))
                    .zip(c.keys.iter().take(parents))
                    .take_while(|(a, b)| a == b)
                    .count()
                    .min(depth)
            });
            while depth > keep {
                written &= !(1u64 << depth);
                depth -= 1;
                out.push(b'}');
            }
            for (level, key) in c.keys.iter().enumerate() {
                if level < depth {
                    continue;
                }
                if written & (1u64 << level) != 0 {
                    out.push(b',');
                }
                written |= 1u64 << level;
                out.extend_from_slice(key);
                if level < parents {
                    out.push(b'{');
                    depth += 1;
                }
            }
            match v {
                View::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
                View::Int(i) => serde_json::to_writer(&mut *out, &i).ok()?,
                View::Float(x) => serde_json::to_writer(&mut *out, &Number::from_f64(x)?).ok()?,
                View::Json(v) => serde_json::to_writer(&mut *out, v).ok()?,
                View::Text(t) => serde_json::to_writer(&mut *out, t).ok()?,
                View::Absent | View::Bad(_) => return None,
            }
            last = Some(c);
        }
        for _ in 0..depth {
            out.push(b'}');
        }
        out.push(b'}');
        std::str::from_utf8(out).ok()
    }
}

fn insert(map: &mut Map<String, Value>, segments: &[String], v: Value) -> Result<(), ()> {
    match segments {
        [] => Err(()),
        [last] => match (map.get_mut(last), v) {
            (None, v) => {
                map.insert(last.clone(), v);
                Ok(())
            }
            // A section column (`minor` holding a dict) merged with a field column.
            (Some(Value::Object(old)), Value::Object(new)) => {
                for (k, x) in new {
                    if old.contains_key(&k) {
                        return Err(());
                    }
                    old.insert(k, x);
                }
                Ok(())
            }
            _ => Err(()),
        },
        [first, rest @ ..] => {
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(inner) => insert(inner, rest, v),
                _ => Err(()),
            }
        }
    }
}

/// Inputs read one by one on the calling thread by `next` (which holds the GIL: reading Python
/// objects), handed to `threads` worker threads in blocks as they are read, so the workers
/// evaluate while the rest are still being read; results in input order. `Ok(None)` when a
/// worker thread died (as [`par_map`]); an error of `next` stops the workers and is returned.
///
/// `f` gets a block of up to 64 items at a time and returns one result per item of the
/// block, in order (a block whose results are not one per item counts as lost).
pub(crate) fn par_map_stream_blocks<T: Send, R: Send, S>(
    py: pyo3::Python<'_>,
    mut next: impl FnMut() -> pyo3::PyResult<Option<T>>,
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &[T]) -> Vec<R> + Sync,
) -> pyo3::PyResult<Option<Vec<R>>> {
    use std::collections::VecDeque;
    use std::sync::{Condvar, Mutex};

    /// Blocks read and not yet taken, and whether reading is over.
    struct Queue<T> {
        blocks: VecDeque<(usize, Vec<T>)>,
        done: bool,
    }
    let queue = Mutex::new(Queue {
        blocks: VecDeque::new(),
        done: false,
    });
    let ready = Condvar::new();
    let finish = |q: &Mutex<Queue<T>>| {
        if let Ok(mut q) = q.lock() {
            q.done = true;
        }
        ready.notify_all();
    };
    let work = || {
        let mut state = init();
        let mut out: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let block = {
                let Ok(mut q) = queue.lock() else {
                    return out;
                };
                loop {
                    if let Some(b) = q.blocks.pop_front() {
                        break Some(b);
                    }
                    if q.done {
                        break None;
                    }
                    q = match ready.wait(q) {
                        Ok(q) => q,
                        Err(_) => return out,
                    };
                }
            };
            let Some((at, items)) = block else {
                return out;
            };
            let r = f(&mut state, &items);
            if r.len() == items.len() {
                out.push((at, r));
            }
        }
    };
    std::thread::scope(|s| {
        let handles = spawn_workers(s, threads.max(1), &work);
        let mut read = 0usize;
        let mut blocks = 0usize;
        let mut block = Vec::with_capacity(BLOCK);
        let failed = loop {
            match next() {
                Ok(Some(x)) => block.push(x),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
            if block.len() == BLOCK {
                read += block.len();
                if let Ok(mut q) = queue.lock() {
                    q.blocks.push_back((blocks, std::mem::take(&mut block)));
                }
                blocks += 1;
                ready.notify_one();
            }
        };
        if !block.is_empty() {
            read += block.len();
            if let Ok(mut q) = queue.lock() {
                q.blocks.push_back((blocks, block));
            }
            blocks += 1;
        }
        finish(&queue);
        let (parts, lost) = py.detach(|| {
            let mut parts: Vec<(usize, Vec<R>)> = Vec::with_capacity(blocks);
            let mut lost = false;
            if handles.is_empty() {
                // No thread could be started: do the work here.
                parts.extend(work());
            }
            for h in handles {
                match h.join() {
                    Ok(p) => parts.extend(p),
                    Err(_) => lost = true,
                }
            }
            (parts, lost)
        });
        if let Some(e) = failed {
            return Err(e);
        }
        if lost || parts.len() != blocks {
            return Ok(None);
        }
        let mut parts = parts;
        parts.sort_unstable_by_key(|(b, _)| *b);
        let out: Vec<R> = parts.into_iter().flat_map(|(_, r)| r).collect();
        Ok((out.len() == read).then_some(out))
    })
}
