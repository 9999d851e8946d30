"""The pieces of ``make test-spark`` that need no Spark: the row-for-row comparison, the profile's Spark settings
and the engine-neutral frame helper."""
from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pandas as pd
import pytest

from leadscore.spark.compare import compare_frames, normalize_value
from leadscore.spark.session import spark_settings
from leadscore.warehouse import engine_neutral_types, to_pandas

PROFILES = Path(__file__).resolve().parents[2] / "profiles.yml"


def test_identical_frames_match_whatever_the_engine_types() -> None:
    duckdb_like = pd.DataFrame({"lead_id": ["b", "a"], "as_of_date": pd.to_datetime(["2025-01-02", "2025-01-01"]),
                                "score": [0.25, 0.5], "n": [1, 2]})
    spark_like = pd.DataFrame({"LEAD_ID": ["a", "b"], "AS_OF_DATE": [dt.date(2025, 1, 1), dt.date(2025, 1, 2)],
                               "SCORE": [decimal.Decimal("0.5"), 0.25 + 1e-12], "N": [2.0, 1.0]})
    diff = compare_frames("t", duckdb_like, spark_like, ["lead_id", "as_of_date"])
    assert diff.is_equal, diff.report()
    assert diff.report().endswith("identical")


def test_differences_are_named_by_column_and_key() -> None:
    expected = pd.DataFrame({"lead_id": ["a", "b", "c"], "score": [0.1, 0.2, 0.3], "band": ["A", "B", "C"]})
    actual = pd.DataFrame({"lead_id": ["a", "b", "d"], "score": [0.1, 0.2001, 0.3], "band": ["A", "B", "C"],
                           "extra": [1, 2, 3]})
    diff = compare_frames("lead_scores", expected, actual, ["lead_id"])
    report = diff.report()
    assert not diff.is_equal
    assert diff.only_in_expected == ["lead_id=c"] and diff.only_in_actual == ["lead_id=d"]
    assert diff.column_mismatches["score"][0] == 1 and "lead_id=b: 0.2 vs 0.2001" in report
    assert diff.extra_columns == ["extra"] and "band" not in diff.column_mismatches


def test_json_text_is_compared_as_numbers_within_tolerance() -> None:
    expected = pd.DataFrame({"k": [1], "contributions_json": ['{"a": 0.1, "b": [1, 2]}']})
    close = pd.DataFrame({"k": [1], "contributions_json": ['{"b":[1.0,2.0],"a":0.1000000000001}']})
    far = pd.DataFrame({"k": [1], "contributions_json": ['{"a": 0.2, "b": [1, 2]}']})
    assert compare_frames("t", expected, close, ["k"]).is_equal
    assert not compare_frames("t", expected, far, ["k"]).is_equal


def test_ignored_columns_and_nulls() -> None:
    expected = pd.DataFrame({"k": [1], "scored_at": [pd.Timestamp("2025-01-01")], "x": [None]})
    actual = pd.DataFrame({"k": [1], "scored_at": [pd.Timestamp("2026-01-01")], "x": [float("nan")]})
    assert compare_frames("t", expected, actual, ["k"], ignore_columns=["scored_at"]).is_equal
    assert normalize_value(pd.NaT) is None


def test_profile_spark_settings_render_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCORE_SPARK_DIR", "/tmp/somewhere")
    settings = spark_settings(PROFILES)
    assert settings["spark.sql.warehouse.dir"] == "/tmp/somewhere/warehouse"
    assert "/tmp/somewhere/metastore_db" in settings["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert settings["spark.master"].startswith("local")


class _ColumnsAsAttributes:
    """Like a Spark or Snowpark frame: any attribute name answers (as a column), and toPandas converts."""

    def __getattr__(self, name: str) -> object:
        return f"column {name}"

    def toPandas(self) -> pd.DataFrame:  # noqa: N802 (Spark's name)
        return pd.DataFrame({"ID": [2, 1], "Day": [dt.date(2025, 1, 2), dt.date(2025, 1, 1)],
                             "Amount": [decimal.Decimal("1.5"), None]})


def test_to_pandas_prefers_real_methods_and_normalizes_types() -> None:
    frame = to_pandas(_ColumnsAsAttributes(), sort_by=["id"])
    assert list(frame.columns) == ["id", "day", "amount"]
    assert frame["id"].tolist() == [1, 2]
    assert frame["day"].dtype == "datetime64[us]" and frame["amount"].dtype == "float64"


def test_engine_neutral_types_leaves_text_alone() -> None:
    frame = engine_neutral_types(pd.DataFrame({"s": ["a", None], "o": [dt.date(2025, 1, 1), "x"]}))
    assert frame["o"].tolist() == [dt.date(2025, 1, 1), "x"]


def test_every_python_model_switch_uses_the_same_adapter_list() -> None:
    """dbt renders dbt_project.yml before its vars exist, so the default list of adapters that run Python models is
    written where each switch reads it (Python models on, stand-ins for imported tables off, scorer choice); a
    switch with another list would leave a target with both or neither."""
    import re

    project = (Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text()
    defaults = set(re.findall(r"var\('python_model_adapters', (\[[^\]]*\])\)", project))
    assert len(re.findall(r"var\('python_model_adapters'", project)) >= 3
    assert defaults == {"['duckdb', 'databricks', 'snowflake', 'bigquery']"}
