"""Calibration curve of each compared model on the newest matured weeks (the bins behind its ECE)."""
from leadscore.monitoring.performance import recent_calibration
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    recent_weeks = int(dbt.config.get("monitoring_recent_weeks"))
    scores = to_pandas(dbt.ref("ml_snapshot_scores"), sort_by=["model_version", "as_of_date", "lead_id"])
    return recent_calibration(scores, recent_weeks)
