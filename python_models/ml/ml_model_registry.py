"""Model registry: append-only, one row per training run, the serialized model inside the row."""
from datetime import datetime, timezone

from leadscore.monitoring.relations import read_table_if_exists, sibling_relation
from leadscore.pipeline import monitoring_retrain_settings, registry_update, settings_from_config
from leadscore.warehouse import read_existing, to_pandas


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    # dbt hands a Python model only the config keys its code names literally, so each key is named here.
    config = {
        "retrain": dbt.config.get("retrain"),
        "retrain_every_days": dbt.config.get("retrain_every_days"),
        "horizon_days": dbt.config.get("horizon_days"),
        "random_state": dbt.config.get("random_state"),
        "min_labeled_leads": dbt.config.get("min_labeled_leads"),
        "min_positive_labels": dbt.config.get("min_positive_labels"),
        "leakage_auc_threshold": dbt.config.get("leakage_auc_threshold"),
        "drift_retrain": dbt.config.get("drift_retrain"),
    }
    features = to_pandas(dbt.ref("lead_features"), sort_by=["lead_id", "as_of_date"])
    catalog = to_pandas(dbt.ref("feature_catalog"), sort_by=["feature_name"])
    rules = to_pandas(dbt.ref("lead_scoring_rules"), sort_by=["rule_id"])
    won_deals = to_pandas(dbt.ref("int_lead_won_deals"), sort_by=["lead_id"])
    registry = read_existing(dbt, session)
    # The previous build's alerts, read without ref: ml_monitoring_alerts depends on this model.
    previous_alerts = read_table_if_exists(session, sibling_relation(dbt.this, "ml_monitoring_alerts"))
    settings = monitoring_retrain_settings(settings_from_config(config.get), previous_alerts, registry, features,
                                           enabled=config["drift_retrain"])
    return registry_update(
        features,
        catalog,
        rules,
        won_deals,
        registry,
        now=datetime.now(timezone.utc),
        settings=settings,
    )
