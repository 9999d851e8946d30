"""The SQL scorer agrees with the Python scorer for every kind of champion.

One small warehouse is built once; then each case installs a champion of another kind in its registry (a LightGBM
model with isotonic calibration, a logistic model with Platt calibration, the rule-based fallback) and rebuilds only
the scoring models and the dbt test ``assert_sql_scorer_matches_python``, which fails on any open lead where the two
scorers differ (probability more than 1e-9 apart, score, band or any of the six reasons).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dbt_helpers import copy_warehouse, generate, run_dbt
from leadscore.ml import deserialize_model, serialize_model, train_lead_model
from leadscore.pipeline import TRAINABLE_ROWS_SQL, conform_to_schema

pytestmark = pytest.mark.integration  # runs dbt builds

SCORING_MODELS = (
    "ml_champion_model ml_model_parameters ml_model_features ml_model_category_levels ml_model_tree_nodes "
    "ml_model_leaf_contributions ml_model_linear_terms ml_model_curve_knots int_lead_scores_computed "
    "int_lead_scores_sql_leaves int_lead_scores_computed_sql"
).split()


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp("sql_scorer")
    db_path = work_dir / "warehouse.duckdb"
    generate(db_path, leads=1500, seed=11)
    # Only what the two scorers need: the monitoring marts and the other tests are not part of this check.
    run_dbt(["build", "-s", "+int_lead_scores_computed", "+int_lead_scores_computed_sql", "--exclude-resource-type", "test"],
            db_path, work_dir)
    return db_path


def install_champion(db_path: Path, algorithm: str, calibration: dict | None = None) -> str:
    """Train one candidate on the warehouse's features and append it to the registry as the newest champion."""
    with duckdb.connect(str(db_path)) as con:
        features = con.sql(f"select * from analytics.lead_features where {TRAINABLE_ROWS_SQL}").df()
        catalog = con.sql("select * from analytics_reference.feature_catalog").df()
        rules = con.sql("select * from analytics_reference.lead_scoring_rules").df()
        previous = con.sql("select * from analytics.ml_model_registry order by trained_at desc limit 1").df()
        trained_at = (pd.Timestamp(previous["trained_at"].iloc[0]) + timedelta(seconds=1)).to_pydatetime()
        features = features.sort_values(["lead_id", "as_of_date"], kind="mergesort").reset_index(drop=True)
        result = train_lead_model(features, catalog, rules, algorithms=(algorithm,), min_leads=100, min_positives=10,
                                  trained_at=trained_at.replace(tzinfo=timezone.utc))
        row = dict(result.registry_row)
        if calibration is not None:
            bundle = deserialize_model(row["model_json"])
            bundle.calibration = calibration
            row["model_json"] = serialize_model(bundle)
            row["calibration_method"] = calibration["method"]
        row.update(trained_at=trained_at, status="trained", is_promoted=True, promotion_reason="test champion",
                   deal_size_model_json=previous["deal_size_model_json"].iloc[0])
        frame = conform_to_schema(pd.DataFrame([row]))
        con.register("new_row", frame)
        con.execute("insert into analytics.ml_model_registry by name select * from new_row")
    return row["model_version"]


def mismatches(db_path: Path) -> pd.DataFrame:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.sql("""
            select p.lead_id, p.conversion_probability, s.conversion_probability as sql_probability,
                   p.priority_band, s.priority_band as sql_band, p.reason_up_1, s.reason_up_1 as sql_reason_up_1
            from analytics.int_lead_scores_computed as p
            full outer join analytics.int_lead_scores_computed_sql as s using (lead_id)
            where p.lead_id is null or s.lead_id is null
               or abs(coalesce(p.conversion_probability, -1) - coalesce(s.conversion_probability, -1)) > 1e-9
               or p.lead_score != s.lead_score or p.priority_band != s.priority_band
               or coalesce(p.reason_up_1, '') != coalesce(s.reason_up_1, '')
               or coalesce(p.reason_down_1, '') != coalesce(s.reason_down_1, '')
               or coalesce(p.contributions_json, '') != coalesce(s.contributions_json, '')
        """).df()


@pytest.mark.parametrize(("algorithm", "calibration"), [
    ("lightgbm", None),
    ("logistic", {"method": "platt", "a": 0.9, "b": -0.4, "input": "logit"}),
])
def test_sql_scorer_matches_python_for_each_champion_kind(built_warehouse, tmp_path, algorithm, calibration):
    db_path = copy_warehouse(built_warehouse, tmp_path / "warehouse.duckdb")
    version = install_champion(db_path, algorithm, calibration)
    run_dbt(["run", "-s", *SCORING_MODELS], db_path, tmp_path)
    run_dbt(["test", "-s", "assert_sql_scorer_matches_python"], db_path, tmp_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        versions = con.sql("select distinct model_version, scoring_method from analytics.int_lead_scores_computed_sql").fetchall()
    assert versions == [(version, "model")]
    assert mismatches(db_path).empty


def test_sql_scorer_matches_python_under_the_rule_based_fallback(built_warehouse, tmp_path):
    db_path = copy_warehouse(built_warehouse, tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(db_path)) as con:
        con.execute("update analytics.ml_model_registry set is_promoted = false")
    run_dbt(["run", "-s", *SCORING_MODELS], db_path, tmp_path)
    run_dbt(["test", "-s", "assert_sql_scorer_matches_python"], db_path, tmp_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        methods = con.sql("select distinct scoring_method from analytics.int_lead_scores_computed_sql").fetchall()
        scored = con.sql("select count(*) from analytics.int_lead_scores_computed_sql").fetchall()[0][0]
    assert methods == [("rule_based_fallback",)] and scored > 0
    assert mismatches(db_path).empty
