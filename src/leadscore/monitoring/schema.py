"""Fixed output schemas: every frame a monitoring model returns has exactly its declared columns and types."""
from __future__ import annotations

import pandas as pd


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
