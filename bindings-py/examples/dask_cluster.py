"""Evaluate a large JSON Lines case file on a `dask.distributed` cluster.

Here the cluster is a `LocalCluster` of worker processes on this machine; pointing `Client` at
a real scheduler runs the same code on many machines. The case file is read in blocks
(`dask.bag.read_text`), each partition is evaluated by `Policy.evaluate_many` on a worker, and
the decisions are written as JSON Lines, one file per partition, in input order: concatenated,
they are what `humiao eval --format jsonl` prints for the same file.

The policy travels to the workers by pickling (its sources and params), once: it is scattered
to every worker and the tasks refer to it.

    python examples/dask_cluster.py RULES_DIR CASES.jsonl 2026-03-01 OUT_DIR [WORKERS]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List

import dask.bag as db
from dask.distributed import Client, LocalCluster

import humiao


def evaluate_partition(lines: Iterable[str], policy: humiao.Policy, as_of: str) -> List[str]:
    """One partition of JSON lines to decision lines (or error records), in order."""
    texts = [line.rstrip("\n") for line in lines]
    out: List[str] = []
    for r in policy.evaluate_many(texts, as_of, threads=1, on_error="return"):
        if isinstance(r, humiao.Decision):
            out.append(r.to_json())
        else:
            out.append(json.dumps({"error": str(r)}, ensure_ascii=False))
    return out


def run(rules: Path, cases: Path, as_of: str, out_dir: Path, workers: int = 2,
        blocksize: str = "256kB") -> Dict[str, int]:
    """Evaluates `cases` on a local cluster; writes `out_dir/NNN.jsonl`; returns status counts."""
    policy = humiao.Policy.load(rules)
    out_dir.mkdir(parents=True, exist_ok=True)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        # The workers need this module for `evaluate_partition` (on a real cluster, ship your
        # code the same way, or install it on the workers); humiao itself must be installed there.
        client.upload_file(__file__)
        shared = client.scatter(policy, broadcast=True)
        bag = db.read_text(str(cases), blocksize=blocksize)
        # Kept on the workers, so writing the files and counting do not evaluate twice.
        decisions = bag.map_partitions(evaluate_partition, shared, as_of).persist()
        decisions.to_textfiles(
            str(out_dir / "*.jsonl"), name_function=lambda i: f"{i:03d}", last_endline=True
        )
        statuses = decisions.map(lambda line: json.loads(line).get("status", "error")).frequencies()
        return dict(Counter(dict(statuses.compute())))


def main(argv: List[str]) -> int:
    rules, cases, as_of, out_dir = Path(argv[0]), Path(argv[1]), argv[2], Path(argv[3])
    workers = int(argv[4]) if len(argv) > 4 else 2
    counts = run(rules, cases, as_of, out_dir, workers)
    for status, n in sorted(counts.items()):
        print(f"{status}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
