"""The registry model's decisions: training settings from dbt vars, and what a build appends and scores when the
data is thin or odd (no deal amounts, a split with one outcome, no model at all)."""
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from leadscore.ml import rule_points
from leadscore.pipeline import (
    TrainingSettings,
    candidate_algorithms,
    registry_update,
    retrain_reason,
    score_open_leads,
    settings_from_config,
)
from test_ml_training import make_catalog, make_rules, make_snapshots

NOW = datetime(2025, 1, 6, 12, 0)
SETTINGS = TrainingSettings(algorithms=("logistic",), random_state=7)
BANDS = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "score_bands.csv")


def test_candidate_algorithms_come_from_a_list_or_the_rendered_string():
    assert candidate_algorithms(None) == ("logistic", "random_forest", "lightgbm")
    assert candidate_algorithms("lightgbm,logistic") == ("logistic", "lightgbm")  # package order, not var order
    assert candidate_algorithms("['LightGBM']") == ("lightgbm",)
    assert candidate_algorithms(["random_forest"]) == ("random_forest",)


@pytest.mark.parametrize("value", ["xgboost", "logistic,svm", ","])
def test_unknown_or_empty_candidate_algorithms_fail_with_the_accepted_names(value):
    with pytest.raises(ValueError, match="candidate_algorithms must name one or more of"):
        candidate_algorithms(value)


def test_settings_carry_the_candidates_to_training():
    config = {"candidate_algorithms": "logistic,lightgbm", "horizon_days": "60"}
    settings = settings_from_config(config.get)
    assert settings.algorithms == ("logistic", "lightgbm") and settings.horizon_days == 60


# ---------------------------------------------------------------------------------------------------------------
# thin or odd data


def rules() -> pd.DataFrame:
    return make_rules().assign(description=lambda table: "rule " + table["rule_id"])


def won_deals(snapshots: pd.DataFrame, amount: float | None) -> pd.DataFrame:
    """One won deal per converted lead, converted on its first positive snapshot, all with the same amount."""
    first = snapshots[snapshots["label"] == 1].sort_values("as_of_date").drop_duplicates("lead_id")
    return pd.DataFrame({"lead_id": first["lead_id"], "converted_date": pd.to_datetime(first["as_of_date"]),
                         "amount": amount})


def scoring_rows(snapshots: pd.DataFrame) -> pd.DataFrame:
    return snapshots[snapshots["is_scoring_row"]].sort_values("lead_id")


@pytest.fixture(scope="module")
def snapshots() -> pd.DataFrame:
    return make_snapshots(n_leads=1200)


def test_no_usable_deal_amount_trains_a_model_without_expected_value(snapshots):
    # int_lead_won_deals keeps only positive amounts: with none recorded, no won deal reaches training
    no_amounts = won_deals(snapshots, None).iloc[0:0]
    row = registry_update(snapshots, make_catalog(), rules(), no_amounts, None, now=NOW, settings=SETTINGS).iloc[0]
    assert row["status"] == "trained" and row["is_promoted"] and row["split_mode"] == "time"
    assert pd.isna(row["deal_size_model_json"])
    assert "No deal-size model: 0 won leads with a positive opportunity amount" in row["limitations"]
    assert json.loads(row["fallback_calibration_json"])["fit"] == "platt"

    champion = pd.DataFrame([row]).assign(scoring_method="model")
    scores = score_open_leads(scoring_rows(snapshots), champion, make_catalog(), BANDS, rules())
    assert len(scores) == snapshots["is_scoring_row"].sum()
    assert scores["conversion_probability"].notna().all() and scores["scoring_method"].eq("model").all()
    assert scores["expected_deal_size"].isna().all() and scores["expected_deal_value"].isna().all()

    with_amounts = registry_update(snapshots, make_catalog(), rules(), won_deals(snapshots, 5000.0), None, now=NOW,
                                   settings=SETTINGS).iloc[0]
    assert isinstance(with_amounts["deal_size_model_json"], str) and pd.isna(with_amounts["limitations"])


def test_a_split_with_one_outcome_falls_back_to_calibrated_rule_points(snapshots):
    thin = snapshots.copy()
    labelled = thin["label"].notna()
    newest = pd.to_datetime(thin["as_of_date"]) >= pd.to_datetime(thin.loc[labelled, "as_of_date"]).quantile(0.9)
    thin.loc[labelled & ~newest, "label"] = 0.0  # conversions only in the newest weeks: no part before them has one
    enough = replace(SETTINGS, min_positives=int(thin["label"].sum()))  # the minimum-data guard passes
    row = registry_update(thin, make_catalog(), rules(), won_deals(thin, 5000.0), None, now=NOW,
                          settings=enough).iloc[0]
    assert row["status"] == "insufficient_data" and row["algorithm"] == "rule_points"
    assert "single outcome class" in row["promotion_reason"] and "rule-based points" in row["promotion_reason"]
    assert row["limitations"].startswith("No model trained: no split gives every part both outcomes")
    calibration = json.loads(row["fallback_calibration_json"])
    matured = thin[labelled]
    assert calibration["rows"] == len(matured) and calibration["positives"] == int(matured["label"].sum())

    champion = pd.DataFrame([row]).assign(scoring_method="rule_based_fallback")
    rows = scoring_rows(thin)
    scores = score_open_leads(rows, champion, make_catalog(), BANDS, rules())
    points = rule_points(rows, rules()).to_numpy()
    expected = np.clip(expit(calibration["a"] * points + calibration["b"]), 1e-4, 1 - 1e-4)
    np.testing.assert_allclose(scores["conversion_probability"].to_numpy(dtype=float), expected, rtol=1e-12)
    assert scores["scoring_method"].eq("rule_based_fallback").all()
    assert scores["lead_score"].tolist() == np.clip(np.rint(points), 1, 99).astype(int).tolist()
    assert scores["expected_deal_value"].isna().all()


def test_without_a_registry_row_or_a_fallback_map_the_probability_is_null(snapshots):
    rows = scoring_rows(snapshots)
    no_row = score_open_leads(rows, pd.DataFrame(), make_catalog(), BANDS, rules())
    assert no_row["model_version"].eq("rules").all() and no_row["conversion_probability"].isna().all()
    assert no_row["lead_score"].notna().all()
    no_map = pd.DataFrame([{"model_version": "rules-old", "scoring_method": "rule_based_fallback",
                            "fallback_calibration_json": None}])
    assert score_open_leads(rows, no_map, make_catalog(), BANDS, rules())["conversion_probability"].isna().all()


def test_a_fallback_row_without_a_probability_map_is_retried_once_history_exists():
    history = (300, 40)
    latest = {"model_version": "rules-1", "trained_at": pd.Timestamp("2025-01-01"), "status": "insufficient_data",
              "is_promoted": False, "labeled_leads": history[0], "labeled_positives": history[1]}
    older = pd.DataFrame([{**latest, "fallback_calibration_json": None}])
    assert retrain_reason(older, NOW, SETTINGS, history) == "no model yet"
    calibrated = pd.DataFrame([{**latest, "fallback_calibration_json": '{"a": 0.0, "b": -2.0}'}])
    assert retrain_reason(calibrated, NOW, SETTINGS, history) is None


def test_a_first_model_that_does_not_beat_the_rule_points_is_recorded_but_not_promoted(snapshots):
    rng = np.random.default_rng(3)
    secret = snapshots.copy()
    secret["is_hot"] = rng.random(len(secret)) < 0.2  # read by a rule, not a model input (not in the catalog)
    labelled = secret["label"].notna()
    hot_rate = np.where(secret.loc[labelled, "is_hot"], 0.6, 0.02)
    secret.loc[labelled, "label"] = (rng.random(labelled.sum()) < hot_rate).astype(float)
    hot_rule = pd.DataFrame([{"rule_id": "hot", "rule_type": "behaviour", "feature_name": "is_hot", "match_value": "true",
                              "min_value": None, "max_value": None, "points": 60, "points_basis": "once", "cap": None,
                              "description": "hot"}])
    row = registry_update(secret, make_catalog(), pd.concat([rules(), hot_rule], ignore_index=True),
                          won_deals(secret, 5000.0), None, now=NOW, settings=SETTINGS).iloc[0]
    assert row["status"] == "trained" and not row["is_promoted"]
    assert row["test_auc_roc"] < row["rule_points_test_auc_roc"]
    assert "below the rule points'" in row["promotion_reason"]
    assert "does not beat the rule points on its test split" in row["limitations"]
    history = (int(row["labeled_leads"]), int(row["labeled_positives"]))
    assert retrain_reason(pd.DataFrame([row]), NOW, SETTINGS, history) is None  # not retried on the same data
    assert retrain_reason(pd.DataFrame([row]), NOW, SETTINGS, (history[0] + 1, history[1])) == "no model yet"
