"""Path contributions of every LightGBM leaf to each feature: the table behind tree reasons, in Python and SQL."""
from leadscore.ml.model_tables import registry_tables
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["model_version"])
    return registry_tables(registry, "leaf_contributions")
