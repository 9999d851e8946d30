"""Engine-neutral reads for dbt Python models: every adapter's relation becomes a pandas frame the same way."""
from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from typing import Any

import pandas as pd


def to_pandas(relation: Any, sort_by: Sequence[str] | None = None) -> pd.DataFrame:
    """Turn what ``dbt.ref()`` / ``dbt.source()`` returns into pandas, whatever the engine.

    Parameters
    ----------
    relation : Any
        A Spark/Databricks DataFrame (``.toPandas()``), a Snowpark DataFrame (``.to_pandas()``), a DuckDB
        relation (``.df()``) or a pandas frame. Spark and Snowpark are tried first: their frames answer any
        attribute that could be a column name, so asking them for ``df`` proves nothing.
    sort_by : sequence of str, optional
        Key columns to sort by, so anything computed afterwards never depends on the engine's row order.

    Returns
    -------
    pandas.DataFrame
        With lower-case column names (Snowflake upper-cases them).
    """
    if isinstance(relation, pd.DataFrame):
        frame = relation.copy()
    elif _has_method(relation, "toPandas"):
        frame = relation.toPandas()
    elif _has_method(relation, "to_pandas"):
        frame = relation.to_pandas()
    elif _has_method(relation, "df"):
        frame = relation.df()
    else:
        raise TypeError(f"Cannot turn a {type(relation).__name__} into a pandas frame")
    frame.columns = [str(column).lower() for column in frame.columns]
    frame = engine_neutral_types(frame)
    if sort_by:
        frame = frame.sort_values(list(sort_by), kind="mergesort").reset_index(drop=True)
    return frame


def _has_method(relation: Any, name: str) -> bool:
    """True when the class defines the method (not a column that a frame's ``__getattr__`` would return)."""
    return callable(getattr(type(relation), name, None))


def engine_neutral_types(frame: pd.DataFrame) -> pd.DataFrame:
    """The same pandas types whatever the engine: Spark hands decimals over as ``Decimal`` objects and dates as
    ``datetime.date`` objects, where DuckDB gives float64 and datetime64; both become the DuckDB types.
    """
    converted = frame.copy()
    for column in converted.columns:
        if converted[column].dtype != object:
            continue
        values = converted[column].dropna()
        if values.empty:
            continue
        if all(isinstance(value, decimal.Decimal) for value in values):
            converted[column] = converted[column].astype("float64")
        elif all(isinstance(value, datetime.date) and not isinstance(value, datetime.datetime) for value in values):
            converted[column] = pd.to_datetime(converted[column]).astype("datetime64[us]")
    return converted


def read_existing(dbt: Any, session: Any) -> pd.DataFrame | None:
    """The rows an incremental Python model already holds, or None on its first build."""
    if not dbt.is_incremental:
        return None
    if hasattr(session, "sql"):
        relation = session.sql(f"select * from {dbt.this}")
    else:
        relation = session.table(str(dbt.this))
    return to_pandas(relation)
