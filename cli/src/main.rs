//! `humiao`: check, evaluate and test a policy set from the command line.
//!
//! Exit codes: 0 success (whatever the decision's status), 1 test failures, 2 invalid policy,
//! facts or usage, 3 a batch finished with error records, 4 an internal error (a bug).

use humiao_cli::{human, load};

use clap::{Parser, Subcommand, ValueEnum};
use humiao_core::time::{Date, DateTime};
use humiao_core::{
    render, DecisionBuffers, Diagnostic, EvalOptions, FactsOptions, Lang, LoadOptions, Policy,
    PolicyError, Severity, Strictness,
};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "humiao",
    version,
    about = "护苗 humiao: child-protection policy as rules staff can read / 未成年人保护政策规则引擎"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Copy, Clone, ValueEnum, PartialEq, Eq)]
enum LangArg {
    Zh,
    En,
    Both,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
            LangArg::Both => Lang::Both,
        }
    }
}

#[derive(Copy, Clone, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Jsonl,
}

#[derive(Copy, Clone, ValueEnum, PartialEq, Eq)]
enum PlanFormat {
    Human,
    Json,
    Csv,
    Ics,
}

#[derive(Copy, Clone, ValueEnum, PartialEq, Eq)]
enum OnError {
    Skip,
    Stop,
}

#[derive(clap::Args)]
struct PolicyArgs {
    /// The policy folder (with humiao.toml and *.humiao files) / 政策文件夹
    dir: PathBuf,
    /// Set a param: --param reporting.late_after="48 hours" / 设置参数
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Language of messages / 提示语言
    #[arg(long, value_enum, default_value = "both")]
    lang: LangArg,
}

/// Bounds on one case (each has a default; a case past one is an error record, never a hang).
#[derive(clap::Args)]
struct Limits {
    /// Most evaluation steps for one case (E0901) / 单个案件的求值步数上限
    #[arg(long, value_name = "N", default_value_t = EvalOptions::default().max_steps)]
    max_steps: u64,
    /// Largest facts document or JSON Lines line, in bytes (F0111) / 案件事实的字节数上限
    #[arg(long, value_name = "BYTES", default_value_t = FactsOptions::default().max_bytes)]
    max_facts_bytes: usize,
    /// Deepest nesting of lists and objects in the facts (F0112, at most 100) / JSON 嵌套层数上限
    #[arg(long, value_name = "N", default_value_t = FactsOptions::default().max_json_depth)]
    max_json_depth: usize,
    /// Most items in one list fact (F0108) / 列表事实的项数上限
    #[arg(long, value_name = "N", default_value_t = FactsOptions::default().max_list_len)]
    max_list_len: usize,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check a policy set: diagnostics, exit 0 if there are no errors / 检查政策集
    Check {
        #[command(flatten)]
        p: PolicyArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Treat warnings as errors
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Evaluate the facts of a case (or one case per line with --format jsonl) / 评估案件
    Eval {
        #[command(flatten)]
        p: PolicyArgs,
        /// Facts: a JSON file, or - for standard input / 案件事实
        #[arg(long)]
        facts: String,
        /// The date the decision is made for (default: today in +08:00) / 基准日
        #[arg(long = "as-of")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Include the trace of every rule's conditions / 附上推理过程
        #[arg(long)]
        explain: bool,
        /// Decide only: per case its id, whether its conclusions settled and their values, no
        /// obligations or explanation (json or jsonl) / 只输出结论（不含义务与推理过程）
        #[arg(long)]
        outcomes: bool,
        /// With --outcomes: only these conclusions, in this order (comma-separated) / 只输出这些结论
        #[arg(
            long,
            value_name = "KEY,...",
            value_delimiter = ',',
            requires = "outcomes"
        )]
        keys: Vec<String>,
        /// Show @sensitive values in traces and facts errors / 在推理过程和事实错误中显示敏感信息
        #[arg(long)]
        reveal_sensitive: bool,
        /// Unknown fields are warnings instead of errors
        #[arg(long)]
        lenient: bool,
        /// In jsonl mode: write an error record and go on (skip), or stop at the first bad line
        #[arg(long, value_enum, default_value = "skip")]
        on_error: OnError,
        /// In jsonl mode: evaluate on N threads (0: one per core); the output is the same, in
        /// input order / 批量模式下的并行线程数（0 表示每个核一个），输出与单线程相同
        #[arg(long, value_name = "N", default_value_t = 1)]
        jobs: usize,
        #[command(flatten)]
        limits: Limits,
    },
    /// Plan the monthly supervision rotation / 编排专项督导轮换计划
    Plan {
        #[command(flatten)]
        p: PolicyArgs,
        /// The rotation declared in the policy set / 轮换名称
        #[arg(long, default_value = "supervision")]
        rotation: String,
        /// The first month to plan, e.g. 2027-01 / 起始月份
        #[arg(long)]
        from: String,
        /// How many months / 月数
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// Past rounds: the JSON plan format, or a CSV `month,street,community` / 历史轮次
        #[arg(long)]
        history: Option<PathBuf>,
        /// Put a street into the first month: --flag 流花街道="红色风险儿童" / 标记街道
        #[arg(long = "flag", value_name = "STREET=REASON")]
        flags: Vec<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: PlanFormat,
        /// Write to this file (safely: a temporary file, synced, then renamed) / 输出文件
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Run the tests written inside the policy files / 运行政策文件中的测试
    Test {
        #[command(flatten)]
        p: PolicyArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match std::panic::catch_unwind(move || run(cli)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("humiao: internal error (a bug in humiao; please report it) / 内部错误");
            ExitCode::from(4)
        }
    }
}

/// Errors that end a command, with the exit code they map to.
enum Fail {
    Usage(String),
    Policy(PolicyError),
    Io(std::io::Error),
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Fail {
        Fail::Io(e)
    }
}

fn run(cli: Cli) -> ExitCode {
    let (lang, result) = match cli.cmd {
        Cmd::Check {
            p,
            format,
            deny_warnings,
        } => (p.lang, check(&p, format, deny_warnings)),
        Cmd::Eval {
            p,
            facts,
            as_of,
            format,
            explain,
            outcomes,
            keys,
            reveal_sensitive,
            lenient,
            on_error,
            jobs,
            limits,
        } => {
            let lang = p.lang;
            (
                lang,
                eval(
                    &p,
                    &facts,
                    as_of.as_deref(),
                    format,
                    explain,
                    outcomes.then_some(keys.as_slice()),
                    reveal_sensitive,
                    lenient,
                    on_error,
                    jobs,
                    &limits,
                ),
            )
        }
        Cmd::Test { p, format } => (p.lang, test(&p, format)),
        Cmd::Plan {
            p,
            rotation,
            from,
            months,
            history,
            flags,
            format,
            output,
        } => {
            let lang = p.lang;
            (
                lang,
                plan(
                    &p,
                    &rotation,
                    &from,
                    months,
                    history.as_deref(),
                    &flags,
                    format,
                    output.as_deref(),
                ),
            )
        }
    };
    match result {
        Ok(code) => code,
        Err(Fail::Usage(m)) => {
            eprintln!("humiao: {m}");
            ExitCode::from(2)
        }
        Err(Fail::Policy(e)) => {
            print_diagnostics(&e.diagnostics, &e.sources, lang.into());
            ExitCode::from(2)
        }
        Err(Fail::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Fail::Io(e)) => {
            eprintln!("humiao: {e}");
            ExitCode::from(2)
        }
    }
}

fn load_options(p: &PolicyArgs) -> Result<LoadOptions, Fail> {
    let mut opts = LoadOptions::default();
    for kv in &p.params {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Fail::Usage(format!(
                "--param takes KEY=VALUE, found `{kv}` / --param 的格式为 键=值"
            )));
        };
        let v = v.trim();
        let value =
            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
        opts.params.push((k.trim().to_string(), value));
    }
    Ok(opts)
}

fn load_policy(p: &PolicyArgs) -> Result<Policy, Fail> {
    let sources = load::read_policy_dir(&p.dir).map_err(Fail::Usage)?;
    Policy::from_sources(&sources, &load_options(p)?).map_err(Fail::Policy)
}

fn print_diagnostics(diags: &[Diagnostic], sources: &[(String, String)], lang: Lang) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let src = sources
            .iter()
            .find(|(p, _)| *p == d.file)
            .map(|(_, t)| t.as_str());
        let _ = writeln!(err, "{}", render(d, src, lang));
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let _ = match lang {
        Lang::Zh => writeln!(err, "{errors} 个错误，{warnings} 个警告"),
        Lang::En => writeln!(err, "{errors} error(s), {warnings} warning(s)"),
        Lang::Both => writeln!(
            err,
            "{errors} error(s), {warnings} warning(s) / {errors} 个错误，{warnings} 个警告"
        ),
    };
}

fn check(p: &PolicyArgs, format: Format, deny_warnings: bool) -> Result<ExitCode, Fail> {
    let sources = load::read_policy_dir(&p.dir).map_err(Fail::Usage)?;
    let (policy, diags) = Policy::check_sources(&sources, &load_options(p)?);
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let mut out = std::io::stdout().lock();
    if format == Format::Human {
        let texts: Vec<(String, String)> = sources
            .iter()
            .map(|s| (s.path.clone(), s.text.clone()))
            .collect();
        print_diagnostics(&diags, &texts, p.lang.into());
        if let Some(pol) = &policy {
            human::params(&mut out, pol, p.lang.into())?;
        }
    } else {
        let params: Vec<serde_json::Value> = policy
            .as_ref()
            .map(|pol| {
                pol.params()
                    .iter()
                    .map(|x| {
                        serde_json::json!({"param": x.key, "value": x.text, "unconfirmed": x.unconfirmed, "source": x.source, "overridden": x.overridden})
                    })
                    .collect()
            })
            .unwrap_or_default();
        let v = serde_json::json!({
            "ok": errors == 0,
            "digest": policy.as_ref().map(|x| x.digest.clone()),
            "diagnostics": diags,
            "params": params,
        });
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn today_in_china() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    DateTime::new(
        i64::try_from(secs).unwrap_or(0),
        DateTime::DEFAULT_OFFSET_MIN,
    )
    .local_date()
}

#[allow(clippy::too_many_arguments)]
fn eval(
    p: &PolicyArgs,
    facts_arg: &str,
    as_of: Option<&str>,
    format: Format,
    explain: bool,
    outcomes: Option<&[String]>,
    reveal_sensitive: bool,
    lenient: bool,
    on_error: OnError,
    jobs: usize,
    limits: &Limits,
) -> Result<ExitCode, Fail> {
    if outcomes.is_some() && explain {
        return Err(Fail::Usage(
            "--outcomes writes no explanation: leave out --explain / --outcomes 不输出推理过程，请去掉 --explain".into(),
        ));
    }
    if outcomes.is_some() && format == Format::Human {
        return Err(Fail::Usage(
            "--outcomes writes JSON: use --format json or jsonl / --outcomes 输出 JSON，请使用 --format json 或 jsonl".into(),
        ));
    }
    let policy = load_policy(p)?;
    let records = match outcomes {
        None => Records::Decisions,
        Some(keys) => Records::Outcomes(conclusion_keys(&policy, keys)?),
    };
    let (as_of, as_of_note) = match as_of {
        Some(s) => (
            Date::parse(s)
                .map_err(|e| Fail::Usage(format!("--as-of: {e} / {}", e.message_zh())))?,
            None,
        ),
        None => {
            let d = today_in_china();
            (d, Some(format!("as_of not given; today in +08:00 ({d}) was used / 未指定基准日，使用北京时间今日（{d}）")))
        }
    };
    let opts = EvalOptions {
        explain,
        reveal_sensitive,
        max_steps: limits.max_steps,
    };
    let fopts = FactsOptions {
        strictness: if lenient {
            Strictness::Lenient
        } else {
            Strictness::Strict
        },
        max_list_len: limits.max_list_len,
        max_bytes: limits.max_facts_bytes,
        max_json_depth: limits.max_json_depth,
        reveal_sensitive,
    };
    let raw: Box<dyn Read> = if facts_arg == "-" {
        Box::new(std::io::stdin())
    } else {
        let f =
            std::fs::File::open(facts_arg).map_err(|e| Fail::Usage(format!("{facts_arg}: {e}")))?;
        Box::new(f)
    };
    let input = std::io::BufReader::with_capacity(INPUT_BUFFER, raw);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // An outcome has no notes: the as-of date's note goes to standard error, once.
    let as_of_note = match (&records, as_of_note) {
        (Records::Outcomes(_), Some(n)) => {
            eprintln!("humiao: note: {}", human::printable(&n));
            None
        }
        (_, n) => n,
    };
    if jobs > MAX_JOBS {
        return Err(Fail::Usage(format!(
            "--jobs {jobs}: at most {MAX_JOBS} threads (0: one per core) / --jobs 最多为 {MAX_JOBS}（0 表示每个核一个线程）"
        )));
    }
    if format == Format::Jsonl {
        let jobs = if jobs == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            jobs
        };
        let code = batch(
            &policy, input, &mut out, as_of, as_of_note, &opts, &fopts, on_error, jobs, &records,
        )?;
        out.flush()?;
        return Ok(code);
    }
    let lang: Lang = p.lang.into();
    // Read one byte past the limit, no more: a huge input is refused without being held.
    let mut bytes = Vec::new();
    input
        .take(
            u64::try_from(fopts.max_bytes)
                .unwrap_or(u64::MAX)
                .saturating_add(1),
        )
        .read_to_end(&mut bytes)?;
    if bytes.len() > fopts.max_bytes {
        print_problem(
            lang,
            "F0111",
            &format!(
                "{facts_arg}: the facts are more than {} bytes (--max-facts-bytes)",
                fopts.max_bytes
            ),
            &format!(
                "{facts_arg}：案件事实超过 {} 字节（--max-facts-bytes）",
                fopts.max_bytes
            ),
        );
        return Ok(ExitCode::from(2));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            print_problem(
                lang,
                "F0109",
                &format!("{facts_arg}: not UTF-8 text: invalid byte at offset {at}"),
                &format!("{facts_arg}：不是 UTF-8 文本：第 {at} 字节（从 0 起算）无效"),
            );
            return Ok(ExitCode::from(2));
        }
    };
    if let Records::Outcomes(keys) = &records {
        return one_outcome(&policy, text, as_of, &opts, &fopts, keys, lang, &mut out);
    }
    match policy.evaluate_text(text, as_of, &opts, &fopts) {
        Ok(mut d) => {
            if let Some(n) = as_of_note {
                d.notes.push(n);
            }
            if format == Format::Human {
                human::decision(&mut out, &policy, &d, p.lang.into())?;
            } else {
                writeln!(out, "{}", d.to_json())?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(humiao_core::EvaluateError::Facts(errs)) => {
            out.flush()?;
            for e in &errs {
                print_problem(lang, e.code, &e.message, &e.message_zh);
            }
            Ok(ExitCode::from(2))
        }
        Err(humiao_core::EvaluateError::Eval(e)) => {
            print_problem(
                lang,
                "E0901",
                &format!("{e} (--max-steps)"),
                &format!("{}（--max-steps）", e.message_zh()),
            );
            Ok(ExitCode::from(2))
        }
    }
}

/// What a batch writes for each line.
enum Records {
    /// Its decision.
    Decisions,
    /// Its outcome (`--outcomes`): these conclusions (indices), in this order.
    Outcomes(Vec<usize>),
}

/// The conclusions `--keys` names (every conclusion when it names none), each checked.
fn conclusion_keys(policy: &Policy, keys: &[String]) -> Result<Vec<usize>, Fail> {
    if keys.is_empty() {
        return Ok((0..policy.conclusion_count()).collect());
    }
    let mut seen = std::collections::BTreeSet::new();
    keys.iter()
        .map(|k| {
            let k = k.trim();
            if !seen.insert(k) {
                return Err(Fail::Usage(format!(
                    "--keys: `{k}` is named twice / `{k}` 重复出现"
                )));
            }
            policy.conclusion_index(k).ok_or_else(|| {
                let names = policy.program.conclusions.iter().map(|c| c.key.as_str());
                let hint = match humiao_core::diag::did_you_mean(k, names) {
                    Some(s) => format!(" (did you mean `{s}`? / 是否想写 `{s}`？)"),
                    None => String::new(),
                };
                Fail::Usage(format!(
                    "--keys: `{k}` is not a conclusion of this policy set / `{k}` 不是本政策集的结论{hint}"
                ))
            })
        })
        .collect()
}

/// `--outcomes` for one case (`--format json`): its outcome record, or its problems.
#[allow(clippy::too_many_arguments)]
fn one_outcome(
    policy: &Policy,
    text: &str,
    as_of: Date,
    opts: &EvalOptions,
    fopts: &FactsOptions,
    keys: &[usize],
    lang: Lang,
    out: &mut impl Write,
) -> Result<ExitCode, Fail> {
    let facts = match policy.load_facts_text(text, fopts) {
        Ok(f) => f,
        Err(errs) => {
            for e in &errs {
                print_problem(lang, e.code, &e.message, &e.message_zh);
            }
            return Ok(ExitCode::from(2));
        }
    };
    let mut o = humiao_core::Outcome::new();
    if let Err(e) = policy.evaluate_outcome(&facts, as_of, opts, &mut o) {
        print_problem(
            lang,
            "E0901",
            &format!("{e} (--max-steps)"),
            &format!("{}（--max-steps）", e.message_zh()),
        );
        return Ok(ExitCode::from(2));
    }
    let mut line = Vec::new();
    policy.write_outcome_json(facts.case_id.as_deref(), &o, keys, &mut line);
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One problem with a case, on standard error, in the chosen language(s). Messages may quote
/// the input: control characters are escaped so a case cannot drive the terminal.
fn print_problem(lang: Lang, code: &str, en: &str, zh: &str) {
    let (en, zh) = (human::printable(en), human::printable(zh));
    match lang {
        Lang::Zh => eprintln!("错误[{code}]: {zh}"),
        Lang::En => eprintln!("error[{code}]: {en}"),
        Lang::Both => eprintln!("error[{code}]: {en}\n           {zh}"),
    }
}

/// Reads the next line (without its `\n`) into `buf`, keeping at most `limit` bytes of it.
/// Returns the line's full length, or `None` at the end of the input. A line longer than the
/// limit is read to its end and dropped, so one oversized line never takes the memory.
fn read_line_bounded(
    input: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (part, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (chunk.get(..i).unwrap_or_default(), true),
            None => (chunk, false),
        };
        let room = limit.saturating_sub(buf.len()).min(part.len());
        buf.extend_from_slice(part.get(..room).unwrap_or_default());
        total = total.saturating_add(part.len());
        let used = part.len() + usize::from(done);
        input.consume(used);
        if done {
            return Ok(Some(total));
        }
    }
}

use std::io::Read;

/// A line of a batch as read: its bytes (at most the limit) and its full length.
struct Line {
    bytes: Vec<u8>,
    len: usize,
}

/// The input's buffer: a few hundred lines of a typical case, so that `--outcomes` finds a
/// block of 64 lines already read in (see [`Batch::read_ready`]).
const INPUT_BUFFER: usize = 256 << 10;

/// Cases evaluated together by `--outcomes` on one thread (`Policy::evaluate_batch` decides
/// 64 at a time).
const OUTCOME_BLOCK: usize = 64;

/// Lines are read, evaluated and written in chunks of at most this many lines …
const CHUNK_LINES: usize = 512;
/// … and this many bytes, so memory stays flat whatever the input.
const CHUNK_BYTES: usize = 16 << 20;

/// Chunks being evaluated or waiting to be written, per thread: enough that every thread has
/// the next chunk queued while the reader fills another, few enough that memory stays flat.
const IN_FLIGHT_PER_JOB: usize = 2;

/// A chunk of a batch on its way through: its lines, and once evaluated the decision texts of
/// its lines in one buffer with, per line, where its text ends or its error record.
struct Chunk {
    id: usize,
    lines: Vec<Line>,
    text: Vec<u8>,
    results: Vec<Result<usize, serde_json::Value>>,
}

/// The read and written side of a batch: the input, the output, the lines' count and errors.
struct Batch<'a, W: Write> {
    input: std::io::BufReader<Box<dyn Read + 'a>>,
    out: &'a mut W,
    max_bytes: usize,
    on_error: OnError,
    progress: bool,
    /// Spare line buffers, reused from written chunks.
    spare: Vec<Vec<u8>>,
    n: usize,
    errors: usize,
}

impl<W: Write> Batch<'_, W> {
    /// Reads the next chunk's lines, at most `most`, into `lines` (empty at the end of the
    /// input).
    fn read_chunk(&mut self, lines: &mut Vec<Line>, most: usize) -> Result<(), Fail> {
        let mut bytes = 0usize;
        while lines.len() < most && bytes < CHUNK_BYTES {
            let mut buf = self.spare.pop().unwrap_or_default();
            match read_line_bounded(&mut self.input, &mut buf, self.max_bytes)? {
                Some(len) => {
                    bytes = bytes.saturating_add(buf.len());
                    lines.push(Line { bytes: buf, len });
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Reads lines as [`Batch::read_chunk`] does, but waits only for the first: the next ones
    /// are taken while a whole line is already in the input's buffer, so a stream's lines are
    /// answered as they come, and a file's go in blocks of `most`.
    fn read_ready(&mut self, lines: &mut Vec<Line>, most: usize) -> Result<(), Fail> {
        while lines.len() < most {
            if !lines.is_empty() && memchr::memchr(b'\n', self.input.buffer()).is_none() {
                break;
            }
            let before = lines.len();
            self.read_chunk(lines, before + 1)?;
            if lines.len() == before {
                break;
            }
        }
        Ok(())
    }

    /// Writes an evaluated chunk's records and empties it for reuse. `false`: an error record
    /// was written under `--on-error stop`, so the batch ends there.
    fn write_chunk(&mut self, c: &mut Chunk) -> Result<bool, Fail> {
        let mut start = 0;
        let mut go_on = true;
        for r in c.results.drain(..) {
            self.n += 1;
            match r {
                Ok(end) => {
                    self.out
                        .write_all(c.text.get(start..end).unwrap_or_default())?;
                    self.out.write_all(b"\n")?;
                    start = end;
                }
                Err(err) => {
                    self.errors += 1;
                    writeln!(
                        self.out,
                        "{}",
                        serde_json::json!({"line": self.n, "error": err})
                    )?;
                    if self.on_error == OnError::Stop {
                        go_on = false;
                        break;
                    }
                }
            }
            if self.progress && self.n.is_multiple_of(10_000) {
                eprint!("\r{} cases / 件", self.n);
            }
        }
        c.results.clear();
        c.text.clear();
        self.spare.extend(c.lines.drain(..).map(|l| l.bytes));
        Ok(go_on)
    }
}

/// What a thread keeps between the chunks it evaluates.
struct Work {
    bufs: DecisionBuffers,
    /// `--outcomes`: the facts of a chunk's lines (reused), their outcomes, and per line the
    /// index of its facts or its error record.
    facts: Vec<humiao_core::Facts>,
    batch: humiao_core::BatchOutcome,
    read: Vec<Result<usize, serde_json::Value>>,
    /// Per key, its conclusion of every case of the batch (read a conclusion at a time).
    columns: Vec<Vec<humiao_core::model::Value>>,
}

impl Work {
    fn new(notes: Vec<String>) -> Work {
        Work {
            bufs: DecisionBuffers::with_notes(notes),
            facts: Vec::new(),
            batch: humiao_core::BatchOutcome::new(),
            read: Vec::new(),
            columns: Vec::new(),
        }
    }
}

/// Evaluates a chunk's lines into its text and results.
fn evaluate_chunk(
    policy: &Policy,
    c: &mut Chunk,
    as_of: Date,
    opts: &EvalOptions,
    fopts: &FactsOptions,
    records: &Records,
    work: &mut Work,
) {
    let keys = match records {
        Records::Decisions => {
            for l in &c.lines {
                let r = line_record(policy, l, as_of, opts, fopts, &mut work.bufs, &mut c.text);
                c.results.push(r.map(|()| c.text.len()));
            }
            return;
        }
        Records::Outcomes(keys) => keys,
    };
    // Outcomes: every line's facts read, then the chunk's cases evaluated together.
    let Work {
        facts,
        batch,
        read,
        columns,
        ..
    } = work;
    read.clear();
    let mut n = 0usize;
    for l in &c.lines {
        read.push(line_text(l, fopts).and_then(|text| {
            if facts.len() <= n {
                facts.push(humiao_core::Facts::default());
            }
            let f = facts.get_mut(n).ok_or(serde_json::Value::Null)?;
            policy
                .load_facts_text_into(text, fopts, f)
                .map_err(facts_record)?;
            n += 1;
            Ok(n - 1)
        }));
    }
    policy.evaluate_batch(facts.get(..n).unwrap_or_default(), as_of, opts, batch);
    columns.resize_with(keys.len(), Vec::new);
    for (col, &k) in columns.iter_mut().zip(keys) {
        batch.conclusion_column(k, col);
    }
    for r in read.drain(..) {
        let r = r.and_then(|i| {
            if let Some(e) = batch.error(i) {
                return Err(eval_record(e));
            }
            let id = facts.get(i).and_then(|f| f.case_id.as_deref());
            let value = |k: usize| columns.get(k).and_then(|col| col.get(i));
            policy.write_outcome_values(id, batch.settled(i), keys, value, &mut c.text);
            Ok(c.text.len())
        });
        c.results.push(r);
    }
}

/// JSON Lines: exactly one output line per input line, a decision or an error record. With
/// The most threads `--jobs` starts: past the cores any machine has, each thread only adds its
/// stack and its chunks in flight (100,000 used to abort the process when threads ran out).
const MAX_JOBS: usize = 256;

/// `jobs > 1`, `jobs` threads evaluate chunks of lines while this thread reads the next ones
/// and writes the evaluated ones back in input order, so the output is the same bytes as with
/// one thread.
#[allow(clippy::too_many_arguments)]
fn batch(
    policy: &Policy,
    input: std::io::BufReader<Box<dyn Read>>,
    out: &mut impl Write,
    as_of: Date,
    as_of_note: Option<String>,
    opts: &EvalOptions,
    fopts: &FactsOptions,
    on_error: OnError,
    jobs: usize,
    records: &Records,
) -> Result<ExitCode, Fail> {
    use std::io::IsTerminal;
    let notes: Vec<String> = as_of_note.into_iter().collect();
    let mut b = Batch {
        input,
        out,
        max_bytes: fopts.max_bytes,
        on_error,
        progress: std::io::stderr().is_terminal(),
        spare: Vec::new(),
        n: 0,
        errors: 0,
    };
    if jobs <= 1 {
        let mut work = Work::new(notes);
        let mut c = Chunk {
            id: 0,
            lines: Vec::new(),
            text: Vec::new(),
            results: Vec::new(),
        };
        // A decision is written as soon as its line is read (as a stream's lines come); outcomes
        // go in blocks of the lines already read in. What is written is flushed before the
        // reading may wait for more input (no whole line is in the buffer), so a stream's
        // answers come as its lines do.
        loop {
            if memchr::memchr(b'\n', b.input.buffer()).is_none() {
                b.out.flush()?;
            }
            match records {
                Records::Decisions => b.read_chunk(&mut c.lines, 1)?,
                Records::Outcomes(_) => b.read_ready(&mut c.lines, OUTCOME_BLOCK)?,
            }
            if c.lines.is_empty() {
                break;
            }
            evaluate_chunk(policy, &mut c, as_of, opts, fopts, records, &mut work);
            if !b.write_chunk(&mut c)? {
                break;
            }
        }
    } else {
        pipeline(policy, &mut b, &notes, as_of, opts, fopts, jobs, records)?;
    }
    if b.progress && b.n >= 10_000 {
        eprintln!("\r{} cases / 件", b.n);
    }
    Ok(if b.errors > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// `batch` on `jobs` threads: chunks go to the threads through a bounded queue and come back
/// in any order; they are written in input order, and at most `IN_FLIGHT_PER_JOB * jobs` are
/// read and not yet written.
#[allow(clippy::too_many_arguments)]
fn pipeline<W: Write>(
    policy: &Policy,
    b: &mut Batch<'_, W>,
    notes: &[String],
    as_of: Date,
    opts: &EvalOptions,
    fopts: &FactsOptions,
    jobs: usize,
    records: &Records,
) -> Result<(), Fail> {
    use std::sync::{mpsc, Mutex};
    type Evaluated = std::thread::Result<Chunk>;
    let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(jobs);
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|s| {
        // Owned here, so that however this closure ends (an error, a panic passed on), the
        // queue closes and the threads end, and the scope's wait for them returns.
        let work_tx = work_tx;
        let (done_tx, done_rx) = mpsc::channel::<Evaluated>();
        for _ in 0..jobs {
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            s.spawn(move || {
                let mut work = Work::new(notes.to_vec());
                loop {
                    // One thread waits for the next chunk while holding the lock; the others
                    // wait for the lock. A poisoned lock or a closed queue ends the thread.
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(mut c) = next else { return };
                    // A panic (a bug: the core does not panic on any input) is passed to the
                    // writing side, which raises it again, rather than leaving it waiting.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        evaluate_chunk(policy, &mut c, as_of, opts, fopts, records, &mut work);
                    }));
                    let failed = r.is_err();
                    if done_tx.send(r.map(|()| c)).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let r = feed(b, &work_tx, &done_rx, jobs);
        // Ends the threads: a closed queue once they have taken what is in it, which is
        // dropped unevaluated when the batch stopped early.
        drop(work_tx);
        if let Ok(rx) = work_rx.lock() {
            while rx.try_recv().is_ok() {}
        }
        r
    })
}

/// The reading and writing side of [`pipeline`].
fn feed<W: Write>(
    b: &mut Batch<'_, W>,
    work: &std::sync::mpsc::SyncSender<Chunk>,
    done: &std::sync::mpsc::Receiver<std::thread::Result<Chunk>>,
    jobs: usize,
) -> Result<(), Fail> {
    let mut waiting: std::collections::BTreeMap<usize, Chunk> = std::collections::BTreeMap::new();
    let mut spare: Vec<Chunk> = Vec::new();
    let (mut next_id, mut next_write, mut in_flight) = (0usize, 0usize, 0usize);
    let mut at_end = false;
    loop {
        while !at_end && in_flight < IN_FLIGHT_PER_JOB * jobs {
            let mut c = spare.pop().unwrap_or(Chunk {
                id: 0,
                lines: Vec::new(),
                text: Vec::new(),
                results: Vec::new(),
            });
            b.read_chunk(&mut c.lines, CHUNK_LINES)?;
            if c.lines.is_empty() {
                at_end = true;
                break;
            }
            c.id = next_id;
            next_id += 1;
            in_flight += 1;
            if work.send(c).is_err() {
                return Err(Fail::Io(std::io::Error::other(
                    "the batch's threads ended early",
                )));
            }
        }
        if in_flight == 0 {
            return Ok(());
        }
        let c = done
            .recv()
            .map_err(|_| Fail::Io(std::io::Error::other("the batch's threads ended early")))?
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        waiting.insert(c.id, c);
        while let Some(mut c) = waiting.remove(&next_write) {
            next_write += 1;
            in_flight -= 1;
            if !b.write_chunk(&mut c)? {
                return Ok(());
            }
            spare.push(c);
        }
    }
}

/// A line's text, or the error record of a line too long, not UTF-8 or empty.
fn line_text<'l>(line: &'l Line, fopts: &FactsOptions) -> Result<&'l str, serde_json::Value> {
    let len = line.len;
    if len > fopts.max_bytes {
        return Err(serde_json::json!({
            "code": "F0111",
            "message": format!("the line is {len} bytes, more than the limit of {} (--max-facts-bytes)", fopts.max_bytes),
            "message_zh": format!("该行有 {len} 字节，超过上限 {}（--max-facts-bytes）", fopts.max_bytes),
        }));
    }
    match std::str::from_utf8(&line.bytes) {
        Err(e) => {
            let at = e.valid_up_to();
            Err(serde_json::json!({
                "code": "F0109",
                "message": format!("the line is not UTF-8: invalid byte at offset {at}"),
                "message_zh": format!("该行不是 UTF-8 文本：第 {at} 字节（从 0 起算）无效"),
                "byte": at,
            }))
        }
        Ok(text) if text.trim().is_empty() => {
            Err(serde_json::json!({"code": "F0110", "message": "empty line", "message_zh": "空行"}))
        }
        Ok(text) => Ok(text),
    }
}

/// The error record of a case whose evaluation failed (its step budget).
fn eval_record(e: &humiao_core::EvalError) -> serde_json::Value {
    serde_json::json!({
        "code": "E0901",
        "message": format!("{e} (--max-steps)"),
        "message_zh": format!("{}（--max-steps）", e.message_zh()),
    })
}

/// One line of a batch: its decision's JSON appended to `out` (with the buffers' notes), or
/// the error record's `error`.
fn line_record(
    policy: &Policy,
    line: &Line,
    as_of: Date,
    opts: &EvalOptions,
    fopts: &FactsOptions,
    bufs: &mut DecisionBuffers,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Value> {
    let text = line_text(line, fopts)?;
    policy
        .evaluate_text_into(text, as_of, opts, fopts, bufs, out)
        .map_err(|e| match e {
            humiao_core::EvaluateError::Facts(errs) => facts_record(errs),
            humiao_core::EvaluateError::Eval(e) => eval_record(&e),
        })
}

/// The error record of a line whose facts could not be read: every problem with its path. A
/// line that could not be read as JSON at all (F0100, too large, nested too deeply) carries
/// that code; otherwise the code is F0101 and `facts` lists the problems.
fn facts_record(errs: Vec<humiao_core::FactError>) -> serde_json::Value {
    match errs.as_slice() {
        [e] if matches!(e.code, "F0100" | "F0111" | "F0112") => serde_json::json!({
            "code": e.code,
            "message": e.message,
            "message_zh": e.message_zh,
            "facts": errs,
        }),
        _ => serde_json::json!({
            "code": "F0101",
            "message": "invalid facts",
            "message_zh": "案件事实有误",
            "facts": errs,
        }),
    }
}

fn test(p: &PolicyArgs, format: Format) -> Result<ExitCode, Fail> {
    let sources = load::read_policy_dir(&p.dir).map_err(Fail::Usage)?;
    let policy = Policy::from_sources(&sources, &load_options(p)?).map_err(Fail::Policy)?;
    if format == Format::Human {
        // Warnings first, on stderr (`check` lists them all): an empty file, say, means tests
        // that no longer run, which a count of passes alone would not show.
        let warnings: Vec<Diagnostic> = policy
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .cloned()
            .collect();
        if !warnings.is_empty() {
            let texts: Vec<(String, String)> = sources
                .iter()
                .map(|s| (s.path.clone(), s.text.clone()))
                .collect();
            print_diagnostics(&warnings, &texts, p.lang.into());
        }
    }
    let report = policy.run_tests();
    let mut out = std::io::stdout().lock();
    if format == Format::Human {
        human::test_report(&mut out, &report, p.lang.into())?;
    } else {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&report).unwrap_or_default()
        )?;
    }
    out.flush()?;
    Ok(if report.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `plan --output` never replaces what the plan was made from: a file of the policy set (its
/// folder holds the rule files, the manifest, the roster and the calendars) or the history.
fn refuse_to_overwrite_inputs(
    out: &std::path::Path,
    dir: &std::path::Path,
    history: Option<&std::path::Path>,
) -> Result<(), Fail> {
    // Only an existing file can be lost; `canonicalize` follows links to what would be replaced.
    let Ok(target) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    let same = |p: &std::path::Path| std::fs::canonicalize(p).is_ok_and(|c| c == target);
    if history.is_some_and(same) {
        return Err(Fail::Usage(format!(
            "--output {} is the --history file it reads; write the plan elsewhere / --output 与 --history 是同一个文件，请写到别处",
            out.display()
        )));
    }
    let in_set = std::fs::canonicalize(dir).is_ok_and(|d| target.parent() == Some(d.as_path()));
    if in_set {
        return Err(Fail::Usage(format!(
            "--output {} would replace a file of the policy set in {}; write the plan elsewhere / --output 会覆盖政策集文件夹中的文件，请写到别处",
            out.display(),
            dir.display()
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn plan(
    p: &PolicyArgs,
    rotation: &str,
    from: &str,
    months: u32,
    history: Option<&std::path::Path>,
    flags: &[String],
    format: PlanFormat,
    output: Option<&std::path::Path>,
) -> Result<ExitCode, Fail> {
    use humiao_core::plan;
    if let Some(out) = output {
        refuse_to_overwrite_inputs(out, &p.dir, history)?;
    }
    let policy = load_policy(p)?;
    let from = humiao_core::time::YearMonth::parse(from)
        .map_err(|e| Fail::Usage(format!("--from: {e} / {}", e.message_zh())))?;
    let (spec, roster) = policy
        .rotation(rotation)
        .map_err(|e| Fail::Usage(format!("{e} / {}", e.message_zh())))?;
    let past = match history {
        None => Vec::new(),
        Some(h) => {
            let text = std::fs::read_to_string(h)
                .map_err(|e| Fail::Usage(format!("{}: {e}", h.display())))?;
            let parsed = if h.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
                plan::parse_history_csv(&text, &roster)
            } else {
                plan::parse_history_json(&text, &roster)
            };
            parsed.map_err(|e| Fail::Usage(format!("{}: {e} / {}", h.display(), e.message_zh())))?
        }
    };
    let mut fl = Vec::new();
    for f in flags {
        let Some((street, reason)) = f.split_once('=') else {
            return Err(Fail::Usage(format!(
                "--flag takes STREET=REASON, found `{f}` / --flag 的格式为 街道=原因"
            )));
        };
        fl.push(plan::Flag {
            street: street.trim().to_string(),
            reason: reason.trim().to_string(),
        });
    }
    let made = plan::plan(&spec, &roster, from, months, &past, &fl)
        .map_err(|e| Fail::Usage(format!("{e} / {}", e.message_zh())))?;
    let text = match format {
        PlanFormat::Json => format!("{}\n", plan::to_json(&made)),
        PlanFormat::Csv => plan::to_csv(&made),
        PlanFormat::Ics => plan::to_ics(&made, &spec),
        PlanFormat::Human => plan::to_human(&made, &roster, p.lang != LangArg::En),
    };
    match output {
        Some(path) => load::write_atomically(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
