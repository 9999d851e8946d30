"""Frame helpers shared by the ML modules: key order, flag coercion, trainable rows.

Everything here is a pure function of its inputs; no module keeps state.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LEAD_COLUMN = "lead_id"
DATE_COLUMN = "as_of_date"
LABEL_COLUMN = "label"
KEY_COLUMNS: tuple[str, str] = (LEAD_COLUMN, DATE_COLUMN)
#: Columns of ``lead_features`` that are never model inputs, whatever the catalog says.
RESERVED_COLUMNS: frozenset[str] = frozenset(
    {
        "lead_id",
        "as_of_date",
        "label",
        "is_label_mature",
        "is_never_worked",
        "is_scoring_row",
        "account_domain",
        "split",
    }
)

_TRUE_STRINGS = ("true", "t", "yes", "y", "1", "1.0")


def as_bool(values: pd.Series | Sequence) -> np.ndarray:
    """Coerce a flag column to a numpy bool array; missing counts as False.

    Parameters
    ----------
    values : pandas.Series or sequence
        Booleans, nullable booleans, 0/1 numbers or strings such as ``"true"``.

    Returns
    -------
    numpy.ndarray of bool
    """
    series = pd.Series(values)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        return np.nan_to_num(numbers, nan=0.0) != 0
    text = series.astype(object).map(lambda v: str(v).strip().lower() if v is not None else "")
    return text.isin(_TRUE_STRINGS).to_numpy(dtype=bool)


def to_float(values: pd.Series) -> np.ndarray:
    """Convert a numeric or boolean column to float64 with NaN for missing.

    Parameters
    ----------
    values : pandas.Series
        Numbers, booleans (plain, nullable or object) or numeric strings.

    Returns
    -------
    numpy.ndarray of float64
        Unparseable entries become NaN.
    """
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    as_objects = values.astype(object)
    lowered = as_objects.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    booleans = {"true": 1.0, "false": 0.0, True: 1.0, False: 0.0}
    mapped = lowered.map(lambda v: booleans.get(v, v) if isinstance(v, (str, bool, np.bool_)) else v)
    return pd.to_numeric(mapped, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def label_array(frame: pd.DataFrame, label_col: str = LABEL_COLUMN) -> np.ndarray:
    """Return the label column as int8 0/1 (callers pass labelled rows only)."""
    return to_float(frame[label_col]).astype(np.int8)


def trainable_mask(frame: pd.DataFrame, label_col: str = LABEL_COLUMN) -> np.ndarray:
    """Rows usable for training or evaluation: labelled and matured.

    A row qualifies when ``label`` is not null and ``is_label_mature`` is true (when the
    column exists). Nothing else selects rows: in particular ``is_never_worked`` (whether
    sales had touched the lead by the snapshot date) is a point-in-time fact like any
    feature, and keeping or dropping rows on it, or on any state reached after the
    snapshot date, would train on a population that scoring never sees.

    Parameters
    ----------
    frame : pandas.DataFrame
        Snapshot rows of ``lead_features``.
    label_col : str
        Name of the 0/1 label column.

    Returns
    -------
    numpy.ndarray of bool, aligned with ``frame`` rows.
    """
    mask = ~np.isnan(to_float(frame[label_col]))
    if "is_label_mature" in frame.columns:
        mask &= as_bool(frame["is_label_mature"])
    return mask


def sort_by_key(frame: pd.DataFrame, key: Sequence[str] = KEY_COLUMNS) -> pd.DataFrame:
    """Sort rows by a unique key so that nothing downstream depends on input row order.

    Parameters
    ----------
    frame : pandas.DataFrame
    key : sequence of str
        Columns that identify a row, ``(lead_id, as_of_date)`` by default.

    Returns
    -------
    pandas.DataFrame
        The same rows (original index kept), stably sorted by ``key``.

    Raises
    ------
    ValueError
        If a key column is missing or the key is not unique.
    """
    key = list(key)
    missing = [column for column in key if column not in frame.columns]
    if missing:
        raise ValueError(f"key column(s) {missing} not found in the frame")
    if frame.duplicated(subset=key).any():
        count = int(frame.duplicated(subset=key).sum())
        raise ValueError(f"{count} duplicated rows on key {key}; one row per key is required")
    return frame.sort_values(key, kind="mergesort")


def as_dates(values: pd.Series) -> pd.Series:
    """Parse a date column (dates, timestamps or ISO strings) to datetime64 at midnight."""
    return pd.to_datetime(values).dt.normalize()


def conform(frame: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """Exactly the schema's columns, in order and with their pandas types (missing columns become null).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame; extra columns are dropped.
    schema : dict of str to str
        Column name to pandas dtype (``"string"``, ``"Int64"``, ``"Float64"``, ``"boolean"``,
        ``"datetime64[us]"``).

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh index.
    """
    conformed = pd.DataFrame(index=frame.index)
    for column, dtype in schema.items():
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if dtype.startswith("datetime64"):
            conformed[column] = pd.to_datetime(values).astype(dtype)
        else:
            conformed[column] = values.astype(dtype)
    return conformed.reset_index(drop=True)
