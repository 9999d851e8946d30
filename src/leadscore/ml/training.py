"""Train, compare and package a lead-scoring model in one call.

:func:`train_lead_model` runs the whole recipe on a ``lead_features`` frame:

1. guard: enough matured, labelled history (:func:`check_minimum_data`);
2. split in time with an embargo of ``horizon_days``, adapted to short history and rare
   outcomes (:func:`plan_split`);
3. feature selection from the catalog, protected attributes excluded, leakage guard
   on the training rows;
4. encoders fitted on train; three candidates tuned on validation;
5. per candidate, calibration chosen by cross-fitted Brier on validation;
6. champion chosen on validation (:func:`select_champion`), then refitted on train plus
   validation with the same hyperparameters and calibration map;
7. candidates and baselines (rule points, random order) evaluated side by side on
   the untouched test split;
8. packaging: bundles with version ids, a registry row, report tables.

Validation metrics in the report are computed on *cross-fitted* calibrated
probabilities (each validation row calibrated by a map fitted without its lead), so
they are not flattered by calibrating on the rows they score. Test metrics use the
final calibration map, fitted on all validation rows; the test rows are never used for
any choice.

The model that is evaluated is the model that ships. By default (``refit_on_validation``)
the champion's algorithm is fitted once more, with the hyperparameters chosen on
validation, on train plus validation: the newest matured rows before the test embargo
then shape the model, which matters when buyer behaviour moves. The calibration map
chosen on validation is kept (the same hyperparameters and class weighting keep the raw
scores on the same scale), and the test split measures this refitted model, so the
reported test metrics still describe exactly the stored bundle.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib.metadata import version

import numpy as np
import pandas as pd

from .calibration import apply_calibration, choose_calibration
from .candidates import (
    ALGORITHMS,
    ENCODER_OUTPUT,
    MAX_THREADS,
    fit_lightgbm,
    fit_logistic,
    fit_random_forest,
    predict_raw,
    refit_candidate,
    select_champion,
)
from .explain import explain, fit_linear_surrogate, mean_abs_contributions
from .features import feature_kinds, make_encoder, normalize_catalog, select_feature_columns
from .frames import DATE_COLUMN, LABEL_COLUMN, LEAD_COLUMN, as_dates, label_array, sort_by_key, trainable_mask
from .guards import InsufficientDataError, check_minimum_data, check_no_protected_features, leakage_check
from .metrics import DEFAULT_THRESHOLDS, calibration_table, evaluate, lift_table
from .registry import ModelBundle, finalize_bundle, predict_proba, serialize_model
from .rules import rule_points
from .scoring import probability_to_score, reference_quantiles
from .split import SPLIT_NAMES, plan_split, split_windows

REFIT_SUFFIX = "_refit"
SELECTION_RULE = (
    "champion = lowest cross-fitted validation log loss among candidates whose raw validation AUC "
    "is within auc_tolerance of the best; ties go to the simpler algorithm"
)
PROMOTION_RULE = (
    "promote when the challenger's AUC on the newest matured holdout (the test rows at the newest test date) beats "
    "the champion's by at least min_auc_gain and its log loss is not worse by more than log_loss_tolerance"
)


@dataclass
class TrainingResult:
    """Everything a training run produces.

    Attributes
    ----------
    champion : ModelBundle
        The chosen model, ready for :func:`predict_proba` / :func:`serialize_model`.
    registry_row : dict
        One flat row for the model registry table (scalars and JSON strings,
        including ``model_json``, the serialized champion).
    test_predictions : pandas.DataFrame
        ``lead_id, as_of_date, label, probability, score, rule_points`` on the test split.
    metrics : pandas.DataFrame
        One row per (model, split): candidates and baselines.
    threshold_metrics : pandas.DataFrame
        Precision / recall / F1 per (model, split, threshold).
    calibration_table : pandas.DataFrame
        Equal-mass calibration bins per model on the test split.
    lift_table : pandas.DataFrame
        Deciles per model on the test split.
    feature_importance : pandas.DataFrame
        Champion's ``mean_abs_contribution`` and ``gain_share`` (tree models) per feature.
    candidates : dict
        ``{algorithm: ModelBundle}`` for every candidate (champion included).
    split : pandas.Series
        Split of every trainable row (index of the input frame).
    promote : bool or None
        Champion/challenger decision when ``current_champion`` was given.
    split_mode : str
        How validation was drawn: ``"time"`` or ``"lead_holdout"`` (:mod:`leadscore.ml.split`).
    limitations : list of str
        Sentences saying what this run could not do the default way (e.g. validate on a later period).
    """

    champion: ModelBundle
    registry_row: dict
    test_predictions: pd.DataFrame
    metrics: pd.DataFrame
    threshold_metrics: pd.DataFrame
    calibration_table: pd.DataFrame
    lift_table: pd.DataFrame
    feature_importance: pd.DataFrame
    candidates: dict = field(default_factory=dict)
    split: pd.Series | None = None
    promote: bool | None = None
    split_mode: str = "time"
    limitations: list = field(default_factory=list)


def json_safe(value):
    """Recursively convert numpy scalars/arrays to Python values and NaN/inf to None."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return [json_safe(item) for item in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    return value


def should_promote(
    challenger_metrics: dict,
    champion_metrics: dict | None,
    *,
    min_auc_gain: float = 0.005,
    log_loss_tolerance: float = 0.0,
) -> bool:
    """Champion/challenger decision on the newest matured holdout.

    Both metric dicts (from :func:`leadscore.ml.metrics.evaluate`) must come from the
    same rows. Rule: promote when there is no champion, or when the challenger's AUC is
    at least ``min_auc_gain`` higher *and* its log loss is at most
    ``log_loss_tolerance`` higher than the champion's. A challenger without a defined
    AUC is never promoted over an existing champion.

    Returns
    -------
    bool
    """
    if champion_metrics is None:
        return True
    challenger_auc, champion_auc = challenger_metrics.get("auc_roc"), champion_metrics.get("auc_roc")
    if challenger_auc is None:
        return False
    if champion_auc is None:
        return True
    challenger_loss, champion_loss = challenger_metrics.get("log_loss"), champion_metrics.get("log_loss")
    loss_ok = (challenger_loss is not None and champion_loss is not None
               and challenger_loss <= champion_loss + log_loss_tolerance)
    return bool(challenger_auc >= champion_auc + min_auc_gain and loss_ok)


def newest_cut_mask(test: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """The test rows the champion/challenger decision is taken on: those at the newest test date (the newest
    matured cut: the leads open then). While that date holds a single outcome class, where AUC is undefined, older
    test dates are added one at a time, newest first, until both classes are present.

    Returns
    -------
    numpy.ndarray of bool, aligned with ``test``.
    """
    dates = as_dates(test[DATE_COLUMN]).to_numpy()
    labels = np.asarray(labels)
    for start in np.unique(dates)[::-1]:
        mask = dates >= start
        if 0 < labels[mask].sum() < mask.sum():
            return mask
    return np.ones(len(test), dtype=bool)


def _utc_naive(moment: datetime | date | str) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def needs_retraining(
    last_trained_at: datetime | date | str | None,
    now: datetime | date | str,
    retrain_every_days: int,
    forced: bool = False,
) -> bool:
    """Whether a new training run is due.

    Parameters
    ----------
    last_trained_at : datetime, date, str or None
        When the current champion was trained; ``None`` when there is none.
    now : datetime, date or str
        The current time (passed in, never read from the clock).
    retrain_every_days : int
        Cadence in days.
    forced : bool
        Always retrain (e.g. a ``--vars`` flag).

    Returns
    -------
    bool
        True when forced, when there is no model yet, or when at least
        ``retrain_every_days`` days have passed.
    """
    if forced or last_trained_at is None or (isinstance(last_trained_at, float) and math.isnan(last_trained_at)):
        return True
    elapsed = _utc_naive(now) - _utc_naive(last_trained_at)
    return bool(elapsed >= pd.Timedelta(days=retrain_every_days))


def _fit_candidates(algorithms, matrices, labels, tree_encoder, *, class_weight, n_jobs, random_state):
    fits = {}
    for algorithm in algorithms:
        if algorithm == "logistic":
            X = matrices["linear"]
            fits[algorithm] = fit_logistic(X["train"], labels["train"], X["validation"], labels["validation"],
                                           class_weight=class_weight, random_state=random_state)
        elif algorithm == "random_forest":
            X = matrices["tree"]
            fits[algorithm] = fit_random_forest(X["train"], labels["train"], X["validation"], labels["validation"],
                                                class_weight=class_weight, n_jobs=n_jobs, random_state=random_state)
        else:
            X = matrices["tree"]
            fits[algorithm] = fit_lightgbm(
                X["train"], labels["train"], X["validation"], labels["validation"],
                feature_names=tree_encoder.feature_names_out_, categorical_indices=tree_encoder.categorical_indices_,
                class_weight=class_weight, n_jobs=n_jobs, random_state=random_state,
            )
    return fits


def _evaluate_scores(raw, labels, validation_groups, *, score_scale, thresholds, calibration_folds, random_state):
    """Calibrate raw scores on validation and evaluate every split."""
    choice = choose_calibration(raw["validation"], labels["validation"], groups=validation_groups,
                                n_folds=calibration_folds, score_scale=score_scale, random_state=random_state)
    probabilities = {
        "train": apply_calibration(choice.calibration_map, raw["train"]),
        "validation": choice.cross_fitted,
        "test": apply_calibration(choice.calibration_map, raw["test"]),
    }
    metrics = {name: evaluate(labels[name], probabilities[name], thresholds=thresholds) for name in SPLIT_NAMES}
    return choice, probabilities, metrics


def _importance(bundle: ModelBundle, sample: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    mean_abs = mean_abs_contributions(explain(bundle, sample))
    gain = pd.Series(np.nan, index=bundle.features)
    if bundle.algorithm == "lightgbm":
        gain = pd.Series(bundle.model.feature_importance("gain"), index=bundle.encoder.feature_sources_)
    elif bundle.algorithm == "random_forest":
        gain = pd.Series(bundle.model.feature_importances_, index=bundle.encoder.feature_sources_)
    if gain.notna().any() and gain.sum() > 0:
        gain = gain / gain.sum()
    families = normalize_catalog(catalog).set_index("feature_name")["family"]
    table = pd.DataFrame({
        "feature": mean_abs.index,
        "family": families.reindex(mean_abs.index).to_numpy(),
        "mean_abs_contribution": mean_abs.to_numpy(),
        "gain_share": gain.reindex(mean_abs.index).to_numpy(dtype=float),
    })
    table.insert(0, "algorithm", bundle.algorithm)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def _tables(evaluated: dict, labels: dict, thresholds) -> tuple[pd.DataFrame, ...]:
    metric_rows, threshold_rows, calibration_rows, lift_rows = [], [], [], []
    for name, entry in evaluated.items():
        for split_name in SPLIT_NAMES:
            metrics = entry["metrics"][split_name]
            metric_rows.append({
                "model": name, "kind": entry["kind"], "split": split_name, "is_champion": entry["is_champion"],
                **{key: value for key, value in metrics.items() if key != "thresholds"},
            })
            for row in metrics["thresholds"]:
                threshold_rows.append({"model": name, "kind": entry["kind"], "split": split_name, **row})
        probabilities = entry["probabilities"]["test"]
        calibration = calibration_table(labels["test"], probabilities)
        calibration.insert(0, "model", name)
        calibration_rows.append(calibration)
        lift = lift_table(labels["test"], probabilities)
        lift.insert(0, "model", name)
        lift_rows.append(lift)
    return (pd.DataFrame(metric_rows), pd.DataFrame(threshold_rows),
            pd.concat(calibration_rows, ignore_index=True), pd.concat(lift_rows, ignore_index=True))


def _refit_entry(selected: dict, matrices: dict, labels: dict, tree_encoder, *, thresholds, n_jobs, random_state) -> dict:
    """Refit the selected candidate on train plus validation, keep its calibration map, and evaluate every split.

    The validation metrics of the refitted model are in-sample (it has seen those rows); its test metrics are
    as honest as before, since no choice looked at the test rows.
    """
    fit = selected["fit"]
    output = ENCODER_OUTPUT[fit.algorithm]
    refitted = refit_candidate(
        fit,
        np.vstack([matrices[output]["train"], matrices[output]["validation"]]),
        np.concatenate([labels["train"], labels["validation"]]),
        feature_names=tree_encoder.feature_names_out_, categorical_indices=tree_encoder.categorical_indices_,
        n_jobs=n_jobs, random_state=random_state,
    )
    raw = {name: predict_raw(fit.algorithm, refitted, matrices[output][name]) for name in SPLIT_NAMES}
    choice = selected["choice"]
    probabilities = {name: apply_calibration(choice.calibration_map, raw[name]) for name in SPLIT_NAMES}
    metrics = {name: evaluate(labels[name], probabilities[name], thresholds=thresholds) for name in SPLIT_NAMES}
    metrics["validation"]["auc_roc_raw"] = fit.validation_auc
    return {"kind": "candidate", "fit": fit, "refit": refitted, "raw": raw, "choice": choice,
            "probabilities": probabilities, "metrics": metrics, "is_champion": False}


def _fit_on_all_history(entry: dict, X_all: np.ndarray, y_all: np.ndarray, y_test: np.ndarray,
                        test_leads: np.ndarray, tree_encoder, *, calibration_folds: int, n_jobs: int,
                        random_state: int) -> tuple[object, dict, np.ndarray]:
    """The champion fitted on every matured row with its chosen hyperparameters, its calibration map chosen and
    fitted on the test split's out-of-sample raw scores, and those scores calibrated (for the score quantiles).

    The test scores come from the model fitted before the test period, so they are out of sample. The method is
    chosen as on validation, by cross-fitted Brier grouped by lead: on a weak signal isotonic steps would tie most
    leads, and Platt wins there. With one outcome class in the test split the validation map is kept.
    """
    fit = entry["fit"]
    model = refit_candidate(fit, X_all, y_all, feature_names=tree_encoder.feature_names_out_,
                            categorical_indices=tree_encoder.categorical_indices_, n_jobs=n_jobs,
                            random_state=random_state)
    calibration = entry["choice"].calibration_map
    if 0 < y_test.sum() < len(y_test):
        calibration = choose_calibration(entry["raw"]["test"], y_test, groups=test_leads, n_folds=calibration_folds,
                                         random_state=random_state).calibration_map
    return model, calibration, apply_calibration(calibration, entry["raw"]["test"])


def train_lead_model(
    frame: pd.DataFrame,
    catalog: pd.DataFrame,
    rules: pd.DataFrame,
    *,
    horizon_days: int = 90,
    random_state: int = 42,
    fractions: Sequence[float] = (0.70, 0.15, 0.15),
    algorithms: Sequence[str] = ALGORITHMS,
    min_leads: int = 500,
    min_positives: int = 50,
    leakage_threshold: float = 0.95,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    class_weight: str | None = "balanced",
    auc_tolerance: float = 0.005,
    calibration_folds: int = 5,
    lead_overlap: str = "keep",
    n_jobs: int = MAX_THREADS,
    importance_rows: int = 20_000,
    trained_at: datetime | None = None,
    current_champion: ModelBundle | None = None,
    min_auc_gain: float = 0.005,
    refit_on_validation: bool = True,
    ship_on_all_history: bool = True,
    excluded_features: Mapping[str, str] | None = None,
) -> TrainingResult:
    """Train candidates, pick and calibrate a champion, and evaluate it against baselines.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``lead_features`` rows (all of them; untrainable rows are ignored).
    catalog : pandas.DataFrame
        Feature catalog seed.
    rules : pandas.DataFrame
        Points table seed for the rule baseline.
    horizon_days : int
        Label horizon, also the embargo between split parts.
    random_state : int
        Seed for every random choice (models, folds, random baseline, samples).
    fractions : sequence of 3 floats
        Split shares (see :func:`time_split`).
    algorithms : sequence of str
        Candidates to train, any of ``("logistic", "random_forest", "lightgbm")``.
    min_leads, min_positives : int
        Minimum-data guard.
    leakage_threshold : float
        Single-feature AUC that triggers :class:`LeakageError`.
    thresholds : sequence of float
        Probability thresholds for precision / recall / F1.
    class_weight : {"balanced", None}
        Imbalance handling for every candidate.
    auc_tolerance : float
        Champion rule, see :func:`select_champion`.
    calibration_folds : int
        Cross-fitting folds for choosing the calibration.
    lead_overlap : {"keep", "drop_later"}
        See :func:`time_split`.
    n_jobs : int
        Threads (capped at 2).
    importance_rows : int
        Rows (validation + test, sampled with ``random_state``) used for global importance.
    trained_at : datetime, optional
        Timestamp for metadata and version ids (default: now, UTC).
    current_champion : ModelBundle, optional
        The model in production; evaluated on this run's test split (the newest matured
        holdout) for :func:`should_promote`.
    min_auc_gain : float
        Promotion margin, see :func:`should_promote`.
    refit_on_validation : bool
        After the champion and its calibration map are chosen on validation, fit the champion's algorithm again
        with the same hyperparameters on train plus validation (the newest rows before the test embargo) and ship
        that model with the same calibration map. The test split, never used for a choice, then measures the model
        that ships; it appears in the reports as ``<algorithm>_refit``.
    ship_on_all_history : bool
        After every choice and the test report, fit the champion once more, with the same hyperparameters, on every
        matured row (train, validation, test and the rows the embargoes left out), and refit its calibration map
        (method chosen the same way) on the test split's out-of-sample scores: the newest outcomes shape the
        model that ships. Its registry test metrics then describe the model fitted before the test period, and the
        as-of backtest (:mod:`leadscore.ml.backtest`, the same recipe at past cuts) measures the shipped recipe.
    excluded_features : mapping, optional
        ``{feature: reason}`` of catalog features not to use (the train/serve skew guard, unusable custom fields).

    Returns
    -------
    TrainingResult

    Raises
    ------
    InsufficientDataError
        Too little matured history, or no split with both outcomes in every part (:func:`plan_split`).
    LeakageError, ProtectedFeatureError
    """
    unknown = sorted(set(algorithms) - set(ALGORITHMS))
    if unknown or not algorithms:
        raise ValueError(f"algorithms must be a non-empty subset of {ALGORITHMS}, got {list(algorithms)}")
    counts = check_minimum_data(frame, min_leads, min_positives)
    trained_at = trained_at or datetime.now(timezone.utc)
    data = sort_by_key(frame.loc[trainable_mask(frame)])
    plan = plan_split(data, fractions=fractions, horizon_days=horizon_days, lead_overlap=lead_overlap,
                      random_state=random_state)
    split = plan.split
    parts = {name: data.loc[(split == name).to_numpy()] for name in SPLIT_NAMES}
    labels = {name: label_array(part).astype(float) for name, part in parts.items()}
    for name in SPLIT_NAMES:
        if labels[name].sum() == 0 or labels[name].sum() == len(labels[name]):
            raise InsufficientDataError(f"the {name} split has a single outcome class; more history is needed")

    features = [name for name in select_feature_columns(data, catalog) if name not in (excluded_features or {})]
    if not features:
        raise ValueError("no usable feature: check the catalog feature names against the frame columns")
    check_no_protected_features(features, catalog)
    all_kinds = feature_kinds(data, catalog)
    kinds = {name: all_kinds[name] for name in features}
    categorical = [name for name in features if kinds[name] == "categorical"]
    single_feature_aucs = leakage_check(parts["train"], features, leakage_threshold,
                                        categorical_features=categorical, random_state=random_state)

    encoders = {output: make_encoder(features, kinds, output).fit(parts["train"]) for output in ("tree", "linear")}
    matrices = {output: {name: encoder.transform(part) for name, part in parts.items()}
                for output, encoder in encoders.items()}
    fits = _fit_candidates(algorithms, matrices, labels, encoders["tree"], class_weight=class_weight,
                           n_jobs=n_jobs, random_state=random_state)
    validation_leads = parts["validation"][LEAD_COLUMN].to_numpy()
    common = {"thresholds": thresholds, "calibration_folds": calibration_folds, "random_state": random_state}

    evaluated = {}
    for algorithm, fit in fits.items():
        output = ENCODER_OUTPUT[algorithm]
        raw = {name: predict_raw(algorithm, fit.model, matrices[output][name]) for name in SPLIT_NAMES}
        choice, probabilities, metrics = _evaluate_scores(raw, labels, validation_leads,
                                                          score_scale="probability", **common)
        metrics["validation"]["auc_roc_raw"] = fit.validation_auc
        evaluated[algorithm] = {"kind": "candidate", "fit": fit, "raw": raw, "choice": choice,
                                "probabilities": probabilities, "metrics": metrics, "is_champion": False}

    champion_name = select_champion(
        {name: {"auc_roc": entry["fit"].validation_auc, "log_loss": entry["metrics"]["validation"]["log_loss"]}
         for name, entry in evaluated.items()},
        auc_tolerance=auc_tolerance,
    )
    champion_key = champion_name
    if refit_on_validation:
        champion_key = f"{champion_name}{REFIT_SUFFIX}"
        evaluated[champion_key] = _refit_entry(evaluated[champion_name], matrices, labels, encoders["tree"],
                                               thresholds=thresholds, n_jobs=n_jobs, random_state=random_state)
    evaluated[champion_key]["is_champion"] = True

    rng = np.random.default_rng(random_state)
    baselines = {
        "rule_points": {name: rule_points(part, rules).to_numpy() for name, part in parts.items()},
        "random": {name: rng.random(len(part)) for name, part in parts.items()},
    }
    for name, raw in baselines.items():
        choice, probabilities, metrics = _evaluate_scores(raw, labels, validation_leads, score_scale="linear", **common)
        evaluated[name] = {"kind": "baseline", "raw": raw, "choice": choice, "probabilities": probabilities,
                           "metrics": metrics, "is_champion": False}

    windows = split_windows(data, split)
    metrics_by_model = {name: {"kind": entry["kind"], **entry["metrics"]} for name, entry in evaluated.items()}
    bundles = {}
    for algorithm, fit in fits.items():
        entry = evaluated[champion_key if algorithm == champion_name else algorithm]
        output = ENCODER_OUTPUT[algorithm]
        # what scoring will produce: the final calibration map on out-of-sample raw scores (a refitted model has
        # seen the validation rows, so only its test rows are out of sample)
        out_of_sample = ("test",) if entry.get("refit") else ("validation", "test")
        own_out_of_sample = apply_calibration(
            entry["choice"].calibration_map, np.concatenate([entry["raw"][name] for name in out_of_sample])
        )
        model = entry["refit"] if entry.get("refit") else fit.model
        calibration = entry["choice"].calibration_map
        fitted_on = "train+validation" if entry.get("refit") else "train"
        if ship_on_all_history and algorithm == champion_name:
            model, calibration, own_out_of_sample = _fit_on_all_history(
                entry, encoders[output].transform(data), label_array(data).astype(float), labels["test"],
                parts["test"][LEAD_COLUMN].to_numpy(), encoders["tree"], calibration_folds=calibration_folds,
                n_jobs=n_jobs, random_state=random_state)
            fitted_on = "every matured row"
        explainer = None
        if algorithm == "random_forest":
            explainer = {"encoder": encoders["linear"],
                         **fit_linear_surrogate(matrices["linear"]["train"], entry["raw"]["train"])}
        metadata = json_safe({
            "horizon_days": horizon_days,
            "random_state": random_state,
            "class_weight": class_weight,
            "hyperparameters": fit.hyperparameters,
            "hyperparameter_search": fit.search,
            "calibration_method": entry["choice"].method,
            "calibration_brier": entry["choice"].brier_by_method,
            "training_window": windows,
            "split_mode": plan.mode,
            "split_notes": list(plan.notes),
            "data_counts": counts,
            "metrics": entry["metrics"],
            "fitted_on": fitted_on,
            "reference_quantiles": reference_quantiles(own_out_of_sample),
            "is_champion": algorithm == champion_name,
            "selection_rule": SELECTION_RULE,
            "library_versions": {package: version(package) for package in ("scikit-learn", "lightgbm", "numpy")},
        })
        bundle = ModelBundle(
            algorithm=algorithm,
            features=list(encoders[output].feature_names_in_),
            feature_kinds=kinds,
            encoder=encoders[output],
            model=model,
            calibration=calibration,
            metadata=metadata,
            explainer=explainer,
        )
        bundles[algorithm] = finalize_bundle(bundle, trained_at)
    champion = bundles[champion_name]

    test = parts["test"]
    champion_test = evaluated[champion_key]["probabilities"]["test"]
    test_predictions = pd.DataFrame({
        LEAD_COLUMN: test[LEAD_COLUMN].to_numpy(),
        DATE_COLUMN: test[DATE_COLUMN].to_numpy(),
        LABEL_COLUMN: labels["test"].astype(int),
        "probability": champion_test,
        "score": probability_to_score(champion_test, champion.metadata["reference_quantiles"]),
        "rule_points": baselines["rule_points"]["test"],
        "model_version": champion.version_id,
    })

    validation_and_test = pd.concat([parts["validation"], test])
    if len(validation_and_test) > importance_rows:
        chosen = np.sort(rng.choice(len(validation_and_test), importance_rows, replace=False))
        validation_and_test = validation_and_test.iloc[chosen]
    importance = _importance(champion, validation_and_test, catalog)

    metrics_frame, threshold_frame, calibration_frame, lift_frame = _tables(evaluated, labels, thresholds)

    promote = None
    champion_holdout = None
    if current_champion is not None:
        # judged on the newest matured cut (the leads open at the newest test date), as production scores them
        holdout = newest_cut_mask(test, labels["test"])
        challenger_holdout = evaluate(labels["test"][holdout], champion_test[holdout], thresholds=thresholds)
        try:
            current_probabilities = predict_proba(current_champion, test.loc[holdout])
            champion_holdout = evaluate(labels["test"][holdout], current_probabilities, thresholds=thresholds)
            champion_holdout["holdout_start_date"] = as_dates(test.loc[holdout, DATE_COLUMN]).min().date().isoformat()
        except KeyError:
            champion_holdout = None  # the old model's features no longer exist: it cannot score
        promote = should_promote(challenger_holdout, champion_holdout, min_auc_gain=min_auc_gain)

    champion_metrics = evaluated[champion_key]["metrics"]
    registry_row = json_safe({
        "model_version": champion.version_id,
        "trained_at": trained_at.isoformat(),
        "algorithm": champion_name,
        "horizon_days": horizon_days,
        "random_state": random_state,
        "n_features": len(champion.features),
        "features_json": json.dumps(champion.features),
        "hyperparameters_json": json.dumps(
            json_safe({**evaluated[champion_name]["fit"].hyperparameters, "fitted_on": champion.metadata["fitted_on"]}),
            sort_keys=True,
        ),
        "calibration_method": evaluated[champion_name]["choice"].method,
        "split_mode": plan.mode,
        **{f"{name}_{edge}_date": windows[name][f"{edge}_date"] for name in SPLIT_NAMES for edge in ("start", "end")},
        **{f"{name}_rows": windows[name]["rows"] for name in SPLIT_NAMES},
        **{f"{name}_positives": windows[name]["positives"] for name in SPLIT_NAMES},
        "validation_auc_roc": evaluated[champion_name]["fit"].validation_auc,
        "validation_log_loss": champion_metrics["validation"]["log_loss"],
        "test_auc_roc": champion_metrics["test"]["auc_roc"],
        "test_pr_auc": champion_metrics["test"]["pr_auc"],
        "test_log_loss": champion_metrics["test"]["log_loss"],
        "test_brier": champion_metrics["test"]["brier"],
        "test_ece": champion_metrics["test"]["ece"],
        "rule_points_test_auc_roc": evaluated["rule_points"]["metrics"]["test"]["auc_roc"],
        "random_test_auc_roc": evaluated["random"]["metrics"]["test"]["auc_roc"],
        "metrics_json": json.dumps(json_safe(metrics_by_model), sort_keys=True),
        "single_feature_auc_json": json.dumps(json_safe(single_feature_aucs), sort_keys=True),
        "selection_rule": SELECTION_RULE,
        "current_champion_version": current_champion.version_id if current_champion is not None else None,
        "current_champion_test_json": json.dumps(json_safe(champion_holdout)) if champion_holdout else None,
        "promote": promote,
        "model_json": serialize_model(champion),
    })
    return TrainingResult(
        champion=champion,
        registry_row=registry_row,
        test_predictions=test_predictions,
        metrics=metrics_frame,
        threshold_metrics=threshold_frame,
        calibration_table=calibration_frame,
        lift_table=lift_frame,
        feature_importance=importance,
        candidates=bundles,
        split=split,
        promote=promote,
        split_mode=plan.mode,
        limitations=list(plan.notes),
    )
