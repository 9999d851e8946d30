"""Monitoring's pure functions: PSI and its SQL binning rule, the drift retrain trigger, backtest windows,
performance tables, engine-neutral reads and the report page."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from leadscore.ml import auc_roc, expected_calibration_error
from leadscore.monitoring import (
    backtest_models,
    calibration_bins,
    drift_retrain_reason,
    performance_table,
    population_stability_index,
    recent_performance,
    week_windows,
    weekly_performance,
)
from leadscore.monitoring.psi import bin_counts, ntile_edges
from leadscore.monitoring.relations import read_table_if_exists, select_rows, sibling_relation
from leadscore.monitoring.report import CHART_IDS, build_figures, render_report
from leadscore.monitoring.snapshots import BacktestModel, model_split
from leadscore.pipeline import TrainingSettings, monitoring_retrain_settings

BANDS = pd.DataFrame({"band": ["A", "B", "C", "D"], "min_score": [90, 70, 40, 1], "max_score": [99, 89, 69, 39]})


# ---- PSI -------------------------------------------------------------------------------------------------------

def test_psi_is_zero_for_identical_distributions_and_grows_with_the_shift():
    assert population_stability_index([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0)
    small = population_stability_index([50, 50], [55, 45])
    large = population_stability_index([50, 50], [90, 10])
    assert 0 < small < 0.1 < 0.25 < large


def test_psi_floors_empty_bins_and_is_nan_without_rows():
    assert np.isfinite(population_stability_index([100, 0], [50, 50]))
    assert np.isnan(population_stability_index([0, 0], [1, 2]))


@pytest.mark.parametrize("n_values, n_bins", [(1000, 10), (37, 10), (5, 10), (200, 3)])
def test_ntile_edges_match_sql_ntile(n_values, n_bins):
    """The reference edges are exactly what ntile() in SQL gives the drift models."""
    rng = np.random.default_rng(n_values)
    values = np.round(rng.exponential(3.0, n_values))  # many ties, as in count features
    connection = duckdb.connect()
    connection.register("training", pd.DataFrame({"value": values}))
    sql_edges = connection.sql(f"""
        with tiles as (select value, ntile({n_bins}) over (order by value) as tile from training),
        edges as (select tile, max(value) as edge from tiles group by tile)
        select distinct edge from edges where tile < (select max(tile) from edges) order by edge
    """).fetchnumpy()["edge"]
    np.testing.assert_array_equal(ntile_edges(values, n_bins), sql_edges)


def test_bin_counts_put_edges_in_the_lower_bin_and_missing_last():
    counts = bin_counts([1.0, 2.0, 2.5, 3.0, 9.0, np.nan], np.array([2.0, 3.0]))
    np.testing.assert_array_equal(counts, [2, 2, 1, 1])


# ---- the drift retrain trigger ---------------------------------------------------------------------------------

def alerts(breached: bool = True, triggers: bool = True, version: str = "v1") -> pd.DataFrame:
    return pd.DataFrame({
        "check_name": ["feature_psi", "calibration_error"],
        "model_version": [version, version],
        "is_breached": [breached, True],
        "triggers_retrain": [triggers, False],
        "detail": ["account_known_leads 1.76", "observed 0.03"],
    })


def test_breached_retrain_check_on_the_champion_with_new_labels_retrains():
    reason = drift_retrain_reason(alerts(), "v1", (100, 10), (120, 12))
    assert reason == "drift: feature_psi: account_known_leads 1.76"


@pytest.mark.parametrize("frame, champion, last, now", [
    (None, "v1", (100, 10), (120, 12)),                       # first build: no alerts table yet
    (alerts(breached=False), "v1", (100, 10), (120, 12)),     # nothing breached
    (alerts(triggers=False), "v1", (100, 10), (120, 12)),     # breached, but not a retrain trigger
    (alerts(version="v0"), "v1", (100, 10), (120, 12)),       # measured against a model no longer live
    (alerts(), None, (100, 10), (120, 12)),                   # no live model
    (alerts(), "v1", (120, 12), (120, 12)),                   # no label matured since the last run
])
def test_no_drift_retrain_otherwise(frame, champion, last, now):
    assert drift_retrain_reason(frame, champion, last, now) is None


def registry_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "model_version": ["v0", "v1"],
        "trained_at": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "status": ["trained", "trained"],
        "is_promoted": [True, True],
        "labeled_leads": pd.array([90, 100], dtype="Int64"),
        "labeled_positives": pd.array([9, 10], dtype="Int64"),
        "model_json": ["{}", "{}"],
        "train_end_date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
        "validation_start_date": pd.to_datetime(["2025-04-01", "2025-05-01"]),
        "test_start_date": pd.to_datetime(["2025-08-01", "2025-09-01"]),
        "test_end_date": pd.to_datetime(["2025-10-01", "2025-11-01"]),
    })


def features_with_history(leads: int) -> pd.DataFrame:
    return pd.DataFrame({"lead_id": [f"l{i}" for i in range(leads)], "as_of_date": pd.Timestamp("2025-01-06"),
                         "label": 0, "is_label_mature": True, "is_never_worked": False})


def test_pipeline_hook_sets_the_registry_reason_and_respects_the_var():
    settings = monitoring_retrain_settings(TrainingSettings(), alerts(), registry_rows(), features_with_history(120))
    assert settings.extra_retrain_reason == "drift: feature_psi: account_known_leads 1.76"
    off = monitoring_retrain_settings(TrainingSettings(), alerts(), registry_rows(), features_with_history(120),
                                      enabled="False")
    assert off.extra_retrain_reason is None
    unchanged = monitoring_retrain_settings(TrainingSettings(), alerts(), registry_rows(),
                                            features_with_history(100).assign(label=[1] * 10 + [0] * 90))
    assert unchanged.extra_retrain_reason is None


# ---- backtest windows ------------------------------------------------------------------------------------------

def test_backtest_models_are_the_newest_promoted_champion_first():
    models = backtest_models(registry_rows(), 2)
    assert [model.model_version for model in models] == ["v1", "v0"]
    assert [model.is_champion for model in models] == [True, False]
    assert backtest_models(registry_rows(), 1)[0].model_version == "v1"
    assert backtest_models(registry_rows().assign(is_promoted=False), 2) == []


def test_week_windows_cover_the_history_in_seven_day_steps():
    windows = week_windows(pd.Timestamp("2026-06-30"), 3)
    assert windows[0] == (pd.Timestamp("2026-06-09"), pd.Timestamp("2026-06-16"))
    assert windows[-1][1] == pd.Timestamp("2026-06-30")
    assert all(end - start == pd.Timedelta(days=7) for start, end in windows)


def test_model_split_names_where_a_snapshot_sits():
    model = BacktestModel("v1", "{}", True, pd.Timestamp("2025-02-01"), pd.Timestamp("2025-05-01"),
                          pd.Timestamp("2025-09-01"), pd.Timestamp("2025-11-01"))
    dates = pd.Series(pd.to_datetime(["2025-03-01", "2025-06-01", "2025-09-01", "2025-11-01", "2025-12-01"]))
    assert list(model_split(dates, model)) == ["embargo", "validation", "test", "test", "after_test"]


# ---- performance -----------------------------------------------------------------------------------------------

def backtest_frame(seed: int = 3, weeks: int = 6, per_week: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = weeks * per_week
    probability = rng.beta(1, 20, n)
    return pd.DataFrame({
        "lead_id": [f"l{i}" for i in range(n)],
        "as_of_date": np.repeat(pd.date_range("2026-01-05", periods=weeks, freq="7D"), per_week),
        "model_version": "v1",
        "model_split": "test",
        "label": pd.array(rng.binomial(1, probability), dtype="Int64"),
        "is_never_worked": rng.random(n) < 0.1,
        "probability": probability,
        "priority_band": np.select([probability > 0.1, probability > 0.05, probability > 0.02], ["A", "B", "C"], "D"),
    })


def test_performance_uses_every_matured_row_worked_or_not_and_the_training_metrics():
    scores = backtest_frame()
    scores.loc[:50, "label"] = pd.NA
    table = performance_table(scores, ["model_version"], "A")
    known = scores[scores["label"].notna()]
    assert scores.loc[known.index, "is_never_worked"].any()  # unworked leads are judged like the rest
    labels, probabilities = known["label"].to_numpy(dtype=float), known["probability"].to_numpy()
    row = table.iloc[0]
    assert row["snapshots"] == len(known)
    assert row["auc_roc"] == pytest.approx(auc_roc(labels, probabilities))
    assert row["expected_calibration_error"] == pytest.approx(expected_calibration_error(labels, probabilities))
    in_a = known["priority_band"] == "A"
    assert row["top_band_precision"] == pytest.approx(labels[in_a.to_numpy()].mean())
    assert row["top_band_recall"] == pytest.approx(labels[in_a.to_numpy()].sum() / labels.sum())


def test_weekly_and_recent_performance_windows():
    scores = backtest_frame()
    weekly = weekly_performance(scores, BANDS)
    assert len(weekly) == 6 and set(weekly["model_split"]) == {"test"}
    recent = recent_performance(scores, BANDS, weeks=2)
    assert recent["period_start"].iloc[0] == pd.Timestamp("2026-02-02")
    assert recent["snapshots"].iloc[0] == weekly["snapshots"].tail(2).sum()
    assert recent_performance(scores.assign(label=pd.NA), BANDS, 2).empty


def test_performance_tables_are_empty_but_typed_without_scores():
    """Under the rule-based fallback the backtest is empty; every table still builds with its columns."""
    empty = backtest_frame().iloc[0:0]
    for table in (weekly_performance(empty, BANDS), recent_performance(empty, BANDS, 13), calibration_bins(empty)):
        assert table.empty and len(table.columns) > 5


def test_calibration_bins_sum_to_the_rows():
    bins = calibration_bins(backtest_frame())
    assert bins["snapshots"].sum() == len(backtest_frame())
    assert (bins["abs_gap"] >= 0).all()


# ---- engine-neutral reads --------------------------------------------------------------------------------------

def test_select_rows_filters_and_projects_in_the_engine():
    connection = duckdb.connect()
    connection.execute("create table features as select range as id, range % 3 as kind, 'x' as extra from range(10)")
    rows = select_rows(connection.table("features"), ["id", "kind"], "kind = 1")
    assert list(rows.columns) == ["id", "kind"] and list(rows["id"]) == [1, 4, 7]


def test_sibling_relation_and_a_missing_table():
    assert sibling_relation('"db"."analytics"."ml_model_registry"', "ml_monitoring_alerts") == \
        '"db"."analytics"."ml_monitoring_alerts"'
    connection = duckdb.connect()
    assert read_table_if_exists(connection, '"memory"."main"."nothing_here"') is None
    connection.execute("create table present as select 1 as x")
    assert len(read_table_if_exists(connection, '"memory"."main"."present"')) == 1


# ---- report ----------------------------------------------------------------------------------------------------

def test_report_renders_every_chart_even_before_any_model():
    page = render_report({"bands": BANDS})
    for chart_id in CHART_IDS:
        assert f'id="{chart_id}"' in page
    assert "No trained model" in page


def test_report_figures_draw_the_data_they_get():
    performance = backtest_frame().assign(week_start=lambda f: f["as_of_date"])
    by_band = performance.groupby(["model_version", "week_start", "priority_band"], as_index=False).agg(
        conversion_rate=("label", "mean"))
    figures = build_figures({"bands": BANDS, "performance_by_band": by_band,
                             "scores": pd.DataFrame({"lead_score": [5, 50, 95], "priority_band": ["D", "C", "A"]})})
    assert len(figures["chart-conversion-by-band"].data) == 4
    assert sum(len(trace.x) for trace in figures["chart-score-distribution"].data) == 3
