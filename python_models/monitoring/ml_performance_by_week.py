"""Week by week, each compared model's AUC, calibration and band A precision / recall on matured snapshots."""
from leadscore.monitoring.performance import weekly_performance
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    scores = to_pandas(dbt.ref("ml_snapshot_scores"), sort_by=["model_version", "as_of_date", "lead_id"])
    bands = to_pandas(dbt.ref("score_bands"), sort_by=["min_score"])
    return weekly_performance(scores, bands)
