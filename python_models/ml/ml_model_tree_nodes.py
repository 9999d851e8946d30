"""Every node of every tree of the LightGBM and random-forest models (SQL scorer)."""
from leadscore.ml.model_tables import registry_tables
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["model_version"])
    return registry_tables(registry, "tree_nodes")
