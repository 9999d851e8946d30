"""In-warehouse machine learning for lead scoring: the pure functions behind the dbt Python models.

Typical use from a dbt Python model::

    from leadscore.ml import train_lead_model, deserialize_model, score_leads

    result = train_lead_model(features_df, catalog_df, rules_df, horizon_days=90, random_state=42)
    registry_row = result.registry_row             # one row for the model registry table
    bundle = deserialize_model(registry_row["model_json"])
    scores = score_leads(bundle, scoring_rows_df, catalog_df, bands=bands_df)

Every function takes and returns pandas frames, numpy arrays or JSON-serializable
values; none reads or writes files, tables or global state.
"""
from .calibration import CalibrationChoice, apply_calibration, choose_calibration, fit_calibration
from .candidates import ALGORITHMS, LogisticModel, predict_raw as predict_raw_matrix, select_champion
from .deal_size import (
    DealSizeModel,
    deserialize_deal_size_model,
    fit_deal_size_model,
    predict_deal_size,
    serialize_deal_size_model,
)
from .explain import explain, format_values, mean_abs_contributions, top_reasons
from .features import (
    FeatureEncoder,
    catalog_with_custom_fields,
    coerce_custom_columns,
    custom_column_drop_reasons,
    custom_column_kinds,
    custom_column_leakage_reasons,
    feature_kinds,
    normalize_catalog,
    protected_features,
    select_feature_columns,
    with_custom_inputs,
)
from .frames import sort_by_key, trainable_mask
from .guards import (
    InsufficientDataError,
    LeakageError,
    ProtectedFeatureError,
    check_minimum_data,
    check_no_protected_features,
    leakage_check,
    single_feature_auc,
)
from .metrics import (
    auc_roc,
    brier,
    calibration_table,
    evaluate,
    expected_calibration_error,
    lift_table,
    log_loss,
    pr_auc,
    threshold_table,
)
from .registry import ModelBundle, deserialize_model, predict_proba, predict_raw, serialize_model
from .rules import rule_points, rule_points_breakdown
from .scoring import assign_band, probability_to_score, reference_quantiles, score_leads
from .skew import age_matching_weights, dropped_features, feature_skew, lead_age_buckets
from .split import split_windows, time_split
from .training import TrainingResult, needs_retraining, should_promote, train_lead_model

__all__ = [
    "ALGORITHMS", "CalibrationChoice", "DealSizeModel", "FeatureEncoder", "InsufficientDataError",
    "LeakageError", "LogisticModel", "ModelBundle", "ProtectedFeatureError", "TrainingResult",
    "apply_calibration", "assign_band", "auc_roc", "brier", "calibration_table", "check_minimum_data",
    "check_no_protected_features", "choose_calibration", "deserialize_deal_size_model", "deserialize_model",
    "evaluate", "expected_calibration_error", "explain", "feature_kinds", "fit_calibration",
    "fit_deal_size_model", "format_values", "leakage_check", "lift_table", "log_loss", "mean_abs_contributions",
    "needs_retraining", "normalize_catalog", "pr_auc", "predict_deal_size", "predict_proba", "predict_raw",
    "predict_raw_matrix", "probability_to_score", "protected_features", "reference_quantiles", "rule_points",
    "rule_points_breakdown", "score_leads", "select_champion", "select_feature_columns",
    "serialize_deal_size_model", "serialize_model", "should_promote", "single_feature_auc", "sort_by_key",
    "split_windows", "threshold_table", "time_split", "top_reasons", "train_lead_model", "trainable_mask",
    # custom fields and the train/serve skew guard
    "age_matching_weights", "catalog_with_custom_fields", "coerce_custom_columns", "custom_column_drop_reasons",
    "custom_column_kinds", "custom_column_leakage_reasons", "dropped_features", "feature_skew", "lead_age_buckets",
    "with_custom_inputs",
]
