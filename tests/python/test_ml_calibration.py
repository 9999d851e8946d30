"""Calibration: fixes class-weighted scores, serializable maps, Platt recovers known parameters."""
import json

import numpy as np
import pytest
from scipy.special import expit, logit

from leadscore.ml import apply_calibration, brier, choose_calibration, fit_calibration
from leadscore.ml.candidates import fit_lightgbm, fit_logistic, predict_raw


def imbalanced(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    z = -3.0 + 1.2 * X[:, 0] + 0.8 * X[:, 1] * (X[:, 2] > 0) - 0.6 * X[:, 3]
    return X, (rng.random(n) < expit(z)).astype(float)


@pytest.mark.parametrize("algorithm", ["logistic", "lightgbm"])
def test_calibration_improves_brier_over_raw_class_weighted_scores(algorithm):
    X_train, y_train = imbalanced(4000, 0)
    X_val, y_val = imbalanced(3000, 1)
    X_test, y_test = imbalanced(3000, 2)
    if algorithm == "logistic":
        fit = fit_logistic(X_train, y_train, X_val, y_val, class_weight="balanced", random_state=0)
    else:
        fit = fit_lightgbm(X_train, y_train, X_val, y_val, feature_names=[f"x{i}" for i in range(5)],
                           class_weight="balanced", try_unweighted=False, random_state=0)
    raw_val, raw_test = predict_raw(algorithm, fit.model, X_val), predict_raw(algorithm, fit.model, X_test)
    assert raw_test.mean() > 2 * y_test.mean()  # balanced weights inflate the raw probabilities
    choice = choose_calibration(raw_val, y_val, n_folds=5, random_state=0)
    calibrated = apply_calibration(choice.calibration_map, raw_test)
    assert brier(y_test, calibrated) < 0.8 * brier(y_test, raw_test)
    assert abs(calibrated.mean() - y_test.mean()) < 0.02
    assert choice.method in ("isotonic", "platt")
    assert choice.brier_by_method[choice.method] == min(choice.brier_by_method["isotonic"], choice.brier_by_method["platt"])
    assert choice.brier_by_method[choice.method] < choice.brier_by_method["raw"]


def test_platt_recovers_known_parameters_and_maps_survive_json():
    rng = np.random.default_rng(3)
    raw = rng.uniform(0.01, 0.99, 20000)
    y = (rng.random(len(raw)) < expit(1.7 * logit(raw) - 0.8)).astype(float)
    platt = fit_calibration("platt", raw, y)
    assert platt["a"] == pytest.approx(1.7, abs=0.1) and platt["b"] == pytest.approx(-0.8, abs=0.1)
    for method in ("platt", "isotonic"):
        fitted = fit_calibration(method, raw, y)
        restored = json.loads(json.dumps(fitted))
        grid = np.linspace(0, 1, 101)
        np.testing.assert_array_equal(apply_calibration(restored, grid), apply_calibration(fitted, grid))
        assert np.all(np.diff(apply_calibration(fitted, grid)) >= 0)  # calibration keeps the order


def test_cross_fitting_keeps_a_lead_on_one_side_of_every_fold():
    from leadscore.ml.calibration import fold_ids

    groups = np.repeat([f"L{i}" for i in range(50)], 4)
    folds = fold_ids(len(groups), 5, groups=groups, random_state=0)
    per_lead = {lead: set(folds[groups == lead]) for lead in set(groups)}
    assert all(len(f) == 1 for f in per_lead.values())
    assert len(set(folds)) == 5
    shuffled = np.random.default_rng(1).permutation(len(groups))
    again = fold_ids(len(groups), 5, groups=groups[shuffled], random_state=0)
    assert np.array_equal(again, folds[shuffled])  # depends on the set of leads, not row order


def test_lightgbm_chooses_its_class_weighting_on_validation_auc():
    X_train, y_train = imbalanced(4000, 0)
    X_val, y_val = imbalanced(3000, 1)
    fit = fit_lightgbm(X_train, y_train, X_val, y_val, feature_names=[f"x{i}" for i in range(5)],
                       class_weight="balanced", random_state=0)
    weights = {point["scale_pos_weight"] for point in fit.search}
    assert len(weights) == 2 and 1.0 in weights  # balanced and unweighted were both tried
    best = max(fit.search, key=lambda point: point["validation_auc"])
    assert fit.hyperparameters["scale_pos_weight"] == best["scale_pos_weight"]
    assert fit.validation_auc == best["validation_auc"]
