"""Tables of cases: pandas DataFrames and pyarrow Tables in, the same kind of table out.

Columns are fact paths (``discovered_at``, ``reporter.org_type``, ``minor.birth_date``); a
column may also hold whole sections or lists (``parents``) as Python objects. A missing value
(``None``, ``NaN``, ``NaT``, ``pd.NA``) means the fact is absent. The columns are handed to the
engine whole, so there is no Python loop per row: rows are assembled, evaluated (on all cores,
without the GIL) and turned into result columns in Rust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
    from . import Policy

__all__ = ["columns_of", "evaluate_table", "outcome_table"]


def _is_pandas(table: Any) -> bool:
    return type(table).__module__.split(".")[0] == "pandas" and hasattr(table, "columns")


def _is_arrow(table: Any) -> bool:
    return type(table).__module__.split(".")[0] == "pyarrow" and hasattr(table, "to_pydict")


def columns_of(table: Any) -> Dict[str, List[Any]]:
    """The columns of a pandas DataFrame, a pyarrow Table or RecordBatch, or a mapping of
    column name to sequence, as plain lists with ``None`` for missing values."""
    if _is_pandas(table):
        # astype(object) keeps Python scalars (Timestamp, int, bool); where() turns NaN, NaT
        # and pd.NA into None, vectorised.
        obj = table.astype(object)
        obj = obj.where(table.notna(), None)
        return {str(c): obj[c].tolist() for c in obj.columns}
    if _is_arrow(table):
        return {str(k): v for k, v in table.to_pydict().items()}
    if hasattr(table, "items"):
        return {str(k): list(v) for k, v in table.items()}
    raise TypeError(
        f"evaluate_table takes a pandas DataFrame, a pyarrow Table or a mapping of columns, "
        f"not {type(table).__name__}"
    )


def evaluate_table(policy: "Policy", table: Any, as_of: Any, **options: Any) -> Any:
    """See :meth:`humiao.Policy.evaluate_table`."""
    on_error = options.get("on_error", "raise")
    decisions = policy.evaluate_columns(columns_of(table), as_of, **options)
    from ._humiao import _decision_columns

    out = _decision_columns(decisions, on_error == "return", options.get("threads"))
    if _is_pandas(table):
        import pandas as pd

        return pd.DataFrame(out, index=table.index)
    if _is_arrow(table):
        import pyarrow as pa

        return pa.table(out)
    return out


def outcome_table(policy: "Policy", table: Any, as_of: Any, **options: Any) -> Any:
    """See :meth:`humiao.Policy.outcome_table`."""
    out = policy.outcome_columns(columns_of(table), as_of, **options)
    if "error" in out:
        # As evaluate_table: the failure's message, so the column holds text.
        out["error"] = [None if e is None else str(e) for e in out["error"]]
    if _is_pandas(table):
        import pandas as pd

        return pd.DataFrame(out, index=table.index)
    if _is_arrow(table):
        import pyarrow as pa

        return pa.table(out)
    return out
