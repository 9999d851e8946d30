"""As-of backtest: at each of the newest matured cut dates, a model trained only on outcomes matured before the cut
scores the leads open at it, beside the rule points and recency. Computed once per champion (incremental)."""
from datetime import timedelta

from leadscore.ml.backtest import PREDICTION_SCHEMA, backtest_cut_dates, backtest_due, backtest_predictions, empty_frame
from leadscore.pipeline import TRAINABLE_ROWS_SQL, settings_from_config
from leadscore.warehouse import to_pandas

KEY = ["lead_id", "as_of_date"]


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    # dbt hands a Python model only the config keys its code names literally, so each key is named here.
    config = {
        "backtest_cuts": dbt.config.get("backtest_cuts"),
        "horizon_days": dbt.config.get("horizon_days"),
        "random_state": dbt.config.get("random_state"),
        "min_labeled_leads": dbt.config.get("min_labeled_leads"),
        "min_positive_labels": dbt.config.get("min_positive_labels"),
        "leakage_auc_threshold": dbt.config.get("leakage_auc_threshold"),
    }
    champion = to_pandas(dbt.ref("ml_champion_model"))
    done = to_pandas(session.sql(f"select distinct model_version from {dbt.this}")) if dbt.is_incremental else None
    if not backtest_due(champion, done):
        return empty_frame(PREDICTION_SCHEMA)
    settings = settings_from_config(config.get)
    features = dbt.ref("lead_features_with_custom_fields")
    scoring_date = to_pandas(dbt.ref("int_run_dates"))["scoring_as_of_date"].iloc[0]
    dates = features.filter("not is_scoring_row and is_label_mature").select("as_of_date").distinct()
    cuts = backtest_cut_dates(to_pandas(dates), settings.horizon_days, scoring_date, int(config["backtest_cuts"]))
    if not cuts:
        return empty_frame(PREDICTION_SCHEMA)
    # the registry's sampled leads train; every lead at a cut is scored
    sampled_leads = dbt.ref("int_training_leads_sampled").select("lead_id")
    matured_by = max(cuts) - timedelta(days=settings.horizon_days)
    training = features.filter(f"{TRAINABLE_ROWS_SQL} and as_of_date <= cast('{matured_by:%Y-%m-%d}' as date)")
    at_cuts = ", ".join(f"cast('{cut:%Y-%m-%d}' as date)" for cut in cuts)
    return backtest_predictions(
        to_pandas(training.join(sampled_leads, "lead_id"), sort_by=KEY),
        to_pandas(features.filter(f"not is_scoring_row and as_of_date in ({at_cuts})"), sort_by=KEY),
        cuts,
        champion,
        to_pandas(dbt.ref("feature_catalog"), sort_by=["feature_name"]),
        to_pandas(dbt.ref("lead_scoring_rules"), sort_by=["rule_id"]),
        to_pandas(dbt.ref("score_bands"), sort_by=["min_score"]),
        horizon_days=settings.horizon_days,
        train_options={"random_state": settings.random_state, "min_leads": settings.min_leads,
                       "min_positives": settings.min_positives, "leakage_threshold": settings.leakage_threshold},
    )
