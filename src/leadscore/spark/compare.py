"""Row-for-row comparison of the same table built on two engines, with a readable list of differences."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

MAX_EXAMPLES = 5


@dataclass
class TableDiff:
    """What differs between two builds of one table; empty lists mean identical within tolerance."""

    table: str
    rows: tuple[int, int]
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    duplicate_keys: list[str] = field(default_factory=list)
    only_in_expected: list[str] = field(default_factory=list)
    only_in_actual: list[str] = field(default_factory=list)
    column_mismatches: dict[str, tuple[int, list[str]]] = field(default_factory=dict)

    @property
    def is_equal(self) -> bool:
        """True when nothing differs."""
        return not (self.missing_columns or self.extra_columns or self.duplicate_keys or self.only_in_expected
                    or self.only_in_actual or self.column_mismatches)

    def report(self, expected_name: str = "duckdb", actual_name: str = "spark") -> str:
        """The differences in words, one line each, examples indented."""
        head = f"{self.table}: {self.rows[0]} rows on {expected_name}, {self.rows[1]} on {actual_name}"
        if self.is_equal:
            return f"{head}: identical"
        lines = [f"{head}: DIFFERENT"]
        if self.missing_columns:
            lines.append(f"  columns only on {expected_name}: {', '.join(self.missing_columns)}")
        if self.extra_columns:
            lines.append(f"  columns only on {actual_name}: {', '.join(self.extra_columns)}")
        if self.duplicate_keys:
            lines.append(f"  repeated keys: {'; '.join(self.duplicate_keys[:MAX_EXAMPLES])}")
        for side, keys in ((expected_name, self.only_in_expected), (actual_name, self.only_in_actual)):
            if keys:
                lines.append(f"  {len(keys)} keys only on {side}, e.g. {'; '.join(keys[:MAX_EXAMPLES])}")
        for column, (count, examples) in sorted(self.column_mismatches.items()):
            lines.append(f"  {column}: {count} rows differ")
            lines.extend(f"    {example}" for example in examples)
        return "\n".join(lines)


def normalize_value(value: Any) -> Any:
    """One representation per value whatever the engine: None for nulls, float for numbers, Timestamp for
    dates and times, parsed JSON for JSON text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return normalize_value(value.item())
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return pd.Timestamp(value).tz_localize(None) if pd.Timestamp(value).tzinfo else pd.Timestamp(value)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def values_match(expected: Any, actual: Any, rel_tol: float, abs_tol: float) -> bool:
    """Equal, with floats (also inside JSON) within the tolerances."""
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_match(expected[name], actual[name], rel_tol, abs_tol) for name in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_match(left, right, rel_tol, abs_tol) for left, right in zip(expected, actual))
    return expected == actual


def _keyed(frame: pd.DataFrame, key: Sequence[str]) -> tuple[dict[tuple, dict[str, Any]], list[str]]:
    """Rows by normalized key, plus the keys that occur more than once."""
    rows: dict[tuple, dict[str, Any]] = {}
    duplicates = []
    for record in frame.to_dict("records"):
        normalized = {column: normalize_value(value) for column, value in record.items()}
        row_key = tuple(normalized[column] for column in key)
        if row_key in rows:
            duplicates.append(_key_text(key, row_key))
        rows[row_key] = normalized
    return rows, duplicates


def _key_text(key: Sequence[str], values: tuple) -> str:
    return ", ".join(f"{column}={value}" for column, value in zip(key, values))


def compare_frames(
    table: str,
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    key: Sequence[str],
    ignore_columns: Sequence[str] = (),
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-9,
) -> TableDiff:
    """Compare two builds of a table row for row, matching rows on ``key``.

    Parameters
    ----------
    table : str
        Name used in the report.
    expected, actual : pandas.DataFrame
        The reference build (DuckDB) and the build under test (Spark); column names are compared lower-cased.
    key : sequence of str
        Columns that identify a row.
    ignore_columns : sequence of str
        Columns expected to differ between builds (the build's own timestamp).
    rel_tol, abs_tol : float
        Tolerance for floats: different engines sum in different orders.

    Returns
    -------
    TableDiff
    """
    expected = expected.rename(columns=str.lower)
    actual = actual.rename(columns=str.lower)
    ignored = {column.lower() for column in ignore_columns}
    expected_columns = [column for column in expected.columns if column not in ignored]
    actual_columns = [column for column in actual.columns if column not in ignored]
    diff = TableDiff(
        table=table,
        rows=(len(expected), len(actual)),
        missing_columns=[column for column in expected_columns if column not in actual_columns],
        extra_columns=[column for column in actual_columns if column not in expected_columns],
    )
    shared = [column for column in expected_columns if column in actual_columns]
    expected_rows, expected_duplicates = _keyed(expected[shared], key)
    actual_rows, actual_duplicates = _keyed(actual[shared], key)
    diff.duplicate_keys = expected_duplicates + actual_duplicates
    diff.only_in_expected = [_key_text(key, k) for k in sorted(expected_rows.keys() - actual_rows.keys(), key=str)]
    diff.only_in_actual = [_key_text(key, k) for k in sorted(actual_rows.keys() - expected_rows.keys(), key=str)]
    for row_key in sorted(expected_rows.keys() & actual_rows.keys(), key=str):
        left, right = expected_rows[row_key], actual_rows[row_key]
        for column in shared:
            if column in key or values_match(left[column], right[column], rel_tol, abs_tol):
                continue
            count, examples = diff.column_mismatches.get(column, (0, []))
            if len(examples) < MAX_EXAMPLES:
                examples.append(f"{_key_text(key, row_key)}: {left[column]!r} vs {right[column]!r}")
            diff.column_mismatches[column] = (count + 1, examples)
    return diff
