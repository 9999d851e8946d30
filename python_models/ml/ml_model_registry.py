"""Model registry: append-only, one row per training run, the serialized model inside the row."""
from datetime import datetime, timezone

from leadscore.monitoring.relations import read_table_if_exists, select_rows, sibling_relation
from leadscore.pipeline import (
    TRAINABLE_ROWS_SQL,
    empty_registry,
    labeled_history,
    monitoring_retrain_settings,
    registry_update,
    retrain_reason,
    settings_from_config,
)
from leadscore.warehouse import read_existing, to_pandas


KEY = ["lead_id", "as_of_date"]


def model(dbt, session):
    # append_new_columns: a registry built by an older package version gains the columns added since.
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="append_new_columns")
    # dbt hands a Python model only the config keys its code names literally, so each key is named here.
    config = {
        "retrain": dbt.config.get("retrain"),
        "retrain_every_days": dbt.config.get("retrain_every_days"),
        "horizon_days": dbt.config.get("horizon_days"),
        "random_state": dbt.config.get("random_state"),
        "min_labeled_leads": dbt.config.get("min_labeled_leads"),
        "min_positive_labels": dbt.config.get("min_positive_labels"),
        "leakage_auc_threshold": dbt.config.get("leakage_auc_threshold"),
        "candidate_algorithms": dbt.config.get("candidate_algorithms"),
        "drift_retrain": dbt.config.get("drift_retrain"),
        "lead_custom_fields": dbt.config.get("lead_custom_fields"),
        "skew_max_missing_rate_gap": dbt.config.get("skew_max_missing_rate_gap"),
        "skew_max_psi": dbt.config.get("skew_max_psi"),
    }
    lead_features = dbt.ref("lead_features_with_custom_fields")
    # Two columns of the trainable rows decide whether to train; the features are read only when it does.
    labeled = select_rows(lead_features, ["lead_id", "label"], TRAINABLE_ROWS_SQL)
    registry = read_existing(dbt, session)
    # The previous build's alerts, read without ref: ml_monitoring_alerts depends on this model.
    previous_alerts = read_table_if_exists(session, sibling_relation(dbt.this, "ml_monitoring_alerts"))
    settings = monitoring_retrain_settings(settings_from_config(config.get), previous_alerts, registry, labeled,
                                           enabled=config["drift_retrain"])
    now = datetime.now(timezone.utc)
    if retrain_reason(registry, now, settings, labeled_history(labeled)) is None:
        return empty_registry()
    sampled_leads = dbt.ref("int_training_leads_sampled").select("lead_id")
    won_deals = dbt.ref("int_lead_won_deals")
    return registry_update(
        to_pandas(lead_features.filter(TRAINABLE_ROWS_SQL).join(sampled_leads, "lead_id"), sort_by=KEY),
        to_pandas(dbt.ref("feature_catalog"), sort_by=["feature_name"]),
        to_pandas(dbt.ref("lead_scoring_rules"), sort_by=["rule_id"]),
        to_pandas(won_deals, sort_by=["lead_id"]),
        registry,
        now=now,
        settings=settings,
        history=labeled_history(labeled),
        won_deal_features=to_pandas(lead_features.join(won_deals.select("lead_id"), "lead_id"), sort_by=KEY),
        # Today's rows, for the train/serve skew guard.
        scoring_rows=to_pandas(lead_features.filter("is_scoring_row"), sort_by=KEY),
    )
