"""The Python rows of the bindings' benchmark (`scripts/bench-bindings`, docs/performance.md):
the workload of bench/ (bench/src/workload.rs, the cases written by `humiao-bench-bindings
cases`) decided by the same rules hand-written in plain Python over dicts (a line-by-line copy
of bench/src/baseline/typed.rs) and by humiao through every batch entry point of the binding.

    python bindings-py/bench/workload.py --cases FILE --policy DIR [--rounds 3] [--limit N]

First the agreement check: the hand-written rules give humiao's answers on every case
(situations, duty, hotel suspicion and violations, consultation triggers, required, emergency,
and the obligations), and every evaluate-only path gives the decisions' conclusions; a
disagreement stops the run and prints the case. Then the timings, in rounds (each round runs
every measurement once, so a burst of load hits them alike); each figure is the median round.
Prints one tab-separated row per measurement (group, engine, mode, ns per case, baseline,
note) for `humiao-bench-bindings table`. Not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import humiao

AS_OF = "2026-11-29"
GROUP = "python"
BASELINE = "plain Python"

# bench/src/answers.rs: the enums in declaration order, the obligations by rule.
SITUATIONS = [
    "genital_injury", "female_under_14_sexual", "female_14_plus_assault_pregnancy",
    "injury_with_abuse", "abnormal_disability_or_death", "abandoned_or_unattended",
    "missing_or_trafficked", "organised_begging", "other_serious_harm", "domestic_violence",
]
HOTEL_VIOLATIONS = ["identity_not_verified", "guardian_contact_not_recorded", "relationship_not_recorded"]
TRIGGERS = [
    "multiple_departments", "repeated_reports", "media_attention", "serious_injury",
    "serious_situation", "guardian_harm", "revocation_proposed", "returning_from_temporary_guardianship",
]
OBLIGATIONS = [
    ("reporting.duty_mandatory", "reporter", "report", "public_security"),
    ("reporting.school_reports_to_education", "reporter", "report", "education_authority"),
    ("hotel.report_suspicious", "hotel", "report", "public_security"),
    ("hotel.report_suspicious", "hotel", "contact_guardian", "guardian"),
    ("consultation.convene", "district_minor_protection_office", "convene_consultation", None),
    ("consultation.convene_emergency", "district_minor_protection_office", "convene_consultation", None),
]
TO_PUBLIC_SECURITY, TO_EDUCATION, HOTEL_REPORT, HOTEL_CONTACT_GUARDIAN, CONVENE, CONVENE_EMERGENCY = (
    1 << k for k in range(6)
)
OTHER_OBLIGATION = 1 << 7
# The conclusions the workload asks about: what the evaluate-only rows return.
KEYS = [
    "reporting.situations", "reporting.duty", "hotel.suspicious", "hotel.violations",
    "consultation.triggers", "consultation.required", "consultation.emergency",
]

Answers = Tuple[int, str, Optional[bool], int, int, bool, bool, int]


def decide(c: Dict[str, Any]) -> Answers:
    """The workload's rules in plain Python over a case's dict: bench/src/baseline/typed.rs,
    rule by rule (reporting.humiao, hotel.humiao, consultation.humiao with their default
    params). Two-valued logic: the workload gives every fact these rules read."""
    i = c["indicators"]
    minor = c["minor"]
    age = minor["age"]
    is_minor = age < 18
    female = minor["sex"] == "female"
    org = c["reporter"]["org_type"]
    obligor = org != "individual" and org != "other"
    at_work = obligor and c["reporter"]["in_course_of_work"]
    pregnant_or_aborted = i["pregnancy"] or i["abortion"]

    # reporting.humiao: the situations of the 2020 opinion Art.4 and ADVL Art.14.
    s = 0
    if is_minor:
        assault = i["sexual_assault"]
        if i["genital_private_injury"]:
            s |= 1
        if female and age < 14 and (assault or i["pregnancy"] or i["abortion"]):
            s |= 1 << 1
        if female and age >= 14 and pregnant_or_aborted and (assault or i["pregnancy_assault_suspected"]):
            s |= 1 << 2
        if (i["multiple_injuries"] or i["severe_malnutrition"] or i["impaired_consciousness"]) and (
            i["domestic_violence"] or i["bullying"] or i["maltreatment"] or i["beating"] or i["drugged"]
        ):
            s |= 1 << 3
        if i["abnormal_disability_or_death"]:
            s |= 1 << 4
        if i["abandoned"] or i["unattended"]:
            s |= 1 << 5
        if i["unknown_origin"] or i["missing"] or i["trafficked"]:
            s |= 1 << 6
        if i["organised_begging"]:
            s |= 1 << 7
        assault_in_items_2_3 = female and assault and (age < 14 or pregnant_or_aborted)
        if i["other_serious_harm"] or i["imminent_danger"] or i["sexual_harassment"] or (
            assault and not assault_in_items_2_3
        ):
            s |= 1 << 8
        if i["domestic_violence"] and not (age >= 16 and minor.get("self_supporting") is True):
            s |= 1 << 9
    if s and at_work:
        duty = "mandatory"
    elif not s and is_minor and (
        (female and age >= 14 and pregnant_or_aborted)
        or i["maltreatment"] or i["beating"] or i["drugged"] or i["bullying"] or i["domestic_violence"]
    ):
        duty = "review"
    elif s:
        duty = "voluntary"
    else:
        duty = "none"
    obligations = 0
    if duty == "mandatory":
        obligations |= TO_PUBLIC_SECURITY
    if at_work and (org == "school" or org == "kindergarten") and is_minor and (
        i["sexual_assault"] or i["sexual_harassment"]
    ):
        obligations |= TO_EDUCATION

    # hotel.humiao: suspicious circumstances and the asking-and-recording duties.
    hotel_suspicious = None
    hotel_violations = 0
    h = c.get("hotel")
    if h is not None and h["checking_in"] and is_minor:
        unexplained = h.get("reasonable_explanation") is False
        suspicious = (
            (h["minor_alone"] and unexplained)
            or ((h["opposite_sex_minors_together"] or h["several_minors_together"]) and unexplained)
            or (h["with_adult"] and h.get("relationship_plausible") is False)
            or h["minor_impaired"]
            or h["other_suspicious"]
        )
        hotel_suspicious = bool(suspicious)
        if suspicious:
            obligations |= HOTEL_REPORT | HOTEL_CONTACT_GUARDIAN
        if not h["identity_verified"]:
            hotel_violations |= 1
        if not h["guardian_contact_recorded"]:
            hotel_violations |= 1 << 1
        if not h["minor_alone"] and not h["relationship_recorded"]:
            hotel_violations |= 1 << 2

    # consultation.humiao: the start conditions and the emergency procedure.
    k = c["case"]
    t = 0
    if k["departments_involved"] >= 2:
        t |= 1
    if k["prior_reports_12m"] + 1 >= 2:
        t |= 1 << 1
    if k["media_attention"]:
        t |= 1 << 2
    if k["serious_injury"]:
        t |= 1 << 3
    if is_minor and s & (1 << 1 | 1 << 4 | 1 << 6):
        t |= 1 << 4
    if k["revocation_proposed"]:
        t |= 1 << 6
    if k["returning_from_temporary_guardianship"]:
        t |= 1 << 7
    required = t != 0
    emergency = bool(k["emergency"] or (is_minor and i["imminent_danger"]))
    if required:
        obligations |= CONVENE_EMERGENCY if emergency else CONVENE
    return (s, duty, hotel_suspicious, hotel_violations, t, required, emergency, obligations)


def bits(names: Any, all_names: List[str]) -> int:
    out = 0
    for n in names or []:
        out |= 1 << all_names.index(n)
    return out


def conclusion_answers(c: Dict[str, Any]) -> Tuple[int, str, Optional[bool], int, int, bool, bool]:
    """The workload's conclusions from a decision's (or an outcome row's) conclusions."""
    return (
        bits(c.get("reporting.situations"), SITUATIONS),
        c.get("reporting.duty") or "",
        c.get("hotel.suspicious"),
        bits(c.get("hotel.violations"), HOTEL_VIOLATIONS),
        bits(c.get("consultation.triggers"), TRIGGERS),
        bool(c.get("consultation.required")),
        bool(c.get("consultation.emergency")),
    )


def humiao_answers(d: "humiao.Decision") -> Answers:
    if d.status != "determined":
        raise AssertionError(f"status {d.status}, undecided {d.undecided}")
    obligations = 0
    for o in d.obligations:
        key = (o.rule, o.actor, o.action, o.party)
        obligations |= (1 << OBLIGATIONS.index(key)) if key in OBLIGATIONS else OTHER_OBLIGATION
    return conclusion_answers(d.conclusions) + (obligations,)


def columns(dicts: List[Dict[str, Any]]) -> Dict[str, List[Any]]:
    """The cases as a table: one column per fact path, None where a fact is absent (the hotel
    section of most cases, `minor.self_supporting` under 16)."""
    def flat(prefix: str, v: Any, out: Dict[str, Any]) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                flat(f"{prefix}.{k}" if prefix else k, x, out)
        else:
            out[prefix] = v

    rows = []
    names: Dict[str, None] = {}
    for d in dicts:
        r: Dict[str, Any] = {}
        flat("", d, r)
        rows.append(r)
        names.update(dict.fromkeys(r))
    return {n: [r.get(n) for r in rows] for n in names}


def fail(what: str, index: int, line: str, got: Any, want: Any) -> None:
    sys.exit(f"agreement: {what} disagrees with humiao on case {index}: {got} vs {want}\n  {line}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True, help="JSON Lines of the workload")
    ap.add_argument("--policy", required=True, help="the workload's policy folder")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="only the first N cases")
    args = ap.parse_args()

    with open(args.cases, encoding="utf-8") as f:
        lines = f.read().splitlines()[: args.limit]
    n = len(lines)
    dicts = [json.loads(line) for line in lines]
    policy = humiao.Policy.load(args.policy)
    cores = len(os.sched_getaffinity(0))
    print(f"python: {n} cases, {cores} cores, humiao {humiao.__version__}", file=sys.stderr)

    # ---- agreement, on every case
    print("python: agreement (hand-written rules and evaluate-only paths against humiao)", file=sys.stderr)
    decisions = policy.evaluate_many(lines, AS_OF)
    want = [humiao_answers(d) for d in decisions]
    for idx, (c, w) in enumerate(zip(dicts, want)):
        got = decide(c)
        if got != w:
            fail("plain Python", idx, lines[idx], got, w)
    import pandas as pd
    import pyarrow as pa

    cols = columns(dicts)
    arrow = pa.table(cols)
    frame = pd.DataFrame(cols)
    # Every path gives the same conclusions as the decisions, case by case.
    full = [{k: d.conclusions.get(k) for k in KEYS} for d in decisions]
    for what, out in [
        ("evaluate_outcomes(dicts)", policy.evaluate_outcomes(dicts, AS_OF, KEYS)),
        ("outcome_table(pyarrow)", policy.outcome_table(arrow, AS_OF, KEYS).to_pydict()),
        ("outcome_table(pandas)", {k: list(v) for k, v in policy.outcome_table(frame, AS_OF, KEYS).items()}),
        ("outcome_table(pandas, sets as Arrow lists)",
         {k: [None if x is pd.NA else x for x in v]
          for k, v in policy.outcome_table(frame, AS_OF, KEYS, sets="arrow").items()}),
    ]:
        if not all(out["settled"]):
            sys.exit(f"agreement: {what}: a case did not settle")
        for idx in range(n):
            row = {k: out[k][idx] for k in KEYS}
            if conclusion_answers(row) != conclusion_answers(full[idx]):
                fail(what, idx, lines[idx], row, full[idx])
    for what, table in [("evaluate_table(pyarrow)", policy.evaluate_table(arrow, AS_OF).to_pydict()),
                        ("evaluate_table(pandas)", {k: list(v) for k, v in policy.evaluate_table(frame, AS_OF).items()})]:
        for idx in range(n):
            if table["decision"][idx] != decisions[idx].to_json():
                fail(what, idx, lines[idx], table["decision"][idx][:80], "the decision of evaluate_many")
    del decisions, full
    print(f"python: agreement holds on {n} cases", file=sys.stderr)

    # ---- timings
    items: List[Tuple[str, str, str, Callable[[], Any], str]] = []

    def add(engine: str, mode: str, fn: Callable[[], Any], baseline: str = BASELINE, note: str = "") -> None:
        items.append((engine, mode, note, fn, baseline))

    def plain() -> None:
        for c in dicts:
            decide(c)

    threads = f"{cores} threads"
    add(BASELINE, "evaluate only, list of dicts", plain,
        note="the rules hand-written over dicts (bench/src/baseline/typed.rs), one case at a time")
    add("humiao evaluate_many", f"list of dicts → Decisions, {threads}",
        lambda: policy.evaluate_many(dicts, AS_OF), note="whole Decision objects (the issue's comparison)")
    add("humiao evaluate_many", "list of dicts → Decisions, 1 thread",
        lambda: policy.evaluate_many(dicts, AS_OF, 1))
    add("humiao evaluate_many", f"JSON lines → Decisions, {threads}",
        lambda: policy.evaluate_many(lines, AS_OF))
    add("humiao evaluate_outcomes", f"list of dicts → conclusions, {threads}",
        lambda: policy.evaluate_outcomes(dicts, AS_OF, KEYS), note="evaluate only: the 7 conclusions, no Decision")
    add("humiao evaluate_outcomes", "list of dicts → conclusions, 1 thread",
        lambda: policy.evaluate_outcomes(dicts, AS_OF, KEYS, 1))
    add("humiao evaluate_table", f"pyarrow Table → result Table, {threads}",
        lambda: policy.evaluate_table(arrow, AS_OF),
        note="whole decisions, their JSON in a column; target ≥ 2,000,000 cases/s")
    add("humiao evaluate_table", f"pandas DataFrame → result DataFrame, {threads}",
        lambda: policy.evaluate_table(frame, AS_OF), note="target ≥ 2,000,000 cases/s")
    add("humiao outcome_table", f"pyarrow Table → conclusions Table, {threads}",
        lambda: policy.outcome_table(arrow, AS_OF, KEYS), note="evaluate only; target ≥ 2,000,000 cases/s")
    add("humiao outcome_table", f"pandas DataFrame → conclusions DataFrame, {threads}",
        lambda: policy.outcome_table(frame, AS_OF, KEYS),
        note="evaluate only, sets as Python lists; target ≥ 2,000,000 cases/s")
    add("humiao outcome_table", f"pandas DataFrame → conclusions DataFrame (sets=\"arrow\"), {threads}",
        lambda: policy.outcome_table(frame, AS_OF, KEYS, sets="arrow"),
        note="evaluate only, sets as list<string>[pyarrow] columns; target ≥ 2,000,000 cases/s")
    from humiao._table import columns_of

    add("humiao (part)", "pyarrow Table → Python lists (columns_of)", lambda: columns_of(arrow),
        note="the first step of both table paths, in Python")
    add("humiao (part)", "pandas DataFrame → Python lists (columns_of)", lambda: columns_of(frame))

    times: Dict[str, List[float]] = {}
    cpu: Dict[str, List[float]] = {}
    for r in range(args.rounds):
        print(f"python: round {r + 1} of {args.rounds}", file=sys.stderr)
        for engine, mode, _, fn, _ in items:
            # Each call starts from a collected heap: a full collection of this process's
            # 100,000 cases and their results takes ~0.2 s, and otherwise falls, by the
            # collector's thresholds, into whichever call comes after the one whose garbage
            # set it off (it fell into outcome_table's: 2.2 µs a row against 0.8 µs).
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            out = fn()
            took, cpu_took = time.perf_counter() - t0, time.process_time() - c0
            del out
            times.setdefault(engine + "\0" + mode, []).append(took)
            cpu.setdefault(engine + "\0" + mode, []).append(cpu_took)
    for engine, mode, note, _, baseline in items:
        secs = statistics.median(times[engine + "\0" + mode])
        ns = secs / n * 1e9
        # CPU time of the process (every thread) per case: steadier than the wall clock when
        # other work shares the cores.
        cpu_us = statistics.median(cpu[engine + "\0" + mode]) / n * 1e6
        note = f"CPU {cpu_us:.1f} µs per case" + (f"; {note}" if note else "")
        print("\t".join([GROUP, engine, mode, f"{ns:.1f}", baseline, note]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
