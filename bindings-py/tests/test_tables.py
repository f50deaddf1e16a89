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


def test_tables_that_cannot_be_read_one_to_one_are_refused(policy: humiao.Policy) -> None:
    """A column name given twice (one column would be dropped without a word, and the answer
    change), rows without columns, and a text where a column goes are errors."""
    frame = pd.DataFrame(columns())
    twice = pd.concat([frame, frame[["minor.sex"]].replace({"female": "male"})], axis=1)
    assert list(twice.columns).count("minor.sex") == 2
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    arrow_twice = arrow.append_column("minor.sex", pa.array(["male"] * len(frame)))
    for table in (twice, arrow_twice):
        for call in (policy.evaluate_table, policy.outcome_table):
            with pytest.raises(humiao.HumiaoError, match="two columns named `minor.sex`"):
                call(table, "2026-03-03")
    for table in (pd.DataFrame(index=[0, 1]), pa.table({"x": [1, 2]}).drop(["x"])):
        for call in (policy.evaluate_table, policy.outcome_table):
            with pytest.raises(humiao.HumiaoError, match="2 rows but no columns"):
                call(table, "2026-03-03")
    with pytest.raises(TypeError, match="column `minor.sex` must be a sequence"):
        policy.evaluate_columns({"minor.sex": "female"}, "2026-03-03")
    with pytest.raises(TypeError, match="must be a sequence"):
        policy.outcome_columns({"minor.sex": b"female"}, "2026-03-03")
    # Empty tables are fine: no rows, no results.
    assert len(policy.evaluate_table(pd.DataFrame(), "2026-03-03")) == 0


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
    # The decisions' JSON arrives as UTF-8 buffers: a plain string column, in its place.
    assert result.schema.field("decision").type == pa.string()
    assert result.column_names[-2:] == ["fired", "decision"]
    cols["minor.sex"] = ["female", "girl", "male"]
    failed = policy.evaluate_table(pa.table(cols), "2026-03-03", on_error="return")
    assert failed.column_names[-3:] == ["fired", "decision", "error"]
    assert failed.column("decision").null_count == 1
    got = failed.column("decision").to_pylist()
    assert got[1] is None and got[0] == expected(policy)[0] and got[2] == expected(policy)[2]


def test_pyarrow_evaluate_table_is_the_table_of_its_lists(policy: humiao.Policy) -> None:
    """evaluate_table of a pyarrow table writes its columns as Arrow buffers from the decisions:
    the same table, type for type and value for value, as pa.table() of the Python lists the
    decisions give (_decision_columns): with and without case ids, failed rows (returned, and
    every row failed), explained, no rows, the workload's rows on one and two threads."""
    from humiao._humiao import _decision_columns

    def old(p: humiao.Policy, table: Any, as_of: str, **options: Any) -> Any:
        decisions = p.evaluate_columns(table.to_pydict(), as_of, **options)
        out = _decision_columns(decisions, options.get("on_error") == "return", options.get("threads"))
        # The JSON was always a text column, also with no decision in it.
        out["decision"] = pa.array(out["decision"], type=pa.string())
        return pa.table(out)

    cols = columns()
    no_ids = {k: v for k, v in cols.items() if k != "case.id"}
    broken = dict(cols)
    broken["minor.sex"] = ["female", "girl", "male"]
    all_broken = dict(cols)
    all_broken["minor.sex"] = ["girl", "boy", "x"]
    cases = [
        (policy, pa.table(cols), {}),
        (policy, pa.table(no_ids), {}),
        (policy, pa.table(cols), {"explain": True}),
        (policy, pa.table(broken), {"on_error": "return"}),
        (policy, pa.table(all_broken), {"on_error": "return"}),
        (policy, pa.table(cols).slice(0, 0), {}),
    ]
    workload = workload_policy()
    rows = pa.table(workload_rows(150, seed=17))
    cases += [(workload, rows, {"threads": 1}), (workload, rows, {"threads": 2})]
    for i, (p, table, options) in enumerate(cases):
        got = p.evaluate_table(table, "2026-03-03", **options)
        want = old(p, table, "2026-03-03", **options)
        assert got.schema == want.schema, (i, got.schema, want.schema)
        assert got.equals(want), i
    with pytest.raises(humiao.FactsError):
        policy.evaluate_table(pa.table(broken), "2026-03-03")
    # A conclusion named like the error column is still a conclusion's column.
    named = humiao.Policy.from_sources({
        "t.humiao": 'policy t "t"\nfacts { discovered_at: DateTime\n flag: Bool? }\n'
                    'conclusion error: Bool "e"\n'
                    'rule r "r" cite "A" when flag then conclude error = true\n',
    })
    flags = pa.table({"discovered_at": ["2026-03-01T10:00:00+08:00"] * 3, "flag": [True, False, None]})
    got = named.evaluate_table(flags, "2026-03-01")
    assert got.column("error").type == pa.bool_()
    assert got.column("error").to_pylist() == [True, None, None]


def test_pyarrow_outcome_table_is_built_from_buffers(policy: humiao.Policy) -> None:
    """outcome_table of a pyarrow table builds its columns from Arrow buffers written by the
    engine (truth values as bits, enum values and set members as UTF-8 texts): the same values
    as outcome_columns gives as lists, nulls where a row failed or a conclusion has no value,
    in the types pyarrow gives those lists."""
    cols = columns()
    cols["minor.age"] = [None, 10, None]
    cols["minor.sex"] = ["female", "girl", "male"]
    table = pa.table(cols)
    keys = list(policy.conclusion_keys)  # every conclusion, whatever its type
    got = policy.outcome_table(table, "2026-03-03", keys, on_error="return")
    want = policy.outcome_columns(cols, "2026-03-03", keys, on_error="return")
    want["error"] = [None if e is None else str(e) for e in want["error"]]
    assert got.to_pydict() == want
    assert got.column("settled").to_pylist()[1] is None
    assert got.schema.field("settled").type == pa.bool_()
    assert got.schema.field("reporting.duty").type == pa.string()
    assert got.schema.field("reporting.situations").type == pa.list_(pa.string())
    # Each column has its conclusion's type whatever its rows hold (pa.table of the lists would
    # guess `null` for a column null in every row, `list<null>` for sets empty in every row).
    one = policy.outcome_table(table.slice(0, 1), "2026-03-03", keys)
    assert one.schema == got.schema.remove(got.schema.get_field_index("error"))
    assert one.schema.field("hotel.violations").type == pa.list_(pa.string())
    assert got.column("reporting.duty").null_count >= 1
    with pytest.raises(humiao.FactsError):
        policy.outcome_table(table, "2026-03-03", keys)


def test_outcome_table_blocks_laid_end_to_end(policy: humiao.Policy) -> None:
    """Each block of 64 rows writes its part of the Arrow columns on a worker thread and the
    parts are laid end to end: over several blocks, a last one cut short, failed rows inside
    and at the edges of blocks, one or two threads, the table is the lists of
    outcome_columns; a table of no rows keeps the schema."""
    import sys

    from support import REPO

    sys.path.insert(0, str(REPO / "bindings-py" / "examples"))
    import synthetic

    rows = [_flatten(c) for c in synthetic.cases(200, seed=5)]
    rows = [{p: v for p, v in r.items() if not isinstance(v, (list, dict))} for r in rows]
    for bad in (0, 63, 64, 130, 199):
        rows[bad]["minor.sex"] = "girl"
    paths = sorted({p for r in rows for p in r})
    cols = {p: [r.get(p) for r in rows] for p in paths}
    table = pa.table(cols)
    keys = list(policy.conclusion_keys)
    want = policy.outcome_columns(cols, "2026-03-03", keys, on_error="return")
    want["error"] = [None if e is None else str(e) for e in want["error"]]
    for threads in (1, 2):
        got = policy.outcome_table(table, "2026-03-03", keys, threads=threads, on_error="return")
        assert got.to_pydict() == want, threads
    assert [i for i, e in enumerate(want["error"]) if e] == [0, 63, 64, 130, 199]
    # Without failed rows no truth value is missing: no validity bitmap.
    clean = table.filter(pa.array([e is None for e in want["error"]]))
    settled = policy.outcome_table(clean, "2026-03-03", keys).column("settled")
    assert settled.null_count == 0 and len(settled) == 195
    none = policy.outcome_table(table.slice(0, 0), "2026-03-03", keys)
    assert none.num_rows == 0
    assert none.schema == got.schema.remove(got.schema.get_field_index("error"))


def workload_rows(n: int, seed: int) -> Dict[str, List[Any]]:
    """Cases like bench/src/workload.rs makes them, as columns: every fact the workload's rules
    read is given (the hotel section in about one case in seven), so whole blocks of 64 rows are
    decided together."""
    import random
    import sys

    from support import REPO

    sys.path.insert(0, str(REPO / "bindings-py" / "examples"))
    from synthetic import INDICATORS, ORG_TYPES

    rng = random.Random(seed)
    hotel = ["checking_in", "minor_alone", "several_minors_together", "opposite_sex_minors_together",
             "reasonable_explanation", "with_adult", "relationship_plausible", "minor_impaired", "other_suspicious",
             "identity_verified", "guardian_contact_recorded", "relationship_recorded"]
    rows = []
    for _ in range(n):
        age = rng.randrange(0, 20)
        r: Dict[str, Any] = {
            "discovered_at": f"2026-0{1 + rng.randrange(2)}-{1 + rng.randrange(28):02d}T{rng.randrange(24):02d}:00:00+08:00",
            "reporter.org_type": rng.choice(ORG_TYPES),
            "reporter.in_course_of_work": rng.random() < 0.7,
            "minor.age": age,
            "minor.sex": rng.choice(["female", "male"]),
            "minor.self_supporting": (rng.random() < 0.3) if age >= 16 else None,
            "case.departments_involved": rng.randrange(0, 4),
            "case.prior_reports_12m": rng.randrange(0, 6),
        }
        for k in ["media_attention", "serious_injury", "revocation_proposed",
                  "returning_from_temporary_guardianship", "emergency"]:
            r[f"case.{k}"] = rng.random() < 0.1
        harm = rng.random() < 0.3
        for k in INDICATORS:
            r[f"indicators.{k}"] = harm and rng.random() < 0.15
        given = rng.random() < 0.15
        for k in hotel:
            r[f"hotel.{k}"] = (k == "checking_in" or rng.random() < 0.4) if given else None
        rows.append(r)
    return {p: [r[p] for r in rows] for p in rows[0]}


WORKLOAD_KEYS = ["reporting.situations", "reporting.duty", "hotel.suspicious", "hotel.violations",
                 "consultation.triggers", "consultation.required", "consultation.emergency"]


def workload_policy() -> humiao.Policy:
    """The bundled files the workload's rules are in (as the bench loads them)."""
    from support import RULES

    files = ["common.humiao", "calendar.humiao", "reporting.humiao", "hotel.humiao",
             "consultation.humiao", "guardianship.humiao"]
    sources = {f: (RULES / f).read_text(encoding="utf-8") for f in files}
    sources["humiao.toml"] = 'name = "workload"\nversion = "1"\nfiles = [%s]\n' % ", ".join(
        json.dumps(f) for f in files)
    return humiao.Policy.from_sources(sources)


def test_outcome_table_of_blocks_decided_together(policy: humiao.Policy) -> None:
    """Blocks of rows the engine decides 64 at a time have their Arrow columns written straight
    from its masks (no value per row): the workload's cases, with the workload's truth-value,
    enum and set conclusions, read as outcome_columns gives them, row by row, on one and two
    threads, a last block cut short; a block with a failed row among them is written the
    other way and agrees too."""
    workload = workload_policy()
    keys = WORKLOAD_KEYS
    cols = workload_rows(300, seed=7)
    want = workload.outcome_columns(cols, "2026-11-29", keys)
    # The rows hold every kind of answer the columns can: each column is not one value.
    for k in keys:
        assert len({json.dumps(v) for v in want[k]}) > 1, k
    assert any(want["hotel.suspicious"]) and None in want["hotel.suspicious"]
    for threads in (1, 2):
        got = workload.outcome_table(pa.table(cols), "2026-11-29", keys, threads=threads)
        assert got.to_pydict() == want, threads
        assert got.schema.field("hotel.suspicious").type == pa.bool_()
        assert got.schema.field("reporting.situations").type == pa.list_(pa.string())
    # A block with a failed row, and one with rows the engine evaluates on their own (a hotel
    # stay with an adult, the relationship not known: the suspicion is not decided in lanes).
    cols["minor.sex"][70] = "girl"
    with_hotel = [i for i in range(192, 300) if cols["hotel.checking_in"][i]]
    for i in with_hotel:
        cols["hotel.with_adult"][i] = True
        cols["hotel.relationship_plausible"][i] = None
    want = workload.outcome_columns(cols, "2026-11-29", keys, on_error="return")
    want["error"] = [None if e is None else str(e) for e in want["error"]]
    got = workload.outcome_table(pa.table(cols), "2026-11-29", keys, on_error="return")
    assert got.to_pydict() == want


def test_pandas_outcome_table_is_the_frame_of_its_lists(policy: humiao.Policy) -> None:
    """outcome_table of a DataFrame builds its truth-value and text columns from Arrow arrays
    the engine writes: the frame has the values and dtypes pandas gives the lists of
    outcome_columns (sets as lists, a column missing in every row as None), the input's
    index, with and without failed rows."""
    cols = columns()
    cols["minor.age"] = [None, 10, None]
    keys = list(policy.conclusion_keys)
    for sex in (["female", "female", "male"], ["female", "girl", "male"]):
        cols["minor.sex"] = sex
        frame = pd.DataFrame(cols, index=["a", "b", "c"])
        for on_error in ("return",) + (("raise",) if "girl" not in sex else ()):
            got = policy.outcome_table(frame, "2026-03-03", keys, on_error=on_error)
            lists = policy.outcome_columns(cols, "2026-03-03", keys, on_error=on_error)
            if "error" in lists:
                lists["error"] = [None if e is None else str(e) for e in lists["error"]]
            want = pd.DataFrame(lists, index=frame.index)
            assert list(got.index) == ["a", "b", "c"]
            assert got.dtypes.to_dict() == want.dtypes.to_dict(), (sex, on_error)
            for c in want.columns:
                assert repr(list(got[c])) == repr(list(want[c])), (c, sex, on_error)


def test_truth_bits_tell_cells_by_identity() -> None:
    """_truth_bits reads an object column's cells by identity: True and NumPy's True_ are true,
    False and False_ false, None and pandas.NA missing, in Arrow's bitmaps at every length and
    position; any other object (NaN, 1, 1.0, a text, a bool subclass's value) or a column with
    no truth value gives None."""
    import random

    import numpy as np

    from humiao._humiao import _truth_bits

    ids = ([id(True), id(np.True_)], [id(False), id(np.False_)], [id(None), id(pd.NA)])

    def words(cells: List[Any]) -> bytes:
        return np.frombuffer(np.array(cells + [None], dtype=object)[:-1].copy(), dtype=np.uintp).tobytes()

    rng = random.Random(3)
    kinds = [True, False, None, np.True_, np.False_, pd.NA]
    for n in [1, 7, 8, 9, 63, 64, 65, 130]:
        cells = [rng.choice(kinds) for _ in range(n)]
        cells[rng.randrange(n)] = rng.choice([True, False])
        got = _truth_bits(words(cells), *ids)
        assert got is not None
        values, valid = got
        assert len(values) == len(valid) == (n + 7) // 8
        for i, c in enumerate(cells):
            bit = lambda b: b[i // 8] >> (i % 8) & 1
            assert bit(valid) == (c is not None and c is not pd.NA), (n, i)
            assert bit(values) == (c is True or c is np.True_), (n, i)
        # One other object anywhere makes the column another kind.
        for other in [float("nan"), 1, 1.0, "true", np.int64(1)]:
            spoiled = list(cells)
            spoiled[rng.randrange(n)] = other
            assert _truth_bits(words(spoiled), *ids) is None, (n, other)
    assert _truth_bits(words([None, pd.NA, None]), *ids) is None
    assert _truth_bits(b"", *ids) is None
    assert _truth_bits(b"1234567", *ids) is None


def test_pandas_truth_columns_of_every_kind() -> None:
    """A DataFrame's truth-value columns read alike whatever pandas keeps them as: NumPy bools,
    object columns with None gaps (read by identity), with pandas.NA or NumPy's bools, with
    NaN gaps (read by pyarrow), pandas' nullable ``boolean``; outcome_table gives
    outcome_columns' answers over the workload's rules, one and two threads, sets as lists and
    as Arrow lists."""
    import numpy as np

    workload = workload_policy()
    keys = WORKLOAD_KEYS
    cols = workload_rows(200, seed=11)
    want = workload.outcome_columns(cols, "2026-11-29", keys)
    hotel = [k for k in cols if k.startswith("hotel.")]
    frames = {
        "objects with None": pd.DataFrame(cols),
        "objects with NA and numpy bools": pd.DataFrame(
            {k: pd.Series([pd.NA if v is None else np.bool_(v) if i % 3 else v for i, v in enumerate(c)], dtype=object)
             if k in hotel else c for k, c in cols.items()}),
        "objects with NaN": pd.DataFrame(
            {k: pd.Series([float("nan") if v is None else v for v in c], dtype=object) if k in hotel else c
             for k, c in cols.items()}),
        "nullable booleans": pd.DataFrame(
            {k: pd.array(c, dtype="boolean") if k in hotel or k == "minor.self_supporting" else c
             for k, c in cols.items()}),
    }
    assert frames["objects with None"]["hotel.minor_alone"].dtype == object
    assert frames["objects with None"]["indicators.beating"].dtype == bool
    assert str(frames["nullable booleans"]["hotel.minor_alone"].dtype) == "boolean"
    for what, frame in frames.items():
        for threads in (1, 2):
            got = workload.outcome_table(frame, "2026-11-29", keys, threads=threads)
            for k in keys:
                assert repr(list(got[k])) == repr(want[k]), (what, threads, k)
            arrow = workload.outcome_table(frame, "2026-11-29", keys, threads=threads, sets="arrow")
            for k in keys:
                if k in ("reporting.situations", "hotel.violations", "consultation.triggers"):
                    assert str(arrow[k].dtype) == "list<item: string>[pyarrow]", k
                    assert [None if v is pd.NA else v for v in arrow[k]] == want[k], (what, threads, k)
                else:
                    assert repr(list(arrow[k])) == repr(want[k]), (what, threads, k)


def test_truth_bytes_past_one_are_missing(policy: humiao.Policy) -> None:
    """An encoded ``"bool"`` column's bytes: 0 false, 1 true, any other byte missing, read eight
    at a time into the engine's rows; across block edges the same as the values themselves."""
    import random

    from humiao._humiao import _encoded_column

    rng = random.Random(5)
    n = 150
    cols = workload_rows(n, seed=13)
    workload = workload_policy()
    for k in ["indicators.beating", "reporter.in_course_of_work", "hotel.minor_alone"]:
        raw = [rng.choice([0, 1, 1, 2, 7, 255]) if rng.random() < 0.5 else int(bool(v)) for v in cols[k]]
        plain = dict(cols)
        plain[k] = [None if b > 1 else bool(b) for b in raw]
        encoded = dict(cols)
        encoded[k] = _encoded_column("bool", bytes(raw))
        assert workload.outcome_columns(encoded, "2026-11-29", WORKLOAD_KEYS) == workload.outcome_columns(
            plain, "2026-11-29", WORKLOAD_KEYS), k


def test_outcome_table_sets_option(policy: humiao.Policy) -> None:
    cols = columns()
    frame = pd.DataFrame(cols)
    with pytest.raises(ValueError, match="lists"):
        policy.outcome_table(frame, "2026-03-03", sets="tuples")
    with pytest.raises(ValueError, match="pandas"):
        policy.outcome_table(pa.table(cols), "2026-03-03", sets="lists")
    with pytest.raises(ValueError, match="pandas"):
        policy.outcome_table(cols, "2026-03-03", sets="arrow")
    lists = policy.outcome_table(frame, "2026-03-03", ["reporting.situations"], sets="lists")
    assert lists["reporting.situations"].dtype == object
    assert policy.outcome_table(pa.table(cols), "2026-03-03", ["reporting.situations"], sets="arrow").equals(
        policy.outcome_table(pa.table(cols), "2026-03-03", ["reporting.situations"]))


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


def _flatten(facts: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """`{"minor": {"sex": "f"}}` → `{"minor.sex": "f"}`; lists (``parents``) stay values."""
    out: Dict[str, Any] = {}
    for k, v in facts.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        elif not isinstance(v, dict):
            out[f"{prefix}{k}"] = v
    return out


def _nest(row: Dict[str, Any]) -> Dict[str, Any]:
    """The case a table's row stands for: present cells put at their paths, absent ones left out."""
    out: Dict[str, Any] = {}
    for path, v in row.items():
        if v is None:
            continue
        at = out
        *parents, last = path.split(".")
        for p in parents:
            at = at.setdefault(p, {})
        at[last] = v
    return out


def _outcome(policy: humiao.Policy, facts: Dict[str, Any], as_of: str) -> str:
    try:
        return policy.evaluate(facts, as_of, explain=True).to_json()
    except humiao.HumiaoError as e:
        return f"{type(e).__name__}: {e}"


def _shown(g: Any, i: int) -> str:
    """A result as `_outcome` shows it; a failure's message without the row number a batch adds."""
    if isinstance(g, humiao.Decision):
        return g.to_json()
    return f"{type(g).__name__}: {g}".replace(f"case {i}: ", "", 1).replace(f"第 {i} 件：", "", 1)


def test_table_rows_read_as_their_cases(policy: humiao.Policy) -> None:
    """Every row of a table gives what evaluating the case it stands for gives: decisions,
    errors and their messages, whichever way the engine reads the row (as JSON text straight into
    the facts, or the old way for rows with a problem and for overlapping columns)."""
    import random
    import sys

    from support import CONFORMANCE, REPO

    sys.path.insert(0, str(REPO / "bindings-py" / "examples"))
    import synthetic

    cases: List[Dict[str, Any]] = [json.loads(p.read_text(encoding="utf-8"))["facts"] for p in sorted(CONFORMANCE.glob("*.json"))]
    cases += list(synthetic.cases(300, seed=7))
    rng = random.Random(11)
    # Rows with problems the reader reports: a wrong enum value, a number as text, an unknown
    # fact, a fact of the wrong shape, a key JSON must escape.
    for i, broken in enumerate(
        [
            {"minor.sex": "girl"},
            {"minor.age": "nine"},
            {"minor.shoe_size": 31},
            {"reporter.in_course_of_work": "yes"},
            {'minor."quoted"\\name': 1},
        ]
    ):
        c = _flatten(rng.choice(cases))
        c.update(broken)
        cases.append(_nest(c))
    rows = [_flatten(c) for c in cases]
    paths = sorted({p for r in rows for p in r})
    cols = {p: [r.get(p) for r in rows] for p in paths}
    as_of = "2026-03-03"
    want = [_outcome(policy, _nest(r), as_of) for r in rows]
    assert any(w.startswith("FactsError") for w in want) and any(w.startswith("{") for w in want)
    for threads in (1, 2):
        got = policy.evaluate_columns(cols, as_of, threads=threads, explain=True, on_error="return")
        assert [_shown(g, i) for i, g in enumerate(got)] == want
        outcomes = policy.outcome_columns(cols, as_of, ["reporting.duty", "reporting.situations"], threads=threads, on_error="return")
        for i, w in enumerate(want):
            if w.startswith("{"):
                d = json.loads(w)
                assert outcomes["reporting.duty"][i] == d["conclusions"].get("reporting.duty"), i
                assert outcomes["error"][i] is None
            else:
                assert _shown(outcomes["error"][i], i) == w, i

    # A section column beside field columns of the same section: the rows are merged as before.
    merged = {"minor": [{"sex": "female"}, {"sex": "male"}], "minor.age": [9, 12], **{p: cols[p][:2] for p in paths if not p.startswith("minor.")}}
    got2 = policy.evaluate_columns(merged, as_of, explain=True, on_error="return")
    for i, g in enumerate(got2):
        row = {p: merged[p][i] for p in merged if p != "minor"}
        facts = _nest(row)
        facts.setdefault("minor", {}).update(merged["minor"][i])
        assert _shown(g, i) == _outcome(policy, facts, as_of)


def test_floats_read_as_the_float_everywhere(sample: humiao.Policy) -> None:
    """A Python float in a Decimal fact is read with its own digits (its shortest text) by
    `evaluate` and every batch entry point; the explanation shows the value read. Floats of 16-17
    significant digits were read one unit off in the last place before the workspace built
    serde_json with `float_roundtrip`."""
    incomes = [9018444419271.025, 33714475990.651894, 100409689225.60979, 1500.75, 0.1, 4503599627370.497, 0.0025]
    cases = [
        {
            "discovered_at": "2026-03-02T09:00:00+08:00",
            "child": {"age": 10, "sex": "female", "weight_kg": w},
            "family": {"parents": [], "income": w},
        }
        for w in incomes
    ]
    want = [sample.evaluate(c, "2026-03-03", explain=True).to_json() for c in cases]
    for w, j in zip(incomes, want):
        assert f'"fact":"family.income","value":{w!r}' in j, (w, j[:200])
    got = sample.evaluate_many(cases, "2026-03-03", explain=True, threads=2)
    assert [d.to_json() for d in got] == want
    cols = {
        "discovered_at": [c["discovered_at"] for c in cases],
        "child.age": [10] * len(cases),
        "child.sex": ["female"] * len(cases),
        "child.weight_kg": incomes,
        "family.parents": [[] for _ in cases],
        "family.income": incomes,
    }
    assert [d.to_json() for d in sample.evaluate_columns(cols, "2026-03-03", explain=True)] == want
    poor = sample.evaluate_outcomes(cases, "2026-03-03", ["sample.poor"])["sample.poor"]
    assert poor == [json.loads(w)["conclusions"].get("sample.poor") for w in want]


def _tables(cols: Dict[str, List[Any]]) -> List[Any]:
    """The same columns as the tables pandas and pyarrow make of them, in the dtypes they take
    in practice: inferred (object columns of truth values with gaps, floats for integers with
    gaps, strings), nullable and categorical pandas columns, pyarrow columns with nulls and
    dictionary-encoded ones."""
    inferred = pd.DataFrame(cols)
    nullable = inferred.copy()
    for name in nullable.columns:
        s = nullable[name]
        if name.startswith("indicators."):
            nullable[name] = s.astype("boolean")
        elif name == "minor.age":
            nullable[name] = s.astype("Int64")
        elif name in ("reporter.org_type", "minor.sex"):
            nullable[name] = s.astype("category")
    arrow = pa.table(cols)
    encoded = arrow.set_column(
        arrow.column_names.index("reporter.org_type"),
        "reporter.org_type",
        arrow.column("reporter.org_type").dictionary_encode(),
    )
    # Arrays that start inside their buffers (a slice of a record batch), in several chunks,
    # and large_string.
    sliced = pa.concat_tables([arrow.slice(0, 1), arrow]).combine_chunks().to_batches()[0].slice(1)
    assert sliced.column(0).offset == 1
    chunked = pa.concat_tables([arrow.slice(0, 7), arrow.slice(7)])
    large = arrow.cast(pa.schema([pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f for f in arrow.schema]))
    return [inferred, nullable, arrow, encoded, pa.Table.from_pandas(nullable, preserve_index=False), sliced, chunked, large]


def test_tables_read_column_by_column_as_their_cases(policy: humiao.Policy) -> None:
    """pandas and pyarrow tables are handed to the engine column by column (each column as its
    values' bytes or as codes into its distinct values, humiao._table) and their rows read
    straight into the facts: every row gives what evaluating the case it stands for gives,
    rows with problems included, whatever dtypes the columns have."""
    import sys

    from support import CONFORMANCE, REPO

    sys.path.insert(0, str(REPO / "bindings-py" / "examples"))
    import synthetic

    from humiao._table import _encoded_columns

    cases: List[Dict[str, Any]] = [json.loads(p.read_text(encoding="utf-8"))["facts"] for p in sorted(CONFORMANCE.glob("*.json"))]
    cases += list(synthetic.cases(300, seed=11))
    rows = [_flatten(c) for c in cases]
    # Only single facts (no section or list columns), so every column can be encoded.
    rows = [{p: v for p, v in r.items() if not isinstance(v, (list, dict))} for r in rows]
    rows[3]["minor.sex"] = "girl"  # an enum value the schema does not have
    rows[5]["discovered_at"] = "2026-03-01T10:00"  # no offset: read as +08:00, with a note
    paths = sorted({p for r in rows for p in r})
    cols = {p: [r.get(p) for r in rows] for p in paths}
    as_of = "2026-03-03"
    want = [_outcome(policy, _nest(r), as_of) for r in rows]
    assert want[3].startswith("FactsError") and "had no offset" in want[5]
    for table in _tables(cols):
        encoded = _encoded_columns(table)
        assert all(type(c).__name__ == "_EncodedColumn" for c in encoded.values()), table
        result = policy.evaluate_table(table, as_of, explain=True, on_error="return", threads=2)
        if isinstance(result, pa.Table):
            result = result.to_pandas()
        for i, w in enumerate(want):
            if w.startswith("{"):
                assert result["decision"].iloc[i] == w, (type(table), i)
            else:
                shown = str(result["error"].iloc[i]).replace(f"case {i}: ", "", 1).replace(f"第 {i} 件：", "", 1)
                assert w.endswith(shown), (type(table), i, w, shown)
        out = policy.outcome_table(table, as_of, ["reporting.duty", "reporting.situations"], on_error="return")
        duty = out["reporting.duty"].to_pylist() if isinstance(out, pa.Table) else list(out["reporting.duty"])
        # pandas shows a missing text as NaN.
        duty = [None if isinstance(x, float) and math.isnan(x) else x for x in duty]
        situations = out["reporting.situations"].to_pylist() if isinstance(out, pa.Table) else list(out["reporting.situations"])
        for i, w in enumerate(want):
            if w.startswith("{"):
                assert duty[i] == json.loads(w)["conclusions"].get("reporting.duty"), (type(table), i)
                d = json.loads(w)
                # Where the set is still open, the decision lists the members known so far and
                # the outcome has none.
                open_set = "reporting.situations" in d.get("undecided", [])
                assert situations[i] == (None if open_set else d["conclusions"].get("reporting.situations")), (type(table), i, d.get("undecided"))


def test_columns_of_mixed_values_keep_their_values(policy: humiao.Policy) -> None:
    """An object column whose equal values differ in kind (True beside 1) is not read through its
    distinct values, which would merge them: it goes value by value, and the 1 in a truth-valued
    fact is the error it always was."""
    from humiao._table import _encoded_columns

    df = pd.DataFrame(columns())
    df["reporter.in_course_of_work"] = pd.Series([True, 1, False], dtype=object)
    assert isinstance(_encoded_columns(df)["reporter.in_course_of_work"], list)
    result = policy.evaluate_table(df, "2026-03-03", on_error="return")
    assert result["error"].iloc[1] is not None and "in_course_of_work" in str(result["error"].iloc[1])
    assert list(result["decision"])[::2] == expected(policy)[::2]


def test_text_buffers_that_do_not_hold_together_are_refused() -> None:
    """A text column handed over as Arrow buffers is checked before it is read: offsets past the
    data, going backwards or short, and a short validity bitmap are errors, not reads out of
    bounds."""
    import struct

    from humiao._humiao import _encoded_column

    def offsets(*xs: int) -> bytes:
        return struct.pack(f"<{len(xs)}i", *xs)

    ok = _encoded_column("text32", b"abcd", offsets=offsets(0, 1, 4), length=2)
    assert type(ok).__name__ == "_EncodedColumn"
    for data, offs, valid, length in [
        (b"abc", offsets(0, 9), None, 1),  # past the data
        (b"abcd", offsets(0, 3, 1), None, 2),  # backwards
        (b"abcd", offsets(0), None, 1),  # short
        (b"a" * 12, offsets(*range(13)), b"\xff", 12),  # bitmap short
    ]:
        with pytest.raises(ValueError):
            _encoded_column("text32", data, offsets=offs, valid=valid, length=length)
    # Offsets and lengths past any buffer, or past the machine's numbers: errors, not panics
    # nor allocations of that size.
    huge = 2**64 - 1
    for kind, args in [
        ("text32", dict(offsets=offsets(0, 1), offset=huge, length=2)),
        ("text32", dict(offsets=offsets(0, 1), length=2**62)),
        ("text64", dict(offsets=offsets(0, 1), length=huge)),
        ("bits", dict(offset=huge, length=2)),
        ("bits", dict(length=2**62)),
    ]:
        with pytest.raises(ValueError):
            _encoded_column(kind, b"\x01", **args)
