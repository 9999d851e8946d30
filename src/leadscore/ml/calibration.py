"""Probability calibration: isotonic or Platt, chosen by cross-fitted Brier score.

A calibration map is a plain dict, so it can be stored as JSON next to the model:

* ``{"method": "isotonic", "x": [...], "y": [...]}``: a non-decreasing step function
  through the points (x, y), linearly interpolated and flat beyond the ends.
* ``{"method": "platt", "a": a, "b": b, "input": "logit" | "identity"}``:
  ``p = 1 / (1 + exp(-(a * t + b)))`` where ``t = logit(raw)`` for probability-like
  raw scores and ``t = raw`` for other scores (e.g. rule points).

Calibrated probabilities are clipped to ``[PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]``
so that an isotonic plateau at 0 or 1 cannot produce an infinite log loss.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit
from sklearn.isotonic import IsotonicRegression

from .metrics import brier

PROBABILITY_FLOOR = 1e-4
METHODS: tuple[str, ...] = ("isotonic", "platt")


def _platt_input(raw: np.ndarray, score_scale: str) -> np.ndarray:
    if score_scale == "probability":
        return logit(np.clip(raw, 1e-6, 1 - 1e-6))
    if score_scale == "linear":
        return raw
    raise ValueError(f"score_scale must be 'probability' or 'linear', got {score_scale!r}")


def _fit_two_parameter_logistic(t: np.ndarray, y: np.ndarray, ridge: float = 1e-6, max_iter: int = 100) -> tuple[float, float]:
    """Maximum-likelihood (a, b) of ``y ~ sigmoid(a * t + b)`` by damped Newton steps."""
    rate = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    params = np.array([0.0, float(np.log(rate / (1 - rate)))])
    design = np.column_stack([t, np.ones_like(t)])
    penalty = np.diag([ridge * len(t), 0.0])

    def loss(theta: np.ndarray) -> float:
        z = design @ theta
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * theta @ penalty @ theta)

    current = loss(params)
    for _ in range(max_iter):
        p = expit(design @ params)
        gradient = design.T @ (p - y) + penalty @ params
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6:
            candidate = params - scale * step
            candidate_loss = loss(candidate)
            if candidate_loss <= current:
                break
            scale /= 2
        else:
            break
        converged = abs(current - candidate_loss) < 1e-10 * max(1.0, abs(current))
        params, current = candidate, candidate_loss
        if converged:
            break
    return float(params[0]), float(params[1])


def fit_calibration(method: str, raw_scores: Sequence, y: Sequence, *, score_scale: str = "probability") -> dict:
    """Fit one calibration map on (raw score, outcome) pairs.

    Parameters
    ----------
    method : {"isotonic", "platt"}
    raw_scores : array-like
        Uncalibrated model scores.
    y : array-like of 0/1
    score_scale : {"probability", "linear"}
        ``"probability"`` when raw scores lie in [0, 1] (Platt then works on their
        logit), ``"linear"`` for any other score.

    Returns
    -------
    dict
        A calibration map (see the module docstring).
    """
    raw = np.asarray(raw_scores, dtype=float)
    labels = np.asarray(y, dtype=float)
    if method == "isotonic":
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, labels)
        return {"method": "isotonic", "x": model.X_thresholds_.tolist(), "y": model.y_thresholds_.tolist()}
    if method == "platt":
        a, b = _fit_two_parameter_logistic(_platt_input(raw, score_scale), labels)
        return {"method": "platt", "a": a, "b": b, "input": "logit" if score_scale == "probability" else "identity"}
    raise ValueError(f"unknown calibration method {method!r}; use one of {METHODS}")


def apply_calibration(calibration_map: dict, raw_scores: Sequence) -> np.ndarray:
    """Calibrated probabilities for raw scores; a pure function of the stored map.

    Parameters
    ----------
    calibration_map : dict
        Output of :func:`fit_calibration` (possibly after a JSON round trip).
    raw_scores : array-like

    Returns
    -------
    numpy.ndarray of float64 in ``[PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]``.
    """
    raw = np.asarray(raw_scores, dtype=float)
    method = calibration_map["method"]
    if method == "isotonic":
        calibrated = np.interp(raw, np.asarray(calibration_map["x"], float), np.asarray(calibration_map["y"], float))
    elif method == "platt":
        scale = "probability" if calibration_map.get("input", "logit") == "logit" else "linear"
        calibrated = expit(calibration_map["a"] * _platt_input(raw, scale) + calibration_map["b"])
    elif method == "identity":
        calibrated = raw
    else:
        raise ValueError(f"unknown calibration method {method!r}")
    return np.clip(calibrated, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def fold_ids(n_rows: int, n_folds: int, *, groups: Sequence | None = None, random_state: int = 0) -> np.ndarray:
    """Fold number per row; all rows of one group (e.g. a lead) share a fold.

    Groups are shuffled with ``random_state`` after sorting their distinct values, so
    the assignment depends on the set of groups, not on row order.
    """
    rng = np.random.default_rng(random_state)
    if groups is None:
        return rng.permutation(n_rows) % n_folds
    distinct, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    group_fold = rng.permutation(len(distinct)) % n_folds
    return group_fold[codes]


@dataclass
class CalibrationChoice:
    """Result of :func:`choose_calibration`.

    Attributes
    ----------
    calibration_map : dict
        The chosen method refitted on all rows.
    method : str
    cross_fitted : numpy.ndarray
        Out-of-fold calibrated probabilities of the chosen method, for honest
        validation metrics.
    brier_by_method : dict
        Cross-fitted Brier score of every method, plus ``"raw"`` for the raw scores
        (when they are probabilities).
    """

    calibration_map: dict
    method: str
    cross_fitted: np.ndarray
    brier_by_method: dict = field(default_factory=dict)


def choose_calibration(
    raw_scores: Sequence,
    y: Sequence,
    *,
    groups: Sequence | None = None,
    n_folds: int = 5,
    methods: Sequence[str] = METHODS,
    score_scale: str = "probability",
    random_state: int = 0,
) -> CalibrationChoice:
    """Pick the calibration method with the lowest cross-fitted Brier score.

    Each method is fitted on ``n_folds - 1`` folds of the validation rows and scored
    on the held-out fold (folds respect ``groups``, so a lead's snapshots are never
    on both sides). The winner (ties go to the earlier entry of ``methods``) is refitted
    on all rows.

    Parameters
    ----------
    raw_scores : array-like
        Raw validation scores.
    y : array-like of 0/1
        Validation outcomes; both classes must be present.
    groups : array-like, optional
        Group id per row (lead ids).
    n_folds : int
        Between 2 and 5 is sensible; reduced when a class is very rare.
    methods : sequence of str
    score_scale : {"probability", "linear"}
    random_state : int

    Returns
    -------
    CalibrationChoice
    """
    raw = np.asarray(raw_scores, dtype=float)
    labels = np.asarray(y, dtype=float)
    positives = int(labels.sum())
    if positives == 0 or positives == len(labels):
        raise ValueError("calibration needs both outcomes among the validation rows")
    folds_count = max(2, min(n_folds, positives, len(labels) - positives))
    folds = fold_ids(len(raw), folds_count, groups=groups, random_state=random_state)
    out_of_fold = {}
    for method in methods:
        predictions = np.empty(len(raw))
        for fold in range(folds_count):
            held_out = folds == fold
            fitted = fit_calibration(method, raw[~held_out], labels[~held_out], score_scale=score_scale)
            predictions[held_out] = apply_calibration(fitted, raw[held_out])
        out_of_fold[method] = predictions
    scores = {method: brier(labels, predictions) for method, predictions in out_of_fold.items()}
    best = min(methods, key=lambda method: (scores[method], list(methods).index(method)))
    if score_scale == "probability":
        scores["raw"] = brier(labels, raw)
    return CalibrationChoice(
        calibration_map=fit_calibration(best, raw, labels, score_scale=score_scale),
        method=best,
        cross_fitted=out_of_fold[best],
        brier_by_method=scores,
    )
