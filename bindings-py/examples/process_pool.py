"""Evaluate a JSON Lines case file on a pool of worker processes.

The policy is pickled once into each worker (by its sources and params) through the pool's
initializer; each worker then evaluates chunks of lines with `evaluate_many`. The output has
one line per input line, a decision or an error record, in input order, like
`humiao eval --format jsonl`.

    python examples/process_pool.py RULES_DIR CASES.jsonl 2026-03-01 [WORKERS]
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Optional

import humiao

_policy: Optional[humiao.Policy] = None


def _init(policy: humiao.Policy) -> None:
    global _policy
    _policy = policy


def _evaluate_chunk(lines: List[str], as_of: str) -> List[str]:
    assert _policy is not None, "the worker was not initialised"
    out: List[str] = []
    # One thread per process: the processes are the parallelism here.
    for r in _policy.evaluate_many(lines, as_of, threads=1, on_error="return"):
        if isinstance(r, humiao.Decision):
            out.append(r.to_json())
        else:
            out.append(json.dumps({"error": str(r)}, ensure_ascii=False))
    return out


def evaluate_file(policy: humiao.Policy, cases: Path, as_of: str, workers: int = 2, chunk: int = 2000) -> List[str]:
    """Decisions for every line of `cases`, as JSON lines in input order."""
    # Line ends only: str.splitlines() would also split at U+2028 inside a case's text.
    with cases.open(encoding="utf-8") as f:
        lines = [line.rstrip("\r\n") for line in f]
    chunks = [lines[i : i + chunk] for i in range(0, len(lines), chunk)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(policy,)) as pool:
        results = pool.map(_evaluate_chunk, chunks, [as_of] * len(chunks))
        return [line for part in results for line in part]


def main(argv: List[str]) -> int:
    rules, cases, as_of = Path(argv[0]), Path(argv[1]), argv[2]
    workers = int(argv[3]) if len(argv) > 3 else 2
    for line in evaluate_file(humiao.Policy.load(rules), cases, as_of, workers):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
