"""Each compared model's performance on the newest matured weeks: the period the alerts judge."""
from leadscore.monitoring.performance import recent_performance
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    recent_weeks = int(dbt.config.get("monitoring_recent_weeks"))
    scores = to_pandas(dbt.ref("ml_snapshot_scores"), sort_by=["model_version", "as_of_date", "lead_id"])
    bands = to_pandas(dbt.ref("score_bands"), sort_by=["min_score"])
    return recent_performance(scores, bands, recent_weeks)
