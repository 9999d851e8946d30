"""How close the live model is to the best possible: its test AUC against the generator's true probabilities.

Usage: ``python -m leadscore.oracle --db data/lead_scoring.duckdb [--ceiling]``. Reads the warehouse's test
predictions, the champion's registry row and the generator's truth schema (which no dbt model reads).

``--ceiling`` also measures how much of the oracle the recorded features can reach at all, on the same test rows:
a model trained and scored inside the test period (grouped by lead, so no time shift and no lead in both folds),
and a model fitted to the true probabilities themselves (noise-free targets, same grouped folds): what the feature
columns can express with unlimited labels. The gap between that figure and the oracle is information the CRM, web
and email records do not hold (latent interest, future buying episodes), not a modelling shortfall; the gap between
the champion and that figure is what more labels, less drift or better learning could still win.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from leadscore.ml import auc_roc, expected_calibration_error
from leadscore.ml.features import feature_kinds, make_encoder, select_feature_columns


def oracle_comparison(test_predictions: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """AUC of the model and of the true probabilities on the same test rows, and the model's calibration error.

    Parameters
    ----------
    test_predictions : pandas.DataFrame
        ``lead_id, as_of_date, label, probability`` of the live model on its test split.
    truth : pandas.DataFrame
        ``lead_id, as_of_date, true_probability`` from the generator.

    Returns
    -------
    dict
        rows, rows_with_truth, model_auc, oracle_auc, gap_to_oracle, model_ece.
    """
    merged = test_predictions.merge(truth, on=["lead_id", "as_of_date"], how="inner")
    labels = merged["label"].astype(int).to_numpy()
    model_auc = auc_roc(labels, merged["probability"].astype(float).to_numpy())
    oracle_auc = auc_roc(labels, merged["true_probability"].astype(float).to_numpy())
    return {
        "rows": len(test_predictions),
        "rows_with_truth": len(merged),
        "model_auc": model_auc,
        "oracle_auc": oracle_auc,
        "gap_to_oracle": oracle_auc - model_auc,
        "model_ece": expected_calibration_error(
            test_predictions["label"].astype(int).to_numpy(), test_predictions["probability"].astype(float).to_numpy()
        ),
    }


def _tree_matrix(rows: pd.DataFrame, catalog: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """The model-ready matrix of the catalog's (unprotected) features and the positions of categorical columns."""
    features = select_feature_columns(rows, catalog)
    kinds = feature_kinds(rows, catalog)
    encoder = make_encoder(features, {name: kinds[name] for name in features}, "tree").fit(rows)
    return encoder.transform(rows), list(encoder.categorical_indices_)


def _boosted(X: np.ndarray, target: np.ndarray, categorical: list[int], objective: str, seed: int):
    """A fixed, regularized LightGBM fit: a yardstick, not a tuned model (binary labels get shallower trees)."""
    import lightgbm as lgb

    noisy = objective == "binary"
    params = {"objective": objective, "learning_rate": 0.05, "num_leaves": 7 if noisy else 31,
              "min_data_in_leaf": max(50, len(target) // 200) if noisy else 50,
              "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
              "num_threads": 2, "seed": seed, "deterministic": True, "verbose": -1}
    rounds = 200 if noisy else 300
    return lgb.train(params, lgb.Dataset(X, label=target, categorical_feature=categorical), num_boost_round=rounds)


def feature_ceiling(rows: pd.DataFrame, catalog: pd.DataFrame, *, folds: int = 5, seed: int = 42) -> dict:
    """How well the recorded features can rank the test rows, measured two ways (see the module docstring).

    Parameters
    ----------
    rows : pandas.DataFrame
        ``lead_features`` rows of the test split with ``label`` and ``true_probability``.
    catalog : pandas.DataFrame
        Feature catalog seed (protected features stay out, as in training).

    Returns
    -------
    dict
        within_period_auc (grouped cross-validation on the labels inside the test period) and truth_fit_auc
        (the same folds, fitted to the true probabilities), both as AUC against the labels.
    """
    from sklearn.model_selection import GroupKFold

    rows = rows.sort_values(["lead_id", "as_of_date"]).reset_index(drop=True)
    X, categorical = _tree_matrix(rows, catalog)
    labels = rows["label"].astype(int).to_numpy()
    truth = rows["true_probability"].to_numpy(dtype=float)
    from_labels, from_truth = np.zeros(len(rows)), np.zeros(len(rows))
    for fit_rows, held_out in GroupKFold(n_splits=folds).split(X, groups=rows["lead_id"].to_numpy()):
        from_labels[held_out] = _boosted(X[fit_rows], labels[fit_rows], categorical, "binary", seed).predict(X[held_out])
        from_truth[held_out] = _boosted(X[fit_rows], truth[fit_rows], categorical, "cross_entropy", seed).predict(
            X[held_out])
    return {"within_period_auc": auc_roc(labels, from_labels), "truth_fit_auc": auc_roc(labels, from_truth)}


def main(argv: Sequence[str] | None = None) -> None:
    """Print the champion's test AUC against the oracle and the rule-based score."""
    parser = argparse.ArgumentParser(prog="python -m leadscore.oracle", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/lead_scoring.duckdb", help="DuckDB warehouse file")
    parser.add_argument("--schema", default="analytics", help="schema the dbt models build into")
    parser.add_argument("--ceiling", action="store_true",
                        help="also measure how much of the oracle the recorded features can reach (slower)")
    args = parser.parse_args(argv)
    connection = duckdb.connect(args.db, read_only=True)
    try:
        predictions = connection.sql(f"select * from {args.schema}.ml_test_predictions").df()
        truth = connection.sql("select lead_id, as_of_date, true_probability from truth.lead_conversion_probability").df()
        champion = connection.sql(
            f"select model_version, algorithm, test_auc_roc, rule_points_test_auc_roc, test_ece "
            f"from {args.schema}.ml_champion_model"
        ).df().iloc[0]
        ceiling_rows = catalog = None
        if args.ceiling:
            ceiling_rows = connection.sql(
                f"select features.*, truth.true_probability from {args.schema}.ml_test_predictions as predictions "
                f"inner join {args.schema}.lead_features as features "
                "on predictions.lead_id = features.lead_id and predictions.as_of_date = features.as_of_date "
                "inner join truth.lead_conversion_probability as truth "
                "on predictions.lead_id = truth.lead_id and predictions.as_of_date = truth.as_of_date"
            ).df()
            catalog = connection.sql(f"select * from {args.schema}_reference.feature_catalog").df()
    finally:
        connection.close()
    result = oracle_comparison(predictions, truth)
    rule_auc = float(champion["rule_points_test_auc_roc"])
    print(f"champion {champion['model_version']} ({champion['algorithm']}) on {result['rows']:,} test rows")
    print(f"  model test AUC        {result['model_auc']:.4f}")
    print(f"  oracle AUC            {result['oracle_auc']:.4f}   (generator's true probabilities, same rows)")
    print(f"  rule-based points AUC {rule_auc:.4f}")
    print(f"  gap to oracle         {result['gap_to_oracle']:+.4f}   (aim: within 0.02)")
    print(f"  lift over rules       {result['model_auc'] - rule_auc:+.4f}   (aim: at least +0.10)")
    print(f"  expected calib. error {result['model_ece']:.4f}   (aim: under 0.02)")
    if ceiling_rows is not None:
        ceiling = feature_ceiling(ceiling_rows, catalog)
        print("what the recorded features can reach on the same rows:")
        print(f"  trained on labels inside the test period (grouped 5-fold) {ceiling['within_period_auc']:.4f}")
        print(f"  fitted to the true probabilities (grouped 5-fold) {ceiling['truth_fit_auc']:.4f}"
              f"   (oracle minus this = information no record holds: {result['oracle_auc'] - ceiling['truth_fit_auc']:+.4f})")


if __name__ == "__main__":
    main()
