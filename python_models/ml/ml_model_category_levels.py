"""The integer code of every kept category level of the tree encoders (SQL scorer)."""
from leadscore.ml.model_tables import registry_tables
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["model_version"])
    return registry_tables(registry, "category_levels")
