"""The oracle comparison and the feature-ceiling measurement on small worlds whose truth is known, on the test split
and on the open cohort of an as-of backtest, and the command line on a hand-made warehouse."""
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from leadscore.ml import auc_roc, expected_calibration_error
from leadscore.oracle import (feature_ceiling, main, newest_backtest_cut, open_cohort_ceiling,
                              open_cohort_comparison, oracle_comparison)

CUT = pd.Timestamp("2026-03-30")


def make_world(hidden_weight: float, n_leads: int = 1500, seed: int = 3) -> pd.DataFrame:
    """Four snapshots per lead; the true probability depends on a recorded column and on a hidden one."""
    rng = np.random.default_rng(seed)
    lead = np.repeat(np.arange(n_leads), 4)
    recorded = rng.normal(size=n_leads)[lead] + rng.normal(scale=0.3, size=len(lead))
    hidden = rng.normal(size=n_leads)[lead]
    truth = expit(-3.0 + 1.2 * recorded + hidden_weight * hidden)
    return pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in lead],
        "as_of_date": pd.Timestamp("2026-01-05") + pd.to_timedelta(np.tile(np.arange(4) * 7, n_leads), unit="D"),
        "label": (rng.random(len(lead)) < truth).astype(int),
        "pricing_page_views_30d": recorded,
        "true_probability": truth,
    })


def make_cohort(n_leads: int = 1200, seed: int = 5) -> pd.DataFrame:
    """The leads open at one cut: young leads rank by a recorded column, old ones barely convert."""
    rng = np.random.default_rng(seed)
    age = rng.integers(1, 400, n_leads)
    recorded = rng.normal(size=n_leads)
    young = age < 100
    truth = expit(np.where(young, -2.0 + 1.5 * recorded, -4.5 + 0.3 * recorded))
    return pd.DataFrame({
        "model_version": "v20260630120000-abcdef12",
        "cut_date": CUT,
        "lead_id": [f"L{i:05d}" for i in range(n_leads)],
        "as_of_date": CUT,
        "lead_age_days": age,
        "is_young": young,
        "label": (rng.random(n_leads) < truth).astype(int),
        "probability": truth,
        "rule_points": np.round(10 * recorded + rng.normal(scale=10, size=n_leads)),
        "recency_score": 1.0 / (1.0 + age),
        "pricing_page_views_30d": recorded,
        "true_probability": truth,
    })


CATALOG = pd.DataFrame({"feature_name": ["pricing_page_views_30d"], "family": ["behavioral"],
                        "data_type": ["numeric"], "is_protected": [False]})


def test_the_ceiling_reaches_the_oracle_when_every_driver_is_recorded():
    world = make_world(hidden_weight=0.0)
    oracle = auc_roc(world["label"].to_numpy(), world["true_probability"].to_numpy())
    ceiling = feature_ceiling(world, CATALOG)
    assert abs(ceiling["truth_fit_auc"] - oracle) < 0.01
    assert ceiling["within_period_auc"] > oracle - 0.04  # labels are noisier than the truth, but carry the same signal


def test_the_ceiling_stays_below_the_oracle_by_what_no_record_holds():
    world = make_world(hidden_weight=1.5)
    oracle = auc_roc(world["label"].to_numpy(), world["true_probability"].to_numpy())
    ceiling = feature_ceiling(world, CATALOG)
    assert ceiling["truth_fit_auc"] < oracle - 0.05
    assert ceiling["truth_fit_auc"] > 0.6  # the recorded column still ranks


def test_oracle_comparison_scores_model_and_truth_on_the_same_rows():
    world = make_world(hidden_weight=0.0, n_leads=300)
    predictions = world[["lead_id", "as_of_date", "label"]].assign(probability=world["true_probability"] * 0.5)
    truth = world[["lead_id", "as_of_date", "true_probability"]].iloc[::2]  # truth for half the rows only
    result = oracle_comparison(predictions, truth)
    assert result["rows"] == len(world) and result["rows_with_truth"] == len(truth)
    assert abs(result["gap_to_oracle"]) < 1e-12  # a monotone transform of the truth ranks exactly like it
    assert result["model_ece"] > 0.01  # halved probabilities are miscalibrated


def test_newest_backtest_cut_is_the_newest_cut_of_the_newest_model():
    cohort = make_cohort(n_leads=10)
    frames = []
    for version in ("v20260101000000-11111111", "v20260630120000-22222222"):
        for cut in (CUT - pd.Timedelta(days=14), CUT - pd.Timedelta(days=7), CUT):
            frames.append(cohort.assign(model_version=version, cut_date=cut, as_of_date=cut))
    frames.append(cohort.assign(model_version="v20260101000000-11111111", cut_date=CUT + pd.Timedelta(days=7)))
    backtest = pd.concat(frames[::-1], ignore_index=True)
    newest = newest_backtest_cut(backtest)
    assert len(newest) == len(cohort)
    assert set(newest["model_version"]) == {"v20260630120000-22222222"} and set(newest["cut_date"]) == {CUT}
    assert newest["lead_id"].is_monotonic_increasing
    assert newest_backtest_cut(backtest.iloc[:0]).empty


def test_open_cohort_comparison_reports_all_open_leads_and_the_young():
    cohort = make_cohort()
    truth = cohort[["lead_id", "as_of_date", "true_probability"]]
    # the model ranks young leads like the truth, old ones at random, and has no probability for ten rows
    rng = np.random.default_rng(0)
    probability = np.where(cohort["is_young"], cohort["true_probability"], rng.random(len(cohort)))
    probability[:10] = np.nan
    result = open_cohort_comparison(cohort.assign(probability=probability), truth.iloc[20:])
    young, everyone = result["under_100_days"], result["all_open"]
    assert everyone["rows"] + everyone["rows_without_model"] == len(cohort) and everyone["rows_without_model"] == 10
    assert young["rows"] + young["rows_without_model"] == cohort["is_young"].sum()
    assert everyone["rows_with_truth"] == everyone["rows"] - 10  # the first 20 rows have no truth, 10 no model
    assert abs(young["gap_to_oracle"]) < 1e-12  # ranks young leads exactly like the truth
    assert everyone["gap_to_oracle"] > 0.0  # ... but not the old ones
    scored = cohort.assign(probability=probability).dropna(subset=["probability"])
    scored_young = scored[scored["is_young"]]
    assert young["model_ece"] == pytest.approx(expected_calibration_error(
        scored_young["label"].to_numpy(), scored_young["probability"].to_numpy()))
    assert young["positives"] == cohort.loc[cohort["is_young"], "label"].sum()
    assert everyone["rule_points_auc"] == pytest.approx(auc_roc(cohort["label"], cohort["rule_points"]))
    assert everyone["recency_auc"] > 0.6  # young leads convert more: recency ranks them first


def test_open_cohort_comparison_without_any_model_probability():
    cohort = make_cohort(n_leads=200).assign(probability=np.nan)  # the rule fallback at this cut
    result = open_cohort_comparison(cohort, cohort[["lead_id", "as_of_date", "true_probability"]])
    assert result["all_open"]["rows"] == 0 and result["all_open"]["rows_without_model"] == 200
    assert np.isnan(result["all_open"]["model_auc"]) and not np.isnan(result["all_open"]["rule_points_auc"])


def test_open_cohort_ceiling_judges_each_slice_on_its_own_rows():
    cohort = make_cohort(n_leads=2000)
    catalog = pd.concat([CATALOG, pd.DataFrame({"feature_name": ["lead_age_days"], "family": ["temporal"],
                                                "data_type": ["numeric"], "is_protected": [False]})])
    ceiling = open_cohort_ceiling(cohort, catalog)
    young = cohort[cohort["is_young"]]
    assert ceiling["all_open"]["rows"] == len(cohort) and ceiling["under_100_days"]["rows"] == len(young)
    oracle_all = auc_roc(cohort["label"], cohort["true_probability"])
    oracle_young = auc_roc(young["label"], young["true_probability"])
    assert oracle_all > oracle_young + 0.05  # old leads are easy to tell apart: the slices differ
    # every driver is recorded, so the yardstick reaches the oracle of each slice
    assert abs(ceiling["all_open"]["truth_fit_auc"] - oracle_all) < 0.02
    assert abs(ceiling["under_100_days"]["truth_fit_auc"] - oracle_young) < 0.02


def write_warehouse(path: Path, with_backtest: bool = True) -> pd.DataFrame:
    """A tiny warehouse: the generator's truth, lead_features, the catalog, a champion, its test split and an
    as-of backtest of two cuts."""
    world = make_world(hidden_weight=0.5, n_leads=400)
    cohort = make_cohort(n_leads=800)
    features = pd.concat([world[["lead_id", "as_of_date", "label", "pricing_page_views_30d"]],
                          cohort[["lead_id", "as_of_date", "label", "pricing_page_views_30d"]]], ignore_index=True)
    truth = pd.concat([world[["lead_id", "as_of_date", "true_probability"]],
                       cohort[["lead_id", "as_of_date", "true_probability"]]], ignore_index=True)
    test_predictions = world[["lead_id", "as_of_date", "label"]].assign(probability=world["true_probability"] * 0.8)
    backtest = pd.concat([cohort.assign(cut_date=CUT - pd.Timedelta(days=7), as_of_date=CUT - pd.Timedelta(days=7),
                                        probability=0.5),
                          cohort], ignore_index=True).drop(columns=["pricing_page_views_30d", "true_probability"])
    backtest["probability"] = backtest["probability"].where(~backtest["is_young"], backtest["probability"] * 0.9)
    champion = pd.DataFrame({"model_version": ["v20260630120000-abcdef12"], "algorithm": ["lightgbm"],
                             "test_auc_roc": [0.8], "rule_points_test_auc_roc": [0.6], "test_ece": [0.01]})
    with duckdb.connect(str(path)) as connection:
        for schema in ("truth", "analytics", "analytics_reference"):
            connection.execute(f"create schema {schema}")
        tables = {"truth.lead_conversion_probability": truth,
                  "analytics.lead_features": features.assign(is_scoring_row=False),
                  "analytics_reference.feature_catalog": CATALOG,
                  "analytics.ml_test_predictions": test_predictions,
                  "analytics.ml_champion_model": champion}
        if with_backtest:
            tables["analytics.ml_backtest_predictions"] = backtest
        for name, frame in tables.items():
            connection.register("frame", frame)
            connection.execute(f"create table {name} as select * from frame")
            connection.unregister("frame")
            for column in {"as_of_date", "cut_date"} & set(frame.columns):  # dates in the warehouse
                connection.execute(f"alter table {name} alter {column} type date")
    return cohort


def test_the_command_line_prints_the_test_split_and_the_open_cohort(tmp_path: Path, capsys) -> None:
    db = tmp_path / "warehouse.duckdb"
    cohort = write_warehouse(db)
    main(["--db", str(db), "--ceiling"])
    out = capsys.readouterr().out
    assert "champion v20260630120000-abcdef12 (lightgbm) on 1,600 test rows" in out
    assert "open cohort at 2026-03-30" in out
    expected = open_cohort_comparison(cohort.assign(probability=np.where(cohort["is_young"],
                                                                         cohort["probability"] * 0.9,
                                                                         cohort["probability"])),
                                      cohort[["lead_id", "as_of_date", "true_probability"]])
    model_line = next(line for line in out.splitlines() if line.strip().startswith("model AUC"))
    assert model_line.split()[-2:] == [f"{expected['all_open']['model_auc']:.4f}",
                                       f"{expected['under_100_days']['model_auc']:.4f}"]
    open_block = out[out.index("open cohort at"):].splitlines()
    ece_line = next(line for line in open_block if line.strip().startswith("expected calib. error"))
    assert ece_line.split()[-2:] == [f"{expected['all_open']['model_ece']:.4f}",
                                     f"{expected['under_100_days']['model_ece']:.4f}"]
    assert "fitted to the true probabilities" in out and "model minus this" in out
    assert "no truth" not in out  # every cohort row has one


def test_the_command_line_degrades_without_a_backtest(tmp_path: Path, capsys) -> None:
    db = tmp_path / "warehouse.duckdb"
    write_warehouse(db, with_backtest=False)
    main(["--db", str(db)])
    out = capsys.readouterr().out
    assert "model test AUC" in out
    assert "ml_backtest_predictions is missing" in out
