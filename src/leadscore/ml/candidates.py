"""Candidate classifiers, their validation-driven tuning, and the champion rule.

Three families, each with explicit ``random_state`` and at most two threads:

* ``logistic``: L2-regularized logistic regression on the ``linear`` encoding; ``C``
  from a small grid.
* ``random_forest``: ``min_samples_leaf`` from a grid of fractions of the training
  rows (so the grid scales with the data instead of being tuned to one data set).
* ``lightgbm``: ``num_leaves`` from a small grid, boosting rounds by early stopping on
  the validation log loss (weighted like the training rows).

Class imbalance is handled with balanced class weights (``scale_pos_weight`` for
LightGBM). Weighting shifts the raw probabilities upwards; the calibration step
(:mod:`leadscore.ml.calibration`) maps them back to observed rates.

Within a family, the hyperparameters with the best validation AUC win (AUC is a
ranking measure, untouched by the class-weight distortion). Across families see
:func:`select_champion`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from .metrics import auc_roc

ALGORITHMS: tuple[str, ...] = ("logistic", "random_forest", "lightgbm")
#: Encoder output used by each algorithm.
ENCODER_OUTPUT = {"logistic": "linear", "random_forest": "tree", "lightgbm": "tree"}
MAX_THREADS = 2


@dataclass
class LogisticModel:
    """A fitted linear logit: ``raw = sigmoid(X @ coef + intercept)``."""

    coef: np.ndarray
    intercept: float

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Log-odds for each row of the standardized design matrix."""
        return X @ self.coef + self.intercept


@dataclass
class CandidateFit:
    """One tuned candidate.

    Attributes
    ----------
    algorithm : str
    model : LogisticModel, RandomForestClassifier or lightgbm.Booster
    hyperparameters : dict
        The chosen values (JSON-serializable).
    validation_auc : float
        AUC of the raw validation scores with the chosen hyperparameters.
    search : list of dict
        Every grid point tried, with its validation AUC.
    """

    algorithm: str
    model: Any
    hyperparameters: dict
    validation_auc: float
    search: list = field(default_factory=list)


def balanced_weights(y: np.ndarray, class_weight: str | None) -> np.ndarray:
    """Per-row weights: ``n / (2 * n_class)`` when ``"balanced"``, ones when ``None``."""
    y = np.asarray(y)
    if class_weight is None:
        return np.ones(len(y))
    if class_weight != "balanced":
        raise ValueError(f"class_weight must be 'balanced' or None, got {class_weight!r}")
    positives = max(int(y.sum()), 1)
    negatives = max(len(y) - positives, 1)
    return np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))


def _best(search: list[dict]) -> dict:
    """Grid point with the highest validation AUC; ties go to the earlier (simpler) point."""
    return max(enumerate(search), key=lambda item: (item[1]["validation_auc"], -item[0]))[1]


def fit_logistic(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    c_grid: Sequence[float] = (0.001, 0.01, 0.1, 1.0, 10.0),
    class_weight: str | None = "balanced",
    random_state: int = 0,
) -> CandidateFit:
    """L2 logistic regression with ``C`` chosen on validation AUC.

    The grid runs from strong to weak regularization, so ties favour the simpler model.

    Returns
    -------
    CandidateFit
        ``model`` is a :class:`LogisticModel`.
    """
    search, models = [], []
    weight = balanced_weights(y_train, class_weight)
    for c in c_grid:
        fitted = LogisticRegression(C=c, solver="lbfgs", max_iter=2000, random_state=random_state)
        # lbfgs makes hundreds of matrix-vector products: a second BLAS thread costs more in synchronisation
        # than it saves, many times more on a busy machine (docs/benchmark.md), and one thread is deterministic
        with threadpool_limits(limits=1, user_api="blas"):
            fitted.fit(X_train, y_train, sample_weight=weight)
        model = LogisticModel(coef=fitted.coef_[0].copy(), intercept=float(fitted.intercept_[0]))
        search.append({"C": float(c), "validation_auc": auc_roc(y_val, model.decision_function(X_val))})
        models.append(model)
    best = _best(search)
    return CandidateFit(
        algorithm="logistic",
        model=models[search.index(best)],
        hyperparameters={"C": best["C"], "class_weight": class_weight, "penalty": "l2"},
        validation_auc=best["validation_auc"],
        search=search,
    )


def fit_random_forest(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    leaf_fractions: Sequence[float] = (0.0005, 0.002, 0.01),
    n_estimators: int = 200,
    max_samples: int = 50_000,
    class_weight: str | None = "balanced",
    n_jobs: int = MAX_THREADS,
    random_state: int = 0,
) -> CandidateFit:
    """Random forest with ``min_samples_leaf`` (a fraction of the rows each tree sees) chosen on validation AUC.

    Each tree is grown on a bootstrap sample of at most ``max_samples`` rows, which
    bounds training time and model size on large histories while the forest as a whole
    still sees every row. Missing values stay NaN (scikit-learn forests route them
    natively).

    Returns
    -------
    CandidateFit
        ``model`` is a fitted ``RandomForestClassifier``.
    """
    search, models = [], []
    sample_size = min(len(y_train), max_samples)
    leaves = sorted({max(1, int(round(fraction * sample_size))) for fraction in leaf_fractions}, reverse=True)
    for leaf in leaves:
        model = RandomForestClassifier(
            n_estimators=n_estimators,
            min_samples_leaf=leaf,
            max_features="sqrt",
            max_samples=sample_size if sample_size < len(y_train) else None,
            class_weight="balanced_subsample" if class_weight == "balanced" else None,
            n_jobs=min(n_jobs, MAX_THREADS),
            random_state=random_state,
        ).fit(X_train, y_train)
        # Threaded prediction adds the trees' votes in whatever order the threads finish,
        # so the last bits of a probability could change between calls; each prediction
        # sums the trees in order instead (forest_positive_probability: parallel over rows).
        model.set_params(n_jobs=1)
        search.append({"min_samples_leaf": leaf,
                       "validation_auc": auc_roc(y_val, forest_positive_probability(model, X_val, n_jobs=n_jobs))})
        models.append(model)
    best = _best(search)
    return CandidateFit(
        algorithm="random_forest",
        model=models[search.index(best)],
        hyperparameters={
            "n_estimators": n_estimators,
            "min_samples_leaf": best["min_samples_leaf"],
            "max_features": "sqrt",
            "max_samples": sample_size,
            "class_weight": class_weight,
        },
        validation_auc=best["validation_auc"],
        search=search,
    )


def lightgbm_feature_names(names: Sequence[str]) -> list[str]:
    """Feature names LightGBM accepts (letters, digits and underscores only)."""
    return [re.sub(r"[^0-9A-Za-z_]", "_", str(name)) for name in names]


def lightgbm_params(
    *, num_leaves: int, learning_rate: float, min_data_in_leaf: int, scale_pos_weight: float, n_jobs: int,
    random_state: int,
) -> dict:
    """LightGBM training parameters shared by tuning and refitting (deterministic, at most two threads)."""
    return {
        "objective": "binary",
        "metric": "binary_logloss",
        "learning_rate": learning_rate,
        "num_leaves": num_leaves,
        "min_data_in_leaf": min_data_in_leaf,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "scale_pos_weight": scale_pos_weight,
        "cat_smooth": 10.0,
        "num_threads": min(n_jobs, MAX_THREADS),
        "seed": random_state,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }


def fit_lightgbm(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    feature_names: Sequence[str],
    categorical_indices: Sequence[int] = (),
    num_leaves_grid: Sequence[int] = (7, 15, 31),
    learning_rate: float = 0.05,
    max_rounds: int = 2000,
    early_stopping_rounds: int = 50,
    min_leaf_fraction: float = 0.002,
    class_weight: str | None = "balanced",
    try_unweighted: bool = True,
    n_jobs: int = MAX_THREADS,
    random_state: int = 0,
) -> CandidateFit:
    """Gradient boosting with early stopping on validation; ``num_leaves`` and the class weighting chosen on
    validation AUC.

    Imbalance: ``scale_pos_weight = negatives / positives`` when ``class_weight`` is
    ``"balanced"``; the validation rows get the same weights so the early-stopping
    loss measures the objective being optimized. Up-weighting the rare class makes
    boosting stop earlier and can rank worse, so with ``try_unweighted`` the grid also
    holds the unweighted fit and validation AUC decides (calibration undoes either).

    Returns
    -------
    CandidateFit
        ``model`` is a ``lightgbm.Booster`` holding exactly the best iteration's trees.
    """
    import lightgbm as lgb

    positives = max(int(np.sum(y_train)), 1)
    balanced_weight = (len(y_train) - positives) / positives
    weights = [balanced_weight, 1.0] if class_weight == "balanced" and try_unweighted else [
        balanced_weight if class_weight == "balanced" else 1.0]
    min_data_in_leaf = max(10, int(round(min_leaf_fraction * len(y_train))))
    names = lightgbm_feature_names(feature_names)
    search, models = [], []
    for scale_pos_weight in weights:
        validation_weight = np.where(np.asarray(y_val) == 1, scale_pos_weight, 1.0)
        for num_leaves in num_leaves_grid:
            params = lightgbm_params(num_leaves=int(num_leaves), learning_rate=learning_rate,
                                     min_data_in_leaf=min_data_in_leaf, scale_pos_weight=scale_pos_weight,
                                     n_jobs=n_jobs, random_state=random_state)
            train_set = lgb.Dataset(X_train, label=y_train, feature_name=names,
                                    categorical_feature=list(categorical_indices), free_raw_data=False)
            valid_set = lgb.Dataset(X_val, label=y_val, weight=validation_weight, reference=train_set)
            booster = lgb.train(
                params, train_set, num_boost_round=max_rounds, valid_sets=[valid_set], valid_names=["validation"],
                callbacks=[lgb.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False)],
            )
            best_rounds = int(booster.best_iteration) or booster.current_iteration()
            booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best_rounds))
            search.append({
                "scale_pos_weight": float(scale_pos_weight),
                "num_leaves": int(num_leaves),
                "num_boost_round": best_rounds,
                "validation_auc": auc_roc(y_val, booster.predict(X_val)),
            })
            models.append(booster)
    best = _best(search)
    return CandidateFit(
        algorithm="lightgbm",
        model=models[search.index(best)],
        hyperparameters={
            "num_leaves": best["num_leaves"],
            "num_boost_round": best["num_boost_round"],
            "learning_rate": learning_rate,
            "min_data_in_leaf": min_data_in_leaf,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "lambda_l2": 1.0,
            "scale_pos_weight": best["scale_pos_weight"],
        },
        validation_auc=best["validation_auc"],
        search=search,
    )


def forest_positive_probability(
    model: RandomForestClassifier, X: np.ndarray, *, n_jobs: int = MAX_THREADS, chunk_rows: int = 50_000
) -> np.ndarray:
    """A forest's positive-class probability, computed on row chunks in parallel threads.

    Each chunk is predicted single-threaded, so every row's trees are summed in the same order as
    ``model.predict_proba`` with ``n_jobs=1``: the result is bit-for-bit that of a single-threaded prediction, at
    up to ``n_jobs`` times the speed (scikit-learn's trees release the GIL while they predict).
    """
    from concurrent.futures import ThreadPoolExecutor

    starts = range(0, len(X), chunk_rows)
    if len(starts) <= 1 or n_jobs <= 1:
        return model.predict_proba(X)[:, 1]
    with ThreadPoolExecutor(max_workers=min(n_jobs, MAX_THREADS)) as pool:
        parts = list(pool.map(lambda start: model.predict_proba(X[start:start + chunk_rows])[:, 1], starts))
    return np.concatenate(parts)


def refit_candidate(
    fit: CandidateFit,
    X: np.ndarray,
    y: np.ndarray,
    *,
    feature_names: Sequence[str] = (),
    categorical_indices: Sequence[int] = (),
    n_jobs: int = MAX_THREADS,
    random_state: int = 0,
) -> Any:
    """Fit a tuned candidate again, with exactly its chosen hyperparameters, on more rows (train plus validation).

    Nothing is tuned here: the grid point, the boosting rounds and the class weighting of ``fit`` are reused
    unchanged (LightGBM keeps its ``scale_pos_weight`` value rather than recomputing it), so the refitted model's
    raw scores live on the same scale as the ones the calibration map was fitted on.

    Returns
    -------
    LogisticModel, RandomForestClassifier or lightgbm.Booster
        A model of the same kind as ``fit.model``.
    """
    chosen = fit.hyperparameters
    if fit.algorithm == "logistic":
        fitted = LogisticRegression(C=chosen["C"], solver="lbfgs", max_iter=2000, random_state=random_state)
        fitted.fit(X, y, sample_weight=balanced_weights(y, chosen["class_weight"]))
        return LogisticModel(coef=fitted.coef_[0].copy(), intercept=float(fitted.intercept_[0]))
    if fit.algorithm == "random_forest":
        model = RandomForestClassifier(**fit.model.get_params()).set_params(
            n_jobs=min(n_jobs, MAX_THREADS),
            max_samples=chosen["max_samples"] if chosen["max_samples"] < len(y) else None,
        ).fit(X, y)
        return model.set_params(n_jobs=1)
    if fit.algorithm == "lightgbm":
        import lightgbm as lgb

        params = lightgbm_params(num_leaves=chosen["num_leaves"], learning_rate=chosen["learning_rate"],
                                 min_data_in_leaf=chosen["min_data_in_leaf"],
                                 scale_pos_weight=chosen["scale_pos_weight"], n_jobs=n_jobs, random_state=random_state)
        train_set = lgb.Dataset(X, label=y, feature_name=lightgbm_feature_names(feature_names) or "auto",
                                categorical_feature=list(categorical_indices))
        booster = lgb.train(params, train_set, num_boost_round=chosen["num_boost_round"])
        return lgb.Booster(model_str=booster.model_to_string())
    raise ValueError(f"unknown algorithm {fit.algorithm!r}; use one of {ALGORITHMS}")


def predict_raw(algorithm: str, model: Any, X: np.ndarray) -> np.ndarray:
    """Raw (uncalibrated) positive-class probabilities of a fitted candidate."""
    if algorithm == "logistic":
        return expit(model.decision_function(X))
    if algorithm == "random_forest":
        return forest_positive_probability(model, X)
    if algorithm == "lightgbm":
        return model.predict(X)
    raise ValueError(f"unknown algorithm {algorithm!r}; use one of {ALGORITHMS}")


def select_champion(validation_metrics: dict[str, dict], *, auc_tolerance: float = 0.005) -> str:
    """Pick the champion among candidates from their validation metrics.

    Rule: shortlist every candidate whose validation AUC is within ``auc_tolerance``
    of the best validation AUC; among the shortlist take the lowest (cross-fitted,
    calibrated) validation log loss; remaining ties go to the simpler algorithm in
    ``ALGORITHMS`` order (logistic, random forest, LightGBM). AUC decides who can rank
    leads; log loss then prefers the one whose probabilities are most trustworthy.

    Parameters
    ----------
    validation_metrics : dict
        ``{algorithm: {"auc_roc": float, "log_loss": float, ...}}``.
    auc_tolerance : float

    Returns
    -------
    str
        The champion's algorithm name.
    """
    if not validation_metrics:
        raise ValueError("no candidates to choose from")

    def order(name: str) -> int:
        return ALGORITHMS.index(name) if name in ALGORITHMS else len(ALGORITHMS)

    aucs = {name: (metrics["auc_roc"] if metrics["auc_roc"] is not None else -np.inf)
            for name, metrics in validation_metrics.items()}
    best_auc = max(aucs.values())
    shortlist = [name for name, auc in aucs.items() if auc >= best_auc - auc_tolerance]
    return min(shortlist, key=lambda name: (validation_metrics[name]["log_loss"], order(name)))
