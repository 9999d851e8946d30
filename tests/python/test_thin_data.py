"""Thin or odd data builds and scores every open lead: it degrades, it never crashes the build.

Two hand-made raw datasets, each built once with ``dbt build``. Both start from the generator over nine months and
are then shaped the way real exports are: no opportunity carries an amount, and no lead converted in the first
two months (those leads are marked unqualified and their opportunities removed).

- ``short``: about 1,500 leads. Above the minimum (var min_labeled_leads 500, min_positive_labels 50), but six
  months of matured labels leave no room for train, validation and test with two 90-day embargoes. A model must
  still be trained (validation on held-out leads, leadscore.ml.split), without a deal-size model, the limitation
  recorded, expected value null and every open lead scored with a probability. The model goes live when it beats
  the rule points on its test split; otherwise (few conversions to learn from, as here) the row says so and the
  calibrated rule points stay live.
  The CRM also carries custom fields of every type (var lead_custom_fields): a boolean, a number, numbers and
  yes/no answers stored as text, a picklist and a free-text note; each becomes a feature of its kind or is
  dropped with its reason (the note, one value per lead).
- ``tiny``: 300 leads, below the minimum. Scores fall back to the rule points, and the probability is the
  registry's Platt map on the points, fitted on matured history: present on every open lead, equal to the map
  applied to the points, and calibrated in the large on the rows it was fitted on.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dbt_helpers import generate, run_dbt

pytestmark = pytest.mark.integration

MONTHS = 9
SEED = 11
FIRST_CONVERSIONS_KEPT = "2025-12-01"  # the generator's timeline of nine months runs from 2025-09-30 to 2026-06-30
THIN_SHAPES = [
    "update salesforce.opportunity set amount = null",
    f"""delete from salesforce.opportunity where id in (
        select converted_opportunity_id from salesforce.lead where converted_date < date '{FIRST_CONVERSIONS_KEPT}')""",
    f"""update salesforce.lead
        set is_converted = false, status = 'Unqualified', converted_date = null, converted_account_id = null,
            converted_contact_id = null, converted_opportunity_id = null
        where converted_date < date '{FIRST_CONVERSIONS_KEPT}'""",
]
CUSTOM_FIELD_KINDS = {
    "is_partner__c": "boolean",
    "fit_score__c": "numeric",
    "seats__c": "numeric",  # numbers landed as text
    "has_budget__c": "boolean",  # 'Yes' / 'no' answers landed as text
    "region__c": "categorical",
}
CUSTOM_FIELDS = [*CUSTOM_FIELD_KINDS, "notes__c"]
CUSTOM_SHAPES = [
    """alter table salesforce.lead add column is_partner__c boolean""",
    """alter table salesforce.lead add column fit_score__c double""",
    """alter table salesforce.lead add column seats__c varchar""",
    """alter table salesforce.lead add column has_budget__c varchar""",
    """alter table salesforce.lead add column region__c varchar""",
    """alter table salesforce.lead add column notes__c varchar""",
    """update salesforce.lead set
        is_partner__c = hash(id) % 5 = 0,
        fit_score__c = (hash(id) % 1000) / 10.0,
        seats__c = case when hash(id) % 10 = 0 then null else cast(hash(id) % 200 as varchar) end,
        has_budget__c = case hash(id) % 3 when 0 then 'Yes' when 1 then ' no ' end,
        region__c = case hash(id) % 4 when 0 then 'EMEA' when 1 then 'AMER' when 2 then 'APAC' end,
        notes__c = 'called about ' || id""",
]


def query(db_path: Path, sql: str) -> pd.DataFrame:
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return connection.execute(sql).df()
    finally:
        connection.close()


def run_results(work_dir: Path) -> dict[str, str]:
    results = json.loads((work_dir / "target" / "run_results.json").read_text())
    return {entry["unique_id"]: entry["status"] for entry in results["results"]}


def build_thin_dataset(db_path: Path, dbt_dir: Path, leads: int, custom_fields: bool = False) -> dict:
    """Generate, reshape and build one dataset; returns its path, the dbt statuses and the build's wall time."""
    generate(db_path, leads=leads, seed=SEED, extra=["--months", str(MONTHS), "--no-truth"])
    connection = duckdb.connect(str(db_path))
    try:
        for statement in THIN_SHAPES + (CUSTOM_SHAPES if custom_fields else []):
            connection.execute(statement)
        early = connection.execute(
            f"select count(*) from salesforce.lead where converted_date < date '{FIRST_CONVERSIONS_KEPT}'").fetchone()
        amounts = connection.execute("select count(amount) from salesforce.opportunity").fetchone()
    finally:
        connection.close()
    assert early == (0,) and amounts == (0,)
    started = time.monotonic()
    run_dbt(["build"], db_path, dbt_dir, {"lead_custom_fields": CUSTOM_FIELDS} if custom_fields else None)
    return {"db": db_path, "statuses": run_results(dbt_dir), "build_seconds": time.monotonic() - started}


def assert_every_open_lead_scored_with_a_probability(built: dict) -> pd.DataFrame:
    db_path = built["db"]
    open_leads = set(query(db_path, "select lead_id from analytics.int_open_leads_to_score")["lead_id"])
    scores = query(db_path, "select * from analytics.lead_scores")
    assert len(open_leads) > 50
    assert set(scores["lead_id"]) == open_leads and scores["lead_id"].is_unique
    assert scores["conversion_probability"].notna().all()
    assert scores["conversion_probability"].between(0, 1).all()
    statuses = built["statuses"]
    for test in ("assert_every_open_lead_scored_once", "assert_sql_scorer_matches_python"):
        assert statuses[f"test.lead_scoring.{test}"] == "pass"
    return scores


@pytest.fixture(scope="module")
def dbt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dbt target for both builds: the second reuses the first one's parse."""
    return tmp_path_factory.mktemp("thin_dbt")


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory, dbt_dir: Path) -> dict:
    return build_thin_dataset(tmp_path_factory.mktemp("thin_short") / "thin.duckdb", dbt_dir, leads=1500,
                              custom_fields=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, dbt_dir: Path) -> dict:
    return build_thin_dataset(tmp_path_factory.mktemp("thin_tiny") / "thin.duckdb", dbt_dir, leads=300)


def test_short_history_without_amounts_trains_a_model_and_scores_every_open_lead(short):
    registry = query(short["db"], "select * from analytics.ml_model_registry")
    assert len(registry) == 1
    row = registry.iloc[0]
    assert row["status"] == "trained" and row["algorithm"] != "rule_points", row["promotion_reason"]
    assert row["labeled_leads"] >= 500 and row["labeled_positives"] >= 50
    # nine months of history leave six of matured labels: no room for two embargoes of 90 days
    assert row["split_mode"] == "lead_holdout"
    assert "lead-grouped holdout" in row["limitations"]
    assert row["train_positives"] > 0 and row["validation_positives"] > 0 and row["test_positives"] > 0
    assert pd.isna(row["deal_size_model_json"])
    assert "No deal-size model" in row["limitations"] and "expected_deal_value are null" in row["limitations"]

    beats_rules = row["test_auc_roc"] >= row["rule_points_test_auc_roc"]
    assert bool(row["is_promoted"]) == beats_rules
    live = "model" if beats_rules else "rule_based_fallback"
    if not beats_rules:
        assert "below the rule points'" in row["promotion_reason"]
        assert "does not beat the rule points" in row["limitations"]
    champion = query(short["db"], "select scoring_method, model_version from analytics.ml_champion_model")
    assert champion.to_dict("records") == [{"scoring_method": live, "model_version": row["model_version"]}]

    scores = assert_every_open_lead_scored_with_a_probability(short)
    assert scores["scoring_method"].eq(live).all()
    assert scores["expected_deal_size"].isna().all() and scores["expected_deal_value"].isna().all()
    print(f"short-history build: {short['build_seconds']:.0f} s")


def test_custom_fields_of_every_type_become_features_of_their_kind_or_are_dropped_with_a_reason(short):
    row = query(short["db"], "select * from analytics.ml_model_registry").iloc[0]
    inputs = set(json.loads(row["features_json"]))
    dropped = json.loads(row["skew_dropped_features_json"])["dropped"]
    assert "notes__c" in dropped and "notes__c" not in inputs, dropped  # one value per lead: an id, not a feature
    assert set(CUSTOM_FIELD_KINDS) <= inputs, (inputs, dropped)
    kinds = query(short["db"], f"""
        select feature_name, feature_kind, fallback_explanation_template from analytics.ml_model_features
        where model_version = '{row["model_version"]}' and model_part = 'conversion'""").set_index("feature_name")
    assert kinds.loc[list(CUSTOM_FIELD_KINDS), "feature_kind"].to_dict() == CUSTOM_FIELD_KINDS
    assert kinds.loc["has_budget__c", "fallback_explanation_template"] == "Has budget: {value}"
    columns = query(short["db"], "select * from analytics.lead_custom_field_features limit 1").columns
    assert set(CUSTOM_FIELDS) <= set(columns)
    assert not set(CUSTOM_FIELDS) & set(query(short["db"], "select * from analytics.lead_features limit 1").columns)


def test_below_the_minimum_the_rule_fallback_carries_a_calibrated_probability(tiny):
    from leadscore.ml import apply_calibration, rule_points

    registry = query(tiny["db"], "select * from analytics.ml_model_registry")
    assert len(registry) == 1
    row = registry.iloc[0]
    assert row["status"] == "insufficient_data" and "need at least 500" in row["promotion_reason"]
    calibration = json.loads(row["fallback_calibration_json"])
    assert calibration["fit"] == "platt" and calibration["a"] > 0

    scores = assert_every_open_lead_scored_with_a_probability(tiny)
    assert scores["scoring_method"].eq("rule_based_fallback").all()
    assert scores["conversion_probability"].nunique() > 10  # a probability per lead, not one rate for all

    rules = query(tiny["db"], "select * from analytics_reference.lead_scoring_rules")
    open_leads = query(tiny["db"], "select * from analytics.int_open_leads_to_score").set_index("lead_id")
    expected = apply_calibration(calibration, rule_points(open_leads, rules).to_numpy())
    np.testing.assert_allclose(scores.set_index("lead_id")["conversion_probability"].reindex(open_leads.index),
                               expected, rtol=1e-9)
    matured = query(tiny["db"], "select * from analytics.lead_features where label is not null and is_label_mature")
    fitted = apply_calibration(calibration, rule_points(matured, rules).to_numpy())
    assert fitted.mean() == pytest.approx(matured["label"].mean(), abs=0.01)  # calibrated in the large
    print(f"below-minimum build: {tiny['build_seconds']:.0f} s")
