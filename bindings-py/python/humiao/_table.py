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


def _check_table(table: Any) -> None:
    """A table whose columns cannot be read as facts one-to-one is refused: a column name given
    twice (one of the two would be dropped without a word) or rows without any column (they
    would vanish from the result)."""
    from ._errors import HumiaoError

    if _is_pandas(table):
        names, rows = [str(c) for c in table.columns], len(table.index)
    elif _is_arrow(table) and hasattr(table, "column_names"):
        names, rows = [str(c) for c in table.column_names], table.num_rows
    else:
        return
    seen = set()
    for n in names:
        if n in seen:
            raise HumiaoError(f"the table has two columns named `{n}`; keep one",
                              f"表中有两列名为 `{n}`，请只保留一列")
        seen.add(n)
    if not names and rows:
        raise HumiaoError(f"the table has {rows} rows but no columns (a column is a fact path)",
                          f"表有 {rows} 行，但没有任何列（列名为事实路径）")


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


# infer_dtype's answers for an object column whose equal values are alike (no True beside 1,
# no 1 beside 1.0): such a column may be read through its distinct values.
_UNIFORM = frozenset({"string", "boolean", "integer", "date", "datetime"})


def _pandas_column(s: Any) -> Any:
    import numpy as np
    import pandas as pd

    from ._humiao import _encoded_column

    dt = s.dtype
    if isinstance(dt, np.dtype) and dt.kind == "b":
        return _encoded_column("bool", s.to_numpy().tobytes())
    if isinstance(dt, np.dtype) and (dt.kind == "i" or (dt.kind == "u" and dt.itemsize < 8)):
        return _encoded_column("int", s.to_numpy().astype("<i8", copy=False).tobytes())
    if isinstance(dt, np.dtype) and dt.kind == "f":
        return _encoded_column("float", s.to_numpy().astype("<f8", copy=False).tobytes())
    if isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow":
        # pandas keeps these texts in an Arrow array already.
        import pyarrow as pa

        return _arrow_text(pa.array(s.array))
    if isinstance(dt, pd.BooleanDtype):
        # pandas' nullable truth values: 0 and 1, 2 where missing.
        codes = s.to_numpy(dtype="uint8", na_value=2)
        return _encoded_column("bool", codes.tobytes())
    if dt == object:
        # Truth values with gaps (True, False, None): told by the cells' identities, a word
        # each, with no Python object touched.
        bits = _object_truth_bits(s)
        if bits is not None:
            return bits
        # Others (NaN among them): pyarrow makes them bitmaps in one pass, three times faster
        # than inferring and factorizing them.
        a = _arrow_of_object(s)
        if a is not None:
            return _arrow_column(a)
    if dt == object and pd.api.types.infer_dtype(s, skipna=True) not in _UNIFORM:
        raise TypeError("a column of mixed values")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = pd.Index(uniques).astype(object).tolist()
    return _encoded_column("codes", codes.astype("<i8", copy=False).tobytes(), values)


def _object_truth_bits(s: Any) -> Any:
    """An object column whose cells are all ``True``, ``False`` (or NumPy's), ``None`` or
    ``pandas.NA``, and at least one a truth value, as an encoded ``"bits"`` column; else
    ``None``. The cells are told apart by identity (``cell is True``) on the addresses NumPy
    keeps for them (``id`` in CPython): ``_truth_bits`` compares those words and reads nothing
    through them."""
    import platform

    import numpy as np
    import pandas as pd

    from ._humiao import _encoded_column, _truth_bits

    if platform.python_implementation() != "CPython" or np.dtype(np.uintp).itemsize != 8:
        return None
    arr = s.to_numpy()
    if arr.dtype != object or arr.ndim != 1:
        return None
    try:
        refs = np.frombuffer(np.ascontiguousarray(arr), dtype=np.uintp)
    except (TypeError, ValueError, BufferError):
        return None
    bits = _truth_bits(
        refs.tobytes(),
        [id(True), id(np.True_)],
        [id(False), id(np.False_)],
        [id(None), id(pd.NA)],
    )
    if bits is None:
        return None
    values, valid = bits
    return _encoded_column("bits", values, valid=valid, length=len(arr))


def _arrow_of_object(s: Any) -> Any:
    """An object column of truth values and missing values as a pyarrow ``bool`` array, or
    ``None`` (no pyarrow, values of another kind, or none at all)."""
    import numpy as np
    import pandas as pd

    # The first value among the first 64 cells says whether pyarrow's pass is worth trying
    # (texts, dates and numbers are not truth values); pyarrow decides for the whole column.
    for v in s.to_numpy()[:64]:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            continue
        if not isinstance(v, (bool, np.bool_)):
            return None
        break
    try:
        import pyarrow as pa

        a = pa.array(s, from_pandas=True)
    except (ImportError, TypeError, ValueError, ArithmeticError, NotImplementedError):
        return None
    return a if pa.types.is_boolean(a.type) else None


def _arrow_text(a: Any) -> Any:
    """An Arrow ``string`` or ``large_string`` array handed over as its buffers: each text is
    read where it is used (one parse per row on the worker threads), with no Python ``str``
    per distinct value and no dictionary to build."""
    import pyarrow as pa

    from ._humiao import _encoded_column

    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    valid, offsets, data = a.buffers()
    return _encoded_column(
        "text64" if pa.types.is_large_string(a.type) else "text32",
        b"" if data is None else data.to_pybytes(),
        offsets=b"" if offsets is None else offsets.to_pybytes(),
        valid=None if valid is None or a.null_count == 0 else valid.to_pybytes(),
        offset=a.offset,
        length=len(a),
    )


def _arrow_column(col: Any) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._humiao import _encoded_column

    t = col.type
    if pa.types.is_boolean(t):
        # Arrow's bitmaps as they are, unpacked by the engine.
        a = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        valid, data = a.buffers()
        return _encoded_column(
            "bits",
            b"" if data is None else data.to_pybytes(),
            valid=None if valid is None or a.null_count == 0 else valid.to_pybytes(),
            offset=a.offset,
            length=len(a),
        )
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _arrow_text(col)
    if pa.types.is_integer(t) and col.null_count == 0 and (
        pa.types.is_signed_integer(t) or t.bit_width < 64
    ):
        return _encoded_column("int", col.to_numpy().astype("<i8", copy=False).tobytes())
    if pa.types.is_floating(t):
        # Nulls become NaN, a missing value as to_pydict's None is.
        return _encoded_column("float", col.to_numpy().astype("<f8", copy=False).tobytes())
    # A RecordBatch's columns are arrays, a Table's chunked arrays.
    d = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_dictionary(d.type):
        d = d.dictionary_encode()
    codes = pc.fill_null(d.indices, -1).to_numpy().astype("<i8")
    return _encoded_column("codes", codes.tobytes(), d.dictionary.to_pylist())


def _encoded_columns(table: Any) -> Dict[str, Any]:
    """The columns of a pandas DataFrame or a pyarrow Table handed to the engine whole, each as
    its values' bytes (truth values, integers, floats) or as codes into its distinct values,
    made by pandas or pyarrow in C: no Python object per cell. A column neither can encode
    (values of mixed kinds, dicts, lists) goes as the list ``columns_of`` gives; so does every
    column of another kind of table. Each value reads as in ``columns_of``."""
    try:
        import numpy  # noqa: F401  (both encoders need it; pyarrow can be installed without)
    except ImportError:
        return columns_of(table)
    out: Dict[str, Any] = {}
    if _is_pandas(table):
        for i, name in enumerate(table.columns):
            s = table.iloc[:, i]
            try:
                out[str(name)] = _pandas_column(s)
            except (TypeError, ValueError):
                out[str(name)] = s.astype(object).where(s.notna(), None).tolist()
        return out
    if _is_arrow(table) and hasattr(table, "columns") and hasattr(table, "column_names"):
        for name, col in zip(table.column_names, table.columns):
            try:
                out[str(name)] = _arrow_column(col)
            except (TypeError, ValueError, NotImplementedError, ArithmeticError, LookupError):
                out[str(name)] = col.to_pylist()
        return out
    return columns_of(table)


def evaluate_table(policy: "Policy", table: Any, as_of: Any, **options: Any) -> Any:
    """See :meth:`humiao.Policy.evaluate_table`."""
    _check_table(table)
    if _is_arrow(table) and hasattr(table, "num_rows"):
        # Every column written as Arrow's buffers from the decisions, no Python object per
        # row: the table pa.table() would make of the lists below, type for type.
        import pyarrow as pa

        out = policy._decision_arrow(_encoded_columns(table), as_of, **options)
        rows = table.num_rows
        # The decisions' JSON is a text column even with no decision in it, as it always was.
        return pa.table({k: _arrow_array(v, rows) if k == "decision" else _inferred_array(v, rows)
                         for k, v in out.items()})
    on_error = options.get("on_error", "raise")
    decisions = policy.evaluate_columns(_encoded_columns(table), as_of, **options)
    from ._humiao import _decision_columns

    out = _decision_columns(decisions, on_error == "return", options.get("threads"))
    if _is_pandas(table):
        import pandas as pd

        return pd.DataFrame(out, index=table.index)
    return out


def _inferred_array(column: Any, rows: int) -> Any:
    """A column of ``Policy._decision_arrow`` as an array of the type ``pyarrow.table`` infers
    from the same values as Python lists: ``null`` for a column null in every row (none at
    all, or every row failed), and a list column with no item in any row ``list<null>``; a
    list of values as it is."""
    import pyarrow as pa

    if isinstance(column, list):
        return column
    if column[0] == "null":
        return pa.nulls(rows)
    a = _arrow_array(column, rows)
    if a.null_count == rows:
        return pa.nulls(rows)
    if pa.types.is_list(a.type) or pa.types.is_large_list(a.type):
        if len(a.values) == 0:
            valid, offsets = a.buffers()[:2]
            kind = pa.list_(pa.null()) if pa.types.is_list(a.type) else pa.large_list(pa.null())
            return pa.Array.from_buffers(kind, rows, [valid, offsets], children=[pa.nulls(0)])
    return a


def _arrow_array(column: Any, rows: int) -> Any:
    """A column of ``Policy._outcome_arrow``: Arrow's buffers (see ``arrow_out.rs``) made into
    an array, or a list of values as it is."""
    import pyarrow as pa

    if isinstance(column, list):
        return column

    def buf(b: Any) -> Any:
        return None if b is None else pa.py_buffer(b)

    def texts(spec: Any, n: int) -> Any:
        large, offsets, data = spec
        kind = pa.large_string() if large else pa.string()
        return kind, [buf(offsets), buf(data)]

    if column[0] == "bool":
        _, values, valid = column
        return pa.Array.from_buffers(pa.bool_(), rows, [buf(valid), buf(values)])
    if column[0] == "text":
        _, spec, valid = column
        kind, bufs = texts(spec, rows)
        return pa.Array.from_buffers(kind, rows, [buf(valid)] + bufs)
    _, large, offsets, valid, items, members = column
    kind, bufs = texts(members, items)
    child = pa.Array.from_buffers(kind, items, [None] + bufs)
    list_kind = pa.large_list(kind) if large else pa.list_(kind)
    return pa.Array.from_buffers(list_kind, rows, [buf(valid), buf(offsets)], children=[child])


def _pandas_of_arrow(out: Dict[str, Any], index: Any) -> Any:
    """A DataFrame of ``Policy._outcome_arrow``'s columns with the values and dtypes
    ``pd.DataFrame`` gives the lists of ``outcome_columns``: truth values and texts from their
    Arrow arrays (no Python object per cell; a missing text is NaN in pandas 3's ``str``
    column, as before); sets (lists from the engine) and columns missing in every row as
    lists. Sets written as Arrow lists (``sets="arrow"``) stay Arrow arrays: a
    ``list<string>[pyarrow]`` column."""
    import pandas as pd
    import pyarrow as pa

    rows = len(index)
    cols: Dict[str, Any] = {}
    for k, v in out.items():
        if isinstance(v, list):
            cols[k] = v
            continue
        a = _arrow_array(v, rows)
        if pa.types.is_list(a.type) or pa.types.is_large_list(a.type):
            cols[k] = pd.Series(pd.arrays.ArrowExtensionArray(a), index=index, copy=False)
        elif a.null_count == rows:
            cols[k] = [None] * rows
        else:
            s = a.to_pandas()
            s.index = index
            cols[k] = s
    return pd.DataFrame(cols, index=index)


def outcome_table(policy: "Policy", table: Any, as_of: Any, **options: Any) -> Any:
    """See :meth:`humiao.Policy.outcome_table`."""
    _check_table(table)
    sets = options.pop("sets", None)
    if sets not in (None, "lists", "arrow"):
        raise ValueError(f'sets is "lists" or "arrow", not {sets!r}')
    arrow_ok = True
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        arrow_ok = False
    if sets == "arrow" and not arrow_ok:
        raise ImportError('sets="arrow" needs pyarrow')
    if sets == "lists" and _is_arrow(table):
        raise ValueError('a pyarrow result holds its sets as Arrow lists; sets="lists" is for a pandas DataFrame')
    if arrow_ok and (_is_arrow(table) or _is_pandas(table)):
        import pyarrow as pa

        # A pandas result's sets are Python lists unless asked for as Arrow lists; the lists
        # are made in Rust (pyarrow's to_pylist makes them ten times slower).
        arrow_sets = not _is_pandas(table) or sets == "arrow"
        out = policy._outcome_arrow(_encoded_columns(table), as_of, **options, sets=arrow_sets)
        if "error" in out:
            out["error"] = [None if e is None else str(e) for e in out["error"]]
        if _is_pandas(table):
            return _pandas_of_arrow(out, table.index)
        rows = table.num_rows
        return pa.table({k: _arrow_array(v, rows) for k, v in out.items()})
    if sets == "arrow":
        raise ValueError(f'sets="arrow" is for a pandas DataFrame, not {type(table).__name__}')
    out = policy.outcome_columns(_encoded_columns(table), as_of, **options)
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
