"""Evaluate a pandas DataFrame of cases, one row per case, columns named by fact path.

Missing values (NaN, None, NaT) mean the fact is absent; dates can be real dates. The result is
a DataFrame with the input's index: status, one column per conclusion, obligations, missing
facts and the decision's JSON.

    python examples/pandas_table.py [RULES_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

import humiao

RULES = Path(__file__).resolve().parents[2] / "rules"


def cases_frame() -> Any:
    return pd.DataFrame(
        {
            "case.id": ["A-1", "A-2", "A-3"],
            "discovered_at": pd.to_datetime(
                ["2026-03-01 10:00+08:00", "2026-03-02 09:30+08:00", "2026-03-02 22:15+08:00"]
            ),
            "reporter.org_type": ["school", "hospital", "individual"],
            "reporter.in_course_of_work": [True, True, False],
            "minor.birth_date": pd.to_datetime(["2016-07-12", None, "2012-01-30"]),
            "minor.age": [None, 10, None],
            "minor.sex": ["female", "female", "male"],
            "indicators.sexual_assault": [True, False, False],
            "indicators.pregnancy": [False, True, False],
            "indicators.beating": [False, False, True],
            "indicators.multiple_injuries": [False, False, True],
        }
    ).set_index("case.id", drop=False)


def main(rules: Path = RULES) -> Any:
    policy = humiao.Policy.load(rules)
    result = policy.evaluate_table(cases_frame(), "2026-03-03")
    print(result[["status", "reporting.duty", "obligations"]])
    print(result["status"].value_counts())
    return result


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else RULES)
