"""Tables of cases: columns, pandas DataFrames and pyarrow Tables."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

import humiao

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

CST = timezone(timedelta(hours=8))

ROWS: List[Dict[str, Any]] = [
    {
        "case": {"id": "A-1"},
        "discovered_at": "2026-03-01T10:00:00+08:00",
        "reporter": {"org_type": "school", "in_course_of_work": True},
        "minor": {"birth_date": "2016-07-12", "sex": "female"},
        "indicators": {"sexual_assault": True},
    },
    {
        "case": {"id": "A-2"},
        "discovered_at": "2026-03-02T09:30:00+08:00",
        "reporter": {"org_type": "hospital", "in_course_of_work": True},
        "minor": {"age": 10, "sex": "female"},
        "indicators": {"pregnancy": True},
    },
    {
        "discovered_at": "2026-03-02T22:15:00+08:00",
        "reporter": {"org_type": "individual", "in_course_of_work": False},
        "minor": {"birth_date": "2012-01-30", "sex": "male"},
        "indicators": {"beating": True, "multiple_injuries": True},
    },
]


def columns() -> Dict[str, List[Any]]:
    nan = float("nan")
    return {
        "case.id": ["A-1", "A-2", None],
        "discovered_at": ["2026-03-01T10:00:00+08:00", "2026-03-02T09:30:00+08:00", "2026-03-02T22:15:00+08:00"],
        "reporter.org_type": ["school", "hospital", "individual"],
        "reporter.in_course_of_work": [True, True, False],
        "minor.birth_date": ["2016-07-12", None, "2012-01-30"],
        "minor.age": [nan, 10.0, nan],
        "minor.sex": ["female", "female", "male"],
        "indicators.sexual_assault": [True, None, None],
        "indicators.pregnancy": [None, True, None],
        "indicators.beating": [None, None, True],
        "indicators.multiple_injuries": [None, None, True],
    }


def expected(policy: humiao.Policy) -> List[str]:
    return [policy.evaluate(r, "2026-03-03").to_json() for r in ROWS]


def test_columns_build_the_same_cases_as_dicts(policy: humiao.Policy) -> None:
    got = policy.evaluate_columns(columns(), "2026-03-03", threads=2)
    assert [d.to_json() for d in got] == expected(policy)


def test_columns_must_have_equal_lengths(policy: humiao.Policy) -> None:
    cols = columns()
    cols["minor.sex"] = ["female"]
    with pytest.raises(ValueError):
        policy.evaluate_columns(cols, "2026-03-03")


def test_column_errors_name_the_row(policy: humiao.Policy) -> None:
    cols = columns()
    cols["minor.sex"] = ["female", "girl", "male"]
    with pytest.raises(humiao.FactsError) as info:
        policy.evaluate_columns(cols, "2026-03-03")
    assert info.value.index == 1
    out = policy.evaluate_columns(cols, "2026-03-03", on_error="return")
    assert isinstance(out[1], humiao.FactsError)
    assert isinstance(out[0], humiao.Decision) and isinstance(out[2], humiao.Decision)


def test_pandas_frame_in_frame_out(policy: humiao.Policy) -> None:
    df = pd.DataFrame(columns())
    # What pandas does to real dates and times: Timestamps, NaT, floats with NaN.
    df["discovered_at"] = pd.to_datetime(df["discovered_at"])
    df["minor.birth_date"] = pd.to_datetime(df["minor.birth_date"])
    df.index = pd.Index(["r1", "r2", "r3"])
    result = policy.evaluate_table(df, date(2026, 3, 3))
    assert isinstance(result, pd.DataFrame)
    assert list(result.index) == ["r1", "r2", "r3"]
    assert list(result["decision"]) == expected(policy)
    assert list(result["case_id"])[:2] == ["A-1", "A-2"]
    assert result["reporting.duty"].iloc[0] == "mandatory"
    assert list(result["status"]) == [json.loads(e)["status"] for e in expected(policy)]
    assert "error" not in result.columns
    for ids, e in zip(result["obligations"], expected(policy)):
        assert list(ids) == [o["id"] for o in json.loads(e)["obligations"]]


def test_pyarrow_table_in_table_out(policy: humiao.Policy) -> None:
    cols = columns()
    cols["minor.age"] = [None, 10, None]
    table = pa.table(cols)
    result = policy.evaluate_table(table, "2026-03-03")
    assert isinstance(result, pa.Table)
    assert result.column("decision").to_pylist() == expected(policy)


def test_table_errors_as_a_column(policy: humiao.Policy) -> None:
    df = pd.DataFrame(columns())
    df.loc[1, "minor.sex"] = "girl"
    result = policy.evaluate_table(df, "2026-03-03", on_error="return")
    assert result["error"].isna().tolist() == [True, False, True]
    assert "minor.sex" in result["error"].iloc[1]
    assert result["status"].iloc[1] is None or (isinstance(result["status"].iloc[1], float) and math.isnan(result["status"].iloc[1]))


def test_table_of_the_wrong_type(policy: humiao.Policy) -> None:
    with pytest.raises(TypeError):
        policy.evaluate_table(42, "2026-03-03")


def test_datetime_columns_read_as_the_facts_mean(policy: humiao.Policy) -> None:
    cols = columns()
    cols["discovered_at"] = [datetime(2026, 3, 1, 10, 0, tzinfo=CST), datetime(2026, 3, 2, 9, 30, tzinfo=CST),
                             datetime(2026, 3, 2, 22, 15, tzinfo=CST)]
    cols["minor.birth_date"] = [datetime(2016, 7, 12), None, date(2012, 1, 30)]
    got = policy.evaluate_columns(cols, "2026-03-03")
    assert [d.to_json() for d in got] == expected(policy)
