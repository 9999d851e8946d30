"""Every trained model's test-split report, long format for BI: metrics, thresholds, calibration bins, lift."""
from leadscore.pipeline import evaluation_long
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["trained_at", "model_version"])
    return evaluation_long(registry)
