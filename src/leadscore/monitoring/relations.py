"""Engine-neutral reads the monitoring Python models need beyond ``leadscore.warehouse.to_pandas``.

A backtest reads ``lead_features`` one week and a few columns at a time, and the registry reads the previous
build's alerts table without ``ref`` (a ``ref`` would close a cycle: the alerts depend on the registry).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from leadscore.warehouse import to_pandas


def select_rows(relation: Any, columns: Sequence[str], where: str) -> pd.DataFrame:
    """The rows of a relation matching a SQL condition, only the given columns, as pandas.

    Parameters
    ----------
    relation : Any
        A DuckDB relation (``filter`` / ``project``), a Spark DataFrame (``filter`` / ``select``) or a Snowpark
        DataFrame; the filter and projection run in the warehouse.
    columns : sequence of str
        Plain column names.
    where : str
        A SQL boolean expression.

    Returns
    -------
    pandas.DataFrame
        Lower-case column names.
    """
    filtered = relation.filter(where)
    if hasattr(filtered, "project"):
        selected = filtered.project(", ".join(columns))
    else:
        selected = filtered.select(*columns) if hasattr(filtered, "toPandas") else filtered.select(list(columns))
    return to_pandas(selected)


def sibling_relation(this: Any, identifier: str) -> str:
    """The quoted name of another table in the schema of ``dbt.this`` (same database and quoting)."""
    rendered = repr(this) if not isinstance(this, str) else this
    quote = rendered[-1] if rendered[-1] in "\"`" else ""
    return f"{rendered.rsplit('.', 1)[0]}.{quote}{identifier}{quote}"


def read_table_if_exists(session: Any, name: str) -> pd.DataFrame | None:
    """All rows of a table, or None when it does not exist yet (the first build)."""
    try:
        return to_pandas(session.sql(f"select * from {name}"))
    except Exception:  # each engine raises its own "no such table" error  # noqa: BLE001
        return None
