"""Guards that stop a training run before it produces a misleading model.

* :func:`check_minimum_data`: too few leads or positives to learn anything stable.
* :func:`leakage_check`: a single feature that predicts the label almost perfectly is
  almost always built from information after the snapshot date.
* :func:`check_no_protected_features`: protected attributes (catalog ``is_protected``)
  never enter a model.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .frames import LABEL_COLUMN, LEAD_COLUMN, label_array, sort_by_key, to_float, trainable_mask


class InsufficientDataError(ValueError):
    """Raised when there is not enough matured, labelled history to train or split."""


class LeakageError(ValueError):
    """Raised when single features predict the label suspiciously well.

    Attributes
    ----------
    features : dict
        ``{feature_name: single_feature_auc}`` for every offending feature.
    """

    def __init__(self, message: str, features: dict[str, float]):
        super().__init__(message)
        self.features = features


class ProtectedFeatureError(ValueError):
    """Raised when a protected attribute is about to be used as a model input."""


def check_minimum_data(
    frame: pd.DataFrame,
    min_leads: int = 500,
    min_positives: int = 50,
    *,
    lead_col: str = LEAD_COLUMN,
    label_col: str = LABEL_COLUMN,
) -> dict[str, int]:
    """Check there are enough distinct leads and positive snapshots to train.

    Only trainable rows count (labelled and matured; see
    :func:`leadscore.ml.frames.trainable_mask`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Snapshots of ``lead_features``.
    min_leads : int
        Minimum number of distinct leads with a trainable snapshot.
    min_positives : int
        Minimum number of positive trainable snapshots.

    Returns
    -------
    dict
        ``{"trainable_rows", "leads", "positives"}`` when the data suffices.

    Raises
    ------
    InsufficientDataError
        With the counts found and the counts needed.
    """
    mask = trainable_mask(frame, label_col)
    trainable = frame.loc[mask]
    counts = {
        "trainable_rows": int(mask.sum()),
        "leads": int(trainable[lead_col].nunique()),
        "positives": int(label_array(trainable, label_col).sum()) if len(trainable) else 0,
    }
    problems = []
    if counts["leads"] < min_leads:
        problems.append(f"{counts['leads']} distinct leads with a matured label (need at least {min_leads})")
    if counts["positives"] < min_positives:
        problems.append(f"{counts['positives']} positive snapshots (need at least {min_positives})")
    if problems:
        raise InsufficientDataError(
            "Not enough data to train a lead model: found " + " and ".join(problems)
            + f" among {counts['trainable_rows']} labelled, matured snapshots. "
            "Keep using the rule-based score until more history has matured."
        )
    return counts


def _auc_both_ways(values: np.ndarray, labels: np.ndarray) -> float:
    """max(AUC, 1 - AUC) of a numeric score, NaN as its own lowest or highest value."""
    from .metrics import auc_roc

    missing = np.isnan(values)
    if missing.all():
        return 0.5
    best = 0.5
    low, high = np.nanmin(values) - 1.0, np.nanmax(values) + 1.0
    for fill in ((low, high) if missing.any() else (low,)):
        auc = auc_roc(labels, np.where(missing, fill, values))
        if auc == auc:
            best = max(best, auc, 1.0 - auc)
    return float(best)


def _out_of_fold_target_mean(levels: pd.Series, labels: np.ndarray, n_folds: int, random_state: int) -> np.ndarray:
    """Target mean of each row's level computed on the other folds (shrunk to the prior).

    Out-of-fold means keep an identifier-like categorical (one row per level) from
    looking like a perfect predictor, while a categorical that encodes the label still
    scores close to 1.
    """
    codes, _ = pd.factorize(levels, use_na_sentinel=False)
    folds = np.random.default_rng(random_state).permutation(len(codes)) % n_folds
    prior = labels.mean()
    encoded = np.empty(len(codes), dtype=float)
    for fold in range(n_folds):
        held_out = folds == fold
        sums = np.bincount(codes[~held_out], weights=labels[~held_out], minlength=codes.max() + 1)
        counts = np.bincount(codes[~held_out], minlength=codes.max() + 1)
        smoothed = (sums + prior) / (counts + 1.0)
        encoded[held_out] = smoothed[codes[held_out]]
    return encoded


def single_feature_auc(
    values: pd.Series, labels: Sequence, *, categorical: bool | None = None, random_state: int = 0
) -> float:
    """How well one feature alone separates the classes: ``max(AUC, 1 - AUC)``.

    Numeric and boolean features are used as the score directly, with missing values
    tried both as the lowest and the highest value (so a feature whose missingness
    encodes the label is caught). Categorical features are ordered by their
    out-of-fold target mean (2 folds).

    Parameters
    ----------
    values : pandas.Series
    labels : array-like of 0/1
    categorical : bool, optional
        Force the treatment; inferred from the dtype when omitted.
    random_state : int
        Seed of the fold assignment for categoricals.

    Returns
    -------
    float in [0.5, 1].
    """
    y = np.asarray(labels, dtype=float)
    if categorical is None:
        categorical = not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype))
    if categorical:
        return _auc_both_ways(_out_of_fold_target_mean(values, y, 2, random_state), y)
    return _auc_both_ways(to_float(values), y)


def leakage_check(
    train_frame: pd.DataFrame,
    features: Sequence[str],
    threshold: float = 0.95,
    *,
    label_col: str = LABEL_COLUMN,
    categorical_features: Sequence[str] | None = None,
    random_state: int = 0,
) -> dict[str, float]:
    """Raise :class:`LeakageError` if any single feature predicts the label too well.

    Parameters
    ----------
    train_frame : pandas.DataFrame
        Training snapshots (labelled rows only).
    features : sequence of str
        Candidate model inputs.
    threshold : float
        Single-feature ``max(AUC, 1 - AUC)`` at or above which a feature is rejected.
    categorical_features : sequence of str, optional
        Features to treat as categorical; inferred from dtypes when omitted.
    random_state : int
        Seed for the categorical out-of-fold encoding.

    Returns
    -------
    dict
        ``{feature: single_feature_auc}`` for every feature when none leaks.

    Raises
    ------
    LeakageError
        Naming each offending feature and its AUC.
    """
    ordered = sort_by_key(train_frame) if {"lead_id", "as_of_date"} <= set(train_frame.columns) else train_frame
    ordered = ordered.loc[~np.isnan(to_float(ordered[label_col]))]
    labels = label_array(ordered, label_col)
    categorical = None if categorical_features is None else set(categorical_features)
    aucs = {
        feature: single_feature_auc(
            ordered[feature], labels,
            categorical=None if categorical is None else feature in categorical,
            random_state=random_state,
        )
        for feature in features
    }
    leaking = {feature: auc for feature, auc in aucs.items() if auc >= threshold}
    if leaking:
        listed = ", ".join(f"{name} (AUC {auc:.3f})" for name, auc in sorted(leaking.items(), key=lambda kv: -kv[1]))
        raise LeakageError(
            f"Possible label leakage: feature(s) {listed} alone separate the label with AUC >= {threshold}. "
            "Check that they only use information available on as_of_date, or drop them from the catalog.",
            leaking,
        )
    return aucs


def check_no_protected_features(features: Sequence[str], catalog: pd.DataFrame) -> None:
    """Raise :class:`ProtectedFeatureError` if a catalog-protected attribute is among ``features``."""
    from .features import protected_features

    used = sorted(set(features) & protected_features(catalog))
    if used:
        raise ProtectedFeatureError(f"protected attribute(s) {used} must never be model inputs")
