"""Train/serve skew of every candidate feature of the newest trained model, and which ones it dropped."""
from leadscore.pipeline import feature_skew_rows
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["trained_at", "model_version"])
    return feature_skew_rows(registry)
