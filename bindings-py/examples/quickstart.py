"""Load the bundled policy set, decide one case, read the answer.

    python examples/quickstart.py [RULES_DIR]
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import humiao

RULES = Path(__file__).resolve().parents[2] / "rules"


def main(rules: Path = RULES) -> humiao.Decision:
    policy = humiao.Policy.load(rules)
    decision = policy.evaluate(
        {
            "case": {"id": "YX-2026-0301-001"},
            "discovered_at": "2026-03-01T10:00:00+08:00",
            "reporter": {"org_type": "school", "in_course_of_work": True},
            "minor": {"birth_date": date(2016, 7, 12), "sex": "female"},
            "indicators": {"sexual_assault": True},
        },
        as_of=date(2026, 3, 1),
    )
    print(f"status: {decision.status}")
    print(f"reporting duty: {decision.conclusions.get('reporting.duty')}")
    for ob in decision.obligations:
        due = ob.due.isoformat() if ob.due else "—"
        print(f"  {ob.actor} must {ob.action} to {ob.party} by {due} ({ob.deadline})")
    for m in decision.missing:
        print(f"  unknown: {m.fact} (decides {', '.join(m.decides)})")
    return decision


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else RULES)
