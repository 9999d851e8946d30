"""Model registry: append-only, one row per training run, the serialized model inside the row."""
from datetime import datetime, timezone

from leadscore.pipeline import registry_update, settings_from_config
from leadscore.warehouse import read_existing, to_pandas


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    features = to_pandas(dbt.ref("lead_features"), sort_by=["lead_id", "as_of_date"])
    catalog = to_pandas(dbt.ref("feature_catalog"), sort_by=["feature_name"])
    rules = to_pandas(dbt.ref("lead_scoring_rules"), sort_by=["rule_id"])
    won_deals = to_pandas(dbt.ref("int_lead_won_deals"), sort_by=["lead_id"])
    return registry_update(
        features,
        catalog,
        rules,
        won_deals,
        read_existing(dbt, session),
        now=datetime.now(timezone.utc),
        settings=settings_from_config(dbt.config.get),
    )
