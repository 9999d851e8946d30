"""Train/serve skew guard: drop a feature whose scoring rows look nothing like the rows the model learns from.

A model can only use a feature the way it saw it in training. When a source is refreshed in place (enrichment, CRM
fields), a column can be empty on every historical snapshot and filled today, or the reverse; the model then meets
values it never saw on exactly the leads it scores. This module compares, per candidate feature, today's scoring
rows with the training rows *of the same lead age* (a young lead has fewer activities and more missing values than
an old one whatever the data source does, so an unmatched comparison would flag every age-dependent feature):

1. training rows are reweighted so their lead-age buckets have the scoring rows' shares (buckets absent from
   either side are left out of the comparison);
2. missing rates are compared (absolute gap), and distributions by the population stability index on the
   training distribution's bins: ten quantile bins plus a missing bin for numbers and booleans
   (:mod:`leadscore.monitoring.psi`, the same bins as the drift monitoring), the frequent levels plus
   ``'__other__'`` (as :class:`~leadscore.ml.features.FeatureEncoder` folds them) for categories;
3. a feature past either threshold (vars ``skew_max_missing_rate_gap``, ``skew_max_psi``) is dropped, with the
   reason in words.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .features import OTHER_LEVEL, category_strings
from .frames import to_float

AGE_COLUMN = "lead_age_days"
#: Upper edges (days, inclusive) of the lead-age buckets: a month, a quarter, half a year (the default
#: max_snapshot_age_days, the oldest training snapshot), then older.
AGE_BUCKET_EDGES: tuple[int, ...] = (30, 90, 182)
#: Fewer compared rows than this on either side and a feature is reported but not judged: with a handful of open
#: leads, empty quantile bins alone push the PSI past any sensible threshold.
MIN_COMPARED_ROWS = 100
PSI_BINS = 10
#: Category levels compared, most frequent in training first; the rest count as '__other__' (as the encoder does).
MAX_LEVELS = 30

SKEW_SCHEMA: dict[str, str] = {
    "feature_name": "string",
    "training_missing_rate": "Float64",
    "scoring_missing_rate": "Float64",
    "missing_rate_gap": "Float64",
    "psi": "Float64",
    "is_dropped": "boolean",
    "reason": "string",
}


def lead_age_buckets(age_days: pd.Series | Sequence, edges: Sequence[int] = AGE_BUCKET_EDGES) -> np.ndarray:
    """Lead-age bucket labels: ``"0-30"``, ``"31-90"``, ``"91-182"``, ``"183+"`` by default, ``"unknown"`` when null.

    Parameters
    ----------
    age_days : array-like
        Days from lead creation to the snapshot.
    edges : sequence of int
        Increasing inclusive upper edges.

    Returns
    -------
    numpy.ndarray of str
    """
    ages = to_float(pd.Series(age_days))
    lowers = [0, *[edge + 1 for edge in edges]]
    labels = [f"{low}-{edge}" for low, edge in zip(lowers, edges)] + [f"{lowers[-1]}+"]
    index = np.searchsorted(np.asarray(edges, dtype=float), ages, side="left")
    named = np.array(labels, dtype=object)[np.minimum(index, len(labels) - 1)]
    return np.where(np.isnan(ages), "unknown", named).astype(object)


def age_matching_weights(
    training_age: pd.Series | Sequence, scoring_age: pd.Series | Sequence, edges: Sequence[int] = AGE_BUCKET_EDGES
) -> tuple[np.ndarray, np.ndarray]:
    """Weights that give the training rows the scoring rows' lead-age mix, and which scoring rows are compared.

    A training row's weight is its bucket's scoring share over its training share, so the weighted training rows
    have the scoring rows' bucket shares. Buckets held by only one side are left out: training rows get weight 0,
    scoring rows are not compared.

    Returns
    -------
    tuple of numpy.ndarray
        ``(training_weights, scoring_compared)``: float weights (summing to the compared training rows) and a
        boolean mask of the scoring rows.
    """
    training_buckets = pd.Series(lead_age_buckets(training_age, edges))
    scoring_buckets = pd.Series(lead_age_buckets(scoring_age, edges))
    training_counts = training_buckets.value_counts()
    scoring_counts = scoring_buckets.value_counts()
    common = training_counts.index.intersection(scoring_counts.index)
    scoring_compared = scoring_buckets.isin(common).to_numpy()
    if common.empty:
        return np.zeros(len(training_buckets)), scoring_compared
    training_share = training_counts[common] / training_counts[common].sum()
    scoring_share = scoring_counts[common] / scoring_counts[common].sum()
    ratio = (scoring_share / training_share).to_dict()
    weights = training_buckets.map(ratio).fillna(0.0).to_numpy(dtype=float)
    return weights, scoring_compared


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    from leadscore.monitoring.psi import population_stability_index  # here: leadscore.monitoring imports leadscore.ml

    return population_stability_index(expected, actual)


def numeric_psi(
    training_values: pd.Series, scoring_values: pd.Series, training_weights: np.ndarray, n_bins: int = PSI_BINS
) -> float:
    """PSI of a numeric or boolean feature on the training quantile bins plus a bin of missing values.

    Bins come from the training rows with a positive weight, as the drift monitoring makes them
    (:func:`leadscore.monitoring.psi.ntile_edges`); training counts are weighted.
    """
    from leadscore.monitoring.psi import bin_counts, ntile_edges

    training = to_float(training_values)
    scoring = to_float(scoring_values)
    edges = ntile_edges(training[training_weights > 0], n_bins)
    bins = len(edges) + 2
    missing = np.isnan(training)
    training_bin = np.where(missing, bins - 1, np.searchsorted(edges, np.nan_to_num(training), side="left"))
    expected = np.bincount(training_bin, weights=training_weights, minlength=bins)
    return _psi(expected, bin_counts(scoring, edges).astype(float))


def categorical_psi(
    training_values: pd.Series, scoring_values: pd.Series, training_weights: np.ndarray, max_levels: int = MAX_LEVELS
) -> float:
    """PSI of a categorical feature over its most frequent training levels, ``'__other__'`` and ``'__missing__'``."""
    training = category_strings(training_values).astype(object).to_numpy()
    scoring = category_strings(scoring_values).astype(object).to_numpy()
    weighted = pd.Series(training_weights).groupby(training).sum()
    weighted = weighted[weighted > 0].sort_values(ascending=False, kind="mergesort")
    levels = pd.Index([*[level for level in weighted.index[:max_levels] if level != OTHER_LEVEL], OTHER_LEVEL],
                      dtype=object)

    def counts(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        codes = levels.get_indexer(values)
        codes[codes < 0] = len(levels) - 1
        return np.bincount(codes, weights=weights, minlength=len(levels))

    return _psi(counts(training, training_weights), counts(scoring, np.ones(len(scoring))))


def _reason(training_missing: float, scoring_missing: float, gap: float, psi: float,
            max_missing_rate_gap: float | None, max_psi: float | None) -> str | None:
    parts = []
    if max_missing_rate_gap is not None and gap > max_missing_rate_gap:
        parts.append(f"missing on {training_missing:.0%} of training rows of the same lead age and "
                     f"{scoring_missing:.0%} of scoring rows (gap {gap:.2f} > skew_max_missing_rate_gap "
                     f"{max_missing_rate_gap:g})")
    if max_psi is not None and not np.isnan(psi) and psi > max_psi:
        parts.append(f"distribution shift PSI {psi:.2f} > skew_max_psi {max_psi:g}")
    return "; ".join(parts) or None


def feature_skew(
    training: pd.DataFrame,
    scoring: pd.DataFrame,
    features: Sequence[str],
    kinds: Mapping[str, str],
    *,
    max_missing_rate_gap: float | None,
    max_psi: float | None,
    age_column: str = AGE_COLUMN,
    age_edges: Sequence[int] = AGE_BUCKET_EDGES,
    n_bins: int = PSI_BINS,
    min_rows: int = MIN_COMPARED_ROWS,
) -> pd.DataFrame:
    """Missing rate and distribution of every feature on scoring rows against training rows of the same lead age.

    Parameters
    ----------
    training : pandas.DataFrame
        The rows the model learns from.
    scoring : pandas.DataFrame
        Today's scoring rows (``is_scoring_row``).
    features : sequence of str
        Candidate features (present in both frames; a feature missing from ``scoring`` counts as all missing).
    kinds : mapping
        ``{feature: "numeric" | "boolean" | "categorical"}``.
    max_missing_rate_gap, max_psi : float or None
        Drop thresholds (vars ``skew_max_missing_rate_gap`` and ``skew_max_psi``); None does not judge on it.
    age_column : str
        Lead age in days; without it in both frames the rows are compared unweighted.
    age_edges : sequence of int
        Lead-age bucket edges (:func:`lead_age_buckets`).
    n_bins : int
        Quantile bins of a numeric feature.
    min_rows : int
        Compared rows needed on each side to judge (fewer: reported, never dropped).

    Returns
    -------
    pandas.DataFrame
        One row per feature, in ``features`` order, with the columns of :data:`SKEW_SCHEMA`: missing rates
        (training weighted to the scoring rows' lead-age mix), their absolute gap, the PSI, whether the feature
        is dropped and why.
    """
    if age_column in training.columns and age_column in scoring.columns:
        weights, compared = age_matching_weights(training[age_column], scoring[age_column], age_edges)
    else:
        weights, compared = np.ones(len(training)), np.ones(len(scoring), dtype=bool)
    scoring = scoring.loc[compared]
    judged = int((weights > 0).sum()) >= min_rows and len(scoring) >= min_rows
    total_weight = weights.sum()
    records = []
    for name in features:
        scoring_values = scoring[name] if name in scoring.columns else pd.Series(np.nan, index=scoring.index)
        # clipped: the weighted mean of an all-missing column can land a rounding error above 1
        training_missing = (float(np.clip(np.dot(weights, training[name].isna().to_numpy(dtype=float)) / total_weight,
                                          0.0, 1.0)) if total_weight > 0 else np.nan)
        scoring_missing = float(scoring_values.isna().mean()) if len(scoring) else np.nan
        gap = abs(scoring_missing - training_missing)
        if total_weight > 0 and len(scoring):
            psi_of = categorical_psi if kinds.get(name) == "categorical" else numeric_psi
            psi = psi_of(training[name], scoring_values, weights,
                         **({"n_bins": n_bins} if psi_of is numeric_psi else {}))
        else:
            psi = np.nan
        reason = _reason(training_missing, scoring_missing, gap, psi, max_missing_rate_gap, max_psi) if judged else None
        records.append({
            "feature_name": name,
            "training_missing_rate": training_missing,
            "scoring_missing_rate": scoring_missing,
            "missing_rate_gap": gap,
            "psi": psi,
            "is_dropped": reason is not None,
            "reason": reason,
        })
    return _conform(pd.DataFrame.from_records(records, columns=list(SKEW_SCHEMA)))


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    conformed = frame.reindex(columns=list(SKEW_SCHEMA))
    for column, dtype in SKEW_SCHEMA.items():
        values = conformed[column]
        if dtype == "Float64":
            values = pd.to_numeric(values, errors="coerce")
        conformed[column] = values.astype(dtype)
    return conformed.reset_index(drop=True)


def with_drop_reasons(table: pd.DataFrame, reasons: Mapping[str, str]) -> pd.DataFrame:
    """The skew table with other reasons to drop a feature (unusable custom fields) marked, or added as rows.

    A feature already in the table is marked dropped with the reason put first; a feature absent from it (a
    custom field with no catalog row) gets a row of its own with no measurements.
    """
    marked = table.copy()
    for name, reason in reasons.items():
        hit = (marked["feature_name"] == name).to_numpy(dtype=bool)
        if hit.any():
            previous = marked.loc[hit, "reason"].iloc[0]
            marked.loc[hit, "reason"] = reason if pd.isna(previous) else f"{reason}; {previous}"
            marked.loc[hit, "is_dropped"] = True
        else:
            marked = pd.concat([marked, pd.DataFrame([{"feature_name": name, "is_dropped": True, "reason": reason}])],
                               ignore_index=True)
    return _conform(marked)


def dropped_features(table: pd.DataFrame) -> dict[str, str]:
    """``{feature: reason}`` of the dropped rows of a skew table."""
    dropped = table[table["is_dropped"].fillna(False).astype(bool)]
    return dict(zip(dropped["feature_name"].astype(str), dropped["reason"].astype(str)))


def skew_to_json(table: pd.DataFrame, max_missing_rate_gap: float | None, max_psi: float | None) -> str:
    """The skew table and its thresholds as the registry's ``skew_dropped_features_json``.

    ``{"max_missing_rate_gap": ..., "max_psi": ..., "dropped": {feature: reason}, "features": [row, ...]}``: the
    dropped features for a reader, every candidate's measurements for ``ml_feature_skew``.
    """
    def plain(value):
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return None
        return value.item() if isinstance(value, np.generic) else value

    rows = [{column: plain(value) for column, value in row.items()}
            for row in table.astype(object).to_dict("records")]
    return json.dumps({"max_missing_rate_gap": max_missing_rate_gap, "max_psi": max_psi,
                       "dropped": dropped_features(table), "features": rows})


def skew_from_json(text: str | None) -> pd.DataFrame:
    """The per-feature table stored by :func:`skew_to_json` (no rows for null or empty text)."""
    rows = json.loads(text).get("features", []) if isinstance(text, str) and text.strip() else []
    return _conform(pd.DataFrame.from_records(rows, columns=list(SKEW_SCHEMA)))
