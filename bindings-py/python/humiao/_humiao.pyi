"""Type stubs for the native module ``humiao._humiao`` (re-exported by ``humiao``)."""

import os
from datetime import date, datetime
from typing import (
    Any,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)

from ._errors import HumiaoError
from ._types import (
    Assumption,
    Conflict,
    Diagnostic,
    Missing,
    Obligation,
    Param,
    PlanMonth,
    PolicyRef,
    TestReport,
    TraceRule,
)

__version__: str

AsOf = Union[date, datetime, str]
"""A ``date``, a ``datetime`` (an aware one is taken in +08:00) or ``"YYYY-MM-DD"``."""

Facts = Union[Mapping[str, Any], str, bytes]
"""A case's facts: nested dicts as in the contract, or the same as JSON text."""

OnError = Literal["raise", "return"]

class Decision:
    """The decision for one case; ``to_json()`` is the CLI's bytes."""

    @property
    def policy(self) -> PolicyRef: ...
    @property
    def case_id(self) -> Optional[str]: ...
    @property
    def as_of(self) -> date: ...
    @property
    def status(self) -> Literal["determined", "undetermined", "conflict"]: ...
    @property
    def obligations(self) -> List[Obligation]: ...
    @property
    def conclusions(self) -> Dict[str, Any]: ...
    @property
    def undecided(self) -> List[str]: ...
    @property
    def conflicts(self) -> List[Conflict]: ...
    @property
    def missing(self) -> List[Missing]: ...
    @property
    def assumptions(self) -> List[Assumption]: ...
    @property
    def notes(self) -> List[str]: ...
    @property
    def fired(self) -> List[str]: ...
    @property
    def trace(self) -> Optional[List[TraceRule]]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object) -> bool: ...

class Plan:
    """A rotation plan; ``to_json()`` is the CLI's bytes."""

    @property
    def rotation(self) -> str: ...
    @property
    def start(self) -> str: ...
    @property
    def months(self) -> List[PlanMonth]: ...
    @property
    def notes(self) -> List[str]: ...
    @property
    def notes_zh(self) -> List[str]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_csv(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class Policy:
    """A checked and compiled policy set."""

    @staticmethod
    def load(
        path: Union[str, "os.PathLike[str]"], params: Optional[Mapping[str, Any]] = None
    ) -> "Policy": ...
    @staticmethod
    def from_sources(
        sources: Mapping[str, Union[str, bytes]], params: Optional[Mapping[str, Any]] = None
    ) -> "Policy": ...
    @staticmethod
    def from_bytes(data: bytes) -> "Policy": ...
    def to_bytes(self) -> bytes: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def digest(self) -> str: ...
    @property
    def params(self) -> List[Param]: ...
    @property
    def sources(self) -> Dict[str, str]: ...
    @property
    def conclusion_keys(self) -> List[str]: ...
    @property
    def rotations(self) -> List[str]: ...
    def plan(
        self,
        rotation: str,
        start: Union[str, date, datetime],
        months: int = 1,
        history: Union[None, Plan, str, "os.PathLike[str]", Sequence[Mapping[str, Any]], Mapping[str, Any]] = None,
        flags: Union[None, Mapping[str, str], Iterable[Union[str, Tuple[str, str]]]] = None,
    ) -> Plan: ...
    def check(self) -> List[Diagnostic]: ...
    def run_tests(self) -> TestReport: ...
    def evaluate(
        self,
        facts: Facts,
        as_of: AsOf,
        explain: bool = False,
        *,
        reveal_sensitive: bool = False,
        lenient: bool = False,
    ) -> Decision: ...
    @overload
    def evaluate_many(
        self,
        cases: Iterable[Facts],
        as_of: AsOf,
        threads: Optional[int] = None,
        *,
        explain: bool = False,
        reveal_sensitive: bool = False,
        lenient: bool = False,
        on_error: Literal["raise"] = "raise",
    ) -> List[Decision]: ...
    @overload
    def evaluate_many(
        self,
        cases: Iterable[Facts],
        as_of: AsOf,
        threads: Optional[int] = None,
        *,
        explain: bool = False,
        reveal_sensitive: bool = False,
        lenient: bool = False,
        on_error: Literal["return"],
    ) -> List[Union[Decision, HumiaoError]]: ...
    @overload
    def evaluate_columns(
        self,
        columns: Mapping[str, Sequence[Any]],
        as_of: AsOf,
        threads: Optional[int] = None,
        *,
        explain: bool = False,
        reveal_sensitive: bool = False,
        lenient: bool = False,
        on_error: Literal["raise"] = "raise",
    ) -> List[Decision]: ...
    @overload
    def evaluate_columns(
        self,
        columns: Mapping[str, Sequence[Any]],
        as_of: AsOf,
        threads: Optional[int] = None,
        *,
        explain: bool = False,
        reveal_sensitive: bool = False,
        lenient: bool = False,
        on_error: Literal["return"],
    ) -> List[Union[Decision, HumiaoError]]: ...
    def evaluate_table(
        self,
        table: Any,
        as_of: AsOf,
        threads: Optional[int] = None,
        *,
        explain: bool = False,
        reveal_sensitive: bool = False,
        lenient: bool = False,
        on_error: OnError = "raise",
    ) -> Any: ...
    def evaluate_outcomes(
        self,
        cases: Iterable[Union[Mapping[str, Any], str, bytes]],
        as_of: AsOf,
        keys: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        *,
        lenient: bool = False,
        on_error: OnError = "raise",
    ) -> Dict[str, List[Any]]: ...
    def outcome_columns(
        self,
        columns: Mapping[str, Sequence[Any]],
        as_of: AsOf,
        keys: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        *,
        lenient: bool = False,
        on_error: OnError = "raise",
    ) -> Dict[str, List[Any]]: ...
    def _decision_arrow(
        self,
        columns: Mapping[str, Any],
        as_of: AsOf,
        threads: Optional[int] = None,
        *,
        explain: bool = False,
        reveal_sensitive: bool = False,
        lenient: bool = False,
        on_error: OnError = "raise",
    ) -> Dict[str, Any]: ...
    def _outcome_arrow(
        self,
        columns: Mapping[str, Any],
        as_of: AsOf,
        keys: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        *,
        lenient: bool = False,
        on_error: OnError = "raise",
        sets: bool = True,
    ) -> Dict[str, Any]: ...
    def outcome_table(
        self,
        table: Any,
        as_of: AsOf,
        keys: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        *,
        lenient: bool = False,
        on_error: OnError = "raise",
        sets: Optional[Literal["lists", "arrow"]] = None,
    ) -> Any: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

def check(
    source: Union[str, "os.PathLike[str]", Mapping[str, Union[str, bytes]]],
    params: Optional[Mapping[str, Any]] = None,
) -> List[Diagnostic]: ...
def _policy_from_state(sources: List[Tuple[str, str]], params: str) -> Policy: ...
def _policy_from_bytes(data: bytes) -> Policy: ...
def _decision_from_json(json: str) -> Decision: ...
def _plan_from_json(json: str) -> Plan: ...
def _decision_columns(
    decisions: Iterable[Any], with_errors: bool, threads: Optional[int] = None
) -> Dict[str, Any]: ...

class _EncodedColumn: ...

def _encoded_column(
    kind: str,
    data: bytes,
    values: Optional[List[Any]] = None,
    offsets: Optional[bytes] = None,
    valid: Optional[bytes] = None,
    offset: int = 0,
    length: int = 0,
) -> _EncodedColumn: ...
def _truth_bits(
    refs: bytes, trues: Sequence[int], falses: Sequence[int], missing: Sequence[int]
) -> Optional[Tuple[bytes, bytes]]: ...
def _selftest_panic(in_worker: bool = False) -> None: ...
def _time_core(facts: Mapping[str, Any], as_of: AsOf, n: int, policy: Policy) -> float: ...
