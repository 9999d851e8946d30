"""Global feature importance of every trained model, with the feature's family and description."""
from leadscore.pipeline import feature_importance_table
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["trained_at", "model_version"])
    catalog = to_pandas(dbt.ref("feature_catalog"), sort_by=["feature_name"])
    return feature_importance_table(registry, catalog)
