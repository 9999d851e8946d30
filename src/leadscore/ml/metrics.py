"""Evaluation metrics and report tables for probability scores.

Binning conventions
-------------------
* Calibration bins (:func:`calibration_table`, the ``ece`` of :func:`evaluate`) are
  **equal-mass**: edges are quantiles of the predicted probabilities, so each bin holds
  about the same number of rows. Lead scores are skewed towards small probabilities,
  and equal-width bins would leave most bins nearly empty. Rows with the same
  probability always share a bin, so results do not depend on row order.
* Lift groups (:func:`lift_table`) are deciles by descending score (group 1 = best
  scored tenth) of exactly a tenth of the rows each; tied scores that straddle a
  boundary count pro rata (the average over random orderings of the ties).
* ECE is the row-weighted mean of ``|mean predicted - observed rate|`` over the bins.

All functions are pure; ``evaluate`` returns plain JSON-serializable values (``None``
where a metric is undefined, e.g. AUC with a single class).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.1, 0.25, 0.5)
_EPS = 1e-15


def _arrays(y: Sequence, p: Sequence) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(y, dtype=float)
    scores = np.asarray(p, dtype=float)
    if labels.shape != scores.shape:
        raise ValueError(f"y and p differ in length: {labels.shape} vs {scores.shape}")
    return labels, scores


def auc_roc(y: Sequence, p: Sequence) -> float:
    """Area under the ROC curve from average ranks (ties count one half); NaN with one class."""
    labels, scores = _arrays(y, p)
    positives = labels.sum()
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(y: Sequence, p: Sequence) -> float:
    """Area under the precision-recall curve (average precision); NaN without positives."""
    labels, scores = _arrays(y, p)
    if labels.sum() == 0:
        return float("nan")
    return float(average_precision_score(labels, scores))


def log_loss(y: Sequence, p: Sequence) -> float:
    """Mean negative log-likelihood, probabilities clipped to ``[1e-15, 1 - 1e-15]``."""
    labels, scores = _arrays(y, p)
    clipped = np.clip(scores, _EPS, 1 - _EPS)
    return float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log1p(-clipped)))


def brier(y: Sequence, p: Sequence) -> float:
    """Mean squared difference between probability and outcome."""
    labels, scores = _arrays(y, p)
    return float(np.mean((scores - labels) ** 2))


def _equal_mass_bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index per row from quantile edges; equal probabilities share a bin."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, p, side="left")


def calibration_table(y: Sequence, p: Sequence, n_bins: int = 10) -> pd.DataFrame:
    """Observed versus predicted rate in equal-mass probability bins.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of probabilities
    n_bins : int
        Target number of bins (fewer when many probabilities tie).

    Returns
    -------
    pandas.DataFrame
        One row per bin: ``bin`` (1 = lowest probabilities), ``n``, ``positives``,
        ``min_probability``, ``max_probability``, ``mean_probability``,
        ``observed_rate``, ``abs_gap``.
    """
    labels, scores = _arrays(y, p)
    frame = pd.DataFrame({"bin": _equal_mass_bins(scores, n_bins), "y": labels, "p": scores})
    table = frame.groupby("bin", sort=True).agg(
        n=("y", "size"),
        positives=("y", "sum"),
        min_probability=("p", "min"),
        max_probability=("p", "max"),
        mean_probability=("p", "mean"),
        observed_rate=("y", "mean"),
    )
    table = table.reset_index(drop=True)
    table.insert(0, "bin", np.arange(1, len(table) + 1))
    table["positives"] = table["positives"].astype(int)
    table["abs_gap"] = (table["mean_probability"] - table["observed_rate"]).abs()
    return table


def expected_calibration_error(y: Sequence, p: Sequence, n_bins: int = 10) -> float:
    """Row-weighted mean absolute gap between predicted and observed rate over equal-mass bins."""
    table = calibration_table(y, p, n_bins)
    return float((table["abs_gap"] * table["n"]).sum() / table["n"].sum())


def lift_table(y: Sequence, p: Sequence, n_groups: int = 10) -> pd.DataFrame:
    """Lift and capture rate by score decile (group 1 = highest scores).

    Every group holds exactly its share of the rows. Tied scores that straddle a group
    boundary contribute their positives pro rata, which is the average over every
    random ordering of the tied rows; so a coarse score (rule points with a handful of
    values) is neither flattered nor penalised by an arbitrary tie order, and the table
    never depends on row order.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of scores (any monotone score works, not only probabilities)
    n_groups : int
        Number of groups, 10 for deciles.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n``, ``positives`` (expected, may be fractional with ties),
        ``min_score``, ``max_score``, ``rate``, ``lift`` (rate / overall rate),
        ``cumulative_positives``, ``capture_rate`` (share of all positives in this and
        better groups), ``cumulative_lift``.
    """
    labels, scores = _arrays(y, p)
    n_rows = len(scores)
    distinct, inverse = np.unique(-scores, return_inverse=True)  # best score first
    tie_counts = np.bincount(inverse, minlength=len(distinct))
    tie_positives = np.bincount(inverse, weights=labels, minlength=len(distinct))
    knots = np.concatenate([[0], np.cumsum(tie_counts)])
    expected_positives = np.concatenate([[0.0], np.cumsum(tie_positives)])
    boundaries = np.round(np.linspace(0, n_rows, n_groups + 1)).astype(int)
    boundaries = np.unique(boundaries)
    cumulative = np.interp(boundaries, knots, expected_positives)
    descending = np.sort(scores)[::-1]
    table = pd.DataFrame({
        "group": np.arange(1, len(boundaries)),
        "n": np.diff(boundaries),
        "positives": np.diff(cumulative),
        "min_score": descending[boundaries[1:] - 1],
        "max_score": descending[boundaries[:-1]],
    })
    base_rate = labels.mean()
    total_positives = labels.sum()
    table["rate"] = table["positives"] / table["n"]
    table["lift"] = table["rate"] / base_rate if base_rate > 0 else np.nan
    table["cumulative_positives"] = table["positives"].cumsum()
    table["capture_rate"] = table["cumulative_positives"] / total_positives if total_positives > 0 else np.nan
    cumulative_rate = table["cumulative_positives"] / table["n"].cumsum()
    table["cumulative_lift"] = cumulative_rate / base_rate if base_rate > 0 else np.nan
    return table


def threshold_table(y: Sequence, p: Sequence, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Precision, recall and F1 when flagging rows with ``p >= threshold``.

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``flagged``, ``flagged_share``, ``precision`` (NaN when nothing
        is flagged), ``recall``, ``f1``.
    """
    labels, scores = _arrays(y, p)
    rows = []
    positives = labels.sum()
    for threshold in thresholds:
        flagged = scores >= threshold
        true_positives = float(labels[flagged].sum())
        precision = true_positives / flagged.sum() if flagged.any() else float("nan")
        recall = true_positives / positives if positives > 0 else float("nan")
        f1 = (2 * precision * recall / (precision + recall)
              if precision == precision and recall == recall and precision + recall > 0 else float("nan"))
        rows.append({
            "threshold": float(threshold),
            "flagged": int(flagged.sum()),
            "flagged_share": float(flagged.mean()),
            "precision": precision,
            "recall": recall,
            "f1": f1,
        })
    return pd.DataFrame(rows)


def _clean(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def evaluate(
    y: Sequence,
    p: Sequence,
    *,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    n_bins: int = 10,
    ranking_only: bool = False,
) -> dict:
    """Every headline metric of a probability score in one JSON-serializable dict.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of probabilities (or any score when ``ranking_only``)
    thresholds : sequence of float
        Probability thresholds (e.g. score-band edges) for precision / recall / F1.
    n_bins : int
        Equal-mass bins for the expected calibration error.
    ranking_only : bool
        Skip the probability metrics (log loss, Brier, ECE, thresholds) for scores that
        are not probabilities.

    Returns
    -------
    dict
        ``n``, ``positives``, ``base_rate``, ``auc_roc``, ``pr_auc``, ``log_loss``,
        ``brier``, ``ece``, ``top_decile_lift``, ``top_decile_capture`` and
        ``thresholds`` (a list of dicts). Undefined values are ``None``.
    """
    labels, scores = _arrays(y, p)
    lift = lift_table(labels, scores)
    top = lift.iloc[0]
    result = {
        "n": int(len(labels)),
        "positives": int(labels.sum()),
        "base_rate": _clean(labels.mean()),
        "auc_roc": _clean(auc_roc(labels, scores)),
        "pr_auc": _clean(pr_auc(labels, scores)),
        "top_decile_lift": _clean(top["lift"]),
        "top_decile_capture": _clean(top["capture_rate"]),
    }
    if ranking_only:
        return result
    result.update({
        "log_loss": _clean(log_loss(labels, scores)),
        "brier": _clean(brier(labels, scores)),
        "ece": _clean(expected_calibration_error(labels, scores, n_bins)),
        "thresholds": [
            {key: (_clean(value) if isinstance(value, float) else value) for key, value in row.items()}
            for row in threshold_table(labels, scores, thresholds).to_dict("records")
        ],
    })
    return result
