"""From probabilities to the 1-99 score, bands, and a one-call scoring helper.

The score is the percentile rank of a probability among *reference probabilities*
stored with the model at training time (the calibrated out-of-sample predictions of
the validation and test snapshots, kept as 101 quantiles). Because the reference is
frozen in the bundle, the same probability maps to the same score on every run, and
the mapping is non-decreasing in the probability.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .frames import DATE_COLUMN, LEAD_COLUMN

if TYPE_CHECKING:  # pragma: no cover
    from .deal_size import DealSizeModel
    from .registry import ModelBundle


def reference_quantiles(probabilities: Sequence[float], n_quantiles: int = 101) -> list[float]:
    """Quantiles of a probability sample at ``n_quantiles`` equally spaced levels (JSON-ready)."""
    values = np.asarray(probabilities, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        raise ValueError("no reference probabilities")
    return np.quantile(values, np.linspace(0, 1, n_quantiles)).tolist()


def probability_to_score(p: float | Sequence[float], reference_probabilities: Sequence[float]) -> int | np.ndarray:
    """Map probabilities to integer scores 1..99 by percentile rank in a fixed reference.

    The reference is sorted; its k-th value sits at level ``k / (n - 1)`` and tied
    values share the mean of their levels. A probability's percentile is the linear
    interpolation of those levels (0 below the reference, 1 above it), and the score
    is ``1 + round(98 * percentile)``.

    Parameters
    ----------
    p : float or array-like
        Calibrated probabilities.
    reference_probabilities : array-like
        Stored reference quantiles (or any reference sample).

    Returns
    -------
    int or numpy.ndarray of int
        Same shape as ``p``.
    """
    reference = np.sort(np.asarray(reference_probabilities, dtype=float))
    if len(reference) < 2:
        raise ValueError("need at least two reference probabilities")
    levels = np.linspace(0.0, 1.0, len(reference))
    distinct, inverse = np.unique(reference, return_inverse=True)
    mean_levels = np.bincount(inverse, weights=levels) / np.bincount(inverse)
    values = np.asarray(p, dtype=float)
    if len(distinct) == 1:
        percentile = np.where(values < distinct[0], 0.0, np.where(values > distinct[0], 1.0, 0.5))
    else:
        percentile = np.interp(values, distinct, mean_levels, left=0.0, right=1.0)
    scores = np.clip(1 + np.round(98 * percentile), 1, 99).astype(np.int64)
    return int(scores) if scores.ndim == 0 else scores


def assign_band(score: int | Sequence[int], bands_frame: pd.DataFrame) -> str | None | np.ndarray:
    """Band name for each score.

    Parameters
    ----------
    score : int or array-like of int
    bands_frame : pandas.DataFrame
        One row per band with ``band`` (or ``band_name``), ``min_score`` and
        ``max_score``, both inclusive, not overlapping.

    Returns
    -------
    str, None or numpy.ndarray of object
        ``None`` for scores outside every band.
    """
    bands = bands_frame.rename(columns=str.lower)
    name_column = "band" if "band" in bands.columns else "band_name"
    bands = bands.sort_values("min_score", kind="mergesort").reset_index(drop=True)
    lows = bands["min_score"].to_numpy(dtype=float)
    highs = bands["max_score"].to_numpy(dtype=float)
    if np.any(lows[1:] <= highs[:-1]):
        raise ValueError("score bands overlap")
    names = np.array([*bands[name_column].astype(str), None], dtype=object)
    values = np.asarray(score, dtype=float)
    position = np.searchsorted(lows, values, side="right") - 1
    inside = (position >= 0) & (values <= highs[np.clip(position, 0, None)])
    chosen = np.where(inside, position, len(bands))
    return names[int(chosen)] if chosen.ndim == 0 else names[chosen]


def score_leads(
    bundle: "ModelBundle",
    frame: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    *,
    bands: pd.DataFrame | None = None,
    k: int = 3,
    json_top_n: int = 10,
    deal_size_model: "DealSizeModel | None" = None,
) -> pd.DataFrame:
    """Score rows with a trained bundle: probability, score, band, reasons, expected value.

    Parameters
    ----------
    bundle : ModelBundle
    frame : pandas.DataFrame
        Rows to score (e.g. ``is_scoring_row``), with ``lead_id`` and ``as_of_date``.
    catalog : pandas.DataFrame, optional
        Feature catalog; when given, reasons are added (:func:`leadscore.ml.explain.top_reasons`).
    bands : pandas.DataFrame, optional
        Score bands for :func:`assign_band`.
    k, json_top_n : int
        Passed to ``top_reasons``.
    deal_size_model : DealSizeModel, optional
        Adds ``expected_deal_size`` and ``expected_value = probability * expected_deal_size``.

    Returns
    -------
    pandas.DataFrame
        ``lead_id``, ``as_of_date``, ``probability``, ``score``, ``band`` (when bands
        are given), ``model_version``, the reason columns, and the deal-size columns.
    """
    from .explain import explain, top_reasons
    from .registry import predict_proba

    probability = predict_proba(bundle, frame)
    result = pd.DataFrame(
        {LEAD_COLUMN: frame[LEAD_COLUMN].to_numpy(), DATE_COLUMN: frame[DATE_COLUMN].to_numpy(), "probability": probability},
        index=frame.index,
    )
    result["score"] = probability_to_score(probability, bundle.metadata["reference_quantiles"])
    if bands is not None:
        result["band"] = assign_band(result["score"].to_numpy(), bands)
    result["model_version"] = bundle.version_id
    if deal_size_model is not None:
        from .deal_size import predict_deal_size

        result["expected_deal_size"] = predict_deal_size(deal_size_model, frame)
        result["expected_value"] = result["probability"] * result["expected_deal_size"]
    if catalog is not None:
        reasons = top_reasons(explain(bundle, frame), frame, catalog, k, json_top_n=json_top_n)
        result = pd.concat([result, reasons], axis=1)
    return result.reset_index(drop=True)
