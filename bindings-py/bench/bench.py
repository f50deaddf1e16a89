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
from typing import Any, Callable, Dict, List, Optional, Tuple

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


def cpu_now() -> float:
    """CPU seconds of this process (all threads) and of finished children (the CLI)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Timings:
    """Measurements taken in rounds: every round runs each of them once, so a burst of load from
    other processes hits all of them alike; the best wall-clock and the least CPU time of the
    rounds are kept (CPU time grows less than wall clock when the cores are shared)."""

    def __init__(self) -> None:
        self.items: List[Tuple[str, Callable[[], Any], int]] = []
        self.best: Dict[str, Tuple[float, float]] = {}

    def add(self, label: str, fn: Callable[[], Any], count: int) -> None:
        self.items.append((label, fn, count))

    def run(self, rounds: int) -> None:
        for _ in range(rounds):
            for label, fn, count in self.items:
                c0, t0 = cpu_now(), time.perf_counter()
                fn()
                wall, cpu = (time.perf_counter() - t0) / count, (cpu_now() - c0) / count
                old = self.best.get(label, (wall, cpu))
                self.best[label] = (min(old[0], wall), min(old[1], cpu))


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

    # ---- one small case; each result is dropped before the next call, as in a loop over cases
    # (keeping 20,000 decisions alive would time the memory they take instead).
    n = 20_000
    policy.evaluate(SMALL, AS_OF)
    text = json.dumps(SMALL)

    def calls(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(n):
                fn()

        return run

    one = Timings()
    one.add("dict", calls(lambda: policy.evaluate(SMALL, AS_OF)), n)
    one.add("text", calls(lambda: policy.evaluate(text, AS_OF)), n)
    one.add("json", calls(lambda: policy.evaluate(SMALL, AS_OF).to_json()), n)
    one.add("core", lambda: _humiao._time_core(SMALL, AS_OF, n, policy), n)
    one.run(args.repeat)
    b = one.best

    def us(label: str) -> str:
        return f"{b[label][0] * 1e6:.1f} µs/call | {b[label][1] * 1e6:.1f} µs"

    rows.append(f"| `evaluate(dict)`, one small case | {us('dict')} |")
    rows.append(f"| `evaluate(json_text)` | {us('text')} |")
    rows.append(f"| `evaluate(dict).to_json()` | {us('json')} |")
    rows.append(f"| the core alone (`Policy::evaluate_json` in a Rust loop) | {us('core')} |")
    rows.append(
        f"| **per-call overhead of the binding** (`evaluate(dict)` − core) | "
        f"**{(b['dict'][0] - b['core'][0]) * 1e6:.1f} µs** | **{(b['dict'][1] - b['core'][1]) * 1e6:.1f} µs** |"
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

        cli()
        expected = out.read_text(encoding="utf-8").splitlines()
        got = [d.to_json() for d in policy.evaluate_many(lines, AS_OF)]
        assert got == expected, "Python and the CLI disagree"

        def file_to_file() -> None:
            src = path.read_text(encoding="utf-8").splitlines()
            with open(Path(tmp) / "py.jsonl", "w", encoding="utf-8") as f:
                for d in policy.evaluate_many(src, AS_OF):
                    f.write(d.to_json())
                    f.write("\n")

        cores = len(os.sched_getaffinity(0))
        many = Timings()
        many.add(f"CLI `eval --format jsonl`, {args.cases:,} cases, file to file", cli, args.cases)

        def batch(cases: List[Any], threads: Optional[int]) -> Callable[[], Any]:
            return lambda: policy.evaluate_many(cases, AS_OF, threads)

        for threads in (1, None):
            label = "1 thread" if threads == 1 else f"{cores} threads (default)"
            many.add(f"`evaluate_many(json_lines)`, {label}", batch(list(lines), threads), args.cases)
            many.add(f"`evaluate_many(dicts)`, {label}", batch(dicts, threads), args.cases)
        many.add(f"`evaluate_many` file to file (read lines, evaluate, `to_json()`, write), {cores} threads",
                 file_to_file, args.cases)
        many.run(args.repeat)
        for label, (wall, cpu) in many.best.items():
            rows.append(f"| {label} | {1 / wall:,.0f} cases/s ({wall * args.cases:.2f} s) | {cpu * 1e6:.1f} µs |")

    print(f"Machine: {header}\n")
    print("| what | wall clock | CPU per case |")
    print("|---|---|---|")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
