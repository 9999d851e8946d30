"""Backtest scores: the champion (and the models it replaced) scoring past snapshots, as in production.

Performance monitoring needs the score a snapshot would have had. The live scores table only holds today's
leads, so the monitoring layer re-scores the weekly training-grid snapshots of the last weeks with each compared
model, using exactly the scoring path of ``lead_scores`` (calibrated probability, percentile score, band).
Only snapshots taken after a model's training window are scored with it, so no row is in-sample for the model
that scores it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.ml import (
    ModelBundle,
    assign_band,
    coerce_custom_columns,
    deserialize_model,
    predict_proba,
    probability_to_score,
)

from .schema import conform

SNAPSHOT_SCORE_SCHEMA: dict[str, str] = {
    "lead_id": "string",
    "as_of_date": "datetime64[us]",
    "model_version": "string",
    "is_champion": "boolean",
    "model_split": "string",
    "is_label_mature": "boolean",
    "is_never_worked": "boolean",
    "label": "Int64",
    "probability": "Float64",
    "lead_score": "Int64",
    "priority_band": "string",
    "country": "string",
    "employee_band": "string",
}

#: Columns of ``lead_features`` a backtest keeps besides the model inputs.
SNAPSHOT_KEY_COLUMNS: tuple[str, ...] = (
    "lead_id", "as_of_date", "is_label_mature", "is_never_worked", "label", "country", "employee_band",
)


@dataclass(frozen=True)
class BacktestModel:
    """A registry model to backtest, with the windows that say which snapshots it never trained on."""

    model_version: str
    model_json: str
    is_champion: bool
    train_end_date: pd.Timestamp
    validation_start_date: pd.Timestamp
    test_start_date: pd.Timestamp
    test_end_date: pd.Timestamp


def backtest_models(registry: pd.DataFrame, n_models: int) -> list[BacktestModel]:
    """The newest ``n_models`` promoted, trained registry models, the live champion first.

    Parameters
    ----------
    registry : pandas.DataFrame
        ``ml_model_registry`` rows.
    n_models : int
        How many promoted models to compare (1 = the champion only).

    Returns
    -------
    list of BacktestModel
        Empty when no model was ever promoted (scores come from the rule-based fallback).
    """
    if registry is None or registry.empty:
        return []
    promoted = registry[(registry["status"] == "trained") & registry["is_promoted"].fillna(False).astype(bool)]
    promoted = promoted.sort_values(["trained_at", "model_version"], ascending=False, kind="mergesort")
    return [
        BacktestModel(
            model_version=str(row["model_version"]),
            model_json=str(row["model_json"]),
            is_champion=position == 0,
            train_end_date=pd.Timestamp(row["train_end_date"]),
            validation_start_date=pd.Timestamp(row["validation_start_date"]),
            test_start_date=pd.Timestamp(row["test_start_date"]),
            test_end_date=pd.Timestamp(row["test_end_date"]),
        )
        for position, (_, row) in enumerate(promoted.head(max(int(n_models), 0)).iterrows())
    ]


def week_windows(scoring_date: pd.Timestamp, history_weeks: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Half-open seven-day windows ``[start, end)`` covering the ``history_weeks`` weeks before the scoring date.

    Reading snapshots one week at a time bounds the memory a backtest needs, whatever the number of leads.
    """
    end = pd.Timestamp(scoring_date).normalize()
    starts = [end - pd.Timedelta(days=7 * week) for week in range(int(history_weeks), 0, -1)]
    return [(start, start + pd.Timedelta(days=7)) for start in starts]


def model_split(as_of_date: pd.Series, model: BacktestModel) -> np.ndarray:
    """Where each snapshot date sits for a model: embargo, validation, test or after_test (never train)."""
    dates = pd.to_datetime(as_of_date).to_numpy()
    return np.select(
        [
            dates < np.datetime64(model.validation_start_date),
            dates < np.datetime64(model.test_start_date),
            dates <= np.datetime64(model.test_end_date),
        ],
        ["embargo", "validation", "test"],
        default="after_test",
    ).astype(object)


def score_snapshots(
    rows: pd.DataFrame,
    model: BacktestModel,
    bundle: ModelBundle,
    bands: pd.DataFrame,
) -> pd.DataFrame:
    """Score the snapshots a model never trained on, the way ``lead_scores`` scores today's leads.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``lead_features`` rows holding the bundle's features and :data:`SNAPSHOT_KEY_COLUMNS`.
    model : BacktestModel
        The model and its windows; rows on or before its ``train_end_date`` are dropped.
    bundle : ModelBundle
        The deserialized model (``leadscore.ml.deserialize_model(model.model_json)``).
    bands : pandas.DataFrame
        The ``score_bands`` seed.

    Returns
    -------
    pandas.DataFrame
        :data:`SNAPSHOT_SCORE_SCHEMA` columns, one row per scored snapshot.
    """
    unseen = rows[pd.to_datetime(rows["as_of_date"]).to_numpy() > np.datetime64(model.train_end_date)]
    if unseen.empty:
        return conform(pd.DataFrame([]), SNAPSHOT_SCORE_SCHEMA)
    scored = unseen[[column for column in SNAPSHOT_KEY_COLUMNS if column in unseen.columns]].copy()
    scored["model_version"] = model.model_version
    scored["is_champion"] = model.is_champion
    scored["model_split"] = model_split(unseen["as_of_date"], model)
    scored["probability"] = predict_proba(bundle, coerce_custom_columns(unseen, list(bundle.feature_kinds),
                                                                        bundle.feature_kinds))
    scored["lead_score"] = probability_to_score(scored["probability"].to_numpy(),
                                                bundle.metadata["reference_quantiles"])
    scored["priority_band"] = assign_band(scored["lead_score"].to_numpy(), bands)
    return conform(scored, SNAPSHOT_SCORE_SCHEMA)


def backtest_scores(
    read_rows: Callable[[list[str], pd.Timestamp, pd.Timestamp], pd.DataFrame],
    models: Sequence[BacktestModel],
    bands: pd.DataFrame,
    windows: Sequence[tuple[pd.Timestamp, pd.Timestamp]],
) -> pd.DataFrame:
    """Backtest scores of every model on the snapshots of every window, read one window at a time.

    Parameters
    ----------
    read_rows : callable
        ``read_rows(columns, start, end)`` returns the ``lead_features`` training-grid rows (not scoring rows)
        with ``start <= as_of_date < end``, only ``columns``. Reading a week at a time and only the models'
        inputs keeps memory flat with the number of leads.
    models : sequence of BacktestModel
        From :func:`backtest_models`.
    bands : pandas.DataFrame
        The ``score_bands`` seed.
    windows : sequence of (start, end)
        From :func:`week_windows`.

    Returns
    -------
    pandas.DataFrame
        :data:`SNAPSHOT_SCORE_SCHEMA`, sorted by model version, snapshot date and lead.
    """
    bundles = {model.model_version: deserialize_model(model.model_json) for model in models}
    inputs = set().union(*(bundle.features for bundle in bundles.values())) if bundles else set()
    columns = sorted(set(SNAPSHOT_KEY_COLUMNS) | inputs)
    frames = []
    for start, end in windows if models else []:
        rows = read_rows(columns, start, end)
        if rows.empty:
            continue
        rows = rows.sort_values(["lead_id", "as_of_date"], kind="mergesort").reset_index(drop=True)
        frames.extend(score_snapshots(rows, model, bundles[model.model_version], bands) for model in models)
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return conform(pd.DataFrame([]), SNAPSHOT_SCORE_SCHEMA)
    scores = pd.concat(frames, ignore_index=True)
    return scores.sort_values(["model_version", "as_of_date", "lead_id"], kind="mergesort").reset_index(drop=True)
