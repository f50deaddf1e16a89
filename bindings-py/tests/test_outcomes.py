"""Evaluate only: `evaluate_outcomes`, `outcome_columns` and `outcome_table` give the
conclusions of many cases, the values the decisions' `conclusions` give, without the decisions."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Dict, List

import pytest

import humiao

from support import CONFORMANCE
from test_tables import ROWS, columns

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")


def corpus() -> Dict[str, List[Dict[str, Any]]]:
    """The conformance cases without params whose facts load, by as_of."""
    out: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for path in sorted(CONFORMANCE.glob("*.json")):
        c = json.loads(path.read_text(encoding="utf-8"))
        if c.get("params") or not isinstance(c.get("facts"), dict):
            continue
        out[c["as_of"]].append(c["facts"])
    return out


def test_the_conclusions_of_every_corpus_case_are_its_decisions(policy: humiao.Policy) -> None:
    keys = policy.conclusion_keys
    checked = 0
    unsettled = 0
    for as_of, cases in corpus().items():
        results = policy.evaluate_many(cases, as_of, on_error="return")
        good = [c for c, r in zip(cases, results) if isinstance(r, humiao.Decision)]
        decisions = [r for r in results if isinstance(r, humiao.Decision)]
        out = policy.evaluate_outcomes(good, as_of)
        assert list(out) == ["settled", *keys]
        for i, d in enumerate(decisions):
            if not d.undecided and not d.conflicts:
                assert out["settled"][i] is True
            for k in keys:
                if out["settled"][i] or out[k][i] is not None:
                    assert out[k][i] == d.conclusions.get(k), (as_of, i, k)
                else:
                    # Undecided: no value (the decision may list a set's members known so far).
                    unsettled += 1
            checked += 1
        # JSON text gives the same, on one thread as on several.
        texts = [json.dumps(c) for c in good]
        assert policy.evaluate_outcomes(texts, as_of, threads=1) == out
    assert checked > 100
    assert unsettled > 0  # the corpus has cases with missing facts, whose conclusions wait


def test_keys_choose_and_order_the_columns(policy: humiao.Policy) -> None:
    out = policy.evaluate_outcomes(ROWS, "2026-03-03", ["reporting.duty", "reporting.situations"])
    assert list(out) == ["settled", "reporting.duty", "reporting.situations"]
    decisions = policy.evaluate_many(ROWS, "2026-03-03")
    assert out["reporting.duty"] == [d.conclusions["reporting.duty"] for d in decisions]
    assert out["reporting.situations"] == [d.conclusions["reporting.situations"] for d in decisions]
    assert policy.evaluate_outcomes(ROWS, "2026-03-03", []) == {"settled": out["settled"]}
    with pytest.raises(humiao.HumiaoError, match="no conclusion `reporting.dutty`"):
        policy.evaluate_outcomes(ROWS, "2026-03-03", ["reporting.dutty"])


def test_columns_and_tables_give_what_dicts_give(policy: humiao.Policy) -> None:
    want = policy.evaluate_outcomes(ROWS, "2026-03-03")
    assert policy.outcome_columns(columns(), "2026-03-03", threads=2) == want
    frame = pd.DataFrame(columns(), index=[10, 20, 30])
    got = policy.outcome_table(frame, "2026-03-03", ["reporting.duty", "hotel.suspicious"])
    assert isinstance(got, pd.DataFrame)
    assert list(got.index) == [10, 20, 30]
    assert list(got["reporting.duty"]) == want["reporting.duty"]
    assert list(got["settled"]) == want["settled"]
    table = pa.table(columns())
    got_arrow = policy.outcome_table(table, "2026-03-03", ["reporting.duty", "reporting.situations"])
    assert isinstance(got_arrow, pa.Table)
    assert got_arrow.column("reporting.situations").to_pylist() == want["reporting.situations"]
    assert got_arrow.column_names == ["settled", "reporting.duty", "reporting.situations"]


def test_failures_raise_or_take_their_place(policy: humiao.Policy) -> None:
    cases: List[Any] = [ROWS[0], {"minor": {"sex": "girl"}}, "{not json", ROWS[1]]
    with pytest.raises(humiao.FactsError) as info:
        policy.evaluate_outcomes(cases, "2026-03-03")
    assert info.value.index == 1
    out = policy.evaluate_outcomes(cases, "2026-03-03", ["reporting.duty"], on_error="return")
    assert [type(e).__name__ for e in out["error"]] == ["NoneType", "FactsError", "FactsError", "NoneType"]
    assert out["reporting.duty"][1:3] == [None, None] and out["settled"][1:3] == [None, None]
    assert out["reporting.duty"][0] == "mandatory"
    cols = columns()
    cols["minor.sex"] = ["female", "girl", "male"]
    frame = policy.outcome_table(pd.DataFrame(cols), "2026-03-03", ["reporting.duty"], on_error="return")
    assert pd.isna(frame["error"][0]) and "minor.sex" in frame["error"][1]
    assert policy.outcome_table(pa.table(cols), "2026-03-03", [], on_error="return").column("error").to_pylist()[0] is None
    with pytest.raises(humiao.FactsError) as info2:
        policy.outcome_columns(cols, "2026-03-03")
    assert info2.value.index == 1


def test_bad_arguments(policy: humiao.Policy) -> None:
    with pytest.raises(TypeError):
        policy.evaluate_outcomes(ROWS[0], "2026-03-03")
    with pytest.raises(humiao.HumiaoError):
        policy.evaluate_outcomes(ROWS, "2026-03-03", threads=0)
    with pytest.raises(humiao.HumiaoError):
        policy.evaluate_outcomes(ROWS, "2026-3-3")
    with pytest.raises(humiao.HumiaoError):
        policy.evaluate_outcomes(ROWS, "2026-03-03", on_error="ignore")
    with pytest.raises(TypeError):
        policy.outcome_table(42, "2026-03-03")


def test_batches_leave_the_garbage_collector_as_they_found_it(policy: humiao.Policy) -> None:
    """Batches build their results with Python's collector paused (docs/performance.md); it is
    running again afterwards, and stays paused for a caller who had paused it."""
    import gc

    cases: List[Any] = [ROWS[0], {"minor": {"sex": "girl"}}, ROWS[1]]
    assert gc.isenabled()
    policy.evaluate_outcomes(cases, "2026-03-03", on_error="return")
    policy.evaluate_many(cases, "2026-03-03", on_error="return")
    with pytest.raises(humiao.FactsError):
        policy.evaluate_outcomes(cases, "2026-03-03")
    with pytest.raises(humiao.FactsError):
        policy.evaluate_many(cases, "2026-03-03")
    assert gc.isenabled()
    gc.disable()
    try:
        policy.evaluate_outcomes(cases, "2026-03-03", on_error="return")
        policy.evaluate_many(cases, "2026-03-03", on_error="return")
        assert not gc.isenabled()
    finally:
        gc.enable()
