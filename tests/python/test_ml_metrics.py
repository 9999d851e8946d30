"""Metrics agree with scikit-learn and the tables say what they claim."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, log_loss as sk_log_loss, roc_auc_score

from leadscore.ml import auc_roc, brier, calibration_table, evaluate, lift_table, log_loss, threshold_table


def sample(n: int = 5000, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 6, n)
    y = (rng.random(n) < p).astype(float)
    return y, p


def test_scalar_metrics_match_scikit_learn():
    y, p = sample()
    assert auc_roc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p))
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert np.isnan(auc_roc(np.zeros(10), np.linspace(0, 1, 10)))


def test_calibrated_scores_have_small_ece_and_equal_mass_bins():
    y, p = sample(20000)
    table = calibration_table(y, p, n_bins=10)
    assert len(table) == 10
    assert table["n"].min() >= 0.09 * len(y)  # equal-mass bins
    assert table["mean_probability"].is_monotonic_increasing
    assert evaluate(y, p)["ece"] < 0.02
    assert evaluate(y, np.clip(p * 2, 0, 1))["ece"] > 0.05  # a miscalibrated score is caught


def test_lift_table_and_capture_rate():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 10, dtype=float)
    perfect = y + np.linspace(0, 0.1, len(y))  # positives score highest
    table = lift_table(y, perfect, n_groups=10)
    assert table.loc[0, "rate"] == 1.0 and table.loc[0, "lift"] == pytest.approx(1 / 0.2)
    assert table.loc[1, "capture_rate"] == pytest.approx(1.0)
    assert table["capture_rate"].iloc[-1] == pytest.approx(1.0)
    tied = lift_table(y, np.ones(len(y)))
    assert len(tied) == 10 and np.allclose(tied["lift"], 1.0)  # all tied: every decile gets the average
    coarse = np.where(np.arange(len(y)) < 40, 1.0, 0.0)  # 40 tied rows on top hold 8 positives
    table = lift_table(y, coarse)
    assert table["n"].tolist() == [10] * 10
    assert table.loc[0, "positives"] == pytest.approx(8 * 10 / 40)  # pro rata share of the tied positives
    shuffled = np.random.default_rng(0).permutation(len(y))
    pd.testing.assert_frame_equal(lift_table(y[shuffled], coarse[shuffled]), table)


def test_threshold_table_counts_by_hand():
    y = np.array([1, 0, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.4, 0.3, 0.1])
    table = threshold_table(y, p, [0.5, 0.35]).set_index("threshold")
    assert table.loc[0.5, "precision"] == pytest.approx(0.5) and table.loc[0.5, "recall"] == pytest.approx(0.5)
    assert table.loc[0.35, "precision"] == pytest.approx(2 / 3) and table.loc[0.35, "recall"] == pytest.approx(1.0)
    assert table.loc[0.35, "f1"] == pytest.approx(0.8)


def test_evaluate_is_json_serializable_with_none_for_undefined():
    y, p = sample(500)
    result = evaluate(y, p, thresholds=[0.2, 0.99])
    parsed = json.loads(json.dumps(result, allow_nan=False))
    assert set(parsed) >= {"auc_roc", "pr_auc", "log_loss", "brier", "ece", "top_decile_lift", "thresholds"}
    assert parsed["thresholds"][1]["precision"] is None  # nothing flagged at 0.99
    assert evaluate(np.zeros(20), np.linspace(0, 1, 20))["auc_roc"] is None
