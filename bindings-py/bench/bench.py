"""Timings for docs/python.md: `evaluate` per-call cost and overhead, and `evaluate_many`
throughput on 100,000 cases against the CLI's JSON Lines path, in one run on one machine.

    bindings-py/.venv/bin/python bindings-py/bench/bench.py [--cases 100000] [--cli PATH]

Not a test: it prints a Markdown table. Wall-clock and CPU times, the best of `--repeat` runs (5) each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List, Tuple

import humiao
from humiao import _humiao

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings-py" / "examples"))
import synthetic  # noqa: E402

AS_OF = "2026-03-01"
SMALL = {
    "discovered_at": "2026-03-01T10:00:00+08:00",
    "reporter": {"org_type": "school", "in_course_of_work": True},
    "minor": {"birth_date": "2016-07-12", "sex": "female"},
    "indicators": {"sexual_assault": True},
}


def best(fn: Callable[[], Any], repeat: int) -> float:
    return best_with_cpu(fn, repeat)[0]


def cpu_now() -> float:
    """CPU seconds of this process (all threads) and of finished children (the CLI)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best_with_cpu(fn: Callable[[], Any], repeat: int) -> Tuple[float, float]:
    """The fastest wall-clock run, and the least CPU time of the runs: CPU time does not grow
    when other processes compete for the cores, so it compares paths on a busy machine."""
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = cpu_now(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_now() - c0)
    return min(walls), min(cpus)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"nproc {len(os.sched_getaffinity(0))}, {model}, Python {platform.python_version()}; "
            f"load average before the run {load}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cli", default=os.environ.get("HUMIAO_BIN", str(REPO / "target" / "release" / "humiao")))
    args = ap.parse_args()
    header = machine()
    policy = humiao.Policy.load(REPO / "rules")
    rows: List[str] = []

    # ---- one small case: wall clock and CPU time per call, best of the runs
    n = 20_000
    policy.evaluate(SMALL, AS_OF)
    text = json.dumps(SMALL)

    def per_call(fn: Callable[[], Any]) -> Tuple[float, float]:
        # Each result is dropped before the next call, as in a loop over cases; keeping 20,000
        # decisions alive would time the memory they take instead.
        def calls() -> None:
            for _ in range(n):
                fn()

        wall, cpu = best_with_cpu(calls, args.repeat)
        return wall / n, cpu / n

    def show(t: Tuple[float, float]) -> str:
        return f"{t[0] * 1e6:.1f} µs/call | {t[1] * 1e6:.1f} µs"

    d_dict = per_call(lambda: policy.evaluate(SMALL, AS_OF))
    d_text = per_call(lambda: policy.evaluate(text, AS_OF))
    d_json = per_call(lambda: policy.evaluate(SMALL, AS_OF).to_json())
    wall, cpu = best_with_cpu(lambda: _humiao._time_core(SMALL, AS_OF, n, policy), args.repeat)
    d_core = (wall / n, cpu / n)
    rows.append(f"| `evaluate(dict)`, one small case | {show(d_dict)} |")
    rows.append(f"| `evaluate(json_text)` | {show(d_text)} |")
    rows.append(f"| `evaluate(dict).to_json()` | {show(d_json)} |")
    rows.append(f"| the core alone (`Policy::evaluate_json` in a Rust loop) | {show(d_core)} |")
    rows.append(
        f"| **per-call overhead of the binding** (`evaluate(dict)` − core) | "
        f"**{(d_dict[0] - d_core[0]) * 1e6:.1f} µs** | **{(d_dict[1] - d_core[1]) * 1e6:.1f} µs** |"
    )

    # ---- 100,000 cases
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        lines = synthetic.write_jsonl(path, args.cases, seed=2026)
        dicts = [json.loads(line) for line in lines]
        out = Path(tmp) / "out.jsonl"

        def cli() -> None:
            with open(out, "wb") as f:
                subprocess.run([args.cli, "eval", str(REPO / "rules"), "--facts", str(path),
                                "--as-of", AS_OF, "--format", "jsonl"], stdout=f, check=True)

        t_cli = best_with_cpu(cli, args.repeat)
        expected = out.read_text(encoding="utf-8").splitlines()
        got = [d.to_json() for d in policy.evaluate_many(lines, AS_OF)]
        assert got == expected, "Python and the CLI disagree"

        def rate(t: Tuple[float, float]) -> str:
            wall, cpu = t
            return f"{args.cases / wall:,.0f} cases/s ({wall:.2f} s) | {cpu / args.cases * 1e6:.1f} µs"

        rows.append(f"| CLI `eval --format jsonl`, {args.cases:,} cases, file to file | {rate(t_cli)} |")
        cores = len(os.sched_getaffinity(0))
        for threads in (1, None):
            label = "1 thread" if threads == 1 else f"{cores} threads (default)"
            t = best_with_cpu(lambda: policy.evaluate_many(lines, AS_OF, threads=threads), args.repeat)
            rows.append(f"| `evaluate_many(json_lines)`, {label} | {rate(t)} |")
            t = best_with_cpu(lambda: policy.evaluate_many(dicts, AS_OF, threads=threads), args.repeat)
            rows.append(f"| `evaluate_many(dicts)`, {label} | {rate(t)} |")

        def file_to_file() -> None:
            src = path.read_text(encoding="utf-8").splitlines()
            with open(Path(tmp) / "py.jsonl", "w", encoding="utf-8") as f:
                for d in policy.evaluate_many(src, AS_OF):
                    f.write(d.to_json())
                    f.write("\n")

        t = best_with_cpu(file_to_file, args.repeat)
        rows.append(f"| `evaluate_many` file to file (read lines, evaluate, `to_json()`, write), {cores} threads | {rate(t)} |")

    print(f"Machine: {header}\n")
    print("| what | wall clock | CPU per case |")
    print("|---|---|---|")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
