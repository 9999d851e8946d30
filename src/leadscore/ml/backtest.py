"""As-of backtest: how the package would have scored the leads that were open at past cut dates.

The test split of a training run measures the model on matured snapshots drawn like its training rows. The
question a user asks is another one: "had I installed this three months ago, how well would it have ranked the
leads I had open then?" The backtest answers it the way production works:

1. Cut dates (:func:`backtest_cut_dates`) are the newest snapshot dates whose horizon has matured by the
   scoring date, so every outcome of the evaluated leads is known.
2. At each cut a model is trained with the package's own :func:`leadscore.ml.train_lead_model` on the trainable
   rows whose outcome had matured *before* the cut (``as_of_date + horizon_days <= cut``): nothing it learns
   happened after the cut (:func:`cut_training_rows`).
3. It scores every snapshot dated at the cut (:func:`cut_cohort`): the leads open then, whether or not sales
   ever worked them afterwards (a filter on a later fact would select on the future).
4. Beside it, on the same rows, two baselines: the rule points of the ``lead_scoring_rules`` seed, and recency
   (the most recently engaged lead first, :func:`recency_score`). Each is also calibrated on the same training
   rows, so its calibration error is comparable.
5. :func:`backtest_results` turns the scored rows into AUC, ECE, and precision and recall per band, for all open
   leads and for young leads. A baseline has no bands of its own: it is judged on bands holding as many leads as
   the live scorer's (the same contact capacity), ties shared pro rata as in
   :func:`leadscore.ml.metrics.lift_table`.

When no model can be trained at a cut (too little history, one outcome class) or the live scorer is the rule
fallback, the cut is still reported: the rows carry the rule-based score and band production would have shown,
the model rows say why there is no model, and the baselines are evaluated as usual.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone

import numpy as np
import pandas as pd

from .calibration import apply_calibration, fit_calibration
from .features import select_feature_columns, with_custom_inputs
from .frames import (DATE_COLUMN, LABEL_COLUMN, LEAD_COLUMN, as_bool, as_dates, conform, label_array, to_float,
                     trainable_mask)
from .metrics import auc_roc, expected_calibration_error
from .registry import deserialize_model, predict_proba
from .rules import rule_points
from .scoring import assign_band, probability_to_score

#: Leads younger than this many days form the second reported cohort (the leads a sales team decides on first).
YOUNG_LEAD_MAX_AGE_DAYS = 100
#: Cohort names in ``ml_backtest_results``.
COHORTS: tuple[str, str] = ("all_open", "under_100_days")
#: The band value of a cohort's overall row in ``ml_backtest_results``.
ALL_BANDS = "all"
#: Engagement recency feature the recency baseline ranks by.
RECENCY_FEATURE = "days_since_last_engagement"

#: Per scorer, the ``ml_backtest_predictions`` columns of its ranking score and of its calibrated probability.
SCORER_COLUMNS: dict[str, tuple[str, str]] = {
    "model": ("probability", "probability"),
    "rule_points": ("rule_points", "rule_points_probability"),
    "recency": ("recency_score", "recency_probability"),
}
#: ``model_status`` of a cut in ``ml_backtest_predictions``.
SCORED, NOT_TRAINED, NO_MODEL = "scored", "not_trained", "no_model"

PREDICTION_SCHEMA: dict[str, str] = {
    "model_version": "string",
    "cut_date": "datetime64[us]",
    "lead_id": "string",
    "as_of_date": "datetime64[us]",
    "lead_age_days": "Int64",
    "is_young": "boolean",
    "label": "Int64",
    "probability": "Float64",
    "lead_score": "Int64",
    "priority_band": "string",
    "rule_points": "Float64",
    "recency_score": "Float64",
    "rule_points_probability": "Float64",
    "recency_probability": "Float64",
    "model_status": "string",
    "model_reason": "string",
}

RESULT_SCHEMA: dict[str, str] = {
    "model_version": "string",
    "cut_date": "datetime64[us]",
    "cohort": "string",
    "scorer": "string",
    "band": "string",
    "rows": "Int64",
    "positives": "Float64",
    "auc_roc": "Float64",
    "ece": "Float64",
    "precision": "Float64",
    "recall": "Float64",
    "status": "string",
    "reason": "string",
}


def empty_frame(schema: dict[str, str]) -> pd.DataFrame:
    """A frame with no rows and the schema's columns and types (what an incremental model appends when it skips)."""
    return conform(pd.DataFrame([]), schema)


def backtest_due(champion: pd.DataFrame, backtested_versions: pd.DataFrame | None) -> bool:
    """Whether the live champion still needs its backtest: it exists and has no rows yet.

    Parameters
    ----------
    champion : pandas.DataFrame
        ``ml_champion_model`` (a trained model or the rule fallback's registry row).
    backtested_versions : pandas.DataFrame or None
        The ``model_version`` values the incremental table already holds; None on its first build.
    """
    if champion.empty:
        return False
    if backtested_versions is None or backtested_versions.empty:
        return True
    done = set(backtested_versions["model_version"].astype(str))
    return str(champion["model_version"].iloc[0]) not in done


def backtest_cut_dates(
    frame: pd.DataFrame, horizon_days: int, scoring_date: object, n_cuts: int
) -> list[pd.Timestamp]:
    """The newest ``n_cuts`` snapshot dates whose outcome horizon has matured by the scoring date.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``lead_features`` rows (at least ``as_of_date``); rows with ``is_scoring_row`` true are ignored, so the
        cuts are dates of the training grid.
    horizon_days : int
        Label horizon: a cut qualifies when ``cut + horizon_days <= scoring_date``.
    scoring_date : date-like
        The build's scoring date (``int_run_dates.scoring_as_of_date``).
    n_cuts : int
        How many cuts to return (0 gives none).

    Returns
    -------
    list of pandas.Timestamp
        Oldest first.
    """
    if n_cuts <= 0 or frame.empty:
        return []
    rows = frame
    if "is_scoring_row" in frame.columns:
        rows = frame[~as_bool(frame["is_scoring_row"])]
    dates = pd.Series(as_dates(rows[DATE_COLUMN]).unique())
    matured = dates[dates + pd.Timedelta(days=int(horizon_days)) <= pd.Timestamp(scoring_date)]
    return sorted(matured.sort_values().tail(int(n_cuts)).tolist())


def cut_training_rows(frame: pd.DataFrame, cut: object, horizon_days: int) -> pd.DataFrame:
    """Trainable rows whose outcome was known at the cut: ``as_of_date + horizon_days <= cut``."""
    matured_before = as_dates(frame[DATE_COLUMN]) + pd.Timedelta(days=int(horizon_days)) <= pd.Timestamp(cut)
    return frame[trainable_mask(frame) & matured_before.to_numpy()]


def cut_cohort(frame: pd.DataFrame, cut: object) -> pd.DataFrame:
    """Every snapshot dated at the cut (the leads open then), sorted by lead."""
    rows = frame[(as_dates(frame[DATE_COLUMN]) == pd.Timestamp(cut)).to_numpy()]
    return rows.sort_values(LEAD_COLUMN, kind="mergesort")


def recency_score(frame: pd.DataFrame) -> np.ndarray:
    """The recency baseline: ``1 / (1 + days since the last engagement)``, 0 for a lead never engaged.

    Higher means engaged more recently; a lead with no engagement ranks last. All null when the feature is missing.
    """
    if RECENCY_FEATURE not in frame.columns:
        return np.full(len(frame), np.nan)
    days = np.clip(to_float(frame[RECENCY_FEATURE]), 0, None)
    return np.where(np.isnan(days), 0.0, 1.0 / (1.0 + days))


def rule_based_score(points: np.ndarray) -> np.ndarray:
    """The 1-99 score the rule fallback gives (the points, rounded and clipped, as ``lead_scores`` shows them)."""
    return np.clip(np.rint(points), 1, 99).astype(np.int64)


def calibrated_baseline(train_scores: np.ndarray, train_labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """A baseline's scores as probabilities: isotonic calibration fitted on the training rows' scores and outcomes.

    All null when the training rows lack an outcome class or a score, or the scores are all null.
    """
    known = ~np.isnan(train_scores)
    if not known.any() or np.isnan(scores).all() or len(np.unique(train_labels[known])) < 2:
        return np.full(len(scores), np.nan)
    calibration_map = fit_calibration("isotonic", train_scores[known], train_labels[known])
    return apply_calibration(calibration_map, scores)


def score_cut(
    training: pd.DataFrame,
    cohort: pd.DataFrame,
    cut: object,
    catalog: pd.DataFrame,
    rules: pd.DataFrame,
    bands: pd.DataFrame,
    *,
    algorithm: str | None,
    horizon_days: int,
    train_options: dict | None = None,
    excluded_features: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Train on the outcomes matured before a cut and score the leads open at it, beside the baselines.

    Parameters
    ----------
    training : pandas.DataFrame
        Trainable ``lead_features`` rows (any date; those matured after the cut are dropped here).
    cohort : pandas.DataFrame
        The ``lead_features`` rows dated at the cut (:func:`cut_cohort`).
    cut : date-like
    catalog, rules, bands : pandas.DataFrame
        The ``feature_catalog``, ``lead_scoring_rules`` and ``score_bands`` seeds.
    algorithm : str or None
        The live champion's algorithm, the only candidate trained; None under the rule fallback (no model).
    horizon_days : int
    train_options : dict, optional
        Further keyword arguments of :func:`leadscore.ml.train_lead_model` (the registry's settings:
        random_state, min_leads, min_positives, leakage_threshold, ...).
    excluded_features : dict, optional
        ``{feature: reason}`` of catalog features the cut's model must not use (those the champion does not use).

    Returns
    -------
    pandas.DataFrame
        One row per cohort lead with the columns of :data:`PREDICTION_SCHEMA` except ``model_version``.
    """
    from .training import train_lead_model

    cut = pd.Timestamp(cut)
    train = cut_training_rows(training, cut, horizon_days)
    train_labels = label_array(train).astype(float) if len(train) else np.array([])
    points = rule_points(cohort, rules).to_numpy(dtype=float)
    recency = recency_score(cohort)
    age = to_float(cohort["lead_age_days"]) if "lead_age_days" in cohort.columns else np.full(len(cohort), np.nan)
    scored = pd.DataFrame({
        "cut_date": cut,
        LEAD_COLUMN: cohort[LEAD_COLUMN].to_numpy(),
        DATE_COLUMN: cohort[DATE_COLUMN].to_numpy(),
        "lead_age_days": np.where(np.isnan(age), np.nan, np.round(age)),
        "is_young": np.nan_to_num(age, nan=np.inf) < YOUNG_LEAD_MAX_AGE_DAYS,
        LABEL_COLUMN: cohort[LABEL_COLUMN].to_numpy(),
        "rule_points": points,
        "recency_score": recency,
        "rule_points_probability": calibrated_baseline(rule_points(train, rules).to_numpy(dtype=float),
                                                       train_labels, points),
        "recency_probability": calibrated_baseline(recency_score(train), train_labels, recency),
    })
    fallback = rule_based_score(points)
    scored["probability"] = np.nan
    scored["lead_score"] = fallback
    scored["priority_band"] = assign_band(fallback, bands)
    if algorithm is None:
        scored["model_status"] = NO_MODEL
        scored["model_reason"] = "no trained champion: scores fall back to the rule-based points"
        return scored
    try:
        result = train_lead_model(train, catalog, rules, horizon_days=horizon_days, algorithms=(algorithm,),
                                  trained_at=cut.to_pydatetime().replace(tzinfo=timezone.utc),
                                  excluded_features=excluded_features, **(train_options or {}))
    except ValueError as error:  # too little history, one outcome class, leakage: the cut is reported, not fatal
        scored["model_status"] = NOT_TRAINED
        scored["model_reason"] = f"{type(error).__name__}: {error}; the rule-based points would have scored"
        return scored
    probability = predict_proba(result.champion, cohort)
    scored["probability"] = probability
    scored["lead_score"] = probability_to_score(probability, result.champion.metadata["reference_quantiles"])
    scored["priority_band"] = assign_band(scored["lead_score"].to_numpy(), bands)
    scored["model_status"] = SCORED
    scored["model_reason"] = (f"{algorithm} trained on {len(train)} snapshots ({int(train_labels.sum())} converted) "
                              f"matured before the cut")
    return scored


def backtest_predictions(
    training: pd.DataFrame,
    cohorts: pd.DataFrame,
    cuts: Sequence[object],
    champion: pd.DataFrame,
    catalog: pd.DataFrame,
    rules: pd.DataFrame,
    bands: pd.DataFrame,
    *,
    horizon_days: int,
    train_options: dict | None = None,
) -> pd.DataFrame:
    """Every cut's scored cohort for the live champion: the rows of ``ml_backtest_predictions``.

    Parameters
    ----------
    training : pandas.DataFrame
        Trainable ``lead_features`` rows up to the newest cut (the registry's sampled leads).
    cohorts : pandas.DataFrame
        Every ``lead_features`` row dated at one of the cuts (all leads, not sampled).
    cuts : sequence of date-like
        From :func:`backtest_cut_dates`.
    champion : pandas.DataFrame
        ``ml_champion_model`` (one row, or none before any registry row exists).
    catalog, rules, bands : pandas.DataFrame
        The seeds.
    horizon_days : int
    train_options : dict, optional
        Passed to :func:`score_cut`.

    Returns
    -------
    pandas.DataFrame
        :data:`PREDICTION_SCHEMA`; empty without a champion row or a cut.
    """
    if champion.empty or not len(cuts):
        return empty_frame(PREDICTION_SCHEMA)
    row = champion.iloc[0]
    algorithm = str(row["algorithm"]) if row["scoring_method"] == "model" else None
    excluded = None
    if algorithm is not None and isinstance(row.get("model_json"), str):
        # the cut's model has the champion's inputs: its custom fields converted alike, nothing it left out
        kinds = deserialize_model(row["model_json"]).feature_kinds
        # both frames against the seed catalog: once augmented, it would hide the custom fields from the second call
        cohorts, _ = with_custom_inputs(cohorts, catalog, kinds)
        training, catalog = with_custom_inputs(training, catalog, kinds)
        excluded = {name: "not an input of the champion" for name in select_feature_columns(training, catalog)
                    if name not in kinds}
    frames = [
        score_cut(training, cut_cohort(cohorts, cut), cut, catalog, rules, bands, algorithm=algorithm,
                  horizon_days=horizon_days, train_options=train_options, excluded_features=excluded)
        for cut in sorted(pd.Timestamp(cut) for cut in cuts)
    ]
    predictions = pd.concat(frames, ignore_index=True)
    predictions["model_version"] = str(row["model_version"])
    return conform(predictions, PREDICTION_SCHEMA)


def capacity_band_metrics(
    labels: np.ndarray, scores: np.ndarray, band_sizes: Sequence[int]
) -> list[tuple[float, float]]:
    """Expected positives and recall in consecutive top groups of the given sizes, best scores first.

    Tied scores straddling a group boundary share their positives pro rata (the mean over every order of the
    ties), so a coarse score is neither flattered nor penalised by an arbitrary order. For a score whose bands
    are a monotone function of it, this is exactly each band's count.

    Parameters
    ----------
    labels : numpy.ndarray of 0/1
    scores : numpy.ndarray
        Higher is better; NaN ranks last.
    band_sizes : sequence of int
        Rows per group, best group first; their sum may be below the number of rows (the rest is ungrouped).

    Returns
    -------
    list of (positives, recall)
        Recall is NaN without positives.
    """
    ordered = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    distinct, inverse = np.unique(-ordered, return_inverse=True)
    tie_counts = np.bincount(inverse, minlength=len(distinct))
    tie_positives = np.bincount(inverse, weights=labels, minlength=len(distinct))
    knots = np.concatenate([[0], np.cumsum(tie_counts)])
    cumulative_positives = np.concatenate([[0.0], np.cumsum(tie_positives)])
    edges = np.concatenate([[0], np.cumsum(np.asarray(band_sizes, dtype=int))])
    captured = np.diff(np.interp(edges, knots, cumulative_positives))
    total = float(labels.sum())
    return [(float(value), float(value / total) if total > 0 else float("nan")) for value in captured]


def _nullable(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def cohort_results(rows: pd.DataFrame, band_order: Sequence[str]) -> list[dict]:
    """Result records of one cut and cohort: per scorer an overall row and a row per band.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``ml_backtest_predictions`` rows of one model version, cut and cohort.
    band_order : sequence of str
        Band names, best first.

    Returns
    -------
    list of dict
        Keys of :data:`RESULT_SCHEMA` except model_version, cut_date and cohort.
    """
    labels = to_float(rows[LABEL_COLUMN])
    known = ~np.isnan(labels)
    rows, labels = rows[known], labels[known].astype(int)
    status = str(rows["model_status"].iloc[0]) if len(rows) else SCORED
    reason = rows["model_reason"].iloc[0] if len(rows) else None
    bands = rows["priority_band"].astype(object).to_numpy()
    sizes = [int(np.sum(bands == band)) for band in band_order]
    records = []
    for scorer, (raw_column, probability_column) in SCORER_COLUMNS.items():
        base = {"scorer": scorer, "rows": len(rows), "positives": float(labels.sum())}
        raw = to_float(rows[raw_column])
        if scorer == "model" and status != SCORED:
            records.append({**base, "band": ALL_BANDS, "status": status, "reason": reason})
            continue
        if len(rows) == 0 or np.isnan(raw).all():
            why = "no row to evaluate" if len(rows) == 0 else f"no value of {raw_column} on these rows"
            records.append({**base, "band": ALL_BANDS, "status": "not_evaluated", "reason": why})
            continue
        probability = to_float(rows[probability_column])
        one_class = labels.min() == labels.max()
        records.append({
            **base,
            "band": ALL_BANDS,
            "auc_roc": _nullable(auc_roc(labels, raw)),
            "ece": None if np.isnan(probability).any() else _nullable(expected_calibration_error(labels, probability)),
            "status": "evaluated",
            "reason": "one outcome class among these rows: AUC undefined" if one_class else None,
        })
        for band, size, (positives, recall) in zip(band_order, sizes, capacity_band_metrics(labels, raw, sizes)):
            records.append({
                "scorer": scorer, "band": band, "rows": size, "positives": positives,
                "precision": positives / size if size else None, "recall": _nullable(recall),
                "status": "evaluated", "reason": None,
            })
    return records


def backtest_results(predictions: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """Metrics per (model version, cut, cohort, scorer, band): the rows of ``ml_backtest_results``.

    Parameters
    ----------
    predictions : pandas.DataFrame
        ``ml_backtest_predictions`` rows (:data:`PREDICTION_SCHEMA`).
    bands : pandas.DataFrame
        The ``score_bands`` seed, for the band order.

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_SCHEMA`. The overall row of a scorer (``band = 'all'``) holds rows, positives, AUC on the raw
        score and ECE of its calibrated probability; a band row holds its rows, (expected) positives, precision and
        recall. Rows without a matured label are left out.
    """
    if predictions.empty:
        return empty_frame(RESULT_SCHEMA)
    band_order = bands.sort_values("min_score", ascending=False, kind="mergesort")["band"].astype(str).tolist()
    records = []
    ordered = predictions.sort_values(["model_version", "cut_date", LEAD_COLUMN], kind="mergesort")
    for (version, cut), rows in ordered.groupby(["model_version", "cut_date"], sort=True):
        young = as_bool(rows["is_young"])
        for cohort, members in zip(COHORTS, (rows, rows[young])):
            for record in cohort_results(members, band_order):
                records.append({"model_version": version, "cut_date": cut, "cohort": cohort, **record})
    return conform(pd.DataFrame.from_records(records), RESULT_SCHEMA)
