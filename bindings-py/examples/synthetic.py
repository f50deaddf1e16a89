"""Synthetic cases for examples and benchmarks: varied, valid facts for the bundled Yuexiu set.

Deterministic for a given seed (Python's `random.Random` with a fixed seed), so a run can be
repeated. These are made-up cases, not data about any child.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Dict, Iterator, List

ORG_TYPES = [
    "residents_committee", "villagers_committee", "school", "kindergarten",
    "training_institution", "hospital", "clinic", "hotel", "social_work_org",
    "state_organ", "individual", "other",
]
INDICATORS = [
    "genital_private_injury", "sexual_assault", "sexual_harassment", "pregnancy", "abortion",
    "pregnancy_assault_suspected", "multiple_injuries", "severe_malnutrition",
    "impaired_consciousness", "domestic_violence", "bullying", "maltreatment", "beating",
    "drugged", "abnormal_disability_or_death", "abandoned", "unattended", "unknown_origin",
    "missing", "trafficked", "organised_begging", "other_serious_harm", "imminent_danger",
]


def case(rng: random.Random, i: int) -> Dict[str, Any]:
    """One case: a reporter, a minor (birth date or age), some indicators, sometimes case data."""
    day = 1 + rng.randrange(28)
    hour = rng.randrange(24)
    facts: Dict[str, Any] = {
        "case": {"id": f"SYN-{i:07d}"},
        "discovered_at": f"2026-02-{day:02d}T{hour:02d}:{rng.randrange(60):02d}:00+08:00",
        "reporter": {
            "org_type": rng.choice(ORG_TYPES),
            "in_course_of_work": rng.random() < 0.8,
        },
        "minor": {"sex": rng.choice(["female", "male"])},
        "indicators": {k: True for k in rng.sample(INDICATORS, rng.randrange(0, 4))},
    }
    if rng.random() < 0.6:
        facts["minor"]["birth_date"] = f"{2008 + rng.randrange(18)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
    else:
        facts["minor"]["age"] = rng.randrange(0, 19)
    if rng.random() < 0.3:
        facts["reported_at"] = f"2026-02-{min(28, day + rng.randrange(3)):02d}T{rng.randrange(24):02d}:00:00+08:00"
    if rng.random() < 0.5:
        facts["case"].update(
            departments_involved=rng.randrange(0, 5),
            prior_reports_12m=rng.randrange(0, 4),
            media_attention=rng.random() < 0.1,
            serious_injury=rng.random() < 0.2,
            emergency=rng.random() < 0.1,
        )
    return facts


def cases(n: int, seed: int = 2026) -> Iterator[Dict[str, Any]]:
    """`n` cases, the same ones for the same seed."""
    rng = random.Random(seed)
    for i in range(n):
        yield case(rng, i)


def write_jsonl(path: Path, n: int, seed: int = 2026) -> List[str]:
    """Writes `n` cases to `path` as JSON Lines and returns the lines."""
    lines = [json.dumps(c, ensure_ascii=False) for c in cases(n, seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines
