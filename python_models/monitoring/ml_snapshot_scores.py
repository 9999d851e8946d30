"""Backtest scores: the champion and the models it replaced score the weekly snapshots they never trained on."""
from leadscore.monitoring.relations import select_rows
from leadscore.monitoring.snapshots import backtest_models, backtest_scores, week_windows
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    history_weeks = int(dbt.config.get("monitoring_history_weeks"))
    compared_models = int(dbt.config.get("monitoring_compared_models"))
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["trained_at", "model_version"])
    bands = to_pandas(dbt.ref("score_bands"), sort_by=["min_score"])
    scoring_date = to_pandas(dbt.ref("int_run_dates"))["scoring_as_of_date"].iloc[0]
    features = dbt.ref("lead_features_with_custom_fields")

    def read_week(columns, start, end):
        return select_rows(features, columns, f"not is_scoring_row and as_of_date >= cast('{start:%Y-%m-%d}' as date)"
                                              f" and as_of_date < cast('{end:%Y-%m-%d}' as date)")

    return backtest_scores(read_week, backtest_models(registry, compared_models), bands,
                           week_windows(scoring_date, history_weeks))
