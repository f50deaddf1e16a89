"""The whole conformance corpus through Python, compared byte for byte with the CLI.

Each `tests/conformance/*.json` case is evaluated by `Policy.evaluate` with the case's
`as_of` and `params`, and `decision.to_json()` must equal what `humiao eval --format json`
prints for the same facts. The corpus as a whole also goes through `evaluate_many` and is
compared with the CLI's `--format jsonl` output, grouped by `as_of` and params.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import humiao

from support import CONFORMANCE, RULES, SCHOOL_GIRL, run_cli

CASES = sorted(CONFORMANCE.glob("*.json"))


def load(path: Path) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        case: Dict[str, Any] = json.load(f)
    return case


def param_args(params: Dict[str, Any]) -> List[str]:
    # JSON for every value: the CLI reads `--param k=v` as JSON first, so a string stays a
    # string even when it looks like a number.
    out: List[str] = []
    for k, v in params.items():
        out += ["--param", f"{k}={json.dumps(v, ensure_ascii=False)}"]
    return out


_policies: Dict[str, humiao.Policy] = {}


def policy_for(params: Dict[str, Any]) -> humiao.Policy:
    key = json.dumps(params, sort_keys=True)
    if key not in _policies:
        _policies[key] = humiao.Policy.load(RULES, params=params or None)
    return _policies[key]


def test_the_corpus_is_not_empty() -> None:
    assert CASES, f"no conformance cases in {CONFORMANCE}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_matches_cli(path: Path, cli: Path, tmp_path: Path) -> None:
    case = load(path)
    params = case.get("params") or {}
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(case["facts"], ensure_ascii=False), encoding="utf-8")
    proc = run_cli(
        cli,
        ["eval", str(RULES), "--facts", str(facts_file), "--as-of", case["as_of"],
         "--format", "json", *param_args(params)],
    )
    decision = policy_for(params).evaluate(case["facts"], case["as_of"])
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode("utf-8") == decision.to_json() + "\n"
    # The dict form is the same JSON, keys in the same order.
    assert json.dumps(decision.to_dict(), ensure_ascii=False, separators=(",", ":")) == decision.to_json()


def test_corpus_batch_matches_cli_jsonl(cli: Path, tmp_path: Path) -> None:
    assert CASES, f"no conformance cases in {CONFORMANCE}"
    cases = [load(p) for p in CASES]

    def key(c: Dict[str, Any]) -> Tuple[str, str]:
        return (c["as_of"], json.dumps(c.get("params") or {}, sort_keys=True))

    groups = 0
    for (as_of, params_json), group in groupby(sorted(cases, key=key), key=key):
        params = json.loads(params_json)
        items = list(group)
        lines = [json.dumps(c["facts"], ensure_ascii=False) for c in items]
        batch = tmp_path / f"batch{groups}.jsonl"
        batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
        proc = run_cli(
            cli,
            ["eval", str(RULES), "--facts", str(batch), "--as-of", as_of, "--format", "jsonl",
             *param_args(params)],
        )
        assert proc.returncode == 0, proc.stderr.decode()
        expected = proc.stdout.decode("utf-8").splitlines()
        pol = policy_for(params)
        # Dicts and JSON text, on several threads: the same bytes as the CLI, in order.
        from_dicts = pol.evaluate_many([c["facts"] for c in items], as_of, threads=3)
        from_text = pol.evaluate_many(lines, as_of, threads=2)
        assert [d.to_json() for d in from_dicts] == expected
        assert [d.to_json() for d in from_text] == expected
        groups += 1
    assert groups > 0


def test_bad_text_gets_the_problems_the_cli_gives(cli: Path, tmp_path: Path) -> None:
    """JSON text with problems reads in Python as the CLI reads it: the same codes, paths and
    messages (a key given twice is an error, not the last one silently kept)."""
    good = json.dumps(SCHOOL_GIRL)
    lines = [
        good.replace('"sex": "female"', '"sex": "female", "sex": "male"'),
        good.replace('"indicators": {', '"indicators": {"beating": true, "beating": false, '),
        good.replace('"in_course_of_work": true', '"in_course_of_work": 1e400'),
        good[:-1] + ', "case": {"prior_reports_12m": 1e400}}',
        good[:-1] + ",}",
        good[:40],
        '{"case": ' * 40 + "{}" + "}" * 40,
        '{"minor": {"age": 99999999999999999999999}}',
        "[1, 2]",
    ]
    batch = tmp_path / "bad.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli(cli, ["eval", str(RULES), "--facts", str(batch), "--as-of", "2026-03-01",
                         "--format", "jsonl"])
    records = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(records) == len(lines) and all("error" in r for r in records), records
    want = [[(p["code"], p["path"], p["message"], p["message_zh"]) for p in r["error"]["facts"]]
            for r in records]
    assert ("F0113", "minor.sex") in [(c, p) for w in want for (c, p, _, _) in w]
    pol = humiao.Policy.load(RULES)

    def problems(e: object) -> List[Tuple[str, str, str, str]]:
        assert isinstance(e, humiao.FactsError), e
        return [(p.code, p.path, p.message, p.message_zh) for p in e.errors]

    for line, w in zip(lines, want):
        with pytest.raises(humiao.FactsError) as info:
            pol.evaluate(line, "2026-03-01")
        assert problems(info.value) == w, line
    for threads in (1, 2):
        got = pol.evaluate_many(lines, "2026-03-01", threads=threads, on_error="return")
        assert [problems(g) for g in got] == want
        out = pol.evaluate_outcomes(lines, "2026-03-01", ["reporting.duty"], threads=threads,
                                    on_error="return")
        assert [problems(g) for g in out["error"]] == want
