"""The Python API: loading, evaluating, dates, errors, pickling, batches, params."""

from __future__ import annotations

import json
import pickle
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

import humiao
from humiao import _humiao

from support import RULES, SAMPLE, run_cli

CST = timezone(timedelta(hours=8))


def rules_sources() -> Dict[str, str]:
    out = {}
    for p in RULES.iterdir():
        if p.suffix == ".humiao" or p.name == "humiao.toml" or p.suffix == ".csv":
            out[p.name] = p.read_text(encoding="utf-8")
    return out


# ----------------------------------------------------------------------------- loading


def test_load_and_from_sources_agree(policy: humiao.Policy) -> None:
    other = humiao.Policy.from_sources(rules_sources())
    as_bytes = humiao.Policy.from_sources({k: v.encode() for k, v in rules_sources().items()})
    assert as_bytes.digest == policy.digest
    assert other.digest == policy.digest
    assert other == policy
    assert policy.name == "yuexiu"
    assert policy.digest.startswith("sha256:")
    assert humiao.Policy.load(str(RULES)).digest == policy.digest


def test_params_are_listed_with_provenance(policy: humiao.Policy) -> None:
    params = {p.key: p for p in policy.params}
    late = params["reporting.late_after"]
    assert late.value == "24 hours"
    assert late.unconfirmed
    assert not late.overridden


def test_param_override_changes_digest_and_decision(policy: humiao.Policy, cli: Path, tmp_path: Path) -> None:
    facts = {
        "discovered_at": "2026-03-01T09:00:00+08:00",
        "reported_at": "2026-03-02T15:00:00+08:00",
        "reporter": {"org_type": "hospital", "in_course_of_work": True},
        "minor": {"age": 10, "sex": "female"},
        "indicators": {"pregnancy": True},
    }
    relaxed = humiao.Policy.load(RULES, params={"reporting.late_after": "48 hours"})
    assert relaxed.digest != policy.digest
    assert {p.key: p for p in relaxed.params}["reporting.late_after"].overridden
    assert policy.evaluate(facts, "2026-03-03").conclusions["reporting.late"] is True
    d = relaxed.evaluate(facts, "2026-03-03")
    assert d.conclusions["reporting.late"] is False
    f = tmp_path / "f.json"
    f.write_text(json.dumps(facts))
    proc = run_cli(cli, ["eval", str(RULES), "--facts", str(f), "--as-of", "2026-03-03",
                         "--param", "reporting.late_after=48 hours"])
    assert proc.stdout.decode() == d.to_json() + "\n"


def test_check_and_run_tests(policy: humiao.Policy, sample: humiao.Policy) -> None:
    assert all(d.severity != "error" for d in policy.check())
    report = policy.run_tests()
    assert report.ok and report.passed > 0 and report.failed == 0
    assert all(r.passed for r in report.results)
    # The sample set has plan tests; they run too.
    assert sample.run_tests().ok


def test_module_check_reports_errors_without_raising() -> None:
    diags = humiao.check({"humiao.toml": 'name = "x"\nversion = "1"\n', "a.humiao": "rule oops"})
    assert any(d.severity == "error" for d in diags)
    assert all(d.severity != "error" for d in humiao.check(RULES))


def test_bad_policy_raises_policy_error_with_places() -> None:
    sources = {"humiao.toml": 'name = "x"\nversion = "1"\n', "bad.humiao": "policy p \"t\"\n\nrule r when\n"}
    with pytest.raises(humiao.PolicyError) as info:
        humiao.Policy.from_sources(sources)
    err = info.value
    assert isinstance(err, humiao.HumiaoError) and isinstance(err, ValueError)
    errors = [d for d in err.diagnostics if d.severity == "error"]
    assert errors
    first = errors[0]
    assert first.file == "bad.humiao" and first.line >= 1 and first.column >= 1
    assert first.code and first.message and first.message_zh
    assert "bad.humiao" in str(err)


def test_missing_folder_raises_policy_error(tmp_path: Path) -> None:
    with pytest.raises(humiao.PolicyError) as info:
        humiao.Policy.load(tmp_path / "nowhere")
    assert info.value.diagnostics == []
    assert info.value.message and info.value.message_zh


def test_bad_param_is_a_policy_error() -> None:
    with pytest.raises(humiao.PolicyError):
        humiao.Policy.load(RULES, params={"reporting.late_after": "soon"})
    with pytest.raises(humiao.PolicyError):
        humiao.Policy.load(RULES, params={"no.such_param": 1})


def test_wrong_argument_types() -> None:
    with pytest.raises(TypeError):
        humiao.Policy.from_sources(["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        humiao.Policy.from_sources({"humiao.toml": 42})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        humiao.Policy.load(RULES, params=["x"])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- evaluating


def test_decision_attributes(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    d = policy.evaluate(school_girl, "2026-03-01")
    assert d.case_id == "YX-2026-0301-001"
    assert d.as_of == date(2026, 3, 1)
    assert d.status in ("determined", "undetermined", "conflict")
    assert d.policy == humiao.PolicyRef(policy.name, policy.version, policy.digest)
    assert d.conclusions["reporting.duty"] == "mandatory"
    assert "female_under_14_sexual" in d.conclusions["reporting.situations"]
    report = d.obligations[0]
    assert (report.action, report.actor, report.party) == ("report", "reporter", "public_security")
    assert report.deadline == "immediately"
    assert report.due == datetime(2026, 3, 1, 10, 0, tzinfo=CST)
    assert report.due is not None and report.due.utcoffset() == timedelta(hours=8)
    assert "reporting.duty_mandatory" in d.fired
    assert d.trace is None
    assert all(isinstance(m, humiao.Missing) and m.decides for m in d.missing)
    assert all(isinstance(a, humiao.Assumption) for a in d.assumptions)
    assert isinstance(d.notes, list) and isinstance(d.undecided, list) and d.conflicts == []
    assert d.to_dict() == json.loads(d.to_json())
    assert list(d.to_dict()) == ["policy", "case_id", "as_of", "status", "obligations",
                                 "conclusions", "undecided", "missing", "assumptions",
                                 "notes", "fired", "trace"]
    assert "Decision" in repr(d)


def test_explain_gives_a_trace(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    d = policy.evaluate(school_girl, "2026-03-01", explain=True)
    assert d.trace
    fired = [t for t in d.trace if t.result == "fired"]
    assert any(t.rule == "reporting.female_under_14" for t in fired)
    values = [f.value for t in d.trace for c in t.conditions for f in c.facts if f.fact == "minor.birth_date"]
    assert values and all(v == "<redacted>" for v in values)
    shown = policy.evaluate(school_girl, "2026-03-01", explain=True, reveal_sensitive=True)
    assert shown.trace is not None
    assert any(f.value == "2016-07-12" for t in shown.trace for c in t.conditions for f in c.facts)


@pytest.mark.parametrize(
    "as_of",
    [
        "2026-03-01",
        date(2026, 3, 1),
        datetime(2026, 3, 1, 23, 30),  # naive: its own date
        datetime(2026, 3, 1, 23, 30, tzinfo=CST),
        datetime(2026, 2, 28, 16, 30, tzinfo=timezone.utc),  # 00:30 on 1 March in +08:00
    ],
    ids=["iso", "date", "naive-datetime", "aware-cst", "aware-utc"],
)
def test_as_of_forms(policy: humiao.Policy, school_girl: Dict[str, Any], as_of: Any) -> None:
    d = policy.evaluate(school_girl, as_of)
    assert d.as_of == date(2026, 3, 1)
    assert d.to_json() == policy.evaluate(school_girl, "2026-03-01").to_json()


@pytest.mark.parametrize("bad", [20260301, None, 2026.0, ["2026-03-01"], b"2026-03-01"])
def test_as_of_of_the_wrong_type_is_a_type_error(policy: humiao.Policy, school_girl: Dict[str, Any], bad: Any) -> None:
    with pytest.raises(TypeError):
        policy.evaluate(school_girl, bad)


@pytest.mark.parametrize("bad", ["2026-3-1", "2026-02-30", "yesterday", "2026-03-01T10:00:00"])
def test_malformed_as_of_is_a_humiao_error(policy: humiao.Policy, school_girl: Dict[str, Any], bad: str) -> None:
    with pytest.raises(humiao.HumiaoError) as info:
        policy.evaluate(school_girl, bad)
    assert not isinstance(info.value, humiao.FactsError)
    assert "as_of" in str(info.value)


def test_facts_may_hold_dates_and_json_text(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    base = policy.evaluate(school_girl, "2026-03-01").to_json()
    typed = dict(school_girl)
    typed["discovered_at"] = datetime(2026, 3, 1, 10, 0, tzinfo=CST)
    typed["minor"] = dict(school_girl["minor"], birth_date=date(2016, 7, 12))
    assert policy.evaluate(typed, "2026-03-01").to_json() == base
    assert policy.evaluate(json.dumps(school_girl), "2026-03-01").to_json() == base
    assert policy.evaluate(json.dumps(school_girl).encode(), "2026-03-01").to_json() == base


def test_naive_datetime_fact_is_read_in_cst_with_a_note(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    school_girl["discovered_at"] = datetime(2026, 3, 1, 10, 0)
    d = policy.evaluate(school_girl, "2026-03-01")
    assert d.obligations[0].due == datetime(2026, 3, 1, 10, 0, tzinfo=CST)
    assert d.notes


def test_bad_facts_list_every_problem(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    school_girl["minor"]["age"] = "ten"
    school_girl["minor"]["sexx"] = "female"
    with pytest.raises(humiao.FactsError) as info:
        policy.evaluate(school_girl, "2026-03-01")
    err = info.value
    assert isinstance(err, ValueError) and err.index is None
    paths = {e.path for e in err.errors}
    assert {"minor.age", "minor.sexx"} <= paths
    age = next(e for e in err.errors if e.path == "minor.age")
    assert age.expected and age.found and age.message and age.message_zh and age.code


def test_unconvertible_fact_values_are_facts_errors(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    school_girl["minor"]["age"] = {1, 2}
    with pytest.raises(humiao.FactsError) as info:
        policy.evaluate(school_girl, "2026-03-01")
    assert info.value.errors[0].path == "minor.age"
    school_girl["minor"]["age"] = float("nan")
    with pytest.raises(humiao.FactsError):
        policy.evaluate(school_girl, "2026-03-01")
    cyclic: Dict[str, Any] = {}
    cyclic["minor"] = cyclic
    with pytest.raises(humiao.FactsError):
        policy.evaluate(cyclic, "2026-03-01")


def test_facts_that_are_not_json(policy: humiao.Policy) -> None:
    with pytest.raises(humiao.FactsError):
        policy.evaluate("{not json", "2026-03-01")
    with pytest.raises(humiao.FactsError) as info:
        policy.evaluate(b'{"minor": "\xff"}', "2026-03-01")
    assert info.value.errors[0].code == "F0109"
    with pytest.raises(TypeError):
        policy.evaluate(42, "2026-03-01")  # type: ignore[arg-type]


def test_lenient_turns_unknown_fields_into_notes(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    school_girl["minor"]["nickname"] = "x"
    with pytest.raises(humiao.FactsError):
        policy.evaluate(school_girl, "2026-03-01")
    d = policy.evaluate(school_girl, "2026-03-01", lenient=True)
    assert any("nickname" in n for n in d.notes)


# ----------------------------------------------------------------------------- batches


def test_evaluate_many_keeps_order_and_matches_evaluate(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    cases = []
    for i in range(300):
        c = json.loads(json.dumps(school_girl))
        c["case"]["id"] = f"c{i}"
        c["minor"]["birth_date"] = f"{2004 + i % 20}-07-12"
        cases.append(c)
    one = [policy.evaluate(c, "2026-03-01").to_json() for c in cases]
    for threads in (None, 1, 2, 7):
        many = policy.evaluate_many(cases, "2026-03-01", threads=threads)
        assert [d.to_json() for d in many] == one
    assert policy.evaluate_many([], "2026-03-01") == []
    # As the issue writes them: threads and explain may be given by position.
    assert [d.to_json() for d in policy.evaluate_many(cases[:3], "2026-03-01", 2)] == one[:3]
    assert policy.evaluate(cases[0], "2026-03-01", True).trace
    assert [d.case_id for d in policy.evaluate_many(iter(cases[:5]), date(2026, 3, 1))] == [f"c{i}" for i in range(5)]


def test_evaluate_many_errors(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    bad = json.loads(json.dumps(school_girl))
    bad["minor"]["age"] = "ten"
    cases = [school_girl, bad, "not json", school_girl]
    with pytest.raises(humiao.FactsError) as info:
        policy.evaluate_many(cases, "2026-03-01")
    assert info.value.index == 1
    out = policy.evaluate_many(cases, "2026-03-01", on_error="return")
    assert isinstance(out[0], humiao.Decision) and isinstance(out[3], humiao.Decision)
    assert isinstance(out[1], humiao.FactsError) and out[1].index == 1
    assert isinstance(out[2], humiao.FactsError) and out[2].index == 2
    with pytest.raises(humiao.HumiaoError):
        policy.evaluate_many(cases, "2026-03-01", on_error="ignore")  # type: ignore[call-overload]
    with pytest.raises(humiao.HumiaoError):
        policy.evaluate_many(cases, "2026-03-01", threads=0)
    with pytest.raises(humiao.HumiaoError, match="at most 256"):
        policy.evaluate_many(iter(cases), "2026-03-01", threads=100_000)
    assert len(policy.evaluate_many(iter(cases), "2026-03-01", threads=256, on_error="return")) == 4
    with pytest.raises(TypeError):
        policy.evaluate_many(school_girl, "2026-03-01")


def test_batches_read_while_evaluating_stop_at_a_failing_iterator(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    """On more than one thread, cases are read from the iterable while the ones already read are
    evaluated: an exception raised by the iterable midway still reaches the caller (after the
    workers stop), and the results of a whole run come in input order on every path."""

    def cases(fail_at: int = -1) -> Any:
        for i in range(1000):
            if i == fail_at:
                raise KeyError("the source failed")
            c = json.loads(json.dumps(school_girl))
            c["case"]["id"] = f"c{i}"
            c["minor"]["birth_date"] = f"{2004 + i % 20}-07-12"
            yield c

    for call in (
        lambda it: policy.evaluate_many(it, "2026-03-01", threads=2),
        lambda it: policy.evaluate_outcomes(it, "2026-03-01", ["reporting.duty"], threads=2),
    ):
        with pytest.raises(KeyError, match="the source failed"):
            call(cases(fail_at=500))
    many = policy.evaluate_many(cases(), "2026-03-01", threads=2)
    assert [d.case_id for d in many] == [f"c{i}" for i in range(1000)]
    want = [d.conclusions.get("reporting.duty") for d in many]
    for threads in (1, 2, 3):
        got = policy.evaluate_outcomes(cases(), "2026-03-01", ["reporting.duty"], threads=threads)
        assert got["reporting.duty"] == want
    assert len(set(want)) > 1


def test_batches_of_dicts_read_as_each_dict_alone(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    """A batch, and `evaluate` of one dict, read a case dict straight into its facts where they
    can (truth values, integers, strings) and as JSON otherwise; either way each case gives what
    the JSON way gives it (a dict subclass, here an `OrderedDict` around the case, always goes
    that way): decisions, notes, errors and their messages."""
    import collections
    import enum

    class Org(str, enum.Enum):
        school = "school"

    class Key(str):
        pass

    def subclass_key(c: Dict[str, Any]) -> None:
        c["minor"][Key("sex")] = c["minor"].pop("sex")

    class Sneaky:
        """Not text, but hashes and compares as the fact's name."""

        def __hash__(self) -> int:
            return hash("sex")

        def __eq__(self, other: object) -> bool:
            return True

    class Gender(str):
        """Text naming another field, hashing and comparing as the fact's name."""

        def __hash__(self) -> int:
            return hash("sex")

        def __eq__(self, other: object) -> bool:
            return True

    def sneaky_key(c: Dict[str, Any]) -> None:
        c["minor"][Sneaky()] = c["minor"].pop("sex")

    def gender_key(c: Dict[str, Any]) -> None:
        c["minor"][Gender("gender")] = c["minor"].pop("sex")

    def reversed_keys(d: Any) -> Any:
        return {k: reversed_keys(v) for k, v in reversed(d.items())} if isinstance(d, dict) else d

    def reorder(c: Dict[str, Any]) -> None:
        r = reversed_keys(c)
        c.clear()
        c.update(r)

    def variant(i: int) -> Dict[str, Any]:
        c = json.loads(json.dumps(school_girl))
        c["case"]["id"] = f"c{i}"
        return c

    changes: List[Any] = [
        lambda c: None,
        lambda c: c.update(hotel={}),  # an empty section: given, with nothing in it
        lambda c: c.update(hotel={"registered_identity": None}),  # a section of absent values
        lambda c: c.update(hotel=None),
        lambda c: c["minor"].update(age=None),
        lambda c: c["minor"].update(age=9.0),  # a float for an integer
        lambda c: c["minor"].update(age=2**70),  # past 64 bits
        lambda c: c["minor"].update(age=-3),  # out of range
        lambda c: c["minor"].update(sex="girl"),  # not a value of the enum
        lambda c: c["minor"].update(birth_date=date(2016, 7, 12)),  # a date object
        lambda c: c["reporter"].update(org_type=Org.school),  # a str subclass
        lambda c: c.update(discovered_at="2026-03-01T10:00"),  # no offset: a note
        lambda c: c.update(unknown_fact=1),
        lambda c: c["minor"].update(nickname="x"),  # unknown in a section
        lambda c: c.update(minor="nine"),  # a value where a section goes
        lambda c: c.update({1: "a key that is not text"}),
        subclass_key,  # a key of a str subclass, equal to the fact's name
        sneaky_key,  # not text, though a dict lookup of the name would find it
        gender_key,  # another name, though a dict lookup of the fact's would find it
        lambda c: c.update(minor=collections.OrderedDict(c["minor"])),  # a dict subclass
        lambda c: c["case"].update(id="A-\"quoted\"-\n"),
        reorder,  # every key in the other order (the reader guesses each key from the last dict)
        lambda c: c["minor"].update(sex="male"),  # the first order again, another value
        reorder,
        lambda c: c.update(unknown_fact=1),  # the order guessed, then a key it does not know
    ]
    cases = []
    for i, change in enumerate(changes):
        c = variant(i)
        change(c)
        cases.append(c)

    def alone(c: Any) -> str:
        try:
            return policy.evaluate(c, "2026-03-01").to_json()
        except humiao.HumiaoError as e:
            return f"{type(e).__name__}: {e}"

    def shown(g: Any, i: int) -> str:
        if isinstance(g, humiao.Decision):
            return g.to_json()
        return f"{type(g).__name__}: {g}".replace(f"case {i}: ", "", 1).replace(f"第 {i} 件：", "", 1)

    want = [alone(collections.OrderedDict(c)) for c in cases]
    assert sum(w.startswith("{") for w in want) >= 8 and sum(not w.startswith("{") for w in want) >= 5
    assert [alone(c) for c in cases] == want
    assert any("had no offset" in w for w in want)
    for threads in (1, 2):
        got = policy.evaluate_many(cases, "2026-03-01", threads=threads, on_error="return")
        assert [shown(g, i) for i, g in enumerate(got)] == want
        out = policy.evaluate_outcomes(cases, "2026-03-01", ["reporting.duty"], threads=threads, on_error="return")
        for i, w in enumerate(want):
            if w.startswith("{"):
                assert out["reporting.duty"][i] == json.loads(w)["conclusions"].get("reporting.duty"), i
            else:
                assert shown(out["error"][i], i) == w, i


def test_evaluate_many_releases_the_gil(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    # A Python thread keeps counting while a large batch runs: with the GIL held throughout
    # it would barely get to run.
    cases = [json.dumps(school_girl)] * 20000
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        policy.evaluate_many(cases, "2026-03-01")
    finally:
        stop.set()
        t.join()
    assert ticks > 1000


def test_a_panic_never_reaches_python() -> None:
    with pytest.raises(humiao.InternalError) as info:
        _humiao._selftest_panic()
    assert isinstance(info.value, humiao.HumiaoError)
    assert "deliberate panic" in str(info.value)
    with pytest.raises(humiao.InternalError):
        _humiao._selftest_panic(in_worker=True)


# ----------------------------------------------------------------------------- pickling


def test_policy_pickles_by_sources_and_params(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    relaxed = humiao.Policy.load(RULES, params={"reporting.late_after": "48 hours"})
    for p in (policy, relaxed):
        q = pickle.loads(pickle.dumps(p))
        assert q.digest == p.digest and q == p
        assert q.evaluate(school_girl, "2026-03-01").to_json() == p.evaluate(school_girl, "2026-03-01").to_json()


def test_from_bytes_is_the_same_set_and_pickles_as_bytes(policy: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    relaxed = humiao.Policy.load(RULES, params={"reporting.late_after": "48 hours"})
    for p in (policy, relaxed):
        data = p.to_bytes()
        assert isinstance(data, bytes) and data.startswith(b"HUMIAO\0P")
        q = humiao.Policy.from_bytes(data)
        assert q == p and (q.name, q.version, q.digest) == (p.name, p.version, p.digest)
        for explain in (False, True):
            assert q.evaluate(school_girl, "2026-03-01", explain=explain).to_json() == p.evaluate(school_girl, "2026-03-01", explain=explain).to_json()
        assert [x.key for x in q.params] == [x.key for x in p.params]
        assert q.run_tests().passed == p.run_tests().passed
        r = pickle.loads(pickle.dumps(q))
        assert r == q and r.to_bytes() == data
    with pytest.raises(humiao.HumiaoError) as e:
        humiao.Policy.from_bytes(b"not a policy")
    assert "not a compiled humiao policy set" in str(e.value) and e.value.message_zh
    other = bytearray(policy.to_bytes())
    other[8] += 1  # the format version, just after the magic
    with pytest.raises(humiao.HumiaoError, match="compile it from its sources again"):
        humiao.Policy.from_bytes(bytes(other))


def test_decisions_plans_and_errors_pickle(policy: humiao.Policy, sample: humiao.Policy, school_girl: Dict[str, Any]) -> None:
    d = policy.evaluate(school_girl, "2026-03-01", explain=True)
    assert pickle.loads(pickle.dumps(d)) == d
    plan = sample.plan("monthly", "2027-01", months=2)
    assert pickle.loads(pickle.dumps(plan)) == plan
    school_girl["minor"]["age"] = "ten"
    try:
        policy.evaluate(school_girl, "2026-03-01")
    except humiao.FactsError as e:
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is humiao.FactsError
        assert back.errors == e.errors and str(back) == str(e) and back.message_zh == e.message_zh
    try:
        humiao.Policy.from_sources({"a.humiao": "rule"})
    except humiao.PolicyError as e:
        back2 = pickle.loads(pickle.dumps(e))
        assert back2.diagnostics == e.diagnostics


# ----------------------------------------------------------------------------- plans


def test_plan_matches_cli(sample: humiao.Policy, cli: Path, tmp_path: Path) -> None:
    plan = sample.plan("monthly", "2027-01", months=3, flags={"丙街道": "红色风险儿童"})
    assert plan.rotation == "monthly" and plan.start == "2027-01"
    assert [m.month for m in plan.months] == ["2027-01", "2027-02", "2027-03"]
    first = plan.months[0]
    assert any(v.street == "丙街道" and "flagged" in v.reasons for v in first.visits)
    proc = run_cli(cli, ["plan", str(SAMPLE), "--rotation", "monthly", "--from", "2027-01",
                         "--months", "3", "--flag", "丙街道=红色风险儿童", "--format", "json"])
    if proc.returncode == 2 and b"plan" in proc.stderr and b"unrecognized" in proc.stderr:
        pytest.skip("this CLI has no plan command")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode() == plan.to_json() + "\n"
    assert plan.to_dict() == json.loads(plan.to_json())
    # Continuing from history, given as a Plan, as JSON text and as a file.
    hist = tmp_path / "history.json"
    hist.write_text(plan.to_json(), encoding="utf-8")
    nxt = sample.plan("monthly", date(2027, 4, 1), months=2, history=plan)
    assert nxt == sample.plan("monthly", "2027-04", months=2, history=plan.to_json())
    assert nxt == sample.plan("monthly", "2027-04", months=2, history=hist)
    assert nxt == sample.plan("monthly", "2027-04", months=2, history=plan.to_dict())
    proc = run_cli(cli, ["plan", str(SAMPLE), "--rotation", "monthly", "--from", "2027-04",
                         "--months", "2", "--history", str(hist), "--format", "json"])
    assert proc.stdout.decode() == nxt.to_json() + "\n"
    assert "month" in plan.to_csv().splitlines()[0]


def test_plan_errors(sample: humiao.Policy) -> None:
    with pytest.raises(humiao.PlanError):
        sample.plan("nope", "2027-01")
    with pytest.raises(humiao.HumiaoError):
        sample.plan("monthly", "January")
    with pytest.raises(humiao.PlanError):
        sample.plan("monthly", "2027-01", history="month,street,community\n2026-13,x,y\n")
    with pytest.raises(TypeError):
        sample.plan("monthly", 2027)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- documentation


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in humiao.__all__:
        obj = getattr(humiao, name)
        if name.startswith("__"):
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            missing.append(name)
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member) and not isinstance(member, property) \
                        and type(member).__name__ != "getset_descriptor":
                    continue
                if not (getattr(member, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert not missing, f"no docstring: {missing}"


def test_python_values_json_cannot_hold_get_the_codes_their_text_would(
    policy: humiao.Policy, school_girl: Dict[str, Any]
) -> None:
    """A value read from Python that JSON text could not carry gets the code the same problem
    has in text (F0103 out of range, F0101 wrong type, F0112 too deep), both languages."""
    def problem(change: Any) -> Any:
        c = json.loads(json.dumps(school_girl))
        change(c)
        with pytest.raises(humiao.FactsError) as info:
            policy.evaluate(c, "2026-03-01")
        return info.value.errors[0]

    big = problem(lambda c: c["minor"].update(age=10**30))
    assert (big.code, big.path) == ("F0103", "minor.age"), big
    assert "64 位以内的整数" in big.message_zh and "within 64 bits" in big.message
    nan = problem(lambda c: c["minor"].update(age=float("nan")))
    assert (nan.code, nan.path) == ("F0101", "minor.age"), nan
    deep: Dict[str, Any] = {}
    inner = deep
    for _ in range(70):
        inner["a"] = {}
        inner = inner["a"]
    too_deep = problem(lambda c: c["case"].update(note=deep))
    assert too_deep.code == "F0112", too_deep
