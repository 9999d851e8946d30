"""The decisions the dbt Python models take, as pure functions: when to train, what a registry row holds.

The Python models only read their refs, call one function here and return its frame.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd

from leadscore import __version__
from leadscore.ml import (
    InsufficientDataError,
    deserialize_model,
    fit_deal_size_model,
    serialize_deal_size_model,
    trainable_mask,
    train_lead_model,
)
from leadscore.ml.candidates import ALGORITHMS
from leadscore.ml.frames import conform
from leadscore.ml.features import (
    catalog_with_custom_fields,
    coerce_custom_columns,
    custom_column_drop_reasons,
    custom_column_kinds,
    custom_column_leakage_reasons,
    feature_kinds,
    select_feature_columns,
    with_custom_inputs,
)
from leadscore.ml.skew import (
    SKEW_SCHEMA,
    dropped_features,
    feature_skew,
    skew_from_json,
    skew_to_json,
    with_drop_reasons,
)
from leadscore.ml.training import json_safe

# The registry's columns and their types: fixed, so rows appended over the years always fit the table.
REGISTRY_SCHEMA: dict[str, str] = {
    "model_version": "string",
    "trained_at": "datetime64[us]",
    "status": "string",
    "retrain_reason": "string",
    "algorithm": "string",
    "is_promoted": "boolean",
    "promotion_reason": "string",
    "horizon_days": "Int64",
    "random_state": "Int64",
    "n_features": "Int64",
    "features_json": "string",
    "hyperparameters_json": "string",
    "calibration_method": "string",
    "split_mode": "string",
    "train_start_date": "datetime64[us]",
    "train_end_date": "datetime64[us]",
    "validation_start_date": "datetime64[us]",
    "validation_end_date": "datetime64[us]",
    "test_start_date": "datetime64[us]",
    "test_end_date": "datetime64[us]",
    "train_rows": "Int64",
    "validation_rows": "Int64",
    "test_rows": "Int64",
    "train_positives": "Int64",
    "validation_positives": "Int64",
    "test_positives": "Int64",
    "labeled_leads": "Int64",
    "labeled_positives": "Int64",
    "validation_auc_roc": "Float64",
    "validation_log_loss": "Float64",
    "test_auc_roc": "Float64",
    "test_pr_auc": "Float64",
    "test_log_loss": "Float64",
    "test_brier": "Float64",
    "test_ece": "Float64",
    "rule_points_test_auc_roc": "Float64",
    "random_test_auc_roc": "Float64",
    "current_champion_version": "string",
    "current_champion_test_json": "string",
    "selection_rule": "string",
    "metrics_json": "string",
    "single_feature_auc_json": "string",
    "evaluation_json": "string",
    "feature_importance_json": "string",
    "model_json": "string",
    "deal_size_model_json": "string",
    "fallback_calibration_json": "string",
    "limitations": "string",
    "skew_dropped_features_json": "string",
    "package_version": "string",
}


@dataclass(frozen=True)
class TrainingSettings:
    """Business knobs of a training run, read from dbt vars by the registry model."""

    horizon_days: int = 90
    retrain_every_days: int = 30
    force_retrain: bool = False
    random_state: int = 42
    min_leads: int = 500
    min_positives: int = 50
    leakage_threshold: float = 0.95
    algorithms: tuple[str, ...] = ALGORITHMS
    extra_retrain_reason: str | None = None
    # Defaults live in dbt_project.yml only; None (a call outside dbt) leaves that check off.
    custom_fields: tuple[str, ...] = ()
    skew_max_missing_rate_gap: float | None = None
    skew_max_psi: float | None = None


def empty_registry() -> pd.DataFrame:
    """A registry frame with no rows and the registry's column types."""
    return conform_to_schema(pd.DataFrame([]))


def conform_to_schema(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame exactly the registry's columns, in order and with their types (missing ones null)."""
    conformed = pd.DataFrame(index=frame.index)
    for column, dtype in REGISTRY_SCHEMA.items():
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if dtype.startswith("datetime64"):
            conformed[column] = pd.to_datetime(values, errors="coerce").astype(dtype)
        else:
            conformed[column] = values.astype(dtype)
    return conformed.reset_index(drop=True)


def trained_models(registry: pd.DataFrame | None) -> pd.DataFrame:
    """Registry rows that hold a trained model, newest first."""
    if registry is None or registry.empty:
        return empty_registry()
    trained = registry[registry["status"] == "trained"]
    return trained.sort_values("trained_at", ascending=False, kind="mergesort")


def current_champion(registry: pd.DataFrame | None) -> pd.Series | None:
    """The live model: the newest trained row that was promoted, or None."""
    trained = trained_models(registry)
    promoted = trained[trained["is_promoted"].fillna(False).astype(bool)]
    return None if promoted.empty else promoted.iloc[0]


#: ``lead_features`` rows a model can learn from, as SQL (the warehouse side of :func:`leadscore.ml.trainable_mask`).
#: Labelled and matured, nothing else: a row is never kept or dropped on what happened after its snapshot date.
TRAINABLE_ROWS_SQL = "label is not null and coalesce(is_label_mature, false)"


def labeled_history(features: pd.DataFrame) -> tuple[int, int]:
    """Distinct leads with a matured label, and how many of their snapshots converted."""
    trainable = features[trainable_mask(features)]
    return int(trainable["lead_id"].nunique()), int(trainable["label"].astype(float).sum())


def retrain_reason(
    registry: pd.DataFrame | None, now: datetime, settings: TrainingSettings, history: tuple[int, int]
) -> str | None:
    """Why this build should train, or None when it reuses the champion.

    Trains when forced (var retrain), when a monitor asks for it, when no model exists, or when the champion is
    older than retrain_every_days. An earlier attempt that gave no live model (too little data, or a model that
    did not beat the rule points) is not repeated until the labeled history changes, so a rebuild on the same data
    adds no registry row, unless that attempt holds no fallback probability map although matured history exists
    (a row written before the package stored one).
    """
    if settings.force_retrain:
        return "forced by var retrain"
    if settings.extra_retrain_reason:
        return settings.extra_retrain_reason
    champion = current_champion(registry)
    if champion is None:
        if registry is not None and not registry.empty:
            latest = registry.sort_values("trained_at", kind="mergesort").iloc[-1]
            same_history = (latest["labeled_leads"], latest["labeled_positives"]) == history
            calibrated = pd.notna(latest.get("fallback_calibration_json")) or history[0] == 0
            if same_history and calibrated:
                return None
        return "no model yet"
    age_days = (pd.Timestamp(now).tz_localize(None) - pd.Timestamp(champion["trained_at"])).days
    if age_days >= settings.retrain_every_days:
        return f"champion is {age_days} days old (retrain_every_days = {settings.retrain_every_days})"
    return None


def won_deal_training_frame(features: pd.DataFrame, won_deals: pd.DataFrame) -> pd.DataFrame:
    """Each won lead's features at its last snapshot on or before conversion, with the deal amount."""
    snapshots = features[["lead_id", "as_of_date"]].merge(won_deals[["lead_id", "converted_date"]], on="lead_id")
    snapshots = snapshots[pd.to_datetime(snapshots["as_of_date"]) <= pd.to_datetime(snapshots["converted_date"])]
    latest = snapshots.sort_values(["lead_id", "as_of_date"], kind="mergesort").groupby("lead_id").tail(1)
    frame = features.merge(latest[["lead_id", "as_of_date"]], on=["lead_id", "as_of_date"])
    return frame.merge(won_deals[["lead_id", "amount"]], on="lead_id").sort_values("lead_id", kind="mergesort")


def _evaluation_json(result) -> str:
    tables = {
        "metrics": result.metrics,
        "thresholds": result.threshold_metrics,
        "calibration": result.calibration_table,
        "lift": result.lift_table,
    }
    return json.dumps(json_safe({name: table.to_dict("records") for name, table in tables.items()}))


def fallback_probability_note(calibration: dict | None) -> str | None:
    """What the rule-point fallback's probability is when it is not fitted to the points, as a sentence."""
    if calibration is None:
        return ("No conversion probability under the rule-point fallback: no labelled, matured snapshot to "
                "calibrate the points on, so conversion_probability is null.")
    if calibration.get("fit") == "observed_rate":
        return (f"Under the rule-point fallback conversion_probability is the observed conversion rate "
                f"({calibration['positives']} converted of {calibration['rows']} matured snapshots) for every "
                "lead: too few of one outcome to fit the points to probabilities.")
    return None


def fit_deal_size(won_frame: pd.DataFrame, catalog: pd.DataFrame, random_state: int) -> tuple[str | None, str | None]:
    """The serialized deal-size model, or None with a sentence saying why there is none."""
    try:
        model = fit_deal_size_model(won_frame, catalog, random_state=random_state)
    except InsufficientDataError as error:
        return None, (f"No deal-size model: {error}, so expected_deal_size and expected_deal_value are null.")
    return serialize_deal_size_model(model), None


def _sentences(notes: list) -> str | None:
    kept = [note for note in notes if note]
    return " ".join(kept) if kept else None


def registry_update(
    features: pd.DataFrame,
    catalog: pd.DataFrame,
    rules: pd.DataFrame,
    won_deals: pd.DataFrame,
    registry: pd.DataFrame | None,
    *,
    now: datetime,
    settings: TrainingSettings,
    history: tuple[int, int] | None = None,
    won_deal_features: pd.DataFrame | None = None,
    scoring_rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows a build appends to the model registry: none, one trained model, or one insufficient-data mark.

    Thin or odd data degrades instead of failing: too little history, or no split with both outcomes in every part,
    gives an insufficient_data row (scores fall back to the rule points, reason in ``promotion_reason``); a first
    model whose test AUC is below the rule points' on the same rows is recorded but not promoted, so the rule points
    stay live; no usable deal amounts give a model without a deal-size model. Every row carries
    ``fallback_calibration_json``, the rule
    points' probability map fitted on the matured rows of ``features``
    (:func:`leadscore.ml.rules.rule_points_calibration`), and ``limitations``, sentences saying what the run could
    not do.

    Parameters
    ----------
    features : pandas.DataFrame
        The ``lead_features`` rows to train on: all of them, or only the trainable rows of the leads sampled for
        training (``int_training_leads_sampled``).
    history : tuple of int, optional
        Labeled leads and positives over the whole history (:func:`labeled_history`); computed from
        ``features`` when omitted.
    won_deal_features : pandas.DataFrame, optional
        Every ``lead_features`` row of the won leads, for the deal-size model; ``features`` when omitted.
    scoring_rows : pandas.DataFrame, optional
        Today's scoring rows (``is_scoring_row``), for the train/serve skew guard (:func:`skew_guard`); without
        them only unusable custom fields are dropped.

    Custom fields (``settings.custom_fields``) are converted to their kind, get catalog rows, and are dropped with
    a reason when empty, constant, identifier-like or leaking the label; every dropped feature and its reason is
    recorded in ``skew_dropped_features_json``.

    Raises
    ------
    leadscore.ml.LeakageError
        When a single feature predicts the label almost perfectly: the run fails, naming it.
    """
    from leadscore.ml.rules import rule_points_calibration

    history = labeled_history(features) if history is None else history
    reason = retrain_reason(registry, now, settings, history)
    if reason is None:
        return empty_registry()
    fallback_calibration = rule_points_calibration(features, rules)
    base = {
        "trained_at": pd.Timestamp(now).tz_localize(None),
        "retrain_reason": reason,
        "labeled_leads": history[0],
        "labeled_positives": history[1],
        "horizon_days": settings.horizon_days,
        "random_state": settings.random_state,
        "fallback_calibration_json": json.dumps(fallback_calibration) if fallback_calibration else None,
        "package_version": __version__,
    }
    features, catalog, won_deal_features, skew = skew_guard(features, catalog, scoring_rows, settings,
                                                            won_deal_features)
    base["skew_dropped_features_json"] = skew_to_json(skew, settings.skew_max_missing_rate_gap, settings.skew_max_psi)
    champion_row = current_champion(registry)
    champion = deserialize_model(champion_row["model_json"]) if champion_row is not None else None
    try:
        result = train_lead_model(
            features,
            catalog,
            rules,
            horizon_days=settings.horizon_days,
            random_state=settings.random_state,
            min_leads=settings.min_leads,
            min_positives=settings.min_positives,
            leakage_threshold=settings.leakage_threshold,
            algorithms=settings.algorithms,
            trained_at=base["trained_at"].to_pydatetime(),
            current_champion=champion,
            excluded_features=dropped_features(skew),
        )
    except InsufficientDataError as error:
        row = {
            **base,
            "model_version": f"rules-{base['trained_at']:%Y%m%d%H%M%S}",
            "status": "insufficient_data",
            "algorithm": "rule_points",
            "is_promoted": False,
            "promotion_reason": f"not trained: {error}; scoring falls back to the rule-based points",
            "limitations": _sentences([f"No model trained: {str(error).rstrip('.')}.",
                                       fallback_probability_note(fallback_calibration)]),
        }
        return conform_to_schema(pd.DataFrame([row]))

    won_deal_rows = features if won_deal_features is None else won_deal_features
    deal_model_json, deal_note = fit_deal_size(won_deal_training_frame(won_deal_rows, won_deals), catalog,
                                               settings.random_state)
    promotion_notes = []
    model_auc, rules_auc = result.registry_row.get("test_auc_roc"), result.registry_row.get("rule_points_test_auc_roc")
    if champion is None and model_auc is not None and rules_auc is not None and model_auc < rules_auc:
        # the rule points are the baseline every model must beat: a first model that does not keeps them live
        promoted, why = False, (f"not promoted: test AUC {model_auc:.3f} is below the rule points' {rules_auc:.3f} on "
                                "the same rows; scoring stays on the rule-based points")
        promotion_notes.append(f"The model does not beat the rule points on its test split (AUC {model_auc:.3f} "
                              f"against {rules_auc:.3f}), so scores stay on the rule points with their calibrated "
                              "probability.")
    elif champion is None:
        promoted, why = True, "first trained model"
    elif result.promote:
        promoted, why = True, f"beats {champion.version_id} on the newest matured holdout"
    else:
        promoted, why = False, f"does not beat {champion.version_id} on the newest matured holdout"
    row = {
        **result.registry_row,
        **base,
        "status": "trained",
        "is_promoted": promoted,
        "promotion_reason": why,
        "evaluation_json": _evaluation_json(result),
        "feature_importance_json": json.dumps(json_safe(result.feature_importance.reset_index().to_dict("records"))),
        "deal_size_model_json": deal_model_json,
        "limitations": _sentences([*result.limitations, deal_note, *promotion_notes]),
    }
    return conform_to_schema(pd.DataFrame([row]))


def skew_guard(
    features: pd.DataFrame,
    catalog: pd.DataFrame,
    scoring_rows: pd.DataFrame | None,
    settings: TrainingSettings,
    won_deal_features: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """Custom fields made features, and every candidate feature checked for train/serve skew.

    Returns
    -------
    tuple
        ``(features, catalog, won_deal_features, skew)``: the rows with custom fields converted to their kind
        (kinds read on the training rows), the catalog with their rows, the won-deal rows converted alike, and the
        per-feature skew table (:func:`leadscore.ml.skew.feature_skew`) with unusable custom fields marked dropped.
    """
    custom = list(settings.custom_fields)
    unusable = custom_column_drop_reasons(features, custom)
    kinds = custom_column_kinds(features, custom)
    features = coerce_custom_columns(features, custom, kinds)
    if won_deal_features is not None:
        won_deal_features = coerce_custom_columns(won_deal_features, custom, kinds)
    catalog = catalog_with_custom_fields(catalog, features, custom, kinds)
    training = features[trainable_mask(features)]
    usable = [name for name in custom if name not in unusable]
    unusable.update(custom_column_leakage_reasons(training, usable, kinds, settings.leakage_threshold,
                                                  random_state=settings.random_state))
    if scoring_rows is None:
        skew = pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in SKEW_SCHEMA.items()})
    else:
        candidates = select_feature_columns(training, catalog)
        skew = feature_skew(training, coerce_custom_columns(scoring_rows, custom, kinds), candidates,
                            feature_kinds(training, catalog), max_missing_rate_gap=settings.skew_max_missing_rate_gap,
                            max_psi=settings.skew_max_psi)
    return features, catalog, won_deal_features, with_drop_reasons(skew, unusable)


FEATURE_SKEW_SCHEMA: dict[str, str] = {"model_version": "string", **SKEW_SCHEMA}


def feature_skew_rows(registry: pd.DataFrame | None) -> pd.DataFrame:
    """The newest trained model's skew table (``skew_dropped_features_json``), one row per feature."""
    trained = trained_models(registry)
    if trained.empty:
        return conform(pd.DataFrame([]), FEATURE_SKEW_SCHEMA)
    newest = trained.iloc[0]
    table = skew_from_json(newest.get("skew_dropped_features_json"))  # absent from a registry older than the guard
    table.insert(0, "model_version", newest["model_version"])
    return conform(table, FEATURE_SKEW_SCHEMA)


def champion_test_rows(features: pd.DataFrame, champion: pd.Series) -> pd.DataFrame:
    """The champion's untouched test rows: matured, worked snapshots inside its stored test window."""
    as_of = pd.to_datetime(features["as_of_date"])
    in_window = (as_of >= pd.Timestamp(champion["test_start_date"])) & (as_of <= pd.Timestamp(champion["test_end_date"]))
    return features[trainable_mask(features) & np.asarray(in_window)]


def champion_test_rows_sql(champion: pd.DataFrame) -> str:
    """:func:`champion_test_rows` as a SQL filter on ``lead_features``, so only those rows are read (none when the
    scores fall back to the rules)."""
    live = champion[champion["scoring_method"] == "model"] if not champion.empty else champion
    if live.empty:
        return "1 = 0"
    start, end = (pd.Timestamp(live.iloc[0][column]).date().isoformat() for column in ("test_start_date",
                                                                                          "test_end_date"))
    return (f"{TRAINABLE_ROWS_SQL} and as_of_date >= cast('{start}' as date) "
            f"and as_of_date <= cast('{end}' as date)")


def _flag(value) -> bool:
    """A dbt var rendered into config ('True', 'false', 1, ...) as a bool."""
    return str(value).strip().lower() in {"true", "1", "yes", "y"}


def settings_from_config(get) -> TrainingSettings:
    """Training settings from the model config (dbt vars rendered into the model's yml), with defaults."""
    defaults = TrainingSettings()

    def number(key: str, default, cast):
        value = get(key)
        return default if value in (None, "", "None") else cast(value)

    return TrainingSettings(
        horizon_days=number("horizon_days", defaults.horizon_days, int),
        retrain_every_days=number("retrain_every_days", defaults.retrain_every_days, int),
        force_retrain=_flag(get("retrain")),
        random_state=number("random_state", defaults.random_state, int),
        min_leads=number("min_labeled_leads", defaults.min_leads, int),
        min_positives=number("min_positive_labels", defaults.min_positives, int),
        leakage_threshold=number("leakage_auc_threshold", defaults.leakage_threshold, float),
        algorithms=candidate_algorithms(get("candidate_algorithms")),
        custom_fields=name_list(get("lead_custom_fields")),
        skew_max_missing_rate_gap=number("skew_max_missing_rate_gap", None, float),
        skew_max_psi=number("skew_max_psi", None, float),
    )


def name_list(value: object) -> tuple[str, ...]:
    """Names from a list var rendered into config: a list, or a comma-separated string (``"a,b"``, ``"['a']"``)."""
    if value in (None, "", "None"):
        return ()
    if isinstance(value, str):
        names = [name.strip().strip("'\"") for name in value.strip("[]").split(",")]
    else:
        names = [str(name).strip() for name in value]
    return tuple(name for name in names if name)


def candidate_algorithms(value: object) -> tuple[str, ...]:
    """The candidate algorithms named by var ``candidate_algorithms`` (a list or a comma-separated string).

    Raises
    ------
    ValueError
        Naming the unknown entries and the accepted ones, when the var names an algorithm the package lacks or
        none at all.
    """
    if value in (None, "", "None"):
        return ALGORITHMS
    if isinstance(value, str):
        names = [name.strip().strip("'\"") for name in value.strip("[]").split(",")]
    else:
        names = [str(name).strip() for name in value]
    names = [name.lower() for name in names if name]
    unknown = sorted(set(names) - set(ALGORITHMS))
    if unknown or not names:
        raise ValueError(f"var candidate_algorithms must name one or more of {list(ALGORITHMS)}; got {value!r}")
    return tuple(name for name in ALGORITHMS if name in names)


def monitoring_retrain_settings(
    settings: TrainingSettings,
    alerts: pd.DataFrame | None,
    registry: pd.DataFrame | None,
    features: pd.DataFrame,
    enabled: object = True,
) -> TrainingSettings:
    """Training settings with ``extra_retrain_reason`` set when the previous build's monitoring asks for a retrain.

    ``alerts`` is the previous build's ``ml_monitoring_alerts`` table, read straight from the warehouse (not via
    ``ref``, which would make a cycle). See :func:`leadscore.monitoring.drift_retrain_reason` for the rule;
    ``enabled`` is var ``drift_retrain``.
    """
    from leadscore.monitoring import drift_retrain_reason

    if not _flag(enabled) or alerts is None:
        return settings
    champion = current_champion(registry)
    last_history = None
    if registry is not None and not registry.empty:
        latest = registry.sort_values("trained_at", kind="mergesort").iloc[-1]
        if not (pd.isna(latest["labeled_leads"]) or pd.isna(latest["labeled_positives"])):
            last_history = (int(latest["labeled_leads"]), int(latest["labeled_positives"]))
    reason = drift_retrain_reason(alerts, None if champion is None else str(champion["model_version"]),
                                  last_history, labeled_history(features))
    return replace(settings, extra_retrain_reason=reason) if reason else settings


TEST_PREDICTION_SCHEMA = {
    "lead_id": "string",
    "as_of_date": "datetime64[us]",
    "label": "Int64",
    "probability": "Float64",
    "lead_score": "Int64",
    "priority_band": "string",
    "model_version": "string",
}


def champion_test_predictions(features: pd.DataFrame, champion: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """The live model's calibrated probability, score and band on its test split (empty under the fallback)."""
    from leadscore.ml import assign_band, predict_proba, probability_to_score

    live = champion[champion["scoring_method"] == "model"] if not champion.empty else champion
    if live.empty:
        return conform(pd.DataFrame([]), TEST_PREDICTION_SCHEMA)
    row = live.iloc[0]
    rows = champion_test_rows(features, row)
    bundle = deserialize_model(row["model_json"])
    predictions = rows[["lead_id", "as_of_date", "label"]].copy()
    predictions["probability"] = predict_proba(bundle, coerce_custom_columns(rows, list(bundle.feature_kinds),
                                                                             bundle.feature_kinds))
    predictions["lead_score"] = probability_to_score(predictions["probability"].to_numpy(),
                                                     bundle.metadata["reference_quantiles"])
    predictions["priority_band"] = assign_band(predictions["lead_score"].to_numpy(), bands)
    predictions["model_version"] = row["model_version"]
    return conform(predictions, TEST_PREDICTION_SCHEMA)


def evaluation_long(registry: pd.DataFrame) -> pd.DataFrame:
    """One row per (model version, report section, scored model, split, bucket, metric) with its value."""
    records = []
    for _, row in trained_models(registry).iterrows():
        report = json.loads(row["evaluation_json"]) if isinstance(row["evaluation_json"], str) else {}
        for section, table in report.items():
            bucket_key = {"thresholds": "threshold", "calibration": "bin", "lift": "group"}.get(section)
            for entry in table:
                for metric, value in entry.items():
                    if metric in {"model", "kind", "split", "is_champion", bucket_key} or isinstance(value, str):
                        continue
                    records.append({
                        "model_version": row["model_version"],
                        "section": section,
                        "scored_model": entry.get("model"),
                        "model_kind": entry.get("kind", "candidate"),
                        "split": entry.get("split", "test"),
                        "bucket": float(entry[bucket_key]) if bucket_key else None,
                        "metric": metric,
                        "value": None if value is None else float(value),
                    })
    columns = {"model_version": "string", "section": "string", "scored_model": "string", "model_kind": "string",
               "split": "string", "bucket": "Float64", "metric": "string", "value": "Float64"}
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    return frame.astype(columns)


def feature_importance_table(registry: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Global importance per model version and feature, joined to the catalog's family and description."""
    frames = []
    for _, row in trained_models(registry).iterrows():
        if not isinstance(row["feature_importance_json"], str):
            continue
        importance = pd.DataFrame(json.loads(row["feature_importance_json"]))
        importance["model_version"] = row["model_version"]
        frames.append(importance)
    columns = {"model_version": "string", "algorithm": "string", "feature_name": "string", "family": "string",
               "description": "string", "mean_abs_contribution": "Float64", "gain_share": "Float64",
               "importance_rank": "Int64"}
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in columns.items()})
    importance = pd.concat(frames, ignore_index=True).rename(columns={"feature": "feature_name",
                                                                      "rank": "importance_rank"})
    importance = importance.drop(columns=["family"], errors="ignore").merge(
        catalog[["feature_name", "family", "description"]], on="feature_name", how="left")
    return importance.reindex(columns=list(columns)).astype(columns)


SCORE_SCHEMA: dict[str, str] = {
    "lead_id": "string",
    "as_of_date": "datetime64[us]",
    "conversion_probability": "Float64",
    "lead_score": "Int64",
    "priority_band": "string",
    "contact_sla_hours": "Float64",
    "expected_deal_size": "Float64",
    "expected_deal_value": "Float64",
    "model_version": "string",
    "scoring_method": "string",
    **{f"reason_{direction}_{rank}": "string" for direction in ("up", "down") for rank in (1, 2, 3)},
    "contributions_json": "string",
}


def _contact_sla(bands: pd.DataFrame, band: pd.Series) -> pd.Series:
    sla = dict(zip(bands["band"].astype(str), pd.to_numeric(bands["contact_sla_hours"], errors="coerce")))
    return band.map(sla).astype("Float64")


def rule_based_scores(
    rows: pd.DataFrame,
    rules: pd.DataFrame,
    bands: pd.DataFrame,
    model_version: str,
    calibration: dict | None = None,
) -> pd.DataFrame:
    """The fallback when no model is trained: rule points as the 1-99 score, fired rules as the reasons.

    Parameters
    ----------
    rows : pandas.DataFrame
        Open leads to score (``int_open_leads_to_score``).
    rules, bands : pandas.DataFrame
        The ``lead_scoring_rules`` and ``score_bands`` seeds.
    model_version : str
        The registry row the fallback belongs to.
    calibration : dict, optional
        The points-to-probability map of that row (``fallback_calibration_json``,
        :func:`leadscore.ml.rules.rule_points_calibration`); ``conversion_probability`` is null without one.
    """
    from leadscore.ml import apply_calibration, assign_band, rule_points_breakdown

    breakdown = rule_points_breakdown(rows, rules)
    descriptions = dict(zip(rules["rule_id"].astype(str), rules["description"].astype(str)))
    points = breakdown.to_numpy(dtype=float)
    names = np.array([descriptions.get(rule_id, rule_id) for rule_id in breakdown.columns], dtype=object)
    total = points.sum(axis=1)
    scores = np.clip(np.rint(total), 1, 99).astype(int)
    result = pd.DataFrame({"lead_id": rows["lead_id"].to_numpy(), "as_of_date": rows["as_of_date"].to_numpy()})
    if calibration is not None:
        result["conversion_probability"] = apply_calibration(calibration, total)
    result["lead_score"] = scores
    result["priority_band"] = assign_band(scores, bands)
    result["contact_sla_hours"] = _contact_sla(bands, result["priority_band"]).to_numpy()
    result["model_version"] = model_version
    result["scoring_method"] = "rule_based_fallback"
    for direction, order in (("up", np.argsort(-points, axis=1, kind="stable")),
                             ("down", np.argsort(points, axis=1, kind="stable"))):
        for rank in range(3):
            column = order[:, rank] if points.shape[1] > rank else np.zeros(len(rows), dtype=int)
            value = points[np.arange(len(rows)), column] if points.shape[1] > rank else np.zeros(len(rows))
            fired = value > 0 if direction == "up" else value < 0
            result[f"reason_{direction}_{rank + 1}"] = np.where(fired, names[column] if len(names) else None, None)
    return conform(result, SCORE_SCHEMA)


def fallback_calibration(champion: pd.DataFrame) -> dict | None:
    """The rule points' probability map stored on the ``ml_champion_model`` row, or None (no row or no map)."""
    if champion.empty or "fallback_calibration_json" not in champion.columns:
        return None
    text = champion["fallback_calibration_json"].iloc[0]
    return json.loads(text) if isinstance(text, str) else None


def score_open_leads(
    rows: pd.DataFrame,
    champion: pd.DataFrame,
    catalog: pd.DataFrame,
    bands: pd.DataFrame,
    rules: pd.DataFrame,
) -> pd.DataFrame:
    """Probability, 1-99 score, band, SLA, expected value and reasons for every open lead.

    With a live model: its calibrated probability, score and reasons, and the expected deal size and value when the
    model has a deal-size model (null otherwise). Without one (``champion`` empty or marked
    ``rule_based_fallback``): :func:`rule_based_scores` with the row's fallback probability map.
    """
    from leadscore.ml import deserialize_deal_size_model, score_leads

    live = champion[champion["scoring_method"] == "model"] if not champion.empty else champion
    if live.empty:
        version = champion["model_version"].iloc[0] if not champion.empty else "rules"
        return rule_based_scores(rows, rules, bands, version, fallback_calibration(champion))
    row = live.iloc[0]
    bundle = deserialize_model(row["model_json"])
    deal_text = row.get("deal_size_model_json")
    deal_model = deserialize_deal_size_model(deal_text) if isinstance(deal_text, str) else None
    rows, catalog = with_custom_inputs(rows, catalog, bundle.feature_kinds)
    scored = score_leads(bundle, rows, catalog, bands=bands, k=3, deal_size_model=deal_model)
    scored = scored.rename(columns={
        "probability": "conversion_probability",
        "score": "lead_score",
        "band": "priority_band",
        "expected_value": "expected_deal_value",
    })
    scored["contact_sla_hours"] = _contact_sla(bands, scored["priority_band"]).to_numpy()
    scored["scoring_method"] = "model"
    return conform(scored, SCORE_SCHEMA)
