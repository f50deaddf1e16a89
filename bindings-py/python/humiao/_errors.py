"""The exceptions `humiao` raises.

Every error is a :class:`HumiaoError`, which is a :class:`ValueError`, so code that already
catches ``ValueError`` around input handling keeps working. A wrong *type* of argument (an
``int`` where a date is expected) is a plain :class:`TypeError`, as everywhere in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

if TYPE_CHECKING:
    from ._types import Diagnostic, FactProblem

__all__ = [
    "HumiaoError",
    "PolicyError",
    "FactsError",
    "EvaluationError",
    "PlanError",
    "InternalError",
]


class HumiaoError(ValueError):
    """Base class of every error raised by humiao.

    ``message`` is the English text, ``message_zh`` the Chinese one; ``str(err)`` shows both.
    """

    message: str
    message_zh: str

    def __init__(self, message: str, message_zh: str = "") -> None:
        super().__init__(message if not message_zh else f"{message} / {message_zh}")
        self.message = message
        self.message_zh = message_zh

    # Pickling needs nothing more: BaseException pickles ``args`` and ``__dict__``, and every
    # subclass accepts ``args`` alone, so errors cross process boundaries with their attributes.


class PolicyError(HumiaoError):
    """The policy set could not be loaded: it has errors, or its folder could not be read.

    ``diagnostics`` lists every finding (errors first, then warnings), each with ``file``,
    ``line``, ``column``, ``code``, ``message`` and ``message_zh``. It is empty when the
    folder itself could not be read (the message says why).
    """

    diagnostics: List["Diagnostic"]

    def __init__(
        self, message: str, message_zh: str = "", diagnostics: Optional[List["Diagnostic"]] = None
    ) -> None:
        super().__init__(message, message_zh)
        self.diagnostics = list(diagnostics or [])


class FactsError(HumiaoError):
    """The facts of a case do not fit the policy's schema.

    ``errors`` lists every problem at once, each a :class:`~humiao.FactProblem` with the JSON
    ``path`` (``minor.age``, ``parents[1].since``), what was ``expected`` and what was
    ``found``. In :meth:`Policy.evaluate_many`, ``index`` is the position of the bad case in the
    input (``None`` for a single evaluation).
    """

    errors: List["FactProblem"]
    index: Optional[int]

    def __init__(
        self,
        message: str,
        message_zh: str = "",
        errors: Optional[List["FactProblem"]] = None,
        index: Optional[int] = None,
    ) -> None:
        super().__init__(message, message_zh)
        self.errors = list(errors or [])
        self.index = index


class EvaluationError(HumiaoError):
    """Evaluation of one case stopped (it exceeded its step budget).

    ``index`` is the position of the case in a batch, ``None`` for a single evaluation.
    """

    index: Optional[int]

    def __init__(self, message: str, message_zh: str = "", index: Optional[int] = None) -> None:
        super().__init__(message, message_zh)
        self.index = index


class PlanError(HumiaoError):
    """A rotation plan could not be made: no such rotation, an unreadable roster or history, a
    count of months out of range."""


class InternalError(HumiaoError):
    """A bug in humiao: the engine failed where it never should. Please report it with the input.

    Raised instead of letting a Rust panic reach Python.
    """

    index: Optional[int]

    def __init__(self, message: str, message_zh: str = "", index: Optional[int] = None) -> None:
        super().__init__(message, message_zh)
        self.index = index
