"""Probability-to-score mapping, bands, and the retraining / promotion rules."""
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from leadscore.ml import assign_band, needs_retraining, probability_to_score, reference_quantiles, should_promote


def reference() -> list:
    rng = np.random.default_rng(0)
    return reference_quantiles(rng.beta(1, 8, 5000))


def test_score_is_monotone_bounded_and_percentile_based():
    ref = reference()
    grid = np.linspace(0, 1, 2001)
    scores = probability_to_score(grid, ref)
    assert scores.dtype.kind == "i"
    assert np.all(np.diff(scores) >= 0)
    assert scores.min() == 1 and scores.max() == 99
    assert probability_to_score(float(np.median(ref)), ref) == 50  # the median lead scores 50
    assert probability_to_score(0.0, ref) == 1 and probability_to_score(1.0, ref) == 99


def test_score_is_stable_across_runs_and_batches():
    ref = reference()
    probabilities = np.random.default_rng(1).beta(1, 8, 1000)
    alone = np.array([probability_to_score(p, ref) for p in probabilities[:20]])
    batch = probability_to_score(probabilities, ref)
    assert np.array_equal(alone, batch[:20])  # a lead's score does not depend on the other leads scored
    assert np.array_equal(batch, probability_to_score(probabilities, list(ref)))
    assert np.array_equal(batch, probability_to_score(probabilities, ref[::-1]))  # order of the stored list is irrelevant


def test_tied_reference_quantiles_do_not_break_monotonicity():
    ref = [0.01] * 40 + list(np.linspace(0.02, 0.5, 61))  # an isotonic plateau gives many equal quantiles
    scores = probability_to_score(np.linspace(0, 0.6, 601), ref)
    assert np.all(np.diff(scores) >= 0)
    assert probability_to_score(0.01, ref) == pytest.approx(1 + round(98 * 19.5 / 100), abs=1)


def test_bands_from_the_seed_layout():
    bands = pd.DataFrame({"band": ["A", "B", "C", "D"], "min_score": [90, 70, 40, 1], "max_score": [99, 89, 69, 39]})
    assert assign_band(95, bands) == "A"
    assert assign_band(np.array([1, 39, 40, 69, 70, 89, 90, 99]), bands).tolist() == ["D", "D", "C", "C", "B", "B", "A", "A"]
    assert assign_band(0, bands) is None
    with pytest.raises(ValueError, match="overlap"):
        assign_band(50, pd.DataFrame({"band": ["X", "Y"], "min_score": [1, 50], "max_score": [60, 99]}))


def test_promotion_needs_a_better_auc_without_a_worse_log_loss():
    champion = {"auc_roc": 0.80, "log_loss": 0.30}
    assert should_promote({"auc_roc": 0.82, "log_loss": 0.29}, champion)
    assert not should_promote({"auc_roc": 0.802, "log_loss": 0.29}, champion)  # gain below the margin
    assert not should_promote({"auc_roc": 0.85, "log_loss": 0.31}, champion)  # probabilities got worse
    assert should_promote({"auc_roc": 0.60, "log_loss": 0.5}, None)  # nothing in production yet
    assert not should_promote({"auc_roc": None, "log_loss": 0.2}, champion)


def test_retraining_cadence():
    last = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert not needs_retraining(last, datetime(2024, 1, 20, tzinfo=timezone.utc), 30)
    assert needs_retraining(last, datetime(2024, 1, 31, tzinfo=timezone.utc), 30)
    assert needs_retraining(last, "2024-01-02", 30, forced=True)
    assert needs_retraining(None, "2024-01-02", 30)
    assert not needs_retraining("2024-01-01T00:00:00", pd.Timestamp("2024-01-15"), 30)
