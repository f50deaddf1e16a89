"""The plain values a :class:`~humiao.Decision` and a :class:`~humiao.Policy` hand out.

They are frozen dataclasses: they compare by value, print readably and pickle. Field names are
the JSON keys of the contract (``shared/design/CONTRACT.md``), except ``with`` which is a Python
keyword and is spelt ``with_``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

__all__ = [
    "PolicyRef",
    "Obligation",
    "Missing",
    "Assumption",
    "Conflict",
    "TraceFact",
    "TraceCondition",
    "TraceRule",
    "Diagnostic",
    "FactProblem",
    "Param",
    "TestFailure",
    "TestResult",
    "TestReport",
    "PlanCommunity",
    "Visit",
    "PlanMonth",
]


@dataclass(frozen=True)
class PolicyRef:
    """Which policy set made a decision: its manifest ``name``, ``version`` and ``digest``."""

    name: str
    version: str
    digest: str


@dataclass(frozen=True)
class Obligation:
    """Something someone must do: ``actor`` must ``action`` (to ``party``) by ``due``.

    ``id`` is ``<rule>#<n>``; ``deadline`` is the canonical text (``immediately``, ``24 hours``,
    ``5 working days``); ``due`` is an aware :class:`~datetime.datetime` in the offset the case's
    trigger time was given in, or ``None`` when it cannot be computed. ``with_`` lists the
    participants of a consultation (JSON key ``with``).
    """

    id: str
    rule: str
    title: Optional[str]
    cite: List[str]
    action: str
    actor: str
    party: Optional[str]
    deadline: str
    due: Optional[datetime]
    with_: List[str] = field(default_factory=list)

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Obligation":
        due = d.get("due")
        return cls(
            id=d["id"],
            rule=d["rule"],
            title=d.get("title"),
            cite=list(d.get("cite") or []),
            action=d["action"],
            actor=d["actor"],
            party=d.get("party"),
            deadline=d["deadline"],
            due=datetime.fromisoformat(due) if due else None,
            with_=list(d.get("with") or []),
        )


@dataclass(frozen=True)
class Missing:
    """An unknown ``fact`` that would decide the listed conclusions and obligations."""

    fact: str
    decides: List[str]


@dataclass(frozen=True)
class Assumption:
    """An ``@unconfirmed`` param whose ``value`` influenced the decision, and ``why`` it is one."""

    param: str
    value: str
    why: str


@dataclass(frozen=True)
class Conflict:
    """Two or more ``rules`` set one single-valued ``conclusion`` to different ``values``."""

    conclusion: str
    rules: List[str]
    values: List[Any]


@dataclass(frozen=True)
class TraceFact:
    """A fact a condition read, and its ``value`` (``"<redacted>"`` for ``@sensitive`` facts)."""

    fact: str
    value: Any


@dataclass(frozen=True)
class TraceCondition:
    """One condition of a rule: its text, its ``value`` (``true``, ``false``, ``unknown``)."""

    condition: str
    value: str
    facts: List[TraceFact]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "TraceCondition":
        return cls(
            condition=d["condition"],
            value=d["value"],
            facts=[TraceFact(fact=f["fact"], value=f["value"]) for f in d.get("facts") or []],
        )


@dataclass(frozen=True)
class TraceRule:
    """Why a rule did or did not fire (``explain=True``).

    ``result`` is one of ``fired``, ``not_fired``, ``undecided``, ``overridden``,
    ``not_applicable`` (an optional section is absent) or ``not_in_force``.
    """

    rule: str
    title: Optional[str]
    result: str
    conditions: List[TraceCondition]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "TraceRule":
        return cls(
            rule=d["rule"],
            title=d.get("title"),
            result=d["result"],
            conditions=[TraceCondition._from_json(c) for c in d.get("conditions") or []],
        )


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a policy set, as ``humiao check`` reports it.

    ``severity`` is ``error``, ``warning`` or ``info``; ``file`` is the path inside the set;
    ``line`` and ``column`` count from 1 (0 when the finding has no place).
    """

    code: str
    severity: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    message_zh: str
    help: Optional[str] = None
    help_zh: Optional[str] = None

    def __str__(self) -> str:
        return f"{self.severity}[{self.code}]: {self.file}:{self.line}:{self.column}: {self.message} / {self.message_zh}"


@dataclass(frozen=True)
class FactProblem:
    """One problem with a case's facts: at JSON ``path``, ``expected`` something, ``found`` another."""

    code: str
    path: str
    expected: str
    found: str
    message: str
    message_zh: str

    def __str__(self) -> str:
        return f"{self.message} / {self.message_zh}"


@dataclass(frozen=True)
class Param:
    """A public param of the policy set.

    ``value`` is its canonical text (``24 hours``); ``unconfirmed`` says why it is an assumption
    rather than law (``None`` when it is confirmed); ``source`` is where its value comes from;
    ``overridden`` is true when the caller set it.
    """

    key: str
    value: str
    unconfirmed: Optional[str]
    source: Optional[str]
    overridden: bool


@dataclass(frozen=True)
class TestFailure:
    """An expectation of an in-file test that did not hold."""

    __test__ = False  # not a pytest test class

    expectation: str
    line: int
    expected: str
    actual: str


@dataclass(frozen=True)
class TestResult:
    """One in-file test: where it is, whether it passed, and why not."""

    __test__ = False

    file: str
    line: int
    title: str
    passed: bool
    failures: List[TestFailure]
    error: Optional[str]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "TestResult":
        return cls(
            file=d["file"],
            line=d["line"],
            title=d["title"],
            passed=d["passed"],
            failures=[TestFailure(**f) for f in d.get("failures") or []],
            error=d.get("error"),
        )


@dataclass(frozen=True)
class TestReport:
    """The outcome of :meth:`Policy.run_tests`: counts and every result."""

    __test__ = False

    passed: int
    failed: int
    results: List[TestResult]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "TestReport":
        return cls(
            passed=d["passed"],
            failed=d["failed"],
            results=[TestResult._from_json(r) for r in d.get("results") or []],
        )

    @property
    def ok(self) -> bool:
        """True when every test passed."""
        return self.failed == 0


@dataclass(frozen=True)
class PlanCommunity:
    """A community of a plan: its ``name`` and its ``code`` from the roster."""

    name: str
    code: str


@dataclass(frozen=True)
class Visit:
    """One street supervised in a month: which communities, by which ``methods``, and why.

    ``reasons`` are ``never_visited``, ``least_recently_visited``, ``flagged`` or
    ``cycle_completion``; ``last_visited`` is the month of the street's previous visit
    (``"YYYY-MM"``), ``None`` when it was never visited.
    """

    street: str
    street_code: str
    communities: List[PlanCommunity]
    methods: List[str]
    reasons: List[str]
    last_visited: Optional[str]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Visit":
        return cls(
            street=d["street"],
            street_code=d.get("street_code", ""),
            communities=[
                PlanCommunity(name=c["name"], code=c.get("code", ""))
                for c in d.get("communities") or []
            ],
            methods=list(d.get("methods") or []),
            reasons=list(d.get("reasons") or []),
            last_visited=d.get("last_visited"),
        )


@dataclass(frozen=True)
class PlanMonth:
    """The visits of one ``month`` (``"YYYY-MM"``) of a plan."""

    month: str
    visits: List[Visit]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "PlanMonth":
        return cls(month=d["month"], visits=[Visit._from_json(v) for v in d.get("visits") or []])
