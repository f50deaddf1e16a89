//! The benchmark table of issue 7: every engine and mode over the same generated cases.
//!
//! ```text
//! cargo build --release -p humiao-cli -p humiao-bench
//! ./target/release/humiao-bench [--cases N] [--quick] [--reps R] [--cli-jobs N] [--no-cli]
//! ```
//!
//! Timed with `Instant` over every case, in chunks whose inputs are prepared outside the
//! timing, the engines of a mode taking turns on each chunk (see `timing`); each figure is the
//! median of `--reps` passes. Before timing, every baseline is
//! checked against humiao on every case (stops at the first disagreement). `scripts/bench`
//! builds and runs it.

use humiao_bench::baseline::{typed, value};
use humiao_bench::cli::{write_cases_file, write_policy_dir, Cli};
use humiao_bench::engines::humiao::{compile_rules, Humiao, JsonBuffers, Prepared};
use humiao_bench::table::{self, Row, CLI_BATCH, COMPILE, EVALUATE, EXPLAIN, JSON_LINE};
use humiao_bench::timing::{self, Job};
use humiao_bench::workload::{Case, Workload, AS_OF};
use humiao_bench::{agreement, policy, synth};
use std::error::Error;
use std::hint::black_box;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    cases: usize,
    reps: usize,
    quick: bool,
    rules: PathBuf,
    cli: bool,
    cli_jobs: Option<usize>,
    rss_cases: usize,
}

const USAGE: &str = "usage: humiao-bench [--cases N] [--quick] [--reps R] [--rules DIR] \
                     [--no-cli] [--cli-jobs N] [--rss-cases N]";

fn args() -> Result<Args, String> {
    let mut a = Args {
        cases: 200_000,
        reps: 5,
        quick: false,
        rules: policy::bundled_dir(),
        cli: true,
        cli_jobs: None,
        rss_cases: 1_000_000,
    };
    let mut cases = None;
    let mut reps = None;
    let mut rss = None;
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, name: &str| -> Result<usize, String> {
        v.and_then(|s| s.replace('_', "").parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name} needs a positive number\n{USAGE}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--cases" => cases = Some(num(it.next(), "--cases")?),
            "--reps" => reps = Some(num(it.next(), "--reps")?),
            "--rss-cases" => rss = Some(num(it.next(), "--rss-cases")?),
            "--cli-jobs" => a.cli_jobs = Some(num(it.next(), "--cli-jobs")?),
            "--quick" => a.quick = true,
            "--no-cli" => a.cli = false,
            "--rules" => a.rules = it.next().map(PathBuf::from).ok_or(USAGE)?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if a.quick {
        a.cases = 20_000;
        a.reps = 3;
        a.rss_cases = 100_000;
    }
    a.cases = cases.unwrap_or(a.cases);
    a.reps = reps.unwrap_or(a.reps);
    a.rss_cases = rss.unwrap_or(a.rss_cases);
    Ok(a)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("humiao-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The median wall time of `reps` runs of `f`, in nanoseconds.
fn time_runs<T>(reps: usize, mut f: impl FnMut() -> Result<T, String>) -> Result<f64, String> {
    let mut xs = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        black_box(f()?);
        xs.push(t.elapsed().as_nanos() as f64);
    }
    Ok(table::median(xs))
}

fn slice<T>(v: &[T], r: Range<usize>) -> &[T] {
    v.get(r).unwrap_or(&[])
}

fn progress(what: &str) {
    eprintln!("· {what}");
}

fn run() -> Result<(), Box<dyn Error>> {
    let a = args()?;
    let n = a.cases;
    let sources = policy::workload_sources(&a.rules)?;
    let humiao = Humiao::new(&sources, AS_OF)?;

    progress(&format!(
        "generating {n} cases (seed {})",
        humiao_bench::workload::SEED
    ));
    let cases: Vec<Case> = Workload::cases(n);
    let lines: Vec<String> = cases.iter().map(Case::to_json_line).collect();
    let bytes: usize = lines.iter().map(String::len).sum();

    progress("agreement: every baseline against humiao on every case");
    let checked = agreement::check(&humiao, &cases)?;
    progress("agreement: evaluate_batch against evaluate_outcome on every case");
    let mut together = 0usize;
    for chunk in lines.chunks(timing::CHUNK) {
        let facts: Vec<_> = chunk
            .iter()
            .filter_map(|l| humiao.prepare(l).ok())
            .collect();
        together += humiao.check_batch(&facts)?;
    }
    progress("agreement: evaluate_rows (columns) against evaluate_outcome on every case");
    let mut rows_together = 0usize;
    for chunk in lines.chunks(64) {
        let refs: Vec<&String> = chunk.iter().collect();
        let facts: Vec<_> = chunk
            .iter()
            .map(|l| humiao.prepare(l))
            .collect::<Result<_, _>>()?;
        for block in humiao.prepare_rows(&refs)? {
            rows_together += humiao.check_rows(&block, &facts)?;
        }
    }

    let mut rows = Vec::new();
    let typed_name = table::TYPED_BASELINE;
    let value_name = "hand-written Rust, serde_json::Value";

    progress("evaluate only");
    let humiao_name = "humiao";
    let mut failed = 0usize;
    let prepare_facts = |r: Range<usize>| -> Vec<_> {
        slice(&lines, r)
            .iter()
            .filter_map(|l| humiao.prepare(l).ok())
            .collect()
    };
    let ns = {
        let mut typed_job = Job::new(
            |r| slice(&cases, r).iter().collect(),
            |c: &&Case| {
                black_box(typed::decide(black_box(c)));
            },
        );
        let mut value_job = Job::new(
            |r| {
                slice(&lines, r)
                    .iter()
                    .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap_or_default())
                    .collect()
            },
            |v: &serde_json::Value| {
                black_box(value::decide(black_box(v)));
            },
        );
        let mut fails = [0usize; 3];
        let [f0, f1, f2] = &mut fails;
        let mut outcome = humiao_core::Outcome::new();
        let mut outcome_job = Job::new(prepare_facts, |f: &Prepared| {
            *f0 += usize::from(
                black_box(humiao.evaluate_outcome(black_box(f), &mut outcome)).is_err(),
            );
        });
        let mut humiao_job = Job::new(prepare_facts, |f: &Prepared| {
            *f1 += usize::from(black_box(humiao.evaluate(black_box(f))).is_err());
        });
        let mut reference_job = Job::new(prepare_facts, |f: &Prepared| {
            *f2 += usize::from(black_box(humiao.evaluate_reference(black_box(f))).is_err());
        });
        let mut batch = humiao_core::BatchOutcome::new();
        let mut batch_job = Job::new(
            |r| vec![prepare_facts(r)],
            |fs: &Vec<Prepared>| {
                humiao.evaluate_batch(black_box(fs), &mut batch);
                black_box(&batch);
            },
        );
        let mut rows_batch = humiao_core::BatchOutcome::new();
        let mut rows_job = Job::new(
            |r| {
                let refs: Vec<&String> = slice(&lines, r).iter().collect();
                humiao.prepare_rows(&refs).unwrap_or_default()
            },
            |b: &humiao_core::facts::RowsBlock| {
                humiao.evaluate_rows(black_box(b), &mut rows_batch);
                black_box(&rows_batch);
            },
        );
        let ns = timing::measure(
            n,
            a.reps,
            &mut [
                &mut typed_job,
                &mut value_job,
                &mut outcome_job,
                &mut humiao_job,
                &mut reference_job,
                &mut batch_job,
                &mut rows_job,
            ],
        );
        failed += fails.iter().sum::<usize>();
        ns
    };
    let [typed_ns, value_ns, outcome_ns, humiao_ns, reference_ns, batch_ns, rows_ns] = ns[..]
    else {
        return Err("measure".into());
    };
    rows.push(Row::timed(typed_name, EVALUATE, typed_ns));
    rows.push(Row::timed(value_name, EVALUATE, value_ns).note("Value parsed ahead"));
    rows.push(
        Row::timed(humiao_name, EVALUATE, outcome_ns)
            .note("evaluate_outcome: conclusions and rule states into a reused Outcome"),
    );
    rows.push(
        Row::timed("humiao, batch (64 cases a word)", EVALUATE, batch_ns).note(format!(
            "evaluate_batch: the same outcomes, 64 cases at a time; {together} of {n} cases decided together, the rest one by one"
        )),
    );
    rows.push(
        Row::timed("humiao, columns (64 rows a block)", EVALUATE, rows_ns).note(format!(
            "evaluate_rows over cases loaded as columns (RowsBlock: per fact, 64 rows' tags); {rows_together} of {n} decided together, the rest one by one"
        )),
    );
    rows.push(
        Row::timed("humiao → Decision", EVALUATE, humiao_ns)
            .note("evaluate: the whole Decision (obligations, citations, notes)"),
    );
    rows.push(
        Row::timed(
            "humiao → Decision, reference evaluator",
            EVALUATE,
            reference_ns,
        )
        .note(format!(
            "no fast path (as before it); fast path {:.2}× faster",
            reference_ns / humiao_ns
        )),
    );

    progress("JSON line → decision");
    let ns = {
        let prepare_lines = |r: Range<usize>| -> Vec<&String> { slice(&lines, r).iter().collect() };
        let mut fails = [0usize; 4];
        let [f0, f1, f2, f3] = &mut fails;
        let mut typed_job = Job::new(prepare_lines, |l: &&String| {
            *f0 += usize::from(black_box(typed::json_line_to_decision(black_box(l))).is_err());
        });
        let mut value_job = Job::new(prepare_lines, |l: &&String| {
            *f1 += usize::from(black_box(value::json_line_to_decision(black_box(l))).is_none());
        });
        let mut buffers = JsonBuffers::default();
        let mut humiao_job = Job::new(prepare_lines, |l: &&String| {
            *f2 += usize::from(
                black_box(humiao.json_line_to_decision(black_box(l), &mut buffers)).is_err(),
            );
        });
        let mut via_job = Job::new(prepare_lines, |l: &&String| {
            *f3 += usize::from(black_box(humiao.json_line_via_decision(black_box(l))).is_err());
        });
        let ns = timing::measure(
            n,
            a.reps,
            &mut [
                &mut typed_job,
                &mut value_job,
                &mut humiao_job,
                &mut via_job,
            ],
        );
        failed += fails.iter().sum::<usize>();
        ns
    };
    let [typed_ns, value_ns, humiao_ns, via_ns] = ns[..] else {
        return Err("measure".into());
    };
    rows.push(
        Row::timed(typed_name, JSON_LINE, typed_ns)
            .note("serde derive, the rules, a small decision"),
    );
    rows.push(Row::timed(value_name, JSON_LINE, value_ns));
    rows.push(Row::timed(humiao_name, JSON_LINE, humiao_ns).note(
        "evaluate_text_into: facts read into reused buffers, evaluate_json_into (the CLI's path)",
    ));
    rows.push(
        Row::timed("humiao through the Decision", JSON_LINE, via_ns).note(format!(
            "load_facts_text + evaluate + to_json; the direct writer {:.2}× faster",
            via_ns / humiao_ns
        )),
    );

    // Where humiao's JSON line → decision goes: reading the facts, then evaluating and writing
    // with `evaluate_json_into`, next to evaluating into a `Decision` and writing it with
    // `to_json`.
    progress("JSON line → decision, in parts");
    let ns = {
        let prepare_lines = |r: Range<usize>| -> Vec<&String> { slice(&lines, r).iter().collect() };
        let mut read_job = Job::new(prepare_lines, |l: &&String| {
            black_box(humiao.prepare(black_box(l)).is_err());
        });
        let mut buffers = JsonBuffers::default();
        let mut direct_job = Job::new(prepare_facts, |f: &Prepared| {
            black_box(humiao.evaluate_json(black_box(f), &mut buffers).is_err());
        });
        let mut eval_job = Job::new(prepare_facts, |f: &Prepared| {
            black_box(humiao.evaluate(black_box(f)).is_err());
        });
        let mut write_job = Job::new(
            |r: Range<usize>| -> Vec<_> {
                prepare_facts(r)
                    .iter()
                    .filter_map(|f| humiao.evaluate(f).ok())
                    .collect()
            },
            |d| {
                black_box(humiao.write(black_box(d)));
            },
        );
        let mut two_pass_job = Job::new(prepare_lines, |l: &&String| {
            black_box(humiao.prepare_two_pass(black_box(l)).is_err());
        });
        timing::measure(
            n,
            a.reps.min(3),
            &mut [
                &mut read_job,
                &mut direct_job,
                &mut eval_job,
                &mut write_job,
                &mut two_pass_job,
            ],
        )
    };
    let [read_ns, direct_ns, eval_ns, write_ns, two_pass_ns] = ns[..] else {
        return Err("measure".into());
    };
    rows.push(
        Row::timed(
            humiao_name,
            &format!("{JSON_LINE}: read the facts (load_facts_text)"),
            read_ns,
        )
        .note(format!(
            "one pass into the fact slots; {:.2}× faster than the two-pass reader",
            two_pass_ns / read_ns
        )),
    );
    rows.push(
        Row::timed(
            humiao_name,
            &format!("{JSON_LINE}: read the facts, two-pass reader"),
            two_pass_ns,
        )
        .note("load_facts_text_two_pass: a serde_json::Value, then a walk against the schema"),
    );
    for (part, ns) in [
        ("evaluate and write (evaluate_json_into)", direct_ns),
        ("evaluate into a Decision (evaluate)", eval_ns),
        ("write the Decision (to_json)", write_ns),
    ] {
        rows.push(Row::timed(humiao_name, &format!("{JSON_LINE}: {part}"), ns));
    }

    // Explain is slow: a tenth of the cases (at least 1,000), next to a plain evaluation of
    // the same cases.
    let ne = (n / 10).max(1_000).min(n);
    progress(&format!("explain ({ne} cases)"));
    let ns = {
        let mut plain_job = Job::new(prepare_facts, |f: &Prepared| {
            black_box(humiao.evaluate(black_box(f)).is_err());
        });
        let mut explain_job = Job::new(prepare_facts, |f: &Prepared| {
            failed += usize::from(black_box(humiao.explain(black_box(f))).is_err());
        });
        timing::measure(ne, a.reps.min(3), &mut [&mut plain_job, &mut explain_job])
    };
    let [plain_ns, explain_ns] = ns[..] else {
        return Err("measure".into());
    };
    rows.push(Row::timed(humiao_name, EXPLAIN, explain_ns).note(format!(
        "{:.1}× humiao evaluate only on the same {ne} cases (target ≤ 5×)",
        explain_ns / plain_ns
    )));
    if failed > 0 {
        return Err(format!("{failed} evaluations failed while timing").into());
    }

    progress("compile");
    rows.extend(compile_rows(&a, &sources)?);

    if a.cli {
        rows.extend(cli_rows(&a, &sources)?);
    }
    rows.extend(peer_rows(&a));

    table::set_ratios(&mut rows);
    println!("{}", table::machine());
    println!(
        "workload: {n} cases (seed {}, {:.0} bytes per JSON line), as of {AS_OF}; \
         agreement checked on {checked} cases; median of {} passes",
        humiao_bench::workload::SEED,
        bytes as f64 / n.max(1) as f64,
        a.reps
    );
    println!();
    print!("{}", table::render(&rows));
    Ok(())
}

fn compile_rows(a: &Args, workload: &[(String, String)]) -> Result<Vec<Row>, Box<dyn Error>> {
    let mut rows = Vec::new();
    let reps = if a.quick { 3 } else { 11 };
    let bundled = policy::folder_sources(&a.rules)?;
    let nrules = compile_rules(&bundled)?;
    let ns = time_runs(reps, || compile_rules(&bundled))?;
    rows.push(Row::untimed(
        "humiao",
        COMPILE,
        format!(
            "bundled set, {} files, {nrules} rules: {} (target ≤ 10 ms)",
            bundled.len(),
            table::human_ns(ns)
        ),
    ));
    let nrules = compile_rules(workload)?;
    let ns = time_runs(reps, || compile_rules(workload))?;
    rows.push(Row::untimed(
        "humiao",
        COMPILE,
        format!(
            "the workload's {} files, {nrules} rules: {}",
            workload.len() - 1,
            table::human_ns(ns)
        ),
    ));
    let base: Vec<(String, String)> = workload
        .iter()
        .filter(|(p, _)| synth::BASE_FILES.contains(&p.as_str()))
        .cloned()
        .collect();
    let base_rules = compile_rules(&{
        let mut b = base.clone();
        b.push((
            "humiao.toml".into(),
            "name = \"base\"\nversion = \"1\"\n".into(),
        ));
        b
    })?;
    let mut per_rule = Vec::new();
    for size in [100, 1_000, 10_000] {
        let set = synth::policy_set(size, &base);
        let nrules = compile_rules(&set)?;
        let reps = match (a.quick, size) {
            (true, 10_000) => 1,
            (_, 10_000) => 3,
            (true, _) => 3,
            _ => 5,
        };
        let ns = time_runs(reps, || compile_rules(&set))?;
        per_rule.push(ns / nrules as f64);
        let target = if size == 10_000 {
            " (target ≤ 1 s)"
        } else {
            ""
        };
        rows.push(Row::untimed("humiao", COMPILE, format!(
                "generated, {size} rules (+{base_rules} of the base files): {}{target}; {:.0} µs per rule",
                table::human_ns(ns),
                ns / nrules as f64 / 1e3
            )));
    }
    Ok(rows)
}

fn data_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(Path::parent)
                .map(|d| d.join("bench-data"))
        })
        .unwrap_or_else(|| PathBuf::from("target/bench-data"))
}

fn cli_rows(a: &Args, sources: &[(String, String)]) -> Result<Vec<Row>, Box<dyn Error>> {
    let binary = std::env::current_exe()?
        .parent()
        .map(|d| d.join("humiao"))
        .unwrap_or_default();
    let name = "humiao CLI";
    if !binary.exists() {
        return Ok(vec![Row::untimed(
            name,
            CLI_BATCH,
            "not built: cargo build --release -p humiao-cli",
        )]);
    }
    let dir = data_dir();
    let cli = Cli {
        binary,
        policy_dir: dir.join("policy"),
        jobs: a.cli_jobs,
        outcomes: false,
    };
    write_policy_dir(&cli.policy_dir, sources)?;
    let file = dir.join(format!("cases-{}.jsonl", a.cases));
    progress(&format!("CLI batch: writing {}", file.display()));
    write_cases_file(&file, a.cases)?;
    progress("CLI batch");
    let reps = if a.quick { 1 } else { 3 };
    let ns = time_runs(reps, || cli.batch(&file))?;
    let jobs = a
        .cli_jobs
        .map_or(String::from("one thread"), |j| format!("--jobs {j}"));
    let mut rows = vec![
        Row::timed(name, CLI_BATCH, ns / a.cases as f64).note(format!(
            "{} cases from a file, output to a null sink, {jobs}; target ≥ 500 k/s",
            a.cases
        )),
    ];
    progress(&format!("CLI peak memory over {} cases", a.rss_cases));
    let row = match cli.peak_rss(a.rss_cases)? {
        Some((kb, took)) => Row::timed(
            name,
            &format!("{CLI_BATCH}, stdin"),
            took.as_nanos() as f64 / a.rss_cases as f64,
        )
        .note(format!(
            "{} cases streamed on stdin: peak RSS {:.1} MB (target < 64 MB for 1,000,000)",
            a.rss_cases,
            kb as f64 / 1024.0
        )),
        None => Row::untimed(
            name,
            &format!("{CLI_BATCH}, stdin"),
            "/usr/bin/time not found: peak RSS not measured",
        ),
    };
    rows.push(row);
    // The same with --outcomes: each case's conclusions, not its whole decision.
    let outcomes = Cli {
        outcomes: true,
        ..cli
    };
    progress("CLI batch, --outcomes");
    let ns = time_runs(reps, || outcomes.batch(&file))?;
    rows.push(
        Row::timed(name, &format!("{CLI_BATCH}, --outcomes"), ns / a.cases as f64).note(format!(
            "{} cases from a file, output to a null sink, {jobs}: each case's id, settled and 16 conclusions (~600 bytes a line) instead of its decision (~3.5 KB)",
            a.cases
        )),
    );
    progress(&format!(
        "CLI --outcomes, peak memory over {} cases",
        a.rss_cases
    ));
    if let Some((kb, took)) = outcomes.peak_rss(a.rss_cases)? {
        rows.push(
            Row::timed(
                name,
                &format!("{CLI_BATCH}, --outcomes, stdin"),
                took.as_nanos() as f64 / a.rss_cases as f64,
            )
            .note(format!(
                "{} cases streamed on stdin: peak RSS {:.1} MB",
                a.rss_cases,
                kb as f64 / 1024.0
            )),
        );
    }
    Ok(rows)
}

/// The peers' rows, when bench/peers has been built (`scripts/bench --peers`) and
/// `HUMIAO_BENCH_NO_PEERS` is not set.
fn peer_rows(a: &Args) -> Vec<Row> {
    if std::env::var_os("HUMIAO_BENCH_NO_PEERS").is_some() {
        return Vec::new();
    }
    let binary =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/target/release/humiao-bench-peers");
    if !binary.exists() {
        return Vec::new();
    }
    progress("peers (bench/peers)");
    let mut c = std::process::Command::new(&binary);
    c.args(["--rows", "--cases", &a.cases.to_string(), "--reps"])
        .arg(a.reps.to_string());
    match c.output() {
        Ok(out) if out.status.success() => {
            // Each peer is held against the typed baseline timed alongside it, in its process.
            let mut rows: Vec<Row> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(Row::from_tsv)
                .collect();
            table::set_ratios(&mut rows);
            rows.retain(|r| r.engine != table::TYPED_BASELINE);
            for r in &mut rows {
                r.note = format!("{}; ratio to the typed baseline timed alongside", r.note);
            }
            rows
        }
        Ok(out) => vec![Row::untimed(
            "peers",
            EVALUATE,
            format!(
                "bench/peers failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            ),
        )],
        Err(e) => vec![Row::untimed(
            "peers",
            EVALUATE,
            format!("bench/peers could not run: {e}"),
        )],
    }
}
