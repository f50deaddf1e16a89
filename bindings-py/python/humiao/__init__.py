"""护苗 humiao: child-protection policy as rules staff can read — the engine for Python.

The same engine as the ``humiao`` command-line tool, with the same answers byte for byte::

    import humiao

    policy = humiao.Policy.load("rules")
    decision = policy.evaluate(
        {
            "discovered_at": "2026-03-01T10:00:00+08:00",
            "reporter": {"org_type": "school", "in_course_of_work": True},
            "minor": {"birth_date": "2016-07-12", "sex": "female"},
            "indicators": {"sexual_assault": True},
        },
        as_of="2026-03-01",
    )
    decision.status                      # 'determined'
    decision.conclusions["reporting.duty"]  # 'mandatory'
    decision.obligations[0].due          # datetime(2026, 3, 1, 10, 0, tzinfo=+08:00)
    decision.to_json()                   # what `humiao eval --format json` prints

Batches: :meth:`Policy.evaluate_many` (all cores, GIL released), :meth:`Policy.evaluate_table`
(pandas or pyarrow, no Python loop per row); :meth:`Policy.plan` makes the supervision
rotation. A :class:`Policy` pickles, so it can be sent to
worker processes, Dask or Spark. See ``docs/python.md``.
"""

from __future__ import annotations

from ._errors import (
    EvaluationError,
    FactsError,
    HumiaoError,
    InternalError,
    PlanError,
    PolicyError,
)
from ._humiao import Decision, Plan, Policy, __version__, check
from ._types import (
    Assumption,
    Conflict,
    Diagnostic,
    FactProblem,
    Missing,
    Obligation,
    Param,
    PlanCommunity,
    PlanMonth,
    PolicyRef,
    TestFailure,
    TestReport,
    TestResult,
    TraceCondition,
    TraceFact,
    TraceRule,
    Visit,
)

__all__ = [
    "Policy",
    "Decision",
    "Plan",
    "check",
    "HumiaoError",
    "PolicyError",
    "FactsError",
    "EvaluationError",
    "PlanError",
    "InternalError",
    "Assumption",
    "Conflict",
    "Diagnostic",
    "FactProblem",
    "Missing",
    "Obligation",
    "Param",
    "PlanCommunity",
    "PlanMonth",
    "PolicyRef",
    "TestFailure",
    "TestReport",
    "TestResult",
    "TraceCondition",
    "TraceFact",
    "TraceRule",
    "Visit",
    "__version__",
]
