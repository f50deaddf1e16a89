"""Paths and helpers shared by the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SAMPLE = REPO / "tests" / "sample"
CONFORMANCE = REPO / "tests" / "conformance"




def run_cli(cli: Path, args: List[str], stdin: bytes = b"") -> "subprocess.CompletedProcess[bytes]":
    """Runs the `humiao` binary; never raises on a non-zero exit."""
    return subprocess.run([str(cli), *args], input=stdin, capture_output=True, check=False)


SCHOOL_GIRL: Dict[str, Any] = {
    "case": {"id": "YX-2026-0301-001"},
    "discovered_at": "2026-03-01T10:00:00+08:00",
    "reporter": {"org_type": "school", "in_course_of_work": True},
    "minor": {"id": "440104201603010000", "birth_date": "2016-07-12", "sex": "female"},
    "indicators": {"sexual_assault": True},
}
