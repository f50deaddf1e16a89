"""The binding's per-call overhead in instructions, which other processes on the machine cannot
change (unlike seconds): runs `evaluate(dict)` and the core's own loop on one small case under
`valgrind --tool=callgrind` and subtracts a run that only loads the policy.

    bindings-py/.venv/bin/python bindings-py/bench/instructions.py [N]

Needs valgrind. Prints instructions per call for both and the difference.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys, humiao
from humiao import _humiao
p = humiao.Policy.load(sys.argv[3])
S = {"discovered_at": "2026-03-01T10:00:00+08:00",
     "reporter": {"org_type": "school", "in_course_of_work": True},
     "minor": {"birth_date": "2016-07-12", "sex": "female"},
     "indicators": {"sexual_assault": True}}
mode, n = sys.argv[1], int(sys.argv[2])
p.evaluate(S, "2026-03-01"); _humiao._time_core(S, "2026-03-01", 1, p)
if mode == "py":
    for _ in range(n):
        p.evaluate(S, "2026-03-01")
elif mode == "core":
    _humiao._time_core(S, "2026-03-01", n, p)
"""


def instructions(script: Path, mode: str, n: int, out: Path) -> int:
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
         str(script), mode, str(n), str(REPO / "rules")],
        capture_output=True, text=True, check=True,
    )
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if m is None:
        raise RuntimeError(proc.stderr)
    return int(m.group(1))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD)
        subprocess.run([sys.executable, str(script), "none", "0", str(REPO / "rules")], check=True)
        base = instructions(script, "none", 0, Path(tmp) / "none.out")
        py = (instructions(script, "py", n, Path(tmp) / "py.out") - base) / n
        core = (instructions(script, "core", n, Path(tmp) / "core.out") - base) / n
    print(f"evaluate(dict): {py:,.0f} instructions/call; core alone: {core:,.0f}; "
          f"binding overhead: {py - core:,.0f} ({(py - core) / core:.0%} of the core's work)")


if __name__ == "__main__":
    main()
