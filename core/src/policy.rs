//! The public entry point: a checked, compiled policy set built from source texts.

use crate::compile::{compile, PolicyInfo, Unit};
pub use crate::compiled::BytesError;
use crate::decision::{Decision, PolicyRef};
use crate::diag::{resolve, Diagnostic, Finding, Severity, SourceFile};
use crate::eval::{DecisionBuffers, DecisionJson, EvalError, EvalOptions, Evaluator, Written};
use crate::facts::{FactError, Facts, Loader, PathTree, Strictness};
use crate::ir::{CompiledTest, ParamDef, Program};
use crate::model::Schema;
use crate::time::Date;
use humiao_grammar::ast::{RosterDecl, RotationDecl, Span};
use humiao_grammar::ParseOptions;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One file of a policy set: its path inside the set (`reporting.humiao`, `humiao.toml`,
/// `yuexiu-roster.csv`) and its text.
#[derive(Clone, Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
}

impl Source {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
        }
    }
}

/// Limits and overrides applied when a policy set is loaded.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Param values set by the caller (`--param k=v`, `params={…}`).
    pub params: Vec<(String, serde_json::Value)>,
    pub parse: ParseOptions,
    /// Most rules a set may have.
    pub max_rules: usize,
    /// Most files a set may have.
    pub max_files: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            params: Vec::new(),
            parse: ParseOptions::default(),
            max_rules: 100_000,
            max_files: 1_000,
        }
    }
}

/// Options for loading facts.
#[derive(Clone, Debug)]
pub struct FactsOptions {
    pub strictness: Strictness,
    /// Most items in one list fact (F0108).
    pub max_list_len: usize,
    /// Largest facts document read from text, in bytes (F0111).
    pub max_bytes: usize,
    /// Deepest nesting of lists and objects read from text (F0112); at most
    /// [`crate::facts::JSON_DEPTH_CEILING`] whatever is asked.
    pub max_json_depth: usize,
    /// Quote `@sensitive` values in facts errors (by default they are `<redacted>`).
    pub reveal_sensitive: bool,
}

impl FactsOptions {
    /// The limits on reading facts text.
    pub(crate) fn json_limits(&self) -> crate::facts::JsonLimits {
        crate::facts::JsonLimits {
            max_bytes: self.max_bytes,
            max_depth: self.max_json_depth,
        }
    }
}

impl Default for FactsOptions {
    fn default() -> Self {
        FactsOptions {
            strictness: Strictness::Strict,
            max_list_len: 10_000,
            max_bytes: 4 * 1024 * 1024,
            max_json_depth: 32,
            reveal_sensitive: false,
        }
    }
}

/// The manifest `humiao.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// `.humiao` files in evaluation/output order; by default all, sorted by path.
    #[serde(default)]
    pub files: Vec<String>,
    /// Data files the set reads (roster CSVs).
    #[serde(default)]
    pub data: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The policy set could not be loaded: every error diagnostic, with warnings alongside.
#[derive(Clone, Debug, thiserror::Error)]
#[error("the policy set has {} error(s)", .diagnostics.iter().filter(|d| d.severity == Severity::Error).count())]
pub struct PolicyError {
    pub diagnostics: Vec<Diagnostic>,
    /// The file texts, for rendering the diagnostics.
    pub sources: Vec<(String, String)>,
}

/// Facts could not be read, or evaluation stopped.
#[derive(Clone, Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error("the facts have {} problem(s)", .0.len())]
    Facts(Vec<FactError>),
    #[error(transparent)]
    Eval(#[from] EvalError),
}

std::thread_local! {
    /// The evaluator's buffers of [`Policy::evaluate`] on this thread, between calls.
    static SPARE: std::cell::Cell<Option<crate::eval::EvalState>> =
        const { std::cell::Cell::new(None) };
}

/// A checked and compiled policy set.
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub version: String,
    pub digest: String,
    pub schema: Schema,
    pub program: Program,
    pub policies: Vec<PolicyInfo>,
    pub tests: Vec<CompiledTest>,
    pub rotations: Vec<(usize, RotationDecl)>,
    pub rosters: Vec<(usize, RosterDecl)>,
    /// The `.humiao` files, in set order.
    pub files: Vec<SourceFile>,
    /// Every source as given (data files included), for rosters and digests.
    pub sources: Vec<Source>,
    /// Warnings and notes from checking (no errors: a policy with errors does not load).
    pub diagnostics: Vec<Diagnostic>,
    tree: std::sync::Arc<PathTree>,
    /// The program lowered for the fast path, built on first evaluation.
    fast: std::sync::OnceLock<std::sync::Arc<crate::eval::FastProgram>>,
    /// The constant parts of the decision JSON, built on first use.
    json: std::sync::OnceLock<std::sync::Arc<crate::eval::DecisionJson>>,
}

impl Policy {
    /// Checks and compiles a policy set. Errors come back as diagnostics, never a panic.
    pub fn from_sources(sources: &[Source], opts: &LoadOptions) -> Result<Policy, PolicyError> {
        let (policy, diags) = Policy::check_sources(sources, opts);
        match policy {
            Some(p) => Ok(p),
            None => Err(PolicyError {
                diagnostics: diags,
                sources: sources
                    .iter()
                    .map(|s| (s.path.clone(), s.text.clone()))
                    .collect(),
            }),
        }
    }

    /// Checks a policy set and returns every diagnostic, with the compiled set when it has
    /// no errors.
    pub fn check_sources(
        sources: &[Source],
        opts: &LoadOptions,
    ) -> (Option<Policy>, Vec<Diagnostic>) {
        let mut findings: Vec<Finding> = Vec::new();
        let mut manifest = Manifest {
            name: "unnamed".into(),
            version: "0".into(),
            ..Manifest::default()
        };
        let mut manifest_file: Option<SourceFile> = None;
        if sources.len() > opts.max_files {
            let d = Diagnostic {
                code: "E0002",
                severity: Severity::Error,
                file: String::new(),
                line: 0,
                column: 0,
                end_line: 0,
                end_column: 0,
                message: format!(
                    "the policy set has {} files, more than the limit of {}",
                    sources.len(),
                    opts.max_files
                ),
                message_zh: format!(
                    "政策集有 {} 个文件，超过上限 {}",
                    sources.len(),
                    opts.max_files
                ),
                help: None,
                help_zh: None,
                span: Span::default(),
            };
            return (None, vec![d]);
        }
        if let Some(m) = sources.iter().find(|s| s.path == "humiao.toml") {
            let sf = SourceFile::new(&m.path, &m.text);
            match toml::from_str::<Manifest>(&m.text) {
                Ok(mf) => manifest = mf,
                Err(e) => {
                    let span = e
                        .span()
                        .map_or(Span::default(), |r| Span::new(r.start, r.end));
                    let msg = e.message().to_string();
                    findings.push(Finding::error(
                        "E0106",
                        usize::MAX - 1,
                        span,
                        format!("humiao.toml: {msg}"),
                        format!("humiao.toml 格式错误：{msg}"),
                    ));
                }
            }
            manifest_file = Some(sf);
        }
        // The .humiao files, in manifest order when given, else sorted by path.
        let mut humiao: Vec<&Source> = sources
            .iter()
            .filter(|s| s.path.ends_with(".humiao"))
            .collect();
        humiao.sort_by(|a, b| a.path.cmp(&b.path));
        if !manifest.files.is_empty() {
            let mut ordered = Vec::new();
            for f in &manifest.files {
                match humiao.iter().find(|s| &s.path == f) {
                    Some(s) => ordered.push(*s),
                    None => findings.push(Finding::error(
                        "E0106",
                        usize::MAX - 1,
                        Span::default(),
                        format!("humiao.toml lists `{f}`, which is not in the policy set"),
                        format!("humiao.toml 列出的 `{f}` 不在政策集中"),
                    )),
                }
            }
            for s in &humiao {
                if !manifest.files.contains(&s.path) {
                    findings.push(Finding::warning(
                        "W0102",
                        usize::MAX - 1,
                        Span::default(),
                        format!("`{}` is not listed in humiao.toml's `files`; it is read after the listed ones", s.path),
                        format!("`{}` 未列入 humiao.toml 的 `files`，将在已列出的文件之后读取", s.path),
                    ));
                    ordered.push(*s);
                }
            }
            humiao = ordered;
        }
        for d in &manifest.data {
            if !sources.iter().any(|s| &s.path == d) {
                findings.push(Finding::error(
                    "E0106",
                    usize::MAX - 1,
                    Span::default(),
                    format!("humiao.toml names the data file `{d}`, which was not given"),
                    format!("humiao.toml 列出的数据文件 `{d}` 未提供"),
                ));
            }
        }
        let files: Vec<SourceFile> = humiao
            .iter()
            .map(|s| SourceFile::new(&s.path, &s.text))
            .collect();
        let mut asts = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            let (ast, errs) = humiao_grammar::parse(&f.text, &opts.parse);
            findings.extend(errs.iter().map(|e| Finding::from_syntax(i, e)));
            asts.push(ast);
        }
        let units: Vec<Unit> = files
            .iter()
            .zip(asts.iter())
            .map(|(f, a)| Unit {
                path: f.path.as_str(),
                text: f.text.as_str(),
                file: a,
            })
            .collect();
        let c = compile(&units, &opts.params);
        findings.extend(c.findings);
        let nrules = c.program.rules.len();
        if nrules > opts.max_rules {
            findings.push(Finding::error(
                "E0002",
                usize::MAX - 1,
                Span::default(),
                format!(
                    "the policy set has {nrules} rules, more than the limit of {}",
                    opts.max_rules
                ),
                format!("政策集有 {nrules} 条规则，超过上限 {}", opts.max_rules),
            ));
        }
        // A test's facts are read as a case's are: a misspelt field or a wrong value there is
        // found by `check`, not first by `test` (W0602, at the test: a warning, since the rules
        // themselves are sound and `test` reports the test failing).
        let tree = PathTree::build(&c.schema);
        let fopts = FactsOptions::default();
        for t in c.tests.iter().filter(|t| t.plan.is_none()) {
            let loader = crate::facts::Loader {
                schema: &c.schema,
                tree: &tree,
                strictness: fopts.strictness,
                max_list_len: fopts.max_list_len,
                reveal_sensitive: false,
            };
            if let Err(errs) = loader.load(&t.given) {
                for e in errs {
                    findings.push(
                        Finding::warning(
                            "W0602",
                            t.file,
                            t.span,
                            format!("test \"{}\": its facts: {}", t.title, e.message),
                            format!("测试“{}”的事实：{}", t.title, e.message_zh),
                        )
                        .with_help(
                            "a test's `given` is read as a case's facts are",
                            "测试的 `given` 按案件事实的规则读取",
                        ),
                    );
                }
            }
        }
        // Rosters must name a data file of the set.
        for (fi, r) in &c.rosters {
            if !sources.iter().any(|s| s.path == r.file.value) {
                findings.push(Finding::error(
                    "E0402",
                    *fi,
                    r.file.span,
                    format!(
                        "the roster file `{}` is not in the policy set",
                        r.file.value
                    ),
                    format!("名册文件 `{}` 不在政策集中", r.file.value),
                ));
            }
        }
        let mut diags: Vec<Diagnostic> = findings
            .iter()
            .map(|f| {
                if f.file == usize::MAX - 1 {
                    let mut g = f.clone();
                    g.file = 0;
                    let mf = manifest_file
                        .clone()
                        .unwrap_or_else(|| SourceFile::new("humiao.toml", ""));
                    let mut d = resolve(&g, std::slice::from_ref(&mf));
                    d.file = "humiao.toml".into();
                    d
                } else if f.file == usize::MAX {
                    let mut d = resolve(f, &[]);
                    d.file = "<params>".into();
                    d
                } else {
                    resolve(f, &files)
                }
            })
            .collect();
        sort_diagnostics(&mut diags);
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return (None, diags);
        }
        let digest = digest(sources, &c.program.params);
        let policy = Policy {
            name: manifest.name,
            version: manifest.version,
            digest,
            tree: std::sync::Arc::new(tree),
            fast: std::sync::OnceLock::new(),
            json: std::sync::OnceLock::new(),
            schema: c.schema,
            program: c.program,
            policies: c.policies,
            tests: c.tests,
            rotations: c.rotations,
            rosters: c.rosters,
            files,
            sources: sources.to_vec(),
            diagnostics: diags.clone(),
        };
        // A rotation's exclusions name streets and communities of its roster: checked here, so
        // that `check` finds a misspelt one, not first the plan (E0504).
        let mut late = Vec::new();
        for (fi, r) in policy
            .rotations
            .iter()
            .filter(|(_, r)| !r.exclude.is_empty())
        {
            let Ok((spec, roster)) = policy.rotation(&r.name.text) else {
                continue;
            };
            for e in &r.exclude {
                let one = crate::plan::RotationSpec {
                    exclude: vec![e.value.clone()],
                    ..spec.clone()
                };
                let mut notes = Vec::new();
                if let Err(err @ crate::plan::PlanError::UnknownExclusion(..)) =
                    crate::plan::Scope::new(&one, &roster, &mut notes).map(|_| ())
                {
                    late.push(Finding::error(
                        "E0504",
                        *fi,
                        e.span,
                        err.to_string(),
                        err.message_zh(),
                    ));
                }
            }
        }
        if !late.is_empty() {
            let mut diags: Vec<Diagnostic> = diags;
            diags.extend(late.iter().map(|f| resolve(f, &policy.files)));
            sort_diagnostics(&mut diags);
            return (None, diags);
        }
        (Some(policy), diags)
    }

    /// The checked and compiled set as bytes, for [`Policy::from_bytes`]: compile once (e.g. at
    /// build time), load many times without parsing or checking. The bytes carry the format
    /// and engine versions, the digest and every source (rosters and tests need them).
    pub fn to_bytes(&self) -> Result<Vec<u8>, BytesError> {
        crate::compiled::write(self)
    }

    /// Reads what [`Policy::to_bytes`] wrote, with the same engine version: the policy evaluates,
    /// tests, plans and reports byte for byte as the one compiled from the sources. Bytes from
    /// another version, or damaged, are an error with a message; never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy, BytesError> {
        crate::compiled::read(bytes).map(Policy::of_parts)
    }

    /// Only what evaluation needs, as bytes for [`Policy::from_evaluation_bytes`]: the name,
    /// version, digest, schema, program and policies, without the source texts, in-file tests,
    /// rotations, rosters and diagnostics (so a few times smaller, and read with less code).
    pub fn to_evaluation_bytes(&self) -> Result<Vec<u8>, BytesError> {
        crate::compiled::write_evaluation(self)
    }

    /// Reads what [`Policy::to_evaluation_bytes`] wrote, with the same engine version. The
    /// policy evaluates (and loads facts, lists params and schema) byte for byte as the one
    /// compiled from the sources; it has no sources, files, tests, rotations, rosters or
    /// diagnostics, so it has no tests to run and no rotation to plan. Other bytes, or damaged
    /// ones, are an error with a message; never a panic.
    pub fn from_evaluation_bytes(bytes: &[u8]) -> Result<Policy, BytesError> {
        crate::compiled::read_evaluation(bytes).map(Policy::of_parts)
    }

    fn of_parts(p: crate::compiled::Parts) -> Policy {
        Policy {
            name: p.name,
            version: p.version,
            digest: p.digest,
            tree: std::sync::Arc::new(PathTree::build(&p.schema)),
            fast: std::sync::OnceLock::new(),
            json: std::sync::OnceLock::new(),
            schema: p.schema,
            program: p.program,
            policies: p.policies,
            tests: p.tests,
            rotations: p.rotations,
            rosters: p.rosters,
            files: p.files,
            sources: p.sources,
            diagnostics: p.diagnostics,
        }
    }

    pub fn reference(&self) -> PolicyRef {
        PolicyRef {
            name: self.name.clone(),
            version: self.version.clone(),
            digest: self.digest.clone(),
        }
    }

    pub fn params(&self) -> &[ParamDef] {
        &self.program.params
    }

    /// Reads a case's JSON facts against the schema.
    pub fn load_facts(
        &self,
        json: &serde_json::Value,
        opts: &FactsOptions,
    ) -> Result<Facts, Vec<FactError>> {
        let loader = Loader {
            schema: &self.schema,
            tree: &self.tree,
            strictness: opts.strictness,
            max_list_len: opts.max_list_len,
            reveal_sensitive: opts.reveal_sensitive,
        };
        loader.load(json)
    }

    /// Reads a case's facts from JSON text. Besides what [`Policy::load_facts`] checks, the
    /// text's size (F0111), its nesting depth (F0112) and repeated keys (F0113, which
    /// serde_json would silently resolve to the last) are errors with their JSON paths; a text
    /// that is not JSON is F0100 with the path where reading stopped. Every problem found is
    /// reported at once.
    ///
    /// A case is read in one pass of the text, straight into the fact slots; only a case with
    /// a problem (or a note on an unknown field) is read again by the two-pass reader of
    /// [`Policy::load_facts_text_two_pass`], which reports every problem: the same facts,
    /// notes and errors either way.
    pub fn load_facts_text(
        &self,
        text: &str,
        opts: &FactsOptions,
    ) -> Result<Facts, Vec<FactError>> {
        match self.load_facts_text_one_pass(text, opts) {
            Some(facts) => Ok(facts),
            None => self.load_facts_text_two_pass(text, opts),
        }
    }

    /// The paths of every fact a table's cell can hold (see
    /// [`crate::facts::RowReader::holds`]), in the schema's order: the columns a table of this
    /// set's cases may have.
    pub fn cell_fact_paths(&self) -> Vec<&str> {
        self.schema
            .facts
            .iter()
            .filter(|f| crate::facts::RowReader::holds(&f.ty))
            .map(|f| f.path.as_str())
            .collect()
    }

    /// Matches a table's columns to the schema's facts, for [`Policy::load_row_into`]:
    /// `paths` are the columns' fact paths. `None` unless every column is a distinct fact a
    /// cell can hold (see [`crate::facts::RowReader`]); such a table is read as JSON, row by
    /// row.
    pub fn row_reader(&self, paths: &[&str]) -> Option<crate::facts::RowReader> {
        self.tree.row_reader(&self.schema, paths)
    }

    /// Reads one row of a table into `facts` (buffers reused), straight into the fact slots:
    /// `cell(i)` is the row's cell of the reader's column `i`. True when the row read exactly
    /// as the same case written as JSON reads with [`Policy::load_facts_text`] (an object
    /// only for a value inside it: a row with no value in an optional section has no such
    /// section); false when it would not, or might not (a cell of another kind, a value the
    /// schema refuses, a time without offset). After false, `facts` holds nothing of use and
    /// the row is to be read as JSON, which reports its problems.
    pub fn load_row_into<'c>(
        &self,
        reader: &crate::facts::RowReader,
        cell: impl FnMut(usize) -> crate::facts::Cell<'c>,
        opts: &FactsOptions,
        facts: &mut Facts,
    ) -> bool {
        self.tree
            .read_row_into(&self.schema, reader, cell, opts, facts)
    }

    /// Column `col`'s cell worked out once, to be [`put`](crate::facts::RowsWriter::put) into
    /// any row that holds it (see [`Policy::rows_writer`]).
    pub fn resolve_cell(
        &self,
        reader: &crate::facts::RowReader,
        col: usize,
        cell: crate::facts::Cell,
        opts: &FactsOptions,
    ) -> crate::facts::Resolved {
        self.tree.resolve_cell(reader, col, cell, opts)
    }

    /// Column `col`'s distinct values (`cells`, each from [`Policy::resolve_cell`]) and its
    /// missing value made into the table [`crate::facts::RowsWriter::put_codes`] writes a
    /// block's codes with: made once per column, used for every block.
    pub fn code_table(
        &self,
        reader: &crate::facts::RowReader,
        col: usize,
        cells: Vec<crate::facts::Resolved>,
        absent: crate::facts::Resolved,
    ) -> crate::facts::CodeTable {
        self.tree.code_table(reader, col, cells, absent)
    }

    /// Reads the first `n` (at most 64) rows of a table at once, column by column, into
    /// `block` (buffers reused), for [`Policy::evaluate_rows`]: a row the writer's
    /// [`finish`](crate::facts::RowsWriter::finish) says was read holds exactly what
    /// [`Policy::load_row_into`] gives it ([`crate::facts::RowsBlock::facts_into`]); the others
    /// are to be read row by row. A block read column by column, each distinct value of a
    /// column resolved once and most cells a byte (the tag the evaluator reads), costs a
    /// nanosecond or two a cell where a row at a time costs tens.
    pub fn rows_writer<'a>(
        &'a self,
        reader: &'a crate::facts::RowReader,
        opts: &FactsOptions,
        block: &'a mut crate::facts::RowsBlock,
        n: usize,
    ) -> crate::facts::RowsWriter<'a> {
        self.tree.rows_writer(&self.schema, reader, opts, block, n)
    }

    /// Whether [`Policy::load_row_into`] would read this row (true) or hand it over (false),
    /// without reading it.
    pub fn check_row<'c>(
        &self,
        reader: &crate::facts::RowReader,
        cell: impl FnMut(usize) -> crate::facts::Cell<'c>,
        opts: &FactsOptions,
    ) -> bool {
        self.tree.check_row(&self.schema, reader, cell, opts)
    }

    /// [`Policy::load_facts_text`] into `facts`, reusing its buffers (for batches: a line's
    /// facts then cost no allocation once `facts` has grown to the schema's size). On an
    /// error `facts` holds nothing of use.
    pub fn load_facts_text_into(
        &self,
        text: &str,
        opts: &FactsOptions,
        facts: &mut Facts,
    ) -> Result<(), Vec<FactError>> {
        let read = self.tree.read_text_into(&self.schema, text, opts, facts);
        if !read {
            *facts = self.load_facts_text_two_pass(text, opts)?;
        }
        Ok(())
    }

    /// [`Policy::load_facts_text`] by the one-pass reader alone: `None` where it gives the case
    /// to the two-pass reader (a problem, or a note on an unknown field). For the differential
    /// tests and the benchmark.
    #[doc(hidden)]
    pub fn load_facts_text_one_pass(&self, text: &str, opts: &FactsOptions) -> Option<Facts> {
        let mut facts = Facts::default();
        self.tree
            .read_text_into(&self.schema, text, opts, &mut facts)
            .then_some(facts)
    }

    /// [`Policy::load_facts_text`] by the two-pass reader alone: the text read into a
    /// `serde_json::Value` (size, nesting, repeated keys, JSON syntax), then walked against the
    /// schema. What the one-pass reader is held equal to in the differential tests.
    #[doc(hidden)]
    pub fn load_facts_text_two_pass(
        &self,
        text: &str,
        opts: &FactsOptions,
    ) -> Result<Facts, Vec<FactError>> {
        let (value, mut errors) = crate::facts::read_json(text, opts.json_limits());
        let Some(value) = value else {
            return Err(errors);
        };
        match self.load_facts(&value, opts) {
            Ok(facts) if errors.is_empty() => Ok(facts),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    /// Reads JSON facts text (see [`Policy::load_facts_text`]) and evaluates them.
    pub fn evaluate_text(
        &self,
        text: &str,
        as_of: Date,
        opts: &EvalOptions,
        fopts: &FactsOptions,
    ) -> Result<Decision, EvaluateError> {
        let facts = self
            .load_facts_text(text, fopts)
            .map_err(EvaluateError::Facts)?;
        Ok(self.evaluate(&facts, as_of, opts)?)
    }

    /// Evaluates loaded facts as of a date.
    pub fn evaluate(
        &self,
        facts: &Facts,
        as_of: Date,
        opts: &EvalOptions,
    ) -> Result<Decision, EvalError> {
        // The evaluator's buffers are the thread's, kept between calls (sized for the last
        // policy evaluated on it): allocating and freeing them was a sixth of a case's time.
        // A call made while they are lent out (none is today) allocates its own.
        SPARE.with(|spare| {
            let mut state = spare.take().unwrap_or_default();
            let decision = self.evaluate_with(facts, as_of, opts, &mut state);
            spare.set(Some(state));
            decision
        })
    }

    fn evaluate_with(
        &self,
        facts: &Facts,
        as_of: Date,
        opts: &EvalOptions,
        state: &mut crate::eval::EvalState,
    ) -> Result<Decision, EvalError> {
        let fast = self.fast_program();
        let (prog, schema, steps) = (&self.program, &self.schema, opts.max_steps);
        if fast.usable(facts, opts) {
            let mut ev = Evaluator::reuse(prog, schema, facts, as_of, steps, state);
            if ev.run_fast(fast).is_ok() {
                ev.ahead = Some(&fast.trace);
                ev.fast_run = Some(fast);
                let d = ev.decision(self.reference(), opts);
                ev.stash(state);
                return d;
            }
            ev.stash(state);
        }
        let mut ev = Evaluator::reuse(prog, schema, facts, as_of, steps, state);
        let d = ev.run().and_then(|()| {
            ev.ahead = Some(&fast.trace);
            ev.decision(self.reference(), opts)
        });
        ev.stash(state);
        d
    }

    /// Evaluates with the reference evaluator only (no fast path): for differential tests
    /// and benchmarks. Gives the same decision as [`Policy::evaluate`].
    pub fn evaluate_reference(
        &self,
        facts: &Facts,
        as_of: Date,
        opts: &EvalOptions,
    ) -> Result<Decision, EvalError> {
        let mut ev = Evaluator::new(&self.program, &self.schema, facts, as_of, opts.max_steps);
        ev.run()?;
        ev.decision(self.reference(), opts)
    }

    /// The fast path alone: `None` when it cannot decide this case (something is undecided
    /// or in conflict, or the step budget is too small to rule out reaching it), where
    /// [`Policy::evaluate`] falls back to the reference evaluator. For tests and benchmarks.
    pub fn evaluate_fast(
        &self,
        facts: &Facts,
        as_of: Date,
        opts: &EvalOptions,
    ) -> Option<Result<Decision, EvalError>> {
        let fast = self.fast_program();
        if !fast.usable(facts, opts) {
            return None;
        }
        let mut ev = Evaluator::new(&self.program, &self.schema, facts, as_of, opts.max_steps);
        ev.run_fast(fast).ok()?;
        ev.fast_run = Some(fast);
        Some(ev.decision(self.reference(), opts))
    }

    /// Evaluates a case to its conclusions and rule states only, into `out`, reusing its
    /// buffers: no [`Decision`] is built and nothing is allocated once `out` has grown to
    /// the policy's size. For batch work that reads a few conclusions of many cases; the
    /// values are those [`Policy::evaluate`] would give (fast path, falling back to the
    /// reference evaluator).
    pub fn evaluate_outcome(
        &self,
        facts: &Facts,
        as_of: Date,
        opts: &EvalOptions,
        out: &mut Outcome,
    ) -> Result<(), EvalError> {
        let fast = self.fast_program();
        if fast.usable(facts, opts) {
            let mut ev = Evaluator::reuse(
                &self.program,
                &self.schema,
                facts,
                as_of,
                opts.max_steps,
                &mut out.state,
            );
            let done = ev.run_fast(fast).is_ok();
            ev.stash(&mut out.state);
            if done {
                return Ok(());
            }
        }
        let mut ev = Evaluator::reuse(
            &self.program,
            &self.schema,
            facts,
            as_of,
            opts.max_steps,
            &mut out.state,
        );
        let r = ev.run();
        ev.stash(&mut out.state);
        if r.is_err() {
            out.state.conc.clear();
            out.state.rule_state.clear();
        }
        r
    }

    /// Evaluates many cases into `out`: case by case, the outcome [`Policy::evaluate_outcome`]
    /// gives (conclusions, rule states, whether it settled, or its error), worked out 64 cases
    /// at a time where it can be: every node of the rules is evaluated for 64 cases at once as
    /// bit masks, and a case the masks cannot decide alone (anything undecided, a conflict,
    /// list items, computed dates; explanations) is evaluated by `evaluate_outcome`.
    /// `out`'s buffers are reused between calls.
    pub fn evaluate_batch(
        &self,
        cases: &[Facts],
        as_of: Date,
        opts: &EvalOptions,
        out: &mut BatchOutcome,
    ) {
        let fast = self.fast_program();
        crate::eval::lanes::run(
            fast,
            fast.lanes(&self.program, &self.schema),
            &self.program,
            cases,
            as_of,
            opts,
            &mut out.batch,
            |_, _| u64::MAX,
            |f, o| self.evaluate_outcome(f, as_of, opts, o),
        );
    }

    /// [`Policy::evaluate_batch`] over a block of a table's rows written column by column
    /// ([`Policy::rows_writer`]): the rows read (those [`crate::facts::RowsWriter::finish`]
    /// said were) are evaluated straight from the block's columns — no [`Facts`] is made for a
    /// row unless the masks hand it over — each as `evaluate_outcome` of the facts
    /// [`Policy::load_row_into`] would give it. A row not read has no outcome in `out` (its
    /// accessors say nothing, as past the end).
    pub fn evaluate_rows(
        &self,
        rows: &crate::facts::RowsBlock,
        as_of: Date,
        opts: &EvalOptions,
        out: &mut BatchOutcome,
    ) {
        let fast = self.fast_program();
        let read = rows.read();
        crate::eval::lanes::run(
            fast,
            fast.lanes(&self.program, &self.schema),
            &self.program,
            rows,
            as_of,
            opts,
            &mut out.batch,
            |_, _| read,
            |f, o| self.evaluate_outcome(f, as_of, opts, o),
        );
    }

    /// Evaluates a case and appends its decision's JSON to `out`: the bytes of
    /// [`Decision::to_json`] of [`Policy::evaluate`] (with the notes of `bufs` added), without
    /// building the [`Decision`] when it is determined. The constant parts of the text are
    /// serialised once per policy; `bufs` keeps the evaluator's buffers between cases. On an
    /// error `out` is as it was.
    pub fn evaluate_json_into(
        &self,
        facts: &Facts,
        as_of: Date,
        opts: &EvalOptions,
        bufs: &mut DecisionBuffers,
        out: &mut Vec<u8>,
    ) -> Result<(), EvalError> {
        let dj = self.decision_json();
        let fast = self.fast_program();
        if fast.usable(facts, opts) {
            let mut ev = Evaluator::reuse(
                &self.program,
                &self.schema,
                facts,
                as_of,
                opts.max_steps,
                &mut bufs.state,
            );
            if ev.run_fast(fast).is_ok() {
                ev.fast_run = Some(fast);
                let r = self.finish_json(&mut ev, dj, opts, &bufs.notes, out);
                ev.stash(&mut bufs.state);
                return r;
            }
            ev.stash(&mut bufs.state);
        }
        let mut ev = Evaluator::reuse(
            &self.program,
            &self.schema,
            facts,
            as_of,
            opts.max_steps,
            &mut bufs.state,
        );
        let r = ev
            .run()
            .and_then(|()| self.finish_json(&mut ev, dj, opts, &bufs.notes, out));
        ev.stash(&mut bufs.state);
        r
    }

    /// Reads a case's JSON text and appends its decision's JSON to `out`: what
    /// [`Policy::load_facts_text`] then [`Policy::evaluate_json_into`] do, with the facts read
    /// into buffers kept in `bufs` (a batch's lines then allocate nothing for their facts).
    /// On an error `out` is as it was.
    pub fn evaluate_text_into(
        &self,
        text: &str,
        as_of: Date,
        opts: &EvalOptions,
        fopts: &FactsOptions,
        bufs: &mut DecisionBuffers,
        out: &mut Vec<u8>,
    ) -> Result<(), EvaluateError> {
        let mut facts = std::mem::take(&mut bufs.facts);
        let r = match self.load_facts_text_into(text, fopts, &mut facts) {
            Ok(()) => self
                .evaluate_json_into(&facts, as_of, opts, bufs, out)
                .map_err(EvaluateError::Eval),
            Err(errs) => Err(EvaluateError::Facts(errs)),
        };
        bufs.facts = facts;
        r
    }

    /// The JSON of a finished run: written directly when determined, else through the
    /// [`Decision`] (see [`Written`]).
    fn finish_json(
        &self,
        ev: &mut Evaluator<'_>,
        dj: &DecisionJson,
        opts: &EvalOptions,
        notes: &[String],
        out: &mut Vec<u8>,
    ) -> Result<(), EvalError> {
        let mut d = match ev.write_json(dj, opts, notes, out)? {
            Written::Done => return Ok(()),
            Written::NotDetermined => ev.decision(self.reference(), opts)?,
            Written::Again => self.evaluate(ev.facts, ev.as_of, opts)?,
        };
        d.notes.extend(notes.iter().cloned());
        out.extend_from_slice(d.to_json().as_bytes());
        Ok(())
    }

    /// A case's outcome as one JSON object, the CLI's `--outcomes` record:
    /// `{"case_id":…,"settled":…,"conclusions":{…}}`. `conclusions` holds the conclusions
    /// `keys` names ([`Policy::conclusion_index`]; every conclusion, in declaration order, is
    /// `0..n`) in that order, each the value `decision.conclusions[key]` would hold, written as
    /// the decision writes it, or `null` where it has none or is still undecided — what the
    /// bindings' `evaluate_outcomes` gives. `settled` is [`Outcome::settled`]. Appended to `out`.
    pub fn write_outcome_json(
        &self,
        case_id: Option<&str>,
        outcome: &Outcome,
        keys: &[usize],
        out: &mut Vec<u8>,
    ) {
        self.decision_json().write_outcome(
            &self.schema,
            case_id,
            outcome.settled(),
            keys,
            |k| keys.get(k).and_then(|&i| outcome.conclusion(i)),
            out,
        );
    }

    /// [`Policy::write_outcome_json`] from values already taken out: `value(k)` is the value
    /// of conclusion `keys[k]` (`None` or unknown: `null`). For a batch read a conclusion at a
    /// time ([`BatchOutcome::conclusion_column`]).
    pub fn write_outcome_values<'v>(
        &self,
        case_id: Option<&str>,
        settled: bool,
        keys: &[usize],
        value: impl FnMut(usize) -> Option<&'v crate::model::Value>,
        out: &mut Vec<u8>,
    ) {
        self.decision_json()
            .write_outcome(&self.schema, case_id, settled, keys, value, out);
    }

    /// The number of conclusions (their indices are `0..n`, in declaration order).
    pub fn conclusion_count(&self) -> usize {
        self.program.conclusions.len()
    }

    /// The constant parts of the decision JSON (built once, on first use).
    fn decision_json(&self) -> &DecisionJson {
        self.json.get_or_init(|| {
            std::sync::Arc::new(DecisionJson::build(
                &self.reference(),
                &self.program,
                &self.schema,
            ))
        })
    }

    /// The index of a conclusion (`reporting.duty`), for [`Outcome::conclusion`].
    pub fn conclusion_index(&self, key: &str) -> Option<usize> {
        self.program.conclusions.iter().position(|c| c.key == key)
    }

    /// The index of a rule (`reporting.duty_mandatory`), for [`Outcome::fired`].
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.program.rules.iter().position(|r| r.id == id)
    }

    /// The program lowered for the fast path (built once, on first use).
    pub fn fast_program(&self) -> &crate::eval::FastProgram {
        self.fast.get_or_init(|| {
            std::sync::Arc::new(crate::eval::FastProgram::build(&self.program, &self.schema))
        })
    }

    /// Reads JSON facts and evaluates them.
    pub fn evaluate_json(
        &self,
        json: &serde_json::Value,
        as_of: Date,
        opts: &EvalOptions,
        fopts: &FactsOptions,
    ) -> Result<Decision, EvaluateError> {
        let facts = self.load_facts(json, fopts).map_err(EvaluateError::Facts)?;
        Ok(self.evaluate(&facts, as_of, opts)?)
    }

    /// A copy of this policy with some params set to other values (used by tests).
    pub(crate) fn with_param_values(&self, values: &[(u32, crate::model::Value)]) -> Policy {
        let mut p = self.clone();
        // The assumptions written in the decision JSON quote the params' values.
        p.json = std::sync::OnceLock::new();
        for (i, v) in values {
            if let Some(def) = p.program.params.get_mut(*i as usize) {
                def.value = v.clone();
                def.text = crate::compile::value_text(&self.schema, &def.ty, v);
                def.overridden = true;
            }
        }
        p
    }

    /// The text of a data file of the set (e.g. a roster CSV).
    pub fn data_file(&self, path: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| s.path == path)
            .map(|s| s.text.as_str())
    }
}

/// SHA-256 over the sorted (path, normalised content) pairs of every file and the effective params, so
/// loading a folder and passing the same files in memory give the same digest.
fn digest(sources: &[Source], params: &[ParamDef]) -> String {
    let mut files: Vec<&Source> = sources.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut h = Sha256::new();
    for s in files {
        h.update(b"file\0");
        h.update(s.path.as_bytes());
        h.update([0u8]);
        // Normalised: line endings and a byte-order mark do not change the digest. Copied
        // only when there is a CR to take out.
        let text = s.text.strip_prefix('\u{feff}').unwrap_or(&s.text);
        let text: std::borrow::Cow<str> = if text.contains('\r') {
            text.replace("\r\n", "\n").into()
        } else {
            text.into()
        };
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    let mut ps: Vec<(&str, &str)> = params
        .iter()
        .map(|p| (p.key.as_str(), p.text.as_str()))
        .collect();
    ps.sort_unstable();
    for (k, v) in ps {
        h.update(b"param\0");
        h.update(k.as_bytes());
        h.update([0u8]);
        h.update(v.as_bytes());
        h.update([0u8]);
    }
    let out = h.finalize();
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The conclusions and rule states of the last case given to [`Policy::evaluate_outcome`],
/// with the buffers kept for the next case.
#[derive(Debug, Default)]
pub struct Outcome {
    state: crate::eval::EvalState,
}

impl Outcome {
    pub fn new() -> Outcome {
        Outcome::default()
    }

    /// A conclusion's settled value (by [`Policy::conclusion_index`]): `None` while it is
    /// undecided; `Some(Value::Unknown)` when it settled without a value or its rules
    /// conflict (see [`Outcome::settled`]).
    pub fn conclusion(&self, index: usize) -> Option<&crate::model::Value> {
        if self
            .state
            .conc_undecided
            .get(index)
            .copied()
            .unwrap_or(true)
        {
            return None;
        }
        self.state.conc.get(index)
    }

    /// A rule's state by name (see [`BatchOutcome::rule_state_name`]).
    #[doc(hidden)]
    pub fn rule_state_name(&self, index: usize) -> Option<String> {
        self.state.rule_state.get(index).map(|s| format!("{s:?}"))
    }

    /// Whether a rule (by [`Policy::rule_index`]) fired.
    pub fn fired(&self, index: usize) -> bool {
        matches!(
            self.state.rule_state.get(index),
            Some(crate::eval::RuleState::Fired)
        )
    }

    /// Whether every conclusion settled: none is undecided and no rules conflict. (A
    /// decision may still wait for an obligation's due time or an undecided rule that only
    /// carries obligations: [`Policy::evaluate`] says so in `undecided`.)
    pub fn settled(&self) -> bool {
        self.state.conflicts.is_empty() && !self.state.conc_undecided.iter().any(|&u| u)
    }
}

/// A conclusion over one block of 64 cases as the lanes hold it ([`BatchOutcome::block_conclusion`]):
/// bit `i` of a mask is case `block * 64 + i`.
#[derive(Clone, Copy, Debug)]
pub enum BlockConclusion<'a> {
    /// A conclusion holding one value: `masks[d]`, the cases holding `domain[d]`. A case the
    /// lanes decided holds at most one.
    One {
        domain: &'a [crate::model::Value],
        masks: &'a [u64],
    },
    /// A set: `masks[k]`, the cases whose set holds enum value `members[k]` (the bit of
    /// `Value::Set`'s `bits`).
    Set { members: &'a [u8], masks: &'a [u64] },
}

/// The outcomes of many cases ([`Policy::evaluate_batch`]), read case by case as an
/// [`Outcome`] is.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    batch: crate::eval::lanes::Batch,
}

impl BatchOutcome {
    pub fn new() -> BatchOutcome {
        BatchOutcome::default()
    }

    /// The number of cases.
    pub fn len(&self) -> usize {
        self.batch.n
    }

    pub fn is_empty(&self) -> bool {
        self.batch.n == 0
    }

    /// A case's conclusion by [`Policy::conclusion_index`], as [`Outcome::conclusion`].
    pub fn conclusion(&self, case: usize, index: usize) -> Option<crate::model::Value> {
        match self.batch.handed_outcome(case) {
            Some((_, o)) => o.conclusion(index).cloned(),
            None => self.batch.conclusion(case, index),
        }
    }

    /// A conclusion (by [`Policy::conclusion_index`]) of every case at once: `out[i]` becomes
    /// what `conclusion(i, index)` gives, unknown where that is `None` (`out` is resized to the
    /// batch's length). Cheaper than asking case by case: a block's masks are read once per
    /// value, not once per case.
    pub fn conclusion_column(&self, index: usize, out: &mut Vec<crate::model::Value>) {
        out.clear();
        out.resize(self.batch.n, crate::model::Value::Unknown);
        self.batch.conclusion_column(index, out);
        for (&case, (_, o)) in self.batch.handed.iter().zip(&self.batch.outcomes) {
            if let (Some(x), Some(v)) = (out.get_mut(case), o.conclusion(index)) {
                x.clone_from(v);
            }
        }
    }

    /// The cases of block `block` (cases `64 * block ..`) decided together: evaluated, and
    /// not handed over to be evaluated on their own. Their conclusions are what
    /// [`BatchOutcome::block_conclusion`] gives; every other case's are only in
    /// [`BatchOutcome::conclusion`].
    pub fn decided_in_block(&self, block: usize) -> u64 {
        self.batch.decided_in_block(block)
    }

    /// A conclusion (by [`Policy::conclusion_index`]) over the cases of block `block` decided
    /// together, as masks: no `Value` per case, for a writer that lays values out itself (Arrow
    /// columns). Bits of cases not in [`BatchOutcome::decided_in_block`] mean nothing.
    pub fn block_conclusion(&self, block: usize, index: usize) -> Option<BlockConclusion<'_>> {
        self.batch.block_conclusion(block, index)
    }

    /// Whether a rule (by [`Policy::rule_index`]) fired in a case.
    pub fn fired(&self, case: usize, index: usize) -> bool {
        match self.batch.handed_outcome(case) {
            Some((_, o)) => o.fired(index),
            None => matches!(
                self.batch.rule_state(case, index),
                Some(crate::eval::RuleState::Fired)
            ),
        }
    }

    /// Whether every conclusion of a case settled, as [`Outcome::settled`].
    pub fn settled(&self, case: usize) -> bool {
        match self.batch.handed_outcome(case) {
            Some((_, o)) => o.settled(),
            None => self.batch.has(case),
        }
    }

    /// The error that stopped a case's evaluation, if one did.
    pub fn error(&self, case: usize) -> Option<&EvalError> {
        self.batch
            .handed_outcome(case)
            .and_then(|(r, _)| r.as_ref().err())
    }

    /// How many cases were decided 64 at a time (the rest were evaluated one by one).
    pub fn decided_together(&self) -> usize {
        self.batch.decided()
    }

    /// Whether a case was decided with its block (not evaluated on its own).
    pub fn was_decided_together(&self, case: usize) -> bool {
        self.batch.has(case) && self.batch.handed_outcome(case).is_none()
    }

    /// A rule's state in a case, by name (`Fired`, `NotFired`, `Overridden`,
    /// `NotApplicable`, `NotInForce`, `Undecided`): for tests that hold the batch to
    /// [`Outcome`].
    #[doc(hidden)]
    pub fn rule_state_name(&self, case: usize, index: usize) -> Option<String> {
        match self.batch.handed_outcome(case) {
            Some((_, o)) => o.rule_state_name(index),
            None => self.batch.rule_state(case, index).map(|s| format!("{s:?}")),
        }
    }
}

/// Diagnostics in the order every surface shows them (errors first, then by file and place),
/// each once.
fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (a.severity, &a.file, a.line, a.column, a.code)
            .cmp(&(b.severity, &b.file, b.line, b.column, b.code))
    });
    diags.dedup();
}
