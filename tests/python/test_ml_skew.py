"""Train/serve skew guard: age-matched missing rates and PSI, drops with reasons, and its place in a training run."""
import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from leadscore.ml import age_matching_weights, dropped_features, feature_skew, lead_age_buckets
from leadscore.ml.skew import skew_from_json, skew_to_json, with_drop_reasons
from leadscore.pipeline import (
    TrainingSettings,
    feature_skew_rows,
    registry_update,
    settings_from_config,
)

THRESHOLDS = {"max_missing_rate_gap": 0.3, "max_psi": 1.0}


def population(n: int, rng: np.random.Generator, ages: np.ndarray) -> pd.DataFrame:
    """Rows with a stable numeric, boolean and categorical feature, and a count that grows with lead age."""
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "lead_age_days": ages,
        "employee_count": np.exp(rng.normal(5, 1.2, n)).round(),
        "is_personal_email": rng.random(n) < 0.2,
        "industry": rng.choice(["software", "retail", "finance", "health"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "page_views_total": rng.poisson(ages / 5.0 + 1.0).astype(float),
    })


KINDS = {"employee_count": "numeric", "is_personal_email": "boolean", "industry": "categorical",
         "page_views_total": "numeric", "enrichment_score": "numeric"}


def test_age_buckets_and_weights_give_training_rows_the_scoring_age_mix():
    assert list(lead_age_buckets([0, 30, 31, 90, 91, 182, 183, 900, None])) == [
        "0-30", "0-30", "31-90", "31-90", "91-182", "91-182", "183+", "183+", "unknown"]
    training_age = np.array([10] * 20 + [60] * 60 + [150] * 20)
    scoring_age = np.array([10] * 30 + [60] * 10 + [400] * 5)
    weights, compared = age_matching_weights(training_age, scoring_age)
    # 183+ has no training rows: those scoring rows are not compared, and 91-182 has no scoring rows: weight 0
    assert compared.tolist() == [True] * 40 + [False] * 5
    assert np.all(weights[80:] == 0)
    young_share = weights[:20].sum() / weights.sum()
    assert young_share == pytest.approx(30 / 40)


def test_a_feature_empty_in_training_and_filled_at_scoring_is_dropped_with_its_reason():
    rng = np.random.default_rng(0)
    training = population(4000, rng, rng.integers(0, 183, 4000))
    scoring = population(1000, rng, rng.integers(0, 183, 1000))
    training["enrichment_score"] = np.nan  # refreshed in place: no value was kept for past snapshots
    scoring["enrichment_score"] = np.where(rng.random(1000) < 0.65, rng.normal(50, 10, 1000), np.nan)
    table = feature_skew(training, scoring, list(KINDS), KINDS, **THRESHOLDS).set_index("feature_name")
    row = table.loc["enrichment_score"]
    assert row["training_missing_rate"] == 1.0
    assert row["missing_rate_gap"] == pytest.approx(0.65, abs=0.04)
    assert row["psi"] > 5
    assert bool(row["is_dropped"])
    assert "gap" in row["reason"] and "skew_max_missing_rate_gap 0.3" in row["reason"] and "PSI" in row["reason"]
    assert dropped_features(table.reset_index()) == {"enrichment_score": row["reason"]}


def test_mild_drift_is_kept():
    rng = np.random.default_rng(1)
    training = population(4000, rng, rng.integers(0, 183, 4000))
    scoring = population(800, rng, rng.integers(0, 183, 800))
    scoring["employee_count"] = (scoring["employee_count"] * 1.3).round()  # a quarter of a standard deviation
    scoring.loc[scoring.index[:60], "employee_count"] = np.nan               # 7.5% newly missing
    scoring["industry"] = rng.choice(["software", "retail", "finance", "health", "media"], 800,
                                     p=[0.3, 0.3, 0.2, 0.1, 0.1])             # a new level and a shift
    table = feature_skew(training, scoring, list(KINDS)[:4], KINDS, **THRESHOLDS).set_index("feature_name")
    assert not table["is_dropped"].any()
    assert table["reason"].isna().all()
    assert 0.05 < table.loc["employee_count", "psi"] < 1.0
    assert 0.05 < table.loc["industry", "psi"] < 1.0


def test_a_feature_that_depends_on_lead_age_only_is_not_flagged_when_scoring_leads_are_younger():
    rng = np.random.default_rng(2)
    # training snapshots are mostly of old leads, today's open leads mostly young: page views follow age alone
    training_age = np.concatenate([rng.integers(0, 31, 600), rng.integers(91, 183, 5400)])
    scoring_age = np.concatenate([rng.integers(0, 31, 900), rng.integers(91, 183, 100)])
    training = population(len(training_age), rng, training_age)
    scoring = population(len(scoring_age), rng, scoring_age)
    features = ["page_views_total", "employee_count"]
    matched = feature_skew(training, scoring, features, KINDS, **THRESHOLDS).set_index("feature_name")
    unmatched = feature_skew(training.drop(columns="lead_age_days"), scoring.drop(columns="lead_age_days"),
                             features, KINDS, **THRESHOLDS).set_index("feature_name")
    assert not matched["is_dropped"].any()
    assert matched.loc["page_views_total", "psi"] < 0.2
    assert bool(unmatched.loc["page_views_total", "is_dropped"])  # what the guard would do without age matching


def test_thin_scoring_rows_and_unset_thresholds_judge_nothing():
    rng = np.random.default_rng(3)
    training = population(2000, rng, rng.integers(0, 183, 2000))
    scoring = population(40, rng, rng.integers(0, 183, 40))
    training["enrichment_score"] = np.nan
    scoring["enrichment_score"] = 1.0
    thin = feature_skew(training, scoring, list(KINDS), KINDS, **THRESHOLDS)
    assert not thin["is_dropped"].any() and thin["psi"].notna().all()
    scoring = population(500, rng, rng.integers(0, 183, 500)).assign(enrichment_score=1.0)
    unset = feature_skew(training, scoring, list(KINDS), KINDS, max_missing_rate_gap=None, max_psi=None)
    assert not unset["is_dropped"].any()
    only_gap = feature_skew(training, scoring, list(KINDS), KINDS, max_missing_rate_gap=0.3, max_psi=None)
    assert dropped_features(only_gap).keys() == {"enrichment_score"}
    assert "PSI" not in dropped_features(only_gap)["enrichment_score"]


def test_other_drop_reasons_are_merged_and_the_table_round_trips_through_json():
    rng = np.random.default_rng(4)
    training = population(1000, rng, rng.integers(0, 183, 1000))
    table = feature_skew(training, training.copy(), ["employee_count", "industry"], KINDS, **THRESHOLDS)
    reasons = {"industry": "custom field industry: empty", "notes__c": "custom field notes__c: id"}
    merged = with_drop_reasons(table, reasons)
    assert dropped_features(merged) == reasons
    assert merged["feature_name"].tolist() == ["employee_count", "industry", "notes__c"]
    stored = skew_to_json(merged, 0.3, 1.0)
    assert json.loads(stored)["dropped"] == dropped_features(merged)
    pd.testing.assert_frame_equal(skew_from_json(stored), merged)


# ---- in a training run ----

def test_settings_read_the_skew_thresholds_and_custom_fields_from_config():
    config = {"skew_max_missing_rate_gap": "0.3", "skew_max_psi": "1.0", "lead_custom_fields": "plan__c,NPS"}
    settings = settings_from_config(config.get)
    assert (settings.skew_max_missing_rate_gap, settings.skew_max_psi) == (0.3, 1.0)
    assert settings.custom_fields == ("plan__c", "NPS")
    assert settings_from_config({}.get).skew_max_psi is None


@pytest.fixture(scope="module")
def registry_row():
    from test_ml_training import make_catalog, make_rules, make_snapshots

    rng = np.random.default_rng(5)
    frame = make_snapshots(n_leads=1200, seed=3)
    created = pd.to_datetime(frame["as_of_date"]).groupby(frame["lead_id"]).transform("min")
    frame["lead_age_days"] = (pd.to_datetime(frame["as_of_date"]) - created).dt.days + rng.integers(0, 20, len(frame))
    scoring = ~frame["is_label_mature"].to_numpy()  # the last horizon of snapshots stands in for today's open leads
    # the enrichment vendor's score: never kept for past snapshots, filled on most leads today
    filled = scoring & (rng.random(len(frame)) < 0.7)
    frame["company_fit_score"] = np.where(filled, rng.normal(60, 15, len(frame)), np.nan)
    # custom fields as a raw loader lands them: all text
    per_lead = frame["lead_id"].str[1:].astype(int).to_numpy()
    frame["plan_tier__c"] = np.array(["basic", "pro", "enterprise"], dtype=object)[per_lead % 3]
    frame["is_partner__c"] = np.where(per_lead % 4 == 0, "Yes", "No")
    frame["seats__c"] = (per_lead % 50).astype(str)
    frame["crm_note__c"] = [f"called on {i}" for i in per_lead]  # one value per lead: free text
    frame["legacy_flag__c"] = None
    frame["stage__c"] = np.where(frame["label"] == 1, "Closed Won", "Working")  # overwritten when the lead converted
    catalog = make_catalog()
    catalog.loc[len(catalog)] = {"feature_name": "company_fit_score", "family": "firmographic", "data_type": "numeric",
                                 "explanation_template": "Company fit is {value}", "is_protected": False,
                                 "description": "company fit"}
    settings = TrainingSettings(algorithms=("logistic",), custom_fields=(
        "plan_tier__c", "is_partner__c", "seats__c", "crm_note__c", "legacy_flag__c", "stage__c"),
        skew_max_missing_rate_gap=0.3, skew_max_psi=1.0)
    wins = frame[frame["label"] == 1].groupby("lead_id", as_index=False)["as_of_date"].min()
    wins["converted_date"] = pd.to_datetime(wins["as_of_date"]) + pd.Timedelta(days=30)
    wins["amount"] = rng.lognormal(10, 0.5, len(wins))
    rows = registry_update(frame[~scoring], catalog, make_rules(), wins.drop(columns="as_of_date"), None,
                           now=datetime(2025, 1, 6, tzinfo=timezone.utc), settings=settings,
                           scoring_rows=frame[scoring])
    return rows.iloc[0]


def test_a_training_run_leaves_skewed_unusable_and_leaking_custom_features_out_and_records_why(registry_row):
    assert registry_row["status"] == "trained"
    features = json.loads(registry_row["features_json"])
    stored = json.loads(registry_row["skew_dropped_features_json"])
    assert set(stored["dropped"]) == {"company_fit_score", "crm_note__c", "legacy_flag__c", "stage__c"}
    assert "PSI" in stored["dropped"]["company_fit_score"]
    assert "empty on every training row" in stored["dropped"]["legacy_flag__c"]
    assert "distinct values" in stored["dropped"]["crm_note__c"]
    assert "alone separates the label" in stored["dropped"]["stage__c"]  # dropped, where a standard feature would fail
    assert not set(stored["dropped"]) & set(features)
    assert {"plan_tier__c", "is_partner__c", "seats__c"} <= set(features)  # custom fields of every kind are inputs
    assert {row["feature_name"] for row in stored["features"]} >= set(features)


def test_ml_feature_skew_expands_the_newest_trained_row(registry_row):
    registry = pd.DataFrame([registry_row])
    table = feature_skew_rows(registry)
    assert (table["model_version"] == registry_row["model_version"]).all()
    assert not table.duplicated(["model_version", "feature_name"]).any()
    dropped = table[table["is_dropped"]]
    assert set(dropped["feature_name"]) == {"company_fit_score", "crm_note__c", "legacy_flag__c", "stage__c"}
    assert dropped["reason"].notna().all()
    assert feature_skew_rows(None).empty
    # a registry written before the guard existed has no such column: no rows, no error
    assert feature_skew_rows(registry.drop(columns="skew_dropped_features_json")).empty
