"""End to end: train_lead_model on synthetic snapshots, serialization, scoring, deal size."""
import dataclasses
import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from leadscore.ml import (
    InsufficientDataError,
    apply_calibration,
    LeakageError,
    deserialize_deal_size_model,
    deserialize_model,
    explain,
    fit_deal_size_model,
    predict_deal_size,
    predict_proba,
    predict_raw,
    score_leads,
    serialize_deal_size_model,
    serialize_model,
    train_lead_model,
)

SENIORITY = ["c_level", "vp", "director", "manager", "individual_contributor"]
INDUSTRY = ["software", "manufacturing", "retail", "finance", "healthcare", "education"]
SOURCE = ["webinar", "organic", "paid", "referral", "event"]
DEPARTMENT = ["data", "engineering", "marketing", "sales", "hr"]
COUNTRY = ["us", "de", "fr", "in", "br"]
N_NOISE = 20
TRAINED_AT = datetime(2025, 1, 6, 12, 0, tzinfo=timezone.utc)


def make_snapshots(n_leads: int = 1800, seed: int = 1, weeks: int = 104) -> pd.DataFrame:
    """Monthly snapshots of leads over two years; the label depends on a few features with interactions."""
    rng = np.random.default_rng(seed)
    created_week = rng.integers(0, weeks - 1, n_leads)
    n_snapshots = rng.integers(1, 6, n_leads)
    lead = np.repeat(np.arange(n_leads), n_snapshots)
    k = np.concatenate([np.arange(m) for m in n_snapshots])
    week = created_week[lead] + 4 * k
    lead, k, week = lead[week < weeks], k[week < weeks], week[week < weeks]
    n = len(lead)
    seniority = rng.choice(SENIORITY, n_leads, p=[0.08, 0.15, 0.25, 0.3, 0.22])[lead]
    industry = rng.choice(INDUSTRY, n_leads)[lead]
    country = rng.choice(COUNTRY, n_leads)[lead]
    employees = np.round(np.exp(rng.normal(5, 1.5, n_leads)))[lead]
    personal = (rng.random(n_leads) < 0.2)[lead]
    intent = rng.normal(0, 1, n_leads)[lead] + 0.3 * k
    pricing = rng.poisson(np.exp(0.2 + 0.6 * intent).clip(0, 30))
    opens = rng.poisson(np.exp(1.0 + 0.4 * intent).clip(0, 40))
    demos = (rng.random(n) < 1 / (1 + np.exp(-(intent - 1.5)))).astype(int)
    days_since = rng.exponential(20, n).round()
    days_since[rng.random(n) < 0.15] = np.nan
    senior = np.isin(seniority, ["c_level", "vp"])
    industry_effect = np.array([0.8, 0.0, -0.5, 0.4, 0.0, -0.8])[pd.Index(INDUSTRY).get_indexer(industry)]
    source = rng.choice(SOURCE, n_leads)[lead]
    z = (-3.6 + 0.1 * pricing + 0.4 * senior + 0.5 * pricing * senior + 0.25 * opens + 0.9 * demos
         - 0.9 * personal + 1.6 * industry_effect + 0.3 * (np.log(employees + 1) - 5)
         - 0.05 * np.nan_to_num(days_since, nan=40) + 0.5 * (source == "referral") + 0.8 * (country == "in"))
    label = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(float)
    as_of = pd.Timestamp("2023-01-02") + pd.to_timedelta(week * 7, unit="D")
    mature = np.asarray(as_of <= as_of.max() - pd.Timedelta(days=90))
    never_worked = rng.random(n) < 0.05
    frame = pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in lead],
        "as_of_date": as_of.date,
        "label": np.where(mature & ~never_worked, label, np.nan),
        "is_label_mature": mature,
        "is_never_worked": never_worked,
        "is_scoring_row": np.asarray(as_of == as_of.max()),
        "account_domain": [f"acct{i % 400}.com" for i in lead],
        "pricing_page_views_30d": pricing,
        "email_opens_30d": opens,
        "demo_requests_90d": demos,
        "employee_count": employees,
        "days_since_last_engagement": days_since,
        "is_personal_email": personal,
        "seniority": seniority,
        "department": rng.choice(DEPARTMENT, n_leads)[lead],
        "industry": industry,
        "lead_source": source,
        "country": country,
    })
    for j in range(N_NOISE):
        frame[f"noise_{j}"] = rng.normal(size=n)
    return frame


def make_catalog() -> pd.DataFrame:
    rows = [
        ("pricing_page_views_30d", "behavioral", "numeric", "Viewed the pricing page {value} times in the last 30 days", False),
        ("email_opens_30d", "behavioral", "numeric", "Opened {value} marketing emails in the last 30 days", False),
        ("demo_requests_90d", "behavioral", "numeric", "Requested {value} demos in the last 90 days", False),
        ("employee_count", "firmographic", "numeric", "Company has {value} employees", False),
        ("days_since_last_engagement", "temporal", "numeric", "Last engaged {value} days ago", False),
        ("is_personal_email", "firmographic", "boolean", "Uses a personal email address: {value}", False),
        ("seniority", "firmographic", "categorical", "Seniority is {value}", False),
        ("department", "firmographic", "categorical", "Department is {value}", False),
        ("industry", "firmographic", "categorical", "Industry is {value}", False),
        ("lead_source", "firmographic", "categorical", "Lead came from {value}", False),
        ("country", "firmographic", "categorical", "Country is {value}", True),
    ] + [(f"noise_{j}", "other", "numeric", f"Noise {j} is {{value}}", False) for j in range(N_NOISE)]
    catalog = pd.DataFrame(rows, columns=["feature_name", "family", "data_type", "explanation_template", "is_protected"])
    catalog["description"] = catalog["feature_name"].str.replace("_", " ")
    return catalog


def make_rules() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("pricing", "behaviour", "pricing_page_views_30d", None, 1, None, 10, "per_unit", 30),
            ("vp", "title_seniority", "seniority", "vp", None, None, 20, "once", None),
            ("c_level", "title_seniority", "seniority", "c_level", None, None, 25, "once", None),
            ("demo", "behaviour", "demo_requests_90d", None, 1, None, 40, "once", None),
            ("mid_market", "firmographic", "employee_count", None, 201, 1000, 15, "once", None),
            ("personal", "negative", "is_personal_email", "true", None, None, -10, "once", None),
        ],
        columns=["rule_id", "rule_type", "feature_name", "match_value", "min_value", "max_value", "points", "points_basis", "cap"],
    )


@pytest.fixture(scope="module")
def snapshots() -> pd.DataFrame:
    return make_snapshots()


@pytest.fixture(scope="module")
def result(snapshots):
    return train_lead_model(snapshots, make_catalog(), make_rules(), horizon_days=90, random_state=7, trained_at=TRAINED_AT)


def test_champion_beats_the_rule_score_and_random_order_on_the_test_split(result):
    metrics = result.metrics.set_index(["model", "split"])
    champion = f"{result.champion.algorithm}_refit"  # the selected candidate, refitted on train + validation
    test = {name: metrics.loc[(name, "test")] for name in (champion, "rule_points", "random")}
    assert test[champion]["n"] > 300 and test[champion]["positives"] > 30
    assert test[champion]["auc_roc"] > test["rule_points"]["auc_roc"] + 0.04
    assert test[champion]["auc_roc"] > test["random"]["auc_roc"] + 0.25
    assert test[champion]["log_loss"] < min(test["rule_points"]["log_loss"], test["random"]["log_loss"])
    assert test[champion]["top_decile_lift"] > test["rule_points"]["top_decile_lift"]
    assert metrics.loc[(champion, "test"), "is_champion"]
    assert set(result.metrics["model"]) == {"logistic", "random_forest", "lightgbm", "rule_points", "random", champion}
    assert metrics.loc[metrics["is_champion"]].index.get_level_values("model").unique().tolist() == [champion]


def test_the_reported_test_metrics_are_those_of_the_refit_on_train_and_validation(result):
    selected = result.metrics.set_index(["model", "split"])
    champion = result.champion
    refit, tuned = selected.loc[(f"{champion.algorithm}_refit", "test")], selected.loc[(champion.algorithm, "test")]
    assert refit["auc_roc"] != tuned["auc_roc"]  # a different model, not the tuned one under a new name
    assert result.registry_row["test_auc_roc"] == refit["auc_roc"]


def test_the_shipped_champion_is_fitted_on_every_matured_row_with_a_map_from_the_test_split(result, snapshots):
    champion = result.champion
    assert champion.metadata["fitted_on"] == "every matured row"
    assert json.loads(result.registry_row["hyperparameters_json"])["fitted_on"] == "every matured row"
    rows = snapshots.loc[result.split.index[result.split == "test"]]
    shipped = predict_proba(champion, rows)
    # it has seen the test rows, so it is not the model whose test predictions were reported
    assert not np.allclose(shipped, result.test_predictions["probability"].to_numpy(), atol=1e-6)
    # the calibration map was refitted on the test split's out-of-sample scores: on them it matches the outcomes
    assert result.test_predictions["label"].mean() == pytest.approx(
        np.mean(apply_calibration(champion.calibration, _evaluated_raw_test(result, snapshots))), abs=0.01)


def _evaluated_raw_test(result, snapshots):
    """Raw test scores of the model fitted before the test period (the one the reported metrics describe)."""
    fitted_before_test = train_lead_model(snapshots, make_catalog(), make_rules(), horizon_days=90, random_state=7,
                                     trained_at=TRAINED_AT, ship_on_all_history=False,
                                     algorithms=(result.champion.algorithm,))
    rows = snapshots.loc[result.split.index[result.split == "test"]]
    return predict_raw(fitted_before_test.champion, rows)


def test_without_the_final_refit_the_bundle_reproduces_the_reported_test_predictions(snapshots):
    evaluated = train_lead_model(snapshots, make_catalog(), make_rules(), horizon_days=90, random_state=7,
                                 trained_at=TRAINED_AT, ship_on_all_history=False, algorithms=("logistic", "lightgbm"))
    assert evaluated.champion.metadata["fitted_on"] == "train+validation"
    rows = snapshots.loc[evaluated.split.index[evaluated.split == "test"]]
    shipped = rows[["lead_id", "as_of_date"]].assign(shipped=predict_proba(evaluated.champion, rows))
    reported = evaluated.test_predictions.merge(shipped, on=["lead_id", "as_of_date"], validate="one_to_one")
    assert len(reported) == len(evaluated.test_predictions)
    np.testing.assert_allclose(reported["probability"], reported["shipped"], rtol=0, atol=1e-12)


def test_refit_can_be_switched_off(snapshots):
    plain = train_lead_model(snapshots, make_catalog(), make_rules(), horizon_days=90, random_state=7,
                             trained_at=TRAINED_AT, refit_on_validation=False, ship_on_all_history=False,
                             algorithms=("logistic", "lightgbm"))
    assert plain.champion.metadata["fitted_on"] == "train"
    champion_rows = plain.metrics.loc[plain.metrics["is_champion"]]
    assert set(champion_rows["model"]) == {plain.champion.algorithm}


def test_outputs_are_ready_for_warehouse_tables(result, snapshots):
    row = result.registry_row
    assert json.loads(json.dumps(row, allow_nan=False)) == row
    assert all(not isinstance(value, (dict, list)) for value in row.values())  # one flat row
    assert row["algorithm"] == result.champion.algorithm and row["model_version"] == result.champion.version_id
    assert row["model_version"].startswith("v20250106120000-")
    assert row["train_end_date"] < row["validation_start_date"] < row["validation_end_date"] < row["test_start_date"]
    gap = pd.Timestamp(row["test_start_date"]) - pd.Timestamp(row["validation_end_date"])
    assert gap.days >= 90
    per_candidate = json.loads(row["metrics_json"])
    assert set(per_candidate["lightgbm"]) == {"kind", "train", "validation", "test"}
    predictions = result.test_predictions
    assert list(predictions.columns[:4]) == ["lead_id", "as_of_date", "label", "probability"]
    assert len(predictions) == (result.split == "test").sum() == row["test_rows"]
    assert predictions["probability"].between(0, 1, inclusive="neither").all()
    assert predictions["score"].between(1, 99).all()
    assert set(result.calibration_table["model"]) == set(result.lift_table["model"]) == set(result.metrics["model"])
    assert set(result.feature_importance["feature"]) == set(result.champion.features)
    assert result.feature_importance["mean_abs_contribution"].is_monotonic_decreasing
    top5 = set(result.feature_importance["feature"].head(5))
    assert not any(name.startswith("noise_") for name in top5)  # informative features come first
    assert result.split.index.isin(snapshots.index).all()


def test_protected_attribute_is_never_a_model_input(result):
    for bundle in result.candidates.values():
        assert "country" not in bundle.features
        assert all(not name.startswith("country") for name in bundle.encoder.get_feature_names_out())
    assert "country" not in set(result.feature_importance["feature"])
    assert "country" not in json.loads(result.registry_row["single_feature_auc_json"])


def test_serialization_round_trips_to_identical_predictions_and_contributions(result, snapshots):
    rows = snapshots[snapshots["is_scoring_row"]]
    assert len(rows) > 20
    for algorithm, bundle in result.candidates.items():
        text = serialize_model(bundle)
        assert isinstance(text, str) and json.loads(text)["algorithm"] == algorithm
        restored = deserialize_model(text)
        assert restored.version_id == bundle.version_id
        np.testing.assert_array_equal(predict_proba(restored, rows), predict_proba(bundle, rows))
        pd.testing.assert_frame_equal(explain(restored, rows), explain(bundle, rows))
    assert deserialize_model(result.registry_row["model_json"]).version_id == result.champion.version_id


def test_contributions_add_up_to_the_model_log_odds(result, snapshots):
    rows = snapshots.head(300)
    for algorithm in ("lightgbm", "logistic"):
        bundle = result.candidates[algorithm]
        raw = predict_raw(bundle, rows)
        np.testing.assert_allclose(explain(bundle, rows).sum(axis=1), logit(raw), atol=1e-6)
    forest = result.candidates["random_forest"]
    assert forest.explainer["r2"] > 0.3  # the linear surrogate follows the forest reasonably


def test_training_does_not_depend_on_row_order_and_runs_champion_challenger(result, snapshots):
    reversed_champion = dataclasses.replace(
        result.champion, calibration={"method": "platt", "a": -1.0, "b": 0.0, "input": "logit"}, version_id="v-old"
    )
    shuffled = snapshots.sample(frac=1.0, random_state=3)
    again = train_lead_model(shuffled, make_catalog(), make_rules(), horizon_days=90, random_state=7,
                             trained_at=TRAINED_AT, current_champion=reversed_champion)
    assert again.champion.version_id == result.champion.version_id
    pd.testing.assert_frame_equal(again.test_predictions, result.test_predictions)
    assert again.promote is True and again.registry_row["promote"] is True
    assert again.registry_row["current_champion_version"] == "v-old"
    assert result.promote is None


def test_score_leads_gives_probability_score_band_and_reasons(result, snapshots):
    rows = snapshots[snapshots["is_scoring_row"]]
    bands = pd.DataFrame({"band": ["A", "B", "C", "D"], "min_score": [90, 70, 40, 1], "max_score": [99, 89, 69, 39]})
    scored = score_leads(result.champion, rows, make_catalog(), bands=bands)
    assert len(scored) == len(rows)
    assert scored["score"].between(1, 99).all() and scored["band"].notna().all()
    order = np.argsort(scored["probability"].to_numpy(), kind="stable")
    assert np.all(np.diff(scored["score"].to_numpy()[order]) >= 0)
    assert scored["reason_up_1"].notna().mean() > 0.9
    assert scored["model_version"].eq(result.champion.version_id).all()
    assert all(isinstance(json.loads(text), dict) for text in scored["contributions_json"])


def test_training_guards_fire_before_any_model_is_fitted():
    small = make_snapshots(n_leads=150)
    with pytest.raises(InsufficientDataError, match="distinct leads"):
        train_lead_model(small, make_catalog(), make_rules())
    leaky = make_snapshots(n_leads=800)
    leaky["days_to_close"] = np.where(leaky["label"] == 1, 12.0, np.nan)
    catalog = pd.concat([make_catalog(), pd.DataFrame([{
        "feature_name": "days_to_close", "family": "temporal", "data_type": "numeric",
        "explanation_template": "Closed in {value} days", "is_protected": False, "description": "days to close"}])])
    with pytest.raises(LeakageError, match="days_to_close"):
        train_lead_model(leaky, catalog, make_rules(), min_leads=100, min_positives=20)


def test_deal_size_model_learns_from_wins_and_falls_back_to_the_median(snapshots):
    rng = np.random.default_rng(0)
    won = snapshots[snapshots["label"] == 1].drop_duplicates("lead_id").copy()
    won["amount"] = np.exp(8 + 0.5 * np.log(won["employee_count"] + 1) + rng.normal(0, 0.3, len(won)))
    model = fit_deal_size_model(won, make_catalog(), random_state=0)
    assert model.kind == "lightgbm" and model.n_wins == len(won) and "country" not in model.features
    predicted = predict_deal_size(model, won)
    assert np.corrcoef(np.log(predicted), np.log(won["amount"]))[0, 1] > 0.8
    assert 0.8 < predicted.mean() / won["amount"].mean() < 1.25  # smearing keeps the mean right
    restored = deserialize_deal_size_model(serialize_deal_size_model(model))
    np.testing.assert_array_equal(predict_deal_size(restored, won), predicted)
    few = fit_deal_size_model(won.head(12), make_catalog())
    assert few.kind == "median"
    assert np.all(predict_deal_size(few, won) == np.median(won["amount"].head(12)))


def test_short_history_trains_a_model_validated_on_held_out_leads():
    snapshots = make_snapshots(n_leads=1500, weeks=36)  # about eight months: two embargoes of 90 days do not fit
    result = train_lead_model(snapshots, make_catalog(), make_rules(), horizon_days=90, random_state=7,
                              algorithms=("logistic",), trained_at=TRAINED_AT)
    assert result.split_mode == "lead_holdout" and result.registry_row["split_mode"] == "lead_holdout"
    assert result.champion.metadata["split_mode"] == "lead_holdout"
    assert any("lead-grouped holdout" in note for note in result.limitations)
    row = result.registry_row
    assert row["validation_start_date"] <= row["train_end_date"]  # validation shares the fitting period
    gap = pd.Timestamp(row["test_start_date"]) - pd.Timestamp(max(row["train_end_date"], row["validation_end_date"]))
    assert gap.days >= 90  # the one embargo, before the test period
    assert row["test_auc_roc"] > 0.6


def test_a_part_with_a_single_outcome_class_stops_training_with_insufficient_data():
    snapshots = make_snapshots()
    labelled_dates = pd.to_datetime(snapshots.loc[snapshots["label"].notna(), "as_of_date"])
    newest = pd.to_datetime(snapshots["as_of_date"]) >= labelled_dates.quantile(0.9)
    snapshots.loc[~newest & snapshots["label"].notna(), "label"] = 0.0  # conversions only in the newest weeks
    assert snapshots["label"].sum() >= 50
    with pytest.raises(InsufficientDataError, match="single outcome class") as error:
        train_lead_model(snapshots, make_catalog(), make_rules(), algorithms=("logistic",))
    assert type(error.value) is InsufficientDataError


def test_deal_size_needs_usable_amounts():
    won = make_snapshots(n_leads=300).drop_duplicates("lead_id").head(40).assign(amount=np.nan)
    with pytest.raises(InsufficientDataError, match="0 won leads with a positive opportunity amount"):
        fit_deal_size_model(won, make_catalog())
    won.loc[won.index[:4], "amount"] = 1000.0  # too few to say anything
    with pytest.raises(InsufficientDataError, match="4 won leads"):
        fit_deal_size_model(won, make_catalog())
