"""Engine-neutral reads for dbt Python models: every adapter's relation becomes a pandas frame the same way."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def to_pandas(relation: Any, sort_by: Sequence[str] | None = None) -> pd.DataFrame:
    """Turn what ``dbt.ref()`` / ``dbt.source()`` returns into pandas, whatever the engine.

    Parameters
    ----------
    relation : Any
        A DuckDB relation (``.df()``), a Spark/Databricks DataFrame (``.toPandas()``), a Snowpark DataFrame
        (``.to_pandas()``) or a pandas frame.
    sort_by : sequence of str, optional
        Key columns to sort by, so anything computed afterwards never depends on the engine's row order.

    Returns
    -------
    pandas.DataFrame
        With lower-case column names (Snowflake upper-cases them).
    """
    if isinstance(relation, pd.DataFrame):
        frame = relation.copy()
    elif hasattr(relation, "df"):
        frame = relation.df()
    elif hasattr(relation, "toPandas"):
        frame = relation.toPandas()
    elif hasattr(relation, "to_pandas"):
        frame = relation.to_pandas()
    else:
        raise TypeError(f"Cannot turn a {type(relation).__name__} into a pandas frame")
    frame.columns = [str(column).lower() for column in frame.columns]
    if sort_by:
        frame = frame.sort_values(list(sort_by), kind="mergesort").reset_index(drop=True)
    return frame


def read_existing(dbt: Any, session: Any) -> pd.DataFrame | None:
    """The rows an incremental Python model already holds, or None on its first build."""
    if not dbt.is_incremental:
        return None
    if hasattr(session, "sql"):
        relation = session.sql(f"select * from {dbt.this}")
    else:
        relation = session.table(str(dbt.this))
    return to_pandas(relation)
