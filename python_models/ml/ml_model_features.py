"""The inputs of every trained model version, in the model's column order, with their kind and encoding (SQL scorer)."""
from leadscore.ml.model_tables import registry_tables
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    registry = to_pandas(dbt.ref("ml_model_registry"), sort_by=["model_version"])
    return registry_tables(registry, "features")
