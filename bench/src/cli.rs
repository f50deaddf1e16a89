//! The CLI batch rows: `humiao eval --format jsonl` (the release binary) on a generated file,
//! and its peak memory on a long stream of cases.

use crate::workload::{Workload, AS_OF};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How to run the CLI.
#[derive(Clone, Debug)]
pub struct Cli {
    pub binary: PathBuf,
    /// A policy folder holding the workload's files (written by [`write_policy_dir`]).
    pub policy_dir: PathBuf,
    /// `--jobs N` of `humiao eval` (0: one thread per core); `None` leaves the CLI's default.
    pub jobs: Option<usize>,
    /// `--outcomes`: each case's conclusions only, not its whole decision.
    pub outcomes: bool,
}

/// Writes a policy set given as (path, text) pairs into a folder the CLI can read.
pub fn write_policy_dir(dir: &Path, sources: &[(String, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (p, t) in sources {
        std::fs::write(dir.join(p), t)?;
    }
    Ok(())
}

/// Writes the first `n` cases of the workload, one JSON object per line. Kept when it already
/// has `n` lines of the same workload (the first line is compared).
pub fn write_cases_file(path: &Path, n: usize) -> std::io::Result<()> {
    if let Ok(f) = std::fs::File::open(path) {
        let mut lines = BufReader::new(f).lines();
        let first = Workload::new().next().map(|c| c.to_json_line());
        if lines.next().and_then(Result::ok) == first && lines.count() + 1 == n {
            return Ok(());
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for case in Workload::new().take(n) {
        out.write_all(case.to_json_line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

impl Cli {
    fn command(&self, program: &Path, facts: &str) -> Command {
        let mut c = Command::new(program);
        if program != self.binary {
            c.arg("-v").arg(&self.binary);
        }
        c.arg("eval")
            .arg(&self.policy_dir)
            .args(["--facts", facts, "--format", "jsonl", "--as-of", AS_OF]);
        if let Some(j) = self.jobs {
            c.args(["--jobs", &j.to_string()]);
        }
        if self.outcomes {
            c.arg("--outcomes");
        }
        c
    }

    /// Runs the batch over a cases file, output to a null sink; the wall time, policy loading
    /// and process start included.
    pub fn batch(&self, cases_file: &Path) -> Result<Duration, String> {
        let facts = cases_file.to_string_lossy().to_string();
        let start = Instant::now();
        let out = self
            .command(&self.binary, &facts)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        let took = start.elapsed();
        if !out.status.success() {
            return Err(format!(
                "humiao eval exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(took)
    }

    /// Streams `n` generated cases into `humiao eval --facts -` under `/usr/bin/time -v`; the
    /// peak resident set size in kB and the wall time. `None` when `/usr/bin/time` is absent.
    pub fn peak_rss(&self, n: usize) -> Result<Option<(u64, Duration)>, String> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            return Ok(None);
        }
        let start = Instant::now();
        let mut child = self
            .command(time, "-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("/usr/bin/time: {e}"))?;
        let stdin = child.stdin.take();
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            let Some(stdin) = stdin else {
                return Ok(());
            };
            let mut w = BufWriter::with_capacity(1 << 16, stdin);
            for case in Workload::new().take(n) {
                w.write_all(case.to_json_line().as_bytes())?;
                w.write_all(b"\n")?;
            }
            w.flush()
        });
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let took = start.elapsed();
        writer
            .join()
            .map_err(|_| "the writer thread panicked".to_string())?
            .map_err(|e| format!("writing cases: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("humiao eval exited with {}: {stderr}", out.status));
        }
        let kb = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("no peak RSS in /usr/bin/time's output: {stderr}"))?;
        Ok(Some((kb, took)))
    }
}
