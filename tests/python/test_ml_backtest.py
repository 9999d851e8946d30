"""The as-of backtest's pure functions on synthetic snapshot frames: cut dates, the rows each cut may learn from,
scoring the open cohort beside the baselines, and the result table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import leadscore.ml.training as training_module
from leadscore.ml import auc_roc
from leadscore.ml.training import newest_cut_mask
from leadscore.ml.backtest import (
    ALL_BANDS,
    COHORTS,
    NO_MODEL,
    NOT_TRAINED,
    PREDICTION_SCHEMA,
    RESULT_SCHEMA,
    SCORED,
    backtest_cut_dates,
    backtest_due,
    backtest_predictions,
    backtest_results,
    capacity_band_metrics,
    cut_cohort,
    cut_training_rows,
    recency_score,
)

HORIZON = 90
START = pd.Timestamp("2024-01-01")  # a Monday
WEEKS = 80
SCORING_DATE = START + pd.Timedelta(weeks=WEEKS)
BANDS = pd.DataFrame({"band": ["A", "B", "C", "D"], "min_score": [90, 70, 40, 1], "max_score": [99, 89, 69, 39]})
CATALOG = pd.DataFrame({
    "feature_name": ["intent", "seniority", "days_since_last_engagement", "lead_age_days"],
    "family": ["behavioral", "firmographic", "temporal", "temporal"],
    "data_type": ["numeric", "categorical", "numeric", "numeric"],
    "explanation_template": ["Intent {value}", "Seniority {value}", "Engaged {value} days ago", "Age {value} days"],
    "is_protected": [False, False, False, False],
    "description": ["intent", "seniority", "recency", "age"],
})
RULES = pd.DataFrame({
    "rule_id": ["senior", "intent"],
    "feature_name": ["seniority", "intent"],
    "match_value": ["vp|c_level", None],
    "min_value": [None, 1.0],
    "max_value": [None, None],
    "points": [30, 40],
})
TRAIN_OPTIONS = {"random_state": 3, "min_leads": 200, "min_positives": 20}


def make_features(n_leads: int = 1500, seed: int = 5) -> pd.DataFrame:
    """Weekly snapshots of leads open for 1 to 20 weeks; conversion depends on intent and seniority."""
    rng = np.random.default_rng(seed)
    created = rng.integers(0, WEEKS - 1, n_leads)
    open_weeks = rng.integers(1, 21, n_leads)
    lead = np.repeat(np.arange(n_leads), open_weeks)
    week = created[lead] + np.concatenate([np.arange(1, count + 1) for count in open_weeks])
    lead, week = lead[week < WEEKS], week[week < WEEKS]
    seniority = rng.choice(["c_level", "vp", "manager", "individual_contributor"], n_leads)[lead]
    intent = rng.normal(0, 1, n_leads)[lead] + rng.normal(0, 0.3, len(lead))
    days_since = rng.exponential(15, len(lead)).round()
    days_since[rng.random(len(lead)) < 0.2] = np.nan
    z = -3.0 + 1.4 * intent + 1.0 * np.isin(seniority, ["c_level", "vp"]) - 0.03 * np.nan_to_num(days_since, nan=60)
    as_of = START + pd.to_timedelta(week * 7, unit="D")
    mature = np.asarray(as_of + pd.Timedelta(days=HORIZON) <= SCORING_DATE)
    label = (rng.random(len(lead)) < 1 / (1 + np.exp(-z))).astype(float)
    frame = pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in lead],
        "as_of_date": as_of,
        "is_scoring_row": False,
        "is_label_mature": mature,
        "is_never_worked": rng.random(len(lead)) < 0.2,
        "label": np.where(mature, label, np.nan),
        "intent": intent,
        "seniority": seniority,
        "days_since_last_engagement": days_since,
        "lead_age_days": (week - created[lead]) * 7 + rng.integers(0, 7, len(lead)),
    })
    scoring = frame.groupby("lead_id").tail(1).assign(as_of_date=SCORING_DATE, is_scoring_row=True,
                                                      is_label_mature=False, label=np.nan)
    return pd.concat([frame, scoring], ignore_index=True)


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return make_features()


def champion(scoring_method: str = "model", algorithm: str = "logistic") -> pd.DataFrame:
    return pd.DataFrame({"model_version": ["v1"], "algorithm": [algorithm], "scoring_method": [scoring_method]})


# ---- cut dates and the rows of a cut ---------------------------------------------------------------------------

def test_cut_dates_are_the_newest_matured_training_dates_oldest_first(features):
    cuts = backtest_cut_dates(features, HORIZON, SCORING_DATE, 3)
    newest_matured = SCORING_DATE - pd.Timedelta(weeks=13)  # the last weekly date with 90 days after it
    assert cuts == [newest_matured - pd.Timedelta(weeks=2), newest_matured - pd.Timedelta(weeks=1), newest_matured]
    assert backtest_cut_dates(features, HORIZON, SCORING_DATE, 0) == []
    assert backtest_cut_dates(features, HORIZON, START, 3) == []


def test_the_scoring_row_date_is_never_a_cut():
    frame = pd.DataFrame({"as_of_date": pd.to_datetime(["2024-01-01", "2024-06-01"]),
                          "is_scoring_row": [False, True]})
    assert backtest_cut_dates(frame, 0, "2024-06-01", 5) == [pd.Timestamp("2024-01-01")]


def test_a_cut_learns_only_from_outcomes_matured_before_it(features):
    cut = SCORING_DATE - pd.Timedelta(weeks=20)
    rows = cut_training_rows(features, cut, HORIZON)
    assert (rows["as_of_date"] + pd.Timedelta(days=HORIZON) <= cut).all()
    assert rows["label"].notna().all() and rows["is_label_mature"].all()
    later = features[(features["as_of_date"] + pd.Timedelta(days=HORIZON) > cut) & features["label"].notna()]
    assert len(later) > 0 and not later.index.isin(rows.index).any()


def test_the_cohort_is_every_lead_at_the_cut_worked_or_not(features):
    cut = SCORING_DATE - pd.Timedelta(weeks=13)
    cohort = cut_cohort(features, cut)
    expected = features[features["as_of_date"] == cut]
    assert sorted(cohort["lead_id"]) == sorted(expected["lead_id"]) and cohort["lead_id"].is_monotonic_increasing
    assert cohort["is_never_worked"].any()


def test_recency_ranks_the_latest_engagement_first_and_the_never_engaged_last():
    scores = recency_score(pd.DataFrame({"days_since_last_engagement": [0, 3, None, 30]}))
    assert scores[0] > scores[1] > scores[3] > scores[2] == 0
    assert np.isnan(recency_score(pd.DataFrame({"other": [1, 2]}))).all()


def test_band_capacity_shares_tied_positives_pro_rata():
    labels = np.array([1, 0, 1, 0, 0, 1])
    scores = np.array([9, 5, 5, 5, 1, np.nan])
    metrics = capacity_band_metrics(labels, scores, [2, 3])
    # the top two rows: the 9 (positive) and one of three tied 5s holding one positive: 1 + 1/3
    assert metrics[0][0] == pytest.approx(4 / 3) and metrics[0][1] == pytest.approx(4 / 9)
    assert metrics[1][0] == pytest.approx(2 / 3)  # the other two 5s and the 1
    assert sum(positives for positives, _ in capacity_band_metrics(labels, scores, [6])) == pytest.approx(3)


# ---- scoring the cuts ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def predictions(features):
    cuts = backtest_cut_dates(features, HORIZON, SCORING_DATE, 2)
    training = features[features["label"].notna() & features["is_label_mature"]]
    cohorts = features[features["as_of_date"].isin(cuts)]
    return backtest_predictions(training, cohorts, cuts, champion(), CATALOG, RULES, BANDS,
                                horizon_days=HORIZON, train_options=TRAIN_OPTIONS)


def test_every_lead_open_at_each_cut_is_scored_by_a_model_trained_before_it(features, predictions):
    assert list(predictions.columns) == list(PREDICTION_SCHEMA)
    for cut, rows in predictions.groupby("cut_date"):
        assert sorted(rows["lead_id"]) == sorted(features.loc[features["as_of_date"] == cut, "lead_id"])
    assert (predictions["model_status"] == SCORED).all() and (predictions["model_version"] == "v1").all()
    assert predictions["probability"].between(0, 1).all() and predictions["priority_band"].notna().all()
    assert predictions["is_young"].equals(predictions["lead_age_days"] < 100)
    labels = predictions["label"].astype(int)
    assert auc_roc(labels, predictions["probability"]) > auc_roc(labels, predictions["rule_points"]) > 0.5


def test_the_model_of_a_cut_sees_no_outcome_that_matured_after_it(features, monkeypatch):
    seen = []
    original = training_module.train_lead_model

    def spy(frame, *args, **kwargs):
        seen.append(frame)
        return original(frame, *args, **kwargs)

    monkeypatch.setattr(training_module, "train_lead_model", spy)
    cut = backtest_cut_dates(features, HORIZON, SCORING_DATE, 1)[0]
    backtest_predictions(features, features, [cut], champion(), CATALOG, RULES, BANDS, horizon_days=HORIZON,
                         train_options=TRAIN_OPTIONS)
    assert len(seen) == 1 and (seen[0]["as_of_date"] + pd.Timedelta(days=HORIZON) <= cut).all()
    assert seen[0]["label"].notna().all()


def test_a_cut_without_enough_history_is_reported_with_its_reason(features):
    early_cut = START + pd.Timedelta(weeks=16)
    rows = backtest_predictions(features, features, [early_cut], champion(), CATALOG, RULES, BANDS,
                                horizon_days=HORIZON, train_options=TRAIN_OPTIONS)
    assert len(rows) > 0 and (rows["model_status"] == NOT_TRAINED).all()
    assert "InsufficientDataError" in rows["model_reason"].iloc[0]
    assert rows["probability"].isna().all()
    # production would have shown the rule-based points: the band comes from them
    assert rows["lead_score"].equals(rows["rule_points"].round().clip(1, 99).astype("Int64"))


def test_under_the_rule_fallback_the_baselines_are_still_scored(features):
    cuts = backtest_cut_dates(features, HORIZON, SCORING_DATE, 1)
    rows = backtest_predictions(features, features, cuts, champion("rule_based_fallback", "rule_points"), CATALOG,
                                RULES, BANDS, horizon_days=HORIZON)
    assert (rows["model_status"] == NO_MODEL).all() and rows["probability"].isna().all()
    assert rows["rule_points_probability"].notna().all() and rows["recency_probability"].notna().all()
    results = backtest_results(rows, BANDS)
    model_rows = results[results["scorer"] == "model"]
    assert set(model_rows["band"]) == {ALL_BANDS} and (model_rows["status"] == NO_MODEL).all()
    assert results.loc[results["scorer"] != "model", "auc_roc"].notna().any()


def test_no_champion_or_no_cut_gives_an_empty_typed_frame(features):
    empty = backtest_predictions(features, features, [], champion(), CATALOG, RULES, BANDS, horizon_days=HORIZON)
    assert empty.empty and list(empty.columns) == list(PREDICTION_SCHEMA)
    assert backtest_results(empty, BANDS).empty


# ---- results ---------------------------------------------------------------------------------------------------

def test_results_hold_every_cut_cohort_scorer_and_band(predictions):
    results = backtest_results(predictions, BANDS)
    assert list(results.columns) == list(RESULT_SCHEMA)
    assert not results.duplicated(["model_version", "cut_date", "cohort", "scorer", "band"]).any()
    assert set(results["cohort"]) == set(COHORTS)
    assert len(results) == 2 * len(COHORTS) * 3 * (1 + len(BANDS))
    overall = results[results["band"] == ALL_BANDS].set_index(["cut_date", "cohort", "scorer"])
    assert overall["auc_roc"].between(0, 1).all() and overall["ece"].between(0, 1).all()


def test_band_rows_add_up_and_the_model_bands_are_its_own(predictions):
    results = backtest_results(predictions, BANDS)
    cut = predictions["cut_date"].max()
    rows = predictions[predictions["cut_date"] == cut]
    for scorer in ("model", "rule_points", "recency"):
        per_band = results[(results["cut_date"] == cut) & (results["cohort"] == "all_open")
                           & (results["scorer"] == scorer) & (results["band"] != ALL_BANDS)]
        assert per_band["rows"].sum() == len(rows)
        assert per_band["positives"].sum() == pytest.approx(rows["label"].sum())
        assert per_band["recall"].sum() == pytest.approx(1.0)
    model = results[(results["cut_date"] == cut) & (results["cohort"] == "all_open") & (results["scorer"] == "model")
                    & (results["band"] != ALL_BANDS)].set_index("band")
    observed = rows.groupby("priority_band")["label"].agg(["size", "sum", "mean"])
    for band, counts in observed.iterrows():
        assert model.loc[band, "rows"] == counts["size"] and model.loc[band, "positives"] == counts["sum"]
        assert model.loc[band, "precision"] == pytest.approx(counts["mean"])


def test_the_young_cohort_counts_only_leads_under_100_days(predictions):
    results = backtest_results(predictions, BANDS)
    young = results[(results["cohort"] == "under_100_days") & (results["band"] == ALL_BANDS)
                    & (results["scorer"] == "model")].set_index("cut_date")
    expected = predictions[predictions["lead_age_days"] < 100].groupby("cut_date").size()
    assert young["rows"].to_dict() == expected.to_dict()


# ---- promotion on the newest cut and the once-per-champion guard ----------------------------------------------

def test_promotion_is_judged_on_the_newest_test_date_widened_until_both_outcomes():
    test = pd.DataFrame({"as_of_date": pd.to_datetime(["2024-03-04"] * 3 + ["2024-03-11"] * 2 + ["2024-03-18"] * 2)})
    assert newest_cut_mask(test, np.array([0, 1, 0, 1, 0, 0, 1])).tolist() == [False] * 5 + [True] * 2
    # the newest date holds only non-converters: the date before it is added
    assert newest_cut_mask(test, np.array([0, 1, 0, 1, 0, 0, 0])).tolist() == [False] * 3 + [True] * 4
    assert newest_cut_mask(test, np.zeros(7)).all()


def test_the_backtest_runs_once_per_champion():
    assert backtest_due(champion(), None)
    assert backtest_due(champion(), pd.DataFrame({"model_version": ["v0"]}))
    assert not backtest_due(champion(), pd.DataFrame({"model_version": ["v0", "v1"]}))
    assert not backtest_due(champion().iloc[0:0], None)


def test_champion_and_challenger_are_compared_on_the_newest_test_date(features):
    import json

    from leadscore.ml import train_lead_model

    kwargs = {"horizon_days": HORIZON, "algorithms": ("logistic",), **TRAIN_OPTIONS}
    first = train_lead_model(features, CATALOG, RULES, **kwargs)
    second = train_lead_model(features, CATALOG, RULES, current_champion=first.champion, **kwargs)
    compared = json.loads(second.registry_row["current_champion_test_json"])
    test = second.test_predictions
    newest = test[test["as_of_date"] == test["as_of_date"].max()]
    assert 0 < newest["label"].sum() < len(newest)
    assert compared["n"] == len(newest) < len(test)
    assert compared["holdout_start_date"] == pd.Timestamp(newest["as_of_date"].iloc[0]).date().isoformat()
    # the same model is no better than itself there: not promoted
    assert second.promote is False
